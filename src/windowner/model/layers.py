"""The network's layers as forward/backward pairs; each forward returns (out, cache) and each
backward returns the gradients of its inputs in the order the forward took them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SMALL_BATCH = 64  # up to this many rows, affine_forward multiplies in the orientation W xᵀ


@dataclass(frozen=True)
class RowGrad:
    """The gradient of an embedding table, kept sparse: only the rows a batch touched.

    Shapes: rows (R,) distinct row ids, values (R, d). A row used several times in the batch
    (a word in several windows, or twice in one) holds the sum of all its contributions.
    """

    rows: np.ndarray
    values: np.ndarray

    def dense(self, n_rows: int) -> np.ndarray:
        out = np.zeros((n_rows, self.values.shape[1]), self.values.dtype)
        out[self.rows] = self.values
        return out


def window_forward(E: np.ndarray, C: np.ndarray, word_ids: np.ndarray, case_ids: np.ndarray):
    """Gather and concatenate each window position's word vector and casing vector into x.

    Shapes: E (V, d), C (K, k), word_ids and case_ids (N, n) -> x (N, n·(d+k)); position j of
    the window occupies x[:, j·(d+k) : (j+1)·(d+k)], its word vector first.
    """
    N = len(word_ids)
    x = np.concatenate([E[word_ids], C[case_ids]], axis=2).reshape(N, -1)
    return x, (word_ids, case_ids, E.shape[1], C.shape[1])


def window_backward(dx: np.ndarray, cache) -> tuple[RowGrad, RowGrad]:
    """Route ∂J/∂x back to the rows of E and C that made x, summing where a row repeats.

    Shapes: dx (N, n·(d+k)) -> dE (RowGrad over E), dC (RowGrad over C).
    """
    word_ids, case_ids, d, k = cache
    N, n = word_ids.shape
    dx = dx.reshape(N, n, d + k)
    # Explicit row counts: with casing_dim k = 0, reshape(-1, 0) would be ambiguous.
    return (
        scatter_rows(word_ids.ravel(), dx[:, :, :d].reshape(N * n, d)),
        scatter_rows(case_ids.ravel(), dx[:, :, d:].reshape(N * n, k)),
    )


def scatter_rows(ids: np.ndarray, values: np.ndarray) -> RowGrad:
    """Sum `values` per distinct id: the accumulation a fanned-out row needs.

    Shapes: ids (M,), values (M, d) -> RowGrad with R ≤ M rows, in increasing order.
    Math: each row's sum is 0 + v₁ + v₂ + … in the order of `ids` (np.add.at's order). The rows
    are found by one sort, and the sums run over the flattened (R·d,) array, where np.add.at has
    a fast path: the same sums, bit for bit, as np.unique and np.add.at over (R, d), ~2× faster.
    """
    order = ids.argsort()
    sorted_ids = ids[order]
    first = np.empty(len(ids), bool)  # first[i]: sorted_ids[i] starts a new row
    first[:1] = True
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=first[1:])
    inverse = np.empty(len(ids), np.intp)  # ids[i] is rows[inverse[i]]
    inverse[order] = np.cumsum(first) - 1
    rows = sorted_ids[first]
    d = values.shape[1]
    summed = np.zeros((len(rows), d), values.dtype)
    flat_index = (inverse[:, None] * d + np.arange(d)).reshape(-1)  # (M·d,) into summed
    np.add.at(summed.reshape(-1), flat_index, values.reshape(-1))
    return RowGrad(rows, summed)


def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray):
    """z = Wx + b for every row x of the batch.

    Shapes: x (N, D), W (H, D), b (H,) -> z (N, H), row-major.
    A minibatch (N ≤ 64) is computed as (W xᵀ)ᵀ, the lecture's own orientation: the same numbers,
    bit for bit, as x Wᵀ, which OpenBLAS runs ~1.4× slower at 32 × 270 by 270 × 300; larger
    blocks (tagging) are faster as x Wᵀ (README.md, Performance, has the measurements).
    """
    if len(x) <= SMALL_BATCH:
        return np.add((W @ x.T).T, b, order="C"), (x, W)
    return x @ W.T + b, (x, W)


def affine_backward(dz: np.ndarray, cache):
    """Shapes: dz (N, H) -> dx (N, D), dW (H, D), db (H,).

    Math: with δ = dz, dx = δW, dW = δᵀx, db = Σₙ δₙ (the batch's rows add up).
    """
    x, W = cache
    return dz @ W, dz.T @ x, dz.sum(axis=0)
