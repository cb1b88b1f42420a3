"""Tests for windowner.model.activations: every unit's backward against its own forward."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from windowner.model.activations import ACTIVATIONS, Activation, get_activation, output_width
from windowner.model.numerics import erf, normal_cdf, sigmoid

# Every unit with default hyperparameters, plus the hyperparameters set to other values.
UNITS = [pytest.param(name, {}, id=name) for name in ACTIVATIONS] + [
    pytest.param("leaky_relu", {"leak": 0.2}, id="leaky_relu-leak=0.2"),
    pytest.param("swish", {"beta": 1.7}, id="swish-beta=1.7"),
    pytest.param("swiglu", {"beta": 0.5}, id="swiglu-beta=0.5"),
]
KINKED = {"relu", "leaky_relu"}


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| / max(1e-8, |a| + |b|), taken element-wise, then the largest."""
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_vjp(f, z: np.ndarray, dh: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Centred differences of the vector–Jacobian product dh·∂f/∂z, one input at a time.

    Shapes: f maps z (N, D) -> h (N, H); dh (N, H) -> dz (N, D). z is perturbed and restored.
    Math: dz[i] ≈ Σ (f(z + εeᵢ) − f(z − εeᵢ)) ∘ dh / 2ε = ∂ sum(f(z) ∘ dh) / ∂z[i].
    """
    dz = np.zeros_like(z)
    for i in np.ndindex(*z.shape):
        old = z[i]
        z[i] = old + step
        plus = f(z)
        z[i] = old - step
        minus = f(z)
        z[i] = old
        dz[i] = np.sum((plus - minus) * dh) / (2 * step)
    return dz


def check_backward(unit: Activation, z: np.ndarray, rng: np.random.Generator) -> float:
    """rel_error of unit.backward against the numerical VJP of unit.forward, for a random dh."""
    h, cache = unit.forward(z)
    dh = rng.normal(size=h.shape)
    dz = unit.backward(dh, cache)
    assert dz.shape == z.shape
    return rel_error(dz, numerical_vjp(lambda x: unit.forward(x)[0], z.copy(), dh))


def sample_z(name: str, rng: np.random.Generator, n: int = 4, hidden: int = 6) -> np.ndarray:
    """A float64 z for h of `hidden` columns; kinked units get |z| ≥ 1e-3, away from z = 0."""
    shape = (n, output_width(name, hidden))
    if name in KINKED:
        return rng.uniform(1e-3, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    return rng.normal(scale=1.5, size=shape)


# ---------------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("name, hyper", UNITS)
def test_backward_matches_numerical_gradient_of_own_forward(name, hyper):
    rng = np.random.default_rng(0)
    unit = get_activation(name, **hyper)
    assert check_backward(unit, sample_z(name, rng), rng) < 1e-6


def test_gelu_backward_matches_forward_across_all_erf_intervals():
    # z/√2 covers Cody's three intervals: below 0.46875, up to 4 and beyond (|z| > 5.66).
    rng = np.random.default_rng(1)
    z = np.linspace(-9.0, 9.0, 48).reshape(4, 12) + 0.01
    assert check_backward(get_activation("gelu"), z, rng) < 1e-6


class Planted(Activation):
    """A unit with its own forward and a deliberately wrong backward."""

    def __init__(self, name: str, wrong_backward):
        self.unit = get_activation(name)
        self.name, self.gated = name, self.unit.gated
        self.wrong_backward = wrong_backward

    def forward(self, z):
        return self.unit.forward(z)

    def backward(self, dh, cache):
        return self.wrong_backward(dh, cache)


def _tanh_without_f_prime(dh, cache):
    return dh.copy()


def _gelu_without_z_phi(dh, cache):  # forgets the z·φ(z) term of Φ(z) + z·φ(z)
    _, Phi = cache
    return dh * Phi


def _glu_without_sigma_prime(dh, cache):  # ∂h/∂g taken as a instead of a ∘ σ(g)(1 − σ(g))
    a, s = cache
    return np.concatenate([dh * s, dh * a], axis=-1)


@pytest.mark.parametrize(
    "name, wrong_backward",
    [
        ("tanh", _tanh_without_f_prime),
        ("gelu", _gelu_without_z_phi),
        ("glu", _glu_without_sigma_prime),
    ],
)
def test_check_catches_a_planted_bug(name, wrong_backward):
    rng = np.random.default_rng(0)
    assert check_backward(Planted(name, wrong_backward), sample_z(name, rng), rng) > 1e-3


# ------------------------------------------------------------------------------- known values


def test_gelu_known_values():
    h, _ = get_activation("gelu").forward(np.array([1.0, -1.0, 0.0, 3.0]))
    assert h[0] == pytest.approx(0.8413447460685429, rel=1e-15)
    assert h[1] == pytest.approx(-0.15865525393145707, rel=1e-15)
    assert h[2] == 0.0
    assert h[3] == pytest.approx(3 * 0.9986501019683699, rel=1e-15)


def test_gelu_matches_math_erf_on_a_grid():
    z = np.linspace(-12.0, 12.0, 2001)
    expected = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in z])
    h, _ = get_activation("gelu").forward(z)
    assert np.max(np.abs(h - expected)) < 1e-14
    h32, _ = get_activation("gelu").forward(z.astype(np.float32))
    assert np.max(np.abs(h32 - expected) / np.maximum(1.0, np.abs(expected))) < 1e-6


def test_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-7.0, 7.0, 20001), [0.46875, -0.46875, 4.0, -4.0, 1e-12]])
    expected = np.array([math.erf(v) for v in x])
    assert np.max(np.abs(erf(x) - expected)) < 5e-16
    assert np.max(np.abs(erf(x.astype(np.float32)) - expected)) < 5e-7
    assert erf(np.array([1e-12]))[0] == pytest.approx(math.erf(1e-12), rel=1e-15)


def test_erf_and_normal_cdf_special_values():
    for dtype in (np.float32, np.float64):
        x = np.array([-np.inf, -1e30, 0.0, 1e30, np.inf, np.nan], dtype)
        assert np.array_equal(erf(x), np.array([-1, -1, 0, 1, 1, np.nan], dtype), equal_nan=True)
        Phi = normal_cdf(x)
        assert np.array_equal(Phi, np.array([0, 0, 0.5, 1, 1, np.nan], dtype), equal_nan=True)
        assert Phi.dtype == dtype


def test_erf_and_normal_cdf_take_scalars_and_integers():
    assert np.shape(erf(0.5)) == () and float(erf(0.5)) == pytest.approx(math.erf(0.5), rel=1e-15)
    assert normal_cdf(np.float32(0.0)).dtype == np.float32
    np.testing.assert_allclose(normal_cdf(np.array([0, 1])), [0.5, 0.8413447460685429], rtol=1e-15)


def test_normal_cdf_keeps_relative_accuracy_in_its_lower_tail():
    z = np.array([-5.0, -10.0, -20.0, -37.0])
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in z])
    assert np.max(np.abs(normal_cdf(z) - expected) / expected) < 1e-12


def test_swish_with_beta_1_is_silu_and_gelu_approx_is_swish_1_702():
    rng = np.random.default_rng(0)
    z, dh = rng.normal(size=(3, 8)), rng.normal(size=(3, 8))
    for a, b in [
        (get_activation("swish", beta=1.0), get_activation("silu")),
        (get_activation("swish", beta=1.702), get_activation("gelu_approx")),
    ]:
        (ha, ca), (hb, cb) = a.forward(z), b.forward(z)
        assert np.array_equal(ha, hb)
        assert np.array_equal(a.backward(dh, ca), b.backward(dh, cb))
    h, _ = get_activation("silu").forward(np.array([1.0]))
    assert h[0] == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-15)


def test_elementwise_known_values():
    z = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    expected = {
        "logistic": 1 / (1 + np.exp(-z)),
        "tanh": np.tanh(z),
        "relu": np.array([[0.0, 0.0, 0.0, 0.5, 2.0]]),
        "leaky_relu": np.array([[-0.02, -0.005, 0.0, 0.5, 2.0]]),
    }
    for name, h_expected in expected.items():
        h, _ = get_activation(name).forward(z)
        np.testing.assert_allclose(h, h_expected, rtol=1e-15)
    h, _ = get_activation("leaky_relu", leak=0.2).forward(z)
    np.testing.assert_allclose(h, [[-0.4, -0.1, 0.0, 0.5, 2.0]], rtol=1e-15)


def test_relu_family_derivative_at_the_kink():
    dh = np.ones((1, 3))
    z = np.array([[-1.0, 0.0, 1.0]])
    relu, leaky = get_activation("relu"), get_activation("leaky_relu", leak=0.1)
    assert np.array_equal(relu.backward(dh, relu.forward(z)[1]), [[0.0, 0.0, 1.0]])
    assert np.array_equal(leaky.backward(dh, leaky.forward(z)[1]), [[0.1, 0.1, 1.0]])


def test_glu_hand_worked_example():
    # a = [1, 2], g = [0, ln 3]: σ(g) = [1/2, 3/4], σ′(g) = σ(1 − σ) = [1/4, 3/16].
    glu = get_activation("glu")
    h, cache = glu.forward(np.array([[1.0, 2.0, 0.0, math.log(3)]]))
    np.testing.assert_allclose(h, [[0.5, 1.5]], rtol=1e-15)
    dz = glu.backward(np.array([[1.0, 10.0]]), cache)
    # [dh ∘ σ(g) | dh ∘ a ∘ σ′(g)] = [1/2, 10·3/4 | 1/4, 10·2·3/16]
    np.testing.assert_allclose(dz, [[0.5, 7.5, 0.25, 3.75]], rtol=1e-15)


def test_swiglu_hand_worked_example():
    # a = 2, g = ln 3, β = 1: σ(g) = 3/4, Swish(g) = (3/4)ln 3, h = (3/2)ln 3;
    # ∂h/∂g = a(σ + Swish·(1 − σ)) = 2(3/4 + (3/16)ln 3).
    swiglu = get_activation("swiglu")
    ln3 = math.log(3)
    h, cache = swiglu.forward(np.array([[2.0, ln3]]))
    np.testing.assert_allclose(h, [[1.5 * ln3]], rtol=1e-15)
    dz = swiglu.backward(np.ones((1, 1)), cache)
    np.testing.assert_allclose(dz, [[0.75 * ln3, 2 * (0.75 + 3 / 16 * ln3)]], rtol=1e-15)


# ------------------------------------------------------------------------- numerics and dtypes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, hyper", UNITS)
def test_no_warnings_at_large_z_and_dtype_preserved(name, hyper, dtype):
    unit = get_activation(name, **hyper)
    z = np.array([[-1000.0, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1000.0, 0.5]], dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        h, cache = unit.forward(z)
        dz = unit.backward(np.ones_like(h), cache)
    assert h.dtype == dtype and dz.dtype == dtype
    assert h.shape == (1, 5 if unit.gated else 10) and dz.shape == z.shape
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(dz))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_limits(dtype):
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    assert s.dtype == dtype
    assert s[0] == 0.0 and s[2] == 0.5 and s[3] == 1.0 and s[4] == 1.0
    assert s[1] == pytest.approx(math.exp(-50), rel=1e-6)


def test_units_track_float64_in_float32():
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3.0, size=(8, 20))
    for name in ACTIVATIONS:
        unit = get_activation(name)
        h64, _ = unit.forward(z)
        h32, _ = unit.forward(z.astype(np.float32))
        assert np.max(np.abs(h32 - h64) / np.maximum(1.0, np.abs(h64))) < 2e-6, name


# --------------------------------------------------------------------------- names and params


def test_unknown_name_raises_value_error_listing_the_known_names():
    with pytest.raises(ValueError, match="unknown activation 'sigmoid'") as caught:
        get_activation("sigmoid")
    for name in ACTIVATIONS:
        assert name in str(caught.value)
    with pytest.raises(ValueError, match="known: logistic"):
        output_width("sigmoid", 10)


@pytest.mark.parametrize("name, hyper", UNITS)
def test_params_round_trip(name, hyper):
    unit = get_activation(name, **hyper)
    assert unit.name == name and unit.params()["name"] == name
    rebuilt = get_activation(**unit.params())
    assert type(rebuilt) is type(unit) and rebuilt.params() == unit.params()
    for key, value in hyper.items():
        assert unit.params()[key] == value


def test_hyperparameters_must_be_finite():
    with pytest.raises(ValueError, match="beta"):
        get_activation("swish", beta=float("nan"))
    with pytest.raises(ValueError, match="leak"):
        get_activation("leaky_relu", leak=float("inf"))


def test_output_width_and_gated_shapes():
    for name in ACTIVATIONS:
        gated = get_activation(name).gated
        assert gated == (name in ("glu", "swiglu"))
        assert output_width(name, 7) == (14 if gated else 7)
    with pytest.raises(ValueError, match="even"):
        get_activation("glu").forward(np.zeros((2, 5)))
