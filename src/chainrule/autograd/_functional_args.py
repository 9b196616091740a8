"""The arguments and results of `chainrule.autograd.functional`: inputs, outputs and ``v``
checked and made tuples, what ``strict=True`` refuses, and the results filled, detached
and untupled into PyTorch's form."""

from __future__ import annotations

from collections.abc import Callable

from .._tensor import Tensor
from ..ops._create import zeros_like

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
