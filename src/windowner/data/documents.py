"""Which rows of a table form one document: a column holding each row's document id.

A table (a Hugging Face dataset, a parquet or jsonl file) rarely has the `-DOCSTART-` rows of a
CoNLL file, so each of its rows is its own document and the document context
(features/document.py) sees one sentence. A document column says more: consecutive rows of one
id are one document. An id that comes back after another one is refused rather than joined,
since the document context would then read rows far apart as one document; a table sorted
another way is more likely a mistake than a document written in pieces.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from windowner.choices import quoted
from windowner.errors import UserError


def check_document_column(column: str, columns: Iterable[str], where: str) -> None:
    """The table, whose columns are `columns`, has the document column `column`; else a
    UserError naming the table and the column."""
    columns = list(columns)
    if column not in columns:
        raise UserError(
            f"no document column {quoted(column)}; its columns: {', '.join(columns)}", where
        )


def document_numbers(rows: Iterable[tuple[int, object]], column: str, where: str) -> list[int]:
    """Each row's document, numbered 0, 1, ... in table order, from (row number, id) pairs.

    A row continues the document of the row before it when their ids are equal, and starts the
    next one otherwise. An id that is missing (null, NaN), not a string or a number, or already
    seen before another id is a UserError naming the row (1-based, as given) and `where`.
    """
    numbers: list[int] = []
    last_row: dict[object, int] = {}  # each id seen -> the last row holding it
    current: object = _NONE
    for row, value in rows:
        document = _document_id(value, row, column, where)
        if document != current:
            if document in last_row:
                raise UserError(
                    f"row {row}: document {quoted(document)} comes back after document "
                    f"{quoted(current)} (its earlier rows end at row {last_row[document]}): "
                    "a document's rows must be consecutive",
                    where,
                )
            current = document
        last_row[document] = row
        numbers.append(len(last_row) - 1)
    return numbers


_NONE = object()  # no document yet


def _document_id(value: object, row: int, column: str, where: str) -> object:
    """A row's document id as a dictionary key: a string or a number (1 and 1.0 are one id)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise UserError(f"row {row}: no document id (null in column {quoted(column)})", where)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UserError(
            f"row {row}: a document id is a string or a number, got {type(value).__name__} "
            f"in column {quoted(column)}",
            where,
        )
    return value
