"""What tagging knows about every distinct token it has met, kept from one batch to the next.

A token's word row, casing class, subword ids, cluster ids and document-context facts (its
lowercased form, its kind, whether it has a lowercase letter) depend on its text alone.
`encode` finds them once per distinct token of each call; a tagger calls it for every batch of
a stream, and the same words come back batch after batch. A TokenTable finds them once per
distinct token of the whole stream, so that a token already met costs one dict lookup and
numpy does the rest.

The windows it cuts are encode's, id for id (tests/features/test_token_table.py): the same
per-token functions fill it, and the document classes come from the same code.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from windowner.features.casing import PADDING_ID, casing_ids
from windowner.features.document import PADDING_ID as DOCUMENT_PADDING
from windowner.features.document import classes_of_type_facts, type_facts
from windowner.features.prior import ALONE_ID, centre_only
from windowner.features.prior import PADDING_ID as PRIOR_PADDING
from windowner.features.vocabulary import BOS_ID, EOS_ID, Vocabulary
from windowner.features.windows import Features, Windows

# Distinct tokens kept before the table starts afresh: memory stays bounded (about 100 bytes a
# token) whatever the stream; every entry is a pure function of its token, so a fresh table
# gives the same ids.
MAX_TYPES = 1 << 20


@dataclass(frozen=True)
class TypeIds:
    """Tokens looked up in a TokenTable: which distinct token each one is, with the table's ids
    as they were then (the table only ever grows into new arrays, or starts afresh, so these
    stay right whatever other threads look up meanwhile). A slice is the slice's tokens.

    Shapes: type_of (T,); columns (V, 2 + m + q + 3) as TokenTable describes them.
    """

    type_of: np.ndarray
    columns: np.ndarray
    n_words: int  # lowercased forms the table had numbered
    texts: list[str]  # the distinct tokens, in the table's order (only ever appended to)

    def __len__(self) -> int:
        return len(self.type_of)

    def __getitem__(self, rows: slice) -> TypeIds:
        return TypeIds(self.type_of[rows], self.columns, self.n_words, self.texts)

    def sentences(self, lengths: np.ndarray) -> list[list[str]]:
        """The tokens' texts as sentences of `lengths` (S,) tokens."""
        tokens = [self.texts[t] for t in self.type_of.tolist()]
        sizes = np.asarray(lengths).tolist()
        ends = np.cumsum(sizes).tolist()
        return [tokens[end - n : end] for end, n in zip(ends, sizes, strict=True)]


class TokenTable:
    """The distinct tokens met so far and each one's ids, for one vocabulary and feature set.

    Shapes: columns (V, 2 + m + q + 3), row t for the t-th distinct token: word row, casing
    class, the m subword ids (Features.subwords), the q rows of Q its word row's clusters read
    (Features.clusters), then the document facts (lowered-form id, kind, has-lowercase) that
    features/document.py reads.
    """

    def __init__(self, vocabulary: Vocabulary, features: Features, max_types: int = MAX_TYPES):
        self.vocabulary = vocabulary
        self.features = features
        self.max_types = max_types
        self._lock = threading.Lock()  # one table may serve several tagging threads
        self._clear()

    def _clear(self) -> None:
        self._index: dict[str, int] = {}
        self._texts: list[str] = []  # the keys of _index, to find a token's text by its number
        self._lowered: dict[str, int] = {}
        width = 2 + len(self.features.subwords.names) + len(self._cluster_padding()) + 3
        self._columns = np.zeros((0, width), np.int32)

    def __len__(self) -> int:
        return len(self._index)

    def type_ids(self, sentences: Sequence[Sequence[str]]) -> TypeIds:
        """Which distinct token each token is, new ones added. Shapes: sentences (S,) -> (T,)."""
        return self.ids_of(t for sentence in sentences for t in sentence)

    def ids_of(self, tokens: Iterable[str]) -> TypeIds:
        """type_ids() of the tokens of all sentences one after another. Shapes: (T,) -> (T,)."""
        with self._lock:
            if len(self._index) > self.max_types:
                self._clear()
            index = self._index
            known = len(index)
            type_of = np.fromiter((index.setdefault(t, len(index)) for t in tokens), np.intp)
            if len(index) > known:
                new = list(islice(index, known, None))
                self._add(new)
                self._texts.extend(new)
            return TypeIds(type_of, self._columns, len(self._lowered), self._texts)

    def _add(self, new: list[str]) -> None:
        """Find the ids of the tokens `new`, in the order they were indexed."""
        subwords, clusters = self.features.subwords, self.features.clusters
        words, kind, has_lower = type_facts(new, self._lowered)
        word_rows = self.vocabulary.ids(new)
        rows = np.column_stack(
            [
                word_rows,
                casing_ids(new),
                subwords.ids(new) if subwords.names else np.zeros((len(new), 0), np.int32),
                clusters.of_rows(word_rows) if clusters else np.zeros((len(new), 0), np.int32),
                words,
                kind,
                has_lower,
            ]
        ).astype(np.int32)
        self._columns = np.concatenate([self._columns, rows])

    def windows(
        self,
        found: TypeIds,
        lengths: np.ndarray,
        half: int,
        documents: Sequence[int] | None = None,
        document_classes: np.ndarray | None = None,
        prior: np.ndarray | None = None,
    ) -> Windows:
        """encode()'s Windows for the tokens `found` (from type_ids) in sentences of `lengths`.

        Shapes: found (T,), lengths (S,) summing to T -> Windows with ids (T, 2·half+1, m').
        `documents`, `document_classes` and `prior` mean what they mean for encode.
        """
        lengths = np.asarray(lengths, np.int64)
        n_subwords = len(self.features.subwords.names)
        cluster_padding = self._cluster_padding()
        per_token = found.columns[found.type_of]
        columns = [per_token[:, 0], per_token[:, 1], *per_token[:, 2 : 2 + n_subwords].T]
        left = [BOS_ID, PADDING_ID, *self.features.subwords.padding_ids()]
        right = [EOS_ID, PADDING_ID, *self.features.subwords.padding_ids()]
        if self.features.document:
            if document_classes is None:
                document_classes = self.document_classes(found, lengths, documents)
            columns.append(np.asarray(document_classes, np.int32))
            left.append(DOCUMENT_PADDING)
            right.append(DOCUMENT_PADDING)
        if len(cluster_padding):
            start = 2 + n_subwords
            columns += list(per_token[:, start : start + len(cluster_padding)].T)
            left += cluster_padding.tolist()
            right += cluster_padding.tolist()
        lexicon = self.features.lexicon
        if lexicon is not None:  # phrases span tokens: matched per sentence, as encode does
            columns += list(lexicon.ids(found.sentences(lengths)).T)
            left += lexicon.padding_ids().tolist()
            right += lexicon.padding_ids().tolist()
        if self.features.prior:  # the last slot, read at the centre only
            alone = np.full(len(found), ALONE_ID, np.int32)
            columns.append(alone if prior is None else np.asarray(prior, np.int32))
            left.append(PRIOR_PADDING)
            right.append(PRIOR_PADDING)
        ids = window_rows(np.stack(columns, axis=1), lengths, half, left, right)
        if self.features.prior:
            ids[:, :, -1] = centre_only(ids[:, :, -1], half)
        return Windows(ids, lengths)

    def word_facts(self, found: TypeIds) -> tuple[np.ndarray, np.ndarray]:
        """Each token's lowercased form's id and its kind (features/document.py's type_facts),
        what the document prior groups and filters by. Shapes: found (T,) -> (T,), (T,)."""
        facts = found.columns[:, -3:-1][found.type_of]  # two columns gathered, not all of them
        return facts[:, 0], facts[:, 1]

    def _cluster_padding(self) -> np.ndarray:
        """(q,) the Q rows of a position beyond the sentence edge; (0,) without clusters."""
        clusters = self.features.clusters
        return clusters.padding_ids() if clusters is not None else np.zeros(0, np.int32)

    def document_classes(
        self, found: TypeIds, lengths: np.ndarray, documents: Sequence[int] | None = None
    ) -> np.ndarray:
        """features/document.py's class of every token (T,) int32; `documents` (S,) as there,
        None: every sentence a document of its own."""
        if documents is None:
            documents = range(len(lengths))
        facts = found.columns[:, -3:]
        return classes_of_type_facts(
            facts[:, 0],
            found.n_words,
            facts[:, 1],
            facts[:, 2].astype(bool),
            found.type_of,
            lengths,
            documents,
        )


def window_rows(
    per_token: np.ndarray, lengths: np.ndarray, half: int, left: Sequence[int], right: Sequence[int]
) -> np.ndarray:
    """features/windows.py's window_ids for m columns at once.

    Shapes: per_token (T, m), lengths (S,), left and right (m,) the padding of each column ->
    (T, 2·half+1, m): [t, i, j] is window_ids(per_token[:, j], ...)[t, i].
    """
    n_sentences, n_tokens = len(lengths), int(lengths.sum())
    if n_tokens != len(per_token):
        raise ValueError(f"lengths sum to {n_tokens} but there are {len(per_token)} tokens")
    padded_starts = np.cumsum(lengths + 2 * half) - (lengths + 2 * half)
    flat = np.empty((n_tokens + 2 * half * n_sentences, per_token.shape[1]), np.int32)
    flat[:] = np.asarray(right, np.int32)
    flat[(padded_starts[:, None] + np.arange(half)).ravel()] = np.asarray(left, np.int32)
    token_starts = np.cumsum(lengths) - lengths
    positions = np.arange(n_tokens) + np.repeat(padded_starts + half - token_starts, lengths)
    flat[positions] = per_token
    return flat[positions[:, None] + np.arange(-half, half + 1)]
