"""What the engine calls while it walks the graph, and the checks of what comes back.

The calls: a node's backward (an op's, a user's under a read-only upstream gradient, or
recorded for ``create_graph``) and the gradient hooks; the checks: each returned gradient
made an array (or Tensor) of its input's shape and dtype."""

from __future__ import annotations

import numpy as np

from . import _anomaly_checks
from ._anomaly import _AnomalyMode
from ._quiet import as_user
from ._tensor import Tensor, _from_op


def _copy(g):
    return g.copy() if isinstance(g, np.ndarray) else _array(g)


def _array(g):
    """``g`` with a NumPy scalar (the gradient of a 0-d tensor, see `_checked`) as an array."""
    return np.asarray(g) if isinstance(g, np.generic) else g


def _who(node) -> str:
    return f"{node.name}.backward"


def _hook_name(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _zeros_like(t: Tensor, create_graph: bool):
    z = np.zeros(t.shape, dtype=t.dtype)
    return _from_op(z, None) if create_graph else z


def _refuse_complex(who: str, dtype: np.dtype, t: Tensor) -> None:
    """A TypeError for a complex gradient of the real tensor ``t`` (only floating tensors
    require gradients), where a cast would keep its real part silently but for a
    ComplexWarning; PyTorch refuses it too."""
    if dtype.kind == "c":
        raise TypeError(
            f"{who} returned a complex gradient ({dtype}) for a tensor of dtype {t.dtype}; "
            "the gradient of a real tensor is real (return its real part if that is meant)"
        )


def _numbers(who: str, gi, shape) -> np.ndarray:
    """A gradient that ``who`` (a backward, a hook) returned, as an array of numbers; else a
    TypeError saying so (NumPy would make an array of text or objects of it, then fail on
    the shape or the cast with a message naming neither ``who`` nor the fix)."""
    a = np.asarray(gi)
    if a.dtype.kind in "biufc":
        return a
    if a.dtype.kind == "O":  # Python objects that are numbers (Fraction, Decimal) will do
        try:
            return a.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise TypeError(
        f"{who} returned a gradient that is not numbers (a {type(gi).__name__}, of dtype "
        f"{a.dtype}); return an array, a number or a Tensor of shape {shape}"
    )


def _checked(node, t: Tensor, gi, create: bool):
    """``gi`` as an array (or Tensor) of ``t``'s shape and dtype; True if newly allocated."""
    fresh = False
    if create:
        if not isinstance(gi, Tensor):
            gi = _from_op(_numbers(_who(node), gi, t.shape), None)  # cast below
    elif isinstance(gi, Tensor):
        gi = gi.data  # a tensor's own array: never added into
    elif type(gi) is not np.ndarray:  # a NumPy scalar (0-d results), a number, a list
        gi = _numbers(_who(node), gi, t.shape)
        fresh = gi.base is None  # not a view of an array the op or the user holds
    elif gi.dtype.kind not in "biufc":  # text or objects: NumPy's error would not say whose
        gi = _numbers(_who(node), gi, t.shape)
    data = t.data
    if gi.shape != data.shape:
        raise RuntimeError(
            f"{node.name}.backward returned a gradient of shape {gi.shape} for an input of "
            f"shape {data.shape}; a gradient must have the shape of its input"
        )
    if gi.dtype != data.dtype:
        _refuse_complex(_who(node), gi.dtype, t)
        gi, fresh = gi.astype(data.dtype), True
    return gi, fresh


def _as_gradients(node, grads_in) -> tuple:
    """What backward returned as a tuple of one gradient per input, or an error."""
    n = len(node._inputs)
    if isinstance(grads_in, list) and n > 1:  # one gradient, or meant as one per input?
        raise RuntimeError(
            f"{node.name}.backward returned a list for {n} inputs; return a tuple with one "
            "gradient per input (a list is taken as the values of one gradient)"
        )
    if not isinstance(grads_in, tuple):
        grads_in = (grads_in,)
    if len(grads_in) != n:
        raise RuntimeError(
            f"{node.name}.backward returned {len(grads_in)} gradients for {n} inputs"
        )
    return grads_in


def _saved_as_tensors(saved, inputs, out: Tensor) -> tuple:
    """The saved arrays with each input's and the output's array replaced by its Tensor."""
    by_id = {id(t.data): t for t in inputs}
    by_id[id(out.data)] = out
    return tuple(by_id.get(id(s), s) for s in saved)


def _read_only_call(fn, g, who: str, advice: str):
    """``fn(g)`` for a user's backward or hook, under the user's NumPy error state, with an
    array ``g`` as a read-only view: the engine may pass the same array to other tensors
    (add hands one upstream gradient to both inputs), whose gradients a write into it
    would change silently. A write is a ValueError saying ``who`` did it, and ``advice``."""
    if type(g) is np.ndarray and g.flags.writeable:
        g = g.view()
        g.flags.writeable = False
    try:
        return as_user(fn, (g,))
    except ValueError as e:
        if "read-only" not in str(e):
            raise
        raise ValueError(f"{who}: {e}: {advice}") from e


def _user_backward(node, g):
    """A user's ``node.backward(g)``, under the user's NumPy error state, given ``g`` as an
    array it cannot write into (see `_read_only_call`)."""
    return _read_only_call(
        node.backward,
        np.asarray(g),
        f"{node.name}.backward",
        "backward must not write into grad_out, which may be other tensors' gradient too; "
        "compute a new array (grad_out * 2, not grad_out *= 2)",
    )


def _backward_plain(node, out: Tensor, g):
    return node.backward(g) if node._trusted else _user_backward(node, g)


def _backward_recorded(node, out: Tensor, g):
    """backward with the saved arrays replaced by their Tensors, so that it is recorded."""
    saved = node.saved
    node.saved = _saved_as_tensors(saved, node.inputs, out)
    try:
        if node._trusted:
            return node.backward(g)
        return as_user(node.backward, (g,))  # the user's NumPy warnings apply, as without
    except TypeError as e:
        if node._trusted or "Tensor" not in str(e):  # only a NumPy function given a Tensor
            raise
        raise TypeError(
            f"{node.name}.backward failed with create_graph=True: {e}. For gradients of "
            "gradients, backward is given Tensors (the saved inputs and output, and the "
            "upstream gradient) and must compute with chainrule ops (cr.cos, operators, "
            "methods), not NumPy functions"
        ) from e
    finally:
        node.saved = saved


_HOOK_ADVICE = (
    "a hook must not change the gradient it is given in place (it may be shared); "
    "return the new gradient instead"
)


def _run_hooks(t: Tensor, g):
    """Call ``t``'s hooks in order; a returned value replaces the gradient. Either way the
    engine no longer owns the result: a hook may keep the array it was given, a read-only
    view (`_read_only_call`)."""
    for fn in t._hooks:
        out = _read_only_call(fn, g, f"gradient hook {_hook_name(fn)}", _HOOK_ADVICE)
        if out is not None:
            new = _as_gradient_like(g, out, t, f"gradient hook {_hook_name(fn)}")
            if new.shape != t.shape:
                raise RuntimeError(
                    f"gradient hook {_hook_name(fn)} on a tensor of shape {t.shape} returned "
                    f"a gradient of shape {new.shape}; a hook must return the same shape "
                    "(or None to keep the gradient)"
                )
            if _AnomalyMode.enabled:
                _anomaly_checks.check_hook(t, fn, g, new)
            g = new
    return g


def _run_post_hooks(t: Tensor) -> None:
    """Call ``t``'s post-accumulate-grad hooks in order, each given the tensor itself."""
    for fn in t._post_hooks:
        out = as_user(fn, (t,))
        if out is not None:
            raise TypeError(
                f"post-accumulate-grad hook {_hook_name(fn)} returned a "
                f"{type(out).__name__}; it must return None (it is given the tensor, and "
                "changes it or its .grad in place if it changes anything)"
            )


def _as_gradient_like(g, out, t: Tensor, who: str):
    """What a hook returned, as the kind of gradient it was given: a Tensor under
    create_graph, else an array (a Tensor returned in a plain backward counts by value)."""
    if isinstance(out, Tensor):
        _refuse_complex(who, out.dtype, t)
        return out if isinstance(g, Tensor) else np.asarray(out.data, dtype=t.dtype)
    new = _numbers(who, out, t.shape)
    _refuse_complex(who, new.dtype, t)
    new = new.astype(t.dtype, copy=False)
    return _from_op(new, None) if isinstance(g, Tensor) else new
