"""How `ner-tag` writes tagged text: jsonl, conll, inline, slash, tsv or html.

Each formatter turns one TaggedText (one input unit) into the text of its output record(s);
`unit` is the unit's 1-based number in the input. Scores are written rounded to 4 decimals.

| format | one unit becomes                                                               |
| ------ | ------------------------------------------------------------------------------ |
| jsonl  | {"text", "entities": [{"start", "end", "label", "text", "score"}], "tokens"?}  |
| conll  | `token tag` lines, a blank line after each sentence (an empty unit: one blank) |
| inline | one line: `[PER Angela Merkel] met [LOC Paris] .`                               |
| slash  | one line: `Angela/B-PER Merkel/I-PER met/O Paris/B-LOC ./O`                      |
| tsv    | one row per entity: unit, start, end, label, text, score (after a header row)    |
| html   | a `<section>` with the entities marked, in one page (tagging/html.py)            |

A format may write something once before its first record and after its last (`header`,
`footer`): tsv's column names, html's document around the records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator

from windowner.choices import FORMATS
from windowner.data.tags import spans
from windowner.tagging import html
from windowner.tagging.options import TagOptions
from windowner.tagging.records import entity_records, rounded, token_records, written_tags
from windowner.tagging.results import TaggedText


def format_jsonl(tagged: TaggedText, unit: int, options: TagOptions) -> str:
    """One JSON object per unit, offsets indexing into its "text"; "tokens" with `with_tokens`."""
    record = {"text": tagged.text, "entities": entity_records(tagged)}
    if options.with_tokens:
        record["tokens"] = token_records(tagged, options)
    return _json_line(record)


def format_conll(tagged: TaggedText, unit: int, options: TagOptions) -> str:
    """`token tag` lines, a blank line after every sentence; a unit without tokens (a blank
    input line) is one blank line, so that every unit leaves a trace, as in the other formats."""
    if not tagged.sentences:
        return "\n"
    return "".join(
        "".join(
            f"{token.text} {tag}\n"
            for token, tag in zip(tokens, written_tags(tags, options), strict=True)
        )
        + "\n"
        for tokens, tags in zip(tagged.sentences, tagged.tags, strict=True)
    )


def format_inline(tagged: TaggedText, unit: int, options: TagOptions) -> str:
    """The unit's tokens on one line, entities bracketed: `[PER Angela Merkel] met [LOC Paris] .`"""
    words: list[str] = []
    for tokens, tags in zip(tagged.sentences, tagged.tags, strict=True):
        texts = [token.text for token in tokens]
        for span in reversed(spans(tags)):
            texts[span.start : span.end] = [
                f"[{span.label} " + " ".join(texts[span.start : span.end]) + "]"
            ]
        words += texts
    return " ".join(words) + "\n"


def format_slash(tagged: TaggedText, unit: int, options: TagOptions) -> str:
    """The unit's tokens on one line, each with its tag: `Angela/B-PER Merkel/I-PER met/O`."""
    return (
        " ".join(
            f"{token.text}/{tag}"
            for tokens, tags in zip(tagged.sentences, tagged.tags, strict=True)
            for token, tag in zip(tokens, written_tags(tags, options), strict=True)
        )
        + "\n"
    )


TSV_HEADER = "unit\tstart\tend\tlabel\ttext\tscore\n"


def format_tsv(tagged: TaggedText, unit: int, options: TagOptions) -> str:
    """One row per entity; in its text a tab, line break or backslash is escaped (\\t \\n \\\\)."""
    return "".join(
        f"{unit}\t{e.start}\t{e.end}\t{e.label}\t{_escape(e.text)}\t{rounded(e.score)}\n"
        for e in tagged.entities
    )


def format_html(tagged: TaggedText, unit: int, options: TagOptions) -> str:
    """One `<section>` per unit, entities as `<mark data-label=TYPE>` (see tagging/html.py)."""
    return html.record(tagged, unit)


Formatter = Callable[[TaggedText, int, TagOptions], str]

FORMATTERS: dict[str, Formatter] = {
    "jsonl": format_jsonl,
    "conll": format_conll,
    "inline": format_inline,
    "slash": format_slash,
    "tsv": format_tsv,
    "html": format_html,
}
assert tuple(FORMATTERS) == FORMATS, "windowner.choices.FORMATS and these must agree"


def header(output_format: str, labels: tuple[str, ...]) -> str:
    """What `output_format` writes before its first record ("" for most): tsv's column names,
    html's page head with a legend of the model's entity types `labels`."""
    if output_format == "tsv":
        return TSV_HEADER
    return html.header(labels) if output_format == "html" else ""


def footer(output_format: str) -> str:
    """What `output_format` writes after its last record ("" for most)."""
    return html.footer() if output_format == "html" else ""


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def long_record(
    pieces: Callable[[], Iterable[TaggedText]], unit: int, output_format: str, options
) -> Iterator[str]:
    """One record written piece by piece: the text the format's formatter gives for all the
    pieces' sentences at once, without holding them all (tagging/text.py's tag_pieces).

    `pieces()` returns a new iterator over the pieces, each a TaggedText of the whole text with
    one piece's sentences; jsonl with `with_tokens` goes over them twice (entities, then tokens).
    """
    if output_format == "jsonl":
        yield '{"text": ' + _json(_text_of(pieces())) + ', "entities": ['
        yield from _joined(_json(r) for piece in pieces() for r in entity_records(piece))
        if options.with_tokens:
            yield '], "tokens": ['
            yield from _joined(
                _json(sentence) for piece in pieces() for sentence in token_records(piece, options)
            )
        yield "]}\n"
    elif output_format in ("inline", "slash"):
        one_line = FORMATTERS[output_format]
        yield from _joined(
            (one_line(piece, unit, options)[:-1] for piece in pieces() if piece.sentences), " "
        )
        yield "\n"
    elif output_format == "conll":
        empty = True
        for piece in pieces():
            if piece.sentences:
                empty = False
                yield format_conll(piece, unit, options)
        if empty:
            yield "\n"
    elif output_format == "tsv":
        for piece in pieces():
            yield format_tsv(piece, unit, options)
    else:  # html: the text between entities, then the entity, piece after piece
        yield f'<section class="record" data-unit="{unit}">'
        at, text = 0, ""
        for piece in pieces():
            text = piece.text
            for e in piece.entities:
                yield html.escape(text[at : e.start])
                yield html.entity(e.text, e.label, f"{e.label} {e.score:.3f}")
                at = e.end
        yield html.escape(text[at:]) + "</section>\n"


def _text_of(pieces: Iterable[TaggedText]) -> str:
    for piece in pieces:
        return piece.text
    return ""


def _joined(parts: Iterable[str], separator: str = ", ") -> Iterator[str]:
    """`separator.join(parts)`, yielded part by part."""
    for i, part in enumerate(parts):
        yield separator + part if i else part


def _json_line(record: dict) -> str:
    """`record` as one line of JSON, UTF-8 kept; U+2028, U+2029 and U+0085 are escaped so that
    readers splitting on every Unicode line break (str.splitlines) still see one line."""
    return _json(record) + "\n"


def _json(value) -> str:
    """`value` as JSON on one line, UTF-8 kept and U+2028, U+2029 and U+0085 escaped."""
    line = _ENCODER.encode(value)
    for char in _UNICODE_BREAKS:
        if char in line:
            line = line.replace(char, f"\\u{ord(char):04x}")
    return line


_UNICODE_BREAKS = ("\u2028", "\u2029", "\x85")
# json.dumps(value, ensure_ascii=False) builds this same encoder on every call (any argument
# but the defaults does); one made once writes the same text.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)
