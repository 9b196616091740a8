"""`ModuleDict`, `ParameterList` and `ParameterDict`: PyTorch's containers, as modules
whose members are named by their keys or positions (``heads.cls.weight``, ``scales.0``).

A plain dict or list held as an attribute is found by the walk just as well, under the
same names; these give PyTorch's spelling and methods, and (being modules) keep their
members out of the owner's ``parameters(recurse=False)``, as PyTorch's do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from .._tensor import Tensor
from ._module import Module, Parameter, check_member_name


def _key(owner: Module, key) -> str:
    """A member's name: non-empty text without a dot (which would split the name in the
    state dict), and no attribute of the container (``keys``, ``update``), as PyTorch's."""
    name = type(owner).__name__
    check_member_name(name, "a key", key)
    if hasattr(type(owner), key) or key in vars(owner):
        raise ValueError(f"{name}: a key cannot be {key!r}, which is already an attribute")
    return key


def _pairs(owner: Module, items) -> list[tuple]:
    """(key, value) pairs from a mapping, another container of this kind (whose iteration
    gives its keys, as a dict's does), or an iterable of pairs."""
    if isinstance(items, (Mapping, _Dict)):
        return list(items.items())
    pairs = []
    for i, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(
                f"{type(owner).__name__}.update: element {i} is not a (key, value) pair"
            )
        pairs.append(tuple(item))
    return pairs


class _Dict(Module):
    """A dict of members kept in ``_entries``, named by their keys, with the dict methods."""

    _entries: dict

    def _checked(self, value):
        raise NotImplementedError

    def _members(self) -> Iterator[tuple[str, object]]:
        yield from self._entries.items()
        yield from ((n, v) for n, v in super()._members() if not n.startswith("_entries."))

    def __getattr__(self, name: str):
        """A member by its key, as an attribute (``heads.cls``), as PyTorch's."""
        entries = self.__dict__.get("_entries")
        if entries is not None and name in entries:
            return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getitem__(self, key: str):
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(
                f"{type(self).__name__}: no key {key!r} (keys: {', '.join(self._entries)})"
            ) from None

    def __setitem__(self, key: str, value) -> None:
        self._entries[_key(self, key)] = self._checked(value)

    def __delitem__(self, key: str) -> None:
        self[key]  # a missing key is named
        del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __contains__(self, key) -> bool:
        return key in self._entries

    def keys(self):
        """The keys, in insertion order."""
        return self._entries.keys()

    def values(self):
        """The members, in insertion order."""
        return self._entries.values()

    def items(self):
        """(key, member) pairs, in insertion order."""
        return self._entries.items()

    def pop(self, key: str):
        """Remove the member ``key`` and return it."""
        value = self[key]
        del self._entries[key]
        return value

    def clear(self) -> None:
        """Remove every member."""
        self._entries.clear()

    def update(self, items) -> None:
        """Add or replace members from a mapping or an iterable of (key, value) pairs; all
        are checked first, so a bad one adds none."""
        checked = [(_key(self, k), self._checked(v)) for k, v in _pairs(self, items)]
        self._entries.update(checked)


class ModuleDict(_Dict):
    """A dict of modules whose parameters the model finds, as PyTorch's ``ModuleDict``:
    ``ModuleDict({"cls": Linear(8, 3), "reg": Linear(8, 1)})``, named by key
    (``cls.weight``), in insertion order. It has the dict methods (``[key]``, ``in``,
    ``len``, iteration over keys, ``keys``, ``values``, ``items``, ``update``, ``pop``,
    ``clear``, item assignment and deletion) and attribute access by key, and no forward:
    the model that holds it calls its modules. (A plain dict of modules held by a module
    is found as well, named ``attr.key``.)"""

    def __init__(self, modules=None):
        self._entries = {}
        if modules is not None:
            self.update(modules)

    def _checked(self, value) -> Module:
        if not isinstance(value, Module):
            raise TypeError(f"ModuleDict: a {type(value).__name__} is not a Module")
        return value

    def add_module(self, name: str, module) -> None:
        """Put ``module`` in under the key ``name`` (``md[name] = module``), as PyTorch's:
        it is then among the keys, ``len`` and ``md[name]``."""
        self[name] = module

    def register_module(self, name: str, module) -> None:
        """The same as `add_module`, PyTorch's other name."""
        self[name] = module


def _parameter(owner: str, value) -> Parameter:
    """``value`` as a Parameter: a Parameter as it is (shared), a Tensor or an array as a
    new one (as PyTorch's containers wrap a plain tensor)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value.data)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return Parameter(value)
    raise TypeError(
        f"{owner}: holds Parameters (or tensors and floating arrays, made Parameters), "
        f"got a {type(value).__name__}"
    )


def _listing(owner: Module, members) -> str:
    """The repr of a container of Parameters: one line per member, as PyTorch's."""
    lines = [
        f"  ({k}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
        for k, p in members
    ]
    name = type(owner).__name__
    return "\n".join([f"{name}(", *lines, ")"]) if lines else f"{name}()"


class ParameterDict(_Dict):
    """A dict of Parameters, named by key (``scales.a``), as PyTorch's ``ParameterDict``;
    a Tensor or floating array put in becomes a Parameter. The dict methods as in
    `ModuleDict`, and PyTorch's ``get``, ``setdefault``, ``popitem``, ``copy`` and
    ``fromkeys``. (A plain dict of Parameters held by a module is found as well.)"""

    def __init__(self, parameters=None):
        self._entries = {}
        if parameters is not None:
            self.update(parameters)

    def _checked(self, value) -> Parameter:
        return _parameter("ParameterDict", value)

    def get(self, key: str, default=None):
        """The member ``key``, or ``default`` when there is none."""
        return self._entries.get(key, default)

    def setdefault(self, key: str, default=None) -> Parameter:
        """The member ``key``; when there is none, ``default`` is put in under it first
        (made a Parameter, so None is refused as by item assignment)."""
        if key not in self._entries:
            self[key] = default
        return self._entries[key]

    def popitem(self) -> tuple[str, Parameter]:
        """Remove the member put in last and return it as (key, member); a KeyError when
        there is none."""
        if not self._entries:
            raise KeyError("ParameterDict.popitem: the dict is empty")
        return self._entries.popitem()

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same Parameters (not copies of them), as
        PyTorch's."""
        return ParameterDict(self._entries)

    def fromkeys(self, keys: Iterable[str], default=None) -> ParameterDict:
        """A new ParameterDict with each of ``keys`` holding ``default`` as item assignment
        puts it in: a Parameter is shared by every key, an array or a tensor becomes a
        Parameter of its own for each. This dict is left as it is."""
        return ParameterDict([(k, default) for k in keys])

    def __repr__(self) -> str:
        return _listing(self, self._entries.items())


class ParameterList(Module):
    """A list of Parameters, named by position (``scales.0``), as PyTorch's
    ``ParameterList``; a Tensor or floating array put in becomes a Parameter. It has
    ``append``, ``extend``, indexing, item assignment, ``len`` and iteration. (A plain
    list of Parameters held by a module is found as well.)"""

    def __init__(self, values: Iterable | None = None):
        self._entries = []
        if values is not None:
            self.extend(values)

    def _members(self) -> Iterator[tuple[str, object]]:
        yield from ((str(i), p) for i, p in enumerate(self._entries))
        yield from ((n, v) for n, v in super()._members() if not n.startswith("_entries."))

    def append(self, value) -> ParameterList:
        """Add a Parameter at the end; returns self."""
        self._entries.append(_parameter("ParameterList.append", value))
        return self

    def extend(self, values: Iterable) -> ParameterList:
        """Append every value, all checked first; returns self."""
        new = [_parameter("ParameterList.extend", v) for v in values]
        self._entries.extend(new)
        return self

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(self._entries[idx])
        return self._entries[self._index(idx)]

    def __setitem__(self, idx: int, value) -> None:
        self._entries[self._index(idx)] = _parameter("ParameterList", value)

    def _index(self, idx) -> int:
        n = len(self._entries)
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"ParameterList: index must be an integer, got {idx!r}")
        if not -n <= idx < n:
            raise IndexError(f"ParameterList: index {idx} is out of range for {n} parameters")
        return int(idx)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._entries)

    def __repr__(self) -> str:
        return _listing(self, enumerate(self._entries))
