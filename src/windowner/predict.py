"""From tokens to tags with a trained model: windows, forward pass, decoding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from windowner.decoding import allowed_transitions, greedy, viterbi
from windowner.errors import UserError
from windowner.model_file import Model
from windowner.windows import encode

DEFAULT_DECODE = "viterbi"


@dataclass(frozen=True)
class Prediction:
    """One sentence's decoded tags and the model's probability of each chosen tag."""

    tags: list[str]
    probabilities: np.ndarray  # (n,) float


def predict(
    model: Model, sentences: Sequence[Sequence[str]], decode: str | None = None
) -> list[Prediction]:
    """Decode every sentence. `decode` is 'greedy' or 'viterbi'; None takes the model's own."""
    decode = decode or model.metadata.get("decode", DEFAULT_DECODE)
    if decode not in ("greedy", "viterbi"):
        raise UserError(f"unknown decoding '{decode}'; choose greedy or viterbi")
    if not sentences:
        return []
    windows = encode(sentences, model.vocabulary, model.network.window)
    log_p = model.network.log_probs(windows.words, windows.casing)
    per_sentence = np.split(log_p, np.cumsum(windows.lengths)[:-1])
    if decode == "greedy":
        paths = [greedy(part) for part in per_sentence]
    else:
        transition, start = allowed_transitions(model.tags)
        paths = [viterbi(part, transition, start) for part in per_sentence]
    names = model.tags
    return [
        Prediction([names[i] for i in path], np.exp(part[np.arange(len(path)), path]))
        for part, path in zip(per_sentence, paths, strict=True)
    ]


def predict_tags(
    model: Model, sentences: Sequence[Sequence[str]], decode: str | None = None
) -> list[list[str]]:
    """Each sentence's tags (see predict)."""
    return [prediction.tags for prediction in predict(model, sentences, decode)]
