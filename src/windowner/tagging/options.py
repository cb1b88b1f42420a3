"""How to tag: one frozen object, checked once where it is built, handed down to every engine.

`ner-tag`, the Python API (`windowner.load`), the text streams, the `--dataset` tables and Spark
all build a TagOptions and pass it on; nothing below them checks a choice again.
"""

from __future__ import annotations

from dataclasses import dataclass

from windowner.choices import (
    DECODERS,
    SEGMENTATIONS,
    TAG_BATCH_SIZE,
    check_choice,
    quoted,
    resolve_scheme,
)
from windowner.errors import UserError


@dataclass(frozen=True)
class TagOptions:
    """What every way of tagging shares.

    `segmentation` is how a text becomes sentences (choices.SEGMENTATIONS); `decode` is
    "greedy" or "viterbi", None for the model's own; `batch_size` texts are tagged together;
    `with_tokens` adds each token with its tag and score to a record; `scheme` is the tag scheme
    written tags are in (conll, slash and the tokens of a record; iob2 unless asked).
    Raises UserError, with one line naming the option, for a value that is not allowed.
    """

    segmentation: str = "sentences"
    decode: str | None = None
    batch_size: int = TAG_BATCH_SIZE
    with_tokens: bool = False
    scheme: str = "iob2"

    def __post_init__(self) -> None:
        _check(self.segmentation, "", lambda v: check_choice(v, SEGMENTATIONS, "segmentation"))
        if self.decode is not None:
            _check(self.decode, "--decode", lambda v: check_choice(v, DECODERS, "decoding"))
        if not _is_int(self.batch_size) or self.batch_size < 1:
            raise UserError(f"--batch-size must be at least 1, got {quoted(self.batch_size)}")
        if not isinstance(self.with_tokens, bool):
            raise UserError(f"with_tokens must be true or false, got {quoted(self.with_tokens)}")
        scheme = _check(self.scheme, "--out-scheme", resolve_scheme)
        object.__setattr__(self, "scheme", scheme)  # 'BIO' -> 'iob2': one spelling from here on


def _check(value: object, name: str, check) -> str:
    """check(value), its ValueError (or a value of the wrong type) as a UserError for `name`."""
    try:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {quoted(value)}")
        return check(value)
    except ValueError as error:
        raise UserError(f"{name}: {error}" if name else str(error)) from None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
