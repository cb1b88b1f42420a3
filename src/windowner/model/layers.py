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


def window_forward(params: dict[str, np.ndarray], slots: tuple[str, ...], ids: np.ndarray):
    """Gather and concatenate each window position's feature vectors into x.

    Shapes: ids (N, n, m), slot j of every position reading row ids[:, :, j] of the table
    params[slots[j]] (E (V, d) for the word, C (K, k) for its casing, …) -> x (N, n·D₀) with
    D₀ the slots' widths summed; position i occupies x[:, i·D₀ : (i+1)·D₀], its slots in order.
    """
    N, n, _ = ids.shape
    widths = [params[name].shape[1] for name in slots]
    x = np.empty((N, n, sum(widths)), np.result_type(*(params[name] for name in slots)))
    end = 0
    for j, (name, width) in enumerate(zip(slots, widths, strict=True)):
        # np.take, then one copy into x's slice: ~1.5× faster than fancy indexing and
        # concatenating the slots, the same numbers
        x[:, :, end : end + width] = np.take(params[name], ids[:, :, j], axis=0)
        end += width
    return x.reshape(N, -1), (ids, slots, widths)


def window_backward(dx: np.ndarray, cache) -> dict[str, RowGrad]:
    """Route ∂J/∂x back to the table rows that made x, summing where a row repeats (a word in
    several windows, or one prefix table read by several slots).

    Shapes: dx (N, n·D₀) -> {table name: RowGrad over its rows}.
    """
    ids, slots, widths = cache
    N, n, _ = ids.shape
    dx = dx.reshape(N, n, sum(widths))
    ends = np.cumsum(widths)
    grads = {}
    for name in dict.fromkeys(slots):  # each table once, in the order of its first slot
        mine = [j for j, slot in enumerate(slots) if slot == name]
        width = widths[mine[0]]
        # Explicit row counts: with a width of 0, reshape(-1, 0) would be ambiguous.
        rows = np.concatenate([ids[:, :, j].ravel() for j in mine])
        values = np.concatenate(
            [dx[:, :, ends[j] - width : ends[j]].reshape(N * n, width) for j in mine]
        )
        grads[name] = scatter_rows(rows, values)
    return grads


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
