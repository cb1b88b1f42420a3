import numpy as np
import pytest

from windowner.data.tags import allowed_transitions, parse_tag
from windowner.model.decoding import greedy, viterbi, viterbi_batch

TAGS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def is_valid_iob2(tags):
    previous = ("O", "")
    for tag in tags:
        prefix, label = parse_tag(tag)
        if prefix == "I" and (previous[0] == "O" or previous[1] != label):
            return False
        previous = (prefix, label)
    return True


def test_viterbi_repairs_what_greedy_breaks():
    # greedy: O I-PER I-PER ; the best valid sequence starts the entity with B-PER
    log_p = np.log(
        np.array(
            [
                [0.6, 0.0, 0.0, 0.1, 0.3],
                [0.1, 0.0, 0.0, 0.4, 0.5],
                [0.1, 0.0, 0.0, 0.1, 0.8],
            ]
        )
        + 1e-12
    )
    transition, start = allowed_transitions(TAGS)
    assert [TAGS[i] for i in greedy(log_p)] == ["O", "I-PER", "I-PER"]
    assert [TAGS[i] for i in viterbi(log_p, transition, start)] == ["O", "B-PER", "I-PER"]


def test_viterbi_never_emits_an_invalid_transition_and_is_optimal():
    rng = np.random.default_rng(0)
    transition, start = allowed_transitions(TAGS)
    for _ in range(300):
        n = int(rng.integers(1, 6))
        log_p = np.log(rng.dirichlet(np.ones(len(TAGS)) * 0.3, size=n) + 1e-12)
        path = viterbi(log_p, transition, start)
        assert is_valid_iob2([TAGS[i] for i in path])
        # brute force over every valid sequence for short sentences
        best = max(
            (log_p[np.arange(n), list(seq)].sum(), seq)
            for seq in np.ndindex(*([len(TAGS)] * n))
            if is_valid_iob2([TAGS[i] for i in seq])
        )
        assert np.isclose(log_p[np.arange(n), path].sum(), best[0])


def test_empty_sentence():
    transition, start = allowed_transitions(TAGS)
    assert viterbi(np.zeros((0, 5)), transition, start).tolist() == []


CONLL_TAGS = ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def per_sentence(log_p, lengths, transition, start):
    parts = np.split(log_p, np.cumsum(lengths)[:-1]) if len(lengths) else []
    return [viterbi(part, transition, start) for part in parts]


def test_viterbi_batch_gives_every_sentence_the_path_viterbi_gives_it():
    """Random corpora: empty and one-token sentences, long ones, ties (rounded log p), and
    tokens whose best tag is forbidden everywhere it could go."""
    rng = np.random.default_rng(0)
    transition, start = allowed_transitions(CONLL_TAGS)
    for trial in range(300):
        lengths = rng.integers(0, 12, int(rng.integers(0, 15)))
        if trial % 10 == 0 and len(lengths):
            lengths[0] = 60
        p = rng.dirichlet(np.ones(len(CONLL_TAGS)) * 0.3, size=int(lengths.sum()))
        log_p = np.log(p + 1e-12).astype(np.float32)
        if trial % 3 == 0:
            log_p = np.round(log_p)  # many exact ties
        if trial % 7 == 0:
            log_p[:, 0] = -np.inf  # 'O' impossible: I- tags must still follow their B-
        paths = viterbi_batch(log_p, lengths, transition, start)
        assert paths.shape == (len(log_p),) and paths.dtype == np.int64
        expected = per_sentence(log_p, lengths, transition, start)
        got = np.split(paths, np.cumsum(lengths)[:-1]) if len(lengths) else []
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert np.array_equal(g, e)


def test_viterbi_batch_on_the_shapes_of_a_real_corpus(conll_dir):
    """CoNLL's own sentence lengths (1 to 124 tokens), random probabilities."""
    from windowner.data.conll import read_conll

    lengths = np.array([len(s.tokens) for s in read_conll(conll_dir / "valid.txt").sentences])
    rng = np.random.default_rng(1)
    log_p = np.log(rng.dirichlet(np.ones(len(CONLL_TAGS)), size=int(lengths.sum())))
    transition, start = allowed_transitions(CONLL_TAGS)
    paths = viterbi_batch(log_p.astype(np.float32), lengths, transition, start)
    expected = per_sentence(log_p.astype(np.float32), lengths, transition, start)
    assert np.array_equal(paths, np.concatenate(expected))
    assert is_valid_iob2([CONLL_TAGS[i] for i in paths[: lengths[0]]])


def test_viterbi_batch_of_nothing_and_of_wrong_lengths():
    transition, start = allowed_transitions(TAGS)
    assert viterbi_batch(np.zeros((0, 5)), np.zeros(0, int), transition, start).tolist() == []
    assert viterbi_batch(np.zeros((0, 5)), np.zeros(3, int), transition, start).tolist() == []
    with pytest.raises(ValueError, match="lengths sum to 4 but log_p has 3 rows"):
        viterbi_batch(np.zeros((3, 5)), np.array([2, 2]), transition, start)
