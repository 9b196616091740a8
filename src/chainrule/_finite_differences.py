"""Central finite differences in float64: `numerical_grad`, and the numerical Jacobian that
`gradcheck` compares with the analytic one.

    numerical ∂f/∂xᵢ ≈ (f(x + hᵢ·eᵢ) − f(x − hᵢ·eᵢ)) / 2hᵢ,   hᵢ = ε·max(1, |xᵢ|)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ._grad_mode import enable_grad
from ._tensor import Tensor


def _as_inputs(inputs) -> list[np.ndarray]:
    if isinstance(inputs, (Tensor, np.ndarray, np.generic, float, int)):
        inputs = [inputs]
    return [_as_input(x) for x in inputs]


def _as_input(x) -> np.ndarray:
    """``x`` as a float64 array, the point to check at; an integer or boolean Tensor, or a
    boolean array (labels, indices, masks: nothing to differentiate) is kept as it is."""
    a = x.data if isinstance(x, Tensor) else x
    kept = isinstance(x, Tensor) or (isinstance(a, np.ndarray) and a.dtype == bool)
    if kept and a.dtype.kind in "biu":
        return a.copy()
    return np.array(a, dtype=np.float64)


def _checked(a: np.ndarray) -> bool:
    """Whether input array ``a`` is differentiated (float64), not passed as a constant."""
    return a.dtype.kind == "f"


def _leaf(a: np.ndarray) -> Tensor:
    return Tensor(a, requires_grad=_checked(a))


def _check_settings(name: str, eps: float, atol: float = 0.0, rtol: float = 0.0) -> None:
    """A step of 0 (or NaN) would divide by zero, a negative tolerance fail every entry:
    either would blame a correct backward."""
    if not eps > 0:
        raise ValueError(f"{name}: eps must be a positive step, e.g. 1e-6; got {eps}")
    if not (atol >= 0 and rtol >= 0):
        raise ValueError(f"{name}: atol and rtol must be 0 or more; got {atol} and {rtol}")


def _output(f: Callable, arrays: Sequence[np.ndarray]) -> np.ndarray:
    """f's value at ``arrays``, from leaves that require gradients as the analytic pass's
    do, with gradients enabled, as PyTorch's gradcheck evaluates f: an f that
    differentiates inside (``cr.autograd.grad(..., create_graph=True)``) needs both."""
    out = _value(f, arrays)
    return np.array(out.data if isinstance(out, Tensor) else out, dtype=np.float64)


def _value(f: Callable, arrays: Sequence[np.ndarray]):
    """``f`` called on fresh leaves holding copies of ``arrays``."""
    with enable_grad():
        return _call(f, [_leaf(a.copy()) for a in arrays], arrays)


def _call(f: Callable, tensors: list[Tensor], arrays: Sequence[np.ndarray]):
    """``f(*tensors)``, tensors holding copies of ``arrays``; an f that changes an input in
    place is refused: the point would move under the finite differences, and every entry
    fail as if backward were wrong."""
    out = f(*tensors)
    for i, (t, a) in enumerate(zip(tensors, arrays)):
        if not np.array_equal(t.data, a, equal_nan=True):
            raise RuntimeError(
                f"gradcheck: f changed its input {i} in place (or replaced its .data); "
                "finite differences need f to leave its inputs as they are: compute on a "
                "copy (x * 1.0, or x.data.copy()) instead"
            )
    return out


def _numerical_jacobian(f, arrays, i: int, eps: float) -> np.ndarray:
    """J[k, j] = ∂out_k/∂x_j for input ``i`` by central differences (x is restored after)."""
    x = arrays[i]
    columns = []
    for j in range(x.size):
        original = x.flat[j]
        h = _step(original, eps)
        x.flat[j] = original + h
        plus = _output(f, arrays)
        x.flat[j] = original - h
        minus = _output(f, arrays)
        x.flat[j] = original
        columns.append(((plus - minus) / (2 * h)).ravel())
    n_out = _output(f, arrays).size
    return np.stack(columns, axis=1) if columns else np.zeros((n_out, 0))


def _step(x: float, eps: float) -> float:
    """ε, or ε·|x| where |x| > 1. A fixed ε drowns in the rounding of a large x and f(x):
    at |x| = 1e8 (float spacing 1.5e-8) x ± 1e-6 lands up to 0.75% off, and at 1e10 it is x
    itself, so correct gradients failed; relative to x, the difference is as accurate at
    any magnitude as at |x| = 1."""
    return eps * max(1.0, abs(float(x)))


def numerical_grad(f: Callable, inputs, eps: float = 1e-6) -> list[np.ndarray | None]:
    """The central-difference gradient of a scalar function ``f`` for each input (float64;
    the step ``eps`` is relative to |x| where |x| > 1); None for an integer or boolean
    Tensor or a boolean array, passed to ``f`` unchanged."""
    _check_settings("numerical_grad", eps)
    arrays = _as_inputs(inputs)
    if _output(f, arrays).size != 1:
        raise ValueError(
            "numerical_grad: f must return a single value; use gradcheck for non-scalar f"
        )
    return [
        _numerical_jacobian(f, arrays, i, eps).reshape(a.shape) if _checked(a) else None
        for i, a in enumerate(arrays)
    ]
