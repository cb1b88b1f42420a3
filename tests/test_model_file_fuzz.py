"""Hostile model files, generated: every mutation of a small model either loads, tags and
evaluates to a valid result or is refused with one UserError, never another exception."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import zipfile

import numpy as np
import pytest

from tests.conftest import CONLL
from tests.test_model_file import int8_model, tiny_model
from windowner.data.conll import read_conll
from windowner.errors import UserError
from windowner.evaluation.evaluate import evaluate
from windowner.model_file import load_model, save_model
from windowner.tagging.text import tag_batch

MUTATIONS = 320
SEED = 16
TEXTS = ["Paris is naïve about New York .", "", "1996 F-16 paris PARIS <s> </s> <unk>"]
HOSTILE_VALUES = [
    None, True, False, 0, -1, 5, 2**63, 1e308, -0.5, float("nan"), "", "x", "B-", "X", "O",
    "B-PER", [], {}, [-1], [0], [1, 2, 3], [[]], ["O"], ["exact", "exact"], {"name": "relu"},
]  # fmt: skip


@pytest.fixture(scope="module")
def conll():
    corpus = read_conll(CONLL / "valid.txt")
    return dataclasses.replace(corpus, sentences=corpus.sentences[:12])


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _paths(value, prefix=()):
    """Every (path, value) inside a JSON value, the root first."""
    yield prefix, value
    if isinstance(value, dict | list):
        for key, inner in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _paths(inner, (*prefix, key))


def mutate_metadata(rng, good: bytes) -> tuple[str, bytes]:
    members = _members(good)
    meta = json.loads(members["metadata.npy"][128:])
    paths = [p for p, _ in _paths(meta) if p]
    path = paths[rng.integers(len(paths))]
    parent = meta
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.2 and isinstance(parent, dict):
        del parent[path[-1]]
        what = f"metadata {'.'.join(map(str, path))} deleted"
    else:
        value = HOSTILE_VALUES[rng.integers(len(HOSTILE_VALUES))]
        parent[path[-1]] = value
        what = f"metadata {'.'.join(map(str, path))} = {value!r}"
    text = json.dumps(meta).encode()
    members["metadata.npy"] = _npy_header("|u1", (len(text),)) + text
    return what, _zip(members)


def _npy_header(descr: str, shape, fortran=False) -> bytes:
    out = io.BytesIO()
    header = {"descr": descr, "fortran_order": fortran, "shape": tuple(shape)}
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue()


def mutate_npy_header(rng, good: bytes) -> tuple[str, bytes]:
    members = _members(good)
    name = sorted(members)[rng.integers(len(members))]
    data = members[name]
    descr = ["<f4", "<f8", "|u1", "<i8", ">f4", "|O", "<U3"][rng.integers(7)]
    rank = int(rng.integers(0, 4))
    sizes = [0, 1, 3, 6, 2**40, -2]
    shape = tuple(sizes[rng.integers(len(sizes))] for _ in range(rank))
    fortran = bool(rng.random() < 0.3)
    members[name] = _npy_header(descr, shape, fortran) + data[128:]
    return f"{name} header {descr} {shape} fortran={fortran}", _zip(members)


def mutate_zip_field(rng, good: bytes) -> tuple[str, bytes]:
    """One field of a central directory or local header entry set to a random value."""
    data = bytearray(good)
    signature = [b"PK\x01\x02", b"PK\x03\x04"][rng.integers(2)]
    starts = [i for i in range(len(data) - 4) if data[i : i + 4] == signature]
    start = starts[rng.integers(len(starts))]
    fields = [(4, 2), (6, 2), (8, 2), (10, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)]
    offset, width = fields[rng.integers(len(fields))]
    if signature == b"PK\x01\x02":
        offset += 2
    value = int(rng.choice([0, 1, 8, 12, 14, 99, 0xFFFF, 0xFFFFFFFF, rng.integers(1 << 16)]))
    value &= (1 << (8 * width)) - 1
    data[start + offset : start + offset + width] = value.to_bytes(width, "little")
    return f"zip field {signature!r}+{offset} = {value}", bytes(data)


def mutate_bytes(rng, good: bytes) -> tuple[str, bytes]:
    if rng.random() < 0.5:
        cut = int(rng.integers(len(good)))
        return f"truncated to {cut} bytes", good[:cut]
    data = bytearray(good)
    places = rng.integers(len(data), size=int(rng.integers(1, 6)))
    for i in places:
        data[i] ^= 1 << int(rng.integers(8))
    return f"bits flipped at {sorted(places.tolist())}", bytes(data)


def mutate_array(rng, good: bytes) -> tuple[str, bytes]:
    """A parameter's values made non-finite or extreme (E's int8 and exact rows, their row
    numbers and scales too), or the whole archive deflated into a bomb."""
    members = _members(good)
    big = "E_int8.npy" if "E_int8.npy" in members else "E.npy"
    if rng.random() < 0.3:
        members[big] = members[big] + bytes(8 << 20)
        return f"{big} padded with 8 MB of zeros, deflated", _zip(members, zipfile.ZIP_DEFLATED)
    names = [n for n in sorted(members) if n.rsplit(".", 2)[-2] in PARAMETERS]
    name = names[rng.integers(len(names))]
    array = np.load(io.BytesIO(members[name])).copy()
    where = np.unravel_index(int(rng.integers(array.size)), array.shape)
    if array.dtype.kind == "f":
        bad = [math.nan, math.inf, -math.inf, float(np.finfo(array.dtype).max)][rng.integers(4)]
    else:
        info = np.iinfo(array.dtype)
        bad = [info.min, info.max, -1, 0, array.shape[0]][rng.integers(5)]
    array[where] = bad
    out = io.BytesIO()
    np.save(out, array)
    members[name] = out.getvalue()
    return f"{name}{list(where)} = {bad}", _zip(members)


# The arrays mutate_array edits: the parameters, and E's int8 layout.
PARAMETERS = {"E", "C", "W", "b", "U", "c", "K", "D", "E_int8", "E_scale", "E_rows", "E_exact"}


MUTATORS = [mutate_metadata, mutate_npy_header, mutate_zip_field, mutate_bytes, mutate_array]


def use(path, conll) -> None:
    """Load, tag and evaluate; the results must be valid whenever no UserError is raised."""
    model = load_model(path)
    for text in tag_batch(model, TEXTS):
        for tags, scores in zip(text.tags, text.scores, strict=True):
            assert all(isinstance(t, str) for t in tags)
            assert all(0.0 <= p <= 1.0 for p in scores), scores
    scores, predicted = evaluate(model, conll)
    assert math.isfinite(scores.f1) and len(predicted) == len(conll.sentences)


# A finite value near float32's largest (a hostile file may hold one) overflows W x to inf,
# which tanh and the sigmoid take in their stride: the results are checked, the warning is noise.
@pytest.mark.filterwarnings("ignore:overflow encountered in matmul:RuntimeWarning")
@pytest.mark.parametrize(
    "model", [tiny_model, lambda: int8_model(members=2)], ids=["float32", "int8-ensemble"]
)
def test_every_mutation_of_a_small_model_is_a_user_error_or_a_valid_result(tmp_path, conll, model):
    good_path = tmp_path / "good.npz"
    save_model(good_path, model())
    use(good_path, conll)
    good = good_path.read_bytes()
    rng = np.random.default_rng(SEED)
    path = tmp_path / "mutant.npz"
    failures, refused = [], 0
    for i in range(MUTATIONS):
        what, data = MUTATORS[i % len(MUTATORS)](rng, good)
        path.write_bytes(data)
        try:
            use(path, conll)
        except UserError as error:
            refused += 1
            assert str(error).startswith(str(path)) and "\n" not in str(error), error
        except Exception as error:  # collecting every failure is the point
            failures.append(f"{what}: {type(error).__name__}: {error}")
    assert not failures, "\n".join(failures)
    assert refused > MUTATIONS // 2  # most mutations must be caught, not silently accepted


# Malformed npy headers: numpy parses the header text as a Python literal, and what a broken
# one raises is undocumented (a cut-off bracket raised tokenize.TokenError).

HEADER_PIECES = [
    b"{", b"}", b"(", b")", b"[", b"'", b'"', b",", b":", b"descr", b"<f4", b"|O", b"V8",
    b"fortran_order", b"True", b"shape", b"-1", b"9" * 30, b"1e400", b"1j", b"None", b"\x00",
    b"\xff", b"(" * 300, b"[" * 300, b"\\", b"lambda: 0", b"__import__('os')", b" ", b"\n",
    b"{'descr': '<f4', 'fortran_order': False, 'shape': (10**30,)}",
]  # fmt: skip
HEADER_MUTATIONS = 600


def mutate_npy_header_text(rng, good: bytes) -> tuple[str, bytes]:
    """An array's npy header text edited byte by byte: pieces inserted, bytes deleted or
    changed, the header cut short; its length field and version sometimes wrong too."""
    members = _members(good)
    name = sorted(members)[rng.integers(len(members))]
    data = members[name]
    length = int.from_bytes(data[8:10], "little")
    header = bytearray(data[10 : 10 + length])
    for _ in range(int(rng.integers(1, 5))):
        where = int(rng.integers(len(header) + 1))
        kind = int(rng.integers(4))
        if kind == 0:
            header[where:where] = HEADER_PIECES[rng.integers(len(HEADER_PIECES))]
        elif kind == 1:
            del header[where : where + int(rng.integers(1, 12))]
        elif kind == 2 and header:
            header[min(where, len(header) - 1)] = int(rng.integers(256))
        else:
            header = header[:where]
    version = [b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x01\x07"][rng.integers(4)]
    size = len(header) if rng.random() < 0.9 else int(rng.integers(1 << 16))
    width = 2 if version[0] == 1 else 4
    prefix = b"\x93NUMPY" + version + (size % (1 << (8 * width))).to_bytes(width, "little")
    members[name] = prefix + bytes(header) + data[10 + length :]
    return f"{name} header {bytes(header)[:60]!r}, version {version!r}", _zip(members)


@pytest.mark.parametrize(
    "model", [tiny_model, lambda: int8_model(members=2)], ids=["float32", "int8-ensemble"]
)
def test_every_malformed_npy_header_is_one_user_error(tmp_path, model):
    save_model(tmp_path / "good.npz", model())
    good = (tmp_path / "good.npz").read_bytes()
    rng = np.random.default_rng(SEED)
    path = tmp_path / "mutant.npz"
    failures = []
    for _ in range(HEADER_MUTATIONS):
        what, data = mutate_npy_header_text(rng, good)
        path.write_bytes(data)
        try:
            load_model(path)
        except UserError as error:
            assert str(error).startswith(str(path)) and "\n" not in str(error), error
        except Exception as error:  # collecting every failure is the point
            failures.append(f"{what}: {type(error).__name__}: {error}")
    assert not failures, "\n".join(failures[:20])
