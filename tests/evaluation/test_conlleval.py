"""Tests for windowner.evaluation.conlleval: conlleval's entity scores and its text report."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import read_tags
from windowner.data.tags import to_iob1, to_iob2
from windowner.evaluation.conlleval import Scores, TypeScores, format_report, score


@pytest.fixture(scope="module")
def valid_tags() -> list[list[str]]:
    return read_tags("valid.txt")


# A hand-worked case. Chunks (start, end, type) per sentence:
#   1  gold PER(0,2) LOC(3,4)   predicted PER(0,2) LOC(3,4)   both correct
#   2  gold ORG(0,3)            predicted ORG(0,2)            partial overlap: wrong
#   3  gold PER(0,1)            predicted LOC(0,1) MISC(2,3)  right span, wrong type; MISC
#                                                             exists only in the predictions
# gold 4 (PER 2, LOC 1, ORG 1), found 5 (PER 1, LOC 2, ORG 1, MISC 1), correct 2 (PER 1, LOC 1)
# tokens 4 + 4 + 3 = 11, identical tags 4 + 3 + 1 = 8
GOLD = [
    ["B-PER", "I-PER", "O", "B-LOC"],
    ["B-ORG", "I-ORG", "I-ORG", "O"],
    ["B-PER", "O", "O"],
]
PREDICTED = [
    ["B-PER", "I-PER", "O", "B-LOC"],
    ["B-ORG", "I-ORG", "O", "O"],
    ["B-LOC", "O", "B-MISC"],
]


def test_hand_worked_case():
    s = score(GOLD, PREDICTED)
    assert (s.found, s.gold, s.correct, s.tokens) == (5, 4, 2, 11)
    assert s.precision == pytest.approx(2 / 5)
    assert s.recall == pytest.approx(2 / 4)
    assert s.f1 == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    assert s.token_accuracy == pytest.approx(8 / 11)
    assert list(s.per_type) == ["LOC", "MISC", "ORG", "PER"]
    assert s.per_type["LOC"] == TypeScores(0.5, 1.0, pytest.approx(2 / 3), 2, 1, 1)
    assert s.per_type["MISC"] == TypeScores(0.0, 0.0, 0.0, 1, 0, 0)
    assert s.per_type["ORG"] == TypeScores(0.0, 0.0, 0.0, 1, 1, 0)
    assert s.per_type["PER"] == TypeScores(1.0, 0.5, pytest.approx(2 / 3), 1, 2, 1)


def test_report_matches_conlleval_layout():
    # Worked out from conlleval.pl's printf formats: "accuracy: %6.2f%%; ", "precision: %6.2f%%; ",
    # "recall: %6.2f%%; ", "FB1: %6.2f\n", and per type "%17s: " ... "FB1: %6.2f  %d\n" with the
    # number of predicted chunks. 8/11 = 72.727...%, F1 = 2*40*50/90 = 44.444..., 2/3 = 66.666...
    expected = (
        "processed 11 tokens with 4 phrases; found: 5 phrases; correct: 2.\n"
        "accuracy:  72.73%; precision:  40.00%; recall:  50.00%; FB1:  44.44\n"
        "              LOC: precision:  50.00%; recall: 100.00%; FB1:  66.67  2\n"
        "             MISC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
        "              ORG: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
        "              PER: precision: 100.00%; recall:  50.00%; FB1:  66.67  1\n"
    )
    assert format_report(score(GOLD, PREDICTED)) == expected


def test_report_column_widths():
    lines = format_report(score(GOLD, PREDICTED)).splitlines()
    for line in lines[2:]:
        assert line.index(":") == 17  # "%17s: " right-aligns the type in 17 characters
    long_type = format_report(score([["B-ABCDEFGHIJKLMNOPQRS"]], [["O"]])).splitlines()[-1]
    assert long_type.startswith("ABCDEFGHIJKLMNOPQRS: precision:   0.00%")  # %17s never cuts


def test_report_without_tokens_has_no_accuracy_line():
    # conlleval prints the accuracy line only when it processed at least one token
    assert format_report(score([], [])) == (
        "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n"
    )


def test_empty_predictions_score_zero():
    s = score(GOLD, [["O"] * len(tags) for tags in GOLD])
    assert (s.found, s.gold, s.correct) == (0, 4, 0)
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)
    assert s.token_accuracy == pytest.approx(4 / 11)  # the O tokens: 1 + 1 + 2
    assert list(s.per_type) == ["LOC", "ORG", "PER"]
    assert s.per_type["PER"] == TypeScores(0.0, 0.0, 0.0, 0, 2, 0)


def test_no_entities_anywhere():
    s = score([["O", "O"]], [["O", "O"]])
    assert (s.precision, s.recall, s.f1, s.found, s.gold, s.correct) == (0, 0, 0, 0, 0, 0)
    assert s.token_accuracy == 1.0
    assert s.per_type == {}


def test_partial_overlaps_never_count():
    gold = [["B-ORG", "I-ORG", "I-ORG", "O", "B-PER", "I-PER"]]
    for predicted in (
        ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "B-PER", "I-PER"],  # too long
        ["O", "B-ORG", "I-ORG", "O", "B-PER", "I-PER"],  # starts late
        ["B-ORG", "B-ORG", "I-ORG", "O", "B-PER", "I-PER"],  # split in two
    ):
        s = score(gold, [predicted])
        assert s.per_type["ORG"].correct == 0
        assert s.per_type["PER"].correct == 1


def test_i_after_o_in_predictions_is_a_chunk_start():
    # conlleval reads O I-PER I-PER as a chunk from token 1, so it matches gold O B-PER I-PER
    s = score([["O", "B-PER", "I-PER"]], [["O", "I-PER", "I-PER"]])
    assert (s.found, s.gold, s.correct) == (1, 1, 1)
    assert s.token_accuracy == pytest.approx(2 / 3)  # raw tags differ at token 1


def test_sentence_breaks_end_chunks():
    # the same tags as one sentence would be one PER chunk; split in two they are two chunks
    s = score([["B-PER", "I-PER"], ["I-PER"]], [["B-PER", "I-PER"], ["B-PER"]])
    assert (s.found, s.gold, s.correct) == (2, 2, 2)


def test_iob1_and_iob2_hand_case_agree_on_entities():
    as_iob2 = score(GOLD, PREDICTED)
    as_iob1 = score([to_iob1(t) for t in GOLD], [to_iob1(t) for t in PREDICTED])
    assert entity_part(as_iob1) == entity_part(as_iob2)


def entity_part(s: Scores) -> Scores:
    """The scores without the token-level fields, which compare raw tags and so see the scheme."""
    return replace(s, token_accuracy=0.0, tokens=0)


@pytest.mark.parametrize(
    "gold, predicted, message",
    [
        ([["O"]], [], "gold has 1 sentences but predicted has 0"),
        ([["O"], ["O", "O"]], [["O"], ["O"]], "sentence 2: gold has 2 tags but predicted has 1"),
        ([["O"], ["B-"]], [["O"], ["O"]], "sentence 2: unknown tag 'B-'"),
        ([["O"]], [["X-PER"]], "sentence 1: unknown tag 'X-PER'"),
    ],
)
def test_score_rejects_mismatched_or_malformed_input(gold, predicted, message):
    with pytest.raises(ValueError, match=message):
        score(gold, predicted)


def test_to_dict():
    d = score(GOLD, PREDICTED).to_dict()
    assert d["overall"] == {
        "precision": 0.4,
        "recall": 0.5,
        "f1": pytest.approx(4 / 9),
        "found": 5,
        "gold": 4,
        "correct": 2,
    }
    assert d["tokens"] == 11
    assert d["token_accuracy"] == pytest.approx(8 / 11)
    assert list(d["per_type"]) == ["LOC", "MISC", "ORG", "PER"]
    assert d["per_type"]["PER"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
        "found": 1,
        "correct": 1,
    }


# the real development file


def test_perfect_predictions_on_valid(valid_tags):
    s = score(valid_tags, valid_tags)
    assert (s.found, s.gold, s.correct) == (5_942, 5_942, 5_942)
    assert (s.precision, s.recall, s.f1, s.token_accuracy) == (1.0, 1.0, 1.0, 1.0)
    assert s.tokens == 51_362
    assert {t: r.gold for t, r in s.per_type.items()} == {
        "LOC": 1_837,
        "MISC": 922,
        "ORG": 1_341,
        "PER": 1_842,
    }
    for row in s.per_type.values():
        assert (row.precision, row.recall, row.f1) == (1.0, 1.0, 1.0)
        assert row.found == row.gold == row.correct
    assert format_report(s).splitlines()[:2] == [
        "processed 51362 tokens with 5942 phrases; found: 5942 phrases; correct: 5942.",
        "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00",
    ]


def corrupt(sentences: list[list[str]], rate: float, seed: int) -> list[list[str]]:
    """A copy with a share `rate` of tags replaced by random ones, ill-formed sequences included."""
    rng = np.random.default_rng(seed)
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
    noisy = []
    for tags in sentences:
        hit = rng.random(len(tags)) < rate
        picks = rng.integers(len(labels), size=len(tags))
        noisy.append([labels[k] if h else t for t, h, k in zip(tags, hit, picks, strict=True)])
    return noisy


def test_iob1_and_iob2_give_identical_entity_scores_on_valid(valid_tags):
    predicted = corrupt(valid_tags, rate=0.1, seed=0)
    as_iob2 = score(valid_tags, [to_iob2(t) for t in predicted])
    as_iob1 = score([to_iob1(t) for t in valid_tags], [to_iob1(t) for t in predicted])
    raw = score(valid_tags, predicted)
    assert 0 < as_iob2.correct < as_iob2.gold == 5_942
    assert entity_part(as_iob1) == entity_part(as_iob2) == entity_part(raw)
