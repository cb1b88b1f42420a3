"""Read CoNLL-style NER files: one token per line, token first and tag last by default, blank
lines between sentences, `-DOCSTART-` lines between documents.

Tags may be written in IOB1, IOB2, IOBES, BILOU or IO; the scheme is detected from the whole file
(or given) and every sentence is stored in IOB2 (see windowner.data.tags).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from windowner.choices import DELIMITERS, listed, quoted
from windowner.data.bounded import STDIN, decoded_lines
from windowner.data.tags import (
    SchemeError,
    detect_scheme,
    parse_tag,
    resolve_scheme,
    spans,
    to_iob2,
)
from windowner.errors import UserError

DOCSTART = "-DOCSTART-"
# --delimiter names (choices.DELIMITERS) -> str.split's separator (None: any run of whitespace).
_SEPARATORS = {"whitespace": None, "tab": "\t"}
assert tuple(_SEPARATORS) == DELIMITERS, "windowner.choices.DELIMITERS and these must agree"
# Columns are split at runs of spaces and tabs only: other whitespace (a no-break space) is text.
_SPACES = re.compile(r"[ \t]+")
# Characters no CoNLL text holds: C0/C1 controls except tab, DEL and the Unicode line breaks.
# A NUL means a binary file; the others would be read as column or line breaks by some tools.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# No CoNLL line (a token and its columns) is longer than this: past it the file is not CoNLL
# (an endless line of text), and reading stops there rather than hold more. A 10 MB token is
# still read (tests/cli/test_bad_input.py).
MAX_LINE_BYTES = 32 << 20


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: tokens and their IOB2 tags (whatever scheme the file was written in)."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    # Which document of its file it is in (-DOCSTART- lines separate them): where it stands, not
    # what it says, so two sentences of the same tokens and tags are equal wherever they stand.
    document: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Corpus:
    """The sentences of one file, in file order, and the tag scheme the file was written in."""

    path: str
    sentences: list[Sentence]
    documents: int
    scheme: str = "iob2"

    @property
    def tokens(self) -> int:
        return sum(len(s.tokens) for s in self.sentences)

    def entity_counts(self) -> dict[str, int]:
        """Entities per type, as conlleval would chunk them."""
        counts: dict[str, int] = {}
        for sentence in self.sentences:
            for span in spans(sentence.tags):
                counts[span.label] = counts.get(span.label, 0) + 1
        return dict(sorted(counts.items()))

    def summary(self) -> str:
        entities = ", ".join(f"{t} {n:,}" for t, n in self.entity_counts().items())
        return (
            f"{self.path}: {len(self.sentences):,} sentences, {self.tokens:,} tokens, "
            f"{self.documents:,} documents; entities {entities or 'none'}; "
            f"tags {self.scheme.upper()}"
        )


def read_conll(
    path: str | Path,
    *,
    columns: tuple[int, int] | None = None,
    delimiter: str | None = None,
    scheme: str | None = None,
) -> Corpus:
    """Parse a CoNLL file ('-': stdin); every problem is a UserError naming the file and line.

    `columns` is (token, tag), 0-based, negative from the end; default (0, -1). `delimiter` is
    "whitespace" (the default: any run of spaces or tabs) or "tab" (tokens may hold spaces).
    `scheme` forces a tag scheme; by default it is detected from the whole file. Accepts CRLF
    line ends, a UTF-8 byte-order mark, several or whitespace-only blank lines, `-DOCSTART-`
    lines with or without a blank line after them and a missing final newline; `#` is a token.
    Columns are split at spaces and tabs only, so a no-break space stays inside its field; a
    NUL byte or another control character is an error (a binary or damaged file).
    """
    token_column, tag_column = (0, -1) if columns is None else columns
    separator = resolve_delimiter(delimiter)
    forced = resolve_scheme_option(scheme)
    lines = _lines(path)
    path = STDIN if str(path) == "-" else path  # its name in errors and the corpus
    raw: list[tuple[tuple[str, ...], list[str]]] = []
    first_line: dict[str, int] = {}  # each distinct tag -> the line it first appears on
    tokens: list[str] = []
    tags: list[str] = []
    documents = 0
    columns_seen = None  # the column count of the first token line; every line must agree

    document_of: list[int] = []  # each sentence's document

    def close_sentence() -> None:
        if tokens:
            document_of.append(max(documents - 1, 0))
            raw.append((tuple(tokens), tags.copy()))
            tokens.clear()
            tags.clear()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            close_sentence()
            continue
        fields = _split(line, separator)
        if fields[0] == DOCSTART or line.split()[0] == DOCSTART:
            close_sentence()
            if documents == 0 and raw:
                documents = 1  # the sentences before the first -DOCSTART- are a document too
            documents += 1
            continue
        if len(fields) < 2:
            hint = " (--delimiter tab: columns are separated by tabs)" if separator else ""
            raise UserError(
                f"expected 'token ... tag', got {len(fields)} column{hint}", path, number
            )
        if columns_seen is None:
            columns_seen = len(fields)
            _check_columns(token_column, tag_column, columns_seen, path, number)
        elif len(fields) != columns_seen:
            raise UserError(
                f"expected {columns_seen} columns like the lines before, got {len(fields)}",
                path,
                number,
            )
        token, tag = fields[token_column], fields[tag_column]
        if not token.strip():
            raise UserError(f"empty token in column {token_column}", path, number)
        first_line.setdefault(tag, number)
        tokens.append(token)
        tags.append(tag)
    close_sentence()
    if not raw:
        raise UserError("no sentences found (is this a CoNLL file?)", path)

    def error_at(message: str, tag: str) -> UserError:
        return UserError(message, path, first_line.get(tag))

    return build_corpus(str(path), raw, max(documents, 1), forced, error_at, document_of)


def build_corpus(
    path: str,
    raw: Sequence[tuple[Sequence[str], Sequence[str]]],
    documents: int,
    scheme: str | None,
    error_at: Callable[[str, str], UserError],
    document_of: Sequence[int] | None = None,
) -> Corpus:
    """Sentences of (tokens, raw tags) -> a Corpus in IOB2; the scheme is detected if None.

    `error_at(message, tag)` makes the UserError for a bad tag, pointing at where it occurs.
    `document_of[i]` is sentence i's document; None: each sentence is its own document (a
    dataset row, which carries no document boundaries).
    """
    if scheme is None:
        try:
            scheme = detect_scheme(tags for _, tags in raw)
        except SchemeError as error:
            raise error_at(str(error), error.tag) from None
    for tag in sorted({tag for _, tags in raw for tag in tags}):
        try:
            parse_tag(tag, scheme)
        except ValueError as error:
            raise error_at(f"{error} ({scheme.upper()} tags)", tag) from None
    if document_of is None:
        document_of = range(len(raw))
    sentences = [
        Sentence(tuple(tokens), tuple(to_iob2(tags, scheme)), document)
        for (tokens, tags), document in zip(raw, document_of, strict=True)
    ]
    return Corpus(path, sentences, documents, scheme)


def resolve_delimiter(name: str | None) -> str | None:
    """'whitespace' (or None) -> None, 'tab' (or a tab character) -> '\\t'; else UserError."""
    if name is None or name == "\t":
        return name
    if name.lower() not in _SEPARATORS:
        raise UserError(f"unknown delimiter {quoted(name)}: expected {listed(DELIMITERS)}")
    return _SEPARATORS[name.lower()]


def resolve_scheme_option(name: str | None) -> str | None:
    """--scheme: None or 'auto' -> None (detect), else the canonical scheme; else UserError."""
    if name is None or name.lower() == "auto":
        return None
    try:
        return resolve_scheme(name)
    except ValueError as error:
        raise UserError(str(error)) from None


def _check_columns(token: int, tag: int, count: int, path: str | Path, line: int) -> None:
    for name, column in (("token", token), ("tag", tag)):
        if not -count <= column < count:
            raise UserError(
                f"{name} column {column} asked for, but the lines have {count} columns "
                f"(0 to {count - 1})",
                path,
                line,
            )


def _lines(path: str | Path) -> Iterator[str]:
    """The file's lines, read in bounded pieces (data/bounded.py); a line that is not CoNLL
    text (a control character) is an error naming it."""
    lines = decoded_lines(path, "a CoNLL file", max_line=MAX_LINE_BYTES)
    for number, line in enumerate(lines, start=1):
        control = _CONTROL.search(line)
        if control is not None:
            code = f"U+{ord(control.group()):04X}"
            raise UserError(f"control character {code}: not CoNLL text", path, number)
        yield line


def _split(line: str, separator: str | None) -> list[str]:
    """A line's fields: split at runs of spaces and tabs, or at each tab (fields stripped)."""
    if separator is not None:
        return [field.strip(" ") for field in line.split(separator)]
    if line.isascii():
        return line.split()  # the same split, faster
    return _SPACES.split(line.strip(" \t"))
