"""The network's layers as forward/backward pairs; each forward returns (out, cache) and each
backward returns the gradients of its inputs in the order the forward took them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    return (
        scatter_rows(word_ids.ravel(), dx[:, :, :d].reshape(-1, d)),
        scatter_rows(case_ids.ravel(), dx[:, :, d:].reshape(-1, k)),
    )


def scatter_rows(ids: np.ndarray, values: np.ndarray) -> RowGrad:
    """Sum `values` per distinct id: the accumulation a fanned-out row needs.

    Shapes: ids (M,), values (M, d) -> RowGrad with R ≤ M rows.
    """
    rows, inverse = np.unique(ids, return_inverse=True)
    summed = np.zeros((len(rows), values.shape[1]), values.dtype)
    np.add.at(summed, inverse, values)
    return RowGrad(rows, summed)


def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray):
    """z = Wx + b for every row x of the batch.

    Shapes: x (N, D), W (H, D), b (H,) -> z (N, H).
    """
    return x @ W.T + b, (x, W)


def affine_backward(dz: np.ndarray, cache):
    """Shapes: dz (N, H) -> dx (N, D), dW (H, D), db (H,).

    Math: with δ = dz, dx = δW, dW = δᵀx, db = Σₙ δₙ (the batch's rows add up).
    """
    x, W = cache
    return dz @ W, dz.T @ x, dz.sum(axis=0)
