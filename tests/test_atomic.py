"""Every write is whole or absent: success, failure, a full disk, a read-only disk, SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import mounted_tmpfs, run, small_run_args
from windowner.atomic import atomic_write, link_or_copy, write_text
from windowner.errors import UserError


def test_output_appears_only_when_the_run_succeeds(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("previous\n")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as f:
        f.write("half of a new ")
        raise RuntimeError("killed")
    assert target.read_text() == "previous\n"
    with atomic_write(target, "w") as f:
        f.write("complete\n")
        assert target.read_text() == "previous\n"
    assert target.read_text() == "complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_without_o_tmpfile_a_hidden_named_file_is_the_fallback(tmp_path, monkeypatch):
    from windowner import atomic

    monkeypatch.setattr(atomic, "_unnamed_file", lambda directory: None)
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_write(target, "w") as f:
        f.write("half")
        (hidden,) = tmp_path.iterdir()
        assert hidden.name.startswith(".out.txt.") and hidden.name.endswith(".tmp")
        raise RuntimeError("failed")
    assert list(tmp_path.iterdir()) == []
    with atomic_write(target, "w") as f:
        f.write("complete\n")
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert target.read_text() == "complete\n"


def test_a_full_disk_is_one_user_error_and_the_previous_file_stays(tmp_path):
    with mounted_tmpfs(tmp_path / "small", size="64k") as disk:
        target = disk / "model.npz"
        target.write_bytes(b"previous model")
        full = pytest.raises(UserError, match=r"model\.npz: cannot write: No space left")
        with full, atomic_write(target) as f:
            f.write(os.urandom(200_000))
        assert target.read_bytes() == b"previous model"
        assert [p.name for p in disk.iterdir()] == ["model.npz"]  # no temporary left


def test_a_read_only_disk_is_one_user_error(tmp_path):
    with mounted_tmpfs(tmp_path / "ro", readonly=True) as disk:
        with pytest.raises(UserError, match="cannot write: Read-only file system"):
            write_text(disk / "metrics.jsonl", "{}\n")
        with pytest.raises(UserError, match="Read-only file system"):
            write_text(disk / "new-folder" / "metrics.jsonl", "{}\n")


def test_a_path_under_a_file_or_a_directory_target_is_one_user_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="file: exists and is not a folder"):
        write_text(tmp_path / "file" / "out.txt", "x")
    with pytest.raises(UserError, match="is a directory"):
        write_text(tmp_path, "x")


def test_link_or_copy_makes_the_same_file_and_leaves_no_temporary(tmp_path):
    write_text(tmp_path / "model-best.npz", "best")
    link_or_copy(tmp_path / "model-best.npz", tmp_path / "model.npz")
    link_or_copy(tmp_path / "model-best.npz", tmp_path / "model.npz")  # again, over itself
    assert os.path.samefile(tmp_path / "model-best.npz", tmp_path / "model.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model-best.npz", "model.npz"]


WRITER = """
import sys
import numpy as np
from windowner.model_file import save_model
from tests.model.test_network import small_network
from windowner.model_file import Model
from windowner.features.vocabulary import Vocabulary
from windowner.model.network import WindowNetwork

path = sys.argv[1]
network = small_network()
words = ["<unk>", "<s>", "</s>", *[f"w{i}" for i in range(9)]]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]  # tags a model file may hold
version = 0
print("ready", flush=True)
while True:
    version += 1
    network.params["c"][:] = version
    save_model(path, Model(network, Vocabulary(words, True), TAGS, {}))
"""


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigkill_at_any_moment_of_a_save_leaves_the_previous_model_whole(tmp_path, seed):
    """A process saves a model over and over; SIGKILL lands at random moments inside saves.
    Each time the file on disk is a complete model of one version, with nothing beside it."""
    from windowner.model_file import load_model

    rng = np.random.default_rng(seed)
    target = tmp_path / "model.npz"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for _ in range(4):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, env=env, text=True
        )
        assert writer.stdout.readline() == "ready\n"
        time.sleep(float(rng.uniform(0.05, 0.4)))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        if target.exists():
            model = load_model(target)
            assert len(set(model.network.params["c"].tolist())) == 1  # one version, whole
    # A kill between naming the new file and renaming it over the old can leave that name; the
    # next write of the same file removes it.
    write_text(target, "the next save")
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def dead_pid() -> int:
    """A process id no process can have: one above the kernel's largest."""
    return int(open("/proc/sys/kernel/pid_max").read()) + 1


def test_only_windowner_s_own_stale_names_are_cleaned_up(tmp_path):
    """A user's `.NAME.123.tmp` looks like a stale temporary of writing NAME: it stays, byte for
    byte; the names windowner's writers leave when killed (marked) go."""
    pid = dead_pid()
    users = {
        f".out.txt.{pid}.tmp": b"my notes\n",
        f".out.txt.{pid}.link.tmp": b"more notes\n",
        f".model.npz.{pid}.link.tmp": b"\x00binary",
    }
    for name, content in users.items():
        (tmp_path / name).write_bytes(content)
    ours = [f".out.txt.windowner-new-{pid}.tmp", f".model.npz.windowner-link-{pid}.tmp"]
    for name in ours:
        (tmp_path / name).write_text("left by a killed writer")
    write_text(tmp_path / "out.txt", "new")
    write_text(tmp_path / "model-best.npz", "best")
    link_or_copy(tmp_path / "model-best.npz", tmp_path / "model.npz")
    assert {name: (tmp_path / name).read_bytes() for name in users} == users
    assert not any((tmp_path / name).exists() for name in ours)


def test_ner_train_leaves_a_user_s_look_alike_files_in_its_folder(small_run, tmp_path):
    """The same, as a user meets it: a run into a folder holding such a file of theirs."""
    config = small_run()
    out = tmp_path / "run"
    out.mkdir()
    pid = dead_pid()
    users = {f".metrics.jsonl.{pid}.tmp": b"keep\n", f".model.npz.{pid}.link.tmp": b"me too\n"}
    for name, content in users.items():
        (out / name).write_bytes(content)
    result = run("ner-train", *small_run_args(config), "--out", out, "--epochs", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert {name: (out / name).read_bytes() for name in users} == users
