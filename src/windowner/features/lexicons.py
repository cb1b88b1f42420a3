"""Lexicon features: which tokens lie inside a known name (a place, a first name, a nationality).

A lexicon is a set of typed phrases, each phrase split into tokens by the project's tokenizer so
that "St. Louis" is ("St.", "Louis") as in CoNLL. Matching marks, for every token and every
type, where the token stands in the longest phrase of that type covering it: B (begin), I
(inside), E (end) or S (a phrase of one token), found longest match first, left to right, each
type on its own (so "New York" can be a LOC inside an ORG "New York Rangers"). A token's marks
are small integers, one per type, ready to be ids of a small learned vector per type and class.

File format (data/lexicons/*.tsv): UTF-8, one `TYPE<TAB>phrase` per line, TYPE one of `TYPES`;
blank lines are skipped, a repeated phrase merges its types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from windowner.data.tokenizer import tokenize
from windowner.errors import UserError, reading

TYPES = ("PER", "LOC", "ORG", "MISC")  # CoNLL-2003's entity types: the columns of a match
NONE, BEGIN, INSIDE, END, SINGLE = 0, 1, 2, 3, 4  # a token's class for one type
CLASSES = ("-", "B", "I", "E", "S")  # their letters, by class id
# Characters no lexicon line holds: C0/C1 controls (a tab separates the two fields) and the
# Unicode line breaks, which other tools would read as the end of a line.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Lexicon:
    """Phrases (token tuples) and the types each has, as a bit mask over `types`.

    Build one with `Lexicon.from_phrases` or `load_lexicon`; both tokenize the phrases.
    """

    phrases: dict[tuple[str, ...], int]
    types: tuple[str, ...] = TYPES
    _exact: _Index = field(init=False, repr=False, compare=False)
    _folded: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded: dict[tuple[str, ...], int] = {}
        for tokens, mask in self.phrases.items():
            key = tuple(t.casefold() for t in tokens)
            folded[key] = folded.get(key, 0) | mask
        object.__setattr__(self, "_exact", _Index.of(self.phrases))
        object.__setattr__(self, "_folded", _Index.of(folded))

    def __len__(self) -> int:
        return len(self.phrases)

    @classmethod
    def from_phrases(
        cls, entries: Iterable[tuple[str, str]], types: tuple[str, ...] = TYPES
    ) -> Lexicon:
        """A lexicon of (type, phrase) pairs, each phrase tokenized; a ValueError for an unknown
        type or a phrase without tokens (files get UserErrors from `load_lexicon` instead)."""
        bit = {t: 1 << i for i, t in enumerate(types)}
        phrases: dict[tuple[str, ...], int] = {}
        for kind, phrase in entries:
            if kind not in bit:
                raise ValueError(f"unknown type {kind!r} (known: {', '.join(types)})")
            tokens = split_phrase(phrase)
            if not tokens:
                raise ValueError(f"phrase {phrase!r} has no tokens")
            phrases[tokens] = phrases.get(tokens, 0) | bit[kind]
        return cls(phrases, types)

    def count(self, kind: str) -> int:
        """How many phrases have type `kind`."""
        bit = 1 << self.types.index(kind)
        return sum(1 for mask in self.phrases.values() if mask & bit)

    def types_of(self, tokens: Sequence[str], fold: bool = False) -> tuple[str, ...]:
        """The types of the phrase `tokens` exactly (or case-folded), () if it is no phrase."""
        if fold:
            mask = self._folded.masks.get(tuple(t.casefold() for t in tokens), 0)
        else:
            mask = self.phrases.get(tuple(tokens), 0)
        return tuple(t for i, t in enumerate(self.types) if mask >> i & 1)

    def match(self, sentences: Iterable[Sequence[str]], fold: bool = False) -> np.ndarray:
        """Each token's class (NONE, BEGIN, INSIDE, END, SINGLE) per type, sentences in order.

        Shapes: sentences of n_tokens tokens in all -> (n_tokens, len(types)) int8.
        `fold` matches case-folded tokens against case-folded phrases ("PARIS" is "Paris").
        """
        index = self._folded if fold else self._exact
        n_types = len(self.types)
        rows: list[int] = []  # one entry per matched span and type: its first token,
        lengths: list[int] = []  # its length in tokens
        columns: list[int] = []  # and the type's column
        offset = 0
        for sentence in sentences:
            tokens = [t.casefold() for t in sentence] if fold else list(sentence)
            _match_sentence(tokens, index, n_types, offset, rows, lengths, columns)
            offset += len(tokens)
        return _classes(offset, n_types, rows, lengths, columns)


@dataclass(frozen=True)
class _Index:
    """Phrases bucketed by first token: masks[phrase] and, per first token, the phrase lengths
    longest first, so a token that starts no phrase costs one dict lookup."""

    masks: dict[tuple[str, ...], int]
    lengths: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, masks: dict[tuple[str, ...], int]) -> _Index:
        by_first: dict[str, set[int]] = {}
        for tokens in masks:
            by_first.setdefault(tokens[0], set()).add(len(tokens))
        lengths = {first: tuple(sorted(ns, reverse=True)) for first, ns in by_first.items()}
        return cls(masks, lengths)


def _match_sentence(
    tokens: list[str],
    index: _Index,
    n_types: int,
    offset: int,
    rows: list[int],
    lengths: list[int],
    columns: list[int],
) -> None:
    """Append the spans of one sentence: for each type, longest match first, left to right.

    free[t] is where type t's last span ended; a span of type t may start only there or later.
    """
    masks, by_first = index.masks, index.lengths
    n = len(tokens)
    free = [0] * n_types
    for i, token in enumerate(tokens):
        candidates = by_first.get(token)
        if candidates is None:
            continue
        open_types = [t for t in range(n_types) if free[t] <= i]
        for length in candidates:
            if not open_types:
                break
            if i + length > n:
                continue
            mask = masks.get(tuple(tokens[i : i + length]), 0)
            if not mask:
                continue
            still_open = []
            for t in open_types:
                if mask >> t & 1:
                    rows.append(offset + i)
                    lengths.append(length)
                    columns.append(t)
                    free[t] = i + length
                else:
                    still_open.append(t)
            open_types = still_open


def _classes(
    n_tokens: int, n_types: int, rows: list[int], lengths: list[int], columns: list[int]
) -> np.ndarray:
    """Spans (first token, length, type column) -> the (n_tokens, n_types) int8 class array."""
    out = np.zeros((n_tokens, n_types), np.int8)
    if not rows:
        return out
    start = np.asarray(rows, np.int64)
    length = np.asarray(lengths, np.int64)
    column = np.asarray(columns, np.int64)
    single = length == 1
    out[start[single], column[single]] = SINGLE
    long = ~single
    out[start[long], column[long]] = BEGIN
    out[start[long] + length[long] - 1, column[long]] = END
    inner = np.maximum(length - 2, 0)  # the I tokens of each span
    if inner.any():
        span = np.repeat(np.arange(len(start)), inner)
        step = np.arange(len(span)) - np.repeat(np.cumsum(inner) - inner, inner) + 1
        out[start[span] + step, column[span]] = INSIDE
    return out


def match_reference(
    lexicon: Lexicon, sentences: Iterable[Sequence[str]], fold: bool = False
) -> np.ndarray:
    """The plain definition `Lexicon.match` must agree with: for each sentence and type, scan
    left to right and take the longest phrase of that type starting at each free position."""
    out = []
    for sentence in sentences:
        tokens = [t.casefold() for t in sentence] if fold else list(sentence)
        classes = np.zeros((len(tokens), len(lexicon.types)), np.int8)
        for t, kind in enumerate(lexicon.types):
            i = 0
            while i < len(tokens):
                for j in range(len(tokens), i, -1):
                    if kind in lexicon.types_of(tokens[i:j], fold):
                        if j - i == 1:
                            classes[i, t] = SINGLE
                        else:
                            classes[i, t], classes[j - 1, t] = BEGIN, END
                            classes[i + 1 : j - 1, t] = INSIDE
                        i = j
                        break
                else:
                    i += 1
        out.append(classes)
    return np.concatenate(out) if out else np.zeros((0, len(lexicon.types)), np.int8)


def split_phrase(phrase: str) -> tuple[str, ...]:
    """A phrase's tokens as the project's tokenizer splits text: "St. Louis" -> ("St.", "Louis").

    Words of letters only are split at blanks without the tokenizer (most names are, and the
    tokenizer would take them whole too); it is ~20 times faster on a lexicon of places.
    """
    words = phrase.split()
    if all(word.isalpha() for word in words):
        return tuple(words)
    return tuple(token.text for token in tokenize(phrase))


def load_lexicon(paths: str | Path | Sequence[str | Path], types: tuple[str, ...] = TYPES):
    """Read one or more lexicon files into one Lexicon; a bad line is a UserError naming it."""
    if isinstance(paths, str | Path):
        paths = [paths]
    entries: list[tuple[str, str]] = []
    for path in paths:
        entries.extend(read_entries(path, types))
    return Lexicon.from_phrases(entries, types)


def read_entries(path: str | Path, types: tuple[str, ...] = TYPES) -> list[tuple[str, str]]:
    """The (type, phrase) lines of one lexicon file, checked; every problem is a UserError."""
    with reading(path, "a lexicon file"):
        data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UserError("not valid UTF-8 text", path, line) from None
    entries = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise UserError(
                f"expected 'TYPE<TAB>phrase', got {len(fields)} tab-separated field"
                + ("s" if len(fields) != 1 else ""),
                path,
                number,
            )
        kind, phrase = fields
        if kind not in types:
            raise UserError(f"unknown type {kind!r} (known: {', '.join(types)})", path, number)
        control = _CONTROL.search(phrase)
        if control is not None:
            code = f"U+{ord(control.group()):04X}"
            raise UserError(f"control character {code} in the phrase", path, number)
        if not split_phrase(phrase):
            raise UserError("empty phrase", path, number)
        entries.append((kind, phrase))
    return entries


# --- as a model's feature -------------------------------------------------------------------------

# A model file stores its lexicon as UTF-8 lines `TYPE<TAB>token<TAB>token…`, one per phrase and
# type, the phrases already tokenized (so that tagging needs neither the files nor the
# tokenizer's view of them). Bounds for reading one from an untrusted file:
MAX_LEXICON_BYTES = 64 << 20
MAX_PHRASE_TOKENS = 32


@dataclass(frozen=True)
class LexiconFeature:
    """A lexicon as features of a window position: one slot per type, reading one table L.

    Type t's rows in L are t·len(CLASSES) + class (NONE, BEGIN, INSIDE, END, SINGLE); the
    padding beyond a sentence edge reads NONE. `fold`: match case-folded (module docstring).
    """

    lexicon: Lexicon
    fold: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return ("L",) * len(self.lexicon.types)

    def rows(self) -> int:
        return len(self.lexicon.types) * len(CLASSES)

    def padding_ids(self) -> np.ndarray:
        """(m,) the rows a position beyond the sentence edge reads: each type's NONE."""
        return np.arange(len(self.lexicon.types), dtype=np.int32) * len(CLASSES) + NONE

    def ids(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """Rows of L every token reads, sentences in order. Shapes: T tokens -> (T, m) int32."""
        classes = self.lexicon.match(sentences, self.fold).astype(np.int32)
        return classes + self.padding_ids()

    def to_dict(self) -> dict:
        return {"types": list(self.lexicon.types), "fold": self.fold}

    def to_bytes(self) -> bytes:
        """The phrases as the model file stores them (see MAX_LEXICON_BYTES), sorted."""
        types = self.lexicon.types
        lines = sorted(
            "\t".join((kind, *tokens))
            for tokens, mask in self.lexicon.phrases.items()
            for i, kind in enumerate(types)
            if mask >> i & 1
        )
        return "\n".join(lines).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, types: Sequence[str], fold: bool) -> LexiconFeature:
        """Read to_bytes()'s lines back, each checked; a ValueError says what is wrong where."""
        if len(data) > MAX_LEXICON_BYTES:
            raise ValueError(
                f"its lexicon holds {len(data):,} bytes, more than {MAX_LEXICON_BYTES:,}"
            )
        text = data.decode("utf-8")  # UnicodeDecodeError is a ValueError
        bit = {t: 1 << i for i, t in enumerate(types)}
        phrases: dict[tuple[str, ...], int] = {}
        for number, line in enumerate(text.split("\n") if text else [], start=1):
            kind, *tokens = line.split("\t")
            if kind not in bit:
                raise ValueError(f"lexicon line {number}: unknown type {kind!r}")
            if not 0 < len(tokens) <= MAX_PHRASE_TOKENS or not all(tokens):
                raise ValueError(
                    f"lexicon line {number}: a phrase must have 1 to {MAX_PHRASE_TOKENS} tokens, "
                    "none empty"
                )
            if _CONTROL.search(line) or any(t != t.strip() for t in tokens):
                raise ValueError(f"lexicon line {number}: a control character or blank")
            key = tuple(tokens)
            phrases[key] = phrases.get(key, 0) | bit[kind]
        return cls(Lexicon(phrases, tuple(types)), fold)
