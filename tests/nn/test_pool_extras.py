"""AdaptiveMaxPool1d, LPPool1d, LPPool2d and their functions (and adaptive max pooling's
ties and NaNs in 2-D): outputs against loops written here with NumPy and cases worked by
hand, gradients by finite differences in float64, bad arguments, and PyTorch's outputs,
indices, gradients and reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
from chainrule import nn

F = nn.functional
TOL = {"rtol": 1e-10, "atol": 1e-12}


# ----- loops written here ---------------------------------------------------------------------
def _naive_lp_pool1d(x, p, k, stride):
    """(Σ |window|ᵖ)^(1/p) of full windows along the last axis (inputs >= 0 here)."""
    starts = range(0, x.shape[-1] - k + 1, stride)
    return np.stack([(x[..., s : s + k] ** p).sum(-1) ** (1 / p) for s in starts], -1)


def _naive_lp_pool2d(x, p, kernel, stride):
    (kh, kw), (sh, sw) = kernel, stride
    rows = range(0, x.shape[-2] - kh + 1, sh)
    cols = range(0, x.shape[-1] - kw + 1, sw)
    out = np.empty((*x.shape[:-2], len(rows), len(cols)))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            out[..., i, j] = (x[..., r : r + kh, c : c + kw] ** p).sum((-2, -1)) ** (1 / p)
    return out


# ----- adaptive max pooling in 1-D ------------------------------------------------------------
def test_adaptive_max_pool1d_worked_by_hand():
    # L = 6 into 4: windows [0, 2), [1, 3), [3, 5), [4, 6)
    x = cr.tensor(np.array([[[1.0, 5.0, 2.0, 5.0, 0.0, 3.0]]]), requires_grad=True)
    out, idx = F.adaptive_max_pool1d(x, 4, return_indices=True)
    np.testing.assert_array_equal(out.data, [[[5.0, 5.0, 5.0, 3.0]]])
    np.testing.assert_array_equal(idx.data, [[[1, 1, 3, 5]]])
    assert idx.dtype == np.int64
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[[0.0, 2.0, 0.0, 1.0, 0.0, 1.0]]])


def test_adaptive_max_pool1d_ties_go_to_the_first_and_nan_wins():
    out, idx = F.adaptive_max_pool1d(np.array([[2.0, 2.0, 1.0]]), 1, True)
    np.testing.assert_array_equal(idx.data, [[0]])
    out, idx = F.adaptive_max_pool1d(np.array([[1.0, np.nan, 3.0, np.nan]]), 2, True)
    np.testing.assert_array_equal(idx.data, [[1, 3]])
    assert np.isnan(out.data).all()


def test_adaptive_max_pool1d_module_and_gradients():
    m = nn.AdaptiveMaxPool1d(3)
    assert repr(m) == "AdaptiveMaxPool1d(output_size=3)"
    x = cr.tensor(seeded(1).permutation(14).reshape(2, 7) / 7.0, requires_grad=True)
    assert m(x).shape == (2, 3)
    assert cr.gradcheck(lambda x: F.adaptive_max_pool1d(x, 3), [x])
    out, idx = nn.AdaptiveMaxPool1d(5, return_indices=True)(x)
    np.testing.assert_array_equal(out.data, np.take_along_axis(x.data, idx.data, -1))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.adaptive_max_pool1d(np.zeros((1, 2, 3, 4)), 2), ValueError, r"\(N, C, L\)"),
        (lambda: F.adaptive_max_pool1d(np.zeros((1, 2, 3)), 0), ValueError, "output_size"),
        (lambda: F.adaptive_max_pool1d(np.zeros((1, 2, 0)), 1), ValueError, "non-empty length"),
        (lambda: nn.AdaptiveMaxPool1d((2, 2)), ValueError, "AdaptiveMaxPool1d: output_size"),
        (lambda: nn.AdaptiveMaxPool1d(2, return_indices="yes"), TypeError, "return_indices"),
    ],
)
def test_adaptive_max_pool1d_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(("shape", "size"), [((2, 3, 7), 3), ((3, 10), 4), ((1, 2, 5), 8)])
def test_adaptive_max_pool1d_against_pytorch(shape, size):
    torch = torch_or_skip()
    x = seeded(2).integers(0, 4, shape).astype(float)  # ties
    x.flat[3] = np.nan
    mine, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, idx = F.adaptive_max_pool1d(mine, size, True)
    expected, expected_idx = torch.nn.AdaptiveMaxPool1d(size, True)(theirs)
    np.testing.assert_array_equal(idx.data, expected_idx.numpy())
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    g = seeded(3).normal(size=out.shape)
    (out * g).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), **TOL)


@pytest.mark.parametrize(("shape", "size"), [((2, 2, 7, 5), (3, 2)), ((2, 6, 6), (4, 4))])
def test_adaptive_max_pool2d_ties_and_nans_against_pytorch(shape, size):
    torch = torch_or_skip()
    x = seeded(4).integers(0, 3, shape).astype(float)
    x.flat[[5, 17, 18]] = np.nan
    out, idx = F.adaptive_max_pool2d(x, size, True)
    expected, expected_idx = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), size, True)
    np.testing.assert_array_equal(idx.data, expected_idx.numpy())
    np.testing.assert_array_equal(out.data, expected.numpy())


# ----- power-average pooling ------------------------------------------------------------------
def test_lp_pool_worked_by_hand():
    # windows [3, 4] and [0, 0]: (9 + 16)^(1/2) = 5 with gradient x/5; 0 with gradient 0
    x = cr.tensor(np.array([[[3.0, 4.0, 0.0, 0.0]]]), requires_grad=True)
    out = F.lp_pool1d(x, 2, 2)
    np.testing.assert_allclose(out.data, [[[5.0, 0.0]]], **TOL)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [[[0.6, 0.8, 0.0, 0.0]]], **TOL)
    square = np.array([[[1.0, 2.0], [2.0, 4.0]]])  # one window: (1 + 8 + 8 + 64)^(1/3)
    np.testing.assert_allclose(F.lp_pool2d(square, 3, 2).data, [[[81 ** (1 / 3)]]], **TOL)
    np.testing.assert_allclose(F.lp_pool2d(-square, math.inf, 2).data, [[[4.0]]], **TOL)


@pytest.mark.parametrize("p", [1, 2, 3.5])
def test_lp_pool_matches_the_loop(p):
    x = seeded(5).random((2, 3, 7, 8)) + 0.1
    out = F.lp_pool2d(x, p, (2, 3), (2, 1)).data
    np.testing.assert_allclose(out, _naive_lp_pool2d(x, p, (2, 3), (2, 1)), **TOL)
    np.testing.assert_allclose(nn.LPPool2d(p, 2)(x).data, _naive_lp_pool2d(x, p, (2, 2), (2, 2)))
    row = x[:, :, 0]
    np.testing.assert_allclose(F.lp_pool1d(row, p, 3, 2).data, _naive_lp_pool1d(row, p, 3, 2))
    np.testing.assert_allclose(nn.LPPool1d(p, 4)(row[0]).data, _naive_lp_pool1d(row[0], p, 4, 4))


def test_lp_pool_gradients():
    x = cr.tensor(seeded(6).random((1, 2, 5, 4)) + 0.5, requires_grad=True)
    assert cr.gradcheck(lambda x: F.lp_pool2d(x, 2.5, 2, 1, ceil_mode=True), [x])
    y = cr.tensor(seeded(7).normal(size=(2, 3, 7)), requires_grad=True)
    assert cr.gradcheck(lambda y: F.lp_pool1d(y, 2, 3, 2), [y])


def test_lp_pool_reprs():
    assert (
        repr(nn.LPPool2d(2, 3))
        == "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    )
    assert repr(nn.LPPool1d(1.5, 3, 2, True)) == (
        "LPPool1d(norm_type=1.5, kernel_size=3, stride=2, ceil_mode=True)"
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: F.lp_pool2d(np.ones((1, 1, 4, 4)), 0, 2), ValueError, "lp_pool2d: norm_type"),
        (lambda: F.lp_pool1d(np.ones((1, 1, 4)), float("nan"), 2), ValueError, "norm_type"),
        (lambda: nn.LPPool2d(True, 2), ValueError, "LPPool2d: norm_type"),
        (lambda: nn.LPPool1d("2", 2), ValueError, "LPPool1d: norm_type"),
        (lambda: F.lp_pool2d(np.ones((4, 4)), 2, 2), ValueError, r"\(N, C, H, W\)"),
        (lambda: F.lp_pool1d(np.ones((1, 1, 4, 4)), 2, 2), ValueError, r"lp_pool1d.*\(N, C, L\)"),
        (lambda: nn.LPPool1d(2, 0), ValueError, "LPPool1d: kernel_size"),
        (lambda: nn.LPPool2d(2, 2, stride=(1, 0)), ValueError, "LPPool2d: stride"),
        (lambda: F.lp_pool2d(np.ones((1, 1, 2, 2)), 2, 3), ValueError, "^lp_pool2d: .*empty"),
        (lambda: F.lp_pool1d(np.ones((1, 2, 3)), 2, 5), ValueError, "^lp_pool1d: .*empty"),
        (lambda: F.lp_pool1d(np.ones((2, 3)), math.inf, 4), ValueError, "^lp_pool1d: .*empty"),
        (lambda: F.lp_pool1d(np.ones((1, 1, 4)), 2, 2, 0), ValueError, "^lp_pool1d: stride"),
        (lambda: F.lp_pool2d(np.ones((1, 4, 4)), 2, 2, (1, 0)), ValueError, "^lp_pool2d: stride"),
        (lambda: nn.LPPool1d(3, 5)(np.ones((2, 4))), ValueError, "^lp_pool1d: .*empty"),
    ],
)
def test_lp_pool_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, -2, math.inf, -math.inf])
@pytest.mark.parametrize(
    ("dims", "shape", "args"),
    [
        (2, (2, 3, 7, 6), (2,)),
        (2, (3, 7, 6), (3, 2, True)),
        (2, (1, 2, 5, 6), ((2, 3), 1)),
        (1, (2, 3, 7), (3, 2, True)),
        (1, (3, 8), (2,)),
    ],
)
def test_lp_pool_against_pytorch(p, dims, shape, args):
    torch = torch_or_skip()
    x = seeded(8).normal(size=shape)
    if p not in (1, 2, 3):  # a fractional or negative power of a negative number is NaN
        x = np.abs(x) + 0.1
    mine, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, f"lp_pool{dims}d")(mine, p, *args)
    expected = getattr(torch.nn, f"LPPool{dims}d")(p, *args)(theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10)
    g = seeded(9).normal(size=out.shape)
    (out * g).sum().backward()
    (expected * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-8, atol=1e-12)
    assert repr(getattr(nn, f"LPPool{dims}d")(p, *args)) == repr(
        getattr(torch.nn, f"LPPool{dims}d")(p, *args)
    )


def test_lp_pool_zero_window_gradient_as_pytorch():
    torch = torch_or_skip()
    x = seeded(10).normal(size=(1, 2, 4, 4))
    x[0, 0, :2, :2] = 0.0
    mine, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.lp_pool2d(mine, 2, 2).sum().backward()
    torch.nn.functional.lp_pool2d(theirs, 2, 2).sum().backward()
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), **TOL)
    assert not mine.grad[0, 0, :2, :2].any()
