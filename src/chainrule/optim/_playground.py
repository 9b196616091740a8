"""`playground`: the optimizers that train networks, run on a function of two variables.

The point (x, y) is two scalar parameters; each step is what a training step is —
``zero_grad()``, f(x, y), ``backward()``, ``step()`` — so the paths drawn are the real
optimizers' paths, with gradients from chainrule's own autodiff. Built-in functions:

    "x2/20+y2"    f = x²/20 + y²                  the tutorials' elongated bowl; minimum (0, 0)
    "rosenbrock"  f = (1 − x)² + 100·(y − x²)²    a curved valley; minimum (1, 1)
    "saddle"      f = x² − y²                     a saddle point at (0, 0); no minimum
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from .._tensor import Tensor
from ._optimizer import Optimizer

Function2D = Callable[[Tensor, Tensor], Tensor]
OptimizerSpec = tuple[type, dict] | Callable[[list], Optimizer]


def elongated_bowl(x: Tensor, y: Tensor) -> Tensor:
    """f = x²/20 + y²: twenty times steeper along y than along x; minimum 0 at (0, 0)."""
    return x**2 / 20 + y**2


def rosenbrock(x: Tensor, y: Tensor) -> Tensor:
    """f = (1 − x)² + 100·(y − x²)²: a narrow curved valley; minimum 0 at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def saddle(x: Tensor, y: Tensor) -> Tensor:
    """f = x² − y²: a minimum along x, a maximum along y; gradient 0 at (0, 0)."""
    return x**2 - y**2


class Surface(NamedTuple):
    """A built-in function with its minimum (None for the saddle), the start used by
    default, and a window that shows the interesting part (for contour plots)."""

    f: Function2D
    minimum: tuple[float, float] | None
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]


FUNCTIONS: dict[str, Surface] = {
    "x2/20+y2": Surface(elongated_bowl, (0.0, 0.0), (-7.0, 2.0), (-10.0, 10.0), (-5.0, 5.0)),
    "rosenbrock": Surface(rosenbrock, (1.0, 1.0), (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0)),
    "saddle": Surface(saddle, None, (-4.5, 0.05), (-5.0, 5.0), (-5.0, 5.0)),
}


def playground(
    function: str | Function2D,
    optimizers: Mapping[str, OptimizerSpec],
    steps: int = 30,
    start: tuple[float, float] | None = None,
    dtype="float64",
) -> dict[str, np.ndarray]:
    """Run each optimizer from ``start`` on ``function`` for ``steps`` steps.

    Args:
        function: the name of a built-in surface ("x2/20+y2", "rosenbrock", "saddle"),
            or any function of two scalar Tensors returning a scalar Tensor.
        optimizers: name → ``(optimizer class, kwargs)``, e.g. ``(cr.optim.SGD, {"lr":
            0.95})``, or name → a factory taking the parameter list ``[x, y]``.
        steps: number of optimizer steps.
        start: the starting point; None uses the built-in function's own (for a custom
            function it is required).
        dtype: the parameters' dtype (float64 by default, for exact comparisons).

    Returns:
        name → array of shape (steps + 1, 2): the start, then the point after each step.
        A run that diverges to inf or nan keeps nan rows from there on.
    """
    f, start = _resolve(function, start)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"playground: steps must be a non-negative integer, got {steps!r}")
    if not isinstance(optimizers, Mapping):
        raise TypeError(
            "playground: optimizers must be a mapping of name → (class, kwargs) or factory, "
            f"e.g. {{'SGD': (cr.optim.SGD, {{'lr': 0.95}})}}, got {optimizers!r:.80}"
        )
    dtype = _float_dtype(dtype)
    return {
        name: _trajectory(f, spec, int(steps), start, dtype) for name, spec in optimizers.items()
    }


def _resolve(function, start) -> tuple[Function2D, tuple[float, float]]:
    if isinstance(function, str):
        if function not in FUNCTIONS:
            raise ValueError(f"unknown function {function!r}; built-in: {', '.join(FUNCTIONS)}")
        surface = FUNCTIONS[function]
        return surface.f, _point(surface.start if start is None else start)
    if not callable(function):
        raise TypeError(f"playground: function must be a name or callable, got {function!r}")
    if start is None:
        raise ValueError("playground: a custom function needs a start point (x, y)")
    return function, _point(start)


def _float_dtype(dtype) -> np.dtype:
    """``dtype`` as a NumPy floating dtype (the parameters must take gradients)."""
    try:
        d = np.dtype(dtype)
    except TypeError:
        d = None
    if d is None or d.kind != "f":
        raise ValueError(
            f"playground: dtype must be a float dtype such as 'float64', got {dtype!r}"
        )
    return d


def _point(start) -> tuple[float, float]:
    point = np.asarray(start, dtype=np.float64)
    if point.shape != (2,) or not np.all(np.isfinite(point)):
        raise ValueError(f"playground: start must be two finite numbers (x, y), got {start!r}")
    return float(point[0]), float(point[1])


def _trajectory(f: Function2D, spec, steps: int, start, dtype) -> np.ndarray:
    x = Tensor(start[0], dtype=dtype, requires_grad=True, name="x")
    y = Tensor(start[1], dtype=dtype, requires_grad=True, name="y")
    opt = _build(spec, [x, y])
    path = np.full((steps + 1, 2), np.nan)
    path[0] = x.item(), y.item()  # the start as the parameters hold it (float32 rounds)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence shows as nan rows
        for i in range(1, steps + 1):
            _step(f, x, y, opt)
            path[i] = x.item(), y.item()
            if not np.all(np.isfinite(path[i])):
                path[i] = np.nan
                break
    return path


def _step(f: Function2D, x: Tensor, y: Tensor, opt: Optimizer) -> None:
    """One training step on the surface: zero_grad, forward, backward, update."""
    opt.zero_grad()
    out = f(x, y)
    if not isinstance(out, Tensor) or out.size != 1:
        raise ValueError(f"playground: the function must return a scalar Tensor, got {out!r:.80}")
    out.backward()
    opt.step()


def _build(spec, params: list[Tensor]) -> Optimizer:
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], type):
        cls, kwargs = spec
        return cls(params, **dict(kwargs))
    if callable(spec):
        return spec(params)
    raise TypeError(
        f"playground: an optimizer must be (class, kwargs) or a factory of the parameter "
        f"list, got {spec!r}"
    )
