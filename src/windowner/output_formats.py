"""How `ner-tag` writes tagged text: jsonl, conll or inline."""

from __future__ import annotations

import json

from windowner.tagging import TaggedText
from windowner.tags import spans

FORMATS = ("jsonl", "conll", "inline")


def format_jsonl(tagged: TaggedText) -> str:
    """One JSON object per input unit; offsets index into its "text"."""
    entities = [
        {"start": e.start, "end": e.end, "label": e.label, "text": e.text}
        for e in tagged.entities()
    ]
    return json.dumps({"text": tagged.text, "entities": entities}, ensure_ascii=False) + "\n"


def format_conll(tagged: TaggedText) -> str:
    """`token tag` lines, a blank line after every sentence."""
    return "".join(
        "".join(f"{token.text} {tag}\n" for token, tag in zip(tokens, tags, strict=True)) + "\n"
        for tokens, tags in zip(tagged.sentences, tagged.tags, strict=True)
    )


def format_inline(tagged: TaggedText) -> str:
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


FORMATTERS = {"jsonl": format_jsonl, "conll": format_conll, "inline": format_inline}
