"""Numerical gradient checking: the hand-derived backward against centred differences.

Used by the tests and by anyone changing a backward pass. Runs in float64, where fourth-order
centred differences are accurate to about 1e-13, far below the 1e-6 relative error we require.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from windowner.model.activations import Activation, get_activation, hyperparameters
from windowner.model.dropout import dropout_forward
from windowner.model.layers import TableGrad, window_forward
from windowner.model.losses import l2_penalty, sigmoid_cross_entropy, softmax_cross_entropy
from windowner.model.network import Dropout, WindowNetwork
from windowner.model.sentence import sentence_loss

DROPOUT_SEED = 1234  # one fixed set of masks for every evaluation of a check


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
    return numerical_vjp(lambda: np.asarray(f()), x, np.ones(()), eps)


def numerical_vjp(
    f: Callable[[], np.ndarray], x: np.ndarray, dy: np.ndarray, eps: float = 1e-3
) -> np.ndarray:
    """Σⱼ dyⱼ ∂yⱼ/∂x for y = f(), by the same fourth-order differences, perturbing x in place.

    Shapes: x any, dy y's shape -> x's shape. The differences of y are taken output by output
    before the sum with dy, so an output x does not touch contributes exactly 0, not rounding.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        values = []
        for step in (2.0, 1.0, -1.0, -2.0):
            flat[i] = saved + step * eps
            values.append(np.array(f(), dtype=np.float64))
        flat[i] = saved
        # Differences first: an output the perturbation leaves unchanged then gives exactly 0.
        slope = (8.0 * (values[1] - values[2]) - (values[0] - values[3])) / (12.0 * eps)
        out[i] = float((slope * dy).sum())
    return grad


def check_network(
    network: WindowNetwork,
    ids: np.ndarray,
    y: np.ndarray,
    dropout: tuple[float, float] = (0.0, 0.0),
    weight_decay: float = 0.0,
    sentences: tuple[np.ndarray, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, float]:
    """Largest relative error of every parameter's analytic gradient, the network in float64.

    `sentences` (lengths (S,), IOB2 masks) checks the sentence objective (network.sentence_loss,
    transitions A and a0 included) instead of the window objective on its head.
    Shapes: ids (N, n, m) as network.loss takes them. Only rows of E, C and the feature tables
    that the batch uses are perturbed (every other row's gradient is
    exactly zero both ways); a sparse analytic gradient is made dense for the comparison.
    `dropout` (rates on x and h) draws the same masks at every evaluation, so the function being
    differentiated is fixed; `weight_decay` adds the L2 penalty the optimiser applies. For gated
    units W and b are reported as their value half (a = xV + c) and gate half (g = xW + b).
    """
    network = network.astype(np.float64)

    def objective():
        masks = Dropout(*dropout, np.random.default_rng(DROPOUT_SEED)) if any(dropout) else None
        if sentences is None:
            J, grads = network.loss(ids, y, masks)
        else:
            J, grads = network.sentence_loss(ids, y, *sentences, masks)
        if weight_decay:
            penalty, penalty_grads = l2_penalty(network.params, weight_decay)
            J += penalty
            grads = {k: g + penalty_grads[k] if k in penalty_grads else g for k, g in grads.items()}
        return J, grads

    _, grads = objective()

    def loss() -> float:
        """J alone, from the forward pass and the objective's definition: no backward runs, so
        the numerical side neither pays for nor relies on the code being checked."""
        masks = Dropout(*dropout, np.random.default_rng(DROPOUT_SEED)) if any(dropout) else None
        s, _ = network.forward(ids, masks)
        if sentences is not None:  # (1/L) Σ over sentences of −log p(y | s), as trained
            lengths, (allowed_A, allowed_a0) = sentences
            p = network.params
            J = sentence_loss(s, lengths, y, p["A"], p["a0"], allowed_A, allowed_a0)[0]
            J *= len(lengths) / len(ids)
        elif network.head == "softmax":
            J = softmax_cross_entropy(s, y)[0]
        else:
            J = sigmoid_cross_entropy(s, y)[0]
        if weight_decay:
            J += l2_penalty(network.params, weight_decay)[0]
        return J

    errors = {}
    for name, param in network.params.items():
        analytic = grads[name]
        if isinstance(analytic, TableGrad):
            analytic = analytic.summed.dense(len(param))
            slots = [j for j, slot in enumerate(network.slots) if slot == name]
            rows = np.unique(ids[:, :, slots])
            view = param[rows]  # a copy: perturb it, write it back around every evaluation
            numeric = numerical_gradient(_through_rows(loss, param, rows, view), view)
            param[rows] = view  # the last evaluation left a perturbed row behind
            errors[name] = rel_error(analytic[rows], numeric)
            if np.any(np.delete(analytic, rows, axis=0)):
                errors[name] = float("inf")  # gradient leaked onto a row the batch never used
        elif network.activation.gated and name in ("W", "b"):
            half = len(param) // 2
            for part, rows in (("value", slice(0, half)), ("gate", slice(half, None))):
                # param[rows] is a view: perturbing it perturbs the parameter
                numeric = numerical_gradient(loss, param[rows])
                errors[f"{name}[{part}]"] = rel_error(analytic[rows], numeric)
        else:
            errors[name] = rel_error(analytic, numerical_gradient(loss, param))
    return errors


def _through_rows(loss, param: np.ndarray, rows: np.ndarray, view: np.ndarray):
    def f() -> float:
        param[rows] = view
        return loss()

    return f


# Activations with a kink at 0: their check samples z (and builds networks) away from it, since
# a finite difference that straddles the kink measures neither one-sided derivative.
KINKED = frozenset({"relu", "leaky_relu"})
KINK_MARGIN = 0.05


def check_activation(activation: Activation, rng: np.random.Generator, n: int = 6) -> float:
    """An activation's backward against its own forward: the vector–Jacobian product with a
    random upstream dh, in float64. Returns the relative error (rel_error)."""
    width = 2 * 8 if activation.gated else 8
    z = rng.normal(0.0, 2.0, size=(n, width))
    if activation.name in KINKED:
        z = np.where(z < 0, np.minimum(z, -KINK_MARGIN), np.maximum(z, KINK_MARGIN))
    h, cache = activation.forward(z)
    dh = rng.normal(size=h.shape)
    analytic = activation.backward(dh, cache)
    numeric = numerical_vjp(lambda: activation.forward(z)[0], z, dh)
    return rel_error(analytic, numeric)


def check_case(
    activation_name: str,
    head: str,
    seed: int = 0,
    dropout: tuple[float, float] = (0.0, 0.0),
    weight_decay: float = 0.0,
    objective: str = "window",
    **activation_params,
):
    """The full check of one (activation, head): every parameter's gradient, and the activation.

    Builds a small float64 network (vocabulary 12, d 4, casing 3, window 2, hidden 6, 5 tags)
    with every feature table (two prefix, two suffix, two cluster and two lexicon slots per
    position, reading one table each, a shape and a document slot), and a batch in which one
    word occurs in two windows and twice in one, and one prefix row, one cluster row and one
    lexicon row are each read by both slots of their table.
    Returns {parameter: relative error}.
    """
    rng = np.random.default_rng(seed)
    activation = get_activation(activation_name, **activation_params)
    for _ in range(100):  # redraw until no pre-activation sits near a kink
        network, batch = _small_case(activation, head, rng, objective)
        if activation.name not in KINKED or _min_abs_z(network, batch, dropout) > KINK_MARGIN:
            break
    ids, y = batch
    sentences = None
    if objective == "sentence":
        sentences = (SENTENCE_LENGTHS, _iob2_masks())
        y = SENTENCE_TAGS
    errors = check_network(
        network, ids, y, dropout=dropout, weight_decay=weight_decay, sentences=sentences
    )
    errors["activation"] = check_activation(activation, rng)
    return errors


# The feature tables of the check's network: (slots per position, rows, width).
_SMALL_TABLES = {
    "P": (2, 10, 2),
    "S": (2, 10, 2),
    "K": (1, 6, 2),
    "D": (1, 6, 3),
    "Q": (2, 8, 2),
    "L": (2, 10, 2),
    "R": (1, 12, 2),
}


# The sentence objective's check: 4 sentences over the 7 windows, gold paths IOB2 allows over
# the tags O, B-X, I-X, B-Y, I-Y (a sentence of one token, an entity of two, one of each type).
SENTENCE_LENGTHS = np.array([3, 1, 2, 1])
SENTENCE_TAGS = np.array([1, 2, 0, 3, 0, 3, 1])


def _iob2_masks() -> tuple[np.ndarray, np.ndarray]:
    """The 0/−inf masks of O, B-X, I-X, B-Y, I-Y (data.tags.allowed_transitions makes them for
    any tag set; model/ may not import it): I-k only after B-k or I-k, never first."""
    allowed = np.zeros((5, 5))
    start = np.zeros(5)
    for inside, begin in ((2, 1), (4, 3)):
        allowed[:, inside] = -np.inf
        allowed[[begin, inside], inside] = 0.0
        start[inside] = -np.inf
    return allowed, start


def _small_case(
    activation: Activation, head: str, rng: np.random.Generator, objective: str = "window"
):
    vocab, tags, n = 12, 5, 7
    E = rng.normal(0.0, 1.0, (vocab, 4))
    slots = ("E", "C", *(name for name, (k, _, _) in _SMALL_TABLES.items() for _ in range(k)))
    network = WindowNetwork.initialise(
        E,
        9,
        tags,
        window=2,
        hidden=6,
        activation=activation,
        casing_dim=3,
        rng=rng,
        head=head,
        slots=slots,
        tables={name: (rows, width) for name, (_, rows, width) in _SMALL_TABLES.items()},
        objective=objective,
    )
    network = network.astype(np.float64)
    # Biases and transitions start at zero; give them values so that their gradients are
    # checked off zero.
    for name in ("b", "c", *(("A", "a0") if objective == "sentence" else ())):
        network.params[name] = rng.normal(0.0, 0.5, network.params[name].shape)
    rows = {"E": vocab, "C": 9, **{name: r for name, (_, r, _) in _SMALL_TABLES.items()}}
    ids = np.stack([rng.integers(0, rows[slot], (n, 5)) for slot in slots], axis=2)
    ids[0, 0, 0] = ids[0, 4, 0] = ids[1, 2, 0] = 3  # a word twice in a window and in another one
    ids[2, 1, 2] = ids[2, 1, 3] = 4  # one prefix row read by both prefix slots
    q = slots.index("Q")
    ids[3, 0, q] = ids[4, 3, q + 1] = 5  # one cluster row read by both cluster slots
    lex = slots.index("L")
    ids[5, 2, lex] = ids[6, 4, lex + 1] = 7  # one lexicon row read by both lexicon slots
    y = rng.integers(0, tags, n)
    if head == "sigmoid":
        y = np.eye(tags)[y]
    return network, (ids, y)


def _min_abs_z(network: WindowNetwork, batch, dropout: tuple[float, float] = (0.0, 0.0)) -> float:
    """min |z| over the batch, z as the check computes it: x dropped out with the check's masks
    (the x mask is the first one its generator draws)."""
    ids, _ = batch
    x, _ = window_forward(network.params, network.slots, ids)
    if dropout[0] > 0:
        x, _ = dropout_forward(x, dropout[0], np.random.default_rng(DROPOUT_SEED))
    z = x @ network.params["W"].T + network.params["b"]
    return float(np.abs(z).min())


TOLERANCE = 1e-6  # the largest relative error a correct backward may show
# Each (activation, head) is checked as trained by default, and again with dropout on x and h
# and L2 weight decay, the training-time terms that change the gradients.
# The sentence objective, which does not use the head, is checked once per activation.
VARIANTS = {"plain": ((0.0, 0.0), 0.0), "dropout+l2": ((0.25, 0.25), 0.01)}
SENTENCE_VARIANT = "sentence"


@dataclass(frozen=True)
class CaseResult:
    """The check of one (activation, head, variant): the largest relative error per parameter."""

    activation: str
    head: str
    variant: str
    hyperparameters: dict[str, float]
    errors: dict[str, float]  # parameter (and "activation", its own forward) -> relative error

    @property
    def largest(self) -> float:
        return max(self.errors.values())

    @property
    def passed(self) -> bool:
        return self.largest < TOLERANCE


def check_all(
    activations: Sequence[str],
    heads: Sequence[str],
    seed: int = 0,
    sentence: bool = True,
    **given: float,
) -> list[CaseResult]:
    """check_case for every activation × head × VARIANTS, and (with `sentence`) the sentence
    objective once per activation, with those of the `given` hyperparameters (leak, beta) that
    each activation takes."""
    return list(each_check(activations, heads, seed, sentence, **given))


def each_check(
    activations: Sequence[str],
    heads: Sequence[str],
    seed: int = 0,
    sentence: bool = True,
    **given: float,
) -> Iterator[CaseResult]:
    """check_all's results one at a time, each as soon as it is computed (all take ~20 s)."""
    for name in activations:
        hyper = {k: given.get(k, default) for k, default in hyperparameters(name).items()}
        for head in heads:
            for variant, (dropout, weight_decay) in VARIANTS.items():
                errors = check_case(name, head, seed, dropout, weight_decay, **hyper)
                yield CaseResult(name, head, variant, hyper, errors)
        if sentence:
            errors = check_case(name, "softmax", seed, objective="sentence", **hyper)
            yield CaseResult(name, "-", SENTENCE_VARIANT, hyper, errors)


def check_sentence_loss(
    s: np.ndarray,
    lengths: np.ndarray,
    y: np.ndarray,
    A: np.ndarray,
    a0: np.ndarray,
    allowed_A: np.ndarray,
    allowed_a0: np.ndarray,
    loss: Callable | None = None,
) -> dict[str, float]:
    """Largest relative error of the sentence-level loss's ds, dA and da0, in float64.

    Shapes: as sentence.sentence_loss -> {"s", "A", "a0": relative error}. `loss` (default
    sentence_loss, same signature and returns) is the function checked, so a test can hand
    in a broken one. Entries of A and a0 the masks forbid leave J unchanged, so their
    numerical gradient is exactly 0: an analytic gradient there that is not 0 fails the check.
    """
    loss = sentence_loss if loss is None else loss
    s, A, a0 = (np.array(x, dtype=np.float64) for x in (s, A, a0))
    _, ds, dA, da0 = loss(s, lengths, y, A, a0, allowed_A, allowed_a0)

    def J() -> float:
        return loss(s, lengths, y, A, a0, allowed_A, allowed_a0)[0]

    return {
        "s": rel_error(ds, numerical_gradient(J, s)),
        "A": rel_error(dA, numerical_gradient(J, A)),
        "a0": rel_error(da0, numerical_gradient(J, a0)),
    }
