"""A run's folder loses nothing: SIGKILL, a full disk, a read-only disk, two runs at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import BIN, mounted_tmpfs, one_error_line, run, small_run_args
from windowner.training.checkpoint import read_checkpoint_arrays as read_arrays


def train_command(config, out: Path, *extra: str) -> list[str]:
    return [
        str(BIN / "ner-train"),
        *small_run_args(config),
        *("--out", str(out), "--epochs", "3"),
        *("--set", "model.hidden=30", *extra),
    ]


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_epoch(process: subprocess.Popen, epoch: int) -> None:
    for line in process.stdout:
        if line.startswith(f'{{"epoch": {epoch},'):
            return
    raise AssertionError(process.stderr.read())


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def same_model(a: Path, b: Path) -> bool:
    first, second = read_arrays(a), read_arrays(b)
    return all(np.array_equal(first[k], second[k]) for k in ("E", "C", "W", "b", "U", "c"))


def test_sigkill_then_a_full_disk_then_resume_ends_with_the_uninterrupted_model(
    small_run, tmp_path
):
    config = small_run()
    whole = tmp_path / "whole"
    assert (
        subprocess.run(train_command(config, whole, "--quiet"), capture_output=True).returncode == 0
    )

    with mounted_tmpfs(tmp_path / "disk", size="24m") as disk:
        out = disk / "run"
        process = start(train_command(config, out))
        wait_for_epoch(process, 2)
        process.send_signal(signal.SIGKILL)  # epoch 2 is logged, its saves are under way
        process.wait()
        before = snapshot(out)
        assert {"model.npz", "model-best.npz", "checkpoint.npz", "metrics.jsonl"} <= set(before)

        # Fill the disk, then resume: the first save fails with one line, nothing changes.
        filler = disk / "filler"
        with open(filler, "wb") as f, pytest.raises(OSError):
            while True:
                f.write(b"\0" * (1 << 20))
        resume = [str(BIN / "ner-train"), "--resume", str(out), "--quiet"]
        line = one_error_line(subprocess.run(resume, capture_output=True, text=True))
        assert "No space left on device" in line and str(out) in line
        assert snapshot(out) == before

        filler.unlink()
        result = subprocess.run(resume, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert same_model(whole / "model.npz", out / "model.npz")
        epochs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
        assert [r["epoch"] for r in epochs if "epoch" in r] == [1, 2, 3]


def test_a_second_run_on_the_same_folder_refuses_and_a_killed_one_blocks_nothing(
    small_run, tmp_path
):
    config = small_run()
    out = tmp_path / "shared"
    first = start(train_command(config, out))
    wait_for_epoch(first, 1)
    line = one_error_line(
        subprocess.run(train_command(config, out, "--force"), capture_output=True, text=True)
    )
    assert line == f"error: {out}: another ner-train is running in this folder"
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert (out / ".lock").exists()  # left behind by the kill, and harmless:
    result = subprocess.run(
        train_command(config, out, "--force", "--epochs", "1"), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_a_read_only_output_folder_is_one_line(small_run, tmp_path):
    config = small_run()
    with mounted_tmpfs(tmp_path / "ro", readonly=True) as disk:
        for out in (disk, disk / "new"):
            line = one_error_line(
                subprocess.run(train_command(config, out), capture_output=True, text=True)
            )
            assert "Read-only file system" in line and str(out) in line


def test_an_output_that_is_a_file_or_under_one_is_one_line_and_leaves_nothing(small_run, tmp_path):
    config = small_run()
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me\n")
    for out in (existing, existing / "run"):
        line = one_error_line(
            subprocess.run(train_command(config, out), capture_output=True, text=True)
        )
        assert str(existing) in line
    assert existing.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_run_that_fails_before_writing_anything_leaves_no_folder(small_run, tmp_path):
    config = small_run()
    out = tmp_path / "never"
    result = run(
        "ner-train",
        "--train",
        tmp_path / "missing.txt",
        "--dev",
        config.data.dev,
        "--vectors",
        config.vectors.spec,
        "--out",
        out,
    )
    assert "missing.txt: no such file" in one_error_line(result)
    assert not out.exists()
    assert not os.listdir(tmp_path)


def test_a_config_that_is_the_run_s_own_config_toml_is_refused_before_anything_is_written(
    small_run, tmp_path
):
    """--config DIR/config.toml with out = DIR would replace the hand-written file (comments
    and all) by the resolved config: refused with one line, by any name (a hard link too)."""
    config = small_run()
    out = tmp_path / "mine"
    out.mkdir()
    hand_written = (
        "# my settings, with reasons\n"
        f'out = "{out}"\n'
        "[data]\n"
        f'train = "{config.data.train}"\n'
        f'dev = "{config.data.dev}"\n'
        "[vectors]\n"
        f'spec = "{config.vectors.spec}"\n'
        "[model]\n"
        "hidden = 30  # small: the data is small\n"
        "[training]\n"
        "epochs = 1\n"
    ).encode()
    (out / "config.toml").write_bytes(hand_written)
    os.link(out / "config.toml", tmp_path / "elsewhere.toml")
    for given, extra in [
        (out / "config.toml", []),
        (out / "config.toml", ["--force"]),
        (tmp_path / "elsewhere.toml", []),
        (out / "config.toml", ["--seeds", "0,1", "--out", str(out.parent)]),
    ]:
        if extra[:1] == ["--seeds"]:
            (out.parent / "seed-1").mkdir(exist_ok=True)
            os.link(out / "config.toml", out.parent / "seed-1" / "config.toml")
        result = run("ner-train", "--config", given, *extra)
        line = one_error_line(result)
        assert "is the config file of this command: refusing to write over it" in line
        assert snapshot(out) == {"config.toml": hand_written}
    assert not (out.parent / "seed-0").exists()

    # Copied elsewhere, the same config trains into DIR (its config.toml then the resolved one).
    (tmp_path / "copy.toml").write_bytes(hand_written)
    (out / "config.toml").unlink()
    assert run("ner-train", "--config", tmp_path / "copy.toml", "-q").returncode == 0
