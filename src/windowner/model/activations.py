"""The nonlinearities h = f(z) of lecture 3, each a forward/backward pair with a cache.

Every unit takes z = Wx + b and returns h; backward takes dh = ∂J/∂h and returns δ = dz = ∂J/∂z.
Element-wise units keep the width (dz = dh ∘ f′(z)); gated units split z = [a | g] on the last
axis and return half its width, so their Jacobian is not diagonal, and the same interface holds.
Caches hold references to the forward's arrays: do not modify h in place before backward.
"""

from __future__ import annotations

import math

import numpy as np

ACTIVATIONS: tuple[str, ...] = (
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "gelu",
    "gelu_approx",
    "silu",
    "swish",
    "glu",
    "swiglu",
)

# ------------------------------------------------------------------------------------------------
# Numerics: a stable sigmoid and an erf for arrays (numpy has neither; scipy is not a dependency).
# ------------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """σ(βz) for any z: no overflow warning, no NaN, limits 0 and 1 exact, dtype kept.

    Shapes: z any -> σ(βz) same shape and dtype.
    Math: σ(βz) = 1 / (1 + e^(−βz)). Where e^(−βz) overflows to inf, 1 / (1 + inf) = 0 is the
    right limit, so that overflow is silenced, not avoided; the relative accuracy for z < 0 is the
    same as that of e^(βz) / (1 + e^(βz)), and choosing between the two forms with a mask is ~4×
    slower (np.where on a random mask is slow).
    """
    e = np.multiply(z, -beta)
    with np.errstate(over="ignore"):
        np.exp(e, out=e)
    e += 1.0
    return np.reciprocal(e, out=e)


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969),
# coefficients as in his SPECFUN routine CALERF. Three intervals of a = |x|:
#   a < 0.46875        erf(a)  = a · R₁(a²)
#   0.46875 ≤ a ≤ 4    erfc(a) = e^(−a²) · R₂(a)
#   a > 4              erfc(a) = e^(−a²) / a · (1/√π − R₃(1/a²) / a²)
# Measured in float64 against math.erf and math.erfc on 200,001-point grids: erf within 2.3e-16
# absolute everywhere; erfc within 1.7e-15 relative up to a = 4 and 6e-14 beyond (until erfc
# turns subnormal near a = 26.5). In float32 only R₂ is used, on a clipped to [0, 11]: its own
# error there (5e-12 below 0.46875, 7e-10 relative on [4, 11]) is far under float32's resolution,
# and evaluated in float32 it is within 1.9e-7 of erf and erfc (absolute), as the full scheme is.
# np.frompyfunc(math.erf) was measured at ~0.9 ms on a (32, 300) array, about 10× slower.
_ERF_SMALL = 0.46875
_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_B = (
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_Q = (
    2.56852019228982242e00,
    1.87295284992346725e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_INV_SQRT_PI = 1 / math.sqrt(math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _erfc_nonneg(a: np.ndarray) -> np.ndarray:
    """erfc(a) for a ≥ 0 by Cody's intervals, without per-element branches.

    Shapes: a any float -> erfc(a) same shape and dtype.
    """
    if a.dtype == np.float32:
        return _erfc_middle(np.minimum(a, 11.0))  # erfc(11) = 1e-54 rounds to 0 in float32
    out = _erfc_middle(np.clip(a, _ERF_SMALL, 4.0))  # right wherever 0.46875 ≤ a ≤ 4
    small = _erf_small(np.minimum(a, _ERF_SMALL))  # erf(a) wherever a < 0.46875
    np.subtract(1.0, small, out=small)
    # Select by arithmetic: np.where on a random mask costs as much as the middle interval.
    small -= out
    small *= a < _ERF_SMALL
    out += small
    # The tail is rare in pre-activations, so it is patched only where present.
    tail = a > 4.0
    if tail.any():
        out[tail] = _erfc_tail(a[tail])
    return out


def _erf_small(x: np.ndarray) -> np.ndarray:
    """Shapes: x (...) -> erf(x), for |x| ≤ 0.46875. Math: erf(x) = x · R₁(x²)."""
    y = x * x
    num = y * _A[4]
    den = y + _B[0]
    for A, B in zip(_A[:3], _B[1:], strict=True):
        num += A
        num *= y
        den *= y
        den += B
    num += _A[3]
    num *= x
    num /= den
    return num


def _erfc_middle(x: np.ndarray) -> np.ndarray:
    """Shapes: x (...) -> erfc(x), for 0.46875 ≤ x ≤ 4; overwrites x. Math: e^(−x²) · R₂(x)."""
    num = x * _C[8]
    den = x + _D[0]
    for C, D in zip(_C[:7], _D[1:], strict=True):
        num += C
        num *= x
        den *= x
        den += D
    num += _C[7]
    num /= den
    np.multiply(x, x, out=x)
    np.negative(x, out=x)
    np.exp(x, out=x)
    num *= x
    return num


def _erfc_tail(x: np.ndarray) -> np.ndarray:
    """Shapes: x (...) -> erfc(x), for x > 4. Math: e^(−x²) / x · (1/√π − R₃(1/x²) / x²)."""
    with np.errstate(over="ignore"):  # x² = inf for huge x gives 1/x² = 0 and e^(−x²) = 0: right
        u = 1 / (x * x)
        num = u * _P[5]
        den = u + _Q[0]
        for P, Q in zip(_P[:4], _Q[1:], strict=True):
            num += P
            num *= u
            den *= u
            den += Q
        num += _P[4]
        num *= u
        num /= den
        return np.exp(-x * x) / x * (_INV_SQRT_PI - num)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function on arrays, to ~2e-16 absolute in float64 (Cody's approximation).

    Shapes: x any -> erf(x) same shape and dtype (integers give float64).
    Math: erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt = sign(x) · (1 − erfc(|x|)).
    """
    shape, x = np.shape(x), _float_array(x)
    out = _erfc_nonneg(np.abs(x))
    np.subtract(1.0, out, out=out)
    return np.copysign(out, x, out=out).reshape(shape)


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Φ(z), the standard normal CDF, accurate also in its lower tail.

    Shapes: z any -> Φ(z) same shape and dtype (integers give float64).
    Math: Φ(z) = ½ erfc(−z/√2) = ½(1 + erf(z/√2)); for z > 0 it is 1 − ½ erfc(z/√2).
    """
    shape, z = np.shape(z), _float_array(z)
    a = np.abs(z)
    a *= _INV_SQRT_2
    Phi = _erfc_nonneg(a)
    Phi *= 0.5
    # Φ = ½erfc(|z|/√2) for z ≤ 0 and 1 − ½erfc(|z|/√2) for z > 0, selected by arithmetic.
    flip = np.multiply(Phi, -2.0)
    flip += 1.0
    flip *= z > 0
    Phi += flip
    return Phi.reshape(shape)


def _float_array(x) -> np.ndarray:
    """x as a float array of at least one dimension (ufuncs return scalars for 0-d arrays)."""
    x = np.asarray(x)
    return np.atleast_1d(x if x.dtype.kind == "f" else x.astype(np.float64))


# ------------------------------------------------------------------------------------------------
# The units.
# ------------------------------------------------------------------------------------------------


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
        dz = np.subtract(1.0, h)
        dz *= h
        dz *= dh
        return dz


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
        dz = h * h
        np.subtract(1.0, dz, out=dz)
        dz *= dh
        return dz


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

    def __init__(self, leak: float = 0.01):
        self.leak = _finite(leak, "leak")

    def forward(self, z):
        slope = (z > 0).astype(z.dtype)
        slope *= 1.0 - self.leak
        slope += self.leak
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
        dz = z * z
        dz *= -0.5
        np.exp(dz, out=dz)
        dz *= z
        dz *= _INV_SQRT_2PI
        dz += Phi
        dz *= dh
        return dz


class Swish(Activation):
    """Swish: z gated by its own sigmoid, with slope β inside the sigmoid.

    Shapes: z (N, H) -> h (N, H).
    Math: f(z) = z·σ(βz); f′(z) = σ(βz) + β·z·σ(βz)(1 − σ(βz)) = σ(βz) + β·f(z)(1 − σ(βz)).
    """

    name = "swish"

    def __init__(self, beta: float = 1.0):
        self.beta = _finite(beta, "beta")

    def forward(self, z):
        s = sigmoid(z, self.beta)
        h = z * s
        return h, (h, s)

    def backward(self, dh, cache):
        h, s = cache
        dz = np.subtract(1.0, s)
        dz *= h
        dz *= self.beta
        dz += s
        dz *= dh
        return dz

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
        dg = np.subtract(1.0, s)
        dg *= da
        dg *= a
        return np.concatenate([da, dg], axis=-1)


class SwiGLU(Activation):
    """The Swish-gated linear unit: a = xV + c gated by Swish_β of g = xW + b.

    Shapes: z = [a | g] (N, 2H) -> h (N, H).
    Math: h = a ∘ Swish_β(g), Swish_β(g) = g·σ(βg); ∂h/∂a = Swish_β(g),
    ∂h/∂g = a ∘ (σ(βg) + β·Swish_β(g)(1 − σ(βg))).
    """

    name = "swiglu"
    gated = True

    def __init__(self, beta: float = 1.0):
        self.beta = _finite(beta, "beta")

    def forward(self, z):
        a, g = _halves(z, self.name)
        s = sigmoid(g, self.beta)
        swish = g * s
        return a * swish, (a, s, swish)

    def backward(self, dh, cache):
        a, s, swish = cache
        da = dh * swish
        dg = np.subtract(1.0, s)
        dg *= swish
        dg *= self.beta
        dg += s
        dg *= a
        dg *= dh
        return np.concatenate([da, dg], axis=-1)

    def params(self):
        return {"name": self.name, "beta": self.beta}


_UNITS: dict[str, type[Activation]] = {
    unit.name: unit
    for unit in (Logistic, Tanh, ReLU, LeakyReLU, GELU, GELUApprox, SiLU, Swish, GLU, SwiGLU)
}


def get_activation(name: str, *, leak: float = 0.01, beta: float = 1.0) -> Activation:
    """The unit called `name`; `leak` is used by leaky_relu only, `beta` by swish and swiglu only.

    Raises ValueError, listing the known names, for an unknown one.
    """
    unit = _unit(name)
    if unit is LeakyReLU:
        return LeakyReLU(leak)
    if unit is Swish or unit is SwiGLU:
        return unit(beta)
    return unit()


def output_width(name: str, hidden: int) -> int:
    """How wide z = Wx + b must be for h = f(z) to have `hidden` columns: 2·hidden if gated."""
    if hidden < 1:
        raise ValueError(f"hidden width must be at least 1, got {hidden}")
    return 2 * hidden if _unit(name).gated else hidden


def _unit(name: str) -> type[Activation]:
    if name not in _UNITS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")
    return _UNITS[name]


def _finite(value: float, what: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


def _halves(z: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Split z = [a | g] on the last axis. Shapes: z (N, 2H) -> a (N, H), g (N, H), views."""
    width = z.shape[-1]
    if width % 2:
        raise ValueError(f"{name} splits z into halves [a | g], so its width must be even: {width}")
    return z[..., : width // 2], z[..., width // 2 :]
