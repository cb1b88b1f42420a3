"""Training runs a user can leave, interrupt, repeat and believe."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import BIN, one_error_line, parameters, small_run_args
from windowner.errors import UserError
from windowner.evaluation.conlleval import Scores
from windowner.training.checkpoint import read_checkpoint_arrays as read_arrays
from windowner.training.multiseed import train_seeds
from windowner.training.run import resume, train
from windowner.training.schedules import Schedule

QUIET = {"log": lambda _: None, "progress": False}


def arrays_equal(a: Path, b: Path) -> bool:
    first, second = parameters(a), parameters(b)
    params = ("E", "C", "W", "b", "U", "c", "vocabulary")
    return all(np.array_equal(first[k], second[k]) for k in params)


def metrics(out: Path) -> list[dict]:
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [
        {k: v for k, v in json.loads(line).items() if k not in ("seconds", "cpu_seconds")}
        for line in lines
    ]


def test_sigint_then_resume_ends_with_the_uninterrupted_model(small_run, tmp_path):
    settings = {
        "training.epochs": 3,
        "training.batch_size": 4,  # many steps an epoch, so the signal lands mid-epoch
        "training.dropout_h": 0.2,
        "training.momentum": 0.5,
    }
    whole = train(small_run(out=str(tmp_path / "whole"), **settings), **QUIET)

    config = small_run(out=str(tmp_path / "cut"), **settings)
    command = [
        str(BIN / "ner-train"),
        *small_run_args(config),
        "--epochs",
        "3",
        *("--set", "model.hidden=30", "--set", "training.batch_size=4"),
        *("--set", "training.dropout_h=0.2", "--set", "training.momentum=0.5"),
        "--out",
        config.out,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:  # interrupt during the second epoch
        if line.startswith('{"epoch": 1'):
            break
    first_epoch_seconds = json.loads(line)["seconds"]
    time.sleep(min(0.3, first_epoch_seconds / 3))
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "checkpoint saved" in stdout and "Traceback" not in stderr
    state = json.loads(read_arrays(Path(config.out) / "checkpoint.npz")["training_state"].tobytes())
    assert state["epoch"] == 1 and state["batch"] > 0  # really stopped mid-epoch

    result = subprocess.run(
        [str(BIN / "ner-train"), "--resume", config.out, "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert arrays_equal(whole.out / "model.npz", Path(config.out) / "model.npz")
    assert metrics(whole.out) == metrics(Path(config.out))
    assert set(files(whole.out)) == set(files(Path(config.out)))  # both finished alike


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != ".lock"}


def test_a_finished_run_keeps_the_model_not_what_resuming_needed(small_run, tmp_path):
    """Once complete, a run keeps model.npz (= model-best.npz) and drops model-last.npz and
    checkpoint.npz, each as large as a model; --resume then says it is complete, changes
    nothing."""
    result = train(small_run(out=str(tmp_path / "r"), **{"training.epochs": 2}), **QUIET)
    assert set(files(result.out)) == {
        "model.npz",
        "model-best.npz",
        "metrics.jsonl",
        "config.toml",
        "scores.json",
        "training-curves.png",
    }
    assert (result.out / "model.npz").samefile(result.out / "model-best.npz")
    assert (result.out / "training-curves.png").read_bytes()[:4] == b"\x89PNG"
    before = files(result.out)
    again = subprocess.run(
        [str(BIN / "ner-train"), "--resume", str(result.out)], capture_output=True, text=True
    )
    assert "the run is complete" in one_error_line(again) and again.stdout == ""
    assert files(result.out) == before
    metadata = json.loads(read_arrays(result.out / "model.npz")["metadata"].tobytes())
    assert metadata["seed"] == 0 and set(metadata["data_sha256"]) == {"train", "dev"}
    assert {"windowner", "numpy", "python"} <= set(metadata["versions"])


def test_a_diverging_learning_rate_stops_clearly_and_keeps_the_good_model(
    small_run,
    tmp_path,
    monkeypatch,
):
    monkeypatch.setattr(Schedule, "at", lambda self, step, epoch, *_: 0.2 if epoch == 1 else 1e30)
    config = small_run(out=str(tmp_path / "d"), **{"training.epochs": 3})
    with pytest.raises(UserError, match=r"training diverged at epoch 2, step \d+ .*model-best"):
        train(config, **QUIET)
    best = parameters(Path(config.out) / "model-best.npz")
    assert all(np.isfinite(best[k]).all() for k in ("E", "W", "U"))
    metadata = read_arrays(Path(config.out) / "model-best.npz")["metadata"]
    assert json.loads(metadata.tobytes())["epoch"] == 1


def test_halving_restarts_the_epoch_then_gives_up(small_run, tmp_path, monkeypatch):
    monkeypatch.setattr(Schedule, "at", lambda self, step, epoch, *_: 0.2 if epoch == 1 else 1e30)
    logged = []
    config = small_run(
        out=str(tmp_path / "h"), **{"training.epochs": 2, "training.on_nonfinite": "halve"}
    )
    with pytest.raises(UserError, match="diverged"):
        train(config, log=logged.append, progress=False)
    restarts = [line for line in logged if "restarting the epoch" in line]
    assert len(restarts) == 6 and restarts[0].endswith("α × 0.5")


def test_patience_stops_early(small_run, tmp_path, monkeypatch):
    falling = iter([0.5, 0.4, 0.3, 0.2, 0.1, 0.05])

    def evaluate(model, corpus, decode=None):
        f1 = next(falling, 0.0)
        return Scores(f1, f1, f1, 1, 1, 1, 1.0, 1, {}), []

    monkeypatch.setattr("windowner.training.loop.evaluate", evaluate)
    result = train(
        small_run(out=str(tmp_path / "p"), **{"training.epochs": 10, "training.patience": 2}),
        **QUIET,
    )
    assert [r["epoch"] for r in result.history] == [1, 2, 3] and result.best_epoch == 1
    assert result.stopped_early
    # Stopped early is complete too: resuming would train a fourth epoch. It refuses instead.
    before = files(result.out)
    with pytest.raises(UserError, match="the run is complete"):
        resume(result.out, **QUIET)
    assert files(result.out) == before


def test_several_seeds_report_mean_and_sd(small_run, tmp_path):
    config = small_run(out=str(tmp_path / "s"), **{"training.epochs": 1})
    summary = train_seeds(config, [0, 1], **QUIET)
    saved = json.loads((tmp_path / "s" / "seeds.json").read_text())
    assert saved["seeds"] == [0, 1] and len(saved["dev_f1"]) == 2
    assert saved["dev_f1_mean"] == pytest.approx(np.mean(saved["dev_f1"]))
    assert saved["dev_f1_sd"] == pytest.approx(np.std(saved["dev_f1"], ddof=1))
    assert saved["dev_f1"][0] != saved["dev_f1"][1]  # the seeds really differ
    assert "±" in summary.describe()
    assert (tmp_path / "s" / "seed-1" / "model.npz").exists()


def test_resume_refuses_changed_data(small_run, tmp_path, monkeypatch):
    config = small_run(out=str(tmp_path / "c"), **{"training.epochs": 1})
    # Left unfinished, as a run killed before its end: the checkpoint stays, no scores.json.
    monkeypatch.setattr("windowner.training.run.finish", lambda run, state, log, stopped: state)
    train(config, **QUIET)
    assert (Path(config.out) / "checkpoint.npz").exists()
    Path(config.data.dev).write_text(Path(config.data.dev).read_text() + "\nExtra O\n")
    try:
        with pytest.raises(UserError, match="dev data changed"):
            resume(config.out, **QUIET)
    finally:
        text = Path(config.data.dev).read_text()
        Path(config.data.dev).write_text(text.removesuffix("\nExtra O\n"))
