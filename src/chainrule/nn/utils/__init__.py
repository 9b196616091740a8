"""`chainrule.nn.utils`: PyTorch's ``torch.nn.utils`` helpers.

The gradient clipping functions ``clip_grad_norm_`` and ``clip_grad_value_`` live in
`chainrule.optim`, beside the optimizers that read the clipped gradients; this module
gives them their PyTorch spelling. `parameters_to_vector` and `vector_to_parameters` turn
a model's parameters into one flat vector and back. `chainrule.nn.utils.rnn` pads and packs
batches of sequences of unequal lengths, as ``torch.nn.utils.rnn``.

    cr.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # = cr.optim.clip_grad_norm_
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ... import ops
from ..._tensor import Tensor
from ...optim import clip_grad_norm_, clip_grad_value_
from . import rnn

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "parameters_to_vector",
    "rnn",
    "vector_to_parameters",
]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters' values, each flattened, joined into one vector, as PyTorch's: a
    recorded op, so a loss of the vector sends gradients back to the parameters."""
    params = _tensors("parameters_to_vector", parameters)
    return ops.concatenate([ops.reshape(p, -1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Write the slices of ``vec`` into the parameters, in order, each reshaped to its
    parameter (the inverse of `parameters_to_vector`), as PyTorch's, into each parameter's
    own array in its own dtype, as `load_state_dict` writes. The vector's length must be
    the parameters' total size (PyTorch ignores a surplus)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    params = _tensors("vector_to_parameters", parameters)
    total = sum(p.data.size for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(
            f"vector_to_parameters: a vector of shape {vec.shape} for parameters of "
            f"{total} values in all; it must be of shape ({total},)"
        )
    start = 0
    for p in params:
        values = vec.data[start : start + p.data.size].reshape(p.shape)
        np.copyto(p.data, values, casting="same_kind")
        start += p.data.size


def _tensors(who: str, parameters) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{who}: element {i} is a {type(p).__name__}, not a Tensor")
    return params
