"""The model file: one `.npz` of plain arrays plus a JSON metadata entry, never pickled.

Arrays: the network's parameters (E, C, W, b, U, c), `vocabulary` (the words of E's rows, UTF-8,
newline-separated, as uint8 bytes) and `metadata` (UTF-8 JSON as uint8 bytes). Everything is
loaded with allow_pickle=False and checked against the metadata before use: a model file is
untrusted input.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from windowner import __version__
from windowner.atomic import atomic_write
from windowner.errors import UserError
from windowner.model.activations import get_activation
from windowner.model.network import PARAM_NAMES, WindowNetwork
from windowner.vocabulary import Vocabulary

FORMAT = "windowner-model"
FORMAT_VERSION = 1


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
    return _model_from_arrays(read_arrays(path), path)


def read_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an npz file, never unpickling; a UserError if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise UserError("no such model file", path) from None
    except IsADirectoryError:
        raise UserError("is a directory, expected a model file (.npz)", path) from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise UserError(f"not a windowner model ({_reason(error)})", path) from None


def model_from_arrays(arrays: dict[str, np.ndarray], path: str | Path) -> Model:
    """Check the arrays of a model file against its metadata and build the Model."""
    return _model_from_arrays(arrays, path)


def _model_from_arrays(arrays: dict[str, np.ndarray], path: str | Path) -> Model:
    def bad(why: str) -> UserError:
        return UserError(f"not a valid windowner model: {why}", path)

    missing = [n for n in (*PARAM_NAMES, "vocabulary", "metadata") if n not in arrays]
    if missing:
        raise bad(f"missing arrays {', '.join(missing)}")
    try:
        metadata = json.loads(_text(arrays["metadata"]))
        words = _text(arrays["vocabulary"]).split("\n")
    except (ValueError, UnicodeDecodeError) as error:
        raise bad(f"unreadable metadata or vocabulary ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise bad("its metadata does not name the windowner format")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise bad(
            f"format version {metadata.get('format_version')!r}; this windowner "
            f"({__version__}) reads version {FORMAT_VERSION}"
        )
    params = {}
    for name in PARAM_NAMES:
        array = arrays[name]
        if array.dtype != np.float32 or list(array.shape) != metadata["shapes"].get(name):
            raise bad(
                f"array {name} is {array.dtype} {array.shape}, expected float32 "
                f"{tuple(metadata['shapes'].get(name) or ())}"
            )
        params[name] = array
    if len(words) != params["E"].shape[0]:
        raise bad(f"{len(words)} vocabulary words for {params['E'].shape[0]} embedding rows")
    if len(metadata["tags"]) != params["U"].shape[0]:
        raise bad(f"{len(metadata['tags'])} tags for {params['U'].shape[0]} output rows")
    try:
        activation = get_activation(**metadata["activation"])
        network = WindowNetwork(params, activation, metadata.get("head", "softmax"))
    except (ValueError, TypeError) as error:
        raise bad(str(error)) from None
    return Model(
        network, Vocabulary(words, bool(metadata["lowercase"])), metadata["tags"], metadata
    )


def json_array(value: Any) -> np.ndarray:
    """A JSON-able value as a uint8 array, the way metadata is stored (no pickle)."""
    return _bytes_array(json.dumps(value))


def array_json(array: np.ndarray) -> Any:
    return json.loads(_text(array))


def _bytes_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _text(array: np.ndarray) -> str:
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ValueError(f"expected bytes, got {array.dtype} {array.shape}")
    return array.tobytes().decode("utf-8")


def _reason(error: Exception) -> str:
    if isinstance(error, ValueError) and "pickle" in str(error):
        return "it holds object arrays, which windowner never unpickles"
    return str(error) or type(error).__name__
