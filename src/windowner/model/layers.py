"""The network's layers as forward/backward pairs; each forward returns (out, cache) and each
backward returns the gradients of its inputs in the order the forward took them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

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


class WindowCache(NamedTuple):
    """What window_forward keeps for window_backward: the ids (N, n, m), each slot's table and
    where each slot sits in x."""

    ids: np.ndarray
    slots: tuple[str, ...]
    layout: _Layout


def window_forward(params: dict[str, np.ndarray], slots: tuple[str, ...], ids: np.ndarray):
    """Gather and concatenate each window position's feature vectors into x.

    Shapes: ids (N, n, m), slot j of every position reading row ids[:, :, j] of the table
    params[slots[j]] (E (V, d) for the word, C (K, k) for its casing, …) -> x (N, n·D₀) with
    D₀ the slots' widths summed; position i occupies x[:, i·D₀ : (i+1)·D₀], its slots in order.
    """
    N, n, _ = ids.shape
    tables = [params[name] for name in slots]
    widths = tuple(table.shape[1] for table in tables)
    layout = _layout(slots, widths, tuple(len(table) for table in tables))
    x = np.empty((N, n, layout.width), np.result_type(*tables))
    for j, table in enumerate(tables):
        # np.take, then one copy into x's slice: ~1.5× faster than fancy indexing and
        # concatenating the slots, the same numbers
        x[:, :, layout.columns[j]] = np.take(table, ids[:, :, j], axis=0)
    return x.reshape(N, -1), WindowCache(ids, slots, layout)


def window_backward(dx: np.ndarray, cache: WindowCache) -> dict[str, TableGrad]:
    """Route ∂J/∂x back to the tables that made x: for each table, the rows its slots read and
    their slices of dx (the sum per row, where a row repeats, is TableGrad's to make).

    Shapes: dx (N, n·D₀) -> {table name: TableGrad}, each table once, in its first slot's order.
    The small tables each read by one slot (casing, shape, document) share one SmallTables,
    which sums all their rows in a single pass.
    """
    ids, _, layout = cache
    N, n, _ = ids.shape
    dx = dx.reshape(N, n, layout.width)
    small = SmallTables(ids, dx, layout) if layout.small else None
    grads = {}
    for name, mine in layout.tables:
        part = layout.small.get(name)
        grads[name] = TableGrad(
            tuple(ids[:, :, j] for j in mine),
            tuple(dx[:, :, layout.columns[j]] for j in mine),
            None if part is None else small,
            part,
        )
    return grads


@dataclass(frozen=True)
class _Layout:
    """Where each slot of a window position sits in x, and which tables SmallTables sums
    together; computed once per network shape (see _layout)."""

    width: int  # D₀
    columns: tuple[slice, ...]  # slot j's columns in a position's D₀
    tables: tuple[tuple[str, tuple[int, ...]], ...]  # each table once, with the slots reading it
    small: dict[str, slice]  # small single-slot table -> its part of SmallTables' flat sums
    small_columns: np.ndarray  # (w,) the columns of D₀ those tables' slots fill
    small_slot: np.ndarray  # (w,) for each such column, its slot
    small_width: np.ndarray  # (w,) and its table's width
    small_offset: np.ndarray  # (w,) and its number's offset in the flat sums (before the row)
    small_size: int  # the flat sums' length: those tables' sizes summed


@functools.lru_cache(maxsize=64)
def _layout(slots: tuple[str, ...], widths: tuple[int, ...], rows: tuple[int, ...]) -> _Layout:
    ends = np.cumsum(widths).tolist()
    columns = tuple(slice(end - w, end) for end, w in zip(ends, widths, strict=True))
    tables = tuple(
        (name, tuple(j for j, slot in enumerate(slots) if slot == name))
        for name in dict.fromkeys(slots)
    )
    small, small_columns, small_slot, small_width, small_offset = {}, [], [], [], []
    size = 0
    for name, mine in tables:
        (j,) = mine if len(mine) == 1 else (None,)
        # A table read by several slots sums slot after slot (scatter_rows' order), which one
        # pass over the positions would not keep; E is too large to sum whole.
        if j is None or rows[j] * widths[j] > DENSE_UPDATE_SIZE:
            continue
        small[name] = slice(size, size + rows[j] * widths[j])
        small_columns += range(columns[j].start, columns[j].stop)
        small_slot += [j] * widths[j]
        small_width += [widths[j]] * widths[j]
        small_offset += [size + c for c in range(widths[j])]
        size += rows[j] * widths[j]
    return _Layout(
        sum(widths),
        columns,
        tables,
        small,
        *(np.array(v, np.intp) for v in (small_columns, small_slot, small_width, small_offset)),
        size,
    )


class SmallTables:
    """The summed gradient rows of every small table read by one slot, made in one pass.

    Shapes: ids (N, n, m), dx (N, n, D₀) -> flat (size,) the sums, those tables laid end to
    end and flattened. A table's part of flat is its (rows, w) gradient, each number
    0 + v₁ + v₂ + … in batch order, as summing the table alone gives (one slot per table: no
    other order to keep). Made when first asked for: clipping and the gradient checks never ask.
    """

    def __init__(self, ids: np.ndarray, dx: np.ndarray, layout: _Layout):
        self.ids, self.dx, self.layout = ids, dx, layout

    @functools.cached_property
    def flat(self) -> np.ndarray:
        layout = self.layout
        values = self.dx[:, :, layout.small_columns]  # (N, n, w), those slots' columns
        # each of those numbers' place in the flat sums: its row's, plus its column's offset
        flat_index = self.ids[:, :, layout.small_slot] * layout.small_width + layout.small_offset
        flat = np.zeros(layout.small_size, self.dx.dtype)
        np.add.at(flat, flat_index.reshape(-1), values.reshape(-1))
        return flat


@dataclass(frozen=True)
class TableGrad:
    """The gradient of one embedding table as a batch leaves it, before its rows are summed.

    Shapes: for each slot that reads the table, ids (N, n) the rows read and values (N, n, w)
    their slices of ∂J/∂x (views of dx). A row read several times (a word in several windows, or
    one prefix table read by several slots) is owed the sum of all its slices: `summed` makes it
    (for clipping's norm and the gradient checks), and `subtract_from` folds it into the SGD
    update itself, which is the training step's common case. A small table's sums come from the
    SmallTables it shares with the others (`small`, its `part` of them).
    """

    ids: tuple[np.ndarray, ...]
    values: tuple[np.ndarray, ...]
    small: SmallTables | None = None
    part: slice | None = None

    @functools.cached_property
    def summed(self) -> RowGrad:
        """The slots' slices summed per distinct row, slot after slot, in batch order."""
        width = self.values[0].shape[-1]
        if len(self.ids) == 1:  # E: one slot, nothing to join (concatenate would copy)
            return scatter_rows(self.ids[0].reshape(-1), self.values[0].reshape(-1, width))
        rows = np.concatenate([ids.reshape(-1) for ids in self.ids])
        values = np.concatenate([v.reshape(-1, width) for v in self.values])
        return scatter_rows(rows, values)

    def subtract_from(self, table: np.ndarray, lr: float) -> None:
        """SGD on the rows the batch read: table[r] ← table[r] − α Σ (r's slices).

        Shapes: table (rows, w), changed in place; lr a Python float (α in the table's dtype).
        Math: the same numbers, bit for bit, as `table[summed.rows] -= lr * summed.values`. A
        small table (casing, shapes, document classes: a few thousand numbers) takes its sums
        from SmallTables, made in the same order as scatter_rows (0 + v₁ + v₂ + …), and the
        step everywhere: a row the batch did not read moves by α·0, which leaves it as it was.
        That skips the sort that finding the distinct rows of E needs.
        """
        if self.small is None:
            g = self.summed
            table[g.rows] -= lr * g.values
            return
        summed = self.small.flat[self.part].reshape(table.shape)
        table -= lr * summed


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
