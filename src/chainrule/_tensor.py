"""`Tensor`: a NumPy array, its gradient, and the node that produced it.

The class is deliberately thin: every operator below is a one-line call into ``ops``, where
each op keeps its forward and its local gradient side by side; its methods come from the
mixins imported here, one concern each (hooks, conversions, shapes, copies, ...).
"""

from __future__ import annotations

import numpy as np

from . import _strict
from ._compare_methods import CompareMethods
from ._conversion_methods import ConversionMethods
from ._copies import CopyMethods
from ._dtypes import as_array, is_floating
from ._elementwise_methods import ElementwiseMethods
from ._grad_methods import GradMethods, _check_grad
from ._inplace import InPlaceMethods
from ._math_methods import MathMethods
from ._reduce_methods import ReduceMethods
from ._shape_methods import ShapeMethods
from ._strict import _StrictMode
from ._torch_methods import TorchMethods


class Tensor(
    GradMethods,
    ConversionMethods,
    ShapeMethods,
    ReduceMethods,
    ElementwiseMethods,
    CopyMethods,
    InPlaceMethods,
    MathMethods,
    TorchMethods,
    CompareMethods,
):
    """An n-dimensional array that records the operations applied to it.

    Args:
        data: array-like. Python numbers and lists become the default float dtype
            (float32); NumPy arrays keep their dtype.
        dtype: optional NumPy dtype (e.g. ``"float64"``).
        requires_grad: whether backward should compute ``.grad`` for this tensor.
        name: a label shown by ``explain`` and in error messages.

    A NumPy array given here is shared, not copied (as ``torch.as_tensor``); `tensor`
    copies it (as ``torch.tensor``), and so does `nn.Parameter`.

    ``x += y`` (``-=``, ``*=``, ``/=``, ``**=``) records a new node and rebinds ``x`` to it, never
    changing a value a graph saved; under ``no_grad()``, on a leaf that requires gradients
    (a parameter), or on a frozen `nn.Parameter` (``requires_grad=False``, an EMA copy's),
    it updates that tensor object itself instead (with a new array), so
    ``p -= lr * p.grad`` and ``ema_p *= decay`` work as in PyTorch. PyTorch's in-place
    methods (``zero_``, ``fill_``, ``copy_``, ``add_``, ``sub_``, ``mul_``, ``div_``,
    ``clamp_``, ``lerp_``) change a leaf the same way: one that requires gradients under
    ``no_grad()`` only, and never a tensor made by a recorded op (see ``_inplace.py``).
    PyTorch's other names for ops and its method spellings (``t``, ``mm``, ``view_as``,
    ``new_zeros``, ``add(other, alpha=)``, ``movedim``, ...) are in ``_torch_methods.py``,
    its comparisons, tests and casts (``eq``, ``isclose``, ``long()``, ``cpu()``, ...) in
    ``_compare_methods.py``, the methods of the math and array ops (``log1p``,
    ``cumsum``, ``topk``, ``cumprod``, ``median``, ...) in ``_math_methods.py``.

    Copies, as in PyTorch: none keeps the gradient hooks (`register_hook`,
    `register_post_accumulate_grad_hook`) or `retain_grad`, so a model copied with
    ``copy.deepcopy`` (an EMA copy, say) trains on its own without its original's hooks,
    and a model whose parameters have lambda hooks can be serialized. Each keeps the class
    (a `nn.Parameter` stays one), the dtype, ``requires_grad`` and ``name``.
    ``copy.deepcopy`` gives an array of its own and a copy of ``.grad`` (a Parameter's
    copy has none, as PyTorch's), and keeps the sharing among what it copies (tied
    weights, an optimizer copied with its model); ``copy.copy`` shares the memory, with
    no ``.grad``; serializing (``__getstate__``) keeps the values but not ``.grad``. Only
    a leaf is copied: a tensor computed by a recorded op raises a RuntimeError (a
    ``copy.Error`` too) rather than bring its graph along (PyTorch's ``copy.copy`` and
    serializing of one give a detached leaf silently); copy ``t.detach()`` instead.
    """

    __slots__ = (
        "__weakref__",
        "_grad",
        "_hooks",
        "_node",
        "_post_hooks",
        "_requires_grad",
        "_retain",
        "data",
        "name",
    )
    __array_ufunc__ = None  # make NumPy defer to Tensor's reflected operators (array * t)
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, requires_grad: bool = False, name: str | None = None):
        source = data.data if isinstance(data, Tensor) else data
        arr = as_array(source, dtype)
        # an array object of its own (a view: memory is still shared), so the engine can
        # tell this tensor's values from another tensor's by identity
        self._fill(arr.view() if arr is source else arr, False, name)
        self.requires_grad = requires_grad  # checked: only floating tensors may require it

    def _fill(self, data: np.ndarray, requires_grad: bool, name: str | None) -> None:
        """Every slot of a leaf: ``data``, ``requires_grad`` and ``name``, and no gradient,
        hooks or node (what a new tensor and a copy start from; `_from_op` writes its own)."""
        self.data = data
        self._grad = None
        self._node = None
        self._hooks = None
        self._post_hooks = None
        self._retain = False
        self._requires_grad = bool(requires_grad)
        self.name = name

    # ----- attributes ---------------------------------------------------------------
    @property
    def grad(self):
        """The gradient backward accumulated for this tensor (an array of its shape and
        dtype; a Tensor after ``backward(create_graph=True)``), or None.

        Set by backward on leaves that require gradients and on ``retain_grad()``-ed
        non-leaves; cleared with ``t.grad = None`` or ``zero_grad()``. In strict mode
        (`set_strict`), reading a None gradient from user code warns why it is None.
        """
        if _StrictMode.enabled:
            _strict.grad_read(self)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            _check_grad(self, value)
        self._grad = value

    @property
    def requires_grad(self) -> bool:
        """Whether backward computes a gradient for this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):  # "False" would mean True, as PyTorch's
            raise TypeError(f"requires_grad must be True or False, got {value!r}")
        if value and not is_floating(self.data.dtype):
            raise TypeError(
                f"only floating tensors can require gradients, but this one is "
                f"{self.data.dtype}; create it with a float dtype, e.g. "
                "cr.tensor(data, dtype='float64', requires_grad=True)"
            )
        if not value and self._node is not None:
            raise RuntimeError("requires_grad cannot be turned off on a non-leaf; use .detach()")
        self._requires_grad = bool(value)

    # ----- autograd -----------------------------------------------------------------
    def backward(
        self,
        grad=None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs=None,
        *,
        gradient=None,
    ) -> None:
        """Compute gradients of this tensor with respect to every leaf that requires them.

        Leaf gradients accumulate into ``.grad`` (clear them with ``grad = None`` or an
        optimizer's ``zero_grad()``). ``grad`` is the upstream gradient; it may be omitted
        only for a single-element tensor. The graph's saved values are released unless
        ``retain_graph=True``; ``create_graph=True`` records the backward pass so that
        gradients of gradients can be taken (``.grad`` then holds Tensors; it implies
        ``retain_graph=True``). ``gradient=`` is PyTorch's name for ``grad``. While it
        runs, grad mode is ``create_graph`` (as in PyTorch): what hooks and user-defined
        backward rules compute is recorded only then.

        ``inputs`` (a tensor or a sequence of them, each requiring gradients), as
        PyTorch's: the gradients go into the ``.grad`` of those tensors only, and only the
        paths to them are walked; other leaves' ``.grad`` stay as they are. A non-leaf
        input keeps its gradient as after ``retain_grad()``, which it is given.
        """
        if gradient is not None:
            if grad is not None:
                raise TypeError("backward: give the upstream gradient once, as grad or gradient")
            grad = gradient
        retain = bool(retain_graph) or create_graph  # the recorded gradient needs the graph
        engine.backward(self, grad, retain, create_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's memory, cut off from the graph."""
        return _from_op(self.data.view(), None)

    # by identity: `CompareMethods` defines an elementwise ``==``, which unsets the hash
    __hash__ = object.__hash__

    # ----- arithmetic (all differentiable) ----------------------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):
        return ops.remainder(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, idx):
        return ops.index(self, idx)

    def __setitem__(self, idx, value):
        # Defined only to refuse with a clear message. Without it, Python tries a tensor
        # index (x[mask] = 0) as a sequence position through __index__ and reports the
        # mask as a bad index, which sends a PyTorch user looking in the wrong place.
        raise TypeError(
            "a Tensor does not support item assignment (x[idx] = value): its values are "
            "computed, not written. Build the new tensor instead, e.g. "
            "cr.where(mask, value, x) for x[mask] = value; to change numbers outside the "
            "graph (not recorded), write into the array x.data"
        )


def _from_op(data: np.ndarray, node) -> Tensor:
    """Fast constructor for op outputs: ``data`` is already an ndarray of the right dtype."""
    t = Tensor.__new__(Tensor)
    t.data = data
    t._grad = None
    t._node = node
    t._hooks = None
    t._retain = False
    t._requires_grad = node is not None
    t.name = None
    return t


def tensor(data, dtype=None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """Create a leaf `Tensor` holding a copy of ``data``, as ``torch.tensor`` does (see
    `Tensor` for the dtype rules): an optimizer updating it, or anything written into it,
    leaves the caller's array alone. ``Tensor(array)`` shares the array's memory instead,
    as ``torch.as_tensor`` does."""
    return own_copy(Tensor(data, dtype=dtype, requires_grad=requires_grad, name=name))


def own_copy(t: Tensor) -> Tensor:
    """``t`` with an array of its own where it is a view of another's memory (an array,
    a Tensor's, or any buffer such as an ``array.array``)."""
    if t.data.base is not None:
        t.data = t.data.copy()
    return t


# The ops and the engine build Tensors, so they are imported after the class exists (the
# mixins read ``_tensor.ops`` when their methods run).
from . import _engine as engine  # noqa: E402
from . import ops  # noqa: E402
