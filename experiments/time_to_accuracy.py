"""Time to accuracy: the default's dev and test F1 in less wall time, 3 seeds each.

The issue "Every core, a smaller model, and time to accuracy" asks for the fastest honest way to
the default's accuracy (the same mean dev and test F1 within one standard deviation, 3 seeds),
with the lecture's plain SGD as the update rule. Each row is the default config
(configs/conll2003.toml) with a few `--set` overrides, run as experiments/ablation.py runs its rows
(runs/time-to-accuracy/ROW/seed-N, two at a time with one BLAS thread each; a run whose
scores.json exists is not run again). The wall times in this table come from runs sharing the
machine; the side-by-side time of the chosen row against the default is `make bench`'s.

    python experiments/time_to_accuracy.py                  # every row
    python experiments/time_to_accuracy.py b64 e15          # some rows
    python experiments/time_to_accuracy.py --table          # only rebuild the table

Results: experiments/time-to-accuracy-results.json and experiments/time-to-accuracy.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ablation import PARALLEL, ROOT, SEEDS, run_seed, table

RUNS = ROOT / "runs" / "time-to-accuracy"
RESULTS = ROOT / "experiments" / "time-to-accuracy-results.json"
TABLE = ROOT / "experiments" / "time-to-accuracy.md"

# The default decays α from 0.2 by 0.92 an epoch: 0.02 by epoch 28. A 15-epoch schedule with
# gamma 0.85 ends at the same step size (0.2 · 0.85^14 ≈ 0.021). A batch twice as large takes half
# as many steps, each on a mean loss over twice the windows: α doubles to keep the step per
# window (the linear scaling rule).
# name -> (what it measures, overrides of the default config)
ROWS: dict[str, tuple[str, list[str]]] = {
    "default": ("the default as it stands (30 epochs, batches of 32, α 0.2)", []),
    "b64": ("batches of 64, α 0.4", ["training.batch_size=64", "training.lr=0.4"]),
    "e15": ("15 epochs, gamma 0.85", ["training.epochs=15", "training.gamma=0.85"]),
    "b64-e15": (
        "batches of 64, α 0.4, 15 epochs, gamma 0.85",
        ["training.batch_size=64", "training.lr=0.4", "training.epochs=15", "training.gamma=0.85"],
    ),
}


def default_from_ablation() -> list[dict]:
    """The default row's seeds as experiments/ablation.py measured them (its `no-affixes` row:
    the same config and the same numbers, since training is bit-reproducible)."""
    measured = json.loads((ROOT / "experiments" / "ablation-results.json").read_text())
    return [{**r, "row": "default"} for r in measured if r["row"] == "no-affixes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="*", help=f"rows to run (default: all of {', '.join(ROWS)})")
    parser.add_argument("--table", action="store_true", help="only rebuild the table")
    parser.add_argument("--seeds", help="comma-separated seeds instead of 0,1,2")
    args = parser.parse_args()
    unknown = [r for r in args.rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown rows {', '.join(unknown)}; choose from {', '.join(ROWS)}")
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else SEEDS
    if not args.table:
        rows = args.rows or [row for row in ROWS if row != "default"]
        jobs = [(row, seed) for row in rows for seed in seeds]
        with ThreadPoolExecutor(PARALLEL) as pool:
            list(pool.map(lambda job: run_seed(RUNS, job[0], job[1], ROWS[job[0]][1]), jobs))
    results = [
        run_seed(RUNS, row, seed, ROWS[row][1])
        for row in ROWS
        for seed in SEEDS
        if (RUNS / row / f"seed-{seed}" / "scores.json").exists()
    ]
    if not any(r["row"] == "default" for r in results):
        results += default_from_ablation()
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    TABLE.write_text(table(results, ROWS, base="default"))
    print(TABLE.read_text())


if __name__ == "__main__":
    main()
