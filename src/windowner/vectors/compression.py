"""Which compression a vectors file uses, by its name and its first bytes: the ones gensim's
reader opens (.gz, .bz2, .xz), and a UserError for those it does not.
"""

from __future__ import annotations

from pathlib import Path

from windowner.errors import UserError, reading

COMPRESSED = {".gz", ".bz2", ".xz", ".zst"}
_SUPPORTED_COMPRESSION = {".gz", ".bz2", ".xz"}
_UNSUPPORTED_COMPRESSION = {".zst", ".zstd", ".lz4", ".lzma", ".z", ".br", ".7z", ".zip"}
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def compression(path: Path) -> str | None:
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
