"""Data through `datasets`: parquet, json lines, arrow, save_to_disk folders and the hub (offline).

The datasets are built here, with `datasets` itself, from the real CoNLL-2003 files.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# No network here: `datasets` must never wait for the hub, and its cache of converted local
# files goes to a folder of this run (set before datasets is imported).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
if "HF_DATASETS_CACHE" not in os.environ:
    os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="windowner-hf-")
    atexit.register(shutil.rmtree, os.environ["HF_DATASETS_CACHE"], ignore_errors=True)

import json
from pathlib import Path

import numpy as np
import pytest

from windowner.data.conll import DOCSTART, read_conll
from windowner.data.sources import (
    HubSpec,
    is_dataset_source,
    parse_columns,
    parse_hub_spec,
    read_corpus,
)
from windowner.data.tags import convert
from windowner.errors import UserError
from windowner.features.vocabulary import build_vocabulary
from windowner.vectors.loading import Vectors

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def rows_of(path: Path) -> list[tuple[list[str], list[str]]]:
    """A CoNLL file's sentences as (tokens, tags) rows, each -DOCSTART- line a row of its own."""
    rows, tokens, tags = [], [], []
    for line in [*path.read_text(encoding="utf-8").split("\n"), ""]:
        fields = line.split()
        if fields and fields[0] == DOCSTART:
            rows.append(([DOCSTART], ["O"]))
        elif fields:
            tokens.append(fields[0])
            tags.append(fields[-1])
        elif tokens:
            rows.append((tokens, tags))
            tokens, tags = [], []
    return rows


def class_label_dataset(rows):
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    features = Features(
        {"tokens": Sequence(Value("string")), "ner_tags": Sequence(ClassLabel(names=LABELS))}
    )
    return Dataset.from_dict(
        {
            "tokens": [tokens for tokens, _ in rows],
            "ner_tags": [[LABELS.index(t) for t in tags] for _, tags in rows],
        },
        features=features,
    )


@pytest.fixture(scope="module")
def train(conll_dir):
    return read_conll(conll_dir / "train.txt")


@pytest.fixture(scope="module")
def saved(conll_dir, tmp_path_factory):
    """train.txt as a parquet file and a save_to_disk folder (ClassLabel ids), and a DatasetDict
    folder of 500 rows of train.txt and all of valid.txt."""
    from datasets import DatasetDict

    root = tmp_path_factory.mktemp("datasets")
    train = class_label_dataset(rows_of(conll_dir / "train.txt"))
    train.to_parquet(str(root / "train.parquet"))
    train.save_to_disk(str(root / "train_disk"))
    splits = {
        name: class_label_dataset(rows_of(conll_dir / f"{file}.txt")[:limit])
        for name, file, limit in (("train", "train", 500), ("validation", "valid", None))
    }
    DatasetDict(splits).save_to_disk(str(root / "conll2003_disk"))
    return root


def vocabulary_of(corpus):
    vectors = Vectors("tiny", ["the", "eu", "german"], np.eye(3, dtype=np.float32))
    tokens = [t for s in corpus.sentences for t in s.tokens]
    vocabulary, _ = build_vocabulary(vectors, tokens, np.random.default_rng(0))
    return vocabulary.words


@pytest.mark.parametrize("source", ["train.parquet", "train_disk"])
def test_parquet_and_saved_folder_train_like_the_conll_file(saved, train, source):
    corpus = read_corpus(saved / source)
    assert corpus.sentences == train.sentences
    assert (len(corpus.sentences), corpus.tokens, corpus.documents) == (14_041, 203_621, 946)
    assert corpus.entity_counts() == train.entity_counts()
    assert {t for s in corpus.sentences for t in s.tags} == {
        t for s in train.sentences for t in s.tags
    }
    assert vocabulary_of(corpus) == vocabulary_of(train)
    assert corpus.scheme == "iob2"


def test_arrow_file_and_dataset_dict_splits(saved, conll_dir):
    arrow = next((saved / "train_disk").glob("*.arrow"))
    assert read_corpus(arrow).sentences[:50] == read_conll(conll_dir / "train.txt").sentences[:50]
    folder = saved / "conll2003_disk"
    valid = read_corpus(folder, split="validation")
    assert valid.sentences == read_conll(conll_dir / "valid.txt").sentences
    assert valid.documents == 216
    head = read_corpus(folder)  # train by default: 500 rows, 39 of them -DOCSTART-
    assert (len(head.sentences), head.documents) == (461, 39)
    with pytest.raises(UserError, match="has no split 'dev'; its splits: train, validation"):
        read_corpus(folder, split="dev")


def test_json_lines_with_tag_strings_in_any_scheme(tmp_path, train):
    sentences = train.sentences[:300]
    path = tmp_path / "bilou.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for s in sentences:
            record = {"words": list(s.tokens), "labels": convert(s.tags, "bilou"), "id": 1}
            f.write(json.dumps(record) + "\n")
    corpus = read_corpus(path, columns=parse_columns("words,labels"))
    assert corpus.scheme == "bilou" and corpus.sentences == sentences
    assert corpus.path == str(path)
    with pytest.raises(UserError, match="no column 'tokens'; its columns: words, labels, id"):
        read_corpus(path)


def test_dataset_errors_name_the_row(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"tokens": ["EU", "rejects"], "ner_tags": ["B-ORG", "O"]}\n'
        '{"tokens": ["Peter"], "ner_tags": ["B-PER", "O"]}\n'
    )
    with pytest.raises(UserError, match=r"bad.jsonl: row 2: 1 tokens but 2 tags"):
        read_corpus(path)
    path.write_text(
        '{"tokens": ["EU"], "ner_tags": ["B-ORG"]}\n{"tokens": ["P"], "ner_tags": ["X-Y"]}\n'
    )
    with pytest.raises(UserError, match=r"bad.jsonl: row 2: unknown tag 'X-Y'"):
        read_corpus(path)
    path.write_text('{"tokens": ["EU"], "ner_tags": [3]}\n')
    with pytest.raises(
        UserError, match="row 1: tags are numbers but the dataset has no label names"
    ):
        read_corpus(path)
    path.write_text("this is not json\n")
    with pytest.raises(UserError, match=r"bad.jsonl: cannot read as a dataset"):
        read_corpus(path)


def test_hub_specs_and_an_unreachable_hub(monkeypatch):
    assert parse_hub_spec("hf:eriktks/conll2003") == HubSpec("eriktks/conll2003", None, None)
    assert parse_hub_spec("hf:conll2003:conll2003@test") == HubSpec(
        "conll2003", "conll2003", "test"
    )
    with pytest.raises(UserError, match="expected hf:NAME"):
        parse_hub_spec("hf:name@")
    with pytest.raises(UserError) as caught:
        read_corpus("hf:eriktks/conll2003", split="validation")
    message = str(caught.value)
    assert message.startswith("hf:eriktks/conll2003@validation: cannot load from the hub")
    assert "unreachable" in message and "\n" not in message


def test_sources_and_columns_are_told_apart(tmp_path, conll_dir):
    assert is_dataset_source("hf:x") and is_dataset_source("a.parquet")
    assert not is_dataset_source(conll_dir / "train.txt")
    assert parse_columns("0, 3") == (0, 3) and parse_columns("words,ner") == ("words", "ner")
    for bad in ("0", "0,x", "a,b,c", ","):
        with pytest.raises(UserError, match="--columns"):
            parse_columns(bad)
    with pytest.raises(UserError, match="a CoNLL file's are numbers"):
        read_corpus(conll_dir / "valid.txt", columns=("tokens", "ner_tags"))
    with pytest.raises(UserError, match="no such file or folder"):
        read_corpus(tmp_path / "absent.parquet")
    (tmp_path / "folder").mkdir()
    assert read_corpus(conll_dir / "valid.txt", columns=(0, 3)).tokens == 51_362
