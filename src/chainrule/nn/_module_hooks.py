"""Forward hooks on modules, as PyTorch's: `ModuleHooks` gives `Module` its
``register_forward_pre_hook`` and ``register_forward_hook``, and `call_with_hooks` is what
calling a module runs when it has any.

The hooks live in one `_Hooks` object per module, not in a list or dict attribute, so the
walk that finds parameters (which looks into lists and dicts) never meets them: a hook
that is itself a module is not taken for a child.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from .._tensor import HookHandle


class _Entry:
    """One registration: the hook and how it is called. Compared by identity, so that a
    handle removes its own registration of a hook registered twice."""

    __slots__ = ("fn", "with_kwargs")

    def __init__(self, fn: Callable, with_kwargs: bool) -> None:
        self.fn, self.with_kwargs = fn, with_kwargs


class _Hooks:
    """A module's forward pre-hooks and forward hooks, each a list of `_Entry`."""

    __slots__ = ("__weakref__", "forward", "pre")

    def __init__(self) -> None:
        self.pre: list = []
        self.forward: list = []

    def __deepcopy__(self, memo) -> _Hooks:
        """A copied model keeps its hooks, each deep-copied as PyTorch's are: a method of
        the model is bound to the copy (its hook writes into the copy, not the original),
        a plain function is kept as it is."""
        hooks = _Hooks()
        hooks.pre, hooks.forward = _copied(self.pre, memo), _copied(self.forward, memo)
        return hooks


def _copied(entries: list, memo: dict) -> list:
    return [_Entry(copy.deepcopy(e.fn, memo), e.with_kwargs) for e in entries]


class ModuleHooks:
    """The forward-hook methods of `Module`."""

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


def _register(module, kind: str, hook: Callable, prepend: bool, with_kwargs: bool) -> HookHandle:
    method = f"register_{'forward_pre' if kind == 'pre' else 'forward'}_hook"
    if not callable(hook):
        raise TypeError(f"{method}: expected a callable, got {type(hook).__name__}")
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
    forward hooks after it. Each reads the list as it was when the call began."""
    for entry in hooks.pre:
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
    out = module.forward(*args, **kwargs)
    for entry in hooks.forward:
        fn = entry.fn
        result = fn(module, args, kwargs, out) if entry.with_kwargs else fn(module, args, out)
        if result is not None:
            out = result
    return out


def _name(fn) -> str:
    return getattr(fn, "__qualname__", type(fn).__name__)
