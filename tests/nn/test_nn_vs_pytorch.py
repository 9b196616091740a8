"""Layers, losses and initialisers against PyTorch (float64): the same weights and inputs give
the same outputs and the same gradients of the input and of every parameter.

chainrule's Linear keeps its weight as (in, out), PyTorch's as (out, in): weights are
transposed when copied. Skipped when PyTorch is not installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402

TOL = {"rtol": 1e-12, "atol": 1e-12}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _pair(a: np.ndarray, requires_grad: bool = True):
    """The same float64 array as a chainrule and as a PyTorch leaf."""
    a = np.asarray(a, dtype=np.float64)
    return (
        cr.tensor(a.copy(), requires_grad=requires_grad),
        torch.tensor(a.copy(), requires_grad=requires_grad),
    )


def _backward(ours, theirs, seed: int = 1) -> None:
    """Backward from both outputs with one random upstream gradient."""
    upstream = _rng(seed).standard_normal(ours.shape)
    ours.backward(upstream.copy())
    theirs.backward(torch.tensor(upstream))


def _close(ours, theirs) -> None:
    expected = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    np.testing.assert_allclose(np.asarray(ours), expected, **TOL)


def _copy_linear(ours: nn.Linear, theirs: torch.nn.Linear) -> None:
    """PyTorch's weight is chainrule's transposed: (out, in) against (in, out)."""
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data.T))
        if ours.bias is not None:
            theirs.bias.copy_(torch.tensor(ours.bias.data))


# ----- layers -------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape", [(6, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(x_shape, bias):
    ours = nn.Linear(4, 3, bias=bias, dtype="float64", generator=_rng(2))
    theirs = torch.nn.Linear(4, 3, bias=bias, dtype=torch.float64)
    if bias:
        ours.bias.data[...] = _rng(3).standard_normal(3)
    _copy_linear(ours, theirs)
    x, tx = _pair(_rng().standard_normal(x_shape))
    out, tout = ours(x), theirs(tx)
    _close(out.data, tout)
    _backward(out, tout)
    _close(x.grad, tx.grad)
    _close(ours.weight.grad, theirs.weight.grad.T)
    if bias:
        _close(ours.bias.grad, theirs.bias.grad)


ACTIVATIONS = {
    "relu": (nn.ReLU(), torch.nn.ReLU()),
    "sigmoid": (nn.Sigmoid(), torch.nn.Sigmoid()),
    "tanh": (nn.Tanh(), torch.nn.Tanh()),
    "leaky_relu": (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    "leaky_relu-0.2": (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    "leaky_relu-negative": (nn.LeakyReLU(-0.5), torch.nn.LeakyReLU(-0.5)),
    "elu": (nn.ELU(), torch.nn.ELU()),
    "elu-0.5": (nn.ELU(0.5), torch.nn.ELU(0.5)),
    "silu": (nn.SiLU(), torch.nn.SiLU()),
    "gelu": (nn.GELU(), torch.nn.GELU()),
    "gelu-tanh": (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    "softplus": (nn.Softplus(), torch.nn.Softplus()),
    "softplus-2-1": (nn.Softplus(2.0, 1.0), torch.nn.Softplus(2.0, 1.0)),
    "softmax-last": (nn.Softmax(), torch.nn.Softmax(dim=-1)),
    "softmax-0": (nn.Softmax(axis=0), torch.nn.Softmax(dim=0)),
    "softmax-1": (nn.Softmax(axis=1), torch.nn.Softmax(dim=1)),
    "flatten": (nn.Flatten(), torch.nn.Flatten()),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2)])
def test_activation(name, shape):
    """Including exact zeros, where ReLU's gradient is 0 and LeakyReLU's is the slope."""
    ours, theirs = ACTIVATIONS[name]
    a = _rng().standard_normal(shape) * 3
    a.flat[::5] = 0.0
    x, tx = _pair(a)
    out, tout = ours(x), theirs(tx)
    _close(out.data, tout)
    _backward(out, tout)
    _close(x.grad, tx.grad)


def test_sequential_mlp():
    ours = nn.Sequential(
        nn.Linear(5, 8, dtype="float64", generator=_rng(1)),
        nn.Tanh(),
        nn.Linear(8, 6, dtype="float64", generator=_rng(2)),
        nn.LeakyReLU(0.1),
        nn.Linear(6, 3, dtype="float64", generator=_rng(3)),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(5, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 6),
        torch.nn.LeakyReLU(0.1),
        torch.nn.Linear(6, 3),
    ).double()
    for i in (0, 2, 4):
        ours[i].bias.data[...] = _rng(10 + i).standard_normal(ours[i].bias.shape)
        _copy_linear(ours[i], theirs[i])
    x, tx = _pair(_rng().standard_normal((7, 5)))
    out, tout = ours(x), theirs(tx)
    _close(out.data, tout)
    _backward(out, tout)
    _close(x.grad, tx.grad)
    for i in (0, 2, 4):
        _close(ours[i].weight.grad, theirs[i].weight.grad.T)
        _close(ours[i].bias.grad, theirs[i].bias.grad)


def test_dropout_in_eval_mode_is_the_identity():
    layer = nn.Dropout(0.7)
    layer.eval()
    x, tx = _pair(_rng().standard_normal((4, 5)))
    theirs = torch.nn.Dropout(0.7).eval()
    _close(layer(x).data, theirs(tx))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_in_training_scales_by_one_over_keep_and_drops_a_fraction_p(p):
    """The masks differ (different generators), so only their statistics are compared."""
    a = _rng().uniform(1, 2, (200, 500))
    ours = nn.Dropout(p, generator=_rng(4))(cr.tensor(a)).data
    torch.manual_seed(0)
    theirs = torch.nn.Dropout(p)(torch.tensor(a)).numpy()
    for out in (ours, theirs):
        kept = out != 0
        np.testing.assert_allclose(out[kept], a[kept] / (1 - p), rtol=1e-15)
        assert abs((~kept).mean() - p) < 4 * math.sqrt(p * (1 - p) / a.size)


def test_dropout_gradient_is_the_scaled_mask():
    x = cr.tensor(_rng().standard_normal((50, 40)), requires_grad=True)
    out = nn.Dropout(0.3, generator=_rng(5))(x)
    out.sum().backward()
    kept = out.data != 0
    np.testing.assert_array_equal(x.grad, kept / 0.7)


def _batchnorm_pair(c: int, eps: float, momentum: float):
    ours = nn.BatchNorm1d(c, eps=eps, momentum=momentum, dtype="float64")
    theirs = torch.nn.BatchNorm1d(c, eps=eps, momentum=momentum, dtype=torch.float64)
    ours.weight.data[...] = _rng(7).uniform(0.5, 2, c)
    ours.bias.data[...] = _rng(8).standard_normal(c)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    return ours, theirs


def _batchnorm_step(ours, theirs, a: np.ndarray, seed: int) -> None:
    """One forward and backward on both; outputs, gradients and buffers must agree."""
    ours.zero_grad()
    theirs.zero_grad()
    x, tx = _pair(a)
    out, tout = ours(x), theirs(tx)
    _close(out.data, tout)
    _backward(out, tout, seed)
    _close(x.grad, tx.grad)
    _close(ours.weight.grad, theirs.weight.grad)
    _close(ours.bias.grad, theirs.bias.grad)
    _close(ours.running_mean, theirs.running_mean)
    _close(ours.running_var, theirs.running_var)


@pytest.mark.parametrize("shape", [(8, 3), (2, 3, 5), (2, 3)])
@pytest.mark.parametrize(("eps", "momentum"), [(1e-5, 0.1), (0.3, 0.25), (1e-3, 1.0)])
def test_batchnorm_over_several_training_steps_then_eval(shape, eps, momentum):
    ours, theirs = _batchnorm_pair(shape[1], eps, momentum)
    rng = _rng(9)
    for step in range(4):
        _batchnorm_step(ours, theirs, rng.normal(step, 1 + step, shape), seed=step)
    ours.eval()
    theirs.eval()
    _batchnorm_step(ours, theirs, rng.standard_normal(shape), seed=5)


# ----- losses -------------------------------------------------------------------------------
REDUCTIONS = ["mean", "sum", "none"]


def _loss_check(ours, theirs, logits: np.ndarray, target, target_grad: bool = False) -> None:
    """Value and gradients of a loss of (logits, target) on both libraries."""
    x, tx = _pair(logits)
    if target_grad:
        t, tt = _pair(target)
    else:
        t = target
        tt = torch.tensor(target)
    out, tout = ours(x, t), theirs(tx, tt)
    _close(out.data, tout)
    _backward(out, tout)
    _close(x.grad, tx.grad)
    if target_grad:
        _close(t.grad, tt.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(reduction):
    pred, target = _rng().standard_normal((6, 3)), _rng(1).standard_normal((6, 3))
    ours, theirs = nn.MSELoss(reduction), torch.nn.MSELoss(reduction=reduction)
    _loss_check(ours, theirs, pred, target, target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss, nn.SoftmaxCrossEntropy])
def test_cross_entropy_with_class_labels(loss, reduction):
    logits = _rng().standard_normal((7, 4)) * 4
    logits[0] = [800.0, -800.0, 0.0, 1.0]  # log-sum-exp keeps this finite in both
    labels = _rng(1).integers(0, 4, 7)
    _loss_check(loss(reduction), torch.nn.CrossEntropyLoss(reduction=reduction), logits, labels)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probability_targets(reduction):
    logits = _rng().standard_normal((6, 5)) * 3
    target = _rng(1).dirichlet(np.ones(5), 6)
    target[0] = np.eye(5)[2]  # a one-hot row: 0·log p counts as 0
    ours, theirs = nn.CrossEntropyLoss(reduction), torch.nn.CrossEntropyLoss(reduction=reduction)
    _loss_check(ours, theirs, logits, target, target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    logits = _rng().standard_normal((5, 4)) * 5
    logits[0] = [0.0, 40.0, -40.0, 700.0]
    target = _rng(1).uniform(0, 1, (5, 4))
    target[1] = [0.0, 1.0, 0.0, 1.0]
    ours, theirs = nn.BCEWithLogitsLoss(reduction), torch.nn.BCEWithLogitsLoss(reduction=reduction)
    _loss_check(ours, theirs, logits, target, target_grad=True)


# ----- initialisers -------------------------------------------------------------------------
IN, OUT = 600, 150  # unequal, so that swapping fan_in and fan_out would show
INITS = {
    "xavier_normal": (nn.init.xavier_normal_, torch.nn.init.xavier_normal_, "std"),
    "xavier_uniform": (nn.init.xavier_uniform_, torch.nn.init.xavier_uniform_, "bound"),
    "he_normal": (
        nn.init.he_normal_,
        lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu"),
        "std",
    ),
    "he_uniform": (
        nn.init.he_uniform_,
        lambda w: torch.nn.init.kaiming_uniform_(w, nonlinearity="relu"),
        "bound",
    ),
}


def _torch_scale(kind: str) -> float:
    """PyTorch's std or bound for the same layer: its weight is (out, in)."""
    fan_in, fan_out = IN, OUT
    if kind.startswith("xavier"):
        std = math.sqrt(2.0 / (fan_in + fan_out))
    else:
        std = torch.nn.init.calculate_gain("relu") / math.sqrt(fan_in)
    return std if kind.endswith("normal") else math.sqrt(3.0) * std


@pytest.mark.parametrize("name", INITS)
def test_initialiser_matches_pytorch_for_the_same_layer(name):
    """chainrule's (in, out) weight and PyTorch's (out, in) weight of one layer get the same
    distribution: fan_in is the number of inputs in both."""
    ours_fill, theirs_fill, kind = INITS[name]
    ours = ours_fill(cr.tensor(np.empty((IN, OUT))), generator=_rng()).data
    torch.manual_seed(0)
    theirs = theirs_fill(torch.empty(OUT, IN, dtype=torch.float64)).numpy()
    scale = _torch_scale(name)
    for w in (ours, theirs):
        assert abs(w.mean()) < 5 * scale / math.sqrt(w.size)
        if kind == "std":
            assert w.std() == pytest.approx(scale, rel=0.01)
        else:
            assert np.abs(w).max() <= scale
            assert np.abs(w).max() == pytest.approx(scale, rel=1e-3)
            assert w.std() == pytest.approx(scale / math.sqrt(3.0), rel=0.01)


def test_fans_are_pytorchs_for_the_transposed_weight():
    w = cr.tensor(np.empty((IN, OUT)))
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(OUT, IN))
    assert nn.init.fans(w) == (fan_in, fan_out)


def test_gain_of_xavier_matches_pytorch():
    ours = nn.init.xavier_normal_(cr.tensor(np.empty((IN, OUT))), gain=3.0, generator=_rng())
    assert ours.data.std() == pytest.approx(3.0 * _torch_scale("xavier_normal"), rel=0.01)
