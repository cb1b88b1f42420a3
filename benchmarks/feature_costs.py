"""What each feature of the accuracy round adds to windowner's training epoch, one turned off at a
time (part of run.py's `compare`, measure.py's `feature-cost`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from child_process import measure
from windowner_run import prepared_run, windowner_epoch

# The accuracy round's features, each turned off on its own, and the previous default.
FEATURES_OFF = {
    "default": [],
    "no shape": ["model.shape_dim=0"],
    "no document": ["model.document_dim=0"],
    "no dropout": ["training.dropout_x=0", "training.dropout_h=0"],
    "no word dropout": ["training.word_dropout=0"],
    "previous default": [
        "model.head=softmax",
        "model.shape_dim=0",
        "model.document_dim=0",
        "training.dropout_x=0",
        "training.dropout_h=0",
        "training.word_dropout=0",
    ],
}


def bench_feature_cost() -> dict:
    """windowner's epoch with each feature off, best of 2 rounds (train_feature_cost_seconds)."""
    result, _, _, error = measure("feature-cost", "--repeats", 2)
    found: dict = {"train_feature_cost": result or error}
    if result:
        found["train_feature_cost_seconds"] = {
            "epoch_seconds": result["epoch_seconds"],
            "cost_seconds": result["cost_seconds"],
        }
    return found


def measure_feature_cost(args) -> dict:
    """windowner's epoch at the default and with each feature of the accuracy round off.

    Every setting is prepared first, then their epochs run in rounds (default, no shape, …,
    default, no shape, …), so that a burst of other work hits them alike; best of `repeats`.
    BLAS on 1 thread, as ner-train runs.
    """
    with tempfile.TemporaryDirectory(prefix="windowner-feature-cost-") as out:
        runs = {
            name: prepared_run(settings, Path(out) / str(i))
            for i, (name, settings) in enumerate(FEATURES_OFF.items())
        }
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        loads = []
        for epoch in range(1, args.repeats + 1):
            loads.append(round(os.getloadavg()[0], 2))
            for name, run in runs.items():
                order = run.rng.permutation(run.units)
                seconds[name].append(round(windowner_epoch(run, order, epoch)[0], 3))
    best = {name: min(values) for name, values in seconds.items()}
    return {
        "settings": FEATURES_OFF,
        "load_average_1min_by_round": loads,
        "epoch_seconds_all": seconds,
        "epoch_seconds": best,
        # what each feature adds to the default's epoch (negative: the default is faster)
        "cost_seconds": {
            name.removeprefix("no "): round(best["default"] - best[name], 3)
            for name in best
            if name != "default"
        },
    }
