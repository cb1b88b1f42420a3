"""The casing feature: which shape a token's letters and digits have.

Lowercased vectors cannot tell "Paris" from "paris" or "US" from "us"; a small learned embedding
of each token's casing class, per window position, gives that back to the network.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CASING_CLASSES = (
    "padding",  # the <s> and </s> positions beyond a sentence edge
    "lower",  # paris
    "title",  # Paris
    "upper",  # NATO, U.S.
    "mixed",  # McDonald, eBay
    "numeric",  # 1996, 3.5, 1,000, 2-1
    "has_digit",  # F16, 10am, 1990s
    "punct",  # , . " (
    "other",
)
PADDING_ID = 0
_ID = {name: i for i, name in enumerate(CASING_CLASSES)}


def casing_class(token: str) -> str:
    letters = [c for c in token if c.isalpha()]
    digits = sum(c.isdigit() for c in token)
    if digits and not letters:
        return "numeric" if all(c.isdigit() or c in ".,-/:" for c in token) else "has_digit"
    if digits:
        return "has_digit"
    if not letters:
        return "punct" if not any(c.isalnum() for c in token) else "other"
    if all(c.islower() for c in letters):
        return "lower"
    if all(c.isupper() for c in letters):
        return "upper" if len(letters) > 1 else "title"
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return "title"
    return "mixed"


def casing_ids(tokens: Sequence[str]) -> np.ndarray:
    """Shapes: tokens (T,) -> ids (T,) int32, computed once per distinct token."""
    memo: dict[str, int] = {}
    out = np.empty(len(tokens), np.int32)
    for i, token in enumerate(tokens):
        cid = memo.get(token)
        if cid is None:
            cid = memo[token] = _ID[casing_class(token)]
        out[i] = cid
    return out
