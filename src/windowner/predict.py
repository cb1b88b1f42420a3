"""From tokens to tags with a trained model: windows, forward pass, decoding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from windowner.decoding import allowed_transitions, greedy, viterbi
from windowner.errors import UserError
from windowner.model_file import Model
from windowner.windows import encode

DEFAULT_DECODE = "viterbi"


def predict_tags(
    model: Model, sentences: Sequence[Sequence[str]], decode: str | None = None
) -> list[list[str]]:
    """Each sentence's tags. `decode` is 'greedy' or 'viterbi'; None takes the model's own."""
    decode = decode or model.metadata.get("decode", DEFAULT_DECODE)
    if not sentences:
        return []
    windows = encode(sentences, model.vocabulary, model.network.window)
    log_p = model.network.log_probs(windows.words, windows.casing)
    per_sentence = np.split(log_p, np.cumsum(windows.lengths)[:-1])
    if decode == "greedy":
        paths = [greedy(part) for part in per_sentence]
    elif decode == "viterbi":
        transition, start = allowed_transitions(model.tags)
        paths = [viterbi(part, transition, start) for part in per_sentence]
    else:
        raise UserError(f"unknown decoding '{decode}'; choose greedy or viterbi")
    names = model.tags
    return [[names[i] for i in path] for path in paths]
