"""The backward engine: walks the graph from the output to the leaves.

Order: Kahn's algorithm, iteratively (no recursion, so a 100,000-op chain is fine). First
count, for every tensor, how many recorded edges consume it; a tensor is processed once
all of its consumers have sent their contribution, so its gradient is complete. The order
depends only on how the graph was built, so it is deterministic.

Each node receives its upstream gradient and returns one downstream gradient per input
(local × upstream). Contributions to a tensor used more than once are added (``+=``).

Ownership: the engine adds in place only into arrays it allocated itself. A gradient an op
passes through unchanged (add), a view (reshape) or the user's own array is copied before
anything is added to it, so no array the user holds is ever modified.

Memory: the engine lets go of each tensor as soon as it is done with it. A node's output is
dropped before its backward runs (backward needs only the saved values), and a node's
inputs and saved values right after; so activations are freed one layer at a time during
backward, as in a hand-written backward pass, rather than all at its end.
"""

from __future__ import annotations

import numpy as np

from . import _anomaly, _anomaly_checks, _strict
from ._anomaly import _AnomalyMode
from ._backward_calls import (
    _array,
    _as_gradients,
    _backward_plain,
    _backward_recorded,
    _checked,
    _copy,
    _run_hooks,
    _run_post_hooks,
    _user_backward,
    _zeros_like,
)
from ._backward_start import _RELEASED, _backward_inputs, _only_towards, _seed
from ._grad_mode import enable_grad, no_grad
from ._quiet import silenced
from ._strict import _StrictMode
from ._tensor import Tensor


def backward(
    root: Tensor, grad=None, retain_graph=False, create_graph=False, record=None, inputs=None
):
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires it; with
    ``inputs``, into the ``.grad`` of those tensors only (`_backward_towards`)."""
    wanted = None if inputs is None else _backward_inputs(inputs)
    seed = _seed(root, grad, create_graph)
    if wanted is None:
        _run(root, seed, retain_graph, create_graph, None, record)
    else:
        _backward_towards(root, seed, retain_graph, create_graph, wanted, record)


def _backward_towards(root, seed, retain, create, wanted, record) -> None:
    """backward into the ``.grad`` of the ``wanted`` tensors only: the walk of `grad`,
    along the paths that lead to them (`_only_towards`), storing instead of returning. A
    non-leaf among them is made to retain its gradient from now on, as PyTorch's
    ``retain_grad()`` on it; other leaves, and the branches that lead to no input, are
    left alone (not run, not released)."""
    for t in wanted:
        if t._node is not None:
            t._retain = True
    restore = _only_towards(root, wanted, True)
    try:
        _run(root, seed, retain, create, wanted, record, into_grad=True)
    finally:
        for node, needs in restore:
            node.needs_grad = needs


def grad(
    output: Tensor,
    inputs,
    grad_output=None,
    retain_graph=None,
    create_graph=False,
    zeros=True,
    check_released=False,
):
    """Return d(output)/d(input) for each input without touching any ``.grad``; for an
    input the output does not depend on, zeros (None with ``zeros=False``).

    Only the paths from ``output`` to ``inputs`` are walked: a branch that leads to none of
    them (a tensor computed before, used by the function `cr.grad` differentiates) is not
    released, and its hooks and retained gradients are left alone, as in PyTorch.

    A node released by an earlier backward has let go of its inputs, so whether it leads
    to an input cannot be told. With ``check_released`` meeting one is the RuntimeError of
    a second backward (else its share of an input's gradient would be missing silently):
    for inputs that may be older than that backward (`autograd.grad`). Without, it is left
    out: right for inputs made after it (the functional transforms' own leaves)."""
    inputs = list(inputs)
    for i, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t._requires_grad):
            raise ValueError(f"grad: input {i} is not a tensor that requires gradients")
    wanted = dict.fromkeys(inputs)
    retain = create_graph if retain_graph is None else retain_graph
    seed = _seed(output, grad_output, create_graph)
    restore = _only_towards(output, wanted, check_released)
    try:
        _run(output, seed, retain, create_graph, wanted, None)
    finally:
        for node, needs in restore:
            node.needs_grad = needs
    unused = _zeros_like if zeros else lambda t, create: None
    return [wanted[t] if wanted[t] is not None else unused(t, create_graph) for t in inputs]


def _consumers(root: Tensor) -> dict:
    """For each tensor reachable from ``root``, the number of recorded edges that use it."""
    count = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()._node
        if node is None:
            continue
        for t, need in zip(node._inputs, node.needs_grad):
            if not need:
                continue
            if t in count:
                count[t] += 1
            else:
                count[t] = 1
                stack.append(t)
    return count


def _run(root, seed, retain, create, wanted, record, into_grad=False):
    through = _backward_recorded if create else None  # None: node.backward(g), inline
    if _AnomalyMode.enabled:  # read once per call: anomaly checks take a path of their own
        through = _anomaly.checked(through or _backward_plain, retain)
        with np.errstate(all="ignore"):  # a NaN or inf raises AnomalyError, not a warning
            return _run_through(root, seed, retain, create, wanted, record, through, into_grad)
    with silenced():  # 0·∞ = NaN, ∞ + (−∞) = NaN: IEEE results of the chain rule, no warning
        return _run_through(root, seed, retain, create, wanted, record, through, into_grad)


def _run_through(root, seed, retain, create, wanted, record, through, into_grad):
    # grad mode is create_graph while the pass runs, as in PyTorch: hooks and user-defined
    # backward rules see it, and without create_graph what they compute records no graph
    with enable_grad() if create else no_grad():
        return _walk(root, seed, retain, create, wanted, record, through, into_grad)


def _walk(root, seed, retain, create, wanted, record, through, into_grad):
    """The backward loop. ``through(node, out, g)`` runs a node's backward when it must be
    recorded (create_graph) or checked (anomaly mode); when None, ``node.backward(g)`` is
    called inline, so the plain path does no per-node work for either. ``wanted``: the
    tensors `grad` returns the gradients of, or with ``into_grad`` the inputs of
    ``backward(inputs=)``, whose ``.grad`` gets them (a non-leaf's as a retained one)."""
    pending = _consumers(root)
    grads = {root: seed}
    owned = set()  # tensors whose gradient array the engine allocated and may add into
    ready = [root]
    while ready:
        t = ready.pop()
        del pending[t]  # the engine's last reference: a released tensor can now be freed
        g = grads.pop(t)
        mine = t in owned
        if mine:
            owned.remove(t)
        if t._hooks:
            before = None if record is None else _copy(g)
            g, mine = _run_hooks(t, _array(g)), False  # a hook may keep the array it saw
            if record is not None and hasattr(record, "hooked"):  # explain shows both
                record.hooked(t, before, _copy(g))
        node = t._node
        if wanted is not None and t in wanted:
            if not into_grad:
                wanted[t], mine = _array(g), False  # the caller's: never written into
            if node is not None and True not in node.needs_grad:  # none asked for below t
                # (`_only_towards`): PyTorch neither runs its node nor releases it, so that
                # grad(z, [y]) then y.sum().backward() works
                if t._retain:
                    _store_grad(t, g, False, create)
                continue
        if node is None:
            # not a leaf frozen since the forward; with wanted, only wanted leaves get here
            if (wanted is None or into_grad) and t._requires_grad:
                _store_grad(t, g, mine, create)
                if getattr(t, "_post_hooks", None):  # unset on a leaf an op made
                    _run_post_hooks(t)
            continue
        if t._retain:
            _store_grad(t, g, False, create)
        if node.released:
            raise RuntimeError(_RELEASED.format(op=node.name))
        if through is not None:
            g = _array(g)  # the object backward sees: `_send` tells a passed-on one by identity
            grads_in = through(node, t, g)
        else:
            if record is None:
                t = None  # backward needs only its saved values: the output's may be freed
            if mine and node._into and record is None and type(g) is np.ndarray:
                grads_in = node.backward_into(g)  # g is the engine's alone: written over
                g = None  # so `_send` keeps owning it where the node returns it
            elif node._adds_slice and record is None and _added_in_place(node, g, grads, owned):
                grads_in = (None,)  # already in the input's total: `_send` counts it down
            elif node._trusted:
                grads_in = node.backward(g)
            else:
                grads_in = _user_backward(node, g)
        if type(grads_in) is not tuple or len(grads_in) != len(node._inputs):
            grads_in = _as_gradients(node, grads_in)
        if record is not None:  # copies: the engine may later add into these arrays
            record(node, t, _array(g), tuple([_copy(gi) for gi in grads_in]))
        _send(node, g, grads_in, grads, owned, pending, ready, create)
        if not retain:
            node.saved, node._inputs, node.released = None, (), True


def _added_in_place(node, g, grads, owned) -> bool:
    """Add an indexing node's upstream gradient ``g`` at its positions into its input's
    gradient, when the engine owns that array (a contribution already came); False, and
    nothing done, otherwise (`backward` then scatters as usual). ``g`` has the input's
    dtype, as every gradient has its tensor's; a NumPy scalar (a 0-d step) adds as well."""
    x = node._inputs[0]
    if x not in owned:  # owned: in ``grads``, and an array nobody else has seen
        return False
    grads[x][node.idx] += g  # no position twice: the same sums as total + scatter(g)
    return True


def _send(node, g, grads_in, grads, owned, pending, ready, create):
    """Add each downstream gradient to its input's total; queue inputs that are complete."""
    trusted = node._trusted  # chainrule's own op: a new array it returns may be added into
    for t, gi, need in zip(node._inputs, grads_in, node.needs_grad):  # t: a Tensor if need
        if not need:
            continue
        if gi is not None:
            data = t.data
            if create:
                gi, fresh = _checked(node, t, gi, create)  # a Tensor
            elif type(gi) is np.ndarray and gi.shape == data.shape and gi.dtype == data.dtype:
                fresh = trusted and gi is not g and gi.base is None
            elif type(gi) is data.dtype.type and data.ndim == 0:
                fresh = False  # a NumPy scalar (an op's 0-d result): immutable, kept as it is
            else:
                gi, fresh = _checked(node, t, gi, create)  # converted, or an error
            prev = grads.get(t)
            if prev is not None and _AnomalyMode.enabled:  # only where gradients meet
                _anomaly_checks.check_sum(node, t, prev, gi)
            if prev is None:  # the first contribution
                grads[t] = gi
                if fresh and not create:
                    owned.add(t)
            elif t in owned:
                prev += gi
            else:
                grads[t] = total = prev + gi  # a NumPy scalar if both are 0-d
                if not create and type(total) is np.ndarray:
                    owned.add(t)
        count = pending[t] - 1
        pending[t] = count
        if count == 0:
            ready.append(t)
            if t not in grads:  # every contribution was None: the gradient is zero
                grads[t] = _zeros_like(t, create)
                owned.add(t)


def _store_grad(t: Tensor, g, owned: bool, create: bool):
    """Accumulate into ``t.grad`` (PyTorch semantics: repeated backward calls add up)."""
    if isinstance(g, np.generic):
        g, owned = np.asarray(g), True
    grad = t._grad
    if grad is None:
        t._grad = g if owned or create else g.copy()
        return
    if _StrictMode.enabled:  # tested only when adding to an earlier backward's gradient
        _strict.accumulating(t, grad)
    if _AnomalyMode.enabled:
        _anomaly_checks.check_accumulated(t, grad, g)
    if create or isinstance(grad, Tensor) or not grad.flags.writeable:
        t._grad = grad + g  # a read-only .grad the user assigned (a broadcast view) stays as it is
    else:
        t._grad += g
