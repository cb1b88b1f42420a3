"""Vector text files (GloVe, word2vec text): telling them from word2vec binary, checking every
line in one pass and parsing the good ones with gensim.

Every line must be a word and d finite numbers (a word may hold spaces, as in GloVe 840B: the last
d fields of a line are its vector), every word must occur once and a word2vec header must tell the
truth about the count; the first line that breaks a rule is a UserError naming it, or with `skip`
every such line is left out and returned.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from windowner.errors import UserError, first_line, reading
from windowner.vectors.compression import COMPRESSED
from windowner.vectors.word2vec import check_header, float32, gensim_word2vec

# Stands in for a space inside a token while gensim parses a GloVe 840B-style file.
_SPACE_STAND_IN = "\ue000"
_UTF8_BOM = b"\xef\xbb\xbf"
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def sniff(path: Path) -> tuple[str, bool]:
    """('kv' | 'binary' | 'text', has a `COUNT DIM` header) from the name and first bytes."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in COMPRESSED:
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


def parse_text(
    path: Path, header: bool, skip: bool, *, large: bool
) -> tuple[list[str], np.ndarray, list[tuple[int, str]]]:
    """A GloVe or word2vec text file: checked line by line in one pass, parsed by gensim.

    The pass (_validated_copy) checks every rule and writes the good lines to a word2vec-format
    copy in which a space inside a word (GloVe 840B) is a stand-in character; gensim's
    load_word2vec_format reads that copy, which then holds nothing it could misread, and the
    words get their spaces back. Returns the words, the matrix and the (line, problem) of every
    line left out with `skip`. A `large` file's copy goes to the vectors cache's folder.
    """
    with _temporary_folder(large) as folder:
        copy = Path(folder) / "vectors.w2v.txt"
        skipped = _validated_copy(path, copy, header, skip)
        keyed = gensim_word2vec(copy, binary=False, header=True, shown=path)
    words = [w.replace(_SPACE_STAND_IN, " ") for w in keyed.index_to_key]
    return words, float32(keyed.vectors), skipped


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
            check_header(source, claimed, dim, 2)
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
