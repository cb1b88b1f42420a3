"""An epoch's minibatches: shuffled windows, or shuffled whole sentences for the sentence
objective, which scores a sentence's tag path and so needs every token of it in one batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Batch:
    rows: np.ndarray  # (N,) the windows (tokens) of the batch
    lengths: np.ndarray | None  # (S,) its sentences' lengths, rows in sentence order; None: windows


def window_batches(order: np.ndarray, size: int) -> list[Batch]:
    """`order` a permutation of the windows -> consecutive runs of `size` of them."""
    return [Batch(order[i : i + size], None) for i in range(0, len(order), size)]


def sentence_batches(order: np.ndarray, lengths: np.ndarray, size: int) -> list[Batch]:
    """`order` a permutation of the sentences -> runs of whole sentences, each closed as soon
    as it holds at least `size` tokens, so that a batch is about as large as a window batch.

    Shapes: order (S,), lengths (S,) tokens per sentence in corpus order.
    """
    starts = np.cumsum(lengths) - lengths  # each sentence's first window
    batches: list[Batch] = []
    chosen: list[int] = []
    tokens = 0
    for sentence in order.tolist():
        chosen.append(sentence)
        tokens += int(lengths[sentence])
        if tokens >= size:
            batches.append(_sentences(chosen, starts, lengths))
            chosen, tokens = [], 0
    if chosen:
        batches.append(_sentences(chosen, starts, lengths))
    return batches


def _sentences(chosen: list[int], starts: np.ndarray, lengths: np.ndarray) -> Batch:
    picked = lengths[chosen]
    rows = np.concatenate([np.arange(starts[s], starts[s] + lengths[s]) for s in chosen])
    return Batch(rows, picked)
