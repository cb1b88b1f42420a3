"""The word vocabulary: rows of the embedding matrix E and how a token finds its row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from windowner.vectors import Vectors

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
SPECIALS = (UNK, BOS, EOS)
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2


@dataclass(frozen=True)
class Vocabulary:
    """Row i of E belongs to words[i]; rows 0-2 are <unk>, <s> (left padding), </s> (right padding).

    With `lowercase` (vectors without capitals, like GloVe 6B) a token is looked up lowercased;
    its capitalisation reaches the network through the casing feature instead.
    """

    words: list[str]
    lowercase: bool
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {word: i for i, word in enumerate(self.words)}
        index.update({word: i for i, word in enumerate(SPECIALS)})
        object.__setattr__(self, "index", index)

    def __len__(self) -> int:
        return len(self.words)

    def key(self, token: str) -> str:
        return token.lower() if self.lowercase else token

    def ids(self, tokens: Sequence[str]) -> np.ndarray:
        """Shapes: tokens (T,) -> ids (T,) int32; unknown words map to UNK_ID."""
        get, key = self.index.get, self.key
        return np.fromiter((get(key(t), UNK_ID) for t in tokens), np.int32, count=len(tokens))

    def oov_rate(self, tokens: Sequence[str]) -> float:
        return float(np.mean(self.ids(tokens) == UNK_ID)) if tokens else 0.0


def build_vocabulary(
    vectors: Vectors, train_tokens: Iterable[str], rng: np.random.Generator, min_count: int = 2
) -> tuple[Vocabulary, np.ndarray]:
    """The specials, every pretrained word, then training words the vectors lack.

    A training word missing from the vectors gets a fresh row (fine-tuning trains it) when it
    occurs at least `min_count` times; rarer ones stay <unk>, so that <unk> itself is trained on
    rare unknown words and means something at tagging time.
    Shapes: returns E (len(vocabulary), d) float32, pretrained rows copied, new rows drawn
    N(0, σ²) with σ the pretrained vectors' standard deviation.
    """
    lowercase = vectors.lowercased
    known = set(vectors.words)
    counts = Counter(t.lower() if lowercase else t for t in train_tokens)
    extra = sorted(w for w, n in counts.items() if n >= min_count and w not in known)
    extra = [w for w in extra if w not in SPECIALS]
    words = [*SPECIALS, *vectors.words, *extra]
    sigma = float(vectors.matrix.std())
    fresh = rng.normal(0.0, sigma, size=(len(SPECIALS) + len(extra), vectors.dim))
    E = np.concatenate(
        [fresh[: len(SPECIALS)], vectors.matrix, fresh[len(SPECIALS) :]], axis=0
    ).astype(np.float32)
    return Vocabulary(words, lowercase), E
