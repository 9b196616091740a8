"""Functional transforms: `grad` and `value_and_grad`, composable for higher derivatives."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import _engine
from ._grad_mode import is_grad_enabled
from ._tensor import Tensor, _from_op


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function computing ``(f(*args), ∂f/∂args[argnums])``.

    ``f`` must return a single-element tensor. The gradient is a Tensor (a tuple of them
    when ``argnums`` is a tuple). When an argument is itself a tensor that requires
    gradients -- as inside another `grad` -- the result stays differentiable, so
    ``grad(grad(f))`` gives the second derivative.
    """
    many = not isinstance(argnums, int)
    nums = tuple(argnums) if many else (argnums,)

    def wrapped(*args, **kwargs):
        args = list(args)
        outer = False
        for i in nums:
            if i >= len(args):
                raise ValueError(f"grad: argnums {i} but the function got {len(args)} arguments")
            a = args[i]
            outer |= isinstance(a, Tensor) and a.requires_grad
            args[i] = (
                a if isinstance(a, Tensor) and a.requires_grad else Tensor(a, requires_grad=True)
            )
        out = f(*args, **kwargs)
        if not isinstance(out, Tensor) or out.size != 1:
            shape = out.shape if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"grad: the function must return a one-element tensor, got {shape}")
        create = outer and is_grad_enabled()
        grads = _engine.grad(out, [args[i] for i in nums], create_graph=create)
        grads = tuple(g if isinstance(g, Tensor) else _from_op(g, None) for g in grads)
        return out, (grads if many else grads[0])

    return wrapped


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function computing ∂f/∂args[argnums] (see `value_and_grad`)."""
    vg = value_and_grad(f, argnums)
    return lambda *args, **kwargs: vg(*args, **kwargs)[1]
