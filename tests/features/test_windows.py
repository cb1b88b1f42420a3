import numpy as np
import pytest

from windowner.choices import LOOKUP_STEPS as EVERY_STEP
from windowner.config import VectorsConfig
from windowner.data.conll import read_conll
from windowner.features.casing import CASING_CLASSES, PADDING_ID, casing_class
from windowner.features.vocabulary import (
    BOS_ID,
    EOS_ID,
    LEGACY_LOOKUP,
    UNK_ID,
    Vocabulary,
    build_vocabulary,
    check_lookup,
    lookup_keys,
)
from windowner.features.windows import encode, window_ids
from windowner.vectors.loading import Vectors


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


def test_vocabulary_defaults_to_the_config_s_lookup_and_keeps_digit_keys():
    assert Vocabulary(["<unk>", "<s>", "</s>"], True).lookup == VectorsConfig().lookup
    vocabulary = Vocabulary(["<unk>", "<s>", "</s>", "paris", "0000"], True, EVERY_STEP)
    assert vocabulary.lookup == ("exact", "lower", "digits")
    assert vocabulary.ids(["Paris", "1996", "<s>", "zorg"]).tolist() == [3, 4, BOS_ID, UNK_ID]
    assert vocabulary.key("F16") == "f00" and vocabulary.candidates("F16") == ["f16", "f00"]


def test_lookup_order_exact_then_lowercase_then_digits_on_cased_vectors():
    words = ["<unk>", "<s>", "</s>", "Paris", "paris", "us", "f00"]
    vocabulary = Vocabulary(words, lowercase=False, lookup=EVERY_STEP)
    assert vocabulary.candidates("F16") == ["F16", "f16", "f00"]
    assert vocabulary.ids(["Paris", "PARIS", "paris", "US", "F16", "F-16"]).tolist() == [
        3,
        4,
        4,
        5,
        6,
        UNK_ID,
    ]
    assert [vocabulary.find(t)[1] for t in ("Paris", "PARIS", "F16", "B52")] == [0, 1, 2, -1]
    only_exact = Vocabulary(words, lowercase=False, lookup=("exact",))
    assert only_exact.ids(["Paris", "PARIS", "F16"]).tolist() == [3, UNK_ID, UNK_ID]
    digits_first = Vocabulary(words, lowercase=False, lookup=("digits", "exact"))
    assert digits_first.candidates("F16") == ["F00", "F16"]


def test_vocabulary_settings_round_trip_through_json():
    import json

    vocabulary = Vocabulary(["<unk>", "<s>", "</s>", "a"], True, ("exact", "digits"))
    settings = json.loads(json.dumps(vocabulary.settings()))
    assert settings == {"lowercase": True, "lookup": ["exact", "digits"]}
    again = Vocabulary.from_settings(vocabulary.words, settings)
    assert again == vocabulary and again.lookup == ("exact", "digits")
    legacy = Vocabulary.from_settings(vocabulary.words, {"lowercase": True})
    assert legacy.lookup == LEGACY_LOOKUP


@pytest.mark.parametrize("lookup", [(), ("exact", "exact"), ("exact", "stem")])
def test_bad_lookup_chains_are_rejected(lookup):
    with pytest.raises(ValueError, match="lookup must be an ordered list of distinct steps"):
        check_lookup(lookup)


def test_coverage_counts_oov_by_type_and_by_token_and_by_step():
    vocabulary = Vocabulary(["<unk>", "<s>", "</s>", "Paris", "paris", "0000"], False, EVERY_STEP)
    coverage = vocabulary.coverage(["Paris", "Paris", "PARIS", "1996", "zorg", "zorg", "blip"])
    assert (coverage.types, coverage.tokens) == (5, 7)
    assert (coverage.oov_types, coverage.oov_tokens) == (2, 3)
    assert coverage.found_by == {"exact": (1, 2), "lower": (1, 1), "digits": (1, 1)}
    assert coverage.oov_token_rate == pytest.approx(3 / 7)
    assert coverage.summary().startswith("out of vocabulary: 42.86% of tokens (3 of 7), 40.00%")


def test_training_words_share_a_row_under_their_coarsest_key():
    vectors = Vectors("test", ["the"], np.ones((1, 3), np.float32))
    tokens = ["F16", "F15", "the", "X1", "<s>"]
    rng = np.random.default_rng(0)
    vocabulary, _ = build_vocabulary(vectors, tokens, rng, min_count=2, lookup=EVERY_STEP)
    assert vocabulary.words == ["<unk>", "<s>", "</s>", "the", "f00"]
    assert vocabulary.ids(["F-16", "f99", "X1"]).tolist() == [UNK_ID, 4, UNK_ID]


def test_max_vectors_keeps_the_most_frequent_and_every_training_word():
    words = ["the", "of", "paris", "zorg", "f00", "blip"]
    vectors = Vectors("test", words, np.arange(18, dtype=np.float32).reshape(6, 3))
    vocabulary, E = build_vocabulary(
        vectors, ["Zorg", "F16"], np.random.default_rng(0), lookup=EVERY_STEP, max_vectors=2
    )
    assert vocabulary.words == ["<unk>", "<s>", "</s>", "the", "of", "zorg", "f00"]
    assert (E[5] == vectors.matrix[3]).all() and (E[6] == vectors.matrix[4]).all()
    assert lookup_keys(["Zorg", "F16"], True, EVERY_STEP) == {"zorg", "f16", "f00"}


def test_oov_of_conll_with_glove_by_lookup_chain(conll_dir):
    from windowner.vectors.loading import load_vectors

    glove = load_vectors("glove-6b-50d")
    train = [t for s in read_conll(conll_dir / "train.txt").sentences for t in s.tokens]
    rng = np.random.default_rng(0)
    legacy, _ = build_vocabulary(glove, train, rng, lookup=LEGACY_LOOKUP)
    chain, _ = build_vocabulary(glove, train, rng, lookup=EVERY_STEP)
    assert len(legacy) == 400_477  # the README's figure for the default model
    assert legacy.coverage(train).oov_tokens == 2_120  # 1.04%
    coverage = chain.coverage(train)
    assert coverage.oov_tokens == 1_062 and coverage.oov_types == 1_062
    assert coverage.found_by["digits"][1] == 2_804
