"""Turn sentences into windows: for every token, the ids of its 2w+1 neighbours.

Only integer ids are built here, for a whole corpus at once; the float vectors x are gathered
per minibatch by the network, so memory stays O(tokens × window), not O(tokens × window × d).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from windowner.features.affixes import NO_SUBWORDS, Subwords
from windowner.features.casing import PADDING_ID, casing_ids
from windowner.features.clusters import VocabularyClusters
from windowner.features.document import PADDING_ID as DOCUMENT_PADDING
from windowner.features.document import classes_of_tokens, token_types
from windowner.features.lexicons import LexiconFeature
from windowner.features.prior import ALONE_ID, centre_only
from windowner.features.prior import PADDING_ID as PRIOR_PADDING
from windowner.features.vocabulary import BOS_ID, EOS_ID, Vocabulary


def window_ids(
    ids: np.ndarray, lengths: np.ndarray, half: int, left: int, right: int
) -> np.ndarray:
    """Each token's window of ids, padded with `left` before and `right` after its sentence.

    Shapes: ids (T,) concatenated sentences, lengths (S,) summing to T -> windows (T, 2·half+1),
    column `half` being the centre token itself.
    Every sentence is laid out as [left]*half + tokens + [right]*half in one flat array; a window
    is then a slice of that array around each token's position, taken for all tokens at once.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    n_sentences, n_tokens = len(lengths), int(lengths.sum())
    if n_tokens != len(ids):
        raise ValueError(f"lengths sum to {n_tokens} but there are {len(ids)} ids")
    padded_starts = np.cumsum(lengths + 2 * half) - (lengths + 2 * half)
    flat = np.full(n_tokens + 2 * half * n_sentences, right, dtype=np.int32)
    flat[(padded_starts[:, None] + np.arange(half)).ravel()] = left
    token_starts = np.cumsum(lengths) - lengths
    # Position of every token in `flat`: its sentence's padded start + half + index in sentence.
    positions = np.arange(n_tokens) + np.repeat(padded_starts + half - token_starts, lengths)
    flat[positions] = ids
    return flat[positions[:, None] + np.arange(-half, half + 1)]


@dataclass(frozen=True)
class Features:
    """Which features beside the word and its casing a model reads at every window position."""

    subwords: Subwords = NO_SUBWORDS  # prefixes, suffixes, shapes
    document: bool = False  # the document-context class (features/document.py)
    clusters: VocabularyClusters | None = None  # the word's cluster per size (features/clusters.py)
    lexicon: LexiconFeature | None = None  # the token's place in lexicon phrases, per type
    prior: bool = False  # the document prior at the window centre (features/prior.py)

    @property
    def slots(self) -> tuple[str, ...]:
        """The parameter table each slot of a window position reads, in x's order: E (the word),
        C (its casing), then P…, S…, K (subwords), D (document context), Q… (word clusters),
        L… (lexicon matches, one per type), R (the document prior, last)."""
        return (
            "E",
            "C",
            *self.subwords.names,
            *(("D",) if self.document else ()),
            *(self.clusters.names if self.clusters is not None else ()),
            *(self.lexicon.names if self.lexicon is not None else ()),
            *(("R",) if self.prior else ()),
        )

    def to_dict(self) -> dict:
        """The metadata of the features (the cluster ids and the lexicon's phrases are arrays of
        the model file: only their settings are here). A model without clusters and lexicons
        has the keys of before them."""
        out = {"subwords": self.subwords.to_dict(), "document": self.document}
        if self.clusters is not None:
            out["clusters"] = self.clusters.to_dict()
        if self.lexicon is not None:
            out["lexicon"] = self.lexicon.to_dict()
        if self.prior:
            out["prior"] = True
        return out

    @classmethod
    def from_dict(
        cls, data: dict | None, arrays: Mapping[str, np.ndarray] | None = None
    ) -> Features:
        """None (a model from before subword and document features) is the plain features.
        `arrays` holds the model file's clusters and lexicon arrays, for metadata that names
        them (already checked: model_file_checks); a ValueError for a malformed lexicon."""
        if data is None:
            return cls()
        arrays = arrays or {}
        clusters = lexicon = None
        if "clusters" in data:
            clusters = VocabularyClusters(tuple(data["clusters"]["sizes"]), arrays["clusters"])
        if "lexicon" in data:
            settings = data["lexicon"]
            phrases = arrays["lexicon"].tobytes()
            lexicon = LexiconFeature.from_bytes(phrases, settings["types"], settings["fold"])
        subwords = Subwords.from_dict(data["subwords"])
        prior = bool(data.get("prior", False))
        return cls(subwords, bool(data["document"]), clusters, lexicon, prior)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays a model file holds beside the parameters for these features."""
        out = {}
        if self.clusters is not None:
            out["clusters"] = self.clusters.ids
        if self.lexicon is not None:
            out["lexicon"] = np.frombuffer(self.lexicon.to_bytes(), np.uint8)
        return out


@dataclass(frozen=True)
class Windows:
    """A corpus as windows of ids: one row per token, column `half` its centre.

    Shapes: ids (T, n, m) the row each slot (Features.slots, m of them) of each window position
    reads in its table; lengths (S,) tokens per sentence.
    """

    ids: np.ndarray
    lengths: np.ndarray

    @property
    def words(self) -> np.ndarray:
        """(T, n) rows of E."""
        return self.ids[:, :, 0]

    @property
    def casing(self) -> np.ndarray:
        """(T, n) rows of C."""
        return self.ids[:, :, 1]

    def __len__(self) -> int:
        return len(self.ids)


def encode(
    sentences: Sequence[Sequence[str]],
    vocabulary: Vocabulary,
    half: int,
    features: Features = Features(),
    documents: Sequence[int] | None = None,
    document_classes: np.ndarray | None = None,
    prior: np.ndarray | None = None,
) -> Windows:
    """Look every token up once and cut the windows, padding with <s>/</s> at sentence edges.

    A word's row, casing class, subwords and clusters depend on the word alone, so they are
    found for each distinct token once (about one in ten of a news corpus's tokens) and spread
    to every occurrence. `documents[i]` is sentence i's document (features/document.py); None: every
    sentence is a document of its own. `document_classes` (T,), when given, is the document
    context already found (for sentences cut from a larger document), and documents is unused.
    `prior` (T,) is each token's features/prior.py class, read at the window centre only (None:
    every token "alone", as a first pass reads it).
    """
    types, type_of = token_types(sentences)  # type_of[i]: the distinct token that token i is
    lengths = np.fromiter((len(s) for s in sentences), np.int64, count=len(sentences))
    rows = vocabulary.ids(types)
    columns = [
        window_ids(rows[type_of], lengths, half, BOS_ID, EOS_ID),
        window_ids(casing_ids(types)[type_of], lengths, half, PADDING_ID, PADDING_ID),
    ]
    subwords = features.subwords
    if subwords.names:
        per_type = subwords.ids(types)
        padding = subwords.padding_ids()
        columns += [
            window_ids(per_type[type_of, j], lengths, half, padding[j], padding[j])
            for j in range(per_type.shape[1])
        ]
    if features.document:
        if document_classes is not None:
            classes = np.asarray(document_classes, np.int32)
        else:
            if documents is None:
                documents = range(len(sentences))
            classes = classes_of_tokens(types, type_of, lengths, documents)
        columns.append(window_ids(classes, lengths, half, DOCUMENT_PADDING, DOCUMENT_PADDING))
    if features.clusters is not None:
        per_type = features.clusters.of_rows(rows)
        padding = features.clusters.padding_ids()
        columns += [
            window_ids(per_type[type_of, j], lengths, half, padding[j], padding[j])
            for j in range(per_type.shape[1])
        ]
    if features.lexicon is not None:  # phrases span tokens: matched sentence by sentence
        per_token = features.lexicon.ids(sentences)
        padding = features.lexicon.padding_ids()
        columns += [
            window_ids(per_token[:, j], lengths, half, padding[j], padding[j])
            for j in range(per_token.shape[1])
        ]
    if features.prior:
        classes = np.full(len(type_of), ALONE_ID, np.int32) if prior is None else prior
        column = window_ids(np.asarray(classes, np.int32), lengths, half, *[PRIOR_PADDING] * 2)
        columns.append(centre_only(column, half))
    return Windows(np.stack(columns, axis=2), lengths)
