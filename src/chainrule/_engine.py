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

from . import _anomaly, _strict
from ._anomaly import _AnomalyMode
from ._dtypes import as_array
from ._grad_mode import enable_grad, no_grad
from ._quiet import as_user, silenced
from ._strict import _StrictMode
from ._tensor import Tensor, _from_op

_RELEASED = (
    "{op}: backward through this part of the graph a second time, but its saved values were "
    "released after the first backward. Pass retain_graph=True to the first backward() "
    "(or compute the output again) to run backward more than once."
)


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


def _backward_inputs(inputs) -> dict:
    """PyTorch's ``backward(inputs=)``, a tensor or a sequence of them, as the ``wanted``
    tensors (each once); an empty sequence, or one not requiring gradients, is an error."""
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    try:
        inputs = list(inputs)
    except TypeError:
        raise TypeError(
            f"backward: inputs must be a Tensor or a sequence of Tensors, got "
            f"{type(inputs).__name__}"
        ) from None
    if not inputs:
        raise RuntimeError(
            "backward: 'inputs' argument to backward() cannot be empty; leave it out (None) "
            "to accumulate into every leaf"
        )
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: inputs[{i}] is a {type(t).__name__}, not a Tensor")
        if not t._requires_grad:
            raise RuntimeError(
                f"backward: inputs[{i}] does not require gradients, so it can have none; "
                "pass only tensors that require them"
            )
    return dict.fromkeys(inputs)


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


def _only_towards(root: Tensor, wanted, check_released: bool) -> list:
    """Turn off (in ``needs_grad``) every edge below ``root`` that leads to none of the
    ``wanted`` tensors; return each changed node with its own value, to be put back.
    With ``check_released``, a released node met on the way is an error (`grad`)."""
    users = {root: []}  # tensor -> the tensors computed from it (by edges that need grad)
    stack = [root]
    while stack:
        t = stack.pop()
        node = t._node
        if node is None:
            continue
        for x, need in zip(node._inputs, node.needs_grad):
            if need:
                if x not in users:
                    users[x] = []
                    stack.append(x)
                users[x].append(t)
    if check_released:
        _check_released(users, wanted)
    useful = set()  # the tensors from which a wanted one is reached
    stack = [t for t in wanted if t in users]
    while stack:
        t = stack.pop()
        if t not in useful:
            useful.add(t)
            stack.extend(users[t])
    restore = []
    for t in users:
        node = t._node
        if node is not None:
            needs = tuple([need and x in useful for x, need in zip(node._inputs, node.needs_grad)])
            if needs != node.needs_grad:
                restore.append((node, node.needs_grad))
                node.needs_grad = needs
    return restore


def _check_released(tensors, wanted) -> None:
    """The RuntimeError of a second backward if one of ``tensors`` comes from a released
    node, which may lead to a wanted tensor: unless it is the only wanted one itself."""
    for t in tensors:
        node = t._node
        if node is not None and node.released and not (len(wanted) == 1 and t in wanted):
            raise RuntimeError(_RELEASED.format(op=node.name))


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
        if seed.ndim == 0 and not create_graph:  # a NumPy scalar, as ops pass 0-d gradients
            seed = seed[()]
    else:
        seed = _seed_array(grad, root)
        if seed.shape != root.shape:
            raise ValueError(
                f"backward: the upstream gradient has shape {seed.shape}, but the output has "
                f"shape {root.shape}"
            )
        if create_graph and isinstance(grad, Tensor):
            return grad if grad.dtype == root.dtype else grad.astype(root.dtype)
    return _from_op(seed, None) if create_graph else seed


def _seed_array(grad, root: Tensor) -> np.ndarray:
    """The given upstream gradient in the output's dtype, as every gradient has its
    tensor's (a leaf root keeps it). A finite value beyond that dtype's range becomes ±inf
    quietly, as in the ops; in anomaly mode it is an `AnomalyError`."""
    given = grad.data if isinstance(grad, Tensor) else grad
    kind = getattr(getattr(given, "dtype", None), "kind", None)  # an array's, a scalar's
    if kind == "c" or isinstance(given, complex):  # a cast keeps the real part (a warning)
        raise TypeError(
            f"backward: the upstream gradient is complex, but the output is {root.dtype}: the "
            "gradient of a real tensor is real (pass its real part if that is what is meant)"
        )
    try:
        seed = as_array(given, root.dtype)
    except (TypeError, ValueError) as e:  # text, or lists of uneven lengths
        raise TypeError(
            f"backward: the upstream gradient must be numbers of the output's shape "
            f"{root.shape}, got a {type(given).__name__} ({e})"
        ) from None
    if _AnomalyMode.enabled and seed.dtype.kind == "f" and not np.all(np.isfinite(seed)):
        source = np.asarray(given)
        if source.dtype.kind in "biuf" and np.all(np.isfinite(source)):
            raise _anomaly.AnomalyError(
                f"backward: the upstream gradient given is finite but overflows the output's "
                f"dtype {root.dtype} (inf after the cast); pass it in range, or compute the "
                "output in a wider dtype",
                phase="backward",
                kind="non-finite",
            )
    return seed


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


def _backward_plain(node, out: Tensor, g):
    return node.backward(g) if node._trusted else _user_backward(node, g)


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


def _copy(g):
    return g.copy() if isinstance(g, np.ndarray) else _array(g)


def _array(g):
    """``g`` with a NumPy scalar (the gradient of a 0-d tensor, see `_checked`) as an array."""
    return np.asarray(g) if isinstance(g, np.generic) else g


def _saved_as_tensors(saved, inputs, out: Tensor) -> tuple:
    """The saved arrays with each input's and the output's array replaced by its Tensor."""
    by_id = {id(t.data): t for t in inputs}
    by_id[id(out.data)] = out
    return tuple(by_id.get(id(s), s) for s in saved)


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
                _anomaly.check_sum(node, t, prev, gi)
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


def _refuse_complex(who: str, dtype: np.dtype, t: Tensor) -> None:
    """A TypeError for a complex gradient of the real tensor ``t`` (only floating tensors
    require gradients), where a cast would keep its real part silently but for a
    ComplexWarning; PyTorch refuses it too."""
    if dtype.kind == "c":
        raise TypeError(
            f"{who} returned a complex gradient ({dtype}) for a tensor of dtype {t.dtype}; "
            "the gradient of a real tensor is real (return its real part if that is meant)"
        )


def _who(node) -> str:
    return f"{node.name}.backward"


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
                _anomaly.check_hook(t, fn, g, new)
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


def _hook_name(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


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
        _anomaly.check_accumulated(t, grad, g)
    if create or isinstance(grad, Tensor) or not grad.flags.writeable:
        t._grad = grad + g  # a read-only .grad the user assigned (a broadcast view) stays as it is
    else:
        t._grad += g
