"""The spaCy pipeline component (integrations/spacy_component.py), against the real spaCy.

`nlp.add_pipe("windowner", ...)` on spacy.blank("en") with nothing of windowner's imported (the
entry points), the entities and scores of `ner-tag` through `nlp.pipe(..., n_process=2)`, each
alignment mode and overwrite_ents on real Docs, to_disk/spacy.load, and displaCy's page of
examples/news.txt in headless Chromium. Under CI=true a missing spaCy fails the run.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import ROOT, rendered_dom, run
from windowner.errors import UserError
from windowner.tagging.results import Entity

try:
    import spacy
except ImportError:
    if os.environ.get("CI") == "true":
        raise RuntimeError(
            "CI needs the spaCy tests to run: pip install 'windowner[spacy]'"
        ) from None
    pytest.skip("spaCy is not installed (pip install 'windowner[spacy]')", allow_module_level=True)

from spacy import displacy
from spacy.tokens import Doc, Span
from spacy.util import ConfigValidationError

from windowner.integrations.spacy_component import (
    DISPLACY_COLOURS,
    MODEL_FILE,
    WindownerComponent,
)

NEWS = [line for line in (ROOT / "examples" / "news.txt").read_text().splitlines() if line]
SENTENCE = "Angela Merkel met Emmanuel Macron in Paris on Tuesday."
BLANK = spacy.blank("en")  # spaCy's English tokenizer, for Docs no component has seen


def entities(doc) -> list[tuple]:
    return [(e.text, e.label_, e._.windowner_score) for e in doc.ents]


@pytest.fixture(scope="module")
def model(trained) -> Path:
    return trained / "model.npz"


@pytest.fixture(scope="module")
def nlp(model):
    nlp = spacy.blank("en")
    nlp.add_pipe("windowner", config={"model": str(model)})
    return nlp


def test_add_pipe_finds_the_component_through_its_entry_point_and_loads_the_model_lazily(model):
    """A fresh interpreter that imports only spaCy: the factory and displaCy's colours come
    from windowner's entry points, and the model is read when the first Doc comes."""
    code = (
        "import json, sys, spacy\n"
        "from spacy.util import registry\n"
        "nlp = spacy.blank('en')\n"
        f"nlp.add_pipe('windowner', config={{'model': {str(model)!r}}})\n"
        "lazy = 'windowner.model_file' not in sys.modules\n"
        f"doc = nlp({SENTENCE!r})\n"
        "ents = [[e.text, e.label_, e._.windowner_score] for e in doc.ents]\n"
        "colours = registry.displacy_colors.get_all().get('windowner')\n"
        "print(json.dumps({'lazy': lazy, 'ents': ents, 'colours': colours}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Can't find factory for 'windowner'" not in result.stderr, (
        "windowner's entry points are not installed: pip install -e '.[spacy]' (make test does)"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout)
    assert found["lazy"]
    assert [(text, label) for text, label, _ in found["ents"]] == [
        ("Angela Merkel", "PER"),
        ("Emmanuel Macron", "PER"),
        ("Paris", "LOC"),
    ]
    assert all(0.5 < score <= 1 for _, _, score in found["ents"])
    assert found["colours"] == DISPLACY_COLOURS == {"PER": "#aa9cfc", "MISC": "#c7e9a0"}


def test_nlp_pipe_in_two_processes_gives_the_entities_and_scores_of_ner_tag(nlp, model, tmp_path):
    source = tmp_path / "news.txt"
    source.write_text("\n".join(NEWS) + "\n", encoding="utf-8")
    result = run("ner-tag", model, source)  # jsonl, one record per line
    assert result.returncode == 0, result.stderr
    expected = [
        [(e["start"], e["end"], e["label"], e["text"], e["score"]) for e in record["entities"]]
        for record in map(json.loads, result.stdout.splitlines())
    ]
    assert len(expected) == len(NEWS) and sum(map(len, expected)) >= 20
    for n_process in (1, 2):  # the model loaded in this process first: the workers inherit it
        docs = list(nlp.pipe(NEWS, batch_size=3, n_process=n_process))
        found = [
            [
                (e.start_char, e.end_char, e.label_, e.text, round(e._.windowner_score, 4))
                for e in doc.ents
            ]
            for doc in docs
        ]
        assert found == expected, n_process
        assert [doc.text for doc in docs] == NEWS  # in input order


# --- where windowner's entities meet spaCy's tokens ------------------------------------------

# One spaCy token each, three windowner tokens: 'Austria', ')', '118' and 'Germany', ')',
# 'Austria'.
GLUED = "Austria)118 beat Germany)Austria in Vienna."


def hand(text: str, *found: tuple[str, str, float]) -> list[Entity]:
    """windowner Entities of `text`, each (its text, label, score), in text order."""
    result, at = [], 0
    for words, label, score in found:
        start = text.index(words, at)
        at = start + len(words)
        result.append(Entity(start, at, label, words, score))
    return result


def placed(mode: str, text: str, found: list[Entity]) -> list[tuple]:
    # the component never reads this model: it is loaded with the first Doc tagged, and
    # set_annotations takes the entities given
    component = WindownerComponent(model="no-such-model.npz", alignment_mode=mode)
    doc = component.set_annotations(BLANK(text), found)
    return entities(doc)


def test_an_entity_on_spacy_token_boundaries_is_placed_exactly_in_every_mode():
    found = hand(GLUED, ("Vienna", "LOC", 0.9))
    for mode in ("expand", "contract", "strict"):
        assert placed(mode, GLUED, found) == [("Vienna", "LOC", 0.9)]


def test_a_boundary_inside_a_spacy_token_expands_contracts_or_drops_the_entity():
    austria = hand(GLUED, ("Austria", "LOC", 0.8))
    assert placed("expand", GLUED, austria) == [("Austria)118", "LOC", 0.8)]
    assert placed("contract", GLUED, austria) == []  # no whole token inside: nothing left
    assert placed("strict", GLUED, austria) == []
    wider = hand("The Vienna State)Opera", ("Vienna State", "ORG", 0.7))
    assert placed("contract", "The Vienna State)Opera", wider) == [("Vienna", "ORG", 0.7)]
    assert placed("expand", "The Vienna State)Opera", wider) == [("Vienna State)Opera", "ORG", 0.7)]


def test_two_entities_expanded_into_one_spacy_token_keep_the_first():
    both = hand(GLUED, ("Germany", "LOC", 0.6), ("Austria", "LOC", 0.9), ("Vienna", "LOC", 0.5))
    assert placed("expand", GLUED, both) == [
        ("Germany)Austria", "LOC", 0.6),
        ("Vienna", "LOC", 0.5),
    ]
    assert placed("strict", GLUED, both) == [("Vienna", "LOC", 0.5)]


def test_an_entity_already_in_the_doc_reads_windowners_score_only_if_found_alike():
    component = WindownerComponent(model="no-such-model.npz")
    doc = BLANK(GLUED)
    doc.ents = [Span(doc, 0, 1, "GPE"), Span(doc, 4, 5, "LOC")]  # Austria)118, Vienna
    found = hand(GLUED, ("Austria", "LOC", 0.8), ("Germany", "LOC", 0.6), ("Vienna", "LOC", 0.9))
    assert entities(component.set_annotations(doc, found)) == [
        ("Austria)118", "GPE", None),  # windowner's LOC there is dropped: not its score
        ("Germany)Austria", "LOC", 0.6),
        ("Vienna", "LOC", 0.9),  # the same tokens and label as windowner's
    ]


def test_a_real_doc_with_its_own_tokens_is_tagged_on_its_text(nlp):
    """A Doc built from words (as a corpus gives them): 'Paris.' is one of its tokens."""
    words = ["Angela", "Merkel", "met", "Emmanuel", "Macron", "in", "Paris."]
    component = nlp.get_pipe("windowner")
    expanded = component(Doc(nlp.vocab, words=words))
    assert [(e.text, e.label_) for e in expanded.ents][-1] == ("Paris.", "LOC")
    strict = WindownerComponent(model=component.model_path, alignment_mode="strict")
    assert [e.text for e in strict(Doc(nlp.vocab, words=words)).ents] == [
        "Angela Merkel",
        "Emmanuel Macron",
    ]


@pytest.fixture(scope="module")
def ruled(model):
    """spaCy's entity_ruler first (Merkel: PERSON, Paris: GPE, Tuesday: DATE), then windowner."""

    def pipeline(overwrite: bool):
        nlp = spacy.blank("en")
        ruler = nlp.add_pipe("entity_ruler")
        ruler.add_patterns(
            [
                {"label": "PERSON", "pattern": "Merkel"},
                {"label": "GPE", "pattern": "Paris"},
                {"label": "DATE", "pattern": "Tuesday"},
            ]
        )
        config = {"model": str(model), "overwrite_ents": overwrite}
        nlp.add_pipe("windowner", config=config)
        return [(text, label, score is not None) for text, label, score in entities(nlp(SENTENCE))]

    return pipeline


def test_existing_entities_stay_and_windowner_fills_around_them(ruled):
    assert ruled(False) == [
        ("Merkel", "PERSON", False),  # windowner's 'Angela Merkel' overlaps it: dropped
        ("Emmanuel Macron", "PER", True),
        ("Paris", "GPE", False),
        ("Tuesday", "DATE", False),  # overlaps nothing of windowner's: kept either way
    ]


def test_overwrite_ents_puts_windowners_entities_over_the_existing_ones(ruled):
    assert ruled(True) == [
        ("Angela Merkel", "PER", True),
        ("Emmanuel Macron", "PER", True),
        ("Paris", "LOC", True),
        ("Tuesday", "DATE", False),
    ]


# --- saving, processes, mistakes -------------------------------------------------------------


def test_to_disk_copies_the_model_and_spacy_load_reads_it_from_there(nlp, model, tmp_path):
    own = tmp_path / "own.npz"
    shutil.copyfile(model, own)
    mine = spacy.blank("en")
    mine.add_pipe("windowner", config={"model": str(own), "alignment_mode": "strict"})
    before = entities(mine(SENTENCE))
    mine.to_disk(tmp_path / "pipeline")
    saved = tmp_path / "pipeline" / "windowner" / MODEL_FILE
    assert saved.read_bytes() == model.read_bytes()
    own.unlink()  # the config still names it: the loaded pipeline must not need it
    loaded = spacy.load(tmp_path / "pipeline")
    assert loaded.get_pipe("windowner").alignment_mode == "strict"
    assert entities(loaded(SENTENCE)) == before == entities(nlp(SENTENCE))
    loaded.to_disk(tmp_path / "pipeline")  # over itself: the copy reads the file it replaces
    assert saved.read_bytes() == model.read_bytes()
    saved.unlink()
    with pytest.raises(UserError, match="no windowner model in this saved pipeline"):
        spacy.load(tmp_path / "pipeline")


def test_a_pickled_component_leaves_its_model_behind_and_reads_it_again(nlp):
    component = nlp.get_pipe("windowner")
    component(BLANK(SENTENCE))  # loaded now
    copy = pickle.loads(pickle.dumps(component))  # what the spawn start method sends
    assert len(pickle.dumps(component)) < 2000
    doc = copy(BLANK(SENTENCE))
    assert entities(doc) == entities(nlp(SENTENCE))


def test_mistakes_are_user_errors_when_the_pipeline_is_built_or_the_model_read(tmp_path):
    nlp = spacy.blank("en")
    with pytest.raises(ConfigValidationError, match="missing required argument: 'model'"):
        nlp.add_pipe("windowner")
    with pytest.raises(UserError, match="unknown alignment_mode 'nearest'; choose from expand"):
        nlp.add_pipe("windowner", config={"model": "m.npz", "alignment_mode": "nearest"})
    with pytest.raises(UserError, match="unknown decoding 'beam'"):
        nlp.add_pipe("windowner", config={"model": "m.npz", "decode": "beam"})
    missing = tmp_path / "missing.npz"
    nlp.add_pipe("windowner", config={"model": str(missing)})  # lazy: nothing read yet
    with pytest.raises(UserError, match="no such file") as error:
        nlp(SENTENCE)
    assert error.value.path == str(missing)


# --- displaCy --------------------------------------------------------------------------------


class Marks(HTMLParser):
    """displaCy's entities in a page: each <mark>'s text, its label (the <span> inside it) and
    its style."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.marks: list[dict] = []
        self._depth = 0  # inside a <mark>: 1, inside its label's <span>: 2
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        if tag == "mark":
            self.marks.append({"text": "", "label": "", "style": dict(attrs).get("style", "")})
            self._depth = 1
        elif tag == "span" and self._depth == 1:
            self._depth = 2

    def handle_endtag(self, tag):
        if tag == "mark":
            self._depth = 0
        elif tag == "span" and self._depth == 2:
            self._depth = 1

    def handle_data(self, data):
        if self._depth:
            self.marks[-1]["text" if self._depth == 1 else "label"] += data


def test_displacy_shows_every_entity_of_the_news_in_chromium(nlp, tmp_path):
    docs = list(nlp.pipe(NEWS))
    page = tmp_path / "news.html"
    page.write_text(displacy.render(docs, style="ent", page=True), encoding="utf-8")
    marks = Marks(rendered_dom(page)).marks
    expected = [(e.text, e.label_) for doc in docs for e in doc.ents]
    assert len(expected) >= 20
    assert [(" ".join(m["text"].split()), m["label"].strip()) for m in marks] == [
        (" ".join(text.split()), label) for text, label in expected
    ]
    colours = {m["label"].strip(): m["style"] for m in marks}
    assert DISPLACY_COLOURS["PER"] in colours["PER"]  # windowner's colours, through spaCy's
    assert DISPLACY_COLOURS["MISC"] in colours["MISC"]  # entry point
