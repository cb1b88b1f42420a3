"""The lecture's window classifier: x = [e(w₋₂); …; e(w₊₂)], z = Wx + b, h = f(z), s = Uh + c.

Each position's e(w) is its word vector (a row of E) followed by the learned vectors of its
features: casing (C), prefixes (P), suffixes (S), shape (K), document context (D), word
clusters (Q) and lexicon matches (L), as many as the model has (features/windows.py,
Features.slots, says which table each slot reads).

Two heads read the scores s: `softmax` (p = softmax(s), cross-entropy over the tags) and
`sigmoid` (the lecture's σ(s_c) for each output c, one-vs-rest logistic losses). One loss(...)
returns the loss and every gradient, keyed like `params`; the update rule and the training loop
live elsewhere (training/sgd.py, training/loop.py) and know nothing of the insides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from windowner.choices import HEADS, quoted
from windowner.model.activations import Activation, get_activation
from windowner.model.dropout import dropout_backward, dropout_forward
from windowner.model.inference import blocks_forward
from windowner.model.layers import (
    affine_backward,
    affine_forward,
    window_backward,
    window_forward,
)
from windowner.model.losses import sigmoid_cross_entropy, softmax_cross_entropy
from windowner.model.numerics import log_sigmoid, log_softmax
from windowner.model.sentence import initial_transitions, marginals, sentence_loss

PARAM_NAMES = ("E", "C", "W", "b", "U", "c")  # every model has these
# prefixes, suffixes, shapes, document context, word clusters, lexicon matches
FEATURE_TABLES = ("P", "S", "K", "D", "Q", "L", "R")
TRANSITIONS = ("A", "a0")  # the sentence objective's transition and start scores
OPTIONAL_PARAMS = FEATURE_TABLES + TRANSITIONS
# The heads (choices.HEADS) and objectives (choices.OBJECTIVES): window is each window's own
# loss on its head (the lecture's); sentence is Collobert's sentence-level log-likelihood of the
# whole tag path (model/sentence.py), on s + A.


@dataclass(frozen=True)
class Dropout:
    """Training-time dropout rates on x and on h, and the generator that draws the masks."""

    x: float
    h: float
    rng: np.random.Generator


class WindowNetwork:
    """Parameters (shapes): E (V, d) word vectors, C (K, k) casing vectors, optional feature
    tables P, S, K, D, Q, L (rows, width), W (H', n·D₀), b (H',), U (T, H), c (T,); n = 2·window + 1
    positions, D₀ = the widths of a position's slots summed, H' = H (2H for gated units).
    `slots` names the table each slot of a position reads, ("E", "C") without other features.
    With the sentence objective (params A (T, T) and a0 (T,) present), s are a path's token
    scores and the head is not used.
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        activation: Activation,
        head: str = "softmax",
        slots: tuple[str, ...] = ("E", "C"),
    ):
        if head not in HEADS:
            raise ValueError(f"unknown head {quoted(head)}; choose from {', '.join(HEADS)}")
        self.params = params
        self.activation = activation
        self.head = head
        self.slots = tuple(slots)

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
        slots: tuple[str, ...] = ("E", "C"),
        tables: dict[str, tuple[int, int]] | None = None,
        objective: str = "window",
    ) -> WindowNetwork:
        """Glorot-uniform W and U, zero biases, casing and feature vectors on the word vectors'
        scale. `tables` gives each feature table's (rows, width), P, S, K, D, Q, L as `slots` has
        them.
        """
        tables = tables or {}
        d = E.shape[1]
        sigma = float(E.std())
        widths = {"E": d, "C": casing_dim, **{name: w for name, (_, w) in tables.items()}}
        D = (2 * window + 1) * sum(widths[name] for name in slots)
        H_in = 2 * hidden if activation.gated else hidden

        def glorot(rows: int, cols: int) -> np.ndarray:
            limit = np.sqrt(6.0 / (rows + cols))
            return rng.uniform(-limit, limit, size=(rows, cols)).astype(np.float32)

        params = {
            "E": E.astype(np.float32, copy=False),
            "C": rng.normal(0.0, sigma, size=(n_casing, casing_dim)).astype(np.float32),
            "W": glorot(H_in, D),
            "b": np.zeros(H_in, np.float32),
            "U": glorot(n_tags, hidden),
            "c": np.zeros(n_tags, np.float32),
        }
        for name, shape in tables.items():  # drawn after the rest: old seeds keep their W, U
            params[name] = rng.normal(0.0, sigma, size=shape).astype(np.float32)
        if objective == "sentence":
            params["A"], params["a0"] = initial_transitions(n_tags)
        return cls(params, activation, head, slots)

    @property
    def objective(self) -> str:
        return "sentence" if "A" in self.params else "window"

    @property
    def position_width(self) -> int:
        """D₀: the width of one window position's slice of x."""
        return sum(self.params[name].shape[1] for name in self.slots)

    @property
    def window(self) -> int:
        """Half-width: how many words each side of the centre."""
        return (self.params["W"].shape[1] // self.position_width - 1) // 2

    def forward(self, ids: np.ndarray, dropout: Dropout | None = None):
        """Shapes: ids (N, n, m), one row id per slot of each window position -> s (N, T),
        cache for backward.

        With `dropout` (training only), x and/or h are dropped out with fresh masks.
        """
        p = self.params
        x, window_cache = window_forward(p, self.slots, ids)
        x_mask = h_mask = None
        if dropout is not None and dropout.x > 0:
            x, x_mask = dropout_forward(x, dropout.x, dropout.rng)
        z, hidden_cache = affine_forward(x, p["W"], p["b"])
        h, activation_cache = self.activation.forward(z)
        if dropout is not None and dropout.h > 0:
            h, h_mask = dropout_forward(h, dropout.h, dropout.rng)
        s, output_cache = affine_forward(h, p["U"], p["c"])
        return s, (window_cache, x_mask, hidden_cache, activation_cache, h_mask, output_cache)

    def loss(self, ids: np.ndarray, y: np.ndarray, dropout: Dropout | None = None):
        """The batch's mean loss and the gradient of every parameter.

        Shapes: ids (N, n, m); y (N,) tag ids for the softmax head, (N, T) 0/1 targets for the
        sigmoid head -> J, grads with dense dW, db, dU, dc and sparse dE, dC, dP, … (one
        layers.RowGrad per table: only the rows the batch touched).
        Math: ds = (p − onehot(y))/N, or (σ(s) − Y)/N; dU = dsᵀh; dc = Σ ds; dh = ds U;
        δ = dh ∘ f′(z) (for gated units, their backward); dW = δᵀx; db = Σ δ; dx = δ W,
        scattered back onto the rows of E, C and every feature table. Dropout multiplies dh and
        dx by its masks.
        """
        s, cache = self.forward(ids, dropout)
        if self.head == "softmax":
            J, ds = softmax_cross_entropy(s, y)
        else:
            J, ds = sigmoid_cross_entropy(s, y)
        return J, self.backward(ds, cache)

    def backward(self, ds: np.ndarray, cache) -> dict:
        """Every parameter's gradient from ∂J/∂s and forward's cache (see loss for the math).

        Shapes: ds (N, T) -> grads keyed like params (RowGrads for the tables).
        """
        window_cache, x_mask, hidden_cache, activation_cache, h_mask, output_cache = cache
        dh, dU, dc = affine_backward(ds, output_cache)
        if h_mask is not None:
            dh = dropout_backward(dh, h_mask)
        delta = self.activation.backward(dh, activation_cache)  # δ, computed once, used twice
        dx, dW, db = affine_backward(delta, hidden_cache)
        if x_mask is not None:
            dx = dropout_backward(dx, x_mask)
        tables = window_backward(dx, window_cache)
        return {**tables, "W": dW, "b": db, "U": dU, "c": dc}

    def sentence_loss(
        self,
        ids: np.ndarray,
        y: np.ndarray,
        lengths: np.ndarray,
        allowed: tuple[np.ndarray, np.ndarray],
        dropout: Dropout | None = None,
    ):
        """The sentence objective on a batch of whole sentences, and every gradient.

        Shapes: ids (L, n, m) the windows of S sentences one after another, y (L,) tag ids,
        lengths (S,), allowed (T, T) and (T,) the IOB2 masks (0/−inf) -> J, grads keyed like
        params, dA and da0 included.
        Math: J = (1/L) Σ_sentences [logZ − score(y)], a sum over sentences per token, so that
        a step size means what it means for the window objective; ds, dA, da0 are
        model/sentence.py's scaled alike, and ds then goes back through the network as the
        window objective's does.
        """
        s, cache = self.forward(ids, dropout)
        p = self.params
        J, ds, dA, da0 = sentence_loss(s, lengths, y, p["A"], p["a0"], *allowed)
        per_token = len(lengths) / len(ids)  # sentence_loss's 1/S, made 1/L
        ds *= per_token
        grads = self.backward(ds, cache)
        grads["A"], grads["a0"] = dA * per_token, da0 * per_token
        return J * per_token, grads

    def scores(self, ids: np.ndarray, batch: int = 8192) -> np.ndarray:
        """Shapes: (N, n, m) ids -> s (N, T), a block of `batch` windows at a time (several
        blocks side by side on threads: model/inference.py; the same numbers)."""
        n_out = self.params["U"].shape[0]
        return blocks_forward(lambda block: self.forward(block)[0], ids, batch, n_out)

    def log_probs(
        self,
        ids: np.ndarray,
        batch: int = 8192,
        lengths: np.ndarray | None = None,
        allowed: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        """Shapes: (N, n, m) ids -> (N, T): log softmax(s) for the softmax head, log σ(s_c)
        for each output of the sigmoid head; with the sentence objective, the log of each
        token's marginal p(yₜ = c | sentence) under s + A, which needs the sentences' lengths
        (S,) and the IOB2 masks."""
        return self.normalise(self.scores(ids, batch), lengths, allowed)

    def normalise(
        self,
        s: np.ndarray,
        lengths: np.ndarray | None = None,
        allowed: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """log_probs from scores already computed: shapes s (N, T) -> (N, T)."""
        if self.objective == "sentence":
            if lengths is None or allowed is None:
                raise ValueError("the sentence objective's probabilities need lengths and masks")
            transition = self.params["A"] + allowed[0]
            start = self.params["a0"] + allowed[1]
            with np.errstate(divide="ignore"):  # a forbidden tag's marginal is exactly 0
                return np.log(marginals(s, lengths, transition, start))
        return log_softmax(s) if self.head == "softmax" else log_sigmoid(s)

    def astype(self, dtype) -> WindowNetwork:
        """A copy with every parameter in `dtype` (float64 for gradient checks)."""
        params = {name: value.astype(dtype) for name, value in self.params.items()}
        activation = get_activation(**self.activation.params())
        return WindowNetwork(params, activation, self.head, self.slots)
