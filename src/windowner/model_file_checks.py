"""What a model file must be before any of it is used: a model file is untrusted input.

Three layers, each checked before the next is read: the zip archive (members, compression,
encryption, sizes), each member's npy header (dtype, order, shape against the member's real
size, before anything is allocated) and the metadata JSON (one declared schema, METADATA).
Every failure is a ValueError saying what is wrong; model_file turns it into a UserError that
names the file.
"""

from __future__ import annotations

import json
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy

from windowner.choices import DECODERS, HEADS, OBJECTIVES, SCHEMES, check_lookup
from windowner.data.tags import parse_tag
from windowner.errors import MAX_TAGS
from windowner.features.lexicons import MAX_LEXICON_BYTES
from windowner.features.vocabulary import SPECIALS
from windowner.model.activations import get_activation, hyperparameters
from windowner.model.int8 import Int8Rows
from windowner.model.network import OPTIONAL_PARAMS, PARAM_NAMES

# A deflated member may inflate this many times its compressed size, plus a small allowance:
# deflate reaches ~1032:1 on zeros, but float parameters compress by 1.1:1 or so, and windowner
# itself stores them uncompressed.
MAX_INFLATION = 20
SMALL_MEMBER = 1 << 20
# The most members a file may hold: 64 ensemble members of 12 arrays each, a checkpoint's
# velocities and state, with room to spare.
MAX_MEMBERS = 1024
MAX_JSON_DEPTH = 64
# The metadata of a model of a 400,000-word vocabulary (its affix and shape tables included)
# takes about 2 MB; the training state less.
MAX_JSON_BYTES = 16 * 2**20
# The arrays a model file holds for its features, beside the parameters, each present exactly
# when the metadata's features name it (the config's bounds on their sizes, restated for files).
FEATURE_ARRAYS = {"clusters": np.dtype(np.int32), "lexicon": np.dtype(np.uint8)}
MAX_CLUSTERINGS, MAX_CLUSTER_SIZE = 8, 16_384
MAX_LEXICON_TYPES = 16
# E stored as int8 rows shared by an ensemble's members and each member's exact rows (model_file's
# docstring): metadata "embedding" says which layout, these are its arrays and their dtypes.
EMBEDDINGS = ("float32", "int8")
INT8_ARRAYS = {"E_int8": np.dtype(np.int8), "E_scale": np.dtype(np.float16)}
INT8_MEMBER_ARRAYS = {"E_rows": np.dtype(np.int32), "E_exact": np.dtype(np.float32)}
_COMPRESSIONS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


def read_members(path: str | Path, dtypes: Callable[[str], np.dtype | None]) -> dict:
    """Every array of the npz at `path`, each checked before it is allocated.

    `dtypes(name)` is the dtype member `name` (without .npy) must have, None if the file may not
    hold it. Raises ValueError (zip, npy header or size problems) with the reason.
    """
    disk_size = Path(path).stat().st_size
    try:
        archive = zipfile.ZipFile(path)
    except NotImplementedError as error:  # e.g. "zip file version 9.9"
        raise ValueError(f"unsupported {error}") from None
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(infos) > MAX_MEMBERS:
            raise ValueError(f"it holds {len(infos):,} members, more than {MAX_MEMBERS:,}")
        if len(set(names)) != len(names):
            raise ValueError("it holds two members of one name")
        for info in infos:
            _check_member(info, disk_size, dtypes)
        # Each member in proportion may still add up: 3,000 of 1 MB inflate a small file to 3 GB.
        inflated = sum(info.file_size for info in infos)
        if inflated > disk_size * MAX_INFLATION + SMALL_MEMBER:
            raise ValueError(
                f"its members would inflate {disk_size:,} bytes to {inflated:,}: out of proportion"
            )
        return {info.filename[:-4]: _read_npy(archive, info, dtypes) for info in infos}


def _check_member(info: zipfile.ZipInfo, disk_size: int, dtypes) -> None:
    name = info.filename
    if not name.endswith(".npy"):
        raise ValueError(f"member {name!r} is not an .npy array")
    if dtypes(name[:-4]) is None:
        raise ValueError(f"unexpected array {name[:-4]}")
    if info.compress_type not in _COMPRESSIONS:
        raise ValueError(f"member {name!r} uses unsupported compression {info.compress_type}")
    if info.flag_bits & 0x1:
        raise ValueError(f"member {name!r} is encrypted")
    if info.extract_version > zipfile.MAX_EXTRACT_VERSION:
        raise ValueError(f"member {name!r} needs zip version {info.extract_version / 10:.1f}")
    if info.compress_size > disk_size:
        raise ValueError(f"member {name!r} claims {info.compress_size:,} bytes, more than the file")
    limit = info.compress_size * MAX_INFLATION + SMALL_MEMBER
    stored = info.compress_type == zipfile.ZIP_STORED
    if info.file_size > limit or (stored and info.file_size != info.compress_size):
        raise ValueError(
            f"member {name!r} would inflate {info.compress_size:,} bytes to "
            f"{info.file_size:,}: out of proportion"
        )


def _read_npy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dtypes) -> np.ndarray:
    """The member's array: header checked against the expected dtype, C order and the
    member's real size first, then exactly that many bytes read, then the CRC checked."""
    name = info.filename[:-4]
    try:
        with archive.open(info) as stream:
            shape, fortran, dtype = _npy_header(stream, name)
            expected = dtypes(name)
            if dtype != expected or fortran or any(n < 0 for n in shape):
                raise ValueError(
                    f"array {name} is {dtype} {shape}{' Fortran-ordered' if fortran else ''}, "
                    f"expected a C-ordered {expected} array"
                )
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes != info.file_size - stream.tell():
                raise ValueError(
                    f"array {name}'s header claims {shape} ({nbytes:,} bytes) but the member "
                    f"holds {info.file_size - stream.tell():,}"
                )
            data = bytearray(nbytes)
            if stream.readinto(data) != nbytes or stream.read(1):
                raise ValueError(f"array {name} is truncated")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as e:
        raise ValueError(f"member {info.filename!r}: {e}") from None
    return np.frombuffer(data, dtype).reshape(shape)


def _npy_header(stream, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) of an npy header, read by numpy; ValueError if it is not one.

    numpy parses the header (at most 10,000 bytes) as a Python literal, through tokenize and
    ast, and what a malformed one raises is not documented: besides ValueError, a cut-off
    bracket raises tokenize.TokenError. Whatever the parse raises is the header's fault.
    """
    version = npy.read_magic(stream)
    readers = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
    if version not in readers:
        raise ValueError(f"npy format version {version}")
    try:
        with warnings.catch_warnings():  # e.g. a SyntaxWarning for "\s": the header is refused
            warnings.simplefilter("ignore")
            shape, fortran, dtype = readers[version](stream)
    except (zipfile.BadZipFile, zlib.error, EOFError):  # the archive's, reported by the caller
        raise
    except Exception as error:  # whatever the parse raises (see the docstring)
        raise ValueError(f"array {name} has no valid npy header ({_first_line(error)})") from None
    if not (isinstance(shape, tuple) and all(isinstance(n, int) for n in shape)):
        raise ValueError(f"array {name} has no valid npy header (shape {shape!r})")
    return shape, fortran, dtype


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:200]


def check_finite(name: str, array: np.ndarray) -> None:
    if not np.isfinite(array).all():
        raise ValueError(f"array {name} holds NaN or infinite values")


def parse_json(data: bytes, what: str, int_bits: int = 64) -> Any:
    """UTF-8 JSON of at most MAX_JSON_BYTES, its bracket nesting bounded before the parser
    (which recurses) sees it, every number one a float or an `int_bits`-bit integer holds
    (a generator's state holds 128-bit numbers)."""
    if len(data) > MAX_JSON_BYTES:
        raise ValueError(f"its {what} takes {len(data):,} bytes, more than {MAX_JSON_BYTES:,}")
    text = data.decode("utf-8")
    depth = deepest = 0
    for bracket in re.sub(r'"(?:[^"\\]|\\.)*"', "", text):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in "]}":
            depth -= 1
    if deepest > MAX_JSON_DEPTH:
        raise ValueError(f"its {what} nests deeper than {MAX_JSON_DEPTH} levels")

    def integer(literal: str) -> int:
        value = int(literal)  # a ValueError beyond Python's 4,300 digits
        if not -(2 ** (int_bits - 1)) <= value < 2**int_bits:
            raise ValueError(
                f"its {what} holds an integer beyond {int_bits} bits ({literal[:20]}…)"
            )
        return value

    def number(literal: str) -> float:
        value = float(literal)
        if math.isinf(value):
            raise ValueError(f"its {what} holds a number beyond float range ({literal[:20]})")
        return value

    return json.loads(text, parse_int=integer, parse_float=number)


# The metadata schema: each key, whether it is required, and the check its value must pass
# (given the whole metadata, already type-checked up to that key). Keys not named here are kept
# but never read by windowner.
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _string(v, meta) -> None:
    if not isinstance(v, str):
        raise ValueError("must be a string")


def _object(v, meta) -> None:
    if not isinstance(v, dict):
        raise ValueError("must be a JSON object")


def _one_of(choices: tuple[str, ...]):
    def check(v, meta) -> None:
        if v not in choices:
            raise ValueError(f"is unknown ({v!r}); choose from {', '.join(choices)}")

    return check


def _format_version(v, meta) -> None:  # its value is model_file's to judge
    if not _is_int(v):
        raise ValueError("must be an integer")


def _tags(v, meta) -> None:
    if not isinstance(v, list) or not v or not all(isinstance(t, str) for t in v):
        raise ValueError("must be a non-empty list of strings")
    if len(v) > MAX_TAGS:
        raise ValueError(f"holds {len(v):,} tags, more than windowner's {MAX_TAGS:,}")
    if len(set(v)) != len(v):
        raise ValueError("holds a tag twice")
    if "only_type" not in meta:
        for tag in v:
            parse_tag(tag)


def _bool(v, meta) -> None:
    if not isinstance(v, bool):
        raise ValueError("must be true or false")


def _vocabulary(v, meta) -> None:
    _object(v, meta)
    if set(v) - {"lowercase", "lookup"} or not isinstance(v.get("lowercase"), bool):
        raise ValueError("must hold 'lowercase' (true or false) and optionally 'lookup'")
    lookup = v.get("lookup", [])
    if not isinstance(lookup, list) or not all(isinstance(s, str) for s in lookup):
        raise ValueError("'lookup' must be a list of strings")
    if "lookup" in v:
        check_lookup(lookup)


def _activation(v, meta) -> None:
    _object(v, meta)
    name = v.get("name")
    if not isinstance(name, str):
        raise ValueError("must name its unit")
    known = hyperparameters(name)  # a ValueError listing the units for an unknown name
    for key, value in v.items():
        if key == "name":
            continue
        if key not in known or not isinstance(value, int | float) or isinstance(value, bool):
            raise ValueError(f"{key!r} is no number {name} takes")
    get_activation(**v)


def _shapes(v, meta) -> None:
    _object(v, meta)
    if not set(PARAM_NAMES) <= set(v) <= set(PARAM_NAMES) | set(OPTIONAL_PARAMS):
        raise ValueError(
            f"must give the shape of {', '.join(PARAM_NAMES)} and of no arrays but "
            f"{', '.join(OPTIONAL_PARAMS)}"
        )
    for name, shape in v.items():
        if not isinstance(shape, list) or not all(_is_int(n) and n >= 0 for n in shape):
            raise ValueError(f"{name} must be a list of non-negative integers")


def _strings(v) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) for s in v)


def _features(v, meta) -> None:
    """{"subwords": {"lengths": [1, 2, 3], "prefixes": [[...] per length], "suffixes": [...],
    "shapes": [...] or null}, "document": bool} and optionally "clusters": {"sizes": [...]} and
    "lexicon": {"types": [...], "fold": bool}, as features.windows.Features.to_dict makes."""
    _object(v, meta)
    if (
        not {"subwords", "document"} <= set(v) <= {"subwords", "document", "prior", *FEATURE_ARRAYS}
        or not isinstance(v["document"], bool)
        or v.get("prior", True) is not True
    ):
        raise ValueError(
            "must hold 'subwords' and 'document' (true or false), and may hold "
            + ", ".join(repr(k) for k in FEATURE_ARRAYS)
            + " and 'prior' (true)"
        )
    sub = v["subwords"]
    _object(sub, meta)
    if set(sub) != {"lengths", "prefixes", "suffixes", "shapes"}:
        raise ValueError("'subwords' must hold lengths, prefixes, suffixes and shapes")
    lengths = sub["lengths"]
    if not isinstance(lengths, list) or not all(_is_int(n) and 0 < n <= 64 for n in lengths):
        raise ValueError("'subwords.lengths' must be a list of lengths from 1 to 64")
    for key in ("prefixes", "suffixes"):
        tables = sub[key]
        if not isinstance(tables, list) or len(tables) != len(lengths):
            raise ValueError(f"'subwords.{key}' must hold one list per length")
        if not all(_strings(t) and len(set(t)) == len(t) for t in tables):
            raise ValueError(f"'subwords.{key}' must hold lists of distinct strings")
    if sub["shapes"] is not None and not (
        _strings(sub["shapes"]) and len(set(sub["shapes"])) == len(sub["shapes"])
    ):
        raise ValueError("'subwords.shapes' must be null or a list of distinct strings")
    if "clusters" in v:
        _clusters(v["clusters"], meta)
    if "lexicon" in v:
        _lexicon(v["lexicon"], meta)


def _lexicon(v, meta) -> None:
    """{"types": [...], "fold": bool}: 1 to MAX_LEXICON_TYPES distinct type names."""
    _object(v, meta)
    types = v.get("types")
    if (
        set(v) != {"types", "fold"}
        or not isinstance(v["fold"], bool)
        or not isinstance(types, list)
        or not 0 < len(types) <= MAX_LEXICON_TYPES
        or len(set(types)) != len(types)
        or not all(isinstance(t, str) and re.fullmatch(r"[A-Za-z0-9_]{1,32}", t) for t in types)
    ):
        raise ValueError(
            f"'lexicon' must hold 'types' (1 to {MAX_LEXICON_TYPES} distinct names of letters, "
            "digits or _) and 'fold' (true or false)"
        )


def _clusters(v, meta) -> None:
    """{"sizes": [k, ...]}: 1 to MAX_CLUSTERINGS distinct sizes from 2 to MAX_CLUSTER_SIZE."""
    _object(v, meta)
    sizes = v.get("sizes")
    if (
        set(v) != {"sizes"}
        or not isinstance(sizes, list)
        or not 0 < len(sizes) <= MAX_CLUSTERINGS
        or len(set(sizes)) != len(sizes)
        or not all(_is_int(k) and 2 <= k <= MAX_CLUSTER_SIZE for k in sizes)
    ):
        raise ValueError(
            f"'clusters' must hold 'sizes': 1 to {MAX_CLUSTERINGS} distinct numbers from 2 to "
            f"{MAX_CLUSTER_SIZE:,}"
        )


def _ensemble_size(v, meta) -> None:
    if not _is_int(v) or not 2 <= v <= 64:
        raise ValueError("must be a number of members from 2 to 64")


def _first_pass(v, meta) -> None:
    """A model with the document prior's first pass (its members after the model's own): only
    one that reads the prior."""
    if v is not True:
        raise ValueError("must be true")
    if not (meta.get("features") or {}).get("prior"):
        raise ValueError("is only for a model whose features read the document prior")
    if meta.get("ensemble", 1) > 32:  # twice the members: MAX_MEMBERS bounds the arrays
        raise ValueError("allows an ensemble of at most 32 members")


def _only_type(v, meta) -> None:
    if not isinstance(v, str) or not v:
        raise ValueError("must be a non-empty string")
    parse_tag(f"B-{v}")
    if meta["tags"] != [v]:
        raise ValueError(f"{v!r} is not the model's one type (its tags: {meta['tags']})")


def _hashes(v, meta) -> None:
    _object(v, meta)
    if not all(isinstance(h, str) for h in v.values()):
        raise ValueError("must map names to strings")


def _origin(v, meta) -> None:
    """What a run started from (training/init.py): {'path': ..., 'sha256': 64 hex digits}."""
    if not isinstance(v, dict) or set(v) != {"path", "sha256"}:
        raise ValueError("must hold exactly 'path' and 'sha256'")
    digest = v["sha256"]
    if not isinstance(v["path"], str) or not isinstance(digest, str) or len(digest) != 64:
        raise ValueError("must hold a path and a sha256 of 64 hex digits")
    if digest.strip("0123456789abcdef"):
        raise ValueError("must hold a sha256 of 64 hex digits")


def _non_negative_int(v, meta) -> None:
    if not _is_int(v) or v < 0:
        raise ValueError("must be a non-negative integer")


METADATA: dict[str, tuple[bool, Callable[[Any, Mapping], None]]] = {
    "format_version": (True, _format_version),
    "windowner_version": (False, _string),
    "lowercase": (False, _bool),  # files before "vocabulary" held it
    "vocabulary": (False, _vocabulary),
    "activation": (True, _activation),
    "head": (False, _one_of(HEADS)),
    "features": (False, _features),
    "objective": (False, _one_of(OBJECTIVES)),
    "ensemble": (False, _ensemble_size),
    "first_pass": (False, _first_pass),
    "decode": (False, _one_of(DECODERS)),
    "shapes": (True, _shapes),
    "embedding": (False, _one_of(EMBEDDINGS)),
    "tags": (True, _tags),
    "only_type": (False, _only_type),
    "scheme": (False, _one_of(SCHEMES)),
    "data_sha256": (False, _hashes),
    "config": (False, _object),
    "versions": (False, _object),
    "init": (False, _origin),
    "dev": (False, _object),
    "epoch": (False, _non_negative_int),
    "seed": (False, _non_negative_int),
}


def check_metadata(meta: dict) -> None:
    """ValueError naming the first key of METADATA the metadata lacks or holds wrongly."""
    if "vocabulary" not in meta and "lowercase" not in meta:
        raise ValueError("metadata 'vocabulary' is missing")
    for key, (required, check) in METADATA.items():
        if key not in meta:
            if required:
                raise ValueError(f"metadata '{key}' is missing")
            continue
        try:
            check(meta[key], meta)
        except (ValueError, TypeError) as error:
            raise ValueError(f"metadata '{key}' {error}") from None


def check_arrays(meta: dict, params: dict[str, np.ndarray], words: list[str]) -> None:
    """The parameters against the metadata's shapes, and vocabulary lines against E's rows."""
    if set(params) != set(meta["shapes"]):
        raise ValueError(
            f"it holds arrays {', '.join(sorted(params))}, its metadata gives the shapes of "
            f"{', '.join(sorted(meta['shapes']))}"
        )
    for name in params:
        if list(params[name].shape) != meta["shapes"][name]:
            raise ValueError(
                f"array {name} is {params[name].shape}, its metadata says "
                f"{tuple(meta['shapes'][name])}"
            )
        check_finite(name, params[name])
    if words[: len(SPECIALS)] != list(SPECIALS):
        raise ValueError(f"the vocabulary must start with {', '.join(SPECIALS)}")


def check_feature_arrays(meta: dict, arrays: Mapping[str, np.ndarray], n_words: int) -> None:
    """The feature arrays against the metadata: each there exactly when the features name it,
    `clusters` (n_words, sizes) int32 with column i's ids in [0, sizes[i]]."""
    features = meta.get("features") or {}
    for name in FEATURE_ARRAYS:
        if (name in arrays) != (name in features):
            has = "has" if name in arrays else "lacks"
            say = "name" if name in features else "do not name"
            raise ValueError(f"it {has} a {name} array and its features {say} {name}")
    if "clusters" in arrays:
        ids, sizes = arrays["clusters"], features["clusters"]["sizes"]
        if ids.dtype != np.int32 or ids.shape != (n_words, len(sizes)):
            raise ValueError(
                f"array clusters is {ids.dtype} {ids.shape}, expected int32 "
                f"({n_words}, {len(sizes)}) for {n_words} words and {len(sizes)} sizes"
            )
        if n_words and ((ids.min(axis=0) < 0) | (ids.max(axis=0) > np.array(sizes))).any():
            raise ValueError(f"array clusters holds ids outside 0 to the sizes {sizes}")
    if "lexicon" in arrays:  # its lines are read (and checked) by features/lexicons.py
        phrases = arrays["lexicon"]
        if phrases.ndim != 1 or phrases.size > MAX_LEXICON_BYTES:
            raise ValueError(
                f"array lexicon is {phrases.shape}, expected at most {MAX_LEXICON_BYTES:,} bytes"
            )


def check_int8_arrays(
    meta: dict, arrays: Mapping[str, np.ndarray], members: Mapping[int, dict[str, np.ndarray]]
) -> Int8Rows | None:
    """The int8 layout's arrays against the metadata, before E is built from them: there
    exactly when its embedding is int8 (format version 4 on), E_int8 of E's shape with finite
    scales ≥ 0, and each member holding E_rows (strictly increasing rows of E) and E_exact
    (finite, one row of E's width per row) in place of E. -> the int8 rows, or None."""
    int8 = meta.get("embedding") == "int8"
    shared = [name for name in INT8_ARRAYS if name in arrays]
    parts = {name for params in members.values() for name in params if name in INT8_MEMBER_ARRAYS}
    if not int8:
        if shared or parts:
            raise ValueError(
                f"it holds {', '.join(sorted({*shared, *parts}))} but its embedding is not int8"
            )
        return None
    if meta["format_version"] < 4:
        raise ValueError(f"its embedding is int8 in format version {meta['format_version']}")
    if len(shared) != len(INT8_ARRAYS):
        raise ValueError("its embedding is int8 but it lacks E_int8 or E_scale")
    q, scale, shape = arrays["E_int8"], arrays["E_scale"], tuple(meta["shapes"]["E"])
    if len(shape) != 2 or q.shape != shape or scale.shape != shape[:1]:
        raise ValueError(f"E_int8 {q.shape} and E_scale {scale.shape} do not fit E's shape {shape}")
    if not (np.isfinite(scale).all() and (scale >= 0).all()):
        raise ValueError("array E_scale holds a negative, NaN or infinite scale")
    for number, params in members.items():
        if "E" in params or not set(INT8_MEMBER_ARRAYS) <= set(params):
            raise ValueError(f"ensemble member {number} must hold E_rows and E_exact, not E")
        rows, exact = params["E_rows"], params["E_exact"]
        if rows.ndim != 1 or exact.shape != (len(rows), shape[1]):
            raise ValueError(
                f"E_rows {rows.shape} and E_exact {exact.shape} of member {number} do not fit "
                f"E's shape {shape}"
            )
        if len(rows) and (rows[0] < 0 or rows[-1] >= shape[0] or (np.diff(rows) <= 0).any()):
            raise ValueError(f"E_rows of member {number} are not increasing rows of E")
        check_finite("E_exact", exact)
    return Int8Rows(q, scale)
