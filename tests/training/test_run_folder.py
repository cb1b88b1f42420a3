"""A run's folder loses nothing: SIGKILL, a full disk, a read-only disk, two runs at once, and a
run over a previous one that fails, is interrupted or is killed while swapping in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import (
    BIN,
    ROOT,
    mounted_tmpfs,
    one_error_line,
    parameters,
    run,
    small_run_args,
)
from windowner.atomic import link_or_copy


def train_command(config, out: Path, *extra: str) -> list[str]:
    return [
        str(BIN / "ner-train"),
        *small_run_args(config),
        *("--out", str(out), "--epochs", "3"),
        *("--set", "model.hidden=30", *extra),
    ]


def example_command(out: Path, *extra: str) -> list[str]:
    """A run of seconds on examples/ (2 epochs unless `extra` says otherwise)."""
    examples = ROOT / "examples"
    return [
        str(BIN / "ner-train"),
        *("--train", str(examples / "train.txt"), "--dev", str(examples / "dev.txt")),
        *("--vectors", str(examples / "vectors.txt"), "--out", str(out), "--epochs", "2"),
        *extra,
    ]


# On examples/, α = 100 with ReLU diverges within the first epoch; warmed up linearly over 100
# epochs it diverges in the third, after two good epochs (and their checkpoint).
DIVERGES_AT_ONCE = ("--set", "training.lr=100", "--set", "model.activation=relu")
DIVERGES_LATER = (
    *DIVERGES_AT_ONCE,
    *("--set", "training.schedule=warmup_linear", "--set", "training.warmup_epochs=100"),
    *("--epochs", "10"),
)


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
    first, second = parameters(a), parameters(b)
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


def test_a_forced_run_that_fails_leaves_the_previous_run_whole(tmp_path):
    """--force over a finished run trains beside it (OUT/.next): until the new run finishes,
    every file of the previous run stays byte for byte, however the new one fails."""
    out = tmp_path / "run"
    assert subprocess.run(example_command(out, "-q"), capture_output=True).returncode == 0
    before = snapshot(out)
    assert {"model.npz", "metrics.jsonl", "scores.json", "config.toml"} <= set(before)

    # Diverges before any epoch ends: nothing to resume, nothing left beside the previous run.
    failed = subprocess.run(
        example_command(out, "--force", "-q", *DIVERGES_AT_ONCE), capture_output=True, text=True
    )
    assert "training diverged at epoch 1" in one_error_line(failed)
    assert f"{out} still holds the previous run" in failed.stderr
    assert snapshot(out) == before and not (out / ".next").exists()

    # Diverges in epoch 3: the new run's good epochs stay in .next, the previous run in OUT.
    failed = subprocess.run(
        example_command(out, "--force", "-q", *DIVERGES_LATER), capture_output=True, text=True
    )
    line = one_error_line(failed)
    assert "training diverged at epoch 3" in line
    assert f"the last good model is {out / '.next' / 'model-best.npz'}" in line
    assert snapshot(out) == before
    assert {"checkpoint.npz", "model-best.npz", "metrics.jsonl"} <= set(snapshot(out / ".next"))
    # --resume continues the new run (in .next), which diverges again: the previous run stays.
    again = subprocess.run(
        [str(BIN / "ner-train"), "--resume", str(out), "-q"], capture_output=True, text=True
    )
    assert "training diverged at epoch 3" in one_error_line(again)
    assert snapshot(out) == before
    assert (out / "model.npz").samefile(out / "model-best.npz")

    # A run that succeeds replaces the previous run, and the new run's unfinished leftovers.
    done = subprocess.run(example_command(out, "--force", "-q", "--epochs", "1"), text=True)
    assert done.returncode == 0
    assert not (out / ".next").exists()
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in metrics] == [1]
    assert "epochs = 1" in (out / "config.toml").read_text()


def test_a_full_disk_during_a_forced_run_leaves_the_previous_run_whole(tmp_path):
    with mounted_tmpfs(tmp_path / "disk", size="8m") as disk:
        out = disk / "run"
        assert subprocess.run(example_command(out, "-q"), capture_output=True).returncode == 0
        before = snapshot(out)
        filler = disk / "filler"
        with open(filler, "wb") as f, pytest.raises(OSError):
            while True:
                f.write(b"\0" * (1 << 16))
        failed = subprocess.run(
            example_command(out, "--force", "-q", "--epochs", "1"), capture_output=True, text=True
        )
        assert "No space left on device" in one_error_line(failed)
        assert snapshot(out) == before and not (out / ".next").exists()


def test_an_interrupted_forced_run_resumes_beside_the_previous_run_then_replaces_it(
    small_run, tmp_path
):
    config = small_run()
    whole = tmp_path / "whole"
    assert subprocess.run(train_command(config, whole, "-q"), capture_output=True).returncode == 0

    out = tmp_path / "run"
    assert subprocess.run(example_command(out, "-q"), capture_output=True).returncode == 0
    before = snapshot(out)
    process = start(train_command(config, out, "--force"))
    wait_for_epoch(process, 1)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert f"checkpoint saved in {out / '.next'}; continue with ner-train --resume {out}" in stdout
    assert snapshot(out) == before  # the previous run, whole, while the new one is unfinished
    assert "checkpoint.npz" in snapshot(out / ".next")

    result = subprocess.run(
        [str(BIN / "ner-train"), "--resume", str(out), "-q"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(f"model in {out / 'model.npz'}\n")
    # Now the new run, whole: what an uninterrupted run makes, and nothing of the previous one.
    assert not (out / ".next").exists()
    assert set(snapshot(out)) == set(snapshot(whole))
    assert same_model(whole / "model.npz", out / "model.npz")
    assert (out / "model.npz").samefile(out / "model-best.npz")
    assert without_timings(out / "metrics.jsonl") == without_timings(whole / "metrics.jsonl")
    assert (out / "scores.json").read_bytes() == (whole / "scores.json").read_bytes()


def without_timings(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in r.items() if k not in ("seconds", "cpu_seconds")} for r in records]


def test_a_swap_cut_short_by_sigkill_is_completed_by_the_next_ner_train(tmp_path):
    """A SIGKILL between the renames of a swap leaves .next whole (its files are linked over the
    folder's, and .next is removed only at the end): the next ner-train in the folder does the
    swap again, whole, before anything else."""
    out, new = tmp_path / "run", tmp_path / "new"
    assert subprocess.run(example_command(out, "-q"), capture_output=True).returncode == 0
    assert (
        subprocess.run(example_command(new, "-q", "--epochs", "1"), capture_output=True).returncode
        == 0
    )
    finished = snapshot(new)
    os.rename(new, out / ".next")
    for name in ("model.npz", "model-best.npz"):  # the swap's first renames, then the kill
        link_or_copy(out / ".next" / name, out / name)

    again = subprocess.run(
        [str(BIN / "ner-train"), "--resume", str(out)], capture_output=True, text=True
    )
    assert "the run is complete" in one_error_line(again)
    assert snapshot(out) == finished and not (out / ".next").exists()


def test_resume_works_from_any_working_directory(tmp_path):
    """A run started with relative paths records them absolute in its config.toml, so --resume
    reads the same data from another folder."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "data").mkdir(parents=True)
    elsewhere.mkdir()
    for name in ("train.txt", "dev.txt", "vectors.txt"):
        (project / "data" / name).write_bytes((ROOT / "examples" / name).read_bytes())
    command = [
        str(BIN / "ner-train"),
        *("--train", "data/train.txt", "--dev", "data/dev.txt", "--vectors", "data/vectors.txt"),
        *("--out", "run", "--epochs", "40", "--set", "training.patience=0"),
    ]
    process = subprocess.Popen(
        command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_for_epoch(process, 1)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    assert process.returncode == 130
    assert (
        f'train = "{project / "data" / "train.txt"}"' in (project / "run/config.toml").read_text()
    )

    result = subprocess.run(
        [str(BIN / "ner-train"), "--resume", str(project / "run"), "-q"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (project / "run" / "scores.json").exists() and not os.listdir(elsewhere)
