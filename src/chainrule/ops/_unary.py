"""Unary elementwise ops: each states its local derivative and returns it from `local()`.

Those whose forward can meet inf or NaN (exp, log, sqrt, sin, cos, cast) set ``quiet = True``:
NumPy's IEEE result, no RuntimeWarning (in backward, the engine sees to it). The conventions
at the edges (sqrt'(0) = +inf, relu'(0) = 0, ...) are tabled in docs/reliability.md.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._dtypes import is_floating, numeric_dtype
from ._common import constant, float_operands, floating, is_tensor, pair
from ._common import cos as _cos
from ._common import sin as _sin
from ._elementwise import _BITS, Elementwise, Selection, Unbounded, where
from ._special import cdf, ndtr, pdf


class Exp(Unbounded):
    """exp: d/dx eˣ = eˣ = out."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        out = np.exp(x)
        self.saved = (out,)
        return out

    def local(self):
        return self.saved


class Log(Unbounded):
    """log: d/dx ln x = 1/x."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        self.saved = (x,)
        return np.log(x)

    def local(self):
        return (1.0 / self.saved[0],)


class Sqrt(Unbounded):
    """sqrt: d/dx √x = 1/(2√x) = 0.5/out (+inf at x = 0)."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        out = np.sqrt(x)
        self.saved = (out,)
        return out

    def local(self):
        return (0.5 / self.saved[0],)


class Abs(Elementwise):
    """abs: d/dx |x| = sign(x), with abs'(0) = 0."""

    __slots__ = ()

    def forward(self, x):
        self.saved = (np.sign(x) if x.dtype.kind != "b" else x,)  # NumPy has no bool sign
        return np.abs(x)

    def local(self):
        return self.saved


class Sin(Elementwise):
    """sin: d/dx sin x = cos x."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        self.saved = (x,)
        return np.sin(x)

    def local(self):
        return (_cos(self.saved[0]),)


class Cos(Elementwise):
    """cos: d/dx cos x = −sin x."""

    __slots__ = ()
    quiet = True

    def forward(self, x):
        self.saved = (x,)
        return np.cos(x)

    def local(self):
        return (-_sin(self.saved[0]),)


class Tanh(Elementwise):
    """tanh: d/dx tanh x = 1 − y² (y = tanh x)."""

    __slots__ = ()

    def forward(self, x):
        out = np.tanh(x)
        self.saved = (out,)
        return out

    def local(self):
        y = self.saved[0]
        return (1.0 - y * y,)


class Sigmoid(Elementwise):
    """sigmoid: d/dx σ(x) = y(1 − y) (y = σ(x)); fused because exp(−x) overflows for x ≪ 0."""

    __slots__ = ()

    def forward(self, x):
        out = _sigmoid_array(floating(x))  # floating: −|x| of uint8 would wrap around
        self.saved = (out,)
        return out

    def local(self):
        y = self.saved[0]
        return (y * (y.dtype.type(1) - y),)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    """σ(x) of a float array without overflow: e = e^(−|x|) is in (0, 1]; σ(x) = 1/(1 + e)
    for x ≥ 0, and e/(1 + e) below."""
    e, r = _sigmoid_parts(x)
    return np.where(x >= 0, r, e * r)


def _sigmoid_pair(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """σ(x) and σ(−x) from one exponential (each as `_sigmoid_array` gives it)."""
    e, r = _sigmoid_parts(x)
    er = e * r
    return np.where(x >= 0, r, er), np.where(x <= 0, r, er)


def _sigmoid_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """e = e^(−|x|), in (0, 1], and 1/(1 + e): σ(±x) is one of r and e·r."""
    e = np.exp(-np.abs(x))
    one = e.dtype.type(1)  # not 1.0, which NumPy 1.x adds to a 0-d float32 in float64
    return e, one / (one + e)


class ReLU(Selection):
    """relu: d/dx max(x, 0) = 1 if x > 0 else 0 (relu'(0) = 0)."""

    __slots__ = ()

    _into = True

    def forward(self, x):
        self.saved = (x,)  # the input, which the node holds anyway: no extra memory
        return np.maximum(x, x.dtype.type(0) if x.dtype.kind == "f" else 0)  # 0: as in Sigmoid

    def local(self):
        return (constant(self.saved[0]) > 0,)

    def backward_into(self, grad_out):
        """backward writing into ``grad_out``, an array the engine allocated and nobody else
        holds (no hook, retain_grad, grad() or explain saw it): one array fewer per step."""
        if grad_out.itemsize not in _BITS:
            return self.backward(grad_out)
        bits = grad_out.view(_BITS[grad_out.itemsize])  # as `selected`: exact 0s
        np.multiply(bits, self.saved[0] > 0, out=bits)
        return (grad_out,)


class LeakyReLU(Elementwise):
    """leaky_relu: d/dx = 1 if x > 0 else negative_slope."""

    __slots__ = ("slope",)
    quiet = True  # slope · x: 0 · (−inf) is NaN, and a slope above 1 can overflow

    def __init__(self, negative_slope: float = 0.01):
        self.slope = negative_slope

    def forward(self, x):
        local = np.where(x > 0, 1.0, self.slope)  # float64; an integer x keeps it (as exp)
        if x.dtype.kind == "f":
            local = local.astype(x.dtype, copy=False)
        self.saved = (local,)
        return x * local

    def local(self):
        return self.saved


class ELU(Elementwise):
    """elu: d/dx = 1 if x > 0 else α·eˣ (elu'(0) = α, as in PyTorch)."""

    __slots__ = ("alpha",)

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def forward(self, x):
        x = floating(x)  # an integer x takes exp's float dtype
        self.saved = (x,)
        below = np.expm1(np.minimum(x, x.dtype.type(0)))  # eˣ − 1, never overflowing
        return np.where(x > 0, x, x.dtype.type(self.alpha) * below)

    def local(self):
        x = self.saved[0]
        if is_tensor(x):  # create_graph: α·eˣ recorded, the mask a constant
            return (where(x.data > 0, 1.0, self.alpha * x.exp()),)
        one, alpha = x.dtype.type(1), x.dtype.type(self.alpha)
        return (np.where(x > 0, one, alpha * np.exp(np.minimum(x, x.dtype.type(0)))),)


class SiLU(Elementwise):
    """silu: d/dx xσ(x) = σ(x)(1 + x(1 − σ(x))), with the limits 1 at +∞ and 0 at −∞."""

    __slots__ = ()

    def forward(self, x):
        x = floating(x)
        self.saved = (x,)
        s = _sigmoid_array(x)
        zero = x.dtype.type(0)
        return np.where(s > 0, x, -zero) * s  # −∞·σ(−∞) = −∞·0 taken as its limit, −0

    def local(self):
        return (_silu_derivative(self.saved[0]),)


def _silu_derivative(x):
    """σ(x)(1 + x(1 − σ(x))), written σ(x) + x·σ(x)·σ(−x): σ(−x) computed as itself, not as
    1 − σ(x), which rounds to 0 for x ≳ 37 and would lose the term. At ±∞ the term is
    ±∞·0, taken as its limit 0 (x is 0 there), so the derivative is 1 at +∞ and 0 at −∞.
    For an array, or a Tensor under create_graph (the same formula, recorded)."""
    if is_tensor(x):
        s, r = sigmoid(x), sigmoid(-x)
        return s + where(np.isinf(x.data), 0.0, x) * s * r
    s, r = _sigmoid_pair(x)
    return s + np.where(np.isinf(x), x.dtype.type(0), x) * s * r


class Softplus(Elementwise):
    """softplus: d/dx (1/β)·ln(1 + e^(βx)) = σ(βx), and 1 where βx > threshold (there the
    output is x itself)."""

    __slots__ = ("beta", "threshold")
    quiet = True  # βx can overflow for |β| > 1, as x · a constant can

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        x = floating(x)
        self.saved = (x,)
        bx = x * x.dtype.type(self.beta)
        soft = np.logaddexp(x.dtype.type(0), bx) / x.dtype.type(self.beta)  # never overflows
        return np.where(bx > self.threshold, x, soft)

    def local(self):
        x = self.saved[0]
        beta = self.beta
        if is_tensor(x):  # create_graph: σ(βx) recorded, the mask a constant
            linear = x.data * x.data.dtype.type(beta) > self.threshold
            return (where(linear, 1.0, sigmoid(x * beta)),)
        bx = x * x.dtype.type(beta)
        return (np.where(bx > self.threshold, x.dtype.type(1), _sigmoid_array(bx)),)


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


class Clip(Selection):
    """clip: d/dx clip(x, lo, hi) = 1 for lo ≤ x ≤ hi, else 0."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo=None, hi=None):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        out = np.clip(x, self.lo, self.hi)
        mask = np.ones(out.shape, dtype=bool)  # array bounds may broadcast x, as in NumPy
        if self.lo is not None:
            mask &= x >= self.lo
        if self.hi is not None:
            mask &= x <= self.hi
        self.saved = (mask,)
        return out

    def local(self):
        return self.saved


class Cast(Elementwise):
    """cast: d/dx x = 1; the gradient is cast back to the input's dtype.

    A cast to an integer or bool dtype has no gradient: its output is outside the graph, as
    in PyTorch."""

    __slots__ = ("dtype",)
    quiet = True  # a float64 beyond float32's range becomes ±inf

    def __init__(self, dtype):
        self.dtype = numeric_dtype(dtype, "cast")  # a tensor holds numbers, as in `as_array`

    def __call__(self, x):
        if not is_floating(self.dtype) and is_tensor(x):
            x = x.detach()  # the graph ends here
        return super().__call__(x)

    def forward(self, x):
        return x.astype(self.dtype)

    def local(self):
        return (1.0,)

    def backward(self, grad_out):
        return (grad_out.astype(self.inputs[0].dtype),)


# ----- functions -------------------------------------------------------------------------
def exp(x):
    """eˣ elementwise."""
    return Exp()(x)


def log(x):
    """Natural logarithm elementwise."""
    return Log()(x)


def sqrt(x):
    """Square root elementwise."""
    return Sqrt()(x)


def abs(x):
    """|x| elementwise."""
    return Abs()(x)


def sin(x):
    """sin x elementwise."""
    return Sin()(x)


def cos(x):
    """cos x elementwise."""
    return Cos()(x)


def tanh(x):
    """Hyperbolic tangent elementwise."""
    return Tanh()(x)


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + e⁻ˣ), computed without overflow."""
    return Sigmoid()(x)


def relu(x):
    """max(x, 0) elementwise."""
    return ReLU()(x)


def leaky_relu(x, negative_slope: float = 0.01):
    """x for x > 0, negative_slope · x otherwise. The slope is a constant real number (as in
    `nn.LeakyReLU`): an array would broadcast ``x`` to another shape, and a tensor would
    get no gradient."""
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
        raise ValueError(f"leaky_relu: negative_slope must be a number, got {negative_slope!r}")
    return LeakyReLU(negative_slope)(x)


def elu(x, alpha: float = 1.0):
    """x for x > 0, α·(eˣ − 1) otherwise (computed with expm1, exact near 0). ``alpha`` is a
    constant finite number, as in `nn.ELU`."""
    check_number("elu", "alpha", alpha)
    return ELU(alpha)(x)


def silu(x):
    """x·σ(x) elementwise (SiLU, also called swish), finite for every finite x: 0 at −∞."""
    return SiLU()(x)


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


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    """(1/β)·ln(1 + e^(βx)) elementwise, computed without overflow (softplus(−40) is
    4.25e-18, not 0), and x itself where βx > ``threshold``, as in PyTorch. ``beta`` is a
    nonzero finite number, ``threshold`` a number (constants, as in `nn.Softplus`)."""
    check_softplus("softplus", beta, threshold)
    return Softplus(beta, threshold)(x)


def check_softplus(who: str, beta, threshold) -> None:
    """Refuse a softplus setting: ``beta`` must be a nonzero finite number, ``threshold`` a
    number (infinite allowed: +inf never takes the linear branch), not NaN."""
    check_number(who, "beta", beta)
    check_number(who, "threshold", threshold, finite=False)
    if beta == 0:
        raise ValueError(f"{who}: beta must not be 0 (the output would be ln 2 / 0)")


def check_number(op: str, name: str, value, finite: bool = True) -> None:
    """Refuse a setting that is not a real number (bool included), NaN, or (when ``finite``)
    infinite: an array would broadcast x to another shape, and a tensor get no gradient."""
    real = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if not real or value != value or (finite and not np.isfinite(value)):
        kind = "a finite number" if finite else "a number, not NaN"
        raise ValueError(f"{op}: {name} must be {kind}, got {value!r}")


def clip(x, lo=None, hi=None, *, min=None, max=None):
    """Limit values to [lo, hi] (either bound may be None); the bounds are constants.
    ``min=`` and ``max=`` are the same bounds by the names PyTorch and NumPy 2 use."""
    lo, hi = _named_bound(lo, min, "lo", "min"), _named_bound(hi, max, "hi", "max")
    x, lo = _bound(lo, "lo", x)
    x, hi = _bound(hi, "hi", x)
    return Clip(lo, hi)(x)


def _named_bound(b, keyword, name: str, alias: str):
    """The bound given by position (or as ``name``) or as ``alias``; both is an error."""
    if keyword is None:
        return b
    if b is not None:
        raise TypeError(f"clip: the bound {name} was given twice, as {name} and as {alias}=")
    return keyword


def _bound(b, name: str, x) -> tuple:
    """``x`` and a bound of clip as NumPy takes it, both as a binary op's operands: a number
    (a 0-d Tensor's, a NumPy scalar) as `pair` gives it, a 0-d array of a float tensor's
    dtype (NumPy 1.x would clip a 0-d float32 x by a Python number in float64); a list or
    tuple of numbers, and an array of integers, in a float tensor's dtype. An integer tensor
    with a floating bound takes the bound's float dtype (a Python float's: the default), as
    it does in `maximum`."""
    if is_tensor(b):
        if b.requires_grad:
            raise TypeError(
                f"clip: the bound {name} requires grad, but clip's bounds are constants; "
                "use cr.maximum(x, lo) and cr.minimum(x, hi) to differentiate them too"
            )
        b = b.data
    if isinstance(b, (np.ndarray, np.generic)) and b.ndim == 0 and b.dtype.kind in "biuf":
        b = b.item()
    if (type(b) in (int, float) or isinstance(b, (list, tuple))) and is_tensor(x):
        return pair(x, b)  # a list of numbers takes a float tensor's dtype, as in `maximum`
    if isinstance(b, np.ndarray) and is_tensor(x):
        return float_operands((x, b))
    return x, b


def cast(x, dtype):
    """x converted to ``dtype``; differentiable between floating dtypes."""
    return Cast(dtype)(x)
