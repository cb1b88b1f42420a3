"""Lexicons: loading the TSV format (and refusing bad lines), and the B/I/E/S matcher checked
against its plain definition on real CoNLL train sentences."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.conftest import CONLL, ROOT
from windowner.data.conll import read_conll
from windowner.data.tokenizer import tokenize
from windowner.errors import UserError
from windowner.features.lexicons import (
    BEGIN,
    END,
    INSIDE,
    NONE,
    SINGLE,
    TYPES,
    Lexicon,
    LexiconFeature,
    load_lexicon,
    match_reference,
    read_entries,
    split_phrase,
)

LEXICONS = sorted((ROOT / "data" / "lexicons").glob("*.tsv"))


@pytest.fixture(scope="module")
def train():
    return [s.tokens for s in read_conll(CONLL / "train.txt").sentences]


@pytest.fixture(scope="module")
def shipped():
    return load_lexicon(LEXICONS)


def test_longest_match_per_type_with_tokenized_phrases():
    lexicon = Lexicon.from_phrases(
        [("LOC", "New York"), ("ORG", "New York Rangers"), ("LOC", "St. Louis"), ("PER", "John")]
    )
    tokens = ["The", "New", "York", "Rangers", "beat", "St.", "Louis", "John"]
    m = lexicon.match([tokens])
    loc, org, per = TYPES.index("LOC"), TYPES.index("ORG"), TYPES.index("PER")
    assert m.dtype == np.int8 and m.shape == (8, len(TYPES))
    assert list(m[:, org]) == [NONE, BEGIN, INSIDE, END, NONE, NONE, NONE, NONE]
    assert list(m[:, loc]) == [NONE, BEGIN, END, NONE, NONE, BEGIN, END, NONE]
    assert list(m[:, per]) == [NONE] * 7 + [SINGLE]


def test_case_folded_matching_finds_capitals_exact_does_not():
    lexicon = Lexicon.from_phrases([("LOC", "Paris")])
    assert lexicon.match([["PARIS", "paris", "Paris"]])[:, 1].tolist() == [0, 0, SINGLE]
    assert lexicon.match([["PARIS", "paris"]], fold=True)[:, 1].tolist() == [SINGLE, SINGLE]


def test_a_match_never_crosses_a_sentence_break():
    lexicon = Lexicon.from_phrases([("LOC", "New York")])
    assert not lexicon.match([["New"], ["York"]]).any()
    assert lexicon.match([[], ["New", "York"]])[:, 1].tolist() == [BEGIN, END]


def test_the_shipped_lexicons_match_train_as_the_plain_definition_does(shipped, train):
    sample = train[::80]  # 176 real sentences
    for fold in (False, True):
        assert np.array_equal(shipped.match(sample, fold), match_reference(shipped, sample, fold))


def test_known_train_entities_are_marked(shipped, train):
    m = shipped.match(train)
    assert m.shape == (sum(map(len, train)), len(TYPES))
    flat = [t for s in train for t in s]
    i = flat.index("Germany")
    assert m[i, TYPES.index("LOC")] == SINGLE
    i = next(j for j in range(len(flat) - 1) if flat[j : j + 2] == ["New", "York"])
    assert m[i : i + 2, TYPES.index("LOC")].tolist() == [BEGIN, END]


def test_matching_all_of_train_takes_well_under_a_second(shipped, train):
    start = time.perf_counter()
    shipped.match(train)
    assert time.perf_counter() - start < 1.0


def test_phrases_split_as_the_tokenizer_splits_text(shipped):
    assert split_phrase("St. Louis") == ("St.", "Louis")
    assert split_phrase("Guinea-Bissau") == ("Guinea-Bissau",)
    for path in LEXICONS:  # the fast path for plain words agrees with the tokenizer
        for _, phrase in read_entries(path)[::50]:
            assert split_phrase(phrase) == tuple(t.text for t in tokenize(phrase))


def test_shipped_files_are_sorted_unique_and_well_formed():
    for path in LEXICONS:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines == sorted(set(lines)), path.name
        assert read_entries(path)


def test_a_repeated_phrase_keeps_every_type(tmp_path):
    path = tmp_path / "lex.tsv"
    path.write_text("LOC\tJordan\nPER\tJordan\nLOC\tJordan\r\n\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    assert len(lexicon) == 1 and lexicon.types_of(["Jordan"]) == ("PER", "LOC")
    assert lexicon.match([["Jordan"]]).tolist() == [[SINGLE, SINGLE, 0, 0]]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (b"LOC\tParis\nLOC Paris\n", 2, "expected 'TYPE<TAB>phrase', got 1 tab-separated field"),
        (b"LOC\tParis\tFrance\n", 1, "got 3 tab-separated fields"),
        (b"PER\tJohn\nCITY\tParis\n", 2, "unknown type 'CITY' (known: PER, LOC, ORG, MISC)"),
        (b"loc\tParis\n", 1, "unknown type 'loc'"),
        (b"LOC\t   \n", 1, "empty phrase"),
        (b"LOC\t\n", 1, "empty phrase"),
        (b"LOC\tPar\x00is\n", 1, "control character U+0000 in the phrase"),
        (b"LOC\tPa\rris\n", 1, "control character U+000D in the phrase"),
        (b"LOC\tParis\nLOC\tZ\xfcrich\n", 2, "not valid UTF-8 text"),
    ],
)
def test_a_bad_line_is_a_user_error_naming_file_and_line(tmp_path, content, line, message):
    path = tmp_path / "bad.tsv"
    path.write_bytes(content)
    with pytest.raises(UserError) as caught:
        load_lexicon(path)
    assert caught.value.path == str(path) and caught.value.line == line
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_file_and_a_folder_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        load_lexicon(tmp_path / "missing.tsv")
    with pytest.raises(UserError, match="is a directory"):
        load_lexicon(tmp_path)


def test_from_phrases_refuses_unknown_types_and_empty_phrases():
    with pytest.raises(ValueError, match="unknown type"):
        Lexicon.from_phrases([("GPE", "Paris")])
    with pytest.raises(ValueError, match="no tokens"):
        Lexicon.from_phrases([("LOC", " ")])


def test_a_lexicon_feature_reads_one_row_of_L_per_type_and_round_trips_as_bytes():
    lexicon = Lexicon.from_phrases(
        [
            ("LOC", "New York City"),
            ("ORG", "New York Rangers"),
            ("PER", "John"),
            ("LOC", "St. Louis"),
        ]
    )
    feature = LexiconFeature(lexicon)
    assert feature.names == ("L",) * 4 and feature.rows() == 20
    assert feature.padding_ids().tolist() == [0, 5, 10, 15]
    ids = feature.ids([["John", "left", "New", "York", "City"], ["St.", "Louis"]])
    per, loc, org = 0 + SINGLE, 5 + np.array([BEGIN, INSIDE, END]), 10
    assert ids[:, 0].tolist() == [per, 0, 0, 0, 0, 0, 0]
    assert ids[2:5, 1].tolist() == loc.tolist() and ids[5:, 1].tolist() == [5 + BEGIN, 5 + END]
    assert ids[:, 2].tolist() == [org] * 7  # no ORG phrase matched: NONE of ORG
    stored = feature.to_bytes()
    assert b"LOC\tSt.\tLouis" in stored.split(b"\n")
    back = LexiconFeature.from_bytes(stored, TYPES, False)
    assert back.lexicon.phrases == lexicon.phrases


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"LOC\tParis\n\xff", "can't decode|invalid start byte"),
        (b"CITY\tParis", "unknown type 'CITY'"),
        (b"LOC", "1 to 32 tokens"),
        (b"LOC\tNew\t\tYork", "none empty"),
        (b"LOC\t" + b"\t".join([b"a"] * 33), "1 to 32 tokens"),
        (b"LOC\tPa\x1bris", "control character"),
        (b"LOC\t Paris", "control character or blank"),
    ],
)
def test_stored_lexicon_lines_are_checked(data, message):
    with pytest.raises(ValueError, match=message):
        LexiconFeature.from_bytes(data, TYPES, False)
