"""Every (activation, head) pair passes the full-network gradient check; planted bugs fail it."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import run
from windowner.cli.gradcheck import app
from windowner.model import losses, numerics
from windowner.model import network as network_module
from windowner.model.activations import ACTIVATIONS, GLU, Tanh
from windowner.model.gradcheck import VARIANTS, check_all, check_case
from windowner.model.layers import TableGrad
from windowner.model.network import HEADS


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_parameter_of_every_variant_is_right(activation, head):
    errors = check_case(activation, head)
    expected = {"E", "C", "P", "S", "K", "D", "Q", "L", "R", "U", "c", "activation"}
    expected |= (
        {"W[value]", "W[gate]", "b[value]", "b[gate]"} if "glu" in activation else {"W", "b"}
    )
    assert set(errors) == expected
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("activation", ["tanh", "relu", "swiglu"])
def test_dropout_and_weight_decay_gradients(activation):
    errors = check_case(activation, "softmax", dropout=(0.3, 0.3), weight_decay=0.05)
    assert max(errors.values()) < 1e-6, errors


def test_dropout_without_its_mask_in_backward_is_caught(monkeypatch):
    monkeypatch.setattr("windowner.model.network.dropout_backward", lambda dout, mask: dout)
    errors = check_case("tanh", "softmax", dropout=(0.3, 0.3))
    assert max(errors.values()) > 1e-3, errors


def test_non_default_hyperparameters_are_checked_too():
    assert max(check_case("leaky_relu", "softmax", leak=0.2).values()) < 1e-6
    assert max(check_case("swiglu", "sigmoid", beta=1.7).values()) < 1e-6


def test_the_sigmoid_head_loss_is_the_lecture_logistic_loss():
    s = np.array([[2.0, -1.0], [0.5, 30.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    J, ds = losses.sigmoid_cross_entropy(s, Y)
    sigma = 1 / (1 + np.exp(-s))
    expected = -(Y * np.log(sigma) + (1 - Y) * np.log(1 - sigma)).sum() / 2
    assert pytest.approx(expected) == J
    assert np.allclose(ds, (sigma - Y) / 2, rtol=0, atol=1e-12)


@pytest.mark.parametrize("bug", ["gate_without_sigma_prime", "sigmoid_head_without_mean"])
def test_planted_bugs_are_caught(monkeypatch, bug):
    if bug == "gate_without_sigma_prime":  # GLU: ∂h/∂g = a·σ(g) instead of a·σ(g)(1 − σ(g))

        def backward(self, dh, cache):
            a, sg = cache[0], cache[1]
            return np.concatenate([dh * sg, dh * a * sg], axis=-1)

        monkeypatch.setattr(GLU, "backward", backward)
        errors = check_case("glu", "softmax")
    else:  # ds = σ(s) − Y without the 1/N of the batch mean

        def sigmoid_cross_entropy(s, Y):
            J = -float((Y * numerics.log_sigmoid(s) + (1 - Y) * numerics.log_sigmoid(-s)).sum())
            return J / len(s), np.exp(numerics.log_sigmoid(s)) - Y

        monkeypatch.setattr("windowner.model.network.sigmoid_cross_entropy", sigmoid_cross_entropy)
        errors = check_case("tanh", "sigmoid")
    assert max(errors.values()) > 1e-3, errors


@pytest.mark.parametrize("table", ["Q", "L"])
def test_a_feature_table_routed_from_its_first_slot_only_is_caught(monkeypatch, table):
    """The new tables' gradients take the same path as P and S: every slot reading the table
    adds its slices; a backward that keeps only the first slot's (or only one of a repeated
    row's, as E[ids] -= … would) is wrong, and the check says so for that table."""
    real = network_module.window_backward

    def first_slot_only(dx, cache):
        grads = real(dx, cache)
        grad = grads[table]
        grads[table] = TableGrad(grad.ids[:1], grad.values[:1])
        return grads

    monkeypatch.setattr(network_module, "window_backward", first_slot_only)
    errors = check_case("tanh", "softmax")
    assert errors[table] > 1e-3, errors
    assert max(v for k, v in errors.items() if k != table) < 1e-6, errors


def test_a_document_prior_gradient_off_by_half_is_caught(monkeypatch):
    """R, the document prior's table (one slot, read at the centre), takes the shared table
    path; a backward that scales its rows' gradient (as forgetting the batch mean would) is
    wrong for R alone, and the check says so."""
    real = network_module.window_backward

    def halved(dx, cache):
        grads = real(dx, cache)
        grad = grads["R"]
        grads["R"] = TableGrad(grad.ids, tuple(v / 2 for v in grad.values))
        return grads

    monkeypatch.setattr(network_module, "window_backward", halved)
    errors = check_case("tanh", "sigmoid")
    assert errors["R"] > 1e-3, errors
    assert max(v for k, v in errors.items() if k != "R") < 1e-6, errors


def test_command_exits_1_when_a_backward_is_wrong(monkeypatch):
    monkeypatch.setattr(Tanh, "backward", lambda self, dh, cache: dh)  # f′ dropped
    result = CliRunner().invoke(app, ["--activation", "tanh", "--head", "softmax"])
    assert result.exit_code == 1 and "FAILED" in result.output


def test_command_prints_one_json_record_per_case():
    """The CLI prints what check_all returns; the parametrised tests above cover every case."""
    result = run("ner-gradcheck", "--activation", "swiglu", "--head", "sigmoid", "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["activation"], r["head"], r["variant"]) for r in records] == [
        ("swiglu", "sigmoid", "plain"),
        ("swiglu", "sigmoid", "dropout+l2"),
        ("swiglu", "-", "sentence"),  # the sentence objective, once per activation
    ]
    assert all(r["passed"] and r["beta"] == 1.0 for r in records)
    assert set(records[0]["max_rel_error"]) >= {"W[gate]", "b[value]", "E", "C", "activation"}


def test_check_all_covers_every_activation_head_and_variant():
    # (every case's errors are checked by the parametrised test above; this checks the sweep)
    results = check_all(["relu", "glu"], ["sigmoid"], leak=0.3, beta=2.0)
    assert len(results) == 2 * len(VARIANTS) + 2  # + the sentence objective of each
    assert {r.activation: r.hyperparameters for r in results} == {"relu": {}, "glu": {}}
    assert all(r.passed for r in results)


def test_the_sentence_objective_through_the_network_is_right():
    """Transitions A, start scores a0 and every network parameter under the sentence-level
    likelihood, on IOB2 gold paths over four sentences."""
    errors = check_case("tanh", "softmax", objective="sentence")
    assert {"A", "a0", "E", "P", "W", "U"} <= set(errors)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("bug", ["transitions_unscaled", "scores_unscaled"])
def test_planted_bugs_in_the_sentence_objective_are_caught(monkeypatch, bug):
    """The per-token scaling the network applies to sentence_loss's gradients must be applied to
    each of them: forgetting it on dA or on ds breaks the check."""
    import windowner.model.network as network_module

    real = network_module.sentence_loss

    def broken(s, lengths, y, A, a0, allowed_A, allowed_a0):
        J, ds, dA, da0 = real(s, lengths, y, A, a0, allowed_A, allowed_a0)
        factor = len(s) / len(lengths)  # undoes the network's 1/L scaling of one gradient
        if bug == "transitions_unscaled":
            return J, ds, dA * factor, da0
        return J, ds * factor, dA, da0

    monkeypatch.setattr(network_module, "sentence_loss", broken)
    errors = check_case("tanh", "softmax", objective="sentence")
    assert max(errors.values()) > 1e-3, errors
