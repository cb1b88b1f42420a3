"""Document context: what the other occurrences of a word in its document say about it.

CoNLL-2003 documents repeat their names: a headline in capitals ("JAPAN GET LUCKY WIN"), then the
full name, then the surname alone. A capitalised word at the start of a sentence or in a headline
says little by its casing; the same word elsewhere in the document says more. A word that also
appears in lowercase in mid-sentence ("the market") is probably not a name; one that appears
capitalised in mid-sentence ("in Japan") probably is.

Each token gets one class from its document's other occurrences of its lowercased form, at
informative places only: not the first token of a sentence and not in a sentence in capitals.

What a document is: in CoNLL files, the sentences between two -DOCSTART- lines; in a dataset,
the rows between -DOCSTART- rows, else each row; in ner-tag and the Python API, the record
being tagged (a line, paragraph or file as --unit says, or one dataset row or one text).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

DOCUMENT_CLASSES = (
    "padding",  # beyond a sentence edge
    "no_letters",  # 1996, ",", "--"
    "alone",  # no other informative occurrence of the word in the document
    "lower_elsewhere",  # seen in lowercase mid-sentence elsewhere, never capitalised there
    "capitalised_elsewhere",  # seen capitalised mid-sentence elsewhere, never in lowercase
    "both_elsewhere",
)
PADDING_ID = 0
_NO_LETTERS, _ALONE = 1, 2
_LOWER, _CAPITAL = 1, 2  # added to _ALONE


def _kind(token: str) -> int:
    """0 no letters, _LOWER for an all-lowercase word, _CAPITAL for one starting uppercase,
    3 for anything else (camelCase: neither)."""
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return 0
    if all(c.islower() for c in letters):
        return _LOWER
    return _CAPITAL if letters[0].isupper() else 3


def _in_capitals(sentence: Sequence[str]) -> bool:
    """A headline: no word of the sentence has a lowercase letter."""
    return not any(c.islower() for token in sentence for c in token)


def document_ids(sentences: Sequence[Sequence[str]], documents: Sequence[int]) -> np.ndarray:
    """Each token's DOCUMENT_CLASSES id from the other occurrences in its document.

    Shapes: sentences (S,) of tokens, documents (S,) each sentence's document (equal values are
    one document, wherever they are) -> ids (T,) int32, T the tokens of all sentences in order.
    """
    counts: dict[int, Counter] = {}  # document -> Counter of (lowercased word, kind)
    informative: list[list[bool]] = []
    for sentence, document in zip(sentences, documents, strict=True):
        capitals = _in_capitals(sentence)
        marks = [i > 0 and not capitals for i in range(len(sentence))]
        informative.append(marks)
        counter = counts.setdefault(document, Counter())
        for token, mark in zip(sentence, marks, strict=True):
            if mark:
                counter[token.lower(), _kind(token)] += 1
    out = np.empty(sum(len(s) for s in sentences), np.int32)
    i = 0
    for sentence, document, marks in zip(sentences, documents, informative, strict=True):
        counter = counts[document]
        for token, mark in zip(sentence, marks, strict=True):
            kind = _kind(token)
            if kind == 0:
                out[i] = _NO_LETTERS
            else:
                key = token.lower()
                # this occurrence itself does not count as "elsewhere"
                lower = counter[key, _LOWER] - (mark and kind == _LOWER)
                capital = counter[key, _CAPITAL] - (mark and kind == _CAPITAL)
                out[i] = _ALONE + (_LOWER if lower > 0 else 0) + (_CAPITAL if capital > 0 else 0)
            i += 1
    return out
