"""Hooks on modules, as PyTorch's: `ModuleHooks` gives `Module` its
``register_forward_pre_hook``, ``register_forward_hook``, ``register_full_backward_pre_hook``
and ``register_full_backward_hook``, and `call_with_hooks` is what calling a module runs
when it has any.

The hooks live in one `_Hooks` object per module, not in a list or dict attribute, so the
walk that finds parameters (which looks into lists and dicts) never meets them: a hook
that is itself a module is not taken for a child. A module without hooks has no such
object, and its call runs ``forward`` alone.

Backward hooks are set on a call's tensors by `_module_backward_hooks.BackwardCall`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from .._grad_methods import HookHandle
from .._grad_mode import _GradMode
from ._module_backward_hooks import BackwardCall, hook_name


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
        `register_full_backward_pre_hook`. A tensor input that does not require gradients
        has zeros in ``grad_input`` when another input requires them, as in PyTorch."""
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
        call = BackwardCall(module, hooks)
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
                    f"forward pre-hook {hook_name(fn)} registered with_kwargs=True must return "
                    f"None or a tuple (args, kwargs), got {type(result).__name__}"
                )
            args, kwargs = result
        else:
            args = result
        args = args if isinstance(args, tuple) else (args,)
    return args, kwargs
