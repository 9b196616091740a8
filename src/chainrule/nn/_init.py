"""Weight initialisers. Each fills a tensor's array in place and returns the tensor. Here:
the checks they share, fans, the plain fills, Xavier's and He's, and `initialise`, which
`Linear`'s ``init=`` names; `calculate_gain` and Kaiming's in `_kaiming.py`,
`trunc_normal_` in `_trunc_normal.py`, `orthogonal_`, `eye_` and `sparse_` in
`_init_matrices.py`.

Writing into ``.data`` records nothing in any graph. Random values come from ``generator``
(a ``numpy.random.Generator``) or, when it is None, from the library's generator, which
`chainrule.manual_seed` seeds. For a weight W of shape (in, out), fan_in = in and
fan_out = out (times the product of any further axes). PyTorch's weights are (out, in)
and its fans read them that way round, so for chainrule's layers both give the same
fans; an array in PyTorch's layout given to these functions has its fans swapped.

PyTorch's names, here and in those modules, have PyTorch's arguments (`kaiming_normal_`,
`trunc_normal_`, `constant_`, `calculate_gain`, ...), except that `normal_`'s std defaults
to 0.01 (the tutorials'), not 1; `he_normal_` and `he_uniform_` are `kaiming_normal_` and
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
