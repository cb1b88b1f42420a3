"""Error analysis: every entity classified once, the counts adding up, `ner-eval --errors`."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CONLL, read_tags, run
from windowner.data.tags import Span, spans
from windowner.evaluation.conlleval import score
from windowner.evaluation.errors import (
    GOLD_KINDS,
    PREDICTED_KINDS,
    analyse,
    classify,
    format_errors,
)


def test_each_kind_on_a_hand_made_sentence():
    #        0        1      2       3     4       5       6        7
    words = ["Angela", "Merkel", "met", "New", "York", "Times", "staff", "today"]
    gold = ["B-PER", "I-PER", "O", "B-ORG", "I-ORG", "I-ORG", "O", "B-MISC"]
    pred = ["B-LOC", "I-LOC", "O", "B-LOC", "I-LOC", "O", "B-ORG", "O"]
    assert classify(spans(gold), spans(pred)) == (
        ["wrong_type", "wrong_boundary", "missed"],
        ["wrong_type", "wrong_boundary", "spurious"],
    )
    analysis = analyse([words], [gold], [pred])
    assert analysis.gold == {"correct": 0, "wrong_type": 1, "wrong_boundary": 1, "missed": 1}
    assert analysis.predicted == {
        "correct": 0,
        "wrong_type": 1,
        "wrong_boundary": 1,
        "spurious": 1,
    }
    assert analysis.confusion["PER"]["LOC"] == 1
    assert analysis.confusion["MISC"]["O"] == 1 and analysis.confusion["O"]["ORG"] == 1
    assert "O" not in analysis.confusion["O"]
    assert analysis.top_missed == [("today", "MISC", 1)]
    assert analysis.top_spurious == [("staff", "ORG", 1)]


def test_a_correct_entity_and_one_wider_than_the_gold_one():
    gold = [Span(0, 2, "PER"), Span(3, 4, "LOC")]
    predicted = [Span(0, 2, "PER"), Span(2, 5, "LOC")]
    both = ["correct", "wrong_boundary"]
    assert classify(gold, predicted) == (both, both)


def test_entities_are_compared_within_their_sentence_only():
    # the same span in the next sentence is not a match
    analysis = analyse([["Paris"], ["Paris"]], [["B-LOC"], ["O"]], [["O"], ["B-LOC"]])
    assert analysis.gold["missed"] == analysis.predicted["spurious"] == 1


_TAG = st.sampled_from(["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"])


@st.composite
def _tagged_corpus(draw):
    lengths = draw(st.lists(st.integers(0, 12), max_size=6))
    gold = [draw(st.lists(_TAG, min_size=n, max_size=n)) for n in lengths]
    predicted = [draw(st.lists(_TAG, min_size=n, max_size=n)) for n in lengths]
    return gold, predicted


@settings(max_examples=300, deadline=None)
@given(_tagged_corpus())
def test_the_counts_always_add_up(corpus):
    gold, predicted = corpus
    tokens = [[f"w{i}" for i in range(len(tags))] for tags in gold]
    analysis = analyse(tokens, gold, predicted)
    scores = score(gold, predicted)
    assert list(analysis.gold) == list(GOLD_KINDS)
    assert list(analysis.predicted) == list(PREDICTED_KINDS)
    assert sum(analysis.gold.values()) == scores.gold
    assert sum(analysis.predicted.values()) == scores.found
    assert analysis.gold["correct"] == analysis.predicted["correct"] == scores.correct
    assert analysis.gold["wrong_type"] == analysis.predicted["wrong_type"]
    # wrong_boundary exists on one side only if it does on the other
    assert (analysis.gold["wrong_boundary"] == 0) == (analysis.predicted["wrong_boundary"] == 0)
    rows = {row: sum(cells.values()) for row, cells in analysis.confusion.items()}
    assert rows.pop("O") == analysis.predicted["spurious"]
    assert sum(rows.values()) == scores.gold - analysis.gold["wrong_boundary"]
    missed_column = sum(cells.get("O", 0) for cells in analysis.confusion.values())
    assert missed_column == analysis.gold["missed"]
    diagonal = sum(analysis.confusion[t][t] for t in analysis.confusion if t != "O")
    assert diagonal == scores.correct


def test_the_gold_tags_against_themselves_are_all_correct():
    gold = read_tags("valid.txt")
    analysis = analyse([["x"] * len(tags) for tags in gold], gold, gold)
    assert analysis.gold == {"correct": 5942, "wrong_type": 0, "wrong_boundary": 0, "missed": 0}
    assert "(none)" in format_errors(analysis)


def test_ner_eval_errors_prints_the_table_and_the_json_adds_up(trained):
    model = trained / "model.npz"
    text = run("ner-eval", model, CONLL / "test.txt", "--errors")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("processed 46435 tokens with 5648 phrases")
    for heading in ("wrong_boundary", "confusion:", "most often missed:", "most often spurious:"):
        assert heading in text.stdout
    result = run("ner-eval", model, CONLL / "test.txt", "--json", "--errors")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    errors = found["errors"]
    assert set(errors) == {"gold", "predicted", "confusion", "top_missed", "top_spurious"}
    assert sum(errors["gold"].values()) == found["overall"]["gold"] == 5648
    assert sum(errors["predicted"].values()) == found["overall"]["found"]
    assert errors["gold"]["correct"] == found["overall"]["correct"]
    assert set(errors["confusion"]) == {"LOC", "MISC", "ORG", "PER", "O"}
    assert all(set(e) == {"text", "label", "count"} for e in errors["top_missed"])
    rows = {line.split()[0]: line.split()[1:] for line in text.stdout.splitlines() if line}
    counts = [int(n.replace(",", "")) for n in rows["gold"]]
    assert counts == [*errors["gold"].values(), 5648]
    counts = [int(n.replace(",", "")) for n in rows["predicted"]]
    assert counts == [*errors["predicted"].values(), found["overall"]["found"]]
    without = run("ner-eval", model, CONLL / "test.txt", "--json")
    assert json.loads(without.stdout) == {k: v for k, v in found.items() if k != "errors"}


def test_errors_with_both_decodings_gives_one_analysis_each(trained):
    result = run("ner-eval", trained / "model.npz", CONLL / "valid.txt", "--json", "--errors",
                 "--decode", "both")  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    for name in ("greedy", "viterbi"):
        assert sum(found[name]["errors"]["predicted"].values()) == found[name]["overall"]["found"]


def test_an_only_type_model_is_refused_with_one_error_line(small_run, tmp_path):
    from windowner.training.run import train

    config = small_run(
        out=str(tmp_path / "loc"),
        **{"model.head": "sigmoid", "model.only_type": "LOC", "training.epochs": 1},
    )
    result = train(config, log=lambda _: None, progress=False)
    for option in (["--errors"], ["--html", tmp_path / "page.html"]):
        found = run("ner-eval", result.out / "model.npz", config.data.dev, *option)
        assert found.returncode == 2
        assert found.stderr.splitlines() == [
            "error: --errors and --html need a model of entities, not an --only-type one"
        ]
    assert not (tmp_path / "page.html").exists()
