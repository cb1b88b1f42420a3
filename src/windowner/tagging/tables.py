"""Tag a table of texts (parquet or jsonl) on several processes with Hugging Face `datasets`.

`Dataset.map(batched=True, num_proc=N)` splits the rows into N contiguous shards, tags each on
its own process and concatenates the results in order; every input column is kept and an
`entities` column (a list of {start, end, label, text, score} per row) is added. The model is
loaded once in this process before the workers fork, so they share it instead of each reading
it again. datasets, pyarrow and pandas are imported here only, never for plain-text tagging.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from windowner.atomic import atomic_write
from windowner.data.sources import datasets_logs_silenced
from windowner.errors import UserError
from windowner.model_file import Model, load_model
from windowner.tagging.options import TagOptions
from windowner.tagging.records import added_columns, row_records
from windowner.tagging.text import DEFAULTS, tag_batch

# File suffix -> how datasets reads and writes it.
KINDS = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}

# Models already loaded in this process, by path; forked workers inherit them.
_MODELS: dict[str, Model] = {}


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
) -> DatasetRun:
    """Add an `entities` column (and `tokens`, with `with_tokens`) to the rows of `source`."""
    started = time.perf_counter()
    source, output = Path(source), Path(output)
    kind, out_kind = _kind(source, "--dataset"), _kind(output, "--output")
    if not source.is_file():
        raise UserError("no such file", source)
    if num_proc < 1:
        raise UserError(f"--num-proc must be at least 1, got {num_proc}")
    model_key = str(Path(model).resolve())
    _MODELS[model_key] = load_model(model)

    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # never reach for the network
    import datasets

    if not progress:
        datasets.disable_progress_bars()
    try:
        with tempfile.TemporaryDirectory(prefix="ner-tag-") as cache:
            table = _read(datasets, kind, source, cache)
            _check_column(table, text_column, source, options.with_tokens)
            entity, token = _feature_types()
            features = table.features.copy()
            features["entities"] = [entity]
            if options.with_tokens:
                features["tokens"] = [[token]]
            tagged = table.map(
                TagRows(model_key, text_column, options),
                batched=True,
                batch_size=options.batch_size,
                num_proc=num_proc if num_proc > 1 and len(table) > 1 else None,
                features=features,
                new_fingerprint=f"ner-tag-{os.getpid()}",
                desc="ner-tag",
            )
            with atomic_write(output, "wb") as f:
                if out_kind == "parquet":
                    tagged.to_parquet(f)
                else:
                    tagged.to_json(f, lines=True, orient="records", force_ascii=False)
            return DatasetRun(len(tagged), num_proc, time.perf_counter() - started)
    finally:
        del _MODELS[model_key]  # the workers are gone: free the model


def _feature_types() -> tuple[dict[str, Any], dict[str, Any]]:
    """The types of one entity and one token, as datasets features."""
    from datasets import Value

    entity = {
        "start": Value("int64"),
        "end": Value("int64"),
        "label": Value("string"),
        "text": Value("string"),
        "score": Value("float64"),
    }
    token = {
        "text": Value("string"),
        "start": Value("int64"),
        "end": Value("int64"),
        "tag": Value("string"),
        "score": Value("float64"),
    }
    return entity, token


class TagRows:
    """The function Dataset.map calls: a batch of rows in, their `entities` (and `tokens`) out.

    It holds only the model's path, so it pickles small; the model comes from _MODELS, filled
    before the workers fork (or loaded once per worker where processes are spawned).
    """

    def __init__(self, model_key: str, text_column: str, options: TagOptions):
        self.model_key = model_key
        self.text_column = text_column
        self.options = options

    def __call__(self, rows: dict[str, list]) -> dict[str, list]:
        model = _MODELS.get(self.model_key)
        if model is None:
            model = _MODELS[self.model_key] = load_model(self.model_key)
        texts = [text or "" for text in rows[self.text_column]]
        rows = [row_records(t, self.options) for t in tag_batch(model, texts, self.options)]
        return {column: [row[column] for row in rows] for column in added_columns(self.options)}


def _kind(path: Path, flag: str) -> str:
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise UserError(f"{flag} must end in {', '.join(KINDS)}", path)
    return kind


def _read(datasets, kind: str, source: Path, cache: str):
    """The rows of `source` as a Dataset cached (memory-mapped) under `cache`."""
    read = datasets.Dataset.from_parquet if kind == "parquet" else datasets.Dataset.from_json
    try:
        with datasets_logs_silenced():
            return read(str(source), cache_dir=cache)
    except Exception as error:  # pyarrow and datasets raise many types for a bad file
        cause = error.__cause__ or error
        raise UserError(f"cannot read as {kind}: {cause}", source) from None


def _check_column(table, text_column: str, source: Path, with_tokens: bool) -> None:
    from datasets import Value

    columns = table.column_names
    if text_column not in columns:
        raise UserError(
            f"no column '{text_column}' (use --text-column); columns: {', '.join(columns)}",
            source,
        )
    feature = table.features[text_column]
    if not (isinstance(feature, Value) and feature.dtype in ("string", "large_string")):
        raise UserError(f"column '{text_column}' holds {feature}, not text", source)
    for added in ("entities", "tokens") if with_tokens else ("entities",):
        if added in columns:
            raise UserError(f"already has a column '{added}', which tagging would add", source)
