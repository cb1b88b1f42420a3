"""Training configuration: one frozen dataclass per section, read from TOML, overridden by flags.

Unknown sections or keys, wrong types and out-of-range values are user errors that name the
file and list what is allowed, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from windowner.errors import UserError
from windowner.model.activations import ACTIVATIONS


@dataclass(frozen=True)
class DataConfig:
    train: str = ""  # CoNLL file to train on
    dev: str = ""  # CoNLL file that selects the best epoch
    test: str = ""  # CoNLL file reported once, at the end ("" to skip)
    # Each of train/dev/test may also be hf:NAME[:CONFIG][@SPLIT], a .parquet/.jsonl/.arrow file
    # or a save_to_disk folder with tokens and ner_tags.
    columns: str = ""  # "TOKEN,TAG" columns (0-based numbers, or dataset names); "" = first,last
    delimiter: str = "whitespace"  # or "tab", for tokens that contain spaces
    scheme: str = "auto"  # tag scheme: auto, iob1, iob2, iobes, bilou or io


@dataclass(frozen=True)
class VectorsConfig:
    spec: str = "glove-6b-50d"  # packaged GloVe 6B 50d, or a GloVe/word2vec/gensim file
    freeze: bool = False  # True: keep the embedding rows fixed (no fine-tuning)
    min_count: int = 2  # a training word the vectors lack gets its own row from this count
    max_vectors: int = (
        0  # keep only the N most frequent pretrained words (+ training words); 0 = all
    )
    lookup: tuple = ("exact", "lower", "digits")  # how a token finds its row, tried in order
    skip_bad_lines: bool = False  # leave out (and count) malformed vector lines instead of failing


@dataclass(frozen=True)
class ModelConfig:
    window: int = 2  # words each side of the centre: windows of 2·window + 1
    hidden: int = 300  # hidden units H
    activation: str = "tanh"  # f in h = f(z)
    leak: float = 0.01  # leaky_relu's slope for z < 0
    beta: float = 1.0  # β of swish and swiglu: z·σ(βz)
    head: str = "softmax"  # "softmax" (cross-entropy over tags) or "sigmoid" (σ(s_c) one-vs-rest)
    only_type: str = ""  # with head "sigmoid": one binary decision, "is the centre word TYPE?"
    casing_dim: int = 4  # width of each position's casing vector
    decode: str = "viterbi"  # "viterbi" (IOB2-constrained best sequence) or "greedy" (argmax)


@dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 20  # the most passes over the shuffled training windows
    patience: int = 0  # stop after this many epochs without a better dev F1 (0: never)
    lr: float = 0.2  # SGD step size α
    schedule: str = (
        "constant"  # constant, step, exponential or warmup_linear (training/schedules.py)
    )
    gamma: float = 0.5  # decay factor of the step and exponential schedules
    step_size: int = 5  # epochs between decays of the step schedule
    warmup_epochs: float = 1.0  # warm-up length of warmup_linear
    batch_size: int = 32
    momentum: float = 0.0  # μ for the dense parameters (0: plain SGD)
    weight_decay: float = 0.0  # λ of the L2 penalty on W and U
    clip_norm: float = 0.0  # clip the gradient's global norm to this (0: never)
    dropout_x: float = 0.0  # dropout rate on the window vector x
    dropout_h: float = 0.0  # dropout rate on the hidden layer h
    on_nonfinite: str = "stop"  # a NaN/inf loss: "stop", or "halve" α and restart the epoch
    seed: int = 0


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    vectors: VectorsConfig = field(default_factory=VectorsConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    out: str = "runs/model"  # output folder: model.npz, metrics.jsonl, config.toml

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        """The resolved config, in the same form load_config reads."""
        lines = [f"out = {_toml_value(self.out)}"]
        for section in dataclasses.fields(self):
            value = getattr(self, section.name)
            if dataclasses.is_dataclass(value):
                lines.append(f"\n[{section.name}]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in dataclasses.asdict(value).items()]
        return "\n".join(lines) + "\n"


# Ranges a value must lie in: (section, key) -> (check, what the error says).
_RANGES = {
    ("model", "activation"): (lambda v: v in ACTIVATIONS, "one of " + ", ".join(ACTIVATIONS)),
    ("model", "head"): (lambda v: v in ("softmax", "sigmoid"), "'softmax' or 'sigmoid'"),
    ("model", "leak"): (lambda v: 0 <= v < 1, "in [0, 1)"),
    ("model", "beta"): (lambda v: v > 0, "greater than 0"),
    ("model", "decode"): (lambda v: v in ("greedy", "viterbi"), "'greedy' or 'viterbi'"),
    ("vectors", "min_count"): (lambda v: v >= 1, "at least 1"),
    ("vectors", "max_vectors"): (lambda v: v >= 0, "0 or more"),
    ("vectors", "lookup"): (
        lambda v: bool(v) and all(step in ("exact", "lower", "digits") for step in v),
        "a non-empty list of exact, lower, digits",
    ),
    ("data", "delimiter"): (lambda v: v in ("whitespace", "tab"), "'whitespace' or 'tab'"),
    ("data", "scheme"): (
        lambda v: v.lower() in ("auto", "iob1", "iob2", "bio", "iobes", "bioes", "bilou", "io"),
        "auto, iob1, iob2, iobes, bilou or io",
    ),
    ("model", "window"): (lambda v: v >= 1, "at least 1"),
    ("model", "hidden"): (lambda v: v >= 1, "at least 1"),
    ("model", "casing_dim"): (lambda v: v >= 0, "0 or more"),
    ("training", "epochs"): (lambda v: v >= 1, "at least 1"),
    ("training", "lr"): (lambda v: v > 0, "greater than 0"),
    ("training", "patience"): (lambda v: v >= 0, "0 or more"),
    ("training", "schedule"): (
        lambda v: v in ("constant", "step", "exponential", "warmup_linear"),
        "constant, step, exponential or warmup_linear",
    ),
    ("training", "gamma"): (lambda v: 0 < v <= 1, "in (0, 1]"),
    ("training", "step_size"): (lambda v: v >= 1, "at least 1"),
    ("training", "warmup_epochs"): (lambda v: v >= 0, "0 or more"),
    ("training", "momentum"): (lambda v: 0 <= v < 1, "in [0, 1)"),
    ("training", "weight_decay"): (lambda v: v >= 0, "0 or more"),
    ("training", "clip_norm"): (lambda v: v >= 0, "0 or more"),
    ("training", "dropout_x"): (lambda v: 0 <= v < 1, "in [0, 1)"),
    ("training", "dropout_h"): (lambda v: 0 <= v < 1, "in [0, 1)"),
    ("training", "on_nonfinite"): (lambda v: v in ("stop", "halve"), "'stop' or 'halve'"),
    ("training", "batch_size"): (lambda v: v >= 1, "at least 1"),
    ("training", "seed"): (lambda v: v >= 0, "0 or more"),
}


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the TOML file (if any), then `overrides` keyed 'section.key' (or 'out')."""
    raw: dict[str, Any] = {}
    source = "config"
    if path is not None:
        source = str(path)
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError("no such config file", path) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UserError(f"not valid TOML: {error}", path) from None
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.rpartition(".")
        target = raw.setdefault(section, {}) if section else raw
        if not isinstance(target, dict):
            raise UserError(f"'{section}' is not a section", source)
        target[key] = value
    return _build(Config, raw, source, "")


def parse_assignment(text: str) -> tuple[str, Any]:
    """'training.lr=0.05' -> ('training.lr', 0.05); the value is read as TOML, else as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set expects SECTION.KEY=VALUE, got '{text}'")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key.strip(), parsed


def _build(cls, raw: dict[str, Any], source: str, prefix: str):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        where = f"[{prefix.rstrip('.')}]" if prefix else "the top level"
        raise UserError(
            f"unknown key '{prefix}{unknown[0]}' in {where}; known keys: {', '.join(fields)}",
            source,
        )
    values = {}
    defaults = cls()
    for name in fields:
        if name not in raw:
            continue
        default = getattr(defaults, name)
        value = raw[name]
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise UserError(f"'{prefix}{name}' must be a section", source)
            values[name] = _build(type(default), value, source, f"{prefix}{name}.")
        else:
            values[name] = _check_value(prefix + name, value, type(default), source)
    return cls(**values)


def _check_value(key: str, value: Any, expected: type, source: str) -> Any:
    if expected is tuple and isinstance(value, list):  # TOML arrays arrive as lists
        value = tuple(value)
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise UserError(
            f"'{key}' must be {expected.__name__}, got {type(value).__name__} {value!r}", source
        )
    rule = _RANGES.get(tuple(key.split(".")))  # type: ignore[arg-type]
    if rule and not rule[0](value):
        raise UserError(f"'{key}' must be {rule[1]}, got {value!r}", source)
    return value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)
