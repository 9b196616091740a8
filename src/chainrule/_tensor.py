"""`Tensor`: a NumPy array, its gradient, and the node that produced it.

The class is deliberately thin: every operator and math method below is a one-line call
into ``ops``, where each op keeps its forward and its local gradient side by side; the rest
is bookkeeping (gradients, hooks, conversions, the in-place update of a parameter).
"""

from __future__ import annotations

import numbers
import weakref
from collections.abc import Callable

import numpy as np

from . import _copies, _strict
from ._compare_methods import CompareMethods
from ._dtypes import as_array, is_floating, numeric_dtype
from ._grad_mode import _GradMode
from ._inplace import InPlaceMethods
from ._math_methods import MathMethods
from ._strict import _StrictMode
from ._torch_methods import TorchMethods


class Tensor(InPlaceMethods, MathMethods, TorchMethods, CompareMethods):
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

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape, as in NumPy."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements, NumPy's ``size``: a plain int, so NumPy arithmetic with
        it keeps a float32 array float32. (PyTorch's ``size()`` is `shape`.)"""
        return self.data.size

    def numel(self) -> int:
        """The number of elements, as PyTorch's ``numel()``: `size` (NumPy's name, a
        property here, where PyTorch's ``size()`` is the shape)."""
        return self.data.size

    def dim(self) -> int:
        """The number of axes, as PyTorch's ``dim()``: `ndim`."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The array's NumPy dtype."""
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by a recorded op."""
        return self._node is None

    @property
    def grad_fn(self):
        """The `Function` node that produced this tensor, or None for a leaf."""
        return self._node

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (the matrix transpose for 2-D)."""
        return ops.transpose(self)

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

    # ----- copies: no hooks, no graph, as PyTorch's (see `_copies`) ---------------------
    _deepcopy_keeps_grad = True  # a Parameter's deep copy leaves .grad behind (PyTorch)

    def __deepcopy__(self, memo) -> Tensor:
        return _copies.deep(self, memo)

    def __copy__(self) -> Tensor:
        return _copies.shallow(self)

    def __getstate__(self) -> dict:
        return _copies.state(self)

    def __setstate__(self, state: dict) -> None:
        _copies.restore(self, state)

    # ----- conversion -----------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, but the shape is {self.shape}")
        return self.data.item()

    def tolist(self):
        """The values as (nested lists of) Python numbers."""
        return self.data.tolist()

    def astype(self, dtype) -> Tensor:
        """A differentiable cast to ``dtype``: bool, an integer, floating or complex dtype
        (a tensor holds numbers; a cast to text or objects is a TypeError)."""
        return ops.cast(self, numeric_dtype(dtype, "astype"))

    def float(self) -> Tensor:
        """``astype("float32")``, as PyTorch's ``float()``: differentiable."""
        return ops.cast(self, np.float32)

    def double(self) -> Tensor:
        """``astype("float64")``, as PyTorch's ``double()``: differentiable."""
        return ops.cast(self, np.float64)

    def to(self, *args, dtype=None, device=None) -> Tensor:
        """PyTorch's ``to``: a dtype (``x.to("float64")``, ``x.to(np.float64)``) or a
        tensor's dtype casts, as `astype`; ``"cpu"`` returns this tensor itself; another
        device (``"cuda"``, ``"mps"``) is a ValueError: chainrule runs on the CPU only, with
        NumPy. See `chainrule.ops.to`."""
        return ops.to(self, *args, dtype=dtype, device=device)

    def clone(self) -> Tensor:
        """A copy in memory of its own that stays in the graph (the gradient passes
        through unchanged), as PyTorch's; `detach` shares memory and leaves the graph."""
        return ops.clone(self)

    def __array__(self, dtype=None, copy=None):
        # NumPy 2 passes copy= and takes the answer as it is: copy=True (np.array's default)
        # wants an array of its own, copy=False refuses to copy; NumPy 1 copies by itself.
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        if copy is False and array is not self.data:
            raise ValueError(
                f"a {self.data.dtype} tensor becomes {array.dtype} only in a copy, "
                "and copy=False was asked for"
            )
        return array.copy() if copy and array is self.data else array

    def __len__(self) -> int:
        """The length of the first axis; a TypeError for a 0-d tensor, as in PyTorch."""
        try:
            return len(self.data)
        except TypeError:
            raise TypeError("len() of a 0-d tensor (it has no axis; use .item())") from None

    def __iter__(self):
        if self.data.ndim == 0:  # else Python would try t[0] and stop at once, silently
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        return bool(self.data)

    def __contains__(self, value) -> bool:
        """Whether any element equals ``value`` (a number or a tensor that broadcasts), as
        in PyTorch and NumPy, whatever the tensor's number of axes."""
        other = value.data if isinstance(value, Tensor) else value
        return bool((self.data == other).any())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in PyTorch."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return super().__format__(spec)

    def __float__(self) -> float:
        return float(self.item())  # any one-element tensor, as in PyTorch: float(t) of (1,)

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A 0-d integer tensor as an index (``x[i:j]``, ``range(n)``), as in PyTorch."""
        if self.data.ndim != 0 or self.data.dtype.kind not in "iu":
            raise TypeError(
                f"only a 0-d integer tensor can be used as an index, not one of shape "
                f"{self.shape} and dtype {self.dtype}"
            )
        return int(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = f", dtype={self.dtype}" if self.dtype != np.float32 else ""
        if self.data.size == 0 and self.data.ndim > 1:  # "[]" alone would hide the shape
            extra = f", shape={self.shape}{extra}"
        if self._node is not None:
            extra += f", grad_fn={self._node.name}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"tensor({body}{extra})"

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

    # ``x += y`` and the like: a new node (the name is rebound), so no value a graph saved
    # is ever changed -- except under no_grad on a leaf that requires gradients, where they
    # update that tensor itself, as in PyTorch (``p -= lr * p.grad`` in a hand-written
    # optimizer): the same object gets the result as a new array, so a graph that saved the
    # old values keeps them, and no array the caller shares is written into.
    def __iadd__(self, other):
        return self._update(np.add, "+=", other) if self._updatable("+=") else ops.add(self, other)

    def __isub__(self, other):
        if self._updatable("-="):
            return self._update(np.subtract, "-=", other)
        return ops.sub(self, other)

    def __imul__(self, other):
        if self._updatable("*="):
            return self._update(np.multiply, "*=", other)
        return ops.mul(self, other)

    def __itruediv__(self, other):
        if self._updatable("/="):
            return self._update(np.true_divide, "/=", other)
        return ops.div(self, other)

    def __ifloordiv__(self, other):
        if self._updatable("//="):
            return self._update(np.floor_divide, "//=", other)
        return ops.floor_divide(self, other)

    def __imod__(self, other):
        if self._updatable("%="):
            return self._update(np.remainder, "%=", other)
        return ops.remainder(self, other)

    def __ipow__(self, other):
        if self._updatable("**="):
            return self._update(np.power, "**=", other)
        return ops.pow(self, other)

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
        return self._apply(symbol, ufunc, other.data if isinstance(other, Tensor) else other)

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

    # ----- comparisons (not differentiable: they return boolean tensors) ----------------
    # ``t == obj`` for what is not a number, an array, a list or a tensor (None, a string, a
    # user's object) is NotImplemented, as in PyTorch: Python then asks ``obj`` and falls
    # back to identity, so `t in [None, "auto"]` is False and ``t != object()`` True (not
    # NumPy's NaN for None, its error for a string, or an elementwise False for an object)
    def __eq__(self, other):
        if not _comparable(other):
            return NotImplemented
        return ops.compare(np.equal, self, other)

    def __ne__(self, other):
        if not _comparable(other):
            return NotImplemented
        return ops.compare(np.not_equal, self, other)

    def __lt__(self, other):
        return ops.compare(np.less, self, other)

    def __le__(self, other):
        return ops.compare(np.less_equal, self, other)

    def __gt__(self, other):
        return ops.compare(np.greater, self, other)

    def __ge__(self, other):
        return ops.compare(np.greater_equal, self, other)

    # ----- logical operators on masks (not differentiable, as the comparisons) ----------
    # ``(x > 0) & (x < 1)``: elementwise and, or, xor and not of boolean tensors (bitwise on
    # integer ones), as in NumPy and PyTorch; a floating operand is NumPy's TypeError.
    def __and__(self, other):
        return ops.compare(np.bitwise_and, self, other)

    def __rand__(self, other):
        return ops.compare(np.bitwise_and, other, self)

    def __or__(self, other):
        return ops.compare(np.bitwise_or, self, other)

    def __ror__(self, other):
        return ops.compare(np.bitwise_or, other, self)

    def __xor__(self, other):
        return ops.compare(np.bitwise_xor, self, other)

    def __rxor__(self, other):
        return ops.compare(np.bitwise_xor, other, self)

    def __invert__(self):
        return _from_op(np.invert(self.data), None)

    # ----- methods ----------------------------------------------------------------------
    # ``dim=`` and ``keepdim=``, PyTorch's names for ``axis`` and ``keepdims``, are passed on
    # to the ops, which accept either name (`ops._names`)
    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Sum over ``axis`` (all axes when None); see `chainrule.sum`."""
        return ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Arithmetic mean over ``axis`` (all axes when None)."""
        return ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Maximum over ``axis``; tied maxima share the gradient equally (the values alone,
        also with ``dim=``: the indices are `argmax`)."""
        return ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Minimum over ``axis``; tied minima share the gradient equally (the values alone)."""
        return ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(self, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None):
        """Variance over ``axis``, Σ(x − mean)² / (n − ddof): ``ddof=0`` by default, as
        NumPy (PyTorch's default is ``correction=1``); see `chainrule.var`."""
        return ops.var(self, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction)

    def std(self, axis=None, keepdims=False, ddof=0, *, dim=None, keepdim=None, correction=None):
        """Standard deviation √var over ``axis``, ``ddof=0`` by default as NumPy (PyTorch's
        default is ``correction=1``); see `chainrule.std`."""
        return ops.std(self, axis, keepdims, ddof, dim=dim, keepdim=keepdim, correction=correction)

    def prod(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Product over ``axis``; each element's gradient is the product of the others."""
        return ops.prod(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def norm(self, p=2, dim=None, keepdim: bool = False, *, axis=None, keepdims=None) -> Tensor:
        """Euclidean norm √(Σ x²) over ``dim`` (all elements when None), as PyTorch's
        ``x.norm()`` (positional arguments in its order: ``p``, ``dim``, ``keepdim``); its
        gradient at 0 is 0. Only ``p=2`` (or ``"fro"``) is offered."""
        if p not in (2, 2.0, "fro") or isinstance(p, bool):
            raise ValueError(f"norm: only the Euclidean norm (p=2 or 'fro') is offered, got {p=}")
        return ops._reduce.norm(self, axis, bool(keepdims), dim=dim, keepdim=keepdim or None)

    def amax(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Maximum over ``axis`` (all axes when None), as PyTorch's ``amax``: `max`, tied
        maxima sharing the gradient equally, as in PyTorch."""
        return ops.amax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def amin(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Minimum over ``axis``, as PyTorch's ``amin``: `min` (ties share the gradient)."""
        return ops.amin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def square(self) -> Tensor:
        """x² elementwise (``x * x``), as PyTorch's ``square``."""
        return ops.square(self)

    def masked_fill(self, mask, value) -> Tensor:
        """``value`` where the boolean ``mask`` is true, else this tensor, as PyTorch's
        ``masked_fill``; see `chainrule.ops.masked_fill`."""
        return ops.masked_fill(self, mask, value)

    def exp(self) -> Tensor:
        """eˣ elementwise."""
        return ops.exp(self)

    def log(self) -> Tensor:
        """Natural logarithm elementwise."""
        return ops.log(self)

    def sqrt(self) -> Tensor:
        """Square root elementwise."""
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        """|x| elementwise (gradient 0 at 0)."""
        return ops.abs(self)

    def sin(self) -> Tensor:
        """sin x elementwise."""
        return ops.sin(self)

    def cos(self) -> Tensor:
        """cos x elementwise."""
        return ops.cos(self)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent elementwise."""
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        """Logistic sigmoid 1 / (1 + e⁻ˣ) elementwise."""
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        """max(x, 0) elementwise (gradient 0 at 0)."""
        return ops.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, ``negative_slope`` · x otherwise."""
        return ops.leaky_relu(self, negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, α·(eˣ − 1) otherwise."""
        return ops.elu(self, alpha)

    def gelu(self, *, approximate: str = "none") -> Tensor:
        """x·Φ(x) elementwise (GELU, Φ the standard normal CDF); ``approximate="tanh"`` for
        ½·x·(1 + tanh(√(2/π)(x + 0.044715x³))); see `chainrule.gelu`."""
        return ops.gelu(self, approximate=approximate)

    def silu(self) -> Tensor:
        """x·σ(x) elementwise (SiLU, swish)."""
        return ops.silu(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """(1/β)·ln(1 + e^(βx)) elementwise, x itself where βx > ``threshold``."""
        return ops.softplus(self, beta, threshold)

    def clip(self, lo=None, hi=None, *, min=None, max=None) -> Tensor:
        """Values limited to [lo, hi] (either bound may be None); ``min=`` and ``max=`` name
        the same bounds, as in PyTorch and NumPy 2."""
        return ops.clip(self, lo, hi, min=min, max=max)

    def clamp(self, min=None, max=None) -> Tensor:
        """PyTorch's name for `clip`: values limited to [min, max]."""
        return ops.clip(self, min, max)

    def pow(self, y) -> Tensor:
        """``self ** y`` elementwise, as a method (PyTorch's ``pow``)."""
        return ops.pow(self, y)

    def reshape(self, *shape) -> Tensor:
        """A view with a new shape (``x.reshape(2, -1)`` or ``x.reshape((2, -1))``)."""
        return ops.reshape(self, *shape)

    def view(self, *shape) -> Tensor:
        """PyTorch's name for `reshape` (a copy where NumPy cannot make a view, never an error)."""
        return ops.reshape(self, *shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Axes ``start_dim`` to ``end_dim`` merged into one (all of them by default)."""
        return ops.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of size 1 at position ``dim``, as PyTorch's (``np.expand_dims``)."""
        return ops.unsqueeze(self, dim)

    def squeeze(self, dim=None) -> Tensor:
        """The axes of size 1 removed (all, or ``dim``: an int or a tuple); see
        `chainrule.squeeze`."""
        return ops.squeeze(self, dim)

    def permute(self, *dims) -> Tensor:
        """The axes in the order ``dims`` (all of them), as PyTorch's; NumPy's `transpose`."""
        return ops.permute(self, *dims)

    def transpose(self, *axes) -> Tensor:
        """The axes permuted (reversed when none are given), as in NumPy: ``x.transpose(0,
        1)`` of a matrix leaves it as it is (with a UserWarning: PyTorch's would swap them);
        PyTorch's two-axis swap is `swapaxes`."""
        return ops.transpose(self, *axes)

    def argmax(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Index of the largest value along ``axis`` (int64, outside the graph)."""
        return ops.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
        """Index of the smallest value along ``axis`` (int64, outside the graph)."""
        return ops.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """The tensor with two axes swapped (PyTorch's ``transpose(a, b)``)."""
        return ops.swapaxes(self, axis1, axis2)

    def broadcast_to(self, shape) -> Tensor:
        """The tensor broadcast to ``shape`` (NumPy rules)."""
        return ops.broadcast_to(self, shape)

    def expand(self, *sizes) -> Tensor:
        """The tensor broadcast to ``sizes``, as PyTorch's ``expand`` (-1 keeps an axis,
        new axes go in front); see `chainrule.ops.expand`."""
        return ops.expand(self, *sizes)

    def softmax(self, axis: int = -1, *, dim=None) -> Tensor:
        """exp(x) / Σ exp(x) along ``axis``."""
        return ops.softmax(self, axis, dim=dim)

    def log_softmax(self, axis: int = -1, *, dim=None) -> Tensor:
        """x − log Σ exp(x) along ``axis`` (finite for large logits)."""
        return ops.log_softmax(self, axis, dim=dim)


def _comparable(other) -> bool:
    """Whether ``t == other`` compares elementwise: a tensor, an array or NumPy scalar, a
    number, a list or tuple, or an object NumPy converts (``__array__``)."""
    return isinstance(
        other, (Tensor, np.ndarray, np.generic, numbers.Number, list, tuple)
    ) or hasattr(other, "__array__")


def _check_grad(t: Tensor, value) -> None:
    """A gradient assigned to ``t.grad`` must be an array (or Tensor) of ``t``'s shape and
    dtype, as in PyTorch: backward adds into it, and the optimizers read it."""
    data = value.data if isinstance(value, Tensor) else value
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


# The ops and the engine build Tensors, so they are imported after the class exists.
from . import _engine as engine  # noqa: E402
from . import ops  # noqa: E402
