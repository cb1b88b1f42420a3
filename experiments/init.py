"""Keep training a model you have: what `ner-train --init` forgets and learns, 3 seeds each.

The scenario of issue 25: a model exists that knows PER, LOC and ORG but not MISC, and a few
hundred sentences annotated with MISC arrive. Four models are scored on the real CoNLL-2003 dev
file (MISC kept; test for information only, it selects nothing):

- base: the default config (configs/conll2003.toml) on train.txt with every MISC tag turned into
  O, its epoch chosen on valid.txt with MISC turned into O too (it never sees a MISC tag);
- init: `ner-train --init BASE` on the sample below (MISC kept), its epoch chosen on valid.txt;
  two step sizes, the one with the better mean dev F1 over seeds is reported;
- scratch: the default config trained from scratch on the same sample, the same two step sizes
  and the same choice;
- default: the full default model (/work/models/default.npz, all of train.txt, MISC kept), read
  from its file, not trained here.

The sample is SAMPLE_SIZE sentences of train.txt drawn with SAMPLE_SEED, each kept in its own
document (a -DOCSTART- before the sentences of each source document, in their original order)
so the document-context feature reads what it can. These sentences are also in base's training
data, with MISC as O: the new annotation relabels sentences the model has seen, as a user's
correction of a model's missing label would.

Seed N of init starts from seed N of base. Every run is one `ner-train` subprocess into
runs/init/ARM/seed-N, two at a time with one BLAS thread each (the machine has two cores); a run
whose scores.json exists is not run again. Every model is then scored with `ner-eval --json` on
valid.txt and test.txt (cached beside it as dev.json and test.json; once they are there, only
base's model.npz is needed again, by init, and the others may be deleted: 84 MB each).

    python experiments/init.py              # everything missing, then the table
    python experiments/init.py base scratch # some arms (init needs base)
    python experiments/init.py --table      # only rebuild the table from what is there

Results: experiments/init-results.json (every seed's figures) and experiments/init.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONLL = ROOT / "data" / "conll2003"
RUNS = ROOT / "runs" / "init"
DATA = RUNS / "data"
RESULTS = ROOT / "experiments" / "init-results.json"
TABLE = ROOT / "experiments" / "init.md"
DEFAULT_MODEL = Path("/work/models/default.npz")
SEEDS = (0, 1, 2)
PARALLEL = 2
SAMPLE_SIZE = 400
SAMPLE_SEED = 0
STEP_SIZES = (0.2, 0.05)  # the default α, and a quarter of it (nearer the base's last epochs)
TYPES = ("PER", "LOC", "ORG", "MISC")
BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "PYTHONPATH": str(ROOT / "src"),  # this checkout's windowner, whatever the venv points at
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


def read_documents(path: Path) -> list[list[list[str]]]:
    """A CoNLL file as documents of sentences of raw lines (-DOCSTART- starts a document)."""
    documents: list[list[list[str]]] = [[]]
    sentence: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("-DOCSTART-"):
            documents.append([])
        elif line.strip():
            sentence.append(line)
        elif sentence:
            documents[-1].append(sentence)
            sentence = []
    return [document for document in documents if document]


def write_documents(path: Path, documents: list[list[list[str]]]) -> None:
    lines: list[str] = []
    for document in documents:
        lines += ["-DOCSTART- -X- -X- O", ""]
        for sentence in document:
            lines += [*sentence, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def without_misc(line: str) -> str:
    """A CoNLL line with B-MISC / I-MISC (its last column) turned into O."""
    *columns, tag = line.split(" ")
    return " ".join([*columns, "O" if tag.endswith("-MISC") else tag])


def prepare_data() -> dict[str, Path]:
    """train.txt and valid.txt without MISC, and the sample (MISC kept) -> their paths."""
    DATA.mkdir(parents=True, exist_ok=True)
    files = {
        "train-no-misc": DATA / "train-no-misc.txt",
        "dev-no-misc": DATA / "valid-no-misc.txt",
        "sample": DATA / f"train-sample-{SAMPLE_SIZE}.txt",
    }
    train = read_documents(CONLL / "train.txt")
    for name, source in (("train-no-misc", train), ("dev-no-misc", None)):
        documents = source if source is not None else read_documents(CONLL / "valid.txt")
        stripped = [[[without_misc(line) for line in s] for s in d] for d in documents]
        write_documents(files[name], stripped)
    places = [(d, s) for d, document in enumerate(train) for s in range(len(document))]
    chosen = sorted(random.Random(SAMPLE_SEED).sample(places, SAMPLE_SIZE))
    sample: dict[int, list[list[str]]] = {}
    for d, s in chosen:
        sample.setdefault(d, []).append(train[d][s])
    write_documents(files["sample"], list(sample.values()))
    return files


def arms(files: dict[str, Path]) -> dict[str, tuple[str, list[str]]]:
    """Arm name -> (what it is, its ner-train arguments for seed {seed}; '{seed}' filled later)."""
    found = {
        "base": (
            "default config on train.txt with MISC → O (dev: valid.txt with MISC → O)",
            ["--train", files["train-no-misc"], "--dev", files["dev-no-misc"]],
        )
    }
    sample = ["--train", files["sample"], "--dev", CONLL / "valid.txt"]
    for lr in STEP_SIZES:
        found[f"init-lr{lr}"] = (
            f"--init base (same seed) on the {SAMPLE_SIZE} sentences, α = {lr}",
            [
                *sample,
                "--init",
                RUNS / "base" / "seed-{seed}" / "model.npz",
                "--set",
                f"training.lr={lr}",
            ],
        )
        found[f"scratch-lr{lr}"] = (
            f"from scratch on the {SAMPLE_SIZE} sentences, α = {lr}",
            [*sample, "--set", f"training.lr={lr}"],
        )
    return found


def train_one(arm: str, seed: int, arguments: list) -> Path | None:
    """`ner-train` for (arm, seed) unless its scores.json is there -> its folder (None: failed)."""
    out = RUNS / arm / f"seed-{seed}"
    if not (out / "scores.json").exists():
        command = [str(BIN / "ner-train"), "--config", "configs/conll2003.toml"]
        command += ["--set", "model.prior_dim=0"]  # measured before the prior's default; --init
        command += [str(a).replace("{seed}", str(seed)) for a in arguments]
        command += ["--seed", str(seed), "--out", str(out), "--force", "--quiet"]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
        if done.returncode:
            print(f"{arm} seed {seed} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
            return None
        (out / "seconds.txt").write_text(f"{time.perf_counter() - started:.1f}\n")
        for model_file in out.glob("*.npz"):  # model.npz stays: init reads base's, eval reads all
            if model_file.name != "model.npz":
                model_file.unlink()
    return out


def score(model: Path, split: str, cache: Path) -> dict:
    """`ner-eval --json` of `model` on CoNLL's `split` file, cached in `cache`."""
    if not cache.exists():
        data = CONLL / f"{split}.txt"
        command = [str(BIN / "ner-eval"), str(model), str(data), "--json"]
        done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"ner-eval {model} {data} failed:\n{done.stderr[-2000:]}")
        cache.write_text(done.stdout)
    return json.loads(cache.read_text())


def figures(arm: str, seed: int | None, model: Path, folder: Path) -> dict:
    """One model's dev and test F1, overall and per type, from ner-eval."""
    result: dict = {"arm": arm, "seed": seed}
    for split, name in (("valid", "dev"), ("test", "test")):
        report = score(model, split, folder / f"{name}.json")
        result[f"{name}_f1"] = report["overall"]["f1"]
        for kind in TYPES:
            result[f"{name}_{kind}"] = report["per_type"].get(kind, {}).get("f1", 0.0)
    scores_file = folder / "scores.json"
    if scores_file.exists():
        scores = json.loads(scores_file.read_text())
        result["best_epoch"] = scores["best_epoch"]
        result["selection_dev_f1"] = scores["dev"]["overall"]["f1"]
    seconds = folder / "seconds.txt"
    if seconds.exists():
        result["seconds"] = float(seconds.read_text())
    print(json.dumps(result), flush=True)
    return result


def collect(all_arms: dict) -> list[dict]:
    found = []
    for arm in all_arms:
        for seed in SEEDS:
            folder = RUNS / arm / f"seed-{seed}"
            scored = all((folder / name).exists() for name in ("dev.json", "test.json"))
            if (folder / "scores.json").exists() and (scored or (folder / "model.npz").exists()):
                found.append(figures(arm, seed, folder / "model.npz", folder))
    if DEFAULT_MODEL.exists():
        folder = RUNS / "default"
        folder.mkdir(parents=True, exist_ok=True)
        found.append(figures("default", None, DEFAULT_MODEL, folder))
    return found


def chosen(results: list[dict], prefix: str) -> str | None:
    """The step size of arm `prefix` with the best mean dev F1 (only complete arms compete)."""
    candidates = {}
    for lr in STEP_SIZES:
        dev = [r["dev_f1"] for r in results if r["arm"] == f"{prefix}-lr{lr}"]
        if dev:
            candidates[f"{prefix}-lr{lr}"] = (len(dev), statistics.fmean(dev))
    if not candidates:
        return None
    most = max(n for n, _ in candidates.values())
    return max(
        (arm for arm in candidates if candidates[arm][0] == most),
        key=lambda arm: candidates[arm][1],
    )


def table(results: list[dict], all_arms: dict) -> str:
    def mean_sd(values: list[float]) -> str:
        if not values:
            return "–"
        if len(values) < 2:
            return f"{values[0]:.4f}"
        return f"{statistics.fmean(values):.4f} ± {statistics.stdev(values):.4f}"

    def of(arm: str, key: str) -> list[float]:
        return [r[key] for r in results if r["arm"] == arm]

    rows = [
        ("base", "base (MISC → O)"),
        (chosen(results, "init"), "--init from base"),
        (chosen(results, "scratch"), "scratch on the sample"),
        ("default", "full default"),
    ]
    rows = [(arm, label) for arm, label in rows if arm and of(arm, "dev_f1")]
    lines = []
    for split in ("dev", "test"):
        lines += [
            f"**CoNLL {split}** (F1, mean ± sd over seeds)"
            + ("" if split == "dev" else ", for information only"),
            "",
            "| model | seeds | overall | PER | LOC | ORG | MISC |",
            "|---|---|---|---|---|---|---|",
        ]
        for arm, label in rows:
            cells = [mean_sd(of(arm, f"{split}_f1"))] + [
                mean_sd(of(arm, f"{split}_{kind}")) for kind in TYPES
            ]
            name = label if arm in ("base", "default") else f"{label} ({arm})"
            lines.append(f"| {name} | {len(of(arm, 'dev_f1'))} | " + " | ".join(cells) + " |")
        lines.append("")
    init, scratch = chosen(results, "init"), chosen(results, "scratch")
    if init and of("base", "dev_f1"):
        lines += [
            "**Forgotten and learned** (dev F1 points, means: --init against base on the types "
            "base knows, against scratch and the full default on MISC)",
            "",
            "| | PER | LOC | ORG | MISC |",
            "|---|---|---|---|---|",
        ]

        def mean(arm: str, key: str) -> float:
            return statistics.fmean(of(arm, key))

        def points(arm: str, other: str, kind: str) -> str:
            return f"{100 * (mean(arm, f'dev_{kind}') - mean(other, f'dev_{kind}')):+.2f}"

        lines.append(
            "| --init − base | " + " | ".join(points(init, "base", k) for k in TYPES) + " |"
        )
        for other, name in ((scratch, "scratch"), ("default", "full default")):
            if other and of(other, "dev_f1"):
                cells = " | ".join(points(init, other, k) for k in TYPES)
                lines.append(f"| --init − {name} | {cells} |")
        lines.append("")
    lines += [
        "**Every step size** (dev F1, mean ± sd; the better of each pair is reported above)",
        "",
        "| arm | what | seeds | dev overall | dev MISC | best epochs |",
        "|---|---|---|---|---|---|",
    ]
    for arm, (what, _) in all_arms.items():
        if arm != "base" and of(arm, "dev_f1"):
            epochs = ", ".join(str(e) for e in of(arm, "best_epoch"))
            lines.append(
                f"| {arm} | {what} | {len(of(arm, 'dev_f1'))} | "
                f"{mean_sd(of(arm, 'dev_f1'))} | {mean_sd(of(arm, 'dev_MISC'))} | {epochs} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arms", nargs="*", help="arms to run: base, init, scratch (default: all)")
    parser.add_argument("--table", action="store_true", help="only rebuild the table")
    parser.add_argument("--seeds", help="comma-separated seeds instead of 0,1,2")
    args = parser.parse_args()
    files = prepare_data()
    all_arms = arms(files)
    if not args.table:
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else SEEDS
        wanted = args.arms or ["base", "init", "scratch"]
        first = [a for a in all_arms if a.split("-")[0] in wanted and not a.startswith("init")]
        then = [a for a in all_arms if a.startswith("init") and "init" in wanted]
        with ThreadPoolExecutor(PARALLEL) as pool:
            for group in (first, then):  # init starts from base: base (and scratch) first
                jobs = [(arm, seed) for arm in group for seed in seeds]
                list(pool.map(lambda job: train_one(*job, all_arms[job[0]][1]), jobs))
    results = collect(all_arms)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results, all_arms))


if __name__ == "__main__":
    main()
