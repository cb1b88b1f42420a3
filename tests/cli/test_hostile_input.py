"""Hostile input met through the commands: bounded time, one `error:` line, nothing lost."""

from __future__ import annotations

import time

import pytest

from tests.conftest import run

HOSTILE_TEXTS = {
    # Each took the tokenizer ~1.5 s per 20,000-character piece (80 s and 75 s in all).
    "a line of a million spaces": (" " * 1_000_000 + "\n", "line"),
    "a million blank lines as one document": ("\n" * 1_000_000, "document"),
}


@pytest.mark.parametrize("name", HOSTILE_TEXTS)
def test_ner_tag_tags_long_whitespace_runs_in_linear_time(tiny_model_file, tmp_path, name):
    text, unit = HOSTILE_TEXTS[name]
    source = tmp_path / "hostile.txt"
    source.write_text(text)
    started = time.perf_counter()
    result = run("ner-tag", tiny_model_file, source, "--unit", unit)
    assert time.perf_counter() - started < 20
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1  # one unit, no entities
