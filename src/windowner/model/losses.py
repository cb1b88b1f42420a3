"""Losses on the scores s = Uh + c, with their gradients ∂J/∂s."""

from __future__ import annotations

import numpy as np


def log_softmax(s: np.ndarray) -> np.ndarray:
    """Shapes: s (N, T) -> log p (N, T). Math: log p = s − logsumexp(s), stable for large s."""
    shifted = s - s.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(s: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of the true tags and its gradient.

    Shapes: s (N, T), y (N,) int -> J scalar, ds (N, T).
    Math: J = −(1/N) Σₙ log pₙ[yₙ]; ∂J/∂s = (p − onehot(y)) / N.
    """
    N = len(y)
    log_p = log_softmax(s)
    J = -float(log_p[np.arange(N), y].sum()) / N
    ds = np.exp(log_p)
    ds[np.arange(N), y] -= 1.0
    ds /= N
    return J, ds
