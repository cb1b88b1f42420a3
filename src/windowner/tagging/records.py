"""The records tagging writes, declared once: an entity and a token as JSON-able dicts.

ENTITY and TOKEN give each field's name and type, in order. jsonl writes the dicts below;
the `--dataset` engine's `datasets` features and the Spark engine's Arrow and Spark types are
derived from the same declaration (tagging/engines/), so both engines write one schema:
offsets as int64, scores as float64 (the value jsonl writes, rounded to 4 decimals).
"""

from __future__ import annotations

from windowner.data.tags import spans, spans_to_tags
from windowner.tagging.options import TagOptions
from windowner.tagging.results import TaggedText

# (field, type) in order; the types are Arrow's names: int64, float64, string.
ENTITY = (
    ("start", "int64"),
    ("end", "int64"),
    ("label", "string"),
    ("text", "string"),
    ("score", "float64"),
)
TOKEN = (
    ("text", "string"),
    ("start", "int64"),
    ("end", "int64"),
    ("tag", "string"),
    ("score", "float64"),
)
# The columns tagging adds to a table: a list of entities per row, and with `with_tokens` a
# list per sentence of its tokens.
ENTITIES_COLUMN, TOKENS_COLUMN = "entities", "tokens"


def added_columns(options: TagOptions) -> tuple[str, ...]:
    """The columns tagging adds to a table's rows."""
    return (ENTITIES_COLUMN, TOKENS_COLUMN) if options.with_tokens else (ENTITIES_COLUMN,)


def entity_records(tagged: TaggedText) -> list[dict]:
    """The text's entities as ENTITY dicts: {"start", "end", "label", "text", "score"}."""
    return [
        {
            "start": e.start,
            "end": e.end,
            "label": e.label,
            "text": e.text,
            "score": rounded(e.score),
        }
        for e in tagged.entities
    ]


def token_records(tagged: TaggedText, options: TagOptions) -> list[list[dict]]:
    """One list per sentence of TOKEN dicts {"text", "start", "end", "tag", "score"}, the tag in
    `options.scheme` and the score the probability of that token's tag."""
    return [
        [
            {"text": t.text, "start": t.start, "end": t.end, "tag": tag, "score": rounded(p)}
            for t, tag, p in zip(tokens, written_tags(tags, options), scores, strict=True)
        ]
        for tokens, tags, scores in zip(tagged.sentences, tagged.tags, tagged.scores, strict=True)
    ]


def row_records(tagged: TaggedText, options: TagOptions) -> dict[str, list]:
    """The values of the added columns (added_columns) for one row."""
    row: dict[str, list] = {ENTITIES_COLUMN: entity_records(tagged)}
    if options.with_tokens:
        row[TOKENS_COLUMN] = token_records(tagged, options)
    return row


def written_tags(tags: list[str], options: TagOptions) -> list[str]:
    """One sentence's tags rewritten from its entity spans in the scheme the output asks for.

    Greedy decoding may give `O I-PER`, which conlleval reads as an entity; rewriting it as
    `O B-PER` keeps the entities and makes the output valid IOB2, even when a unit's sentences
    share one line (slash).
    """
    return spans_to_tags(spans(tags), len(tags), options.scheme)


def rounded(score: float) -> float:
    """A score as every record writes it: to 4 decimals."""
    return round(score, 4)
