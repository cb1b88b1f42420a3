"""`make bench`: what windowner costs, how the cost grows, and how close it is to the machine.

Runs every measurement of benchmarks/measure.py in its own process (so that each one's peak
memory is its own), prints one JSON object and writes it to benchmarks/results.json, with the
scaling plot in benchmarks/scaling.png. About 9 minutes on a quiet 2-core machine, 12 when
other processes share it (torch's two threads suffer most: see the compare part).

    python benchmarks/run.py                 # everything
    python benchmarks/run.py --only train,tag
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "data" / "conll2003"
CONFIG = ROOT / "configs" / "conll2003.toml"
RESULTS, PLOT = HERE / "results.json", HERE / "scaling.png"
PARTS = ("train", "matmul", "profile", "tag", "compare", "vectors", "analogy", "scaling")

# The targets on the project's 2-core machine: (result key, "max" or "min", bound).
# train_torch_ratio: the same model's epoch in PyTorch (CPU, 2 threads) over windowner's.
TARGETS = {
    "train_torch_ratio": ("min", 2.0),
    "tag_tokens_per_s_e2e": ("min", 150_000),
    "tag_tokens_per_s_model": ("min", 500_000),
    "tag_help_seconds": ("max", 0.3),
    "tag_first_sentence_seconds": ("max", 1.0),
    "analogy_eval_s": ("max", 17.0),
    "peak_rss_mb_train": ("max", 1_500),
}
# Scaling sweep: hidden units at batch 32, then batch sizes at 300 hidden units. Each setting
# trains on the first SCALING_WINDOWS windows of train.txt and is scaled to the full epoch.
HIDDEN_SIZES, BATCH_SIZES = (100, 300, 1000), (1, 8, 32, 128, 512)
DEFAULT_HIDDEN, DEFAULT_BATCH = 300, 32
SCALING_WINDOWS = 20_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help=f"comma-separated parts to run, of: {', '.join(PARTS)}")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs timed (best kept)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    parts = set(args.only.split(",")) if args.only else set(PARTS)
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")

    started, cpu_before = time.perf_counter(), _cpu_jiffies()
    results: dict = {"machine": machine(), "load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="windowner-bench-") as tmp:
        work = Path(tmp)
        model = work / "train" / "model.npz"
        if parts & {"train", "matmul", "profile", "tag"}:
            results.update(bench_train(work / "train", args.epochs))
        if "matmul" in parts:
            results.update(bench_matmul(model, results))
        if "profile" in parts:
            results["profile"] = bench_profile(model)
        if "tag" in parts:
            results.update(bench_tag(model, work))
        if "compare" in parts:
            results.update(bench_compare())
        if "vectors" in parts:
            results.update(bench_vectors(work))
        if "analogy" in parts:
            results.update(bench_analogy())
        if "scaling" in parts:
            results["scaling"] = bench_scaling(work, results)
            results["scaling_plot"] = plot_scaling(results["scaling"], PLOT)
    results["targets"] = check_targets(results)
    results["load_average_after"] = os.getloadavg()
    results["other_processes_cpu_share"] = _others_share(cpu_before, started, results)
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


# ------------------------------------------------------------------------------------------------
# Running one measurement
# ------------------------------------------------------------------------------------------------

_children_cpu_seconds = 0.0


def run_child(command: list, *, env: dict | None = None):
    """Run `command`; (its last stdout line as JSON, or None; peak RSS in MB; wall seconds; error).

    The child is reaped with os.wait4, whose resource usage is that child's alone.
    """
    global _children_cpu_seconds
    with tempfile.TemporaryFile("w+") as err, tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(part) for part in command],
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )  # communicate() would reap the child before wait4 could read its usage
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        _children_cpu_seconds += usage.ru_utime + usage.ru_stime
        peak_mb = round(usage.ru_maxrss / 1024, 1)  # Linux reports kilobytes
        err.seek(0)
        out.seek(0)
        if process.returncode != 0:
            lines = err.read().strip().splitlines()
            return None, peak_mb, wall, " | ".join(lines[-3:]) or f"exit {process.returncode}"
        lines = out.read().strip().splitlines()
        try:  # measure.py's last line is its JSON; a command's output is not read
            result = json.loads(lines[-1]) if lines else None
        except ValueError:
            result = None
        return result, peak_mb, wall, None


def measure(name: str, *args, env: dict | None = None):
    """Run benchmarks/measure.py NAME ARGS in a child process (see run_child)."""
    return run_child([sys.executable, str(HERE / "measure.py"), name, *map(str, args)], env=env)


# ------------------------------------------------------------------------------------------------
# The parts
# ------------------------------------------------------------------------------------------------


def bench_train(out: Path, epochs: int) -> dict:
    """The default run (GloVe 50d, casing, fine-tuning, 300 tanh units, batch 32, window 2).

    First as users run it, `ner-train --config configs/conll2003.toml` (with its own choice of
    BLAS threads); then in a process of ours with BLAS on 1 and on 2 threads, for comparison,
    where the CPU time of each epoch is measured too. The best of `epochs` epochs is the figure.
    """
    command = [
        *_console_script("ner-train", "windowner.cli.train"),
        *("--config", CONFIG, "--out", out, "--epochs", epochs, "--force", "--quiet"),
        *("--set", 'data.test=""'),  # no test set: only the epochs and dev are timed
    ]
    _, peak_mb, _, error = run_child(command)
    if error:
        return {"train_error": error}
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    history = [record for record in history if "epoch" in record]
    seconds = [record["seconds"] for record in history]
    windows = _tokens(DATA / "train.txt")
    found = {
        "train_seconds_per_epoch": min(seconds),
        "train_windows_per_s": round(windows / min(seconds)),
        "train_windows": windows,
        "train_epoch_seconds_all": seconds,
        "train_dev_f1_by_epoch": [record["dev_f1"] for record in history],
        "peak_rss_mb_train": peak_mb,
    }
    by_threads, same = {}, True
    for threads in (1, 2):
        result, _, _, error = measure(
            "train", "--out", out.with_name(f"train-{threads}"), "--epochs", epochs,
            "--blas-threads", threads,
        )  # fmt: skip
        if error:
            by_threads[str(threads)] = error
            continue
        by_threads[str(threads)] = min(result["seconds"])
        found[f"train_epoch_seconds_all_blas_{threads}"] = result["seconds"]
        found[f"train_epoch_cpu_seconds_all_blas_{threads}"] = result["cpu_seconds"]
        same = same and result["dev_f1"] == found["train_dev_f1_by_epoch"]
    found["train_seconds_per_epoch_by_blas_threads"] = by_threads
    found["train_dev_f1_same_for_every_run"] = same  # thread counts must not change a number
    return found


def bench_matmul(model: Path, results: dict) -> dict:
    """numpy's own GFLOP/s on the training step's six products, against what training achieves."""
    result, _, _, error = measure("matmul", "--model", model)
    if error:
        return {"matmul_error": error}
    found = {"numpy_matmul_gflops_by_blas_threads": result["gflops_by_blas_threads"]}
    found["numpy_matmul_gflops"] = max(result["gflops_by_blas_threads"].values())
    if "train_seconds_per_epoch" in results:
        steps = -(-results["train_windows"] // DEFAULT_BATCH)
        flops = result["flops_per_step"] * steps  # the last, short batch counted whole
        found["train_flops_per_epoch"] = flops
        found["train_gflops"] = round(flops / results["train_seconds_per_epoch"] / 1e9, 1)
        found["train_gflops_ratio"] = round(found["train_gflops"] / found["numpy_matmul_gflops"], 3)
        found["train_gflops_by_blas_threads"] = {
            threads: round(flops / seconds / 1e9, 1)
            for threads, seconds in results.get(
                "train_seconds_per_epoch_by_blas_threads", {}
            ).items()
            if isinstance(seconds, float)
        }
        found["matmul_seconds_per_epoch_at_numpy_gflops"] = round(
            flops / found["numpy_matmul_gflops"] / 1e9, 3
        )
    return found


def bench_profile(model: Path) -> dict:
    """One epoch stage by stage, with BLAS on 1 thread (as ner-train runs) and on 2."""
    profiles = {}
    for threads in (1, 2):
        result, _, _, error = measure("profile", "--model", model, "--blas-threads", threads)
        profiles[f"blas_threads_{threads}"] = result if result else {"error": error}
    return profiles


def bench_tag(model: Path, work: Path) -> dict:
    """Tagging: the model alone on prepared ids, then ner-tag end to end on raw text; each with
    BLAS on 1 thread (as ner-tag runs) and, for comparison, on 2. Also how long `ner-tag --help`
    and a one-line input from a cold start take (best of 3 each)."""
    found = {}
    conll = (DATA / "valid.txt", DATA / "test.txt")
    for threads in (1, 2):  # the headline is 1 thread, as ner-tag runs
        result, _, _, error = measure(
            "tag-model", "--model", model, "--blas-threads", threads, *conll
        )
        found[f"tag_model_blas_threads_{threads}"] = result or error
    if isinstance(found["tag_model_blas_threads_1"], dict):
        found["tag_tokens_per_s_model"] = found["tag_model_blas_threads_1"]["tokens_per_s"]

    # CoNLL's three files as running text, 4 times over: over a million tokens, so that the
    # start-up (about half a second of imports and model loading) is a small part of the time.
    once, tokens_once = raw_text(work / "raw-once.txt")
    repeats = 4
    text = work / "raw.txt"
    text.write_text(once.read_text(encoding="utf-8") * repeats, encoding="utf-8")
    tokens = tokens_once * repeats
    one_line = work / "one-line.txt"
    one_line.write_text(
        "Angela Merkel met Emmanuel Macron in Paris on Tuesday.\n", encoding="utf-8"
    )
    tag = [*_console_script("ner-tag", "windowner.cli.tag"), model]
    help_walls, first_walls = [], []
    for _ in range(3):
        _, _, wall, error = run_child([*tag[:-1], "--help"])
        help_walls.append(wall if not error else float("inf"))
        _, _, wall, error = run_child([*tag, one_line, "--output", work / "one.jsonl"])
        first_walls.append(wall if not error else float("inf"))
    found["tag_help_seconds"] = round(min(help_walls), 3)
    found["tag_first_sentence_seconds"] = round(min(first_walls), 3)
    startup = min(first_walls)
    best = None
    for _ in range(2):
        _, peak_mb, wall, error = run_child([*tag, text, "--output", work / "raw.jsonl"])
        if error:
            return {**found, "tag_e2e_error": error}
        if best is None or wall < best[0]:
            best = (wall, peak_mb)
    wall, peak_mb = best
    # Once more with two BLAS threads, asked the way a user would: through the environment.
    two_threads = {"OPENBLAS_NUM_THREADS": "2"}
    _, _, wall_2, _ = run_child([*tag, text, "--output", work / "raw.jsonl"], env=two_threads)
    found["tag_tokens_per_s_e2e"] = round(tokens / wall)
    found["tag_e2e"] = {
        "command": "ner-tag MODEL raw.txt --output raw.jsonl",
        "input": f"train + valid + test of CoNLL-2003 as raw text, one sentence a line, "
        f"{repeats} times over",
        "lines": text.read_text(encoding="utf-8").count("\n"),
        "tokens": tokens,
        "seconds": round(wall, 2),
        "startup_seconds_one_line": round(startup, 2),
        "tokens_per_s_after_startup": round(tokens / max(wall - startup, 1e-9)),
        "seconds_with_OPENBLAS_NUM_THREADS_2": round(wall_2, 2),
    }
    found["peak_rss_mb_tag"] = peak_mb
    return found


def bench_compare() -> dict:
    """One epoch of windowner against the same model in PyTorch (benchmarks/torch_twin.py).

    Both heads, each in a process of its own where the two alternate (best of 3 epochs each for
    the default sigmoid head, whose ratio is the target; of 2 for the softmax head); the
    twin checked step by step against windowner with dropout off (torch_twin_max_param_diff);
    windowner's epoch with each of the accuracy round's features off (train_feature_cost_seconds).
    """
    found: dict = {}
    for head, suffix, repeats in (("sigmoid", "", 3), ("softmax", "_softmax", 2)):
        setting = f"model.head={head}"
        result, _, _, error = measure("compare", "--repeats", repeats, "--set", setting)
        found[f"train_torch_compare{suffix}"] = result or error
        if result:
            found[f"train_torch_ratio{suffix}"] = result["ratio"]
            found[f"train_torch_ratio{suffix}_starved"] = result["torch_2_threads_starved"]
    default = found["train_torch_compare"]
    if isinstance(default, dict):
        found["train_epoch_seconds_windowner"] = default["windowner_best_seconds"]
        found["train_epoch_seconds_torch"] = default["torch_best_seconds"]
        found["train_matmul_floor_seconds"] = default["matmul_floor_seconds"]
        found["train_epoch_over_matmul_floor"] = default["windowner_over_matmul_floor"]
    checks = {}
    for head in ("sigmoid", "softmax"):
        result, _, _, error = measure("twin-check", "--steps", 200, "--set", f"model.head={head}")
        checks[head] = result or error
    found["torch_twin_check"] = checks
    diffs = [c["max_param_diff"] for c in checks.values() if isinstance(c, dict)]
    found["torch_twin_max_param_diff"] = max(diffs) if len(diffs) == len(checks) else None
    result, _, _, error = measure("feature-cost", "--repeats", 2)
    found["train_feature_cost"] = result or error
    if result:
        found["train_feature_cost_seconds"] = {
            "epoch_seconds": result["epoch_seconds"],
            "cost_seconds": result["cost_seconds"],
        }
    return found


def raw_text(path: Path) -> tuple[Path, int]:
    """CoNLL-2003's sentences as plain text, one a line, and how many tokens ner-tag will see.

    Tokens are joined by spaces with the space before closing punctuation removed ("Paris ,"
    becomes "Paris,"), so the tokenizer has real splitting to do. The count is the tokenizer's.
    """
    from windowner.data.conll import read_conll
    from windowner.data.tokenizer import sentences

    lines = []
    for name in ("train.txt", "valid.txt", "test.txt"):
        for sentence in read_conll(DATA / name).sentences:
            line = " ".join(sentence.tokens)
            for mark in (" ,", " .", " ;", " :", " ?", " !", " )", " 's", " n't"):
                line = line.replace(mark, mark[1:])
            lines.append(line.replace("( ", "("))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tokens = sum(len(s) for line in lines for s in sentences(line))
    return path, tokens


def bench_vectors(work: Path) -> dict:
    """Loading the default vectors; a 400k-word GloVe text file's second (cached) load."""
    found = {}
    loads = [measure("vectors", "glove-6b-50d") for _ in range(3)]
    times = [r["seconds"] for r, _, _, error in loads if r]
    found["vectors_load_s"] = min(times) if times else None
    if not times:
        found["vectors_load_error"] = loads[0][3]
    glove = work / "glove.6B.50d.txt"
    written, _, _, error = measure("write-glove", glove)
    if error:
        return {**found, "vectors_cached_load_s": None, "vectors_cached_load_note": error}
    cache = {"WINDOWNER_CACHE": str(work / "vectors-cache")}
    first, _, _, error1 = measure("vectors", glove, env=cache)
    second, _, _, error2 = measure("vectors", glove, env=cache)
    found["vectors_cached_load_s"] = second["seconds"] if second else None
    found["vectors_text"] = {
        "file": f"{written['words']:,} words × 50, {written['bytes'] / 1e6:.0f} MB (GloVe text)",
        "first_load_s (parse and write the cache)": first["seconds"] if first else error1,
        "second_load_s (from the cache)": second["seconds"] if second else error2,
    }
    return found


def bench_analogy() -> dict:
    result, _, _, error = measure("analogy")
    if error:
        return {"analogy_eval_s": None, "analogy_note": error}
    one_thread, _, _, _ = measure("analogy", env={"OPENBLAS_NUM_THREADS": "1"})
    return {
        "analogy_eval_s": result["seconds"],
        "analogy": result,
        "analogy_eval_s_OPENBLAS_NUM_THREADS_1": one_thread["seconds"] if one_thread else None,
    }


def bench_scaling(work: Path, results: dict) -> dict:
    """Seconds per epoch as the work grows: hidden units, then batch size.

    A full epoch at batch 1 alone would take minutes, so each setting trains 2 epochs on the
    first ~SCALING_WINDOWS windows of train.txt (dev: the first 100 sentences of valid.txt),
    and its best epoch is scaled by full windows / subset windows. BLAS runs on one thread, so
    that the curves show the work and not how two threads fare against other processes.
    """
    train = _head_of_conll(DATA / "train.txt", work / "train-head.txt", tokens=SCALING_WINDOWS)
    dev = _head_of_conll(DATA / "valid.txt", work / "dev-head.txt", sentences=100)
    full = results.get("train_windows") or _tokens(DATA / "train.txt")
    settings = [(h, DEFAULT_BATCH) for h in HIDDEN_SIZES]
    settings += [(DEFAULT_HIDDEN, b) for b in BATCH_SIZES if b != DEFAULT_BATCH]
    rows = []
    for hidden, batch in settings:
        result, _, _, error = measure(
            "train",
            "--out",
            work / f"scale-{hidden}-{batch}",
            "--epochs",
            2,
            "--train",
            train,
            "--dev",
            dev,
            "--hidden",
            hidden,
            "--batch-size",
            batch,
            "--blas-threads",
            1,
        )
        row = {"hidden": hidden, "batch_size": batch}
        if error:
            row["error"] = error
        else:
            seconds = min(result["seconds"])
            row["windows_timed"] = result["windows"]
            row["seconds_per_epoch"] = round(seconds * full / result["windows"], 2)
            row["windows_per_s"] = round(result["windows"] / seconds)
            if result["cpu_seconds"]:
                cpu = min(result["cpu_seconds"]) * full / result["windows"]
                row["cpu_seconds_per_epoch"] = round(cpu, 2)
        rows.append(row)
    return {
        "method": (
            f"2 epochs on the first {SCALING_WINDOWS:,} windows of train.txt per setting, best "
            "epoch scaled to the full epoch's windows; BLAS on 1 thread"
        ),
        "full_epoch_windows": full,
        "hidden": [r for r in rows if r["batch_size"] == DEFAULT_BATCH],
        "batch_size": sorted(
            (r for r in rows if r["hidden"] == DEFAULT_HIDDEN), key=lambda r: r["batch_size"]
        ),
    }


def plot_scaling(scaling: dict, path: Path) -> str | None:
    """Two log-log panels of seconds per epoch: against hidden units, against batch size.

    Beside the measurements, the cost an ideal implementation would have: proportional to the
    matrix products' work for the hidden sweep, constant for the batch sweep (the products'
    work does not depend on the batch), both through the default setting.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
    except ImportError:
        return None
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    labels = ("hidden units H (batch 32)", "batch size (H = 300)")
    for axis, key, label in zip(axes, ("hidden", "batch_size"), labels, strict=True):
        rows = [r for r in scaling[key] if "seconds_per_epoch" in r]
        x, y = [r[key] for r in rows], [r["seconds_per_epoch"] for r in rows]
        axis.plot(x, y, "o-", label="measured (BLAS on 1 thread)")
        for xi, yi in zip(x, y, strict=True):
            axis.annotate(f"{yi:.1f} s", (xi, yi), textcoords="offset points", xytext=(4, 6))
        anchor = next(
            (r for r in rows if r["hidden"] == DEFAULT_HIDDEN and r["batch_size"] == DEFAULT_BATCH),
            None,
        )
        if anchor:
            base = anchor["seconds_per_epoch"]
            ideal = [base * v / DEFAULT_HIDDEN for v in x] if key == "hidden" else [base] * len(x)
            what = "∝ product FLOPs" if key == "hidden" else "same FLOPs as batch 32"
            axis.plot(x, ideal, "--", color="grey", label=what)
        axis.set(xscale="log", yscale="log", xlabel=label, ylabel="seconds per epoch")
        axis.set_xticks(x)
        axis.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        for ticks in (axis.xaxis, axis.yaxis):
            ticks.set_major_formatter(ScalarFormatter())
            ticks.set_minor_formatter(NullFormatter())
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    axes[0].set_title("Cost against hidden units")
    axes[1].set_title("Cost against batch size")
    figure.suptitle("windowner: seconds per training epoch (203,621 windows)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


# ------------------------------------------------------------------------------------------------
# Machine, targets, helpers
# ------------------------------------------------------------------------------------------------


def machine() -> dict:
    """Cores, CPU, Python, numpy and its BLAS (library, version, kernel, threads)."""
    import numpy as np

    info = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }
    try:
        from threadpoolctl import threadpool_info

        blas = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
        if blas:
            lib = blas[0]
            info["blas"] = (
                f"{lib.get('internal_api')} {lib.get('version')}, kernel {lib.get('architecture')}"
                f", {lib.get('num_threads')} threads"
            )
    except ImportError:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{config.get('name')} {config.get('version')} (threadpoolctl not installed)"
    return info


def check_targets(results: dict) -> dict:
    verdicts = {}
    for key, (kind, bound) in TARGETS.items():
        value = results.get(key)
        met = None if value is None else (value <= bound if kind == "max" else value >= bound)
        sign = "≤" if kind == "max" else "≥"
        verdicts[key] = {"target": f"{sign} {bound:,}", "value": value, "met": met}
        if results.get(f"{key}_starved"):  # a figure other processes made meaningless
            verdicts[key]["met"] = None
            verdicts[key]["note"] = (
                "torch on 2 threads was slower than on 1: other processes held a core; "
                "run again on a quiet machine"
            )
    return verdicts


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat (None elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _others_share(before, started: float, results: dict) -> float | None:
    """Share of the machine's CPU time that other processes used while the bench ran: how
    disturbed these figures are (0 on a quiet machine)."""
    after = _cpu_jiffies()
    if before is None or after is None:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    busy = (after[0] - before[0]) / ticks
    capacity = (after[1] - before[1]) / ticks
    own = _children_cpu_seconds + time.process_time()
    return round(max(busy - own, 0.0) / capacity, 3) if capacity else None


def _console_script(name: str, module: str) -> list[str]:
    script = Path(sys.executable).parent / name
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", f"from {module} import run; run()"]


def _tokens(path: Path) -> int:
    from windowner.data.conll import read_conll

    return read_conll(path).tokens


def _head_of_conll(source: Path, target: Path, *, tokens: int = 0, sentences: int = 0) -> Path:
    """The first sentences of a CoNLL file, as written there, until `tokens` tokens or
    `sentences` sentences are reached."""
    kept, n_tokens, n_sentences = [], 0, 0
    for line in source.read_text(encoding="utf-8").splitlines():
        kept.append(line)
        if line.strip() and not line.startswith("-DOCSTART-"):
            n_tokens += 1
        elif not line.strip() and kept[-2:-1] and kept[-2].strip():
            if not kept[-2].startswith("-DOCSTART-"):
                n_sentences += 1
            if (tokens and n_tokens >= tokens) or (sentences and n_sentences >= sentences):
                break
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    main()
