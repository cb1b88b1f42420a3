"""Resumable training state: the model, the optimiser's velocities, the shuffling generator and
where in which epoch training stopped, in one npz (no pickle), written atomically."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

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
    save_model(path, model, extra)


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
        state = _state(array_json(arrays["training_state"]))
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


def _state(values) -> TrainingState:
    """The training state, each field of its declared JSON type, the generator state one that
    numpy accepts."""
    if not isinstance(values, dict):
        raise ValueError("the training state is not a JSON object")
    state = TrainingState(**values)
    kinds = {int: int, float: (int, float), list: list, dict: dict}
    for f in fields(TrainingState):
        value = getattr(state, f.name)
        kind = kinds[type(getattr(TrainingState(), f.name))]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"training state {f.name!r} is {value!r}")
        if isinstance(value, int | float) and not (math.isfinite(value) and value >= -1):
            raise ValueError(f"training state {f.name!r} is {value!r}")
    np.random.default_rng().bit_generator.state = state.rng
    return state
