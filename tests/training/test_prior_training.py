"""A run with the document prior (model.prior_dim): its cross-fitted first passes, the model that
carries its first pass, two-pass tagging, resuming, and the model file's checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import one_error_line, parameters, run, small_run_args
from tests.test_model_file import _meta_edit
from tests.training.test_checkpoint import _After, _contextless
from windowner.data.conll import read_conll
from windowner.evaluation.evaluate import evaluate
from windowner.features.prior import ALONE_ID, PRIOR_CLASSES, prior_classes, type_distribution
from windowner.model_file import load_model, save_model
from windowner.tagging.predict import _log_probs, iob2_masks, token_table
from windowner.training import loop, prior_folds
from windowner.training.loop import Interrupted
from windowner.training.run import resume, train

QUIET = {"log": lambda line: None, "progress": False}
PRIOR = {"model.prior_dim": 3, "model.prior_folds": 2, "training.epochs": 2}


@pytest.fixture(scope="module")
def prior_run(small_run, tmp_path_factory):
    """A small run with the document prior, and what its first passes were given."""
    seen: list[tuple[str, set[int], set[int]]] = []  # (folder, documents trained on, scored)
    real_train, real_scores = prior_folds._train_first_pass, prior_folds._type_scores
    monkeypatch = pytest.MonkeyPatch()

    def train_first_pass(config, corpora, out, train_run, log):
        seen.append((out.name, {s.document for s in corpora.train.sentences}, set()))
        return real_train(config, corpora, out, train_run, log)

    def type_scores(model, sentences, documents):
        seen[-1][2].update(documents)
        return real_scores(model, sentences, documents)

    monkeypatch.setattr(prior_folds, "_train_first_pass", train_first_pass)
    monkeypatch.setattr(prior_folds, "_type_scores", type_scores)
    out = tmp_path_factory.mktemp("prior") / "run"
    result = train(small_run(**PRIOR, out=str(out)), **QUIET)
    monkeypatch.undo()
    return result, seen


def test_each_fold_is_scored_by_a_first_pass_that_never_trained_on_it(prior_run, small_run):
    _, seen = prior_run
    documents = {s.document for s in read_conll(small_run().data.train).sentences}
    assert [name for name, _, _ in seen] == ["fold-0", "fold-1", "all"]
    for fold, (_, trained_on, scored) in enumerate(seen[:2]):
        assert scored == {d for d in documents if d % 2 == fold} != set()
        assert trained_on == documents - scored
    assert seen[2][1] == documents and not seen[2][2]  # tagging's first pass: all of train


def test_the_run_keeps_the_training_priors_and_no_first_pass_model_files(prior_run):
    result, _ = prior_run
    folder = result.out / prior_folds.FIRST_PASS_DIR
    assert not list(folder.rglob("*.npz"))
    assert sorted(p.name for p in folder.iterdir()) == [
        "all",
        "fold-0",
        "fold-1",
        "train-prior.npy",
    ]
    prior = np.load(folder / prior_folds.TRAIN_PRIOR_FILE)
    assert prior.dtype == np.int32 and prior.min() >= ALONE_ID and prior.max() < len(PRIOR_CLASSES)
    assert (prior != ALONE_ID).mean() > 0.05  # names mentioned twice in a document read a prior


def test_the_model_tags_in_two_passes_and_scores_dev_as_the_run_did(prior_run, small_run):
    result, _ = prior_run
    model = load_model(result.out / "model.npz")
    assert model.features.prior and model.first_pass is not None
    assert model.metadata["format_version"] == 5 and model.metadata["first_pass"] is True
    dev = read_conll(small_run().data.dev)
    scores, _ = evaluate(model, dev)
    assert scores.f1 == json.loads((result.out / "scores.json").read_text())["dev"]["overall"]["f1"]

    # the two passes by hand: the first pass everywhere, then the model where a prior is read
    sentences = [s.tokens for s in dev.sentences]
    documents = [s.document for s in dev.sentences]
    lengths = np.array([len(s) for s in sentences])
    table = token_table(model)
    found = table.type_ids(sentences)
    windows = table.windows(found, lengths, model.network.window, documents)
    allowed = iob2_masks(tuple(model.tags))
    first = model.first_pass.log_probs(windows.ids, allowed=allowed)
    word, kind = table.word_facts(found)
    document = np.repeat(documents, lengths)
    prior = prior_classes(word, kind, document, type_distribution(first, model.tags))
    reads = prior != ALONE_ID
    assert 0 < reads.mean() < 0.5
    ids = windows.ids.copy()
    ids[:, model.network.window, -1] = prior
    second = model.network.log_probs(ids, allowed=allowed)
    log_p, _ = _log_probs(model, found, lengths, documents, None)
    np.testing.assert_allclose(log_p[~reads], first[~reads], rtol=0, atol=0)
    np.testing.assert_allclose(log_p[reads], second[reads], rtol=1e-6, atol=1e-6)
    assert not np.allclose(first[reads], second[reads], atol=1e-3)  # the prior changed them


def test_a_saved_and_loaded_prior_model_tags_the_same(prior_run, small_run, tmp_path):
    result, _ = prior_run
    model = load_model(result.out / "model.npz")
    save_model(tmp_path / "again.npz", model)
    again = load_model(tmp_path / "again.npz")
    for name, value in model.first_pass.params.items():
        assert np.array_equal(again.first_pass.params[name], value), name
    dev = read_conll(small_run().data.dev)
    assert evaluate(again, dev)[1] == evaluate(model, dev)[1]


def test_an_interrupted_prior_run_resumes_to_the_uninterrupted_model(
    prior_run, small_run, tmp_path, monkeypatch
):
    """The resumed run reads its training priors back (train-prior.npy) instead of training its
    first passes again, and ends with the very model of the run that was never stopped."""
    result, _ = prior_run
    real = prior_folds.first_passes

    def then_interrupt(*args):
        out = real(*args)
        monkeypatch.setattr(loop, "_signals_set_flag", lambda: _contextless(_After(60)))
        return out

    monkeypatch.setattr(prior_folds, "first_passes", then_interrupt)
    import windowner.training.run as run_module

    monkeypatch.setattr(run_module, "first_passes", then_interrupt)
    cut = tmp_path / "cut"
    with pytest.raises(Interrupted):
        train(small_run(**PRIOR, out=str(cut)), **QUIET)
    monkeypatch.undo()
    monkeypatch.setattr(run_module, "first_passes", _never)
    resumed = parameters(resume(cut, **QUIET).out / "model.npz")
    whole = parameters(result.out / "model.npz")
    assert all(np.array_equal(resumed[k], whole[k]) for k in ("E", "W", "b", "U", "c", "R"))


def test_a_resume_whose_training_priors_are_damaged_is_one_line(prior_run, small_run, tmp_path):
    folder = tmp_path / prior_folds.FIRST_PASS_DIR
    folder.mkdir()
    np.save(folder / prior_folds.TRAIN_PRIOR_FILE, np.full(7, 99, np.int32))
    with pytest.raises(Exception, match="not the priors of this run's"):
        prior_folds.read_train_prior(tmp_path, 7)
    np.save(folder / prior_folds.TRAIN_PRIOR_FILE, np.ones(7, np.int64))
    with pytest.raises(Exception, match="not the priors of this run's"):
        prior_folds.read_train_prior(tmp_path, 7)


@pytest.mark.parametrize(
    "setting, why",
    [
        ("training.objective=sentence", "sentence objective"),
        ("training.with_dev=true", "with_dev"),
        ("model.only_type=LOC", "--only-type"),
    ],
)
def test_what_the_prior_does_not_work_with_is_one_line(small_run, tmp_path, setting, why):
    result = run(
        "ner-train",
        *small_run_args(small_run()),
        *("--out", tmp_path / "out", "--set", "model.prior_dim=4", "--set", setting),
    )
    assert why in one_error_line(result) and not (tmp_path / "out").exists()


def test_seeds_of_a_prior_run_join_into_one_ensemble_with_its_first_passes(small_run, tmp_path):
    result = run(
        "ner-train",
        *small_run_args(small_run()),
        *("--out", tmp_path / "out", "--epochs", "1", "--seeds", "0,1", "--ensemble"),
        *("--set", "model.prior_dim=2", "--set", "model.prior_folds=2", "--quiet"),
    )
    assert result.returncode == 0, result.stderr
    model = load_model(tmp_path / "out" / "model.npz")
    assert len(model.network.members) == len(model.first_pass.members) == 2
    tagged = run("ner-tag", tmp_path / "out" / "model.npz", "-", stdin="Ajax beat Feyenoord .\n")
    assert tagged.returncode == 0, tagged.stderr


def _never(*args):
    raise AssertionError("a resumed run trained its first passes again")


def _rewritten(source, tmp_path, change) -> str:
    """The model file `source` with `change` applied to its arrays, as a new npz."""
    with np.load(source) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    return str(tmp_path / "bad.npz")


def _drop_first_pass(arrays):
    for name in [n for n in arrays if n.startswith("member1.")]:
        del arrays[name]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_meta_edit(lambda m: m["features"].pop("prior")), "only for a model whose features read"),
        (_meta_edit(lambda m: m["features"].update(prior="yes")), "'prior' \\(true\\)"),
        (_meta_edit(lambda m: m.update(first_pass=1)), "'first_pass' must be true"),
        (_meta_edit(lambda m: m.update(ensemble=40)), "at most 32 members"),
        (_drop_first_pass, "1 sets of parameters for 2"),
        (lambda a: a.update(R=a["R"][:-1]), r"array R is \(11, 3\), its metadata says"),
        (lambda a: a.update({"member1.R": a["member1.R"][:, :1]}), "member1.R|R is"),
    ],
)
def test_a_damaged_prior_model_is_one_user_error(prior_run, tmp_path, change, message):
    from windowner.errors import UserError

    result, _ = prior_run
    with pytest.raises(UserError, match=message):
        load_model(_rewritten(result.out / "model.npz", tmp_path, change))


def test_ner_tag_reads_a_record_as_one_document_for_the_prior(prior_run, small_run, tmp_path):
    """`ner-tag --unit document` cuts the text into sentences and passes them through its chunked
    path; a record is one document, so its tags are predict()'s with one document, and they
    differ from each sentence alone where a prior is read."""
    from windowner.tagging.predict import predict

    result, _ = prior_run
    model = load_model(result.out / "model.npz")
    dev = read_conll(small_run().data.dev)
    sentences = [list(s.tokens) for s in dev.sentences[:60]]
    text = tmp_path / "dev.txt"
    text.write_text("\n".join(" ".join(s) for s in sentences) + "\n", encoding="utf-8")
    tagged = run(
        "ner-tag",
        *(result.out / "model.npz", text, "--unit", "document", "--format", "conll"),
        "--pretokenized",
    )
    assert tagged.returncode == 0, tagged.stderr
    tags = [line.split()[-1] for line in tagged.stdout.splitlines() if line.strip()]
    together = predict(model, sentences, documents=[0] * len(sentences))
    alone = predict(model, sentences)
    assert tags == [t for p in together for t in p.tags]
    assert tags != [t for p in alone for t in p.tags]
