"""`make bench`: what windowner costs, how the cost grows, and how close it is to the machine.

Runs every measurement of benchmarks/measure.py in its own process (so that each one's peak
memory is its own), prints one JSON object and writes it to benchmarks/results.json, with the
scaling plot in benchmarks/scaling.png. About 11 minutes on a quiet 2-core machine (the numproc
part's nine runs of ner-tag take one), 14 when other processes share it (torch's two threads
suffer most: see the compare part).

    python benchmarks/run.py                 # everything
    python benchmarks/run.py --only train,tag

Each part is a module named after what it measures: train_speed, matmul_floor, epoch_profile,
tag_speed, num_proc_speed (the numproc part), model_size, torch_compare with twin_check and
feature_costs, vector_loading, analogy, scaling (and scaling_plot); targets holds the issue's
bounds, machine the figures' circumstances.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from analogy import bench_analogy
from child_process import children_cpu_seconds
from epoch_profile import bench_profile
from feature_costs import bench_feature_cost
from machine import cpu_jiffies, machine, others_share
from matmul_floor import bench_matmul
from model_size import bench_size
from num_proc_speed import bench_num_proc
from project import PLOT, RESULTS
from scaling import bench_scaling
from scaling_plot import plot_scaling
from tag_speed import bench_tag
from targets import check_targets
from torch_compare import bench_compare
from train_speed import bench_train
from twin_check import bench_twin_check
from vector_loading import bench_vectors

PARTS = (
    "train",
    "matmul",
    "profile",
    "tag",
    "numproc",
    "size",
    "compare",
    "vectors",
    "analogy",
    "scaling",
)


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

    started, cpu_before = time.perf_counter(), cpu_jiffies()
    results: dict = {"machine": machine(), "load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="windowner-bench-") as tmp:
        work = Path(tmp)
        model = work / "train" / "model.npz"
        if parts & {"train", "matmul", "profile", "tag", "numproc", "size"}:  # they use its model
            results.update(bench_train(work / "train", args.epochs))
        if "matmul" in parts:
            results.update(bench_matmul(model, results))
        if "profile" in parts:
            results["profile"] = bench_profile(model)
        if "tag" in parts:
            results.update(bench_tag(model, work))
        if "numproc" in parts:
            results.update(bench_num_proc(model, work))
        if "size" in parts:
            results.update(bench_size(model, work))
        if "compare" in parts:
            results.update(bench_compare())
            results.update(bench_twin_check())
            results.update(bench_feature_cost())
        if "vectors" in parts:
            results.update(bench_vectors(work))
        if "analogy" in parts:
            results.update(bench_analogy())
        if "scaling" in parts:
            results["scaling"] = bench_scaling(work, results)
            results["scaling_plot"] = plot_scaling(results["scaling"], PLOT)
    results["targets"] = check_targets(results)
    results["load_average_after"] = os.getloadavg()
    results["other_processes_cpu_share"] = others_share(cpu_before, children_cpu_seconds())
    results["bench_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
