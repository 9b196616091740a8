"""PyTorch's ``torch.nn.utils.rnn``: a batch of sequences of unequal lengths as one padded
tensor, or as a `PackedSequence` (the steps of every sequence still running at time t,
time after time, with no padding), and the conversions between the two.

Every conversion moves values with one integer indexing (`ops.index`, whose backward adds
the upstream gradient back into the rows it read) after at most one `concatenate`, so the
gradient of a padded or packed result flows back to each sequence, and padding, a constant,
gets none. The index arrays are worked out in NumPy from the lengths alone.

    padded = pad_sequence([a, b, c])                    # (L_max, 3, *)
    packed = pack_padded_sequence(padded, [4, 2, 3], enforce_sorted=False)
    out, lengths = pad_packed_sequence(packed)          # padded again, lengths (3,)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import ops
from .._arguments import flag, is_count, whole_numbers
from .._tensor import Tensor


class _Fields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_Fields):
    """A batch of sequences packed time step by time step, as PyTorch's: ``data`` (Σ
    lengths, *) holds step 0 of every sequence, then step 1 of those still running, and so
    on, the sequences in order of decreasing length; ``batch_sizes`` (int64, one per time
    step) how many run at each step; ``sorted_indices`` the original batch position of each
    sorted sequence (None when the batch came sorted) and ``unsorted_indices`` its inverse
    (computed when not given). Made by `pack_padded_sequence` and `pack_sequence`; the
    recurrent layers take and return it. A named tuple: ``data, batch_sizes, *_ = packed``.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        data = data if isinstance(data, Tensor) else Tensor(data)
        sizes = _integers("PackedSequence", "batch_sizes", batch_sizes)
        if data.ndim == 0 or sizes.sum() != data.shape[0] or np.any(np.diff(sizes) > 0):
            raise ValueError(
                f"PackedSequence: batch_sizes {sizes.tolist()} must be non-increasing and "
                f"add up to the rows of data, of shape {data.shape}"
            )
        order = _permutation(sorted_indices, sizes)
        inverse = _permutation(unsorted_indices, sizes)
        if inverse is None and order is not None:
            inverse = np.argsort(order.data).astype(np.int64)
        return super().__new__(cls, data, Tensor(sizes), order, _tensor(inverse))

    def to(self, *args, dtype=None, device=None) -> PackedSequence:
        """PyTorch's ``packed.to(dtype)``: ``data`` cast as `Tensor.to` casts it (a recorded
        op, so the gradient flows back to the original data; a new node even to its own
        dtype), the indices kept; the device ``"cpu"`` alone returns this sequence itself."""
        data = self.data.to(*args, dtype=dtype, device=device)
        if data is self.data:
            return self
        return PackedSequence(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def float(self) -> PackedSequence:
        """``to("float32")``, as PyTorch's."""
        return self.to("float32")

    def double(self) -> PackedSequence:
        """``to("float64")``, as PyTorch's."""
        return self.to("float64")

    def cpu(self) -> PackedSequence:
        """This sequence itself: chainrule runs on the CPU only."""
        return self


def _integers(who: str, name: str, values) -> np.ndarray:
    """``values`` (a list, array or Tensor of whole numbers) as a 1-D int64 array."""
    a = whole_numbers(values)
    if a is None or a.ndim != 1:
        shown = np.asarray(getattr(values, "data", values)).tolist()
        raise ValueError(f"{who}: {name} must be a 1-D sequence of integers, got {shown}")
    return a


def _permutation(values, sizes: np.ndarray) -> Tensor | None:
    if values is None:
        return None
    a = _integers("PackedSequence", "sorted_indices and unsorted_indices", values)
    if sorted(a.tolist()) != list(range(sizes[0] if len(sizes) else 0)):
        raise ValueError(f"PackedSequence: {a.tolist()} is not a permutation of the batch")
    return Tensor(a)


def _tensor(a: np.ndarray | None) -> Tensor | None:
    return None if a is None else Tensor(a)


# ----- the index arrays -------------------------------------------------------------------
def _lengths(who: str, lengths, batch: int, steps: int | None) -> np.ndarray:
    """``lengths`` checked: one per sequence of the batch, each from 1 to ``steps``."""
    a = _integers(who, "lengths", lengths)
    if len(a) != batch:
        raise ValueError(f"{who}: {len(a)} lengths {a.tolist()} for a batch of {batch}")
    if np.any(a < 1):
        raise ValueError(f"{who}: every length must be at least 1, got lengths {a.tolist()}")
    if steps is not None and np.any(a > steps):
        raise ValueError(
            f"{who}: lengths {a.tolist()} has a length above the input's {steps} time steps"
        )
    return a


def _order(who: str, lengths: np.ndarray, enforce_sorted) -> np.ndarray | None:
    """The batch order by decreasing length (a stable sort: ties keep their order); None
    when ``enforce_sorted``, the lengths then required to be sorted already."""
    if not flag(who, "enforce_sorted", enforce_sorted):
        return np.argsort(-lengths, kind="stable").astype(np.int64)
    if np.any(np.diff(lengths) > 0):
        raise ValueError(
            f"{who}: lengths {lengths.tolist()} must be sorted in decreasing order when "
            "enforce_sorted=True; pass enforce_sorted=False to have the batch sorted"
        )
    return None


def _steps(sorted_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The packed rows' time steps t and sorted batch positions j, time after time."""
    running = sorted_lengths[None, :] > np.arange(sorted_lengths[0])[:, None]  # (T, N)
    return np.nonzero(running)


def _pack(who: str, lengths: np.ndarray, enforce_sorted, gather) -> PackedSequence:
    """The packed sequence whose rows are ``gather(t, b)``: step t of sequence b."""
    order = _order(who, lengths, enforce_sorted)
    sorted_lengths = lengths if order is None else lengths[order]
    t, j = _steps(sorted_lengths)
    b = j if order is None else order[j]
    sizes = np.bincount(t).astype(np.int64)
    return PackedSequence(gather(t, b), sizes, order)


def _sorted_lengths(sequence: PackedSequence) -> np.ndarray:
    """The length of each sequence, in the packed (sorted) order."""
    sizes = sequence.batch_sizes.data
    return (sizes[:, None] > np.arange(sizes[0])[None, :]).sum(axis=0)


def row_starts(counts) -> np.ndarray:
    """Where each block of ``counts`` rows starts in their concatenation: a packed step's
    first row, or a sequence's in the sequences joined."""
    return np.cumsum(counts) - counts


def _padded(who: str, parts: Tensor, index: np.ndarray, value, batch_first) -> Tensor:
    """``parts`` (rows, *) with a row of ``value`` appended, read at ``index`` (T, N): an
    index of len(parts) reads the padding. Batch first, the index is transposed."""
    pad = Tensor(np.full((1, *parts.shape[1:]), value, dtype=parts.dtype))
    index = index.T if flag(who, "batch_first", batch_first) else index
    return ops.concatenate([parts, pad])[index]


def _padded_input(who: str, x, batch_first) -> tuple[Tensor, bool, int, int]:
    """A padded batch as a Tensor, whether it is batch first, its time steps and batch."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    first = flag(who, "batch_first", batch_first)
    if x.ndim < 2:
        shape = "(N, T, *)" if first else "(T, N, *)"
        raise ValueError(f"{who}: expects a padded batch {shape}, got shape {x.shape}")
    steps, batch = (x.shape[1], x.shape[0]) if first else x.shape[:2]
    return x, first, steps, batch


def _check_packed(who: str, sequence) -> PackedSequence:
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{who}: expects a PackedSequence, got {type(sequence).__name__}")
    return sequence


def _sequences(who: str, sequences) -> list[Tensor]:
    """The sequences as Tensors of at least one axis sharing every size after the first."""
    seqs = [s if isinstance(s, Tensor) else Tensor(s) for s in sequences]
    if not seqs:
        raise ValueError(f"{who}: received an empty list of sequences")
    for i, s in enumerate(seqs):
        if s.ndim == 0 or s.shape[1:] != seqs[0].shape[1:]:
            raise ValueError(
                f"{who}: sequence {i} has shape {s.shape}, sequence 0 {seqs[0].shape}; all "
                "must have the same sizes after the first axis (time)"
            )
    return seqs


# ----- PyTorch's functions ----------------------------------------------------------------
def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stack sequences (L_i, *) of unequal lengths into one tensor (L_max, N, *) ((N, L_max,
    *) with ``batch_first``), each padded with ``padding_value`` after its steps (before
    them with ``padding_side="left"``), as PyTorch's. The gradient flows back to each
    sequence."""
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}"
        )
    seqs = _sequences("pad_sequence", sequences)
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    longest = lengths.max(initial=0)
    step = np.arange(longest)[:, None] - (longest - lengths if padding_side == "left" else 0)
    index = np.where((step >= 0) & (step < lengths), row_starts(lengths) + step, lengths.sum())
    joined = ops.concatenate(seqs) if len(seqs) > 1 else seqs[0]
    return _padded("pad_sequence", joined, index, padding_value, batch_first)


def pack_padded_sequence(
    input, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (T, N, *) ((N, T, *) with ``batch_first``) of sequences of the
    given ``lengths`` (each 1 to T), as PyTorch's. With ``enforce_sorted`` the lengths must
    be decreasing; otherwise the batch is sorted (stably) and ``sorted_indices`` records the
    order. The gradient of the packed data flows back to the input's unpadded steps."""
    x, first, steps, batch = _padded_input("pack_padded_sequence", input, batch_first)
    lengths = _lengths("pack_padded_sequence", lengths, batch, steps)
    gather = (lambda t, b: x[b, t]) if first else (lambda t, b: x[t, b])
    return _pack("pack_padded_sequence", lengths, enforce_sorted, gather)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`, as PyTorch's: the padded batch (T, N, *) ((N, T, *)
    with ``batch_first``) in the original batch order, T the longest length or
    ``total_length``, and the lengths (int64 (N,)). The gradient flows back to the data."""
    _check_packed("pad_packed_sequence", sequence)
    lengths, sizes = _sorted_lengths(sequence), sequence.batch_sizes.data
    if total_length is not None and not (is_count(total_length, 0) and total_length >= len(sizes)):
        raise ValueError(
            f"pad_packed_sequence: total_length={total_length!r} must be an integer at least "
            f"the longest sequence's length, {len(sizes)}"
        )
    t = np.arange(len(sizes) if total_length is None else total_length)[:, None]
    rows = row_starts(sizes)[np.minimum(t, len(sizes) - 1)] + np.arange(len(lengths))  # (T, N)
    index = np.where(t < lengths, rows, len(sequence.data))  # in the sorted order
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        index, lengths = index[:, unsorted.data], lengths[unsorted.data]
    padded = _padded("pad_packed_sequence", sequence.data, index, padding_value, batch_first)
    return padded, Tensor(lengths.astype(np.int64))


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *), as PyTorch's (`pack_padded_sequence` of
    `pad_sequence`, done here without the padding): the gradient flows back to each."""
    seqs = _sequences("pack_sequence", sequences)
    lengths = _lengths("pack_sequence", [len(s) for s in seqs], len(seqs), None)
    joined = ops.concatenate(seqs) if len(seqs) > 1 else seqs[0]
    starts = row_starts(lengths)
    return _pack("pack_sequence", lengths, enforce_sorted, lambda t, b: joined[starts[b] + t])


def unpad_sequence(padded_sequences, lengths, batch_first: bool = False) -> list[Tensor]:
    """The inverse of `pad_sequence`, as PyTorch's: the list of sequences, the i-th the
    first ``lengths[i]`` steps of the padded batch's i-th (right padding)."""
    x, first, steps, batch = _padded_input("unpad_sequence", padded_sequences, batch_first)
    lengths = _lengths("unpad_sequence", lengths, batch, steps)
    return [x[b, :n] if first else x[:n, b] for b, n in enumerate(lengths.tolist())]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of `pack_sequence`, as PyTorch's: the list of sequences in the original
    order, each read from the packed data by one indexing."""
    packed = _check_packed("unpack_sequence", packed_sequences)
    lengths, starts = _sorted_lengths(packed), row_starts(packed.batch_sizes.data)
    order = range(len(lengths)) if packed.unsorted_indices is None else packed.unsorted_indices.data
    return [packed.data[starts[: lengths[j]] + j] for j in order]
