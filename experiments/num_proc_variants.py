"""Where `ner-tag --num-proc 2`'s ratio over one process is lost on 2 cores (issue 24).

Variants of the same run on the bench's 1.2M-token text (CoNLL-2003's three files as running
text, 4 times over), alternating round after round so that each sees the same machine; for each
the best wall seconds and the CPU seconds of the process and its workers (wait4):

- `n1`: one process as ner-tag runs it (two forward blocks at once, batches tagged ahead);
- `n1_one_core`: the same pinned to one core, so that its threads have nothing to run on: the
  CPU one process's work costs without the overlap, what N = 2 divides between two cores;
- `n2`: --num-proc 2 (each worker one forward thread, BLAS on one thread);
- `n2_two_forward_threads`: each worker runs two forward blocks at once, as one process does;
- `n2_blas_2`: OPENBLAS_NUM_THREADS=2 in every worker (the product on two threads);
- `n3`: three workers on the two cores.

    python experiments/num_proc_variants.py MODEL [--rounds 3] [--only n1,n2]

Prints one JSON object and writes experiments/num-proc-variants.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "benchmarks"))

from child_process import console_script  # noqa: E402
from corpus import raw_text  # noqa: E402
from machine import machine  # noqa: E402
from num_proc_speed import REPEATS, timed  # noqa: E402

# --num-proc 2 with each worker given the threads of 4 cores' share: 2 forward blocks at once.
TWO_FORWARD_THREADS = (
    "import sys; from windowner.tagging import parallel; "
    "parallel.usable_cores = lambda: 4; from windowner.cli.tag import run; "
    "sys.argv[0] = 'ner-tag'; run()"
)


def variants(model: Path, text: Path) -> dict[str, tuple[list, dict | None, set | None]]:
    """name -> (command, environment added, cores to pin it to)."""
    tag = [*console_script("ner-tag", "windowner.cli.tag"), model, text]
    one_core = {min(os.sched_getaffinity(0))}
    return {
        "n1": ([*tag, "--num-proc", "1"], None, None),
        "n1_one_core": ([*tag, "--num-proc", "1"], None, one_core),
        "n2": ([*tag, "--num-proc", "2"], None, None),
        "n2_two_forward_threads": (  # numpy is imported before ner-tag could set BLAS
            [sys.executable, "-c", TWO_FORWARD_THREADS, model, text, "--num-proc", "2"],
            {"OPENBLAS_NUM_THREADS": "1"},
            None,
        ),
        "n2_blas_2": ([*tag, "--num-proc", "2"], {"OPENBLAS_NUM_THREADS": "2"}, None),
        "n3": ([*tag, "--num-proc", "3"], None, None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated variants")
    parser.add_argument("--out", type=Path, default=HERE / "num-proc-variants.json")
    args = parser.parse_args()
    results: dict = {"machine": machine(), "load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="num-proc-variants-") as work:
        work = Path(work)
        once, tokens = raw_text(work / "raw-once.txt")
        text = work / "raw.txt"
        text.write_text(once.read_text(encoding="utf-8") * REPEATS, encoding="utf-8")
        chosen = variants(args.model.resolve(), text)
        if args.only:
            chosen = {name: chosen[name] for name in args.only.split(",")}
        runs: dict[str, list[dict]] = {name: [] for name in chosen}
        for _ in range(args.rounds):
            for name, (command, env, cores) in chosen.items():
                if env:
                    os.environ.update(env)
                try:
                    runs[name].append(timed([*command, "-o", work / f"{name}.jsonl"], cores))
                finally:
                    for key in env or {}:
                        del os.environ[key]
        reference = (work / "n1.jsonl").read_bytes() if "n1" in chosen else None
        for name, measured in runs.items():
            ok = [run for run in measured if "error" not in run]
            if not ok:
                results[name] = measured[0]
                continue
            best = min(ok, key=lambda run: run["seconds"])
            results[name] = {
                **best,
                "tokens_per_s": round(tokens * REPEATS / best["seconds"]),
                "cores_used": round(best["cpu_seconds"] / best["seconds"], 2),
                "all_seconds": [run["seconds"] for run in measured],
            }
            if reference is not None:
                results[name]["same_output_as_n1"] = (
                    work / f"{name}.jsonl"
                ).read_bytes() == reference
        if "n1" in results:
            for name in runs:
                if name != "n1" and "seconds" in results.get(name, {}):
                    ratio = results["n1"]["seconds"] / results[name]["seconds"]
                    results[name]["speed_over_n1"] = round(ratio, 3)
    results["load_average_after"] = os.getloadavg()
    printed = json.dumps(results, indent=2)
    args.out.write_text(printed + "\n", encoding="utf-8")
    print(printed)


if __name__ == "__main__":
    main()
