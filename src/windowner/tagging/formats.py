"""How `ner-tag` writes tagged text: jsonl, conll, inline, slash, tsv or html.

Each formatter turns one TaggedText (one input unit) into the text of its output record(s);
`unit` is the unit's 1-based number in the input. Scores are written rounded to 4 decimals.

| format | one unit becomes                                                               |
| ------ | ------------------------------------------------------------------------------ |
| jsonl  | {"text", "entities": [{"start", "end", "label", "text", "score"}], "tokens"?}  |
| conll  | `token tag` lines, a blank line after each sentence (no line for an empty unit) |
| inline | one line: `[PER Angela Merkel] met [LOC Paris] .`                               |
| slash  | one line: `Angela/B-PER Merkel/I-PER met/O Paris/B-LOC ./O`                      |
| tsv    | one row per entity: unit, start, end, label, text, score (after a header row)    |
| html   | a `<section>` with the entities marked, in one page (tagging/html.py)            |

A format may write something once before its first record and after its last (`header`,
`footer`): tsv's column names, html's document around the records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from windowner.data.tags import spans, spans_to_tags
from windowner.tagging import html
from windowner.tagging.text import TaggedText


@dataclass(frozen=True)
class FormatOptions:
    """What every format may need besides the tagged text.

    `with_tokens` adds each sentence's tokens to jsonl records. `scheme` is the tag scheme that
    conll, slash and jsonl tokens are written in (`--out-scheme`). `labels` are the entity
    types the model knows, which the html page's legend lists (tag_stream fills them in).
    """

    with_tokens: bool = False
    scheme: str = "iob2"
    labels: tuple[str, ...] = ()


def written_tags(tags: list[str], options: FormatOptions) -> list[str]:
    """One sentence's tags rewritten from its entity spans in the scheme the output asks for.

    Greedy decoding may give `O I-PER`, which conlleval reads as an entity; rewriting it as
    `O B-PER` keeps the entities and makes the output valid IOB2, even when a unit's sentences
    share one line (slash).
    """
    return spans_to_tags(spans(tags), len(tags), options.scheme)


def entity_records(tagged: TaggedText) -> list[dict]:
    """The unit's entities as JSON-able dicts: {"start", "end", "label", "text", "score"}."""
    return [
        {"start": e.start, "end": e.end, "label": e.label, "text": e.text, "score": _r(e.score)}
        for e in tagged.entities
    ]


def token_records(tagged: TaggedText, options: FormatOptions) -> list[list[dict]]:
    """One list per sentence of {"text", "start", "end", "tag", "score"}, score being the
    probability of that token's tag."""
    return [
        [
            {"text": t.text, "start": t.start, "end": t.end, "tag": tag, "score": _r(p)}
            for t, tag, p in zip(tokens, written_tags(tags, options), scores, strict=True)
        ]
        for tokens, tags, scores in zip(tagged.sentences, tagged.tags, tagged.scores, strict=True)
    ]


def format_jsonl(tagged: TaggedText, unit: int, options: FormatOptions) -> str:
    """One JSON object per unit, offsets indexing into its "text"; "tokens" with `with_tokens`."""
    record = {"text": tagged.text, "entities": entity_records(tagged)}
    if options.with_tokens:
        record["tokens"] = token_records(tagged, options)
    return _json_line(record)


def format_conll(tagged: TaggedText, unit: int, options: FormatOptions) -> str:
    """`token tag` lines, a blank line after every sentence."""
    return "".join(
        "".join(
            f"{token.text} {tag}\n"
            for token, tag in zip(tokens, written_tags(tags, options), strict=True)
        )
        + "\n"
        for tokens, tags in zip(tagged.sentences, tagged.tags, strict=True)
    )


def format_inline(tagged: TaggedText, unit: int, options: FormatOptions) -> str:
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


def format_slash(tagged: TaggedText, unit: int, options: FormatOptions) -> str:
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


def format_tsv(tagged: TaggedText, unit: int, options: FormatOptions) -> str:
    """One row per entity; in its text a tab, line break or backslash is escaped (\\t \\n \\\\)."""
    return "".join(
        f"{unit}\t{e.start}\t{e.end}\t{e.label}\t{_escape(e.text)}\t{_r(e.score)}\n"
        for e in tagged.entities
    )


def format_html(tagged: TaggedText, unit: int, options: FormatOptions) -> str:
    """One `<section>` per unit, entities as `<mark data-label=TYPE>` (see tagging/html.py)."""
    return html.record(tagged, unit)


Formatter = Callable[[TaggedText, int, FormatOptions], str]

FORMATTERS: dict[str, Formatter] = {
    "jsonl": format_jsonl,
    "conll": format_conll,
    "inline": format_inline,
    "slash": format_slash,
    "tsv": format_tsv,
    "html": format_html,
}
FORMATS = tuple(FORMATTERS)

# What a format writes once, before its first record and after its last.
HEADERS: dict[str, Callable[[FormatOptions], str]] = {
    "tsv": lambda options: TSV_HEADER,
    "html": lambda options: html.header(options.labels),
}
FOOTERS: dict[str, Callable[[FormatOptions], str]] = {"html": lambda options: html.footer()}


def header(output_format: str, options: FormatOptions) -> str:
    """What `output_format` writes before its first record ("" for most)."""
    write = HEADERS.get(output_format)
    return write(options) if write else ""


def footer(output_format: str, options: FormatOptions) -> str:
    """What `output_format` writes after its last record ("" for most)."""
    write = FOOTERS.get(output_format)
    return write(options) if write else ""


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _json_line(record: dict) -> str:
    """`record` as one line of JSON, UTF-8 kept; U+2028, U+2029 and U+0085 are escaped so that
    readers splitting on every Unicode line break (str.splitlines) still see one line."""
    line = json.dumps(record, ensure_ascii=False)
    for char in _UNICODE_BREAKS:
        if char in line:
            line = line.replace(char, f"\\u{ord(char):04x}")
    return line + "\n"


_UNICODE_BREAKS = ("\u2028", "\u2029", "\x85")


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _r(score: float) -> float:
    return round(score, 4)
