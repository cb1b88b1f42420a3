"""The accuracy ingredients as training runs: subword and document features, word dropout, the
sentence objective, ensembles, and a final model on train + dev; small and fast, on real data."""

import json

import numpy as np
import pytest

from tests.conftest import one_error_line, run, small_run_args
from windowner.data.conll import read_conll
from windowner.evaluation.evaluate import evaluate
from windowner.features.vocabulary import UNK_ID
from windowner.model.ensemble import Ensemble
from windowner.model_file import load_model, save_model
from windowner.tagging.predict import predict
from windowner.training.loop import hide_words
from windowner.training.run import train

ALL_FEATURES = {"model.affix_dim": 4, "model.shape_dim": 3, "model.document_dim": 2}


def quiet(config):
    return train(config, force=True, log=lambda _: None, progress=False)


def test_every_feature_trains_saves_and_tags_the_same_after_loading(small_run, tmp_path):
    result = quiet(small_run(out=str(tmp_path / "f"), **ALL_FEATURES))
    assert result.dev.f1 > 0.3
    model = load_model(result.out / "model.npz")
    assert model.network.slots == ("E", "C", "P", "P", "P", "S", "S", "S", "K", "D")
    assert model.network.params["P"].shape[1] == 4
    dev = read_conll(small_run().data.dev)
    assert evaluate(model, dev)[0].f1 == pytest.approx(result.dev.f1)
    # saved again and reloaded, the model tags identically
    save_model(tmp_path / "again.npz", model)
    again = load_model(tmp_path / "again.npz")
    sentences = [s.tokens for s in dev.sentences[:40]]
    first, second = predict(model, sentences), predict(again, sentences)
    assert [p.tags for p in first] == [p.tags for p in second]


def test_document_context_follows_the_documents_given(small_run, tmp_path):
    """The same sentence tags by its document: the features see the other sentences."""
    result = quiet(small_run(out=str(tmp_path / "d"), **{"model.document_dim": 8}))
    model = load_model(result.out / "model.npz")
    sentences = [s.tokens for s in read_conll(small_run().data.dev).sentences[:60]]
    together = predict(model, sentences, documents=[0] * len(sentences))
    apart = predict(model, sentences)
    scores_together = np.concatenate([p.probabilities for p in together])
    scores_apart = np.concatenate([p.probabilities for p in apart])
    assert not np.allclose(scores_together, scores_apart)


def test_word_dropout_hides_only_rare_words_at_about_its_rate():
    rng = np.random.default_rng(0)
    rare = np.zeros(100, bool)
    rare[50:] = True
    words = rng.integers(3, 100, (20_000, 5))
    before = words.copy()
    hide_words(words, rare, 0.3, rng)
    changed = words != before
    assert (words[changed] == UNK_ID).all()
    assert not changed[before < 50].any()
    assert changed[before >= 50].mean() == pytest.approx(0.3, abs=0.01)


def test_the_sentence_objective_learns_transitions_and_decodes_with_them(small_run, tmp_path):
    result = quiet(small_run(out=str(tmp_path / "s"), **{"training.objective": "sentence"}))
    assert result.dev.f1 > 0.3
    model = load_model(result.out / "model.npz")
    assert model.metadata["objective"] == "sentence" and model.network.objective == "sentence"
    A = model.network.params["A"]
    assert A.shape == (len(model.tags), len(model.tags)) and np.abs(A).max() > 0
    sentences = [s.tokens for s in read_conll(small_run().data.dev).sentences[:40]]
    for prediction in predict(model, sentences):
        assert np.all((prediction.probabilities > 0) & (prediction.probabilities <= 1 + 1e-6))
        previous = "O"
        for tag in prediction.tags:  # Viterbi over s + A keeps IOB2
            assert not tag.startswith("I-") or previous[2:] == tag[2:]
            previous = tag


def test_with_dev_trains_exactly_the_epochs_and_keeps_the_last(small_run, tmp_path):
    config = small_run(out=str(tmp_path / "w"), **{"training.with_dev": True, "training.epochs": 3})
    result = quiet(config)
    assert result.best_epoch == 3 and len([r for r in result.history if "epoch" in r]) == 3
    model = load_model(result.out / "model.npz")
    dev_words = {t for s in read_conll(config.data.dev).sentences for t in s.tokens}
    train_words = {t for s in read_conll(config.data.train).sentences for t in s.tokens}
    only_dev = {w for w in dev_words - train_words if model.vocabulary.find(w)[0] != UNK_ID}
    assert only_dev  # dev's words were seen in training: its vocabulary has rows for them


def test_an_ensemble_averages_its_members_probabilities(small_run, tmp_path):
    out = tmp_path / "e"
    result = run(
        "ner-train",
        *small_run_args(small_run()),
        *("--out", out, "--seeds", "0,1", "--ensemble", "--quiet"),
        *("--set", "model.hidden=30", "--epochs", "2"),
    )
    assert result.returncode == 0, result.stderr
    assert "ensemble of 2: dev F1" in result.stdout
    joined = load_model(out / "model.npz")
    assert isinstance(joined.network, Ensemble) and len(joined.network.members) == 2
    members = [load_model(out / f"seed-{s}" / "model.npz") for s in (0, 1)]
    sentences = [s.tokens for s in read_conll(small_run().data.dev).sentences[:30]]
    from windowner.features.windows import encode

    windows = encode(sentences, joined.vocabulary, 2, joined.features)
    p = np.exp(joined.network.log_probs(windows.ids))
    expected = np.mean([np.exp(m.network.log_probs(windows.ids)) for m in members], axis=0)
    assert np.allclose(p, expected, atol=1e-6)
    summary = json.loads((out / "seeds.json").read_text())
    assert summary["ensemble"]["dev_f1"] == pytest.approx(
        evaluate(joined, read_conll(small_run().data.dev))[0].f1
    )


def test_ensemble_without_seeds_is_refused(small_run, tmp_path):
    result = run("ner-train", *small_run_args(small_run()), "--out", tmp_path / "x", "--ensemble")
    assert "--seeds" in one_error_line(result)


def test_a_model_of_format_1_loads_and_tags_as_it_did(tmp_path):
    """A model file written before the feature tables (format 1) tags exactly as windowner
    tagged it then (tests/fixtures/README.md)."""
    from pathlib import Path

    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    result = run(
        "ner-tag",
        fixtures / "model-format-1.npz",
        fixtures / "format-1-text.txt",
        "--with-tokens",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (fixtures / "format-1-tags.jsonl").read_text()


def test_an_ensemble_mean_keeps_forbidden_tags_at_zero_and_is_exact_elsewhere():
    """Members of the sentence objective give log p = −inf to tags IOB2 forbids; the mean of
    their probabilities must keep those at −inf without NaN, and be exact everywhere else."""
    from windowner.model.ensemble import mean_of_logs

    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(5), size=(3, 40))  # (members, tokens, tags)
    p[:, :10, 2] = 0.0  # a tag every member forbids on these tokens
    p[0, 10:20, 4] = 0.0  # one member alone forbids it
    p /= p.sum(axis=2, keepdims=True)
    with np.errstate(divide="ignore"):
        logs = np.log(p)
    mean = mean_of_logs(logs)
    assert not np.isnan(mean).any()
    assert np.isneginf(mean[:10, 2]).all()
    with np.errstate(divide="ignore"):
        assert np.allclose(mean, np.log(p.mean(axis=0)))
