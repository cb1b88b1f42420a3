"""The model file: one `.npz` of plain arrays plus a JSON metadata entry, never pickled.

Arrays: the network's parameters (E, C, W, b, U, c), `vocabulary` (the words of E's rows, UTF-8,
newline-separated, as uint8 bytes) and `metadata` (UTF-8 JSON as uint8 bytes). Nothing is
ever unpickled, and everything is checked before use (model_file_checks): a model file is
untrusted input.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from windowner import __version__
from windowner.atomic import atomic_write
from windowner.errors import UserError, reading
from windowner.features.casing import CASING_CLASSES
from windowner.features.vocabulary import Vocabulary
from windowner.model.activations import get_activation
from windowner.model.network import PARAM_NAMES, WindowNetwork
from windowner.model_file_checks import check_arrays, check_metadata, parse_json, read_members

FORMAT = "windowner-model"
FORMAT_VERSION = 1
MODEL_ARRAYS = (*PARAM_NAMES, "vocabulary", "metadata")


@dataclass
class Model:
    """Everything tagging needs: the network, its vocabulary, its tag set and how it was made."""

    network: WindowNetwork
    vocabulary: Vocabulary
    tags: list[str]
    metadata: dict[str, Any]


def save_model(path: str | Path, model: Model, extra: dict[str, np.ndarray] | None = None) -> None:
    """Write the model atomically; `extra` arrays ride along (training checkpoints use them)."""
    metadata = {
        **model.metadata,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "windowner_version": __version__,
        "tags": model.tags,
        "lowercase": model.vocabulary.lowercase,
        "vocabulary": model.vocabulary.settings(),
        "activation": model.network.activation.params(),
        "head": model.network.head,
        "shapes": {name: list(model.network.params[name].shape) for name in PARAM_NAMES},
    }
    arrays = {name: model.network.params[name] for name in PARAM_NAMES}
    arrays["vocabulary"] = _bytes_array("\n".join(model.vocabulary.words))
    arrays["metadata"] = _bytes_array(json.dumps(metadata))
    arrays.update(extra or {})
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def load_model(path: str | Path) -> Model:
    """Read and validate a model file; anything wrong with it is a UserError naming the file."""
    return model_from_arrays(read_arrays(path), path)


def read_arrays(
    path: str | Path, extra: Callable[[str], np.dtype | None] = lambda name: None
) -> dict[str, np.ndarray]:
    """Every array of an npz model file, each checked (zip member, npy header, size) before it
    is allocated, never unpickling; a UserError naming the file if it is not one.

    `extra(name)` is the dtype an array beyond the model's must have, None if it may not be
    there (checkpoints carry training state beside the model).
    """
    with reading(path, "a model file (.npz)"), open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":  # np.load would try a text or .npy file as something else
        raise UserError("not a windowner model (not an .npz archive)", path)

    def dtypes(name: str) -> np.dtype | None:
        if name in PARAM_NAMES:
            return np.dtype(np.float32)
        return np.dtype(np.uint8) if name in MODEL_ARRAYS else extra(name)

    try:
        with reading(path, "a model file (.npz)"):
            arrays = read_members(path, dtypes)
    except (zipfile.BadZipFile, ValueError) as error:
        raise UserError(f"not a windowner model ({error})", path) from None
    missing = [n for n in MODEL_ARRAYS if n not in arrays]
    if missing:
        raise UserError(f"not a valid windowner model: missing arrays {', '.join(missing)}", path)
    return arrays


def model_from_arrays(arrays: dict[str, np.ndarray], path: str | Path) -> Model:
    """Check the arrays of a model file (as read_arrays gives them) against its metadata and
    each other, metadata first, then build the Model."""

    def bad(why: str) -> UserError:
        return UserError(f"not a valid windowner model: {why}", path)

    try:
        metadata = parse_json(_bytes(arrays["metadata"]), "metadata")
        words = _bytes(arrays["vocabulary"]).decode("utf-8").split("\n")
    except (ValueError, UnicodeDecodeError) as error:
        raise bad(f"unreadable metadata or vocabulary ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise bad("its metadata does not name the windowner format")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise bad(
            f"format version {metadata.get('format_version')!r}; this windowner "
            f"({__version__}) reads version {FORMAT_VERSION}"
        )
    params = {name: arrays[name] for name in PARAM_NAMES}
    try:
        check_metadata(metadata)
        check_arrays(metadata, params, words)
    except ValueError as error:
        raise bad(str(error)) from None
    activation = get_activation(**metadata["activation"])
    network = WindowNetwork(params, activation, metadata.get("head", "softmax"))
    problem = _shape_problem(params, activation.gated, len(words), len(metadata["tags"]))
    if problem:
        raise bad(problem)
    settings = metadata.get("vocabulary") or {"lowercase": metadata["lowercase"]}
    vocabulary = Vocabulary.from_settings(words, settings)
    return Model(network, vocabulary, metadata["tags"], metadata)


def _shape_problem(params: dict[str, np.ndarray], gated: bool, words: int, tags: int):
    """The arrays must fit together, whatever the metadata claims: E (V, d), C (K, k),
    W (H', n(d+k)) with n odd, b (H',), U (T, H) with H' = H (2H gated), c (T,)."""
    E, C, W, b, U, c = (params[n] for n in PARAM_NAMES)
    if E.ndim != 2 or C.ndim != 2 or W.ndim != 2 or U.ndim != 2 or b.ndim != 1 or c.ndim != 1:
        return "E, C, W and U must be matrices, b and c vectors"
    if E.shape[0] != words:
        return f"{words} vocabulary words for {E.shape[0]} embedding rows"
    if C.shape[0] != len(CASING_CLASSES):
        return f"{C.shape[0]} casing rows, expected {len(CASING_CLASSES)}"
    width = E.shape[1] + C.shape[1]
    positions, remainder = divmod(W.shape[1], width) if width else (0, 1)
    if remainder or positions % 2 == 0:
        return f"W has {W.shape[1]} columns: not an odd number of windows of {width}"
    hidden = W.shape[0] // 2 if gated else W.shape[0]
    if b.shape[0] != W.shape[0] or U.shape[1] != hidden or (gated and W.shape[0] % 2):
        return f"b {b.shape}, W {W.shape} and U {U.shape} do not fit together"
    if U.shape[0] != tags or c.shape[0] != tags:
        return f"{tags} tags for {U.shape[0]} output rows and {c.shape[0]} biases"
    return None


def json_array(value: Any) -> np.ndarray:
    """A JSON-able value as a uint8 array, the way metadata is stored (no pickle)."""
    return _bytes_array(json.dumps(value))


def array_json(array: np.ndarray) -> Any:
    return parse_json(_bytes(array), "JSON")


def _bytes_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _bytes(array: np.ndarray) -> bytes:
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ValueError(f"expected bytes, got {array.dtype} {array.shape}")
    return array.tobytes()
