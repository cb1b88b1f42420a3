"""Every kind of bad input either loads correctly or is one UserError naming the file
(and line); through the commands, one `error:` line on stderr and exit code 2, no traceback."""

from __future__ import annotations

import io
import os
import resource
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import BIN, run, write_glove_text
from windowner.data.conll import read_conll
from windowner.data.sources import read_corpus
from windowner.errors import UserError
from windowner.training.run import train
from windowner.vectors import cache as vectors_cache
from windowner.vectors.loading import load_vectors

GOOD = "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n\nPeter B-PER\nBlackburn I-PER\n"

# name -> (file bytes, None if accepted else (line or None, part of the message))
DATA_CASES = {
    "empty": (b"", (None, "no sentences found")),
    "only DOCSTART": (b"-DOCSTART- -X- -X- O\n\n", (None, "no sentences found")),
    "binary": (bytes(range(256)) * 4, (1, "NUL byte")),
    "NUL in a tag": (b"EU B-ORG\x00\n", (1, "NUL byte")),
    "invalid UTF-8": (b"EU B-ORG\nrejects O\n\xff\xfe O\n", (3, "not valid UTF-8")),
    "mixed column counts": (b"EU NNP B-ORG\nrejects VBZ O\nGerman O\n", (3, "expected 3 columns")),
    "tag with a no-break space": ("EU B-ORG\nrejects O\u00a0X\n".encode(), (2, "unknown tag")),
    "tag split by a no-break space": ("EU B-\u00a0ORG\n".encode(), (1, "unknown tag 'B-")),
    "unknown prefix": (b"EU X-ORG\nrejects O\n", (1, "unknown tag 'X-ORG'")),
    "I- with no type": (b"EU I-\nrejects O\n", (1, "unknown tag 'I-'")),
    "lowercase tag": (b"EU b-org\n", (1, "unknown tag 'b-org'")),
    "one column": (b"EU B-ORG\nrejects\n", (2, "got 1 column")),
    "vertical tab": (b"EU B-ORG\x0brejects O\n", (1, "control character U+000B")),
    "line separator U+2028": ("EU B-ORG\u2028rejects O\n".encode(), (1, "U+2028")),
    "mixed schemes": (b"EU B-ORG\nrejects O\nGermany S-LOC\nPeter U-PER\n", (4, "mixed")),
    "tabs mixed with spaces": (b"EU\tNNP B-ORG\nrejects VBZ\tO\n", None),
    "sentences of one token": (b"EU B-ORG\n\nPeter B-PER\n\nthe O\n", None),
    "CR line ends (old Mac)": (b"EU B-ORG\rrejects O\r", None),
    "CRLF, BOM, no final newline": (b"\xef\xbb\xbfEU B-ORG\r\nrejects O", None),
    "no-break space inside a token": ("10\u00a0000 O\nEU B-ORG\n".encode(), None),
}


@pytest.mark.parametrize("name", DATA_CASES)
def test_data_file_loads_or_names_file_and_line(tmp_path, name):
    data, expected = DATA_CASES[name]
    path = tmp_path / "data.txt"
    path.write_bytes(data)
    if expected is None:
        corpus = read_corpus(path)
        assert corpus.sentences and all(s.tokens for s in corpus.sentences)
        assert all(len(s.tokens) == len(s.tags) for s in corpus.sentences)
        return
    line, message = expected
    with pytest.raises(UserError) as caught:
        read_corpus(path)
    assert caught.value.path == str(path)
    assert caught.value.line == line
    assert message in caught.value.message


def test_accepted_cases_read_as_expected(tmp_path):
    path = tmp_path / "mac.txt"
    path.write_bytes(b"EU B-ORG\rrejects O\r")
    assert read_conll(path).sentences[0].tokens == ("EU", "rejects")
    path.write_bytes("10\u00a0000 O\nEU B-ORG\n".encode())
    assert read_conll(path).sentences[0].tokens == ("10\u00a0000", "EU")
    path.write_bytes(b"EU\tNNP B-ORG\nrejects VBZ\tO\n")
    assert read_conll(path).sentences[0].tags == ("B-ORG", "O")


def test_ten_megabyte_line_and_ten_thousand_token_sentence(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (10 * 2**20) + b" B-ORG\n")
    long = tmp_path / "long.txt"
    long.write_text("".join(f"w{i} {'B-PER' if i % 7 == 0 else 'O'}\n" for i in range(10_000)))
    assert len(read_conll(big).sentences[0].tokens[0]) == 10 * 2**20
    corpus = read_conll(long)
    assert len(corpus.sentences) == 1 and corpus.tokens == 10_000
    assert corpus.entity_counts() == {"PER": 1429}


def test_entity_type_only_in_dev_is_scored_as_missed(small_run, tmp_path):
    """Training on train, a dev type the model cannot predict is accepted: its gold entities
    count as missed (recall falls), as conlleval counts them."""
    settings = {"training.epochs": 1, "model.hidden": 10, "out": str(tmp_path / "out")}
    dev = tmp_path / "dev.txt"
    extra = "Zorblax NNP I-NP B-ALIEN\nlanded VBD I-VP O\n. . O O\n\n"
    source = small_run().data.dev
    dev.write_text(extra + Path(source).read_text(encoding="utf-8"), encoding="utf-8")
    config = small_run(**settings, **{"data.dev": str(dev)})
    result = train(config, force=True, log=lambda _: None, progress=False)
    alien = result.dev.per_type["ALIEN"]
    assert (alien.found, alien.gold, alien.correct) == (0, 1, 0)
    # The ALIEN entity is one more gold entity overall, and lowers recall as a missed one.
    assert result.dev.gold == sum(read_conll(source).entity_counts().values()) + 1
    assert result.dev.recall == pytest.approx(result.dev.correct / result.dev.gold)


# Vector files: name -> (text, None if accepted else (line or None, part of the message))
VECTOR_CASES = {
    "wrong dimension (short)": ("the 0.1 0.2 0.3\nof 0.4 0.5\n", (2, "got 2 numbers")),
    "wrong dimension (long)": ("the 0.1 0.2 0.3\nof 0.4 0.5 0.6 0.7\n", (2, "got more")),
    "header count too high": ("5 3\nthe 0.1 0.2 0.3\nof 0.4 0.5 0.6\n", (1, "header says 5")),
    "header count too low": ("1 3\nthe 0.1 0.2 0.3\nof 0.4 0.5 0.6\n", (1, "header says 1")),
    "header dimension lies": ("2 4\nthe 0.1 0.2 0.3\nof 0.4 0.5 0.6\n", (2, "4 numbers, got 3")),
    "non-numeric field": ("the 0.1 0.2 0.3\nof 0.4 abc 0.6\n", (2, "'abc' is not a number")),
    "duplicate word": ("the 0.1 0.2 0.3\nof 0.4 0.5 0.6\nof 1 1 1\n", (3, "'of' again")),
    "NaN": ("the 0.1 0.2 0.3\nof 0.4 nan 0.6\n", (2, "NaN")),
    "inf": ("the 0.1 0.2 0.3\nof 0.4 -inf 0.6\n", (2, "NaN, infinite")),
    "too large for float32": ("the 0.1 0.2 0.3\nof 0.4 1e300 0.6\n", (2, "too large")),
    "NaN, word2vec text": ("2 3\nthe 0.1 0.2 0.3\nof 0.4 NaN 0.6\n", (3, "NaN")),
    "words only": ("the\nof\n", (1, "a word and its numbers")),
    "empty": ("", (None, "no vector lines")),
    "blank lines and a word with spaces": ("the 0.1 0.2 0.3\n\nnew york 0.4 0.5 0.6\n", None),
}


@pytest.mark.parametrize("cache", [False, True], ids=["direct", "cached"])
@pytest.mark.parametrize("name", VECTOR_CASES)
def test_vector_file_loads_or_names_file_and_line(tmp_path, name, cache):
    text, expected = VECTOR_CASES[name]
    path = tmp_path / "vectors.txt"
    path.write_text(text, encoding="utf-8")
    if expected is None:
        vectors = load_vectors(str(path), cache=cache)
        assert vectors.words == ["the", "new york"]
        return
    line, message = expected
    with pytest.raises(UserError) as caught:
        load_vectors(str(path), cache=cache)
    assert caught.value.path == str(path)
    assert caught.value.line == line
    assert message in caught.value.message


def test_skip_bad_lines_counts_and_keeps_the_good_ones(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text(
        "the 0.1 0.2 0.3\nof 0.4 nan 0.6\nand 1 2\nthe 9 9 9\nto x 1 1\na 0.7 0.8 0.9\n"
    )
    lines = []
    vectors = load_vectors(str(path), skip_bad_lines=True, cache=True, log=lines.append)
    assert vectors.words == ["the", "a"]
    np.testing.assert_array_equal(vectors.matrix[1], np.float32([0.7, 0.8, 0.9]))
    assert lines == [
        f"vectors {path}: skipped 4 bad lines (first: line 2, NaN, "
        + ("infinite or too large for float32)")
    ]
    # A file read with lines skipped is not cached: without the option it is still an error.
    with pytest.raises(UserError, match="NaN"):
        load_vectors(str(path), cache=True)


def test_word2vec_binary_with_nan_is_an_error_or_skipped(tmp_path):
    from gensim.models import KeyedVectors

    keyed = KeyedVectors(3)
    matrix = np.float32([[1, 2, 3], [4, np.nan, 6], [7, 8, 9]])
    keyed.add_vectors(["a", "b", "c"], matrix)
    path = tmp_path / "vectors.bin"
    keyed.save_word2vec_format(str(path), binary=True)
    with pytest.raises(UserError, match="vector 2 \\('b'\\) has NaN"):
        load_vectors(str(path))
    assert load_vectors(str(path), skip_bad_lines=True).words == ["a", "c"]
    data = path.read_bytes()
    path.write_bytes(data[:-7])
    with pytest.raises(UserError, match="cannot read vectors"):
        load_vectors(str(path))


@pytest.fixture
def cached_file(tmp_path, monkeypatch):
    """A vectors text file, loaded once so that its cache entry exists; returns (path, stem)."""
    monkeypatch.setenv("WINDOWNER_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "vectors.txt"
    rng = np.random.default_rng(0)
    write_glove_text(path, [f"w{i}" for i in range(50)], rng.normal(size=(50, 8)))
    first = load_vectors(str(path), cache=True)
    (stem,) = [p.with_suffix("") for p in (tmp_path / "cache").glob("*.json")]
    return path, stem, first


@pytest.mark.parametrize(
    "damage",
    ["npy cut in half", "npy bit flip", "words file with a word missing", "json removed"],
)
def test_damaged_cache_entry_is_rebuilt_never_used(cached_file, damage):
    path, stem, first = cached_file
    npy, words = stem.with_suffix(".npy"), stem.with_suffix(".words")
    if damage == "npy cut in half":
        npy.write_bytes(npy.read_bytes()[: npy.stat().st_size // 2])
    elif damage == "npy bit flip":
        data = bytearray(npy.read_bytes())
        data[-5] ^= 0x40
        npy.write_bytes(bytes(data))
    elif damage == "words file with a word missing":
        words.write_text("\n".join(words.read_text().split("\n")[:-1]))
    else:
        stem.with_suffix(".json").unlink()
    assert vectors_cache.load_cached(path) is None
    again = load_vectors(str(path), cache=True)
    assert again.words == first.words
    np.testing.assert_array_equal(again.matrix, first.matrix)
    assert vectors_cache.load_cached(path) is not None  # rewritten whole


def test_changed_source_file_is_parsed_again(cached_file):
    path, _, _ = cached_file
    stat = path.stat()
    text = path.read_text().replace("w0 ", "zz ", 1)  # same size, same mtime
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert vectors_cache.load_cached(path) is None
    assert load_vectors(str(path), cache=True).words[0] == "zz"


# Through the commands: exit 2, exactly one `error:` line naming the file, no traceback.


def assert_one_error_line(result, *parts):
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for part in parts:
        assert part in lines[0], lines[0]


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "good.txt").write_text(GOOD)
    (root / "vectors.txt").write_text("eu 0.1 0.2\npeter 0.3 0.4\n")
    (root / "mixed.txt").write_text("EU NNP B-ORG\nrejects O\n")
    (root / "binary.txt").write_bytes(bytes(range(256)))
    (root / "latin1.txt").write_bytes(b"EU B-ORG\nM\xfcller B-PER\n")
    (root / "nan.txt").write_text("eu 0.1 nan\npeter 0.3 0.4\n")
    (root / "model.npz").write_bytes(b"not a zip at all")
    with zipfile.ZipFile(root / "crafted.npz", "w") as archive:
        archive.writestr("metadata.npy", b"\x93NUMPY\x01\x00" + b"garbage" * 10)
    (root / "config.toml").write_text("[training]\nlr = 0.1\nwarp = 9\n")
    return root


def train_args(root, **flags):
    args = ["--train", root / "good.txt", "--dev", root / "good.txt"]
    args += ["--vectors", root / "vectors.txt", "--out", root / "out", "--epochs", "1"]
    for key, value in flags.items():
        args += [f"--{key.replace('_', '-')}", value]
    return args


CLI_CASES = {
    "train: mixed columns": (
        lambda r: ["ner-train", *train_args(r, train=r / "mixed.txt")],
        ["mixed.txt:2:", "columns"],
    ),
    "train: binary data": (
        lambda r: ["ner-train", *train_args(r, dev=r / "binary.txt")],
        ["binary.txt:1:"],
    ),
    "train: latin-1 data": (
        lambda r: ["ner-train", *train_args(r, train=r / "latin1.txt")],
        ["latin1.txt:2:", "UTF-8"],
    ),
    "train: NaN in vectors": (
        lambda r: ["ner-train", *train_args(r, vectors=r / "nan.txt")],
        ["nan.txt:1:", "NaN"],
    ),
    "train: negative lr": (
        lambda r: ["ner-train", *train_args(r), "--set", "training.lr=-0.1"],
        ["training.lr"],
    ),
    "train: window 0": (
        lambda r: ["ner-train", *train_args(r), "--set", "model.window=0"],
        ["model.window"],
    ),
    "train: hidden 0": (
        lambda r: ["ner-train", *train_args(r), "--set", "model.hidden=0"],
        ["model.hidden"],
    ),
    "train: unknown config key": (
        lambda r: ["ner-train", "--config", r / "config.toml", *train_args(r)],
        ["warp", "lr"],
    ),
    "train: wrong type": (
        lambda r: ["ner-train", *train_args(r), "--set", "model.hidden=many"],
        ["hidden"],
    ),
    "eval: model not a zip": (
        lambda r: ["ner-eval", r / "model.npz", r / "good.txt"],
        ["model.npz"],
    ),
    "eval: crafted archive": (
        lambda r: ["ner-eval", r / "crafted.npz", r / "good.txt"],
        ["crafted.npz"],
    ),
    "eval: missing model": (
        lambda r: ["ner-eval", r / "absent.npz", r / "good.txt"],
        ["absent.npz"],
    ),
}


@pytest.mark.parametrize("name", CLI_CASES)
def test_commands_print_one_error_line(cli_files, name):
    command, parts = CLI_CASES[name]
    result = run(*command(cli_files))
    assert_one_error_line(result, *parts)


def _hostile_models(root: Path) -> dict[str, Path]:
    """The model files that ended in tracebacks, each written to its own folder."""
    from tests.test_model_file import _meta_edit, _one_row_E, _rewrite, _zip_edit

    edits = {
        "shapes.E = 5": lambda t: _rewrite(t, _meta_edit(lambda m: m["shapes"].update(E=5))),
        "vocabulary without lowercase": lambda t: _rewrite(
            t, _meta_edit(lambda m: m["vocabulary"].pop("lowercase"))
        ),
        "only_type = 5": lambda t: _rewrite(t, _meta_edit(lambda m: m.update(only_type=5))),
        "tag B-": lambda t: _rewrite(t, _meta_edit(lambda m: m["tags"].__setitem__(1, "B-"))),
        "one-row E": lambda t: _rewrite(t, _one_row_E),
        "member E without .npy": lambda t: _zip_edit(
            t, lambda n, d: (n.removesuffix(".npy") if n == "E.npy" else n, d)
        ),
        "NaN in U": lambda t: _rewrite(t, lambda a: a.update(U=a["U"] * np.nan)),
    }
    models = {}
    for i, (name, make) in enumerate(edits.items()):
        folder = root / f"hostile{i}"
        folder.mkdir()
        models[name] = Path(make(folder))
    return models


@pytest.fixture(scope="module")
def hostile_models(tmp_path_factory):
    return _hostile_models(tmp_path_factory.mktemp("hostile"))


EXPECTED_MODEL_ERRORS = {
    "shapes.E = 5": "metadata 'shapes' E must be a list of non-negative integers",
    "vocabulary without lowercase": "metadata 'vocabulary' must hold 'lowercase'",
    "only_type = 5": "metadata 'only_type' must be a non-empty string",
    "tag B-": "metadata 'tags' unknown tag 'B-'",
    "one-row E": "the vocabulary must start with <unk>, <s>, </s>",
    "member E without .npy": "member 'E' is not an .npy array",
    "NaN in U": "array U holds NaN or infinite values",
}


@pytest.mark.parametrize("name", EXPECTED_MODEL_ERRORS)
def test_hostile_model_files_give_ner_tag_and_ner_eval_one_line(hostile_models, cli_files, name):
    model = hostile_models[name]
    for command in (
        ["ner-tag", model, cli_files / "good.txt"],
        ["ner-eval", model, cli_files / "good.txt"],
    ):
        result = run(*command)
        assert_one_error_line(result, f"error: {model}: ", EXPECTED_MODEL_ERRORS[name])


# Numbers and sizes the code cannot hold: refused before anything is allocated, so the command
# says so in one line even where the memory it would have asked for does not exist.

MEMORY_LIMIT = 3 * 2**30


def run_bounded(command: str, *args) -> subprocess.CompletedProcess:
    """`run`, with the command's address space limited to MEMORY_LIMIT (RLIMIT_AS)."""

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [str(BIN / command), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )


@pytest.fixture(scope="module")
def oversized(tmp_path_factory):
    root = tmp_path_factory.mktemp("oversized")
    (root / "deep.toml").write_text("x = " + "[" * 1000 + "]" * 1000 + "\n")
    (root / "latin1.toml").write_bytes(b"# M\xfcller\n[training]\nlr = 0.1\n")
    (root / "warmup.toml").write_text(
        '[training]\nschedule = "warmup_linear"\nwarmup_epochs = 1e308\n'
    )
    with open(root / "types.txt", "w") as f:  # 50,000 entity types: an np.eye(T) of 9 GiB
        f.writelines(f"w{i} B-T{i}\nx O\n\n" for i in range(50_000))
    (root / "dims.txt").write_text("2 100000000000000000000\neu 0.1 0.2\npeter 0.3 0.4\n")
    (root / "words.bin").write_bytes(b"100000000000000000000 2\neu " + bytes(8))
    return root


OVERSIZED_CASES = {
    "word2vec text claiming 10²⁰ dimensions": (
        lambda r: ["--vectors", r / "dims.txt"],
        ["dims.txt:1: cannot read vectors: the header says 2 vectors of 100,000,000,"],
    ),
    "word2vec binary claiming 10²⁰ words": (
        lambda r: ["--vectors", r / "words.bin"],
        ["words.bin:1: cannot read vectors: the header says 100,000,000,000,000,000,000 vectors"],
    ),
    "config nested 1,000 deep": (
        lambda r: ["--config", r / "deep.toml"],
        ["deep.toml: not valid TOML: it nests deeper than 32 levels"],
    ),
    "--set nested 1,000 deep": (
        lambda r: ["--set", "training.lr=" + "[" * 1000 + "]" * 1000],
        ["--set 'training.lr': it nests deeper than 32 levels"],
    ),
    "config not UTF-8": (
        lambda r: ["--config", r / "latin1.toml"],
        ["latin1.toml:1: not valid UTF-8 text"],
    ),
    "warmup_epochs = 1e308": (
        lambda r: ["--config", r / "warmup.toml"],
        ["warmup.toml: 'training.warmup_epochs' must be in [0, 10000], got 1e+308"],
    ),
    "sizes within their limits, a W of 25 GiB": (
        lambda r: [
            *("--set", "model.hidden=20000", "--set", "model.window=20"),
            *("--set", "model.affix_dim=100", "--set", "model.affix_max=20"),
        ],
        ["error: W (20,000 × ", "GiB of memory, more than windowner's limit of 4.0 GiB"],
    ),
    "50,000 entity types": (
        lambda r: ["--train", r / "types.txt"],
        ["types.txt: 50,001 different tags (50,000 entity types); windowner trains at most 1,001"],
    ),
}


@pytest.fixture(scope="module")
def zip_bombs(tmp_path_factory):
    """Archives whose every member is in proportion: 3,000 of them, or 1,000 that each inflate
    to 1 MB (1 GB in all, from a file of about 1 MB)."""
    root = tmp_path_factory.mktemp("bombs")

    def npy(floats: int) -> bytes:
        out = io.BytesIO()
        np.save(out, np.zeros(floats, np.float32))
        return out.getvalue()

    for name, count, floats in (("many.npz", 3000, 0), ("inflating.npz", 1000, 2**18 - 32)):
        member = npy(floats)
        with zipfile.ZipFile(root / name, "w", zipfile.ZIP_DEFLATED) as archive:
            for i in range(count):
                archive.writestr(f"member{i + 1}.E.npy", member)
    return root


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("many.npz", "not a windowner model (it holds 3,000 members, more than 1,024)"),
        ("inflating.npz", "not a windowner model (its members would inflate 1,2"),
    ],
)
def test_an_archive_of_members_each_in_proportion_is_refused_before_reading(
    zip_bombs, cli_files, name, message
):
    result = run_bounded("ner-eval", zip_bombs / name, cli_files / "good.txt")
    assert_one_error_line(result, f"{zip_bombs / name}: {message}")


@pytest.mark.parametrize("name", OVERSIZED_CASES)
def test_numbers_the_code_cannot_hold_are_one_line_in_bounded_memory(cli_files, oversized, name):
    flags, parts = OVERSIZED_CASES[name]
    args = train_args(cli_files, out=oversized / "out")
    result = run_bounded("ner-train", *args, *flags(oversized))
    assert_one_error_line(result, *parts)
    assert not (oversized / "out" / "model.npz").exists()
