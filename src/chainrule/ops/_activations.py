"""The activation functions: tanh sigmoid relu leaky_relu elu silu softplus (gelu is in
`_gaussian`), and the checks of their settings that `nn` shares (`check_number`,
`check_softplus`).

Each class states its local derivative and returns it from `local()`; sigmoid is fused
because exp(−x) overflows for x ≪ 0. The conventions at the edges (relu'(0) = 0,
elu'(0) = α, silu's limits at ±inf) are tabled in docs/reliability.md.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._common import constant, floating, is_tensor
from ._elementwise import _BITS, Elementwise, Selection, where


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


# ----- functions -------------------------------------------------------------------------
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
