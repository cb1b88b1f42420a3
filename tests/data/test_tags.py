"""Tests for windowner.data.tags: tag parsing, conlleval chunking, scheme detection, conversion."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from tests.conftest import read_tags
from windowner.data.tags import (
    SCHEMES,
    SchemeError,
    Span,
    convert,
    detect_scheme,
    parse_tag,
    resolve_scheme,
    spans,
    spans_to_tags,
    to_iob1,
    to_iob2,
)


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
        ("E-PER", ("E", "PER")),
        ("S-LOC", ("S", "LOC")),
        ("L-ORG", ("L", "ORG")),
        ("U-MISC", ("U", "MISC")),
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
        "PER",
    ],
)
def test_parse_tag_rejects_malformed_tags(tag):
    with pytest.raises(ValueError, match=r"unknown tag .*: expected O or PREFIX-TYPE"):
        parse_tag(tag)
    with pytest.raises(ValueError, match="expected O, B-TYPE or I-TYPE"):
        parse_tag(tag, "iob2")


def test_parse_tag_message_names_the_tag():
    with pytest.raises(ValueError, match=r"unknown tag 'X-PER'"):
        parse_tag("X-PER")


@pytest.mark.parametrize(
    "tag, scheme, expected",
    [
        ("PER", "io", ("I", "PER")),
        ("I-PER", "io", ("I", "PER")),
        ("WORK-OF-ART", "io", ("I", "WORK-OF-ART")),
        ("O", "io", ("O", "")),
        ("S-PER", "iobes", ("S", "PER")),
        ("E-PER", "IOBES", ("E", "PER")),
        ("U-PER", "bilou", ("U", "PER")),
        ("L-PER", "bilou", ("L", "PER")),
    ],
)
def test_parse_tag_within_a_scheme(tag, scheme, expected):
    assert parse_tag(tag, scheme) == expected


@pytest.mark.parametrize(
    "tag, scheme, message",
    [
        ("S-PER", "iob2", "expected O, B-TYPE or I-TYPE"),
        ("E-PER", "iob1", "expected O, B-TYPE or I-TYPE"),
        ("U-PER", "iobes", "expected O, B-TYPE, I-TYPE, E-TYPE or S-TYPE"),
        ("S-PER", "bilou", "expected O, B-TYPE, I-TYPE, L-TYPE or U-TYPE"),
        ("B-PER", "io", r"expected O, TYPE or I-TYPE \(IO\)"),
        ("I-", "io", "unknown tag 'I-'"),
        ("P R", "io", "unknown tag 'P R'"),
    ],
)
def test_parse_tag_rejects_prefixes_of_other_schemes(tag, scheme, message):
    with pytest.raises(ValueError, match=message):
        parse_tag(tag, scheme)


def test_scheme_names_and_aliases():
    assert SCHEMES == ("iob1", "iob2", "iobes", "bilou", "io")
    assert [resolve_scheme(n) for n in ("IOB2", "BIOES", "bio", " Bilou ")] == [
        "iob2",
        "iobes",
        "iob2",
        "bilou",
    ]
    with pytest.raises(ValueError, match="unknown tag scheme 'xyz'"):
        resolve_scheme("xyz")


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
        ([Span(0, 1, "PER")], 1, "xyz", "unknown tag scheme 'xyz'"),
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


# conlleval itself, transcribed from conlleval.pl (endOfChunk / startOfChunk), for B/I/O tags


def conlleval_end(prev_tag, tag, prev_type, type_):
    return (
        (prev_tag, tag) in {("B", "B"), ("B", "O"), ("I", "B"), ("I", "O")}
        or (prev_tag, tag) in {("E", "E"), ("E", "I"), ("E", "O")}
        or (prev_tag != "O" and prev_tag != "." and prev_type != type_)
    )


def conlleval_start(prev_tag, tag, prev_type, type_):
    return (
        (prev_tag, tag) in {("B", "B"), ("I", "B"), ("O", "B"), ("O", "I")}
        or (prev_tag, tag) in {("E", "E"), ("E", "I"), ("O", "E")}
        or (tag != "O" and tag != "." and prev_type != type_)
    )


def conlleval_chunks(tags):
    """conlleval.pl's chunking loop, one sentence followed by its sentence break."""
    found, start, prev_tag, prev_type = [], None, "O", ""
    for i, raw in enumerate([*tags, "O"]):
        tag, _, type_ = raw.partition("-")
        if start is not None and conlleval_end(prev_tag, tag, prev_type, type_):
            found.append(Span(start, i, prev_type))
            start = None
        if conlleval_start(prev_tag, tag, prev_type, type_):
            start = i
        prev_tag, prev_type = tag, type_
    return found


def test_spans_equal_conlleval_on_every_short_bio_sequence():
    alphabet = ["O", "B-A", "I-A", "B-B", "I-B"]
    for length in range(1, 6):
        for tags in itertools.product(alphabet, repeat=length):
            assert spans(tags) == conlleval_chunks(tags), tags


# the other schemes: each case spells the same chunks in IOBES, BILOU and IO

OTHER_SCHEMES = [
    # (iob2, iobes, bilou, io)
    pytest.param(
        ["B-PER", "I-PER", "O", "B-LOC"],
        ["B-PER", "E-PER", "O", "S-LOC"],
        ["B-PER", "L-PER", "O", "U-LOC"],
        ["PER", "PER", "O", "LOC"],
        id="multi-and-single",
    ),
    pytest.param(
        ["B-ORG", "I-ORG", "I-ORG", "B-PER", "B-LOC"],
        ["B-ORG", "I-ORG", "E-ORG", "S-PER", "S-LOC"],
        ["B-ORG", "I-ORG", "L-ORG", "U-PER", "U-LOC"],
        ["ORG", "ORG", "ORG", "PER", "LOC"],
        id="adjacent-different-types",
    ),
    pytest.param(
        ["O", "B-MISC", "O", "O"],
        ["O", "S-MISC", "O", "O"],
        ["O", "U-MISC", "O", "O"],
        ["O", "MISC", "O", "O"],
        id="single-token",
    ),
]


@pytest.mark.parametrize("iob2, iobes, bilou, io", OTHER_SCHEMES)
def test_every_scheme_reads_and_writes_the_same_chunks(iob2, iobes, bilou, io):
    expected = spans(iob2)
    for tags, scheme in ((iobes, "iobes"), (bilou, "bilou"), (io, "io"), (iob2, "iob2")):
        assert spans(tags, scheme) == expected
        assert to_iob2(tags, scheme) == iob2
        assert convert(iob2, scheme) == tags
        assert detect_scheme([tags]) == scheme
    assert spans(iobes) == spans(bilou) == expected  # no scheme needed for prefixed tags


def test_adjacent_chunks_of_one_type_in_iobes_bilou_and_io():
    iob2 = ["B-PER", "B-PER", "I-PER"]
    assert convert(iob2, "iobes") == ["S-PER", "B-PER", "E-PER"]
    assert convert(iob2, "bilou") == ["U-PER", "B-PER", "L-PER"]
    assert spans(["S-PER", "B-PER", "E-PER"]) == [Span(0, 1, "PER"), Span(1, 3, "PER")]
    assert spans(["E-PER", "E-PER"]) == [Span(0, 1, "PER"), Span(1, 2, "PER")]
    # IO cannot tell them apart: one chunk comes back
    assert convert(iob2, "io") == ["PER", "PER", "PER"]
    assert spans(["PER", "PER", "PER"], "io") == [Span(0, 3, "PER")]


@pytest.mark.parametrize(
    "tags, expected",
    [
        # irregular IOBES/BILOU are read leniently, like conlleval reads irregular IOB2
        (["B-PER", "O"], [Span(0, 1, "PER")]),  # a B- that never ends
        (["O", "I-PER", "E-PER"], [Span(1, 3, "PER")]),  # no B-
        (["E-PER", "I-PER"], [Span(0, 1, "PER"), Span(1, 2, "PER")]),  # I- after an end
        (["B-PER", "L-LOC"], [Span(0, 1, "PER"), Span(1, 2, "LOC")]),  # type change
        (["U-PER", "I-PER", "L-PER"], [Span(0, 1, "PER"), Span(1, 3, "PER")]),
    ],
)
def test_irregular_iobes_and_bilou_sequences(tags, expected):
    assert spans(tags) == expected


@pytest.mark.parametrize(
    "sentences, scheme",
    [
        ([["B-PER", "I-PER", "O"], ["O", "B-LOC"]], "iob2"),
        ([["I-PER", "I-PER", "O"], ["O", "B-LOC"]], "iob1"),
        ([["O", "I-PER"]], "iob1"),
        ([["O", "O"], []], "iob2"),
        ([["B-PER", "E-PER"], ["O"]], "iobes"),
        ([["S-PER"]], "iobes"),
        ([["U-PER", "O"]], "bilou"),
        ([["PER", "O"], ["I-LOC"]], "io"),
    ],
)
def test_detect_scheme(sentences, scheme):
    assert detect_scheme(sentences) == scheme
    assert detect_scheme(iter(sentences)) == scheme


@pytest.mark.parametrize(
    "sentences, tag, message",
    [
        ([["B-PER", "O"], ["LOC"]], "LOC", "bare type"),
        ([["S-PER", "O"], ["U-LOC"]], "U-LOC", "BILOU but tag 'S-PER' is IOBES"),
        ([["X-PER"]], "X-PER", "unknown tag 'X-PER'"),
        ([["B-PER", "B-"]], "B-", "unknown tag 'B-'"),
    ],
)
def test_detect_scheme_names_a_tag_that_does_not_fit(sentences, tag, message):
    with pytest.raises(SchemeError, match=message) as caught:
        detect_scheme(sentences)
    assert caught.value.tag == tag


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


@pytest.mark.parametrize("scheme", ["iob1", "iobes", "bilou"])
def test_train_in_every_scheme_gives_the_same_spans(train_tags, scheme):
    for tags in train_tags:
        written = convert(tags, scheme)
        assert spans(written, scheme) == spans(tags)
        assert to_iob2(written, scheme) == tags


def test_train_in_io_merges_only_adjacent_chunks_of_one_type(train_tags):
    merged = 0
    for tags in train_tags:
        io = convert(tags, "io")
        expected = []
        for span in spans(tags):
            if expected and expected[-1].end == span.start and expected[-1].label == span.label:
                expected[-1] = Span(expected[-1].start, span.end, span.label)
                merged += 1
            else:
                expected.append(span)
        assert spans(io, "io") == expected
    assert 0 < merged < 100  # rare in CoNLL-2003, but they exist: IO cannot keep them apart
