"""The nonlinearities h = f(z) of lecture 3, each a forward/backward pair with a cache.

Every unit takes z = Wx + b and returns h; backward takes dh = ∂J/∂h and returns δ = dz = ∂J/∂z.
Element-wise units keep the width (dz = dh ∘ f′(z)); gated units split z = [a | g] on the last
axis and return half its width, so their Jacobian is not diagonal, and the same interface holds.
Caches hold references to the forward's arrays: do not modify h in place before backward.
"""

from __future__ import annotations

import numpy as np

from windowner.choices import (
    ACTIVATIONS,
    DEFAULT_BETA,
    DEFAULT_LEAK,
    HYPERPARAMETERS,
    check_hyperparameter,
)
from windowner.model.numerics import INV_SQRT_2PI, normal_cdf, sigmoid


class Activation:
    """A nonlinearity h = f(z) as a forward/backward pair with a cache.

    Shapes: z (N, H) -> h (N, H); gated units: z (N, 2H) -> h (N, H). dh is h's shape, dz z's.
    Math: element-wise units give δ = dz = dh ∘ f′(z); gated ones [dh ∘ ∂h/∂a | dh ∘ ∂h/∂g].
    """

    name: str = ""
    gated: bool = False

    def forward(self, z: np.ndarray) -> tuple[np.ndarray, object]:
        """Shapes: z (N, H) or (N, 2H) if gated -> h (N, H), cache."""
        raise NotImplementedError

    def backward(self, dh: np.ndarray, cache) -> np.ndarray:
        """Shapes: dh (N, H) -> dz, the shape of the forward's z."""
        raise NotImplementedError

    def params(self) -> dict:
        """The name and hyperparameters: get_activation(**a.params()) rebuilds a."""
        return {"name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items() if k != "name")
        return f"{type(self).__name__}({args})"


class Logistic(Activation):
    """The logistic sigmoid.

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = σ(z) = 1 / (1 + e^(−z)); f′(z) = σ(z)(1 − σ(z)).
    """

    name = "logistic"

    def forward(self, z):
        h = sigmoid(z)
        return h, h

    def backward(self, dh, cache):
        h = cache
        return (1.0 - h) * h * dh


class Tanh(Activation):
    """The hyperbolic tangent.

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = tanh z; f′(z) = 1 − tanh² z.
    """

    name = "tanh"

    def forward(self, z):
        h = np.tanh(z)
        return h, h

    def backward(self, dh, cache):
        h = cache
        return (1.0 - h * h) * dh


class ReLU(Activation):
    """The rectified linear unit.

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = max(0, z); f′(z) = 1 if z > 0 else 0 (0 taken at the kink z = 0).
    """

    name = "relu"

    def forward(self, z):
        h = np.maximum(z, 0.0)
        return h, h

    def backward(self, dh, cache):
        h = cache
        return dh * (h > 0)


class LeakyReLU(Activation):
    """The leaky ReLU: a small slope `leak` instead of 0 for negative z.

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = z if z > 0 else leak·z; f′(z) = 1 if z > 0 else leak (leak at z = 0).
    """

    name = "leaky_relu"

    def __init__(self, leak: float = DEFAULT_LEAK):
        self.leak = float(check_hyperparameter("leak", leak))

    def forward(self, z):
        slope = np.where(z > 0, z.dtype.type(1.0), z.dtype.type(self.leak))
        return z * slope, slope

    def backward(self, dh, cache):
        slope = cache
        return dh * slope

    def params(self):
        return {"name": self.name, "leak": self.leak}


class GELU(Activation):
    """The Gaussian error linear unit, exact: z weighted by the normal CDF Φ (erf above).

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = z·Φ(z), Φ(z) = ½(1 + erf(z/√2)); f′(z) = Φ(z) + z·φ(z), φ(z) = e^(−z²/2)/√(2π).
    """

    name = "gelu"

    def forward(self, z):
        Phi = normal_cdf(z)
        return z * Phi, (z, Phi)

    def backward(self, dh, cache):
        z, Phi = cache
        # f′(z) = Φ(z) + z·φ(z), in the order of the float32 runs the figures come from
        return (Phi + np.exp(z * z * -0.5) * z * INV_SQRT_2PI) * dh


class Swish(Activation):
    """Swish: z gated by its own sigmoid, with slope β inside the sigmoid.

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = z·σ(βz); f′(z) = σ(βz) + β·z·σ(βz)(1 − σ(βz)) = σ(βz) + β·f(z)(1 − σ(βz)).
    """

    name = "swish"

    def __init__(self, beta: float = DEFAULT_BETA):
        self.beta = float(check_hyperparameter("beta", beta))

    def forward(self, z):
        s = sigmoid(z, self.beta)
        h = z * s
        return h, (h, s)

    def backward(self, dh, cache):
        h, s = cache
        return (s + (1.0 - s) * h * self.beta) * dh

    def params(self):
        return {"name": self.name, "beta": self.beta}


class SiLU(Swish):
    """The sigmoid linear unit: Swish with β = 1.

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = z·σ(z); f′(z) = σ(z) + f(z)(1 − σ(z)).
    """

    name = "silu"

    def __init__(self):
        super().__init__(1.0)

    def params(self):
        return {"name": self.name}


class GELUApprox(Swish):
    """GELU's sigmoid approximation Φ(z) ≈ σ(1.702z): Swish with β = 1.702.

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = z·σ(1.702z); f′(z) = σ(1.702z) + 1.702·f(z)(1 − σ(1.702z)).
    """

    name = "gelu_approx"

    def __init__(self):
        super().__init__(1.702)

    def params(self):
        return {"name": self.name}


class GLU(Activation):
    """The gated linear unit: a linear half a = xV + c gated by σ of the other, g = xW + b.

    Shapes: z = [a | g] (N, 2H) -> h (N, H).
    Math: h = a ∘ σ(g); ∂h/∂a = σ(g), ∂h/∂g = a ∘ σ(g)(1 − σ(g)) (both diagonal, per half).
    """

    name = "glu"
    gated = True

    def forward(self, z):
        a, g = _halves(z, self.name)
        s = sigmoid(g)
        return a * s, (a, s)

    def backward(self, dh, cache):
        a, s = cache
        da = dh * s
        dg = (1.0 - s) * da * a  # dh ∘ a ∘ σ(g)(1 − σ(g)), reusing da = dh ∘ σ(g)
        return np.concatenate([da, dg], axis=-1)


class SwiGLU(Activation):
    """The Swish-gated linear unit: a = xV + c gated by Swish_β of g = xW + b.

    Shapes: z = [a | g] (N, 2H) -> h (N, H).
    Math: h = a ∘ Swish_β(g), Swish_β(g) = g·σ(βg); ∂h/∂a = Swish_β(g),
    ∂h/∂g = a ∘ (σ(βg) + β·Swish_β(g)(1 − σ(βg))).
    """

    name = "swiglu"
    gated = True

    def __init__(self, beta: float = DEFAULT_BETA):
        self.beta = float(check_hyperparameter("beta", beta))

    def forward(self, z):
        a, g = _halves(z, self.name)
        s = sigmoid(g, self.beta)
        swish = g * s
        return a * swish, (a, s, swish)

    def backward(self, dh, cache):
        a, s, swish = cache
        da = dh * swish
        dg = (s + (1.0 - s) * swish * self.beta) * a * dh
        return np.concatenate([da, dg], axis=-1)

    def params(self):
        return {"name": self.name, "beta": self.beta}


_UNITS: dict[str, type[Activation]] = {
    unit.name: unit
    for unit in (Logistic, Tanh, ReLU, LeakyReLU, GELU, GELUApprox, SiLU, Swish, GLU, SwiGLU)
}


assert tuple(_UNITS) == ACTIVATIONS, "windowner.choices.ACTIVATIONS and these must agree"
# Each unit's hyperparameters, their defaults and rules are windowner.choices.HYPERPARAMETERS.


def hyperparameters(name: str) -> dict[str, float]:
    """The hyperparameters unit `name` takes, with their defaults ({} for most units)."""
    _unit(name)
    return dict(HYPERPARAMETERS.get(name, {}))


def get_activation(name: str, **given: float) -> Activation:
    """The unit called `name`, with those of the `given` hyperparameters it takes (others are
    ignored: a config holds leak and beta whatever the unit).

    Raises ValueError, listing the known names, for an unknown name or a value out of range.
    """
    unit = _unit(name)
    values = {
        key: check_hyperparameter(key, given.get(key, default))
        for key, default in HYPERPARAMETERS.get(name, {}).items()
    }
    return unit(**values)


def output_width(name: str, hidden: int) -> int:
    """How wide z = Wx + b must be for h = f(z) to have `hidden` columns: 2·hidden if gated."""
    if hidden < 1:
        raise ValueError(f"hidden width must be at least 1, got {hidden}")
    return 2 * hidden if _unit(name).gated else hidden


def _unit(name: str) -> type[Activation]:
    if name not in _UNITS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return _UNITS[name]


def _halves(z: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Split z = [a | g] on the last axis. Shapes: z (N, 2H) -> a (N, H), g (N, H), views."""
    width = z.shape[-1]
    if width % 2:
        raise ValueError(f"{name} splits z into halves [a | g], so its width must be even: {width}")
    return z[..., : width // 2], z[..., width // 2 :]
