"""`Embedding`: a lookup table of learned vectors, and its function `embedding`.

The lookup is plain integer indexing of the weight (``weight[indices]``), whose backward
adds each output row's gradient into the row it came from (repeated indices add up). The
padding row, when there is one, is cut off from the gradient by a ``where`` that takes its
rows' values as constants, so it receives exactly 0, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from .._arguments import check_counts, flag
from .._tensor import Tensor
from ._init import normal_
from ._layers import _parameter_dtype
from ._module import Module, Parameter


def embedding(input, weight, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input``
    of any shape: the output has shape ``input.shape + (embedding_dim,)``, as PyTorch's
    ``F.embedding``. ∂out/∂weight adds each output row's gradient into row ``input[…]``;
    ``input`` has no gradient. Rows at ``padding_idx`` (negative counts from the end) get
    no gradient; their values are the weight's as they are (the function does not zero
    them; `Embedding` starts its padding row at 0). PyTorch's ``max_norm``,
    ``scale_grad_by_freq`` and ``sparse`` are not offered."""
    return _lookup("embedding", input, weight, padding_idx)


def _lookup(who: str, input, weight, padding_idx) -> Tensor:
    weight = weight if isinstance(weight, Tensor) else Tensor(np.asarray(weight))
    if weight.ndim != 2:
        raise ValueError(
            f"{who}: weight must have shape (num_embeddings, embedding_dim), got {weight.shape}"
        )
    num = weight.shape[0]
    indices = _indices(who, input, num)
    padding_idx = _padding_index(who, padding_idx, num)
    out = weight[indices]
    if padding_idx is None:
        return out
    padded = indices == padding_idx
    if not padded.any():
        return out
    # the padding rows' values as constants: they give the weight no gradient
    return ops.where(padded[..., None], out.data.copy(), out)


def _indices(who: str, input, num: int) -> np.ndarray:
    """``input`` as an integer array of indices in [0, num); anything else is refused,
    naming the bad index and ``num_embeddings``."""
    if isinstance(input, Tensor):
        if input.requires_grad:
            raise TypeError(f"{who}: the indices must be integers, not a tensor requiring grad")
        indices = input.data
    else:
        indices = np.asarray(input)
        if indices.dtype == object:
            raise TypeError(f"{who}: the indices must be integers, got {input!r}")
    if indices.dtype.kind not in "iu":
        hint = ""
        if indices.dtype.kind == "f":
            hint = " (cr.tensor makes a list of ints float: give dtype='int64', or a NumPy array)"
        raise TypeError(
            f"{who}: the indices must be an integer tensor (int64 or int32, as PyTorch's), "
            f"got dtype {indices.dtype}{hint}"
        )
    if indices.size:
        bad = (indices < 0) | (indices >= num)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            value = int(indices[where])
            at = f" at position {where}" if indices.ndim else ""
            raise IndexError(
                f"{who}: index {value}{at} is out of range for num_embeddings={num} "
                f"(the indices must be 0 to {num - 1})"
            )
    return indices.astype(np.intp, copy=False)


def _padding_index(who: str, padding_idx, num: int) -> int | None:
    """``padding_idx`` in [0, num), a negative one counted from the end, as PyTorch's."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"{who}: padding_idx must be an integer or None, got {padding_idx!r}")
    if not -num <= padding_idx < num:
        raise ValueError(
            f"{who}: padding_idx must be within num_embeddings={num} ({-num} to {num - 1}), "
            f"got {padding_idx}"
        )
    return int(padding_idx) + num if padding_idx < 0 else int(padding_idx)


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``, looked up by
    integer indices of any shape: ``Embedding(1000, 16)(tokens)`` has shape
    ``tokens.shape + (16,)``, as PyTorch's ``nn.Embedding``.

    ``weight`` has shape (num_embeddings, embedding_dim), PyTorch's (a PyTorch state loads
    untransposed), drawn from N(0, 1) with ``generator`` (a ``numpy.random.Generator``), or
    the library's, which `manual_seed` seeds, when None; its dtype is ``dtype`` (the default
    float dtype when None). ``padding_idx`` (negative counts from the end, and the repr
    shows it counted from the start, as PyTorch's): that row starts at 0 and never receives
    a gradient, so it stays as it is through training. An index out of range is an
    IndexError, a float index a TypeError, each naming the layer. PyTorch's ``max_norm``,
    ``scale_grad_by_freq`` and ``sparse`` are not offered."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        dtype=None,
        generator: np.random.Generator | None = None,
    ):
        check_counts("Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        dtype = _parameter_dtype("Embedding", dtype)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = _padding_index("Embedding", padding_idx, self.num_embeddings)
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype))
        normal_(self.weight, 0.0, 1.0, generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(
        cls, embeddings, freeze: bool = True, padding_idx: int | None = None
    ) -> Embedding:
        """An Embedding whose weight is a copy of ``embeddings`` (a 2-D floating array or
        Tensor, its dtype kept), not trained when ``freeze`` (``requires_grad=False``), as
        PyTorch's. The padding row is left as given (not zeroed), as PyTorch leaves it;
        it receives no gradient. No random number is drawn."""
        data = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, "
                f"embedding_dim), got shape {data.shape}"
            )
        if data.dtype.kind != "f":
            raise TypeError(
                f"Embedding.from_pretrained: embeddings must be floating, got dtype {data.dtype}"
            )
        freeze = flag("Embedding.from_pretrained", "freeze", freeze, default=True)
        check_counts(
            "Embedding.from_pretrained", num_embeddings=data.shape[0], embedding_dim=data.shape[1]
        )
        layer = cls.__new__(cls)
        layer.num_embeddings, layer.embedding_dim = data.shape
        layer.padding_idx = _padding_index("Embedding", padding_idx, layer.num_embeddings)
        layer.weight = Parameter(data, requires_grad=not freeze)
        return layer

    def forward(self, input) -> Tensor:
        return _lookup("Embedding", input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        settings = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            settings += f", padding_idx={self.padding_idx}"
        return settings


def takes_indices(model) -> bool:
    """Whether the first module (in definition order) holding parameters of its own is an
    Embedding, as in ``Sequential(Embedding(…), …)`` or a model defining it first: its
    inputs are indices, which `fit` and `Module.summary` must not make floats."""
    if not isinstance(model, Module):
        return False
    owners = (m for m in model.modules() if next(m.parameters(recurse=False), None) is not None)
    return isinstance(next(owners, None), Embedding)
