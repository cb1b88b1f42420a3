"""The word vocabulary: rows of the embedding matrix E and how a token finds its row.

A token is looked up through a chain of keys, the first that has a row winning:

    exact    the token itself                    Paris, F-16
    lower    lowercased                          paris, f-16
    digits   and every digit 0-9 turned into 0   f-00  (1996 -> 0000, 3.5 -> 0.0)

The chain is `lookup` (default all three, in that order; any order of any of them works): a
step's key applies its own normalisation and those of the steps before it, "exact" none. With
`lowercase` (vectors without capitals, like GloVe 6B) every key is lowercased, since no exact
key can match; the token's capitalisation reaches the network through the casing feature.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from windowner.choices import check_lookup
from windowner.config import VectorsConfig
from windowner.vectors.loading import Vectors

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
SPECIALS = (UNK, BOS, EOS)
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2

DEFAULT_LOOKUP = VectorsConfig.lookup  # the config's default: exact, then lower
# What model files written before the lookup chain existed did: one key, lowercased or not.
LEGACY_LOOKUP = ("exact",)
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True)
class Vocabulary:
    """Row i of E belongs to words[i]; rows 0-2 are <unk>, <s> (left padding), </s> (right padding).

    `lowercase`: the words have no capitals, so keys are lowercased. `lookup`: the chain of keys
    a token tries (module docstring).
    """

    words: list[str]
    lowercase: bool
    lookup: tuple[str, ...] = DEFAULT_LOOKUP
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lookup", check_lookup(self.lookup))
        index = {word: i for i, word in enumerate(self.words)}
        index.update({word: i for i, word in enumerate(SPECIALS)})
        object.__setattr__(self, "index", index)

    def __len__(self) -> int:
        return len(self.words)

    def settings(self) -> dict[str, Any]:
        """What a model file must store to rebuild this vocabulary's lookup (JSON-able)."""
        return {"lowercase": self.lowercase, "lookup": list(self.lookup)}

    @classmethod
    def from_settings(cls, words: list[str], settings: dict[str, Any]) -> Vocabulary:
        """Rebuild from words and settings(); settings without "lookup" (model files written
        before it existed) get the single-key lookup those files were made with."""
        return cls(words, bool(settings["lowercase"]), tuple(settings.get("lookup", LEGACY_LOOKUP)))

    def _keys(self, token: str) -> list[tuple[int, str]]:
        """(lookup step index, key) pairs `token` tries, in order, repeated keys dropped.

        A step's key applies its own normalisation and those of the steps before it; "exact"
        applies none (lowercased all the same for a `lowercase` vocabulary).
        """
        keys: list[tuple[int, str]] = []
        base = token.lower() if self.lowercase else token
        lower = digits = False
        for i, step in enumerate(self.lookup):
            lower |= step == "lower"
            digits |= step == "digits"
            text = base
            if step != "exact":
                text = text.lower() if lower else text
                text = _DIGIT.sub("0", text) if digits else text
            if all(text != key for _, key in keys):
                keys.append((i, text))
        return keys

    def candidates(self, token: str) -> list[str]:
        """The keys `token` tries, in order: 'F16' -> ['F16', 'f16', 'f00']."""
        return [key for _, key in self._keys(token)]

    def key(self, token: str) -> str:
        """The coarsest key of `token`: the word a training word the vectors lack is stored as."""
        return self._keys(token)[-1][1]

    def find(self, token: str) -> tuple[int, int]:
        """(row, index of the lookup step that found it); (UNK_ID, -1) when no key has a row."""
        get = self.index.get
        for step, key in self._keys(token):
            row = get(key)
            if row is not None:
                return row, step
        return UNK_ID, -1

    def ids(self, tokens: Sequence[str]) -> np.ndarray:
        """Shapes: tokens (T,) -> ids (T,) int32; unknown words map to UNK_ID.

        Each distinct token is looked up once.
        """
        memo: dict[str, int] = {}
        out = np.empty(len(tokens), np.int32)
        for i, token in enumerate(tokens):
            row = memo.get(token)
            if row is None:
                row = memo[token] = self.find(token)[0]
            out[i] = row
        return out

    def oov_rate(self, tokens: Sequence[str]) -> float:
        return float(np.mean(self.ids(tokens) == UNK_ID)) if tokens else 0.0

    def coverage(self, tokens: Sequence[str]) -> Coverage:
        """How the tokens of a corpus find their rows: by type and by token, per lookup step."""
        counts = Counter(tokens)
        by_step_types = [0] * len(self.lookup)
        by_step_tokens = [0] * len(self.lookup)
        oov_types = oov_tokens = 0
        for token, n in counts.items():
            step = self.find(token)[1]
            if step < 0:
                oov_types += 1
                oov_tokens += n
            else:
                by_step_types[step] += 1
                by_step_tokens[step] += n
        return Coverage(
            types=len(counts),
            tokens=sum(counts.values()),
            oov_types=oov_types,
            oov_tokens=oov_tokens,
            found_by={
                step: (t, n)
                for step, t, n in zip(self.lookup, by_step_types, by_step_tokens, strict=True)
            },
        )


@dataclass(frozen=True)
class Coverage:
    """Out-of-vocabulary counts of a corpus, and how many types/tokens each lookup step found."""

    types: int
    tokens: int
    oov_types: int
    oov_tokens: int
    found_by: dict[str, tuple[int, int]]  # step -> (types, tokens) it found

    @property
    def oov_type_rate(self) -> float:
        return self.oov_types / self.types if self.types else 0.0

    @property
    def oov_token_rate(self) -> float:
        return self.oov_tokens / self.tokens if self.tokens else 0.0

    def summary(self) -> str:
        """'OOV 1.04% of tokens (2,118 of 203,621), 3.60% of types (...); found by exact ...'"""
        found = ", ".join(f"{step} {n:,}" for step, (_, n) in self.found_by.items())
        return (
            f"out of vocabulary: {self.oov_token_rate:.2%} of tokens "
            f"({self.oov_tokens:,} of {self.tokens:,}), {self.oov_type_rate:.2%} of types "
            f"({self.oov_types:,} of {self.types:,}); tokens found by {found}"
        )


def lookup_keys(
    tokens: Iterable[str], lowercase: bool, lookup: Sequence[str] = DEFAULT_LOOKUP
) -> set[str]:
    """Every key any of the tokens may be looked up by (for keeping their vectors)."""
    probe = Vocabulary([], lowercase, tuple(lookup))
    return {key for token in set(tokens) for key in probe.candidates(token)}


def build_vocabulary(
    vectors: Vectors,
    train_tokens: Iterable[str],
    rng: np.random.Generator,
    min_count: int = 2,
    *,
    lookup: Sequence[str] = DEFAULT_LOOKUP,
    max_vectors: int | None = None,
) -> tuple[Vocabulary, np.ndarray]:
    """The specials, the pretrained words, then training words the vectors lack.

    With `max_vectors` N, only the N most frequent pretrained words are kept, plus every one a
    training token can be looked up by. A training word no pretrained word serves gets a fresh
    row (fine-tuning trains it), stored under its coarsest key, when that key occurs at least
    `min_count` times; rarer ones stay <unk>, so that <unk> itself is trained on rare unknown
    words and means something at tagging time.
    Shapes: returns E (len(vocabulary), d) float32, pretrained rows copied, new rows drawn
    N(0, σ²) with σ the pretrained vectors' standard deviation.
    """
    lowercase = vectors.lowercased
    train_tokens = list(train_tokens)
    if max_vectors is not None:
        vectors = vectors.most_frequent(max_vectors, lookup_keys(train_tokens, lowercase, lookup))
    pretrained = Vocabulary([*SPECIALS, *vectors.words], lowercase, tuple(lookup))
    counts: Counter[str] = Counter()
    for token, n in Counter(train_tokens).items():
        if pretrained.find(token)[0] == UNK_ID:
            counts[pretrained.key(token)] += n
    extra = sorted(w for w, n in counts.items() if n >= min_count and w not in pretrained.index)
    words = [*SPECIALS, *vectors.words, *extra]
    sigma = float(vectors.matrix.std())
    fresh = rng.normal(0.0, sigma, size=(len(SPECIALS) + len(extra), vectors.dim))
    E = np.concatenate(
        [fresh[: len(SPECIALS)], vectors.matrix, fresh[len(SPECIALS) :]], axis=0
    ).astype(np.float32)
    return Vocabulary(words, lowercase, tuple(lookup)), E
