"""batch_spans finds the chunks spans() finds, sentence for sentence (tagging/spans.py)."""

from __future__ import annotations

import numpy as np

from windowner.data.conll import read_conll
from windowner.data.tags import spans
from windowner.tagging.spans import batch_spans

TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC")


def _per_sentence(ids: np.ndarray, lengths: np.ndarray) -> list[tuple[int, int, str]]:
    """spans() of each sentence's tags, offsets made flat."""
    found, at = [], 0
    for n in lengths.tolist():
        tags = [TAGS[i] for i in ids[at : at + n].tolist()]
        found += [(at + s.start, at + s.end, s.label) for s in spans(tags)]
        at += n
    return found


def _batch(ids: np.ndarray, lengths: np.ndarray) -> list[tuple[int, int, str]]:
    starts, ends, labels = batch_spans(ids, lengths, TAGS)
    return list(zip(starts.tolist(), ends.tolist(), labels, strict=True))


def test_the_gold_tags_of_a_real_corpus(conll_dir):
    sentences = read_conll(conll_dir / "valid.txt").sentences
    index = {tag: i for i, tag in enumerate(TAGS)}
    ids = np.array([index[t] for s in sentences for t in s.tags], np.int64)
    lengths = np.array([len(s.tags) for s in sentences], np.int64)
    expected = _per_sentence(ids, lengths)
    assert len(expected) > 5000
    assert _batch(ids, lengths) == expected


def test_any_tag_sequence_greedy_decoding_may_give():
    """O I-PER, B-LOC I-PER, I- first in a sentence, one-token and empty sentences."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 9, size=3000)
    lengths[:4] = [0, 1, 0, 1]
    ids = rng.integers(0, len(TAGS), size=int(lengths.sum()))
    assert _batch(ids, lengths) == _per_sentence(ids, lengths)


def test_no_sentences_no_spans():
    assert _batch(np.zeros(0, np.int64), np.zeros(0, np.int64)) == []
