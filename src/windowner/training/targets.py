"""What the loss compares the scores s with: the gold tags of every training window."""

from __future__ import annotations

import numpy as np

from windowner.data.conll import Corpus
from windowner.data.tags import parse_tag
from windowner.errors import UserError, check_size


def targets(corpus: Corpus, tags: list[str], head: str, only_type: str) -> np.ndarray:
    """Shapes: (T,) tag ids for the softmax head; (T, n_tags) one-vs-rest 0/1 targets for the
    sigmoid head; (T, 1) "is it only_type?" for --only-type. T = tokens in the corpus."""
    gold = [t for s in corpus.sentences for t in s.tags]
    if only_type:
        return np.array([[parse_tag(t)[1] == only_type] for t in gold], dtype=np.float32)
    tag_id = {tag: i for i, tag in enumerate(tags)}
    unknown = sorted({t for t in gold if t not in tag_id})
    if unknown:
        raise UserError(f"tags {', '.join(unknown)} are not in the model's tag set", corpus.path)
    y = np.fromiter((tag_id[t] for t in gold), np.int64, count=len(gold))
    if head == "sigmoid":  # one-hot rows, without an (n_tags, n_tags) identity to index
        check_size(f"the targets ({len(y):,} tokens × {len(tags):,} tags)", len(y) * len(tags))
        one_hot = np.zeros((len(y), len(tags)), np.float32)
        one_hot[np.arange(len(y)), y] = 1
        return one_hot
    return y
