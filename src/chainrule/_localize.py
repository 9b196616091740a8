"""Finding the node whose backward is wrong: `check_graph`.

Each recorded node is checked on its own: its ``backward`` applied to a random upstream
gradient v must equal the finite-difference derivative of ⟨v, forward(inputs)⟩ — the
node's vector–Jacobian product, checked locally. The first node (in forward order) that
disagrees is the one to fix; everything downstream of it inherits the error.

Where the central difference itself is off, a correct node is not blamed (`_Probe`): at a
kink (relu at 0, a clip at its bound) a backward between the two one-sided derivatives
passes, and where the function curves sharply (log near 0) a second, smaller step decides.
"""

from __future__ import annotations

import copy

import numpy as np

from ._finite_differences import _check_settings
from ._gradcheck import GradcheckError, close
from ._quiet import silenced
from ._tensor import Tensor


def check_graph(output: Tensor, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> int:
    """Check every node of ``output``'s graph locally; return the number of nodes checked
    (every op node of the graph, leaves not counted: 0 for a leaf).

    Raises `GradcheckError` naming the first node whose backward disagrees with finite
    differences: its op, its position in forward order (inputs first, counting from 1 --
    not explain's step numbers, which count backward from the output) and the input.
    Call it before ``backward`` (which releases the graph). Inputs are evaluated in float64;
    the step is ``eps``, relative to |x| where |x| > 1, and an entry passes within
    ``atol`` + ``rtol``·|numeric|, as in `gradcheck`.
    """
    _check_settings("check_graph", eps, atol, rtol)
    rng = np.random.default_rng(0)
    nodes = _forward_order(output)
    for position, node in enumerate(nodes, 1):
        _check_node(node, _where(node, position, len(nodes)), rng, eps, atol, rtol)
    return len(nodes)


def _where(node, position: int, total: int) -> str:
    """``Mul (node 2 of 6 in forward order, counting from 1)``."""
    return f"{node.name} (node {position} of {total} in forward order, counting from 1)"


def _forward_order(output: Tensor) -> list:
    """The graph's nodes, inputs before the nodes that use them (iterative post-order)."""
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        t, expanded = stack.pop()
        node = t._node
        if node is None or (id(node) in seen and not expanded):
            continue
        if expanded:
            order.append(node)
            continue
        seen.add(id(node))
        stack.append((t, True))
        stack.extend((x, False) for x in reversed(node.inputs))
    return order


def _check_node(node, where: str, rng, eps: float, atol: float, rtol: float) -> None:
    if node.released:
        raise RuntimeError("check_graph: the graph was released by backward; call it before")
    arrays = [_float64(t.data) for t in node.inputs]
    with silenced():  # as in a real pass: IEEE results (log 0 = −inf), no RuntimeWarning
        out = _run_forward(node, arrays, np.float64)
        v = rng.standard_normal(np.shape(out))
        analytic = _vjp(node, arrays, v, where)
        coarse = _coarse_step(_run_forward(node, arrays, None).dtype)
    for i, t in enumerate(node.inputs):
        if not node.needs_grad[i] or t.dtype.kind != "f":
            continue
        with silenced():
            numeric = _numeric_vjp(node, arrays, i, v, eps, coarse)
        if not np.all(np.isfinite(numeric)):
            raise GradcheckError(_undefined(where, i, numeric, eps))
        got = np.zeros_like(numeric) if analytic[i] is None else np.asarray(analytic[i])
        if np.shape(got) != numeric.shape:  # before subtracting: it may not broadcast
            raise GradcheckError(_message(where, i, got, numeric, None))
        bad = ~close(got, numeric, atol, rtol)  # NaN fails
        if bad.any():
            with silenced():
                probe = _Probe(node, arrays, i, v, max(eps, coarse))
                bad.flat[bad.ravel()] = [
                    not probe.explains(j, got.flat[j], atol, rtol) for j in np.flatnonzero(bad)
                ]
        if bad.any():
            raise GradcheckError(_message(where, i, got, numeric, bad))


def _float64(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _twin(node):
    """A copy of ``node`` to run: the recorded node keeps its saved values, and a user's
    Function its own attributes (a list forward appends to, a generator it draws a mask
    from: each probe starts from the node's state, and leaves it as it was)."""
    twin = copy.copy(node)
    twin.saved = ()
    state = getattr(node, "__dict__", None)  # a user's subclass; chainrule's ops use slots
    if state:
        twin.__dict__ = {k: _own(value) for k, value in state.items()}
    return twin


#: what a forward may change in place: copied for each probe (anything else, a model it
#: refers to say, is shared as it is)
_MUTABLE = (list, dict, set, np.ndarray, np.random.Generator, np.random.RandomState)


def _own(value):
    if not isinstance(value, _MUTABLE):
        return value
    try:
        return copy.deepcopy(value)
    except (TypeError, copy.Error):  # something inside cannot be copied: shared
        return value


def _run_forward(node, arrays, dtype):
    twin = _twin(node)
    return np.asarray(twin.forward(*[a.copy() for a in arrays]), dtype=dtype)


def _coarse_step(dtype: np.dtype) -> float:
    """0, or for a node whose forward gives a lower precision than float64 from float64
    inputs (a cast to float32), the relative step its rounding needs (the cube root of its
    machine epsilon: with eps = 1e-6, float32 rounding would swamp the difference)."""
    if dtype.kind != "f" or dtype.itemsize >= 8:
        return 0.0
    return float(np.finfo(dtype).eps) ** (1 / 3)


def _vjp(node, arrays, v, where: str):
    twin = _twin(node)
    twin.inputs = tuple(Tensor(a) for a in arrays)
    twin.forward(*arrays)
    grads = twin.backward(v)
    grads = grads if isinstance(grads, tuple) else (grads,)
    if len(grads) != len(arrays):  # as the engine refuses it: not an IndexError, not ignored
        raise GradcheckError(
            f"check_graph: {where} has a wrong backward: it returned {len(grads)} gradients "
            f"for {len(arrays)} inputs (one per input, None where there is none)"
        )
    return grads


class _Probe:
    """A second opinion on the entries where backward(v) and the central difference
    disagree, from ⟨v, forward⟩ at x ± h, x ± h/2 and x along one input element. A correct
    node is cleared where the central difference is what is off:

    - at a smooth point where the function curves sharply (log or 1/x near 0), the
      central difference's error (∝ h²) is what fails; Richardson's extrapolation of the
      two steps, (4·D(h/2) − D(h))/3, cancels it;
    - at a kink (relu or a clip at its bound), the central difference averages the two
      one-sided derivatives and no backward gives that. There the one-sided differences
      agree across both steps but not with each other, and any value between them (a
      subgradient: relu's 0 at 0) is accepted;
    - where the outputs that move are so large that the step is lost in their rounding
      (a sum of 1e10 and 1), the difference is within that rounding: it cannot tell.

    A wrong backward is off at every step: none of these clears it."""

    def __init__(self, node, arrays, i: int, v, step: float):
        self.node, self.arrays, self.i, self.v, self.step = node, arrays, i, v, step

    def explains(self, j: int, got: float, atol: float, rtol: float) -> bool:
        h = self.step * max(1.0, abs(float(self.arrays[self.i].flat[j])))
        out = {s: self._forward(j, s * h) for s in (1.0, 0.5, 0.0, -0.5, -1.0)}

        def slope(a, b):  # difference first: outputs that did not move add exactly 0
            return float(np.sum(self.v * (out[a] - out[b]))) / ((a - b) * h)

        if abs(got - slope(1.0, -1.0)) <= atol + _rounding(self.v, out[1.0], out[-1.0], h):
            return True
        richardson = (4 * slope(0.5, -0.5) - slope(1.0, -1.0)) / 3
        if close(got, richardson, atol, rtol):
            return True
        right, left = slope(0.5, 0.0), slope(0.0, -0.5)
        drift = abs(slope(1.0, 0.0) - right) + abs(slope(0.0, -1.0) - left)
        if not drift <= abs(right - left) / 4:  # the one-sided slopes move with h: no kink
            return False
        tol = atol + rtol * max(abs(left), abs(right))
        return min(left, right) - tol <= got <= max(left, right) + tol

    def _forward(self, j: int, step: float) -> np.ndarray:
        shifted = self.arrays[self.i].copy()
        shifted.flat[j] += step
        probe = [*self.arrays[: self.i], shifted, *self.arrays[self.i + 1 :]]
        return _run_forward(self.node, probe, np.float64)


def _rounding(v, plus: np.ndarray, minus: np.ndarray, h: float) -> float:
    """A bound on the rounding error of the central difference ⟨v, plus − minus⟩/2h: a few
    units in the last place of each output that moved."""
    moved = plus != minus
    size = np.maximum(np.abs(plus), np.abs(minus))
    return 8 * float(np.finfo(np.float64).eps) * float(np.sum(np.abs(v * size)[moved])) / (2 * h)


def _numeric_vjp(node, arrays, i: int, v, eps: float, coarse: float) -> np.ndarray:
    x = arrays[i].copy()
    grad = np.zeros_like(x)
    for j in range(x.size):
        h = max(eps, coarse) * max(1.0, abs(float(x.flat[j])))  # relative beyond 1, as gradcheck
        parts = []
        for step in (h, -h):
            shifted = x.copy()
            shifted.flat[j] += step
            probe = [*arrays[:i], shifted, *arrays[i + 1 :]]
            parts.append(_run_forward(node, probe, np.float64))
        # difference first: outputs that did not move add exactly 0, not their rounding
        grad.flat[j] = float(np.sum(v * (parts[0] - parts[1]))) / (2 * h)
    return grad


def _undefined(where: str, i: int, numeric, eps: float) -> str:
    k = int(np.argmin(np.isfinite(numeric)))
    index = tuple(int(n) for n in np.unravel_index(k, numeric.shape))
    return (
        f"check_graph: {where}, input {i + 1} (counting from 1), index {index}: the finite "
        f"difference is {numeric.flat[k]} (a step of ±{eps:g} leaves the function's domain or "
        "overflows), so this node cannot be checked here; use a smaller eps or another point"
    )


def _message(where: str, i: int, got, numeric, bad) -> str:
    """The numbers compared are vector–Jacobian products with a random upstream gradient
    v, not the local gradient itself: backward(v) against finite differences of
    ⟨v, forward⟩."""
    if np.shape(got) != numeric.shape:
        detail = f"backward returned shape {np.shape(got)} for an input of shape {numeric.shape}"
    else:
        k = int(np.flatnonzero(bad)[0])  # the first entry out of tolerance
        index = tuple(int(n) for n in np.unravel_index(k, numeric.shape))
        detail = (
            f"at index {index}, its product with a random upstream gradient v differs: "
            f"analytic {got.flat[k]:.10g} (backward(v)) vs numeric {numeric.flat[k]:.10g} "
            "(finite differences of ⟨v, forward⟩)"
        )
    return (
        f"check_graph: {where} has a wrong backward for its input {i + 1} (counting from "
        f"1): {detail} — the first "
        "node in forward order whose backward disagrees"
    )
