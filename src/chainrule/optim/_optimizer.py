"""`Optimizer`: parameter groups, per-parameter state, and the step loop all optimizers share.

A subclass states its update rule as maths in its docstring and writes it once, in
``_update(w, g, state, group)``, on NumPy arrays: ``w`` is the parameter's array, updated
in place; ``g`` its gradient, read only; ``state`` its dict of arrays and step count.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._aligned import aligned_empty, aligned_full_like
from .._grad_mode import enable_grad
from .._quiet import silenced
from .._tensor import Tensor
from ._arithmetic import add_scaled, decayed_grad
from ._hyper import check_hyper
from ._params import as_groups, checked_params, grad_array, refuse_unsupported
from ._state import parse_state_dict

#: the most elements `Optimizer._add_scaled` updates at once: a 256 KiB float32 work array,
#: small enough to stay in the CPU's cache between its write and its read
BLOCK = 1 << 16


class Optimizer:
    """Base class of the optimizers: parameter groups, explicit state, state_dict.

    Args:
        params: an iterable of Tensors that require gradients (e.g. ``model.parameters()``),
            or of dicts ``{"params": [...], "lr": 0.1, ...}``, each a parameter group with
            its own hyper-parameters (those it leaves out come from ``defaults``). An
            ordered collection, never a set (ValueError): parameters are numbered by
            position. PyTorch refuses a set only inside a group dict.
        defaults: the optimizer's hyper-parameters.

    Attributes:
        param_groups: list of dicts holding ``"params"`` (a list of Tensors) and every
            hyper-parameter. Learning-rate schedules change ``group["lr"]``.
        state: ``{index: {"step": int, name: ndarray, ...}}``, indices numbering the
            parameters across groups in order; created at a parameter's first update.

    Differences from PyTorch, on purpose:

    - ``state`` is keyed by the parameter's index, not by the Tensor (``opt.state[0]``,
      not ``opt.state[p]``), so that it matches the state_dict; ``add_param_group``
      appends, keeping the indices, but removing or reordering parameters in
      ``param_groups`` would give them each other's state.
    - A parameter given twice, even within one group, is a ValueError (PyTorch warns
      and keeps both), and so is a group key that is not a hyper-parameter of the
      optimizer (PyTorch keeps any extra key, such as a group's name).
    - Hyper-parameters are checked against the ranges each docstring gives, which may
      be narrower than PyTorch's (momentum and RMSProp's α below 1).
    - ``state["step"]`` is a Python int, not a 0-d tensor.
    """

    #: names of the arrays an optimizer may keep per parameter
    _state_keys: tuple[str, ...] = ()
    #: per-parameter state that is one number, not an array (NAdam's running product of
    #: its momentum factors, ``"mu_product"``), with its value at the parameter's first
    #: step; kept as a Python float (a name of `_state_keys` too)
    _scalar_state: tuple[tuple[str, float], ...] = ()
    #: hyper-parameters added in a later version, with the value that changes nothing: a
    #: state_dict saved before them (an older checkpoint) loads with these
    _added_later: tuple[tuple[str, object], ...] = ()
    #: PyTorch's switches (``maximize``, ``amsgrad``, ...), each with its neutral value, the
    #: one that leaves the update as it was before the switch existed. Every group holds
    #: them; ``defaults`` and `state_dict` leave out those at their neutral value, so that a
    #: state_dict with every switch off is the one saved before they existed (both ways:
    #: an older checkpoint loads, with the switches off, and a new one loads in an older
    #: version)
    _options: tuple[tuple[str, object], ...] = ()
    #: validation rules of this optimizer's own for names whose shared rule (`RULES` in
    #: ``_hyper.py``) does not fit it, each ``(name, rule)``: ASGD's ``alpha``, a power,
    #: is not RMSProp's smoothing constant
    _hyper_rules: tuple[tuple[str, Callable], ...] = ()

    def __init__(self, params, defaults: dict, unsupported: dict | None = None) -> None:
        if unsupported:
            refuse_unsupported(type(self).__name__, unsupported)
        self.defaults = self._without_neutral(self._named(self._checked_hyper, defaults))
        self.param_groups: list[dict] = []
        self.state: dict[int, dict] = {}
        self._buffers: dict = {}
        for group in as_groups(params):
            self.add_param_group(group)
        if not self._params():
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")

    def _named(self, fn, arg):
        """``fn(arg)``, with a ValueError or TypeError prefixed by the optimizer's name."""
        try:
            return fn(arg)
        except (ValueError, TypeError) as e:
            if str(e).startswith(f"{type(self).__name__}:"):
                raise
            raise type(e)(f"{type(self).__name__}: {e}") from None

    def add_param_group(self, group: dict) -> None:
        """Add a group ``{"params": [...], **hyper-parameters}`` (e.g. to unfreeze layers)."""
        self._named(self._add_group, group)

    def _add_group(self, group: dict) -> None:
        if not isinstance(group, dict) or "params" not in group:
            raise ValueError(f"a parameter group must be a dict with a 'params' key, got {group!r}")
        names = set(self.defaults) | {k for k, _ in self._options}
        # initial_lr: a schedule's η₀, in a group copied from one that was scheduled
        unknown = sorted(set(group) - names - {"params", "initial_lr"})
        if unknown:
            raise ValueError(f"unknown hyper-parameter(s) {unknown}")
        params = checked_params(group["params"], self._params())
        options = self._checked_hyper({k: v for k, v in group.items() if k != "params"})
        full = {**self.defaults, **options}
        for name, neutral in self._options:
            full.setdefault(name, neutral)
        self._check_group(full)
        self.param_groups.append({"params": params, **full})

    # ----- the update loop -------------------------------------------------------------
    def step(self, closure: Callable[[], object] | None = None):
        """Update every parameter in place from its ``.grad``; skip those whose grad is None.

        ``closure``, as in PyTorch, re-evaluates the model: it is called first (with
        gradients enabled), typically zeroing the gradients, computing the loss and calling
        backward; its result is returned. Without it, step returns None."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        index = 0
        with silenced():  # IEEE results (an update that overflows gives inf), no warning
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._step_one(index, p, group)
                    index += 1
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient before the next backward: ``.grad = None``, or
        with ``set_to_none=False`` zeros in place (see `Tensor.zero_grad`)."""
        for p in self._params():
            p.zero_grad(set_to_none)

    def _step_one(self, index: int, p: Tensor, group: dict) -> None:
        w, g = p.data, p.grad
        if type(g) is not np.ndarray or g.shape != w.shape:
            g = grad_array(p, index)
        state = self.state.get(index)
        if state is None:
            state = self.state[index] = self._init_state(w, group)
        state["step"] += 1
        self._update(w, g, state, group)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _init_state(self, w: np.ndarray, group: dict) -> dict:
        scalars = dict(self._scalar_state)
        arrays = {
            k: aligned_full_like(w, 0) for k in self._required_state(group) if k not in scalars
        }
        return {"step": 0, **arrays, **scalars}

    def _checked_hyper(self, options: dict) -> dict:
        """``options`` validated by `check_hyper`, with this optimizer's `_hyper_rules`."""
        return check_hyper(options, dict(self._hyper_rules))

    def _required_state(self, group: dict) -> tuple[str, ...]:
        """The arrays every updated parameter's state holds (under this group's options)."""
        return self._state_keys

    def _check_group(self, group: dict) -> None:
        """Checks that involve several hyper-parameters of a group (none by default)."""

    def _add_scaled(self, w: np.ndarray, a: float, x: np.ndarray) -> None:
        """w += a·x in place for a parameter w, through a work array of at most `BLOCK`
        elements (a larger parameter is updated block by block): the update needs no
        temporary as large as the parameter, and the work array stays in the CPU cache."""
        if w.size <= BLOCK:
            add_scaled(w, a, x, self._scratch(w, "block"))
        elif w.flags.c_contiguous and x.flags.c_contiguous:
            buf, flat_w, flat_x = self._work(w.dtype, "block", BLOCK), w.reshape(-1), x.reshape(-1)
            for start in range(0, w.size, BLOCK):  # flat views of the parameter's memory
                y, d = flat_w[start : start + BLOCK], flat_x[start : start + BLOCK]
                add_scaled(y, a, d, buf[: d.size])
        else:  # a strided parameter or gradient (rare): one temporary
            w += x * a

    def _decayed(self, w: np.ndarray, g: np.ndarray, group: dict) -> np.ndarray:
        """The gradient with the group's L2 penalty added (`decayed_grad`), in work array 0;
        ``g`` itself, and no work array, when the group has no weight decay."""
        if group["weight_decay"] == 0:
            return g
        return decayed_grad(w, g, group["weight_decay"], self._scratch(w, 0))

    def _ascent(self, w: np.ndarray, g: np.ndarray, group: dict) -> np.ndarray:
        """−g + λ·W in work array 0: the descent direction under ``maximize=True``, where
        the step climbs the objective (PyTorch negates the gradient before the decay)."""
        out = self._scratch(w, 0)
        if group["weight_decay"] == 0:
            return np.negative(g, out=out)
        np.multiply(w, group["weight_decay"], out=out)
        out -= g
        return out

    def _direction(self, w: np.ndarray, g: np.ndarray, group: dict, decoupled: bool = False):
        """The direction d the rule follows: the gradient with the group's L2 penalty
        (`_decayed`, or `_ascent` under ``maximize=True``); with ``decoupled`` (AdamW's
        decay), W ← W·(1 − ηλ) first, in place, and d = g (−g in work array 0 under
        ``maximize``), as PyTorch's ``decoupled_weight_decay``."""
        if not decoupled:
            return self._ascent(w, g, group) if group["maximize"] else self._decayed(w, g, group)
        if group["weight_decay"]:
            w *= 1 - group["lr"] * group["weight_decay"]
        return np.negative(g, out=self._scratch(w, 0)) if group["maximize"] else g

    def _without_neutral(self, hyper: dict) -> dict:
        """``hyper`` without the `_options` that are at their neutral value."""
        neutral = dict(self._options)
        return {
            k: v
            for k, v in hyper.items()
            if k not in neutral or v != neutral[k] or type(v) is not type(neutral[k])
        }

    def _scratch(self, w: np.ndarray, slot) -> np.ndarray:
        """A reusable work array shaped like ``w``, so that steps stop allocating once warm.

        One flat buffer per (dtype, slot), as large as the largest parameter, is shared by
        all parameters, since they are updated one at a time.
        """
        return self._work(w.dtype, slot, w.size)[: w.size].reshape(w.shape)

    def _work(self, dtype: np.dtype, slot, size: int) -> np.ndarray:
        """The flat work array of (dtype, slot), grown to at least ``size`` elements."""
        key = (dtype, slot)
        buf = self._buffers.get(key)
        if buf is None or buf.size < size:
            buf = self._buffers[key] = aligned_empty(size, dtype)
        return buf

    # ----- saving and restoring --------------------------------------------------------
    def state_dict(self) -> dict:
        """A snapshot: ``{"param_groups": [...], "state": {index: {"step": int, name: array}}}``.

        Groups hold their hyper-parameters (a switch such as ``amsgrad`` only when it is
        on) and ``"params"``, the indices of their parameters. Arrays are copies, so later
        steps do not change the snapshot. Use `flatten_state_dict` for a ``{name: array}``
        + JSON form.
        """
        groups, start = [], 0
        for group in self.param_groups:
            n = len(group["params"])
            hyper = self._without_neutral({k: v for k, v in group.items() if k != "params"})
            groups.append({**hyper, "params": list(range(start, start + n))})
            start += n
        owners = [(p, group) for group in self.param_groups for p in group["params"]]
        state = {i: self._saved_entry(entry, *owners[i]) for i, entry in self.state.items()}
        return {"param_groups": groups, "state": state}

    def _saved_entry(self, entry: dict, p: Tensor, group: dict) -> dict:
        """A copy of a parameter's state, with zeros for the arrays of a switch set on
        since its last step (amsgrad, centered, RMSprop's momentum): the values it starts
        them at, and `load_state_dict` requires them once the switch is on."""
        out = _copy_entry(entry)
        for name in self._required_state(group):
            out.setdefault(name, np.zeros_like(p.data))
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a `state_dict` so that stepping on continues exactly as if never stopped.

        Everything is checked before anything changes: the number of groups and of
        parameters, each hyper-parameter, each state array's name and shape (ValueError
        naming the parameter index and both shapes). Arrays are copied in the parameter's dtype.
        """
        hypers, state = parse_state_dict(self, state_dict)
        for group, hyper in zip(self.param_groups, hypers):
            group.update(hyper)
        self.state = state

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}("]
        for i, group in enumerate(self.param_groups):
            hyper = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} parameters, {hyper}")
        return "\n".join([*lines, ")"])


def _copy_entry(entry: dict) -> dict:
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in entry.items()}
