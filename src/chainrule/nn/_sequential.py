"""`Sequential`: layers applied one after another, named by position."""

from __future__ import annotations

from collections.abc import Iterator

from ._module import Module


class Sequential(Module):
    """Layers applied one after another: ``Sequential(Linear(784, 100), ReLU(), ...)``.

    Indexable (an int gives a layer, a slice a new Sequential numbered from 0 again, where
    PyTorch keeps the old numbers), with ``len`` and iteration; its parameters are named by
    position (``0.weight``). ``layers`` is the plain list of layers.
    """

    def __init__(self, *layers: Module):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} is a {type(layer).__name__}, not a Module")
        self.layers = list(layers)

    def _members(self) -> Iterator[tuple[str, object]]:
        """The layers named ``0``, ``1``, …, then any other attribute a subclass sets."""
        yield from ((str(i), layer) for i, layer in enumerate(self.layers))
        yield from ((n, v) for n, v in super()._members() if not n.startswith("layers."))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            try:
                x = layer(x)
            except ValueError as e:  # say which layer: shapes alone do not tell
                if type(e) is not ValueError:
                    raise
                raise ValueError(f"Sequential layer {i} ({layer!r}): {e}") from None
        return x

    def append(self, layer: Module) -> Sequential:
        """Add a layer at the end; returns self."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.append: a {type(layer).__name__} is not a Module")
        self.layers.append(layer)
        return self

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(*self.layers[idx])
        try:
            return self.layers[idx]
        except IndexError:
            n = len(self.layers)
            valid = f" (0 to {n - 1}, or -{n} to -1)" if n else ""
            raise IndexError(
                f"Sequential: index {idx} is out of range for {n} layers{valid}"
            ) from None

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)
