"""What a new user hit trying every README command (issue 16), through the commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import head_of_conll, one_error_line, run


@pytest.fixture(scope="module")
def model(tiny_model_file) -> Path:
    return tiny_model_file


def test_conll_keeps_one_record_per_input_line_blank_ones_included(model):
    text = "Paris met New York\n\n\nnaïve paris\n \n"
    conll = run("ner-tag", model, "-", "--format", "conll", "--pretokenized", stdin=text)
    slash = run("ner-tag", model, "-", "--format", "slash", "--pretokenized", stdin=text)
    assert conll.returncode == slash.returncode == 0, conll.stderr + slash.stderr
    records = slash.stdout.splitlines()
    assert len(records) == 5  # one per input line
    expected = "".join(
        "".join(pair.replace("/", " ") + "\n" for pair in record.split()) + "\n" if record else "\n"
        for record in records
    )
    assert conll.stdout == expected


def test_top_must_ask_for_at_least_one_word():
    for command, top in (
        (["neighbors", "Paris"], "-3"),
        (["analogy", "man", "king", "woman"], "0"),
    ):
        result = run("ner-vectors", *command, "--top", top)
        assert one_error_line(result) == f"error: --top must be at least 1, got {top}"
        assert result.stdout == ""


def test_decode_choices_and_both_with_output(model, conll_dir, tmp_path):
    gold = head_of_conll(conll_dir / "valid.txt", tmp_path / "gold.txt", 5)
    line = one_error_line(run("ner-eval", model, gold, "--decode", "beam"))
    assert line == "error: --decode: unknown decoding 'beam'; choose from greedy, viterbi, both"
    line = one_error_line(
        run("ner-eval", model, gold, "--decode", "both", "--output", tmp_path / "p.txt")
    )
    assert "with --decode both, give --decode greedy or --decode viterbi" in line
    assert not (tmp_path / "p.txt").exists()
