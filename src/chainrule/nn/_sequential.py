"""`Sequential`: layers applied one after another, named by position; `ModuleList`: the
same list of modules, held and named the same way, without a forward."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ._module import Module


class _ModuleSequence(Module):
    """A list of modules named by position (``0.weight``), renumbered when one is inserted
    or removed, with PyTorch's list methods: ``append``, ``insert``, ``extend``, ``pop``,
    indexing (a slice gives a new container numbered from 0), item assignment and
    deletion, ``len`` and iteration. ``layers`` is the plain list of modules."""

    layers: list[Module]

    def _set_layers(self, layers) -> None:
        layers = list(layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"{type(self).__name__}: layer {i} is a {type(layer).__name__}, not a Module"
                )
        self.layers = layers  # a plain list: append, insert and the rest edit it

    def _of(self, layers: list[Module]):
        """A new container holding ``layers`` (what a slice gives)."""
        raise NotImplementedError

    def _members(self) -> Iterator[tuple[str, object]]:
        """The layers named ``0``, ``1``, …, then any other attribute a subclass sets."""
        yield from ((str(i), layer) for i, layer in enumerate(self.layers))
        yield from ((n, v) for n, v in super()._members() if not n.startswith("layers."))

    def append(self, layer: Module):
        """Add a layer at the end; returns self."""
        self.layers.append(self._checked("append", layer))
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
        return self

    def __iadd__(self, layers):
        """``seq += [layers]``: `extend`, as PyTorch's ``+=`` on Sequential and ModuleList."""
        return self.extend(layers)

    def extend(self, layers):
        """Append every module of ``layers`` (another container or any iterable of
        modules), in order; returns self. All are checked first, so a non-module adds none."""
        new = [self._checked("extend", layer) for layer in layers]  # a list: extend(self) ends
        self.layers.extend(new)
        return self

    def pop(self, index: int | slice = -1):
        """Remove the layer at ``index`` (the last by default) and return it; a slice
        removes its layers and returns them in a new Sequential or ModuleList, as PyTorch does."""
        layer = self[index]
        del self.layers[index]
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

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._of(self.layers[idx])
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
    """

    def __init__(self, *layers: Module):
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
                raise ValueError(f"Sequential layer {i} ({layer!r}): {e}") from None
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
