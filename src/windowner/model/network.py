"""The lecture's window classifier: x = [e(w₋₂); …; e(w₊₂)], z = Wx + b, h = f(z), s = Uh + c.

Two heads read the scores s: `softmax` (p = softmax(s), cross-entropy over the tags) and
`sigmoid` (the lecture's σ(s_c) for each output c, one-vs-rest logistic losses). One loss(...)
returns the loss and every gradient, keyed like `params`; the update rule and the training loop
live elsewhere (training/sgd.py, training/loop.py) and know nothing of the insides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from windowner.model.activations import Activation, get_activation
from windowner.model.dropout import dropout_backward, dropout_forward
from windowner.model.layers import (
    affine_backward,
    affine_forward,
    window_backward,
    window_forward,
)
from windowner.model.losses import (
    log_sigmoid,
    log_softmax,
    sigmoid_cross_entropy,
    softmax_cross_entropy,
)

PARAM_NAMES = ("E", "C", "W", "b", "U", "c")
HEADS = ("softmax", "sigmoid")


@dataclass(frozen=True)
class Dropout:
    """Training-time dropout rates on x and on h, and the generator that draws the masks."""

    x: float
    h: float
    rng: np.random.Generator


class WindowNetwork:
    """Parameters (shapes): E (V, d) word vectors, C (K, k) casing vectors, W (H', n·(d+k)),
    b (H',), U (T, H), c (T,); n = 2·window + 1 positions, H' = H (2H for gated units).
    """

    def __init__(
        self, params: dict[str, np.ndarray], activation: Activation, head: str = "softmax"
    ):
        if head not in HEADS:
            raise ValueError(f"unknown head '{head}'; choose from {', '.join(HEADS)}")
        self.params = params
        self.activation = activation
        self.head = head

    @classmethod
    def initialise(
        cls,
        E: np.ndarray,
        n_casing: int,
        n_tags: int,
        *,
        window: int,
        hidden: int,
        activation: Activation,
        casing_dim: int,
        rng: np.random.Generator,
        head: str = "softmax",
    ) -> WindowNetwork:
        """Glorot-uniform W and U, zero biases, casing vectors on the word vectors' scale."""
        d = E.shape[1]
        D = (2 * window + 1) * (d + casing_dim)
        H_in = 2 * hidden if activation.gated else hidden

        def glorot(rows: int, cols: int) -> np.ndarray:
            limit = np.sqrt(6.0 / (rows + cols))
            return rng.uniform(-limit, limit, size=(rows, cols)).astype(np.float32)

        params = {
            "E": E.astype(np.float32, copy=False),
            "C": rng.normal(0.0, float(E.std()), size=(n_casing, casing_dim)).astype(np.float32),
            "W": glorot(H_in, D),
            "b": np.zeros(H_in, np.float32),
            "U": glorot(n_tags, hidden),
            "c": np.zeros(n_tags, np.float32),
        }
        return cls(params, activation, head)

    @property
    def window(self) -> int:
        """Half-width: how many words each side of the centre."""
        d, k = self.params["E"].shape[1], self.params["C"].shape[1]
        return (self.params["W"].shape[1] // (d + k) - 1) // 2

    def forward(self, word_ids: np.ndarray, case_ids: np.ndarray, dropout: Dropout | None = None):
        """Shapes: word_ids, case_ids (N, n) -> s (N, T), cache for backward.

        With `dropout` (training only), x and/or h are dropped out with fresh masks.
        """
        p = self.params
        x, window_cache = window_forward(p["E"], p["C"], word_ids, case_ids)
        x_mask = h_mask = None
        if dropout is not None and dropout.x > 0:
            x, x_mask = dropout_forward(x, dropout.x, dropout.rng)
        z, hidden_cache = affine_forward(x, p["W"], p["b"])
        h, activation_cache = self.activation.forward(z)
        if dropout is not None and dropout.h > 0:
            h, h_mask = dropout_forward(h, dropout.h, dropout.rng)
        s, output_cache = affine_forward(h, p["U"], p["c"])
        return s, (window_cache, x_mask, hidden_cache, activation_cache, h_mask, output_cache)

    def loss(
        self,
        word_ids: np.ndarray,
        case_ids: np.ndarray,
        y: np.ndarray,
        dropout: Dropout | None = None,
    ):
        """The batch's mean loss and the gradient of every parameter.

        Shapes: word_ids, case_ids (N, n); y (N,) tag ids for the softmax head, (N, T) 0/1
        targets for the sigmoid head -> J, grads with dense dW, db, dU, dc and sparse dE, dC
        (layers.RowGrad: only the rows the batch touched).
        Math: ds = (p − onehot(y))/N, or (σ(s) − Y)/N; dU = dsᵀh; dc = Σ ds; dh = ds U;
        δ = dh ∘ f′(z) (for gated units, their backward); dW = δᵀx; db = Σ δ; dx = δ W,
        scattered back onto E's and C's rows. Dropout multiplies dh and dx by its masks.
        """
        s, cache = self.forward(word_ids, case_ids, dropout)
        window_cache, x_mask, hidden_cache, activation_cache, h_mask, output_cache = cache
        if self.head == "softmax":
            J, ds = softmax_cross_entropy(s, y)
        else:
            J, ds = sigmoid_cross_entropy(s, y)
        dh, dU, dc = affine_backward(ds, output_cache)
        if h_mask is not None:
            dh = dropout_backward(dh, h_mask)
        delta = self.activation.backward(dh, activation_cache)  # δ, computed once, used twice
        dx, dW, db = affine_backward(delta, hidden_cache)
        if x_mask is not None:
            dx = dropout_backward(dx, x_mask)
        dE, dC = window_backward(dx, window_cache)
        return J, {"E": dE, "C": dC, "W": dW, "b": db, "U": dU, "c": dc}

    def log_probs(self, word_ids: np.ndarray, case_ids: np.ndarray, batch: int = 8192):
        """Shapes: (N, n) ids -> (N, T), a block of `batch` windows at a time: log softmax(s)
        for the softmax head, log σ(s_c) for each output of the sigmoid head."""
        normalise = log_softmax if self.head == "softmax" else log_sigmoid
        blocks = [
            normalise(self.forward(word_ids[i : i + batch], case_ids[i : i + batch])[0])
            for i in range(0, len(word_ids), batch)
        ]
        if not blocks:
            return np.zeros((0, self.params["U"].shape[0]), np.float32)
        return np.concatenate(blocks)

    def astype(self, dtype) -> WindowNetwork:
        """A copy with every parameter in `dtype` (float64 for gradient checks)."""
        params = {name: value.astype(dtype) for name, value in self.params.items()}
        return WindowNetwork(params, get_activation(**self.activation.params()), self.head)
