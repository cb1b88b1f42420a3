"""Training configuration: one frozen dataclass per section, read from TOML, overridden by flags.

Every setting is declared once, here, with its default, its help text and its rule. A rule that
names choices (activations, heads, decoders, schedules, lookup steps, tag schemes) reads them from
windowner.choices, where the modules that implement them read them too, so the config can never
accept what those modules would refuse. Lower layers take their defaults from here. Unknown
sections or keys, wrong types and values that break a rule are user errors that name the key and
say what is allowed, so a typo never silently falls back to a default.

The defaults are the bundled default run's (`make train`): naming no config file trains the same
model as configs/conll2003.toml on the same data.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from windowner import choices
from windowner.choices import check_hyperparameter, check_lookup, listed, quoted, resolve_scheme
from windowner.data.bounded import read_text
from windowner.errors import UserError

# A rule takes a value of the field's type and raises ValueError for one it refuses: _Expected
# with what the value must be, or the owner's own message.
Rule = Callable[[Any], None]


class _Expected(ValueError):
    """What a value must be, e.g. "at least 1"."""


def setting(default: Any, help: str, rule: Rule | None = None, items: type = str) -> Any:
    """A config field: its default, the help text the CLI shows, the rule its values follow;
    `items` is the type of a list setting's items (strings unless said)."""
    return field(default=default, metadata={"help": help, "rule": rule, "items": items})


# ------------------------------------------------------------------------------------------------
# Rules. Generic ranges are the config's own; choices are asked of their owners, imported when a
# value is checked so that reading a config stays light.
# ------------------------------------------------------------------------------------------------


def _at_least(low: float) -> Rule:
    def rule(v):
        if not v >= low:
            raise _Expected(f"at least {low:g}" if low else "0 or more")

    return rule


def _between(low: float, high: float, *, low_open: bool = False, high_open: bool = True) -> Rule:
    text = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

    def rule(v):
        above = v > low if low_open else v >= low
        below = v < high if high_open else v <= high
        if not (above and below):
            raise _Expected(f"in {text}")

    return rule


def _sized(low: int, high: int, why: str) -> Rule:
    """An integer that sizes an array: in [low, high], the upper bound saying `why` (beyond it
    the parameters could not exist in any machine's memory; 2e9 hidden units asked for TiBs)."""

    def rule(v):
        if not low <= v <= high:
            raise _Expected(f"between {low:,} and {high:,} ({why})")

    return rule


def _sizes(low: int, high: int, most: int, why: str) -> Rule:
    """A list of at most `most` distinct integers, each in [low, high] (`why` the bound)."""

    def rule(v):
        if len(v) > most or len(set(v)) != len(v) or not all(low <= n <= high for n in v):
            raise _Expected(f"at most {most} distinct numbers between {low:,} and {high:,} ({why})")

    return rule


def _greater_than_0(v):
    if not v > 0:
        raise _Expected("greater than 0")


def _choice(choices: tuple[str, ...]) -> Rule:
    """v must be one of `choices` (a tuple of windowner.choices)."""

    def rule(v):
        if v not in choices:
            raise _Expected("one of " + ", ".join(choices))

    return rule


def _scheme(v):
    if v.lower() != "auto":
        resolve_scheme(v)


def _columns(v):
    from windowner.data.sources import parse_columns  # data reads tables: import it when used

    if v:
        try:
            parse_columns(v)
        except UserError as error:
            raise ValueError(error.message) from None


def _hyperparameter(key: str) -> Rule:
    def rule(v):
        check_hyperparameter(key, v)

    return rule


# ------------------------------------------------------------------------------------------------
# The settings.
# ------------------------------------------------------------------------------------------------

_DATA_SPEC = (
    "a CoNLL file, a spaCy .spacy file, hf:NAME[:CONFIG][@SPLIT], a .parquet/.jsonl/.arrow file "
    "or a dataset"
)


@dataclass(frozen=True)
class DataConfig:
    train: str = setting("", f"Training data: {_DATA_SPEC}.")
    dev: str = setting("", "Dev data: selects the best epoch; never trained on.")
    test: str = setting("", "Test data: scored once at the end, with the best epoch's model.")
    columns: str = setting(
        "",
        "TOKEN,TAG columns: 0-based numbers or a dataset's names; '' = first and last.",
        _columns,
    )
    delimiter: str = setting(
        "whitespace",
        "Column separator: whitespace, or tab (tokens with spaces).",
        _choice(choices.DELIMITERS),
    )
    scheme: str = setting("auto", f"Tag scheme: auto, {listed(choices.SCHEMES)}.", _scheme)
    document_column: str = setting(
        "",
        "A table's column of document ids: consecutive rows of one id are one document "
        "(CoNLL files keep their -DOCSTART- lines); '' = each row is one.",
    )


@dataclass(frozen=True)
class VectorsConfig:
    spec: str = setting(
        choices.DEFAULT_VECTORS,
        f"{choices.DEFAULT_VECTORS} (packaged), a GloVe/word2vec/gensim file, or gensim:NAME.",
    )
    freeze: bool = setting(False, "Keep the embedding rows fixed (no fine-tuning).")
    min_count: int = setting(
        2, "A training word the vectors lack gets its own row from this count.", _at_least(1)
    )
    max_vectors: int = setting(
        0,
        "Keep only the N most frequent pretrained words (+ training words); 0 = all.",
        _at_least(0),
    )
    # GloVe 6B is lowercased, so "Paris" is found as "paris". "digits" (1996 → 0000) halves the
    # OOV rate but scored 0.9188 on valid.txt against 0.9212 without it (seed 0).
    lookup: tuple = setting(
        ("exact", "lower"),
        f"How a token finds its row, tried in order: {', '.join(choices.LOOKUP_STEPS)}.",
        check_lookup,
    )
    skip_bad_lines: bool = setting(
        False, "Leave out (and count) malformed vector lines instead of failing."
    )
    int8: bool = setting(
        True,
        "Round the pretrained rows no training word reads to int8 (a scale per row): the model "
        "file stores them in a quarter of the space.",
    )


@dataclass(frozen=True)
class ModelConfig:
    window: int = setting(
        2,
        "Words each side of the centre: windows of 2·window + 1.",
        _sized(1, 20, "x holds (2·window + 1) × (d + casing_dim) numbers per window"),
    )
    hidden: int = setting(
        300,
        "Hidden units H in z = Wx + b.",
        _sized(1, 20_000, "W holds hidden × (2·window + 1) × (d + casing_dim) numbers"),
    )
    activation: str = setting("tanh", "f in h = f(z).", _choice(choices.ACTIVATIONS))
    leak: float = setting(
        choices.DEFAULT_LEAK, "leaky_relu's slope for z < 0.", _hyperparameter("leak")
    )
    beta: float = setting(
        choices.DEFAULT_BETA, "β of swish and swiglu: z·σ(βz).", _hyperparameter("beta")
    )
    head: str = setting(
        "sigmoid",
        "softmax (cross-entropy over tags) or sigmoid (σ(s_c) per tag, one-vs-rest).",
        _choice(choices.HEADS),
    )
    only_type: str = setting(
        "", "With head sigmoid: one binary decision, 'is the centre word TYPE?'."
    )
    casing_dim: int = setting(
        4,
        "Width of each position's learned casing vector.",
        _sized(0, 100, "every window position gets casing_dim more inputs to W"),
    )
    affix_dim: int = setting(
        0,
        "Width of each prefix and suffix vector per position (0: no affixes).",
        _sized(0, 100, "every window position gets 2·affix_max·affix_dim more inputs to W"),
    )
    affix_max: int = setting(
        3,
        "Prefixes and suffixes of lengths 1 to this.",
        _sized(1, 20, "every window position reads 2·affix_max affix vectors"),
    )
    affix_min_count: int = setting(
        2, "An affix or shape gets its own row from this many training tokens.", _at_least(1)
    )
    shape_dim: int = setting(
        4,
        "Width of the word-shape vector (Xxxx, X.X., dd-dd) per position (0: none).",
        _sized(0, 100, "every window position gets shape_dim more inputs to W"),
    )
    document_dim: int = setting(
        4,
        "Width of the document-context vector per position: the word's casing elsewhere in its "
        "document (0: none).",
        _sized(0, 100, "every window position gets document_dim more inputs to W"),
    )
    # Off by default: an ablation turns them on (README.md, Features).
    cluster_sizes: tuple = setting(
        (),
        "k of each k-means clustering of the pretrained vectors whose cluster id every position "
        "reads, e.g. [64, 256, 1024] (empty: no word clusters).",
        _sizes(2, 16_384, 8, "k-means over the vectors costs k distances per word and step"),
        items=int,
    )
    cluster_dim: int = setting(
        4,
        "Width of each position's vector per cluster size.",
        _sized(1, 100, "every window position gets cluster_dim more inputs to W per size"),
    )
    lexicons: tuple = setting(
        (),
        "Lexicon files (TYPE<TAB>phrase lines, e.g. data/lexicons/*.tsv) whose matches every "
        "position reads, one class per type (empty: no lexicons).",
    )
    lexicon_dim: int = setting(
        4,
        "Width of each position's vector per lexicon type.",
        _sized(1, 100, "every window position gets lexicon_dim more inputs to W per type"),
    )
    lexicon_fold: bool = setting(
        False, "Match the lexicons case-folded (more matches, far less precise ones)."
    )
    prior_dim: int = setting(
        0,
        "Width of the document prior's vector at the window centre: what a first pass says "
        "about the word's other mentions in its document (0: none; training then also trains "
        "prior_folds + 1 first passes).",
        _sized(0, 100, "every window position gets prior_dim more inputs to W"),
    )
    prior_folds: int = setting(
        3,
        "Folds of the training documents for the document prior: each fold's priors come from "
        "a first pass trained on the other folds.",
        _between(2, 10, high_open=False),
    )
    decode: str = setting(
        "viterbi",
        "viterbi (IOB2-constrained best sequence) or greedy (argmax per token).",
        _choice(choices.DECODERS),
    )


@dataclass(frozen=True)
class TrainingConfig:
    epochs: int = setting(30, "The most passes over the shuffled training windows.", _at_least(1))
    patience: int = setting(
        5, "Stop after this many epochs without a better dev F1 (0: never).", _at_least(0)
    )
    lr: float = setting(
        0.2, "SGD step size α in θ ← θ − α∇θJ.", _between(0, 100, low_open=True, high_open=False)
    )
    schedule: str = setting(
        "exponential",
        f"Step size over time: {listed(choices.SCHEDULES)}.",
        _choice(choices.SCHEDULES),
    )
    gamma: float = setting(
        0.92,
        "Decay factor of the step and exponential schedules.",
        _between(0, 1, low_open=True, high_open=False),
    )
    step_size: int = setting(5, "Epochs between decays of the step schedule.", _at_least(1))
    warmup_epochs: float = setting(
        1.0, "Warm-up length of warmup_linear, in epochs.", _between(0, 10_000, high_open=False)
    )
    batch_size: int = setting(32, "Windows per SGD step; J is the batch's mean loss.", _at_least(1))
    momentum: float = setting(0.0, "Momentum μ on W, b, U, c (0: plain SGD).", _between(0, 1))
    weight_decay: float = setting(
        0.0, "λ of the L2 penalty (λ/2)(‖W‖² + ‖U‖²).", _between(0, 100, high_open=False)
    )
    clip_norm: float = setting(
        0.0,
        "Clip the gradient's global norm to this (0: never).",
        _between(0, 1e6, high_open=False),
    )
    dropout_x: float = setting(0.1, "Dropout rate on the window vector x.", _between(0, 1))
    dropout_h: float = setting(0.3, "Dropout rate on the hidden layer h.", _between(0, 1))
    objective: str = setting(
        "window",
        "window (each window's own loss, the lecture's) or sentence (Collobert's sentence-level "
        "likelihood: learned transitions, Viterbi over s + A).",
        _choice(choices.OBJECTIVES),
    )
    with_dev: bool = setting(
        False,
        "Train on train + dev for exactly `epochs` epochs and keep the last (use the epoch count "
        "a dev-selected run chose); dev then selects nothing and its scores are on training data.",
    )
    word_dropout: float = setting(
        0.3,
        "Probability that a training word seen once is read as <unk> at a window position.",
        _between(0, 1),
    )
    on_nonfinite: str = setting(
        "stop",
        "A NaN/inf loss: stop (the best model is kept), or halve α and redo the epoch.",
        _choice(choices.ON_NONFINITE),
    )
    seed: int = setting(0, "Initialisation, shuffling and dropout masks.", _at_least(0))
    init: str = setting(
        "",
        "A model file to start from: its parameters, vocabulary, feature tables and architecture "
        "('' = a fresh model).",
    )


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    vectors: VectorsConfig = field(default_factory=VectorsConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    out: str = setting("runs/model", "Output folder: models, metrics, checkpoint, config, scores.")

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


def settings() -> dict[str, dataclasses.Field]:
    """Every setting, keyed 'section.key' (and 'out'): what --set accepts."""
    found = {}
    for section in dataclasses.fields(Config):
        if section.name == "out":
            found["out"] = section
            continue
        for f in dataclasses.fields(section.default_factory()):  # type: ignore[misc]
            found[f"{section.name}.{f.name}"] = f
    return found


def help_of(key: str) -> str:
    """The help text of setting `key`, e.g. help_of('data.train')."""
    return settings()[key].metadata["help"]


# A config is a page of settings: a file longer than this is not one (/dev/zero, a pipe).
MAX_CONFIG_BYTES = 1 << 20


def load_config(path: str | Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the TOML file (if any), then `overrides` keyed 'section.key' (or 'out').

    An invalid value is a UserError naming its key and where it came from: the file, or the
    command line for an override.
    """
    raw, origin = _given(path, overrides)
    return _build(Config, raw, str(path) if path is not None else None, origin, "")


def config_from_dict(raw: dict[str, Any], path: str | Path) -> Config:
    """A config from nested settings read elsewhere (a model file's recorded config), checked
    by the same rules; an invalid value is a UserError naming its key and `path`."""
    return _build(Config, raw, str(path), {}, "")


def given_keys(path: str | Path | None, overrides: dict[str, Any] | None = None) -> set[str]:
    """The 'section.key's (and 'out') the TOML file and `overrides` set, whatever their values:
    what a user asked for, as opposed to the defaults (a file already read by load_config)."""
    raw, _ = _given(path, overrides)
    return {
        f"{name}.{key}" if isinstance(value, dict) else name
        for name, value in raw.items()
        for key in (value if isinstance(value, dict) else [name])
    }


def _given(path: str | Path | None, overrides: dict[str, Any] | None):
    """The TOML file's nested settings with `overrides` written over them, and where each
    override came from: -> (raw, {'section.key': origin})."""
    raw: dict[str, Any] = {}
    if path is not None:
        text = read_text(path, "a TOML config file", max_bytes=MAX_CONFIG_BYTES)
        try:
            raw = parse_toml(text)
        except ValueError as error:
            raise UserError(f"not valid TOML: {error}", path) from None
    origin: dict[str, str] = {}  # 'section.key' -> where an override came from
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.rpartition(".")
        target = raw.setdefault(section, {}) if section else raw
        if not isinstance(target, dict):
            raise UserError(f"{quoted(section)} is not a section (set on the command line)")
        target[key] = value
        origin[dotted] = "the command line"
    return raw, origin


def parse_assignment(text: str) -> tuple[str, Any]:
    """'training.lr=0.05' -> ('training.lr', 0.05); the value is read as TOML, else as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set expects SECTION.KEY=VALUE, got {quoted(text)}")
    try:
        parsed = parse_toml(f"v = {value.strip()}")["v"]
    except _TooDeep as error:
        raise UserError(f"--set {quoted(key.strip())}: {error}") from None
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key.strip(), parsed


MAX_TOML_DEPTH = 32  # a config nests two levels; tomllib recurses once per level
# What cannot hold a structural bracket: strings (multi-line ones first) and comments.
_TOML_TEXT = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*',
    re.DOTALL,
)


class _TooDeep(ValueError):
    pass


def parse_toml(text: str) -> dict[str, Any]:
    """tomllib.loads, with the nesting of arrays and inline tables bounded before the parser
    (which recurses, and would end in a RecursionError) sees it; ValueError if it is not TOML."""
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", _TOML_TEXT.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_TOML_DEPTH:
        raise _TooDeep(f"it nests deeper than {MAX_TOML_DEPTH} levels")
    return tomllib.loads(text)


def _build(cls, raw: dict[str, Any], path: str | None, origin: dict[str, str], prefix: str):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        key = prefix + unknown[0]
        where = f"[{prefix.rstrip('.')}]" if prefix else "the top level"
        raise _error(
            f"unknown key '{key}' in {where}; known keys: {', '.join(fields)}",
            key,
            path,
            origin,
        )
    values = {}
    for name, f in fields.items():
        if name not in raw:
            continue
        key, value = prefix + name, raw[name]
        if f.default_factory is not dataclasses.MISSING:  # a section
            if not isinstance(value, dict):
                raise _error(f"'{key}' must be a section", key, path, origin)
            values[name] = _build(f.default_factory, value, path, origin, f"{key}.")
        else:
            values[name] = _check_value(key, value, f, path, origin)
    return cls(**values)


def _check_value(key: str, value: Any, f: dataclasses.Field, path, origin) -> Any:
    expected = type(f.default)
    if expected is tuple and isinstance(value, list):  # TOML arrays arrive as lists
        value = tuple(value)
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    items = f.metadata.get("items", str)
    if expected is tuple:
        ok = ok and all(isinstance(item, items) and not isinstance(item, bool) for item in value)
    if not ok:
        plural = {str: "strings", int: "integers"}[items]
        what = f"a list of {plural}" if expected is tuple else expected.__name__
        raise _error(
            f"'{key}' must be {what}, got {type(value).__name__} {value!r}", key, path, origin
        )
    if expected is float and not math.isfinite(value):
        raise _error(f"'{key}' must be a finite number, got {value!r}", key, path, origin)
    if expected is int and not -(2**63) <= value < 2**63:  # TOML's integers are 64-bit
        raise _error(f"'{key}' must be a 64-bit integer, got {value!r}", key, path, origin)
    rule = f.metadata.get("rule")
    if rule is not None:
        try:
            rule(value)
        except _Expected as error:
            raise _error(f"'{key}' must be {error}, got {value!r}", key, path, origin) from None
        except ValueError as error:
            raise _error(f"'{key}': {error}", key, path, origin) from None
    return value


def _error(message: str, key: str, path: str | None, origin: dict[str, str]) -> UserError:
    """The error for `key`, blamed on where its value came from."""
    if key in origin or path is None:
        return UserError(f"{message} (from {origin.get(key, 'the command line')})")
    return UserError(message, path)


_TOML_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # a basic string: backslash and quote escaped, and every control character TOML forbids
        # raw (a path may hold a line break) written as its \uXXXX escape
        text = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + _TOML_CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}", text) + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)
