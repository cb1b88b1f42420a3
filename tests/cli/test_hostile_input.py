"""Hostile input met through the commands: bounded time, one `error:` line, nothing lost."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.cli.test_bad_input import assert_one_error_line
from tests.conftest import BIN, run

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


def run_with_closed(stream: str, command: str, *args) -> subprocess.CompletedProcess:
    """Run a command with its standard input or output closed (`<&-`, `>&-`), as a shell can."""
    script = '"$0" "$@" ' + {"stdin": "<&-", "stdout": ">&-"}[stream]
    argv = ["sh", "-c", script, str(BIN / command), *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("streams")
    (root / "text.txt").write_text("Peter lives in Paris .\n")
    (root / "dev.txt").write_text("Peter B-PER\nlives O\nin O\nParis B-LOC\n. O\n")
    (root / "vectors.txt").write_text("paris 0.1 0.2\npeter 0.3 0.4\nlives 0.5 0.1\n")
    return root


CLOSED_STREAM_CASES = {
    "ner-tag from closed stdin": lambda m, r: ("stdin", "ner-tag", m, "-"),
    "ner-tag to closed stdout": lambda m, r: ("stdout", "ner-tag", m, r / "text.txt"),
    "ner-eval to closed stdout": lambda m, r: ("stdout", "ner-eval", m, r / "dev.txt"),
    "ner-train to closed stdout": lambda m, r: (
        *("stdout", "ner-train", "--train", r / "dev.txt", "--dev", r / "dev.txt"),
        *("--vectors", r / "vectors.txt", "--out", r / "out", "--epochs", "1"),
    ),
    "ner-vectors to closed stdout": lambda m, r: (
        *("stdout", "ner-vectors", "neighbors", "paris", "--vectors", r / "vectors.txt"),
    ),
    "ner-gradcheck to closed stdout": lambda m, r: (
        *("stdout", "ner-gradcheck", "--activation", "relu", "--head", "softmax"),
    ),
}


@pytest.mark.parametrize("name", CLOSED_STREAM_CASES)
def test_a_closed_standard_stream_is_one_error_line(tiny_model_file, small_files, name):
    stream, *command = CLOSED_STREAM_CASES[name](tiny_model_file, small_files)
    result = run_with_closed(stream, *command)
    description = {"stdin": "standard input", "stdout": "standard output"}[stream]
    assert_one_error_line(result, f"{description} is closed")
    assert not (small_files / "out").exists()  # ner-train left no half-written model


def test_output_to_a_file_needs_no_standard_output(tiny_model_file, small_files, tmp_path):
    result = run_with_closed(
        "stdout", "ner-tag", tiny_model_file, small_files / "text.txt", "-o", tmp_path / "o.txt"
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o.txt").read_text().startswith('{"text": "Peter lives in Paris ."')


def test_a_reader_that_goes_away_ends_ner_tag_quietly_with_exit_0(tiny_model_file, tmp_path):
    source = tmp_path / "many.txt"
    source.write_text("Peter lives in Paris .\n" * 20_000)  # far more than a pipe holds
    command = [str(BIN / "ner-tag"), str(tiny_model_file), str(source)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout.readline().startswith(b"{")
        process.stdout.close()  # as `| head -1` does
        assert process.wait(timeout=300) == 0
        assert process.stderr.read() == b""


BOM = b"\xef\xbb\xbf"
BOM_VECTORS = {
    "GloVe text": b"the 0.1 0.2\nof 0.3 0.4\nand 0.2 0.2\n",
    "word2vec text": b"3 2\nthe 0.1 0.2\nof 0.3 0.4\nand 0.2 0.2\n",
}


@pytest.mark.parametrize("kind", BOM_VECTORS)
def test_a_byte_order_mark_is_not_part_of_the_first_word(tmp_path, kind):
    path = tmp_path / "vectors.txt"
    path.write_bytes(BOM + BOM_VECTORS[kind])
    result = run("ner-vectors", "neighbors", "the", "--vectors", path, "--json")
    assert result.returncode == 0, result.stderr  # "the" was "\ufeffthe", or a bad header
    assert [found["word"] for found in json.loads(result.stdout)] == ["of", "and"]


def _not_json(constant: str):
    raise AssertionError(f"{constant} is not JSON")


def test_vectors_eval_json_is_strict_json_with_null_for_no_score(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("the 0.1 0.2\nof 0.3 0.4\n")  # no word pair of WordSim353 or SimLex-999
    result = run("ner-vectors", "eval", "--vectors", path, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout, parse_constant=_not_json)
    assert report["wordsim353"]["spearman"] is None
    assert report["wordsim353"]["pairs"] == 0


@pytest.mark.parametrize("flag", [["--seed", "3"], ["--set", "training.seed=3"]])
def test_seeds_with_a_seed_is_refused(small_files, flag):
    result = run(
        *("ner-train", "--train", small_files / "dev.txt", "--dev", small_files / "dev.txt"),
        *("--vectors", small_files / "vectors.txt", "--out", small_files / "seeds"),
        *("--seeds", "0,1", *flag),
    )
    assert_one_error_line(result, "--seeds", flag[0])
    assert not (small_files / "seeds").exists()


UNREADABLE_PATH_CASES = {
    "ner-tag: model": lambda p, r: ["ner-tag", p, r / "text.txt"],
    "ner-eval: model": lambda p, r: ["ner-eval", p, r / "dev.txt"],
    "ner-train: config": lambda p, r: ["ner-train", "--config", p, "--train", r / "dev.txt"],
    "ner-train: resume": lambda p, r: ["ner-train", "--resume", p],
    "ner-vectors: model": lambda p, r: ["ner-vectors", "eval", "--model", p],
    "ner-vectors: analogies": lambda p, r: [
        *("ner-vectors", "eval", "--vectors", r / "vectors.txt", "--analogies", p),
    ],
}


@pytest.mark.parametrize("kind", ["folder", "missing"])
@pytest.mark.parametrize("name", UNREADABLE_PATH_CASES)
def test_an_unreadable_model_or_config_path_is_one_error_line(small_files, tmp_path, name, kind):
    """Not typer's usage box (a Path option checking existence): the core's own check, which
    names the path."""
    path = tmp_path / ("folder" if kind == "folder" else "absent")
    if kind == "folder":
        path.mkdir()
    result = run(*UNREADABLE_PATH_CASES[name](path, small_files))
    assert_one_error_line(result, path.name)


def test_ner_gradcheck_prints_each_row_as_it_is_checked():
    command = [str(BIN / "ner-gradcheck"), "--activation", "relu", "--json"]
    arrivals = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            arrivals.append((time.perf_counter(), json.loads(line)))
        assert process.wait(timeout=300) == 0
    assert [record["variant"] for _, record in arrivals] == [
        *("plain", "dropout+l2", "plain", "dropout+l2", "sentence"),
    ]
    # Five cases of ~0.7 s each: printed at the end, all would arrive together.
    assert arrivals[-1][0] - arrivals[0][0] > 0.5
