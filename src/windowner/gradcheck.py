"""Numerical gradient checking: the hand-derived backward against centred differences.

Used by the tests and by anyone changing a backward pass. Runs in float64, where fourth-order
centred differences are accurate to about 1e-13, far below the 1e-6 relative error we require.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from windowner.model.layers import RowGrad
from windowner.model.network import WindowNetwork


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max over elements of |a − b| / max(1e-8, |a| + |b|), as in CS231n."""
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)), initial=0.0))


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """∂f/∂x by fourth-order centred differences, perturbing x in place entry by entry.

    Shapes: x any shape -> gradient of x's shape. f reads x through whatever holds it.
    Math: f′ ≈ (−f(x+2ε) + 8f(x+ε) − 8f(x−ε) + f(x−2ε)) / 12ε, error O(ε⁴). The two-point
    (f(x+ε) − f(x−ε)) / 2ε needs ε ≈ 1e-5 to keep its O(ε²) error small, and rounding in f then
    costs ~1e-11 per entry: too much for the 1e-6 relative test on entries near 1e-5. With
    ε = 1e-3 both errors stay near 1e-13.
    """
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        values = []
        for step in (2.0, 1.0, -1.0, -2.0):
            flat[i] = saved + step * eps
            values.append(f())
        flat[i] = saved
        out[i] = (-values[0] + 8.0 * values[1] - 8.0 * values[2] + values[3]) / (12.0 * eps)
    return grad


def check_network(
    network: WindowNetwork, word_ids: np.ndarray, case_ids: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    """Largest relative error of every parameter's analytic gradient, the network in float64.

    Only rows of E and C that the batch uses are perturbed (every other row's gradient is
    exactly zero both ways); a sparse analytic gradient is made dense for the comparison.
    """
    network = network.astype(np.float64)
    _, grads = network.loss(word_ids, case_ids, y)

    def loss() -> float:
        return network.loss(word_ids, case_ids, y)[0]

    errors = {}
    for name, param in network.params.items():
        analytic = grads[name]
        if isinstance(analytic, RowGrad):
            analytic = analytic.dense(len(param))
            rows = np.unique(word_ids if name == "E" else case_ids)
            view = param[rows]  # a copy: perturb it, write it back around every evaluation
            numeric = numerical_gradient(_through_rows(loss, param, rows, view), view)
            param[rows] = view  # the last evaluation left a perturbed row behind
            errors[name] = rel_error(analytic[rows], numeric)
            if np.any(np.delete(analytic, rows, axis=0)):
                errors[name] = float("inf")  # gradient leaked onto a row the batch never used
        else:
            errors[name] = rel_error(analytic, numerical_gradient(loss, param))
    return errors


def _through_rows(loss, param: np.ndarray, rows: np.ndarray, view: np.ndarray):
    def f() -> float:
        param[rows] = view
        return loss()

    return f
