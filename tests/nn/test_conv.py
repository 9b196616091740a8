"""Conv2d, MaxPool2d, AvgPool2d and their functions: outputs against loops over the output
positions written here with NumPy, gradients (and gradients of gradients) by finite
differences in float64, the gradient of max pooling at ties worked by hand, and PyTorch's
outputs, gradients, indices, reprs, state dict keys and initial distributions."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _distributions import same_distribution
from _shared import differentiable, seeded, torch_or_skip

import chainrule as cr
from chainrule import nn

F = nn.functional
TOL = {"rtol": 1e-12, "atol": 1e-12}


# ----- loops written here ---------------------------------------------------------------------
def _naive_conv(x, w, b, stride, pads, dilation, groups):
    """Each output element as the sum over its window, one position at a time."""
    (sh, sw), ((top, bottom), (left, right)), (dh, dw) = stride, pads, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    o, cg, kh, kw = w.shape
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], o, oh, ow))
    for oc in range(o):
        g = oc // (o // groups)  # the group of this output channel
        for i in range(oh):
            for j in range(ow):
                patch = xp[
                    :,
                    g * cg : (g + 1) * cg,
                    i * sh : i * sh + dh * (kh - 1) + 1 : dh,
                    j * sw : j * sw + dw * (kw - 1) + 1 : dw,
                ]
                out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out if b is None else out + b[:, None, None]


def _pool_size(size, k, s, p, d, ceil):
    """PyTorch's documented output size, the last window of ceil_mode starting inside the
    input or its left padding."""
    top = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil(top / s) if ceil else top // s) + 1
    return out - 1 if ceil and (out - 1) * s >= size + p else out


def _window(size, start, k, d):
    """The positions of a window that lie inside the input."""
    return [start + a * d for a in range(k) if 0 <= start + a * d < size]


def _naive_max_pool(x, k, s, p, d, ceil):
    """The first maximum of each window (row by row) and its index row·W + column."""
    n, c, h, w = x.shape
    oh, ow = (
        _pool_size(h, k[0], s[0], p[0], d[0], ceil),
        _pool_size(w, k[1], s[1], p[1], d[1], ceil),
    )
    out, idx = np.zeros((n, c, oh, ow)), np.zeros((n, c, oh, ow), np.int64)
    for a in range(n):
        for b in range(c):
            for i in range(oh):
                for j in range(ow):
                    rows = _window(h, i * s[0] - p[0], k[0], d[0])
                    cols = _window(w, j * s[1] - p[1], k[1], d[1])
                    best = max(x[a, b, r, q] for r in rows for q in cols)
                    first = next((r, q) for r in rows for q in cols if x[a, b, r, q] == best)
                    out[a, b, i, j], idx[a, b, i, j] = best, first[0] * w + first[1]
    return out, idx


def _naive_avg_pool(x, k, s, p, ceil, include_pad, divisor):
    """The sum of each window's values inside the input over its divisor: the window's
    positions inside the padded input (or inside the input), or ``divisor``."""
    n, c, h, w = x.shape
    oh, ow = (_pool_size(h, k[0], s[0], p[0], 1, ceil), _pool_size(w, k[1], s[1], p[1], 1, ceil))
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s[0] - p[0], j * s[1] - p[1]
            rows, cols = _window(h, r0, k[0], 1), _window(w, c0, k[1], 1)
            total = x[:, :, rows][:, :, :, cols].sum(axis=(2, 3))
            padded_rows = min(r0 + k[0], h + p[0]) - r0
            padded_cols = min(c0 + k[1], w + p[1]) - c0
            count = padded_rows * padded_cols if include_pad else len(rows) * len(cols)
            out[:, :, i, j] = total / (divisor or count)
    return out


# ----- convolution: values --------------------------------------------------------------------
# (x shape, weight shape, stride, padding, dilation, groups)
CONV_CASES = [
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, 1, 1),
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 2), 1, 1),
    ((1, 4, 9, 8), (6, 2, 2, 3), 2, 1, (2, 1), 2),
    ((2, 3, 5, 7), (3, 1, 3, 3), (1, 3), (2, 0), 2, 3),
    ((1, 2, 6, 5), (2, 2, 1, 1), 3, 0, 1, 1),
    ((1, 1, 4, 4), (1, 1, 4, 4), 1, 0, 1, 1),
]
CONV_IDS = ["plain", "strided-padded", "groups-dilated", "depthwise", "1x1", "whole-input"]


def _pads(padding):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    return (ph, ph), (pw, pw)


def _pair(v):
    return (v, v) if isinstance(v, int) else v


@pytest.mark.parametrize(
    ("xs", "ws", "stride", "padding", "dilation", "groups"), CONV_CASES, ids=CONV_IDS
)
def test_conv2d_equals_the_loop(xs, ws, stride, padding, dilation, groups):
    rng = seeded()
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    got = F.conv2d(x, w, b, stride, padding, dilation, groups)
    want = _naive_conv(x, w, b, _pair(stride), _pads(padding), _pair(dilation), groups)
    np.testing.assert_allclose(got.data, want, **TOL)
    no_bias = F.conv2d(x, w, None, stride, padding, dilation, groups)
    np.testing.assert_allclose(no_bias.data, want - b[:, None, None], **TOL)


@pytest.mark.parametrize(("kernel", "dilation"), [((3, 3), 1), ((2, 4), 1), ((3, 2), (2, 3))])
def test_padding_same_keeps_the_size_and_valid_adds_none(kernel, dilation):
    rng = seeded(1)
    x, w = rng.normal(size=(1, 2, 6, 7)), rng.normal(size=(3, 2, *kernel))
    dh, dw = _pair(dilation)
    total = (dh * (kernel[0] - 1), dw * (kernel[1] - 1))  # the odd zero at the bottom/right
    pads = tuple((t // 2, t - t // 2) for t in total)
    got = F.conv2d(x, w, padding="same", dilation=dilation)
    assert got.shape == (1, 3, 6, 7)
    np.testing.assert_allclose(got.data, _naive_conv(x, w, None, (1, 1), pads, (dh, dw), 1), **TOL)
    valid = F.conv2d(x, w, padding="valid", dilation=dilation)
    np.testing.assert_allclose(valid.data, F.conv2d(x, w, dilation=dilation).data, **TOL)


def test_unbatched_input_gives_an_unbatched_output():
    rng = seeded(2)
    x, w = rng.normal(size=(2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    out = F.conv2d(x, w, padding=1)
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(out.data, F.conv2d(x[None], w, padding=1).data[0], **TOL)
    layer = nn.Conv2d(2, 3, 3)
    assert layer(x).shape == (3, 3, 3)
    assert F.max_pool2d(x, 2).shape == (2, 2, 2)
    assert F.avg_pool2d(x, 2).shape == (2, 2, 2)


# ----- convolution: gradients -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("xs", "ws", "stride", "padding", "dilation", "groups"), CONV_CASES, ids=CONV_IDS
)
def test_conv2d_gradients_by_finite_differences(xs, ws, stride, padding, dilation, groups):
    rng = seeded(3)
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])

    def f(x, w, b):
        return F.conv2d(x, w, b, stride, padding, dilation, groups)

    assert cr.gradcheck(f, [x[:1], w, b])


@pytest.mark.parametrize("case", [1, 2], ids=["strided-padded", "groups-dilated"])
def test_conv2d_second_derivatives_by_finite_differences(case):
    xs, ws, stride, padding, dilation, groups = CONV_CASES[case]
    rng = seeded(4)
    x, w, b = rng.normal(size=(1, *xs[1:])), rng.normal(size=ws), rng.normal(size=ws[0])

    def f(x, w, b):
        return F.conv2d(x, w, b, stride, padding, dilation, groups)

    assert cr.gradcheck(f, [x[:, :, :6, :6], w, b], check_second_order=True)


@pytest.mark.parametrize("case", [1, 2], ids=["strided-padded", "groups-dilated"])
@pytest.mark.parametrize("which", [0, 1], ids=["grad_input", "grad_weight"])
def test_conv2d_gradients_as_functions_of_the_upstream_gradient(case, which):
    """The backward's own nodes, differentiated in the input, the weight and the upstream
    gradient v (PyTorch's gradgradcheck): every path of a second derivative."""
    xs, ws, stride, padding, dilation, groups = CONV_CASES[case]
    rng = seeded(12)
    x, w = rng.normal(size=(1, *xs[1:]))[:, :, :6, :6], rng.normal(size=ws)
    v = rng.normal(size=F.conv2d(x, w, None, stride, padding, dilation, groups).shape)

    def f(x, w, v):
        with cr.enable_grad():  # finite differences run f under no_grad
            x, w = differentiable(x), differentiable(w)
            out = F.conv2d(x, w, None, stride, padding, dilation, groups)
            return cr.autograd.grad(out, [x, w], grad_outputs=v, create_graph=True)[which]

    assert cr.gradcheck(f, [x, w, v], check_second_order=True)


def test_float32_stays_float32():
    rng = seeded(5)
    x = cr.tensor(rng.normal(size=(2, 2, 6, 6)).astype(np.float32), requires_grad=True)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, dtype=np.float32), nn.MaxPool2d(2), nn.AvgPool2d(2))
    out = model(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


# ----- pooling ----------------------------------------------------------------------------------
# (kernel, stride, padding, dilation, ceil_mode)
MAX_CASES = [
    (2, None, 0, 1, False),
    ((3, 2), (2, 1), (1, 1), (1, 2), True),
    (3, 2, 1, 2, True),
    (2, 3, 1, 1, True),
    ((2, 3), 1, (1, 0), 2, False),
]


@pytest.mark.parametrize(("k", "s", "p", "d", "ceil"), MAX_CASES)
def test_max_pool2d_equals_the_loop_ties_included(k, s, p, d, ceil):
    x = seeded(6).integers(-2, 3, size=(2, 2, 7, 8)).astype(np.float64)  # many ties
    out, idx = F.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
    kk = _pair(k)
    want, want_idx = _naive_max_pool(x, kk, _pair(s) if s else kk, _pair(p), _pair(d), ceil)
    np.testing.assert_array_equal(out.data, want)
    np.testing.assert_array_equal(idx.data, want_idx)
    assert idx.dtype == np.int64


def test_max_pool2d_gradient_goes_to_the_first_maximum():
    x = cr.tensor([[[[0.0, 2.0, 2.0], [2.0, 2.0, 1.0], [0.0, 0.0, 0.0]]]], requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    # windows (row-major first maxima): (0, 1), (0, 1), (1, 0), (1, 1)
    want = [[[[0.0, 2.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]]
    np.testing.assert_array_equal(x.grad, want)


def test_max_pool2d_nan_wins_the_last_nan_as_in_pytorch_s_loop():
    x = cr.tensor([[[[1.0, np.nan], [3.0, np.nan]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert np.isnan(out.item())
    assert idx.item() == 3  # row 1, column 1
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0.0, 0.0], [0.0, 1.0]]]])


@pytest.mark.parametrize(("k", "s", "p", "d", "ceil"), MAX_CASES)
def test_max_pool2d_gradients_by_finite_differences(k, s, p, d, ceil):
    x = seeded(7).permutation(2 * 7 * 6).reshape(1, 2, 7, 6) / 10.0  # no ties: differentiable

    def f(x):
        return F.max_pool2d(x, k, s, p, d, ceil)

    assert cr.gradcheck(f, [x], check_second_order=True)


@pytest.mark.parametrize(("k", "s", "p", "d", "ceil"), MAX_CASES[1:3])
def test_max_pool2d_gradient_as_a_function_of_the_upstream_gradient(k, s, p, d, ceil):
    x = seeded(13).permutation(7 * 6).reshape(1, 1, 7, 6) / 10.0
    v = seeded(14).normal(size=F.max_pool2d(x, k, s, p, d, ceil).shape)

    def f(x, v):
        with cr.enable_grad():  # finite differences run f under no_grad
            x = differentiable(x)
            out = F.max_pool2d(x, k, s, p, d, ceil)
            return cr.autograd.grad(out, [x], grad_outputs=v, create_graph=True)[0]

    assert cr.gradcheck(f, [x, v], check_second_order=True)


# (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG_CASES = [
    (2, None, 0, False, True, None),
    ((3, 2), (2, 1), (1, 1), True, False, None),
    (3, 2, 1, True, True, None),
    (3, 2, 1, True, False, None),
    (2, 3, 1, True, True, 3),
]


@pytest.mark.parametrize(("k", "s", "p", "ceil", "include", "divisor"), AVG_CASES)
def test_avg_pool2d_equals_the_loop(k, s, p, ceil, include, divisor):
    x = seeded(8).normal(size=(2, 2, 7, 8))
    got = F.avg_pool2d(x, k, s, p, ceil, include, divisor)
    kk = _pair(k)
    want = _naive_avg_pool(x, kk, _pair(s) if s else kk, _pair(p), ceil, include, divisor)
    np.testing.assert_allclose(got.data, want, **TOL)


@pytest.mark.parametrize(("k", "s", "p", "ceil", "include", "divisor"), AVG_CASES)
def test_avg_pool2d_gradients_by_finite_differences(k, s, p, ceil, include, divisor):
    x = seeded(9).normal(size=(1, 2, 6, 7))

    def f(x):
        return F.avg_pool2d(x, k, s, p, ceil, include, divisor)

    assert cr.gradcheck(f, [x], check_second_order=True)


def test_avg_pool2d_spreads_the_gradient_evenly():
    x = cr.tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)
    F.avg_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((1, 1, 4, 4), 0.25))


# ----- layers -----------------------------------------------------------------------------------
def test_conv2d_layer_parameters_and_initialisation_bounds():
    layer = nn.Conv2d(4, 6, (3, 2), groups=2, generator=np.random.default_rng(0))
    assert layer.weight.shape == (6, 2, 3, 2)
    assert layer.bias.shape == (6,)
    bound = 1 / math.sqrt(2 * 3 * 2)  # fan_in = in_channels / groups · kH · kW
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.8 * bound
    assert nn.Conv2d(1, 2, 3, bias=False).bias is None
    x = seeded(10).normal(size=(2, 4, 5, 5))
    want = _naive_conv(x, layer.weight.data, layer.bias.data, (1, 1), _pads(0), (1, 1), 2)
    np.testing.assert_allclose(layer(x).data, want, **TOL)


def test_reprs_and_summary():
    assert repr(nn.Conv2d(1, 8, 3)) == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))"
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2), nn.Flatten()
    )
    lines = model.summary((2, 1, 8, 8)).splitlines()
    assert lines[2].split() == ["0", "(Conv2d)", "(2,", "8,", "8,", "8)", "80"]
    assert lines[4].split() == ["2", "(MaxPool2d)", "(2,", "8,", "4,", "4)", "0"]
    assert lines[5].split() == ["3", "(AvgPool2d)", "(2,", "8,", "2,", "2)", "0"]
    assert lines[6].split() == ["4", "(Flatten)", "(2,", "32)", "0"]


def test_errors_name_the_layer_and_the_shapes():
    zeros = np.zeros
    with pytest.raises(ValueError, match=r"Conv2d\(1, 8\).*\(1, 2, 5, 5\) has 2 channels"):
        nn.Conv2d(1, 8, 3)(zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"conv2d: the kernel \(3, 3\).*padded input \(2, 5\)"):
        F.conv2d(zeros((1, 2, 2, 5)), zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: weight must be .* got shape \(2, 2, 3\)"):
        F.conv2d(zeros((1, 2, 5, 5)), zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"conv2d: a weight of shape \(2, 2, 3, 3\) has 2 output"):
        F.conv2d(zeros((1, 6, 5, 5)), zeros((2, 2, 3, 3)), groups=3)
    with pytest.raises(ValueError, match=r"conv2d: bias must be \(2,\)"):
        F.conv2d(zeros((1, 2, 5, 5)), zeros((2, 2, 3, 3)), zeros(3))
    with pytest.raises(ValueError, match="groups=2 must divide in_channels=3"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"ConvTranspose2d: only padding_mode='zeros'.*'reflect'"):
        nn.ConvTranspose2d(1, 1, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"max_pool2d: the output .*\(1, 1, 2, 2\) would be empty"):
        F.max_pool2d(zeros((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match="MaxPool2d: padding should be at most half"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: input must be .* got shape \(5, 5\)"):
        F.avg_pool2d(zeros((5, 5)), 2)


# ----- PyTorch ----------------------------------------------------------------------------------
def _torch_grads(torch, fn, arrays, gy):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(gy))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def _our_grads(fn, arrays, gy):
    ts = [cr.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(gy)
    return out.data, [t.grad for t in ts]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_conv2d_matches_pytorch(dtype, seed):
    torch = torch_or_skip()
    rng = seeded(100 + seed)
    groups = int(rng.choice([1, 2]))
    kh, kw = rng.integers(1, 4, size=2)
    stride, dilation = tuple(rng.integers(1, 3, size=2)), tuple(rng.integers(1, 3, size=2))
    padding = tuple(int(v) for v in rng.integers(0, 3, size=2))
    x = rng.normal(size=(2, 2 * groups, 8, 7)).astype(dtype)
    w = rng.normal(size=(2 * groups, 2, kh, kw)).astype(dtype)
    b = rng.normal(size=2 * groups).astype(dtype)
    args = (tuple(map(int, stride)), padding, tuple(map(int, dilation)), groups)
    gy = rng.normal(size=F.conv2d(x, w, b, *args).shape).astype(dtype)
    ours = _our_grads(lambda *t: F.conv2d(*t, *args), [x, w, b], gy)
    theirs = _torch_grads(torch, lambda *t: torch.nn.functional.conv2d(*t, *args), [x, w, b], gy)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    assert ours[0].dtype == dtype
    np.testing.assert_allclose(ours[0], theirs[0], rtol=tol, atol=tol)
    for mine, want in zip(ours[1], theirs[1]):
        assert mine.dtype == dtype
        np.testing.assert_allclose(mine, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("k", "s", "p", "d", "ceil"), MAX_CASES)
def test_max_pool2d_matches_pytorch(dtype, k, s, p, d, ceil):
    torch = torch_or_skip()
    rng = seeded(200)
    x = rng.integers(-3, 4, size=(2, 3, 7, 8)).astype(dtype)  # ties: the first maximum
    out, idx = F.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
    their_out, their_idx = torch.nn.functional.max_pool2d(
        torch.tensor(x), k, s, p, d, ceil, return_indices=True
    )
    np.testing.assert_array_equal(out.data, their_out.numpy())
    np.testing.assert_array_equal(idx.data, their_idx.numpy())
    gy = rng.normal(size=out.shape).astype(dtype)
    ours = _our_grads(lambda t: F.max_pool2d(t, k, s, p, d, ceil), [x], gy)
    theirs = _torch_grads(
        torch, lambda t: torch.nn.functional.max_pool2d(t, k, s, p, d, ceil), [x], gy
    )
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours[0], theirs[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(ours[1][0], theirs[1][0], rtol=tol, atol=tol)
    assert ours[1][0].dtype == dtype


def test_max_pool2d_of_minus_infinity_points_inside_the_input_as_pytorch():
    torch = torch_or_skip()
    x = np.full((1, 1, 3, 3), -np.inf)
    x[0, 0, 2, 2] = 1.0
    out, idx = F.max_pool2d(x, 2, 1, 1, return_indices=True)
    want, want_idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 1, 1, return_indices=True)
    np.testing.assert_array_equal(out.data, want.numpy())
    np.testing.assert_array_equal(idx.data, want_idx.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("k", "s", "p", "ceil", "include", "divisor"), AVG_CASES)
def test_avg_pool2d_matches_pytorch(dtype, k, s, p, ceil, include, divisor):
    torch = torch_or_skip()
    rng = seeded(300)
    x = rng.normal(size=(2, 3, 7, 8)).astype(dtype)
    args = (k, s, p, ceil, include, divisor)
    gy = rng.normal(size=F.avg_pool2d(x, *args).shape).astype(dtype)
    ours = _our_grads(lambda t: F.avg_pool2d(t, *args), [x], gy)
    theirs = _torch_grads(torch, lambda t: torch.nn.functional.avg_pool2d(t, *args), [x], gy)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours[0], theirs[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(ours[1][0], theirs[1][0], rtol=tol, atol=tol)
    assert ours[0].dtype == ours[1][0].dtype == dtype


LAYERS = [
    lambda m: m.Conv2d(1, 8, 3),
    lambda m: m.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False),
    lambda m: m.Conv2d(2, 2, 3, padding="same"),
    lambda m: m.Conv2d(2, 2, 3, padding="valid"),
    lambda m: m.MaxPool2d(2),
    lambda m: m.MaxPool2d((2, 3), stride=1, padding=1, dilation=2, ceil_mode=True),
    lambda m: m.AvgPool2d(2),
    lambda m: m.AvgPool2d(3, 2, 1, True, False, 2),
]


@pytest.mark.parametrize("make", LAYERS)
def test_reprs_state_dict_keys_and_shapes_match_pytorch(make):
    torch = torch_or_skip()
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    mine, want = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(want)
    assert [v.shape for v in mine.values()] == [tuple(v.shape) for v in want.values()]


def test_a_pytorch_state_loads_and_gives_pytorch_outputs():
    torch = torch_or_skip()
    theirs = torch.nn.Conv2d(2, 4, 3, padding=1, groups=2).double()
    ours = nn.Conv2d(2, 4, 3, padding=1, groups=2, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = seeded(11).normal(size=(1, 2, 5, 5))
    want = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(x).data, want, rtol=1e-10, atol=1e-10)


def test_conv2d_initial_distribution_matches_pytorch():
    torch = torch_or_skip()
    torch.manual_seed(0)
    cr.manual_seed(0)
    theirs = torch.nn.Conv2d(6, 300, (3, 2), groups=2)
    ours = nn.Conv2d(6, 300, (3, 2), groups=2)
    for name, p in ours.named_parameters():
        t = getattr(theirs, name).detach().numpy()
        assert not np.allclose(p.data, t)  # other numbers ...
        assert same_distribution(p.data, t)  # ... from the same distribution
    # and not merely any distribution on that range: a narrower one is told apart
    assert not same_distribution(ours.weight.data, theirs.weight.detach().numpy() * 0.9)


def test_the_cnn_example_learns_the_digits():
    script = Path(__file__).resolve().parents[2] / "examples" / "cnn_digits.py"
    done = subprocess.run(
        [sys.executable, str(script), "--epochs", "10"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]  # "test accuracy 96.94% after 1.0 s"
    assert float(last.split()[2].rstrip("%")) > 95, last
