"""LayerNorm and functional.layer_norm: the formula worked with NumPy in float64, gradients
by finite differences (first and second order), PyTorch's outputs and first and second
derivatives, a constant slice, dtypes, training, checkpoints, the summary and the errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

F = nn.functional
TOL = {"rtol": 1e-12, "atol": 1e-12}

# (input shape, normalized_shape): over one and over two trailing dimensions, 2-D and 3-D
CASES = [((5, 4), (4,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((3, 4), (3, 4))]
IDS = [f"{s}-over{n}" for s, n in CASES]


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _expected(x, normalized_shape, weight=None, bias=None, eps=1e-5) -> np.ndarray:
    """y = (x − mean) / sqrt(var + eps) · weight + bias, in float64, over the trailing axes."""
    x = np.asarray(x, np.float64)
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    n = int(np.prod(normalized_shape))
    mean = x.sum(axis=axes, keepdims=True) / n
    var = ((x - mean) ** 2).sum(axis=axes, keepdims=True) / n  # biased: divided by n
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


def _affine(normalized_shape, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    return _rng(seed).standard_normal(normalized_shape), _rng(seed + 1).standard_normal(
        normalized_shape
    )


def _with_params(module, names):
    """f(x, *params) that runs ``module`` with its parameters replaced by gradcheck's inputs."""

    def f(x, *params):
        for name, p in zip(names, params):
            setattr(module, name, p)
        return module(x)

    return f


# ----- the formula ------------------------------------------------------------------------------
@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=IDS)
def test_the_layer_computes_the_formula_with_its_weight_and_bias(shape, normalized_shape):
    x = _rng().standard_normal(shape) * 3 + 2
    w, b = _affine(normalized_shape)
    layer = nn.LayerNorm(normalized_shape, dtype="float64")
    layer.weight.data[...], layer.bias.data[...] = w, b
    out = layer(x)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, _expected(x, normalized_shape, w, b), **TOL)


@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=IDS)
def test_the_function_computes_the_formula_with_and_without_affine(shape, normalized_shape):
    x = _rng().standard_normal(shape)
    w, b = _affine(normalized_shape)
    for weight, bias in [(None, None), (w, None), (None, b), (w, b)]:
        out = F.layer_norm(x, normalized_shape, weight, bias, eps=1e-3)
        np.testing.assert_allclose(
            out.data, _expected(x, normalized_shape, weight, bias, eps=1e-3), **TOL
        )


def test_a_fresh_layer_normalises_each_row_to_mean_0_and_variance_1():
    x = _rng().standard_normal((6, 8)) * 5 - 3
    out = nn.LayerNorm(8, dtype="float64")(x).data
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=1), 1, rtol=1e-3)  # eps shrinks it a little


def test_an_int_normalized_shape_means_one_dimension_and_parameters_start_at_ones_and_zeros():
    layer = nn.LayerNorm(5)
    assert layer.normalized_shape == (5,)
    np.testing.assert_array_equal(layer.weight.data, np.ones(5))
    np.testing.assert_array_equal(layer.bias.data, np.zeros(5))
    two = nn.LayerNorm([2, np.int64(3)])
    assert two.normalized_shape == (2, 3)
    assert two.weight.shape == (2, 3)
    assert two.bias.shape == (2, 3)
    x = _rng().standard_normal((4, 5))
    np.testing.assert_allclose(F.layer_norm(x, 5).data, _expected(x, (5,)), **TOL)


def test_without_affine_or_bias_the_layer_has_fewer_parameters():
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    assert list(nn.LayerNorm(4, elementwise_affine=False).state_dict()) == []
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    assert list(nn.LayerNorm(4).state_dict()) == ["weight", "bias"]
    x = _rng().standard_normal((3, 4))
    plain = nn.LayerNorm(4, elementwise_affine=False, dtype="float64")
    np.testing.assert_allclose(plain(x).data, _expected(x, (4,)), **TOL)


def test_train_and_eval_modes_give_the_same_output():
    x = _rng().standard_normal((3, 4))
    layer = nn.LayerNorm(4, dtype="float64")
    layer.weight.data[...], layer.bias.data[...] = _affine((4,))
    np.testing.assert_array_equal(layer.train()(x).data, layer.eval()(x).data)
    assert list(layer.named_buffers()) == []


# ----- gradients by finite differences ----------------------------------------------------------
@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=IDS)
def test_gradcheck_of_input_weight_and_bias(shape, normalized_shape):
    layer = nn.LayerNorm(normalized_shape, dtype="float64")
    x = _rng().standard_normal(shape)
    w, b = _affine(normalized_shape)
    assert cr.gradcheck(_with_params(layer, ["weight", "bias"]), [x, w, b])


@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=IDS)
def test_gradcheck_without_affine_with_second_order(shape, normalized_shape):
    x = _rng().standard_normal(shape)
    layer = nn.LayerNorm(normalized_shape, elementwise_affine=False, dtype="float64")
    assert cr.gradcheck(layer, [x], check_second_order=True)
    f = lambda x: F.layer_norm(x, normalized_shape).tanh()  # noqa: E731
    assert cr.gradcheck(f, [x], check_second_order=True)


@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=IDS)
def test_gradcheck_of_the_function_with_affine_with_second_order(shape, normalized_shape):
    x = _rng().standard_normal(shape)
    w, b = _affine(normalized_shape)

    def f(x, w, b):
        return F.layer_norm(x, normalized_shape, w, b).tanh()

    assert cr.gradcheck(f, [x, w, b], check_second_order=True)


def test_a_constant_row_gives_a_finite_output_and_gradient():
    x = np.array([[2.0, 2.0, 2.0, 2.0], [1.0, -1.0, 3.0, 0.5]])
    layer = nn.LayerNorm(4, dtype="float64")
    xt = cr.tensor(x, requires_grad=True)
    out = layer(xt)
    (out * out.data + out).sum().backward()
    assert np.isfinite(out.data).all()
    assert np.isfinite(xt.grad).all()
    assert np.isfinite(layer.weight.grad).all()
    assert np.isfinite(layer.bias.grad).all()
    np.testing.assert_array_equal(out.data[0], 0.0)  # (x − μ) = 0 over √eps
    np.testing.assert_allclose(out.data, _expected(x, (4,)), **TOL)
    assert cr.gradcheck(lambda x: F.layer_norm(x, (4,)).sin(), [x], check_second_order=True)


# ----- dtypes ---------------------------------------------------------------------------------
def test_float32_in_float32_out_with_float32_gradients():
    layer = nn.LayerNorm(4)
    x = cr.tensor(_rng().standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    out = layer(x)
    out.sum().backward()
    assert out.dtype == np.float32
    assert x.grad.dtype == np.float32
    assert layer.weight.grad.dtype == np.float32
    assert layer.bias.grad.dtype == np.float32
    assert F.layer_norm(x, (4,)).dtype == np.float32


def test_float64_layer_keeps_float64_and_integer_inputs_take_the_layer_dtype():
    x = np.arange(12).reshape(3, 4)
    for dtype in ("float32", "float64"):
        layer = nn.LayerNorm(4, dtype=dtype)
        assert layer.weight.dtype == dtype
        assert layer.bias.dtype == dtype
        out = layer(x)
        assert out.dtype == dtype
        np.testing.assert_allclose(out.data, _expected(x, (4,)), rtol=1e-5, atol=1e-6)
        assert layer(x > 5).dtype == dtype
    w = np.ones(4)  # float64: an integer input to the function takes the weight's dtype
    assert F.layer_norm(x, (4,), w).dtype == np.float64


# ----- against PyTorch ------------------------------------------------------------------------
def _pair(a: np.ndarray):
    """The same float64 array as a chainrule and as a PyTorch leaf."""
    a = np.asarray(a, dtype=np.float64)
    return cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _layers(normalized_shape, affine: bool, bias: bool):
    ours = nn.LayerNorm(normalized_shape, elementwise_affine=affine, bias=bias, dtype="float64")
    theirs = torch.nn.LayerNorm(normalized_shape, elementwise_affine=affine, bias=bias).double()
    if affine:  # random weights in both, so that the weight's gradient is not trivial
        w, b = _affine(normalized_shape)
        ours.weight.data[...] = w
        theirs.weight.data[...] = torch.tensor(w)
        if bias:
            ours.bias.data[...] = b
            theirs.bias.data[...] = torch.tensor(b)
    return ours, theirs


def _grads(module) -> dict:
    return {n: p.grad for n, p in module.named_parameters()}


@needs_torch
@pytest.mark.parametrize(("affine", "bias"), [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=IDS)
def test_layer_forward_and_backward_match_pytorch(shape, normalized_shape, affine, bias):
    ours, theirs = _layers(normalized_shape, affine, bias)
    x, tx = _pair(_rng().standard_normal(shape) * 2 + 1)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    upstream = _rng(3).standard_normal(shape)
    out.backward(upstream.copy())
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    theirs_grads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    assert sorted(_grads(ours)) == sorted(theirs_grads)
    for name, g in _grads(ours).items():
        np.testing.assert_allclose(g, theirs_grads[name], rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=IDS)
def test_function_forward_and_backward_match_pytorch(shape, normalized_shape):
    w, b = _affine(normalized_shape)
    (x, tx), (cw, tw), (cb, tb) = _pair(_rng().standard_normal(shape)), _pair(w), _pair(b)
    out = F.layer_norm(x, normalized_shape, cw, cb, eps=1e-3)
    tout = torch.nn.functional.layer_norm(tx, normalized_shape, tw, tb, eps=1e-3)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    for ours, theirs in [(x, tx), (cw, tw), (cb, tb)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize(("shape", "normalized_shape"), CASES, ids=IDS)
def test_second_derivatives_match_pytorchs_double_backward(shape, normalized_shape):
    w, b = _affine(normalized_shape)
    (x, tx), (cw, tw), (cb, tb) = _pair(_rng().standard_normal(shape)), _pair(w), _pair(b)
    upstream = _rng(4).standard_normal(shape)
    out = F.layer_norm(x, normalized_shape, cw, cb)
    (out * upstream).sum().backward(create_graph=True)
    gx, gw = x.grad, cw.grad  # first derivatives, themselves differentiable
    tout = torch.nn.functional.layer_norm(tx, normalized_shape, tw, tb)
    tgx, tgw = torch.autograd.grad(
        (tout * torch.tensor(upstream)).sum(), [tx, tw], create_graph=True
    )
    np.testing.assert_allclose(gx.data, tgx.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw.data, tgw.detach().numpy(), rtol=1e-10, atol=1e-12)
    x.grad = cw.grad = cb.grad = None
    ((gx * gx).sum() + (gw * gw.sin()).sum()).backward()
    ((tgx * tgx).sum() + (tgw * tgw.sin()).sum()).backward()
    for ours, theirs in [(x, tx), (cw, tw)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-11)
    assert cb.grad is None or not np.any(cb.grad)  # the first derivatives do not involve b


@needs_torch
@pytest.mark.parametrize("normalized_shape", [4, (4,), (2, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_the_repr_is_pytorchs(normalized_shape, bias):
    ours = nn.LayerNorm(normalized_shape, eps=1e-3, bias=bias)
    assert repr(ours) == repr(torch.nn.LayerNorm(normalized_shape, eps=1e-3, bias=bias))
    plain = nn.LayerNorm(normalized_shape, elementwise_affine=False)
    assert repr(plain) == repr(torch.nn.LayerNorm(normalized_shape, elementwise_affine=False))


def test_the_repr_names_shape_eps_and_affine():
    assert repr(nn.LayerNorm(4)) == (
        "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)"
    )


@needs_torch
@pytest.mark.parametrize("bias", [True, False])
def test_a_pytorch_layer_norm_state_dict_loads_as_it_is(bias):
    theirs = torch.nn.LayerNorm((3, 4), bias=bias).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, dtype=torch.float64))
    ours = nn.LayerNorm((3, 4), bias=bias, dtype="float64")
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing == []
    assert result.unexpected == []
    x = _rng().standard_normal((2, 3, 4))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), **TOL)


# ----- training, checkpoints, the summary ---------------------------------------------------
def _model(seed: int = 0):
    gen = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(4, 8, generator=gen), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 3, generator=gen)
    )


def test_fit_with_a_layer_norm_lowers_the_loss_and_trains_its_parameters():
    X = _rng(5).standard_normal((60, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)
    model = _model()
    opt = cr.optim.Adam(model.parameters(), lr=0.02)
    history = cr.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=15, seed=0, progress=False)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert np.any(model[1].weight.data != 1)
    assert np.any(model[1].bias.data != 0)


def test_a_checkpoint_round_trip_restores_the_layer_norm(tmp_path):
    model = _model(0)
    model[1].weight.data[...] = _rng(7).standard_normal(8)
    model[1].bias.data[...] = _rng(8).standard_normal(8)
    cr.save(tmp_path / "m.safetensors", model)
    again = _model(1)
    cr.load(tmp_path / "m.safetensors", again)
    for (name, a), (other, b) in zip(model.state_dict().items(), again.state_dict().items()):
        assert name == other
        np.testing.assert_array_equal(a, b)
    x = _rng().standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_array_equal(model(x).data, again(x).data)


def test_the_summary_shows_the_layer_and_its_parameters():
    model = nn.Sequential(
        nn.Linear(4, 6), nn.LayerNorm(6), nn.LayerNorm(6, elementwise_affine=False)
    )
    text = model.summary((2, 4))
    assert "1 (LayerNorm)   (2, 6)   " in text
    assert text.splitlines()[3].endswith(" 12")
    assert "2 (LayerNorm)" in text
    assert text.splitlines()[4].endswith(" 0")
    assert "Total params: 42" in text


def test_explain_shows_the_nodes_it_is_composed_of():
    x = cr.tensor(_rng().standard_normal((2, 3)), requires_grad=True, name="x")
    out = nn.LayerNorm(3, dtype="float64")(x).sum()
    trace = cr.explain(out)
    text = str(trace)
    for node in ("Mean", "Sqrt", "Div"):
        assert node in text


# ----- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, -2, 2.0, True, (), (3, 0), (2, 1.5), "4", None])
def test_a_normalized_shape_that_is_not_positive_ints_is_refused(bad):
    with pytest.raises(ValueError, match=r"LayerNorm: normalized_shape must be a positive int"):
        nn.LayerNorm(bad)
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape must be a positive int"):
        F.layer_norm(np.ones((2, 3)), bad)


@pytest.mark.parametrize("eps", [0, -1e-5, float("inf"), float("nan"), True, "1e-5", None])
def test_eps_that_is_not_a_finite_positive_number_is_refused(eps):
    with pytest.raises(ValueError, match=r"LayerNorm: eps must be a finite number > 0"):
        nn.LayerNorm(4, eps=eps)
    with pytest.raises(ValueError, match=r"layer_norm: eps must be a finite number > 0"):
        F.layer_norm(np.ones((2, 4)), (4,), eps=eps)


@pytest.mark.parametrize("shape", [(3, 5), (3,), (3, 4), (2, 3, 4), (4, 3, 2)])
def test_an_input_whose_trailing_dimensions_do_not_match_is_refused(shape):
    layer = nn.LayerNorm((4, 3))
    expected = re.escape("LayerNorm((4, 3)) expects inputs whose trailing dimensions are (4, 3)")
    with pytest.raises(ValueError, match=expected + ".*" + re.escape(f"input of shape {shape}")):
        layer(np.ones(shape))


def test_the_function_names_itself_and_the_shapes_it_was_given():
    with pytest.raises(ValueError, match=r"layer_norm expects .*\(4,\).*shape \(2, 3\)"):
        F.layer_norm(np.ones((2, 3)), (4,))
    with pytest.raises(ValueError, match=r"layer_norm: weight must have the shape .*\(3,\)"):
        F.layer_norm(np.ones((2, 4)), (4,), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"layer_norm: bias must have the shape .*\(4, 1\)"):
        F.layer_norm(np.ones((2, 4)), (4,), bias=np.ones((4, 1)))


def test_a_non_floating_dtype_and_a_non_boolean_flag_are_refused():
    with pytest.raises(TypeError, match=r"LayerNorm: dtype must be a floating dtype"):
        nn.LayerNorm(4, dtype="int32")
    with pytest.raises(TypeError, match=r"LayerNorm: elementwise_affine must be True or False"):
        nn.LayerNorm(4, elementwise_affine="no")
    with pytest.raises(TypeError, match=r"LayerNorm: bias must be True or False"):
        nn.LayerNorm(4, bias="false")
