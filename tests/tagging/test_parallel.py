"""`ner-tag --num-proc N` (tagging/parallel.py): N worker processes writing, byte for byte, what
one process writes, for every format, unit and option; bounded when the output is read slowly;
and Ctrl-C or a dead worker leaving no output, no temporary file and no process behind.

The outputs are compared in-process through `tag_file` (which forks real workers) with a model
loaded once; the failures run the command as a user would, as real process groups.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import BIN, CONLL
from windowner import atomic
from windowner.data.conll import read_conll
from windowner.errors import UserError
from windowner.model_file import load_model
from windowner.tagging import parallel
from windowner.tagging.formats import FORMATS
from windowner.tagging.options import TagOptions
from windowner.tagging.segment import MAX_PIECE_CHARS
from windowner.tagging.stream import tag_file


def running_text(sentences: int) -> list[str]:
    """The first sentences of CoNLL-2003's dev file as running text, one a line."""
    lines = []
    for sentence in read_conll(CONLL / "valid.txt").sentences[:sentences]:
        line = " ".join(sentence.tokens)
        for mark in (" ,", " .", " 's", " n't", " )"):
            line = line.replace(mark, mark[1:])
        lines.append(line.replace("( ", "("))
    return lines


@pytest.fixture(scope="module")
def text(tmp_path_factory) -> Path:
    """Real sentences in paragraphs of up to 6 lines, blank lines between and some blank runs,
    one line too long to tag at once (written piece by piece), tabs and non-ASCII text."""
    lines = running_text(240)
    kept: list[str] = []
    for i, line in enumerate(lines):
        kept.append(line)
        if i % 6 == 5:
            kept.append("" if i % 4 else "\n")
    long_line = " ".join(lines[:400] * 2)
    assert len(long_line) > MAX_PIECE_CHARS
    kept[100:100] = [long_line, "Zürich\tand São Paulo — naïve Café owners in Köln."]
    path = tmp_path_factory.mktemp("text") / "news.txt"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model_path(trained) -> Path:
    return trained / "model.npz"


@pytest.fixture(scope="module")
def model(model_path):
    return load_model(model_path)


@pytest.fixture
def small_parts(monkeypatch):
    """Workers send their output in parts of 4,096 characters (the fork inherits the setting),
    so that a batch, and the long line, cross many parts."""
    monkeypatch.setattr(parallel, "PART_CHARS", 4096)


def tagged(model, source, out: Path, num_proc: int, **how) -> bytes:
    options = how.pop("options", TagOptions(batch_size=8))
    tag_file(model, str(source), out, options=options, num_proc=num_proc, **how)
    return out.read_bytes()


@pytest.mark.parametrize("unit", ["line", "paragraph", "document"])
@pytest.mark.parametrize("output_format", FORMATS)
def test_two_processes_write_what_one_writes_in_every_format_and_unit(
    model, text, tmp_path, small_parts, output_format, unit
):
    how = {"output_format": output_format, "unit": unit}
    one = tagged(model, text, tmp_path / "one", 1, **how)
    two = tagged(model, text, tmp_path / "two", 2, **how)
    assert two == one
    assert len(one) > 1000 and not multiprocessing.active_children()


@pytest.mark.parametrize(
    "output_format, options",
    [
        ("jsonl", TagOptions(batch_size=5, with_tokens=True, scheme="iobes")),
        ("conll", TagOptions("whitespace", batch_size=3, scheme="bilou")),
        ("slash", TagOptions("lines", decode="greedy", batch_size=7, scheme="iob1")),
        ("tsv", TagOptions(batch_size=1)),
    ],
    ids=["tokens-iobes", "pretokenized-bilou", "lines-greedy-iob1", "batch-1"],
)
def test_every_option_gives_the_same_bytes_on_three_processes(
    model, text, tmp_path, small_parts, output_format, options
):
    how = {"output_format": output_format, "options": options}
    one = tagged(model, text, tmp_path / "one", 1, **dict(how))
    three = tagged(model, text, tmp_path / "three", 3, **dict(how))
    assert three == one


def test_stdin_and_one_process_per_core_through_the_command(model_path, text, tmp_path):
    data = text.read_bytes()
    common = [str(BIN / "ner-tag"), str(model_path), "-", "--format", "conll", "--batch-size", "16"]
    one = subprocess.run(common, input=data, capture_output=True, timeout=60)
    per_core = subprocess.run([*common, "--num-proc", "0"], input=data, capture_output=True)
    assert one.returncode == per_core.returncode == 0, per_core.stderr
    assert per_core.stdout == one.stdout and b"B-PER" in one.stdout


def test_a_bad_line_comes_after_the_output_before_it_as_from_one_process(tiny_model_file, tmp_path):
    source = tmp_path / "bad.txt"
    lines = [f"Paris met New York on line {i} ." for i in range(300)]
    source.write_bytes("\n".join(lines[:230]).encode() + b"\nbad \xff byte\n" + b"more\n")
    common = [str(BIN / "ner-tag"), str(tiny_model_file), str(source), "--batch-size", "16"]
    one = subprocess.run(common, capture_output=True, timeout=60)
    two = subprocess.run([*common, "--num-proc", "2"], capture_output=True, timeout=60)
    assert one.returncode == two.returncode == 2
    assert two.stdout == one.stdout and one.stdout.count(b"\n") == 224  # 14 whole batches
    assert two.stderr == one.stderr == f"error: {source}:231: not valid UTF-8 text\n".encode()


def test_a_failing_worker_passes_its_error_on_and_no_worker_is_left(
    model, text, tmp_path, monkeypatch
):
    real = parallel.tagged_runs

    def failing(model, batch, options):
        if any("Zürich" in line for line in batch):
            raise UserError("a worker's own complaint")
        return real(model, batch, options)

    monkeypatch.setattr(parallel, "tagged_runs", failing)  # the forked workers inherit it
    out = tmp_path / "out.jsonl"
    with pytest.raises(UserError, match="a worker's own complaint"):
        tagged(model, text, out, 2)
    assert not out.exists() and not list(tmp_path.iterdir())
    assert not multiprocessing.active_children()
    # where there is no unnamed file (O_TMPFILE), the named temporary goes too
    monkeypatch.setattr(atomic, "_unnamed_file", lambda directory: None)
    with pytest.raises(UserError, match="a worker's own complaint"):
        tagged(model, text, out, 2)
    assert not list(tmp_path.iterdir())

    def broken(model, batch, options):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(parallel, "tagged_runs", broken)
    with pytest.raises(RuntimeError, match=r"(?s)worker process .* failed.*ZeroDivisionError"):
        tagged(model, text, out, 2)
    assert not multiprocessing.active_children()


def test_num_proc_outside_its_range_is_one_line(tiny_model_file, text):
    cores = len(os.sched_getaffinity(0))
    for value in ("-1", str(8 * cores + 1)):
        result = subprocess.run(
            [BIN / "ner-tag", tiny_model_file, text, "--num-proc", value],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == (
            f"error: --num-proc must be 0 (one per core) to {8 * cores} (8 per core on these "
            f"{cores}), got {value}\n"
        )


# --- failures, as a user meets them: process groups and signals ------------------------------


def children(pid: int) -> list[int]:
    """The processes `pid` has started (its workers), from /proc."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(child) for child in f.read().split()]


def running(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def start(model: Path, *args, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """ner-tag MODEL ARGS on 2 processes, in a process group of its own, stdin a pipe."""
    return subprocess.Popen(
        [BIN / "ner-tag", model, *args, "--num-proc", "2", "--batch-size", "16"],
        stdin=subprocess.PIPE,
        stdout=stdout,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=in_the_foreground,
    )


def in_the_foreground() -> None:
    """SIGINT as in a terminal's foreground job, even when the tests run in the background
    (`&` makes a job ignore SIGINT, and Python keeps an ignored SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


LINES = b"".join(b"Paris met New York on line %d .\n" % i for i in range(200))


def test_ctrl_c_leaves_no_output_no_temporary_and_no_worker(tiny_model_file, tmp_path):
    out = tmp_path / "out" / "tagged.jsonl"
    process = start(tiny_model_file, "-", "--output", out)
    wait_for(lambda: len(children(process.pid)) == 2)
    workers = children(process.pid)
    process.stdin.write(LINES)
    process.stdin.flush()  # batches tagged mid-run, the input still open
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr == b"error: interrupted\n"
    assert not out.exists() and not list(out.parent.iterdir())  # not even a temporary
    assert not any(running(worker) for worker in workers)


def test_a_killed_worker_is_one_error_line_and_nothing_kept(tiny_model_file, tmp_path):
    out = tmp_path / "tagged.conll"
    process = start(tiny_model_file, "-", "--format", "conll", "-o", out)
    wait_for(lambda: len(children(process.pid)) == 2)
    workers = children(process.pid)
    process.stdin.write(LINES[: len(LINES) // 2])
    process.stdin.flush()
    time.sleep(0.3)
    os.kill(workers[0], signal.SIGKILL)
    _, stderr = process.communicate(LINES, timeout=30)  # more batches: some go to the dead one
    assert process.returncode == 2
    assert stderr.decode() == (
        f"error: --num-proc: worker process {workers[0]} was killed by SIGKILL while tagging\n"
    )
    assert not list(tmp_path.iterdir())
    assert not any(running(worker) for worker in workers)


def input_position(pid: int, path: Path) -> int | None:
    """How far process `pid` has read the file `path` (its descriptor's offset); None before
    it opens it."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with_name = os.readlink(f"/proc/{pid}/fd/{fd}") if fd.isdigit() else ""
        if with_name == str(path):
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                return int(f.read().split("pos:")[1].split()[0])
    return None


def test_an_output_nobody_reads_holds_the_reading_back(tiny_model_file, tmp_path):
    """A slow writer (here: stdout a pipe nobody reads) stops the reading after a few batches
    per worker and what the pipes hold, however much input is left."""
    source = tmp_path / "big.txt"
    source.write_bytes(LINES * 150)  # 30,000 lines, 1.0 MB
    process = start(tiny_model_file, source, stdout=subprocess.PIPE)
    try:
        positions: list[int | None] = []

        def settled() -> bool:
            positions.append(input_position(process.pid, source))
            assert positions[-1] is not None or not any(positions), "read to the end"
            return len(positions) > 10 and None is not positions[-11] == positions[-1]

        wait_for(settled)
        workers = children(process.pid)
        # read ahead: the reader's 64 KiB chunk; the output pipe's 64 KiB hold about 1,000
        # lines of jsonl; each worker's 2 batches and its results pipe: a few hundred more
        assert 0 < positions[-1] < 200_000 < source.stat().st_size
        assert process.poll() is None and len(workers) == 2
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 130
    assert not any(running(worker) for worker in workers)
