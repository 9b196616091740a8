"""Conv1d, the 1-D pools, ConvTranspose2d and ConvTranspose1d: outputs against loops written
here with NumPy (a transposed convolution as the scatter of each input element times the
kernel), gradients and gradients of gradients by finite differences in float64, and
PyTorch's outputs, gradients, output sizes, reprs, state dicts and initial distributions."""

from __future__ import annotations

import numpy as np
import pytest
from _distributions import same_distribution
from _shared import differentiable, seeded, torch_or_skip

import chainrule as cr
from chainrule import nn

F = nn.functional
TOL = {"rtol": 1e-12, "atol": 1e-12}


# ----- loops written here ---------------------------------------------------------------------
def _naive_conv1d(x, w, b, s, p, d, groups):
    """Each output element as the sum over its window."""
    xp = np.pad(x, ((0, 0), (0, 0), (p, p)))
    o, cg, k = w.shape
    ol = (xp.shape[2] - d * (k - 1) - 1) // s + 1
    out = np.zeros((x.shape[0], o, ol))
    for oc in range(o):
        g = oc // (o // groups)
        for i in range(ol):
            patch = xp[:, g * cg : (g + 1) * cg, i * s : i * s + d * (k - 1) + 1 : d]
            out[:, oc, i] = (patch * w[oc]).sum(axis=(1, 2))
    return out if b is None else out + b[:, None]


def _naive_conv_transpose2d(x, w, b, s, p, op, d, groups):
    """Each input element times the kernel, added into the output at its stride steps, then
    `padding` cut from the top and left and padding − output_padding from the bottom and
    right (rows past the scatter are zeros)."""
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    full = [(h - 1) * s[0] + d[0] * (kh - 1) + 1, (wd - 1) * s[1] + d[1] * (kw - 1) + 1]
    big = np.zeros((n, og * groups, full[0] + op[0], full[1] + op[1]))
    cg = cin // groups
    for ci in range(cin):
        g = ci // cg
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for c in range(kw):
                        r, col = i * s[0] + a * d[0], j * s[1] + c * d[1]
                        big[:, g * og : (g + 1) * og, r, col] += (
                            x[:, ci, i, j, None] * w[ci, :, a, c]
                        )
    oh = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1
    ow = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1
    out = big[:, :, p[0] : p[0] + oh, p[1] : p[1] + ow]
    return out if b is None else out + b[:, None, None]


def _naive_max_pool1d(x, k, s, p, d, ceil):
    """The first maximum of each window inside the input, and its position."""
    n, c, length = x.shape
    span = length + 2 * p - d * (k - 1) - 1
    ol = (-(-span // s) if ceil else span // s) + 1
    if ceil and (ol - 1) * s >= length + p:
        ol -= 1
    out, idx = np.zeros((n, c, ol)), np.zeros((n, c, ol), np.int64)
    for i in range(ol):
        pos = [i * s - p + a * d for a in range(k) if 0 <= i * s - p + a * d < length]
        vals = x[:, :, pos]
        first = vals.argmax(axis=2)
        out[:, :, i] = vals.max(axis=2)
        idx[:, :, i] = np.array(pos)[first]
    return out, idx


def _naive_avg_pool1d(x, k, s, p, ceil, include):
    length = x.shape[2]
    span = length + 2 * p - k
    ol = (-(-span // s) if ceil else span // s) + 1
    if ceil and (ol - 1) * s >= length + p:
        ol -= 1
    out = np.zeros((*x.shape[:2], ol))
    for i in range(ol):
        start = i * s - p
        pos = [q for q in range(start, start + k) if 0 <= q < length]
        count = min(start + k, length + p) - start if include else len(pos)
        out[:, :, i] = x[:, :, pos].sum(axis=2) / count
    return out


# ----- values ---------------------------------------------------------------------------------
# (x shape, weight shape, stride, padding, dilation, groups)
CONV1D_CASES = [
    ((2, 3, 9), (4, 3, 3), 1, 0, 1, 1),
    ((2, 4, 11), (6, 2, 2), 2, 1, 2, 2),
    ((1, 3, 8), (3, 1, 3), 3, 2, 1, 3),
]


@pytest.mark.parametrize(("xs", "ws", "s", "p", "d", "g"), CONV1D_CASES)
def test_conv1d_equals_the_loop(xs, ws, s, p, d, g):
    rng = seeded(1)
    x, w, b = rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[0])
    want = _naive_conv1d(x, w, b, s, p, d, g)
    np.testing.assert_allclose(F.conv1d(x, w, b, s, p, d, g).data, want, **TOL)
    np.testing.assert_allclose(F.conv1d(x[0], w, b, s, p, d, g).data, want[0], **TOL)


def test_conv1d_padding_same_and_valid():
    rng = seeded(2)
    x, w = rng.normal(size=(2, 2, 9)), rng.normal(size=(3, 2, 4))
    same = F.conv1d(x, w, padding="same", dilation=2).data  # 6 zeros: 3 left, 3 right
    np.testing.assert_allclose(same, _naive_conv1d(x, w, None, 1, 3, 2, 1), **TOL)
    np.testing.assert_allclose(
        F.conv1d(x, w, padding="valid").data, _naive_conv1d(x, w, None, 1, 0, 1, 1), **TOL
    )


# (stride, padding, output_padding, dilation, groups, kernel)
TRANSPOSE_CASES = [
    ((1, 1), (0, 0), (0, 0), (1, 1), 1, (3, 3)),
    ((2, 3), (1, 0), (1, 2), (1, 1), 1, (3, 2)),
    ((2, 1), (0, 2), (1, 0), (2, 3), 2, (2, 3)),
    ((1, 1), (0, 1), (1, 2), (2, 3), 1, (2, 2)),  # output_padding ≥ stride, < dilation
    ((3, 2), (2, 1), (2, 1), (1, 1), 2, (3, 3)),
]


def _transpose_inputs(case, seed=3, n=2):
    _s, _p, _op, _d, g, k = case
    rng = seeded(seed)
    x = rng.normal(size=(n, 2 * g, 3, 4))
    w, b = rng.normal(size=(2 * g, 3, *k)), rng.normal(size=3 * g)
    return x, w, b


@pytest.mark.parametrize("case", TRANSPOSE_CASES)
def test_conv_transpose2d_equals_the_scatter(case):
    s, p, op, d, g, _ = case
    x, w, b = _transpose_inputs(case)
    want = _naive_conv_transpose2d(x, w, b, s, p, op, d, g)
    out = F.conv_transpose2d(x, w, b, s, p, op, g, d)
    assert out.shape == want.shape
    np.testing.assert_allclose(out.data, want, **TOL)
    np.testing.assert_allclose(F.conv_transpose2d(x[0], w, b, s, p, op, g, d).data, want[0], **TOL)


def test_conv_transpose1d_equals_the_scatter_over_one_row():
    rng = seeded(4)
    x, w, b = rng.normal(size=(2, 4, 5)), rng.normal(size=(4, 3, 3)), rng.normal(size=6)
    want = _naive_conv_transpose2d(
        x[:, :, None], w[:, :, None], b, (1, 3), (0, 1), (0, 2), (1, 2), 2
    )
    out = F.conv_transpose1d(x, w, b, 3, 1, 2, 2, 2)
    np.testing.assert_allclose(out.data, want[:, :, 0], **TOL)
    np.testing.assert_allclose(
        F.conv_transpose1d(x[1], w, b, 3, 1, 2, 2, 2).data, want[1, :, 0], **TOL
    )


@pytest.mark.parametrize(
    ("k", "s", "p", "d", "ceil"), [(2, None, 0, 1, False), (3, 2, 1, 2, True), (4, 3, 2, 1, True)]
)
def test_max_pool1d_equals_the_loop(k, s, p, d, ceil):
    x = seeded(5).integers(0, 4, size=(2, 3, 10)).astype(float)  # ties: the first maximum
    out, idx = F.max_pool1d(x, k, s, p, d, ceil, return_indices=True)
    want, want_idx = _naive_max_pool1d(x, k, s or k, p, d, ceil)
    np.testing.assert_array_equal(out.data, want)
    np.testing.assert_array_equal(idx.data, want_idx)
    x = cr.tensor(x, requires_grad=True)
    F.max_pool1d(x, k, s, p, d, ceil).sum().backward()
    counts = np.zeros_like(x.data)
    for n in range(2):
        for c in range(3):
            np.add.at(counts[n, c], want_idx[n, c], 1.0)
    np.testing.assert_array_equal(x.grad, counts)


@pytest.mark.parametrize(
    ("k", "s", "p", "ceil", "include"),
    [(3, None, 1, False, True), (3, 2, 1, True, False), (2, 3, 1, True, True)],
)
def test_avg_pool1d_equals_the_loop(k, s, p, ceil, include):
    x = seeded(6).normal(size=(2, 3, 10))
    want = _naive_avg_pool1d(x, k, s or k, p, ceil, include)
    np.testing.assert_allclose(F.avg_pool1d(x, k, s, p, ceil, include).data, want, **TOL)
    np.testing.assert_allclose(nn.AvgPool1d(k, s, p, ceil, include)(x[0]).data, want[0], **TOL)


def test_adaptive_avg_pool1d_equals_pytorch_s_windows():
    x = seeded(7).normal(size=(2, 3, 7))
    out = F.adaptive_avg_pool1d(x, 3).data
    bounds = [(0, 3), (2, 5), (4, 7)]  # floor(i·7/3) to ceil((i + 1)·7/3)
    want = np.stack([x[:, :, a:b].mean(axis=2) for a, b in bounds], axis=2)
    np.testing.assert_allclose(out, want, **TOL)
    np.testing.assert_allclose(nn.AdaptiveAvgPool1d((3,))(x[1]).data, want[1], **TOL)


# ----- gradients by finite differences --------------------------------------------------------
@pytest.mark.parametrize(("xs", "ws", "s", "p", "d", "g"), CONV1D_CASES[1:])
def test_conv1d_gradients_first_and_second_order(xs, ws, s, p, d, g):
    rng = seeded(8)
    x, w, b = rng.normal(size=(1, *xs[1:])), rng.normal(size=ws), rng.normal(size=ws[0])
    assert cr.gradcheck(
        lambda x, w, b: F.conv1d(x, w, b, s, p, d, g), [x, w, b], check_second_order=True
    )


@pytest.mark.parametrize("case", TRANSPOSE_CASES[1:4])
def test_conv_transpose2d_gradients_first_and_second_order(case):
    s, p, op, d, g, _ = case
    x, w, b = _transpose_inputs(case, n=1)
    x = x[:, :, :2, :3]

    def f(x, w, b):
        return F.conv_transpose2d(x, w, b, s, p, op, g, d)

    assert cr.gradcheck(f, [x, w, b], check_second_order=True)


@pytest.mark.parametrize("case", TRANSPOSE_CASES[2:4])
def test_conv_transpose2d_gradients_as_functions_of_the_upstream_gradient(case):
    """The gradients of x and w as functions of x, w and the upstream gradient v: every
    path of a second derivative (PyTorch's gradgradcheck)."""
    s, p, op, d, g, _ = case
    x, w, _ = _transpose_inputs(case, n=1)
    x = x[:, :, :2, :2]
    v = seeded(9).normal(size=F.conv_transpose2d(x, w, None, s, p, op, g, d).shape)
    for which in (0, 1):

        def f(x, w, v, which=which):
            with cr.enable_grad():  # finite differences run f under no_grad
                x, w = differentiable(x), differentiable(w)
                out = F.conv_transpose2d(x, w, None, s, p, op, g, d)
                return cr.autograd.grad(out, [x, w], grad_outputs=v, create_graph=True)[which]

        assert cr.gradcheck(f, [x, w, v], check_second_order=True)


def test_1d_pools_and_conv_transpose1d_gradients():
    rng = seeded(10)
    x = rng.normal(size=(1, 2, 7))
    assert cr.gradcheck(lambda x: F.max_pool1d(x, 3, 2, 1, 2, True), [x], check_second_order=True)
    assert cr.gradcheck(
        lambda x: F.avg_pool1d(x, 3, 2, 1, True, False), [x], check_second_order=True
    )
    assert cr.gradcheck(lambda x: F.adaptive_avg_pool1d(x, 4), [x], check_second_order=True)
    w, b = rng.normal(size=(2, 3, 3)), rng.normal(size=3)
    f = lambda x, w, b: F.conv_transpose1d(x, w, b, 2, 1, 1, 1, 2)  # noqa: E731
    assert cr.gradcheck(f, [x[:, :, :4], w, b], check_second_order=True)


# ----- layers and errors ----------------------------------------------------------------------
def test_layer_parameters_and_output_size():
    layer = nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=1, output_padding=1, groups=2)
    assert layer.weight.shape == (4, 3, 3, 2)
    assert layer.bias.shape == (6,)
    bound = 1 / np.sqrt(3 * 3 * 2)
    assert np.abs(layer.weight.data).max() <= bound
    x = np.zeros((1, 4, 5, 5))
    assert layer(x).shape == (1, 6, 10, 9)  # (5 − 1)·2 − 2 + (k − 1) + 1 + 1
    assert layer(x, output_size=(9, 8)).shape == (1, 6, 9, 8)
    assert layer(x, output_size=[1, 6, 10, 8]).shape == (1, 6, 10, 8)
    conv = nn.Conv1d(4, 6, 3, groups=2, bias=False)
    assert conv.weight.shape == (6, 2, 3)
    assert conv.bias is None
    assert nn.ConvTranspose1d(2, 4, 3)(np.zeros((2, 5)), output_size=[7]).shape == (4, 7)


def test_errors_name_the_layer_and_the_shapes():
    zeros = np.zeros
    with pytest.raises(ValueError, match=r"Conv1d\(1, 8\).*\(1, 2, 5\) has 2 channels"):
        nn.Conv1d(1, 8, 3)(zeros((1, 2, 5)))
    with pytest.raises(ValueError, match=r"conv1d: input must be \(N, C, L\).*\(1, 2, 5, 5\)"):
        F.conv1d(zeros((1, 2, 5, 5)), zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"conv1d: the kernel \(3,\).*padded input \(2,\)"):
        F.conv1d(zeros((1, 2, 2)), zeros((2, 2, 3)))
    with pytest.raises(ValueError, match=r"conv1d: weight must be .* got shape \(2, 2, 3, 3\)"):
        F.conv1d(zeros((1, 2, 5)), zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"max_pool1d: the output .*\(1, 1, 2\) would be empty"):
        F.max_pool1d(zeros((1, 1, 2)), 3)
    with pytest.raises(ValueError, match="AvgPool1d: padding should be at most half"):
        nn.AvgPool1d(2, padding=2)
    with pytest.raises(ValueError, match=r"MaxPool1d: stride must be an integer >= 1"):
        nn.MaxPool1d(2, stride=0)  # refused when made, as MaxPool2d's
    with pytest.raises(
        ValueError, match="output_padding must be smaller than either stride or dilation"
    ):
        nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=(0, 2))
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        F.conv_transpose1d(
            zeros((1, 1, 3)), zeros((1, 1, 3)), stride=2, output_padding=2, dilation=2
        )
    with pytest.raises(
        ValueError, match=r"ConvTranspose2d\(2, 4\): an input of shape \(1, 3, 4, 4\) has 3"
    ):
        nn.ConvTranspose2d(2, 4, 3)(zeros((1, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"conv_transpose2d: .*give an output of size \(-1, -1\)"):
        F.conv_transpose2d(zeros((1, 2, 3, 3)), zeros((2, 2, 3, 3)), padding=3)
    with pytest.raises(ValueError, match=r"conv_transpose2d: bias must be \(4,\)"):
        F.conv_transpose2d(zeros((1, 2, 3, 3)), zeros((2, 2, 3, 3)), zeros(2), groups=2)
    with pytest.raises(ValueError, match=r"valid sizes range from \(7, 7\) to \(8, 8\)"):
        nn.ConvTranspose2d(2, 4, 3, stride=2)(zeros((1, 2, 3, 3)), output_size=(9, 9))


# ----- PyTorch --------------------------------------------------------------------------------
def _both(torch, ours, theirs, arrays, dtype):
    """Outputs and gradients of ``ours`` and ``theirs`` on the same arrays and upstream."""
    arrays = [a.astype(dtype) for a in arrays]
    mine = [cr.tensor(a, requires_grad=True) for a in arrays]
    out = ours(*mine)
    gy = seeded(99).normal(size=out.shape).astype(dtype)
    out.backward(gy)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    want = theirs(*ts)
    want.backward(torch.tensor(gy))
    tol = 1e-10 if dtype == np.float64 else 1e-5
    assert out.dtype == dtype
    assert out.shape == tuple(want.shape)
    np.testing.assert_allclose(out.data, want.detach().numpy(), rtol=tol, atol=tol)
    for m, t in zip(mine, ts):
        np.testing.assert_allclose(m.grad, t.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(6))
def test_conv_transpose2d_matches_pytorch(dtype, seed):
    torch = torch_or_skip()
    rng = seeded(200 + seed)
    g = int(rng.choice([1, 2]))
    s, d = (
        tuple(int(v) for v in rng.integers(1, 4, 2)),
        tuple(int(v) for v in rng.integers(1, 3, 2)),
    )
    p = tuple(int(v) for v in rng.integers(0, 2, 2))
    op = tuple(int(rng.integers(0, max(a, b))) for a, b in zip(s, d))
    k = tuple(int(v) for v in rng.integers(1, 4, 2))
    arrays = [
        rng.normal(size=(2, 2 * g, 4, 3)),
        rng.normal(size=(2 * g, 2, *k)),
        rng.normal(size=2 * g),
    ]
    args = (s, p, op, g, d)
    _both(
        torch,
        lambda *t: F.conv_transpose2d(*t, *args),
        lambda *t: torch.nn.functional.conv_transpose2d(*t, *args),
        arrays,
        dtype,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_1d_functions_match_pytorch(dtype, seed):
    torch = torch_or_skip()
    tf = torch.nn.functional
    rng = seeded(300 + seed)
    g = int(rng.choice([1, 2]))
    s, d, p, k = (
        int(v)
        for v in (rng.integers(1, 3), rng.integers(1, 3), rng.integers(0, 2), rng.integers(1, 4))
    )
    x, w, b = rng.normal(size=(2, 2 * g, 9)), rng.normal(size=(2 * g, 2, k)), rng.normal(size=2 * g)
    conv = (s, p, d, g)
    _both(torch, lambda *t: F.conv1d(*t, *conv), lambda *t: tf.conv1d(*t, *conv), [x, w, b], dtype)
    op = int(rng.integers(0, max(s, d)))
    tr = (s, p, op, g, d)
    _both(
        torch,
        lambda *t: F.conv_transpose1d(*t, *tr),
        lambda *t: tf.conv_transpose1d(*t, *tr),
        [x, w, b],
        dtype,
    )
    pool = (k + 1, s, min(p, (k + 1) // 2), d, bool(seed % 2))
    _both(torch, lambda t: F.max_pool1d(t, *pool), lambda t: tf.max_pool1d(t, *pool), [x], dtype)
    avg = (k + 1, s, min(p, (k + 1) // 2), bool(seed % 2), seed < 2)
    _both(torch, lambda t: F.avg_pool1d(t, *avg), lambda t: tf.avg_pool1d(t, *avg), [x], dtype)
    _both(
        torch,
        lambda t: F.adaptive_avg_pool1d(t, 4),
        lambda t: tf.adaptive_avg_pool1d(t, 4),
        [x],
        dtype,
    )
    _, idx = F.max_pool1d(x, *pool, return_indices=True)
    _, want = tf.max_pool1d(torch.tensor(x), *pool, return_indices=True)
    np.testing.assert_array_equal(idx.data, want.numpy())


def test_output_sizes_match_pytorch():
    torch = torch_or_skip()
    rng = seeded(12)
    for _ in range(40):
        s, d, k = (int(v) for v in rng.integers(1, 4, 3))
        p, length = int(rng.integers(0, 3)), int(rng.integers(1, 6))
        op = int(rng.integers(0, max(s, d)))
        x, w = np.zeros((1, 2, length, length)), np.zeros((2, 1, k, k))
        try:
            want = torch.nn.functional.conv_transpose2d(
                torch.tensor(x), torch.tensor(w), None, s, p, op, 1, d
            ).shape
        except RuntimeError:  # an output size under 1
            with pytest.raises(ValueError, match="too small"):
                F.conv_transpose2d(x, w, None, s, p, op, 1, d)
            continue
        assert F.conv_transpose2d(x, w, None, s, p, op, 1, d).shape == tuple(want)
        if want[3] - op < 1 or want[2] - op < 1:
            continue
        layer = torch.nn.ConvTranspose2d(2, 2, k, s, p, 0, 1, False, d)
        size = (want[2] - op, want[3] - op + min(op, s - 1))  # each within its range
        assert nn.ConvTranspose2d(2, 2, k, s, p, 0, 1, False, d)(
            x, output_size=size
        ).shape == tuple(layer(torch.tensor(x).float(), output_size=size).shape)


LAYERS = [
    lambda m: m.Conv1d(2, 4, 3),
    lambda m: m.Conv1d(2, 4, (3,), stride=2, padding=1, dilation=2, groups=2, bias=False),
    lambda m: m.Conv1d(2, 4, 3, padding="same"),
    lambda m: m.ConvTranspose2d(2, 4, 3),
    lambda m: m.ConvTranspose2d(2, 4, (3, 2), 2, 1, 1, groups=2, bias=False, dilation=2),
    lambda m: m.ConvTranspose1d(2, 4, 3, stride=2, output_padding=1),
    lambda m: m.MaxPool1d(2),
    lambda m: m.MaxPool1d(3, 1, 1, 2, True, True),
    lambda m: m.AvgPool1d(3),
    lambda m: m.AvgPool1d(3, 2, 1, True, False),
    lambda m: m.AdaptiveAvgPool1d(3),
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
    theirs = torch.nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, groups=2).double()
    ours = nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, groups=2, dtype=np.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = seeded(13).normal(size=(1, 2, 4, 4))
    want = theirs(torch.tensor(x), output_size=(8, 8)).detach().numpy()
    np.testing.assert_allclose(ours(x, output_size=(8, 8)).data, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["ConvTranspose2d", "Conv1d", "ConvTranspose1d"])
def test_initial_distribution_matches_pytorch(name):
    torch = torch_or_skip()
    torch.manual_seed(0)
    cr.manual_seed(0)
    kernel = (3, 2) if name == "ConvTranspose2d" else 3
    theirs = getattr(torch.nn, name)(6, 300, kernel, groups=2)
    ours = getattr(nn, name)(6, 300, kernel, groups=2)
    for pname, p in ours.named_parameters():
        t = getattr(theirs, pname).detach().numpy()
        assert p.shape == t.shape
        assert not np.allclose(p.data, t)
        assert same_distribution(p.data, t)
    assert not same_distribution(ours.weight.data, theirs.weight.detach().numpy() * 0.9)
