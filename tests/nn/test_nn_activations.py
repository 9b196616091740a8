"""SELU CELU Mish Hardtanh ReLU6 Hardsigmoid Hardswish LogSigmoid Softsign Tanhshrink
Softshrink Hardshrink Threshold PReLU: values and derivatives against float64 formulas
worked here, finite differences (first and second order), PyTorch's one-sided choices at
the kinks, float32, reprs, errors, PReLU's slopes and state, training through ``fit``,
explain, the command line, the probe, and PyTorch where it is installed."""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import functional as F

sys.path.insert(0, str(Path(__file__).parent.parent / "train"))
from _cli_run import main as cli_main

try:
    import torch
except ImportError:  # pragma: no cover - PyTorch is optional
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

LAMBDA, ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def _sig(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _sp(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


# name → (our function, value formula, derivative formula, kinks); each formula is of one
# float64 number, the kinks the points where the function's pieces meet
FORMULAS = {
    "selu": (
        F.selu,
        lambda x: LAMBDA * (x if x > 0 else ALPHA * math.expm1(x)),
        lambda x: LAMBDA if x > 0 else LAMBDA * ALPHA * math.exp(x),
        [0.0],
    ),
    "celu": (
        lambda x: F.celu(x, 1.5),
        lambda x: x if x > 0 else 1.5 * math.expm1(x / 1.5),
        lambda x: 1.0 if x > 0 else math.exp(x / 1.5),
        [0.0],
    ),
    "mish": (
        F.mish,
        lambda x: x * math.tanh(_sp(x)),
        lambda x: math.tanh(_sp(x)) + x * _sig(x) * (1 - math.tanh(_sp(x)) ** 2),
        [],
    ),
    "hardtanh": (
        lambda x: F.hardtanh(x, -0.5, 2.0),
        lambda x: min(max(x, -0.5), 2.0),
        lambda x: 1.0 if -0.5 < x < 2.0 else 0.0,
        [-0.5, 2.0],
    ),
    "relu6": (F.relu6, lambda x: min(max(x, 0.0), 6.0), lambda x: float(0 < x < 6), [0.0, 6.0]),
    "hardsigmoid": (
        F.hardsigmoid,
        lambda x: min(max(x + 3, 0.0), 6.0) / 6,
        lambda x: 1 / 6 if -3 < x < 3 else 0.0,
        [-3.0, 3.0],
    ),
    "hardswish": (
        F.hardswish,
        lambda x: x * min(max(x + 3, 0.0), 6.0) / 6,
        lambda x: 0.0 if x <= -3 else (x / 3 + 0.5 if x < 3 else 1.0),
        [-3.0, 3.0],
    ),
    "logsigmoid": (
        F.logsigmoid,
        lambda x: -_sp(-x),
        lambda x: _sig(-x),
        [],
    ),
    "softsign": (
        F.softsign,
        lambda x: x / (1 + abs(x)),
        lambda x: 1 / (1 + abs(x)) ** 2,
        [],
    ),
    "tanhshrink": (
        F.tanhshrink,
        lambda x: x - math.tanh(x),
        lambda x: math.tanh(x) ** 2,
        [],
    ),
    "softshrink": (
        lambda x: F.softshrink(x, 0.7),
        lambda x: x - 0.7 if x > 0.7 else (x + 0.7 if x < -0.7 else 0.0),
        lambda x: float(abs(x) > 0.7),
        [-0.7, 0.7],
    ),
    "hardshrink": (
        lambda x: F.hardshrink(x, 0.7),
        lambda x: x if abs(x) > 0.7 else 0.0,
        lambda x: float(abs(x) > 0.7),
        [-0.7, 0.7],
    ),
    "threshold": (
        lambda x: F.threshold(x, 0.3, -2.0),
        lambda x: x if x > 0.3 else -2.0,
        lambda x: float(x > 0.3),
        [0.3],
    ),
    "prelu": (
        lambda x: F.prelu(x, cr.tensor([0.25], dtype="float64")),
        lambda x: x if x > 0 else 0.25 * x,
        lambda x: 1.0 if x > 0 else 0.25,
        [0.0],
    ),
}
NAMES = sorted(FORMULAS)


def _points(name, n=40, seed=0):
    """Points over [−8, 8] (and a few far out), none within 1e-3 of a kink."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-8, 8, n), [-40.0, -15.0, 15.0, 40.0]])
    for k in FORMULAS[name][3]:
        x = np.where(np.abs(x - k) < 1e-3, x + 0.01, x)
    return x


def _value_and_grad(f, x):
    t = cr.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = f(t)
    y.sum().backward()
    return y.data, t.grad


@pytest.mark.parametrize("name", NAMES)
def test_values_and_derivatives_match_the_formulas(name):
    f, value, derivative, _ = FORMULAS[name]
    x = _points(name)
    y, g = _value_and_grad(f, x)
    np.testing.assert_allclose(y, [value(v) for v in x], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(g, [derivative(v) for v in x], rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_and_second_derivatives_match_finite_differences(name):
    f = FORMULAS[name][0]
    x = _points(name, n=12, seed=1)
    x = x[np.abs(x) < 10]  # mish, selu, … are flat far out: nothing left to difference
    assert cr.gradcheck(f, [x], check_second_order=True)


# the one-sided choices, measured on PyTorch 2.x (each test_*_as_pytorch compares them)
KINKS = {
    "selu": [(0.0, 0.0, LAMBDA * ALPHA)],
    "celu": [(0.0, 0.0, 1.0)],
    "hardtanh": [(-0.5, -0.5, 0.0), (2.0, 2.0, 0.0)],
    "relu6": [(0.0, 0.0, 0.0), (6.0, 6.0, 0.0)],
    "hardsigmoid": [(-3.0, 0.0, 0.0), (3.0, 1.0, 0.0)],
    "hardswish": [(-3.0, 0.0, 0.0), (3.0, 3.0, 1.0)],
    "softshrink": [(-0.7, 0.0, 0.0), (0.7, 0.0, 0.0)],
    "hardshrink": [(-0.7, 0.0, 0.0), (0.7, 0.0, 0.0)],
    "threshold": [(0.3, -2.0, 0.0)],
    "prelu": [(0.0, 0.0, 0.25)],
    "mish": [(0.0, 0.0, 0.6)],
    "softsign": [(0.0, 0.0, 1.0)],
    "tanhshrink": [(0.0, 0.0, 0.0)],
    "logsigmoid": [(0.0, -math.log(2), 0.5)],
}


@pytest.mark.parametrize("name", NAMES)
def test_pytorchs_choice_at_each_kink(name):
    x = np.array([k for k, _, _ in KINKS[name]])
    y, g = _value_and_grad(FORMULAS[name][0], x)
    np.testing.assert_allclose(y, [v for _, v, _ in KINKS[name]], rtol=1e-15)
    np.testing.assert_allclose(g, [d for _, _, d in KINKS[name]], rtol=1e-15)


def test_hardswish_at_its_joins_takes_the_outer_pieces_not_the_middle_one():
    # the middle piece x(x + 3)/6 has derivative −½ at −3 and 3/2 at 3; PyTorch gives 0, 1
    _, g = _value_and_grad(F.hardswish, [-3.0, 3.0, -3.0 + 1e-9, 3.0 - 1e-9])
    np.testing.assert_allclose(g, [0.0, 1.0, -0.5, 1.5], atol=1e-8)


def test_hardtanh_at_its_bounds_is_not_clip():
    _, g = _value_and_grad(lambda t: cr.clip(t, -1.0, 1.0), [-1.0, 1.0])
    assert g.tolist() == [1.0, 1.0]  # clip keeps its bounds
    _, g = _value_and_grad(F.hardtanh, [-1.0, 1.0])
    assert g.tolist() == [0.0, 0.0]  # PyTorch's hardtanh does not


def test_nan_gives_nan_with_pytorchs_gradient_where_it_is_a_branch():
    x = [float("nan")]
    for f, grad in [(F.hardtanh, 1.0), (F.relu6, 1.0), (F.hardsigmoid, 0.0), (F.hardswish, 1.0),
                    (F.hardshrink, 1.0), (lambda t: F.threshold(t, 0.0, 1.0), 1.0),
                    (F.selu, LAMBDA), (F.celu, 1.0),
                    (lambda t: F.prelu(t, np.array([0.25])), 0.25)]:  # fmt: skip
        y, g = _value_and_grad(f, x)
        assert np.isnan(y[0])
        assert g[0] == grad


def test_logsigmoid_is_stable_at_both_ends():
    y, g = _value_and_grad(F.logsigmoid, [-800.0, 50.0, 800.0, -np.inf, np.inf])
    assert y[0] == -800.0
    assert g[0] == 1.0
    assert y[1] == pytest.approx(-math.exp(-50), rel=1e-14)
    assert g[1] == pytest.approx(math.exp(-50), rel=1e-14)
    assert y[2] == 0.0
    assert g[2] == 0.0
    assert y[3] == -np.inf
    assert g[3] == 1.0
    assert y[4] == 0.0


def test_far_out_inputs_give_no_warning():
    x = np.array([-1e300, -50.0, 50.0, 1e300, -np.inf, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ["hardswish", "hardtanh", "celu", "prelu", "softshrink", "logsigmoid"]:
            _value_and_grad(FORMULAS[name][0], x)
        _value_and_grad(lambda t: F.celu(t, -2.0), x)


# ----- modules ------------------------------------------------------------------------------
MODULES = {
    "selu": nn.SELU,
    "celu": lambda: nn.CELU(1.5),
    "mish": nn.Mish,
    "hardtanh": lambda: nn.Hardtanh(-0.5, 2.0),
    "relu6": nn.ReLU6,
    "hardsigmoid": nn.Hardsigmoid,
    "hardswish": nn.Hardswish,
    "logsigmoid": nn.LogSigmoid,
    "softsign": nn.Softsign,
    "tanhshrink": nn.Tanhshrink,
    "softshrink": lambda: nn.Softshrink(0.7),
    "hardshrink": lambda: nn.Hardshrink(0.7),
    "threshold": lambda: nn.Threshold(0.3, -2.0),
    "prelu": lambda: nn.PReLU(dtype="float64"),
}


@pytest.mark.parametrize("name", NAMES)
def test_each_module_is_its_function(name):
    x = _points(name)
    y, g = _value_and_grad(MODULES[name](), x)
    y2, g2 = _value_and_grad(FORMULAS[name][0], x)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(g, g2)


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32(name):
    layer = MODULES[name]().float()
    x = cr.tensor(_points(name).astype(np.float32), requires_grad=True)
    y = layer(x)
    y.sum().backward()
    assert y.dtype == np.float32
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(y.data, [FORMULAS[name][1](float(v)) for v in x.data], rtol=2e-6,
                               atol=1e-30)  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_an_integer_input_takes_a_float_dtype(name):
    y = MODULES[name]()(np.array([-4, -1, 0, 2, 7]))
    assert y.dtype.kind == "f"
    np.testing.assert_allclose(y.data, [FORMULAS[name][1](float(v)) for v in (-4, -1, 0, 2, 7)],
                               rtol=1e-6)  # fmt: skip


REPRS = [
    (nn.SELU(), "SELU()"),
    (nn.SELU(inplace=True), "SELU(inplace=True)"),
    (nn.CELU(), "CELU(alpha=1.0)"),
    (nn.CELU(2.0, True), "CELU(alpha=2.0, inplace=True)"),
    (nn.Mish(), "Mish()"),
    (nn.Mish(True), "Mish(inplace=True)"),
    (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
    (nn.Hardtanh(-2, 3, True), "Hardtanh(min_val=-2, max_val=3, inplace=True)"),
    (nn.ReLU6(), "ReLU6()"),
    (nn.ReLU6(True), "ReLU6(inplace=True)"),
    (nn.Hardsigmoid(True), "Hardsigmoid()"),
    (nn.Hardswish(True), "Hardswish()"),
    (nn.LogSigmoid(), "LogSigmoid()"),
    (nn.Softsign(), "Softsign()"),
    (nn.Tanhshrink(), "Tanhshrink()"),
    (nn.Softshrink(), "Softshrink(0.5)"),
    (nn.Softshrink(1), "Softshrink(1)"),
    (nn.Hardshrink(), "Hardshrink(0.5)"),
    (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
    (nn.Threshold(0.1, 20, True), "Threshold(threshold=0.1, value=20, inplace=True)"),
    (nn.PReLU(), "PReLU(num_parameters=1)"),
    (nn.PReLU(3, 0.1), "PReLU(num_parameters=3)"),
]


@pytest.mark.parametrize(("layer", "text"), REPRS, ids=[t for _, t in REPRS])
def test_module_repr(layer, text):
    assert repr(layer) == text


def test_relu6_is_a_hardtanh_as_in_pytorch():
    assert isinstance(nn.ReLU6(), nn.Hardtanh)
    assert (nn.ReLU6().min_val, nn.ReLU6().max_val) == (0.0, 6.0)


@pytest.mark.parametrize(
    "make",
    [
        nn.SELU,
        nn.CELU,
        nn.Mish,
        nn.Hardtanh,
        nn.ReLU6,
        nn.Hardsigmoid,
        nn.Hardswish,
        lambda inplace: nn.Threshold(0.0, 0.0, inplace),
    ],
)
def test_inplace_is_accepted_checked_and_changes_nothing(make):
    x = cr.tensor([-4.0, -1.0, 0.5, 7.0])
    before = x.data.copy()
    y = make(inplace=True)(x)
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(y.data, make(inplace=False)(x).data)
    with pytest.raises(TypeError, match="inplace must be True or False"):
        make(inplace="yes")


def test_the_functions_take_inplace_where_pytorchs_do():
    x = cr.tensor([-1.0, 2.0])
    for f in [F.selu, F.celu, F.mish, F.hardtanh, F.relu6, F.hardsigmoid, F.hardswish]:
        np.testing.assert_array_equal(f(x, inplace=True).data, f(x).data)
    assert F.threshold(x, 0.0, 5.0, inplace=True).data.tolist() == [5.0, 2.0]
    with pytest.raises(TypeError, match="selu: inplace"):
        F.selu(x, inplace="yes")


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: nn.CELU(0.0), "CELU: alpha must not be 0"),
        (lambda: nn.CELU(float("nan")), "CELU: alpha must be a finite number"),
        (lambda: nn.Hardtanh(1.0, -1.0), r"max_val \(-1.0\) must be greater than min_val"),
        (lambda: nn.Hardtanh(1.0, 1.0), "must be greater than"),
        (lambda: nn.Softshrink(-0.5), "Softshrink: lambd must be >= 0"),
        (lambda: nn.Threshold("a", 1.0), "Threshold: threshold must be a number"),
        (lambda: nn.PReLU(0), "PReLU: num_parameters must be a positive integer"),
        (lambda: nn.PReLU(True), "PReLU: num_parameters"),
        (lambda: nn.PReLU(1, float("inf")), "PReLU: init must be a finite number"),
        (lambda: F.celu(cr.tensor([1.0]), 0), "celu: alpha must not be 0"),
        (lambda: F.softshrink(cr.tensor([1.0]), -1.0), "softshrink: lambd must be >= 0"),
    ],
)
def test_bad_settings_are_refused_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_hardshrink_takes_a_negative_lambda_as_pytorch():
    x = [-0.1, 0.0, 0.2]
    assert nn.Hardshrink(-1.0)(cr.tensor(x)).data.tolist() == pytest.approx(x)


def test_prelu_needs_dtype_floating():
    with pytest.raises(TypeError, match="PReLU: dtype must be a floating dtype"):
        nn.PReLU(dtype="int64")


# ----- PReLU --------------------------------------------------------------------------------
def test_prelu_weight_is_a_parameter_filled_with_init():
    layer = nn.PReLU(3, 0.1)
    assert isinstance(layer.weight, nn.Parameter)
    assert layer.weight.shape == (3,)
    assert layer.weight.dtype == cr.get_default_dtype()
    assert layer.weight.data.tolist() == pytest.approx([0.1] * 3)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_prelu_one_slope_per_channel_along_axis_1():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 5))
    w = np.array([0.1, 0.2, -0.3])
    xt = cr.tensor(x, requires_grad=True)
    wt = cr.tensor(w, requires_grad=True)
    y = F.prelu(xt, wt)
    np.testing.assert_allclose(y.data, np.where(x > 0, x, w[:, None] * x), rtol=1e-15)
    upstream = rng.standard_normal(y.shape)
    (y * upstream).sum().backward()
    np.testing.assert_allclose(xt.grad, np.where(x > 0, 1.0, w[:, None]) * upstream, rtol=1e-15)
    expected_w = np.where(x > 0, 0.0, x * upstream).sum(axis=(0, 2))
    np.testing.assert_allclose(wt.grad, expected_w, rtol=1e-12)
    assert cr.gradcheck(F.prelu, [x[:2, :, :2], w], check_second_order=True)


def test_prelu_with_one_slope_takes_any_shape():
    layer = nn.PReLU(dtype="float64")
    for shape in [(), (5,), (2, 3), (2, 3, 4)]:
        x = np.full(shape, -2.0)
        assert layer(x).shape == shape
        assert np.all(layer(x).data == -0.5)


@pytest.mark.parametrize("shape", [(3,), (2, 4), (2, 4, 3)])
def test_prelu_slopes_must_match_the_channels(shape):
    with pytest.raises(ValueError, match=r"prelu: 3 slopes \(num_parameters\) for an input"):
        nn.PReLU(3)(np.ones(shape))


def test_prelu_state_dict_and_checkpoint_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.PReLU(3, 0.1))
    model[1].weight.data[:] = [0.5, -0.2, 0.05]
    state = model.state_dict()
    assert set(state) == {"0.weight", "0.bias", "1.weight"}
    other = nn.Sequential(nn.Linear(2, 3), nn.PReLU(3))
    other.load_state_dict(state)
    assert other[1].weight.data.tolist() == pytest.approx([0.5, -0.2, 0.05])
    path = tmp_path / "prelu.safetensors"
    cr.save(path, model)
    again = nn.Sequential(nn.Linear(2, 3), nn.PReLU(3))
    cr.load(path, again)
    np.testing.assert_array_equal(again[1].weight.data, model[1].weight.data)
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    np.testing.assert_array_equal(again(x).data, model(x).data)


def test_prelu_slope_is_learned():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 1))
    y = np.where(x > 0, x, -0.5 * x)  # |x|-like: the slope must go to −0.5
    layer = nn.PReLU(dtype="float64")
    opt = cr.optim.SGD(layer.parameters(), lr=0.5)
    for _ in range(100):
        opt.zero_grad()
        loss = F.mse_loss(layer(x), y)
        loss.backward()
        opt.step()
    assert layer.weight.data[0] == pytest.approx(-0.5, abs=1e-3)


# ----- training, explain, the command line, the probe ---------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_a_tiny_model_trains_through_fit(name):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((64, 2)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    cr.manual_seed(0)
    act = MODULES[name]().float()
    model = nn.Sequential(nn.Linear(2, 16), act, nn.Linear(16, 2))
    opt = cr.optim.Adam(model.parameters(), lr=0.02)
    history = cr.fit(model, nn.CrossEntropyLoss(), opt, (X, y), 8, batch_size=16, progress=False)
    losses = history.history["loss"]
    assert losses[-1] < losses[0], losses


@pytest.mark.parametrize("name", NAMES)
def test_explain_of_a_graph_through_each(name):
    x = cr.tensor(np.array([-4.0, -0.2, 0.4, 5.0]), requires_grad=True, name="x")
    table = cr.explain(FORMULAS[name][0](x).sum(), lang="en").table()
    assert "x" in table
    assert len(table.splitlines()) > 2


def test_explain_shows_the_where_behind_a_kink():
    x = cr.tensor(np.array([-4.0, 0.5]), requires_grad=True, name="x")
    table = cr.explain(F.hardtanh(x).sum(), lang="ko").table()
    assert "where: ∂/∂x = cond" in table


NEW_CHOICES = ["selu", "celu", "mish", "relu6", "hardswish", "hardtanh", "softsign", "prelu"]


@pytest.mark.parametrize("name", NEW_CHOICES)
def test_train_takes_the_new_activation_names(name):
    from chainrule._cli_arguments import _parser
    from chainrule._config import ACTIVATIONS

    args = _parser().parse_args(["train", "--activation", name.upper()])
    assert ACTIVATIONS[args.activation] is getattr(nn, type(ACTIVATIONS[name]()).__name__)


@pytest.mark.parametrize("name", ["selu", "mish", "relu6", "hardswish", "prelu"])
def test_chainrule_train_runs_an_epoch_with_it(tmp_path, capsys, name):
    out = tmp_path / "run"
    args = ["train", "--activation", name, "--hidden", "8", "--epochs", 1, "--out", out]
    assert cli_main(args) == 0
    capsys.readouterr()
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["activation"] == name
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["epochs"] == 1


def test_experiment_init_takes_them(tmp_path, capsys):
    from chainrule import _cli
    from chainrule.diagnostics import _plot

    flags = ["experiment", "init", "--layers", "2", "--units", "8", "--samples", "20"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_plot, "have_matplotlib", lambda: False)
        code = _cli.main([*flags, "--activations", "selu", "mish", "--out", str(tmp_path)])
    capsys.readouterr()
    assert code == 0
    text = (tmp_path / "init_stats.csv").read_text(encoding="utf-8")
    assert "selu" in text
    assert "mish" in text


def test_the_probe_names_them_and_saturation_where_the_output_tells_it():
    import chainrule.diagnostics as diag
    from chainrule.diagnostics._probe import activation_kind
    from chainrule.diagnostics._stats import saturated_share

    assert activation_kind(nn.ReLU6()) == "relu6"  # before Hardtanh, its base
    assert activation_kind(nn.Hardtanh()) == "hardtanh"
    assert activation_kind(nn.PReLU()) == "prelu"
    assert saturated_share("hardtanh", np.array([-2.0, 0.0, 1.0, 3.0]), min_val=-2.0,
                           max_val=3.0) == 0.5  # fmt: skip
    assert saturated_share("relu6", np.array([0.0, 6.0, 3.0, 1.0])) == 0.5
    assert saturated_share("hardsigmoid", np.array([0.0, 1.0, 0.5, 0.2])) == 0.5
    peak = LAMBDA * ALPHA
    assert saturated_share("selu", np.array([-peak + 0.001, -1.0, 2.0])) == pytest.approx(1 / 3)
    assert saturated_share("celu", np.array([-1.99, -0.5]), alpha=2.0) == 0.5
    assert saturated_share("logsigmoid", np.array([-1e-4, -2.0])) == 0.5
    assert saturated_share("softsign", np.array([0.95, -0.95, 0.0, 0.5])) == 0.5
    for kind in ["mish", "hardswish", "prelu", "tanhshrink", "softshrink", "hardshrink",
                 "threshold"]:  # fmt: skip
        assert saturated_share(kind, np.array([0.0, 1.0])) is None
    model = nn.Sequential(nn.Linear(1, 4, dtype="float64"), nn.Hardtanh(-0.5, 0.5))
    model[0].weight.data[:] = [[1.0, -1.0, 0.1, 0.2]]
    [s] = diag.Monitor(model, probe=np.array([[2.0]]), warn=False).record(1).activations
    assert (s.kind, s.saturated, s.dead) == ("hardtanh", 0.5, None)  # the layer's own bounds


# ----- PyTorch ------------------------------------------------------------------------------
TORCH = {
    "selu": lambda tf, x: tf.selu(x),
    "celu": lambda tf, x: tf.celu(x, 1.5),
    "mish": lambda tf, x: tf.mish(x),
    "hardtanh": lambda tf, x: tf.hardtanh(x, -0.5, 2.0),
    "relu6": lambda tf, x: tf.relu6(x),
    "hardsigmoid": lambda tf, x: tf.hardsigmoid(x),
    "hardswish": lambda tf, x: tf.hardswish(x),
    "logsigmoid": lambda tf, x: tf.logsigmoid(x),
    "softsign": lambda tf, x: tf.softsign(x),
    "tanhshrink": lambda tf, x: tf.tanhshrink(x),
    "softshrink": lambda tf, x: tf.softshrink(x, 0.7),
    "hardshrink": lambda tf, x: tf.hardshrink(x, 0.7),
    "threshold": lambda tf, x: tf.threshold(x, 0.3, -2.0),
    "prelu": lambda tf, x: tf.prelu(x, torch.tensor([0.25], dtype=torch.float64)),
}


def _torch_value_and_grad(name, x):
    t = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = TORCH[name](torch.nn.functional, t)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_as_pytorch(name):
    x = np.concatenate([_points(name), [k for k, _, _ in KINKS[name]]])
    y, g = _value_and_grad(FORMULAS[name][0], x)
    ty, tg = _torch_value_and_grad(name, x)
    np.testing.assert_allclose(y, ty, rtol=1e-13, atol=1e-300)
    # PyTorch computes hardsigmoid's 1/6 in float32 even for float64 inputs
    np.testing.assert_allclose(g, tg, rtol=1e-7 if name == "hardsigmoid" else 1e-13, atol=0)


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_the_kink_table_is_pytorchs(name):
    ty, tg = _torch_value_and_grad(name, [k for k, _, _ in KINKS[name]])
    np.testing.assert_allclose(ty, [v for _, v, _ in KINKS[name]], rtol=1e-15)
    np.testing.assert_allclose(tg, [d for _, _, d in KINKS[name]], rtol=1e-7)


@needs_torch
@pytest.mark.parametrize("name", ["mish", "softsign", "tanhshrink", "logsigmoid", "selu", "celu"])
def test_double_backward_as_pytorch(name):
    x = _points(name, n=10, seed=9)
    t = cr.tensor(x, requires_grad=True)
    (g,) = cr.autograd.grad(FORMULAS[name][0](t).sum(), t, create_graph=True)
    g.sum().backward()
    tt = torch.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad(TORCH[name](torch.nn.functional, tt).sum(), tt, create_graph=True)
    tg.sum().backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-10, atol=1e-14)


@needs_torch
@pytest.mark.parametrize(("layer", "text"), REPRS, ids=[t for _, t in REPRS])
def test_module_repr_as_pytorch(layer, text):
    make = {
        "Hardsigmoid()": lambda: torch.nn.Hardsigmoid(True),
        "Hardswish()": lambda: torch.nn.Hardswish(True),
    }.get(text)
    if make is None:
        make = lambda: eval("torch.nn." + text)  # noqa: E731
    assert repr(make()) == repr(layer)


@needs_torch
def test_prelu_per_channel_as_pytorch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4, 2))
    x[0, 0, 0] = 0.0
    w = np.array([0.1, -0.2, 0.3, 2.0])
    xt, wt = cr.tensor(x, requires_grad=True), cr.tensor(w, requires_grad=True)
    F.prelu(xt, wt).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.prelu(tx, tw).sum().backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(wt.grad, tw.grad.numpy(), rtol=1e-12)


@needs_torch
def test_prelu_state_loads_from_pytorch():
    theirs = torch.nn.PReLU(3, 0.1)
    ours = nn.PReLU(3)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert ours.weight.data.tolist() == pytest.approx([0.1] * 3)
