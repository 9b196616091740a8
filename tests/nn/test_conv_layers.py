"""BatchNorm2d, GroupNorm, Dropout2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d and their
functions: outputs against loops written here with NumPy, gradients by finite differences
in float64, running statistics against the update formula over several steps, channel
masks and their scaling, and PyTorch's outputs, gradients, buffers, reprs and state keys."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from _shared import seeded, torch_or_skip

import chainrule as cr
from chainrule import nn

F = nn.functional
TOL = {"rtol": 1e-12, "atol": 1e-12}


# ----- loops written here ---------------------------------------------------------------------
def _naive_batch_norm(x, mean, var, w, b, eps=1e-5):
    """Each element normalised by its channel's statistics, one element at a time."""
    out = np.empty_like(x)
    for i in np.ndindex(*x.shape):
        c = i[1]
        out[i] = (x[i] - mean[c]) / math.sqrt(var[c] + eps) * w[c] + b[c]
    return out


def _channel_stats(x):
    """Mean and biased variance per channel, by summing over a loop of the other axes."""
    c = x.shape[1]
    values = [[x[i] for i in np.ndindex(*x.shape) if i[1] == k] for k in range(c)]
    mean = np.array([sum(v) / len(v) for v in values])
    var = np.array([sum((e - m) ** 2 for e in v) / len(v) for v, m in zip(values, mean)])
    return mean, var, len(values[0])


def _naive_group_norm(x, groups, w, b, eps=1e-5):
    out = np.empty_like(x)
    size = x.shape[1] // groups
    for n in range(x.shape[0]):
        for g in range(groups):
            block = x[n, g * size : (g + 1) * size]
            mean = block.sum() / block.size
            var = ((block - mean) ** 2).sum() / block.size
            for c in range(g * size, (g + 1) * size):
                out[n, c] = (x[n, c] - mean) / math.sqrt(var + eps) * w[c] + b[c]
    return out


def _windows(size, out):
    """PyTorch's adaptive windows, worked with integers: floor(i·size/out), ceil(...)."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _naive_adaptive(x, oh, ow, reduce):
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow))
    for i, (r0, r1) in enumerate(_windows(h, oh)):
        for j, (c0, c1) in enumerate(_windows(w, ow)):
            out[:, :, i, j] = reduce(x[:, :, r0:r1, c0:c1], axis=(2, 3))
    return out


def _naive_argmax(x, oh, ow):
    """The first maximum of each window in row-major order, as row·W + column."""
    n, c, h, w = x.shape
    idx = np.empty((n, c, oh, ow), np.int64)
    for a, b in np.ndindex(n, c):
        for i, (r0, r1) in enumerate(_windows(h, oh)):
            for j, (c0, c1) in enumerate(_windows(w, ow)):
                best = None
                for r in range(r0, r1):
                    for s in range(c0, c1):
                        if best is None or x[a, b, r, s] > x[a, b, best // w, best % w]:
                            best = r * w + s
                idx[a, b, i, j] = best
    return idx


# ----- BatchNorm2d ----------------------------------------------------------------------------
def test_batch_norm2d_training_normalises_each_channel_over_n_h_w():
    x = seeded().normal(2.0, 3.0, size=(3, 2, 4, 5))
    bn = nn.BatchNorm2d(2, dtype="float64")
    bn.weight.data[:] = [1.5, -0.5]
    bn.bias.data[:] = [0.25, 2.0]
    mean, var, _ = _channel_stats(x)
    expected = _naive_batch_norm(x, mean, var, [1.5, -0.5], [0.25, 2.0])
    np.testing.assert_allclose(bn(x).data, expected, **TOL)


def test_batch_norm2d_running_statistics_over_several_steps_and_eval():
    bn = nn.BatchNorm2d(3, momentum=0.3, dtype="float64")
    running_mean, running_var = np.zeros(3), np.ones(3)
    for step in range(4):
        x = seeded(step).normal(step, 1.0 + step, size=(2, 3, 3, 4))
        bn(x)
        mean, var, n = _channel_stats(x)
        running_mean = 0.7 * running_mean + 0.3 * mean
        running_var = 0.7 * running_var + 0.3 * var * n / (n - 1)  # unbiased
    np.testing.assert_allclose(bn.running_mean, running_mean, **TOL)
    np.testing.assert_allclose(bn.running_var, running_var, **TOL)
    x = seeded(9).normal(size=(2, 3, 2, 2))
    bn.eval()
    expected = _naive_batch_norm(x, running_mean, running_var, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(bn(x).data, expected, **TOL)
    np.testing.assert_allclose(bn.running_mean, running_mean, **TOL)  # eval leaves them


def test_batch_norm2d_without_affine_or_running_statistics():
    bn = nn.BatchNorm2d(2, affine=False, track_running_stats=False, dtype="float64")
    assert bn.weight is None
    assert bn.bias is None
    assert bn.running_mean is None
    assert bn.state_dict() == {}
    assert list(bn.parameters()) == []
    x = seeded(1).normal(size=(2, 2, 3, 3))
    mean, var, _ = _channel_stats(x)
    expected = _naive_batch_norm(x, mean, var, np.ones(2), np.zeros(2))
    np.testing.assert_allclose(bn.eval()(x).data, expected, **TOL)  # batch statistics
    no_bias = nn.BatchNorm2d(2, bias=False)
    assert [name for name, _ in no_bias.named_parameters()] == ["weight"]


def test_batch_norm2d_checks_and_repr():
    bn = nn.BatchNorm2d(4)
    assert repr(bn) == (
        "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert bn(np.ones((2, 4, 1, 1), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="N, 4, H, W"):
        bn(np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match="more than one value"):
        bn(np.ones((1, 4, 1, 1)))
    with pytest.raises(TypeError, match="or None"):
        nn.BatchNorm2d(4, momentum="0.1")
    with pytest.raises(ValueError, match="eps"):
        nn.BatchNorm2d(4, eps=0)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batch_norm_gradients_by_finite_differences(training):
    x = seeded(2).normal(size=(2, 3, 2, 3))
    w, b = seeded(3).normal(size=3), seeded(4).normal(size=3)
    mean, var = np.array([0.5, -1.0, 2.0]), np.array([0.25, 4.0, 1.5])
    stats = (None, None) if training else (mean, var)

    def f(x, w, b):
        return F.batch_norm(x, *stats, w, b, training)

    assert cr.gradcheck(f, [x, w, b])


def test_functional_batch_norm_updates_the_given_arrays_and_takes_any_rank():
    x = seeded(5).normal(size=(4, 2, 3))
    mean, var = np.zeros(2), np.ones(2)
    out = F.batch_norm(x, mean, var, training=True, momentum=0.5)
    batch_mean, batch_var, n = _channel_stats(x)
    np.testing.assert_allclose(mean, 0.5 * batch_mean, **TOL)
    np.testing.assert_allclose(var, 0.5 + 0.5 * batch_var * n / (n - 1), **TOL)
    ones, zeros = np.ones(2), np.zeros(2)
    np.testing.assert_allclose(
        out.data, _naive_batch_norm(x, batch_mean, batch_var, ones, zeros), **TOL
    )
    with pytest.raises(ValueError, match="running_mean and running_var"):
        F.batch_norm(x, None, None)


# ----- GroupNorm ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 6, 3, 2), (3, 6), (2, 6, 5)], ids=["NCHW", "NC", "NCL"])
def test_group_norm_against_a_loop(shape):
    x = seeded(6).normal(1.0, 2.0, size=shape)
    w, b = seeded(7).normal(size=6), seeded(8).normal(size=6)
    expected = _naive_group_norm(x, 3, w, b)
    np.testing.assert_allclose(F.group_norm(x, 3, w, b).data, expected, **TOL)
    gn = nn.GroupNorm(3, 6, dtype="float64")
    gn.weight.data[:], gn.bias.data[:] = w, b
    np.testing.assert_allclose(gn(x).data, expected, **TOL)
    np.testing.assert_allclose(gn.eval()(x).data, expected, **TOL)


def test_group_norm_gradients_by_finite_differences():
    x = seeded(9).normal(size=(2, 4, 2, 3))
    w, b = seeded(10).normal(size=4), seeded(11).normal(size=4)
    assert cr.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), [x, w, b])


def test_group_norm_checks_and_repr():
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert nn.GroupNorm(2, 4, affine=False).state_dict() == {}
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match="equal groups"):
        F.group_norm(np.ones((2, 4, 2)), 3)


# ----- Dropout2d ------------------------------------------------------------------------------
def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    x = seeded(12).normal(size=(4, 6, 3, 5))
    out = F.dropout2d(x, 0.25, generator=np.random.default_rng(3)).data
    kept = np.random.default_rng(3).random((4, 6)) >= 0.25  # the mask drawn from (N, C)
    np.testing.assert_allclose(out[kept], x[kept] / 0.75, **TOL)
    assert not out[~kept].any()
    assert 0 < kept.sum() < kept.size


def test_dropout2d_share_of_channels_dropped_is_p():
    n, c, p = 400, 50, 0.3
    out = nn.Dropout2d(p, np.random.default_rng(4))(np.ones((n, c, 2, 2))).data
    dropped = (out == 0).all(axis=(2, 3))
    assert ((out == 0) | (out == 1 / (1 - p))).all()
    assert (out.min(axis=(2, 3)) == out.max(axis=(2, 3))).all()  # one value per channel
    assert abs(dropped.mean() - p) < 4 * math.sqrt(p * (1 - p) / (n * c))  # 4 sigma


def test_dropout2d_eval_identity_gradient_and_repr():
    x = seeded(13).normal(size=(2, 3, 2, 2))
    layer = nn.Dropout2d(0.5)
    assert repr(layer) == "Dropout2d(p=0.5, inplace=False)"
    np.testing.assert_array_equal(layer.eval()(x).data, x)
    f = lambda x: F.dropout2d(x, 0.4, generator=np.random.default_rng(7))  # noqa: E731
    assert cr.gradcheck(f, [x])


def test_dropout2d_treats_a_3d_input_as_pytorch_does():
    """(A, B, L) is taken as (N, C, L), with PyTorch's warning: rows of L are dropped."""
    x = np.ones((3, 8, 4))
    with pytest.warns(UserWarning, match="3D input to dropout2d"):
        out = F.dropout2d(x, 0.5, generator=np.random.default_rng(5)).data
    kept = np.random.default_rng(5).random((3, 8)) >= 0.5
    np.testing.assert_array_equal(out, np.where(kept[:, :, None], 2.0, 0.0) * x)
    with pytest.raises(ValueError, match="use dropout"):
        F.dropout2d(np.ones((3, 8)))


# ----- adaptive pooling -----------------------------------------------------------------------
SIZES = [1, 3, (2, 4), (4, None), (None, 2), (7, 9)]


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_adaptive_pools_against_loops(size):
    x = seeded(14).normal(size=(2, 3, 5, 7))
    oh, ow = (size, size) if isinstance(size, int) else (size[0] or 5, size[1] or 7)
    np.testing.assert_allclose(
        F.adaptive_avg_pool2d(x, size).data, _naive_adaptive(x, oh, ow, np.mean), **TOL
    )
    out, idx = F.adaptive_max_pool2d(x, size, return_indices=True)
    np.testing.assert_array_equal(out.data, _naive_adaptive(x, oh, ow, np.max))
    np.testing.assert_array_equal(idx.data, _naive_argmax(x, oh, ow))


@pytest.mark.parametrize("size", [(2, 3), (4, 5)], ids=str)
def test_adaptive_pools_gradients_by_finite_differences(size):
    x = seeded(15).normal(size=(1, 2, 5, 4))
    assert cr.gradcheck(lambda x: F.adaptive_avg_pool2d(x, size), [x])
    assert cr.gradcheck(lambda x: F.adaptive_max_pool2d(x, size), [x])


def test_adaptive_max_pool_ties_go_to_the_first_maximum():
    x = cr.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    out, idx = F.adaptive_max_pool2d(x, 2, True)  # windows rows/columns [0, 2) and [1, 3)
    out.sum().backward()
    np.testing.assert_array_equal(idx.data[0, 0], [[0, 1], [3, 4]])
    np.testing.assert_array_equal(x.grad[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_adaptive_pools_unbatched_and_repr():
    x = seeded(16).normal(size=(3, 6, 6))
    np.testing.assert_allclose(
        nn.AdaptiveAvgPool2d(2)(x).data, _naive_adaptive(x[None], 2, 2, np.mean)[0], **TOL
    )
    out, idx = nn.AdaptiveMaxPool2d((3, None), return_indices=True)(x)
    assert out.shape == (3, 3, 6)
    assert idx.shape == (3, 3, 6)
    assert repr(nn.AdaptiveAvgPool2d((5, None))) == "AdaptiveAvgPool2d(output_size=(5, None))"
    assert repr(nn.AdaptiveMaxPool2d(3)) == "AdaptiveMaxPool2d(output_size=3)"
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(x, 0)


# ----- against PyTorch ------------------------------------------------------------------------
def test_batch_norm2d_matches_pytorch_over_several_steps():
    torch = torch_or_skip()
    ours = nn.BatchNorm2d(3, momentum=0.2, dtype="float64")
    theirs = torch.nn.BatchNorm2d(3, momentum=0.2, dtype=torch.float64)
    w, b = seeded(17).normal(size=3), seeded(18).normal(size=3)
    ours.weight.data[:], ours.bias.data[:] = w, b
    with torch.no_grad():
        theirs.weight[:], theirs.bias[:] = torch.tensor(w), torch.tensor(b)
    for step in range(3):
        x = seeded(step).normal(step, 2.0, size=(4, 3, 3, 5))
        _compare_step(torch, ours, theirs, x)
    ours.eval(), theirs.eval()
    _compare_step(torch, ours, theirs, seeded(5).normal(size=(2, 3, 2, 2)))
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name).numpy(), **TOL)
    _compare_state(ours, theirs)


def _compare_step(torch, ours, theirs, x):
    """Outputs and the gradients of x, weight and bias for one weighted sum of the output."""
    v = seeded(99).normal(size=x.shape)
    xs, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.zero_grad(), theirs.zero_grad()
    out, expected = ours(xs), theirs(xt)
    (out * v).sum().backward()
    (expected * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xs.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    for name in ("weight", "bias"):
        mine, torchs = getattr(ours, name).grad, getattr(theirs, name).grad.numpy()
        np.testing.assert_allclose(mine, torchs, rtol=1e-10, atol=1e-10)


def _compare_state(ours, theirs):
    """The keys, in order, and the shapes are PyTorch's (its count of batches included)."""
    mine, torchs = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(torchs)
    assert all(mine[k].shape == tuple(torchs[k].shape) for k in mine)


@pytest.mark.parametrize("kwargs", [{"affine": False}, {"track_running_stats": False}])
def test_batch_norm2d_options_match_pytorch(kwargs):
    torch = torch_or_skip()
    ours, theirs = nn.BatchNorm2d(2, **kwargs), torch.nn.BatchNorm2d(2, **kwargs)
    assert repr(ours) == repr(theirs)
    _compare_state(ours, theirs)
    x = seeded(19).normal(size=(3, 2, 2, 3)).astype(np.float32)
    ours(x), theirs(torch.tensor(x))
    ours.eval(), theirs.eval()
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(x).data, expected, rtol=1e-5, atol=1e-5)


def test_group_norm_matches_pytorch():
    torch = torch_or_skip()
    ours, theirs = nn.GroupNorm(2, 6, dtype="float64"), torch.nn.GroupNorm(2, 6).double()
    assert repr(ours) == repr(theirs)
    _compare_state(ours, theirs)
    w, b = seeded(20).normal(size=6), seeded(21).normal(size=6)
    ours.weight.data[:], ours.bias.data[:] = w, b
    with torch.no_grad():
        theirs.weight[:], theirs.bias[:] = torch.tensor(w), torch.tensor(b)
    _compare_step(torch, ours, theirs, seeded(22).normal(size=(2, 6, 3, 4)))


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_adaptive_pools_match_pytorch(size):
    torch = torch_or_skip()
    x = seeded(23).normal(size=(2, 3, 5, 7))
    x[0, 0, :2, :2] = 1.0  # a tie
    v = seeded(24).normal(size=F.adaptive_avg_pool2d(x, size).shape)
    for ours, theirs in (
        (F.adaptive_avg_pool2d, torch.nn.functional.adaptive_avg_pool2d),
        (F.adaptive_max_pool2d, torch.nn.functional.adaptive_max_pool2d),
    ):
        xs, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = ours(xs, size), theirs(xt, size)
        (out * v).sum().backward()
        (expected * torch.tensor(v)).sum().backward()
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(xs.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    _, idx = F.adaptive_max_pool2d(x, size, return_indices=True)
    _, expected = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), size, True)
    np.testing.assert_array_equal(idx.data, expected.numpy())


def test_dropout2d_repr_matches_pytorch():
    torch = torch_or_skip()
    assert repr(nn.Dropout2d(0.2)) == repr(torch.nn.Dropout2d(0.2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.nn.functional.dropout2d(torch.ones(200, 8, 4), 0.5).numpy()
    assert (expected.min(axis=2) == expected.max(axis=2)).all()  # PyTorch's 3-D rows too
