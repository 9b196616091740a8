"""Weight initialisers. Each fills a tensor's array in place and returns the tensor.

Writing into ``.data`` records nothing in any graph. Random values come from ``generator``
(a ``numpy.random.Generator``) or, when it is None, from the library's generator, which
`chainrule.manual_seed` seeds. For a weight W of shape (in, out), fan_in = in and
fan_out = out (times the product of any further axes). PyTorch's weights are (out, in)
and its fans read them that way round, so for chainrule's layers both give the same
fans; an array in PyTorch's layout given to these functions has its fans swapped.

PyTorch's names are here with PyTorch's arguments (`kaiming_normal_`, `trunc_normal_`,
`constant_`, `calculate_gain`, ...), except that `normal_`'s std defaults to 0.01 (the
tutorials'), not 1; `he_normal_` and `he_uniform_` are `kaiming_normal_` and
`kaiming_uniform_` with their defaults.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._generator import generator_or_default as _rng
from .._tensor import Tensor


def _target(fn: str, t, random: bool = True) -> np.ndarray:
    """``t``'s array, once ``t`` is known to be a Tensor, of a floating dtype if random
    values go into it; checked before anything is written."""
    if not isinstance(t, Tensor):
        raise TypeError(
            f"{fn}: expects a Tensor (such as a layer's weight), got a {type(t).__name__}"
        )
    if random and t.dtype.kind != "f":
        raise TypeError(f"{fn}: random values need a floating tensor, got dtype {t.dtype}")
    return t.data


def _draw_dtype(dtype: np.dtype) -> type:
    # NumPy draws float32 and float64 directly; anything else is drawn in float64 and cast
    return np.float32 if dtype == np.float32 else np.float64


def _finite(fn: str, **values) -> None:
    """Each value a finite real number, or a ValueError naming ``fn`` and the argument."""
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
            raise ValueError(f"{fn}: {name} must be a finite number, got {v!r}")


def _check_gain(fn: str, gain: float) -> None:
    """A gain is a finite number >= 0; a bad one is named as the gain, not as the std or
    the range it would make."""
    _finite(fn, gain=gain)
    if gain < 0:
        raise ValueError(f"{fn}: gain must be >= 0, got {gain}")


def _nothing_to_fill(t: Tensor, generator: np.random.Generator | None) -> bool:
    """Whether ``t`` has no elements, so that a fan may be 0 and nothing is drawn (PyTorch
    also leaves such a tensor as it is, with a warning); the generator is still checked."""
    _rng(generator)
    return t.size == 0


def fans(t: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (in, out, ...)."""
    if t.ndim < 2:
        raise ValueError(
            f"fan-in and fan-out need a weight with at least 2 axes, but the shape is {t.shape}"
        )
    receptive = math.prod(t.shape[2:])
    return t.shape[0] * receptive, t.shape[1] * receptive


def normal_(
    t: Tensor, mean: float = 0.0, std: float = 0.01, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill ``t`` with samples of N(mean, std²); the tutorials' default std is 0.01."""
    a = _target("normal_", t)
    _finite("normal_", mean=mean, std=std)
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    a[...] = _rng(generator).standard_normal(a.shape, dtype=_draw_dtype(a.dtype))
    a *= std
    a += mean
    return t


def uniform_(
    t: Tensor, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill ``t`` with samples of the uniform distribution on [a, b)."""
    arr = _target("uniform_", t)
    _finite("uniform_", a=a, b=b)
    if a > b:
        raise ValueError(f"uniform_: the range [a, b) needs a <= b, got a={a} > b={b}")
    arr[...] = _rng(generator).random(arr.shape, dtype=_draw_dtype(arr.dtype))
    arr *= b - a
    arr += a
    return t


def xavier_normal_(
    t: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Xavier/Glorot normal: std = gain · √(2 / (fan_in + fan_out)) (for tanh, sigmoid)."""
    _target("xavier_normal_", t)
    _check_gain("xavier_normal_", gain)
    fan_in, fan_out = fans(t)
    if _nothing_to_fill(t, generator):
        return t
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def xavier_uniform_(
    t: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Xavier/Glorot uniform on ±gain · √(6 / (fan_in + fan_out))."""
    _target("xavier_uniform_", t)
    _check_gain("xavier_uniform_", gain)
    fan_in, fan_out = fans(t)
    if _nothing_to_fill(t, generator):
        return t
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, generator)


def he_normal_(t: Tensor, generator: np.random.Generator | None = None) -> Tensor:
    """He/Kaiming normal (fan_in): std = √(2 / fan_in), for ReLU networks."""
    _target("he_normal_", t)
    fan_in = fans(t)[0]
    if _nothing_to_fill(t, generator):
        return t
    return normal_(t, 0.0, math.sqrt(2.0 / fan_in), generator)


def he_uniform_(t: Tensor, generator: np.random.Generator | None = None) -> Tensor:
    """He/Kaiming uniform (fan_in) on ±√(6 / fan_in): the same variance, 2 / fan_in."""
    _target("he_uniform_", t)
    fan_in = fans(t)[0]
    if _nothing_to_fill(t, generator):
        return t
    bound = math.sqrt(6.0 / fan_in)
    return uniform_(t, -bound, bound, generator)


_GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    **dict.fromkeys(
        ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"],
        1.0,
    ),
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain for a nonlinearity: 1 for "linear", "identity", the
    convolutions' names and "sigmoid", 5/3 for "tanh", √2 for "relu", 3/4 for "selu", and
    √(2 / (1 + slope²)) for "leaky_relu" (``param`` is the negative slope, 0.01 if None)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        _finite("calculate_gain", param=slope)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in _GAINS:
        names = ", ".join(map(repr, [*_GAINS, "leaky_relu"]))
        raise ValueError(
            f"calculate_gain: unknown nonlinearity {nonlinearity!r}: use one of {names}"
        )
    return _GAINS[nonlinearity]


def _kaiming_std(fn: str, t: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    """gain / √fan, the fan chosen by ``mode``, for the Kaiming initialisers."""
    _target(fn, t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    gain = calculate_gain(nonlinearity, a)
    fan_in, fan_out = fans(t)
    fan = fan_in if mode == "fan_in" else fan_out
    return gain / math.sqrt(fan) if fan else 0.0  # fan 0: an empty tensor, nothing drawn


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Kaiming/He normal, as PyTorch's: std = gain / √fan, with fan = fan_in (the default,
    keeping the forward pass's variance) or fan_out (``mode``), and gain from
    `calculate_gain` (``a`` is the negative slope of a leaky ReLU; the defaults give
    √2, for ReLU). fan_in and fan_out are chainrule's: a Linear weight is (in, out), so
    fan_in is its first axis, where PyTorch's (out, in) weight has it second; on the same
    layer both libraries draw with the same std."""
    std = _kaiming_std("kaiming_normal_", t, a, mode, nonlinearity)
    if _nothing_to_fill(t, generator):
        return t
    return normal_(t, 0.0, std, generator)


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Kaiming/He uniform, as PyTorch's: uniform on ±√3 · gain / √fan, the variance of
    `kaiming_normal_` with the same arguments (fans as there: a weight is (in, out))."""
    std = _kaiming_std("kaiming_uniform_", t, a, mode, nonlinearity)
    if _nothing_to_fill(t, generator):
        return t
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, generator)


def trunc_normal_(
    t: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill ``t`` with samples of N(mean, std²) truncated to [a, b]: a value outside is
    drawn again until it falls inside, so the values are exactly that distribution (the
    std of the result is below ``std``; a and b are values, not multiples of std, as in
    PyTorch). The bounds are checked on the values in ``t``'s dtype, so rounding to
    float32 cannot push one outside. An interval holding less than 0.01% of the normal
    distribution is refused (it would take too many draws): move ``mean`` or widen it."""
    arr = _target("trunc_normal_", t)
    _finite("trunc_normal_", mean=mean, std=std, a=a, b=b)
    if std < 0 or a >= b:
        raise ValueError(f"trunc_normal_: needs std >= 0 and a < b, got std={std}, a={a}, b={b}")
    inside = _mass_in_dtype(mean, std, a, b, arr.dtype)
    if inside < _LEAST_MASS:
        raise ValueError(
            f"trunc_normal_: [{a}, {b}] holds {inside:.3g} of N({mean}, {std}²) once drawn "
            f"in {arr.dtype}, too little to draw from by rejection: move the mean or widen "
            "the interval"
        )
    rng = _rng(generator)
    flat = arr.reshape(-1)  # a view of a contiguous array, else a copy written back below
    filled = 0
    while filled < flat.size:
        need = flat.size - filled
        # enough draws that one round usually fills the rest, but never a huge array
        draws = rng.normal(mean, std, min(int(need / inside * 1.1) + 16, _MOST_DRAWS))
        with np.errstate(over="ignore"):  # a draw beyond float16's range: inf, rejected
            draws = draws.astype(arr.dtype)
        exact = draws.astype(np.float64)  # compared in float64: a float32 b is rounded
        kept = draws[(exact >= a) & (exact <= b)][:need]
        flat[filled : filled + kept.size] = kept
        filled += kept.size
    if not np.shares_memory(flat, arr):
        arr[...] = flat.reshape(arr.shape)
    return t


_LEAST_MASS = 1e-4  # the share of N(mean, std²) that trunc_normal_'s [a, b] must hold
_MOST_DRAWS = 1 << 22  # draws per round of trunc_normal_ (32 MB of float64)


def _mass_in_dtype(mean: float, std: float, a: float, b: float, dtype: np.dtype) -> float:
    """The share of N(mean, std²) whose draws, rounded to ``dtype``, land in [a, b]. The
    values are drawn in float64 and rounded, so this is the mass between the rounding
    edges of the smallest and largest ``dtype`` values in [a, b]: 0 when no value of the
    dtype lies there (an interval narrower than its spacing, or beyond its range), where
    the mass of [a, b] itself would let rejection draw for ever."""
    with np.errstate(over="ignore"):  # beyond the dtype's range: ±inf, then stepped back
        lo, hi = np.asarray([a, b]).astype(dtype)
    # compared as Python floats: NumPy 2 would round a Python float to float16 first
    lo = lo if float(lo) >= a else np.nextafter(lo, dtype.type(np.inf))
    hi = hi if float(hi) <= b else np.nextafter(hi, dtype.type(-np.inf))
    if not lo <= hi:
        return 0.0
    if std == 0:  # every draw is the mean, rounded
        with np.errstate(over="ignore"):
            return 1.0 if lo <= np.asarray(mean).astype(dtype) <= hi else 0.0
    return _normal_mass(mean, std, _rounding_edge(lo, -np.inf), _rounding_edge(hi, np.inf))


def _rounding_edge(v: np.generic, toward: float) -> float:
    """Where float64 values stop rounding to ``v`` on the side of ``toward``: halfway to
    the next value of v's dtype (past its largest finite value, halfway to one more step)."""
    with np.errstate(over="ignore"):  # past the largest finite value: inf, handled below
        step = float(np.nextafter(v, v.dtype.type(toward)))
    if math.isinf(step):
        step = 2 * float(v) - float(np.nextafter(v, v.dtype.type(-toward)))
    return (float(v) + step) / 2


def _normal_mass(mean: float, std: float, a: float, b: float) -> float:
    """P(a <= X <= b) for X ~ N(mean, std²), std > 0."""
    z = std * math.sqrt(2.0)
    return 0.5 * (math.erf((b - mean) / z) - math.erf((a - mean) / z))


def orthogonal_(
    t: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill ``t`` with gain times a (semi-)orthogonal matrix (Saxe et al., 2013), as
    PyTorch's: ``t`` viewed as (rows, cols) = (shape[0], product of the other axes) is
    Q of the QR factorisation of a standard normal matrix (of its transpose when rows <
    cols), each column of Q multiplied by the sign of R's diagonal so that Q is uniformly
    (Haar) distributed. So QᵀQ = gain²·I when rows >= cols, QQᵀ = gain²·I otherwise. The
    factorisation runs in float64 whatever ``t``'s dtype. ``t`` needs at least 2 axes."""
    arr = _target("orthogonal_", t)
    _finite("orthogonal_", gain=gain)
    if t.ndim < 2:
        raise ValueError(
            "orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
            f"{t.shape}"
        )
    if _nothing_to_fill(t, generator):
        return t
    rows = t.shape[0]
    flat = _rng(generator).standard_normal((rows, t.size // rows))  # (rows, cols)
    q = _haar(flat.T).T if rows < flat.shape[1] else _haar(flat)
    arr[...] = (gain * q).reshape(arr.shape)
    return t


def _haar(m: np.ndarray) -> np.ndarray:
    """Q of m = QR for a tall ``m``, its columns' signs set by R's diagonal (Mezzadri,
    2007: without this Q is not uniformly distributed)."""
    q, r = np.linalg.qr(m)
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def eye_(t: Tensor) -> Tensor:
    """Fill the 2-D ``t`` with the identity matrix (ones on the diagonal of a rectangle too),
    as PyTorch's: a Linear weight (in, out) then passes the first min(in, out) inputs
    through unchanged, as PyTorch's (out, in) one does."""
    arr = _target("eye_", t, random=False)
    if t.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape {t.shape}")
    arr[...] = np.eye(*arr.shape, dtype=arr.dtype)
    return t


def sparse_(
    t: Tensor,
    sparsity: float,
    std: float = 0.01,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Sparse initialisation (Martens, 2010), as PyTorch's: values of N(0, std²), then in
    each row of the 2-D ``t`` ⌈sparsity · cols⌉ of them, at random, set to 0. Rows, as
    fans are read: a Linear weight here is (in, out), so each input keeps the share
    1 − sparsity of its outgoing weights, as each column of PyTorch's (out, in) weight
    does on the same layer. ``sparsity`` is in [0, 1)."""
    arr = _target("sparse_", t)
    if t.ndim != 2:
        raise ValueError(
            f"sparse_: only tensors with 2 dimensions are supported, got shape {t.shape}"
        )
    _finite("sparse_", sparsity=sparsity, std=std)
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparse_: sparsity must be in [0, 1), got {sparsity}")
    if std < 0:
        raise ValueError(f"sparse_: std must be >= 0, got {std}")
    rng = _rng(generator)
    normal_(t, 0.0, std, rng)
    rows, cols = arr.shape
    # each row's columns in a random order; its first ⌈sparsity · cols⌉ are zeroed
    zeroed = np.argsort(rng.random((rows, cols)), axis=1)[:, : math.ceil(sparsity * cols)]
    arr[np.arange(rows)[:, None], zeroed] = 0
    return t


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill ``t`` with ``val``, a number its dtype holds (an integer for an integer tensor;
    for a floating one any float, inf and NaN included, but not a finite number beyond
    its range)."""
    arr = _target("constant_", t, random=False)
    if isinstance(val, (bool, np.bool_)) or not isinstance(val, numbers.Real):
        raise TypeError(f"constant_: val must be a real number, got {val!r}")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # judged below, by comparison
            cast = np.asarray(val).astype(arr.dtype)
    except OverflowError:  # an int beyond int64 (NumPy holds it as an object)
        cast = None
    exact = cast is not None and (
        cast == val if arr.dtype.kind != "f" else np.isfinite(cast) or not math.isfinite(val)
    )
    if not exact:
        raise ValueError(f"constant_: a tensor of dtype {arr.dtype} cannot hold {val!r}")
    arr.fill(cast)
    return t


def zeros_(t: Tensor) -> Tensor:
    """Fill ``t`` with 0."""
    _target("zeros_", t, random=False).fill(0)
    return t


def ones_(t: Tensor) -> Tensor:
    """Fill ``t`` with 1."""
    _target("ones_", t, random=False).fill(1)
    return t


def _small_uniform(t: Tensor, generator: np.random.Generator | None = None) -> Tensor:
    return uniform_(t, -0.05, 0.05, generator)  # Keras's RandomUniform default


def _zeros(t: Tensor, generator: np.random.Generator | None = None) -> Tensor:
    return zeros_(t)


_BY_NAME = {
    "he": he_normal_,
    "he_normal": he_normal_,
    "he_uniform": he_uniform_,
    "xavier": xavier_normal_,
    "xavier_normal": xavier_normal_,
    "xavier_uniform": xavier_uniform_,
    "normal": normal_,
    "uniform": _small_uniform,
    "zeros": _zeros,
}


def initialise(t: Tensor, init, generator: np.random.Generator | None = None) -> Tensor:
    """Apply ``init``: a name ("he", "xavier", "normal" for std 0.01, "he_uniform",
    "xavier_uniform", "uniform" on ±0.05, "zeros", ...) or a positive number (a Python or
    NumPy number), the std of a zero-mean normal."""
    if isinstance(init, numbers.Real) and not isinstance(init, (bool, np.bool_)):
        if not math.isfinite(init) or init <= 0:
            raise ValueError(f"init: a standard deviation must be positive and finite, got {init}")
        return normal_(t, 0.0, float(init), generator)
    fn = _BY_NAME.get(init) if isinstance(init, str) else None
    if fn is None:
        raise ValueError(
            f"unknown init {init!r}: use one of {', '.join(map(repr, _BY_NAME))} "
            "or a number (the std of a normal distribution)"
        )
    return fn(t, generator=_rng(generator))  # checked even where no number is drawn
