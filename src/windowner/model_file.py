"""The model file: one `.npz` of plain arrays plus a JSON metadata entry, never pickled.

Arrays: the network's parameters (E, C, W, b, U, c, and the feature tables P, S, K, D, Q of a
model that has them), `vocabulary` (the words of E's rows, UTF-8, newline-separated, as uint8
bytes), `metadata` (UTF-8 JSON as uint8 bytes), for a model with word clusters `clusters` (each
vocabulary row's cluster per size, int32), and for a model with lexicons `lexicon` (its tokenized
phrases, UTF-8 lines as uint8 bytes: features/lexicons.py). Nothing is
ever unpickled, and everything is checked before use (model_file_checks): a model file is
untrusted input.

E is stored whole (float32), or, where some of its rows are int8-exact (model/int8.py: the
pretrained rows training rounded because it never reads them), in two parts that give it back
bit for bit: `E_int8` (V, d) int8 and `E_scale` (V,) float16, the int8 rows, shared by the
members of an ensemble, and per member `E_rows` (R,) int32 and `E_exact` (R, d) float32, the
rows stored as they are (those training changed, and the fresh ones), which replace the int8
rows at those places. Metadata "embedding" says which ("float32" when absent).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from windowner.atomic import atomic_write
from windowner.choices import DECODERS, OBJECTIVES, check_choice
from windowner.config import ModelConfig, TrainingConfig
from windowner.data.tags import parse_tag
from windowner.errors import UserError, check_size, reading
from windowner.features.casing import CASING_CLASSES
from windowner.features.document import DOCUMENT_CLASSES
from windowner.features.prior import PRIOR_CLASSES
from windowner.features.vocabulary import Vocabulary
from windowner.features.windows import Features
from windowner.model.activations import get_activation
from windowner.model.ensemble import Ensemble
from windowner.model.int8 import Int8Rows, differs, encode
from windowner.model.network import (
    FEATURE_TABLES,
    OPTIONAL_PARAMS,
    PARAM_NAMES,
    TRANSITIONS,
    WindowNetwork,
)
from windowner.model_file_checks import (
    FEATURE_ARRAYS,
    INT8_ARRAYS,
    INT8_MEMBER_ARRAYS,
    check_arrays,
    check_feature_arrays,
    check_int8_arrays,
    check_metadata,
    parse_json,
    read_members,
)
from windowner.version import __version__

FORMAT = "windowner-model"
# Version 2 added the feature tables (P, S, K, D) and the metadata that says which a model has,
# and ensembles (members beyond the first as memberN.E, memberN.C, …); a version 1 file is a
# model without them and loads as one. Version 3 added word clusters and lexicons (the `clusters`
# and `lexicon` arrays and the metadata that says a model has them); a model without them is
# still written as version 2, so that a windowner from before them reads it as it always did.
# Version 4 added E stored as int8 and exact rows (the module docstring); a model whose rows
# are all float32 is still written as version 2 or 3. Version 5 added the document prior
# (features/prior.py): its table R, the metadata that says a model reads it, and the first pass
# that makes it (metadata "first_pass": parameters member1.*, beside the model's own); only a
# model with the prior is written as version 5.
FORMAT_VERSION = 5
READS_VERSIONS = (1, 2, 3, 4, 5)
MODEL_ARRAYS = (*PARAM_NAMES, "vocabulary", "metadata")


@dataclass
class Model:
    """Everything tagging needs: the network, its vocabulary, its tag set, the decisions that
    say how it tags, and how it was made (`metadata`: provenance, never read to tag).

    `decode` is the model's own decoding (choices.DECODERS); `objective` the one it was trained
    with (choices.OBJECTIVES); `only_type` the one entity type of a binary model (head sigmoid,
    'is the centre word TYPE?'), '' for a model of tags.

    `int8_rows`: E's rows as int8 (model/int8.py), as training rounded them or the file stored
    them, kept only so that saving need not encode E again; save_model stores a row as int8
    only where these give E's row back bit for bit, so a stale block (another network put in
    with dataclasses.replace) costs size, never a number, and one of another shape is ignored.
    """

    network: WindowNetwork | Ensemble
    vocabulary: Vocabulary
    tags: list[str]
    metadata: dict[str, Any]
    features: Features = field(default_factory=Features)  # what a position reads beside the word
    decode: str = ModelConfig.decode
    objective: str = TrainingConfig.objective
    only_type: str = ""
    int8_rows: Int8Rows | None = field(default=None, repr=False, compare=False)
    # The first pass of a model with the document prior (features/prior.py): a network of the
    # same architecture whose scores give the prior that `network` then reads; None: the prior
    # stays "alone" (a first pass itself, or a model without the prior).
    first_pass: WindowNetwork | Ensemble | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_choice(self.decode, DECODERS, "decoding")
        check_choice(self.objective, OBJECTIVES, "objective")

    @property
    def entity_types(self) -> list[str]:
        """The entity types among the tags, sorted (a binary model's one type)."""
        if self.only_type:
            return [self.only_type]
        return sorted({parse_tag(tag)[1] for tag in self.tags} - {""})


# The metadata keys that hold the Model's decisions, and the keys of the resolved config that
# say the same: the config is stored without them, so that each fact is stored once.
_DECISIONS = ("decode", "objective", "only_type")
_STORED_ELSEWHERE = {"model": ("decode", "only_type"), "training": ("objective", "seed")}


def save_model(
    path: str | Path,
    model: Model,
    extra: dict[str, np.ndarray] | None = None,
    *,
    compress: bool = True,
) -> None:
    """Write the model atomically; `extra` arrays ride along (training checkpoints use them).

    `compress`: deflate the members (the int8 rows shrink by a tenth, the vocabulary by half:
    the default model from 28.4 to 24.7 MB, in about a second); training writes the files of
    every epoch without, and deflates the model it keeps once, at the end (training/finish.py).
    """
    network = model.network
    members = network.members if isinstance(network, Ensemble) else [network]
    if model.first_pass is not None:  # its members follow the model's own, as many of them
        first = model.first_pass
        members = [*members, *(first.members if isinstance(first, Ensemble) else [first])]
    int8 = _int8_layout(model, [m.params["E"] for m in members])
    version = 4 if int8 is not None else 3 if model.features.arrays() else 2
    if model.features.prior:
        version = FORMAT_VERSION
    metadata = {
        **{
            k: v
            for k, v in model.metadata.items()
            if k not in (*_DECISIONS, "lowercase", "embedding")
        },
        "format": FORMAT,
        "format_version": version,
        "windowner_version": __version__,
        "tags": model.tags,
        "decode": model.decode,
        "objective": model.objective,
        **({"only_type": model.only_type} if model.only_type else {}),
        "vocabulary": model.vocabulary.settings(),
        "activation": model.network.activation.params(),
        "head": model.network.head,
        "features": model.features.to_dict(),
        "shapes": {name: list(array.shape) for name, array in model.network.params.items()},
    }
    if isinstance(metadata.get("config"), dict):
        metadata["config"] = _without_decisions(metadata["config"])
    if model.first_pass is not None:
        metadata["first_pass"] = True
    own = len(members) // 2 if model.first_pass is not None else len(members)
    if own > 1:
        metadata["ensemble"] = own
    if int8 is not None:
        metadata["embedding"] = "int8"
    arrays: dict[str, np.ndarray] = {}
    for i, member in enumerate(members):
        params = dict(member.params)
        if int8 is not None:
            exact = int8[1][i]
            E = params.pop("E")
            params = {"E_rows": exact.astype(np.int32), "E_exact": E[exact], **params}
        prefix = f"{_MEMBER}{i}." if i else ""
        arrays.update({prefix + name: array for name, array in params.items()})
    if int8 is not None:
        arrays["E_int8"], arrays["E_scale"] = int8[0].q, int8[0].scale
    arrays["vocabulary"] = _bytes_array("\n".join(model.vocabulary.words))
    arrays["metadata"] = _bytes_array(json.dumps(metadata))
    arrays.update(model.features.arrays())
    arrays.update(extra or {})
    with atomic_write(path) as f:
        (np.savez_compressed if compress else np.savez)(f, **arrays)


def _int8_layout(
    model: Model, embeddings: list[np.ndarray]
) -> tuple[Int8Rows, list[np.ndarray]] | None:
    """E's int8 rows, shared by the members, and each member's exact rows (sorted indices);
    None when no row of any member is int8-exact: E is then stored whole.

    The block is the model's own (int8_rows) where it fits, else the first member's E encoded.
    A member stores exactly every row the block does not give back bit for bit; a row every
    member stores exactly is zeroed in the block (it is never read, and zeros deflate to
    nothing).
    """
    first = embeddings[0]
    if any(E.shape != first.shape for E in embeddings) or not first.size:
        return None
    block = model.int8_rows
    if block is None or block.shape != first.shape:
        block, _ = encode(first)
    stored = [differs(E, block) for E in embeddings]
    read = ~np.logical_and.reduce(stored)
    if not read.any():
        return None
    shared = Int8Rows(
        np.where(read[:, None], block.q, np.int8(0)),
        np.where(read, block.scale, np.float16(0)),
    )
    return shared, [np.flatnonzero(exact) for exact in stored]


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
        where = _member_param(name)
        if where is not None:
            return INT8_MEMBER_ARRAYS.get(where[1], np.dtype(np.float32))
        if name in FEATURE_ARRAYS:
            return FEATURE_ARRAYS[name]
        if name in INT8_ARRAYS:
            return INT8_ARRAYS[name]
        return np.dtype(np.uint8) if name in MODEL_ARRAYS else extra(name)

    try:
        with reading(path, "a model file (.npz)"):
            arrays = read_members(path, dtypes)
    except (zipfile.BadZipFile, ValueError) as error:
        raise UserError(f"not a windowner model ({error})", path) from None
    # E may be stored as its int8 and exact rows (checked against the metadata later)
    present = set(arrays) | ({"E"} if "E_exact" in arrays else set())
    missing = [n for n in MODEL_ARRAYS if n not in present]
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
    if metadata.get("format_version") not in READS_VERSIONS:
        raise bad(
            f"format version {metadata.get('format_version')!r}; this windowner "
            f"({__version__}) reads versions {', '.join(map(str, READS_VERSIONS))}"
        )
    members: dict[int, dict[str, np.ndarray]] = {}
    for name, array in arrays.items():
        where = _member_param(name)
        if where is not None:
            members.setdefault(where[0], {})[where[1]] = array
    try:
        check_metadata(metadata)
        check_feature_arrays(metadata, arrays, len(words))
        int8 = check_int8_arrays(metadata, arrays, members)
        features = Features.from_dict(metadata.get("features"), arrays)
        count = metadata.get("ensemble", 1) * (2 if metadata.get("first_pass") else 1)
        if sorted(members) != list(range(count)):
            raise ValueError(f"{len(members)} sets of parameters for {count} ensemble members")
        for params in members.values():
            if int8 is not None:
                params["E"] = _embedding(int8, params.pop("E_rows"), params.pop("E_exact"), path)
            check_arrays(metadata, params, words)
    except ValueError as error:
        raise bad(str(error)) from None
    activation = get_activation(**metadata["activation"])
    head = metadata.get("head", "softmax")
    # A file written before the decisions were fields may lack them: the defaults of then.
    decode = metadata.get("decode", "viterbi")
    objective = metadata.get("objective", "window")
    networks = [WindowNetwork(members[i], activation, head, features.slots) for i in range(count)]
    for network in networks:
        problem = _shape_problem(network, features, len(words), len(metadata["tags"]))
        if not problem and network.objective != objective:
            problem = f"its metadata says objective {objective!r} but its arrays are those of"
            problem += f" the {network.objective} objective"
        if problem:
            raise bad(problem)
    first_pass = None
    if metadata.get("first_pass"):  # the first pass's members follow the model's own
        own = len(networks) // 2
        networks, firsts = networks[:own], networks[own:]
        first_pass = firsts[0] if own == 1 else Ensemble(firsts)
    network = networks[0] if len(networks) == 1 else Ensemble(networks)
    # files before the lookup chain store only whether the words are lowercased
    settings = metadata.get("vocabulary") or {"lowercase": metadata["lowercase"]}
    vocabulary = Vocabulary.from_settings(words, settings)
    tags = metadata["tags"]
    only_type = metadata.get("only_type", "")
    return Model(
        network,
        vocabulary,
        tags,
        metadata,
        features,
        decode,
        objective,
        only_type,
        int8_rows=int8,
        first_pass=first_pass,
    )


def _embedding(int8: Int8Rows, rows: np.ndarray, exact: np.ndarray, path) -> np.ndarray:
    """E (V, d) float32 from its int8 rows, the exact rows put in their places.

    Shapes: int8 (V, d), rows (R,), exact (R, d) -> (V, d).
    """
    check_size(f"E ({int8.shape[0]:,} × {int8.shape[1]:,})", int8.q.size, 4, path)
    E = int8.decode()
    E[rows] = exact
    return E


def _without_decisions(config: dict[str, Any]) -> dict[str, Any]:
    """The resolved config as metadata stores it: without the keys the Model's own fields (and
    the seed) already store."""
    return {
        section: {k: v for k, v in values.items() if k not in _STORED_ELSEWHERE.get(section, ())}
        if isinstance(values, dict)
        else values
        for section, values in config.items()
    }


_MEMBER = "member"  # memberN.E: parameter E of ensemble member N ≥ 1


def _member_param(name: str) -> tuple[int, str] | None:
    """(member, parameter) of an array name: E → (0, E), member2.W → (2, W), member1.E_rows →
    (1, E_rows); None for others."""
    member, dot, param = name.rpartition(".")
    if param not in (*PARAM_NAMES, *OPTIONAL_PARAMS, *INT8_MEMBER_ARRAYS):
        return None
    if not dot:
        return 0, param
    number = member.removeprefix(_MEMBER)
    if member.startswith(_MEMBER) and number.isdigit() and number == str(int(number)) != "0":
        return int(number), param
    return None


def _shape_problem(network: WindowNetwork, features: Features, words: int, tags: int):
    """The arrays must fit together, whatever the metadata claims: E (V, d), C (K, k), the
    feature tables the features name with the rows their strings need, W (H', n·D₀) with n odd,
    b (H',), U (T, H) with H' = H (2H gated), c (T,), and for the sentence objective
    A (T, T) and a0 (T,)."""
    params, gated = network.params, network.activation.gated
    E, C, W, b, U, c = (params[n] for n in PARAM_NAMES)
    vectors = ("b", "c", "a0")
    if any(params[n].ndim != (1 if n in vectors else 2) for n in params):
        return "E, C, W, U, A and the feature tables must be matrices, b, c and a0 vectors"
    if E.shape[0] != words:
        return f"{words} vocabulary words for {E.shape[0]} embedding rows"
    if C.shape[0] != len(CASING_CLASSES):
        return f"{C.shape[0]} casing rows, expected {len(CASING_CLASSES)}"
    needed = features.subwords.rows()
    if features.document:
        needed["D"] = len(DOCUMENT_CLASSES)
    if features.clusters is not None:
        needed["Q"] = features.clusters.rows()
    if features.lexicon is not None:
        needed["L"] = features.lexicon.rows()
    if features.prior:
        needed["R"] = len(PRIOR_CLASSES)
    transitions = [n for n in TRANSITIONS if n in params]
    if transitions and (
        len(transitions) < 2 or params["A"].shape != (tags, tags) or params["a0"].shape != (tags,)
    ):
        return f"the transitions A and a0 must be ({tags}, {tags}) and ({tags},) for {tags} tags"
    tables = {n for n in params if n in FEATURE_TABLES}
    if tables != set(needed):
        return f"feature tables {sorted(tables)} where its features need {sorted(needed)}"
    for name, rows in needed.items():
        if params[name].shape[0] != rows:
            return f"table {name} has {params[name].shape[0]} rows, its features need {rows}"
    width = network.position_width
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


def array_json(array: np.ndarray, int_bits: int = 64) -> Any:
    return parse_json(_bytes(array), "JSON", int_bits)


def _bytes_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _bytes(array: np.ndarray) -> bytes:
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ValueError(f"expected bytes, got {array.dtype} {array.shape}")
    return array.tobytes()
