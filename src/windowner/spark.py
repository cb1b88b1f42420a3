"""Tag a Spark DataFrame of texts, and `ner-tag --dataset --engine spark`, on Apache Spark.

`tag_dataframe(df, model)` adds an `entities` column (and `tokens`, with `with_tokens`) through
`DataFrame.mapInArrow`: each Python worker receives Arrow record batches, tags their texts
`batch_size` at a time with `tagging.text.tag_batch` and turns them into records with
`tagging.formats`, exactly as `ner-tag` does. Every input column is kept.

The model never travels inside the pickled function, which holds only its file name, its
sha256 digest and how to find it: either shipped once to every executor with
`SparkContext.addFile` (the default) or opened at a path every executor sees (`shared=True`).
Each Python worker loads it once into `_MODELS`, a per-process cache keyed by the digest, and
checks that the file it read is the driver's; Spark's worker reuse (on by default) keeps the
process, and so the model, from one task to the next.

pyspark and pyarrow are imported here, so importing this module needs the `spark` extra.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from windowner.errors import UserError
from windowner.model_file import Model, load_model
from windowner.tagging.options import TagOptions
from windowner.tagging.records import entity_records, token_records
from windowner.tagging.text import DEFAULTS, tag_batch

try:
    import pyarrow as pa
    from pyspark import AccumulatorParam, SparkFiles
    from pyspark.errors import AnalysisException
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError(
        f"windowner.spark needs pyspark ({error}): pip install 'windowner[spark]'"
    ) from None

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# Output suffix -> the Spark data source that reads and writes it.
KINDS = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}

ENTITY = T.StructType(
    [
        T.StructField("start", T.IntegerType()),
        T.StructField("end", T.IntegerType()),
        T.StructField("label", T.StringType()),
        T.StructField("text", T.StringType()),
        T.StructField("score", T.FloatType()),
    ]
)
TOKEN = T.StructType(
    [
        T.StructField("text", T.StringType()),
        T.StructField("start", T.IntegerType()),
        T.StructField("end", T.IntegerType()),
        T.StructField("tag", T.StringType()),
        T.StructField("score", T.FloatType()),
    ]
)
ENTITIES = T.ArrayType(ENTITY)
TOKENS = T.ArrayType(T.ArrayType(TOKEN))

# Models loaded by this Python process, by sha256 digest of their file.
_MODELS: dict[str, Model] = {}


# --- the model, as the workers see it -------------------------------------------------------


@dataclass(frozen=True)
class ModelRef:
    """How a worker finds the driver's model: a file name under SparkFiles, or a shared path.

    Small and picklable; `digest` is the sha256 of the file, the key of the per-process cache.
    """

    path: str
    digest: str
    shipped: bool

    def load(self) -> tuple[Model, str]:
        """The model, from this process's cache or (once) from its file; the file's path if it
        was just loaded, else ''."""
        model = _MODELS.get(self.digest)
        if model is not None:
            return model, ""
        path = SparkFiles.get(self.path) if self.shipped else self.path
        where = f"on executor {socket.gethostname()}"
        try:
            digest = file_digest(path)
        except OSError as error:
            raise UserError(f"cannot read the model {where}: {error.strerror}", path) from None
        if digest != self.digest:
            raise UserError(f"the model {where} is not the driver's (sha256 differs)", path)
        try:
            model = load_model(path)
        except UserError as error:
            raise UserError(f"{where}: {error}") from None
        _MODELS[self.digest] = model
        return model, str(path)


def file_digest(path: str | Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def model_ref(spark: SparkSession, model: str | Path, shared: bool = False) -> ModelRef:
    """Check the model on the driver, then ship it to the executors (unless `shared`)."""
    path = Path(model)
    load_model(path)  # a bad model fails here, before any job starts
    digest = file_digest(path)
    if shared:
        return ModelRef(str(path.resolve()), digest, shipped=False)
    # addFile keys files by name, and a Spark application can add a name only once.
    key = (id(spark.sparkContext), path.name)
    before = _SHIPPED.setdefault(key, (str(path.resolve()), digest))
    if before != (str(path.resolve()), digest):
        raise UserError(
            f"this Spark application already shipped a different '{path.name}' "
            "(another path, or the file changed since): give the model another name",
            path,
        )
    spark.sparkContext.addFile(str(path.resolve()))
    return ModelRef(path.name, digest, shipped=True)


# Models this driver shipped with addFile: (SparkContext id, file name) -> (path, digest).
_SHIPPED: dict[tuple[int, str], tuple[str, str]] = {}


# --- per-worker bookkeeping -----------------------------------------------------------------


@dataclass(frozen=True)
class WorkerStats:
    """What one Python worker did: times it loaded the model, rows, peak RSS in bytes, and the
    file it loaded the model from (under its executor's SparkFiles folder when shipped)."""

    loads: int
    rows: int
    peak_rss: int
    source: str = ""


class _StatsParam(AccumulatorParam):
    """Merge {(host, pid): WorkerStats} from the tasks: loads and rows add up, peaks take max."""

    def zero(self, value):
        return {}

    def addInPlace(self, a, b):
        for key, stats in b.items():
            old = a.get(key)
            a[key] = (
                stats
                if old is None
                else WorkerStats(
                    old.loads + stats.loads,
                    old.rows + stats.rows,
                    max(old.peak_rss, stats.peak_rss),
                    old.source or stats.source,
                )
            )
        return a


def _peak_rss() -> int:
    """This process's peak resident memory in bytes."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# --- tagging --------------------------------------------------------------------------------


class TagBatches:
    """The function mapInArrow calls: Arrow batches of rows in, the same plus entities out.

    It holds the ModelRef, the options and an accumulator, never the model itself.
    """

    def __init__(self, ref, text_column, added, options: TagOptions, stats):
        self.ref = ref
        self.added = added  # the names of the new columns
        self.text_column = text_column
        self.options = options
        self.stats = stats

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        model, loaded = self.ref.load()
        entity_type = pa.list_(_arrow(ENTITY))
        token_type = pa.list_(pa.list_(_arrow(TOKEN)))
        rows = 0
        for batch in batches:
            texts = [text or "" for text in batch.column(self.text_column).to_pylist()]
            size = self.options.batch_size
            for start in range(0, len(texts), size):
                chunk = texts[start : start + size]
                tagged = tag_batch(model, chunk, self.options)
                columns = [*batch.slice(start, len(chunk)).columns]
                columns.append(pa.array([entity_records(t) for t in tagged], entity_type))
                if self.options.with_tokens:
                    tokens = [token_records(t, self.options) for t in tagged]
                    columns.append(pa.array(tokens, token_type))
                names = [*batch.schema.names, *self.added]
                yield pa.RecordBatch.from_arrays(columns, names=names)
                rows += len(chunk)
        key = (socket.gethostname(), os.getpid())
        self.stats.add({key: WorkerStats(int(bool(loaded)), rows, _peak_rss(), loaded)})


def _arrow(struct: T.StructType) -> pa.DataType:
    kinds = {
        T.IntegerType(): pa.int32(),
        T.FloatType(): pa.float32(),
        T.StringType(): pa.string(),
    }
    return pa.struct([(field.name, kinds[field.dataType]) for field in struct.fields])


@dataclass
class TaggingJob:
    """A tagged DataFrame (lazy, like every DataFrame) and the stats of the workers that ran it.

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
    output_column: str = "entities",
    options: TagOptions = DEFAULTS,
    *,
    shared: bool = False,
) -> TaggingJob:
    """tag_dataframe, with the per-worker stats (model loads, rows, peak RSS) of the run."""
    check_text_column(df.schema, text_column)
    added = (output_column, "tokens") if options.with_tokens else (output_column,)
    for name in added:
        if name in df.columns:
            raise UserError(f"already has a column '{name}', which tagging would add")
    spark = df.sparkSession
    ref = model_ref(spark, model, shared)
    stats = spark.sparkContext.accumulator({}, _StatsParam())
    function = TagBatches(ref, text_column, added, options, stats)
    schema = T.StructType([*df.schema.fields, T.StructField(output_column, ENTITIES)])
    if options.with_tokens:
        schema = schema.add(T.StructField("tokens", TOKENS))
    return TaggingJob(df.mapInArrow(function, schema), stats)


def tag_dataframe(
    df: DataFrame,
    model: str | Path,
    text_column: str = "text",
    output_column: str = "entities",
    options: TagOptions = DEFAULTS,
    *,
    shared: bool = False,
) -> DataFrame:
    """`df` plus `output_column`: array<struct<start:int, end:int, label:string, text:string,
    score:float>> per row (and `tokens` with `with_tokens`); a null text gets no entities.

    `model` is the path of a model file on the driver; it is shipped to every executor with
    SparkContext.addFile, or, with `shared=True`, opened at the same path on every executor
    (shared storage). `options` are ner-tag's.
    """
    return tagging_job(df, model, text_column, output_column, options, shared=shared).frame


def check_text_column(schema: T.StructType, text_column: str, source: str | None = None) -> None:
    if text_column not in schema.names:
        raise UserError(
            f"no column '{text_column}' (use --text-column); columns: {', '.join(schema.names)}",
            source,
        )
    kind = schema[text_column].dataType
    if not isinstance(kind, T.StringType):
        raise UserError(f"column '{text_column}' holds {kind.simpleString()}, not text", source)


# --- ner-tag --dataset --engine spark -------------------------------------------------------


@dataclass(frozen=True)
class SparkRun:
    """What a run tagged, where, in wall seconds (Spark's start-up apart), and its workers."""

    rows: int
    master: str
    startup_seconds: float
    seconds: float
    workers: dict[tuple[str, int], WorkerStats]

    def summary(self) -> str:
        loads = sum(w.loads for w in self.workers.values())
        peak = max((w.peak_rss for w in self.workers.values()), default=0)
        return (
            f"tagged {self.rows:,} rows on {self.master} in {self.seconds:.1f} s "
            f"({self.rows / max(self.seconds, 1e-9):,.0f} rows/s; Spark started in "
            f"{self.startup_seconds:.1f} s); {len(self.workers)} Python worker(s) loaded the "
            f"model {loads} time(s), peak RSS of one worker {peak / 2**20:,.0f} MB"
        )


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> SparkSession:
    """The active session, or a new one: on `master`, else spark-submit's, else local[*].

    On a local master the Python workers run this interpreter (its venv has windowner); on a
    cluster they run the executors' own (spark.pyspark.python / PYSPARK_PYTHON there).
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started this driver
    if master is None and not submitted:
        master = "local[*]"
    if master is not None and master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("ner-tag")
    if master is not None:
        builder = builder.master(master)
    settings = {"spark.ui.showConsoleProgress": "false"}
    if not submitted:  # the driver's JVM starts here: only errors from its log on stderr
        settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={_log4j2()}"
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as error:  # no Java, a bad master URL or setting: Spark's own message
        raise UserError(f"cannot start Spark: {_first_line(error)}") from None


_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def _log4j2() -> str:
    """A log4j2 configuration that lets only errors through (Spark's start-up WARN lines would
    surround ner-tag's own output); --conf spark.driver.extraJavaOptions=... replaces it."""
    import tempfile

    path = Path(tempfile.gettempdir()) / "windowner-spark-log4j2.properties"
    if not path.exists() or path.read_text() != _LOG4J2:
        path.write_text(_LOG4J2)
    return str(path)


def parse_conf(pairs: list[str]) -> dict[str, str]:
    """--conf KEY=VALUE options as a dict."""
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--conf expects KEY=VALUE, got '{pair}'")
        conf[key.strip()] = value
    return conf


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
    kind, out_kind = _kind(source, "--dataset"), _kind(output, "--output")
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
            raise UserError(f"cannot read as {kind}: {_first_line(error)}", source) from None
        check_text_column(df.schema, text_column, source)
        if num_partitions is not None:
            df = df.repartition(num_partitions)
        job = tagging_job(df, model, text_column, options=options, shared=shared)
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


def _kind(path: str, flag: str) -> str:
    kind = KINDS.get(Path(path.rstrip("/")).suffix.lower())
    if kind is None:
        raise UserError(f"{flag} must end in {', '.join(KINDS)}", path)
    return kind


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
