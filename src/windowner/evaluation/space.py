"""Word vectors made ready for cosine search (Space), and the two questions `ner-vectors` asks
of them: a word's nearest neighbours and an analogy's best answers.

Words are matched case-insensitively, a word's most frequent spelling standing for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from windowner.errors import UserError
from windowner.vectors.loading import Vectors


@dataclass(frozen=True)
class Space:
    """Vectors made ready for cosine search: unit rows and a case-insensitive word index.

    Shapes: unit (V, d) float32 with ‖row‖ = 1 (all-zero rows stay 0); fold (V,) int64, the
    first row of each row's case-insensitive spelling.
    """

    spec: str
    words: list[str]
    unit: np.ndarray
    index: dict[str, int]  # UPPER-CASED word -> its first (most frequent) row
    fold: np.ndarray

    @classmethod
    def of(cls, vectors: Vectors, max_words: int | None = None) -> Space:
        """The first `max_words` rows of `vectors` (all by default), unit-normalised."""
        words = vectors.words[:max_words] if max_words else vectors.words
        matrix = np.asarray(vectors.matrix[: len(words)], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        unit = np.ascontiguousarray(matrix / np.where(norms > 0, norms, 1), dtype=np.float32)
        index: dict[str, int] = {}
        fold = np.empty(len(words), np.int64)
        for i, word in enumerate(words):
            fold[i] = index.setdefault(word.upper(), i)
        return cls(vectors.spec, list(words), unit, index, fold)

    @property
    def dim(self) -> int:
        return int(self.unit.shape[1])

    def row(self, word: str) -> int | None:
        return self.index.get(word.upper())

    def rows(self, words: Sequence[str]) -> list[int]:
        """Rows of words that must be present; UserError naming the missing ones."""
        missing = [w for w in words if self.row(w) is None]
        if missing:
            raise UserError(f"not in the vectors {self.spec}: {', '.join(missing)}")
        return [self.row(w) for w in words]

    def nearest(self, q: np.ndarray, exclude: Sequence[int] = (), topn: int = 10):
        """The `topn` words closest in cosine to direction q, skipping the spellings of the
        rows in `exclude`. Shapes: q (d,) -> list of (word, cosine)."""
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        scores = self.unit @ q.astype(np.float32)
        scores[np.isin(self.fold, self.fold[list(exclude)])] = -np.inf
        top = np.argsort(-scores, kind="stable")[:topn]
        return [(self.words[i], float(scores[i])) for i in top if np.isfinite(scores[i])]


def neighbors(space: Space, word: str, topn: int = 10) -> list[tuple[str, float]]:
    """The words nearest `word` in cosine, itself excluded."""
    (row,) = space.rows([word])
    return space.nearest(space.unit[row], [row], topn)


def analogy(space: Space, a: str, b: str, c: str, topn: int = 5) -> list[tuple[str, float]]:
    """a : b :: c : ? by 3CosAdd, the three input words excluded; the best `topn` answers."""
    ra, rb, rc = space.rows([a, b, c])
    return space.nearest(space.unit[rb] - space.unit[ra] + space.unit[rc], [ra, rb, rc], topn)
