"""Endless or binary input (/dev/zero, /dev/urandom, a pipe fed forever) given to every reader
of text: each command stops at the first sign it is not text, with one `error:` line and exit 2,
under a 2 GiB memory limit and a timeout (data/bounded.py)."""

from __future__ import annotations

import io
import os
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT, one_error_line, run_limited
from windowner.data.bounded import bounded_lines, decoded_lines
from windowner.errors import UserError

EXAMPLES = ROOT / "examples"


def feed_forever(fifo: Path, block: bytes) -> threading.Thread:
    """A thread writing `block` into the FIFO until its reader goes away."""

    def feed() -> None:
        try:
            with open(fifo, "wb") as f:
                while True:
                    f.write(block)
        except (BrokenPipeError, OSError):
            return

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


@pytest.fixture(params=["zero", "urandom", "fifo-binary", "fifo-endless-line"])
def endless(request, tmp_path):
    """An input that never ends: /dev/zero, /dev/urandom, a FIFO fed random bytes forever, or a
    FIFO fed one line of text that never ends."""
    if request.param in ("zero", "urandom"):
        yield Path(f"/dev/{request.param}")
        return
    fifo = tmp_path / "endless.fifo"
    os.mkfifo(fifo)
    block = os.urandom(1 << 16) if request.param == "fifo-binary" else b"word " * 10_000
    thread = feed_forever(fifo, block)
    yield fifo
    if thread.is_alive():  # the command failed before opening it: open it to free the writer
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)


@pytest.mark.parametrize(
    "command",
    [
        (
            "ner-train",
            "--train",
            "{}",
            "--dev",
            EXAMPLES / "dev.txt",
            "--vectors",
            EXAMPLES / "vectors.txt",
            "--out",
            "{out}",
        ),
        ("ner-train", "--config", "{}", "--out", "{out}"),
        ("ner-eval", "{model}", "{}"),
        ("ner-vectors", "eval", "--vectors", EXAMPLES / "vectors.txt", "--analogies", "{}"),
        ("ner-vectors", "eval", "--vectors", EXAMPLES / "vectors.txt", "--wordsim", "{}"),
        ("ner-tag", "{model}", "{}"),
        ("ner-tag", "{model}", "{}", "--unit", "paragraph"),
        ("ner-tag", "{model}", "{}", "--unit", "document"),
    ],
    ids=lambda c: " ".join(str(a) for a in c[:2] if not str(a).startswith("{")),
)
def test_endless_input_is_one_error_in_bounded_memory(command, endless, tiny_model_file, tmp_path):
    args = [
        str(a).format(endless, model=tiny_model_file, out=tmp_path / "out") for a in command[1:]
    ]
    line = one_error_line(run_limited(command[0], *args))
    assert str(endless) in line, line  # the first sign, often a NUL byte or a bad byte


def test_a_pipe_fed_lines_forever_is_refused_in_a_document(tmp_path, tiny_model_file):
    fifo = tmp_path / "lines.fifo"
    os.mkfifo(fifo)
    # lines of a thousand words, forever: the document grows past its bound within seconds (one
    # short line at a time it takes a minute: the per-line cost, not the bound, is then tested)
    feed_forever(fifo, (b"word " * 1000 + b"\n") * 100)
    line = one_error_line(run_limited("ner-tag", tiny_model_file, fifo, "--unit", "document"))
    assert "a document longer than" in line


def test_bounded_lines_are_the_stream_s_lines():
    data = b"a\r\nbb\n\nccc" + b"x" * 200_000 + b"\nlast"
    assert list(bounded_lines(io.BytesIO(data), "f")) == list(io.BytesIO(data))
    with pytest.raises(UserError, match=r"f:2: a line longer than 10 bytes: not a list"):
        list(
            bounded_lines(io.BytesIO(b"ok\n" + b"y" * 100), "f", max_line=10, too_long="not a list")
        )
    with pytest.raises(UserError, match=r"f:3: a NUL byte"):
        list(bounded_lines(io.BytesIO(b"a\nb\nc\0"), "f"))


def test_decoded_lines_end_at_lf_crlf_and_cr(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"\xef\xbb\xbfa\r\nb\rc\n\nd")
    assert list(decoded_lines(path, "a list", max_line=100)) == ["a", "b", "c", "", "d"]
    path.write_bytes(b"a\nb\n\xff\n")
    with pytest.raises(UserError, match=r"f.txt:3: not valid UTF-8 text"):
        list(decoded_lines(path, "a list", max_line=100))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q", "-n", "0"]))
