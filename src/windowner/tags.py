"""Tag schemes and entity spans: IOB1/IOB2 tags <-> (start, end, label) chunks.

Chunks are read exactly as conlleval.pl reads them (its startOfChunk/endOfChunk rules), so a
sentence in IOB1 and the same sentence in IOB2 give the same spans, and an `I-X` after `O` or
after another type starts a chunk instead of being an error.

Schemes supported: "iob1" (B- only between adjacent chunks of one type) and "iob2" (every chunk
starts with B-). Adding a scheme (IOBES, BILOU) means: its prefixes in `_PREFIXES`, its prefix
pairs in `_STARTS`/`_ENDS`, and an encoder in `_ENCODERS`; `spans` itself does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import NamedTuple

OUTSIDE = "O"

# Prefixes a chunk tag may carry ("B-PER", "I-PER"); "O" stands alone.
_PREFIXES = frozenset({"B", "I"})

# conlleval.pl's (previous prefix, current prefix) pairs that start or end a chunk whatever the
# types; a change of type between two tags is the other trigger (see _chunk_starts/_chunk_ends).
_STARTS = frozenset({("B", "B"), ("I", "B"), ("O", "B"), ("O", "I")})
_ENDS = frozenset({("B", "B"), ("B", "O"), ("I", "B"), ("I", "O")})


class Span(NamedTuple):
    """One entity chunk: tokens[start:end] labelled `label`."""

    start: int  # token index, inclusive
    end: int  # token index, exclusive
    label: str  # entity type, e.g. "PER"


@lru_cache(maxsize=4096)
def parse_tag(tag: str) -> tuple[str, str]:
    """Split a tag into (prefix, type): 'B-PER' -> ('B', 'PER'), 'O' -> ('O', '').

    The type is everything after the first hyphen, as in conlleval ('B-ORG-X' -> ('B', 'ORG-X')).
    Raises ValueError for anything else: empty type ('B-'), unknown prefix ('X-PER', 'O-PER'),
    whitespace anywhere. Results are cached: a corpus has a handful of distinct tags.
    """
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, hyphen, label = tag.partition("-")
    # tag.split() == [tag] holds exactly when tag is non-empty and has no whitespace.
    if not hyphen or prefix not in _PREFIXES or not label or tag.split() != [tag]:
        raise ValueError(f"unknown tag {tag!r}: expected O, B-TYPE or I-TYPE")
    return prefix, label


def _chunk_ends(prev_prefix: str, prefix: str, prev_type: str, label: str) -> bool:
    """conlleval's endOfChunk: does a chunk end between the previous tag and this one?"""
    return (prev_prefix, prefix) in _ENDS or (prev_prefix != OUTSIDE and prev_type != label)


def _chunk_starts(prev_prefix: str, prefix: str, prev_type: str, label: str) -> bool:
    """conlleval's startOfChunk: does a chunk start at this tag?"""
    return (prev_prefix, prefix) in _STARTS or (prefix != OUTSIDE and prev_type != label)


@lru_cache(maxsize=4096)
def _boundary(prev_tag: str, tag: str) -> tuple[bool, bool]:
    """(chunk ends before `tag`, chunk starts at `tag`) for one pair of adjacent raw tags.

    Cached per pair of tag strings, so `spans` costs one dictionary lookup per token.
    """
    prev_prefix, prev_type = parse_tag(prev_tag)
    prefix, label = parse_tag(tag)
    return (
        _chunk_ends(prev_prefix, prefix, prev_type, label),
        _chunk_starts(prev_prefix, prefix, prev_type, label),
    )


def spans(tags: Sequence[str]) -> list[Span]:
    """The entity chunks of one sentence, in order, as conlleval reads them.

    Shapes: tags (n,) -> list of Span with 0 <= start < end <= n, non-overlapping.
    The sentence is treated as preceded and followed by O, as conlleval does at sentence breaks.
    Raises ValueError for a malformed tag (see parse_tag).
    """
    found: list[Span] = []
    start, label = -1, ""  # the open chunk; start -1 means none is open
    prev = OUTSIDE
    for i, tag in enumerate(tags):
        ends, starts = _boundary(prev, tag)
        # conlleval may signal a start without an end (not with B/I/O tags); an open chunk is
        # closed by any new start so spans never overlap.
        if start >= 0 and (ends or starts):
            found.append(Span(start, i, label))
            start = -1
        if starts:
            start, label = i, parse_tag(tag)[1]
        prev = tag
    if start >= 0:
        found.append(Span(start, len(tags), label))
    return found


def _encode_iob2(tags: list[str], span: Span, follows_same_type: bool) -> None:
    """Write one chunk as B-X I-X ... I-X."""
    tags[span.start] = f"B-{span.label}"
    tags[span.start + 1 : span.end] = [f"I-{span.label}"] * (span.end - span.start - 1)


def _encode_iob1(tags: list[str], span: Span, follows_same_type: bool) -> None:
    """Write one chunk as I-X ... I-X, starting with B-X only right after a chunk of type X."""
    first = "B" if follows_same_type else "I"
    tags[span.start] = f"{first}-{span.label}"
    tags[span.start + 1 : span.end] = [f"I-{span.label}"] * (span.end - span.start - 1)


_ENCODERS: dict[str, Callable[[list[str], Span, bool], None]] = {
    "iob1": _encode_iob1,
    "iob2": _encode_iob2,
}
SCHEMES = tuple(_ENCODERS)


def spans_to_tags(spans: Sequence[Span], length: int, scheme: str = "iob2") -> list[str]:
    """The tags of a sentence of `length` tokens holding exactly `spans`, written in `scheme`.

    Shapes: spans (k,) in any order, length n -> tags (n,).
    Raises ValueError for an unknown scheme, a span outside [0, length), an empty or
    overlapping span, or a label that would not make a valid tag.
    """
    encode = _ENCODERS.get(scheme)
    if encode is None:
        raise ValueError(f"unknown tag scheme {scheme!r}: expected one of {', '.join(SCHEMES)}")
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


def to_iob2(tags: Sequence[str]) -> list[str]:
    """The same chunks in IOB2: every chunk starts with B-. Shapes: (n,) -> (n,)."""
    return spans_to_tags(spans(tags), len(tags), "iob2")


def to_iob1(tags: Sequence[str]) -> list[str]:
    """The same chunks in IOB1: B- only where a chunk follows one of its own type."""
    return spans_to_tags(spans(tags), len(tags), "iob1")
