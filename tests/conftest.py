"""Shared fixtures: the real CoNLL-2003 files and small helpers to write variants of them."""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from windowner.config import load_config
from windowner.data.conll import read_conll
from windowner.vectors.loading import load_vectors

# No network here, and no writing into the user's cache: set before anything imports datasets,
# and inherited by the commands the tests run.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("WINDOWNER_CACHE", tempfile.mkdtemp(prefix="windowner-test-cache-"))

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


MEMORY_LIMIT = 2 << 30  # run_limited's address space: the "bounded memory" of a bad input


def run_limited(
    command: str, *args, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`command` run with at most MEMORY_LIMIT of address space (RLIMIT_AS) and a timeout,
    `stdin` its input (None: closed); stdout and stderr decoded."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    result = subprocess.run(
        [str(BIN / command), *map(str, args)],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        timeout=timeout,
        preexec_fn=limit,
    )
    result.stdout = result.stdout.decode("utf-8", "replace")
    result.stderr = result.stderr.decode("utf-8", "replace")
    return result


@pytest.fixture(scope="session")
def trained(tmp_path_factory, conll_dir) -> Path:
    """A quick model on all of train.txt with the default GloVe vectors: 2 epochs, 100 units, and
    the document prior off (tests/training/test_prior_training.py trains it; here it would
    train four more networks on every worker)."""
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
        "--set",
        "model.hidden=100",
        "--set",
        "model.prior_dim=0",
    )
    assert result.returncode == 0, result.stderr
    (out.parent / f"{out.name}.stdout").write_text(result.stdout)  # what the user saw
    return out


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory) -> Path:
    """test_model_file's tiny model, saved once: for commands whose model's quality is beside
    the point (input and output handling)."""
    from tests.test_model_file import tiny_model
    from windowner.model_file import save_model

    path = tmp_path_factory.mktemp("tiny") / "model.npz"
    save_model(path, tiny_model())
    return path


@pytest.fixture(scope="session")
def conll_dir() -> Path:
    return CONLL


def small_run_args(config) -> list[str]:
    """ner-train's data and vectors flags for a small_run config."""
    return [
        *("--train", str(config.data.train), "--dev", str(config.data.dev)),
        *("--vectors", str(config.vectors.spec)),
    ]


def parameters(path: Path) -> dict:
    """A model file's parameters as its network holds them (E whole, however the file stores
    it: float32, or int8 and exact rows) and its vocabulary's words: what "the same model"
    compares."""
    import numpy as np

    from windowner.model_file import load_model

    model = load_model(path)
    return {**model.network.params, "vocabulary": np.array(model.vocabulary.words)}


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The one `error:` line a command printed on stderr, having exited 2 with no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


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


@pytest.fixture(scope="session")
def small_run(tmp_path_factory, conll_dir):
    """400 training sentences, 150 dev sentences, GloVe rows for just their words."""
    root = tmp_path_factory.mktemp("small")
    train_file = head_of_conll(conll_dir / "train.txt", root / "train.txt", 400)
    dev_file = head_of_conll(conll_dir / "valid.txt", root / "dev.txt", 150)
    words = {
        t.lower() for f in (train_file, dev_file) for s in read_conll(f).sentences for t in s.tokens
    }
    glove = load_vectors("glove-6b-50d")
    keep = [i for i, w in enumerate(glove.words) if w in words]
    write_glove_text(root / "vectors.txt", [glove.words[i] for i in keep], glove.matrix[keep])

    def config(**overrides):
        base = {
            "data.train": str(train_file),
            "data.dev": str(dev_file),
            "vectors.spec": str(root / "vectors.txt"),
            "model.hidden": 30,
            "training.epochs": 3,
            "out": str(root / "out"),
        }
        return load_config(None, {**base, **overrides})

    return config


def write_glove_text(path, words, matrix):
    """A GloVe text file (no header): each line a word and its vector."""
    with open(path, "w", encoding="utf-8") as f:
        for word, row in zip(words, matrix, strict=True):
            f.write(word + " " + " ".join(f"{v:.6g}" for v in row) + "\n")


def read_tags(name: str) -> list[list[str]]:
    """The tag column (last) of each sentence of a bundled CoNLL file, -DOCSTART- lines skipped."""
    sentences: list[list[str]] = []
    tags: list[str] = []
    for line in (CONLL / name).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields and fields[0] == "-DOCSTART-":
            continue
        if fields:
            tags.append(fields[-1])
        elif tags:
            sentences.append(tags)
            tags = []
    if tags:
        sentences.append(tags)
    return sentences


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, size: str = "256k", readonly: bool = False) -> Iterator[Path]:
    """A real tmpfs of `size` on `folder` (read-only if asked): ENOSPC and EROFS for real.

    Mounting needs root, as on these machines and in CI; where it is refused the test skips,
    except under CI=true, where it fails: a skipped test checks nothing.
    """
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if readonly else "")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        message = f"cannot mount a tmpfs: {result.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


# --- headless Chromium: render a page and read back the DOM its parser built ----------------

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")


def rendered_dom(page: Path) -> str:
    """The DOM headless Chromium builds from `page`, serialised (`--dump-dom`).

    Without Chromium the test is skipped, except under CI=true, where it fails: `make test`
    installs Chromium, so its absence in CI is a broken environment, not a reason to skip.
    """
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory(prefix="windowner-chromium-") as profile:
        command = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom"]
        result = subprocess.run(
            [*command, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "</html>" in result.stdout, result.stderr[-2000:]
    return result.stdout


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class Dom(HTMLParser):
    """What the tests check in a page: elements by tag, the text of every element with a
    `data-label` (and the `data-side` of the element holding it), the document's title and
    text, the attributes of <body>."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.labelled: list[dict] = []  # {"label", "text", "attrs", "side"} in document order
        self.body: dict[str, str | None] = {}
        self.title = ""
        self.text: list[str] = []
        self._open: list[tuple[str, dict | None, str | None]] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        attributes = dict(attrs)
        if tag == "body":
            self.body = attributes
        side = attributes.get("data-side") or (self._open[-1][2] if self._open else None)
        entry = None
        if "data-label" in attributes:
            entry = {"label": attributes["data-label"], "text": "", "attrs": attributes}
            entry["side"] = side
            self.labelled.append(entry)
        if tag not in VOID_ELEMENTS:
            self._open.append((tag, entry, side))

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._open and self._open[-1][0] == "title":
            self.title += data
        if self._open and self._open[-1][0] in ("style", "title"):
            return
        self.text.append(data)
        for _, entry, _ in self._open:
            if entry is not None:
                entry["text"] += data


VOID_ELEMENTS = {"meta", "link", "br", "img", "input", "hr", "wbr", "source", "area", "base"}
