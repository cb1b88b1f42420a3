"""Outputs never destroy (issue 16): an output naming an input is refused, links are written
through, devices and FIFOs in place, and every failure to write is one line with nothing lost."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from tests.conftest import BIN, head_of_conll, mounted_tmpfs, one_error_line, run
from tests.test_model_file import tiny_model
from windowner.model_file import save_model

TEXT = "Paris met New York .\n\nnaïve Paris\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory, conll_dir) -> Path:
    """A tiny model, a text to tag and 20 sentences of gold data, in one folder."""
    root = tmp_path_factory.mktemp("outputs")
    save_model(root / "model.npz", tiny_model())
    (root / "in.txt").write_text(TEXT, encoding="utf-8")
    head_of_conll(conll_dir / "valid.txt", root / "gold.txt", 20)
    return root


def device(path: Path, minor: int) -> Path:
    """A character device node of the memory driver (major 1): 3 is null, 7 is full.

    The tests write to nodes of their own, never to the system's /dev/null and /dev/full: with
    the bug these tests guard against, the output replaced the node it was given by a regular
    file (an earlier run of them against the old code left /dev/full a regular file).
    """
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    return path


def contents(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in root.iterdir() if p.is_file() and not p.is_symlink()}


def test_an_output_that_is_an_input_by_any_name_is_refused_before_anything_is_read(files):
    os.link(files / "in.txt", files / "hard.txt")
    os.symlink("gold.txt", files / "gold-link.txt")
    before = contents(files)
    model, text, gold = files / "model.npz", files / "in.txt", files / "gold.txt"
    cases = [
        (["ner-tag", model, text, "-o", text], "is the input text"),
        (["ner-tag", model, text, "--output", files / "hard.txt"], "is the input text"),
        (["ner-tag", model, files / "hard.txt", "-o", files / "." / "in.txt"], "input text"),
        (["ner-tag", model, "--dataset", text, "-o", files / "hard.txt"], "--dataset table"),
        (["ner-eval", model, gold, "--output", files / "gold-link.txt"], "is the gold data"),
        (["ner-eval", model, gold, "--html", files / ".." / files.name / "gold.txt"], "gold"),
        (["ner-eval", model, files / "gold-link.txt", "--html", model], "is the model"),
    ]
    for command, message in cases:
        result = run(*command)
        line = one_error_line(result)
        assert message in line and "refusing to write over it" in line, line
        assert result.stdout == ""
    assert contents(files) == before


def test_links_are_written_through_and_devices_and_fifos_in_place(files, tmp_path):
    model, text = files / "model.npz", files / "in.txt"
    expected = run("ner-tag", model, text)
    assert expected.returncode == 0, expected.stderr
    assert len(expected.stdout.splitlines()) == 3

    # A symlink: its target gets the output, atomically in the target's own folder.
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "target.jsonl").write_text("previous\n")
    os.symlink(tmp_path / "elsewhere" / "target.jsonl", tmp_path / "link.jsonl")
    assert run("ner-tag", model, text, "-o", tmp_path / "link.jsonl").returncode == 0
    assert (tmp_path / "link.jsonl").is_symlink()
    assert (tmp_path / "elsewhere" / "target.jsonl").read_text() == expected.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "link.jsonl"]  # no temp

    # A device (a null device of our own) stays the device; a link to /proc/self/fd/1, as
    # /dev/stdout is, writes into the command's standard output and stays a link.
    null = device(tmp_path / "null", 3)
    assert run("ner-tag", model, text, "-o", null).returncode == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    os.symlink("/proc/self/fd/1", tmp_path / "stdout")
    through = run("ner-tag", model, text, "--output", tmp_path / "stdout")
    assert through.returncode == 0 and through.stdout == expected.stdout
    assert os.readlink(tmp_path / "stdout") == "/proc/self/fd/1"

    # A FIFO is opened and written, not replaced by a regular file.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert run("ner-tag", model, text, "-o", fifo).returncode == 0
    reader.join(timeout=60)
    assert received == [expected.stdout.encode("utf-8")]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_standard_output_on_a_full_device_is_one_line(files, tmp_path):
    model, text, gold = files / "model.npz", files / "in.txt", files / "gold.txt"
    full_device = device(tmp_path / "full", 7)
    for command in (["ner-tag", model, text], ["ner-eval", model, gold, "--json"]):
        with open(full_device, "w") as full:
            result = subprocess.run(
                [str(BIN / command[0]), *map(str, command[1:])],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
        line = one_error_line(result)
        assert line == "error: standard output: cannot write: No space left on device", line


def test_every_failure_to_write_an_output_is_one_line_and_loses_nothing(files, tmp_path):
    model, text, gold = files / "model.npz", files / "in.txt", files / "gold.txt"
    (tmp_path / "folder").mkdir()
    full_device = device(tmp_path / "full-device", 7)
    cases = [
        (["ner-tag", model, text, "-o", full_device], "full-device: cannot write: No space left"),
        (["ner-tag", model, text, "-o", tmp_path / "folder"], "is a directory"),
        (["ner-tag", model, text, "-o", text / "x.jsonl"], "exists and is not a folder"),
    ]
    with mounted_tmpfs(tmp_path / "full", size="8k") as full:
        (full / "old.jsonl").write_text("previous\n")
        with open(full / "filler", "wb", buffering=0) as f, pytest.raises(OSError):
            while True:  # the disk is full: not one more page
                f.write(b"\0" * 4096)
        cases += [
            (["ner-eval", model, gold, "--output", full / "old.jsonl"], "No space left"),
        ]
        with mounted_tmpfs(tmp_path / "ro", readonly=True) as ro:
            cases.append((["ner-tag", model, text, "-o", ro / "x"], "Read-only file system"))
            for command, message in cases:
                line = one_error_line(run(*command))
                assert message in line, line
            assert sorted(p.name for p in full.iterdir()) == ["filler", "old.jsonl"]
            assert (full / "old.jsonl").read_text() == "previous\n"
            assert list(ro.iterdir()) == []
    assert [p.name for p in (tmp_path / "folder").iterdir()] == []
    assert stat.S_ISCHR(os.lstat(full_device).st_mode)


def test_a_folder_the_user_may_not_write_is_one_line_for_every_command(files, tmp_path):
    """EACCES for real: root without its capabilities (setpriv) is refused a 0555 folder."""
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "old.jsonl").write_text("previous\n")
    locked.chmod(0o555)
    model, text = files / "model.npz", files / "in.txt"
    no_capabilities = ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]
    for command in (
        ["ner-tag", model, text, "-o", locked / "old.jsonl"],
        ["ner-train", "--train", text, "--dev", text, "--out", locked / "run"],
    ):
        result = subprocess.run(
            [*no_capabilities, str(BIN / command[0]), *map(str, command[1:])],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Permission denied" in one_error_line(result)
    assert sorted(p.name for p in locked.iterdir()) == ["old.jsonl"]
    assert (locked / "old.jsonl").read_text() == "previous\n"
