"""A seeded generator of hostile inputs for every entry point, and the promise each must keep.

Every case puts one hostile thing (a file's bytes, a path the system refuses, an endless
device, an option value, a model file) into one slot of one command, everything else good. The
promise: exit code 2, exactly one `error:` line on stderr and no traceback, within a memory limit
(RLIMIT_AS) and a time limit, and every file that was there before byte for byte as it was, with
no file left behind.

tests/test_hostile.py runs a seeded sample of it in the suite; the larger sweep runs outside:

    python -m tests.hostile --cases 2000 --seed 1     # prints the count per class and failures
"""

from __future__ import annotations

import functools
import hashlib
import random
import resource
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLES = ROOT / "examples"
MEMORY_LIMIT = 3 * 2**30  # bytes of address space a command may take
TIME_LIMIT = 120  # seconds


@dataclass(frozen=True)
class Case:
    """One command with one hostile thing in it: `kind` is its class, `slot` where it sits."""

    kind: str
    slot: str
    argv: tuple[str, ...]  # the command and its arguments; "{work}" is the case's folder
    files: dict[str, bytes] = field(default_factory=dict)  # written into the folder first
    stdin: bytes = b""

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.slot}"


# --- hostile things, by class ---------------------------------------------------------------


def hostile_bytes(rng: random.Random) -> bytes:
    """File content no reader may accept: binary, not UTF-8, control characters, one enormous
    line of garbage, an empty or blank file."""
    choice = rng.randrange(7)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(64, 4096))) + b"\x00"
    if choice == 1:
        return b"EU B-ORG\n" + bytes([rng.choice([0x80, 0xC0, 0xFF, 0xFE, 0xED])]) + b" O\n"
    if choice == 2:
        control = chr(rng.choice([*range(1, 9), *range(11, 32), 0x7F, 0x85, 0x2028]))
        return f"EU B-ORG\nrej{control}ects O\n".encode()
    if choice == 3:
        return b"\x00" * rng.randint(1, 10_000)
    if choice == 4:
        return b""
    if choice == 5:
        return b"\xef\xbb\xbf" + b"\x00\x01\x02" * rng.randint(1, 1000)
    return "\n".join(" ".join("\x1b[31m" for _ in range(3)) for _ in range(5)).encode()


def hostile_docbin(rng: random.Random) -> bytes:
    """A `.spacy` file no reader may accept: any hostile bytes, a real DocBin cut short or with a
    byte flipped in its compressed data, msgpack garbage compressed, a zip bomb (600 MiB of
    msgpack nils from 600 KB), or Docs without entity annotation (spacy.blank's)."""
    choice = rng.randrange(6)
    if choice == 0:
        return hostile_bytes(rng)
    good = _good_docbin()
    if choice == 1:
        return good[: rng.randrange(len(good))]
    if (
        choice == 2
    ):  # the zlib header and the deflate data are checked; the checksum catches the rest
        flipped = bytearray(good)
        flipped[rng.randrange(len(good))] ^= 1 << rng.randrange(8)
        return bytes(flipped)
    if choice == 3:
        return zlib.compress(bytes(rng.randrange(256) for _ in range(rng.randint(1, 2000))))
    if choice == 4:
        # Deflate blocks after a full flush repeat byte for byte: a bomb in a millisecond.
        deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        head = deflate.compress(b"\x81\xa4cats\xdd\x40\x00\x00\x00") + deflate.flush(
            zlib.Z_FULL_FLUSH
        )
        nils = deflate.compress(b"\xc0" * (1 << 20)) + deflate.flush(zlib.Z_FULL_FLUSH)
        return b"\x78\x9c" + head + nils * 600
    return _blank_docbin(rng.randint(1, 5))


@functools.cache
def _good_docbin() -> bytes:
    """examples/dev.txt as `spacy convert --converter ner` writes it."""
    from spacy.tokens import DocBin
    from spacy.training.converters import conll_ner_to_docs

    text = (EXAMPLES / "dev.txt").read_text(encoding="utf-8")
    return DocBin(docs=conll_ner_to_docs(text, n_sents=1, no_print=True)).to_bytes()


def _blank_docbin(docs: int) -> bytes:
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    return DocBin(docs=[nlp.make_doc("Angela Merkel met Macron.")] * docs).to_bytes()


def hostile_path(rng: random.Random, output: bool = False) -> str:
    """A path the system refuses or that names the wrong kind of thing. An output's missing
    folders are made (atomic_write), so for an `output` that is not hostile and is not drawn."""
    choice = rng.randrange(4 if output else 5)
    if choice == 0:
        return "{work}/" + "x" * rng.randint(256, 400)  # a component over NAME_MAX
    if choice == 1:
        return "{work}/" + "/".join(["y" * 200] * 25)  # over PATH_MAX
    if choice == 2:
        return "{work}"  # a folder
    if choice == 3:
        return "{work}/good.txt/child"  # a file where a folder is expected
    return "{work}/missing/" + "z" * rng.randint(1, 20)


ENDLESS = ("/dev/zero", "/dev/urandom")


def hostile_setting(rng: random.Random) -> str:
    """A --set whose value no rule accepts, control characters and deep nesting included."""
    control = chr(rng.choice([*range(0, 9), *range(10, 32), 0x7F, 0x2028]))
    choices = [
        f"model.activation=tan{control}h",
        f'vectors.lookup=["{control}"]',
        "training.lr=" + rng.choice(["-1", "nan", "inf", "1e400", '"fast"']),
        "model.hidden=" + rng.choice(["0", "-5", "1e12", "3.5", "true"]),
        "training.warmup_epochs=1e308",
        "a=" + "[" * rng.randint(200, 1500) + "]" * rng.randint(0, 5),
        f"model.window={rng.randint(21, 10**9)}",
        f"unknown{control}key=1",
        f"training.schedule=exp{control}",
        "data.scheme=" + rng.choice(["iob3", "", f"io{control}b"]),
    ]
    return rng.choice(choices)


def hostile_model(rng: random.Random, good: bytes) -> bytes:
    """Bytes that are not a model windowner wrote: noise, a truncated model, a zip of junk."""
    choice = rng.randrange(4)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 2048)))
    if choice == 1:
        return good[: rng.randint(0, len(good) - 1)]
    if choice == 2:
        return b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(512))
    flipped = bytearray(good)
    for _ in range(rng.randint(1, 20)):
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
    return bytes(flipped)


def hostile_option(rng: random.Random) -> tuple[str, str]:
    """A ner-tag option and a value it must refuse."""
    control = chr(rng.choice([*range(1, 9), *range(11, 32), 0x7F]))
    return rng.choice(
        [
            ("--format", f"jso{control}nl"),
            ("--unit", rng.choice(["sentence", "", f"li{control}ne"])),
            ("--encoding", rng.choice(["base64", "rot13", "no-such-codec", f"utf{control}8"])),
            ("--batch-size", rng.choice(["0", "-1"])),
            ("--num-proc", rng.choice(["-1", "100000", str(2**63)])),
            ("--decode", rng.choice(["beam", f"vit{control}erbi"])),
            ("--out-scheme", rng.choice(["iob3", f"bi{control}lou"])),
        ]
    )


# --- the entry points, each with its hostile slots -------------------------------------------


def cases(rng: random.Random, model: bytes) -> Iterator[Case]:
    """An endless stream of cases, every (entry point, class) pair in turn, values drawn from
    `rng`. `model` is a good model file's bytes (written as {work}/model.npz in every case)."""
    good = {
        "model.npz": model,
        "good.txt": (EXAMPLES / "dev.txt").read_bytes(),
        "news.txt": (EXAMPLES / "news.txt").read_bytes(),
    }
    train = ("ner-train", "--dev", "{work}/good.txt", "--vectors", str(EXAMPLES / "vectors.txt"))
    train = (*train, "--out", "{work}/run", "--epochs", "1")
    start = (*train, "--train", "{work}/good.txt")  # --init's cases: all but the model given
    makers: list[Callable[[], Case]] = [
        lambda: Case(
            "bytes", "ner-train --train", (*train, "--train", "{work}/bad"), {"bad": b(rng)}
        ),
        lambda: Case(
            "bytes",
            "ner-train --config",
            ("ner-train", "--config", "{work}/bad.toml"),
            {"bad.toml": b(rng)},
        ),
        lambda: Case(
            "bytes",
            "ner-eval DATA",
            ("ner-eval", "{work}/model.npz", "{work}/bad"),
            {"bad": b(rng)},
        ),
        lambda: Case(
            "bytes",
            "ner-tag INPUT",
            ("ner-tag", "{work}/model.npz", "{work}/bad"),
            {"bad": b(rng) + b"\x00"},
        ),
        lambda: Case(
            "bytes",
            "ner-vectors --vectors",
            ("ner-vectors", "neighbors", "paris", "--vectors", "{work}/bad.txt"),
            {"bad.txt": b(rng)},
        ),
        lambda: Case("path", "ner-train --train", (*train, "--train", hostile_path(rng))),
        lambda: Case("path", "ner-train --config", ("ner-train", "--config", hostile_path(rng))),
        lambda: Case("path", "ner-eval MODEL", ("ner-eval", hostile_path(rng), "{work}/good.txt")),
        lambda: Case("path", "ner-train --init", (*start, "--init", hostile_path(rng))),
        lambda: Case("path", "ner-tag MODEL", ("ner-tag", hostile_path(rng), "{work}/news.txt")),
        lambda: Case("path", "ner-tag INPUT", ("ner-tag", "{work}/model.npz", hostile_path(rng))),
        lambda: Case(
            "path",
            "ner-tag --output",
            (
                "ner-tag",
                "{work}/model.npz",
                "{work}/news.txt",
                "-o",
                hostile_path(rng, output=True),
            ),
        ),
        lambda: Case(
            "path",
            "ner-eval --output",
            (
                "ner-eval",
                "{work}/model.npz",
                "{work}/good.txt",
                "--output",
                hostile_path(rng, output=True),
            ),
        ),
        lambda: Case("endless", "ner-train --train", (*train, "--train", rng.choice(ENDLESS))),
        lambda: Case(
            "endless", "ner-train --config", ("ner-train", "--config", rng.choice(ENDLESS))
        ),
        lambda: Case(
            "endless", "ner-eval DATA", ("ner-eval", "{work}/model.npz", rng.choice(ENDLESS))
        ),
        lambda: Case(
            "endless", "ner-tag INPUT", ("ner-tag", "{work}/model.npz", rng.choice(ENDLESS))
        ),
        lambda: Case(
            "endless", "ner-tag MODEL", ("ner-tag", rng.choice(ENDLESS), "{work}/news.txt")
        ),
        lambda: Case("endless", "ner-train --init", (*start, "--init", rng.choice(ENDLESS))),
        lambda: Case(
            "value",
            "ner-train --set",
            (*train, "--train", "{work}/good.txt", "--set", hostile_setting(rng)),
        ),
        lambda: Case(
            "value",
            "ner-tag option",
            ("ner-tag", "{work}/model.npz", "{work}/news.txt", *hostile_option(rng)),
        ),
        lambda: Case(
            "model",
            "ner-tag MODEL",
            ("ner-tag", "{work}/bad.npz", "{work}/news.txt"),
            {"bad.npz": hostile_model(rng, model)},
        ),
        lambda: Case(
            "model",
            "ner-train --init",
            (*start, "--init", "{work}/bad.npz"),
            {"bad.npz": hostile_model(rng, model)},
        ),
        lambda: Case(
            "model",
            "ner-eval MODEL",
            ("ner-eval", "{work}/bad.npz", "{work}/good.txt"),
            {"bad.npz": hostile_model(rng, model)},
        ),
        lambda: Case(
            "bytes",
            "ner-eval DATA.spacy",
            ("ner-eval", "{work}/model.npz", "{work}/bad.spacy"),
            {"bad.spacy": hostile_docbin(rng)},
        ),
    ]
    while True:
        for make in makers:
            case = make()
            yield Case(case.kind, case.slot, case.argv, {**good, **case.files}, case.stdin)


def b(rng: random.Random) -> bytes:
    return hostile_bytes(rng)


# --- running a case ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    case: Case
    problem: str  # "" when the promise held

    @property
    def held(self) -> bool:
        return not self.problem


def run_case(case: Case, work: Path) -> Outcome:
    """Run `case` in the empty folder `work` and check the promise."""
    for name, data in case.files.items():
        (work / name).write_bytes(data)
    before = _snapshot(work)
    command, *args = [part.replace("{work}", str(work)) for part in case.argv]
    try:
        done = subprocess.run(
            [str(BIN / command), *args],
            input=case.stdin,
            capture_output=True,
            timeout=TIME_LIMIT,
            cwd=work,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        return Outcome(case, f"still running after {TIME_LIMIT} s")
    stderr = done.stderr.decode("utf-8", "replace")
    lines = stderr.strip().splitlines()
    if done.returncode != 2:
        return Outcome(case, f"exit {done.returncode}: {stderr[-300:]!r}")
    if "Traceback" in stderr or len(lines) != 1 or not lines[0].startswith("error: "):
        return Outcome(case, f"not one error line: {stderr[-300:]!r}")
    after = _snapshot(work)
    if after != before:
        changed = sorted(set(before.items()) ^ set(after.items()))
        return Outcome(case, f"files changed: {[name for name, _ in changed][:5]}")
    return Outcome(case, "")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) and its content's digest."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def sweep(n: int, seed: int, model: bytes, scratch: Path) -> list[Outcome]:
    """The first `n` cases of `seed`, each in a folder of its own under `scratch`."""
    rng = random.Random(seed)
    outcomes = []
    for i, case in zip(range(n), cases(rng, model)):
        work = scratch / f"case-{i}"
        work.mkdir(parents=True)
        outcomes.append(run_case(case, work))
    return outcomes


def main() -> None:
    import argparse
    import collections
    import tempfile

    from tests.test_model_file import tiny_model
    from windowner.model_file import save_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        model_path = Path(scratch) / "model.npz"
        save_model(model_path, tiny_model())
        outcomes = sweep(args.cases, args.seed, model_path.read_bytes(), Path(scratch) / "cases")
    counts = collections.Counter(o.case.name for o in outcomes)
    failed = [o for o in outcomes if not o.held]
    for name, count in sorted(counts.items()):
        bad = sum(1 for o in failed if o.case.name == name)
        print(f"{name:40} {count:5} cases, {bad} broke the promise")
    for outcome in failed[:50]:
        print(f"FAILED {outcome.case.name} {outcome.case.argv}: {outcome.problem}")
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
