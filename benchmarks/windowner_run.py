"""windowner's training as the torch comparison, the twin check and the feature costs drive it:
a Run prepared as ner-train prepares it, and one epoch of it through windowner's own trainer."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np
from project import CONFIG, PRIOR_OFF, ROOT
from timing import blas_limit


def prepared_run(settings: list[str], out: Path):
    """windowner's Run for configs/conll2003.toml with `settings` (SECTION.KEY=VALUE), made by
    training/run.py's prepare() as ner-train makes it: data, vectors, model, targets, optimiser."""
    from windowner.config import load_config, parse_assignment
    from windowner.training.run import prepare

    overrides = {
        "out": str(out),
        "data.test": "",
        **PRIOR_OFF,
        **dict(map(parse_assignment, settings)),
    }
    with contextlib.chdir(ROOT):  # the config's data paths are relative to the project
        config = load_config(CONFIG, overrides)
        return prepare(config, out, log=lambda line: None)


def windowner_epoch(run, order: np.ndarray, epoch: int) -> tuple[float, float]:
    """One epoch through windowner's own trainer, loop.train_epoch, with BLAS on 1 thread as
    ner-train runs; -> (wall seconds of the call, mean loss per window)."""
    from windowner.training.checkpoint import TrainingState
    from windowner.training.loop import Epoch, train_epoch

    state = TrainingState(epoch=epoch - 1, step=(epoch - 1) * run.steps_per_epoch)
    with blas_limit(1):
        started = time.perf_counter()
        outcome = train_epoch(run, state, order, epoch, interrupted=[], progress=False)
        seconds = time.perf_counter() - started
    if outcome is not Epoch.DONE:
        raise RuntimeError(f"windowner's epoch {epoch} ended with {outcome.value}")
    return seconds, state.loss_sum / len(order)
