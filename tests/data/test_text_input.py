"""TextReader's whole-document path against its line-by-line one: the same record, or the same
error at the same line, for hostile bytes cut into chunks of every small size."""

from __future__ import annotations

import io
import random

import pytest

from windowner.data import text_input
from windowner.data.text_input import TextReader, text_encoding
from windowner.errors import UserError

PIECES = (b"a", b"b ", b"\n", b"\r", b"\r\n", b"\n\n", b"\xc3\xa9", b"\xe2\x82\xac",
          b"\xef\xbb\xbf", b"\xff", b"\x00", b"\xc3", b"   ")  # fmt: skip


def _reader(data: bytes, encoding: str) -> TextReader:
    reader = TextReader.__new__(TextReader)  # a stream of bytes in memory, no file
    reader.encoding, reader.unit, reader.name = text_encoding(encoding), "document", "f"
    reader.bytes_read, reader.size = 0, None
    reader._stream, reader._close = io.BytesIO(data), False
    return reader


def _outcome(read) -> str | tuple[str, str]:
    try:
        return read()
    except UserError as error:
        return "error", str(error)


@pytest.mark.parametrize("seed", range(3))
def test_the_document_read_whole_lines_at_a_time_is_the_lines_joined(seed, monkeypatch):
    rng = random.Random(seed)
    for _ in range(1500):
        monkeypatch.setattr(text_input, "CHUNK", rng.choice([1, 2, 3, 5, 8, 64]))
        data = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        encoding = rng.choice(["utf-8", "latin-1", "cp1252", "ascii"])
        by_lines = _reader(data, encoding)
        joined = _outcome(lambda r=by_lines: "\n".join(r._capped(r._lines(), False)))
        whole = _outcome(_reader(data, encoding)._document)
        assert whole == joined, (data, encoding, text_input.CHUNK)


def test_a_document_of_a_million_blank_lines_is_its_line_breaks(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_bytes(b"\r\n" * 1_000_000)
    (document,) = TextReader(str(path), "document")
    assert document == "\n" * 999_999


@pytest.mark.parametrize("name", ["utf\x158", "utf 8", "", "utf-8\n", "lat\u00efn-1"])
def test_an_encoding_is_named_as_a_codec_is_not_as_the_registry_would_normalise_it(name):
    """codecs.lookup reads a run of other characters as "_", so "utf\\x158" would be UTF-8."""
    with pytest.raises(UserError, match="unknown --encoding"):
        text_encoding(name)
