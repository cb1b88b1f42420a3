"""Plain stochastic gradient descent: θ ← θ − α ∇θJ, in place."""

from __future__ import annotations

from collections.abc import Container

import numpy as np

from windowner.model.layers import RowGrad


def sgd_step(
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray | RowGrad],
    lr: float,
    frozen: Container[str] = (),
) -> None:
    """Update every parameter not in `frozen`; sparse gradients touch only their rows.

    `lr` is taken as a Python float, so that α∇J is computed in the parameters' own dtype
    (float32): a numpy float64 step size would upcast every update to float64 and back.
    """
    lr = float(lr)
    for name, grad in grads.items():
        if name in frozen:
            continue
        if isinstance(grad, RowGrad):
            # rows are distinct (RowGrad sums repeats first), so fancy-index assignment is safe
            params[name][grad.rows] -= lr * grad.values
        else:
            params[name] -= lr * grad
