"""`PackedSequence.to`, `float`, `double`, `cpu`: PyTorch's conversions of a packed batch."""

from __future__ import annotations

import numpy as np
import pytest
from _shared import torch_or_skip

import chainrule as cr
from chainrule.nn.utils.rnn import PackedSequence, pack_sequence

LENGTHS = (2, 4, 3)


def _arrays() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.standard_normal((n, 3)).astype(np.float32) for n in LENGTHS]


def _packed():
    seqs = [cr.tensor(a, requires_grad=True) for a in _arrays()]
    return seqs, pack_sequence(seqs, enforce_sorted=False)


def test_to_casts_the_data_and_keeps_the_indices():
    _, p = _packed()
    q = p.to("float64")
    assert isinstance(q, PackedSequence)
    assert q.data.dtype == np.float64
    np.testing.assert_array_equal(q.data.data, p.data.data.astype(np.float64))
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        np.testing.assert_array_equal(getattr(q, name).data, getattr(p, name).data)
    assert q.double().data.dtype == np.float64
    assert p.double().data.dtype == np.float64
    assert q.float().data.dtype == np.float32


def test_the_gradient_flows_back_through_the_cast_to_each_sequence():
    seqs, p = _packed()
    q = p.to(np.float64)
    (q.data * q.data).sum().backward()  # d/dx Σ x² = 2x, back in each sequence's float32
    for s in seqs:
        assert s.grad.dtype == np.float32
        np.testing.assert_allclose(s.grad, 2 * s.data, rtol=1e-6)


def test_cpu_is_the_sequence_itself_and_other_devices_are_refused():
    _, p = _packed()
    assert p.cpu() is p
    assert p.to("cpu") is p
    with pytest.raises(ValueError, match="CPU only"):
        p.to("cuda")


def test_to_matches_pytorch():
    torch = torch_or_skip()
    arrays = _arrays()
    theirs = torch.nn.utils.rnn.pack_sequence(
        [torch.from_numpy(a) for a in arrays], enforce_sorted=False
    ).to(torch.float64)
    ours = pack_sequence([cr.tensor(a) for a in arrays], enforce_sorted=False).to("float64")
    assert theirs.data.dtype == torch.float64
    np.testing.assert_array_equal(ours.data.data, theirs.data.numpy())
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        np.testing.assert_array_equal(getattr(ours, name).data, getattr(theirs, name).numpy())
