"""`ner-tag` end to end: text input, units, streaming, atomic output, datasets, start-up.

Most checks call the library (`tag_file`, `tag_dataset`, `TextReader`) in-process with one
loaded model; the rest run the command as a user would, through its exit code and its files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import BIN, run
from windowner.data.text_input import TextReader
from windowner.errors import UserError
from windowner.model_file import load_model
from windowner.tagging.options import TagOptions
from windowner.tagging.stream import tag_file, tag_stream

NEWS = (
    "WASHINGTON (Reuters) - President Bill Clinton said on Tuesday the U.S. economy grew 2.4 "
    'percent in the second quarter. "It\'s a good sign," he told reporters at the White House.'
)
LINES = [
    "Angela Merkel met Emmanuel Macron in Paris on Tuesday.",
    "",
    "Shares of Royal Dutch/Shell fell 1.5 pence in London.",
    "Germany's Deutsche Bank rose.",
    NEWS,
]


@pytest.fixture(scope="module")
def model_path(trained) -> Path:
    return trained / "model.npz"


@pytest.fixture(scope="module")
def model(model_path):
    return load_model(model_path)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- moved from test_cli.py ---------------------------------------------------------------


def test_tag_finds_people_and_a_place_with_offsets(model_path):
    text = "Angela Merkel met Emmanuel Macron in Paris on Tuesday."
    result = run("ner-tag", model_path, "-", "--format", "jsonl", stdin=text + "\n")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["text"] == text
    found = [(e["label"], e["text"]) for e in record["entities"]]
    assert found == [("PER", "Angela Merkel"), ("PER", "Emmanuel Macron"), ("LOC", "Paris")]
    assert all(text[e["start"] : e["end"]] == e["text"] for e in record["entities"])
    assert all(0 < e["score"] <= 1 for e in record["entities"])


def test_tag_formats_and_output_file(model_path, tmp_path):
    source = tmp_path / "news.txt"
    source.write_text("Angela Merkel met Emmanuel Macron in Paris.\n\nShares of Apple rose.\n")
    inline = run("ner-tag", model_path, source, "--format", "inline")
    assert inline.stdout.splitlines()[0].startswith("[PER Angela Merkel] met [PER Emmanuel Macron]")
    assert len(inline.stdout.splitlines()) == 3  # one line out per line in
    output = tmp_path / "tagged.conll"
    conll = run("ner-tag", model_path, source, "--format", "conll", "--output", output)
    assert conll.returncode == 0 and conll.stdout == ""
    first = output.read_text().split("\n\n")[0].splitlines()
    assert first[:2] == ["Angela B-PER", "Merkel I-PER"]


# --- text in --------------------------------------------------------------------------------


def test_units_are_lines_paragraphs_or_the_whole_document(tmp_path):
    source = tmp_path / "crlf.txt"
    source.write_bytes("\ufeffOne.\r\nTwo\r\n\r\n \r\nThree.\r\n\r\n".encode())
    assert list(TextReader(str(source))) == ["One.", "Two", "", " ", "Three.", ""]
    assert list(TextReader(str(source), "paragraph")) == ["One.\nTwo", "Three."]
    assert list(TextReader(str(source), "document")) == ["One.\nTwo\n\n \nThree.\n"]
    reader = TextReader(str(source))
    assert reader.size == source.stat().st_size
    list(reader)
    assert reader.bytes_read == reader.size


def test_other_encodings_and_their_errors(tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Zürich\nSão Paulo\n".encode("latin-1"))
    assert list(TextReader(str(latin), encoding="latin-1")) == ["Zürich", "São Paulo"]
    with pytest.raises(UserError, match=r"latin1.txt:1: not valid UTF-8 text"):
        list(TextReader(str(latin)))
    wide = tmp_path / "utf16.txt"
    wide.write_bytes("Zürich\r\nParis\r\n".encode("utf-16"))
    assert list(TextReader(str(wide), encoding="utf-16")) == ["Zürich", "Paris"]
    with pytest.raises(UserError, match="unknown --encoding 'klingon'"):
        TextReader(str(latin), encoding="klingon")
    with pytest.raises(UserError, match="unknown --unit 'page'"):
        TextReader(str(latin), unit="page")
    with pytest.raises(UserError, match=r"absent\.txt: no such file"):
        TextReader(str(tmp_path / "absent.txt"))


def test_segmentation_flags_reach_the_tagger(model, tmp_path):
    source = tmp_path / "pretokenized.txt"
    source.write_text("Angela Merkel visited the U.S. . She left\nParis , France\n")
    out = tmp_path / "out.conll"
    tag_file(model, str(source), out, output_format="conll", options=TagOptions("whitespace"))
    sentences = [block.splitlines() for block in out.read_text().strip().split("\n\n")]
    assert [[line.split()[0] for line in s] for s in sentences] == [
        ["Angela", "Merkel", "visited", "the", "U.S.", ".", "She", "left"],
        ["Paris", ",", "France"],
    ]
    tag_file(model, str(source), out, output_format="conll", options=TagOptions("lines"))
    assert out.read_text().count("\n\n") == 2  # two lines, two sentences
    tag_file(model, str(source), out, output_format="conll")
    assert out.read_text().count("\n\n") == 3  # the splitter cuts after "U.S. ."


# --- streaming and results out --------------------------------------------------------------


def test_every_unit_becomes_one_record_with_offsets_into_it(model, tmp_path):
    source = tmp_path / "news.txt"
    source.write_text("\n".join(LINES) + "\n\n\n" + NEWS + "\n", encoding="utf-8")
    out = tmp_path / "tagged.jsonl"
    for unit, texts in [
        ("line", [*LINES, "", "", NEWS]),
        ("paragraph", ["\n".join(LINES[:1]), "\n".join(LINES[2:]), NEWS]),
    ]:
        result = tag_file(model, str(source), out, unit=unit)
        tagged = records(out)
        assert [r["text"] for r in tagged] == texts
        assert result.units == len(texts)
        for record in tagged:
            for e in record["entities"]:
                assert record["text"][e["start"] : e["end"]] == e["text"]
    tag_file(model, str(source), out, unit="document", output_format="tsv")
    rows = [row.split("\t") for row in out.read_text().splitlines()[1:]]
    document = source.read_text().rstrip("\n")
    assert {row[0] for row in rows} == {"1"}
    assert all(document[int(row[1]) : int(row[2])] == row[4] for row in rows)


def test_output_is_written_batch_by_batch_as_input_is_read(model):
    read, written = [], []

    def texts():
        for text in LINES * 3:
            read.append(text)
            yield text

    def write(chunk: str) -> None:
        written.append((len(read), chunk.count("\n")))

    result = tag_stream(model, texts(), write, options=TagOptions(batch_size=4))
    assert result.units == 15 and result.tokens > 60
    # (texts read so far, records in this write): nothing is held back until the end
    assert written == [(0, 0), (4, 4), (8, 4), (12, 4), (15, 3)]


@pytest.mark.parametrize("unit", ["line", "paragraph"])
def test_a_file_tagged_ahead_on_threads_gives_the_same_output(model, conll_dir, tmp_path, unit):
    """tag_file tags a regular file's batches ahead on worker threads; tag_stream without
    `ahead` writes each batch before reading the next: byte for byte the same records, in
    order, on real CoNLL text with blank lines, one-token lines and lines cut in pieces."""
    from windowner.data.conll import read_conll

    lines = [" ".join(s.tokens) for s in read_conll(conll_dir / "valid.txt").sentences[:1500]]
    lines[100:100] = ["", "Paris", "   ", ".", " ".join(lines[:400]), ""]
    source = tmp_path / "input.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ahead = tmp_path / "ahead.jsonl"
    tag_file(model, str(source), ahead, unit=unit, options=TagOptions(batch_size=64))
    serial: list[str] = []
    tag_stream(
        model, TextReader(str(source), unit), serial.append, options=TagOptions(batch_size=64)
    )
    assert ahead.read_text(encoding="utf-8") == "".join(serial)


def test_a_bad_line_after_batches_tagged_ahead_comes_after_their_output(model, tmp_path):
    written: list[str] = []

    def texts():
        yield from LINES * 4
        raise UserError("not valid UTF-8 text", "input.txt", 21)

    with pytest.raises(UserError):
        tag_stream(model, texts(), written.append, options=TagOptions(batch_size=4), ahead=2)
    assert "".join(written).count("\n") == len(LINES) * 4  # every record read before the error


def test_user_errors_of_ner_tag_are_one_line_with_exit_code_2(model_path, tmp_path):
    def error_of(*args, stdin: str = "Paris\n") -> str:
        result = run("ner-tag", *args, stdin=stdin)
        assert result.returncode == 2, (result.stdout, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
        return result.stderr.strip()

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine\nbad \xff byte\n")
    assert error_of(model_path, bad) == f"error: {bad}:2: not valid UTF-8 text"
    assert "unknown --format 'xml'" in error_of(model_path, "-", "--format", "xml")
    assert "--with-tokens needs --format jsonl" in error_of(
        model_path, "--with-tokens", "--format", "tsv"
    )
    assert "--dataset needs --output" in error_of(model_path, "--dataset", tmp_path / "t.jsonl")
    assert "is a directory" in error_of(model_path, "-", "--output", tmp_path)
    not_a_model = tmp_path / "model.npz"
    not_a_model.write_text("this is not a model")
    assert f"{not_a_model}: not a windowner model" in error_of(not_a_model, "-")


def _writing_into(pid: int, directory: Path) -> bool:
    """Whether process `pid` has a non-empty file open in `directory` (its unnamed output)."""
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir():
        try:
            if os.readlink(fd).startswith(f"{directory}/") and fd.stat().st_size > 0:
                return True
        except OSError:
            continue
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_killed_mid_file_leaves_no_partial_output(model_path, tmp_path):
    source = tmp_path / "big.txt"
    source.write_text((NEWS + "\n") * 20_000, encoding="utf-8")  # a minute of tagging
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "tagged.jsonl"
    target.write_text("previous complete content\n")
    command = [BIN / "ner-tag", model_path, source, "--output", target, "--batch-size", "16"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not _writing_into(process.pid, out_dir):
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no output was being written"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert target.read_text() == "previous complete content\n"
    assert [p.name for p in out_dir.iterdir()] == ["tagged.jsonl"]  # no temporary file left


# --- parallel tagging of tables -------------------------------------------------------------


def test_dataset_parquet_on_two_processes_keeps_order_and_columns(model_path, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [f"{text} ({i})" for i, text in enumerate(LINES * 8)]
    source = tmp_path / "news.parquet"
    pq.write_table(pa.table({"id": list(range(len(texts))), "body": texts}), source)
    output = tmp_path / "tagged.parquet"
    result = run(
        "ner-tag",
        model_path,
        "--dataset",
        source,
        "--text-column",
        "body",
        "--num-proc",
        "2",
        "--batch-size",
        "8",
        "--output",
        output,
    )
    assert result.returncode == 0, result.stderr
    table = pq.read_table(output).to_pylist()
    assert [row["id"] for row in table] == list(range(len(texts)))
    assert [row["body"] for row in table] == texts
    assert set(table[0]) == {"id", "body", "entities"}
    assert [(e["label"], e["text"]) for e in table[0]["entities"]][:2] == [
        ("PER", "Angela Merkel"),
        ("PER", "Emmanuel Macron"),
    ]
    for row in table:
        for e in row["entities"]:
            assert row["body"][e["start"] : e["end"]] == e["text"]
    assert table[1]["entities"] == []


def test_dataset_jsonl_gets_the_same_entities_as_text_input(model, model_path, tmp_path):
    from windowner.tagging.engines.local import tag_dataset

    source = tmp_path / "news.jsonl"
    rows = [{"text": text, "meta": {"n": i}} for i, text in enumerate(LINES)]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output = tmp_path / "tagged.jsonl"
    result = tag_dataset(model_path, source, output, TagOptions(with_tokens=True), num_proc=1)
    assert result.rows == len(LINES)
    tagged = records(output)
    assert [(r["text"], r["meta"]) for r in tagged] == [(r["text"], r["meta"]) for r in rows]
    as_text = tmp_path / "as_text.jsonl"
    text_source = tmp_path / "lines.txt"
    text_source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    tag_file(model, str(text_source), as_text)
    assert [r["entities"] for r in tagged] == [r["entities"] for r in records(as_text)]
    assert [t["text"] for t in tagged[0]["tokens"][0]][:2] == ["Angela", "Merkel"]
    with pytest.raises(UserError, match="no column 'body'"):
        tag_dataset(model_path, source, output, text_column="body")
    with pytest.raises(UserError, match="--output must end in"):
        tag_dataset(model_path, source, tmp_path / "out.csv")


# --- start-up -------------------------------------------------------------------------------


def imported_after(code: str) -> set[str]:
    """Which of the heavy modules a fresh interpreter has imported after running `code`."""
    probe = f"{code}\nimport sys\nprint(sorted(set(sys.modules) & {HEAVY!r}))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return set(eval(result.stdout.strip().splitlines()[-1]))


HEAVY = {"numpy", "gensim", "datasets", "pyarrow", "pandas", "tqdm", "pyspark", "py4j"}


def test_help_and_plain_tagging_import_only_what_they_need(model_path, tmp_path):
    help_only = (
        "import sys\nfrom windowner.cli.tag import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert imported_after(help_only) == set()
    source = tmp_path / "one.txt"
    source.write_text("Angela Merkel met Emmanuel Macron in Paris.\n")
    tagging = (
        "from windowner.cli.tag import app\n"
        f"try:\n    app([{str(model_path)!r}, {str(source)!r}, '-o', {str(tmp_path / 'o')!r}])\n"
        "except SystemExit:\n    pass"
    )
    assert imported_after(tagging) == {"numpy"}


def test_the_command_defaults_match_the_library():
    import inspect

    from windowner.cli.tag import main

    assert inspect.signature(main).parameters["batch_size"].default == TagOptions().batch_size
