"""Tag a Spark DataFrame of texts, and `ner-tag --dataset --engine spark`, on Apache Spark.

`tagging_job(df, model).frame` is `df` plus an `entities` column (and `tokens`, with
`with_tokens`), computed through `DataFrame.mapInArrow`: each Python worker receives Arrow
record batches, tags their texts `batch_size` at a time with `tagging.text.tag_batch` and turns
them into tagging/records.py's records, exactly as `ner-tag` does. Every input column is kept,
and the added columns have the types tables.added_fields declares for both engines.

pyspark and pyarrow are imported here, so importing this module needs the `spark` extra.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T
from pyspark.sql.pandas.types import from_arrow_type

from windowner.data.files import table_kind
from windowner.errors import UserError, first_line
from windowner.tagging.engines.spark_model import ModelRef, model_ref
from windowner.tagging.engines.spark_session import spark_session
from windowner.tagging.engines.spark_stats import SparkRun, StatsParam, WorkerStats, peak_rss
from windowner.tagging.engines.tables import added_fields, check_columns
from windowner.tagging.options import TagOptions
from windowner.tagging.records import ENTITIES_COLUMN, entity_records, token_records
from windowner.tagging.text import DEFAULTS, tag_batch


class TagBatches:
    """The function mapInArrow calls: Arrow batches of rows in, the same plus entities out.

    It holds the ModelRef, the options and an accumulator, never the model itself.
    """

    def __init__(self, ref: ModelRef, text_column: str, added, options: TagOptions, stats):
        self.ref = ref
        self.text_column = text_column
        self.added = added  # [(name, Arrow type)] of the new columns, entities first
        self.options = options
        self.stats = stats

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        model, loaded = self.ref.load()
        rows = 0
        for batch in batches:
            texts = [text or "" for text in batch.column(self.text_column).to_pylist()]
            size = self.options.batch_size
            for start in range(0, len(texts), size):
                chunk = texts[start : start + size]
                tagged = tag_batch(model, chunk, self.options)
                values = [[entity_records(t) for t in tagged]]
                if self.options.with_tokens:
                    values.append([token_records(t, self.options) for t in tagged])
                columns = [*batch.slice(start, len(chunk)).columns]
                columns += [
                    pa.array(v, kind) for v, (_, kind) in zip(values, self.added, strict=True)
                ]
                names = [*batch.schema.names, *(name for name, _ in self.added)]
                yield pa.RecordBatch.from_arrays(columns, names=names)
                rows += len(chunk)
        key = (socket.gethostname(), os.getpid())
        self.stats.add({key: WorkerStats(int(bool(loaded)), rows, peak_rss(), loaded)})


@dataclass
class TaggingJob:
    """A tagged DataFrame, `frame` (lazy, like every DataFrame), and its workers' stats.

    `workers()` is filled in once an action (write, collect, count) has run the job.
    """

    frame: DataFrame
    _stats: object

    def workers(self) -> dict[tuple[str, int], WorkerStats]:
        return dict(self._stats.value)


def tagging_job(
    df: DataFrame,
    model: str | Path,
    text_column: str = "text",
    output_column: str = ENTITIES_COLUMN,
    options: TagOptions = DEFAULTS,
    *,
    shared: bool = False,
    source: str | None = None,
) -> TaggingJob:
    """`.frame` is `df` plus `output_column`: array<struct<start:bigint, end:bigint,
    label:string, text:string, score:double>> per row (and `tokens` with `with_tokens`); a null
    text gets no entities. `.workers()` says, after an action, what each Python worker did.

    `model` is the path of a model file on the driver; it is shipped to every executor with
    SparkContext.addFile, or, with `shared=True`, opened at the same path on every executor
    (shared storage). `options` are ner-tag's; `source`, the table's name, prefixes a column
    error.
    """
    added = added_fields(options, output_column)
    types = {field.name: field.dataType.simpleString() for field in df.schema.fields}
    check_columns(types, text_column, [name for name, _ in added], source)
    spark = df.sparkSession
    ref = model_ref(spark, model, shared)
    stats = spark.sparkContext.accumulator({}, StatsParam())
    function = TagBatches(ref, text_column, added, options, stats)
    new = [T.StructField(name, from_arrow_type(kind)) for name, kind in added]
    schema = T.StructType([*df.schema.fields, *new])  # a new list: add() would change df's
    return TaggingJob(df.mapInArrow(function, schema), stats)


def tag_spark_dataset(
    model: str | Path,
    source: str,
    output: str,
    options: TagOptions = DEFAULTS,
    *,
    master: str | None = None,
    conf: dict[str, str] | None = None,
    text_column: str = "text",
    num_partitions: int | None = None,
    shared: bool = False,
) -> SparkRun:
    """Read `source` (parquet or jsonl), tag it on Spark, write `output` (a folder of parts).

    `output` appears only complete: Spark writes into a hidden folder beside it, renamed at the
    end; a failure removes that folder. An existing `output` is refused.
    """
    kind, out_kind = table_kind(source, "--dataset"), table_kind(output, "--output")
    if num_partitions is not None and num_partitions < 1:
        raise UserError(f"--num-partitions must be at least 1, got {num_partitions}")
    # pyspark warns that it is untested with pandas 3; this path uses Arrow, never pandas.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    started = time.perf_counter()
    created = SparkSession.getActiveSession() is None
    spark = spark_session(master, conf)
    startup = time.perf_counter() - started
    if created:  # a failed task's log lines would bury the one error line
        spark.sparkContext.setLogLevel("FATAL")
    try:
        started = time.perf_counter()
        try:
            df = spark.read.format(kind).load(source)
        except AnalysisException as error:
            raise UserError(f"cannot read as {kind}: {first_line(error)}", source) from None
        if num_partitions is not None:
            df = df.repartition(num_partitions)
        job = tagging_job(df, model, text_column, options=options, shared=shared, source=source)
        write_dataframe(job.frame, output, out_kind)
        workers = job.workers()
        rows = sum(worker.rows for worker in workers.values())
        seconds = time.perf_counter() - started
        return SparkRun(rows, spark.sparkContext.master, startup, seconds, workers)
    finally:
        if created:
            spark.stop()


def write_dataframe(df: DataFrame, output: str, kind: str) -> None:
    """Write `df` as a folder of `kind` part files that appears under `output` only complete.

    A UserError raised on an executor (a model it cannot read) comes back as one here.
    """
    spark = df.sparkSession
    hadoop = spark._jvm.org.apache.hadoop.fs
    target = hadoop.Path(output)
    fs = target.getFileSystem(spark._jsc.hadoopConfiguration())
    if fs.exists(target):
        raise UserError("already exists; remove it or choose another --output", output)
    staging = hadoop.Path(target.getParent(), f".{target.getName()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        df.write.format(kind).save(staging.toString())
        if fs.exists(target) or not fs.rename(staging, target):
            raise UserError("appeared while tagging (or cannot be renamed into place)", output)
    except Exception as error:
        fs.delete(staging, True)
        if isinstance(error, UserError):
            raise
        raise _executor_error(error) or error from None


def _executor_error(error: Exception) -> UserError | None:
    """The UserError an executor raised, if that is what failed the job."""
    found = _EXECUTOR_USER_ERROR.search(str(error))
    return UserError(found[1].strip()) if found else None


_EXECUTOR_USER_ERROR = re.compile(r"windowner\.errors\.UserError: ([^\n]+)")
