"""Read raw text from a file or stdin as units: lines, paragraphs or whole documents.

One unit becomes one output record of `ner-tag`, and entity offsets index into its text. Lines
are read in bounded pieces (data/bounded.py) and decoded one at a time, so a bad byte is
reported with its line number, and memory stays bounded by the longest unit, not by the file;
a unit longer than MAX_UNIT is refused, so memory is bounded whatever the input.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import sys
from collections.abc import Iterator

from windowner.choices import UNITS, quoted
from windowner.data.bounded import CHUNK, NUL_MESSAGE, bounded_lines
from windowner.errors import UserError, reading

_UTF8_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")
# The longest unit ner-tag tags: a line of more bytes, or a paragraph or document of more
# characters, is refused. The record is held whole (its jsonl "text" comes before its
# entities), a few times over while it is decoded, tagged and written.
MAX_UNIT = 64 << 20
_TOO_LONG = "ner-tag tags units of at most 64 MiB, each held in memory"
_CR_BEFORE_LF = re.compile(r"\r+\n")
_CODEC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Codecs whose text never holds a lone surrogate and whose LF is the byte 0x0A: a document in
# one is read whole lines at a time (TextReader._document), others line by line.
_WHOLE_LINE_CODECS = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252", "latin-1"})


class TextReader:
    """The units of one text source ('-' for stdin), read lazily in input order.

    `unit` is "line" (every line, blank ones included, as one record), "paragraph" (the text
    between blank lines, its lines joined by "\\n") or "document" (the whole input as one
    record). Line ends (LF or CRLF) are not part of a unit; a UTF-8 byte-order mark is dropped.
    `bytes_read` and `size` (None for a pipe) let a caller show progress.
    The file is opened here, so a missing file is reported before any work starts.
    """

    def __init__(self, source: str, unit: str = "line", encoding: str = "utf-8"):
        if unit not in UNITS:
            raise UserError(f"unknown --unit {quoted(unit)}; choose from {', '.join(UNITS)}")
        self.encoding = text_encoding(encoding)
        self.unit = unit
        self.name = "<stdin>" if source == "-" else source
        self.bytes_read = 0
        self.size: int | None = None
        if source == "-":
            self._stream, self._close = sys.stdin.buffer, False
        else:
            with reading(source, "a text file"):
                self._stream, self._close = open(source, "rb"), True  # noqa: SIM115
        try:
            status = os.fstat(self._stream.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):  # a stream without a file
            status = None
        if status is not None and stat.S_ISREG(status.st_mode):
            self.size = status.st_size

    def __iter__(self) -> Iterator[str]:
        lines = self._lines()
        try:
            if self.unit == "line":
                yield from lines
            elif self.unit == "paragraph":
                yield from paragraphs(self._capped(lines, per_paragraph=True))
            elif codecs.lookup(self.encoding).name in _WHOLE_LINE_CODECS:
                yield self._document()
            else:
                document = io.StringIO()  # not "\n".join: a list of short lines holds more
                for number, line in enumerate(self._capped(lines, per_paragraph=False)):
                    if number:
                        document.write("\n")
                    document.write(line)
                yield document.getvalue()
        finally:
            if self._close:
                self._stream.close()

    def _document(self) -> str:
        """The whole input as one record, read CHUNK bytes at a time and decoded a run of whole
        lines at once: what joining _lines() with "\\n" gives (each line's trailing CRs dropped
        with its LF), with the same errors at the same lines, but no Python step per line (a
        million blank lines take milliseconds instead of seconds)."""
        document = io.StringIO()
        newlines = size = 0  # lines decoded so far; characters kept so far
        held = ""  # CRs at the end of the text so far: dropped if an LF follows
        line: list[bytes] = []  # the bytes of the line not yet ended by an LF
        line_bytes = 0
        first = True  # the first decoded run starts the input: a BOM there is dropped

        def write(text: str) -> None:
            nonlocal held, size, first
            if first and text.startswith("\ufeff") and self.encoding.startswith("utf-8"):
                text = text[1:]
            first = False
            text = _CR_BEFORE_LF.sub("\n", held + text)
            kept = text.rstrip("\r")
            held = text[len(kept) :]
            size += len(kept)
            if size >= MAX_UNIT:
                message = f"a document longer than {MAX_UNIT:,} characters: {_TOO_LONG}"
                raise UserError(message, self.name)
            document.write(kept)

        while chunk := self._stream.read(CHUNK):
            self.bytes_read += len(chunk)
            nul = chunk.find(b"\0")
            end = chunk.rfind(b"\n", 0, len(chunk) if nul < 0 else nul) + 1  # whole lines
            if end:
                write(self._decoded(b"".join([*line, chunk[:end]]), newlines))
                newlines += chunk.count(b"\n", 0, end)
                line, line_bytes = [], 0
            if nul >= 0:  # found on its line before that line is decoded, as _lines() does
                raise UserError(NUL_MESSAGE, self.name, newlines + 1)
            line.append(chunk[end:])
            line_bytes += len(chunk) - end
            if line_bytes > MAX_UNIT:
                message = f"a line longer than {MAX_UNIT:,} bytes: {_TOO_LONG}"
                raise UserError(message, self.name, newlines + 1)
        write(self._decoded(b"".join(line), newlines))
        text = document.getvalue() + held
        return text[:-1] if text.endswith("\n") else text.rstrip("\r")

    def _decoded(self, data: bytes, newlines: int) -> str:
        """`data`, whole lines, decoded; an error names its line (`newlines` came before)."""
        try:
            return data.decode(self.encoding)
        except UnicodeError as error:  # UnicodeDecodeError, or a codec's own (punycode)
            line = newlines + data.count(b"\n", 0, getattr(error, "start", 0)) + 1
            raise UserError(f"not valid {_label(self.encoding)} text", self.name, line) from None

    def _lines(self) -> Iterator[str]:
        """Each line without its line end, decoded; a decoding error names the line."""
        if not _ascii_compatible(self.encoding):  # UTF-16 and -32: lines are not byte lines
            yield from self._wide_lines()
            return
        encoding = self.encoding
        raws = bounded_lines(self._stream, self.name, max_line=MAX_UNIT, too_long=_TOO_LONG)
        for number, raw in enumerate(raws, start=1):
            self.bytes_read += len(raw)
            if number == 1 and raw.startswith(_UTF8_BOM) and encoding.startswith("utf-8"):
                raw = raw[3:]
            try:
                line = raw.decode(encoding).rstrip("\r\n")
            except UnicodeError:  # UnicodeDecodeError, or a codec's own (punycode)
                raise UserError(f"not valid {_label(encoding)} text", self.name, number) from None
            yield self._checked(line, number)

    def _wide_lines(self) -> Iterator[str]:
        """Lines of an encoding whose newline is not one byte; an error names the line after
        the last good one (the decoder reads ahead, so it is approximate)."""
        text = io.TextIOWrapper(self._stream, encoding=self.encoding, newline=None)
        seekable = self._stream.seekable()
        number = 0
        try:
            while line := self._wide_line(text, number + 1):
                number += 1
                if seekable:
                    self.bytes_read = self._stream.tell()
                yield self._checked(line.rstrip("\n"), number)
        except UnicodeError:
            message = f"not valid {_label(self.encoding)} text"
            raise UserError(message, self.name, number + 1) from None
        finally:
            text.detach()

    def _wide_line(self, text: io.TextIOWrapper, number: int) -> str:
        """The next line of `text` (with its line end; "" at the end), read CHUNK characters
        at a time: a U+0000 (zeros, not text) or more than MAX_UNIT characters is an error."""
        parts: list[str] = []
        size = 0
        while part := text.readline(CHUNK):
            if "\0" in part:
                raise UserError(NUL_MESSAGE.replace("byte", "character"), self.name, number)
            parts.append(part)
            size += len(part)
            if size > MAX_UNIT:
                message = f"a line longer than {MAX_UNIT:,} characters: {_TOO_LONG}"
                raise UserError(message, self.name, number)
            if part.endswith("\n"):
                break
        return "".join(parts)

    def _capped(self, lines: Iterator[str], per_paragraph: bool) -> Iterator[str]:
        """`lines`, refused once the unit they make (the paragraph, with `per_paragraph`, else
        the document) holds more than MAX_UNIT characters."""
        size = 0
        for line in lines:
            if per_paragraph and not line.strip():
                size = 0
            size += len(line) + 1
            if size > MAX_UNIT:
                message = f"a {self.unit} longer than {MAX_UNIT:,} characters: {_TOO_LONG}"
                raise UserError(message, self.name)
            yield line

    def _checked(self, line: str, number: int) -> str:
        """`line`, unless it holds a lone surrogate (utf-7 and unicode_escape can decode to
        one): that is no text, and nothing could write it out again."""
        surrogate = _SURROGATE.search(line)
        if surrogate:
            message = (
                f"decodes ({_label(self.encoding)}) to a lone surrogate "
                f"U+{ord(surrogate[0]):04X}, which is not text"
            )
            raise UserError(message, self.name, number)
        return line


def text_encoding(name: str) -> str:
    """The codec name of `name`, if it decodes bytes into text; else a UserError.

    Python's codec registry also holds bytes-to-bytes codecs (base64, zlib, rot13's str-to-str)
    and 'undefined', which refuses everything: none can read a text file.
    """
    # codecs.lookup reads any run of other characters as "_": "utf\x158" would be UTF-8
    if not _CODEC_NAME.fullmatch(name):
        raise UserError(f"unknown --encoding {quoted(name)}")
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise UserError(f"unknown --encoding {quoted(name)}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise UserError(
            f"--encoding {quoted(name)} is not a text encoding: it does not decode bytes"
        )
    try:
        "a\n".encode(info.name)
    except UnicodeError:
        raise UserError(f"--encoding {quoted(name)} cannot encode or decode any text") from None
    return info.name


def paragraphs(lines: Iterator[str]) -> Iterator[str]:
    """Join runs of non-blank lines with "\\n"; blank (or whitespace-only) lines separate them.

    A paragraph is gathered in a StringIO, not a list of its lines, so that its memory is its
    characters' (a list of a million short lines holds tens of bytes per line more).
    """
    current: io.StringIO | None = None
    for line in lines:
        if line.strip():
            if current is None:
                current = io.StringIO()
            else:
                current.write("\n")
            current.write(line)
        elif current is not None:
            yield current.getvalue()
            current = None
    if current is not None:
        yield current.getvalue()


def _ascii_compatible(encoding: str) -> bool:
    """Whether every line of the encoding ends in the byte b"\\n" (UTF-8, Latin-1, cp1252...)."""
    return "a\n".encode(encoding) == b"a\n"


def _label(encoding: str) -> str:
    return "UTF-8" if encoding == "utf-8" else encoding
