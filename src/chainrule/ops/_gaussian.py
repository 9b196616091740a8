"""The ops on the Gaussian integral, from `_special`'s rational approximations (Cody's) in
float64: erf, erfc, and gelu, x·Φ(x) with Φ the standard normal CDF (and its tanh form).

Each class states its local derivative and returns it from `local()`, written so that
``create_graph=True`` records it. The conventions at the edges (gelu(−inf) is NaN, as in
PyTorch) are tabled in docs/reliability.md.
"""

from __future__ import annotations

import math

import numpy as np

from ._activations import _sigmoid_array, _sigmoid_pair, sigmoid
from ._common import constant, floating, is_tensor
from ._elementwise import Elementwise
from ._exp_log import _k
from ._piecewise import clip
from ._special import _in_float64, cdf, ndtr, pdf
from ._special import erf as _erf_array
from ._special import erfc as _erfc_array

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _gauss(x):
    """e^(−x²) of an array or a Tensor (0 at ±inf, NaN for NaN)."""
    return (-(x * x)).exp() if is_tensor(x) else np.exp(-(x * x))


# ----- the error function ----------------------------------------------------------------
class Erf(Elementwise):
    """erf: d/dx erf x = 2/√π·e^(−x²)."""

    __slots__ = ()

    def forward(self, x):
        x = floating(x)
        self.saved = (x,)
        return _in_float64(_erf_array, x)  # Cody's approximation, within 3 ulp

    def local(self):
        x = self.saved[0]
        return (_gauss(x) * _k(x, _TWO_OVER_SQRT_PI),)


class Erfc(Elementwise):
    """erfc: d/dx erfc x = −2/√π·e^(−x²)."""

    __slots__ = ()

    def forward(self, x):
        x = floating(x)
        self.saved = (x,)
        return _in_float64(_erfc_array, x)  # Cody's approximation, within 7 ulp

    def local(self):
        x = self.saved[0]
        return (_gauss(x) * _k(x, -_TWO_OVER_SQRT_PI),)


class GELU(Elementwise):
    """gelu: d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π); tanh form: d/dx x·σ(t) =
    σ(t) + x·t′·σ(t)·σ(−t), t = 2u = 2√(2/π)(x + 0.044715x³), t′ = 2√(2/π)(1 + 0.134145x²).

    Φ is the standard normal CDF. In the tanh form ½(1 + tanh u) is written σ(2u), the same
    number without the cancellation of 1 + tanh u for u ≪ 0. At ±inf both derivatives are
    ∞·0 = NaN and gelu(−inf) is NaN, as in PyTorch (docs/reliability.md)."""

    __slots__ = ("approximate",)
    quiet = True  # −∞·Φ(−∞) = −∞·0 is NaN (PyTorch's value), without a warning

    def __init__(self, approximate: str = "none"):
        self.approximate = approximate

    def forward(self, x):
        x = floating(x)  # an integer x takes exp's float dtype
        if self.approximate == "tanh":
            self.saved = (x,)
            w = _work(x)
            return (w * _sigmoid_array(_gelu_t(w)[0])).astype(x.dtype, copy=False)
        w = x.astype(np.float64, copy=False)  # Φ in float64 (Cody's erfc), then x's dtype
        phi = ndtr(w)
        # Φ kept for the plain backward; under create_graph local() forms it again, recorded
        # (a saved array that is neither input nor output would be a constant there)
        self.saved = (x, phi.astype(x.dtype, copy=False))
        return (w * phi).astype(x.dtype, copy=False)

    def local(self):
        x = self.saved[0]
        if self.approximate == "tanh":
            return (_gelu_tanh_derivative(x),)
        if is_tensor(x):  # create_graph: Φ and φ recorded (`NormalCDF`, `NormalPDF`)
            return (cdf(x) + x * pdf(x),)
        return (self.saved[1] + x * pdf(x),)  # the same numbers: Φ as `cdf` gives it


#: |x| beyond which the tanh form's σ(t) is exactly 0 or 1 (t = ±1.4e14): x is clipped
#: there inside t, so x³ never overflows (float32 would from |x| = 7e12)
_GELU_CLIP = 1e5
_GELU_K = 2 * np.sqrt(2 / np.pi)  # t = 2u = K·(x + 0.044715x³)
_GELU_C = 0.044715


def _work(x: np.ndarray) -> np.ndarray:
    """x in the dtype the tanh form is computed in: float32 stays float32, the others
    (float16, float64, longdouble) go to float64."""
    return x if x.dtype == np.float32 else x.astype(np.float64, copy=False)


def _gelu_t(x):
    """t = K·(x + 0.044715x³) of x clipped to ±`_GELU_CLIP`, and t′ = K·(1 + 3·0.044715x²)
    (t′ of the clipped x too: beyond the clip σ(t)·σ(−t) is 0); arrays or Tensors."""
    c = clip(x, -_GELU_CLIP, _GELU_CLIP) if is_tensor(x) else np.clip(x, -_GELU_CLIP, _GELU_CLIP)
    dtype = constant(x).dtype
    k, kc, kc3 = (dtype.type(v) for v in (_GELU_K, _GELU_K * _GELU_C, 3 * _GELU_K * _GELU_C))
    square = c * c
    return c * (square * kc + k), square * kc3 + k


def _gelu_tanh_derivative(x):
    """σ(t) + x·t′·σ(t)·σ(−t), σ(−t) computed as itself (1 − σ(t) would round to 0 for
    t ≳ 37 and lose the term). For an array (float32 in float32, the others in float64,
    given back in x's dtype), or a Tensor under create_graph (the same formula,
    recorded)."""
    if is_tensor(x):
        t, dt = _gelu_t(x)
        s, r = sigmoid(t), sigmoid(-t)
        return s + x * dt * s * r
    w = _work(x)
    t, dt = _gelu_t(w)
    s, r = _sigmoid_pair(t)
    return (s + w * dt * s * r).astype(x.dtype, copy=False)


# ----- functions -------------------------------------------------------------------------
def erf(x):
    """The error function erf x = 2/√π·∫₀ˣ e^(−t²) dt elementwise (±1 at ±inf), computed
    in float64 with Cody's rational approximations (`ops._special`) and given back in x's
    dtype. Derivative 2/√π·e^(−x²)."""
    return Erf()(x)


def erfc(x):
    """The complementary error function 1 − erf x elementwise, accurate where erf x is
    close to 1 (erfc(10) = 2.09e-45, where 1 − erf gives 0); computed as `erf`.
    Derivative −2/√π·e^(−x²)."""
    return Erfc()(x)


def gelu(x, *, approximate: str = "none"):
    """x·Φ(x) elementwise (GELU), Φ the standard normal CDF ½(1 + erf(x/√2)), computed as
    ½·erfc(−x/√2) with Cody's rational approximations in float64 (accurate in the negative
    tail: gelu(−10) = −7.62e-23, where ½(1 + erf) gives −0) and given back in x's dtype.
    ``approximate="tanh"``: ½·x·(1 + tanh(√(2/π)(x + 0.044715x³))), computed as x·σ(2u)
    (float32 in float32). As PyTorch's ``F.gelu``: ``approximate`` is keyword-only, "none"
    or "tanh"; gelu(−inf) is NaN and gelu(+inf) is +inf.

    The local derivative is Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π), and for the tanh form
    the chain rule's σ(t) + x·t′·σ(t)·σ(−t) with t = 2√(2/π)(x + 0.044715x³) (see `GELU`);
    both can be differentiated again (create_graph)."""
    check_approximate("gelu", approximate)
    return GELU(approximate)(x)


def check_approximate(who: str, approximate) -> None:
    """Refuse a GELU ``approximate`` other than "none" and "tanh", in PyTorch's words."""
    if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
        raise ValueError(
            f"{who}: approximate argument must be either none or tanh, got {approximate!r}"
        )
