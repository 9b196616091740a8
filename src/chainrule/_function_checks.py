"""What `Function` checks and converts off its common path: PyTorch's static-method style
refused when a class is defined, inputs that are not Tensors made arrays, and what a user's
forward returns checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._dtypes import as_array
from ._quiet import quietly
from ._tensor import Tensor

if TYPE_CHECKING:
    from ._function import Function

_ONE_OUTPUT = (
    "{name}.forward returned a {kind}; forward must return one array (a Function has one "
    "output: write one Function per output, or concatenate them into one array)"
)


def _refuse_torch_style(cls: type, method: str) -> None:
    """Refuse ``@staticmethod def forward(ctx, ...)``, PyTorch's way of writing an
    ``autograd.Function``, when the class is defined. Called on an instance, such a forward
    would take the first input's array as ``ctx``, and the error would come later as a
    missing argument or an array without ``save_for_backward``, far from the cause."""
    fn = vars(cls).get(method)
    if not isinstance(fn, staticmethod):
        return
    code = getattr(fn.__func__, "__code__", None)
    if code is None or code.co_argcount == 0 or code.co_varnames[0] != "ctx":
        return  # a static method without ctx takes the arrays as they come: it works
    raise TypeError(
        f"{cls.__name__}.{method} is a @staticmethod taking ctx, PyTorch's way of writing an "
        f"autograd.Function; a chainrule Function uses ordinary methods: "
        f"forward(self, *arrays) keeps what backward needs in self.saved (not "
        f"ctx.save_for_backward), backward(self, grad_out) returns one gradient per input, "
        f"and the op is called as {cls.__name__}()(x), not {cls.__name__}.apply(x)"
    )


def _prepared(fn: Function, inputs) -> tuple[tuple, tuple, tuple]:
    """(inputs, needs_grad, arrays) for any inputs. What is not a Tensor (a constant) becomes
    an array object of its own (a view of the caller's array: memory is still shared), so
    that identity tells it from every Tensor's array."""
    kept, needs, arrays = [], [], []
    for i, x in enumerate(inputs):
        if x is None:
            raise TypeError(_NONE_INPUT.format(name=fn.name, i=i + 1))
        if isinstance(x, Tensor):
            kept.append(x)
            needs.append(x._requires_grad)
            arrays.append(x.data)
        else:
            a = x.view() if type(x) is np.ndarray else _constant(x, inputs)
            kept.append(a)
            needs.append(False)
            arrays.append(a)
    return tuple(kept), tuple(needs), tuple(arrays)


def _constant(x, inputs) -> np.ndarray:
    """A constant that is not an array (a number, a list of numbers) as an array: of the
    first float tensor's dtype among ``inputs``, as a number is for a binary op, so that
    ``x64 @ [0.1, 0.2]`` is not computed with the list rounded to float32."""
    for t in inputs:
        if isinstance(t, Tensor) and t.data.dtype.kind == "f":
            if isinstance(x, (int, float)):
                return quietly(np.asarray, (x, t.data.dtype))
            if isinstance(x, (list, tuple)):  # None and text refused, as for t + [...]
                return as_array(x, t.data.dtype)
            break
    return as_array(x)


_NONE_INPUT = (
    "{name}: input {i} (counting from 1) is None, not a tensor, a number or an array; every "
    "argument of an op is an input (a Function takes settings such as an axis in __init__)"
)


def _user_output(fn: Function, out, arrays):
    """What a user's forward returned, checked (`_check_output`). A Python float takes the
    dtype of the first floating input, as a number does in an op (NumPy would make float64
    of it, and a float32 graph would go on in float64)."""
    _check_output(fn, out)
    if type(out) is float:
        for a in arrays:
            if a.dtype.kind == "f":
                return quietly(np.asarray, (out, a.dtype))
    return out


def _check_output(fn: Function, out) -> None:
    """Refuse what a user's forward returns by mistake instead of one array: several arrays,
    or None (a missing return), text or other objects, which NumPy would quietly make an
    array of objects or strings, a tensor that fails later, far from the cause."""
    if isinstance(out, (tuple, list)):
        raise TypeError(_ONE_OUTPUT.format(name=fn.name, kind=type(out).__name__))
    if out is None or np.asarray(out).dtype.kind not in "biufc":
        what = "None (is its return missing?)" if out is None else f"a {type(out).__name__}"
        raise TypeError(f"{fn.name}.forward returned {what}; forward must return an array")
