"""`Module`'s state: `ModuleState` gives it ``state_dict`` and ``load_state_dict`` (every
name, shape and value checked first, then written in place, all or nothing), and
`LoadResult` is what a load found."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .._tensor import Tensor


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


class ModuleState:
    """The state-dict methods of `Module`."""

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


def _loadable(target, value) -> bool:
    """Whether ``value`` is a numeric array that can be cast to ``target``, a writable array."""
    return _writable(target) and isinstance(value, np.ndarray) and value.dtype.kind in "biuf"


def _writable(a) -> bool:
    return isinstance(a, np.ndarray) and a.flags.writeable


def _kind(a) -> str:
    return "a read-only array" if isinstance(a, np.ndarray) else f"a {type(a).__name__}"
