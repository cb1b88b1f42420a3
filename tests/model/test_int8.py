"""int8 rows: a rounded row encodes to itself bit for bit, and nothing else passes for exact."""

import numpy as np

from windowner.model.int8 import LEVELS, Int8Rows, differs, encode, round_rows


def glove_like(rows: int = 500, d: int = 50, seed: int = 0) -> np.ndarray:
    """Rows on GloVe 6B 50d's scale (σ ≈ 0.64), with the edge cases a vectors file can hold."""
    E = np.random.default_rng(seed).normal(0.0, 0.64, size=(rows, d)).astype(np.float32)
    E[1] = 0.0  # a zero row
    E[2] *= 1e-6  # a row whose scale falls below float16's subnormals
    E[3] *= 1e8  # one whose scale overflows float16
    E[4, :3] = [1e-3, -2e-3, 4e-3]  # a row whose scale is a float16 subnormal
    E[4, 3:] = 0.0
    return E


def test_a_rounded_row_is_exact_and_rounds_to_itself():
    E = glove_like()
    int8, exact = encode(E)
    assert not exact[[0, 2, 3, 5]].any()  # arbitrary float32 rows are not int8-exact
    assert exact[1]  # zeros are
    rounded = E.copy()
    count = round_rows(rounded, np.ones(len(E), bool))
    assert count == len(E) - 2  # the rows no float16 scale fits stay as they are
    assert np.array_equal(rounded[[2, 3]], E[[2, 3]])
    again, exact_again = encode(rounded)
    fits = np.ones(len(E), bool)
    fits[[2, 3, 4]] = False  # 2, 3: left unrounded; 4: a subnormal scale rounds to fewer steps
    assert exact_again[fits].all() and not exact_again[[2, 3]].any()
    assert np.array_equal(again.q[fits], int8.q[fits])
    assert np.array_equal(again.scale[fits], int8.scale[fits])
    assert not differs(rounded[fits], Int8Rows(again.q[fits], again.scale[fits])).any()


def test_rounding_moves_each_value_by_at_most_half_a_step():
    E = glove_like()[5:]
    rounded = E.copy()
    round_rows(rounded, np.ones(len(E), bool))
    step = np.abs(E).max(axis=1, keepdims=True) / LEVELS
    assert (np.abs(rounded - E) <= 0.5 * step * (1 + 2**-9) + 1e-12).all()
    assert np.abs(rounded - E).max() > 0  # it did round


def test_only_the_chosen_rows_are_rounded():
    E = glove_like()
    chosen = np.zeros(len(E), bool)
    chosen[10:20] = True
    rounded = E.copy()
    round_rows(rounded, chosen)
    assert np.array_equal(rounded[~chosen], E[~chosen])
    assert not np.array_equal(rounded[10:20], E[10:20])


def test_differs_compares_bits():
    E = glove_like()[5:25]
    round_rows(E, np.ones(len(E), bool))
    int8, _ = encode(E)
    assert not differs(E, int8).any()
    E[3, 7] = np.nextafter(E[3, 7], np.float32(np.inf))  # one ulp
    zero = np.flatnonzero(int8.q[5] == 0)
    if zero.size:
        E[5, zero[0]] = -0.0  # equal to 0.0, but not the same bits
    assert np.flatnonzero(differs(E, int8)).tolist() == ([3, 5] if zero.size else [3])


def test_int8_rows_refuse_other_dtypes_and_shapes():
    import pytest

    with pytest.raises(ValueError, match="int8"):
        Int8Rows(np.zeros((2, 3), np.float32), np.zeros(2, np.float16))
    with pytest.raises(ValueError, match="scales"):
        Int8Rows(np.zeros((2, 3), np.int8), np.zeros(3, np.float16))
