"""Shared fixtures: the real CoNLL-2003 files and small helpers to write variants of them."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONLL = ROOT / "data" / "conll2003"


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
