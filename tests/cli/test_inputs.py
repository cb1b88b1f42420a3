"""Hostile inputs (issue 16): encodings that are no text codec, text decoding to lone
surrogates, a malformed --dataset, damaged vectors: one `error:` line each through the
commands, and the generated cases in-process where the command adds nothing."""

from __future__ import annotations

import encodings.aliases
import random
from pathlib import Path

import pytest

from tests.conftest import one_error_line, run, run_limited
from windowner.data.text_input import TextReader
from windowner.errors import UserError


@pytest.fixture(scope="module")
def model(tiny_model_file) -> Path:
    return tiny_model_file


def test_every_codec_that_is_not_text_is_refused_before_reading(tmp_path):
    """Every bytes-to-bytes or str-to-str codec Python registers (base64, zlib, rot13, ...)
    and 'undefined' are one UserError naming the --encoding."""
    import codecs

    (tmp_path / "in.txt").write_bytes(b"Paris\n")
    refused = 0
    for name in sorted(set(encodings.aliases.aliases.values()) | {"rot13", "undefined"}):
        try:
            info = codecs.lookup(name)
        except LookupError:
            continue  # an alias of a codec this platform lacks (mbcs)
        if getattr(info, "_is_text_encoding", True) and name != "undefined":
            continue
        with pytest.raises(UserError, match=f"--encoding '{name}'"):
            TextReader(str(tmp_path / "in.txt"), "line", name)
        refused += 1
    assert refused >= 8  # base64, bz2, hex, quopri, rot13, uu, zlib, undefined, ...


def test_a_codec_error_while_decoding_names_the_line(tmp_path):
    (tmp_path / "in.txt").write_bytes(b"Paris\nx y\n")
    with pytest.raises(UserError, match="not valid punycode text") as error:
        list(TextReader(str(tmp_path / "in.txt"), "line", "punycode"))
    assert error.value.line == 1


@pytest.mark.parametrize("encoding", ["utf-7", "unicode_escape", "raw_unicode_escape"])
def test_text_decoding_to_a_lone_surrogate_names_its_line(tmp_path, encoding):
    rng = random.Random(encoding)
    for _ in range(20):
        lines = ["Paris met York ."] * rng.randint(1, 30)
        bad = rng.randrange(len(lines))
        surrogate = chr(rng.randint(0xD800, 0xDFFF))
        lines[bad] = f"in {surrogate} it"
        data = "\n".join(lines).encode(encoding, "surrogatepass" if "utf" in encoding else "strict")
        path = tmp_path / "in.txt"
        path.write_bytes(data + b"\n")
        reader = TextReader(str(path), "line", encoding)
        with pytest.raises(UserError, match=f"lone surrogate U\\+{ord(surrogate):04X}") as error:
            list(reader)
        assert error.value.line == bad + 1


def test_encodings_and_a_malformed_dataset_through_ner_tag(model, tmp_path):
    cases = [
        ("Paris\n", ["--encoding", "rot13"], "--encoding 'rot13' is not a text encoding"),
        ("ok\n+2AA-\n", ["--encoding", "utf-7"], "<stdin>:2: decodes (utf-7) to a lone surrogate"),
    ]
    for text, flags, message in cases:
        line = one_error_line(run("ner-tag", model, "-", *flags, stdin=text))
        assert message in line, line
    (tmp_path / "bad.jsonl").write_text('{"text": "Paris"}\n{"text": broken\n')
    result = run("ner-tag", model, "--dataset", tmp_path / "bad.jsonl", "-o", tmp_path / "o.jsonl")
    assert "bad.jsonl: cannot read as json: JSON parse error" in one_error_line(result)
    assert not (tmp_path / "o.jsonl").exists()


# ner-eval (issue "Nothing lost, nothing unbounded"): stdin, --output's tokens, a type named O

GOLD = "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n\nPeter B-PER\nBlackburn I-PER\n"


def test_ner_eval_reads_gold_data_from_stdin(model, tmp_path):
    gold = tmp_path / "gold.txt"
    gold.write_text(GOLD, encoding="utf-8")
    from_file = run_limited("ner-eval", model, gold, "--json")
    from_stdin = run_limited("ner-eval", model, "-", "--json", stdin=GOLD.encode())
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout
    bad = run_limited("ner-eval", model, "-", stdin=b"EU B-ORG\nrejects\n")
    assert one_error_line(bad).startswith("error: <stdin>:2: expected 'token ... tag'")


def test_ner_eval_output_refuses_a_token_with_whitespace(model, tmp_path):
    """A tab-delimited file's token may hold a space: 'token gold predicted' lines cannot."""
    gold = tmp_path / "gold.tsv"
    gold.write_text("New York\tB-LOC\nis\tO\n", encoding="utf-8")
    out = tmp_path / "predicted.txt"
    result = run_limited("ner-eval", model, gold, "--delimiter", "tab", "--output", out)
    assert "token 'New York' of sentence 1 holds whitespace" in one_error_line(result)
    assert not out.exists()


@pytest.mark.parametrize("tags", [("B-O", "I-O"), ("I-O", "I-O")])
def test_a_type_named_o_is_refused_where_data_is_read(model, tmp_path, tags):
    """--errors marks missed entities with O: a type named O would vanish from it."""
    gold = tmp_path / "gold.txt"
    gold.write_text(f"EU B-ORG\nZorblax {tags[0]}\nPrime {tags[1]}\n", encoding="utf-8")
    result = run_limited("ner-eval", model, gold, "--errors")
    assert "gold.txt:2: entity type 'O' in tag" in one_error_line(result)


# Table files and vectors that their libraries report badly: one clear line each


def write_parquet(path, columns: dict[str, list], names: list[str] | None = None):
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = [pa.array(values, type) for values, type in columns.values()]
    pq.write_table(pa.Table.from_arrays(arrays, names=names or list(columns)), path)


@pytest.mark.parametrize("command", ["ner-eval", "ner-tag"])
def test_table_files_that_datasets_reports_badly_are_one_clear_line(command, model, tmp_path):
    import pyarrow as pa

    strings = pa.list_(pa.string())
    two = tmp_path / "two.parquet"
    write_parquet(two, {"a": (["x"], pa.string()), "b": (["y"], pa.string())}, ["text", "text"])
    empty = tmp_path / "empty.parquet"
    write_parquet(empty, {"tokens": ([], strings), "ner_tags": ([], strings), "text": ([], None)})
    nothing = tmp_path / "empty.jsonl"
    nothing.write_bytes(b"")
    expected = {
        two: "two columns named 'text'",
        empty: "no rows: the file holds no data",
        nothing: "no rows: the file is empty",
    }
    for path, message in expected.items():
        args = [model, path] if command == "ner-eval" else [model, "--dataset", path]
        extra = ["-o", tmp_path / f"out{path.suffix}"] if command == "ner-tag" else []
        line = one_error_line(run_limited(command, *args, *extra))
        assert line.startswith(f"error: {path}: ") and message in line, line


def test_a_tab_in_a_vectors_line_says_so(tmp_path):
    vectors = tmp_path / "vectors.txt"
    row = " ".join(["0.1"] * 50)
    vectors.write_text(f"the {row}\nof\t{row}\n", encoding="utf-8")
    line = one_error_line(run_limited("ner-vectors", "neighbors", "--vectors", vectors, "the"))
    assert "vectors.txt:2: cannot read vectors: a tab: expected a word and 50 numbers" in line
