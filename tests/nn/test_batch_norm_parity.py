"""BatchNorm1d and BatchNorm2d with PyTorch's options: ``affine``, ``track_running_stats``,
``momentum=None`` (a cumulative average) and the ``num_batches_tracked`` count; checked
against the running statistics worked here step by step, and against PyTorch's outputs,
gradients, buffers, state keys and reprs. A state or checkpoint saved before the count
existed still loads."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

TOL = {"rtol": 1e-12, "atol": 1e-12}
# (layer, input shape): BatchNorm1d on (N, C) and (N, C, L), BatchNorm2d on (N, C, H, W)
SHAPES = [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)), (nn.BatchNorm2d, (3, 3, 2, 4))]
IDS = ["1d-NC", "1d-NCL", "2d"]


def _batches(shape, count=4):
    rng = np.random.default_rng(sum(shape))
    return [rng.normal(step, 1.0 + step, size=shape) for step in range(count)]


def _stats(x):
    """Each channel's mean and unbiased variance over every axis but axis 1."""
    rows = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])  # (values, C)
    return rows.mean(axis=0), rows.var(axis=0, ddof=1)


# ----- running statistics against formulas worked here ---------------------------------------
@pytest.mark.parametrize(("layer", "shape"), SHAPES, ids=IDS)
def test_momentum_updates_and_the_count_over_several_steps(layer, shape):
    bn = layer(3, momentum=0.25, dtype="float64")
    mean, var = np.zeros(3), np.ones(3)
    for step, x in enumerate(_batches(shape), start=1):
        bn(x)
        batch_mean, batch_var = _stats(x)
        mean, var = 0.75 * mean + 0.25 * batch_mean, 0.75 * var + 0.25 * batch_var
        assert bn.num_batches_tracked == step
    np.testing.assert_allclose(bn.running_mean, mean, **TOL)
    np.testing.assert_allclose(bn.running_var, var, **TOL)
    bn.eval()(_batches(shape)[0])
    assert bn.num_batches_tracked == 4  # eval counts nothing
    assert bn.num_batches_tracked.dtype == np.int64
    assert bn.num_batches_tracked.shape == ()


@pytest.mark.parametrize(("layer", "shape"), SHAPES, ids=IDS)
def test_momentum_none_is_the_plain_average_of_the_batches_statistics(layer, shape):
    bn = layer(3, momentum=None, dtype="float64")
    batches = _batches(shape, 5)
    for x in batches:
        bn(x)
    # factor 1/k at step k: the first batch replaces the start, then each weighs the same
    means, variances = zip(*map(_stats, batches), strict=True)
    np.testing.assert_allclose(bn.running_mean, np.mean(means, axis=0), **TOL)
    np.testing.assert_allclose(bn.running_var, np.mean(variances, axis=0), **TOL)
    assert bn.num_batches_tracked == 5


@pytest.mark.parametrize(("layer", "shape"), SHAPES, ids=IDS)
def test_without_running_statistics_the_batch_is_used_in_eval_too(layer, shape):
    bn = layer(3, affine=False, track_running_stats=False, dtype="float64")
    assert bn.running_mean is None
    assert bn.running_var is None
    assert bn.num_batches_tracked is None
    assert bn.weight is None
    assert bn.bias is None
    assert bn.state_dict() == {}
    x = _batches(shape)[2]
    mean, var = _stats(x)
    n = x.size // 3
    column = (1, 3) + (1,) * (x.ndim - 2)
    expected = (x - mean.reshape(column)) / np.sqrt(var * (n - 1) / n + 1e-5).reshape(column)
    np.testing.assert_allclose(bn(x).data, expected, **TOL)
    np.testing.assert_allclose(bn.eval()(x).data, expected, **TOL)


def test_affine_false_has_no_parameters_and_a_running_state():
    bn = nn.BatchNorm1d(3, affine=False)
    assert list(bn.parameters()) == []
    assert list(bn.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in nn.BatchNorm1d(3, bias=False).named_parameters()] == ["weight"]


def test_reprs_show_every_option():
    assert repr(nn.BatchNorm1d(4)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.BatchNorm2d(2, momentum=None, affine=False, track_running_stats=False)) == (
        "BatchNorm2d(2, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=False)"
    )


# ----- states saved before num_batches_tracked ------------------------------------------------
def _old_layout(state: dict) -> dict:
    """A state as chainrule saved it before the count existed."""
    return {n: v for n, v in state.items() if not n.endswith("num_batches_tracked")}


@pytest.mark.parametrize("layer", [nn.BatchNorm1d, nn.BatchNorm2d])
def test_a_state_without_the_count_loads_strictly_and_leaves_it(layer):
    trained = layer(3, dtype="float64")
    for x in _batches((4, 3) if layer is nn.BatchNorm1d else (4, 3, 2, 2)):
        trained(x)
    old = _old_layout(trained.state_dict())
    assert list(old) == ["weight", "bias", "running_mean", "running_var"]
    fresh = nn.Sequential(layer(3, dtype="float64"))
    result = fresh.load_state_dict({f"0.{n}": v for n, v in old.items()})
    assert result == ([], [])
    assert fresh[0].num_batches_tracked == 0  # PyTorch's rule: left as the model has it
    np.testing.assert_array_equal(fresh[0].running_var, trained.running_var)
    missing = {f"0.{n}": v for n, v in old.items() if n != "running_var"}
    with pytest.raises(ValueError, match=r"missing from the state: 0\.running_var$"):
        fresh.load_state_dict(missing)  # only the count may be absent


def test_a_checkpoint_written_in_the_old_layout_loads(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model(np.random.default_rng(0).normal(size=(5, 3)))
    old = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    old.load_state_dict(model.state_dict())
    old[1].num_batches_tracked = None  # a buffer that is None is not saved: the old file
    cr.save(tmp_path / "old.safetensors", old, epoch=2)
    tensors, _ = cr._checkpoint_format.read_checkpoint(tmp_path / "old.safetensors")
    assert "model/1.num_batches_tracked" not in tensors
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    assert cr.load(tmp_path / "old.safetensors", fresh) == {"epoch": 2}
    loaded = fresh.state_dict()
    for name, value in _old_layout(model.state_dict()).items():
        np.testing.assert_array_equal(loaded[name], value)
    assert loaded["1.num_batches_tracked"] == 0


def test_a_checkpoint_keeps_the_count(tmp_path):
    model = nn.BatchNorm2d(2, momentum=None)
    for x in _batches((3, 2, 2, 2), 3):
        model(x)
    cr.save(tmp_path / "m.safetensors", model)
    fresh = nn.BatchNorm2d(2, momentum=None)
    cr.load(tmp_path / "m.safetensors", fresh)
    assert fresh.num_batches_tracked == 3
    assert fresh.num_batches_tracked.dtype == np.int64


# ----- against PyTorch ------------------------------------------------------------------------
OPTIONS = list(itertools.product([True, False], [True, False], [None, 0.1]))
OPTION_IDS = [f"affine={a}-track={t}-momentum={m}" for a, t, m in OPTIONS]


def _pair(torch, layer, affine, track, momentum):
    kwargs = {"momentum": momentum, "affine": affine, "track_running_stats": track}
    ours = layer(3, dtype="float64", **kwargs)
    theirs = getattr(torch.nn, layer.__name__)(3, dtype=torch.float64, **kwargs)
    if affine:
        rng = np.random.default_rng(7)
        w, b = rng.uniform(0.5, 1.5, 3), rng.normal(size=3)
        ours.weight.data[:], ours.bias.data[:] = w, b
        with torch.no_grad():
            theirs.weight[:], theirs.bias[:] = torch.tensor(w), torch.tensor(b)
    return ours, theirs


def _compare_call(torch, ours, theirs, x):
    """Outputs, the gradients of x and of the parameters, and every buffer."""
    v = np.random.default_rng(11).normal(size=x.shape)
    xs, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.zero_grad(), theirs.zero_grad()
    out, expected = ours(xs), theirs(xt)
    (out * v).sum().backward()
    (expected * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xs.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=name)
    for (name, b), (_, t) in zip(ours.named_buffers(), theirs.named_buffers(), strict=True):
        np.testing.assert_allclose(b, t.numpy(), rtol=1e-12, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(("affine", "track", "momentum"), OPTIONS, ids=OPTION_IDS)
@pytest.mark.parametrize(("layer", "shape"), SHAPES, ids=IDS)
def test_training_steps_and_eval_match_pytorch(layer, shape, affine, track, momentum):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, layer, affine, track, momentum)
    assert repr(ours) == repr(theirs)
    for x in _batches(shape):
        _compare_call(torch, ours, theirs, x)
    ours.eval(), theirs.eval()
    _compare_call(torch, ours, theirs, _batches(shape, 5)[4])
    mine, torchs = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(torchs)
    for name, value in mine.items():
        assert value.dtype == torchs[name].numpy().dtype, name
        assert value.shape == tuple(torchs[name].shape), name


@pytest.mark.parametrize(("affine", "track", "momentum"), OPTIONS, ids=OPTION_IDS)
@pytest.mark.parametrize(("layer", "shape"), SHAPES, ids=IDS)
def test_pytorchs_state_loads_strictly_and_goes_on_as_pytorch(
    layer, shape, affine, track, momentum
):
    torch = pytest.importorskip("torch")
    theirs = _pair(torch, layer, affine, track, momentum)[1]
    batches = _batches(shape)
    for x in batches[:3]:
        theirs(torch.tensor(x))
    ours = layer(3, momentum=momentum, affine=affine, track_running_stats=track, dtype="float64")
    state = {n: v.numpy() for n, v in theirs.state_dict().items()}
    assert ours.load_state_dict(state) == ([], [])
    if track:
        assert ours.num_batches_tracked == 3
    _compare_call(torch, ours, theirs, batches[3])  # momentum=None goes on at 1/4


def test_a_state_of_none_of_the_names_still_says_so():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))  # its count may be absent
    with pytest.raises(ValueError, match="the state holds none of the model's names"):
        model.load_state_dict({"encoder.weight": np.ones((2, 3))})
