"""Subword features: prefixes, suffixes and word shapes, each a small learned embedding.

A word GloVe lacks still says something through its ending ("-ville", "-burg", "-ski") and its
shape ("X.X.", "Xxxx-Xxxx", "dd-dd"). Each feature is a table of strings seen at least
`min_count` times in the training data, row 0 standing for every string that was not (and for
the padding beyond a sentence edge, row 1); a token's row is found once per distinct token.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

UNSEEN, PADDING = "<unseen>", "<pad>"  # rows 0 and 1 of every table
UNSEEN_ID, PADDING_ID = 0, 1
MAX_SHAPE_RUN = 2  # "Xxxxxx" → "Xxx": runs of one class longer than this are cut to it


def prefix(token: str, length: int) -> str:
    """The first `length` characters, lowercased; a shorter token is its own prefix."""
    return token[:length].lower()


def suffix(token: str, length: int) -> str:
    return token[-length:].lower()


def shape(token: str) -> str:
    """The token's characters as classes, X upper, x lower, d digit, other characters kept, with
    runs cut to MAX_SHAPE_RUN: "Paris" → "Xxx", "U.S." → "X.X.", "1996" → "dd", "2-1" → "d-d",
    "McDonald" → "XxXxx", "F-16" → "X-dd"."""
    out: list[str] = []
    run = 0
    for char in token:
        c = "X" if char.isupper() else "x" if char.islower() else "d" if char.isdigit() else char
        run = run + 1 if out and out[-1] == c else 1
        if run <= MAX_SHAPE_RUN:
            out.append(c)
    return "".join(out)


@dataclass(frozen=True)
class StringTable:
    """The rows of one feature's embedding: UNSEEN, PADDING, then the kept strings."""

    strings: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {s: i for i, s in enumerate(self.strings)})

    def __len__(self) -> int:
        return len(self.strings)

    def ids(self, keys: Iterable[str]) -> np.ndarray:
        index = self._index  # type: ignore[attr-defined]
        return np.fromiter((index.get(k, UNSEEN_ID) for k in keys), np.int32)

    @classmethod
    def build(cls, keys: Iterable[str], min_count: int) -> StringTable:
        """Strings seen at least `min_count` times, most frequent first (ties alphabetical)."""
        counts = Counter(keys)
        kept = sorted(
            (s for s, n in counts.items() if n >= min_count), key=lambda s: (-counts[s], s)
        )
        return cls((UNSEEN, PADDING, *kept))


@dataclass(frozen=True)
class Subwords:
    """Which subword features a model has and the table of each.

    prefixes[i] and suffixes[i] are the tables of affixes of length lengths[i]; shapes is None
    without the shape feature. Shapes of the ids a token gets: one per table, in `names` order.
    """

    lengths: tuple[int, ...]
    prefixes: tuple[StringTable, ...]
    suffixes: tuple[StringTable, ...]
    shapes: StringTable | None

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter (table) name of each feature slot, in the order ids() gives them."""
        affixes = ("P",) * len(self.lengths) + ("S",) * len(self.lengths)
        return affixes + (("K",) if self.shapes is not None else ())

    def tables(self) -> list[tuple[str, StringTable]]:
        slots = [*self.prefixes, *self.suffixes, *([self.shapes] if self.shapes else [])]
        return list(zip(self.names, slots, strict=True))

    def ids(self, types: Sequence[str]) -> np.ndarray:
        """Shapes: types (V,) distinct tokens -> (V, m) ids, m = len(names); the P slots index
        one table of all prefix lengths together (see combined), the S slots likewise."""
        columns = []
        offset = 0
        for i, length in enumerate(self.lengths):
            columns.append(self.prefixes[i].ids(prefix(t, length) for t in types) + offset)
            offset += len(self.prefixes[i])
        offset = 0
        for i, length in enumerate(self.lengths):
            columns.append(self.suffixes[i].ids(suffix(t, length) for t in types) + offset)
            offset += len(self.suffixes[i])
        if self.shapes is not None:
            columns.append(self.shapes.ids(shape(t) for t in types))
        return np.stack(columns, axis=1) if columns else np.zeros((len(types), 0), np.int32)

    def padding_ids(self) -> np.ndarray:
        """(m,) the ids of a position beyond the sentence edge, as ids() lays the slots out."""
        ids, offset = [], 0
        for table in self.prefixes:
            ids.append(offset + PADDING_ID)
            offset += len(table)
        offset = 0
        for table in self.suffixes:
            ids.append(offset + PADDING_ID)
            offset += len(table)
        if self.shapes is not None:
            ids.append(PADDING_ID)
        return np.array(ids, np.int32)

    def rows(self) -> dict[str, int]:
        """How many rows each parameter table needs: P and S hold all lengths one after another."""
        out = {}
        if self.lengths:
            out["P"] = sum(len(t) for t in self.prefixes)
            out["S"] = sum(len(t) for t in self.suffixes)
        if self.shapes is not None:
            out["K"] = len(self.shapes)
        return out

    def to_dict(self) -> dict:
        """The tables as JSON-able lists (saved in the model file)."""
        return {
            "lengths": list(self.lengths),
            "prefixes": [list(t.strings[2:]) for t in self.prefixes],
            "suffixes": [list(t.strings[2:]) for t in self.suffixes],
            "shapes": list(self.shapes.strings[2:]) if self.shapes is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Subwords:
        def table(strings: list[str]) -> StringTable:
            return StringTable((UNSEEN, PADDING, *strings))

        return cls(
            tuple(data["lengths"]),
            tuple(table(s) for s in data["prefixes"]),
            tuple(table(s) for s in data["suffixes"]),
            table(data["shapes"]) if data["shapes"] is not None else None,
        )

    @classmethod
    def build(
        cls, tokens: Sequence[str], lengths: Sequence[int], with_shape: bool, min_count: int
    ) -> Subwords:
        """The tables of the training tokens: affixes of each length and shapes seen at least
        `min_count` times."""
        return cls(
            tuple(lengths),
            tuple(StringTable.build((prefix(t, n) for t in tokens), min_count) for n in lengths),
            tuple(StringTable.build((suffix(t, n) for t in tokens), min_count) for n in lengths),
            StringTable.build((shape(t) for t in tokens), min_count) if with_shape else None,
        )


NO_SUBWORDS = Subwords((), (), (), None)
