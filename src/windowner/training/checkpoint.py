"""Resumable training state: the model, the optimiser's velocities, the shuffling generator and
where in which epoch training stopped, in one npz (no pickle), written atomically."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from windowner.choices import quoted
from windowner.errors import UserError
from windowner.model.network import OPTIONAL_PARAMS, PARAM_NAMES
from windowner.model_file import (
    Model,
    array_json,
    json_array,
    model_from_arrays,
    read_arrays,
    save_model,
)
from windowner.model_file_checks import check_finite


@dataclass
class TrainingState:
    """Everything besides the parameters that the next SGD step depends on."""

    epoch: int = 0  # epochs completed
    batch: int = 0  # batches done in the unfinished epoch (0 between epochs)
    step: int = 0  # SGD steps taken in all
    loss_sum: float = 0.0  # the unfinished epoch's summed batch losses
    seconds: float = 0.0  # the unfinished epoch's training time so far
    cpu_seconds: float = 0.0  # and the process CPU time it took
    history: list[dict] = field(default_factory=list)
    best_f1: float = -1.0
    best_epoch: int = 0
    epochs_without_improvement: int = 0
    lr_scale: float = 1.0  # halved after each non-finite restart
    rng: dict[str, Any] = field(default_factory=dict)  # bit_generator.state


def save_checkpoint(
    path: str | Path,
    model: Model,
    state: TrainingState,
    velocity: dict[str, np.ndarray],
    order: np.ndarray | None,
) -> None:
    extra = {f"velocity.{name}": v for name, v in velocity.items()}
    extra["training_state"] = json_array(asdict(state))
    if order is not None:
        extra["order"] = order
    save_model(path, model, extra, compress=False)  # written every epoch: not worth deflating


def load_checkpoint(path: str | Path):
    """-> (model, state, velocity, order or None); a UserError if the file is not a checkpoint.

    The model goes through model_file's checks; the training state, the velocities (float32,
    finite, shaped like their parameters) and the order (a permutation) through these.
    """
    arrays = read_checkpoint_arrays(path)
    if "training_state" not in arrays:
        raise UserError("not a training checkpoint (no training state)", path)
    model = model_from_arrays(arrays, path)
    try:
        state = _state(array_json(arrays["training_state"], int_bits=128))
        velocity = {
            k.removeprefix("velocity."): v for k, v in arrays.items() if k.startswith("velocity.")
        }
        for name, v in velocity.items():
            if v.shape != model.network.params[name].shape:
                raise ValueError(f"velocity.{name} is {v.shape}, its parameter is not")
            check_finite(f"velocity.{name}", v)
        order = arrays.get("order")
        if order is not None and (
            order.ndim != 1 or not np.array_equal(np.sort(order), np.arange(len(order)))
        ):
            raise ValueError("order is not a permutation")
    except (TypeError, ValueError, KeyError) as error:
        raise UserError(f"not a valid training checkpoint ({error})", path) from None
    return model, state, velocity, order


def read_checkpoint_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a checkpoint (or model) file, checked as model_file.read_arrays checks."""
    return read_arrays(path, _extra_dtype)


def _extra_dtype(name: str) -> np.dtype | None:
    """What a checkpoint holds beside the model: float32 velocities, int64 order, JSON state."""
    if name.startswith("velocity.") and name.removeprefix("velocity.") in (
        *PARAM_NAMES,
        *OPTIONAL_PARAMS,
    ):
        return np.dtype(np.float32)
    return {"order": np.dtype(np.int64), "training_state": np.dtype(np.uint8)}.get(name)


# The training state's schema: each field's JSON type and range. A checkpoint is untrusted
# input: a hand-edited one must be refused, never resumed into a different model.
_COUNT = (int, 0, 2**62)
_SECONDS = (float, 0.0, 1e12)
STATE_FIELDS: dict[str, tuple[type, float, float]] = {
    "epoch": _COUNT,
    "batch": _COUNT,
    "step": _COUNT,
    "loss_sum": (float, 0.0, 1e300),  # a sum of finite losses ≥ 0
    "seconds": _SECONDS,
    "cpu_seconds": _SECONDS,
    "history": (list, 0, 0),
    "best_f1": (float, -1.0, 1.0),  # -1 before the first epoch
    "best_epoch": _COUNT,
    "epochs_without_improvement": _COUNT,
    "lr_scale": (float, 2.0**-64, 1.0),  # halved after each non-finite restart
    "rng": (dict, 0, 0),
}
HISTORY_FIELDS = {
    "epoch": _COUNT,
    "train_loss": (float, 0.0, 1e300),
    "lr": (float, 0.0, 1e300),
    "dev_precision": (float, 0.0, 1.0),
    "dev_recall": (float, 0.0, 1.0),
    "dev_f1": (float, 0.0, 1.0),
    "seconds": _SECONDS,
    "cpu_seconds": _SECONDS,
}


def _checked(values: Any, schema: dict[str, tuple[type, float, float]], what: str) -> None:
    """`values` a JSON object with exactly the keys of `schema`, each of its type and range."""
    if not isinstance(values, dict):
        raise ValueError(f"{what} is not a JSON object")
    if set(values) != set(schema):
        unknown, missing = sorted(set(values) - set(schema)), sorted(set(schema) - set(values))
        raise ValueError(f"{what} has unknown keys {unknown} and lacks {missing}")
    for key, (kind, low, high) in schema.items():
        value = values[key]
        ok = isinstance(value, kind) and not isinstance(value, bool)
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and kind in (int, float):
            ok = math.isfinite(value) and low <= value <= high
        if not ok:
            expected = kind.__name__ if kind in (list, dict) else f"{kind.__name__} in "
            expected += f"[{low:g}, {high:g}]" if kind in (int, float) else ""
            raise ValueError(f"{what} {key!r} is {quoted(value)}, expected {expected}")


def _state(values) -> TrainingState:
    """The training state, every field of STATE_FIELDS' type and range, its history one record
    per epoch done, its counters consistent with each other."""
    _checked(values, STATE_FIELDS, "training state")
    state = TrainingState(**values)
    if len(state.history) != state.epoch:
        raise ValueError(
            f"training state holds {len(state.history)} epochs' history for epoch {state.epoch}"
        )
    for number, record in enumerate(state.history, start=1):
        _checked(record, HISTORY_FIELDS, f"training state history[{number - 1}]")
        if record["epoch"] != number:
            raise ValueError(f"training state history[{number - 1}] is of epoch {record['epoch']}")
    best = state.history[state.best_epoch - 1]["dev_f1"] if state.best_epoch else -1.0
    if state.best_epoch > state.epoch or (state.epoch and not state.best_epoch):
        raise ValueError(f"training state's best epoch {state.best_epoch} of {state.epoch}")
    if state.best_f1 != best or state.epochs_without_improvement != state.epoch - state.best_epoch:
        raise ValueError("training state's best epoch disagrees with its history")
    if state.batch > state.step:
        raise ValueError("training state counts more batches in this epoch than steps in all")
    return state


def check_resumable(
    path: str | Path,
    state: TrainingState,
    velocity: dict[str, np.ndarray],
    order: np.ndarray | None,
    *,
    units: int,
    batches: Callable[[np.ndarray], int],
    epochs: int,
    momentum: float,
    rng: np.random.Generator,
    steps_per_epoch: int | None,
) -> None:
    """The checkpoint against the run it resumes, before any of it is used: the order a
    permutation of exactly the run's `units` (windows, or sentences), the batch within the
    epoch's `batches(order)`, the epoch within `epochs`, velocities only with momentum, and the
    generator state one that `rng`'s bit generator accepts as it is, and where every epoch
    has `steps_per_epoch` steps (windows; None for sentences) the step where epoch and batch
    say; else a UserError."""
    problem = None
    if order is not None and len(order) != units:
        problem = f"its order holds {len(order):,} items, the run has {units:,} to shuffle"
    elif order is not None and not 0 <= state.batch <= batches(order):
        problem = f"batch {state.batch:,} of an epoch of {batches(order):,} batches"
    elif order is None and (state.batch or state.loss_sum):
        problem = "a state in mid-epoch without the epoch's order"
    elif state.epoch > epochs:
        problem = f"epoch {state.epoch:,} of a run of {epochs:,}"
    elif velocity and not momentum:
        problem = "velocities for a run without momentum"
    elif steps_per_epoch and state.step != state.epoch * steps_per_epoch + state.batch:
        problem = f"step {state.step:,} is not batch {state.batch:,} after epoch {state.epoch:,}"
    else:
        problem = _generator_problem(state.rng, rng)
    if problem:
        raise UserError(f"not a valid training checkpoint ({problem})", path)


def _generator_problem(saved: dict, rng: np.random.Generator) -> str | None:
    """Why `saved` is not a state of `rng`'s bit generator that numpy takes as it is."""
    kind = type(rng.bit_generator)
    if saved.get("bit_generator") != kind.__name__:
        return f"its generator is {quoted(saved.get('bit_generator'))}, the run's {kind.__name__}"
    probe = kind()
    try:
        probe.state = saved
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        return f"its generator state is refused ({error})"
    if probe.state != saved:  # numpy reduced a number out of range instead of refusing it
        return "its generator state holds numbers out of range"
    return None
