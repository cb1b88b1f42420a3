"""Read a text input in bounded pieces, stopping at the first sign that it is not text.

Every reader of a user's text file goes through `bounded_lines`: CoNLL data (data/conll.py), a
config (config.py), word-pair and analogy lists (evaluation/word_lists.py) and `ner-tag`'s input
(data/text_input.py). It reads at most CHUNK bytes at a time and stops at the first NUL byte
(no text holds one) and at the first line longer than the reader's bound, so /dev/zero,
/dev/urandom or a pipe fed binary forever end in one error naming the line, in bounded memory
and time, instead of in a MemoryError. `decoded_lines` adds UTF-8 decoding, line by line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from windowner.errors import UserError, reading

CHUNK = 1 << 16  # bytes read at a time
NUL_MESSAGE = "a NUL byte: a binary file, or text not in UTF-8 (UTF-16?)"
_UTF8_BOM = b"\xef\xbb\xbf"
STDIN = "<stdin>"  # the name of '-' in errors


def open_binary(source: str | Path, expected: str) -> BinaryIO:
    """`source` opened for reading bytes ('-': stdin, which the caller must not close);
    a missing file or a folder is a UserError saying what was `expected`."""
    if str(source) == "-":
        return sys.stdin.buffer
    with reading(source, expected):
        return open(source, "rb")  # the caller closes it


def bounded_lines(
    stream: BinaryIO,
    name: str | Path,
    *,
    max_line: int | None = None,
    too_long: str = "not text",
    nul: bool = True,
) -> Iterator[bytes]:
    """The lines of `stream` as `for line in stream` gives them (line end kept), read at most
    CHUNK bytes at a time.

    A line longer than `max_line` bytes (None: no bound) is a UserError naming it, ending in
    `too_long`, raised as soon as that many bytes are read; so is a NUL byte
    (unless `nul` is False: UTF-16 and UTF-32 text is full of them), as soon as its chunk is
    read. `name` is the input's name in the errors.
    """
    number = 0
    while True:
        number += 1
        parts: list[bytes] = []
        size = 0
        while True:
            part = stream.readline(CHUNK)
            if not part:
                break
            if nul and b"\0" in part:
                raise UserError(NUL_MESSAGE, name, number)
            parts.append(part)
            size += len(part)
            if max_line is not None and size > max_line:
                raise UserError(f"a line longer than {max_line:,} bytes: {too_long}", name, number)
            if part.endswith(b"\n"):
                break
        if not parts:
            return
        yield parts[0] if len(parts) == 1 else b"".join(parts)


def decoded_lines(
    source: str | Path,
    expected: str,
    *,
    max_line: int | None,
    max_bytes: int | None = None,
    universal: bool = True,
    keep_ends: bool = False,
) -> Iterator[str]:
    """The UTF-8 lines of the file `source` ('-': stdin) without their line ends, a leading
    byte-order mark dropped, read through bounded_lines (`expected` says what the file is, e.g.
    "a CoNLL file").

    `universal`: CRLF and a lone CR end a line too, as LF does (a lone CR is otherwise kept in
    its line); `keep_ends` keeps every line's end as it is. Bytes that are not UTF-8, and an
    input longer than `max_bytes` in all, are UserErrors naming the line. Line numbers count
    every line end.
    """
    stream = open_binary(source, expected)
    source = STDIN if str(source) == "-" else source
    number = total = 0
    try:
        with reading(source, expected):
            for raw in bounded_lines(stream, source, max_line=max_line, too_long=f"not {expected}"):
                total += len(raw)
                if max_bytes is not None and total > max_bytes:
                    raise UserError(
                        f"longer than {max_bytes:,} bytes: not {expected}", source, number + 1
                    )
                if number == 0 and raw.startswith(_UTF8_BOM):
                    raw = raw[len(_UTF8_BOM) :]
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise UserError("not valid UTF-8 text", source, number + 1) from None
                if keep_ends:
                    number += 1
                    yield line
                    continue
                line = line[:-1] if line.endswith("\n") else line
                if universal:
                    line = line[:-1] if line.endswith("\r") else line
                    for part in line.split("\r"):
                        number += 1
                        yield part
                else:
                    number += 1
                    yield line
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def read_text(source: str | Path, expected: str, *, max_bytes: int) -> str:
    """The whole UTF-8 text of a small file (a config), line ends as they are, read in bounded
    pieces: a file of more than `max_bytes` bytes is refused as soon as it is read that far."""
    lines = decoded_lines(source, expected, max_line=max_bytes, max_bytes=max_bytes, keep_ends=True)
    return "".join(lines)
