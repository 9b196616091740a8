"""RMSNorm, Bilinear, AlphaDropout and the initialisers orthogonal_, eye_ and sparse_:
formulas worked with NumPy in the test, gradients by finite differences in float64,
statistics with tolerances from the sample size, and PyTorch's outputs, gradients, state
dict keys, reprs, initial distributions and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _distributions import same_distribution

import chainrule as cr
from chainrule import nn

F = nn.functional
TOL = {"rtol": 1e-12, "atol": 1e-12}
LAMBDA_ALPHA = 1.0507009873554805 * 1.6732632423543772  # SELU's λ·α


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _torch():
    return pytest.importorskip("torch")


# ----- RMSNorm: the formula ---------------------------------------------------------------------
RMS_CASES = [((5, 4), (4,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((4,), (4,))]
RMS_IDS = [f"{s}-over{n}" for s, n in RMS_CASES]


def _rms_expected(x, normalized_shape, weight=None, eps=None) -> np.ndarray:
    """x / sqrt(mean of x² over the trailing axes + eps) · weight, in float64."""
    eps = np.finfo(np.asarray(x).dtype).eps if eps is None else eps
    x = np.asarray(x, np.float64)
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    n = math.prod(normalized_shape)
    y = x / np.sqrt((x**2).sum(axis=axes, keepdims=True) / n + eps)
    return y if weight is None else y * weight


@pytest.mark.parametrize(("shape", "normalized_shape"), RMS_CASES, ids=RMS_IDS)
def test_rms_norm_layer_computes_the_formula(shape, normalized_shape):
    x = _rng().standard_normal(shape) * 3 + 1
    w = _rng(1).standard_normal(normalized_shape)
    layer = nn.RMSNorm(normalized_shape, eps=1e-3, dtype="float64")
    layer.weight.data[...] = w
    out = layer(x)
    assert out.dtype == np.float64
    assert out.shape == shape
    np.testing.assert_allclose(out.data, _rms_expected(x, normalized_shape, w, 1e-3), **TOL)


@pytest.mark.parametrize(("shape", "normalized_shape"), RMS_CASES, ids=RMS_IDS)
def test_rms_norm_function_with_and_without_weight(shape, normalized_shape):
    x = _rng().standard_normal(shape)
    w = _rng(1).standard_normal(normalized_shape)
    for weight in (None, w):
        out = F.rms_norm(x, normalized_shape, weight, eps=1e-5)
        np.testing.assert_allclose(
            out.data, _rms_expected(x, normalized_shape, weight, 1e-5), **TOL
        )
    np.testing.assert_allclose(F.rms_norm(x, shape[-1]).data, _rms_expected(x, shape[-1:]), **TOL)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eps_none_is_the_machine_epsilon_of_the_input_dtype(dtype):
    # tiny values, whose mean square (1e-8) is below float32's eps: eps decides the output
    x = np.full((2, 3), 1e-4, dtype)
    out = nn.RMSNorm(3, dtype=dtype)(x)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, _rms_expected(x, (3,)), rtol=1e-6)
    other = np.finfo(np.float64 if dtype == np.float32 else np.float32).eps
    assert not np.allclose(out.data, _rms_expected(x, (3,), eps=other), rtol=1e-3)


def test_rms_norm_parameters_and_repr():
    layer = nn.RMSNorm([2, 3])
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [("weight", (2, 3))]
    assert layer.weight.dtype == np.float32
    assert np.all(layer.weight.data == 1)
    assert repr(layer) == "RMSNorm((2, 3), eps=None, elementwise_affine=True)"
    bare = nn.RMSNorm(4, eps=1e-3, elementwise_affine=False)
    assert bare.weight is None
    assert list(bare.state_dict()) == []
    assert repr(bare) == "RMSNorm((4,), eps=0.001, elementwise_affine=False)"


def _with_params(module, names):
    """f(*inputs, *params) running ``module`` with gradcheck's inputs as its parameters."""

    def f(*args):
        n_in = len(args) - len(names)
        for name, p in zip(names, args[n_in:]):
            setattr(module, name, p)
        return module(*args[:n_in])

    return f


@pytest.mark.parametrize(("shape", "normalized_shape"), RMS_CASES, ids=RMS_IDS)
def test_rms_norm_gradients_by_finite_differences(shape, normalized_shape):
    x = _rng().standard_normal(shape)
    w = _rng(1).standard_normal(normalized_shape)
    layer = nn.RMSNorm(normalized_shape, dtype="float64")
    assert cr.gradcheck(_with_params(layer, ["weight"]), [x, w])
    assert cr.gradcheck(lambda x: F.rms_norm(x, normalized_shape, eps=1e-2), [x])


def test_rms_norm_errors():
    with pytest.raises(ValueError, match=r"trailing dimensions are \(4,\).*\(2, 3\)"):
        nn.RMSNorm(4)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="weight must have the shape"):
        F.rms_norm(np.ones((2, 4)), 4, np.ones(3))
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        nn.RMSNorm(4, eps=-1.0)
    with pytest.raises(ValueError, match="normalized_shape"):
        nn.RMSNorm(0)


# ----- Bilinear: the formula --------------------------------------------------------------------
def _bilinear_expected(x1, x2, a, b=None) -> np.ndarray:
    """y_o = x1ᵀ A_o x2 + b_o for each output o, one matrix product at a time."""
    y = np.stack([((x1 @ a[o]) * x2).sum(axis=-1) for o in range(a.shape[0])], axis=-1)
    return y if b is None else y + b


BATCHES = [(5,), (2, 3), (), (0,)]


@pytest.mark.parametrize("batch", BATCHES, ids=str)
def test_bilinear_computes_the_formula(batch):
    x1, x2 = _rng().standard_normal((*batch, 3)), _rng(1).standard_normal((*batch, 2))
    layer = nn.Bilinear(3, 2, 4, dtype="float64")
    a, b = layer.weight.data, layer.bias.data
    out = layer(x1, x2)
    assert out.shape == (*batch, 4)
    np.testing.assert_allclose(out.data, _bilinear_expected(x1, x2, a, b), **TOL)
    np.testing.assert_allclose(F.bilinear(x1, x2, a).data, _bilinear_expected(x1, x2, a), **TOL)


def test_bilinear_parameters_initialisation_and_repr():
    cr.manual_seed(3)
    layer = nn.Bilinear(5, 2, 3)
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [
        ("weight", (3, 5, 2)),
        ("bias", (3,)),
    ]
    bound = 1 / math.sqrt(5)
    for p in layer.parameters():
        assert p.dtype == np.float32
        assert np.all(np.abs(p.data) <= bound)
    cr.manual_seed(3)
    np.testing.assert_array_equal(nn.Bilinear(5, 2, 3).weight.data, layer.weight.data)
    seeded = [nn.Bilinear(5, 2, 3, generator=_rng(7)).weight.data for _ in range(2)]
    np.testing.assert_array_equal(*seeded)
    assert repr(layer) == "Bilinear(in1_features=5, in2_features=2, out_features=3, bias=True)"
    assert nn.Bilinear(5, 2, 3, bias=False).bias is None


@pytest.mark.parametrize("batch", [(4,), (2, 3), ()], ids=str)
def test_bilinear_gradients_by_finite_differences(batch):
    x1, x2 = _rng().standard_normal((*batch, 3)), _rng(1).standard_normal((*batch, 2))
    layer = nn.Bilinear(3, 2, 4, dtype="float64")
    w, b = layer.weight.data.copy(), layer.bias.data.copy()
    assert cr.gradcheck(_with_params(layer, ["weight", "bias"]), [x1, x2, w, b])
    assert cr.gradcheck(F.bilinear, [x1, x2, w])


def test_bilinear_errors():
    layer = nn.Bilinear(3, 2, 4)
    with pytest.raises(ValueError, match="input1's last dimension must be in1_features = 3"):
        layer(np.ones((5, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="input2's last dimension must be in2_features = 2"):
        layer(np.ones((5, 3)), np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"same leading \(batch\) dimensions"):
        layer(np.ones((5, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="bias must be"):
        F.bilinear(np.ones(3), np.ones(2), layer.weight, np.ones(3))
    with pytest.raises(ValueError, match="out_features must be a positive integer"):
        nn.Bilinear(3, 2, 0)


# ----- AlphaDropout -----------------------------------------------------------------------------
def _alpha_affine(p: float) -> tuple[float, float, float]:
    """(a, the value added where kept, the value where dropped), from the paper's formula."""
    a = (1 / ((1 - p) * (1 + p * LAMBDA_ALPHA**2))) ** 0.5
    return a, a * LAMBDA_ALPHA * p, -a * LAMBDA_ALPHA * (1 - p)


@pytest.mark.parametrize("p", [0.05, 0.2, 0.5])
def test_alpha_dropout_keeps_mean_zero_and_variance_one(p):
    n = 400_000
    x = _rng().standard_normal(n)
    out = nn.AlphaDropout(p, generator=_rng(1))(x).data
    # each tolerance is five standard errors of its estimate for n samples
    assert abs(out.mean()) < 5 / math.sqrt(n)
    centred = out - out.mean()
    fourth = (centred**4).mean()
    assert abs(centred.var() - 1) < 5 * math.sqrt((fourth - 1) / n)
    # and the share dropped is p
    dropped = _alpha_affine(p)[2]
    share = np.isclose(out, dropped, rtol=0, atol=1e-12).mean()
    assert abs(share - p) < 5 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_alpha_dropout_values_are_the_affine_map_of_kept_and_dropped(dtype):
    x = _rng().standard_normal((50, 40)).astype(dtype)
    out = F.alpha_dropout(x, 0.3, training=True, generator=_rng(2)).data
    assert out.dtype == dtype
    a, added, dropped = _alpha_affine(0.3)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    kept = np.isclose(out, a * x + added, rtol=rtol, atol=rtol)
    gone = np.isclose(out, dropped, rtol=rtol, atol=rtol)
    assert np.all(kept | gone)
    assert kept.any()
    assert gone.any()


def test_alpha_dropout_is_the_identity_in_eval_and_by_default():
    x = cr.tensor(_rng().standard_normal((4, 3)))
    layer = nn.AlphaDropout(0.4).eval()
    assert layer(x) is x
    assert F.alpha_dropout(x, 0.4) is x  # PyTorch's functional default: training=False
    assert F.alpha_dropout(x, 0.0, training=True) is x
    np.testing.assert_array_equal(F.alpha_dropout(x, 1.0, training=True).data, 0)


def test_alpha_dropout_gradients_by_finite_differences():
    x = _rng().standard_normal((6, 5))
    # a new generator of the same seed at each call: the same mask every time
    f = lambda x: F.alpha_dropout(x, 0.3, True, _rng(4))  # noqa: E731
    assert cr.gradcheck(f, [x])


def test_alpha_dropout_errors_and_repr():
    with pytest.raises(ValueError, match=r"dropout probability must be a number in \[0, 1\]"):
        nn.AlphaDropout(1.5)
    with pytest.raises(TypeError, match="second argument is the generator"):
        nn.AlphaDropout(0.5, True)
    with pytest.raises(TypeError, match=r"generator must be a numpy\.random\.Generator"):
        nn.AlphaDropout(0.5, 3)
    assert repr(nn.AlphaDropout(0.2)) == "AlphaDropout(p=0.2, inplace=False)"


# ----- orthogonal_, eye_, sparse_ ---------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (5, 5), (8, 2, 3), (4, 2, 3), (1, 7)], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape, dtype):
    gain = 2.5
    w = cr.tensor(np.zeros(shape, dtype))
    assert nn.init.orthogonal_(w, gain=gain, generator=_rng()) is w
    m = w.data.astype(np.float64).reshape(shape[0], -1)  # trailing axes flattened
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    atol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gram, gain**2 * np.eye(len(gram)), atol=atol * gain**2)


def test_orthogonal_is_uniformly_distributed():
    # without the sign correction by R's diagonal, QR's Q leans to one sign in each column
    n = 4000
    rng = _rng()
    firsts = np.empty(n)
    for i in range(n):
        w = cr.zeros(3, 3, dtype="float64")
        firsts[i] = nn.init.orthogonal_(w, generator=rng).data[0, 0]
    # an entry of a uniform 3×3 rotation has mean 0 and variance 1/3
    assert abs(firsts.mean()) < 5 * math.sqrt(1 / 3 / n)


def test_orthogonal_seeds_and_errors():
    cr.manual_seed(5)
    a = nn.init.orthogonal_(cr.zeros(4, 3)).data.copy()
    cr.manual_seed(5)
    np.testing.assert_array_equal(nn.init.orthogonal_(cr.zeros(4, 3)).data, a)
    with pytest.raises(ValueError, match="only tensors with 2 or more dimensions"):
        nn.init.orthogonal_(cr.zeros(4))
    empty = cr.zeros(0, 3)
    assert nn.init.orthogonal_(empty) is empty


def test_eye():
    w = cr.tensor(np.full((3, 5), 7.0))
    np.testing.assert_array_equal(nn.init.eye_(w).data, np.eye(3, 5))
    with pytest.raises(ValueError, match="only tensors with 2 dimensions"):
        nn.init.eye_(cr.zeros(2, 2, 2))


@pytest.mark.parametrize(("sparsity", "cols"), [(0.0, 7), (0.3, 7), (0.5, 8), (0.9, 10)])
def test_sparse_zeroes_a_share_of_each_row(sparsity, cols):
    w = nn.init.sparse_(cr.zeros(400, cols, dtype="float64"), sparsity, std=0.5, generator=_rng())
    zeros = (w.data == 0).sum(axis=1)
    np.testing.assert_array_equal(zeros, math.ceil(sparsity * cols))
    values = w.data[w.data != 0]
    # the sample variance of n normal values has the standard error σ²·√(2/n)
    assert abs(values.var() - 0.25) < 5 * 0.25 * math.sqrt(2 / values.size)


def test_sparse_errors():
    for sparsity in (-0.1, 1.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="sparsity"):
            nn.init.sparse_(cr.zeros(3, 4), sparsity)
    with pytest.raises(ValueError, match="std must be >= 0"):
        nn.init.sparse_(cr.zeros(3, 4), 0.5, std=-1.0)
    with pytest.raises(ValueError, match="only tensors with 2 dimensions"):
        nn.init.sparse_(cr.zeros(3), 0.5)


# ----- against PyTorch --------------------------------------------------------------------------
def _pair(a: np.ndarray):
    """The same float64 array as a chainrule and as a PyTorch leaf."""
    torch = _torch()
    a = np.asarray(a, dtype=np.float64)
    return cr.tensor(a.copy(), requires_grad=True), torch.tensor(a.copy(), requires_grad=True)


def _copy_weights(ours, theirs) -> None:
    """theirs' parameters into ours, as a state dict: PyTorch's keys and shapes load as they are."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _check_grads(ours, theirs) -> None:
    theirs_grads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    ours_grads = {n: p.grad for n, p in ours.named_parameters()}
    assert sorted(ours_grads) == sorted(theirs_grads)
    for name, g in ours_grads.items():
        np.testing.assert_allclose(g, theirs_grads[name], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("shape", "normalized_shape"), RMS_CASES, ids=RMS_IDS)
@pytest.mark.parametrize("eps", [None, 1e-2])
def test_rms_norm_matches_pytorch(shape, normalized_shape, eps):
    torch = _torch()
    theirs = torch.nn.RMSNorm(normalized_shape, eps=eps).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(_rng(1).standard_normal(normalized_shape)))
    ours = nn.RMSNorm(normalized_shape, eps=eps, dtype="float64")
    _copy_weights(ours, theirs)
    x, tx = _pair(_rng().standard_normal(shape))
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    upstream = _rng(3).standard_normal(shape)
    out.backward(upstream.copy())
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    _check_grads(ours, theirs)
    assert repr(ours) == repr(theirs)


def test_rms_norm_float32_eps_none_matches_pytorch():
    torch = _torch()
    x = np.full((2, 3), 1e-4, np.float32)
    ours = nn.RMSNorm(3)(x).data
    theirs = torch.nn.RMSNorm(3)(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("batch", [(5,), (2, 3), ()], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_pytorch(batch, bias):
    torch = _torch()
    theirs = torch.nn.Bilinear(3, 2, 4, bias=bias).double()
    ours = nn.Bilinear(3, 2, 4, bias=bias, dtype="float64")
    _copy_weights(ours, theirs)
    x1, tx1 = _pair(_rng().standard_normal((*batch, 3)))
    x2, tx2 = _pair(_rng(1).standard_normal((*batch, 2)))
    out, tout = ours(x1, x2), theirs(tx1, tx2)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    upstream = _rng(3).standard_normal((*batch, 4))
    out.backward(upstream.copy())
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x1.grad, tx1.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x2.grad, tx2.grad.numpy(), rtol=1e-10, atol=1e-12)
    _check_grads(ours, theirs)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.RMSNorm((2, 3)),
        lambda m: m.RMSNorm(4, elementwise_affine=False),
        lambda m: m.Bilinear(3, 2, 4),
        lambda m: m.Bilinear(3, 2, 4, bias=False),
        lambda m: m.AlphaDropout(0.3),
    ],
    ids=["rms", "rms-bare", "bilinear", "bilinear-no-bias", "alpha-dropout"],
)
def test_state_dict_keys_and_shapes_match_pytorch(make):
    torch = _torch()
    ours, theirs = make(nn).state_dict(), make(torch.nn).state_dict()
    assert list(ours) == list(theirs)
    assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


def test_bilinear_initial_distribution_matches_pytorch():
    torch = _torch()
    torch.manual_seed(0)
    cr.manual_seed(0)
    theirs = torch.nn.Bilinear(16, 30, 40)
    ours = nn.Bilinear(16, 30, 40)
    for name, p in ours.named_parameters():
        t = getattr(theirs, name).detach().numpy()
        assert not np.allclose(p.data, t)  # other numbers ...
        assert same_distribution(p.data, t)  # ... from the same distribution
    # and not merely any distribution on that range: a narrower one is told apart
    assert not same_distribution(ours.weight.data, theirs.weight.detach().numpy() * 0.9)


def test_orthogonal_initial_distribution_matches_pytorch():
    torch = _torch()
    torch.manual_seed(1)
    cr.manual_seed(1)
    for shape in [(60, 40), (30, 80), (20, 4, 5)]:
        theirs = torch.nn.init.orthogonal_(torch.empty(shape), gain=1.5).numpy()
        ours = nn.init.orthogonal_(cr.zeros(*shape), gain=1.5).data
        assert same_distribution(ours, theirs)


def test_sparse_on_the_same_layer_matches_pytorch():
    torch = _torch()
    torch.manual_seed(2)
    cr.manual_seed(2)
    theirs = torch.nn.Linear(50, 30)  # weight (out, in) = (30, 50)
    torch.nn.init.sparse_(theirs.weight, 0.3, std=0.2)
    ours = nn.Linear(50, 30)  # weight (in, out) = (50, 30)
    nn.init.sparse_(ours.weight, 0.3, std=0.2)
    t = theirs.weight.detach().numpy()
    # zeros per input: each column of PyTorch's weight, each row of chainrule's
    np.testing.assert_array_equal((ours.weight.data == 0).sum(axis=1), (t == 0).sum(axis=0))
    assert same_distribution(ours.weight.data[ours.weight.data != 0], t[t != 0])


def test_eye_on_the_same_layer_matches_pytorch():
    torch = _torch()
    theirs = torch.nn.init.eye_(torch.empty(3, 5)).numpy()  # PyTorch's (out, in)
    np.testing.assert_array_equal(nn.init.eye_(cr.zeros(5, 3)).data, theirs.T)


def test_alpha_dropout_matches_pytorch():
    torch = _torch()
    for p in (0.1, 0.5):
        x, tx = _pair(np.zeros(20_000))
        out, tout = (
            F.alpha_dropout(x, p, training=True),
            torch.nn.functional.alpha_dropout(tx, p, training=True),
        )
        # on zeros each output is one of two values, the kept one and the dropped one
        np.testing.assert_allclose(
            np.unique(out.data), np.unique(tout.detach().numpy()), rtol=1e-12
        )
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_allclose(np.unique(x.grad), np.unique(tx.grad.numpy()), rtol=1e-12)
    assert repr(nn.AlphaDropout(0.3)) == repr(torch.nn.AlphaDropout(0.3))
    x = np.ones(3)
    np.testing.assert_array_equal(
        F.alpha_dropout(x, 1.0, training=True).data,
        torch.nn.functional.alpha_dropout(torch.tensor(x), 1.0, True).numpy(),
    )


def test_errors_where_pytorch_raises():
    torch = _torch()
    cases = [
        (lambda m: m.RMSNorm(4)(_as(m, np.ones((2, 3)))), "trailing dimensions"),
        (
            lambda m: m.Bilinear(3, 2, 4)(_as(m, np.ones((5, 2))), _as(m, np.ones((5, 2)))),
            "input1's last dimension",
        ),
        (
            lambda m: m.Bilinear(3, 2, 4)(_as(m, np.ones((5, 3))), _as(m, np.ones((4, 2)))),
            "same leading",
        ),
        (lambda m: m.init.orthogonal_(_as(m, np.ones(4))), "2 or more dimensions"),
        (lambda m: m.init.eye_(_as(m, np.ones((2, 2, 2)))), "with 2 dimensions"),
        (lambda m: m.init.sparse_(_as(m, np.ones(4)), 0.5), "with 2 dimensions"),
    ]
    for case, message in cases:
        with pytest.raises((ValueError, RuntimeError)):  # PyTorch: either, in its own words
            case(torch.nn)
        with pytest.raises(ValueError, match=message):
            case(nn)


def _as(m, a: np.ndarray):
    """``a`` as a float32 tensor of the library whose ``nn`` is ``m``."""
    if m is nn:
        return cr.tensor(a.astype(np.float32))
    return _torch().tensor(a, dtype=_torch().float32)


def test_calculate_gain_covers_pytorch_nonlinearities():
    torch = _torch()
    names = ["linear", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]
    names += [f"conv{d}d" for d in (1, 2, 3)] + [f"conv_transpose{d}d" for d in (1, 2, 3)]
    for name in names:
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    for slope in (0.0, 0.2, 1, 3.0):
        ours = nn.init.calculate_gain("leaky_relu", slope)
        assert ours == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", slope))
    for bad in ("softmax", "gelu"):
        with pytest.raises(ValueError, match="Unsupported nonlinearity"):
            torch.nn.init.calculate_gain(bad)
        with pytest.raises(ValueError, match="unknown nonlinearity"):
            nn.init.calculate_gain(bad)
