"""PyTorch's in-place tensor methods (``p.mul_(0.99).add_(q, alpha=0.01)``, ``w.zero_()``),
for the code that changes numbers outside the graph: EMA copies, hand-written updates,
initialisation.

Which tensors may change, as in PyTorch: a leaf that does not require gradients (data, a
frozen parameter) at any time, and a leaf that does (a parameter) under
``no_grad()`` only -- recorded, the change would not be part of the graph that uses it.
Unlike PyTorch, a tensor made by a recorded op is never changed in place (PyTorch counts
versions to catch a changed value that backward needs; here nothing is counted, so no op
pays for it): detach it, or build the new tensor. A module's buffers (BatchNorm's
running statistics) are NumPy arrays, not tensors: change them with NumPy
(``bn.running_mean[:] = 0``, ``bn.running_var.fill(1)``).

Each method gives the tensor a new array holding the result (as ``p -= lr * p.grad`` does
under no_grad): a graph that saved the old values keeps them, and no array the caller
shares is written into. The result keeps the tensor's shape and dtype; an operand that
would broadcast it to another shape, or a floating result for an integer tensor, is an
error naming the method (``copy_`` alone casts any dtype, as PyTorch's).

The augmented assignments (``x += y``, ``-=``, ...) are here too: recorded, they make a new
node and rebind the name; under no_grad, on a leaf that requires gradients or a frozen
Parameter, they update the tensor itself as these methods do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import _strict, _tensor
from ._grad_mode import _GradMode
from ._quiet import quietly
from ._strict import _StrictMode

if TYPE_CHECKING:
    from ._tensor import Tensor

# ``_tensor.ops``, read at each call: the ops build Tensors, so `_tensor` imports them after
# the class exists (an attribute read, where an import inside each method would cost more
# than a 0-d op)


def _operand(method: str, value):
    """A Tensor operand's array; one that requires grad, while the graph is recorded, is
    refused: PyTorch would record the change (the tensor then has a grad_fn), chainrule
    records no in-place op."""
    if not hasattr(value, "_requires_grad"):  # a number or an array, not a Tensor
        if np.asarray(value).dtype.kind not in "biufc":
            raise TypeError(
                f"{method}: the operand must be a number, an array or a tensor, got "
                f"{type(value).__name__} {value!r}"
            )
        return value
    if value._requires_grad and _GradMode.enabled:
        raise RuntimeError(
            f"{method}: the operand requires grad, and chainrule does not record in-place "
            "changes; do it under cr.no_grad() (as an EMA update is done), or build a new "
            "tensor to keep it in the graph (y = y + x)"
        )
    return value.data


class InPlaceMethods:
    """The in-place methods of `Tensor`; each returns the tensor itself, so they chain."""

    __slots__ = ()

    def zero_(self):
        """Set every element to 0, in place."""
        return self._set("zero_", np.zeros_like(self.data))

    def fill_(self, value):
        """Set every element to ``value`` (a number or a 0-d tensor), in place."""
        value = _operand("fill_", value)
        if np.ndim(value) != 0:
            raise ValueError(
                f"fill_ takes a number or a 0-d tensor, got an operand of shape "
                f"{np.shape(value)}; use copy_ to write an array"
            )
        if self.data.dtype.kind in "iu" and not _fits(value, self.data.dtype):
            raise ValueError(
                f"fill_: {value!r} cannot be held by a tensor of dtype {self.dtype} (PyTorch "
                "refuses it too)"
            )
        full = quietly(np.full, (self.data.shape, value, self.data.dtype))  # cast as PyTorch
        return self._set("fill_", full)

    def copy_(self, src):
        """Write ``src`` (a tensor, array or number, broadcast to this tensor's shape and
        cast to its dtype, as PyTorch's ``copy_``) into this tensor, in place."""
        value = np.asarray(_operand("copy_", src))
        try:
            value = np.broadcast_to(value, self.data.shape)
        except ValueError:
            raise ValueError(
                f"copy_: a source of shape {value.shape} cannot be broadcast to the "
                f"tensor's shape {self.shape}"
            ) from None
        # in C order: astype would keep a broadcast source's strides (column-major for a row)
        cast = quietly(lambda: value.astype(self.data.dtype, order="C"), ())
        return self._set("copy_", cast)

    def add_(self, other, *, alpha=1):
        """``self + alpha·other``, in place."""
        return self._apply("add_", np.add, _scaled(_operand("add_", other), alpha))

    def sub_(self, other, *, alpha=1):
        """``self − alpha·other``, in place."""
        return self._apply("sub_", np.subtract, _scaled(_operand("sub_", other), alpha))

    def mul_(self, other):
        """``self · other``, in place."""
        return self._apply("mul_", np.multiply, _operand("mul_", other))

    def div_(self, other):
        """``self / other``, in place (IEEE: x/0 is ±inf, 0/0 NaN, without a warning)."""
        return self._apply("div_", np.true_divide, _operand("div_", other))

    def clamp_(self, min=None, max=None):
        """Values limited to [min, max], in place; NaN stays NaN, and where min > max every
        element becomes max, as in PyTorch. ``clip_`` is the same method."""
        if min is None and max is None:
            raise ValueError("clamp_: give min, max or both")
        result = self.data
        if min is not None:
            result = quietly(np.maximum, (result, _operand("clamp_", min)))
        if max is not None:
            result = quietly(np.minimum, (result, _operand("clamp_", max)))
        return self._set("clamp_", np.asarray(result))

    clip_ = clamp_

    def lerp_(self, end, weight):
        """``self + weight·(end − self)``, in place (an exponential moving average:
        ``ema.lerp_(p, 1 − decay)``); where weight ≥ ½ it is computed as ``end − (1 −
        weight)·(end − self)``, as PyTorch does, so weight 1 gives ``end`` exactly. A
        floating tensor only, as PyTorch's."""
        if self.data.dtype.kind != "f":
            raise TypeError(f"lerp_: needs a floating tensor, got dtype {self.dtype}")
        end, weight = _operand("lerp_", end), _operand("lerp_", weight)
        return self._set("lerp_", np.asarray(quietly(lerp_values, (self.data, end, weight))))

    # ----- the augmented assignments: x += y, x -= y, ... -------------------------------
    # ``x += y`` and the like: a new node (the name is rebound), so no value a graph saved
    # is ever changed -- except under no_grad on a leaf that requires gradients, where they
    # update that tensor itself, as in PyTorch (``p -= lr * p.grad`` in a hand-written
    # optimizer): the same object gets the result as a new array, so a graph that saved the
    # old values keeps them, and no array the caller shares is written into.
    def __iadd__(self, other):
        return (
            self._update(np.add, "+=", other)
            if self._updatable("+=")
            else _tensor.ops.add(self, other)
        )

    def __isub__(self, other):
        if self._updatable("-="):
            return self._update(np.subtract, "-=", other)
        return _tensor.ops.sub(self, other)

    def __imul__(self, other):
        if self._updatable("*="):
            return self._update(np.multiply, "*=", other)
        return _tensor.ops.mul(self, other)

    def __itruediv__(self, other):
        if self._updatable("/="):
            return self._update(np.true_divide, "/=", other)
        return _tensor.ops.div(self, other)

    def __ifloordiv__(self, other):
        if self._updatable("//="):
            return self._update(np.floor_divide, "//=", other)
        return _tensor.ops.floor_divide(self, other)

    def __imod__(self, other):
        if self._updatable("%="):
            return self._update(np.remainder, "%=", other)
        return _tensor.ops.remainder(self, other)

    def __ipow__(self, other):
        if self._updatable("**="):
            return self._update(np.power, "**=", other)
        return _tensor.ops.pow(self, other)

    #: a frozen leaf of this class is updated by ``x op= y`` under no_grad too: an
    #: `nn.Parameter` with ``requires_grad=False`` (an EMA copy, a frozen layer) is still
    #: the model's state, which PyTorch's in-place operators change
    _frozen_updates_in_place = False

    def _updatable(self, symbol: str) -> bool:
        """Whether ``x op= y`` updates ``x`` itself: under no_grad, a leaf that requires
        grad, or a frozen Parameter. Recorded, it rebinds the name (strict mode warns: a
        parameter update outside no_grad leaves the parameter unchanged)."""
        if self._node is not None or not (self._requires_grad or self._frozen_updates_in_place):
            return False
        if _GradMode.enabled:
            if _StrictMode.enabled and self._requires_grad:
                _strict.rebinding(self, symbol)
            return False
        return True

    def _update(self, ufunc, symbol: str, other) -> Tensor:
        """``x op= y`` on the tensor itself: the in-place methods' one update (a new array
        of the tensor's shape and dtype, IEEE results as the ops: p / 0)."""
        return self._apply(
            symbol, ufunc, other.data if isinstance(other, _tensor.Tensor) else other
        )

    # ----- the checks every method makes -------------------------------------------------
    def _check_writable(self, method: str) -> None:
        if self._node is not None:
            raise RuntimeError(
                f"{method}: this tensor was made by a recorded op, and chainrule changes "
                "only leaf tensors in place (a value the graph saved would change under "
                "it); build a new tensor (y = y * 2) or change a detached copy "
                "(y.detach().clone())"
            )
        if self._requires_grad and _GradMode.enabled:
            raise RuntimeError(
                f"{method}: a leaf tensor that requires grad cannot change in place while "
                "the graph is recorded; do it under cr.no_grad(), as an optimizer does"
            )

    def _apply(self, method: str, ufunc, operand):
        return self._set(method, np.asarray(quietly(ufunc, (self.data, operand))))

    def _set(self, method: str, result: np.ndarray):
        """Give the tensor ``result`` as its new array, once the checks pass."""
        self._check_writable(method)
        if result.shape != self.data.shape:
            raise ValueError(
                f"{method}: the result has shape {result.shape}, but a change in place "
                f"keeps the tensor's shape {self.shape}"
            )
        if not np.can_cast(result.dtype, self.data.dtype, "same_kind"):
            raise TypeError(
                f"{method}: a result of dtype {result.dtype} cannot be written into a "
                f"tensor of dtype {self.dtype}"
            )
        self.data = result.astype(self.data.dtype, copy=False)
        return self


def lerp_values(start, end, weight):
    """start + weight·(end − start) on arrays or numbers, in PyTorch's two forms: from
    ``start`` where weight < ½, from ``end`` where weight ≥ ½ (exact at both ends)."""
    step = np.subtract(end, start)
    near_start = np.add(start, np.multiply(weight, step))
    near_end = np.subtract(end, np.multiply(np.subtract(1, weight), step))
    return np.where(np.less(np.abs(weight), 0.5), near_start, near_end)


def _fits(value, dtype: np.dtype) -> bool:
    """Whether ``value`` is a finite number an integer ``dtype`` can hold (truncated)."""
    value = np.asarray(value)
    if value.dtype.kind == "c" or (value.dtype.kind == "f" and not np.isfinite(value)):
        return False
    info = np.iinfo(dtype)
    return bool(info.min <= value <= info.max)


def _scaled(other, alpha):
    return other if alpha == 1 else quietly(np.multiply, (alpha, other))
