"""Members by dotted name, as PyTorch's: `ModuleAccess` gives `Module` its
``get_submodule``, ``get_parameter`` and ``get_buffer`` (``model.get_parameter("0.weight")``),
and ``add_module`` / ``register_module`` / ``register_parameter``, which set an attribute
after checking its name and value (chainrule finds members by walking the attributes, so
assigning them directly works as well).
"""

from __future__ import annotations

import numpy as np

from . import _module  # Module and Parameter, read when a method runs (it imports this)


class ModuleAccess:
    """The by-name methods of `Module`."""

    def get_submodule(self, target: str):
        """The module at the dotted path ``target`` (``"encoder.0"``), named as in
        `named_modules`; ``""`` is this module. An AttributeError names the part of the
        path that is missing."""
        return self if target == "" else _member_at(self, "get_submodule", target, "submodule")

    def get_parameter(self, target: str):
        """The Parameter at the dotted name ``target`` (``"0.weight"``), named as in
        `named_parameters`."""
        return _member_at(self, "get_parameter", target, "parameter")

    def get_buffer(self, target: str) -> np.ndarray:
        """The buffer at the dotted name ``target`` (``"bn.running_mean"``), named as in
        `named_buffers`."""
        return _member_at(self, "get_buffer", target, "buffer")

    def add_module(self, name: str, module) -> None:
        """Set ``module`` (a Module, or None) as the attribute ``name``, as PyTorch's: the
        name is non-empty text without '.', and may replace only a module or None."""
        _set_member(self, "add_module", name, module, "submodule")

    def register_module(self, name: str, module) -> None:
        """The same as `add_module`, PyTorch's other name."""
        _set_member(self, "register_module", name, module, "submodule")

    def register_parameter(self, name: str, param) -> None:
        """Set ``param`` (a Parameter, or None) as the attribute ``name``, as PyTorch's: the
        name is non-empty text without '.', and may replace only a parameter or None. A
        plain tensor or array is a TypeError: wrap it in ``nn.Parameter``."""
        _set_member(self, "register_parameter", name, param, "parameter")


def _is(kind: str, value, owner=None, name: str = "") -> bool:
    """Whether ``value`` (held by ``owner`` under ``name``) is a member of this kind."""
    if kind == "submodule":
        return isinstance(value, _module.Module)
    if kind == "parameter":
        return isinstance(value, _module.Parameter)
    return owner is not None and name in owner._buffer_names


def _member_at(root, method: str, target, kind: str):
    """Walk ``target`` down from ``root`` through the names `_members` gives (which may
    hold dots themselves: ``heads.0`` for a list) to a member of ``kind``."""
    if not isinstance(target, str):
        raise TypeError(f"{method}: the target must be a string, got a {type(target).__name__}")
    module, rest = root, target
    while True:
        step = None
        for name, value in module._members():
            if name == rest and _is(kind, value, module, name):
                return value
            if isinstance(value, _module.Module) and rest.startswith(name + "."):
                step = value, rest[len(name) + 1 :]
                break
        if step is None:
            where = target[: len(target) - len(rest)].rstrip(".") or "the model"
            raise AttributeError(
                f"{method}: {type(module).__name__} ({where}) has no {kind} {rest!r} "
                f"(looking for {target!r})"
            )
        module, rest = step


def _set_member(module, method: str, name, value, kind: str) -> None:
    """``setattr(module, name, value)`` for a member of ``kind`` (or None) under a name that
    holds nothing else: not a method or other attribute of the class, no other kind of
    member. The errors are PyTorch's types: TypeError, ValueError and KeyError."""
    if value is not None and not _is(kind, value):
        wanted = "Parameter (wrap it: nn.Parameter(value))" if kind == "parameter" else "Module"
        raise TypeError(
            f"{method}: {name!r} must be a {wanted} or None, got a {type(value).__name__}"
        )
    _module.check_member_name(method, "the name", name)
    held = vars(module).get(name, _MISSING)
    if held is _MISSING:
        taken = hasattr(type(module), name)
    else:
        taken = held is not None and not _is(kind, held)
    if taken:
        raise KeyError(f"{method}: attribute {name!r} already exists")
    setattr(module, name, value)


_MISSING = object()
