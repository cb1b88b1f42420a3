"""Is benchmarks/torch_twin.py the same model as windowner? Both trained step by step from the
same parameters, dropout off (part of run.py's `compare`, measure.py's `twin-check`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from child_process import measure
from windowner_run import prepared_run

NO_DROPOUT = ["training.dropout_x=0", "training.dropout_h=0", "training.word_dropout=0"]


def bench_twin_check() -> dict:
    """The twin checked against windowner for both heads, 200 steps each; the largest parameter
    difference of the two is torch_twin_max_param_diff."""
    checks = {}
    for head in ("sigmoid", "softmax"):
        result, _, _, error = measure("twin-check", "--steps", 200, "--set", f"model.head={head}")
        checks[head] = result or error
    found: dict = {"torch_twin_check": checks}
    diffs = [c["max_param_diff"] for c in checks.values() if isinstance(c, dict)]
    found["torch_twin_max_param_diff"] = max(diffs) if len(diffs) == len(checks) else None
    return found


def measure_twin_check(args) -> dict:
    """Is the twin the same model? Both trained `steps` SGD steps from the same parameters on the
    same batches, dropout and word dropout off; the largest |windowner − torch| of every
    parameter after them (float32 summed in another order: ~1e-6 expected), and the losses.

    Windowner's step is its trainer's: loop.train_epoch over one batch's order at a time.
    """
    from torch_twin import TorchTwin

    from windowner.training.checkpoint import TrainingState
    from windowner.training.loop import train_epoch

    with tempfile.TemporaryDirectory(prefix="windowner-twin-check-") as out:
        run = prepared_run([*args.set, *NO_DROPOUT], Path(out))
        twin = TorchTwin(run, seed=run.config.training.seed)
        t, params = run.config.training, run.model.network.params
        order = run.rng.permutation(run.units)
        state = TrainingState()
        windowner_J, torch_J = [], []
        for i in range(args.steps):
            rows = order[i * t.batch_size : (i + 1) * t.batch_size]
            lr = run.schedule.at(state.step, 1, run.steps_per_epoch, t.epochs)
            before, state.batch = state.loss_sum, 0
            train_epoch(run, state, rows, 1, interrupted=[], progress=False)
            windowner_J.append((state.loss_sum - before) / len(rows))
            torch_J.append(twin.step(rows, lr))
        theirs = twin.net.params_numpy()
        diff = {name: float(np.abs(params[name] - theirs[name]).max()) for name in theirs}
        moved = {name: float(np.abs(params[name] - p0).max()) for name, p0 in twin.initial.items()}
    shown = sorted({0, 1, 9, args.steps // 2, args.steps - 1})
    return {
        "settings": [*args.set, *NO_DROPOUT],
        "head": run.model.network.head,
        "steps": args.steps,
        "max_param_diff": max(diff.values()),
        "max_abs_diff_by_param": diff,
        "max_abs_change_by_param": moved,  # how far training moved each: the diff's scale
        "max_loss_diff": max(abs(a - b) for a, b in zip(windowner_J, torch_J, strict=True)),
        "losses (step: windowner, torch)": {
            i + 1: [round(windowner_J[i], 6), round(torch_J[i], 6)] for i in shown
        },
    }
