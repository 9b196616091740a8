"""InstanceNorm1d, InstanceNorm2d, LocalResponseNorm and their functions: outputs against
loops written here with NumPy and cases worked by hand, running statistics against the
update formula, gradients by finite differences in float64, bad arguments, and PyTorch's
outputs, gradients, buffers, reprs and state keys in train and eval mode."""

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
def _naive_instance_norm(x, w=None, b=None, eps=1e-5):
    """Each (sample, channel) plane normalised by its own mean and biased variance."""
    out = np.empty_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            plane = x[n, c].ravel()
            mean = sum(plane) / plane.size
            var = sum((v - mean) ** 2 for v in plane) / plane.size
            scale = 1.0 if w is None else w[c]
            shift = 0.0 if b is None else b[c]
            out[n, c] = (x[n, c] - mean) / math.sqrt(var + eps) * scale + shift
    return out


def _naive_lrn(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """y[n, c] = x[n, c] / (k + α/size · Σ_{c'} x[n, c']²)^β, the window's missing channels
    zeros."""
    out = np.empty_like(x)
    channels = x.shape[1]
    for c in range(channels):
        total = np.zeros_like(x[:, 0])
        for other in range(c - size // 2, c + (size - 1) // 2 + 1):
            if 0 <= other < channels:
                total = total + x[:, other] ** 2
        out[:, c] = x[:, c] / (k + alpha / size * total) ** beta
    return out


# ----- instance normalisation -----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 5), (1, 2, 4, 3), (3, 1, 2, 2, 2)])
def test_instance_norm_matches_the_loop(shape):
    x = seeded(1).normal(2.0, 3.0, shape)
    w, b = seeded(2).normal(size=shape[1]), seeded(3).normal(size=shape[1])
    np.testing.assert_allclose(F.instance_norm(x).data, _naive_instance_norm(x), **TOL)
    out = F.instance_norm(x, weight=w, bias=b, eps=1e-3).data
    np.testing.assert_allclose(out, _naive_instance_norm(x, w, b, 1e-3), **TOL)


def test_instance_norm_worked_by_hand():
    # plane [1, 3]: mean 2, variance 1, so (x − 2)/√(1 + eps) = ∓1/√(1 + eps), then ·2 + 0.5
    x = np.array([[[1.0, 3.0]]])
    out = F.instance_norm(x, weight=np.array([2.0]), bias=np.array([0.5])).data
    root = math.sqrt(1 + 1e-5)
    np.testing.assert_allclose(out, [[[0.5 - 2 / root, 0.5 + 2 / root]]], **TOL)


def test_running_statistics_worked_by_hand():
    # instances [1, 3] and [0, 4]: means 2 and 2, unbiased variances 2 and 8 (means 2, 5)
    m = nn.InstanceNorm1d(1, track_running_stats=True, dtype="float64")
    x = np.array([[[1.0, 3.0]], [[0.0, 4.0]]])
    train = m(x).data
    np.testing.assert_allclose(m.running_mean, [0.9 * 0 + 0.1 * 2], **TOL)
    np.testing.assert_allclose(m.running_var, [0.9 * 1 + 0.1 * 5], **TOL)
    np.testing.assert_allclose(train, _naive_instance_norm(x), **TOL)  # the instance's own
    assert int(m.num_batches_tracked) == 0  # PyTorch's InstanceNorm never counts
    m.eval()
    np.testing.assert_allclose(m(x).data, (x - 0.2) / math.sqrt(1.4 + 1e-5), **TOL)


def test_momentum_none_leaves_the_running_statistics():
    m = nn.InstanceNorm2d(2, momentum=None, track_running_stats=True, dtype="float64")
    m(seeded(4).normal(size=(2, 2, 3, 3)))
    np.testing.assert_array_equal(m.running_mean, [0.0, 0.0])
    np.testing.assert_array_equal(m.running_var, [1.0, 1.0])


def test_eval_without_tracking_uses_the_instance_statistics():
    m = nn.InstanceNorm1d(3, dtype="float64").eval()
    x = seeded(5).normal(size=(2, 3, 4))
    np.testing.assert_allclose(m(x).data, _naive_instance_norm(x), **TOL)
    assert m.running_mean is None
    assert m.running_var is None


def test_unbatched_input_is_a_batch_of_one():
    x = seeded(6).normal(size=(3, 4, 5))
    m = nn.InstanceNorm2d(3, affine=True, dtype="float64")
    np.testing.assert_allclose(m(x).data, _naive_instance_norm(x[None])[0], **TOL)
    assert nn.InstanceNorm1d(3)(x[:, 0]).shape == (3, 5)


def test_gradients_by_finite_differences():
    x = cr.tensor(seeded(7).normal(size=(2, 3, 4)), requires_grad=True)
    w = cr.tensor(seeded(8).normal(size=3), requires_grad=True)
    b = cr.tensor(seeded(9).normal(size=3), requires_grad=True)
    assert cr.gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [x, w, b])
    m = nn.InstanceNorm2d(2, track_running_stats=True, dtype="float64").eval()
    m.running_mean[:] = [0.5, -1.0]
    m.running_var[:] = [2.0, 0.25]
    y = cr.tensor(seeded(10).normal(size=(2, 2, 2, 3)), requires_grad=True)
    assert cr.gradcheck(lambda y: m(y), [y])


def test_state_keys_and_repr():
    assert list(nn.InstanceNorm1d(3).state_dict()) == []
    keys = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    m = nn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert list(m.state_dict()) == keys
    assert repr(m) == (
        "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)"
    )


def test_integer_input_takes_the_layer_dtype():
    out = nn.InstanceNorm1d(1)(np.array([[[1, 3]]]))
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nn.InstanceNorm1d(3)(np.zeros((2, 3, 4, 5))), r"InstanceNorm1d\(3\).*\(N, 3, L\)"),
        (lambda: nn.InstanceNorm2d(3)(np.zeros((2, 3, 4))), r"InstanceNorm2d\(3\).*\(N, 3, H, W\)"),
        (
            lambda: nn.InstanceNorm1d(3)(np.zeros((2, 4, 5))),
            r"InstanceNorm1d\(3\).*got \(2, 4, 5\)",
        ),
        (lambda: nn.InstanceNorm1d(2)(np.zeros((3, 2, 1))), "more than 1 spatial element"),
        (lambda: F.instance_norm(np.zeros((2, 3))), "instance_norm: input must be"),
        (lambda: F.instance_norm(np.zeros((2, 3, 4)), weight=np.ones(2)), "weight"),
        (lambda: F.instance_norm(np.zeros((2, 3, 4)), use_input_stats=False), "running_mean"),
        (lambda: nn.InstanceNorm1d(0), "num_features"),
        (lambda: nn.InstanceNorm1d(3, eps=0), "eps"),
        (lambda: nn.InstanceNorm1d(3, momentum=2), "momentum"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("dims", "shape", "affine", "track"),
    [
        (1, (2, 3, 5), False, False),
        (1, (3, 6), True, True),
        (2, (2, 3, 4, 5), True, False),
        (2, (3, 4, 4), False, True),
        (2, (4, 3, 2, 3), True, True),
    ],
)
def test_against_pytorch_train_and_eval(dims, shape, affine, track):
    torch = torch_or_skip()
    name = f"InstanceNorm{dims}d"
    c = shape[-dims - 1]
    mine = getattr(nn, name)(c, affine=affine, track_running_stats=track, dtype="float64")
    theirs = getattr(torch.nn, name)(c, affine=affine, track_running_stats=track).double()
    if affine:
        for p in (theirs.weight, theirs.bias):
            p.data.normal_()
        mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    for step in range(3):
        if step == 2:
            mine.eval(), theirs.eval()
        x = seeded(step).normal(1.0, 2.0, shape)
        g = seeded(10 + step).normal(size=shape)
        xm, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = mine(xm), theirs(xt)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-9)
        (out * g).sum().backward()
        (expected * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(xm.grad, xt.grad.numpy(), rtol=1e-7, atol=1e-9)
        if affine:
            np.testing.assert_allclose(mine.weight.grad, theirs.weight.grad.numpy(), rtol=1e-9)
            mine.zero_grad(), theirs.zero_grad()
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(mine.state_dict()[key], value.numpy(), **TOL)


def test_pytorch_state_loads_strictly():
    torch = torch_or_skip()
    theirs = torch.nn.InstanceNorm1d(4, affine=True, track_running_stats=True)
    theirs(torch.randn(3, 4, 6))
    mine = nn.InstanceNorm1d(4, affine=True, track_running_stats=True)
    mine.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()}, strict=True)
    np.testing.assert_allclose(mine.running_var, theirs.running_var.numpy())


# ----- local response normalisation -----------------------------------------------------------
def test_local_response_norm_worked_by_hand():
    # C = 2, size 2: channel 0 sees channels −1 (a zero) and 0, channel 1 sees 0 and 1
    x = np.array([[[1.0], [2.0]]])
    out = F.local_response_norm(x, 2, alpha=1.0, beta=1.0, k=1.0).data
    np.testing.assert_allclose(out, [[[1 / (1 + 1 / 2)], [2 / (1 + 5 / 2)]]], **TOL)


@pytest.mark.parametrize(
    ("shape", "args"),
    [((2, 5, 3), (3,)), ((1, 4, 2, 3), (2, 0.5, 0.6, 2.0)), ((2, 3, 2, 1, 2), (6, 1.0, 1.5, 0.5))],
)
def test_local_response_norm_matches_the_loop(shape, args):
    x = seeded(11).normal(size=shape)
    np.testing.assert_allclose(F.local_response_norm(x, *args).data, _naive_lrn(x, *args), **TOL)
    assert np.allclose(nn.LocalResponseNorm(*args)(x).data, _naive_lrn(x, *args))


def test_local_response_norm_gradients():
    x = cr.tensor(seeded(12).normal(size=(2, 4, 3)), requires_grad=True)
    assert cr.gradcheck(lambda x: F.local_response_norm(x, 3, alpha=0.5, beta=0.75, k=1.0), [x])


def test_local_response_norm_repr_and_errors():
    assert repr(nn.LocalResponseNorm(3)) == "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)"
    with pytest.raises(ValueError, match=r"local_response_norm: input must be \(N, C, …\)"):
        F.local_response_norm(np.zeros((2, 3)), 2)
    with pytest.raises(ValueError, match="LocalResponseNorm: size"):
        nn.LocalResponseNorm(0)
    with pytest.raises(ValueError, match="beta"):
        nn.LocalResponseNorm(2, beta=float("nan"))


@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 6, 3, 4), (1, 3, 2, 2, 2)])
@pytest.mark.parametrize("args", [(3,), (2, 0.1, 0.5, 2.0), (7, 1.0, 1.2, 0.5)])
def test_local_response_norm_against_pytorch(shape, args):
    torch = torch_or_skip()
    x = seeded(13).normal(size=shape)
    mine, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.local_response_norm(mine, *args), torch.nn.LocalResponseNorm(*args)(theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOL)
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), **TOL)
    assert repr(nn.LocalResponseNorm(*args)) == repr(torch.nn.LocalResponseNorm(*args))
