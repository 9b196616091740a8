"""Checking what the user passes an optimizer: the parameters or parameter groups (leaf
Tensors, ordered, each once), keyword arguments PyTorch takes but chainrule does not, and
each gradient's shape at a step."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .._tensor import Tensor

#: PyTorch's choices among its own implementations of one update rule (multi-tensor,
#: fused kernels, CUDA graphs, autograd through the step): chainrule has one implementation
IMPLEMENTATION_CHOICES = ("foreach", "fused", "capturable", "differentiable")


def refuse_unsupported(name: str, kwargs: dict) -> None:
    """A TypeError for keyword arguments the optimizer does not take, saying why for
    PyTorch's implementation switches."""
    chosen = [k for k in kwargs if k in IMPLEMENTATION_CHOICES]
    if chosen:
        raise TypeError(
            f"{name}: {', '.join(chosen)} choose among PyTorch's implementations; "
            "chainrule has one (NumPy, in place), so leave "
            f"{'it' if len(chosen) == 1 else 'them'} out"
        )
    raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")


def as_groups(params) -> list[dict]:
    if isinstance(params, (Tensor, dict)):
        raise ValueError(
            "params must be an iterable of Tensors or of parameter-group dicts, got a single "
            f"{type(params).__name__}; wrap it in a list"
        )
    _refuse_set(params)
    items = list(params)
    if items and all(isinstance(x, dict) for x in items):
        return items
    return [{"params": items}]


def checked_params(params, existing: list[Tensor]) -> list[Tensor]:
    if isinstance(params, Tensor):
        params = [params]
    if not isinstance(params, Iterable) or isinstance(params, dict):
        raise ValueError(f"'params' must be an iterable of Tensors, got {params!r}")
    _refuse_set(params)
    params = list(params)
    seen = {id(p) for p in existing}
    for i, p in enumerate(params, start=len(existing)):
        _check_param(i, p)
        if id(p) in seen:
            raise ValueError(f"parameter {i} appears more than once in the optimizer")
        seen.add(id(p))
    return params


def _refuse_set(params) -> None:
    """Parameters are numbered by position (state and state_dict are keyed by it), and a
    set's order changes from run to run: PyTorch refuses a set in a group, so do we, and
    at the top level too."""
    if isinstance(params, (set, frozenset)):
        raise ValueError(
            "parameters must come in an ordered collection (a list, a tuple, "
            "model.parameters()), not a set: their order numbers them in the state_dict"
        )


def _check_param(i: int, p) -> None:
    if not isinstance(p, Tensor):
        raise ValueError(f"parameter {i} is a {type(p).__name__}, not a chainrule Tensor")
    if not p.is_leaf:  # one that does not require gradients is frozen: it gets no step
        raise ValueError(f"parameter {i} is not a leaf tensor (it was computed by an op)")


def grad_array(p: Tensor, index: int) -> np.ndarray:
    """``p.grad`` as an array (after backward(create_graph=True) it is a Tensor)."""
    g = p.grad
    if type(g) is not np.ndarray:
        g = np.asarray(g.data if isinstance(g, Tensor) else g)
    if g.shape != p.data.shape:
        raise ValueError(
            f"parameter {index}: the gradient has shape {g.shape}, but the parameter has "
            f"shape {p.shape}"
        )
    return g
