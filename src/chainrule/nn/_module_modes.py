"""`Module`'s modes and dtypes: `ModuleModes` gives it ``train`` / ``eval``,
``requires_grad_``, ``zero_grad`` and the casts ``to``, ``double`` and ``float``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._aligned import aligned_copy
from .._tensor import Tensor
from ..ops._casts import device_and_dtype

if TYPE_CHECKING:
    from ._module import Module, Parameter


class ModuleModes:
    """The mode, gradient and dtype methods of `Module`."""

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


def _cast_parameter(p: Parameter, dtype: np.dtype) -> None:
    """Give ``p`` (and its gradient) ``dtype``, keeping the object."""
    p.data = aligned_copy(p.data, dtype)  # a fresh array on the boundary, as Parameter's
    grad = p._grad
    if isinstance(grad, np.ndarray):
        p._grad = grad.astype(dtype)
    elif grad is not None:  # a Tensor, after backward(create_graph=True): a cast leaf
        p._grad = Tensor(grad.data.astype(dtype))
