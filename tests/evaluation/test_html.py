"""`ner-eval --html`: gold and predicted entities of every sentence, errors marked, as a
browser sees them (read back with html.parser, and rendered once in headless Chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CONLL, Dom, head_of_conll, rendered_dom, run
from windowner.data.conll import read_conll
from windowner.data.tags import spans
from windowner.evaluation.errors import analyse, classify

HOSTILE = [
    ("<script>document.title='pwned'</script>", "O"),
    ("Bill", "B-PER"),
    ("Clinton", "I-PER"),
    ("<img", "O"),
    ("src=x", "O"),
    ("onerror=\"document.body.setAttribute('data-pwned',1)\">", "O"),
    ("in", "O"),
    ("Moscow", "B-LOC"),
    (".", "O"),
]


@pytest.fixture(scope="module")
def evaluated(trained, tmp_path_factory) -> tuple[Path, Path, Path]:
    """ner-eval --html and --output of test.txt's first 60 sentences plus a hostile one."""
    folder = tmp_path_factory.mktemp("eval-html")
    data = head_of_conll(CONLL / "test.txt", folder / "data.txt", 60)
    with data.open("a", encoding="utf-8") as f:
        f.write("\n" + "".join(f"{token} X X {tag}\n" for token, tag in HOSTILE) + "\n")
    page, predicted = folder / "errors.html", folder / "predicted.txt"
    result = run("ner-eval", trained / "model.npz", data, "--html", page, "--output", predicted)
    assert result.returncode == 0, result.stderr
    return data, page, predicted


def expected_marks(predicted: Path) -> list[tuple]:
    """(side, label, text, kind) of every entity, in page order, from the --output file."""
    corpus = read_conll(predicted, columns=(0, 2))
    gold = read_conll(predicted, columns=(0, 1))
    marks = []
    for mine, theirs in zip(gold.sentences, corpus.sentences, strict=True):
        gold_spans, predicted_spans = spans(mine.tags), spans(theirs.tags)
        kinds = classify(gold_spans, predicted_spans)
        sides = zip(("gold", "predicted"), (gold_spans, predicted_spans), kinds)
        for side, found, side_kinds in sides:
            for span, kind in zip(found, side_kinds):
                text = " ".join(mine.tokens[span.start : span.end])
                marks.append((side, span.label, text, kind))
    return marks


def marks_in(dom: Dom) -> list[tuple]:
    """(side, label, text, kind) of every marked entity: its element's text is the entity's,
    then the label, then the kind unless it is correct."""
    marks = []
    for e in dom.labelled:
        kind = e["attrs"]["data-kind"]
        note = "" if kind == "correct" else kind
        text = e["text"].removesuffix(note).removesuffix(e["label"])
        marks.append((e["side"], e["label"], text, kind))
    return marks


def test_every_gold_and_predicted_entity_is_marked_with_its_kind(evaluated):
    data, page, predicted = evaluated
    dom = Dom(page.read_text(encoding="utf-8"))
    expected = expected_marks(predicted)
    assert marks_in(dom) == expected
    kinds = {kind for _, _, _, kind in expected}
    assert {"correct", "missed"} <= kinds or {"correct", "wrong_type"} <= kinds
    assert dom.tags["section"] == len(read_conll(data).sentences) == 61
    gold = read_conll(data)
    tags = read_conll(predicted, columns=(0, 2))
    analysis = analyse([s.tokens for s in gold.sentences], [s.tags for s in gold.sentences],
                       [s.tags for s in tags.sentences])  # fmt: skip
    assert sum(1 for m in expected if m[0] == "gold") == sum(analysis.gold.values())


def test_chromium_shows_every_entity_and_runs_no_script(evaluated):
    _, page, predicted = evaluated
    dom = Dom(rendered_dom(page))
    assert marks_in(dom) == expected_marks(predicted)
    assert dom.title.startswith("windowner: model.npz on ")
    assert "data-pwned" not in dom.body
    assert dom.tags["script"] == dom.tags["img"] == 0
    shown = "".join(dom.text)
    assert HOSTILE[0][0] in shown and HOSTILE[5][0] in shown


def test_a_bad_model_is_one_error_line_and_writes_no_page(tmp_path):
    page = tmp_path / "p.html"
    result = run("ner-eval", tmp_path / "missing.npz", CONLL / "valid.txt", "--html", page)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert not page.exists()
