"""Hooks on modules, as PyTorch's: `ModuleHooks` gives `Module` its
``register_forward_pre_hook``, ``register_forward_hook``, ``register_full_backward_pre_hook``
and ``register_full_backward_hook``, and `call_with_hooks` is what calling a module runs
when it has any.

The hooks live in one `_Hooks` object per module, not in a list or dict attribute, so the
walk that finds parameters (which looks into lists and dicts) never meets them: a hook
that is itself a module is not taken for a child. A module without hooks has no such
object, and its call runs ``forward`` alone.

Backward hooks are PyTorch's ``BackwardHook`` without a change to the engine: a call joins
the tensors it is given that require gradients into one `_Join` node and gives ``forward``
a `_Part` view of each, and does the same with the tensors ``forward`` returns. Each view's
backward keeps its gradient for the join, which runs once, after all of them: the output
join calls the pre-hooks with every output's gradient, the input join the hooks with every
input's gradient too.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable

import numpy as np

from .._anomaly import user_frame
from .._function import Function
from .._grad_mode import _GradMode
from .._quiet import as_user
from .._tensor import HookHandle, Tensor


class _Entry:
    """One registration: the hook and how it is called. Compared by identity, so that a
    handle removes its own registration of a hook registered twice."""

    __slots__ = ("fn", "with_kwargs")

    def __init__(self, fn: Callable, with_kwargs: bool) -> None:
        self.fn, self.with_kwargs = fn, with_kwargs


class _Hooks:
    """A module's forward pre-hooks and forward hooks, and its backward pre-hooks and
    backward hooks, each a list of `_Entry`."""

    __slots__ = ("__weakref__", "backward", "backward_pre", "forward", "pre")

    def __init__(self) -> None:
        self.pre: list = []
        self.forward: list = []
        self.backward_pre: list = []
        self.backward: list = []

    def __deepcopy__(self, memo) -> _Hooks:
        """A copied model keeps its hooks, each deep-copied as PyTorch's are: a method of
        the model is bound to the copy (its hook writes into the copy, not the original),
        a plain function is kept as it is."""
        hooks = _Hooks()
        hooks.pre, hooks.forward = _copied(self.pre, memo), _copied(self.forward, memo)
        hooks.backward_pre = _copied(self.backward_pre, memo)
        hooks.backward = _copied(self.backward, memo)
        return hooks


def _copied(entries: list, memo: dict) -> list:
    return [_Entry(copy.deepcopy(e.fn, memo), e.with_kwargs) for e in entries]


class ModuleHooks:
    """The hook methods of `Module`."""

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> HookHandle:
        """Call ``hook(module, args)`` before each ``forward``, as PyTorch: ``args`` is the
        tuple of positional arguments, and a return value other than None replaces it (a
        value that is not a tuple is taken as the one argument). With ``with_kwargs=True``
        the hook is ``hook(module, args, kwargs)`` and returns None or ``(args, kwargs)``.
        Hooks run in the order registered (``prepend=True`` puts this one first); calling
        ``module.forward(x)`` directly runs none. Returns a handle whose ``remove()`` takes
        the hook off (usable as ``with handle:`` too)."""
        return _register(self, "pre", hook, prepend, with_kwargs)

    def register_forward_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> HookHandle:
        """Call ``hook(module, args, output)`` after each ``forward``, as PyTorch: a return
        value other than None replaces the output (what the caller and later hooks get).
        ``args`` are the positional arguments forward was given (after any pre-hook); with
        ``with_kwargs=True`` the hook is ``hook(module, args, kwargs, output)``. Order,
        ``prepend`` and the returned handle as in `register_forward_pre_hook`. To keep an
        activation for later, store ``output`` (or ``output.detach()`` to keep no graph)."""
        return _register(self, "forward", hook, prepend, with_kwargs)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> HookHandle:
        """Call ``hook(module, grad_output)`` in each backward through a call of the module,
        before the gradients of its inputs and parameters are computed, as PyTorch:
        ``grad_output`` is a tuple with the gradient of each tensor the call returned (its
        one output, or each element of a tuple), None for an element that is not a tensor
        requiring gradients or that the backward did not reach. A return value other than
        None, a tuple (or list) of the same length, replaces it: what goes on into the
        module, and what `register_full_backward_hook`'s hooks are given.

        Gradients are given as tensor hooks get them (`Tensor.register_hook`): read-only
        NumPy arrays, Tensors under ``backward(create_graph=True)``; a returned one may be
        an array, a Tensor or None (a zero gradient), of the tensor's shape. Hooks are taken
        as they are when the module is called, and run in the order registered
        (``prepend=True`` puts this one first); a call under `no_grad` runs none. Returns a
        handle whose ``remove()`` takes the hook off (usable as ``with handle:`` too)."""
        return _register(self, "backward_pre", hook, prepend, False)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> HookHandle:
        """Call ``hook(module, grad_input, grad_output)`` once per backward through a call
        of the module, once the gradients of its inputs are computed, as PyTorch:
        ``grad_output`` as the backward pre-hooks leave it (see
        `register_full_backward_pre_hook`), ``grad_input`` a tuple with the gradient of
        each positional argument, None for one that is not a tensor requiring gradients
        (keyword arguments are left out). A return value other than None, a tuple (or list)
        of the same length, replaces ``grad_input``: the gradients that go on to the
        layers before and the leaves (a None there is a zero gradient).

        When no input requires gradients (a network's first layer, given the data), the
        hooks run once the outputs' gradients are known, with ``grad_input`` all None, and
        must return None. When the module is called twice in one graph its hooks run for
        each call. Gradients, order, `no_grad` and the handle as in
        `register_full_backward_pre_hook`. PyTorch gives zeros, not None, for a tensor input
        that does not require gradients when another input does."""
        return _register(self, "backward", hook, prepend, False)


_METHODS = {
    "pre": "register_forward_pre_hook",
    "forward": "register_forward_hook",
    "backward_pre": "register_full_backward_pre_hook",
    "backward": "register_full_backward_hook",
}


def _register(module, kind: str, hook: Callable, prepend: bool, with_kwargs: bool) -> HookHandle:
    if not callable(hook):
        raise TypeError(f"{_METHODS[kind]}: expected a callable, got {type(hook).__name__}")
    hooks = vars(module).get("_hooks")
    if hooks is None:
        hooks = module._hooks = _Hooks()
    entry, before = _Entry(hook, bool(with_kwargs)), getattr(hooks, kind)
    # a new list: a call running now keeps iterating the one it began with
    setattr(hooks, kind, [entry, *before] if prepend else [*before, entry])
    return HookHandle(hooks, entry, kind)


def has_forward_hooks(module) -> bool:
    """Whether calling ``module`` runs any forward hook or pre-hook (so a caller that runs
    its layers itself, as the diagnostics probe runs a Sequential's, must call it instead)."""
    hooks = vars(module).get("_hooks")
    return hooks is not None and bool(hooks.pre or hooks.forward)


def call_with_hooks(module, hooks: _Hooks, args: tuple, kwargs: dict):
    """``module.forward(*args, **kwargs)`` with the module's pre-hooks before it and its
    forward hooks after it, and its backward hooks set on the tensors it takes and gives
    (after the pre-hooks and the forward hooks, as PyTorch's). Each reads the list as it
    was when the call began."""
    args, kwargs = _run_pre_hooks(module, hooks.pre, args, kwargs)
    call = None
    if (hooks.backward or hooks.backward_pre) and _GradMode.enabled:
        call = _BackwardCall(module, hooks)
        args = call.inputs(args)
    out = module.forward(*args, **kwargs)
    for entry in hooks.forward:
        fn = entry.fn
        result = fn(module, args, kwargs, out) if entry.with_kwargs else fn(module, args, out)
        if result is not None:
            out = result
    return out if call is None else call.outputs(out)


def _run_pre_hooks(module, entries: list, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    for entry in entries:
        fn = entry.fn
        result = fn(module, args, kwargs) if entry.with_kwargs else fn(module, args)
        if result is None:
            continue
        if entry.with_kwargs:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(
                    f"forward pre-hook {_name(fn)} registered with_kwargs=True must return "
                    f"None or a tuple (args, kwargs), got {type(result).__name__}"
                )
            args, kwargs = result
        else:
            args = result
        args = args if isinstance(args, tuple) else (args,)
    return args, kwargs


def _name(fn) -> str:
    return getattr(fn, "__qualname__", type(fn).__name__)


# ----- backward hooks -----------------------------------------------------------------------
class _BackwardCall:
    """One call of a module with backward hooks, PyTorch's ``BackwardHook``: the hooks as
    they were at the call, where the tensors are among its arguments and its outputs, and
    the outputs' gradients, kept from the outputs' join's backward for the inputs'."""

    __slots__ = (
        "grad_output",
        "hooks",
        "inputs_at",
        "module",
        "n_inputs",
        "n_outputs",
        "outputs_at",
        "pre_hooks",
    )

    def __init__(self, module, hooks: _Hooks) -> None:
        self.module, self.pre_hooks, self.hooks = module, hooks.backward_pre, hooks.backward
        self.grad_output = None
        self.n_inputs, self.inputs_at, self.n_outputs, self.outputs_at = 0, (), 0, ()

    def inputs(self, args: tuple) -> tuple:
        """``args`` with each tensor that requires gradients joined (pre-hooks alone need
        no input's gradient: their call joins none)."""
        self.n_inputs = len(args)
        self.inputs_at = _differentiable(args) if self.hooks else ()
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
                    f"backward hook {_name(entry.fn)} returned gradients for a call of "
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
            f"backward hook {_name(fn)} returned a {type(new).__name__}; return None or a "
            f"tuple of {len(old)} gradients (one per entry of the tuple it was given)"
        )
    if len(new) != len(old):
        raise RuntimeError(
            f"backward hook {_name(fn)} returned {len(new)} gradients, but expected {len(old)}"
        )
    for i, t in zip(at, tensors):
        shape = None if new[i] is None else np.shape(_values(new[i]))
        if shape is not None and shape != t.shape:
            raise RuntimeError(
                f"backward hook {_name(fn)} returned a gradient of shape {shape} at position "
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
    z = _for_hooks(np.zeros(t.shape, t.dtype))
    return Tensor(z) if _GradMode.enabled else z


def _all_none(items) -> bool:
    return all(g is None for g in items)
