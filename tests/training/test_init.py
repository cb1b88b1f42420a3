"""ner-train --init (training/init.py): a run starts from a model's parameters, vocabulary and
feature tables, on real CoNLL sentences and real GloVe rows. The base model knows no MISC (its
training data has MISC turned into O); the new data keeps MISC and brings words it has not seen.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import head_of_conll, one_error_line, run, write_glove_text
from windowner.cli.train import app
from windowner.config import load_config
from windowner.data.conll import read_conll
from windowner.data.files import file_sha256
from windowner.errors import UserError
from windowner.model.ensemble import Ensemble
from windowner.model_file import Model, load_model, save_model
from windowner.training.build import new_model
from windowner.training.init import FIXED, grown_outputs
from windowner.training.run import prepare, train
from windowner.vectors.loading import load_vectors

QUIET = {"log": lambda _: None, "progress": False}
BASE_HIDDEN = 20


@pytest.fixture(scope="module")
def files(tmp_path_factory, conll_dir) -> dict[str, Path]:
    """Base data (train.txt's first 150 sentences, MISC → O), new data (test.txt's first 120,
    MISC kept), dev (valid.txt's first 60), GloVe rows for all their words, and the base model:
    20 hidden units, 2 epochs, only the 300 most frequent pretrained words kept (+ its own), so
    that the new data brings words with pretrained vectors the base lacks."""
    root = tmp_path_factory.mktemp("init")
    base_train = head_of_conll(conll_dir / "train.txt", root / "base.txt", 150)
    lines = base_train.read_text(encoding="utf-8").splitlines()
    base_train.write_text(
        "\n".join(line.replace("B-MISC", "O").replace("I-MISC", "O") for line in lines) + "\n"
    )
    new_train = head_of_conll(conll_dir / "test.txt", root / "new.txt", 120)
    dev = head_of_conll(conll_dir / "valid.txt", root / "dev.txt", 60)
    words = {
        t.lower()
        for f in (base_train, new_train, dev)
        for s in read_conll(f).sentences
        for t in s.tokens
    }
    glove = load_vectors("glove-6b-50d")
    keep = [i for i, w in enumerate(glove.words) if w in words]
    write_glove_text(root / "vectors.txt", [glove.words[i] for i in keep], glove.matrix[keep])
    config = load_config(
        None,
        {
            "data.train": str(base_train),
            "data.dev": str(dev),
            "vectors.spec": str(root / "vectors.txt"),
            "vectors.max_vectors": 300,
            "model.hidden": BASE_HIDDEN,
            "training.epochs": 2,
            "out": str(root / "base"),
        },
    )
    train(config, **QUIET)
    return {
        "base": root / "base" / "model.npz",
        "new": new_train,
        "dev": dev,
        "vectors": root / "vectors.txt",
        "root": root,
    }


def init_config(files, **overrides):
    """The library's config of a run from the base model on the new data."""
    settings = {
        "data.train": str(files["new"]),
        "data.dev": str(files["dev"]),
        "training.init": str(files["base"]),
        "training.epochs": 1,
        "out": str(files["root"] / "more"),
    }
    return load_config(None, {**settings, **overrides})


def test_the_start_keeps_every_row_and_grows_as_a_fresh_run_would(files, tmp_path):
    base = load_model(files["base"])
    started = prepare(init_config(files), tmp_path, lambda _: None)
    model, config = started.model, started.config
    # The architecture is the model's: the config said the default 300 units, left unset.
    assert config.model.hidden == BASE_HIDDEN and config.vectors.max_vectors == 300
    assert config.vectors.spec == str(files["vectors"])  # inherited from the base's config
    # Every parameter the base has keeps its values; E grows by rows, U and c by tags.
    params, before = model.network.params, base.network.params
    assert set(params) == set(before)
    for name in set(params) - {"E", "U", "c"}:
        assert np.array_equal(params[name], before[name]), name
    V = len(base.vocabulary)
    assert model.vocabulary.words[:V] == base.vocabulary.words
    assert np.array_equal(params["E"][:V], before["E"])
    # The new words are those a fresh run on the new data gives rows, and no others...
    fresh = new_model(
        config, read_conll(files["new"]), np.random.default_rng(0), lambda _: None
    ).vocabulary
    assert set(model.vocabulary.words) == set(base.vocabulary.words) | set(fresh.words)
    added = model.vocabulary.words[V:]
    assert len(added) > 50
    # ... each with its pretrained vector when it has one, as a fresh run's; a fresh row else.
    vectors = load_vectors(str(files["vectors"]))
    row = {w: i for i, w in enumerate(vectors.words)}
    pretrained = [w for w in added if w in row]
    assert 0 < len(pretrained) < len(added)
    for word in pretrained:
        assert np.array_equal(params["E"][model.vocabulary.index[word]], vectors.matrix[row[word]])
    # The tags: the base's keep their output rows, MISC's are drawn as a fresh run draws U.
    assert "B-MISC" not in base.tags and {"B-MISC", "I-MISC"} < set(model.tags)
    assert model.tags == sorted(model.tags, key=lambda t: (t != "O", t.partition("-")[2], t))
    for i, tag in enumerate(model.tags):
        if tag in base.tags:
            j = base.tags.index(tag)
            assert np.array_equal(params["U"][i], before["U"][j])
            assert params["c"][i] == before["c"][j]
        else:
            limit = np.sqrt(6.0 / (len(model.tags) + BASE_HIDDEN))
            assert params["c"][i] == 0 and 0 < np.abs(params["U"][i]).max() <= limit
    assert model.metadata["init"] == {
        "path": str(files["base"]),
        "sha256": file_sha256(files["base"]),
    }


def test_a_library_config_that_contradicts_the_model_is_refused(files, tmp_path):
    with pytest.raises(UserError, match=re.escape("'model.hidden' is 300 here but 20 in")):
        # 300 is the default, but said: explicitly given keys count, whatever their value
        prepare(init_config(files), tmp_path, lambda _: None, given={"model.hidden"})
    with pytest.raises(UserError, match=re.escape("'model.window' is 3 here but 2")):
        prepare(init_config(files, **{"model.window": 3}), tmp_path, lambda _: None)


def test_ner_train_init_records_where_it_started(files, tmp_path):
    config = tmp_path / "run.toml"  # the base's own architecture said again, and a new α
    config.write_text(f"[model]\nhidden = {BASE_HIDDEN}\n\n[training]\nlr = 0.1\n")
    out = tmp_path / "more"
    result = run(
        "ner-train",
        *("--init", files["base"], "--config", config),
        *("--train", files["new"], "--dev", files["dev"], "--out", out, "--epochs", "1"),
    )
    assert result.returncode == 0, result.stderr
    assert "tags 7 + 2 (B-MISC, I-MISC)" in result.stdout
    origin = {"path": str(files["base"]), "sha256": file_sha256(files["base"])}
    assert json.loads((out / "scores.json").read_text())["init"] == origin
    model = load_model(out / "model.npz")
    assert model.metadata["init"] == origin
    assert {"B-MISC", "I-MISC"} < set(model.tags)
    resolved = load_config(out / "config.toml")
    assert resolved.training.init == str(files["base"]) and resolved.training.lr == 0.1
    assert resolved.model.hidden == BASE_HIDDEN and resolved.vectors.max_vectors == 300


def test_init_with_seeds_starts_every_seed_from_the_model_and_joins_them(files, tmp_path):
    out = tmp_path / "seeds"
    result = run(
        "ner-train",
        *("--init", files["base"], "--train", files["new"], "--dev", files["dev"]),
        *("--out", out, "--epochs", "1", "--seeds", "0,1", "--ensemble", "--quiet"),
    )
    assert result.returncode == 0, result.stderr
    sha = file_sha256(files["base"])
    for seed in (0, 1):
        assert (
            json.loads((out / f"seed-{seed}" / "scores.json").read_text())["init"]["sha256"] == sha
        )
    joined = load_model(out / "model.npz")
    assert isinstance(joined.network, Ensemble) and joined.metadata["init"]["sha256"] == sha


@pytest.fixture(scope="module")
def refused(files, tmp_path_factory):
    """Inputs --init refuses: an ensemble, vectors of another width, a file that is no model."""
    root = tmp_path_factory.mktemp("refused")
    base = load_model(files["base"])
    ensemble = Model(
        Ensemble([base.network, base.network]),
        base.vocabulary,
        base.tags,
        base.metadata,
        base.features,
    )
    save_model(root / "ensemble.npz", ensemble)
    write_glove_text(root / "narrow.txt", ["the", "a"], np.ones((2, 10)))
    (root / "text.npz").write_text("not a model\n")
    return root


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--set", "model.hidden=300"], "'model.hidden' is 300 here but 20 in the model"),
        (["--set", "vectors.lookup=['exact']"], "'vectors.lookup' is ['exact'] here"),
        (["--set", "training.objective=sentence"], "'training.objective' is 'sentence' here"),
        (["--resume", "{root}"], "--init starts a new run from a model, --resume continues"),
        (["--vectors", "{refused}/narrow.txt"], "vectors of 10 dimensions"),
        (["--init", "{refused}/ensemble.npz"], "an ensemble of 2 models: --init starts from one"),
        (["--init", "{refused}/text.npz"], "not a windowner model"),
        (["--init", "{root}/missing.npz"], "missing.npz: no such file"),
    ],
)
def test_what_init_refuses_is_one_error_line(files, refused, arguments, message):
    given = [a.format(root=files["root"], refused=refused) for a in arguments]
    if "--init" not in given:
        given = ["--init", str(files["base"]), *given]
    out = files["root"] / "refused-run"
    command = [*given, "--train", str(files["new"]), "--dev", str(files["dev"]), "--out", str(out)]
    if "--resume" in given:
        command = given
    result = CliRunner().invoke(app, command)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not out.exists()


def test_a_config_file_that_restates_a_default_the_model_lacks_is_refused(files, tmp_path):
    config = tmp_path / "run.toml"
    config.write_text("[model]\nhidden = 300\n")  # the default, said in the file: a conflict
    result = run(
        "ner-train",
        *("--init", files["base"], "--config", config, "--train", files["new"]),
        *("--dev", files["dev"], "--out", tmp_path / "out"),
    )
    assert "'model.hidden' is 300 here but 20" in one_error_line(result)


def test_every_model_setting_but_its_decoding_is_fixed():
    from windowner.config import settings

    model_keys = {k for k in settings() if k.startswith("model.")}
    assert model_keys - set(FIXED) == {"model.decode"}
    assert {"vectors.lookup", "training.objective"} <= set(FIXED)


def test_new_tags_get_fresh_rows_and_transitions_known_ones_keep_theirs():
    rng = np.random.default_rng(0)
    known = ["O", "B-LOC", "I-LOC"]
    params = {
        "U": rng.normal(size=(3, 4)).astype(np.float32),
        "c": rng.normal(size=3).astype(np.float32),
        "A": rng.normal(size=(3, 3)).astype(np.float32),
        "a0": rng.normal(size=3).astype(np.float32),
    }
    tags = ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    grown = grown_outputs(params, known, ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC"], rng)
    assert grown["U"].shape == (5, 4) and grown["A"].shape == (5, 5)
    assert np.array_equal(grown["U"][:3], params["U"]) and np.array_equal(
        grown["c"][:3], params["c"]
    )
    assert np.array_equal(grown["A"][:3, :3], params["A"]) and np.array_equal(
        grown["a0"][:3], params["a0"]
    )
    assert not grown["A"][3:].any() and not grown["A"][:, 3:].any() and not grown["c"][3:].any()
    assert 0 < np.abs(grown["U"][3:]).max() <= np.sqrt(6.0 / (len(tags) + 4))
    # a known tag moved by the sort keeps its row wherever it lands
    moved = grown_outputs(params, ["O", "I-LOC", "B-LOC"], tags, rng)
    assert np.array_equal(moved["U"][1], params["U"][2])


def test_a_model_whose_origin_is_malformed_is_refused(files, tmp_path):
    model = load_model(files["base"])
    model.metadata["init"] = {"path": "base.npz", "sha256": "not hex"}
    save_model(tmp_path / "bad.npz", model)
    with pytest.raises(UserError, match="metadata 'init'"):
        load_model(tmp_path / "bad.npz")
