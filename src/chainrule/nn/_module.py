"""`Parameter`, `Module` and `Sequential`: the containers a network is built from.

A module finds its parameters by walking its own attributes (``vars(self)``) in the order
they were defined: a `Parameter`, a `Module`, or a list, tuple or dict holding them (or
holding such containers, to any depth). Nothing is
registered by magic; the only registration is `register_buffer`, for arrays (such as
BatchNorm's running statistics) that belong in the state but are not trained.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple

import numpy as np

from .._arguments import flag
from .._tensor import Tensor, own_copy
from ..ops._casts import device_and_dtype
from ._module_access import ModuleAccess
from ._module_hooks import ModuleHooks, call_with_hooks


class Parameter(Tensor):
    """A trainable `Tensor`: a leaf with ``requires_grad=True`` that modules collect.

    It holds a copy of ``data``: optimizer steps, `nn.init` and ``load_state_dict`` write
    into the parameter's own array, never into the array it was made from (one initial
    array can start two models). To share weights between layers, assign the same
    Parameter (``decoder.weight = encoder.weight``), not a new one made from its array."""

    __slots__ = ()
    _deepcopy_keeps_grad = False  # as PyTorch's Parameter.__deepcopy__
    _frozen_updates_in_place = True  # ema_p *= decay under no_grad, requires_grad or not

    def __init__(self, data, dtype=None, requires_grad: bool = True, name: str | None = None):
        super().__init__(data, dtype=dtype, requires_grad=requires_grad, name=name)
        own_copy(self)

    def __repr__(self) -> str:
        return f"Parameter containing:\n{super().__repr__()}"


class LoadResult(NamedTuple):
    """What `Module.load_state_dict` found: names the model has but the state lacks, and
    names in the state the model does not have (both empty after a strict load)."""

    missing: list[str]
    unexpected: list[str]

    @property
    def missing_keys(self) -> list[str]:
        """PyTorch's name for `missing`."""
        return self.missing

    @property
    def unexpected_keys(self) -> list[str]:
        """PyTorch's name for `unexpected`."""
        return self.unexpected


class _Recorder:
    """While `Module.summary` runs, every module call appends ``(module, output)`` here."""

    calls: list | None = None


class Module(ModuleAccess, ModuleHooks):
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

    # ----- state ----------------------------------------------------------------------------
    def state_dict(self, *, prefix: str = "") -> dict[str, np.ndarray]:
        """A copy of every parameter and buffer as NumPy arrays, by dotted name (a buffer
        that was replaced by a number or a list is saved as the array it makes).

        ``prefix`` is put before every name as it is, as in PyTorch: give the dot too
        (``prefix="encoder."`` gives ``encoder.0.weight``)."""
        if not isinstance(prefix, str):
            raise TypeError(f"state_dict: prefix must be a string, got {prefix!r}")
        transient = self._listed_buffers("_transient_names")
        return {
            prefix + n: np.array(v.data if isinstance(v, Tensor) else v)
            for n, v in self._state_items()
            if n not in transient
        }

    def load_state_dict(self, state: dict, strict: bool = True) -> LoadResult:
        """Copy ``state``'s values into the existing arrays, in place.

        Optimizers keep their references, since no array is replaced. Values are cast to
        the model's dtypes (a float64 state loads into float32 parameters). A shape mismatch,
        or a value the model's dtype cannot hold (a finite number beyond float32's range, a
        NaN for an integer buffer), is always a ValueError; with ``strict`` so are missing
        and unexpected names. Every problem is listed, and nothing is changed unless the
        whole load can be done: everything is checked and cast first, and an exception
        raised while the arrays are written (Ctrl-C's KeyboardInterrupt) puts the arrays
        already written back as they were before it propagates. A buffer that states saved
        before it existed lack (BatchNorm's ``num_batches_tracked``) is not missing when
        absent: it is left as it is, as PyTorch's BatchNorm loads its older states.
        """
        if not isinstance(state, Mapping):
            raise ValueError(
                f"load_state_dict: expected a dict of arrays by name, got a {type(state).__name__}"
            )
        transient = self._listed_buffers("_transient_names")
        own = {
            n: (v.data if isinstance(v, Tensor) else v)
            for n, v in self._state_items()
            if n not in transient
        }
        values = {n: _as_array(v) for n, v in state.items()}
        optional = self._listed_buffers("_optional_buffers")
        result = LoadResult(
            [n for n in own if n not in values and n not in optional],
            [n for n in values if n not in own],
        )
        notes = {}
        if strict and "model" in result.unexpected and isinstance(state["model"], Mapping):
            notes["model"] = _WHOLE_CHECKPOINT
        problems = _mismatches(own, values, result if strict else LoadResult([], []), notes)
        casts, overflows = _casts(own, values)
        if problems or overflows:
            none = strict and own and not own.keys() & values.keys() and "model" not in notes
            text = "\n".join(filter(None, [problems, overflows, _NONE_OF_OURS if none else ""]))
            raise ValueError("load_state_dict: the state does not fit the model:\n" + text)
        _assign_all(own, casts)
        return result

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

    def _listed_buffers(self, kind: str) -> set[str]:
        """The state's names of the buffers each module lists in its attribute ``kind``:
        ``_transient_names`` (registered with ``persistent=False``) or ``_optional_buffers``
        (those a state saved before they existed may lack, as BatchNorm's
        ``num_batches_tracked``: not missing when absent, and left as they are)."""
        return {
            f"{name}.{buffer}" if name else buffer
            for name, module in self.named_modules()
            for buffer in getattr(module, kind)
        }

    # ----- modes and gradients --------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch statistics) here and below; returns self.
        ``mode`` is a bool: anything else (a string is always true) is a ValueError."""
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"train: mode must be True or False, got {mode!r}")
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (dropout off, running statistics) here and below; returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set `requires_grad` of every parameter here and below; returns self. ``False``
        freezes them: backward computes no gradient for them, and optimizers skip a
        parameter whose ``.grad`` is None (clear earlier gradients with ``zero_grad()``).
        Anything but a bool is a TypeError, as in PyTorch (``"False"`` would mean True)."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(
                f"requires_grad_: requires_grad must be True or False, got {requires_grad!r}"
            )
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    def to(self, *args, dtype=None, device=None) -> Module:
        """PyTorch's ``to``: ``"cpu"`` leaves the module where it is (another device,
        ``"cuda"`` or ``"mps"``, is a ValueError: chainrule runs on the CPU only, with
        NumPy); a floating dtype casts it in place, as `double` and `float` do, and the
        module is returned.

        Casting, as PyTorch's: every floating parameter and buffer (BatchNorm's running
        statistics, a loss's class weights) gets the dtype, and so does a parameter's
        ``.grad``; integer buffers stay as they are. The parameters stay the same objects,
        so an optimizer made before still updates them; but an optimizer that has already
        stepped keeps its state in the old dtype: make it after the cast, as in PyTorch.
        An integer or bool dtype is a TypeError."""
        wanted = device_and_dtype("Module.to", args, dtype, device)
        if wanted is None:
            return self
        if wanted.kind != "f":  # PyTorch's Module.to also refuses integer dtypes
            raise TypeError(
                f"Module.to: a module's parameters are floating, so the dtype must be a "
                f"floating one, got {wanted}; to cast a tensor, x.to({str(wanted)!r})"
            )
        for p in self.parameters():
            if p.dtype.kind == "f" and p.dtype != wanted:
                _cast_parameter(p, wanted)
        for m in self.modules():
            for name in m._buffer_names:
                value = vars(m).get(name)
                if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                    setattr(m, name, value.astype(wanted))
        return self

    def double(self) -> Module:
        """Cast every floating parameter and buffer to float64, in place (see `to`)."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast every floating parameter and buffer to float32, in place (see `to`)."""
        return self.to(np.float32)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: ``.grad`` becomes None (or, with
        ``set_to_none=False``, zeros in place; see `Tensor.zero_grad`)."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    # ----- display --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The settings shown inside the parentheses of the repr; layers override it."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's: the settings on one line in the parentheses; each child, and each line
        of settings over several lines, on a line of its own, indented."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []  # a container's settings first, as PyTorch's
        children = [(n, v) for n, v in self._members() if isinstance(v, Module)]
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({extra})"
        lines += [f"({name}): {child!r}" for name, child in children]
        body = "".join("\n  " + line.replace("\n", "\n  ") for line in lines)
        return f"{type(self).__name__}({body}\n)" if body else f"{type(self).__name__}()"

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of each layer's output shape and parameter count, and the totals. A
        container is a row only for parameters it holds itself (after its layers' rows), and
        a parameter counted in an earlier row shows as "0 (shared)": the rows add up to the
        total of the layers that ran.

        A zero input of ``input_shape`` (batch axis included, e.g. ``(1, 784)``) is passed
        through the model in eval mode without recording a graph; the modes are restored.
        Without ``input_shape`` nothing runs: one row per layer the model holds, in order,
        with "?" for its output shape. The text is returned (``print`` it); at the
        interactive prompt it shows as the table.
        """
        from ._summary import summary  # the table is display code, kept apart

        return summary(self, input_shape)


def _cast_parameter(p: Parameter, dtype: np.dtype) -> None:
    """Give ``p`` (and its gradient) ``dtype``, keeping the object."""
    p.data = p.data.astype(dtype)
    grad = p._grad
    if isinstance(grad, np.ndarray):
        p._grad = grad.astype(dtype)
    elif grad is not None:  # a Tensor, after backward(create_graph=True): a cast leaf
        p._grad = Tensor(grad.data.astype(dtype))


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


def _as_array(value) -> np.ndarray | Exception:
    """``value`` as an array, or the error met making one: NumPy's for a ragged list,
    PyTorch's for a tensor that requires grad or is bfloat16 (listed by name with the other
    problems, not raised alone)."""
    try:
        return np.asarray(value.data if isinstance(value, Tensor) else value)
    except (ValueError, TypeError, RuntimeError) as e:
        return e


def _mismatches(own: dict, values: dict, strict: LoadResult, notes: dict) -> str:
    """A line for each problem; ``notes`` adds words to the line of an unexpected name."""
    lines = [f"  missing from the state: {n}" for n in strict.missing]
    lines += [f"  unexpected in the state: {n}{notes.get(n, '')}" for n in strict.unexpected]
    lines += [
        f"  {n} is not an array: {v}"
        for n, v in values.items()
        if n in own and isinstance(v, Exception)
    ]
    values = {n: v for n, v in values.items() if isinstance(v, np.ndarray)}
    lines += [
        f"  {n} in the model is not a writable array ({_kind(own[n])}): update a buffer "
        "in place (x[...] = …) or assign it an array (np.asarray(…))"
        for n in values
        if n in own and not _writable(own[n])
    ]
    lines += [
        f"  shape mismatch for {n}: model {own[n].shape}, state {v.shape}"
        + _transposed_hint(own[n].shape, v.shape)
        for n, v in values.items()
        if n in own and _writable(own[n]) and v.shape != own[n].shape
    ]
    lines += [
        f"  not numeric: {n} has dtype {v.dtype}"
        for n, v in values.items()
        if n in own and v.dtype.kind not in "biuf"
    ]
    return "\n".join(lines)


def _transposed_hint(model: tuple, state: tuple) -> str:
    """A note for a matrix stored the other way round, as PyTorch's Linear weight is."""
    if len(model) == 2 and state == model[::-1] and model[0] != model[1]:
        return " (transposed: PyTorch's Linear keeps (out, in), chainrule's (in, out))"
    return ""


def _casts(own: dict, values: dict) -> tuple[dict, str]:
    """Each value the model has a name for, cast to the dtype of the model's array, and a
    line for each that does not fit that dtype (cast before anything is written, so that a
    value found too large leaves the model as it was)."""
    casts, lines = {}, []
    for name, value in values.items():
        if not _loadable(own.get(name), value):
            continue  # not in the model, or a problem _mismatches lists
        try:
            with np.errstate(over="raise", invalid="raise"):
                casts[name] = value.astype(own[name].dtype)
        except FloatingPointError:
            lines.append(
                f"  {name} has values the model's {own[name].dtype} cannot hold (beyond its "
                "range, or NaN or infinite for integers)"
            )
    return casts, "\n".join(lines)


def _assign_all(own: dict, casts: dict) -> None:
    """Copy every cast value into the model's array of that name, all or none: anything
    raised midway (a KeyboardInterrupt, a MemoryError) first puts back the arrays already
    written, from copies taken before the first write, so no model is left half loaded."""
    previous = {name: own[name].copy() for name in casts}
    started = []
    try:
        for name, value in casts.items():
            started.append(name)  # before the write: an interrupted copy may be partial
            _write(own[name], value)
    except BaseException:
        for name in started:
            np.copyto(own[name], previous[name])
        raise


def _write(target: np.ndarray, value: np.ndarray) -> None:
    """One array of the load, in place (every value is already of the target's dtype)."""
    np.copyto(target, value)


_NONE_OF_OURS = (
    "  the state holds none of the model's names: a checkpoint's weights load with "
    "chainrule.load(path, model), which returns the training state, not the weights"
)
_WHOLE_CHECKPOINT = (
    " (a dict of weights, as in a checkpoint saved as {'model': ..., 'epoch': ...}: pass "
    "its ['model'])"
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


def _loadable(target, value) -> bool:
    """Whether ``value`` is a numeric array that can be cast to ``target``, a writable array."""
    return _writable(target) and isinstance(value, np.ndarray) and value.dtype.kind in "biuf"


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


def _writable(a) -> bool:
    return isinstance(a, np.ndarray) and a.flags.writeable


def _kind(a) -> str:
    return "a read-only array" if isinstance(a, np.ndarray) else f"a {type(a).__name__}"
