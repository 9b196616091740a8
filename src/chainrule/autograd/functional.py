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

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

#: what strict=True refuses, by the quantity that turned out independent of input ``i``
_INDEPENDENT = {
    "outputs": "output {i} does not require gradients: it must be computed in a "
    "differentiable way from the inputs",
    "grad_inputs": "the outputs do not depend on input {i} (its gradient does not depend "
    "on theirs)",
    "jacobian": "the Jacobian with respect to input {i} does not depend on the inputs (as a "
    "linear function's): the function must be twice differentiable",
    "back": "the outputs do not depend on input {i}",
    "back_trick": "the gradient with respect to the inputs does not depend on entry {i} of "
    "the outputs' gradient, which the double-backward trick needs",
    "double_back": "the Jacobian does not depend on input {i}",
    "double_back_trick": "the Hessian does not depend on entry {i} of the Jacobian's "
    "gradient, which the double-backward trick needs",
    "row": "output {out} does not depend on input {i}",
}


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


def _reverse_mode_only(where: str, vectorize: bool, name: str, strategy: str) -> None:
    if strategy == "forward-mode":
        raise NotImplementedError(
            f'{where}: {name}="forward-mode" is not supported: chainrule has reverse mode '
            f'only; use {name}="reverse-mode" (the default)'
        )
    if strategy != "reverse-mode":
        raise ValueError(f'{where}: {name} must be "reverse-mode", got {strategy!r}')
    if vectorize:
        raise NotImplementedError(
            f"{where}: vectorize=True is not supported: chainrule has no vmap; leave it "
            "False (one backward pass per output element, as PyTorch's default)"
        )


def _as_tuple(where: str, what: str, value) -> tuple[bool, tuple]:
    """Whether ``value`` was a tuple, and its tensors as a tuple (a list is refused, as in
    PyTorch)."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            at = f"{what}[{i}]" if is_tuple else what
            raise TypeError(
                f"{where}: {at} is a {type(t).__name__}; {what} must be a Tensor or a tuple "
                "of Tensors"
            )
    return is_tuple, items


def _prepared(where: str, inputs, create_graph: bool) -> tuple[bool, tuple]:
    """The inputs as fresh tensors that require gradients: with ``create_graph``, a view
    of each that requires them (the results stay differentiable in it), else a detached
    copy. New objects either way, so the caller's tensors are left as they are, and a use
    of one that ``func`` closes over is not mistaken for the argument."""
    is_tuple, inputs = _as_tuple(where, "inputs", inputs)
    return is_tuple, tuple(_own(x, create_graph, need_graph=True) for x in inputs)


def _own(x: Tensor, create_graph: bool, need_graph: bool) -> Tensor:
    if create_graph and x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_(need_graph)


def _called(where: str, func: Callable, inputs: tuple, strict: bool) -> tuple[bool, tuple]:
    is_tuple, outputs = _as_tuple(where, "the function's output", func(*inputs))
    _require(where, outputs, "outputs", strict)
    return is_tuple, outputs


def _one_value(where: str, out, strict: bool) -> Tensor:
    """The output of a function whose second derivative is asked: one one-value tensor."""
    is_tuple, outputs = _as_tuple(where, "the function's output", out)
    _require(where, outputs, "outputs", strict)
    if is_tuple:
        raise RuntimeError(f"{where}: the function must return a single Tensor, not a tuple")
    if out.size != 1:
        raise RuntimeError(
            f"{where}: the function must return a single value, got shape {out.shape}"
        )
    return out


def _vector(where: str, v, refs: tuple, is_tuple: bool, create_graph: bool, verb: str):
    """``v`` as a tuple matching ``refs`` (the outputs or the inputs) in number and shapes;
    None only when ``refs`` is one single-value tensor."""
    if v is None:
        if len(refs) != 1 or refs[0].size != 1:
            raise RuntimeError(
                f"{where}: v can be left out only when the function {verb} a single Tensor "
                "with a single element"
            )
        return None
    _, v = _as_tuple(where, "v", v)
    if len(v) != len(refs):
        raise RuntimeError(f"{where}: v has {len(v)} tensors, but it needs {len(refs)}")
    for i, (t, ref) in enumerate(zip(v, refs)):
        if t.shape != ref.shape:
            at = f"v[{i}]" if is_tuple else "v"
            raise RuntimeError(f"{where}: {at} has shape {t.shape}, it should be {ref.shape}")
    return tuple(_own(t, create_graph, need_graph=False) for t in v)


def _require(where: str, tensors: tuple, kind: str, strict: bool) -> None:
    """With ``strict``, an error for a tensor that is None or does not require gradients."""
    for i, t in enumerate(tensors if strict else ()):
        if t is None or not t.requires_grad:
            _refuse(where, _INDEPENDENT[kind].format(i=i))


def _grads(outputs: tuple, inputs: tuple, upstream=None, create_graph: bool = False, retain=None):
    """`grad` of the outputs that require gradients (None per input when none does), with
    None for an input they do not depend on."""
    upstream = (None,) * len(outputs) if upstream is None else upstream
    pairs = [(o, g) for o, g in zip(outputs, upstream) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, ups = zip(*pairs)
    return grad(outs, inputs, ups, retain, create_graph, allow_unused=True)


def _filled(
    where: str, grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str, out=None
):
    """The gradients with zeros of ``refs``'s shapes for None; with ``strict``, a None (or
    with ``create_graph`` a gradient without a graph) is an error instead, naming input
    ``i`` (and output ``out`` for the rows of the Jacobian)."""
    for i, g in enumerate(grads):
        if strict and (g is None or (create_graph and not g.requires_grad)):
            _refuse(where, _INDEPENDENT[stage].format(i=i, out=out))
    return tuple(zeros_like(r) if g is None else g for g, r in zip(grads, refs))


def _refuse(where: str, what: str):
    raise RuntimeError(f"{where}: {what}; strict=True does not allow it")


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


def _plain(results: tuple, create_graph: bool) -> tuple:
    """The results (nested tuples of tensors) detached unless ``create_graph``."""
    if create_graph:
        return results
    return tuple(r.detach() if isinstance(r, Tensor) else _plain(r, False) for r in results)


def _unpack(results: tuple, outer: bool, inner: bool | None = None):
    """Undo the tupling of a single tensor: the inner level (inputs) first, then the outer."""
    if inner is False:
        results = tuple(r[0] for r in results)
    return results if outer else results[0]
