"""`Parameter` and `Module`: the base a network is built from, and the walk that finds
its parameters.

A module finds its parameters by walking its own attributes (``vars(self)``) in the order
they were defined: a `Parameter`, a `Module`, or a list, tuple or dict holding them (or
holding such containers, to any depth). Nothing is registered by magic; the only
registration is `register_buffer`, for arrays (such as BatchNorm's running statistics)
that belong in the state but are not trained. `Module`'s other methods come from its
bases: by name (`_module_access.py`), hooks (`_module_hooks.py`), modes and dtypes
(`_module_modes.py`), state dicts (`_state_dict.py`) and display (`_module_repr.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from .._aligned import aligned_copy
from .._arguments import flag
from .._tensor import Tensor
from ._module_access import ModuleAccess
from ._module_hooks import ModuleHooks, call_with_hooks
from ._module_modes import ModuleModes
from ._module_repr import ModuleDisplay
from ._state_dict import ModuleState


class Parameter(Tensor):
    """A trainable `Tensor`: a leaf with ``requires_grad=True`` that modules collect.

    It holds a copy of ``data``: optimizer steps, `nn.init` and ``load_state_dict`` write
    into the parameter's own array, never into the array it was made from (one initial
    array can start two models). To share weights between layers, assign the same
    Parameter (``decoder.weight = encoder.weight``), not a new one made from its array.
    The copy starts on a 64-byte boundary (`aligned_copy`), where NumPy's in-place
    updates of it run fastest."""

    __slots__ = ()
    _deepcopy_keeps_grad = False  # as PyTorch's Parameter.__deepcopy__
    _aligned_copies = True  # deep and deserialized copies on the boundary too
    _frozen_updates_in_place = True  # ema_p *= decay under no_grad, requires_grad or not

    def __init__(self, data, dtype=None, requires_grad: bool = True, name: str | None = None):
        super().__init__(data, dtype=dtype, requires_grad=requires_grad, name=name)
        self.data = aligned_copy(self.data)

    def __repr__(self) -> str:
        return f"Parameter containing:\n{super().__repr__()}"


class _Recorder:
    """While `Module.summary` runs, every module call appends ``(module, output)`` here."""

    calls: list | None = None


class Module(ModuleAccess, ModuleHooks, ModuleModes, ModuleState, ModuleDisplay):
    """Base class of layers and models: subclass it and write ``forward``.

    Parameters are the `Parameter` and `Module` attributes of the instance, and those in
    lists, tuples and dicts it holds, nested too (named ``heads.0``, ``blocks.a``,
    ``stages.0.1``), found in definition order; calling the module calls ``forward``.
    """

    training = True  # set per instance by train() / eval()
    _buffer_names: tuple[str, ...] = ()
    _transient_names: tuple[str, ...] = ()  # buffers registered with persistent=False
    _optional_buffers: tuple[str, ...] = ()  # buffers a state saved before them may lack

    def forward(self, *args, **kwargs):
        """Compute the module's output; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def __call__(self, *args, **kwargs):
        hooks = self.__dict__.get("_hooks")  # set by the register_..._hook methods
        if hooks is None:
            out = self.forward(*args, **kwargs)
        else:
            out = call_with_hooks(self, hooks, args, kwargs)
        if _Recorder.calls is not None:
            _Recorder.calls.append((self, out))
        return out

    def register_buffer(self, name: str, value: np.ndarray | None, persistent: bool = True) -> None:
        """Store ``value`` as attribute ``name``: saved in the state, but not a parameter.
        A buffer that is None (as in PyTorch: a statistic not kept yet) is left out of the
        state until an array is assigned to it. As in PyTorch, ``name`` is a non-empty
        string without "." and not an attribute holding a Parameter or a Module (which the
        buffer would silently replace); the errors are TypeError and ValueError.

        With ``persistent=False`` (PyTorch's, for what the module can rebuild, such as a
        causal mask) the buffer is left out of `state_dict` and `load_state_dict`, where
        its name is unexpected; it is still among `buffers` and cast by `to`."""
        _check_buffer_name(self, name)
        persistent = flag("register_buffer", "persistent", persistent, default=True)
        setattr(self, name, None if value is None else np.asarray(value))
        if name not in self._buffer_names:
            self._buffer_names = (*self._buffer_names, name)
        transient = tuple(n for n in self._transient_names if n != name)
        self._transient_names = transient if persistent else (*transient, name)

    # ----- the walk over attributes ---------------------------------------------------------
    def _members(self) -> Iterator[tuple[str, object]]:
        """(name, value) of each Parameter, buffer and child Module, in definition order;
        inside a list or tuple named ``attr.0``, ``attr.1``, …, inside a dict ``attr.key``,
        and so on down nested lists, tuples and dicts (``stages.0.1``)."""
        for name, value in vars(self).items():
            if name in self._buffer_names:
                if value is not None:
                    yield name, value
            elif isinstance(value, (Parameter, Module)):
                yield name, value
            elif isinstance(value, (list, tuple, dict)):
                yield from _contained(name, value, {id(value)})

    def _named_state(
        self, prefix: str, seen: set, recurse: bool = True
    ) -> Iterator[tuple[str, object]]:
        """Parameters and buffers of the whole tree (or, without ``recurse``, of this module
        alone), depth first; each object once (a module met again, such as a child's
        reference back to its parent, is not walked again under a longer name). A buffer
        holding a number or a list is listed wherever it is met: equal numbers can be one
        object (CPython's small ints) without being shared state."""
        for name, value in self._members():
            if isinstance(value, Module) and not recurse:
                continue
            if _shareable(value):
                if id(value) in seen:
                    continue
                seen.add(id(value))
            if isinstance(value, Module):
                yield from value._named_state(f"{prefix}{name}.", seen)
            else:
                yield prefix + name, value

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``) and every module below it, depth first, each once."""
        return self._named_modules(prefix, {id(self)})

    def _named_modules(self, prefix: str, seen: set) -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self.named_children():
            if id(child) not in seen:
                seen.add(id(child))
                yield from child._named_modules(f"{prefix}.{name}" if prefix else name, seen)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their attribute names; one stored under two names is
        given once, under the first (as in PyTorch; the repr shows both)."""
        seen = set()
        for name, value in self._members():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, each once."""
        return (m for _, m in self.named_children())

    def modules(self) -> Iterator[Module]:
        """This module and every module below it."""
        return (m for _, m in self.named_modules())

    def apply(self, fn: Callable[[Module], object]) -> Module:
        """Call ``fn(module)`` on every module below this one and then on this one, children
        before their parent as in PyTorch, and return self: ``model.apply(init)`` with an
        ``init`` that tests ``isinstance(m, nn.Linear)`` sets up every Linear layer. A
        module shared by two parents is given to ``fn`` once (PyTorch gives it twice)."""
        if not callable(fn):
            raise TypeError(f"apply: expected a callable, got {type(fn).__name__}")
        for m in _children_first(self):
            fn(m)
        return self

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs in definition order; a shared parameter once.

        As in PyTorch, ``prefix`` is put before every name with a dot (``prefix="model"``
        gives ``model.0.weight``), and ``recurse=False`` gives only the parameters this
        module holds itself, not those of its sub-modules. A parameter in a plain list, tuple
        or dict attribute is the module's own (``heads.0``); one in a `ParameterList` or
        `ParameterDict` belongs to that container, as in PyTorch."""
        return (
            (n, v)
            for n, v in self._state_items(prefix, recurse, "named_parameters")
            if isinstance(v, Parameter)
        )

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters in definition order (what an optimizer is given); with
        ``recurse=False`` only this module's own, as in `named_parameters`."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, np.ndarray]]:
        """(dotted name, array) for every buffer, such as BatchNorm's running statistics;
        ``prefix`` and ``recurse`` as in `named_parameters`."""
        return (
            (n, v)
            for n, v in self._state_items(prefix, recurse, "named_buffers")
            if not isinstance(v, Parameter)
        )

    def buffers(self, recurse: bool = True) -> Iterator[np.ndarray]:
        """The buffers' arrays, in the order of `named_buffers`."""
        return (b for _, b in self.named_buffers(recurse=recurse))

    def _state_items(
        self, prefix: str = "", recurse: bool = True, fn: str = "state_dict"
    ) -> list[tuple[str, object]]:
        """(name, value) of every parameter and buffer, each name after ``prefix.``; the
        arguments are checked here, before the walk, and named after ``fn``."""
        if not isinstance(prefix, str):
            raise TypeError(f"{fn}: prefix must be a string, got {prefix!r}")
        if not isinstance(recurse, (bool, np.bool_)):
            raise ValueError(f"{fn}: recurse must be True or False, got {recurse!r}")
        start = f"{prefix}." if prefix else ""
        state = list(self._named_state(start, {id(self)}, bool(recurse)))  # self is met
        _check_unique(state)
        return state


def _children_first(root: Module) -> list[Module]:
    """Every module from ``root`` down, each once, each after all of its children."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        module, expanded = stack.pop()
        if expanded:
            order.append(module)
            continue
        if id(module) in seen:  # already visited under an earlier parent
            continue
        # marked when expanded, not when pushed: a module that is a child of this one and
        # of a later sibling too must be visited here, before this one, as in PyTorch
        seen.add(id(module))
        stack.append((module, True))
        stack.extend((c, False) for c in reversed(list(module.children())) if id(c) not in seen)
    return order


def check_member_name(where: str, what: str, name) -> str:
    """The name of a container's member (a `Sequential` layer's key, a `ModuleDict` key):
    non-empty text without '.', which would split the name in the state dict, as
    PyTorch's ``add_module`` requires."""
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"{where}: {what} must be non-empty text without '.', got {name!r}")
    return name


def _check_buffer_name(module: Module, name) -> None:
    if not isinstance(name, str):
        raise TypeError(f"register_buffer: the name must be a string, got {name!r}")
    if not name or "." in name:
        raise ValueError(
            f"register_buffer: the name must be non-empty and hold no '.', got {name!r} "
            "(dotted names are how the state names a child's buffers)"
        )
    held = vars(module).get(name)
    if isinstance(held, (Parameter, Module)):
        raise ValueError(
            f"register_buffer: {name!r} already holds a {type(held).__name__}, which the "
            "buffer would replace"
        )


def _contained(prefix: str, container, seen: set) -> Iterator[tuple[str, object]]:
    """The Parameters and Modules in a list, tuple or dict and in those it holds, in order
    (a container met again, as one holding itself, is not walked twice)."""
    items = container.items() if isinstance(container, dict) else enumerate(container)
    for key, item in items:
        if isinstance(item, (Parameter, Module)):
            yield f"{prefix}.{key}", item
        elif isinstance(item, (list, tuple, dict)) and id(item) not in seen:
            seen.add(id(item))
            yield from _contained(f"{prefix}.{key}", item, seen)


def _check_unique(state: list[tuple[str, object]]) -> None:
    """Two members under one dotted name would be one entry of a state dict, the other
    never saved nor loaded: a ValueError naming them."""
    names = [n for n, _ in state]
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(
            f"the model has more than one member named {', '.join(map(repr, twice))}, and a "
            "state dict can keep only one of them: rename them (dict keys 0 and '0', or a key "
            "holding a '.', give the same dotted names)"
        )


def _shareable(value) -> bool:
    """Whether ``value`` is state that two names can share: a module, a tensor or an array."""
    return isinstance(value, (Module, Tensor, np.ndarray))
