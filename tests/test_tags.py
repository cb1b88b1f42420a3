"""Tests for windowner.tags: tag parsing, conlleval chunking, IOB1/IOB2 conversion."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from windowner.tags import Span, parse_tag, spans, spans_to_tags, to_iob1, to_iob2

DATA_DIRS = (Path("/work/main/data/conll2003"), Path("/work/shared/data/conll2003"))


def read_tags(name: str) -> list[list[str]]:
    """The tag column (last) of each sentence of a CoNLL file, -DOCSTART- lines skipped."""
    path = next((d / name for d in DATA_DIRS if (d / name).exists()), None)
    if path is None:
        pytest.skip(f"{name} not found in {', '.join(map(str, DATA_DIRS))}")
    sentences: list[list[str]] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and fields[0] == "-DOCSTART-":
            continue
        if fields:
            tags.append(fields[-1])
        elif tags:
            sentences.append(tags)
            tags = []
    if tags:
        sentences.append(tags)
    return sentences


@pytest.fixture(scope="module")
def train_tags() -> list[list[str]]:
    return read_tags("train.txt")


# parse_tag


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("O", ("O", "")),
        ("B-PER", ("B", "PER")),
        ("I-MISC", ("I", "MISC")),
        ("B-ORG-X", ("B", "ORG-X")),  # conlleval splits at the first hyphen only
    ],
)
def test_parse_tag_accepts_o_and_prefixed_types(tag, expected):
    assert parse_tag(tag) == expected


@pytest.mark.parametrize(
    "tag",
    [
        "",
        "X-PER",
        "O-PER",
        "b-PER",
        "B",
        "B-",
        "I-",
        "-PER",
        "B PER",
        "B-PER ",
        " O",
        "B-P R",
        "B-PER\n",
        "E-PER",
        "S-PER",
    ],
)
def test_parse_tag_rejects_malformed_tags(tag):
    with pytest.raises(ValueError, match="expected O, B-TYPE or I-TYPE"):
        parse_tag(tag)


def test_parse_tag_message_names_the_tag():
    with pytest.raises(ValueError, match=r"unknown tag 'X-PER'"):
        parse_tag("X-PER")


# spans: each case lists IOB2 and IOB1 spellings of the same chunks


CASES = [
    # (iob2, iob1, expected spans)
    pytest.param([], [], [], id="empty"),
    pytest.param(["O", "O"], ["O", "O"], [], id="no-entities"),
    pytest.param(["B-PER"], ["I-PER"], [Span(0, 1, "PER")], id="one-token-sentence"),
    pytest.param(
        ["B-PER", "I-PER", "O", "B-LOC"],
        ["I-PER", "I-PER", "O", "I-LOC"],
        [Span(0, 2, "PER"), Span(3, 4, "LOC")],
        id="entities-at-sentence-start-and-end",
    ),
    pytest.param(
        ["B-PER", "B-PER", "I-PER", "B-PER"],
        ["I-PER", "B-PER", "I-PER", "B-PER"],
        [Span(0, 1, "PER"), Span(1, 3, "PER"), Span(3, 4, "PER")],
        id="adjacent-same-type",
    ),
    pytest.param(
        ["B-PER", "B-LOC", "I-LOC", "B-ORG"],
        ["I-PER", "I-LOC", "I-LOC", "I-ORG"],
        [Span(0, 1, "PER"), Span(1, 3, "LOC"), Span(3, 4, "ORG")],
        id="adjacent-different-types",
    ),
    pytest.param(
        ["O", "B-MISC", "O", "B-MISC", "I-MISC", "I-MISC", "O"],
        ["O", "I-MISC", "O", "I-MISC", "I-MISC", "I-MISC", "O"],
        [Span(1, 2, "MISC"), Span(3, 6, "MISC")],
        id="length-one-and-three",
    ),
]


@pytest.mark.parametrize("iob2, iob1, expected", CASES)
def test_spans_read_iob1_and_iob2_alike(iob2, iob1, expected):
    assert spans(iob2) == expected
    assert spans(iob1) == expected


@pytest.mark.parametrize("iob2, iob1, expected", CASES)
def test_conversions_between_schemes(iob2, iob1, expected):
    assert to_iob2(iob1) == iob2
    assert to_iob1(iob2) == iob1
    assert spans_to_tags(expected, len(iob2), "iob2") == iob2
    assert spans_to_tags(expected, len(iob1), scheme="iob1") == iob1


@pytest.mark.parametrize(
    "tags, expected",
    [
        # conlleval starts a chunk at an I- that follows O, even in "IOB2" input
        (["O", "I-ORG", "I-ORG", "O"], [Span(1, 3, "ORG")]),
        # a type change inside a chunk ends it and starts another, B- or not
        (["B-PER", "I-LOC", "I-LOC"], [Span(0, 1, "PER"), Span(1, 3, "LOC")]),
        (["I-PER", "I-PER", "I-LOC"], [Span(0, 2, "PER"), Span(2, 3, "LOC")]),
        (
            ["B-PER", "I-PER", "B-LOC", "I-PER"],
            [Span(0, 2, "PER"), Span(2, 3, "LOC"), Span(3, 4, "PER")],
        ),
        # B- after O starts a chunk exactly like I- after O
        (["O", "B-LOC", "O", "I-LOC"], [Span(1, 2, "LOC"), Span(3, 4, "LOC")]),
        # types may contain hyphens
        (["B-A-B", "I-A-B", "I-A"], [Span(0, 2, "A-B"), Span(2, 3, "A")]),
    ],
)
def test_spans_follow_conlleval_on_irregular_sequences(tags, expected):
    assert spans(tags) == expected
    assert spans(tuple(tags)) == expected


def test_spans_rejects_malformed_tags():
    with pytest.raises(ValueError, match="unknown tag 'B-'"):
        spans(["O", "B-"])


@pytest.mark.parametrize(
    "tags",
    [
        ["I-PER", "B-PER", "O", "I-LOC", "B-ORG", "I-ORG", "I-MISC"],
        ["O", "I-ORG", "B-ORG", "B-ORG", "I-PER", "I-PER"],
        ["B-LOC", "I-PER", "B-PER", "I-PER", "I-PER"],
    ],
)
def test_round_trips_keep_the_spans(tags):
    expected = spans(tags)
    assert spans(to_iob1(to_iob2(tags))) == expected
    assert spans(to_iob2(to_iob1(tags))) == expected
    assert to_iob2(to_iob1(to_iob2(tags))) == to_iob2(tags)


def test_spans_to_tags_accepts_spans_in_any_order():
    chunks = [Span(3, 4, "PER"), Span(0, 3, "PER")]
    assert spans_to_tags(chunks, 5, "iob1") == ["I-PER", "I-PER", "I-PER", "B-PER", "O"]
    assert spans_to_tags(chunks, 5) == ["B-PER", "I-PER", "I-PER", "B-PER", "O"]


@pytest.mark.parametrize(
    "chunks, length, scheme, message",
    [
        ([Span(0, 1, "PER")], 1, "bio", "unknown tag scheme 'bio'"),
        ([Span(0, 3, "PER")], 2, "iob2", "does not fit"),
        ([Span(1, 1, "PER")], 2, "iob2", "does not fit"),
        ([Span(-1, 1, "PER")], 2, "iob2", "does not fit"),
        ([Span(0, 2, "PER"), Span(1, 3, "LOC")], 3, "iob2", "overlaps"),
        ([Span(0, 1, "")], 1, "iob2", "unknown tag"),
        ([Span(0, 1, "P R")], 1, "iob1", "unknown tag"),
    ],
)
def test_spans_to_tags_rejects_bad_input(chunks, length, scheme, message):
    with pytest.raises(ValueError, match=message):
        spans_to_tags(chunks, length, scheme)


# the real training file


def test_train_iob1_round_trip_gives_back_the_iob2_tags(train_tags):
    assert len(train_tags) == 14_041
    for tags in train_tags:
        assert to_iob2(to_iob1(tags)) == tags


def test_train_entity_counts_match_the_readme(train_tags):
    counts = Counter(span.label for tags in train_tags for span in spans(tags))
    assert counts == {"PER": 6_600, "LOC": 7_140, "ORG": 6_321, "MISC": 3_438}


def test_train_iob1_gives_the_same_spans(train_tags):
    for tags in train_tags:
        assert spans(to_iob1(tags)) == spans(tags)
