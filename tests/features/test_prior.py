"""The document prior's classes (features/prior.py), worked by hand, and its slot in the windows."""

import numpy as np
import pytest

from windowner.features.document import token_types, type_facts
from windowner.features.prior import (
    ALONE_ID,
    CONFIDENT,
    PADDING_ID,
    PRIOR_CLASSES,
    TYPES,
    centre_only,
    prior_classes,
    type_distribution,
)
from windowner.features.token_table import TokenTable
from windowner.features.vocabulary import build_vocabulary
from windowner.features.windows import Features, encode
from windowner.vectors.loading import Vectors


def class_id(kind: str, confident: bool) -> int:
    return PRIOR_CLASSES.index(kind + (" confident" if confident else ""))


def facts(tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    types, type_of = token_types([tokens])
    word, kind, _ = type_facts(types, {})
    return word[type_of], kind[type_of]


def one_hot(*kinds: str, weight: float = 1.0) -> np.ndarray:
    """Distributions putting `weight` on each kind and the rest evenly on the others."""
    rest = (1 - weight) / (len(TYPES) - 1)
    return np.array([[weight if t == k else rest for t in TYPES] for k in kinds])


def test_a_mention_reads_the_mean_of_the_others_in_its_document_only():
    tokens = ["Lara", "said", "Lara", "LARA", "Lara", "lara"]
    document = np.array([0, 0, 0, 0, 1, 1])
    word, kind = facts(tokens)
    p = np.concatenate(
        [
            one_hot("PER", weight=0.9),  # Lara (doc 0)
            one_hot("O"),  # said
            one_hot("LOC", weight=0.6),  # Lara (doc 0)
            one_hot("PER", weight=0.7),  # LARA (doc 0)
            one_hot("ORG"),  # Lara (doc 1)
            one_hot("O"),  # lara (doc 1): counted, reads nothing (no capital)
        ]
    )
    classes = prior_classes(word, kind, document, p)
    # first Lara: the mean of LOC 0.6 and PER 0.7 → PER at (0.1 + 0.7) / 2 = 0.4, not confident
    assert classes[0] == class_id("PER", False)
    assert classes[1] == ALONE_ID  # "said": no capital letter
    # second Lara: mean of PER 0.9 and PER 0.7 = 0.8 ≥ CONFIDENT
    assert CONFIDENT <= 0.8 and classes[2] == class_id("PER", True)
    # the headline's LARA: the mean of PER 0.9 and LOC 0.6 → PER at (0.9 + 0.1) / 2 = 0.5
    assert classes[3] == class_id("PER", False)
    # doc 1: Lara reads lowercase lara's O, confidently; lara itself reads nothing
    assert classes[4] == class_id("O", True)
    assert classes[5] == ALONE_ID


def test_a_word_met_once_or_without_letters_stays_alone():
    tokens = ["Paris", "1996", "1996", ","]
    word, kind = facts(tokens)
    classes = prior_classes(word, kind, np.zeros(4, np.int64), one_hot("LOC", "O", "O", "O"))
    assert classes.tolist() == [ALONE_ID] * 4


def test_no_token_reads_its_own_distribution():
    """Two mentions: each reads the other's, so swapping their distributions swaps classes."""
    word, kind = facts(["Ajax", "Ajax"])
    p = np.concatenate([one_hot("ORG"), one_hot("LOC")])
    assert prior_classes(word, kind, np.zeros(2, np.int64), p).tolist() == [
        class_id("LOC", True),
        class_id("ORG", True),
    ]


def test_type_distribution_takes_the_larger_of_b_and_i_and_normalises():
    tags = ["O", "B-LOC", "B-PER", "I-LOC", "I-PER", "B-FOOD"]
    p = np.array([[0.1, 0.2, 0.05, 0.6, 0.05, 0.9]])
    out = type_distribution(np.log(p), tags)
    expected = np.array([0.1, 0.05, 0.6, 1e-9, 1e-9])  # O PER LOC ORG MISC; FOOD ignored
    np.testing.assert_allclose(out, [expected / expected.sum()])


def test_centre_only_keeps_padding_and_the_centre():
    column = np.array([[0, 0, 5, 7, 3], [9, 4, 6, 0, 0]])
    out = centre_only(column, 2)
    assert out.tolist() == [[0, 0, 5, ALONE_ID, ALONE_ID], [ALONE_ID, ALONE_ID, 6, 0, 0]]
    assert PADDING_ID == 0


@pytest.fixture(scope="module")
def vocabulary():
    words = ["paris", "lara", "said"]
    vectors = Vectors("test", words, np.eye(3, 4, dtype=np.float32))
    return build_vocabulary(vectors, [], np.random.default_rng(0), 2)[0]


def test_the_prior_is_the_last_slot_read_at_the_centre_by_encode_and_the_token_table(vocabulary):
    features = Features(document=True, prior=True)
    assert features.slots[-1] == "R"
    sentences = [["Lara", "said", "Paris"], ["Paris"]]
    prior = np.array([4, 1, 7, 9], np.int32)
    windows = encode(sentences, vocabulary, 2, features, prior=prior)
    r = windows.ids[:, :, -1]
    assert r[:, 2].tolist() == prior.tolist()
    assert r[0].tolist() == [0, 0, 4, 1, 1] and r[3].tolist() == [0, 0, 9, 0, 0]
    table = TokenTable(vocabulary, features)
    found = table.type_ids(sentences)
    again = table.windows(found, np.array([3, 1]), 2, prior=prior)
    np.testing.assert_array_equal(again.ids, windows.ids)
    # without priors (a first pass) every position reads "alone" or padding
    plain = encode(sentences, vocabulary, 2, features).ids[:, :, -1]
    assert set(plain[:, 2].tolist()) == {ALONE_ID}
