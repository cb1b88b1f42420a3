"""Document context: what the other occurrences of a word in its document say about it.

CoNLL-2003 documents repeat their names: a headline in capitals ("JAPAN GET LUCKY WIN"), then the
full name, then the surname alone. A capitalised word at the start of a sentence or in a headline
says little by its casing; the same word elsewhere in the document says more. A word that also
appears in lowercase in mid-sentence ("the market") is probably not a name; one that appears
capitalised in mid-sentence ("in Japan") probably is.

Each token gets one class from its document's other occurrences of its lowercased form, at
informative places only: not the first token of a sentence and not in a sentence in capitals.

What a document is: in CoNLL files, the sentences between two -DOCSTART- lines; in a dataset,
the consecutive rows of one id in its document column if one is named (data/documents.py), else
the rows between -DOCSTART- rows, else each row; in a spaCy DocBin, the sentences between two
-DOCSTART- tokens, else each Doc; in ner-tag and the Python API, the record being tagged (a line,
paragraph or file as --unit says, or one dataset row or one text; with --document-column, the
dataset rows of one id).
"""

from __future__ import annotations

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
    Each distinct token's kind and lowercased form are found once; the counts per (document,
    word, kind) are then one np.unique over the informative tokens, and each token reads its
    two counts back by binary search, less its own occurrence.
    """
    types, type_of = token_types(sentences)
    lengths = np.fromiter((len(s) for s in sentences), np.int64, len(sentences))
    return classes_of_tokens(types, type_of, lengths, documents)


def token_types(sentences: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """The distinct tokens, in order of first appearance, and which one each token is.

    Shapes: sentences (S,) -> types (V,), type_of (T,) with sentences' token i = types[type_of[i]].
    """
    first_seen: dict[str, int] = {}
    type_of = np.fromiter(
        (first_seen.setdefault(t, len(first_seen)) for sentence in sentences for t in sentence),
        np.intp,
    )
    return list(first_seen), type_of


def classes_of_tokens(
    types: Sequence[str], type_of: np.ndarray, lengths: np.ndarray, documents: Sequence[int]
) -> np.ndarray:
    """document_ids from the tokens as token_types gives them and the sentences' lengths (S,),
    so that a caller that has found the distinct tokens already (encode) does not again."""
    lowered: dict[str, int] = {}
    word_of_type, kind_of_type, has_lower_type = type_facts(types, lowered)
    return classes_of_type_facts(
        word_of_type, len(lowered), kind_of_type, has_lower_type, type_of, lengths, documents
    )


def type_facts(
    types: Sequence[str], lowered: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the classes read of each distinct token: its lowercased form's id in `lowered`
    (new forms are added), its kind (see _kind) and whether it has a lowercase letter.

    Shapes: types (V,) -> word (V,) int64, kind (V,) int64, has_lower (V,) bool.
    """
    word = np.fromiter(
        (lowered.setdefault(t.lower(), len(lowered)) for t in types), np.int64, len(types)
    )
    kind = np.fromiter((_kind(t) for t in types), np.int64, len(types))
    has_lower = np.fromiter((any(c.islower() for c in t) for t in types), bool, len(types))
    return word, kind, has_lower


def classes_of_type_facts(
    word_of_type: np.ndarray,
    n_words: int,
    kind_of_type: np.ndarray,
    has_lower_type: np.ndarray,
    type_of: np.ndarray,
    lengths: np.ndarray,
    documents: Sequence[int],
) -> np.ndarray:
    """document_ids from type_facts of the distinct tokens (V,), `n_words` lowercased forms in
    all, and which distinct token each token is, type_of (T,). Only the equality of the word
    ids matters, so a table kept across calls (features/token_table.py) may hold more forms."""
    word_of_type = np.asarray(word_of_type, np.int64)
    kind_of_type = np.asarray(kind_of_type, np.int64)
    lengths = np.asarray(lengths, np.int64)
    if not len(type_of):
        return np.zeros(0, np.int32)
    starts = np.cumsum(lengths) - lengths
    kind, word = kind_of_type[type_of], word_of_type[type_of]
    # a sentence in capitals (a headline) has no token with a lowercase letter
    nonempty = lengths > 0
    has_lower = np.zeros(len(lengths), bool)
    has_lower[nonempty] = np.add.reduceat(has_lower_type[type_of], starts[nonempty]) > 0
    informative = np.repeat(has_lower, lengths)
    informative[starts[nonempty]] = False  # a sentence's first word is capitalised anyway
    _, document = np.unique(np.asarray(documents, np.int64), return_inverse=True)
    document = np.repeat(document.reshape(-1), lengths)
    counted = informative & ((kind == _LOWER) | (kind == _CAPITAL))
    # one code per (document, word, kind): kind _LOWER → 0, _CAPITAL → 1
    code = (document * n_words + word) * 2
    seen, counts = np.unique(code[counted] + (kind[counted] == _CAPITAL), return_counts=True)

    def count(codes: np.ndarray) -> np.ndarray:
        if not len(seen):  # no informative word at all
            return np.zeros(len(codes), np.int64)
        at = np.searchsorted(seen, codes)
        found = at < len(seen)
        found[found] = seen[at[found]] == codes[found]
        return np.where(found, counts[np.minimum(at, len(seen) - 1)], 0)

    lower = count(code) - (counted & (kind == _LOWER))  # this occurrence is not "elsewhere"
    capital = count(code + 1) - (counted & (kind == _CAPITAL))
    out = _ALONE + np.where(lower > 0, _LOWER, 0) + np.where(capital > 0, _CAPITAL, 0)
    out[kind == 0] = _NO_LETTERS
    return out.astype(np.int32)
