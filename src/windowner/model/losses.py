"""Losses on the scores s = Uh + c, with their gradients ∂J/∂s."""

from __future__ import annotations

import numpy as np

from windowner.model.numerics import log_sigmoid_both, log_softmax


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


def sigmoid_cross_entropy(s: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
    """One-vs-rest logistic loss: for each output c, "is this window's tag c?".

    Shapes: s (N, T) scores, Y (N, T) targets in {0, 1} -> J scalar, ds (N, T).
    Math: J = −(1/N) Σₙ Σ_c [Y log σ(s) + (1 − Y) log(1 − σ(s))]; ∂J/∂s = (σ(s) − Y) / N,
    the lecture's σ(s) score with its logistic loss, once per output.
    """
    N = len(s)
    log_p, log_not_p = log_sigmoid_both(s)  # log σ(s) and log(1 − σ(s)) = log σ(−s)
    J = -float((Y * log_p + (1.0 - Y) * log_not_p).sum()) / N
    ds = np.exp(log_p) - Y
    ds /= N
    return J, ds.astype(s.dtype, copy=False)


def l2_penalty(
    params: dict[str, np.ndarray], weight_decay: float, names: tuple[str, ...] = ("W", "U")
) -> tuple[float, dict[str, np.ndarray]]:
    """Weight decay as a loss term on the weight matrices (not biases, not embeddings).

    Math: R = (λ/2)(‖W‖² + ‖U‖²); ∂R/∂W = λW, ∂R/∂U = λU. The embeddings are left out: decaying
    every row of E at every step would make each sparse update dense.
    """
    value = 0.5 * weight_decay * sum(float((params[n] ** 2).sum()) for n in names)
    return value, {n: weight_decay * params[n] for n in names}
