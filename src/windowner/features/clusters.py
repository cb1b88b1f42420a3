"""Word clusters: a cluster id per word from k-means over its pretrained vector, at several sizes.

Words whose vectors are close share an id ("paris", "lyon", "marseille"), so a rare word can
borrow what the network learned for its cluster. k-means is deterministic: k-means++ seeding
drawn from `np.random.default_rng(seed)`, then a fixed number of Lloyd steps. It is fitted on
the `fit_words` most frequent words (the first rows of a GloVe file) and every word, fitted or
not, gets the id of its nearest centroid. Vectors are scaled to unit length first, so nearest
means largest cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SIZES = (64, 256, 1024)
ITERATIONS = 15
FIT_WORDS = 50_000
_CHUNK = 16_384  # rows per block of the (rows, k) distance matrix: 64 MiB at k = 1024


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero). Shapes: (n, d) -> (n, d) float32."""
    x = np.asarray(x, np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def assign(x: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of each row's nearest centroid. Shapes: x (n, d), centroids (k, d) -> (n,) int32.

    Math: argmin_c |x − c|² = argmin_c (|c|² − 2 x·c), computed in blocks of rows.
    """
    c2 = np.einsum("kd,kd->k", centroids, centroids)
    out = np.empty(len(x), np.int32)
    for a in range(0, len(x), _CHUNK):
        scores = c2 - 2 * (x[a : a + _CHUNK] @ centroids.T)
        out[a : a + _CHUNK] = scores.argmin(axis=1)
    return out


def kmeans_plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k seeds, each drawn with probability ∝ its squared distance to the nearest seed so far.

    Shapes: x (n, d) -> (k, d).
    """
    n = len(x)
    if not 0 < k <= n:
        raise ValueError(f"k = {k} must be between 1 and the number of rows ({n})")
    x2 = np.einsum("nd,nd->n", x, x)
    chosen = [int(rng.integers(n))]
    d2 = np.maximum(x2 - 2 * (x @ x[chosen[0]]) + x2[chosen[0]], 0)
    for _ in range(1, k):
        total = d2.sum()
        if total <= 0:  # fewer distinct rows than k: take any row not yet taken
            i = int(np.setdiff1d(np.arange(n), chosen)[0])
        else:
            i = int(np.searchsorted(np.cumsum(d2, dtype=np.float64), rng.random() * total))
            i = min(i, n - 1)
        chosen.append(i)
        d2 = np.minimum(d2, np.maximum(x2 - 2 * (x @ x[i]) + x2[i], 0))
    return x[chosen].copy()


def kmeans(x: np.ndarray, k: int, seed: int, iterations: int = ITERATIONS) -> np.ndarray:
    """Centroids of `k` clusters of the rows of x: k-means++ seeds, then Lloyd steps.

    Shapes: x (n, d) -> (k, d) float32. A cluster left empty by a step keeps its centroid.
    """
    x = np.asarray(x, np.float32)
    rng = np.random.default_rng(seed)
    centroids = kmeans_plus_plus(x, k, rng)
    for _ in range(iterations):
        ids = assign(x, centroids)
        counts = np.bincount(ids, minlength=k)
        # Each cluster's sum of rows, one column at a time (np.add.at is ~50 times slower).
        sums = np.stack([np.bincount(ids, x[:, j], minlength=k) for j in range(x.shape[1])], 1)
        filled = counts > 0
        centroids[filled] = (sums[filled] / counts[filled, None]).astype(np.float32)
    return centroids


@dataclass(frozen=True)
class WordClusters:
    """Cluster ids of every word at each size. Shapes: ids (len(sizes), n_words) int32."""

    words: list[str]
    sizes: tuple[int, ...]
    ids: np.ndarray

    def of(self, words: Sequence[str], unknown: int = -1) -> np.ndarray:
        """Ids of `words` at every size; `unknown` for a word without a vector.

        Shapes: n words -> (n, len(sizes)) int32.
        """
        row = {w: i for i, w in enumerate(self.words)}
        rows = np.fromiter((row.get(w, -1) for w in words), np.int64, len(words))
        out = np.full((len(rows), len(self.sizes)), unknown, np.int32)
        known = rows >= 0
        out[known] = self.ids[:, rows[known]].T
        return out


def cluster_words(
    words: list[str],
    vectors: np.ndarray,
    sizes: Sequence[int] = SIZES,
    seed: int = 0,
    fit_words: int = FIT_WORDS,
    iterations: int = ITERATIONS,
) -> WordClusters:
    """Cluster ids for every word at each size, fitted on the first `fit_words` rows.

    Shapes: vectors (n_words, d) -> ids (len(sizes), n_words). Each size gets its own seed
    drawn from `seed`, so adding a size does not change the ids of the others.
    """
    x = unit_rows(vectors)
    fit = x[:fit_words]
    ids = np.empty((len(sizes), len(x)), np.int32)
    for row, k in enumerate(sizes):
        centroids = kmeans(fit, k, seed=seed * 1_000_003 + k, iterations=iterations)
        ids[row] = assign(x, centroids)
    return WordClusters(list(words), tuple(sizes), ids)


# The seed of a model's clusterings: fixed, so that clusters depend on the vectors alone and the
# seeds of a multi-seed run (which become one ensemble, sharing its features) agree on them.
MODEL_SEED = 0
NO_CLUSTER = 0  # a row's id at every size when it has no pretrained vector; cluster c is c + 1


@dataclass(frozen=True, eq=False)
class VocabularyClusters:
    """The cluster of every vocabulary row at each size, as a model stores and reads them.

    Shapes: ids (V, len(sizes)) int32, ids[r, i] in [0, sizes[i]]: NO_CLUSTER for a row without
    a pretrained vector (the specials, fresh training words), c + 1 for cluster c. A window
    position reads one slot per size, all in one table Q: size i's rows are
    offsets[i] + ids[:, i], its NO_CLUSTER row standing for sentence padding too.
    """

    sizes: tuple[int, ...]
    ids: np.ndarray

    @property
    def names(self) -> tuple[str, ...]:
        """The table each slot reads, one slot per size."""
        return ("Q",) * len(self.sizes)

    @property
    def offsets(self) -> np.ndarray:
        """(len(sizes),) where each size's rows start in Q."""
        blocks = np.asarray(self.sizes, np.int32) + 1
        return (np.cumsum(blocks) - blocks).astype(np.int32)

    def rows(self) -> int:
        """Q's rows: each size's clusters and its NO_CLUSTER row."""
        return sum(self.sizes) + len(self.sizes)

    def of_rows(self, rows: np.ndarray) -> np.ndarray:
        """Q's rows read by the tokens whose vocabulary rows are `rows`. Shapes: (T,) -> (T, m)."""
        return self.ids[rows] + self.offsets

    def padding_ids(self) -> np.ndarray:
        """(m,) the rows of a position beyond the sentence edge: each size's NO_CLUSTER."""
        return self.offsets + NO_CLUSTER

    def to_dict(self) -> dict:
        return {"sizes": list(self.sizes)}


def vocabulary_clusters(
    E: np.ndarray,
    pretrained: np.ndarray,
    sizes: Sequence[int],
    seed: int = MODEL_SEED,
    fit_words: int = FIT_WORDS,
) -> VocabularyClusters:
    """Cluster the rows of E that hold pretrained vectors (`pretrained`, (V,) bool, in the
    vectors' order, most frequent first) at each size; every other row gets NO_CLUSTER.

    Shapes: E (V, d) -> ids (V, len(sizes)). A ValueError if a size exceeds the rows fitted.
    """
    rows = np.flatnonzero(pretrained)
    fitted = min(len(rows), fit_words)
    if any(k > fitted for k in sizes):
        raise ValueError(
            f"cluster sizes {list(sizes)}: k-means needs at least k pretrained vectors to fit, "
            f"and there are {fitted:,}"
        )
    found = cluster_words([], E[rows], sizes, seed, fit_words)  # words unused: rows, not keys
    ids = np.full((len(E), len(sizes)), NO_CLUSTER, np.int32)
    ids[rows] = found.ids.T + 1
    return VocabularyClusters(tuple(sizes), ids)
