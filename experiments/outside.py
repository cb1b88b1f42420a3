"""What the window cannot see: word clusters, lexicons and wider context, on and off, 3 seeds each.

The issue "What the window cannot see" (lexicons, word clusters, the rest of the document) asks
for every ingredient on top of the default, measured on 3 seeds (mean ± sd), dev selecting and
test never selecting anything. Each row is the default config (configs/conll2003.toml) with a
few `--set` overrides; Δ is against the `default` row. Runs go to runs/outside/ROW/seed-N, two
at a time with one BLAS thread each, as experiments/ablation.py runs them (its run_seed and
table are used here); a run whose scores.json exists is not run again.

    python experiments/outside.py                  # every row
    python experiments/outside.py clusters         # some rows
    python experiments/outside.py --table          # only rebuild the table from the runs

Results: experiments/outside-results.json (every seed's dev and test F1 and best epoch) and
experiments/outside.md (the table).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ablation import PARALLEL, ROOT, SEEDS, run_seed, table  # noqa: E402

RUNS = ROOT / "runs" / "outside"
RESULTS = ROOT / "experiments" / "outside-results.json"
TABLE = ROOT / "experiments" / "outside.md"

LEXICONS = "model.lexicons=" + json.dumps(
    sorted(str(p.relative_to(ROOT)) for p in (ROOT / "data" / "lexicons").glob("*.tsv"))
)
CLUSTERS = ["model.cluster_sizes=[64, 256, 1024]", "model.cluster_dim=4"]

# name -> (what it measures, overrides of the default config)
ROWS: dict[str, tuple[str, list[str]]] = {
    "default": ("the default as it stands (configs/conll2003.toml)", []),
    "window-3": ("windows of 7 words (3 each side)", ["model.window=3"]),
    "hidden-500": ("500 hidden units", ["model.hidden=500"]),
    "clusters": ("+ k-means word clusters of 64, 256, 1024 (4 wide each)", CLUSTERS),
    "lexicons": ("+ the shipped lexicons (4 wide per type)", [LEXICONS, "model.lexicon_dim=4"]),
    "both": ("+ clusters and lexicons", [*CLUSTERS, LEXICONS, "model.lexicon_dim=4"]),
    "prior": ("+ the document prior (4 wide, 3 folds)", ["model.prior_dim=4"]),
}


def default_from_ablation() -> list[dict]:
    """The default row's seeds as experiments/ablation.py measured them (its `no-affixes` row:
    the same config, and the same numbers, since training is bit-reproducible and
    benchmarks/param_digest.py gives the same digest at both commits), when not run here."""
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
        jobs = [(row, seed) for row in (args.rows or ROWS) for seed in seeds]
        with ThreadPoolExecutor(PARALLEL) as pool:
            list(pool.map(lambda job: run_seed(RUNS, job[0], job[1], ROWS[job[0]][1]), jobs))
    # Seeds measured before and committed stay in the table when their run folders are gone
    # (runs/ is not committed); a run folder here replaces its committed figures.
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    results = {(r["row"], r["seed"]): r for r in kept if r["row"] in ROWS}
    for row in ROWS:
        for seed in SEEDS:
            if (RUNS / row / f"seed-{seed}" / "scores.json").exists():
                results[row, seed] = run_seed(RUNS, row, seed, ROWS[row][1])
    results = sorted(results.values(), key=lambda r: (list(ROWS).index(r["row"]), r["seed"]))
    if not any(r["row"] == "default" for r in results):
        results += default_from_ablation()
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    TABLE.write_text(table(results, ROWS, base="default"))
    print(TABLE.read_text())


if __name__ == "__main__":
    main()
