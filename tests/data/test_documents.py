"""A table's document column (data/documents.py): which rows form a document, for ner-train,
ner-eval and ner-tag --dataset, on real parquet files written by scripts/conll_table.py from
the head of CoNLL's valid.txt, with a small model trained on examples/ whose document vectors
are part of every window."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, head_of_conll, one_error_line, run
from windowner.config import load_config
from windowner.data.conll import DOCSTART, read_conll
from windowner.data.documents import document_numbers
from windowner.data.sources import read_corpus
from windowner.errors import UserError
from windowner.training.data import read_corpora

SENTENCES = 300  # of valid.txt: 15 documents


@pytest.fixture(scope="module")
def files(tmp_path_factory, conll_dir):
    """The head of valid.txt as CoNLL and as the script's table, and two models trained on
    examples/ in 2 epochs (their document vectors are random but read: they move predictions):
    one on train.txt, one on train.txt as the script's table read with its document column."""
    root = tmp_path_factory.mktemp("documents")
    conll = head_of_conll(conll_dir / "valid.txt", root / "head.txt", SENTENCES)
    table = root / "head.parquet"
    examples = ROOT / "examples"
    script = [sys.executable, ROOT / "scripts" / "conll_table.py"]
    made = subprocess.run([*script, conll, table], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert made.stdout == f"{table}: {SENTENCES} sentences in 15 documents\n"
    train_table = root / "train.parquet"
    made = subprocess.run([*script, examples / "train.txt", train_table], capture_output=True)
    assert made.returncode == 0, made.stderr
    common = ("--dev", examples / "dev.txt", "--vectors", examples / "vectors.txt", "--epochs", "2")
    trainings = [
        ("--train", examples / "train.txt", *common, "--out", root / "run", "-q"),
        (
            *("--train", train_table, *common, "--out", root / "from-table", "-q"),
            *("--set", "data.document_column=document_id"),
        ),
    ]
    with ThreadPoolExecutor(2) as pool:
        for trained in pool.map(lambda args: run("ner-train", *args), trainings):
            assert trained.returncode == 0, trained.stderr
    return {
        "conll": conll,
        "table": table,
        "model": root / "run" / "model.npz",
        "model_from_table": root / "from-table" / "model.npz",
        "root": root,
    }


def test_consecutive_ids_number_the_documents_in_table_order():
    rows = [(1, "a"), (2, "a"), (3, 7), (4, 7.0), (5, "b")]  # 7 and 7.0 are one id
    assert document_numbers(rows, "doc", "t.parquet") == [0, 0, 1, 1, 2]


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (
            ["a", "a", "b", "a"],
            "t.parquet: row 4: document 'a' comes back after document 'b' (its earlier rows end "
            "at row 2): a document's rows must be consecutive",
        ),
        (["a", None], "t.parquet: row 2: no document id (null in column 'doc')"),
        ([float("nan")], "t.parquet: row 1: no document id (null in column 'doc')"),
        (
            ["a", ["a"]],
            "t.parquet: row 2: a document id is a string or a number, got list in column 'doc'",
        ),
    ],
)
def test_a_bad_id_is_an_error_naming_its_row(ids, message):
    with pytest.raises(UserError) as caught:
        document_numbers(enumerate(ids, start=1), "doc", "t.parquet")
    assert str(caught.value) == message


def test_the_script_writes_the_sentences_without_docstart_rows_and_their_documents(files):
    table = pq.read_table(files["table"])
    assert table.column_names == ["tokens", "ner_tags", "document_id"]
    sentences = read_conll(files["conll"]).sentences
    assert table.column("tokens").to_pylist() == [list(s.tokens) for s in sentences]
    assert [DOCSTART] not in table.column("tokens").to_pylist()
    assert table.column("document_id").to_pylist() == [s.document for s in sentences]


def test_the_document_column_gives_the_documents_of_the_conll_file(files):
    conll = read_conll(files["conll"])
    grouped = read_corpus(files["table"], document_column="document_id")
    assert grouped.sentences == conll.sentences
    assert [s.document for s in grouped.sentences] == [s.document for s in conll.sentences]
    assert grouped.documents == conll.documents == 15
    alone = read_corpus(files["table"])  # the hub's way: each row its own document
    assert [s.document for s in alone.sentences] == list(range(SENTENCES))
    assert alone.documents == SENTENCES  # counted as such (it was 1)
    with pytest.raises(UserError, match="a document column is for tables"):
        read_corpus(files["conll"], document_column="document_id")


def test_ner_eval_with_the_document_column_scores_the_table_as_the_conll_file(files):
    model, table = files["model"], files["table"]
    predicted = files["root"] / "predicted.txt"
    commands = [
        (model, files["conll"], "--json", "--output", predicted),
        (model, table, "--document-column", "document_id", "--json"),
        (model, table, "--json"),
    ]
    with ThreadPoolExecutor(3) as pool:
        conll, grouped, alone = pool.map(lambda args: run("ner-eval", *args), commands)
    for result in (conll, grouped, alone):
        assert result.returncode == 0, result.stderr
    assert grouped.stdout == conll.stdout  # every figure, to the last digit
    # without the column each row is its own document, and the model reads the difference
    assert json.loads(alone.stdout)["overall"] != json.loads(conll.stdout)["overall"]
    with pytest.raises(UserError) as caught:
        read_corpus(table, document_column="doc_id")
    assert str(caught.value) == (
        f"{table}: no document column 'doc_id'; its columns: tokens, ner_tags, document_id"
    )


def test_ner_tag_dataset_with_the_document_column_tags_as_ner_eval_predicts(files):
    """Rows of texts, one sentence each, tagged in batches of 7 rows on 2 processes: each
    row's tags are those ner-eval predicted on the CoNLL file, documents and all."""
    root = files["root"]
    sentences = read_conll(files["conll"]).sentences
    texts = root / "texts.parquet"
    pq.write_table(
        pa.table(
            {
                "text": [" ".join(s.tokens) for s in sentences],
                "doc": [f"d{s.document}" for s in sentences],
            }
        ),
        texts,
    )
    if not (root / "predicted.txt").exists():  # written by the ner-eval test
        run("ner-eval", files["model"], files["conll"], "--output", root / "predicted.txt")
    blocks = (root / "predicted.txt").read_text(encoding="utf-8").strip().split("\n\n")
    expected = [[line.split()[2] for line in block.splitlines()] for block in blocks]
    out = root / "tagged.parquet"
    tagged = run(
        "ner-tag",
        *(files["model"], "--dataset", texts, "--document-column", "doc", "--pretokenized"),
        *("--with-tokens", "--batch-size", "7", "--num-proc", "2", "-o", out),
    )
    assert tagged.returncode == 0, tagged.stderr
    table = pq.read_table(out)
    assert table.column("doc").to_pylist() == [f"d{s.document}" for s in sentences]
    tags = [[t["tag"] for s in row for t in s] for row in table.column("tokens").to_pylist()]
    assert tags == expected


def test_ner_tag_refuses_a_document_that_comes_back_and_spark(files):
    root = files["root"]
    table = root / "scattered.parquet"
    pq.write_table(pa.table({"text": ["a", "b", "c"], "doc": [1, 2, 1]}), table)
    tag = ("ner-tag", files["model"], "--dataset", table, "--document-column", "doc")
    out = root / "out.parquet"
    assert one_error_line(run(*tag, "-o", out)) == (
        f"error: {table}: row 3: document 1 comes back after document 2 (its earlier rows end "
        "at row 1): a document's rows must be consecutive"
    )
    assert one_error_line(run(*tag, "--engine", "spark", "-o", out)) == (
        "error: --document-column is for --engine local: Spark tags each row apart, in "
        "whichever partition holds it"
    )
    assert not out.exists()


def test_training_reads_the_document_column_of_its_tables(files):
    conll = files["conll"]
    config = load_config(
        None,
        {
            "data.train": str(files["table"]),
            "data.dev": str(conll),
            "data.document_column": "document_id",
        },
    )
    logged: list[str] = []
    corpora = read_corpora(config, logged.append)
    assert corpora.train.sentences == corpora.dev.sentences  # the table, and the CoNLL file
    assert [s.document for s in corpora.train.sentences] == [
        s.document for s in corpora.dev.sentences
    ]
    assert ", 15 documents;" in logged[0]
    only_conll = load_config(
        None, {"data.train": str(conll), "data.dev": str(conll), "data.document_column": "d"}
    )
    with pytest.raises(UserError, match="the data are all CoNLL files"):
        read_corpora(only_conll, logged.append)


def test_ner_train_on_the_table_with_its_document_column_trains_the_conll_files_model(files):
    """examples/train.txt as the script's table, read with data.document_column: the same
    sentences in the same documents, so the same model, every parameter bit for bit."""
    with np.load(files["model"]) as a, np.load(files["model_from_table"]) as b:
        assert a.files == b.files
        for name in a.files:
            if name != "metadata":  # which files it was trained on
                assert np.array_equal(a[name], b[name]), name
