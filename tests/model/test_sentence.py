"""The sentence-level log-likelihood: gradients, brute-force partition functions, −inf masks."""

import itertools
import warnings

import numpy as np
import pytest

from windowner.data.tags import allowed_transitions
from windowner.model import sentence
from windowner.model.decoding import viterbi_batch
from windowner.model.gradcheck import check_sentence_loss
from windowner.model.numerics import logsumexp
from windowner.model.sentence import (
    forbidden_gold,
    initial_transitions,
    log_partition,
    marginals,
    sentence_loss,
    transition_scores,
)

TAGS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
ALLOWED_A, ALLOWED_A0 = allowed_transitions(TAGS)
T = len(TAGS)


def gold_paths(rng, lengths):
    """Random IOB2 tag ids, each tag drawn among those the masks allow after the one before."""
    y = []
    for n in lengths:
        allowed = ALLOWED_A0
        for _ in range(n):
            tag = int(rng.choice(np.flatnonzero(np.isfinite(allowed))))
            y.append(tag)
            allowed = ALLOWED_A[tag]
    return np.array(y, dtype=np.int64)


def case(seed, lengths, scale=2.0, dtype=np.float64):
    """s, lengths, y, A, a0 for random scores and an allowed gold path per sentence."""
    rng = np.random.default_rng(seed)
    lengths = np.array(lengths)
    s = rng.normal(0.0, scale, (int(lengths.sum()), T)).astype(dtype)
    A = rng.normal(0.0, 1.0, (T, T)).astype(dtype)
    a0 = rng.normal(0.0, 1.0, T).astype(dtype)
    return s, lengths, gold_paths(rng, lengths), A, a0


def all_paths(n):
    """Every tag sequence of n tokens, allowed or not: (T**n, n)."""
    return np.array(list(itertools.product(range(T), repeat=n)), dtype=np.int64)


def path_scores(s1, paths, transition, start):
    """score(y) of each row of paths for one sentence's scores s1 (n, T), from the definition."""
    n = s1.shape[0]
    score = start[paths[:, 0]] + s1[np.arange(n), paths].sum(axis=1)
    if n > 1:
        score += transition[paths[:, :-1], paths[:, 1:]].sum(axis=1)
    return score


def sentences(x, lengths):
    return np.split(x, np.cumsum(lengths)[:-1])


# ------------------------------------------------------------------------------------ gradients


@pytest.mark.parametrize(
    "seed, lengths",
    [
        (0, [3, 1, 6, 2, 5]),
        (1, [1]),
        (2, [1, 1, 1]),
        (3, [7, 2, 1, 4]),
        (4, [2, 9]),
        (6, [3, 1, 6, 4]),
    ],
)
def test_every_gradient_matches_centred_differences(seed, lengths):
    errors = check_sentence_loss(*case(seed, lengths), ALLOWED_A, ALLOWED_A0)
    assert max(errors.values()) < 1e-6, errors


def test_the_gradients_are_right_with_a_forbidden_gold_sentence_left_out():
    s, lengths, y, A, a0 = case(12, [4, 3, 5])
    y[4:7] = [0, 4, 0]  # O I-PER: the middle sentence is left out, its rows of ds are 0
    errors = check_sentence_loss(s, lengths, y, A, a0, ALLOWED_A, ALLOWED_A0)
    assert max(errors.values()) < 1e-6, errors


def test_forbidden_entries_get_exactly_zero_gradient():
    _, _, dA, da0 = sentence_loss(*case(5, [4, 3, 1, 6]), ALLOWED_A, ALLOWED_A0)
    assert np.isneginf(ALLOWED_A).sum() == 6 and np.isneginf(ALLOWED_A0).sum() == 2
    assert np.all(dA[np.isneginf(ALLOWED_A)] == 0.0) and np.all(da0[np.isneginf(ALLOWED_A0)] == 0)
    assert np.all(dA[np.isfinite(ALLOWED_A)] != 0.0)  # every allowed entry is learnt


def _without_gold_counts(previous, tag, n_tags):
    return np.zeros((n_tags, n_tags))  # dA = expected counts only


def _backward_one_token_late(s, packing, *args):
    """βₜ₋₁ and ξₜ read each sentence's scores at t + 1 instead of t (0 past its end)."""
    late = np.zeros_like(s)
    for t, n in enumerate(packing.running[1:]):
        here, after = packing.offsets[t], packing.offsets[t + 1]
        late[here : here + n] = s[after : after + n]
    return BACKWARD(late, packing, *args)


def _da0_without_gold(*args):
    J, ds, dA, da0 = sentence_loss(*args)
    return J, ds, dA, da0 + np.bincount(args[2][[0, 3, 4, 10]], minlength=T) / 4


def _ds_without_mean(*args):
    J, ds, dA, da0 = sentence_loss(*args)
    return J, ds * 4, dA, da0


BACKWARD = sentence._backward


@pytest.mark.parametrize(
    "bug, patch, loss",
    [
        (
            "dA without the gold transition counts",
            ("_gold_transition_counts", _without_gold_counts),
            None,
        ),
        ("beta one token late in the backward pass", ("_backward", _backward_one_token_late), None),
        ("da0 without the gold first tags", None, _da0_without_gold),
        ("ds without the 1/S of the mean", None, _ds_without_mean),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_planted_bugs_are_caught(monkeypatch, bug, patch, loss):
    lengths = [3, 1, 6, 4]  # first tokens at rows 0, 3, 4, 10; the case passes unbroken (above)
    if patch is not None:
        monkeypatch.setattr(sentence, *patch)
    errors = check_sentence_loss(*case(6, lengths), ALLOWED_A, ALLOWED_A0, loss=loss)
    assert max(errors.values()) > 1e-3, (bug, errors)


# ----------------------------------------------------------------------------- against brute force


@pytest.mark.parametrize("seed", range(4))
def test_logZ_marginals_and_J_equal_brute_force_enumeration(seed):
    s, lengths, y, A, a0 = case(seed, [1, 2, 3, 4])
    transition, start = transition_scores(A, a0, ALLOWED_A, ALLOWED_A0)
    logZ = log_partition(s, lengths, transition, start)
    p = marginals(s, lengths, transition, start)
    J, *_ = sentence_loss(s, lengths, y, A, a0, ALLOWED_A, ALLOWED_A0)
    expected_J = 0.0
    for k, (s1, y1, p1) in enumerate(
        zip(sentences(s, lengths), sentences(y, lengths), sentences(p, lengths))
    ):
        paths = all_paths(len(s1))
        score = path_scores(s1, paths, transition, start)
        allowed = np.isfinite(score)
        assert 0 < allowed.sum() < len(paths) or len(s1) == 1
        brute = np.log(np.exp(score[allowed]).sum())
        assert logZ[k] == pytest.approx(brute, rel=1e-12)
        prob = np.exp(score - brute)  # 0 for forbidden paths
        for t in range(len(s1)):
            assert np.allclose(
                p1[t], np.bincount(paths[:, t], weights=prob, minlength=T), atol=1e-12
            )
        expected_J += brute - path_scores(s1, y1[None], transition, start)[0]
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-12)
    first = np.cumsum(lengths) - lengths
    assert np.all(p[first][:, np.isneginf(ALLOWED_A0)] == 0.0)  # no sentence starts with I-
    assert expected_J / len(lengths) == pytest.approx(J, rel=1e-12)


def test_the_batch_is_the_mean_of_its_sentences_in_any_order():
    s, lengths, y, A, a0 = case(7, [5, 1, 8, 3, 3, 12, 1])
    J, ds, dA, da0 = sentence_loss(s, lengths, y, A, a0, ALLOWED_A, ALLOWED_A0)
    alone = [
        sentence_loss(s1, [len(s1)], y1, A, a0, ALLOWED_A, ALLOWED_A0)
        for s1, y1 in zip(sentences(s, lengths), sentences(y, lengths))
    ]
    S = len(lengths)
    assert pytest.approx(sum(r[0] for r in alone) / S, rel=1e-12) == J
    assert np.allclose(ds, np.concatenate([r[1] for r in alone]) / S, atol=1e-15)
    assert np.allclose(dA, sum(r[2] for r in alone) / S, atol=1e-15)
    assert np.allclose(da0, sum(r[3] for r in alone) / S, atol=1e-15)


@pytest.mark.parametrize("seed", range(6))
def test_viterbi_over_the_transition_scores_finds_the_best_allowed_path(seed):
    s, lengths, _, A, a0 = case(seed, [4, 1, 3, 2, 4], scale=1.0)
    transition, start = transition_scores(A, a0, ALLOWED_A, ALLOWED_A0)
    decoded = viterbi_batch(s, lengths, transition, start)
    for s1, path in zip(sentences(s, lengths), sentences(decoded, lengths)):
        paths = all_paths(len(s1))
        assert np.array_equal(path, paths[path_scores(s1, paths, transition, start).argmax()])


# --------------------------------------------------------------------------- −inf, overflow, dtype


def test_logsumexp_of_an_all_minus_inf_slice_is_minus_inf_without_a_warning():
    z = np.array([[-np.inf, -np.inf], [0.0, -np.inf], [1e4, 1e4]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = logsumexp(z, axis=1)
    assert out.dtype == np.float32
    assert out[0] == -np.inf and out[1] == 0.0 and out[2] == pytest.approx(1e4 + np.log(2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1e4, 1.0])
def test_no_nan_nor_floating_point_error_with_huge_scores_in_either_dtype(dtype, scale):
    s, lengths, y, A, a0 = case(8, [6, 1, 30, 2], scale=scale, dtype=dtype)
    A *= scale
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        J, ds, dA, da0 = sentence_loss(s, lengths, y, A, a0, ALLOWED_A, ALLOWED_A0)
    assert ds.dtype == dA.dtype == da0.dtype == dtype
    assert np.isfinite(J) and -1e-3 * scale <= J
    assert all(np.all(np.isfinite(g)) for g in (ds, dA, da0))
    assert np.all(dA[np.isneginf(ALLOWED_A)] == 0.0) and np.all(da0[np.isneginf(ALLOWED_A0)] == 0)
    assert np.allclose(ds.sum(axis=1), 0.0, atol=1e-6)  # each token's marginals sum to 1


def test_float32_agrees_with_float64():
    s, lengths, y, A, a0 = case(9, [9, 4, 1, 13, 7])
    r64 = sentence_loss(s, lengths, y, A, a0, ALLOWED_A, ALLOWED_A0)
    r32 = sentence_loss(
        *(x.astype(np.float32) for x in (s,)),
        lengths,
        y,
        A.astype(np.float32),
        a0.astype(np.float32),
        ALLOWED_A,
        ALLOWED_A0,
    )
    assert r32[0] == pytest.approx(r64[0], rel=1e-5)
    for g32, g64 in zip(r32[1:], r64[1:]):
        assert g32.dtype == np.float32
        assert np.allclose(g32, g64, atol=1e-5)


def test_a_gold_path_the_masks_forbid_is_left_out_not_nan():
    s, lengths, y, A, a0 = case(10, [3, 4, 2])
    bad = y.copy()
    bad[3:7] = [0, 2, 2, 0]  # O I-LOC: from an IOB1 file read as IOB2
    bad[7] = 4  # and a sentence starting with I-PER
    assert forbidden_gold(bad, lengths, ALLOWED_A, ALLOWED_A0).tolist() == [False, True, True]
    assert forbidden_gold(y, lengths, ALLOWED_A, ALLOWED_A0).tolist() == [False] * 3
    J, ds, dA, da0 = sentence_loss(s, lengths, bad, A, a0, ALLOWED_A, ALLOWED_A0)
    alone = sentence_loss(s[:3], [3], y[:3], A, a0, ALLOWED_A, ALLOWED_A0)
    assert alone[0] == J and np.array_equal(ds[:3], alone[1]) and np.all(ds[3:] == 0)
    assert np.array_equal(dA, alone[2]) and np.array_equal(da0, alone[3])
    # nothing left to score: zero loss and gradients
    J, ds, dA, da0 = sentence_loss(s[3:], [4, 2], bad[3:], A, a0, ALLOWED_A, ALLOWED_A0)
    assert J == 0.0 and not ds.any() and not dA.any() and not da0.any()


def test_empty_sentences_are_skipped_and_wrong_lengths_refused():
    s, lengths, y, A, a0 = case(11, [3, 2])
    with_empty = sentence_loss(s, [0, 3, 0, 2], y, A, a0, ALLOWED_A, ALLOWED_A0)
    plain = sentence_loss(s, lengths, y, A, a0, ALLOWED_A, ALLOWED_A0)
    assert with_empty[0] == plain[0]
    with pytest.raises(ValueError, match="lengths sum to 4"):
        sentence_loss(s, [2, 2], y, A, a0, ALLOWED_A, ALLOWED_A0)


def test_transitions_start_at_zero():
    A, a0 = initial_transitions(T)
    assert A.shape == (T, T) and a0.shape == (T,) and A.dtype == a0.dtype == np.float32
    assert not A.any() and not a0.any()
