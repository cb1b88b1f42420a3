"""The word-similarity test: the Spearman ρ between human ratings and cos(a, b) on a file of
rated word pairs (WordSim353, SimLex-999). A pair with a word the vectors lack is left out and
counted as out of vocabulary, exactly as gensim's evaluate_word_pairs does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from windowner.errors import UserError
from windowner.evaluation.space import Space
from windowner.evaluation.word_lists import read_lines


@dataclass(frozen=True)
class PairScores:
    """Spearman ρ between human ratings and cosine similarity on the pairs both words of which
    are in the vocabulary; the others are counted out of vocabulary."""

    name: str
    spearman: float
    pairs: int  # pairs scored
    total: int  # pairs in the file

    @property
    def oov_share(self) -> float:
        return 1 - self.pairs / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "oov_share": self.oov_share}


def read_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """Tab-separated `word1 word2 rating` lines; `#` lines are comments."""
    pairs = []
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        try:
            a, b, rating = fields
            pairs.append((a.strip(), b.strip(), float(rating)))
        except ValueError:
            raise UserError("expected 'word1 TAB word2 TAB rating'", path, number) from None
    if not pairs:
        raise UserError("no word pairs found", path)
    return pairs


def evaluate_pairs(space: Space, path: str | Path, name: str) -> PairScores:
    pairs = read_pairs(path)
    found = [(space.row(a), space.row(b), r) for a, b, r in pairs]
    found = [(ra, rb, r) for ra, rb, r in found if ra is not None and rb is not None]
    if len(found) < 2:
        return PairScores(name, float("nan"), len(found), len(pairs))
    ra, rb, ratings = (np.array(column) for column in zip(*found, strict=True))
    cosines = np.einsum("ij,ij->i", space.unit[ra], space.unit[rb])
    return PairScores(name, spearman(ratings, cosines), len(found), len(pairs))


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's ρ: Pearson's correlation of the ranks, ties getting their mean rank."""
    rx, ry = _ranks(np.asarray(x, np.float64)), _ranks(np.asarray(y, np.float64))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = np.sqrt((rx @ rx) * (ry @ ry))
    return float(rx @ ry / denominator) if denominator > 0 else float("nan")


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n; tied values share the mean of the ranks they span."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts  # ranks before each distinct value
    return (first + (counts + 1) / 2)[inverse]
