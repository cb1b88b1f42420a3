"""Tag schemes and entity spans: IOB1, IOB2, IOBES, BILOU and IO tags <-> (start, end, label).

For B/I/O tags, chunks are read exactly as conlleval.pl reads them (its startOfChunk/endOfChunk
rules), so a sentence in IOB1 and the same sentence in IOB2 give the same spans, and an `I-X`
after `O` or after another type starts a chunk instead of being an error.

conlleval has no rules for S- (IOBES) or U-, L- (BILOU); windowner reads them the standard way:
S-X and U-X are one-token chunks, E-X and L-X end the chunk they belong to. IO tags are bare types
(`PER`): a run of one type is one chunk, so two adjacent entities of one type cannot be told
apart in IO. Every prefix has two roles, which is all `spans` needs to know about it:

    opens:  B S U      a chunk starts at this tag, whatever came before
    closes: E S L U    the chunk ends after this tag, whatever comes next

I (and a bare IO type) does neither: it continues a chunk of its own type, or starts one after
O, after a closing tag or after another type. With only B, I and O this is conlleval exactly.
windowner works in IOB2 inside; the other schemes are read (`spans`) and written (`spans_to_tags`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from windowner.choices import OUTSIDE, SCHEMES, resolve_scheme

# The prefixes each scheme writes. IO's "I" is the bare type itself (`PER`, or `I-PER`).
_SCHEME_PREFIXES = {
    "iob1": frozenset("BI"),
    "iob2": frozenset("BI"),
    "iobes": frozenset("BIES"),
    "bilou": frozenset("BILU"),
    "io": frozenset("I"),
}
assert tuple(_SCHEME_PREFIXES) == SCHEMES, "windowner.choices.SCHEMES and these must agree"
_ALL_PREFIXES = frozenset("BIESLU")
_OPENS = frozenset("BSU")
_CLOSES = frozenset("ESLU")


class Span(NamedTuple):
    """One entity chunk: tokens[start:end] labelled `label`."""

    start: int  # token index, inclusive
    end: int  # token index, exclusive
    label: str  # entity type, e.g. "PER"


class SchemeError(ValueError):
    """The tags of a file mix schemes; `tag` is one tag that does not fit the others."""

    def __init__(self, message: str, tag: str):
        super().__init__(message)
        self.tag = tag


@lru_cache(maxsize=4096)
def parse_tag(tag: str, scheme: str | None = None) -> tuple[str, str]:
    """Split a tag into (prefix, type): 'B-PER' -> ('B', 'PER'), 'O' -> ('O', '').

    The type is everything after the first hyphen, as in conlleval ('B-ORG-X' -> ('B', 'ORG-X')).
    `scheme` None accepts every prefix (B, I, E, S, L, U); a scheme accepts only its own, and
    "io" reads a bare type as I: 'PER' -> ('I', 'PER'). Raises ValueError for anything else:
    empty type ('B-'), unknown prefix ('X-PER', 'O-PER'), a type named O ('B-O', which
    evaluation/errors.py would read as no entity), whitespace or a control character anywhere.
    Results are cached: a corpus has a handful of distinct tags.
    """
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, hyphen, label = tag.partition("-")
    # tag.split() == [tag] holds exactly when tag is non-empty and has no whitespace;
    # isprintable() also rules out control characters (a NUL, an escape).
    well_formed = tag.split() == [tag] and tag.isprintable()
    if scheme == "io" and well_formed and prefix not in _ALL_PREFIXES - {"I"}:
        if prefix != "I" or not hyphen:
            return "I", tag  # a bare type, hyphens and all ('WORK-OF-ART')
        if label:
            return _typed("I", label, tag)
    allowed = _ALL_PREFIXES if scheme is None else _SCHEME_PREFIXES[resolve_scheme(scheme)]
    if not hyphen or prefix not in allowed or not label or not well_formed:
        raise ValueError(f"unknown tag {tag!r}: expected {_expected(scheme)}")
    return _typed(prefix, label, tag)


class OutsideTypeError(ValueError):
    """A tag whose entity type is named O ('B-O'): see _typed."""


def _typed(prefix: str, label: str, tag: str) -> tuple[str, str]:
    """(prefix, label), unless the type is named O: the error analysis (evaluation/errors.py's
    confusion matrix marks missed and spurious entities with O), conlleval's readers and anyone
    reading the tags take O for "no entity"."""
    if label == OUTSIDE:
        raise OutsideTypeError(f"entity type 'O' in tag {tag!r}: O is the tag outside every entity")
    return prefix, label


def _expected(scheme: str | None) -> str:
    if scheme is None:
        return "O or PREFIX-TYPE with PREFIX one of B, I, E, S, L, U"
    scheme = resolve_scheme(scheme)
    if scheme == "io":
        return "O, TYPE or I-TYPE (IO)"
    prefixes = sorted(_SCHEME_PREFIXES[scheme], key="BIESLU".index)
    return "O, " + ", ".join(f"{p}-TYPE" for p in prefixes[:-1]) + f" or {prefixes[-1]}-TYPE"


@lru_cache(maxsize=4096)
def _boundary(prev_tag: str, tag: str, scheme: str | None) -> tuple[bool, bool]:
    """(chunk ends before `tag`, chunk starts at `tag`) for one pair of adjacent raw tags.

    Math: ends = prev ≠ O ∧ (prev closes ∨ tag opens ∨ tag = O ∨ types differ);
    starts = tag ≠ O ∧ (tag opens ∨ prev = O ∨ prev closes ∨ types differ). On B/I/O tags these
    are conlleval's endOfChunk and startOfChunk. Cached per pair, so `spans` costs one lookup
    per token.
    """
    prev_prefix, prev_type = parse_tag(prev_tag, scheme)
    prefix, label = parse_tag(tag, scheme)
    # A chunk boundary between the two tags, seen from either side.
    boundary = prev_prefix in _CLOSES or prefix in _OPENS or prev_type != label
    ends = prev_prefix != OUTSIDE and (boundary or prefix == OUTSIDE)
    starts = prefix != OUTSIDE and (boundary or prev_prefix == OUTSIDE)
    return ends, starts


def spans(tags: Sequence[str], scheme: str | None = None) -> list[Span]:
    """The entity chunks of one sentence, in order (conlleval's reading for B/I/O tags).

    Shapes: tags (n,) -> list of Span with 0 <= start < end <= n, non-overlapping.
    The sentence is treated as preceded and followed by O, as conlleval does at sentence breaks.
    `scheme` restricts the prefixes accepted (see parse_tag); "io" also reads bare types.
    Raises ValueError for a malformed tag.
    """
    found: list[Span] = []
    start, label = -1, ""  # the open chunk; start -1 means none is open
    prev = OUTSIDE
    for i, tag in enumerate(tags):
        ends, starts = _boundary(prev, tag, scheme)
        # An open chunk is closed by any new start, so spans never overlap.
        if start >= 0 and (ends or starts):
            found.append(Span(start, i, label))
            start = -1
        if starts:
            start, label = i, parse_tag(tag, scheme)[1]
        prev = tag
    if start >= 0:
        found.append(Span(start, len(tags), label))
    return found


def detect_scheme(sentences: Iterable[Sequence[str]]) -> str:
    """The scheme the tags of a whole file are written in, from the prefixes they use.

    S-/E- prefixes mean IOBES, U-/L- BILOU, bare types (no hyphen) IO; B-/I- only mean IOB1 if
    some I- tag starts a chunk (after O or another type), else IOB2. A file without entities is
    IOB2. Raises SchemeError naming one offending tag when prefixes of two schemes are mixed or
    a tag is malformed.
    """
    sentences = [tags if isinstance(tags, list | tuple) else list(tags) for tags in sentences]
    distinct = {tag for tags in sentences for tag in tags}
    bare = sorted(t for t in distinct if t != OUTSIDE and "-" not in t and t.split() == [t])
    prefixed = {}
    for tag in sorted(distinct - {OUTSIDE, *bare}):
        try:
            prefixed[tag] = parse_tag(tag)[0]
        except OutsideTypeError as error:  # a well-formed tag of any scheme: say what is wrong
            raise SchemeError(str(error), tag) from None
        except ValueError:
            raise SchemeError(
                f"unknown tag {tag!r}: expected O, PREFIX-TYPE (PREFIX one of B, I, E, S, L, U) "
                "or a bare TYPE (IO)",
                tag,
            ) from None
    used = set(prefixed.values())
    if bare and used - {"I"}:
        other = next(t for t, p in prefixed.items() if p != "I")
        raise SchemeError(
            f"tag {bare[0]!r} is a bare type (IO) but tag {other!r} has a prefix: "
            "mixed tag schemes (give the scheme to read it as IO)",
            bare[0],
        )
    if used & {"E", "S"} and used & {"L", "U"}:
        first_es = next(t for t, p in prefixed.items() if p in "ES")
        first_lu = next(t for t, p in prefixed.items() if p in "LU")
        raise SchemeError(
            f"tag {first_lu!r} is BILOU but tag {first_es!r} is IOBES: mixed tag schemes",
            first_lu,
        )
    if bare:
        return "io"
    if used & {"E", "S"}:
        return "iobes"
    if used & {"L", "U"}:
        return "bilou"
    for tags in sentences:
        prev = OUTSIDE
        for tag in tags:
            if tag[:2] == "I-" and (prev == OUTSIDE or prev[2:] != tag[2:]):
                return "iob1"
            prev = tag
    return "iob2"


def _encode_iob2(tags: list[str], span: Span, follows_same_type: bool) -> None:
    """Write one chunk as B-X I-X ... I-X."""
    tags[span.start] = f"B-{span.label}"
    tags[span.start + 1 : span.end] = [f"I-{span.label}"] * (span.end - span.start - 1)


def _encode_iob1(tags: list[str], span: Span, follows_same_type: bool) -> None:
    """Write one chunk as I-X ... I-X, starting with B-X only right after a chunk of type X."""
    first = "B" if follows_same_type else "I"
    tags[span.start] = f"{first}-{span.label}"
    tags[span.start + 1 : span.end] = [f"I-{span.label}"] * (span.end - span.start - 1)


def _encoder(single: str, begin: str, end: str) -> Callable[[list[str], Span, bool], None]:
    """IOBES and BILOU: a one-token chunk is `single`-X, a longer one `begin`-X I-X ... `end`-X."""

    def encode(tags: list[str], span: Span, follows_same_type: bool) -> None:
        if span.end - span.start == 1:
            tags[span.start] = f"{single}-{span.label}"
            return
        _encode_iob2(tags, span, follows_same_type)
        tags[span.start] = f"{begin}-{span.label}"
        tags[span.end - 1] = f"{end}-{span.label}"

    return encode


def _encode_io(tags: list[str], span: Span, follows_same_type: bool) -> None:
    """Write one chunk as bare types X X ... X (a chunk right after one of its type merges)."""
    tags[span.start : span.end] = [span.label] * (span.end - span.start)


_ENCODERS: dict[str, Callable[[list[str], Span, bool], None]] = {
    "iob1": _encode_iob1,
    "iob2": _encode_iob2,
    "iobes": _encoder("S", "B", "E"),
    "bilou": _encoder("U", "B", "L"),
    "io": _encode_io,
}


def spans_to_tags(spans: Sequence[Span], length: int, scheme: str = "iob2") -> list[str]:
    """The tags of a sentence of `length` tokens holding exactly `spans`, written in `scheme`.

    Shapes: spans (k,) in any order, length n -> tags (n,).
    IO cannot separate two adjacent chunks of one type: they come back as one.
    Raises ValueError for an unknown scheme, a span outside [0, length), an empty or
    overlapping span, or a label that would not make a valid tag.
    """
    encode = _ENCODERS[resolve_scheme(scheme)]
    tags = [OUTSIDE] * length
    prev = Span(-1, 0, "")  # a sentinel chunk that ends before the sentence starts
    for span in sorted(spans):
        _check_span(span, length, prev)
        encode(tags, span, span.start == prev.end and span.label == prev.label)
        prev = span
    return tags


def _check_span(span: Span, length: int, prev: Span) -> None:
    """Raise ValueError unless `span` fits in the sentence, after the chunk `prev`."""
    if not 0 <= span.start < span.end <= length:
        raise ValueError(f"span {tuple(span)} does not fit a sentence of {length} tokens")
    if span.start < prev.end:
        raise ValueError(f"span {tuple(span)} overlaps span {tuple(prev)}")
    parse_tag(f"B-{span.label}")  # rejects labels that are empty or hold whitespace


def convert(tags: Sequence[str], to: str, source: str | None = None) -> list[str]:
    """The same chunks written in scheme `to`; `source` as in `spans`. Shapes: (n,) -> (n,)."""
    return spans_to_tags(spans(tags, source), len(tags), to)


def to_iob2(tags: Sequence[str], source: str | None = None) -> list[str]:
    """The same chunks in IOB2: every chunk starts with B-. Shapes: (n,) -> (n,)."""
    return convert(tags, "iob2", source)


def to_iob1(tags: Sequence[str], source: str | None = None) -> list[str]:
    """The same chunks in IOB1: B- only where a chunk follows one of its own type."""
    return convert(tags, "iob1", source)


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
