"""From tokens to tags with a trained model: windows, forward pass, decoding."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from windowner.data.tags import OUTSIDE, allowed_transitions
from windowner.errors import UserError
from windowner.features.prior import ALONE_ID, prior_classes, type_distribution
from windowner.features.token_table import TokenTable, TypeIds
from windowner.model.decoding import check_decoder, greedy, viterbi_batch
from windowner.model.network import WindowNetwork
from windowner.model_file import Model


@dataclass(frozen=True)
class Prediction:
    """One sentence's decoded tags and the model's probability of each chosen tag."""

    tags: list[str]
    probabilities: np.ndarray  # (n,) float


def predict(
    model: Model,
    sentences: Sequence[Sequence[str]],
    decode: str | None = None,
    documents: Sequence[int] | None = None,
    document_classes: np.ndarray | None = None,
) -> list[Prediction]:
    """Decode every sentence. `decode` is 'greedy' or 'viterbi'; None takes the model's own.

    `documents[i]` is sentence i's document, for a model with document context (equal values
    are one document); None: each sentence is a document of its own. `document_classes` (one
    per token) is that context already found, for sentences cut from larger documents.
    """
    if not sentences:
        _decoder(model, decode)  # an unknown decoding is refused all the same
        return []
    found = token_table(model).type_ids(sentences)
    lengths = np.fromiter((len(s) for s in sentences), np.int64, count=len(sentences))
    return predict_types(model, found, lengths, decode, documents, document_classes)


def token_table(model: Model) -> TokenTable:
    """The model's TokenTable, shared by every batch tagged with it (a new one if its
    vocabulary or features were replaced). Kept beside the model, not in it, so that a model
    pickled for worker processes carries no table, and dropped with the model."""
    key = id(model)
    entry = _TABLES.get(key)
    table = entry[1] if entry is not None and entry[0]() is model else None
    if (
        table is None
        or table.vocabulary is not model.vocabulary
        or table.features is not model.features
    ):
        table = TokenTable(model.vocabulary, model.features)
        _TABLES[key] = (weakref.ref(model, lambda _, key=key: _TABLES.pop(key, None)), table)
    return table


_TABLES: dict[int, tuple[weakref.ref, TokenTable]] = {}


def predict_types(
    model: Model,
    found: TypeIds,
    lengths: np.ndarray,
    decode: str | None = None,
    documents: Sequence[int] | None = None,
    document_classes: np.ndarray | None = None,
) -> list[Prediction]:
    """predict() of sentences already looked up in token_table(model): found (T,) the tokens'
    TypeIds, lengths (S,) the sentences' lengths."""
    if model.only_type:
        log_p, _ = _log_probs(model, found, lengths, documents, document_classes)
        return [_binary(part, model.only_type) for part in np.split(log_p, np.cumsum(lengths)[:-1])]
    ids, p = predict_flat(model, found, lengths, decode, documents, document_classes)
    bounds = np.cumsum(lengths)[:-1]
    names = model.tags
    return [
        Prediction([names[i] for i in path.tolist()], part)
        for path, part in zip(np.split(ids, bounds), np.split(p, bounds), strict=True)
    ]


def predict_flat(
    model: Model,
    found: TypeIds,
    lengths: np.ndarray,
    decode: str | None = None,
    documents: Sequence[int] | None = None,
    document_classes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """predict_types() as two flat arrays, for a model with tags (not --only-type).

    Shapes: found (T,), lengths (S,) -> tag ids (T,) into model.tags, and the model's
    probability (T,) of each chosen tag, row for row with the tokens.
    """
    decode = _decoder(model, decode)
    if not len(lengths):
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    log_p, s = _log_probs(model, found, lengths, documents, document_classes)
    if decode == "greedy":
        ids = greedy(log_p)  # a row's argmax is its own: one call decodes every sentence
    elif s is not None:  # the path the sentence objective scores best: Viterbi over s + A
        allowed = iob2_masks(tuple(model.tags))
        transition = model.network.params["A"] + allowed[0]
        start = model.network.params["a0"] + allowed[1]
        ids = viterbi_batch(s, lengths, transition, start)
    else:
        ids = viterbi_batch(log_p, lengths, *iob2_masks(tuple(model.tags)))
    return ids, np.exp(log_p[np.arange(len(ids)), ids])


def _log_probs(
    model: Model,
    found: TypeIds,
    lengths: np.ndarray,
    documents: Sequence[int] | None,
    document_classes: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The windows' log p (T, C), and the scores s (T, C) for the sentence objective (else None).

    A model with the document prior's first pass (features/prior.py) scores every window with
    the first pass, every token "alone"; the prior of each token follows from those scores and
    `documents`, and the model's own network scores again only the windows whose centre reads
    a prior: the other rows keep the first pass's log p.
    """
    table = token_table(model)
    windows = table.windows(found, lengths, model.network.window, documents, document_classes)
    network, lengths = model.network, windows.lengths
    allowed = None if model.only_type else iob2_masks(tuple(model.tags))
    if model.first_pass is not None:
        return _two_passes(model, found, windows, documents, allowed), None
    if isinstance(network, WindowNetwork) and network.objective == "sentence":
        s = network.scores(windows.ids)
        return network.normalise(s, lengths, allowed), s
    return network.log_probs(windows.ids, lengths=lengths, allowed=allowed), None


def _two_passes(model: Model, found: TypeIds, windows, documents, allowed) -> np.ndarray:
    """log p (T, C) of a model with the document prior: the first pass's, with the rows of the
    tokens that read a prior scored again by the model's network (see _log_probs)."""
    lengths = windows.lengths
    log_p = model.first_pass.log_probs(windows.ids, lengths=lengths, allowed=allowed)
    if documents is None:  # each sentence is a document of its own
        documents = range(len(lengths))
    document = np.repeat(np.asarray(documents, np.int64).reshape(-1), lengths)
    word, kind = token_table(model).word_facts(found)
    prior = prior_classes(word, kind, document, type_distribution(log_p, model.tags))
    rows = np.flatnonzero(prior != ALONE_ID)
    if len(rows):
        ids = windows.ids[rows]
        ids[:, model.network.window, -1] = prior[rows]  # R, the last slot, at the centre
        log_p[rows] = model.network.log_probs(ids, allowed=allowed)
    return log_p


def _decoder(model: Model, decode: str | None) -> str:
    """`decode`, or the model's own for None; a UserError for an unknown one."""
    try:
        return check_decoder(decode or model.decode)
    except ValueError as error:
        raise UserError(str(error)) from None


@lru_cache(maxsize=16)
def iob2_masks(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """allowed_transitions(tags), built once per tag set instead of once per call. The arrays
    are shared: read-only, so that no caller changes another's."""
    transition, start = allowed_transitions(list(tags))
    transition.flags.writeable = start.flags.writeable = False
    return transition, start


def predict_tags(
    model: Model,
    sentences: Sequence[Sequence[str]],
    decode: str | None = None,
    documents: Sequence[int] | None = None,
) -> list[list[str]]:
    """Each sentence's tags (see predict)."""
    return [prediction.tags for prediction in predict(model, sentences, decode, documents)]


def _binary(log_p: np.ndarray, label: str) -> Prediction:
    """An --only-type model's yes/no per token (σ(s) > 0.5) as IOB2 tags: a run of yes tokens
    is one entity. Shapes: log_p (n, 1) holding log σ(s)."""
    p_yes = np.exp(log_p[:, 0])
    yes = p_yes > 0.5
    tags = [
        OUTSIDE if not here else ("I-" if i and yes[i - 1] else "B-") + label
        for i, here in enumerate(yes)
    ]
    return Prediction(tags, np.where(yes, p_yes, 1.0 - p_yes))
