"""Tag a table of texts (parquet or jsonl) on several processes with Hugging Face `datasets`.

`Dataset.map(batched=True, num_proc=N)` splits the rows into N contiguous shards, tags each on
its own process and concatenates the results in order; every input column is kept and an
`entities` column (a list of {start, end, label, text, score} per row) is added, typed as
tables.added_fields declares for both engines. With a document column, the map runs over chunks
of whole documents instead of over rows (TagDocuments), so that no batch or shard cuts one.
The model is loaded once in this process before the workers fork, so they share it instead of
each reading it again. datasets, pyarrow and pandas are imported here only, when called, never
for plain-text tagging.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from windowner.atomic import atomic_write
from windowner.data.documents import check_document_column, document_numbers
from windowner.data.files import table_kind
from windowner.data.sources import check_table_file, datasets_logs_silenced
from windowner.errors import UserError, first_line
from windowner.model_file import load_model
from windowner.tagging.engines.tables import (
    added_fields,
    cached_model,
    check_columns,
    forget_model,
)
from windowner.tagging.options import TagOptions
from windowner.tagging.records import added_columns, row_records
from windowner.tagging.text import DEFAULTS, tag_batch


@dataclass(frozen=True)
class DatasetRun:
    """What a run tagged: rows, on how many processes, in wall seconds."""

    rows: int
    num_proc: int
    seconds: float

    def summary(self) -> str:
        return (
            f"tagged {self.rows:,} rows on {self.num_proc} process(es) in {self.seconds:.1f} s "
            f"({self.rows / max(self.seconds, 1e-9):,.0f} rows/s)"
        )


def tag_dataset(
    model: str | Path,
    source: str | Path,
    output: str | Path,
    options: TagOptions = DEFAULTS,
    *,
    text_column: str = "text",
    num_proc: int = 1,
    progress: bool = False,
    document_column: str | None = None,
) -> DatasetRun:
    """Add an `entities` column (and `tokens`, with `with_tokens`) to the rows of `source`;
    with a `document_column`, consecutive rows of one id share their document context."""
    started = time.perf_counter()
    source, output = Path(source), Path(output)
    kind, out_kind = table_kind(source, "--dataset"), table_kind(output, "--output")
    if not source.is_file():
        raise UserError("no such file", source)
    if num_proc < 1:
        raise UserError(f"--num-proc must be at least 1, got {num_proc}")
    model_key = str(Path(model).resolve())
    forget_model(model_key)  # the file may have changed since an earlier run of this process
    cached_model(model_key, lambda: load_model(model))

    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # never reach for the network
    import datasets
    import pyarrow

    if not progress:
        datasets.disable_progress_bars()
    try:
        with tempfile.TemporaryDirectory(prefix="ner-tag-") as cache:
            table = _read(datasets, kind, source, cache)
            types = {field.name: str(field.type) for field in table.data.schema}
            check_columns(types, text_column, added_columns(options), str(source))
            added = pyarrow.schema(added_fields(options))
            if document_column is None:
                features = table.features.copy()
                features.update(datasets.Features.from_arrow_schema(added))
                tagged = table.map(
                    TagRows(model_key, text_column, options),
                    batched=True,
                    batch_size=options.batch_size,
                    num_proc=num_proc if num_proc > 1 and len(table) > 1 else None,
                    features=features,
                    new_fingerprint=f"ner-tag-{os.getpid()}",
                    desc="ner-tag",
                )
            else:
                check_document_column(document_column, types, str(source))
                ids = table.data.column(document_column).to_pylist()
                numbers = document_numbers(enumerate(ids, start=1), document_column, str(source))
                starts, ends = document_chunks(numbers, options.batch_size)
                chunks = datasets.Dataset.from_dict({"start": starts, "end": ends})
                rows = table.select_columns([text_column, document_column])
                entities = chunks.map(
                    TagDocuments(model_key, text_column, options, rows, document_column),
                    batched=True,
                    batch_size=1,
                    num_proc=num_proc if num_proc > 1 and len(chunks) > 1 else None,
                    features=datasets.Features.from_arrow_schema(added),
                    remove_columns=chunks.column_names,
                    new_fingerprint=f"ner-tag-documents-{os.getpid()}",
                    desc="ner-tag",
                )
                tagged = datasets.concatenate_datasets([table, entities], axis=1)
            with atomic_write(output, "wb") as f:
                if out_kind == "parquet":
                    tagged.to_parquet(f)
                else:
                    tagged.to_json(f, lines=True, orient="records", force_ascii=False)
            return DatasetRun(len(tagged), num_proc, time.perf_counter() - started)
    finally:
        forget_model(model_key)  # the workers are gone: free the model


class TagRows:
    """The function Dataset.map calls: a batch of rows in, their `entities` (and `tokens`) out.

    It holds only the model's path, so it pickles small; the model comes from the process's
    cache, filled before the workers fork (or loaded once per worker where processes spawn).
    """

    def __init__(self, model_key: str, text_column: str, options: TagOptions):
        self.model_key = model_key
        self.text_column = text_column
        self.options = options

    def __call__(self, rows: dict[str, list]) -> dict[str, list]:
        model, _ = cached_model(self.model_key, lambda: load_model(self.model_key))
        texts = [text or "" for text in rows[self.text_column]]
        rows = [row_records(t, self.options) for t in tag_batch(model, texts, self.options)]
        return {column: [row[column] for row in rows] for column in added_columns(self.options)}


class TagDocuments(TagRows):
    """The function Dataset.map calls with a document column: chunks (row ranges [start, end)
    of whole documents) in, the `entities` (and `tokens`) of their rows out, in row order.

    It holds the table's text and document columns, memory-mapped (a Dataset pickles as the
    path of its Arrow file), and reads each chunk's rows from them.
    """

    def __init__(self, model_key: str, text_column: str, options: TagOptions, rows, column: str):
        super().__init__(model_key, text_column, options)
        self.rows = rows
        self.column = column

    def __call__(self, chunks: dict[str, list]) -> dict[str, list]:
        model, _ = cached_model(self.model_key, lambda: load_model(self.model_key))
        out: dict[str, list] = {column: [] for column in added_columns(self.options)}
        for start, end in zip(chunks["start"], chunks["end"], strict=True):
            rows = self.rows[start:end]
            texts = [text or "" for text in rows[self.text_column]]
            # the ids were checked over the whole table: here they only number the documents
            documents = document_numbers(enumerate(rows[self.column], start + 1), self.column, "")
            for tagged in tag_batch(model, texts, self.options, documents):
                for column, values in row_records(tagged, self.options).items():
                    out[column].append(values)
        return out


def document_chunks(documents: list[int], size: int) -> tuple[list[int], list[int]]:
    """The rows cut into chunks [start, end) of whole documents, each at least `size` rows
    (the last one may be shorter), from each row's document number (consecutive, ascending)."""
    starts, ends = [], []
    start = 0
    for row in range(1, len(documents) + 1):
        at_boundary = row == len(documents) or documents[row] != documents[row - 1]
        if at_boundary and row - start >= size:
            starts.append(start)
            ends.append(row)
            start = row
    if start < len(documents):
        starts.append(start)
        ends.append(len(documents))
    return starts, ends


def _read(datasets, kind: str, source: Path, cache: str):
    """The rows of `source` as a Dataset cached (memory-mapped) under `cache`."""
    read = datasets.Dataset.from_parquet if kind == "parquet" else datasets.Dataset.from_json
    check_table_file(source)  # an empty file or two columns of one name: one clear line
    try:
        with datasets_logs_silenced():
            return read(str(source), cache_dir=cache)
    except Exception as error:  # pyarrow and datasets raise many types for a bad file
        cause = error.__cause__ or error
        raise UserError(f"cannot read as {kind}: {first_line(cause)}", source) from None
