"""Turn per-token tag log-probabilities into a tag sequence: greedy, or BIO-constrained Viterbi.

Greedy takes each token's most probable tag on its own and can emit `O I-PER` or `B-LOC I-PER`.
Viterbi finds the most probable sequence among those an IOB2 tagging allows: I-X only after
B-X or I-X, never first in a sentence.
"""

from __future__ import annotations

import numpy as np

from windowner.tags import parse_tag

DECODERS = ("greedy", "viterbi")


def greedy(log_p: np.ndarray) -> np.ndarray:
    """Shapes: log_p (n, T) -> tag ids (n,)."""
    return log_p.argmax(axis=1)


def allowed_transitions(tags: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """IOB2 constraints as additive scores: 0 where allowed, −inf where not.

    Shapes: -> transition (T, T) indexed [previous, next], start (T,).
    """
    parsed = [parse_tag(tag) for tag in tags]

    def can_follow(previous: tuple[str, str] | None, nxt: tuple[str, str]) -> bool:
        prefix, label = nxt
        return prefix != "I" or (
            previous is not None and previous[0] != "O" and previous[1] == label
        )

    transition = np.array([[0.0 if can_follow(p, n) else -np.inf for n in parsed] for p in parsed])
    start = np.array([0.0 if can_follow(None, n) else -np.inf for n in parsed])
    return transition, start


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
