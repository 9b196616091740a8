"""Dropout1d, Dropout3d and their functions: whole channels zeroed, the mask drawn from
the generator as written here, scaling, gradients equal to the mask, eval mode, bad
arguments, and PyTorch's reprs and channel structure."""

from __future__ import annotations

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
from chainrule import nn

F = nn.functional


def _expected_mask(seed: int, lead, p: float, ndim: int) -> np.ndarray:
    """The mask from seed's generator: one draw per (sample, channel), kept at >= p."""
    keep = seeded(seed).random(lead) >= p
    return (keep / (1 - p)).reshape(lead + (1,) * (ndim - len(lead)))


@pytest.mark.parametrize(
    ("fn", "shape", "lead"),
    [
        (F.dropout1d, (3, 4, 5), (3, 4)),
        (F.dropout1d, (4, 5), (4,)),
        (F.dropout3d, (2, 3, 2, 2, 3), (2, 3)),
        (F.dropout3d, (3, 2, 2, 3), (3,)),
    ],
)
def test_channels_zeroed_whole_by_the_generator(fn, shape, lead):
    x = cr.tensor(seeded(1).normal(size=shape) + 5.0, requires_grad=True)  # no zeros
    out = fn(x, 0.4, True, seeded(7))
    mask = _expected_mask(7, lead, 0.4, len(shape))
    np.testing.assert_allclose(out.data, x.data * mask, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, np.broadcast_to(mask, shape), rtol=1e-12)


def test_each_channel_is_all_kept_or_all_zero():
    out = nn.Dropout1d(0.5, seeded(2))(np.ones((8, 6, 10))).data
    per_channel = out.reshape(48, 10)
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    assert (per_channel == per_channel[:, :1]).all()


def test_eval_and_edge_probabilities():
    x = seeded(3).normal(size=(2, 3, 4))
    m = nn.Dropout1d(0.7).eval()
    np.testing.assert_array_equal(m(x).data, x)
    np.testing.assert_array_equal(F.dropout1d(x, 0.0).data, x)
    np.testing.assert_array_equal(F.dropout1d(x, 1.0).data, np.zeros_like(x))
    np.testing.assert_array_equal(F.dropout3d(x[None], 0.5, False).data, x[None])


def test_integer_input_is_dropped_in_float64():
    out = F.dropout1d(np.ones((2, 3), np.int64), 0.5, True, seeded(4))
    assert out.dtype == np.float64


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.dropout1d(np.ones((1, 2, 3, 4))), ValueError, r"dropout1d.*\(N, C, L\)"),
        (lambda: F.dropout1d(np.ones(3)), ValueError, r"dropout1d.*\(C, L\)"),
        (lambda: F.dropout3d(np.ones((2, 3, 4))), ValueError, r"dropout3d.*\(N, C, D, H, W\)"),
        (lambda: F.dropout1d(np.ones((2, 3)), 1.5), ValueError, r"^dropout1d: .*probability.*1\.5"),
        (lambda: F.dropout3d(np.ones((3, 4, 5, 6)), 2), ValueError, r"^dropout3d: .*got 2"),
        (lambda: nn.Dropout3d(-0.1), ValueError, r"^Dropout3d: .*probability.*-0\.1"),
        (lambda: nn.Dropout1d(1.5), ValueError, r"^Dropout1d: .*probability.*1\.5"),
        (lambda: nn.Dropout1d(0.5, True), TypeError, "Dropout1d: the second argument"),
        (lambda: F.dropout1d(np.ones((2, 3)), inplace="no"), TypeError, "inplace"),
        (lambda: F.dropout1d(np.ones((2, 3)), 0.5, "no"), TypeError, "^dropout1d: training"),
        (lambda: F.dropout3d(np.ones((3, 2, 2, 2)), 0.5, 0.0), TypeError, "^dropout3d: training"),
        (lambda: F.dropout(np.ones(3), 0.5, "no"), TypeError, "^dropout: training"),
        (lambda: F.dropout2d(np.ones((1, 2, 3, 4)), 0.5, "no"), TypeError, "^dropout2d: training"),
        (lambda: F.dropout2d(np.ones((1, 2, 3, 4)), 1.5), ValueError, r"^dropout2d: .*1\.5"),
        (lambda: F.alpha_dropout(np.ones(3), -1.0), ValueError, r"^alpha_dropout: .*-1\.0"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_reprs_and_structure_as_pytorch():
    torch = torch_or_skip()
    assert repr(nn.Dropout1d(0.3)) == repr(torch.nn.Dropout1d(0.3))
    assert repr(nn.Dropout3d()) == repr(torch.nn.Dropout3d())
    for mine, theirs, shape, per_channel in [
        (F.dropout1d, torch.nn.functional.dropout1d, (6, 5, 4), 4),
        (F.dropout1d, torch.nn.functional.dropout1d, (5, 4), 4),
        (F.dropout3d, torch.nn.functional.dropout3d, (5, 2, 2, 2), 8),
    ]:
        ours = mine(np.ones(shape), 0.5, True, seeded(5)).data
        expected = theirs(torch.ones(shape), 0.5, True).numpy()
        assert ours.shape == expected.shape
        for out in (ours, expected):  # constant over every channel, 0 or 2
            flat = out.reshape(-1, per_channel)
            assert (flat == flat[:, :1]).all()
            assert set(np.unique(flat)) <= {0.0, 2.0}
