"""train() as a library call, on real CoNLL sentences and real GloVe rows, small and fast."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, run
from windowner.data.conll import read_conll
from windowner.errors import UserError
from windowner.evaluation.evaluate import evaluate
from windowner.features.lexicons import load_lexicon
from windowner.features.windows import encode
from windowner.model_file import load_model
from windowner.tagging.predict import token_table
from windowner.training.run import train
from windowner.vectors.loading import load_vectors


def test_training_learns_and_keeps_the_best_epoch(small_run):
    result = train(small_run(), force=True, log=lambda _: None, progress=False)
    losses = [r["train_loss"] for r in result.history]
    assert losses == sorted(losses, reverse=True)
    assert result.dev.f1 == max(r["dev_f1"] for r in result.history) > 0.3
    model = load_model(result.out / "model.npz")
    assert model.metadata["epoch"] == result.best_epoch
    dev = read_conll(small_run().data.dev)
    assert evaluate(model, dev)[0].f1 == pytest.approx(result.dev.f1)


def test_same_seed_same_metrics_timings_aside(small_run, tmp_path):
    runs = []
    for name in ("a", "b"):
        result = train(
            small_run(out=str(tmp_path / name), **{"training.epochs": 2}),
            log=lambda _: None,
            progress=False,
        )
        runs.append(
            [
                {k: v for k, v in r.items() if k not in ("seconds", "cpu_seconds")}
                for r in result.history
            ]
        )
    assert runs[0] == runs[1]


def test_frozen_embeddings_stay_pretrained(small_run, tmp_path):
    result = train(
        small_run(out=str(tmp_path / "f"), **{"vectors.freeze": True, "training.epochs": 1}),
        log=lambda _: None,
        progress=False,
    )
    model = load_model(result.out / "model.npz")
    vectors = load_vectors(small_run().vectors.spec)
    rows = [model.vocabulary.index[w] for w in vectors.words[:50]]
    assert np.array_equal(model.network.params["E"][rows], vectors.matrix[:50])


def test_int8_rounds_only_the_rows_training_never_reads_and_no_trained_number(small_run, tmp_path):
    """vectors.int8 (the default) rounds the pretrained rows of words only dev holds: every
    trained number is the same as without it, bit for bit, and the file stores those rows as
    int8 and holds exactly the model that was scored."""
    runs = {
        flag: train(
            small_run(out=str(tmp_path / str(flag)), **{"vectors.int8": flag}),
            log=lambda _: None,
            progress=False,
        )
        for flag in (True, False)
    }
    rounded, plain = (load_model(runs[flag].out / "model.npz") for flag in (True, False))
    assert [r["train_loss"] for r in runs[True].history] == [
        r["train_loss"] for r in runs[False].history
    ]
    for name, value in plain.network.params.items():
        if name != "E":
            assert np.array_equal(rounded.network.params[name], value), name
    E_int8, E_plain = rounded.network.params["E"], plain.network.params["E"]
    changed = (E_int8 != E_plain).any(axis=1)
    train_tokens = [t for s in read_conll(small_run().data.train).sentences for t in s.tokens]
    read = np.zeros(len(E_int8), bool)
    read[rounded.vocabulary.ids(train_tokens)] = True
    dev_only = ~read
    dev_only[:3] = False  # <unk>, <s>, </s>: fresh rows, never rounded
    assert not changed[read].any() and changed[dev_only].all() and dev_only.sum() > 100
    step = np.abs(E_plain[dev_only]).max(axis=1, keepdims=True) / 127
    assert (np.abs(E_int8 - E_plain)[dev_only] <= 0.51 * step).all()
    assert rounded.metadata["format_version"] == 4 and plain.metadata["format_version"] == 2
    dev = read_conll(small_run().data.dev)
    assert evaluate(rounded, dev)[0].f1 == runs[True].dev.f1  # the file is the model scored


def test_refuses_to_overwrite_without_force(small_run):
    train(small_run(**{"training.epochs": 1}), force=True, log=lambda _: None, progress=False)
    with pytest.raises(UserError, match="--force"):
        train(small_run(), log=lambda _: None, progress=False)
    metrics = Path(small_run().out) / "metrics.jsonl"
    assert json.loads(metrics.read_text().splitlines()[0])["epoch"] == 1


def test_sigmoid_head_trains_one_vs_rest(small_run, tmp_path):
    config = small_run(out=str(tmp_path / "s"), **{"model.head": "sigmoid"})
    result = train(config, log=lambda _: None, progress=False)
    assert result.dev.f1 > 0.3
    assert load_model(result.out / "model.npz").network.head == "sigmoid"


def test_only_type_is_the_lecture_binary_location_classifier(small_run, tmp_path):
    config = small_run(
        out=str(tmp_path / "loc"), **{"model.head": "sigmoid", "model.only_type": "LOC"}
    )
    result = train(config, log=lambda _: None, progress=False)
    model = load_model(result.out / "model.npz")
    assert model.tags == ["LOC"] and model.network.params["U"].shape[0] == 1
    assert result.dev.label == "LOC" and 0.3 < result.dev.f1 <= 1.0
    assert result.dev.accuracy > 0.9  # most tokens are not locations
    report = run("ner-eval", result.out / "model.npz", config.data.dev)
    assert report.returncode == 0, report.stderr
    assert "is the token LOC?" in report.stdout
    f1 = float(report.stdout.rsplit("FB1:", 1)[1])
    assert f1 == pytest.approx(100 * result.dev.f1, abs=0.01)


def test_only_type_needs_the_sigmoid_head_and_a_known_type(small_run, tmp_path):
    with pytest.raises(UserError, match="needs --head sigmoid"):
        config = small_run(
            out=str(tmp_path / "a"), **{"model.head": "softmax", "model.only_type": "LOC"}
        )
        train(config, log=print)
    with pytest.raises(UserError, match="no 'GPE' entities"):
        train(
            small_run(
                out=str(tmp_path / "b"), **{"model.head": "sigmoid", "model.only_type": "GPE"}
            ),
            log=print,
        )


def test_word_clusters_train_save_load_and_tag(small_run, tmp_path):
    config = small_run(
        out=str(tmp_path / "q"),
        **{"training.epochs": 1, "model.cluster_sizes": [16, 64], "model.cluster_dim": 3},
    )
    result = train(config, log=lambda _: None, progress=False)
    model = load_model(result.out / "model.npz")
    clusters = model.features.clusters
    assert clusters.sizes == (16, 64) and model.network.params["Q"].shape == (16 + 64 + 2, 3)
    vectors = load_vectors(config.vectors.spec)
    pretrained = np.isin(model.vocabulary.words, vectors.words)
    pretrained[:3] = False
    assert (clusters.ids[~pretrained] == 0).all() and (clusters.ids[pretrained] > 0).all()
    dev = read_conll(config.data.dev)
    assert evaluate(model, dev)[0].f1 == pytest.approx(result.dev.f1)
    plain = load_model(
        train(
            small_run(out=str(tmp_path / "p"), **{"training.epochs": 1}),
            log=lambda _: None,
            progress=False,
        ).out
        / "model.npz"
    )
    assert plain.features.clusters is None and "Q" not in plain.network.params


def test_clusters_and_lexicons_train_save_load_and_tag_as_trained(small_run, tmp_path):
    lexicons = [str(p) for p in sorted((ROOT / "data" / "lexicons").glob("*.tsv"))]
    config = small_run(
        out=str(tmp_path / "ql"),
        **{"training.epochs": 1, "model.cluster_sizes": [16], "model.lexicons": lexicons},
    )
    result = train(config, log=lambda _: None, progress=False)
    model = load_model(result.out / "model.npz")
    assert model.features.slots[-5:] == ("Q", "L", "L", "L", "L")
    assert model.network.params["L"].shape == (20, 4) and not model.features.lexicon.fold
    assert len(model.features.lexicon.lexicon) == len(load_lexicon(lexicons))
    dev = read_conll(config.data.dev)
    assert evaluate(model, dev)[0].f1 == pytest.approx(result.dev.f1)
    sentences = [s.tokens for s in dev.sentences]
    table = token_table(model)
    tagged = table.windows(table.type_ids(sentences), [len(s) for s in sentences], 2)
    trained = encode(sentences, model.vocabulary, 2, model.features)
    assert np.array_equal(tagged.ids, trained.ids)
