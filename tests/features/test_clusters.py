"""Word clusters: deterministic k-means over the packaged GloVe vectors, and ids per word."""

from __future__ import annotations

import numpy as np
import pytest

from windowner.features.clusters import (
    MODEL_SEED,
    NO_CLUSTER,
    assign,
    cluster_words,
    kmeans,
    kmeans_plus_plus,
    unit_rows,
    vocabulary_clusters,
)
from windowner.vectors.loading import load_vectors


@pytest.fixture(scope="module")
def glove():
    return load_vectors("glove-6b-50d", max_vectors=10_000)


def test_the_same_seed_gives_the_same_ids_another_seed_others(glove):
    def ids(seed):
        return cluster_words(glove.words, glove.matrix, (16, 64), seed, fit_words=2_000).ids

    first = ids(0)
    assert first.shape == (2, 10_000) and first.dtype == np.int32
    assert np.array_equal(first, ids(0))
    assert not np.array_equal(first, ids(1))


def test_a_size_keeps_its_ids_when_other_sizes_are_added(glove):
    alone = cluster_words(glove.words, glove.matrix, (32,), 0, fit_words=3_000).ids
    beside = cluster_words(glove.words, glove.matrix, (8, 32), 0, fit_words=3_000).ids
    assert np.array_equal(alone[0], beside[1])


def test_related_words_share_a_cluster_and_unknown_words_get_minus_one(glove):
    clusters = cluster_words(glove.words, glove.matrix, (64,), 0, fit_words=5_000)
    ids = clusters.of(["monday", "tuesday", "wednesday", "no-such-word"])[:, 0]
    assert ids[0] == ids[1] == ids[2] and ids[3] == -1
    assert len(np.unique(clusters.ids[0])) == 64  # no cluster left empty


def test_every_word_gets_its_nearest_centroid_as_the_plain_formula_says():
    rng = np.random.default_rng(3)
    x = unit_rows(rng.normal(size=(500, 8)))
    centroids = kmeans(x, 7, seed=0, iterations=5)
    distances = ((x[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    assert np.array_equal(assign(x, centroids), distances.argmin(axis=1))


def test_lloyd_steps_never_raise_the_within_cluster_sum_of_squares():
    rng = np.random.default_rng(4)
    x = unit_rows(rng.normal(size=(800, 10)))

    def inertia(iterations):
        c = kmeans(x, 12, seed=5, iterations=iterations)
        return float(((x - c[assign(x, c)]) ** 2).sum())

    values = [inertia(n) for n in (0, 1, 3, 10)]
    assert values == sorted(values, reverse=True)


def test_kmeans_plus_plus_takes_distinct_rows_even_when_few_are_distinct():
    x = np.repeat(np.eye(3, dtype=np.float32), 4, axis=0)  # 3 distinct rows, 12 in all
    seeds = kmeans_plus_plus(x, 3, np.random.default_rng(0))
    assert len({tuple(row) for row in seeds}) == 3
    assert len(kmeans_plus_plus(x, 5, np.random.default_rng(0))) == 5
    with pytest.raises(ValueError, match="between 1 and"):
        kmeans_plus_plus(x, 13, np.random.default_rng(0))


def test_vocabulary_clusters_give_rows_without_a_vector_no_cluster():
    rng = np.random.default_rng(3)
    E = rng.normal(size=(40, 5)).astype(np.float32)
    pretrained = np.ones(40, bool)
    pretrained[:3] = pretrained[-4:] = False  # the specials and fresh training words
    clusters = vocabulary_clusters(E, pretrained, (4, 8))
    assert clusters.ids.shape == (40, 2) and clusters.ids.dtype == np.int32
    assert (clusters.ids[~pretrained] == NO_CLUSTER).all()
    assert (clusters.ids[pretrained] >= 1).all()
    assert (clusters.ids[pretrained].max(axis=0) <= (4, 8)).all()
    expected = cluster_words([], E[pretrained], (4, 8), MODEL_SEED).ids.T + 1
    assert np.array_equal(clusters.ids[pretrained], expected)
    # One table Q: size i's rows follow size i-1's, each with its NO_CLUSTER row first.
    assert clusters.names == ("Q", "Q") and clusters.rows() == 4 + 1 + 8 + 1
    assert clusters.padding_ids().tolist() == [0, 5]
    assert clusters.of_rows(np.array([0, 5])).tolist() == [
        [0, 5],
        (clusters.ids[5] + [0, 5]).tolist(),
    ]
    with pytest.raises(ValueError, match="at least k pretrained vectors"):
        vocabulary_clusters(E, pretrained, (64,))
