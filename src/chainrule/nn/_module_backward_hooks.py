"""Backward hooks on modules, PyTorch's ``BackwardHook`` without a change to the engine.

A call of a module with backward hooks joins the tensors it is given that require
gradients into one `_Join` node and gives ``forward`` a `_Part` view of each, and does the
same with the tensors ``forward`` returns. Each view's backward keeps its gradient for the
join, which runs once, after all of them: the output join calls the pre-hooks with every
output's gradient, the input join the hooks with every input's gradient too.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from .._anomaly import user_frame
from .._function import Function
from .._grad_mode import _GradMode
from .._quiet import as_user
from .._tensor import Tensor


def hook_name(fn) -> str:
    """A hook's name for an error message."""
    return getattr(fn, "__qualname__", type(fn).__name__)


class BackwardCall:
    """One call of a module with backward hooks, PyTorch's ``BackwardHook``: the hooks as
    they were at the call, where the tensors are among its arguments and its outputs, and
    the outputs' gradients, kept from the outputs' join's backward for the inputs'."""

    __slots__ = (
        "constants",
        "grad_output",
        "hooks",
        "inputs_at",
        "module",
        "n_inputs",
        "n_outputs",
        "outputs_at",
        "pre_hooks",
    )

    def __init__(self, module, hooks) -> None:  # hooks: the module's `_Hooks`
        self.module, self.pre_hooks, self.hooks = module, hooks.backward_pre, hooks.backward
        self.grad_output = None
        self.n_inputs, self.inputs_at, self.n_outputs, self.outputs_at = 0, (), 0, ()
        self.constants = ()

    def inputs(self, args: tuple) -> tuple:
        """``args`` with each tensor that requires gradients joined (pre-hooks alone need
        no input's gradient: their call joins none)."""
        self.n_inputs = len(args)
        self.inputs_at = _differentiable(args) if self.hooks else ()
        if self.inputs_at:  # PyTorch's zeros for the other tensors, once one needs gradients
            self.constants = tuple(
                [(i, x.shape, x.dtype) for i, x in enumerate(args) if _constant(x)]
            )
        return _joined(args, self.inputs_at, self.inputs_backward)

    def outputs(self, out):
        """``out``, a tensor or a tuple, with each tensor that requires gradients joined."""
        if not isinstance(out, (Tensor, tuple)):
            warnings.warn(
                _NOT_HOOKED.format(m=type(self.module).__name__, t=type(out).__name__),
                UserWarning,
                user_frame()[1],
            )
        outs = out if isinstance(out, tuple) else (out,)
        self.n_outputs, self.outputs_at = len(outs), _differentiable(outs)
        outs = _joined(outs, self.outputs_at, self.outputs_backward)
        return outs if isinstance(out, tuple) else outs[0]

    def outputs_backward(self, grads: tuple, tensors: tuple) -> tuple:
        """The outputs' gradients after the pre-hooks. With no input joined the hooks run
        here, given no input gradient; else they run in `inputs_backward`."""
        grad_output = _packed(self.n_outputs, self.outputs_at, grads)
        for entry in self.pre_hooks:
            new = as_user(entry.fn, (self.module, grad_output))
            if new is not None:
                grad_output = _replacing(entry.fn, new, grad_output, self.outputs_at, tensors)
        if self.inputs_at:
            self.grad_output = grad_output
        else:
            self._hooks_without_inputs(grad_output)
        return tuple([_passed_on(grad_output[i]) for i in self.outputs_at])

    def inputs_backward(self, grads: tuple, tensors: tuple) -> tuple:
        """The inputs' gradients after the hooks: zeros for an input the backward did not
        reach, as PyTorch's."""
        grad_output, self.grad_output = self.grad_output, None
        if grad_output is None:  # the gradient bypassed the outputs (PyTorch: no hook)
            return grads
        grads = [_zeros(t) if g is None else g for g, t in zip(grads, tensors)]
        grad_input = _packed(self.n_inputs, self.inputs_at, grads)
        if self.constants:
            grad_input = list(grad_input)
            for i, shape, dtype in self.constants:
                grad_input[i] = _zeros_of(shape, dtype)
            grad_input = tuple(grad_input)
        for entry in self.hooks:
            new = as_user(entry.fn, (self.module, grad_input, grad_output))
            if new is not None:
                grad_input = _replacing(entry.fn, new, grad_input, self.inputs_at, tensors)
        return tuple([_passed_on(grad_input[i]) for i in self.inputs_at])

    def _hooks_without_inputs(self, grad_output: tuple) -> None:
        grad_input = (None,) * self.n_inputs
        for entry in self.hooks:
            new = as_user(entry.fn, (self.module, grad_input, grad_output))
            if new is not None and not (isinstance(new, (tuple, list)) and _all_none(new)):
                raise RuntimeError(
                    f"backward hook {hook_name(entry.fn)} returned gradients for a call of "
                    f"{type(self.module).__name__} where no input requires gradients; it "
                    "must return None there"
                )


_NOT_HOOKED = (
    "{m}.forward returned a {t}, not a Tensor or a tuple of Tensors: its backward hooks "
    "will not run for this call"
)


class _Join(Function):
    """A module's backward hooks: the identity, each tensor's gradient the one its `_Part`
    kept, as the hooks leave it.

    The tensors a call of a module with backward hooks takes (or gives), joined into one
    node whose output (a 0-d zero) each `_Part` turns back into a view of one of them. The
    node runs once, after all its parts: it is where the hooks see all the gradients."""

    def __init__(self, received: list, then: Callable) -> None:
        self.received, self.then = received, then

    def forward(self, *arrays):
        return np.zeros((), dtype=arrays[0].dtype)

    def backward(self, grad_out):
        grads = tuple(self.received)
        if _all_none(grads):  # no part kept one: `explain` asking again for a local gradient
            return grads
        self.received[:] = [None] * len(grads)  # a second backward (retain_graph) starts afresh
        return self.then(grads, self.inputs)


class _Part(Function):
    """A module's backward hooks: 0 for the join's output; the gradient is kept for the
    `_Join`, which passes it on.

    One tensor of a `_Join`, given back as a view of its array."""

    def __init__(self, received: list, k: int, array: np.ndarray) -> None:
        self.received, self.k, self.array = received, k, array

    def forward(self, token):
        out, self.array = self.array.view(), None  # the view holds the array from here
        return out

    def backward(self, grad_out):
        if self.received[self.k] is None:  # else `explain` asks again, with an upstream of 1
            self.received[self.k] = _for_hooks(grad_out)
        return (None,)


def _joined(items: tuple, at: tuple, then: Callable) -> tuple:
    """``items`` with the tensor at each position in ``at`` replaced by its `_Part` of one
    `_Join`, whose backward calls ``then(gradients, tensors)``."""
    if not at:
        return items
    received = [None] * len(at)
    token = _Join(received, then)(*[items[i] for i in at])
    new = list(items)
    for k, i in enumerate(at):
        new[i] = _Part(received, k, items[i].data)(token)
    return tuple(new) if type(items) is tuple else type(items)(*new)  # a named tuple's type


def _differentiable(items: tuple) -> tuple:
    return tuple([i for i, x in enumerate(items) if isinstance(x, Tensor) and x.requires_grad])


def _packed(n: int, at: tuple, values) -> tuple:
    """``n`` entries, ``values`` at the positions ``at`` and None elsewhere."""
    packed = [None] * n
    for i, v in zip(at, values):
        packed[i] = v
    return tuple(packed)


def _replacing(fn, new, old: tuple, at: tuple, tensors: tuple) -> tuple:
    """What hook ``fn`` returned in place of ``old``, checked: as many gradients, each None
    or of its tensor's shape (an entry at a position not in ``at`` is not used)."""
    if not isinstance(new, (tuple, list)):
        raise TypeError(
            f"backward hook {hook_name(fn)} returned a {type(new).__name__}; return None or a "
            f"tuple of {len(old)} gradients (one per entry of the tuple it was given)"
        )
    if len(new) != len(old):
        raise RuntimeError(
            f"backward hook {hook_name(fn)} returned {len(new)} gradients, but expected {len(old)}"
        )
    for i, t in zip(at, tensors):
        shape = None if new[i] is None else np.shape(_values(new[i]))
        if shape is not None and shape != t.shape:
            raise RuntimeError(
                f"backward hook {hook_name(fn)} returned a gradient of shape {shape} at position "
                f"{i}, for a tensor of shape {t.shape}"
            )
    return tuple(new)


def _values(g):
    return g.data if isinstance(g, Tensor) else g


def _for_hooks(g):
    """A gradient as tensor hooks get it: a Tensor under create_graph, else a read-only
    array (the engine may give the same array to other tensors)."""
    if isinstance(g, Tensor):
        return g
    g = np.asarray(g).view()
    g.flags.writeable = False
    return g


def _passed_on(g):
    """A gradient a hook kept or returned, for the engine: a view, so that the engine
    never adds into an array the hook holds (under create_graph, as it is)."""
    if g is None or _GradMode.enabled:
        return g
    return np.asarray(_values(g)).view()


def _zeros(t: Tensor):
    return _zeros_of(t.shape, t.dtype)


def _zeros_of(shape: tuple, dtype):
    z = _for_hooks(np.zeros(shape, dtype))
    return Tensor(z) if _GradMode.enabled else z


def _constant(x) -> bool:
    return isinstance(x, Tensor) and not x.requires_grad


def _all_none(items) -> bool:
    return all(g is None for g in items)
