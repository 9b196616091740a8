"""`chainrule.autograd`: the engine by PyTorch's tensor-form names, for code written against
``torch.autograd``: ``grad(outputs, inputs)``, ``backward(tensors, grad_tensors)`` and
``Function``. (`chainrule.grad` is the functional form, ``grad(f)(x)``, as ``torch.func``.)

import chainrule as cr
x = cr.tensor([1.0, 2.0], requires_grad=True)
(g,) = cr.autograd.grad((x**3).sum(), x, create_graph=True)  # 3x², still differentiable
(h,) = cr.autograd.grad(g.sum(), x)  # 6x
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _engine
from .._function import Function
from .._tensor import Tensor, _from_op

__all__ = ["Function", "backward", "functional", "grad"]


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple:
    """The gradients of ``outputs`` with respect to each of ``inputs``, as a tuple of
    Tensors, without touching any ``.grad``: PyTorch's ``torch.autograd.grad``.

    ``outputs`` is a tensor or a sequence of them; each that is not a single value needs
    its upstream gradient in ``grad_outputs`` (one per output, None for a single value),
    and the gradients of several outputs add up. ``create_graph=True`` records the
    computation, so the gradients can be differentiated again (a gradient penalty, a
    Hessian-vector product); ``retain_graph`` defaults to ``create_graph``. An input the
    outputs do not depend on is an error, as in PyTorch, unless ``allow_unused=True`` (its
    gradient is then None) or ``materialize_grads=True`` (zeros).

    A part of the graph an earlier backward released (without ``retain_graph=True``) is
    an error when the outputs reach it, as a second backward is: it no longer knows its
    inputs, so its share of their gradients cannot be computed, nor can it be told that
    it leads to none of them (PyTorch raises only when it leads to one)."""
    if materialize_grads and allow_unused is False:  # contradictory: PyTorch refuses it too
        raise ValueError(
            "grad: materialize_grads=True gives zeros for unused inputs, which "
            "allow_unused=False forbids; leave allow_unused out (or pass True)"
        )
    outputs, grad_outputs = _paired("grad", outputs, grad_outputs)
    inputs = _tensors("grad", "inputs", inputs)
    unused_ok = materialize_grads or bool(allow_unused)
    root, seed = _one_root("grad", outputs, grad_outputs)
    grads = _engine.grad(
        root, inputs, seed, retain_graph, create_graph, materialize_grads, check_released=True
    )
    for i, g in enumerate(grads):
        if g is None and not unused_ok:
            raise RuntimeError(
                f"grad: input {i} was not used to compute the outputs, so it has no gradient; "
                "pass allow_unused=True to get None for it, or materialize_grads=True for zeros"
            )
    return tuple(g if g is None or isinstance(g, Tensor) else _from_op(g, None) for g in grads)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves, as
    ``torch.autograd.backward``: ``t.backward(g)`` for one tensor; for several, one pass
    whose gradients add up (``grad_tensors`` gives each one's upstream gradient, None for
    a single value). ``inputs``, a tensor or a sequence of them, limits the gradients to
    those tensors' ``.grad``, as `Tensor.backward`'s."""
    tensors, grad_tensors = _paired("backward", tensors, grad_tensors)
    root, seed = _one_root("backward", tensors, grad_tensors)
    retain = create_graph if retain_graph is None else retain_graph
    root.backward(seed, retain_graph=retain, create_graph=create_graph, inputs=inputs)


def _paired(where: str, outputs, upstream) -> tuple[list[Tensor], list]:
    """The outputs as a list of tensors and their upstream gradients as a list as long."""
    outputs = _tensors(where, "outputs", outputs)
    if upstream is None:
        upstream = [None] * len(outputs)
    elif isinstance(upstream, Tensor) or not isinstance(upstream, Sequence):
        upstream = [upstream]  # one array or tensor: the gradient of the one output
    upstream = list(upstream)
    if len(upstream) != len(outputs):
        raise ValueError(
            f"{where}: {len(upstream)} upstream gradients for {len(outputs)} outputs; give one "
            "per output (None for a single-value output)"
        )
    for i, (out, g) in enumerate(zip(outputs, upstream)):
        shape = None if g is None else np.shape(g.data if isinstance(g, Tensor) else g)
        if len(outputs) > 1 and shape is not None and shape != out.shape:  # else broadcast
            raise ValueError(
                f"{where}: the upstream gradient {i} has shape {shape}, but output {i} has "
                f"shape {out.shape}; they must match"
            )
    return outputs, upstream


def _tensors(where: str, name: str, value) -> list[Tensor]:
    one = isinstance(value, (Tensor, np.ndarray, str)) or not hasattr(value, "__iter__")
    items = [value] if one else list(value)  # a list, a tuple, model.parameters()
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: {name}[{i}] is a {type(t).__name__}, not a Tensor")
    if not items:
        raise ValueError(f"{where}: no {name} given")
    return items


def _one_root(where: str, outputs: list[Tensor], upstream: list):
    """One output and its upstream gradient: itself for one output, else the sum of each
    output times its upstream gradient, whose gradient with respect to output i is
    exactly upstream i. Each output must require gradients, as a single one must (the
    sum would leave out a constant, hiding the mistake)."""
    if len(outputs) == 1:
        return outputs[0], upstream[0]
    terms = []
    for i, (out, g) in enumerate(zip(outputs, upstream)):
        if not out.requires_grad:
            raise RuntimeError(
                f"{where}: output {i} does not require gradients: none of the tensors it was "
                "computed from has requires_grad=True (or it was computed inside no_grad())"
            )
        if g is None:
            if out.size != 1:
                raise RuntimeError(
                    f"output {i} has shape {out.shape}, not a single value: give its upstream "
                    "gradient, of that shape"
                )
            terms.append(out.sum())
        else:
            terms.append((out * g).sum())
    return sum(terms[1:], terms[0]), None


from . import functional  # noqa: E402  (it builds on grad above)
