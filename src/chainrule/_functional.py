"""Functional transforms: `grad` and `value_and_grad`, composable for higher derivatives."""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Sequence
from numbers import Integral

import numpy as np

from . import _engine
from ._grad_mode import enable_grad, is_grad_enabled
from ._tensor import Tensor, _from_op
from .ops._shape import Reshape


class _Depth(threading.local):
    """How many `grad` evaluations are under way in this thread: inside one, results must
    stay differentiable (the outer transform differentiates them again). ``private`` holds
    the fresh leaves they made (`_leaf`), by id, while the outermost one runs: no caller
    can differentiate with respect to them, so a result computed from one need not stay
    differentiable (the mixed partial ``grad(grad(f, 0), 1)`` of plain arguments)."""

    depth = 0
    private: dict | None = None


_Nesting = _Depth()


def value_and_grad(
    f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable:
    """Return a function computing ``(f(*args), ∂f/∂args[argnums])``.

    ``f`` must return a single-element tensor. The gradient is a Tensor (a tuple of them
    when ``argnums`` is a tuple) of each argument's shape. Inside another `grad`, or when
    ``f``'s value depends on a tensor that requires gradients other than the differentiated
    arguments (an argument, or a weight ``f`` closes over), the value and the gradient stay
    differentiable, so ``grad(grad(f))`` gives the second derivative, mixed partials work,
    and a gradient penalty can be backpropagated into a model's weights. Otherwise both are
    plain values (detached). ``f`` runs with gradients enabled even inside `no_grad` (which
    then only makes the results plain values), so functions that take gradients can
    themselves be gradient-checked.

    It is the functional form, as ``torch.func.grad`` and ``jax.grad``, not
    ``torch.autograd.grad(outputs, inputs)``. Unlike ``torch.func.grad``: ``argnums`` may
    repeat a position (each gets its gradient), ``f`` may return any single-element tensor
    (shape (1,) too), and an argument that is a Python number or a list becomes a float
    tensor (a list one tensor, with one gradient; an integer array is refused, as for any
    tensor that requires gradients).

    ``has_aux=True``, as JAX's: ``f`` returns a pair ``(output, aux)``, only ``output`` is
    differentiated, and the result is ``((value, aux), gradient)``. ``aux`` comes back as
    it is, but a Tensor in it (``aux`` itself, or one at any depth of its tuples,
    namedtuples, lists and dicts) is treated as the value is: detached when the value
    is, else left in the graph for the outer derivative. Any other return than a tuple
    or list of two is a TypeError.
    """
    _check_function("value_and_grad", f)
    many = not isinstance(argnums, Integral)
    nums = _as_tuple(argnums) if many else (operator.index(argnums),)

    def wrapped(*args, **kwargs):
        args = list(args)
        for i in nums:
            if not -len(args) <= i < len(args):
                raise ValueError(f"grad: argnums {i}, but the function got {len(args)} arguments")
        at = [i % len(args) for i in nums]  # -1 and len - 1 name one argument
        outermost = _Nesting.private is None
        if outermost:
            _Nesting.private = {}
        try:
            return _evaluate(f, args, kwargs, at, many, has_aux)
        finally:
            if outermost:
                _Nesting.private = None  # the leaves can go with the graph that holds them

    return wrapped


def _evaluate(f: Callable, args: list, kwargs: dict, at: list[int], many: bool, has_aux: bool):
    """``f(*args, **kwargs)`` and its gradient for the positions ``at`` (`value_and_grad`);
    with ``has_aux``, the value is ``(output, aux)``."""
    distinct = list(dict.fromkeys(at))  # each differentiated once, whatever the repeats
    recording = is_grad_enabled()  # under no_grad the results are plain values
    create = recording and (_Nesting.depth > 0 or _any_requires_grad(*args, *kwargs.values()))
    with enable_grad():  # the transform needs its own graph, whatever the grad mode
        inputs = [_leaf(args[i]) for i in distinct]
        for i, t in zip(distinct, inputs):
            args[i] = t
        out = _call_nested(f, args, kwargs)
        if has_aux:
            out, aux = _split_aux(out)
        create = create or (recording and _depends_on_others(out, inputs))
        grads = dict(zip(distinct, _gradients(out, inputs, create)))
        grads = tuple(grads[i] for i in at)
    if not create and isinstance(out, Tensor):
        out = out.detach()  # its graph led only to the inputs made above, now released
    if has_aux:
        out = (out, aux if create else _detached(aux))
    return out, (grads if many else grads[0])


def _split_aux(result) -> tuple:
    """``f``'s ``(output, aux)`` with ``has_aux=True``; anything else is a TypeError."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        what = f"a {len(result)}-item " if isinstance(result, (tuple, list)) else "a "
        raise TypeError(
            f"grad: with has_aux=True the function must return a pair (output, aux), got "
            f"{what}{type(result).__name__}"
        )
    return result[0], result[1]


def _detached(aux):
    """``aux`` with its Tensors detached, at any depth of tuples (named too), lists and
    dicts (JAX's aux is a tree of concrete values): its graph, as the value's, led only to released
    inputs. A nested one kept would hold that graph, and a backward through it would
    reach the transform's own copies of the inputs."""
    if isinstance(aux, Tensor):
        return aux.detach()
    if type(aux) in (tuple, list):
        return type(aux)(_detached(a) for a in aux)
    if isinstance(aux, tuple) and hasattr(aux, "_fields"):  # a namedtuple, as in JAX's trees
        return type(aux)(*(_detached(a) for a in aux))
    if type(aux) is dict:
        return {k: _detached(v) for k, v in aux.items()}
    return aux


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """Return a function computing ∂f/∂args[argnums] (see `value_and_grad`); with
    ``has_aux=True``, ``(gradient, aux)`` for ``f`` returning ``(output, aux)``, as JAX's."""
    _check_function("grad", f)
    vg = value_and_grad(f, argnums, has_aux)
    if has_aux:
        return lambda *args, **kwargs: _gradient_and_aux(vg(*args, **kwargs))
    return lambda *args, **kwargs: vg(*args, **kwargs)[1]


def _gradient_and_aux(result) -> tuple:
    (_, aux), gradient = result
    return gradient, aux


def _check_function(where: str, f) -> None:
    """A TypeError unless ``f`` is callable; for a Tensor (``torch.autograd.grad``'s
    ``grad(outputs, inputs)`` order), one that shows the functional form."""
    if callable(f):
        return
    if isinstance(f, Tensor):
        raise TypeError(
            f"{where}: expected the function to differentiate, got a Tensor: {where} is the "
            f"functional form (torch.func.grad's); torch.autograd.grad(outputs, inputs) is "
            "cr.autograd.grad(outputs, inputs). Or write the output as a function of the "
            f"inputs, cr.{where}(lambda x: loss_fn(model(x), y))(x) (differentiable in the "
            "model's weights, so a gradient penalty can be backpropagated)"
        )
    raise TypeError(f"{where}: expected a function to differentiate, got {type(f).__name__}")


def _as_tuple(argnums) -> tuple[int, ...]:
    try:
        return tuple(operator.index(i) for i in argnums)
    except TypeError:
        raise TypeError(
            f"grad: argnums must be an int or a sequence of ints, got {argnums!r}"
        ) from None


def _any_requires_grad(*args) -> bool:
    return any(isinstance(a, Tensor) and a.requires_grad for a in args)


def _call_nested(f: Callable, args: list, kwargs: dict):
    _Nesting.depth += 1
    try:
        return f(*args, **kwargs)
    finally:
        _Nesting.depth -= 1


def _leaf(a) -> Tensor:
    """The tensor to differentiate with respect to: a new tensor of its own for every
    argument, so that other uses of the same object (a closure, another argument) are not
    differentiated with it. For an argument that takes part in a graph it is an identity
    node on top of it, which an outer transform sees through; else a fresh leaf, which
    only this transform differentiates (noted in ``_Nesting.private``)."""
    if isinstance(a, Tensor) and a.requires_grad:
        return Reshape(a.shape)(a)  # d(identity) = 1: the outer graph continues below
    t = Tensor(a, requires_grad=True)
    _Nesting.private[id(t)] = t  # kept, so that its id is not another tensor's meanwhile
    return t


def _depends_on_others(out, inputs: list[Tensor]) -> bool:
    """Whether ``out`` was computed from a tensor that requires gradients besides
    ``inputs``: one ``f`` closed over, in which the gradient must stay differentiable. A
    leaf a nested transform made (`_leaf`) does not count: nobody else can reach it."""
    if not isinstance(out, Tensor):
        return False
    own = {id(t) for t in inputs}.union(_Nesting.private)
    seen, stack = {id(out)}, [out]
    while stack:
        t = stack.pop()
        node = t._node
        if id(t) in own:
            continue
        if node is None:
            if t.requires_grad:  # a leaf of the caller's
                return True
            continue
        for x, need in zip(node._inputs, node.needs_grad):
            if need and id(x) not in seen:
                seen.add(id(x))
                stack.append(x)
    return False


def _gradients(out, inputs: list[Tensor], create: bool) -> tuple[Tensor, ...]:
    if not isinstance(out, Tensor) or out.size != 1:
        shape = out.shape if isinstance(out, Tensor) else type(out).__name__
        hint = ""
        if isinstance(out, (tuple, list)) and len(out) == 2:
            hint = "; for a function returning (output, aux), pass has_aux=True"
        raise ValueError(f"grad: the function must return a one-element tensor, got {shape}{hint}")
    if not out.requires_grad:  # out does not depend on the inputs: the gradient is zero
        return tuple(_from_op(np.zeros(t.shape, dtype=t.dtype), None) for t in inputs)
    grads = _engine.grad(out, inputs, create_graph=create)
    return tuple(g if isinstance(g, Tensor) else _from_op(g, None) for g in grads)
