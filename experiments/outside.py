"""What the window cannot see: word clusters, lexicons and wider context, on and off, 3 seeds each.

The issue "What the window cannot see" (lexicons, word clusters, the rest of the document) asks
for every ingredient on top of the default, measured on 3 seeds (mean ± sd), dev selecting and
test never selecting anything. Each row is configs/conll2003.toml with a few `--set`
overrides, the document prior off unless the row turns it on (ablation.run_seed pins
model.prior_dim=0: these rows were measured before the prior became the default). The first
table's Δ is against `default`, the default before the prior; the second's against `prior`, the
new default. Runs go to runs/outside/ROW/seed-N, two at a time with one BLAS thread each, as
experiments/ablation.py runs them (its run_seed and table are used here); a run whose
scores.json exists is not run again. The prior rows keep their model.npz, which `--ensemble ROW`
joins into one ensemble (runs/outside/ROW/ensemble), scored on dev and once on test.

    python experiments/outside.py                  # every row
    python experiments/outside.py clusters         # some rows
    python experiments/outside.py --ensemble prior+clusters
    python experiments/outside.py --table          # only rebuild the tables from the runs

Results: experiments/outside-results.json (every seed's dev and test F1 and best epoch, and each
ensemble's) and experiments/outside.md (the tables).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ablation import PARALLEL, ROOT, SEEDS, run_seed, table

RUNS = ROOT / "runs" / "outside"
RESULTS = ROOT / "experiments" / "outside-results.json"
TABLE = ROOT / "experiments" / "outside.md"

LEXICONS = "model.lexicons=" + json.dumps(
    sorted(str(p.relative_to(ROOT)) for p in (ROOT / "data" / "lexicons").glob("*.tsv"))
)
CLUSTERS = ["model.cluster_sizes=[64, 256, 1024]", "model.cluster_dim=4"]

# name -> (what it measures, overrides of the default config)
ROWS: dict[str, tuple[str, list[str]]] = {
    "default": ("the default before the document prior (configs/conll2003.toml, prior off)", []),
    "window-3": ("windows of 7 words (3 each side)", ["model.window=3"]),
    "hidden-500": ("500 hidden units", ["model.hidden=500"]),
    "clusters": ("+ k-means word clusters of 64, 256, 1024 (4 wide each)", CLUSTERS),
    "lexicons": ("+ the shipped lexicons (4 wide per type)", [LEXICONS, "model.lexicon_dim=4"]),
    "both": ("+ clusters and lexicons", [*CLUSTERS, LEXICONS, "model.lexicon_dim=4"]),
    "prior": ("+ the document prior (4 wide, 3 folds)", ["model.prior_dim=4"]),
    "prior+clusters": (
        "the document prior and word clusters",
        ["model.prior_dim=4", *CLUSTERS],
    ),
    "prior+lexicons": (
        "the document prior and the shipped lexicons",
        ["model.prior_dim=4", LEXICONS, "model.lexicon_dim=4"],
    ),
}


# The rows whose best models are kept, for --ensemble; the first table's and the second's rows.
KEEP = {"prior", "prior+clusters", "prior+lexicons"}
NEW_DEFAULT = "prior"
SECOND = {row: ROWS[row] for row in ROWS if row.startswith("prior")}
FIRST = {row: what for row, what in ROWS.items() if row not in SECOND or row == NEW_DEFAULT}


def ensemble(row: str) -> dict:
    """The row's kept seed models joined into one ensemble, scored on dev and test."""
    sys.path.insert(0, str(ROOT / "src"))
    from windowner.config import load_config
    from windowner.training.multiseed import join_seeds

    runs = [RUNS / row / f"seed-{seed}" for seed in SEEDS]
    missing = [str(r) for r in runs if not (r / "model-best.npz").exists()]
    if missing:
        raise SystemExit(f"no kept model in {', '.join(missing)}: run the row first")
    out = RUNS / row / "ensemble"
    out.mkdir(parents=True, exist_ok=True)
    config = load_config(ROOT / "configs" / "conll2003.toml", {"out": str(out)})
    joined = join_seeds(config, runs, out, print)
    scores = json.loads((out / "scores.json").read_text())
    return {
        "row": f"{row} ensemble",
        "seeds": list(SEEDS),
        "dev_f1": scores["dev"]["overall"]["f1"],
        "test_f1": scores["test"]["overall"]["f1"],
        "model_mb": round((out / "model.npz").stat().st_size / 1e6, 2),
        "joined": joined.get("model", str(out / "model.npz")),
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
    parser.add_argument("--ensemble", metavar="ROW", help="join a kept row's seeds into one")
    args = parser.parse_args()
    unknown = [r for r in args.rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown rows {', '.join(unknown)}; choose from {', '.join(ROWS)}")
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else SEEDS
    joined = [ensemble(args.ensemble)] if args.ensemble else []
    if not args.table and not args.ensemble:
        jobs = [(row, seed) for row in (args.rows or ROWS) for seed in seeds]
        with ThreadPoolExecutor(PARALLEL) as pool:
            list(
                pool.map(
                    lambda job: run_seed(
                        RUNS, job[0], job[1], ROWS[job[0]][1], keep=job[0] in KEEP
                    ),
                    jobs,
                )
            )
    # Seeds measured before and committed stay in the table when their run folders are gone
    # (runs/ is not committed); a run folder here replaces its committed figures.
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    ensembles = {r["row"]: r for r in kept if r["row"].endswith(" ensemble")}
    ensembles.update({r["row"]: r for r in joined})
    results = {(r["row"], r["seed"]): r for r in kept if r["row"] in ROWS}
    for row in ROWS:
        for seed in SEEDS:
            if (RUNS / row / f"seed-{seed}" / "scores.json").exists():
                results[row, seed] = run_seed(RUNS, row, seed, ROWS[row][1])
    results = sorted(results.values(), key=lambda r: (list(ROWS).index(r["row"]), r["seed"]))
    if not any(r["row"] == "default" for r in results):
        results += default_from_ablation()
    RESULTS.write_text(json.dumps(results + list(ensembles.values()), indent=1) + "\n")
    TABLE.write_text(
        "Before the document prior: Δ against the default before it.\n\n"
        + table(results, FIRST, base="default")
        + "\nOn top of the new default (the document prior): Δ against it.\n\n"
        + table(results, SECOND, base=NEW_DEFAULT)
        + "".join(
            f"\n{r['row']} (seeds {', '.join(map(str, r['seeds']))}, {r['model_mb']} MB): "
            f"dev {r['dev_f1']:.4f}, test {r['test_f1']:.4f}\n"
            for r in ensembles.values()
        )
    )
    print(TABLE.read_text())


if __name__ == "__main__":
    main()
