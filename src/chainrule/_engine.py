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
"""

from __future__ import annotations

import numpy as np

from ._grad_mode import enable_grad
from ._tensor import Tensor, _from_op

_RELEASED = (
    "{op}: backward through this part of the graph a second time, but its saved values were "
    "released after the first backward. Pass retain_graph=True to the first backward() "
    "(or compute the output again) to run backward more than once."
)


def backward(root: Tensor, grad=None, retain_graph=False, create_graph=False, record=None):
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires it."""
    _run(root, _seed(root, grad, create_graph), retain_graph, create_graph, None, record)


def grad(output: Tensor, inputs, grad_output=None, retain_graph=None, create_graph=False):
    """Return d(output)/d(input) for each input without touching any ``.grad``."""
    inputs = list(inputs)
    for i, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t._requires_grad):
            raise ValueError(f"grad: input {i} is not a tensor that requires gradients")
    wanted = dict.fromkeys(inputs)
    retain = create_graph if retain_graph is None else retain_graph
    _run(output, _seed(output, grad_output, create_graph), retain, create_graph, wanted, None)
    return [wanted[t] if wanted[t] is not None else _zeros_like(t, create_graph) for t in inputs]


def _zeros_like(t: Tensor, create_graph: bool):
    z = np.zeros(t.shape, dtype=t.dtype)
    return _from_op(z, None) if create_graph else z


def _seed(root: Tensor, grad, create_graph: bool):
    if not root._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require gradients: none of the tensors it was "
            "computed from has requires_grad=True (or it was computed inside no_grad())"
        )
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: the output has shape {root.shape}, not a single value; pass the "
                "upstream gradient, backward(grad) with grad of that shape, or reduce the "
                "output to a scalar first (e.g. loss.sum() or loss.mean())"
            )
        seed = np.ones(root.shape, dtype=root.dtype)
    else:
        seed = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.dtype)
        if seed.shape != root.shape:
            raise ValueError(
                f"backward: the upstream gradient has shape {seed.shape}, but the output has "
                f"shape {root.shape}"
            )
        if create_graph and isinstance(grad, Tensor):
            return grad
    return _from_op(seed, None) if create_graph else seed


def _consumers(root: Tensor) -> dict:
    """For each tensor reachable from ``root``, the number of recorded edges that use it."""
    count = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()._node
        if node is None:
            continue
        for t, need in zip(node.inputs, node.needs_grad):
            if not need:
                continue
            if t in count:
                count[t] += 1
            else:
                count[t] = 1
                stack.append(t)
    return count


def _run(root, seed, retain, create, wanted, record):
    if create:
        with enable_grad():
            return _walk(root, seed, retain, True, wanted, record)
    return _walk(root, seed, retain, False, wanted, record)


def _walk(root, seed, retain, create, wanted, record):
    pending = _consumers(root)
    grads = {root: seed}
    owned = set()  # tensors whose gradient array the engine allocated and may add into
    ready = [root]
    while ready:
        t = ready.pop()
        g = grads.pop(t)
        if t._hooks:
            g = _run_hooks(t, g, owned)
        if wanted is not None and t in wanted:
            wanted[t] = g
        node = t._node
        if node is None:
            if wanted is None:
                _store_grad(t, g, t in owned, create)
            continue
        if t._retain:
            _store_grad(t, g, False, create)
        grads_in = _call_backward(node, t, g, create)
        if record is not None:  # copies: the engine may later add into these arrays
            record(node, t, g, tuple(_copy(gi) for gi in grads_in))
        _send(node, g, grads_in, grads, owned, pending, ready, create)
        if not retain:
            node.saved, node.inputs, node.released = None, (), True


def _call_backward(node, out: Tensor, g, create: bool):
    if node.released:
        raise RuntimeError(_RELEASED.format(op=node.name))
    if not create:
        grads_in = node.backward(g)
    else:
        saved = node.saved
        node.saved = _saved_as_tensors(saved, node.inputs, out)
        try:
            grads_in = node.backward(g)
        finally:
            node.saved = saved
    if not isinstance(grads_in, tuple):
        grads_in = (grads_in,)
    if len(grads_in) != len(node.inputs):
        raise RuntimeError(
            f"{node.name}.backward returned {len(grads_in)} gradients for {len(node.inputs)} inputs"
        )
    return grads_in


def _copy(g):
    return g.copy() if isinstance(g, np.ndarray) else g


def _saved_as_tensors(saved, inputs, out: Tensor) -> tuple:
    """The saved arrays with each input's and the output's array replaced by its Tensor."""
    by_id = {id(t.data): t for t in inputs}
    by_id[id(out.data)] = out
    return tuple(by_id.get(id(s), s) for s in saved)


def _send(node, g, grads_in, grads, owned, pending, ready, create):
    """Add each downstream gradient to its input's total; queue inputs that are complete."""
    trusted = type(node).__module__.startswith("chainrule.")
    for t, gi, need in zip(node.inputs, grads_in, node.needs_grad):
        if not need:
            continue
        if gi is not None:
            gi, fresh = _checked(node, t, gi, create)
            fresh = fresh or (trusted and not create and gi is not g and gi.base is None)
            _accumulate(grads, owned, t, gi, fresh, create)
        pending[t] -= 1
        if pending[t] == 0:
            ready.append(t)
            if t not in grads:  # every contribution was None: the gradient is zero
                grads[t] = _zeros_like(t, create)
                owned.add(t)


def _checked(node, t: Tensor, gi, create: bool):
    """``gi`` as an array (or Tensor) of ``t``'s shape and dtype; True if newly allocated."""
    fresh = False
    if create:
        if not isinstance(gi, Tensor):
            gi = _from_op(np.asarray(gi, dtype=t.dtype), None)
    elif type(gi) is not np.ndarray:
        gi, fresh = np.asarray(gi.data if isinstance(gi, Tensor) else gi, dtype=t.dtype), True
    if gi.shape != t.shape:
        raise RuntimeError(
            f"{node.name}.backward returned a gradient of shape {gi.shape} for an input of "
            f"shape {t.shape}; a gradient must have the shape of its input"
        )
    if gi.dtype != t.dtype:
        gi, fresh = gi.astype(t.dtype), True
    return gi, fresh


def _accumulate(grads, owned, t, gi, fresh, create):
    prev = grads.get(t)
    if prev is None:
        grads[t] = gi
        if fresh and not create:
            owned.add(t)
    elif t in owned:
        prev += gi
    else:
        grads[t] = prev + gi
        if not create:
            owned.add(t)


def _run_hooks(t: Tensor, g, owned: set):
    for fn in t._hooks:
        out = fn(g)
        if out is not None:
            g = out if isinstance(out, Tensor) else np.asarray(out, dtype=t.dtype)
            owned.discard(t)
    return g


def _store_grad(t: Tensor, g, owned: bool, create: bool):
    """Accumulate into ``t.grad`` (PyTorch semantics: repeated backward calls add up)."""
    if t.grad is None:
        t.grad = g if owned or create else g.copy()
    elif create or isinstance(t.grad, Tensor):
        t.grad = t.grad + g
    else:
        t.grad += g
