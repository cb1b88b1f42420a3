"""evaluation.report: what ner-eval reports (decodings, --errors, --html, --output), in-process."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.conftest import ROOT, run
from tests.test_model_file import tiny_model
from windowner.data.conll import read_conll
from windowner.errors import UserError
from windowner.evaluation.errors import analyse
from windowner.evaluation.evaluate import evaluate
from windowner.evaluation.report import Report, evaluate_report

DEV = ROOT / "examples" / "dev.txt"


@pytest.fixture(scope="module")
def corpus():
    return read_conll(DEV)


def test_both_decodings_each_get_scores_predictions_and_an_analysis(corpus):
    model = tiny_model()
    report = evaluate_report(model, corpus, "both", errors=True)
    assert isinstance(report, Report)
    assert [d.name for d in report.decodings] == ["greedy", "viterbi"]
    tokens = [s.tokens for s in corpus.sentences]
    gold = [s.tags for s in corpus.sentences]
    for decoding in report.decodings:
        scores, predicted = evaluate(model, corpus, decoding.name)
        assert decoding.scores == scores and decoding.predicted == predicted
        assert decoding.errors == analyse(tokens, gold, predicted)
        assert sum(decoding.errors.predicted.values()) == scores.found
    assert report.scores is report.decodings[-1].scores  # viterbi's
    found = report.to_dict()
    assert list(found) == ["greedy", "viterbi"]
    assert found["greedy"]["errors"] == report.decodings[0].errors.to_dict()
    text = report.to_text()
    assert text.startswith("== greedy decoding\nprocessed 578 tokens with 81 phrases")
    assert "== viterbi decoding\n" in text and text.count("confusion:") == 2


def test_without_errors_the_report_is_the_scores_alone(corpus):
    report = evaluate_report(tiny_model(), corpus)
    (decoding,) = report.decodings
    assert decoding.name is None and decoding.errors is None
    assert report.to_dict() == report.scores.to_dict()
    assert "confusion:" not in report.to_text()


def test_the_text_and_json_are_what_ner_eval_prints(tiny_model_file, corpus):
    from windowner.model_file import load_model

    report = evaluate_report(load_model(tiny_model_file), corpus, "both", errors=True)
    text = run("ner-eval", tiny_model_file, DEV, "--decode", "both", "--errors")
    assert text.returncode == 0, text.stderr
    assert text.stdout == report.to_text()
    found = run("ner-eval", tiny_model_file, DEV, "--decode", "both", "--errors", "--json")
    assert found.stdout == json.dumps(report.to_dict()) + "\n"


def test_predictions_and_the_page_are_written_from_the_last_decoding(corpus, tmp_path):
    report = evaluate_report(tiny_model(), corpus, "viterbi")
    report.write_predictions(tmp_path / "predicted.txt", "iobes")
    lines = (tmp_path / "predicted.txt").read_text(encoding="utf-8").split("\n\n")
    assert len(lines) == len(corpus.sentences) + 1  # a blank line after each sentence
    tags = {line.split()[2] for line in lines[0].splitlines()}
    assert tags <= {"O", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "B-PER", "I-PER", "E-PER", "S-PER"}
    report.write_html(tmp_path / "page.html", "windowner: tiny")
    page = (tmp_path / "page.html").read_text()
    assert "windowner: tiny (viterbi)" in page
    assert page == report.html_page("windowner: tiny")


def test_the_user_s_mistakes_are_user_errors_with_ner_eval_s_messages(corpus, tmp_path):
    model = tiny_model()
    with pytest.raises(UserError, match=r"^--decode: unknown decoding 'beam'; choose from gree"):
        evaluate_report(model, corpus, "beam")
    both = evaluate_report(model, corpus, "both")
    with pytest.raises(UserError, match=r"^--output writes one prediction per token"):
        both.write_predictions(tmp_path / "predicted.txt")
    with pytest.raises(UserError, match=r"^--out-scheme: unknown tag scheme 'nope'"):
        evaluate_report(model, corpus).write_predictions(tmp_path / "predicted.txt", "nope")
    assert not list(tmp_path.iterdir())
    only_loc = replace(model, only_type="LOC")
    refused = "^--errors and --html need a model of entities, not an --only-type one$"
    with pytest.raises(UserError, match=refused):
        evaluate_report(only_loc, corpus, errors=True)
    with pytest.raises(UserError, match=refused):
        evaluate_report(only_loc, corpus).write_html(tmp_path / "page.html", "title")
    assert not (tmp_path / "page.html").exists()
