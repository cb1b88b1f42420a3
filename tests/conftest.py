"""Shared fixtures: the real CoNLL-2003 files and small helpers to write variants of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONLL = ROOT / "data" / "conll2003"


BIN = Path(sys.executable).parent


def run(command: str, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / command), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def trained(tmp_path_factory, conll_dir) -> Path:
    """A quick model on all of train.txt with the default GloVe vectors: 2 epochs, 100 units."""
    out = tmp_path_factory.mktemp("run")
    result = run(
        "ner-train",
        "--config",
        conll_dir.parent.parent / "configs" / "conll2003.toml",
        "--train",
        conll_dir / "train.txt",
        "--dev",
        conll_dir / "valid.txt",
        "--test",
        conll_dir / "test.txt",
        "--out",
        out,
        "--epochs",
        "2",
        "--hidden",
        "100",
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def conll_dir() -> Path:
    return CONLL


def head_of_conll(source: Path, target: Path, sentences: int) -> Path:
    """Write the first `sentences` sentences of a real CoNLL file (DOCSTART lines included)."""
    out, seen = [], 0
    for line in source.read_text(encoding="utf-8").split("\n"):
        out.append(line)
        if not line.strip() and out[-2:-1] and out[-2].strip() and not out[-2].startswith("-DOC"):
            seen += 1
            if seen == sentences:
                break
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return target
