"""What both table engines share: the types of the columns they add, the column checks, and the
per-process model cache.

The types come from tagging/records.py's ENTITY and TOKEN as Arrow types; the local engine turns
them into `datasets` features, the Spark engine into Spark types, so both write one schema:
offsets int64, scores float64. pyarrow is imported when the types are asked for, never here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from windowner.errors import UserError
from windowner.model_file import Model
from windowner.tagging.options import TagOptions
from windowner.tagging.records import ENTITIES_COLUMN, ENTITY, TOKEN, TOKENS_COLUMN

if TYPE_CHECKING:
    import pyarrow as pa

# How Arrow and Spark name the type of a column of texts (Spark's StringType is "string").
TEXT_TYPES = ("string", "large_string")

# Models loaded by this process, under a key of the engine's choosing (the local engine's is the
# file's path, Spark's its sha256). Forked workers inherit what was loaded before the fork;
# Spark's reused Python workers keep their entries from one task to the next.
_MODELS: dict[str, Model] = {}


def added_fields(options: TagOptions, entities_column: str = ENTITIES_COLUMN):
    """[(name, Arrow type)] of the columns tagging adds: a list of ENTITY structs per row, and
    with `with_tokens` `tokens`, a list per sentence of lists of TOKEN structs."""
    import pyarrow as pa

    fields = [(entities_column, pa.list_(_struct(ENTITY)))]
    if options.with_tokens:
        fields.append((TOKENS_COLUMN, pa.list_(pa.list_(_struct(TOKEN)))))
    return fields


def _struct(record: tuple[tuple[str, str], ...]) -> pa.DataType:
    import pyarrow as pa

    return pa.struct([(name, pa.type_for_alias(kind)) for name, kind in record])


def check_columns(
    types: dict[str, str], text_column: str, added: list[str], source: str | None = None
) -> None:
    """The table, given as {column: its type's name}, has a text column `text_column` and none
    of the `added` columns tagging would write; else a UserError naming `source`."""
    if text_column not in types:
        raise UserError(
            f"no column '{text_column}' (use --text-column); columns: {', '.join(types)}", source
        )
    if types[text_column] not in TEXT_TYPES:
        raise UserError(f"column '{text_column}' holds {types[text_column]}, not text", source)
    for name in added:
        if name in types:
            raise UserError(f"already has a column '{name}', which tagging would add", source)


def cached_model(key: str, load: Callable[[], Model]) -> tuple[Model, bool]:
    """The model cached under `key`, else `load()`'s, cached; and whether it was just loaded."""
    model = _MODELS.get(key)
    if model is not None:
        return model, False
    model = _MODELS[key] = load()
    return model, True


def forget_model(key: str) -> None:
    """Drop the model cached under `key` (its workers are gone), if there is one."""
    _MODELS.pop(key, None)
