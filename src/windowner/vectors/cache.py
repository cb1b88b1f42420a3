"""A cache of parsed vector text files, so that only the first load of a file pays for parsing.

Each entry is three plain files named by a hash of (absolute path, size, modification time, a
hash of the file's first and last 64 KiB): `KEY.npy` (the float32 matrix), `KEY.words` (the
words, UTF-8, newline-separated) and `KEY.json` (what the entry was made from and the BLAKE2b
digest of the other two, written last: an entry without it is incomplete). An entry is used only
if both files match their digests, so a truncated or damaged entry is parsed again and rewritten,
never used. Nothing is ever unpickled (np.load with allow_pickle=False). A changed file gets a
new key; entries whose file is gone or changed are removed whenever a new entry is written.

The folder is $WINDOWNER_CACHE if set, else $XDG_CACHE_HOME/windowner/vectors, else
~/.cache/windowner/vectors.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np

from windowner.atomic import atomic_write
from windowner.errors import UserError

CACHE_VERSION = 2
_SAMPLE = 1 << 16  # bytes hashed at each end of the source file


def cache_dir() -> Path:
    if os.environ.get("WINDOWNER_CACHE"):
        return Path(os.environ["WINDOWNER_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "windowner" / "vectors"


def _source(path: Path) -> dict:
    """What identifies one version of a file: its absolute path, size, mtime and a hash of its
    ends (which catches a same-size rewrite that kept the modification time)."""
    stat = path.stat()
    ends = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        ends.update(f.read(_SAMPLE))
        if stat.st_size > 2 * _SAMPLE:
            f.seek(-_SAMPLE, os.SEEK_END)
        ends.update(f.read(_SAMPLE))
    return {
        "version": CACHE_VERSION,
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ends": ends.hexdigest(),
    }


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _key(source: dict) -> str:
    return hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()[:32]


def load_cached(path: str | Path) -> tuple[list[str], np.ndarray] | None:
    """The words and float32 matrix cached for this version of `path`, or None.

    Shapes: matrix (V, d) float32 with V == len(words). A damaged entry counts as absent.
    """
    source = _source(Path(path))
    stem = cache_dir() / _key(source)
    try:
        meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("source") != source:
            return None
        npy = stem.with_suffix(".npy").read_bytes()
        words_bytes = stem.with_suffix(".words").read_bytes()
        if meta.get("digests") != [_digest(npy), _digest(words_bytes)]:
            return None  # truncated or damaged since it was written
        matrix = np.load(io.BytesIO(npy), allow_pickle=False)
        words = words_bytes.decode("utf-8").split("\n")
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return None
    if matrix.dtype != np.float32 or matrix.ndim != 2 or matrix.shape[0] != len(words):
        return None
    if list(matrix.shape) != meta.get("shape"):
        return None
    return words, matrix


def save_cached(path: str | Path, words: list[str], matrix: np.ndarray) -> Path | None:
    """Cache the parse of `path`; returns the entry's .npy file, or None if it cannot be cached
    (a folder that is not writable, or a word holding a newline)."""
    if matrix.dtype != np.float32 or any("\n" in word for word in words):
        return None
    source = _source(Path(path))
    directory = cache_dir()
    stem = directory / _key(source)
    buffer = io.BytesIO()
    np.save(buffer, matrix, allow_pickle=False)
    npy, words_bytes = buffer.getvalue(), "\n".join(words).encode("utf-8")
    try:
        with atomic_write(stem.with_suffix(".npy")) as f:
            f.write(npy)
        with atomic_write(stem.with_suffix(".words")) as f:
            f.write(words_bytes)
        meta = {
            "source": source,
            "shape": list(matrix.shape),
            "digests": [_digest(npy), _digest(words_bytes)],
        }
        with atomic_write(stem.with_suffix(".json"), "w", encoding="utf-8") as f:
            json.dump(meta, f)
    except (OSError, UserError):  # an unwritable cache only costs the next load its time
        return None
    _remove_stale(directory)
    return stem.with_suffix(".npy")


def _remove_stale(directory: Path) -> None:
    """Delete entries whose file no longer exists or has changed since it was cached."""
    for meta_path in directory.glob("*.json"):
        if len(meta_path.stem) != 32 or not all(c in "0123456789abcdef" for c in meta_path.stem):
            continue  # not one of ours
        try:
            source = json.loads(meta_path.read_text(encoding="utf-8"))["source"]
            current = _source(Path(source["path"]))
        except FileNotFoundError:
            current = None
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if current != source:
            for suffix in (".json", ".npy", ".words"):
                with contextlib.suppress(OSError):
                    meta_path.with_suffix(suffix).unlink()
