"""`Function`: one differentiable operation, and the graph node it leaves behind.

An op subclasses `Function` and writes two methods side by side:

    forward(self, *arrays) -> array        NumPy in, NumPy out; saves what backward needs
    backward(self, grad_out) -> grads      one gradient per input (None where not needed)

Calling an instance (``Mul()(x, y)``) runs `forward` on the inputs' arrays and, when a graph
is being recorded, returns a Tensor that remembers this node. The node keeps its inputs and
``self.saved`` -- only what backward needs -- until backward releases them.

`backward` is written once, with operators and the helpers in ``ops/_common.py`` that accept
NumPy arrays and Tensors alike. The engine calls it on arrays for an ordinary backward pass
and on Tensors (inputs and output substituted for the saved arrays) when
``create_graph=True``, which is how gradients of gradients work without a second formula.
Therefore save only inputs, the output, or values that are constant almost everywhere
(masks, indices); anything else would be treated as a constant by higher derivatives.
"""

from __future__ import annotations

import numpy as np

from ._grad_mode import _GradMode
from ._tensor import Tensor, _from_op

_PLAIN_ERRORS = (ValueError, IndexError, np.exceptions.AxisError)


class Function:
    """Base class of every differentiable op; subclass it to define your own.

    Example (a user-defined cube)::

        class Cube(cr.Function):
            '''d/dx x³ = 3x²'''
            def forward(self, x):
                self.saved = (x,)
                return x**3
            def backward(self, grad_out):
                (x,) = self.saved
                return grad_out * 3 * x**2

        y = Cube()(x)
    """

    __slots__ = ("inputs", "needs_grad", "released", "saved")

    #: one line stating the local derivative, shown by ``explain``; defaults to the docstring.
    derivative: str | None = None

    def __call__(self, *inputs) -> Tensor:
        tensors = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
        self.needs_grad = needs = tuple(t._requires_grad for t in tensors)
        self.saved = ()
        arrays = [t.data for t in tensors]
        try:
            out = self.forward(*arrays)
        except _PLAIN_ERRORS as e:
            if type(e) not in _PLAIN_ERRORS:  # a user's own exception type: leave it alone
                raise
            shapes = " and ".join(str(a.shape) for a in arrays)  # say which op, on what
            raise type(e)(f"{self.name} on shapes {shapes}: {e}") from None
        if type(out) is not np.ndarray or any(out is a for a in arrays):
            out = self._as_output_array(out)
        if _GradMode.enabled and True in needs:
            self.inputs = tensors
            self.released = False
            return _from_op(out, self)
        self.saved = None  # nothing will call backward: free the saved values now
        return _from_op(out, None)

    def forward(self, *arrays):
        """Compute the output array from the input arrays; save what backward needs."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, grad_out):
        """Return the downstream gradient for each input: local gradient × ``grad_out``."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def _as_output_array(self, out) -> np.ndarray:
        # NumPy returns scalars for 0-d results, and an identity forward returns its input:
        # the output needs an array object of its own, with saved references updated to it
        arr = np.asarray(out)
        if isinstance(out, np.ndarray):
            arr = out.view()
        if self.saved:
            self.saved = tuple(arr if s is out else s for s in self.saved)
        return arr

    @property
    def name(self) -> str:
        """The op's name as shown in errors and by ``explain`` (the class name)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name} node>"
