"""The word2vec format as gensim reads it, checked: a `COUNT DIM` header against the file's size
before anything is sized by it, a binary file's length against its header's count, and the rows
gensim returns (NaN/inf values, repeated words).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from windowner.errors import UserError, check_size, first_line, reading
from windowner.vectors.compression import compression


def binary_header(path: Path) -> tuple[int, int, int]:
    """A word2vec binary file's `COUNT DIM` header, checked against the file's size before
    gensim allocates COUNT × DIM floats. -> (count, dim, bytes of the header line)."""
    from gensim import utils

    with reading(path, "a vectors file"), utils.open(str(path), "rb") as f:
        line = f.readline(1 << 16)
    count, dim = (int(field) for field in line.split())
    check_header(path, count, dim, 4)
    return count, dim, len(line)


def check_header(path: Path, count: int, dim: int, bytes_per_number: int) -> None:
    """A word2vec `COUNT DIM` header, checked before anything is sized by it: COUNT × DIM
    numbers of at least `bytes_per_number` bytes each (4 in binary, 2 in text: a digit and a
    space) must fit in the file, or in 100 times a compressed file's size (float32 vectors
    compress to about 90% of their size), and their float32 matrix in errors.MAX_ARRAY_BYTES."""
    if count < 1 or dim < 1:
        raise UserError(f"cannot read vectors: the header says {count} vectors of {dim}", path, 1)
    room = path.stat().st_size * (100 if compression(path) else 1)
    if count * dim * bytes_per_number > room:
        raise UserError(
            f"cannot read vectors: the header says {count:,} vectors of {dim:,} numbers "
            f"({count * dim * bytes_per_number:,} bytes or more), more than the file's "
            f"{path.stat().st_size:,} bytes can hold",
            path,
            1,
        )
    check_size(f"the header's {count:,} vectors of {dim:,} numbers", count * dim, 4, path)


def check_binary_size(path: Path, claimed: tuple[int, int, int], words: list) -> None:
    """gensim reads COUNT vectors and ignores the rest: a header whose count is below the
    file's real number of vectors would silently drop them. An uncompressed file must end
    where its COUNT vectors do (give or take a newline before each word)."""
    count, dim, header = claimed
    if compression(path) or any(word is None for word in words):
        return  # a repeated word (None) is reported on its own
    used = header + sum(len(word.encode("utf-8")) + 1 for word in words) + count * dim * 4
    extra = path.stat().st_size - used
    if extra > count:
        raise UserError(
            f"cannot read vectors: the header says {count:,} vectors but {extra:,} bytes follow "
            "the last of them (more vectors than the header's count?)",
            path,
            1,
        )


def drop_bad_rows(
    words: list, matrix: np.ndarray, path: Path, skip: bool
) -> tuple[list[str], np.ndarray]:
    """Rows with NaN/inf values or a repeated word: dropped with `skip`, else a UserError.

    Shapes: matrix (V, d) -> (V', d), V' <= V; the first occurrence of a word is kept.
    """
    bad = ~np.isfinite(matrix).all(axis=1)
    seen: set[str] = set()
    for i, word in enumerate(words):
        if word is None or word in seen:  # gensim leaves None where a repeated word was
            bad[i] = True
        seen.add(word)
    if not bad.any():
        return words, matrix
    if not skip:
        i = int(np.flatnonzero(bad)[0])
        what = "NaN or infinite values" if not np.isfinite(matrix[i]).all() else "a repeated word"
        raise UserError(
            f"cannot read vectors: vector {i + 1} ({words[i]!r}) has {what} "
            "(--skip-bad-lines leaves such vectors out)",
            path,
        )
    keep = np.flatnonzero(~bad)
    return [words[i] for i in keep], matrix[keep]


def gensim_word2vec(path: Path, *, binary: bool, header: bool, shown: Path | None = None):
    from gensim.models import KeyedVectors

    try:
        with warnings.catch_warnings():  # overflow to inf: reported as a bad line instead
            warnings.simplefilter("ignore", RuntimeWarning)
            return KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=not header)
    except (ValueError, EOFError, UnicodeDecodeError, OSError) as error:
        raise UserError(f"cannot read vectors: {first_line(error)}", shown or path) from None


def float32(matrix) -> np.ndarray:
    return np.ascontiguousarray(matrix, dtype=np.float32)
