"""`Sequential`: layers applied one after another, named by position; `ModuleList`: the
same list of modules, held and named the same way, without a forward."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from ._module import Module, check_member_name


class _ModuleSequence(Module):
    """A list of modules named by position (``0.weight``), renumbered when one is inserted
    or removed, with PyTorch's list methods: ``append``, ``insert``, ``extend``, ``pop``,
    indexing (a slice gives a new container numbered from 0), item assignment and
    deletion, ``len`` and iteration. ``layers`` is the plain list of modules."""

    layers: list[Module]
    _names: list[str] | None = None  # None: the layers are named by position

    def _set_layers(self, layers, names: list[str] | None = None) -> None:
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"{type(self).__name__}: layer {i} is a {type(layer).__name__}, not a Module"
                )
        self.layers = layers  # a plain list: append, insert and the rest edit it
        if names is not None:
            for name in names:  # ``model.forward`` must stay the method, as PyTorch keeps it
                if hasattr(self, name):
                    raise ValueError(
                        f"{type(self).__name__}: a layer cannot be named {name!r}, which is "
                        "already an attribute of the container (PyTorch refuses it too)"
                    )
            self._names = names

    def _layer_names(self) -> list[str]:
        """Each layer's name: its key when built from a dict, else its position."""
        names = self._names
        return list(map(str, range(len(self.layers)))) if names is None else names

    def _named(self, i: int, count: int = 1) -> None:
        """Name ``count`` layers just put at position ``i`` of a container built from a dict
        by their positions, as PyTorch's ``append`` does (``seq.append(m)`` is ``"3"``)."""
        names = self._names
        if names is None:
            return
        new = [str(i + k) for k in range(count)]
        taken = set(names).intersection(new)
        if taken:
            del self.layers[i : i + count]  # as it was: the edit is refused whole
            raise ValueError(
                f"{type(self).__name__}: a layer added at position {i} would be named "
                f"{sorted(taken)[0]!r}, a name another layer has; build a new "
                "Sequential from a dict of names instead"
            )
        names[i:i] = new

    def _of(self, layers: list[Module]):
        """A new container holding ``layers`` (what a slice gives)."""
        raise NotImplementedError

    def _members(self) -> Iterator[tuple[str, object]]:
        """The layers named ``0``, ``1``, … (or by their keys), then any other attribute a
        subclass sets."""
        yield from zip(self._layer_names(), self.layers)
        yield from ((n, v) for n, v in super()._members() if not n.startswith("layers."))

    def __getattr__(self, name: str):
        """A layer of a container built from a dict, by its key (``model.fc1``)."""
        names = self.__dict__.get("_names")
        if names is not None and name in names:
            return self.layers[names.index(name)]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value) -> None:
        """``model.fc1 = layer`` replaces the layer named ``fc1`` in place, as in PyTorch
        (it would otherwise be a second member of that name, not used by forward)."""
        names = self.__dict__.get("_names")
        if names is not None and name in names:
            self.layers[names.index(name)] = self._checked(name, value)
        else:
            super().__setattr__(name, value)

    def append(self, layer: Module):
        """Add a layer at the end; returns self."""
        self.layers.append(self._checked("append", layer))
        self._named(len(self.layers) - 1)
        return self

    def insert(self, index: int, layer: Module):
        """Put ``layer`` before position ``index`` (-len to len, as in PyTorch; len appends);
        the layers after it are renumbered. Returns self."""
        n, owner = len(self.layers), type(self).__name__
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{owner}.insert: index must be an integer, got {index!r}")
        if not -n <= index <= n:
            raise IndexError(f"{owner}.insert: index {index} is out of range -{n} to {n}")
        self.layers.insert(int(index), self._checked("insert", layer))
        self._named(int(index) + n if index < 0 else int(index))  # -1 is before the last
        return self

    def add_module(self, name: str, module) -> None:
        """Append ``module`` as a layer named ``name``, or replace the layer of that name, as
        PyTorch's (``seq.add_module("head", Linear(8, 2))`` runs last in ``forward`` and is
        named ``head.weight``)."""
        check_member_name(f"{type(self).__name__}.add_module", "the name", name)
        layer, names = self._checked("add_module", module), self._layer_names()
        if name in names:
            self.layers[names.index(name)] = layer
            return
        if hasattr(self, name):
            raise KeyError(f"{type(self).__name__}.add_module: attribute {name!r} already exists")
        if self._names is not None or name != str(len(self.layers)):
            self._names = [*names, name]  # positions become names: "0", "1", …, "head"
        self.layers.append(layer)

    def register_module(self, name: str, module) -> None:
        """The same as `add_module`, PyTorch's other name."""
        self.add_module(name, module)

    def __iadd__(self, layers):
        """``seq += [layers]``: `extend`, as PyTorch's ``+=`` on Sequential and ModuleList."""
        return self.extend(layers)

    def extend(self, layers):
        """Append every module of ``layers`` (another container or any iterable of
        modules), in order; returns self. All are checked first, so a non-module adds none."""
        new = [self._checked("extend", layer) for layer in layers]  # a list: extend(self) ends
        self.layers.extend(new)
        self._named(len(self.layers) - len(new), len(new))
        return self

    def pop(self, index: int | slice = -1):
        """Remove the layer at ``index`` (the last by default) and return it; a slice
        removes its layers and returns them in a new Sequential or ModuleList, as PyTorch does."""
        layer = self[index]
        del self[index]
        return layer

    def __setitem__(self, idx: int, layer: Module) -> None:
        """Replace the layer at position ``idx`` (an integer, as in PyTorch)."""
        if isinstance(idx, slice):
            raise TypeError(
                f"{type(self).__name__}: assign layers one index at a time, not to a slice"
            )
        self._layer_at(idx)  # an index out of range is named before anything changes
        self.layers[idx] = self._checked("item assignment", layer)

    def __delitem__(self, idx) -> None:
        """Remove the layer at position ``idx``, or the layers of a slice."""
        if not isinstance(idx, slice):
            self._layer_at(idx)  # an index out of range is named before anything changes
        del self.layers[idx]
        if self._names is not None:
            del self._names[idx]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            sliced = self._of(self.layers[idx])
            if self._names is not None:  # a slice keeps the names, as PyTorch's does
                sliced._names = self._names[idx]
            return sliced
        return self._layer_at(idx)

    def _layer_at(self, idx) -> Module:
        """The layer at integer position ``idx``; out of range, an IndexError giving the range."""
        try:
            return self.layers[idx]
        except IndexError:
            n = len(self.layers)
            valid = f" (0 to {n - 1}, or -{n} to -1)" if n else ""
            raise IndexError(
                f"{type(self).__name__}: index {idx} is out of range for {n} layers{valid}"
            ) from None

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def _checked(self, method: str, layer) -> Module:
        """``layer``, once it is known to be a Module (anything else is a TypeError)."""
        if not isinstance(layer, Module):
            owner = type(self).__name__
            raise TypeError(f"{owner}.{method}: a {type(layer).__name__} is not a Module")
        return layer


class Sequential(_ModuleSequence):
    """Layers applied one after another: ``Sequential(Linear(784, 100), ReLU(), ...)``.

    Indexable (an int gives a layer, a slice a new Sequential numbered from 0 again, where
    PyTorch keeps the old numbers), with ``len`` and iteration; its parameters are named by
    position (``0.weight``), so they are renumbered when a layer is inserted or removed.
    As in PyTorch: ``append``, ``insert``, ``extend``, ``pop``, and item assignment and
    deletion. ``layers`` is the plain list of layers.

    ``Sequential(OrderedDict([("fc1", Linear(4, 8)), ("act", ReLU())]))`` (or a dict) names
    the layers by their keys instead, as in PyTorch: ``fc1.weight`` in the state dict,
    ``model.fc1`` for the layer, ``model.fc1 = layer`` to replace it. A key that is already
    an attribute (``forward``, ``append``, ``layers``) is refused, as in PyTorch. Edits keep
    the names (PyTorch's ``del`` and ``pop`` renumber every layer from 0); a layer added
    later is named by its position (``append`` gives ``"2"`` here), and a name that another
    layer has is a ValueError (PyTorch would replace that layer silently).
    """

    def __init__(self, *layers: Module):
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            self._set_layers(layers[0].values(), _keys(layers[0]))
        else:
            self._set_layers(layers)

    def _of(self, layers: list[Module]) -> Sequential:
        return Sequential(*layers)  # a plain Sequential, also for a subclass

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            try:
                x = layer(x)
            except ValueError as e:  # say which layer: shapes alone do not tell
                if type(e) is not ValueError:
                    raise
                named = "" if self._names is None else f" {self._names[i]!r}"
                raise ValueError(f"Sequential layer {i}{named} ({layer!r}): {e}") from None
        return x


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the model finds, as PyTorch's ``ModuleList``:
    ``ModuleList([Linear(4, 4) for _ in range(3)])``, named by position (``0.weight``).

    It has `Sequential`'s list methods (``append``, ``insert``, ``extend``, ``+=``,
    ``pop``, indexing, a slice giving a ModuleList, item assignment and deletion, ``len``
    and iteration) and no forward: the model that holds it calls its modules. (A plain
    list of modules held by a module is found as well, named ``attr.0``.)
    """

    def __init__(self, modules=None):
        self._set_layers(() if modules is None else modules)

    def _of(self, layers: list[Module]) -> ModuleList:
        return ModuleList(layers)


def _keys(layers: Mapping) -> list[str]:
    """The keys of a dict of layers, as names (`check_member_name`)."""
    return [check_member_name("Sequential", "a layer's name", key) for key in layers]
