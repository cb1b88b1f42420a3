"""Collobert et al. (2011)'s sentence-level log-likelihood: a linear-chain CRF on the scores s.

The window network scores every token on its own, s = Uh + c (L, T). This loss scores whole tag
paths instead: a path y of an n-token sentence gets

    score(y) = a0[y₁] + Σₜ s[t, yₜ] + Σₜ₌₂ⁿ A[yₜ₋₁, yₜ]

with learned transition scores A (T, T) [previous, next] and start scores a0 (T,), and
J = logZ − score(y), logZ = log Σ_y′ exp(score(y′)) over every path. The IOB2 constraints enter as
additive 0/−inf masks (tagging.tags.allowed_transitions) on A and a0, so a forbidden path has
probability exactly 0 in training, as it has in decoding.

Sentences are laid one after another (L rows for S sentences, `lengths` summing to L) and every
recursion runs vectorised across them: sentences are taken longest first, so the n still running
at step t are the first n, and one numpy step advances them all (as decoding.viterbi_batch does).
The derivation is in docs/backprop.md, section 10.

Decoding needs nothing from here but the scores: with `transition, start = transition_scores(A,
a0, allowed_A, allowed_a0)`, the best allowed path is `viterbi_batch(s, lengths, transition,
start)` of model/decoding.py.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from windowner.model.numerics import log_softmax, logsumexp


def initial_transitions(n_tags: int, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Zero transition and start scores: A (T, T), a0 (T,).

    Zeros, not random: for fixed s the loss is convex in (A, a0) (log-sum-exp of affine
    functions minus a linear one), so there is no symmetry to break; at zero ∂J/∂A is already
    the expected minus the gold transition counts, and the masks carry the hard constraints.
    """
    return np.zeros((n_tags, n_tags), dtype), np.zeros(n_tags, dtype)


def transition_scores(
    A: np.ndarray, a0: np.ndarray, allowed_A: np.ndarray, allowed_a0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The scores the loss and Viterbi use: learned scores plus the 0/−inf masks.

    Shapes: A, allowed_A (T, T) [previous, next]; a0, allowed_a0 (T,) -> transition (T, T),
    start (T,), −inf exactly where the masks are.
    Decoding: viterbi_batch(s, lengths, transition, start) finds argmax_y score(y).
    """
    return A + allowed_A, a0 + allowed_a0


def sentence_loss(
    s: np.ndarray,
    lengths: np.ndarray,
    y: np.ndarray,
    A: np.ndarray,
    a0: np.ndarray,
    allowed_A: np.ndarray,
    allowed_a0: np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The mean over sentences of −log p(y | s) and its gradients, by forward–backward.

    Shapes: s (L, T) token scores, lengths (S,) summing to L, y (L,) gold tag ids, A and
    allowed_A (T, T) [previous, next], a0 and allowed_a0 (T,) -> J scalar, ds (L, T),
    dA (T, T), da0 (T,).
    Math: J = (1/S) Σ_sentences [logZ − score(y)], with A + allowed_A and a0 + allowed_a0 in
    both terms; p = exp(α + β − logZ) the token marginals, ξ the pairwise ones:
    ds = (p − onehot(y)) / S, dA = (Σₜ ξₜ − gold transition counts) / S,
    da0 = (p₁ − onehot(y₁)) / S.
    Normalisation: S counts the sentences scored, the per-sentence mean (a batch of one long
    and one short sentence weighs both alike, as a token batch of softmax windows weighs
    tokens alike).
    A gold path the masks forbid (an I-X after O, from a badly converted IOB1 file) has
    p(y) = 0 and J = +inf; such a sentence, and any empty one, is left out of J, of every
    gradient (its rows of ds are 0) and of S. forbidden_gold() finds them beforehand. If no
    sentence is left, J = 0 and every gradient is 0.
    Forbidden entries of A and a0 get a gradient of exactly 0, never NaN. The arithmetic is in
    s's dtype (float32 for training, float64 for checks); ds has s's dtype, dA A's, da0 a0's.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    if int(lengths.sum()) != len(s) or len(y) != len(s):
        raise ValueError(
            f"lengths sum to {int(lengths.sum())}, s has {len(s)} rows and y {len(y)} entries"
        )
    dtype = s.dtype
    transition, start = (
        x.astype(dtype, copy=False) for x in transition_scores(A, a0, allowed_A, allowed_a0)
    )
    ds = np.zeros_like(s)
    keep = (lengths > 0) & ~forbidden_gold(y, lengths, allowed_A, allowed_a0)
    n_kept = int(keep.sum())
    if n_kept == 0:
        return 0.0, ds, np.zeros_like(A), np.zeros_like(a0)
    rows = np.repeat(keep, lengths)  # the tokens of the sentences scored
    if keep.all():
        s_kept, y_kept = s, y
    else:
        s_kept, y_kept, lengths = s[rows], y[rows], lengths[keep]

    packing = _pack(lengths)
    s_packed = s_kept[packing.rows]
    alpha, logZ = _forward(s_packed, packing, transition, start)
    beta, expected = _backward(s_packed, packing, transition, alpha, logZ)
    p = np.empty_like(s_kept)
    p[packing.rows] = _token_marginals(alpha, beta)

    first = np.cumsum(lengths) - lengths  # row of each sentence's first token
    later = np.ones(len(y_kept), bool)
    later[first] = False  # tokens with a predecessor in their sentence
    current = np.flatnonzero(later)
    previous_tag, tag = y_kept[current - 1], y_kept[current]
    gold = (
        float(s_kept[np.arange(len(y_kept)), y_kept].sum(dtype=np.float64))
        + float(start[y_kept[first]].sum(dtype=np.float64))
        + float(transition[previous_tag, tag].sum(dtype=np.float64))
    )
    J = (float(logZ.sum(dtype=np.float64)) - gold) / n_kept

    d_kept = p  # ds = (p − onehot(y)) / S, in place
    d_kept[np.arange(len(y_kept)), y_kept] -= 1.0
    d_kept /= n_kept
    ds[rows] = d_kept
    dA = (expected - _gold_transition_counts(previous_tag, tag, s.shape[1])) / n_kept
    da0 = d_kept[first].sum(axis=0)  # (p₁ − onehot(y₁)) / S: the first tokens' rows of ds
    return J, ds, dA.astype(A.dtype, copy=False), da0.astype(a0.dtype, copy=False)


def forbidden_gold(
    y: np.ndarray, lengths: np.ndarray, allowed_A: np.ndarray, allowed_a0: np.ndarray
) -> np.ndarray:
    """Which sentences' gold paths the masks forbid (sentence_loss leaves those out).

    Shapes: y (L,), lengths (S,), allowed_A (T, T), allowed_a0 (T,) -> (S,) bool.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    sentence = np.repeat(np.arange(len(lengths)), lengths)
    first = np.cumsum(lengths) - lengths
    bad = np.isneginf(allowed_A[y[:-1], y[1:]])  # bad[t − 1]: the step into token t
    bad = np.concatenate([[False], bad]) if len(y) else bad
    firsts = first[lengths > 0]
    bad[firsts] = np.isneginf(allowed_a0[y[firsts]])  # a first token has no step into it
    return np.bincount(sentence, weights=bad, minlength=len(lengths)) > 0


def log_partition(
    s: np.ndarray, lengths: np.ndarray, transition: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """logZ of every sentence by the forward algorithm, in log space.

    Shapes: s (L, T), lengths (S,) all ≥ 1, transition (T, T), start (T,) (transition_scores)
    -> logZ (S,). Math: α₁ = start + s₁, αₜ[j] = sₜ[j] + logsumexpᵢ(αₜ₋₁[i] + transition[i, j]),
    logZ = logsumexpⱼ αₙ[j]; −inf for a sentence the masks leave no path (IOB2 masks always
    leave one: all O).
    """
    packing = _pack(np.asarray(lengths, dtype=np.int64))
    _, logZ = _forward(s[packing.rows], packing, transition, start)
    out = np.empty_like(logZ)
    out[packing.order] = logZ
    return out


def marginals(
    s: np.ndarray, lengths: np.ndarray, transition: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """p(yₜ = j | s) of every token, by forward–backward (also a tagger's confidence).

    Shapes: s (L, T), lengths (S,) all ≥ 1, transition (T, T), start (T,) -> p (L, T), rows
    summing to 1. Math: p = exp(α + β − logZ), undefined (NaN) for a sentence the masks leave
    no path.
    """
    packing = _pack(np.asarray(lengths, dtype=np.int64))
    s_packed = s[packing.rows]
    alpha, logZ = _forward(s_packed, packing, transition, start)
    beta, _ = _backward(s_packed, packing, transition, alpha, logZ)
    p = np.empty_like(s)
    p[packing.rows] = _token_marginals(alpha, beta)
    return p


def _token_marginals(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Shapes: alpha, beta (L, T) -> p (L, T).

    Math: p[t, j] = exp(αₜ[j] + βₜ[j] − logZ), and Σⱼ exp(αₜ[j] + βₜ[j]) = Z at every t, so
    p[t] = softmax(αₜ + βₜ): normalised by its own row, each row sums to 1 to rounding even in
    float32 when α + β is large (a long sentence of huge scores), where subtracting the
    sentence's logZ would leave an error of one float32 step of α + β in every exponent. α, β
    are never +inf and each row has a finite entry, so −inf entries give 0, not NaN.
    """
    return np.exp(log_softmax(alpha + beta))


class _Packing(NamedTuple):
    """The sentences' tokens reordered time step by time step, longest sentence first.

    Step t holds the running[t] sentences that have a token t, in the same order at every step,
    at packed rows offsets[t] … offsets[t] + running[t]: sentence k's token t is row
    offsets[t] + k, its token t − 1 row offsets[t − 1] + k, so each step of a recursion reads
    and writes contiguous slices. s[rows] packs (L, T) scores; p[rows] = packed unpacks.
    """

    order: np.ndarray  # (S,) the sentences longest first
    running: np.ndarray  # (n,) how many sentences have a token at step t
    offsets: np.ndarray  # (n + 1,) first packed row of each step
    rows: np.ndarray  # (L,) the row of s that each packed row holds
    ends: np.ndarray  # (S,) packed row of each sentence's last token, longest first


def _pack(lengths: np.ndarray) -> _Packing:
    """Shapes: lengths (S,) all ≥ 1 -> the packing of L = Σ lengths tokens."""
    order = np.argsort(-lengths, kind="stable")
    by_length = lengths[order]
    running = np.searchsorted(-by_length, -np.arange(by_length.max(initial=0)), side="left")
    offsets = np.concatenate([[0], np.cumsum(running)])
    step = np.repeat(np.arange(len(running)), running)  # t of each packed row
    sentence = np.arange(len(step)) - offsets[step]  # k of each packed row
    first = (np.cumsum(lengths) - lengths)[order]
    ends = offsets[by_length - 1] + np.arange(len(lengths))
    return _Packing(order, running, offsets, first[sentence] + step, ends)


def _forward(
    s: np.ndarray, packing: _Packing, transition: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shapes: s (L, T) packed -> log α (L, T) packed, logZ (S,) longest first."""
    alpha = np.empty_like(s)
    running, offsets = packing.running, packing.offsets
    if not len(running):
        return alpha, np.zeros(0, s.dtype)
    alpha[: running[0]] = start + s[: running[0]]
    lowest = np.finfo(s.dtype).min
    with np.errstate(divide="ignore"):  # log 0 = −inf: no path reaches that tag
        for t in range(1, len(running)):
            n, here, before = running[t], offsets[t], offsets[t - 1]
            # αₜ[k, j] = sₜ[k, j] + logsumexpᵢ(αₜ₋₁[k, i] + transition[i, j]), all k at once:
            # numerics.logsumexp written out, its per-call costs paid once per loop, not step
            M = alpha[before : before + n, :, None] + transition
            m = M.max(axis=1)
            np.maximum(m, lowest, out=m)  # not −inf, or an all −inf column gives NaN
            M -= m[:, None, :]
            np.exp(M, out=M)
            out = alpha[here : here + n]
            np.log(M.sum(axis=1), out=out)
            out += m
            out += s[here : here + n]
    return alpha, logsumexp(alpha[packing.ends], axis=1)


def _backward(
    s: np.ndarray,
    packing: _Packing,
    transition: np.ndarray,
    alpha: np.ndarray,
    logZ: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Shapes: s, alpha (L, T) packed, logZ (S,) longest first -> log β (L, T) packed,
    expected transition counts Σ_sentences Σₜ ξₜ (T, T), in float64.

    Math: βₙ = 0, βₜ₋₁[i] = logsumexpⱼ(transition[i, j] + sₜ[j] + βₜ[j]),
    ξₜ[i, j] = exp(αₜ₋₁[i] + transition[i, j] + sₜ[j] + βₜ[j] − logZ).
    """
    beta = np.empty_like(s)
    expected = np.zeros(transition.shape, np.float64)
    running, offsets = packing.running, packing.offsets
    beta[packing.ends] = 0.0
    # αₜ₋₁ − logZ of every packed row: row offsets[t] + k belongs to sentence k
    step = np.repeat(np.arange(len(running)), running)
    alpha_over_Z = alpha - logZ[np.arange(len(s)) - offsets[step], None]
    lowest = np.finfo(s.dtype).min
    with np.errstate(divide="ignore"):  # log 0 = −inf: no path goes on from that tag
        for t in range(len(running) - 1, 0, -1):
            n, here, before = running[t], offsets[t], offsets[t - 1]
            # M[k, i, j] = transition[i, j] + sₜ[k, j] + βₜ[k, j]: the step from i at t − 1 to j
            M = (s[here : here + n] + beta[here : here + n])[:, None, :] + transition
            m = M.max(axis=2)  # βₜ₋₁ = logsumexpⱼ M, written out as in _forward
            np.maximum(m, lowest, out=m)
            M -= m[:, :, None]
            np.exp(M, out=M)  # E = e^(M − m), exactly 0 where transition is −inf
            out = beta[before : before + n]
            np.log(M.sum(axis=2), out=out)
            out += m
            # ξₜ = e^(αₜ₋₁ + M − logZ) = E · e^(m + αₜ₋₁ − logZ), the one exp serving both;
            # m + αₜ₋₁ − logZ ≤ log pₜ₋₁ ≤ 0, so the factor never overflows, and it is 0 where
            # αₜ₋₁ = −inf or m is the lowest float (no −inf − (−inf), no 0 · inf)
            w = alpha_over_Z[before : before + n] + m
            np.exp(w, out=w)
            M *= w[:, :, None]
            expected += M.sum(axis=0)
    return beta, expected


def _gold_transition_counts(previous: np.ndarray, tag: np.ndarray, n_tags: int) -> np.ndarray:
    """Shapes: previous, tag (P,) the gold pairs -> counts (T, T) [previous, next]."""
    pairs = np.bincount(previous * n_tags + tag, minlength=n_tags * n_tags)
    return pairs.reshape(n_tags, n_tags).astype(np.float64)
