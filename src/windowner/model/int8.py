"""Embedding rows as int8 with a per-row scale: how a model file stores the pretrained rows that
training never reads, in a quarter of their float32 size.

A row e (d,) is stored as q = round(e / s), int8 in [−127, 127], with s = max|e| / 127 rounded
to float16, and read back as q·s in float32. A row read back this way encodes to the same q and
s again (127·s and q·s are exact in float32 for a float16 s and |q| ≤ 127, and so is their
quotient by s), so a row is "int8-exact", stored as int8 with no loss at all, exactly when
encoding and decoding it gives it back bit for bit. Training rounds the rows it will never read
once, before its first step (training/build.py); the model file then stores those rows as int8
and every other row exactly (model_file.py), so the file holds the very model that was trained
and scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVELS = 127  # |q| ≤ LEVELS: the largest value of a row is ±127·s
_CHUNK = 1 << 16  # rows per block: the temporaries stay a few MB, whatever the vocabulary


@dataclass(frozen=True)
class Int8Rows:
    """Rows stored as q (V, d) int8 and scale (V,) float16; row i reads as q[i]·scale[i].

    A row with scale 0 reads as zeros (a zero row, or one its model stores as float32).
    """

    q: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        if self.q.dtype != np.int8 or self.scale.dtype != np.float16:
            raise ValueError(f"int8 rows and scales, not {self.q.dtype} and {self.scale.dtype}")
        if self.q.ndim != 2 or self.scale.shape != self.q.shape[:1]:
            raise ValueError(f"int8 rows {self.q.shape} with scales {self.scale.shape}")

    @property
    def shape(self) -> tuple[int, int]:
        return self.q.shape

    def decode(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Shapes: rows start..stop -> (stop − start, d) float32.  Math: e = q·s."""
        e = self.q[start:stop].astype(np.float32)
        e *= self.scale[start:stop].astype(np.float32)[:, None]
        return e


def encode(E: np.ndarray) -> tuple[Int8Rows, np.ndarray]:
    """Shapes: E (V, d) float32 -> (its rows as Int8Rows, exact (V,) bool).

    exact[i]: row i decodes back to E[i] bit for bit (an int8-exact row); the other rows are
    encoded all the same (their nearest int8 rows), or as zeros where no float16 scale fits
    them (a scale past float16's range, or one that underflows to 0 for a nonzero row).
    Math: s = fp16(max|e| / 127), q = clip(round(e / s), −127, 127).
    """
    V, d = E.shape
    q = np.zeros((V, d), np.int8)
    scale = np.zeros(V, np.float16)
    exact = np.zeros(V, bool)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for start in range(0, V, _CHUNK):
            e = E[start : start + _CHUNK].astype(np.float32, copy=False)
            top = np.abs(e).max(axis=1) if d else np.zeros(len(e), np.float32)
            s = (top / np.float32(LEVELS)).astype(np.float16)
            fits = np.isfinite(s) & ((s > 0) | (top == 0))
            s[~fits] = 0
            s32 = s.astype(np.float32)
            rounded = np.rint(e / np.where(s32 > 0, s32, 1)[:, None])
            rounded[~fits] = 0
            block = np.clip(rounded, -LEVELS, LEVELS).astype(np.int8)
            back = block.astype(np.float32) * s32[:, None]
            same = (back.view(np.uint32) == e.view(np.uint32)).all(axis=1)
            q[start : start + _CHUNK], scale[start : start + _CHUNK] = block, s
            exact[start : start + _CHUNK] = same & fits
    return Int8Rows(q, scale), exact


def round_rows(E: np.ndarray, rows: np.ndarray) -> int:
    """Replace E's `rows` (V,) bool, in place, by their int8 rounding (encode, then decode);
    a row no float16 scale fits stays as it is. -> how many rows were rounded."""
    picked = np.flatnonzero(rows)
    rounded = 0
    for start in range(0, len(picked), _CHUNK):
        at = picked[start : start + _CHUNK]
        int8, _ = encode(E[at])
        fits = (int8.scale > 0) | ~E[at].any(axis=1)
        E[at[fits]] = int8.decode()[fits]
        rounded += int(fits.sum())
    return rounded


def differs(E: np.ndarray, int8: Int8Rows) -> np.ndarray:
    """Shapes: E (V, d), int8 of shape (V, d) -> (V,) bool: the rows of E that the int8 rows do
    not give back bit for bit (compared as bits: −0.0 is not 0.0)."""
    out = np.empty(len(E), bool)
    for start in range(0, len(E), _CHUNK):
        back = int8.decode(start, start + _CHUNK)
        e = E[start : start + _CHUNK].astype(np.float32, copy=False)
        out[start : start + _CHUNK] = (back.view(np.uint32) != e.view(np.uint32)).any(axis=1)
    return out
