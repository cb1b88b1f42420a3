"""One training epoch of windowner against the same model in PyTorch (benchmarks/torch_twin.py):
the ratio that is the issue's target (the `compare` part of run.py, measure.py's `compare`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from child_process import measure
from matmul_floor import matmul_floor
from windowner_run import prepared_run, windowner_epoch

STARVED = 1.25  # torch's 2-thread best this much slower than its 1-thread best: starved


def bench_compare() -> dict:
    """One epoch of windowner against the same model in PyTorch, for both heads.

    Each head in a process of its own where the two alternate (best of 3 epochs each for the
    default sigmoid head, whose ratio is the target; of 2 for the softmax head).
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
    return found


def measure_compare(args) -> dict:
    """One epoch of windowner against one of the torch twin, alternating, in this one process.

    Both start from windowner's initialised parameters (copied into the twin before windowner's
    first step) and see the same shuffled order each epoch, drawn from the run's generator as
    loop.run_epochs draws it. Windowner has BLAS on 1 thread (as ner-train), torch 2 threads
    (the issue's setting); a second twin on 1 thread runs in the same rounds, for comparison.
    The best epoch of each is the figure (the least disturbed by other processes); ratio =
    torch_best / windowner_best, above 1 where windowner is faster.
    """
    import torch
    from torch_twin import TorchTwin

    with tempfile.TemporaryDirectory(prefix="windowner-compare-") as out:
        run = prepared_run(args.set, Path(out))
        seed = run.config.training.seed
        twin, twin_1 = TorchTwin(run, seed), TorchTwin(run, seed, threads=1)
        rows = []
        for epoch in range(1, args.repeats + 1):
            order = run.rng.permutation(run.units)
            first_step = (epoch - 1) * run.steps_per_epoch
            load = os.getloadavg()[0]
            windowner_s, windowner_loss = windowner_epoch(run, order, epoch)
            torch_s, torch_loss = twin.train_epoch(order, epoch, first_step)
            torch_1_s, _ = twin_1.train_epoch(order, epoch, first_step)
            rows.append(
                {
                    "epoch": epoch,
                    "load_average_1min": round(load, 2),
                    "windowner_seconds": round(windowner_s, 3),
                    "torch_seconds": round(torch_s, 3),
                    "torch_seconds_1_thread": round(torch_1_s, 3),
                    "windowner_train_loss": round(windowner_loss, 5),
                    "torch_train_loss": round(torch_loss, 5),
                }
            )
        floor = matmul_floor(run)
    windowner_best = min(r["windowner_seconds"] for r in rows)
    torch_best = min(r["torch_seconds"] for r in rows)
    torch_1_best = min(r["torch_seconds_1_thread"] for r in rows)
    return {
        "settings": args.set,
        "head": run.model.network.head,
        "windows": int(run.units),
        "steps_per_epoch": run.steps_per_epoch,
        "windowner_blas_threads": 1,
        "torch_threads": twin.threads,
        "torch_version": torch.__version__,
        "epochs": rows,
        "windowner_best_seconds": windowner_best,
        "torch_best_seconds": torch_best,
        "ratio": round(torch_best / windowner_best, 3),
        # torch on one thread as well: on a busy 2-core machine its second thread may wait
        "torch_best_seconds_1_thread": torch_1_best,
        "ratio_torch_1_thread": round(torch_1_best / windowner_best, 3),
        # Two threads slower than one: other processes held the second core, and torch's
        # threads waited for each other (GNU OpenMP); the 2-thread ratio then flatters windowner.
        "torch_2_threads_starved": torch_best > STARVED * torch_1_best,
        "matmul_floor_seconds": round(floor, 3),
        "windowner_over_matmul_floor": round(windowner_best / floor, 2),
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
