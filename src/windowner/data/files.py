"""What a file is: a table's kind by its suffix, and a file's sha256.

Both table engines of `ner-tag --dataset` and `read_corpus` name a table's kind the same way,
and a model's provenance and the Spark engine fingerprint a file the same way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from windowner.errors import UserError, reading

# A table file's suffix -> its kind: the name `datasets` builders and Spark data sources share.
TABLE_KINDS = {".parquet": "parquet", ".jsonl": "json", ".json": "json"}


def table_kind(path: str | Path, flag: str) -> str:
    """'parquet' or 'json' for a table path or URI (a trailing / allowed: Spark's folders);
    a UserError naming `flag` for any other suffix."""
    kind = TABLE_KINDS.get(Path(str(path).rstrip("/")).suffix.lower())
    if kind is None:
        raise UserError(f"{flag} must end in {', '.join(TABLE_KINDS)}", path)
    return kind


def file_sha256(path: str | Path, expected: str = "a file") -> str:
    """The hex sha256 of the file's bytes, read 1 MiB at a time; a file that cannot be read is
    a UserError naming it (`expected` says what a directory should have been)."""
    digest = hashlib.sha256()
    with reading(path, expected), open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
