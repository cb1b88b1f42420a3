"""The hand-derived backward pass against centred numerical differences in float64."""

import numpy as np
import pytest

from windowner.data.conll import read_conll
from windowner.features.casing import CASING_CLASSES
from windowner.features.vocabulary import Vocabulary
from windowner.features.windows import encode
from windowner.model import gradcheck, layers
from windowner.model.activations import get_activation
from windowner.model.network import WindowNetwork

TOLERANCE = 1e-6


def small_network(activation="tanh", seed=0, vocab=12, dim=4, casing_dim=3, hidden=6, tags=5):
    rng = np.random.default_rng(seed)
    E = rng.normal(0.0, 1.0, (vocab, dim))
    return WindowNetwork.initialise(
        E,
        len(CASING_CLASSES),
        tags,
        window=2,
        hidden=hidden,
        activation=get_activation(activation),
        casing_dim=casing_dim,
        rng=rng,
    )


def batch_with_repeats(seed=1, n=7, vocab=12, tags=5):
    """Windows in which word 3 occurs twice in one window and again in another window."""
    rng = np.random.default_rng(seed)
    words = rng.integers(0, vocab, (n, 5))
    words[0, 0] = words[0, 4] = words[1, 2] = 3
    casing = rng.integers(0, len(CASING_CLASSES), (n, 5))
    return np.stack([words, casing], axis=2), rng.integers(0, tags, n)


def test_every_gradient_matches_numerical_differences():
    errors = gradcheck.check_network(small_network(), *batch_with_repeats())
    assert set(errors) == {"E", "C", "W", "b", "U", "c"}
    assert max(errors.values()) < TOLERANCE, errors


def test_gradients_on_real_windows_of_conll(conll_dir):
    """Real sentences, real casing, an embedding table of just their words."""
    sentences = [s.tokens for s in read_conll(conll_dir / "valid.txt").sentences[1:4]]
    words = sorted({t.lower() for s in sentences for t in s})
    vocabulary = Vocabulary(["<unk>", "<s>", "</s>", *words], lowercase=True)
    windows = encode(sentences, vocabulary, half=2)
    network = small_network(vocab=len(vocabulary), dim=6, hidden=4)
    y = np.arange(len(windows)) % 5
    errors = gradcheck.check_network(network, windows.ids, y)
    assert max(errors.values()) < TOLERANCE, errors


def test_a_repeated_word_receives_every_contribution():
    """dE of a word used three times is the sum of the three slices of dx."""
    network = small_network().astype(np.float64)
    ids, _ = batch_with_repeats()
    words = ids[:, :, 0]
    x, cache = layers.window_forward(network.params, network.slots, ids)
    dx = np.random.default_rng(2).normal(size=x.shape)
    dE = layers.window_backward(dx, cache)["E"].summed
    per_position = dx.reshape(len(words), 5, -1)[:, :, :4]
    expected = per_position[words == 3].sum(axis=0)
    assert np.allclose(dE.values[list(dE.rows).index(3)], expected)
    assert len(set(dE.rows.tolist())) == len(dE.rows)


def test_a_table_read_by_several_slots_receives_every_slot():
    """dP of a prefix row read by the 1- and 2-letter prefix slots is the sum of both slices."""
    errors = gradcheck.check_case("tanh", "sigmoid")
    assert {"P", "S", "K", "D"} <= set(errors)
    assert max(errors.values()) < TOLERANCE, errors


@pytest.mark.parametrize("bug", ["first_slot_only", "swapped_slots", "shape_reads_document"])
def test_planted_bugs_in_the_feature_backward_are_caught(monkeypatch, bug):
    """Each mistake in routing dx to the feature tables breaks the check of those tables."""
    real = layers.window_backward

    def window_backward(dx, cache):
        ids, slots = cache.ids, cache.slots
        if bug == "first_slot_only":  # a table read by two slots gets only the first's share
            keep = [slots.index(slot) for slot in slots]
            return real(dx, cache._replace(ids=ids[:, :, keep]))
        swapped = ids.copy()
        if bug == "swapped_slots":  # the suffix slots read the prefix slots' ids
            swapped[:, :, [2, 3, 4, 5]] = ids[:, :, [4, 5, 2, 3]]
        else:  # the shape slot's gradient goes to the rows the document slot read
            swapped[:, :, slots.index("K")] = ids[:, :, slots.index("D")]
        return real(dx, cache._replace(ids=swapped))

    monkeypatch.setattr("windowner.model.network.window_backward", window_backward)
    errors = gradcheck.check_case("tanh", "sigmoid")
    broken = ("K",) if bug == "shape_reads_document" else ("P", "S")
    assert max(errors[name] for name in broken) > 1e-3, errors


@pytest.mark.parametrize("bug", ["bias_mean", "no_activation_derivative", "overwrite_rows"])
def test_planted_bugs_are_caught(monkeypatch, bug):
    """The check must be able to fail: each plausible backprop mistake breaks it."""
    if bug == "bias_mean":  # db = mean of δ instead of its sum over the batch

        def affine_backward(dz, cache):
            x, W = cache
            return dz @ W, dz.T @ x, dz.mean(axis=0)

        monkeypatch.setattr("windowner.model.network.affine_backward", affine_backward)
    elif bug == "no_activation_derivative":  # δ = dh, forgetting ∘ f′(z)
        activation = get_activation("tanh")
        monkeypatch.setattr(type(activation), "backward", lambda self, dh, cache: dh)
    else:  # E[ids] = ...: a repeated word keeps only its last contribution

        def scatter_rows(ids, values):
            out = np.zeros((ids.max() + 1, values.shape[1]), values.dtype)
            out[ids] = values
            rows = np.unique(ids)
            return layers.RowGrad(rows, out[rows])

        monkeypatch.setattr("windowner.model.layers.scatter_rows", scatter_rows)
    errors = gradcheck.check_network(small_network(), *batch_with_repeats())
    assert max(errors.values()) > 1e-3, errors


def test_loss_with_zero_output_weights_is_exactly_log_of_tag_count():
    """s = Uh + c = 0 gives p uniform over the 9 tags: J = log 9 whatever x, W and the labels."""
    network = small_network(tags=9)
    network.params["U"][:] = 0
    network.params["c"][:] = 0
    ids, _ = batch_with_repeats()
    labels = np.arange(len(ids)) % 9
    J, grads = network.loss(ids, labels)
    assert pytest.approx(np.log(9), rel=1e-6) == J
    assert not grads["W"].any()  # no signal reaches W through U = 0
