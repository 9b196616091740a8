"""Checking analytic gradients against central finite differences, in float64
(``_finite_differences.py``): `gradcheck` compares the whole Jacobian, every output element
against every input element.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _engine
from ._finite_differences import (
    _as_inputs,
    _call,
    _check_settings,
    _checked,
    _leaf,
    _numerical_jacobian,
    _output,
    _value,
)
from ._grad_mode import enable_grad
from ._tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when an analytic gradient disagrees with finite differences."""


def _analytic_jacobians(f, arrays) -> tuple[list[np.ndarray], np.ndarray]:
    leaves = [_leaf(a.copy()) for a in arrays]
    with enable_grad():  # inside no_grad, f would record no graph: its gradients all 0
        out = _call(f, leaves, arrays)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    jac = [np.zeros((out.size, a.size)) for a in arrays]
    checked = [i for i, a in enumerate(arrays) if _checked(a)]
    if not out.requires_grad:
        return jac, out.data
    for k in range(out.size):
        grads = _engine.grad(out, [leaves[i] for i in checked], _seed(out, k), retain_graph=True)
        for i, g in zip(checked, grads):
            jac[i][k] = np.asarray(g).ravel()
    return jac, out.data


def _seed(out: Tensor, k: int) -> np.ndarray | None:
    """The upstream gradient that picks output element ``k``. For a 0-d output, None: the
    engine's own seed, a NumPy scalar, as ``backward()`` and `grad` start from; a 0-d array
    would send the ops down their array path and leave the scalar path a loss's backward
    takes unchecked."""
    if out.ndim == 0:
        return None
    seed = np.zeros(out.shape)
    seed.flat[k] = 1.0
    return seed


def gradcheck(
    f: Callable,
    inputs,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    check_second_order: bool = False,
    localize: bool = False,
) -> bool:
    """Compare ``f``'s analytic gradients with finite differences for every input.

    The analytic Jacobian is computed row by row the way ``backward`` computes a gradient
    (a 0-d output from the same NumPy-scalar seed). Inputs are converted to float64, except
    integer or boolean Tensors and boolean arrays (labels, indices, masks), which are
    passed to ``f`` unchanged. ``eps`` is the step of the central differences, relative to
    |x| where |x| > 1 (pass a smaller one at a point closer than that to the edge of f's
    domain, such as log near 0); an entry passes when |analytic − numeric| ≤ atol +
    rtol·|numeric|, PyTorch's test and defaults, which accept an error of 0.1%. Returns
    True, or raises `GradcheckError` naming the input, the input and output elements of
    the first failing entry, both values and the largest error. With
    ``check_second_order=True`` the gradients of the gradients are checked too. With
    ``localize=True`` a failure also names the first node of the graph whose own local
    gradient is wrong (see `check_graph`). ``f`` runs with gradients enabled, also inside
    `no_grad` (which would leave it no graph, and every gradient zero). An ``f`` that
    changes an input in place is refused with a RuntimeError saying so, and so is a failure
    of an ``f`` that gives another value at the same point (unseeded dropout): finite
    differences cannot check either.

    An ``f`` that returns a tuple or list (as ``topk`` or an RNN's ``(output, h)``) is
    checked one output at a time, as PyTorch's gradcheck does; integer Tensors (indices)
    and None have no gradient and are skipped. A failure names the output by its position.
    """
    _check_settings("gradcheck", eps, atol, rtol)
    arrays = _as_inputs(inputs)
    several = _outputs_to_check(f, arrays)
    if several is not None:
        for k in several:
            try:
                gradcheck(_picking(f, k), inputs, eps, atol, rtol, check_second_order, localize)
            except GradcheckError as e:
                raise GradcheckError(f"output {k}: {e}") from None
        return True
    analytic, out = _analytic_jacobians(f, arrays)
    for i, a in enumerate(arrays):
        if not _checked(a):
            continue
        numeric = _numerical_jacobian(f, arrays, i, eps)
        try:
            _compare(i, a.shape, out.shape, analytic[i], numeric, atol, rtol)
        except GradcheckError as e:
            _check_deterministic(f, arrays, out)  # a random f: say so, blame no backward
            msg = f"{e}{_precision_note(out.dtype)}"
            if localize:
                raise GradcheckError(f"{msg}\n{_localize(f, arrays, eps, atol, rtol)}") from None
            raise GradcheckError(
                f"{msg}; localize=True names the node whose backward is wrong"
            ) from None
    if check_second_order:
        try:
            kept = [a if _checked(a) else Tensor(a) for a in arrays]  # constants stay so
            gradcheck(_first_derivative(f, arrays), kept, eps, atol, rtol)
        except GradcheckError as e:
            raise GradcheckError(
                "second-order check (the gradient of Σᵢ⟨∂(v·f)/∂xᵢ, rᵢ⟩ for fixed random v, rᵢ: "
                f"the first derivatives are right, their own derivatives are not): {e}"
            ) from None
    return True


def _outputs_to_check(f: Callable, arrays) -> list[int] | None:
    """The positions of the floating Tensors ``f`` returns in a tuple or list, or None when
    it returns one value. Anything there but a Tensor or None is a TypeError."""
    out = _value(f, arrays)
    if not isinstance(out, (tuple, list)):
        return None
    for k, o in enumerate(out):
        if o is not None and not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: f's output {k} must be a Tensor, got {type(o).__name__}")
    return [k for k, o in enumerate(out) if o is not None and o.dtype.kind == "f"]


def _picking(f: Callable, k: int) -> Callable:
    """``f`` reduced to its output ``k``."""
    return lambda *xs: f(*xs)[k]


def _check_deterministic(f: Callable, arrays, out: np.ndarray) -> None:
    """Refuse an f that gives another value at the same point (dropout, noise): its finite
    differences measure the randomness, and a correct backward would be blamed. Two more
    values: a mask drawn twice alike is not unlikely for a small input."""
    out = np.array(out, dtype=np.float64)
    if not all(_same(out, _output(f, arrays)) for _ in range(2)):
        raise RuntimeError(
            "gradcheck: f returned different values for the same inputs, so finite "
            "differences cannot check it: fix its randomness (dropout or noise: pass a "
            "freshly seeded generator inside f, or check the model in eval mode)"
        )


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    return np.array_equal(a, b, equal_nan=True) or np.allclose(a, b, 1e-10, 0.0, equal_nan=True)


def close(got, numeric, atol: float, rtol: float):
    """Where ``got`` agrees with the finite difference ``numeric``: |got − numeric| <=
    atol + rtol·|numeric| (NaN never agrees)."""
    return np.abs(got - numeric) <= atol + rtol * np.abs(numeric)


def _compare(i, in_shape, out_shape, analytic, numeric, atol, rtol) -> None:
    bad = ~close(analytic, numeric, atol, rtol)  # NaN counts as a failure
    if not bad.any():
        return
    k, j = np.argwhere(bad)[0]
    err = np.abs(analytic - numeric)
    where = f"input index {tuple(int(n) for n in np.unravel_index(j, in_shape))}"
    if out_shape:
        where += f", output index {tuple(int(n) for n in np.unravel_index(k, out_shape))}"
    finite = np.isfinite(err)
    if finite.all():
        summary = f"largest absolute error {err.max():.3g}"
    else:  # inf or NaN on either side: say so rather than leave them out of the maximum
        summary = f"{int(err.size - finite.sum())} of {err.size} entries not finite on one side"
        if finite.any():
            summary += f", largest finite absolute error {err[finite].max():.3g}"
    raise GradcheckError(
        f"gradcheck failed for input {i} at {where}: analytic {analytic[k, j]:.10g} vs "
        f"numeric {numeric[k, j]:.10g}; {summary} (atol={atol}, rtol={rtol})"
    )


def _precision_note(dtype: np.dtype) -> str:
    """Why a failure may be f's precision rather than its backward: the inputs are float64,
    so a lower precision output means f casts inside (a float32 constant, ``astype``)."""
    if dtype == np.float64:
        return ""
    return (
        f"; note that f returned {dtype} from float64 inputs: finite differences need f to "
        "compute in float64 throughout (look for a cast or a lower-precision constant in f)"
    )


def _first_derivative(f, arrays) -> Callable:
    """A scalar function of the inputs whose gradient involves f's second derivatives:
    Σᵢ ⟨∂(v·f)/∂xᵢ, rᵢ⟩ with fixed random v and rᵢ."""
    rng = np.random.default_rng(0)
    v = rng.standard_normal(_output(f, arrays).shape)
    rs = [rng.standard_normal(a.shape) for a in arrays if _checked(a)]

    def h(*xs):
        with enable_grad():  # h needs a graph even when evaluated for finite differences
            xs = [x if x.requires_grad else _leaf(x.data) for x in xs]
            out = (f(*xs) * v).sum()
            if not out.requires_grad:  # f does not depend on its inputs: no derivatives
                return Tensor(np.zeros(()))
            grads = _engine.grad(out, [x for x in xs if x.requires_grad], create_graph=True)
            return sum((g * r).sum() for g, r in zip(grads, rs))

    return h


def _localize(f, arrays, eps, atol, rtol) -> str:
    from ._localize import check_graph

    with enable_grad():
        out = f(*[_leaf(a) for a in arrays])
    try:
        check_graph(out, eps, atol, rtol)
    except GradcheckError as e:
        return str(e)
    return (
        "check_graph: every node's backward agrees with finite differences of its forward; "
        "the error is in how they combine, or in the finite differences of the whole of f "
        "at this point (a kink, such as relu at 0, or a step too large where f curves "
        "sharply, as log near 0: try another point or a smaller eps)"
    )
