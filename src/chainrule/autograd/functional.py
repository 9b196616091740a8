"""`chainrule.autograd.functional`: PyTorch's ``torch.autograd.functional`` — `vjp`, `jvp`,
`jacobian`, `hessian`, `vhp`, `hvp` — with its signatures and results, over `grad`.

``func`` takes one tensor or a tuple of them (``func(*inputs)``) and returns one tensor or a
tuple; results come back in the same form. Each input is replaced by a tensor of its own
(a detached copy that requires gradients, or with ``create_graph=True`` a differentiable
view of an input that requires them), so the caller's tensors get no ``.grad`` and no
graph. Without ``create_graph`` the results are detached. Reverse mode only: ``jvp`` and
``hvp`` use the double-backward trick, as PyTorch's do.

import chainrule as cr
x = cr.tensor([1.0, 2.0], dtype="float64")
cr.autograd.functional.jacobian(lambda x: x**3, x)  # diag(3x²)
"""

from __future__ import annotations

from collections.abc import Callable

from .._grad_mode import enable_grad
from .._tensor import Tensor
from ..ops import stack
from ..ops._create import zeros, zeros_like
from . import grad
from ._functional_args import (
    _as_tuple,
    _called,
    _filled,
    _one_value,
    _plain,
    _prepared,
    _require,
    _reverse_mode_only,
    _unpack,
    _vector,
)

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ J)``: the vector-Jacobian product, one tensor per input. ``v``
    has the outputs' form and shapes; it may be left out when the output is one value."""
    with enable_grad():
        in_tuple, inputs = _prepared("vjp", inputs, create_graph)
        out_tuple, outputs = _called("vjp", func, inputs, strict)
        v = _vector("vjp", v, outputs, out_tuple, create_graph, "returns")
        result = _grads(outputs, inputs, v, create_graph)
        result = _filled("vjp", result, inputs, strict, create_graph, "back")
    return _unpack(_plain(outputs, create_graph), out_tuple), _unpack(
        _plain(result, create_graph), in_tuple
    )


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product, one tensor per output, by the
    double-backward trick (the gradient of ``uᵀ J`` with respect to ``u``, in direction
    ``v``). ``v`` has the inputs' form and shapes; it may be left out for one value."""
    with enable_grad():
        in_tuple, inputs = _prepared("jvp", inputs, create_graph)
        v = _vector("jvp", v, inputs, in_tuple, create_graph, "takes")
        out_tuple, outputs = _called("jvp", func, inputs, strict)
        # u's value does not matter (the backward is linear in it); zeros hold no inf or NaN
        u = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        u_t_jacobian = _grads(outputs, inputs, u, create_graph=True)
        _require("jvp", u_t_jacobian, "grad_inputs", strict)
        result = _grads(u_t_jacobian, u, v, create_graph)
        result = _filled("jvp", result, outputs, strict, create_graph, "back_trick")
    return _unpack(_plain(outputs, create_graph), out_tuple), _unpack(
        _plain(result, create_graph), out_tuple
    )


def jacobian(
    func: Callable,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j, a tensor of shape
    ``outputs[i].shape + inputs[j].shape``; a tuple (over outputs) of tuples (over inputs)
    when both are tuples, the tuple level dropped for whichever is a single tensor. Built
    one output element at a time by `grad`. ``vectorize=True`` and
    ``strategy="forward-mode"`` are refused (NotImplementedError): no vmap, no forward mode."""
    _reverse_mode_only("jacobian", vectorize, "strategy", strategy)
    with enable_grad():
        in_tuple, inputs = _prepared("jacobian", inputs, create_graph)
        out_tuple, outputs = _called("jacobian", func, inputs, strict)
        blocks = tuple(_rows(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs))
    return _unpack(_plain(blocks, create_graph), out_tuple, in_tuple)


def hessian(
    func: Callable,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """The Hessian of ``func`` (returning one value) at ``inputs``: the Jacobian of its
    gradient, shapes ``inputs[i].shape + inputs[j].shape``, a tuple of tuples for a tuple
    of inputs. ``vectorize=True`` and ``outer_jacobian_strategy="forward-mode"`` are
    refused (NotImplementedError)."""
    _reverse_mode_only("hessian", vectorize, "outer_jacobian_strategy", outer_jacobian_strategy)
    in_tuple, inputs = _as_tuple("hessian", "inputs", inputs)

    def value(*xs):
        return _one_value("hessian", func(*xs), strict).reshape(())

    def gradient(*xs):
        jac = jacobian(value, xs, create_graph=True)
        _require("hessian", jac, "jacobian", strict)
        return jac

    return _unpack(jacobian(gradient, inputs, create_graph, strict), in_tuple, in_tuple)


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ H)`` for ``func`` returning one value: the vector-Hessian
    product, one tensor per input (``H v`` too when the Hessian is symmetric)."""
    with enable_grad():
        in_tuple, inputs, v, out, jac = _first_derivative(
            "vhp", func, inputs, v, create_graph, strict
        )
        result = _grads(jac, inputs, v, create_graph)
        result = _filled("vhp", result, inputs, strict, create_graph, "double_back")
    return _plain((out,), create_graph)[0], _unpack(_plain(result, create_graph), in_tuple)


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for ``func`` returning one value: the Hessian-vector
    product, by the double-backward trick through `vhp`'s graph (slower than `vhp`, equal
    to it when the Hessian is symmetric)."""
    with enable_grad():
        in_tuple, inputs, v, out, jac = _first_derivative(
            "hvp", func, inputs, v, create_graph, strict
        )
        w = tuple(zeros_like(x, requires_grad=True) for x in inputs)
        w_t_hessian = _grads(jac, inputs, w, create_graph=True)
        result = _grads(w_t_hessian, w, v, create_graph)
        result = _filled("hvp", result, inputs, strict, create_graph, "double_back_trick")
    return _plain((out,), create_graph)[0], _unpack(_plain(result, create_graph), in_tuple)


def _first_derivative(where: str, func: Callable, inputs, v, create_graph: bool, strict: bool):
    """`vhp` and `hvp`'s start: the inputs, ``v``, the one-value output and its gradient
    (with a graph, to be differentiated again)."""
    in_tuple, inputs = _prepared(where, inputs, create_graph)
    v = _vector(where, v, inputs, in_tuple, create_graph, "takes")
    out = _one_value(where, func(*inputs), strict)
    jac = _grads((out,), inputs, create_graph=True)
    _require(where, jac, "jacobian", strict)
    return in_tuple, inputs, v, out, jac


def _grads(outputs: tuple, inputs: tuple, upstream=None, create_graph: bool = False, retain=None):
    """`grad` of the outputs that require gradients (None per input when none does), with
    None for an input they do not depend on."""
    upstream = (None,) * len(outputs) if upstream is None else upstream
    pairs = [(o, g) for o, g in zip(outputs, upstream) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, ups = zip(*pairs)
    return grad(outs, inputs, ups, retain, create_graph, allow_unused=True)


def _rows(i: int, out: Tensor, inputs: tuple, create_graph: bool, strict: bool) -> tuple:
    """Output ``i``'s block of the Jacobian, one tensor per input, of shape
    ``out.shape + input.shape``: the gradient of each of its elements stacked."""
    flat = out.reshape(-1)  # (out.size,)
    rows: list[list] = [[] for _ in inputs]
    for k in range(out.size):
        grads = _grads((flat[k],), inputs, None, create_graph, retain=True)
        grads = _filled("jacobian", grads, inputs, strict, create_graph, "row", out=i)
        for row, g in zip(rows, grads):
            row.append(g)
    return tuple(_block(r, out.shape + x.shape, x) for r, x in zip(rows, inputs))


def _block(rows: list, shape: tuple, x: Tensor) -> Tensor:
    if not rows:  # an empty output: nothing to stack
        return zeros(shape, dtype=x.dtype)
    return stack(rows).reshape(shape)
