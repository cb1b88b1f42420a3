"""Read CoNLL-style NER files: one token per line, token first and tag last, blank lines between
sentences, `-DOCSTART-` lines between documents."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from windowner.errors import UserError
from windowner.tags import parse_tag, spans, to_iob2

DOCSTART = "-DOCSTART-"


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: tokens and their IOB2 tags (whatever scheme the file was written in)."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Corpus:
    """The sentences of one file, in file order."""

    path: str
    sentences: list[Sentence]
    documents: int

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
            f"{self.documents:,} documents; entities {entities or 'none'}"
        )


def read_conll(path: str | Path) -> Corpus:
    """Parse a CoNLL file; every problem is a UserError naming the file and line.

    Accepts IOB1 and IOB2 tags (converted to IOB2), any whitespace between columns, CRLF line
    ends, a UTF-8 byte-order mark and a missing final newline.
    """
    text = _read_text(path)
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    documents = 0
    columns = None  # the column count of the first token line; every line must agree

    def close_sentence() -> None:
        if tokens:
            sentences.append(Sentence(tuple(tokens), tuple(to_iob2(tags))))
            tokens.clear()
            tags.clear()

    for number, line in enumerate(text.split("\n"), start=1):
        fields = line.split()
        if not fields:
            close_sentence()
            continue
        if fields[0] == DOCSTART:
            close_sentence()
            documents += 1
            continue
        if len(fields) < 2:
            raise UserError(f"expected 'token ... tag', got {len(fields)} column", path, number)
        if columns is None:
            columns = len(fields)
        elif len(fields) != columns:
            raise UserError(
                f"expected {columns} columns like the lines before, got {len(fields)}", path, number
            )
        try:
            parse_tag(fields[-1])
        except ValueError as error:
            raise UserError(str(error), path, number) from None
        tokens.append(fields[0])
        tags.append(fields[-1])
    close_sentence()
    if not sentences:
        raise UserError("no sentences found (is this a CoNLL file?)", path)
    return Corpus(str(path), sentences, max(documents, 1))


def _read_text(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError("no such file", path) from None
    except IsADirectoryError:
        raise UserError("is a directory, expected a CoNLL file", path) from None
    except OSError as error:
        raise UserError(f"cannot read: {error.strerror}", path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UserError("not valid UTF-8 text", path, line) from None
    return text.replace("\r", "")
