"""Read raw text line by line from a file or stdin, with user errors for bad bytes."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from windowner.errors import UserError


def read_lines(source: str) -> Iterator[str]:
    """Yield each line of `source` ('-' for stdin) without its line ending.

    UTF-8 with an optional byte-order mark; CRLF and LF line ends. Invalid UTF-8 stops with a
    UserError naming the line. The file is opened before the first line is asked for, so a
    missing file is reported at once.
    """
    name = "<stdin>" if source == "-" else source
    if source == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed by the generator below
        except FileNotFoundError:
            raise UserError("no such file", source) from None
        except IsADirectoryError:
            raise UserError("is a directory, expected a text file", source) from None
        except OSError as error:
            raise UserError(f"cannot read: {error.strerror}", source) from None
    return _decoded(stream, name, close=source != "-")


def _decoded(stream, name: str, close: bool) -> Iterator[str]:
    try:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                raise UserError("not valid UTF-8 text", name, number) from None
    finally:
        if close:
            stream.close()
