"""Resumable training state: the model, the optimiser's velocities, the shuffling generator and
where in which epoch training stopped, in one npz (no pickle), written atomically."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from windowner.errors import UserError
from windowner.model_file import (
    Model,
    array_json,
    json_array,
    model_from_arrays,
    read_arrays,
    save_model,
)


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
    """-> (model, state, velocity, order or None); a UserError if the file is not a checkpoint."""
    arrays = read_arrays(path)
    if "training_state" not in arrays:
        raise UserError("not a training checkpoint (no training state)", path)
    extra = {"training_state", "order", *(k for k in arrays if k.startswith("velocity."))}
    model = model_from_arrays(arrays, path, frozenset(extra))
    try:
        state = TrainingState(**array_json(arrays["training_state"]))
    except (TypeError, ValueError) as error:
        raise UserError(f"unreadable training state ({error})", path) from None
    velocity = {
        k.removeprefix("velocity."): v for k, v in arrays.items() if k.startswith("velocity.")
    }
    return model, state, velocity, arrays.get("order")
