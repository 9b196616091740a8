"""`Function`: one differentiable operation, and the graph node it leaves behind.

An op subclasses `Function` and writes two methods side by side:

    forward(self, *arrays) -> array        NumPy in, NumPy out; saves what backward needs
    backward(self, grad_out) -> grads      one gradient per input (None where not needed)

Calling an instance (``Mul()(x, y)``) runs `forward` on the inputs' arrays and, when a graph
is being recorded, returns a Tensor that remembers this node. The node keeps its inputs and
``self.saved`` -- only what backward needs -- until backward releases them.

Constants among the inputs (Python numbers, arrays: whatever is not a Tensor) are kept as
arrays in ``_inputs`` and become Tensors (read-only views) only when ``inputs`` is first
read. Every Tensor is one more object for Python's cyclic garbage collector to scan while
the graph is alive, and in a long scalar graph (``y * 2 + 1`` ...) those scans cost more
than the ops. In the common call ``op(x, c)`` a constant array ``c`` is held as given (the
ops' ``pair`` made it: a view, or a number's shared array) unless it is x's own array;
other calls hold a view of each constant array: identity tells a constant from an input.

`backward` is written once, with operators and the helpers in ``ops/_common.py`` that accept
NumPy arrays and Tensors alike. The engine calls it on arrays for an ordinary backward pass
and on Tensors (inputs and output substituted for the saved arrays) when
``create_graph=True``, which is how gradients of gradients work without a second formula.
Therefore save only inputs, the output, or values that are constant almost everywhere
(masks, indices); anything else would be treated as a constant by higher derivatives.
"""

from __future__ import annotations

import contextlib
import copy
import itertools

import numpy as np

from . import _anomaly
from ._anomaly import _AnomalyMode
from ._function_checks import _prepared, _refuse_torch_style, _user_output
from ._grad_mode import _GradMode
from ._quiet import quietly
from ._tensor import Tensor, _from_op

_PLAIN_ERRORS = (ValueError, IndexError, np.exceptions.AxisError)
_NAMED_ERRORS = (*_PLAIN_ERRORS, TypeError)  # a bad argument to one of chainrule's own ops
# One shared tuple per needs_grad pattern of up to three inputs: a graph then holds one
# object fewer per node for the garbage collector to visit.
_SHARED = {t: t for n in (1, 2, 3) for t in itertools.product((False, True), repeat=n)}


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

    backward is called with arrays in an ordinary backward pass and with Tensors under
    ``create_graph=True``. Write it with operators and chainrule functions (``cr.exp``,
    ``cr.sigmoid``: they take arrays too, and a Tensor they return counts by its values),
    not NumPy functions, and the one backward serves both, gradients of gradients included.

    Each call records a node of its own: an instance called again (kept like a layer, as
    ``cube = Cube()``, then ``cube(cube(x))``) runs as a copy of itself, so the node of
    the first call keeps its inputs and saved values. ``explain`` shows the op by its class
    name with the first paragraph of its docstring (or `derivative`).

    Where it differs from ``torch.autograd.Function``:

    - forward and backward are ordinary methods of an instance, not static ones taking
      ``ctx`` (a ``@staticmethod`` whose first parameter is ``ctx`` is a TypeError when the
      class is defined), and the op is called as ``Cube()(x)``, not ``Cube.apply(x)``.
    - Every argument is an input, and positional. A number becomes a 0-d array of the first
      float tensor's dtype (``True`` becomes 1.0), a list an array; None is refused. Pass
      settings (an axis, a flag) to ``__init__`` instead, as ``Scaled(k)(x)``.
    - forward gets each input's own array, as it is (an integer tensor stays integer), and
      must not write into it (there is no ``mark_dirty``). It returns one array: a tuple is
      a TypeError (write one Function per output); a number becomes a 0-d array (a
      Python float of the first floating input's dtype, as a number in an op).
    - Save what backward needs in ``self.saved``, not in other attributes: only ``saved``
      is released after backward, checked by `detect_anomaly`, and given as Tensors with
      ``create_graph=True`` (anything else is a constant to higher derivatives). There is
      no version counter: a saved array changed in place before backward silently changes
      the gradient, where PyTorch raises; `detect_anomaly` reports it. ``self.needs_grad``
      is PyTorch's ``ctx.needs_input_grad``.
    - backward gets ``grad_out`` read-only and returns exactly one gradient per input,
      numbers and arrays included (surplus Nones are an error, not ignored), as a tuple
      when there are several. None is a zero gradient: a leaf reached only through None
      gets a ``.grad`` of zeros, where PyTorch leaves None. A gradient must have its
      input's shape (PyTorch sums a broadcast one; here it is an error); a number, a NumPy
      scalar, a Tensor or another dtype is converted to the input's dtype. What backward
      returns for a constant input is ignored (PyTorch refuses anything but None).
    """

    __slots__ = ("_anomaly", "_inputs", "needs_grad", "released", "saved")

    #: the local derivative on one line (per input: ``"dX = dY·Wᵀ, dW = Xᵀ·dY"``), shown by
    #: ``explain`` in its formulas, and in its table when the class has no docstring.
    derivative: str | None = None
    #: True for an op whose forward can meet inf or NaN: it then runs without NumPy's
    #: floating-point warnings, giving the IEEE result (see ``_quiet.py``).
    quiet: bool = False
    #: True for chainrule's own ops (set for each subclass): their backward returns no array
    #: that anything else holds but the upstream gradient or a view, and takes NumPy scalars.
    _trusted: bool = False
    #: True for an op with a `backward_into`, which the engine calls instead of `backward`
    #: when the upstream gradient is an array only the engine holds (see `_engine._walk`).
    _into: bool = False
    #: True for a node whose gradient is its upstream gradient placed at ``self.idx`` of its
    #: one input, no position twice (a slice, an integer, a mask): the engine may add it
    #: into that input's gradient in place, instead of a scatter into zeros the input's
    #: size (`_engine._added_in_place`; what makes ``x[t]`` over t steps cost O(t), not t²).
    _adds_slice: bool = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._trusted = cls.__module__.startswith("chainrule.")
        if "backward" in vars(cls) and "backward_into" not in vars(cls):
            cls._into = False  # a subclass's own backward must run, not an inherited fast path
        for method in ("forward", "backward"):
            _refuse_torch_style(cls, method)

    def __call__(self, *inputs) -> Tensor:
        # the hot path of every op, written out in one function. The common cases first (one
        # or two Tensors; a Tensor and a number `pair` made an array): they keep the argument
        # tuple as ``_inputs``. Anything else goes through `_prepared`.
        trusted = self._trusted
        if not trusted and _is_node(self):  # a user's instance called again, like a layer:
            return _fresh_copy(self)(*inputs)  # a node of its own, the first kept intact
        n = len(inputs)
        if n == 2 and isinstance(inputs[0], Tensor):
            x, y = inputs
            if isinstance(y, Tensor):
                needs, arrays = (x._requires_grad, y._requires_grad), (x.data, y.data)
            elif type(y) is np.ndarray and y is not x.data:  # x * 2: `pair` made 2 an array
                needs, arrays = (x._requires_grad, False), (x.data, y)
            else:
                inputs, needs, arrays = _prepared(self, inputs)
        elif n == 1 and isinstance(inputs[0], Tensor):
            x = inputs[0]
            needs, arrays = (x._requires_grad,), (x.data,)
        else:
            inputs, needs, arrays = _prepared(self, inputs)
        self.needs_grad = needs = _SHARED.get(needs, needs)
        self.saved = ()
        try:
            if _AnomalyMode.enabled:  # anomaly mode checks the forward; off, the test is all
                out = _anomaly.forward(self, arrays)
            elif self.quiet:
                out = quietly(self.forward, arrays)
            else:
                out = self.forward(*arrays)
        except _NAMED_ERRORS as e:
            if type(e) not in _PLAIN_ERRORS and not (trusted and type(e) is TypeError):
                raise  # a user's own exception type, or a TypeError from a user's forward
            shapes = " and ".join(str(a.shape) for a in arrays)  # say which op, on what
            named = type(e)(f"{self.name} on shapes {shapes}: {e}")
            # a user's forward keeps its frames, so that the traceback shows the line at fault
            raise named.with_traceback(None if trusted else e.__traceback__) from None
        if type(out) is not np.ndarray:  # NumPy gives a scalar for a 0-d result
            if not trusted:  # a user's forward: one array of numbers, or an error
                out = _user_output(self, out, arrays)
            out = self._as_output_array(out) if self.saved else np.asarray(out)
        elif _is_one_of(out, arrays):  # an identity forward: the output needs its own array
            out = out.view()  # a saved ``x`` stays the input, as in PyTorch (create_graph)
        # only a floating output has a gradient (an integer one ends the graph, as in
        # PyTorch); chainrule's ops give one from floating inputs, Cast sees to its own
        if _GradMode.enabled and True in needs and (trusted or out.dtype.kind == "f"):
            self._inputs = inputs
            self.released = False
            return _from_op(out, self)
        self.saved = None  # nothing will call backward: free the saved values now
        return _from_op(out, None)

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The input Tensors, in order (constants become Tensors here, once)."""
        inputs = self._inputs
        if not _all_tensors(inputs):
            inputs = self._inputs = tuple([_as_tensor(x) for x in inputs])
        return inputs

    @inputs.setter
    def inputs(self, value) -> None:
        self._inputs = tuple(value)

    def forward(self, *arrays):
        """Compute the output array from the input arrays; save what backward needs."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, grad_out):
        """Return the downstream gradient for each input: local gradient × ``grad_out``."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def _as_output_array(self, out) -> np.ndarray:
        # NumPy returns scalars for 0-d results: the output needs an array object, with
        # saved references to the scalar updated to it
        arr = np.asarray(out)  # a new object, also for an ndarray subclass
        saved = self.saved or ()
        for s in saved:  # by identity: == on arrays compares values
            if s is out:
                self.saved = tuple([arr if s is out else s for s in saved])
                break
        return arr

    @property
    def name(self) -> str:
        """The op's name as shown in errors and by ``explain`` (the class name)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name} node>"


def _is_node(fn: Function) -> bool:
    """Whether ``fn`` already is a node of a recorded graph (its inputs were kept)."""
    try:
        fn._inputs  # noqa: B018 (an unset slot raises AttributeError)
    except AttributeError:
        return False
    return True


def _fresh_copy(fn: Function) -> Function:
    """A copy of ``fn`` with its settings (a user's attributes) but not its node's state."""
    new = copy.copy(fn)
    for slot in Function.__slots__:
        with contextlib.suppress(AttributeError):  # a slot that was never set
            delattr(new, slot)
    return new


def _as_tensor(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    view = x.view()  # read-only: the node's constant, which nodes may share (``pair``)
    view.flags.writeable = False
    return _from_op(view, None)


def _all_tensors(items) -> bool:
    for x in items:  # noqa: SIM110 (a loop, not all(<generator>): this runs on every op)
        if not isinstance(x, Tensor):
            return False
    return True


def _is_one_of(a, items) -> bool:
    """Whether ``a`` is (by identity, not by value) one of ``items``."""
    for x in items:  # noqa: SIM110 (a loop: a third of the time of any() or map(id), per op)
        if x is a:
            return True
    return False
