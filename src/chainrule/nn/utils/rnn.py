"""`chainrule.nn.utils.rnn`: PyTorch's ``torch.nn.utils.rnn``, batches of sequences of
unequal lengths padded to one tensor or packed into a `PackedSequence`, which `RNN`,
`LSTM` and `GRU` take and return. Every function is differentiable.

    packed = cr.nn.utils.rnn.pack_sequence([a, b, c], enforce_sorted=False)
    out, h_n = cr.nn.GRU(3, 4)(packed)                    # out: a PackedSequence
    padded, lengths = cr.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
"""

from .._packed import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]
