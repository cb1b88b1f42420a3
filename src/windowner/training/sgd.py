"""SGD: the plain update θ ← θ − α∇θJ, and the optimiser training runs around it (weight decay,
clipping by global norm, momentum)."""

from __future__ import annotations

from collections.abc import Container

import numpy as np

from windowner.model.layers import RowGrad, TableGrad
from windowner.model.losses import l2_penalty

Grads = dict[str, "np.ndarray | RowGrad | TableGrad"]


class SGD:
    """Minibatch SGD with optional L2 weight decay, gradient clipping and momentum.

    Math, in the order applied: g ← g + λθ for W and U (losses.l2_penalty); if ‖g‖ > τ over every
    gradient (embedding rows included), g ← g·τ/‖g‖; with momentum μ, v ← μv + g and θ ← θ − αv for
    the dense parameters, while embedding rows take the plain step θ ← θ − αg (a velocity for
    every row of E would turn each sparse update into a dense one).
    """

    def __init__(
        self,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        clip_norm: float = 0.0,
        frozen: Container[str] = (),
    ):
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.clip_norm = clip_norm
        self.frozen = frozen
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: Grads, lr: float) -> float | None:
        """Update `params` in place; returns the gradient's global norm before clipping, or None
        without clipping, which is the only use of the norm (a step needs no norm otherwise, and
        a non-finite gradient shows in the next batch's loss). `grads` are consumed: the step
        may scale their dense arrays in place."""
        if self.weight_decay:
            _, decay = l2_penalty(params, self.weight_decay)
            grads = {k: g + decay[k] if k in decay else g for k, g in grads.items()}
        norm = None
        if self.clip_norm:
            grads = {k: g.summed if isinstance(g, TableGrad) else g for k, g in grads.items()}
            norm = global_norm(grads)
            if norm > self.clip_norm:
                grads = scale(grads, self.clip_norm / norm)
        if self.momentum:
            grads = dict(grads)
            for name, grad in grads.items():
                if isinstance(grad, RowGrad | TableGrad) or name in self.frozen:
                    continue
                velocity = self.velocity.get(name)
                if velocity is None:
                    velocity = self.velocity[name] = np.zeros_like(grad)
                velocity *= self.momentum
                velocity += grad
                grads[name] = velocity
        # With momentum the dense gradients are the velocities, which must outlive the step.
        sgd_step(params, grads, lr, self.frozen, overwrite=not self.momentum)
        return norm


def global_norm(grads: dict[str, np.ndarray | RowGrad]) -> float:
    """‖g‖ over every gradient: Math: sqrt(Σ_θ Σᵢ gᵢ²), sparse ones over their rows."""
    total = 0.0
    for grad in grads.values():
        values = grad.values if isinstance(grad, RowGrad) else grad
        total += float(np.dot(values.ravel(), values.ravel()))
    return float(np.sqrt(total))


def scale(grads: dict[str, np.ndarray | RowGrad], factor: float) -> dict:
    return {
        name: RowGrad(g.rows, g.values * factor) if isinstance(g, RowGrad) else g * factor
        for name, g in grads.items()
    }


def sgd_step(
    params: dict[str, np.ndarray],
    grads: Grads,
    lr: float,
    frozen: Container[str] = (),
    overwrite: bool = False,
) -> None:
    """Update every parameter not in `frozen`; sparse gradients touch only their rows.

    `lr` is taken as a Python float, so that α∇J is computed in the parameters' own dtype
    (float32): a numpy float64 step size would upcast every update to float64 and back. With
    `overwrite`, a dense gradient is scaled to α∇J in its own array, not in a new one the size
    of W: the same numbers, in memory the cache already holds.
    """
    lr = float(lr)
    for name, grad in grads.items():
        if name in frozen:
            continue
        if isinstance(grad, TableGrad):  # summed and applied in one pass
            grad.subtract_from(params[name], lr)
        elif isinstance(grad, RowGrad):
            # rows are distinct (RowGrad sums repeats first), so fancy-index assignment is safe
            params[name][grad.rows] -= lr * grad.values
        elif overwrite:
            grad *= lr
            params[name] -= grad
        else:
            params[name] -= lr * grad
