"""Where a backward pass starts: the seed gradient (the upstream gradient given, checked),
the tensors of ``backward(inputs=)``, and the graph cut down to the paths that lead to the
wanted tensors (``grad`` and ``backward(inputs=)`` walk only those)."""

from __future__ import annotations

import numpy as np

from . import _anomaly
from ._anomaly import _AnomalyMode
from ._dtypes import as_array
from ._tensor import Tensor, _from_op

_RELEASED = (
    "{op}: backward through this part of the graph a second time, but its saved values were "
    "released after the first backward. Pass retain_graph=True to the first backward() "
    "(or compute the output again) to run backward more than once."
)


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


def _check_released(tensors, wanted) -> None:
    """The RuntimeError of a second backward if one of ``tensors`` comes from a released
    node, which may lead to a wanted tensor: unless it is the only wanted one itself."""
    for t in tensors:
        node = t._node
        if node is not None and node.released and not (len(wanted) == 1 and t in wanted):
            raise RuntimeError(_RELEASED.format(op=node.name))


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
