"""spaCy's data in and out, end to end: `ner-tag --format spacy` (tagging/docbin.py) writes what
spaCy's own DocBin reads back, and training and `ner-eval` on `.spacy` files give exactly what the
same data as CoNLL text gives. One small model, trained here from CoNLL and from DocBin files.
Without spaCy the module skips, except under CI=true, where it fails."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.conftest import ROOT, one_error_line, run
from windowner.api import evaluate
from windowner.config import load_config
from windowner.data.docbin import read_docbin
from windowner.data.tokenizer import Token
from windowner.errors import UserError
from windowner.model_file import load_model
from windowner.tagging import stream
from windowner.tagging.docbin import SCORE_EXTENSION, doc_words
from windowner.tagging.options import TagOptions
from windowner.tagging.results import TaggedText
from windowner.tagging.stream import tag_file
from windowner.training.run import train

try:
    import spacy
    from spacy.tokens import DocBin, Span
    from spacy.training.converters import conll_ner_to_docs
except ImportError as error:  # pragma: no cover - the spacy extra is installed by make test
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs spaCy for the .spacy tests: {error}") from None
    pytest.skip(f"spaCy is not installed ({error})", allow_module_level=True)

EXAMPLES = ROOT / "examples"
NEWS = EXAMPLES / "news.txt"
if not Span.has_extension(SCORE_EXTENSION):
    Span.set_extension(SCORE_EXTENSION, default=None)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """examples/train.txt and dev.txt, and both as `spacy convert --converter ner -n 1` writes
    them (each sentence a Doc, -DOCSTART- one-token Docs)."""
    folder = tmp_path_factory.mktemp("spacy-data")
    files = {}
    for name in ("train", "dev"):
        text = (EXAMPLES / f"{name}.txt").read_text(encoding="utf-8")
        path = folder / f"{name}.spacy"
        DocBin(docs=conll_ner_to_docs(text, n_sents=1, no_print=True)).to_disk(path)
        files[name] = (EXAMPLES / f"{name}.txt", path)
    return files


@pytest.fixture(scope="module")
def models(data, tmp_path_factory):
    """The same small run trained from the CoNLL files and from the DocBin files."""
    trained = {}
    for i, kind in enumerate(("conll", "spacy")):
        out = tmp_path_factory.mktemp(f"run-{kind}")
        config = load_config(
            None,
            {
                "data.train": str(data["train"][i]),
                "data.dev": str(data["dev"][i]),
                "vectors.spec": str(EXAMPLES / "vectors.txt"),
                "model.hidden": 30,
                "training.epochs": 4,
                "out": str(out),
            },
        )
        trained[kind] = train(config, log=lambda line: None, progress=False)
    return trained


def test_training_on_docbins_is_training_on_the_conll_files(models):
    """Same sentences, tags and documents in the same order: the same model, bit for bit."""
    conll, docbin = (load_model(models[k].out / "model.npz") for k in ("conll", "spacy"))
    assert models["conll"].dev == models["spacy"].dev
    assert conll.tags == docbin.tags and conll.vocabulary.words == docbin.vocabulary.words
    for name, value in conll.network.params.items():
        assert np.array_equal(docbin.network.params[name], value), name
    assert models["conll"].dev.found > 0  # it tags entities: the comparison is not of nothing


def test_ner_eval_scores_a_docbin_exactly_as_its_conll_file(models, data):
    model = models["conll"].out / "model.npz"
    result = run("ner-eval", model, data["dev"][1], "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == evaluate(model, data["dev"][0]).to_dict()
    assert evaluate(model, str(data["dev"][1])).to_dict() == json.loads(result.stdout)  # the API


def tagged_records(model, tmp_path, unit):
    """`ner-tag`'s jsonl records (tokens included) of news.txt, in-process."""
    out = tmp_path / f"{unit}.jsonl"
    tag_file(model, str(NEWS), out, unit=unit, options=TagOptions(with_tokens=True))
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def spacy_docs(path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


@pytest.mark.parametrize("unit", ["paragraph", "document"])
def test_spacys_docbin_reads_back_the_records_entities_scores_and_sentences(models, tmp_path, unit):
    model = models["conll"].out / "model.npz"
    records = tagged_records(model, tmp_path, unit)
    out = tmp_path / "news.spacy"
    tag_file(model, str(NEWS), out, output_format="spacy", unit=unit)
    docs = spacy_docs(out)
    assert len(docs) == len(records) and sum(len(r["entities"]) for r in records) > 0
    for doc, record in zip(docs, records):
        assert doc.text == record["text"]  # line breaks and double spaces are whitespace tokens
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
            (e["start"], e["end"], e["label"]) for e in record["entities"]
        ]
        assert [round(e._.windowner_score, 4) for e in doc.ents] == [
            e["score"] for e in record["entities"]
        ]
        sentences = [[t.text for t in s if not t.is_space] for s in doc.sents]
        assert sentences == [[t["text"] for t in s] for s in record["tokens"]]
    # and windowner reads its own output back: the same tokens, tagged as it tagged them
    read = read_docbin(out)
    sentences = [s for r in records for s in r["tokens"]]
    assert [s.tokens for s in read.sentences] == [tuple(t["text"] for t in s) for s in sentences]
    assert [s.tags for s in read.sentences] == [tuple(t["tag"] for t in s) for s in sentences]


def test_a_long_text_tagged_piece_by_piece_is_the_same_doc(models, tmp_path, monkeypatch):
    model = models["conll"].out / "model.npz"
    whole = tmp_path / "whole.spacy"
    tag_file(model, str(NEWS), whole, output_format="spacy", unit="document")
    monkeypatch.setattr(stream, "MAX_PIECE_CHARS", 200)  # news.txt is then one long text
    pieces = tmp_path / "pieces.spacy"
    tag_file(model, str(NEWS), pieces, output_format="spacy", unit="document")
    (a,), (b,) = spacy_docs(whole), spacy_docs(pieces)
    assert a.text == b.text and [t.text for t in a] == [t.text for t in b]
    assert [(e.start_char, e.end_char, e.label_) for e in a.ents] == [
        (e.start_char, e.end_char, e.label_) for e in b.ents
    ]


def test_ner_tag_writes_a_docbin_only_into_a_file(models, tmp_path):
    model = models["conll"].out / "model.npz"
    out = tmp_path / "news.spacy"
    result = run("ner-tag", model, NEWS, "--format", "spacy", "-o", out, "--unit", "paragraph")
    assert result.returncode == 0 and result.stdout == "", result.stderr
    records = tagged_records(model, tmp_path, "paragraph")
    assert [[(e.start_char, e.label_) for e in d.ents] for d in spacy_docs(out)] == [
        [(e["start"], e["label"]) for e in r["entities"]] for r in records
    ]
    line = one_error_line(run("ner-tag", model, NEWS, "--format", "spacy"))
    assert "--format spacy writes a binary file" in line and "--output" in line


def test_a_failed_run_leaves_the_previous_docbin_as_it_was(models, tmp_path):
    model = models["conll"].out / "model.npz"
    out = tmp_path / "news.spacy"
    out.write_bytes(b"previous")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(NEWS.read_bytes() + b"\nfine\nbroken \x00 line\n")
    with pytest.raises(UserError, match="NUL"):
        tag_file(model, str(bad), out, output_format="spacy")
    assert out.read_bytes() == b"previous" and sorted(tmp_path.iterdir()) == [bad, out]
    with pytest.raises(UserError, match="binary file"):
        tag_file(model, str(NEWS), None, output_format="spacy")


def test_doc_words_keep_the_text_between_tokens():
    """A token followed by one space has a space; other whitespace is a word of its own, as
    spaCy's tokenizer lays it out; the first word starts the first sentence."""
    text = "  Paris,  France\nis big. "
    spans = [(2, 7), (7, 8), (10, 16), (17, 19), (20, 23), (23, 24)]
    tokens = [Token(text[a:b], a, b) for a, b in spans]
    tagged = TaggedText(
        text, [tokens[:4], tokens[4:]], [["O"] * 4, ["O"] * 2], [[1.0] * 4, [1.0] * 2]
    )
    words, spaces, starts, index = doc_words(tagged)
    assert words == ["  ", "Paris", ",", " ", "France", "\n", "is", "big", "."]
    assert spaces == [False, False, True, False, False, False, True, False, True]
    assert "".join(w + " " * s for w, s in zip(words, spaces)) == text
    assert starts == [True, False, False, False, False, False, False, True, False]
    assert [words[index[t.start]] for t in tokens] == [t.text for t in tokens]


def test_the_readme_example_reads_the_scores_back(models, tmp_path, monkeypatch):
    """README's Python example for `--format spacy`, run as written on a file this model wrote."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("**spaCy's DocBin, out.**") :].split("```python\n")[1]
    *statements, last = block.split("```")[0].strip().splitlines()
    monkeypatch.chdir(tmp_path)
    model = models["conll"].out / "model.npz"
    tag_file(model, str(NEWS), "news.spacy", output_format="spacy", unit="paragraph")
    namespace: dict = {}
    exec("\n".join(statements), namespace)
    entities = eval(last, namespace)
    assert entities  # the third paragraph has entities: the comparison is not of nothing
    records = tagged_records(model, tmp_path, "paragraph")
    assert [(text, label, round(score, 4)) for text, label, score in entities] == [
        (e["text"], e["label"], e["score"]) for e in records[2]["entities"]
    ]
