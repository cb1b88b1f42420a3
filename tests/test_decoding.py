import numpy as np

from windowner.decoding import allowed_transitions, greedy, viterbi
from windowner.tags import parse_tag

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
