"""Inverted dropout: zero each unit with probability `rate` while training, scale the rest by
1/(1 − rate) so that nothing changes at tagging time, when dropout is off."""

from __future__ import annotations

import numpy as np


def dropout_forward(x: np.ndarray, rate: float, rng: np.random.Generator):
    """Shapes: x (N, D) -> out (N, D), cache = the mask (N, D).

    Math: m = 1[u ≥ rate] / (1 − rate), u ~ U(0, 1); out = x ∘ m. The mask is kept: backward
    must reuse the very units the forward dropped.
    """
    keep = rng.random(x.shape, dtype=np.float32) >= rate
    scale = x.dtype.type(1.0) / x.dtype.type(1.0 - rate)  # 1/(1 − rate), in x's dtype
    mask = keep * scale  # True·scale = scale, False·scale = 0: one pass for the mask
    return x * mask, mask


def dropout_backward(dout: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Shapes: dout (N, D) -> dx (N, D). Math: ∂out/∂x = diag(m), so dx = dout ∘ m."""
    return dout * mask
