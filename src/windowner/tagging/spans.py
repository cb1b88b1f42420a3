"""The entity chunks of many sentences at once, from their tag ids: data/tags.py's spans() in numpy.

spans() walks one sentence token by token, asking for each pair of adjacent tags whether a chunk
ends before the second and whether one starts at it. Those two answers depend on the pair alone,
so for a model's T tags they form two (T+1, T) tables (row T: the O before a sentence), read here
for every token of a batch in one gather; a chunk then runs from each start to the next end or
start, or to its sentence's end.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from windowner.data.tags import OUTSIDE, _boundary, parse_tag


@lru_cache(maxsize=16)
def boundary_tables(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Shapes: tags (T,) -> ends (T+1, T), starts (T+1, T) bool, [previous, next], row T for the
    O before a sentence; and each tag's type (T,), as spans() reads it."""
    previous = (*tags, OUTSIDE)
    ends = np.array([[_boundary(p, t, None)[0] for t in tags] for p in previous], bool)
    starts = np.array([[_boundary(p, t, None)[1] for t in tags] for p in previous], bool)
    ends.flags.writeable = starts.flags.writeable = False
    return ends, starts, tuple(parse_tag(t)[1] for t in tags)


def batch_spans(
    ids: np.ndarray, lengths: np.ndarray, tags: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every chunk of the sentences, in order: spans() of each sentence's tags, offsets into the
    flat token sequence.

    Shapes: ids (L,) tag ids of S sentences one after another, lengths (S,) summing to L ->
    start (C,), end (C,) token indices (end exclusive), labels (C,).
    """
    ends_table, starts_table, types = boundary_tables(tags)
    sentence_ends = np.cumsum(lengths)
    previous = np.empty(len(ids), np.intp)
    previous[1:] = ids[:-1]
    first = (sentence_ends - lengths)[lengths > 0]
    previous[first] = len(tags)  # each sentence is preceded by O, as in spans()
    ends = ends_table[previous, ids]
    starts = starts_table[previous, ids]
    opened = np.flatnonzero(starts)
    # an open chunk closes at the next token that ends or starts one, or at its sentence's end
    closes = np.union1d(np.flatnonzero(ends | starts), sentence_ends)
    closed = closes[np.searchsorted(closes, opened, side="right")]
    return opened, closed, [types[i] for i in ids[opened].tolist()]
