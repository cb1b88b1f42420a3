"""The Spark engine (tagging/engines/spark_*.py) and `ner-tag --dataset --engine spark`: the same
schema and the same rows as the local engine.

One local[2] session serves every in-process test; the command is run once as a subprocess, on
local-cluster[2,1,1024] (two executor JVMs of their own), to prove the model ships. Under
CI=true a missing pyspark or Java fails the run instead of skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import CONLL, run
from windowner.errors import UserError
from windowner.model_file import load_model, save_model


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'windowner[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java (apt-get install openjdk-17-jre-headless)"
    return None


if _missing():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs the Spark tests to run: {_missing()}")
    pytest.skip(_missing(), allow_module_level=True)  # outside CI only: CI raises above

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from windowner.tagging.engines.local import tag_dataset  # noqa: E402
from windowner.tagging.engines.spark_job import tagging_job, write_dataframe  # noqa: E402
from windowner.tagging.engines.spark_session import spark_session  # noqa: E402
from windowner.tagging.options import TagOptions  # noqa: E402
from windowner.tagging.records import ENTITY, TOKEN  # noqa: E402

SPECIAL = {
    "empty": "",
    "null": None,
    "blank": "   \n  ",
    "german": "Grüße aus München: Jürgen Klopp traf Angela Merkel in Köln.",
    "japanese": "東京で安倍晋三はバラク・オバマに会った。",
    "emoji": "😀 Angela Merkel 😀 met Emmanuel Macron in Paris 🇫🇷.",
    "rtl": "Benjamin Netanyahu said in Jerusalem: שלום עולם.",
    # One sentence of 24,000 tokens: longer than a forward pass's 16,384, so it goes in pieces.
    "long": " ".join(["Paris", "and", "London", "and", "Germany", "and"] * 4000),
}


def conll_texts(name: str, per_line: int) -> list[str]:
    """The running text of a bundled CoNLL file, `per_line` sentences a text."""
    sentences, words = [], []
    for line in (CONLL / name).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and fields[0] != "-DOCSTART-":
            words.append(fields[0])
        elif not fields and words:
            sentences.append(" ".join(words))
            words = []
    return [" ".join(sentences[i : i + per_line]) for i in range(0, len(sentences), per_line)]


@pytest.fixture(scope="session")
def spark():
    """The one local[2] session of the test run, small Arrow batches so that they split texts
    at odd places."""
    session = spark_session(
        "local[2]",
        {
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.sql.execution.arrow.maxRecordsPerBatch": "97",
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


@pytest.fixture(scope="module")
def model_path(trained, tmp_path_factory) -> Path:
    """The session's model with one metadata key changed: a digest no worker has cached yet."""
    model = load_model(trained / "model.npz")
    model.metadata["test"] = "spark"
    path = tmp_path_factory.mktemp("spark-model") / "model.npz"
    save_model(path, model)
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The 3,250 sentences of valid.txt, one a text, and twice the SPECIAL texts."""
    texts = conll_texts("valid.txt", 1)
    texts[100:100] = list(SPECIAL.values())
    texts[2000:2000] = list(SPECIAL.values())
    path = tmp_path_factory.mktemp("corpus") / "corpus.parquet"
    pq.write_table(pa.table({"id": list(range(len(texts))), "text": texts}), path)
    return path


@pytest.fixture(scope="module")
def local_rows(model_path, corpus, tmp_path_factory) -> dict[int, dict]:
    """`ner-tag --dataset` (the local engine) on the corpus, with tokens, by id."""
    output = tmp_path_factory.mktemp("local") / "tagged.parquet"
    tag_dataset(model_path, corpus, output, TagOptions(with_tokens=True))
    return {row["id"]: row for row in pq.read_table(output).to_pylist()}


@pytest.fixture(scope="module")
def spark_job(spark, model_path, corpus):
    """The corpus tagged on Spark in 7 partitions, 61 texts a tagging batch."""
    df = spark.read.parquet(str(corpus)).repartition(7)
    job = tagging_job(df, model_path, options=TagOptions(batch_size=61, with_tokens=True))
    rows = {row["id"]: row for row in (r.asDict(recursive=True) for r in job.frame.collect())}
    return rows, job.workers()


def same_records(spark_records: list, local_records: list) -> bool:
    """Equal, but for scores one step of their 4th decimal apart at most.

    Texts tagged in other company (batches of 61 here, 512 there) go through float32 sums in
    another order, and a probability on a rounding boundary may round the other way; the test
    below that tags the same batches on both engines asks for exact equality.
    """
    if len(spark_records) != len(local_records):
        return False
    for a, b in zip(spark_records, local_records, strict=True):
        if {**a, "score": 0} != {**b, "score": 0} or abs(a["score"] - b["score"]) > 1.01e-4:
            return False
    return True


def test_spark_gives_the_local_engines_rows_joined_on_id(spark_job, local_rows):
    rows, _ = spark_job
    assert rows.keys() == local_rows.keys()
    assert len(rows) > 3000
    differing = [
        i for i in rows if not same_records(rows[i]["entities"], local_rows[i]["entities"])
    ]
    assert differing == []
    flat = [[t for sentence in row["tokens"] for t in sentence] for row in rows.values()]
    local_flat = [[t for sentence in local_rows[i]["tokens"] for t in sentence] for i in rows]
    assert all(same_records(a, b) for a, b in zip(flat, local_flat, strict=True))
    assert sum(len(row["entities"]) for row in rows.values()) > 4000
    for row in rows.values():
        assert row["text"] == local_rows[row["id"]]["text"]
        for e in row["entities"]:
            assert row["text"][e["start"] : e["end"]] == e["text"]


def test_null_empty_long_and_non_ascii_texts(spark_job):
    rows, _ = spark_job
    by_text = {row["text"]: row for row in rows.values()}
    for name in ("empty", "null", "blank"):
        assert by_text[SPECIAL[name]]["entities"] == []
        assert by_text[SPECIAL[name]]["tokens"] == []
    german = [(e["label"], e["text"]) for e in by_text[SPECIAL["german"]]["entities"]]
    assert ("PER", "Angela Merkel") in german
    emoji = by_text[SPECIAL["emoji"]]
    assert [e["text"] for e in emoji["entities"]][:1] == ["Angela Merkel"]
    long = by_text[SPECIAL["long"]]
    assert sum(len(sentence) for sentence in long["tokens"]) == 24000
    assert {e["label"] for e in long["entities"]} == {"LOC"}


def test_each_python_worker_loads_the_model_once(spark_job, model_path):
    rows, workers = spark_job
    assert sum(w.rows for w in workers.values()) == len(rows)
    assert all(w.loads == 1 for w in workers.values())  # a digest no worker had seen
    assert 1 <= len(workers) <= 2  # local[2]: at most two Python workers at a time
    for worker in workers.values():
        assert Path(worker.source).name == "model.npz"  # SparkFiles' copy, not the driver's
        assert worker.source != str(model_path)
        assert 150e6 < worker.peak_rss < 1e9


def test_the_schema_is_the_one_records_declares(spark, model_path):
    df = spark.createDataFrame([(1, "Angela Merkel is in Paris.")], "id long, body string")
    tagged = tagging_job(df, model_path, "body", "found").frame
    assert tagged.schema.simpleString() == (
        "struct<id:bigint,body:string,"
        "found:array<struct<start:bigint,end:bigint,label:string,text:string,score:double>>>"
    )
    assert df.columns == ["id", "body"]  # the input's schema is left as it was
    [row] = tagged.collect()
    assert [(e.label, e.text) for e in row.found] == [("PER", "Angela Merkel"), ("LOC", "Paris")]


def test_bad_columns_are_user_errors(spark, model_path):
    df = spark.createDataFrame([(1, 2, "x")], "id long, number long, entities string")
    with pytest.raises(UserError, match=r"no column 'text' .*columns: id, number, entities"):
        tagging_job(df, model_path)
    with pytest.raises(UserError, match="column 'number' holds bigint, not text"):
        tagging_job(df, model_path, "number")
    clash = spark.createDataFrame([("x", "y")], "text string, entities string")
    with pytest.raises(UserError, match="already has a column 'entities'"):
        tagging_job(clash, model_path)


def test_a_model_an_executor_cannot_read_fails_on_the_driver(spark, model_path, tmp_path):
    shared = tmp_path / "shared.npz"
    model = load_model(model_path)
    model.metadata["test"] = "unreadable"  # a digest of its own: no worker has it cached
    save_model(shared, model)
    df = spark.createDataFrame([("Angela Merkel",)], "text string")
    tagged = tagging_job(df, shared, shared=True).frame  # not shipped: read at this path
    shared.unlink()  # gone by the time the executors look
    output = tmp_path / "out.parquet"
    with pytest.raises(UserError, match="cannot read the model on executor"):
        write_dataframe(tagged, str(output), "parquet")
    assert list(tmp_path.iterdir()) == []  # no output, no staging folder


def test_the_command_in_process_jsonl_to_parquet(spark, model_path, tmp_path, capsys):
    from windowner.cli.tag import app

    source = tmp_path / "news.jsonl"
    rows = [{"n": i, "body": text} for i, text in enumerate(conll_texts("test.txt", 3)[:300])]
    rows.append({"n": len(rows), "body": None})
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    local = tmp_path / "local.parquet"
    output = tmp_path / "tagged.parquet"

    def ner_tag(*args) -> int:
        try:
            app([str(model_path), "--dataset", str(source), "--text-column", "body", *args])
        except SystemExit as exit:
            return exit.code
        return 0

    assert ner_tag("-o", str(local)) == 0
    assert ner_tag("--engine", "spark", "-o", str(output), "--num-partitions", "3") == 0
    assert output.is_dir() and list(output.glob("part-*.parquet"))
    expected = {row["n"]: row for row in pq.read_table(local).to_pylist()}
    got = {row["n"]: row for row in pq.read_table(output).to_pylist()}
    assert got.keys() == expected.keys()
    assert all(same_records(got[n]["entities"], expected[n]["entities"]) for n in got)
    capsys.readouterr()

    assert ner_tag("--engine", "spark", "-o", str(output)) == 2
    assert (
        capsys.readouterr().err
        == f"error: {output}: already exists; remove it or choose another --output\n"
    )
    assert (
        ner_tag("--engine", "spark", "-o", str(tmp_path / "o.parquet"), "--text-column", "x") == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "columns: body, n" in err and err.count("\n") == 1
    assert not (tmp_path / "o.parquet").exists()


def test_both_engines_write_one_parquet_schema_and_the_same_rows(
    spark, model_path, corpus, tmp_path
):
    """ner-tag --dataset T.parquet --with-tokens, local and spark: the same Arrow schema (types,
    names, nullability); only the key-value metadata each library adds for its own readers
    differs. The same rows, scores included, joined on id: with --batch-size 97, the session's
    Arrow batch, both engines tag the same texts together (one partition: a small file)."""
    from windowner.cli.tag import app

    source = tmp_path / "head.parquet"
    pq.write_table(pq.read_table(corpus).slice(0, 300), source)  # SPECIAL included
    local, on_spark = tmp_path / "local.parquet", tmp_path / "spark.parquet"
    for engine, output in (("local", local), ("spark", on_spark)):
        with pytest.raises(SystemExit) as exit:
            app(
                [
                    str(model_path),
                    "--dataset",
                    str(source),
                    "--with-tokens",
                    "--batch-size",
                    "97",
                    "--engine",
                    engine,
                    "-o",
                    str(output),
                ]
            )
        assert exit.value.code == 0
    [part] = on_spark.glob("part-*.parquet")
    local_schema, spark_schema = pq.read_schema(local), pq.read_schema(part)
    assert local_schema.equals(spark_schema, check_metadata=False), (local_schema, spark_schema)
    assert [f.metadata for f in local_schema] == [f.metadata for f in spark_schema]
    assert set(local_schema.metadata) == {b"huggingface"}  # datasets' features, for datasets
    assert set(spark_schema.metadata) == {  # Spark's own schema, for Spark
        b"org.apache.spark.version",
        b"org.apache.spark.sql.parquet.row.metadata",
    }
    entity = local_schema.field("entities").type.value_type
    token = local_schema.field("tokens").type.value_type.value_type
    for struct, record in ((entity, ENTITY), (token, TOKEN)):  # records.py's, int64 and float64
        assert [(f.name, f.type) for f in struct] == [(n, pa.type_for_alias(t)) for n, t in record]
    expected = {row["id"]: row for row in pq.read_table(local).to_pylist()}
    got = {row["id"]: row for row in pq.read_table(on_spark).to_pylist()}
    assert got == expected


@pytest.mark.cluster
def test_the_command_on_two_executor_jvms_parquet_to_jsonl(
    model_path, corpus, local_rows, tmp_path
):
    """local-cluster[2,1,1024]: two executor JVMs that see the model only through addFile."""
    source = tmp_path / "head.parquet"
    pq.write_table(pq.read_table(corpus).slice(0, 400), source)  # SPECIAL included; start-up
    output = tmp_path / "tagged.jsonl"  # of three JVMs is the cost here, not tagging
    result = run(
        "ner-tag",
        model_path,
        "--dataset",
        source,
        "--engine",
        "spark",
        "--master",
        "local-cluster[2,1,1024]",
        "--num-partitions",
        "4",
        "--conf",
        "spark.ui.enabled=false",
        "--progress",
        "--output",
        output,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "on local-cluster[2,1,1024]" in result.stderr
    parts = sorted(output.glob("part-*.json"))
    assert len(parts) == 4
    rows = [json.loads(line) for part in parts for line in part.read_text("utf-8").splitlines()]
    assert sorted(row["id"] for row in rows) == list(range(400))
    for row in rows:
        assert same_records(row["entities"], local_rows[row["id"]]["entities"])
        assert row.get("text") == local_rows[row["id"]]["text"]
