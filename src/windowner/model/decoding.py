"""Turn per-token tag log-probabilities into a tag sequence: greedy, or BIO-constrained Viterbi.

Greedy takes each token's most probable tag on its own and can emit `O I-PER` or `B-LOC I-PER`.
Viterbi finds the most probable sequence among those an IOB2 tagging allows: I-X only after
B-X or I-X, never first in a sentence. viterbi_batch runs the same recursion for many sentences
at once, one time step for all of them per numpy call, and returns the same paths.
"""

from __future__ import annotations

import numpy as np

from windowner.choices import DECODERS, check_choice


def check_decoder(name: str) -> str:
    """`name` if it is one of DECODERS; else a ValueError listing them."""
    return check_choice(name, DECODERS, "decoding")


def greedy(log_p: np.ndarray) -> np.ndarray:
    """Shapes: log_p (n, T) -> tag ids (n,)."""
    return log_p.argmax(axis=1)


def viterbi(log_p: np.ndarray, transition: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The highest-scoring allowed tag sequence of one sentence.

    Shapes: log_p (n, T), transition (T, T) [previous, next], start (T,) -> tag ids (n,).
    Math: score(y) = start[y₁] + Σₜ log_p[t, yₜ] + Σₜ transition[yₜ₋₁, yₜ], maximised by dynamic
    programming: best[t, j] = log_p[t, j] + maxᵢ (best[t−1, i] + transition[i, j]).
    """
    n = len(log_p)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    best = start + log_p[0]
    back = np.zeros((n, log_p.shape[1]), dtype=np.int64)
    for t in range(1, n):
        candidates = best[:, None] + transition  # [previous, next]
        back[t] = candidates.argmax(axis=0)
        best = candidates[back[t], np.arange(log_p.shape[1])] + log_p[t]
    path = np.empty(n, dtype=np.int64)
    path[-1] = best.argmax()
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def viterbi_batch(
    log_p: np.ndarray, lengths: np.ndarray, transition: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """viterbi() of every sentence at once, vectorised across sentences: the same paths.

    Shapes: log_p (L, T) the sentences' tokens one after another, lengths (S,) summing to L,
    transition (T, T), start (T,) -> tag ids (L,), row for row with log_p (np.split(ids,
    np.cumsum(lengths)[:-1]) gives each sentence's path).
    Sentences are taken longest first, so that the n still running at step t are the first n:
    one (n, T, T) array of candidates advances them all, and the backtrace walks the stored
    argmaxes back the same way. Scores are viterbi()'s sums, in its order and dtype, and ties
    go to the lowest tag id as there.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    if int(lengths.sum()) != len(log_p):
        raise ValueError(f"lengths sum to {int(lengths.sum())} but log_p has {len(log_p)} rows")
    n_tags = len(start)
    order = np.argsort(-lengths, kind="stable")  # longest first
    starts = (np.cumsum(lengths) - lengths)[order]  # row of each sentence's first token
    # running[t]: how many sentences have a token at step t, the first ones in `order`.
    running = np.searchsorted(-lengths[order], -np.arange(lengths.max(initial=0)), side="left")
    best = start + log_p[starts[: running[0] if len(running) else 0]]
    into = np.ascontiguousarray(transition.T)  # [next, previous]: maxima along the last axis
    back = [np.zeros((0, n_tags), np.int64)]  # back[t][i, j]: sentence i's best tag before j
    for t in range(1, len(running)):
        n = running[t]
        candidates = (best[:n, None, :] + into).reshape(n * n_tags, n_tags)
        previous = candidates.argmax(axis=1)
        # the maximum is the candidate at its argmax (taking it is ~10x faster than .max())
        best[:n] = candidates[np.arange(n * n_tags), previous].reshape(n, n_tags)
        best[:n] += log_p[starts[:n] + t]
        back.append(previous.reshape(n, n_tags))
    paths = np.empty(len(log_p), np.int64)
    tag = best.argmax(axis=1)  # each sentence's tag at its last token
    for t in range(len(running) - 1, -1, -1):
        if t + 1 < len(running):  # the sentences going on past t step back from their tag at t + 1
            going_on = running[t + 1]
            tag[:going_on] = back[t + 1][np.arange(going_on), tag[:going_on]]
        paths[starts[: running[t]] + t] = tag[: running[t]]
    return paths
