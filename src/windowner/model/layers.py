"""The network's layers as forward/backward pairs; each forward returns (out, cache) and each
backward returns the gradients of its inputs in the order the forward took them."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

SMALL_BATCH = 64  # up to this many rows, affine_forward multiplies in the orientation W xᵀ
# Tables up to this many numbers take SGD's step whole (TableGrad.subtract_from): cheaper than
# finding the rows a batch read, for the casing, shape and document tables; E is far larger.
DENSE_UPDATE_SIZE = 65_536


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


def window_backward(dx: np.ndarray, cache) -> dict[str, TableGrad]:
    """Route ∂J/∂x back to the tables that made x: for each table, the rows its slots read and
    their slices of dx (the sum per row, where a row repeats, is TableGrad's to make).

    Shapes: dx (N, n·D₀) -> {table name: TableGrad}, each table once, in its first slot's order.
    """
    ids, slots, widths = cache
    N, n, _ = ids.shape
    dx = dx.reshape(N, n, sum(widths))
    ends = np.cumsum(widths).tolist()
    grads = {}
    for name in dict.fromkeys(slots):
        mine = [j for j, slot in enumerate(slots) if slot == name]
        grads[name] = TableGrad(
            tuple(ids[:, :, j] for j in mine),
            tuple(dx[:, :, ends[j] - widths[j] : ends[j]] for j in mine),
        )
    return grads


@dataclass(frozen=True)
class TableGrad:
    """The gradient of one embedding table as a batch leaves it, before its rows are summed.

    Shapes: for each slot that reads the table, ids (N, n) the rows read and values (N, n, w)
    their slices of ∂J/∂x (views of dx). A row read several times (a word in several windows, or
    one prefix table read by several slots) is owed the sum of all its slices: `summed` makes it
    (for clipping's norm and the gradient checks), and `subtract_from` folds it into the SGD
    update itself, which is the training step's common case.
    """

    ids: tuple[np.ndarray, ...]
    values: tuple[np.ndarray, ...]

    @functools.cached_property
    def summed(self) -> RowGrad:
        """The slots' slices summed per distinct row, slot after slot, in batch order."""
        width = self.values[0].shape[-1]
        rows = np.concatenate([ids.reshape(-1) for ids in self.ids])
        values = np.concatenate([v.reshape(-1, width) for v in self.values])
        return scatter_rows(rows, values)

    def subtract_from(self, table: np.ndarray, lr: float) -> None:
        """SGD on the rows the batch read: table[r] ← table[r] − α Σ (r's slices).

        Shapes: table (rows, w), changed in place; lr a Python float (α in the table's dtype).
        Math: the same numbers, bit for bit, as `table[summed.rows] -= lr * summed.values`. A
        small table (casing, shapes, document classes: a few thousand numbers) sums into a
        zeroed copy of itself in the same order as scatter_rows (0 + v₁ + v₂ + …) and takes
        the step everywhere: a row the batch did not read moves by α·0, which leaves it as it
        was. That skips the sort that finding the distinct rows of E needs.
        """
        if table.size > DENSE_UPDATE_SIZE:
            g = self.summed
            table[g.rows] -= lr * g.values
            return
        width = table.shape[1]
        summed = np.zeros_like(table)
        columns = np.arange(width)
        for ids, values in zip(self.ids, self.values, strict=True):
            flat_index = (ids[:, :, None] * width + columns).reshape(-1)
            np.add.at(summed.reshape(-1), flat_index, values.reshape(-1))
        summed *= lr
        table -= summed


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
