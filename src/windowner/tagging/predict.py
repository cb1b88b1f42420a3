"""From tokens to tags with a trained model: windows, forward pass, decoding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from windowner.data.tags import allowed_transitions, parse_tag
from windowner.errors import UserError
from windowner.features.windows import encode
from windowner.model.network import WindowNetwork
from windowner.model_file import Model
from windowner.tagging.decoding import check_decoder, greedy, viterbi_batch

DEFAULT_DECODE = "viterbi"


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
    decode = decode or model.metadata.get("decode", DEFAULT_DECODE)
    try:
        check_decoder(decode)
    except ValueError as error:
        raise UserError(str(error)) from None
    if not sentences:
        return []
    windows = encode(
        sentences,
        model.vocabulary,
        model.network.window,
        model.features,
        documents,
        document_classes,
    )
    network, lengths = model.network, windows.lengths
    only_type = model.metadata.get("only_type")
    allowed = None if only_type else allowed_transitions(model.tags)
    crf = isinstance(network, WindowNetwork) and network.objective == "sentence"
    if crf:
        s = network.scores(windows.ids)
        log_p = network.normalise(s, lengths, allowed)
    else:
        log_p = network.log_probs(windows.ids, lengths=lengths, allowed=allowed)
    per_sentence = np.split(log_p, np.cumsum(lengths)[:-1])
    if only_type:
        return [_binary(part, only_type) for part in per_sentence]
    if decode == "greedy":
        paths = [greedy(part) for part in per_sentence]
    else:
        if crf:  # the path the sentence objective scores best: Viterbi over s + A, not log p
            transition = network.params["A"] + allowed[0]
            start = network.params["a0"] + allowed[1]
            ids = viterbi_batch(s, lengths, transition, start)
        else:
            ids = viterbi_batch(log_p, lengths, *allowed)
        paths = np.split(ids, np.cumsum(lengths)[:-1])
    names = model.tags
    return [
        Prediction([names[i] for i in path], np.exp(part[np.arange(len(path)), path]))
        for part, path in zip(per_sentence, paths, strict=True)
    ]


def predict_tags(
    model: Model,
    sentences: Sequence[Sequence[str]],
    decode: str | None = None,
    documents: Sequence[int] | None = None,
) -> list[list[str]]:
    """Each sentence's tags (see predict)."""
    return [prediction.tags for prediction in predict(model, sentences, decode, documents)]


def entity_types(model: Model) -> list[str]:
    """The entity types among a model's tags, sorted (an --only-type model's one type)."""
    only_type = model.metadata.get("only_type")
    if only_type:
        return [only_type]
    return sorted({parse_tag(tag)[1] for tag in model.tags} - {""})


def _binary(log_p: np.ndarray, label: str) -> Prediction:
    """An --only-type model's yes/no per token (σ(s) > 0.5) as IOB2 tags: a run of yes tokens
    is one entity. Shapes: log_p (n, 1) holding log σ(s)."""
    p_yes = np.exp(log_p[:, 0])
    yes = p_yes > 0.5
    tags = [
        "O" if not here else ("I-" if i and yes[i - 1] else "B-") + label
        for i, here in enumerate(yes)
    ]
    return Prediction(tags, np.where(yes, p_yes, 1.0 - p_yes))
