"""`ner-tag --format html`: one self-contained page, entities marked, input text escaped.

The page is read back with the standard library's HTML parser and, once, rendered in headless
Chromium to check what a browser builds from it: every entity, and no script run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, Dom, rendered_dom, run
from tests.tagging.test_formats import HAND, hand_tagged
from windowner.tagging.formats import FORMATTERS, footer, header
from windowner.tagging.options import TagOptions

NEWS_FILE = ROOT / "examples" / "news.txt"

SCRIPT = "<script>document.title='pwned'</script>"
ONERROR = "<img src=x onerror=\"document.body.setAttribute('data-pwned',1)\">"
HOSTILE = f"{SCRIPT} Bill Clinton & Boris Yeltsin met in Moscow {ONERROR} on Tuesday."


def page(tagged, labels=("LOC", "MISC", "ORG", "PER")) -> str:
    options = TagOptions()
    records = "".join(FORMATTERS["html"](t, unit, options) for unit, t in enumerate(tagged, 1))
    return header("html", tuple(labels)) + records + footer("html")


def test_every_entity_is_one_element_with_its_label_beside_its_text():
    dom = Dom(page(HAND))
    expected = [e for t in HAND for e in t.entities]
    assert [(e["label"], e["text"]) for e in dom.labelled] == [
        (e.label, e.text + e.label) for e in expected
    ]
    assert dom.tags["section"] == len(HAND)  # one block per record, the empty one included
    assert dom.tags["mark"] == len(expected)


def test_the_page_is_one_self_contained_document_with_a_legend():
    markup = page(HAND, labels=("LOC", "ORG", "PER", "EVENT"))
    assert markup.startswith("<!DOCTYPE html>") and markup.endswith("</html>\n")
    assert markup.count("<html") == markup.count("</html>") == 1
    dom = Dom(markup)
    assert dom.tags["script"] == dom.tags["link"] == dom.tags["img"] == 0
    assert not re.search(r"(src|href)\s*=|url\(|@import|https?:", markup)
    legend = re.findall(r'<span class="swatch" data-type="([^"]+)">', markup)
    assert legend == ["EVENT", "LOC", "ORG", "PER"]
    # a type outside CoNLL's four gets a colour too
    assert 'mark.entity[data-label="EVENT"]' in markup
    assert "Content-Security-Policy" in markup


def test_input_text_is_escaped_and_shows_as_text():
    tagged = hand_tagged(HOSTILE, {"Bill Clinton": "PER", "Boris Yeltsin": "PER"})
    markup = page([tagged])
    dom = Dom(markup)
    assert dom.tags["script"] == dom.tags["img"] == 0
    assert "<script" not in markup and "<img" not in markup
    assert HOSTILE.replace("Bill Clinton", "Bill ClintonPER").replace(
        "Boris Yeltsin", "Boris YeltsinPER"
    ) in "".join(dom.text)


def test_a_label_cannot_break_out_of_the_style_sheet_or_an_attribute():
    label = 'X"></style><script>alert(1)</script>'
    markup = page([hand_tagged("Paris is big.", {"Paris": label})], labels=(label,))
    dom = Dom(markup)
    assert dom.tags["script"] == 0
    assert [(e["label"], e["text"]) for e in dom.labelled] == [(label, "Paris" + label)]


@pytest.fixture(scope="module")
def tagged_page(trained, tmp_path_factory) -> tuple[Path, list[list[dict]]]:
    """ner-tag --format html of the example news file plus a hostile paragraph, and the
    entities ner-tag --format jsonl finds in the same input."""
    folder = tmp_path_factory.mktemp("html")
    source = folder / "news.txt"
    source.write_text(NEWS_FILE.read_text(encoding="utf-8") + "\n" + HOSTILE + "\n")
    model = trained / "model.npz"
    out = folder / "news.html"
    result = run("ner-tag", model, source, "--unit", "paragraph", "--format", "html", "-o", out)
    assert result.returncode == 0, result.stderr
    jsonl = run("ner-tag", model, source, "--unit", "paragraph")
    assert jsonl.returncode == 0, jsonl.stderr
    return out, [json.loads(line)["entities"] for line in jsonl.stdout.splitlines()]


def test_ner_tag_writes_a_page_with_every_entity_of_a_news_file(tagged_page):
    out, entities = tagged_page
    dom = Dom(out.read_text(encoding="utf-8"))
    assert dom.tags["section"] == len(entities) == 9  # 8 paragraphs of news, 1 hostile one
    flat = [e for record in entities for e in record]
    assert len(flat) >= 20
    assert [(e["label"], e["text"]) for e in dom.labelled] == [
        (e["label"], e["text"] + e["label"]) for e in flat
    ]


def test_chromium_finds_every_entity_and_runs_no_script(tagged_page):
    out, entities = tagged_page
    dom = Dom(rendered_dom(out))
    flat = [e for record in entities for e in record]
    assert [(e["label"], e["text"]) for e in dom.labelled] == [
        (e["label"], e["text"] + e["label"]) for e in flat
    ]
    assert dom.title == "windowner: tagged text"  # the input's script did not set it
    assert "data-pwned" not in dom.body
    assert dom.tags["script"] == dom.tags["img"] == 0
    shown = "".join(dom.text)
    assert SCRIPT in shown and ONERROR in shown.replace("ClintonPER", "Clinton")


def test_html_with_a_bad_option_is_one_error_line(trained):
    result = run("ner-tag", trained / "model.npz", NEWS_FILE, "--format", "html", "--with-tokens")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: --with-tokens needs --format jsonl"]
