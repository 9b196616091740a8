"""A tensor's gradient bookkeeping beside ``backward``: ``is_leaf``, ``grad_fn``,
``requires_grad_``, ``retain_grad``, ``zero_grad``, the gradient hooks and the `HookHandle`
that takes one off, and the check of a gradient assigned to ``.grad``. Mixed into `Tensor`."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import _tensor

if TYPE_CHECKING:
    from ._tensor import Tensor


class GradMethods:
    """The graph attributes, ``retain_grad``, ``zero_grad`` and the gradient hooks of `Tensor`."""

    __slots__ = ()

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by a recorded op."""
        return self._node is None

    @property
    def grad_fn(self):
        """The `Function` node that produced this tensor, or None for a leaf."""
        return self._node

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set `requires_grad` in place and return this tensor, as in PyTorch. Anything but
        a bool is a TypeError, as there and in `Module.requires_grad_` (``"False"`` would
        mean True)."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(
                f"requires_grad_: requires_grad must be True or False, got {requires_grad!r}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self._requires_grad:  # backward never reaches it: .grad would stay None
            raise RuntimeError(
                "retain_grad: this tensor does not require gradients (none of the tensors "
                "it was computed from has requires_grad=True, or it was computed in no_grad())"
            )
        self._retain = True

    def register_hook(self, fn: Callable) -> HookHandle:
        """Call ``fn(grad)`` when this tensor's gradient is computed; a non-None return
        value (of the tensor's shape) replaces the gradient. Returns a `HookHandle`: call
        it, or its ``remove()`` as in PyTorch, to take the hook off.

        As in PyTorch: hooks run in registration order, each given the previous one's
        result, once per backward with the gradient summed over all uses of the tensor;
        a retained ``.grad`` (`retain_grad`) and a leaf's ``.grad`` get the gradient after
        every hook. Unlike PyTorch, ``grad`` is a read-only array (a Tensor under
        ``create_graph=True``): it may be another tensor's gradient too, so a hook returns
        a new one rather than writing into it (PyTorch only asks that hooks do not). A
        returned value of another dtype is cast to the tensor's dtype rather than refused.
        Copies of the tensor (``copy.copy``, ``copy.deepcopy``, serializing) have no hooks,
        as in PyTorch."""
        if not self._requires_grad:
            raise RuntimeError("register_hook: this tensor does not require gradients")
        if not callable(fn):
            raise TypeError(f"register_hook: expected a callable, got {type(fn).__name__}")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return HookHandle(self, fn)

    def register_post_accumulate_grad_hook(self, fn: Callable) -> HookHandle:
        """Call ``fn(tensor)`` during backward once this leaf's ``.grad`` holds its whole
        gradient for the pass, as in PyTorch. ``fn`` returns None; it may read and change
        the tensor and its ``.grad`` in place, so an optimizer can update each parameter as
        soon as its gradient is complete (one optimizer per parameter, stepped and
        zeroed in the hook) rather than after the whole backward.

        Only for leaves that require gradients. The hook runs after the `register_hook`
        hooks, under ``no_grad`` (grad mode is ``create_graph``, as for every hook), and
        not in `cr.grad`, which leaves ``.grad`` alone. By the time it runs, every node
        that used the tensor has run its backward, so changing the tensor cannot change
        this pass's gradients. A graph kept with ``retain_graph=True`` saved the tensor's
        array itself, though: after an in-place change (``p.data -= ...``, as the
        optimizers make) a second backward through it is computed from the new values,
        where PyTorch raises an error; anomaly mode (`detect_anomaly`) reports it. Returns
        a `HookHandle`. Copies of the tensor (``copy.deepcopy`` of a model, say) have no
        hooks, as in PyTorch: a copy's backward never steps the original's optimizers."""
        if self._node is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: only a leaf tensor (one not computed "
                f"by an op; this one comes from {self._node.name}) accumulates a .grad; "
                "use register_hook to see the gradient of a computed tensor"
            )
        if not self._requires_grad:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: this tensor does not require gradients"
            )
        if not callable(fn):
            raise TypeError(
                f"register_post_accumulate_grad_hook: expected a callable, got {type(fn).__name__}"
            )
        hooks = getattr(self, "_post_hooks", None)
        self._post_hooks = [fn] if hooks is None else [*hooks, fn]
        return HookHandle(self, fn, "_post_hooks")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the accumulated gradient: ``.grad`` becomes None, or with
        ``set_to_none=False`` (as in PyTorch) the gradient array is filled with zeros in
        place, so that whoever holds it sees the zeros."""
        grad = self._grad
        if set_to_none or grad is None:
            self._grad = None
        elif isinstance(grad, np.ndarray) and grad.flags.writeable:
            grad[...] = 0
        else:  # a Tensor (create_graph) or a read-only array: zeros of its own
            self._grad = np.zeros(self.shape, dtype=self.dtype)


def _check_grad(t: Tensor, value) -> None:
    """A gradient assigned to ``t.grad`` must be an array (or Tensor) of ``t``'s shape and
    dtype, as in PyTorch: backward adds into it, and the optimizers read it."""
    data = value.data if isinstance(value, _tensor.Tensor) else value
    if not isinstance(data, np.ndarray):
        raise TypeError(
            f"grad: assigned a {type(value).__name__}; a gradient is a NumPy array (or Tensor) "
            f"of the tensor's shape {t.shape} and dtype {t.dtype}, or None"
        )
    if data.shape != t.shape or data.dtype != t.dtype:
        raise ValueError(
            f"grad: assigned a gradient of shape {data.shape} and dtype {data.dtype} to a "
            f"tensor of shape {t.shape} and dtype {t.dtype}; they must be the same"
        )


class HookHandle:
    """What `Tensor.register_hook` (and a module's ``register_forward_hook``) returns:
    calling it, ``remove()``, or leaving a ``with handle:`` block takes the hook off (once:
    again does nothing). It holds the tensor weakly, so a kept handle does not keep the
    tensor, or the graph behind it, alive."""

    __slots__ = ("_fn", "_kind", "_tensor")

    def __init__(self, tensor: Tensor, fn: Callable, kind: str = "_hooks") -> None:
        self._tensor, self._fn, self._kind = weakref.ref(tensor), fn, kind

    def remove(self) -> None:
        """Take the hook off the tensor."""
        tensor, fn = self._tensor(), self._fn
        self._fn = None  # once: a second call must not remove another registration
        if tensor is not None and fn is not None:
            hooks = list(getattr(tensor, self._kind))  # a new list: backward may be
            hooks.remove(fn)  # iterating the old one (a hook that removes itself must
            setattr(tensor, self._kind, hooks)  # not skip the next)

    __call__ = remove

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc) -> None:
        """Leaving a ``with handle:`` block takes the hook off, as PyTorch's handles do."""
        self.remove()
