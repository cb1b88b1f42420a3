"""The document prior: what a first pass of the model says about a word's other mentions.

A document names a team, a company or a person several times, and some mentions are easy ("in
the Melbourne suburb of ..."), others hard (a results table, a headline in capitals). Ratinov &
Roth (2009) credit about 2 F1 points to sharing that evidence across a document. windowner does
it in two passes of the same network:

1. pass 1 reads every token's prior as "alone" and gives each token a distribution over the
   entity types (TYPES: O and the four CoNLL types; see type_distribution);
2. each token with a capital letter whose lowercased form occurs again in its document gets the
   mean of those distributions over its *other* occurrences, as a class: the likeliest type and
   whether that mean reaches CONFIDENT; every other token stays "alone";
3. pass 2 reads that class at the window's centre (table R), and only the windows whose centre
   class is not "alone" need scoring again.

Training reads classes that no gold tag of the sentence itself has shaped: the training
documents are cut into folds, and fold k's classes come from pass 1 of a model trained on the
other folds (training/prior_folds.py). What a document is: features/document.py says.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TYPES = ("O", "PER", "LOC", "ORG", "MISC")
CONFIDENT = 0.75  # a mean type probability this high is a "confident" class
PRIOR_CLASSES = (
    "padding",  # beyond a sentence edge
    "alone",  # pass 1, or no other mention in the document, or no capital letter
    *(f"{kind}{suffix}" for kind in TYPES for suffix in ("", " confident")),
)
PADDING_ID, ALONE_ID = 0, 1


def type_distribution(log_p: np.ndarray, tags: Sequence[str]) -> np.ndarray:
    """Each token's distribution over TYPES from the model's log-probabilities of its tags.

    Shapes: log_p (T, C) for the C `tags` -> (T, 5), rows summing to 1. A type's weight is the
    larger of its B- and I- tags' probabilities (the sigmoid head scores each tag on its own;
    the softmax head's would sum, but the larger keeps the two heads alike); O's is O's; a type
    the model has no tags for weighs nothing. Tags of other types (a user's own) are ignored.
    """
    p = np.exp(np.asarray(log_p, np.float64))
    out = np.zeros((len(p), len(TYPES)))
    for c, tag in enumerate(tags):
        kind = tag if tag == "O" else tag.partition("-")[2]
        if kind in TYPES:
            column = TYPES.index(kind)
            out[:, column] = np.maximum(out[:, column], p[:, c])
    out = np.maximum(out, 1e-9)  # a row of zeros (tags of no known type) becomes uniform
    return out / out.sum(axis=1, keepdims=True)


def prior_classes(
    word: np.ndarray, kind: np.ndarray, document: np.ndarray, p: np.ndarray
) -> np.ndarray:
    """Each token's PRIOR_CLASSES id from its word's other mentions in its document.

    Shapes: word (T,) ids of the lowercased forms (equal ids, equal forms), kind (T,) as
    features/document.py's type_facts gives it (0: no letters; 1: all lowercase; 2 or 3: a
    capital letter, or letters without case),
    document (T,) each token's document, p (T, 5) pass 1's type_distribution -> (T,) int32 ids
    ≥ ALONE_ID. Every mention with letters counts ("march" beside "March"); only a token with a
    capital letter reads the others' mean, its own distribution left out. The mentions of one
    (document, word) are summed with one np.unique.
    """
    word = np.asarray(word, np.int64)
    document = np.asarray(document, np.int64)
    kind = np.asarray(kind)
    out = np.full(len(word), ALONE_ID, np.int32)
    counted = np.flatnonzero(kind != 0)
    if not len(counted):
        return out
    _, group = np.unique(
        np.stack([document[counted], word[counted]], axis=1), axis=0, return_inverse=True
    )
    group = group.reshape(-1)
    count = np.bincount(group)[group]
    sums = np.zeros((group.max() + 1, p.shape[1]))
    np.add.at(sums, group, p[counted])
    others = (sums[group] - p[counted]) / np.maximum(count - 1, 1)[:, None]
    classes = 2 + 2 * others.argmax(axis=1) + (others.max(axis=1) >= CONFIDENT)
    reads = (count > 1) & (kind[counted] >= 2)
    out[counted[reads]] = classes[reads]
    return out


def centre_only(column: np.ndarray, half: int) -> np.ndarray:
    """The R slot's window ids with the prior read at the centre only: every other position
    reads "alone" (padding beyond a sentence edge staying padding), so that a token's prior
    changes its own window and no other. Shapes: (T, 2·half+1) -> the same, a new array."""
    out = np.where(column == PADDING_ID, PADDING_ID, ALONE_ID).astype(np.int32)
    out[:, half] = column[:, half]
    return out
