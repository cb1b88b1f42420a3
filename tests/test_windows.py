import numpy as np

from windowner.casing import CASING_CLASSES, PADDING_ID, casing_class
from windowner.conll import read_conll
from windowner.vectors import Vectors
from windowner.vocabulary import BOS_ID, EOS_ID, UNK_ID, Vocabulary, build_vocabulary
from windowner.windows import encode, window_ids


def test_windows_pad_each_sentence_edge():
    ids = np.array([10, 11, 12, 20])  # sentences [10 11 12] and [20]
    windows = window_ids(ids, np.array([3, 1]), half=2, left=-1, right=-2)
    assert windows.tolist() == [
        [-1, -1, 10, 11, 12],
        [-1, 10, 11, 12, -2],
        [10, 11, 12, -2, -2],
        [-1, -1, 20, -2, -2],
    ]


def test_windows_of_a_real_corpus_centre_on_each_token(conll_dir):
    corpus = read_conll(conll_dir / "valid.txt")
    sentences = [s.tokens for s in corpus.sentences]
    words = sorted({t.lower() for s in sentences for t in s})
    vocabulary = Vocabulary(["<unk>", "<s>", "</s>", *words], lowercase=True)
    windows = encode(sentences, vocabulary, half=2)
    tokens = [t for s in sentences for t in s]
    assert windows.words.shape == (51_362, 5)
    assert [vocabulary.words[i] for i in windows.words[:, 2]] == [t.lower() for t in tokens]
    starts = np.cumsum(windows.lengths) - windows.lengths
    assert (windows.words[starts, :2] == BOS_ID).all()
    assert (windows.words[starts + windows.lengths - 1, 3:] == EOS_ID).all()
    assert (windows.casing[starts, :2] == PADDING_ID).all()
    # a middle token sees its true neighbours
    first = corpus.sentences[0].tokens
    assert [vocabulary.words[i] for i in windows.words[2]] == [t.lower() for t in first[:5]]


def test_casing_classes():
    cases = {
        "paris": "lower",
        "Paris": "title",
        "NATO": "upper",
        "U.S.": "upper",
        "McDonald": "mixed",
        "1996": "numeric",
        "3.5": "numeric",
        "2-1": "numeric",
        "F16": "has_digit",
        ",": "punct",
        "I": "title",
    }
    assert {t: casing_class(t) for t in cases} == cases
    assert set(cases.values()) <= set(CASING_CLASSES)


def test_vocabulary_looks_up_lowercased_and_adds_frequent_unknown_words():
    vectors = Vectors("test", ["the", "paris"], np.ones((2, 3), np.float32))
    rng = np.random.default_rng(0)
    vocabulary, E = build_vocabulary(vectors, ["Zorg", "zorg", "Blip", "the"], rng, min_count=2)
    assert vocabulary.words == ["<unk>", "<s>", "</s>", "the", "paris", "zorg"]
    assert vocabulary.ids(["Paris", "ZORG", "blip"]).tolist() == [4, 5, UNK_ID]
    assert E.shape == (6, 3) and E.dtype == np.float32
    assert (E[3:5] == 1).all() and not (E[5] == 1).all()
