"""Checkpoints are untrusted input too: the model's checks, and the training state's."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import parameters, run
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
    return TrainingState(epoch=0, batch=2, step=2, rng=np.random.default_rng(0).bit_generator.state)


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
        (_state_edit(epoch="one"), "training state 'epoch' is 'one', expected int in"),
        (_state_edit(epoch=1), "holds 0 epochs' history for epoch 1"),
        (_state_edit(batch=3), "more batches in this epoch than steps"),
        (_state_edit(best_f1=0.5), "best epoch disagrees with its history"),
        (_state_edit(step=10**400), "integer beyond 128 bits"),
        (_state_edit(lr_scale=float("inf")), "'lr_scale' is inf"),
        (_state_edit(rng=[]), "training state 'rng' is \\[\\], expected dict"),
        (_state_edit(surprise=1), r"unknown keys \['surprise'\]"),
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


# --- a real checkpoint, mutated: refused with one line, or resumed to the very same model ------

import copy  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.conftest import ROOT  # noqa: E402
from windowner.training import loop  # noqa: E402
from windowner.training.loop import Interrupted  # noqa: E402
from windowner.training.run import resume, train  # noqa: E402

QUIET = {"log": lambda line: None, "progress": False}
MUTATIONS = 48
HOSTILE = [None, True, "x", [], {}, -1, -0.5, 10**9, 2**62, 2**64, 1e308, 1.5]
# Out of range for a generator's numbers (a value in range is another valid state).
HOSTILE_GENERATOR = [None, True, "x", [], -1, 2**128 - 1, 1.5]


class _After(list):
    """A signal list that turns true at its n-th look: train stops mid-epoch, checkpointed."""

    def __init__(self, n: int):
        super().__init__(["SIGINT"])
        self.n = n

    def __bool__(self):
        self.n -= 1
        return self.n < 0


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory):
    """(folder with config.toml and a mid-epoch-2 checkpoint, the uninterrupted model's arrays)."""
    root = tmp_path_factory.mktemp("resumable")
    settings = {
        "data.train": str(ROOT / "examples" / "train.txt"),
        "data.dev": str(ROOT / "examples" / "dev.txt"),
        "vectors.spec": str(ROOT / "examples" / "vectors.txt"),
        "model.hidden": 8,
        "training.epochs": 2,
        "training.batch_size": 16,
        "training.momentum": 0.5,
        "training.schedule": "warmup_linear",
    }
    whole = train(load_config(None, {**settings, "out": str(root / "whole")}), **QUIET)
    cut = root / "cut"
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(loop, "_signals_set_flag", lambda: _contextless(_After(90)))
    with pytest.raises(Interrupted):
        train(load_config(None, {**settings, "out": str(cut)}), **QUIET)
    monkeypatch.undo()
    return cut, parameters(whole.out / "model.npz")


class _contextless:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


def _mutate(rng, arrays) -> str:
    state = json.loads(arrays["training_state"].tobytes())
    kind = int(rng.integers(4))
    if kind == 0:  # a field, or a history record's field, set to a hostile value or removed
        target = state
        if rng.random() < 0.3 and state["history"]:
            target = state["history"][int(rng.integers(len(state["history"])))]
        key = sorted(target)[int(rng.integers(len(target)))]
        if rng.random() < 0.15:
            del target[key]
            what = f"{key} removed"
        else:
            target[key] = HOSTILE[int(rng.integers(len(HOSTILE)))]
            what = f"{key} = {target[key]!r}"
    elif kind == 1:  # the generator's state out of range, or another generator
        if rng.random() < 0.2:
            state["rng"]["bit_generator"] = "MT19937"
            what = "generator MT19937"
        else:
            inner = state["rng"] if rng.random() < 0.4 else state["rng"]["state"]
            key = sorted(inner)[int(rng.integers(len(inner)))]
            if key == "bit_generator" or key == "state":
                key = "has_uint32" if inner is state["rng"] else "inc"
            inner[key] = HOSTILE_GENERATOR[int(rng.integers(len(HOSTILE_GENERATOR)))]
            if key in ("has_uint32", "uinteger"):
                inner[key] = [2, 2**32, -1, "x"][int(rng.integers(4))]
            what = f"rng {key} = {inner[key]!r}"
    elif kind == 2:  # the order: shorter, longer, repeated, gone, of the wrong type
        order = arrays["order"]
        choice = int(rng.integers(5))
        if choice == 0:
            arrays["order"] = order[:5]
        elif choice == 1:
            arrays["order"] = np.append(order, len(order))
        elif choice == 2:
            arrays["order"] = np.where(order == 0, 1, order)
        elif choice == 3:
            del arrays["order"]
        else:
            arrays["order"] = order.astype(np.float64)
        return f"order mutation {choice}"
    else:  # the batch and step: beyond the epoch, or moved together or apart
        batch = [0, 1, 10**9, state["batch"] + 1][int(rng.integers(4))]
        state["batch"] = batch
        if rng.random() < 0.5:
            state["step"] += batch - state["batch"]
        what = f"batch = {batch}"
    arrays["training_state"] = json_array(state)
    return what


def test_every_mutation_of_a_real_checkpoint_is_refused_or_resumes_the_same_model(
    interrupted_run, tmp_path
):
    cut, whole = interrupted_run
    good = read_checkpoint_arrays(cut / "checkpoint.npz")
    state = json.loads(good["training_state"].tobytes())
    assert state["epoch"] == 1 and state["batch"] > 0  # mid-epoch 2, with an order
    untouched = tmp_path / "untouched"
    shutil.copytree(cut, untouched)
    resumed = parameters(resume(untouched, **QUIET).out / "model.npz")
    assert all(np.array_equal(resumed[k], whole[k]) for k in ("E", "W", "b", "U", "c"))
    rng = np.random.default_rng(7)
    failures, refused = [], 0
    for i in range(MUTATIONS):
        folder = tmp_path / f"m{i}"
        shutil.copytree(cut, folder)
        arrays = copy.deepcopy(dict(good))
        what = _mutate(rng, arrays)
        np.savez(folder / "checkpoint.npz", **arrays)
        try:
            result = resume(folder, **QUIET)
        except UserError as error:
            refused += 1
            if "\n" in str(error) or "checkpoint" not in str(error):
                failures.append(f"{what}: {error}")
            continue
        except Exception as error:  # collecting every failure is the point
            failures.append(f"{what}: {type(error).__name__}: {error}")
            continue
        resumed = parameters(Path(result.out) / "model.npz")
        if not all(np.array_equal(resumed[k], whole[k]) for k in ("E", "W", "b", "U", "c")):
            failures.append(f"{what}: accepted, and trained a different model")
    assert not failures, "\n".join(failures)
    assert refused > MUTATIONS // 2
