"""The TokenTable's windows are encode's, id for id, batch after batch (features/token_table.py)."""

import numpy as np
import pytest

from windowner.data.conll import read_conll
from windowner.features.affixes import Subwords
from windowner.features.clusters import VocabularyClusters
from windowner.features.document import document_ids
from windowner.features.lexicons import Lexicon, LexiconFeature
from windowner.features.token_table import TokenTable, window_rows
from windowner.features.vocabulary import Vocabulary
from windowner.features.windows import Features, encode, window_ids


@pytest.fixture(scope="module")
def corpus(conll_dir):
    return read_conll(conll_dir / "valid.txt").sentences


@pytest.fixture(scope="module")
def vocabulary(corpus):
    words = sorted({t.lower() for s in corpus[::3] for t in s.tokens})  # some words unknown
    return Vocabulary(["<unk>", "<s>", "</s>", *words], lowercase=True)


LEXICON = Lexicon.from_phrases(
    [
        ("LOC", "Germany"),
        ("LOC", "New York"),
        ("LOC", "New York City"),
        ("ORG", "New York Rangers"),
        ("PER", "John"),
        ("MISC", "German"),
        ("LOC", "U.S."),
        ("ORG", "European Union"),
        ("LOC", "London"),
        ("PER", "London"),
    ]
)


def _features(tokens, vocabulary=None, fold=False):
    """Subwords and document context; with a vocabulary, word clusters and a lexicon too
    (random cluster ids, some rows without a cluster), so that every kind of slot is compared."""
    subwords = Subwords.build(tokens, (2, 3), with_shape=True, min_count=2)
    clusters = None
    if vocabulary is not None:
        sizes = (4, 9)
        rng = np.random.default_rng(0)
        ids = np.stack([rng.integers(0, k + 1, len(vocabulary)) for k in sizes], 1)
        clusters = VocabularyClusters(sizes, ids.astype(np.int32))
    lexicon = LexiconFeature(LEXICON, fold) if vocabulary is not None else None
    return Features(subwords, document=True, clusters=clusters, lexicon=lexicon)


def _lengths(sentences):
    return np.array([len(s) for s in sentences], np.int64)


@pytest.mark.parametrize("fold", [False, True])
def test_batches_through_one_table_give_encodes_windows(corpus, vocabulary, fold):
    sentences = [s.tokens for s in corpus]
    documents = [s.document for s in corpus]
    features = _features([t for s in sentences[::2] for t in s], vocabulary, fold)
    assert features.slots[-6:] == ("Q", "Q", "L", "L", "L", "L")
    found = encode(sentences, vocabulary, 2, features, documents).ids[:, 2, -4:]
    assert (found > features.lexicon.padding_ids()).any(axis=0).all()  # every type matched
    table = TokenTable(vocabulary, features)
    for a in range(0, len(sentences), 700):  # the table grows batch by batch
        batch, docs = sentences[a : a + 700], documents[a : a + 700]
        expected = encode(batch, vocabulary, 2, features, docs)
        got = table.windows(table.type_ids(batch), _lengths(batch), 2, docs)
        assert got.ids.dtype == expected.ids.dtype
        assert np.array_equal(got.ids, expected.ids)
        assert np.array_equal(got.lengths, expected.lengths)
    assert len(table) == len({t for s in sentences for t in s})


def test_document_classes_match_document_ids_after_the_table_is_cleared(corpus, vocabulary):
    sentences = [s.tokens for s in corpus[:400]]
    documents = [s.document for s in corpus[:400]]
    table = TokenTable(vocabulary, Features(document=True), max_types=50)
    for _ in range(2):  # the second pass starts from a cleared table
        type_of = table.type_ids(sentences)
        classes = table.document_classes(type_of, _lengths(sentences), documents)
        assert np.array_equal(classes, document_ids(sentences, documents))
    assert len(table) <= len({t for s in sentences for t in s})


def test_edge_cases_empty_and_one_token_sentences(vocabulary):
    sentences = [["Paris"], [], ["EU", "rejects", "German", "call"], ["."], []]
    features = _features(["Paris", "EU", "German", "."], vocabulary)
    table = TokenTable(vocabulary, features)
    expected = encode(sentences, vocabulary, 2, features)
    got = table.windows(table.type_ids(sentences), _lengths(sentences), 2)
    assert np.array_equal(got.ids, expected.ids)
    empty = table.windows(table.type_ids([]), np.zeros(0, np.int64), 2)
    assert empty.ids.shape == (0, 5, expected.ids.shape[2])


def test_window_rows_is_window_ids_column_by_column():
    rng = np.random.default_rng(0)
    lengths = np.array([3, 1, 0, 7], np.int64)
    per_token = rng.integers(3, 100, size=(11, 3)).astype(np.int32)
    got = window_rows(per_token, lengths, 2, [0, 1, 2], [5, 6, 7])
    for j in range(3):
        assert np.array_equal(got[:, :, j], window_ids(per_token[:, j], lengths, 2, j, 5 + j))
