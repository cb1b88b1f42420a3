"""Checkpoints are untrusted input too: the model's checks, and the training state's."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import run
from tests.test_model_file import tiny_model
from windowner.config import load_config
from windowner.errors import UserError
from windowner.model_file import json_array
from windowner.training.checkpoint import (
    TrainingState,
    load_checkpoint,
    read_checkpoint_arrays,
    save_checkpoint,
)


def _state() -> TrainingState:
    return TrainingState(epoch=1, batch=2, rng=np.random.default_rng(0).bit_generator.state)


def _save(path, velocity=None, order=None, state=None) -> None:
    model = tiny_model()
    if velocity is None:
        velocity = {"W": np.zeros_like(model.network.params["W"])}
    save_checkpoint(
        path, model, state or _state(), velocity, np.arange(7) if order is None else order
    )


def test_a_checkpoint_round_trips(tmp_path):
    _save(tmp_path / "c.npz")
    model, state, velocity, order = load_checkpoint(tmp_path / "c.npz")
    assert state == _state() and list(velocity) == ["W"] and np.array_equal(order, np.arange(7))
    assert model.tags == tiny_model().tags


def _rewrite(tmp_path, change) -> str:
    _save(tmp_path / "good.npz")
    arrays = read_checkpoint_arrays(tmp_path / "good.npz")
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    return str(tmp_path / "bad.npz")


def _deep(depth: int) -> np.ndarray:
    return np.frombuffer(("[" * depth + "]" * depth).encode(), np.uint8)


def _state_edit(**values):
    def change(arrays):
        state = json.loads(arrays["training_state"].tobytes())
        arrays["training_state"] = json_array({**state, **values})

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.update({"velocity.W": a["velocity.W"] * np.nan}), "velocity.W holds NaN"),
        (lambda a: a.update({"velocity.W": a["velocity.W"][:, :-1]}), "velocity.W is"),
        (lambda a: a.update({"velocity.Z": a["velocity.W"]}), "unexpected array velocity.Z"),
        (lambda a: a.update(order=np.array([0, 0, 5])), "order is not a permutation"),
        (lambda a: a.update(order=np.arange(3.0)), "array order is float64"),
        (_state_edit(epoch="one"), "training state 'epoch' is 'one'"),
        (_state_edit(lr_scale=float("inf")), "'lr_scale' is inf"),
        (_state_edit(rng={"bit_generator": "MT19937"}), "not a valid training checkpoint"),
        (_state_edit(surprise=1), "unexpected keyword argument 'surprise'"),
        (lambda a: a.update(training_state=json_array([[]] * 3)), "not a JSON object"),
        (lambda a: a.update(training_state=_deep(100_000)), "nests deeper than 64 levels"),
    ],
)
def test_a_crafted_checkpoint_is_one_user_error(tmp_path, change, message):
    with pytest.raises(UserError, match=message) as error:
        load_checkpoint(_rewrite(tmp_path, change))
    assert error.value.path.endswith("bad.npz")


def test_resume_on_a_corrupt_checkpoint_prints_one_line(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    config = load_config(None, {"data.train": "t.txt", "data.dev": "d.txt", "out": str(out)})
    (out / "config.toml").write_text(config.to_toml())
    _save(
        out / "checkpoint.npz",
        velocity={"W": np.full_like(tiny_model().network.params["W"], np.inf)},
    )
    before = (out / "checkpoint.npz").read_bytes()
    result = run("ner-train", "--resume", out, "--quiet")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: {out / 'checkpoint.npz'}: not a valid training checkpoint "
        "(array velocity.W holds NaN or infinite values)"
    ]
    assert (out / "checkpoint.npz").read_bytes() == before
    truncated = before[: len(before) // 3]
    (out / "checkpoint.npz").write_bytes(truncated)
    result = run("ner-train", "--resume", out, "--quiet")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "checkpoint.npz: not a windowner model" in result.stderr
