"""The Python API (windowner.load, Tagger, train, evaluate), called in-process as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import windowner
from tests.conftest import CONLL, ROOT, run
from windowner.data.conll import read_conll
from windowner.errors import UserError
from windowner.evaluation.report import Report

MERKEL = "Angela Merkel met Emmanuel Macron in Paris on Tuesday."


@pytest.fixture(scope="module")
def model_path(trained) -> Path:
    return trained / "model.npz"


@pytest.fixture(scope="module")
def tagger(model_path) -> windowner.Tagger:
    return windowner.load(model_path)


def test_the_merkel_sentence_gives_two_people_and_a_place(tagger):
    doc = tagger(MERKEL)
    assert [(e.text, e.label) for e in doc.entities] == [
        ("Angela Merkel", "PER"),
        ("Emmanuel Macron", "PER"),
        ("Paris", "LOC"),
    ]
    for entity in doc.entities:
        assert MERKEL[entity.start : entity.end] == entity.text
        assert 0.0 < entity.score <= 1.0
    assert isinstance(doc, windowner.TaggedText)
    assert isinstance(doc.entities[0], windowner.Entity)


def test_tokens_carry_offsets_tags_and_their_sentence(tagger):
    doc = tagger("Angela Merkel met Macron. He flew to Paris.")
    assert len(doc.sentences) == 2
    assert [(t.text, t.tag, t.sentence) for t in doc.tokens[:3]] == [
        ("Angela", "B-PER", 0),
        ("Merkel", "I-PER", 0),
        ("met", "O", 0),
    ]
    assert all(doc.text[t.start : t.end] == t.text for t in doc.tokens)
    assert [t.sentence for t in doc.tokens][-1] == 1
    assert len(doc.tokens) == sum(len(s) for s in doc.sentences)


def test_pipe_keeps_order_and_empty_inputs(tagger):
    texts = ["", MERKEL, "", "   ", "Shares of Royal Dutch fell in London.", MERKEL]
    results = list(tagger.pipe(iter(texts), batch_size=2))
    assert [r.text for r in results] == texts
    alone = [tagger(text) for text in texts]
    spans = [[(e.start, e.end, e.label) for e in r.entities] for r in results]
    assert spans == [[(e.start, e.end, e.label) for e in r.entities] for r in alone]
    # Batched matrix products may differ from one-at-a-time ones in the last float32 bits.
    scores = [e.score for r in results for e in r.entities]
    assert scores == pytest.approx([e.score for r in alone for e in r.entities], abs=1e-5)
    assert results[0].sentences == results[2].sentences == results[3].sentences == []
    with pytest.raises(UserError, match="iterable of texts"):
        tagger.pipe(MERKEL)


def test_pipe_reads_its_input_lazily(tagger):
    consumed = []

    def texts():
        for i in range(10):
            consumed.append(i)
            yield MERKEL

    stream = tagger.pipe(texts(), batch_size=4)
    next(stream)
    assert consumed == [0, 1, 2, 3]


def test_the_api_tags_as_ner_tag_does(tagger, model_path):
    texts = [MERKEL, "WASHINGTON (Reuters) - President Bill Clinton spoke at the White House."]
    result = run("ner-tag", model_path, "-", stdin="\n".join(texts) + "\n")
    assert result.returncode == 0, result.stderr
    from_command = [json.loads(line)["entities"] for line in result.stdout.splitlines()]
    from_api = [
        [
            {"start": e.start, "end": e.end, "label": e.label, "text": e.text, "score": e.score}
            for e in doc.entities
        ]
        for doc in tagger.pipe(texts)
    ]
    for command_entities, api_entities in zip(from_command, from_api):
        assert [{**e, "score": round(e["score"], 4)} for e in api_entities] == command_entities


def test_evaluate_gives_the_scores_ner_eval_prints(tagger, model_path):
    scores = windowner.evaluate(model_path, CONLL / "valid.txt")
    assert scores.gold == 5942  # the entities of valid.txt
    assert windowner.evaluate(tagger, str(CONLL / "valid.txt")).f1 == scores.f1
    result = run("ner-eval", model_path, CONLL / "valid.txt", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == scores.to_dict()


def test_evaluate_with_errors_gives_ner_eval_s_whole_report(model_path):
    report = windowner.evaluate(model_path, CONLL / "valid.txt", errors=True)
    assert isinstance(report, Report)
    assert report.scores.to_dict() == windowner.evaluate(model_path, CONLL / "valid.txt").to_dict()
    (decoding,) = report.decodings
    assert sum(decoding.errors.gold.values()) == report.scores.gold == 5942
    result = run("ner-eval", model_path, CONLL / "valid.txt", "--errors")
    assert result.returncode == 0, result.stderr
    assert result.stdout == report.to_text()
    both = windowner.evaluate(model_path, read_conll(CONLL / "valid.txt"), decode="both")
    assert [d.name for d in both.decodings] == ["greedy", "viterbi"]
    assert all(d.errors is None for d in both.decodings)


def test_the_readme_s_error_analysis_example_runs_as_written(model_path, tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("## Python API") :].split("```python\n")[1].split("```")[0]
    example = block[block.index("report = windowner.evaluate(") :]
    example = example.replace('"runs/quick/model.npz"', repr(str(model_path)))
    example = example.replace('"data/conll2003/test.txt"', repr(str(CONLL / "test.txt")))
    monkeypatch.chdir(tmp_path)
    exec(example, {"windowner": windowner})
    assert (tmp_path / "errors.html").read_text().count("<title>my model</title>") == 1


def test_train_from_a_config_or_a_config_file(small_run, tmp_path):
    config = small_run(out=str(tmp_path / "a"), **{"training.epochs": 1})
    result = windowner.train(config, log=lambda _: None)
    assert result.best_epoch == 1 and result.dev.f1 > 0.0
    assert (result.out / "model.npz").exists()
    toml = tmp_path / "config.toml"
    toml.write_text(config.to_toml(), encoding="utf-8")
    again = windowner.train(toml, {"out": str(tmp_path / "b")}, log=lambda _: None)
    assert again.dev.f1 == result.dev.f1
    tagged = windowner.load(again.out / "model.npz")(MERKEL)
    assert tagged.text == MERKEL


def test_user_mistakes_are_user_errors(model_path, tmp_path):
    with pytest.raises(UserError, match="no such file"):
        windowner.load(tmp_path / "missing.npz")
    with pytest.raises(UserError, match="decode"):
        windowner.load(model_path, decode="beam")
    with pytest.raises(UserError, match="segmentation"):
        windowner.load(model_path, segmentation="words")
    with pytest.raises(UserError, match="no such file"):
        windowner.evaluate(model_path, tmp_path / "missing.txt")
    with pytest.raises(UserError, match="unknown decoding 'beam'"):
        windowner.evaluate(model_path, tmp_path / "missing.txt", decode="beam")
    with pytest.raises(UserError, match=r"missing\.toml: no such file"):
        windowner.train(tmp_path / "missing.toml")


def test_import_windowner_is_light():
    probe = (
        "import sys, windowner\n"
        "heavy = {'numpy', 'gensim', 'datasets', 'pyarrow', 'pandas', 'tqdm', 'typer'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "print(sorted(n for n in windowner.__all__ if n not in dir(windowner)))\n"
        "windowner.load\n"
        "print(sorted({'gensim', 'datasets', 'pyarrow'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "[]", "[]"]
    with pytest.raises(AttributeError):
        windowner.no_such_name  # noqa: B018
