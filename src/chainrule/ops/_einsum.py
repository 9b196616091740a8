"""Einstein summation: ``einsum``, a primitive whose backward for each operand is an einsum
of the upstream gradient with the other operands (recorded under ``create_graph``)."""

from __future__ import annotations

import numpy as np

from .._function import Function
from ._common import broadcast_to, float_operands, is_tensor, unbroadcast

_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _parse_einsum(subscripts: str, n: int) -> tuple[list[str], str]:
    """The operands' subscripts and the output's, with the implicit output (the letters
    seen once, in alphabetical order) made explicit. Ellipses are refused."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the subscripts must be a string, got {subscripts!r}")
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise ValueError("einsum: '...' (ellipsis) is not supported; name every axis")
    inputs, arrow, out = spec.partition("->")
    parts = inputs.split(",")
    if len(parts) != n:
        raise ValueError(f"einsum: {subscripts!r} names {len(parts)} operands, but {n} were given")
    for p in [*parts, out]:
        bad = set(p) - _LETTERS
        if bad:
            raise ValueError(f"einsum: {subscripts!r} holds {sorted(bad)}, not letters")
    if not arrow:
        letters = "".join(parts)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(set(out)) < len(out):
        raise ValueError(f"einsum: the output {out!r} names a letter twice")
    for i, p in enumerate(parts):
        if len(set(p)) < len(p):
            raise ValueError(
                f"einsum: operand {i} has a repeated letter in {p!r} (a diagonal, as 'ii->i'); "
                f"that is not supported: take the diagonal first with cr.diag or indexing"
            )
    seen = set("".join(parts))
    missing = set(out) - seen
    if missing:
        raise ValueError(f"einsum: the output letters {sorted(missing)} are in no operand")
    return parts, out


class Einsum(Function):
    """einsum: ∂y/∂A = einsum of the upstream gradient with the other operands, giving A's
    subscripts (letters of A not in the output or the others are broadcast back, axes of
    size 1 that einsum broadcast are summed back)."""

    __slots__ = ("out", "parts")

    def __init__(self, parts: list[str], out: str):
        self.parts, self.out = parts, out

    def forward(self, *xs):
        for i, (p, x) in enumerate(zip(self.parts, xs)):
            if len(p) != x.ndim:
                raise ValueError(
                    f"einsum: operand {i} has {x.ndim} dimensions but {p!r} names {len(p)}"
                )
        spec = ",".join(self.parts) + "->" + self.out
        self.saved = xs
        return np.asarray(np.einsum(spec, *xs, optimize=len(xs) > 2))

    def backward(self, grad_out):
        inputs = self.saved
        grads = []
        for i, (p, x) in enumerate(zip(self.parts, inputs)):
            if not self.needs_grad[i]:
                grads.append(None)
                continue
            others = [(q, t) for j, (q, t) in enumerate(zip(self.parts, inputs)) if j != i]
            available = set(self.out).union(*(set(q) for q, _ in others))
            # a letter only x holds (summed in the forward pass) gets the gradient broadcast
            kept = "".join(c for c in p if c in available)
            operands = [grad_out, *(t for _, t in others)]
            spec = ",".join([self.out, *(q for q, _ in others)]) + "->" + kept
            g = _einsum(spec, operands)
            if kept != p:  # kept is p without those letters, in p's order
                sizes = iter(g.shape)
                g = g.reshape(tuple(next(sizes) if c in kept else 1 for c in p))
            g = unbroadcast(g, x.shape)  # an axis of size 1 that einsum broadcast
            grads.append(g if g.shape == x.shape else broadcast_to(g, x.shape))
        return tuple(grads)


def _einsum(spec: str, operands):
    if any(is_tensor(a) for a in operands):
        parts, out = spec.split("->")
        return Einsum(parts.split(","), out)(*operands)
    return np.einsum(spec, *operands, optimize=len(operands) > 2)


def einsum(subscripts: str, *operands):
    """Einstein summation, as ``np.einsum`` and ``torch.einsum``: ``einsum("ij,jk->ik", a,
    b)`` is ``a @ b``; without ``->`` (implicit mode) the output has the letters seen once,
    in alphabetical order. The operands may also come as one list (PyTorch's
    ``einsum(eq, [a, b])``). Integer operands with floating ones take their dtype. Not
    supported: ``...`` and a letter repeated within one operand (a diagonal, ``"ii->i"``),
    each a ValueError. The gradient for each operand is an einsum of the upstream gradient
    with the other operands."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise TypeError("einsum: give at least one operand")
    parts, out = _parse_einsum(subscripts, len(operands))
    return Einsum(parts, out)(*float_operands(operands))
