"""The diagnostics against truths worked out apart from them: NumPy forward and backward
passes of the same weights, networks built to be saturated, dead or exploding, the
textbook update rules, and arguments that must be refused by name."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnostics as diag
from chainrule import experiments as exps

ACTS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
}
DERIVS = {  # the local gradient as a function of the output y
    "sigmoid": lambda y: y * (1 - y),
    "tanh": lambda y: 1 - y * y,
    "relu": lambda y: (y > 0).astype(float),
}
MODULES = {"sigmoid": cr.nn.Sigmoid, "tanh": cr.nn.Tanh, "relu": cr.nn.ReLU}


def data(n=48, features=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)), rng.integers(0, classes, size=n)


def mlp(act, init, depth=4, width=12, features=6, classes=3, seed=0, bias=None):
    """``depth`` × (Linear → act) then a Linear; ``bias`` (a number) fills every hidden bias."""
    rng = np.random.default_rng(seed)
    layers, n_in = [], features
    for _ in range(depth):
        linear = cr.nn.Linear(n_in, width, init=init, dtype="float64", generator=rng)
        if bias is not None:
            linear.bias.data[...] = bias
        layers += [linear, MODULES[act]()]
        n_in = width
    last = cr.nn.Linear(n_in, classes, init="xavier", dtype="float64", generator=rng)
    return cr.nn.Sequential(*layers, last)


def weights(model):
    """[(W, b)] of every Linear, copied, in order."""
    return [(m.weight.data.copy(), m.bias.data.copy()) for m in model if hasattr(m, "weight")]


def numpy_forward(ws, act, x):
    """The hidden activations of the MLP with weights ``ws``, and its logits."""
    hidden = []
    for W, b in ws[:-1]:
        x = ACTS[act](x @ W + b)
        hidden.append(x)
    W, b = ws[-1]
    return hidden, x @ W + b


def numpy_gradients(ws, act, X, y):
    """The gradients of the mean softmax cross-entropy by hand: [(dW, db)] per Linear."""
    hidden, logits = numpy_forward(ws, act, X)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = (p - np.eye(p.shape[1])[y]) / len(X)
    inputs = [X, *hidden]
    grads = []
    for i in range(len(ws) - 1, -1, -1):
        grads.append((inputs[i].T @ delta, delta.sum(axis=0)))
        if i:
            delta = (delta @ ws[i][0].T) * DERIVS[act](hidden[i - 1])
    return grads[::-1]


def fit_once(model, monitor, X, y, epochs=1, lr=0.1, **kw):
    """Full-batch training (one batch an epoch), no shuffling."""
    opt = cr.optim.SGD(model.parameters(), lr=lr)
    return cr.fit(
        model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), epochs, callbacks=[monitor],
        batch_size=len(X), shuffle=False, progress=False, **kw,
    )  # fmt: skip


# ----- the statistics of real networks, against NumPy ----------------------------------------
@pytest.mark.parametrize(
    ("act", "init", "bias"),
    [
        ("sigmoid", 4.0, None),  # saturated sigmoid
        ("tanh", 3.0, None),  # saturated tanh
        ("relu", "he", -3.0),  # many dead units
        ("relu", "he", None),
        ("sigmoid", "xavier", None),
    ],
)
def test_activation_stats_equal_a_numpy_forward_pass(act, init, bias):
    X, y = data()
    model = mlp(act, init, bias=bias)
    monitor = diag.Monitor(model, warn=False, probe=X)
    fit_once(model, monitor, X, y)
    hidden, _ = numpy_forward(weights(model), act, X)  # the weights after the step
    stats = monitor.records[-1].activations
    assert [s.layer for s in stats] == ["1", "3", "5", "7"]
    for s, h in zip(stats, hidden):
        assert s.kind == act
        assert s.mean == pytest.approx(h.mean(), rel=1e-12, abs=1e-15)
        assert s.std == pytest.approx(np.sqrt(np.mean((h - h.mean()) ** 2)), rel=1e-10)
        assert s.counts.sum() == h.size
        if act == "relu":
            assert s.dead == np.mean(np.all(h <= 0, axis=0))
            assert s.saturated is None
        else:
            peak = 0.25 if act == "sigmoid" else 1.0
            assert s.saturated == np.mean(DERIVS[act](h) < 0.01 * peak)
            assert s.dead is None


def test_built_to_be_saturated_and_dead_they_read_so():
    X, _ = data()
    sat = diag.layer_outputs(mlp("sigmoid", 20.0), X)
    assert all(diag.saturated_share("sigmoid", out) > 0.8 for _, _, out in sat)  # |z| > 6.9
    dead = diag.layer_outputs(mlp("relu", "he", bias=-100.0), X)
    assert [diag.dead_share(out) for _, _, out in dead] == [1.0] * 4


@pytest.mark.parametrize(("act", "init"), [("sigmoid", 4.0), ("relu", "he")])
def test_gradient_norms_equal_a_numpy_backward_pass(act, init):
    X, y = data()
    model = mlp(act, init)
    before = weights(model)
    monitor = diag.Monitor(model, warn=False)
    fit_once(model, monitor, X, y)
    grads = numpy_gradients(before, act, X, y)
    record = monitor.records[-1]
    for i, (dW, db) in enumerate(grads):
        name = str(2 * i)
        assert record.grad_norms[f"{name}.weight"] == pytest.approx(np.linalg.norm(dW), rel=1e-9)
        assert record.grad_norms[f"{name}.bias"] == pytest.approx(np.linalg.norm(db), rel=1e-9)
        both = np.sqrt(np.sum(dW**2) + np.sum(db**2))
        assert record.layer_grad_norms[name] == pytest.approx(both, rel=1e-9)


def alerts_of(model, X, y, epochs=1, lr=0.1, **kw):
    monitor = diag.Monitor(model, warn=False, **kw)
    fit_once(model, monitor, X, y, epochs=epochs, lr=lr)
    return monitor


@pytest.mark.parametrize(
    ("act", "init"), [("sigmoid", 0.01), ("tanh", 0.01), ("sigmoid", 4.0), ("relu", "he")]
)
def test_vanishing_is_warned_exactly_when_the_numpy_ratio_is_below_the_limit(act, init):
    X, y = data()
    model = mlp(act, init, depth=5)
    grads = numpy_gradients(weights(model), act, X, y)
    norms = [np.sqrt(np.sum(dW**2) + np.sum(db**2)) for dW, db in grads]
    ratio = norms[0] / norms[-1]
    assert not 1e-4 < ratio < 1e-2  # clearly on one side of the limit
    monitor = alerts_of(model, X, y, lr=1e-9)  # the record's norms: the first step's
    assert [a.kind for a in monitor.alerts] == (["vanishing"] if ratio < 1e-3 else [])


def test_a_large_init_linear_stack_warns_of_exploding_not_vanishing():
    X, y = data()
    model = mlp("relu", 6.0, depth=6, width=30)
    grads = numpy_gradients(weights(model), "relu", X, y)
    assert max(np.sqrt(np.sum(dW**2) + np.sum(db**2)) for dW, db in grads) > 1e3
    monitor = alerts_of(model, X, y, lr=1e-12)
    assert "exploding" in [a.kind for a in monitor.alerts]
    assert "vanishing" not in [a.kind for a in monitor.alerts]


def test_a_healthy_network_raises_nothing():
    X, y = data()
    monitor = alerts_of(mlp("relu", "he"), X, y, epochs=3)
    assert monitor.alerts == []


# ----- a block with layers of its own inside a Sequential ------------------------------------
class Block(cr.nn.Module):
    """Linear → sigmoid, as a module of its own."""

    def __init__(self, n_in, n_out, rng):
        super().__init__()
        self.fc = cr.nn.Linear(n_in, n_out, init="xavier", dtype="float64", generator=rng)
        self.act = cr.nn.Sigmoid()

    def forward(self, x):
        return self.act(self.fc(x))


def block_model():
    rng = np.random.default_rng(1)
    return cr.nn.Sequential(
        cr.nn.Linear(6, 8, init="xavier", dtype="float64", generator=rng),
        cr.nn.Tanh(),
        Block(8, 5, rng),
        cr.nn.Linear(5, 3, init="xavier", dtype="float64", generator=rng),
    )


def test_a_blocks_activations_inside_a_sequential_are_probed():
    X, _ = data()
    model = block_model()
    outs = diag.layer_outputs(model, X)
    assert [(n, k) for n, k, _ in outs] == [("1", "tanh"), ("2.act", "sigmoid")]
    W0, b0 = model[0].weight.data, model[0].bias.data
    W1, b1 = model[2].fc.weight.data, model[2].fc.bias.data
    h1 = np.tanh(X @ W0 + b0)
    np.testing.assert_allclose(outs[0][2], h1, rtol=1e-12)
    np.testing.assert_allclose(outs[1][2], ACTS["sigmoid"](h1 @ W1 + b1), rtol=1e-12)


def test_a_blocks_layer_is_ordered_where_the_forward_pass_runs_it():
    X, y = data()
    model = block_model()
    monitor = diag.Monitor(model, warn=False)
    fit_once(model, monitor, X, y)
    assert list(monitor.records[-1].layer_grad_norms) == ["0", "2.fc", "3"]


class ScaledBlock(Block):
    """A block with a parameter of its own besides its layers: sigmoid(scale · fc(x))."""

    def __init__(self, n_in, n_out, rng):
        super().__init__(n_in, n_out, rng)
        self.scale = cr.nn.Parameter(np.full(n_out, 2.0))

    def forward(self, x):
        return self.act(self.fc(x) * self.scale)


class Wrapped(cr.nn.Module):
    """A model (not a Sequential) with a scaled block between two Linear layers."""

    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(1)
        self.head = ScaledBlock(6, 5, rng)  # declared first, called second
        self.inp = cr.nn.Linear(6, 6, init="xavier", dtype="float64", generator=rng)
        self.out = cr.nn.Linear(5, 3, init="xavier", dtype="float64", generator=rng)

    def forward(self, x):
        return self.out(self.head(self.inp(x)))


def test_a_blocks_own_parameters_are_ordered_where_its_layers_run():
    X, y = data()
    model = Wrapped()
    monitor = diag.Monitor(model, warn=False)
    fit_once(model, monitor, X, y)
    order = list(monitor.records[-1].layer_grad_norms)
    assert order[0] == "inp"
    assert order[-1] == "out"
    assert set(order[1:-1]) == {"head", "head.fc"}


# ----- histograms of values too close together for their bins --------------------------------
@pytest.mark.parametrize(
    "values",
    [
        [0.5, np.nextafter(0.5, 1.0)],
        [1000.0, np.nextafter(1000.0, 2000.0), 1000.0],
        [1e20],
        [3e16, 3e16],
        [-1e17],
    ],
)
@pytest.mark.parametrize("kind", ["relu", "leaky_relu", "linear"])
def test_near_constant_values_get_a_histogram(values, kind):
    y = np.array(values)
    s = diag.activation_stats("0", kind, y, bins=30)
    assert s.counts.sum() == y.size
    assert np.all(np.diff(s.edges) > 0)
    assert s.edges[0] <= y.min()
    assert y.max() <= s.edges[-1]
    assert s.mean == pytest.approx(np.mean(y), rel=1e-15)


def test_a_monitor_of_a_constant_large_layer_keeps_training():
    X, y = data()
    model = mlp("relu", 1e-30, depth=2, bias=1e17)  # every hidden output ≈ 1e17
    monitor = diag.Monitor(model, warn=False)
    fit_once(model, monitor, X, y, lr=0.0)
    assert [s.counts.sum() for s in monitor.records[-1].activations] == [X.shape[0] * 12] * 2


# ----- arguments refused by name ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value"),
    [("vanish", -1.0), ("explode", 0), ("growth", math.nan), ("vanish", "1e-3"), ("growth", True)],
)
def test_thresholds_refuse_what_is_not_a_positive_number(name, value):
    with pytest.raises(ValueError, match=f"Thresholds: {name} must be"):
        diag.Thresholds(**{name: value})


def test_thresholds_take_inf_to_switch_a_rule_off():
    assert diag.Thresholds(explode=math.inf).explode == math.inf


def test_the_monitor_refuses_thresholds_that_are_not_thresholds():
    with pytest.raises(TypeError, match="Monitor: thresholds must be"):
        diag.Monitor(warn=False, thresholds={"vanish": 1e-4})


@pytest.mark.parametrize("probe", [np.zeros((4, 7)), np.zeros((0, 6))])
def test_a_probe_the_model_cannot_take_is_refused_before_training(probe):
    X, y = data()
    model = mlp("relu", "he", depth=1)
    before = weights(model)
    monitor = diag.Monitor(model, warn=False, probe=probe)
    with pytest.raises(ValueError, match=r"Monitor: .*probe"):
        fit_once(model, monitor, X, y)
    for (W0, b0), (W1, b1) in zip(before, weights(model)):
        np.testing.assert_array_equal(W0, W1)
        np.testing.assert_array_equal(b0, b1)


def test_a_monitor_refused_at_train_begin_takes_the_next_fits_model_and_data():
    # the refusal leaves the monitor as it was made: the fixed model and its data are used
    X, y = data()
    monitor = diag.Monitor(warn=False)
    with pytest.raises(ValueError, match="Monitor: the model cannot take the probe"):
        fit_once(mlp("relu", "he", depth=1, features=7), monitor, X, y)
    assert monitor.model is None
    assert monitor.probe is None
    fixed = mlp("relu", "he", depth=1)
    fit_once(fixed, monitor, X, y)
    assert monitor.model is fixed
    assert monitor.records


@pytest.mark.parametrize("under", ["", "sub"])
def test_an_out_dir_that_cannot_be_a_directory_is_refused_before_training(tmp_path, under):
    X, y = data()
    (tmp_path / "taken").write_text("not a directory")
    model = mlp("relu", "he", depth=1)
    before = weights(model)
    monitor = diag.Monitor(model, warn=False, out_dir=tmp_path / "taken" / under)
    with pytest.raises(ValueError, match="Monitor: out_dir"):
        fit_once(model, monitor, X, y)
    np.testing.assert_array_equal(before[0][0], weights(model)[0][0])
    assert (tmp_path / "taken").read_text() == "not a directory"


def test_the_playground_names_its_bad_arguments():
    sgd = {"SGD": (cr.optim.SGD, {"lr": 0.1})}
    with pytest.raises(TypeError, match="playground: optimizers must be"):
        cr.optim.playground("x2/20+y2", [sgd["SGD"]])
    for dtype in ("nope", "int64"):
        with pytest.raises(ValueError, match="playground: dtype must be"):
            cr.optim.playground("x2/20+y2", sgd, dtype=dtype)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"layers": 0}, "layers"),
        ({"samples": 0}, "samples"),
        ({"units": 2.5}, "units"),
        ({"bins": 0}, "bins"),
        ({"seed": -1}, "seed"),
        ({"activations": ["swish"]}, "activation"),
    ],
)
def test_init_experiment_names_its_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"init_experiment: (unknown )?{name}"):
        exps.init_experiment(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"epochs": -1}, "epochs"),
        ({"steps": -1}, "steps"),
        ({"seed": -1, "epochs": 0}, "seed"),
        ({"batch_size": 0, "epochs": 0}, "batch_size"),
        ({"function": "nope"}, "function"),
    ],
)
def test_optimizer_experiment_names_its_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"optimizer_experiment: (unknown )?{name}"):
        exps.optimizer_experiment(**kwargs)


# ----- the playground against the textbook rules -----------------------------------------------
def textbook(name, lr, g, state, t):
    """One textbook step (the tutorials' forms; Adam as in Kingma and Ba): the change."""
    if name == "SGD":
        return -lr * g
    if name == "Momentum":
        state["v"] = 0.9 * state.get("v", 0.0) - lr * g
        return state["v"]
    if name == "AdaGrad":
        state["h"] = state.get("h", 0.0) + g * g
        return -lr * g / (np.sqrt(state["h"]) + 1e-10)
    if name == "RMSProp":
        state["h"] = 0.99 * state.get("h", 0.0) + 0.01 * g * g
        return -lr * g / (np.sqrt(state["h"]) + 1e-8)
    state["m"] = 0.9 * state.get("m", 0.0) + 0.1 * g
    state["v"] = 0.999 * state.get("v", 0.0) + 0.001 * g * g
    m_hat, v_hat = state["m"] / (1 - 0.9**t), state["v"] / (1 - 0.999**t)
    return -lr * m_hat / (np.sqrt(v_hat) + 1e-8)


CLASSES = {
    "SGD": cr.optim.SGD,
    "Momentum": cr.optim.Momentum,
    "AdaGrad": cr.optim.AdaGrad,
    "RMSProp": cr.optim.RMSProp,
    "Adam": cr.optim.Adam,
}


@pytest.mark.parametrize("name", CLASSES)
@pytest.mark.parametrize("start", [(-7.0, 2.0), (3.0, -1.5)])
def test_the_playground_follows_the_textbook_on_the_bowl(name, start):
    lr = {"SGD": 0.9, "Momentum": 0.1, "AdaGrad": 1.5, "RMSProp": 0.05, "Adam": 0.3}[name]
    options = {"lr": lr, "momentum": 0.9} if name == "Momentum" else {"lr": lr}
    path = cr.optim.playground("x2/20+y2", {name: (CLASSES[name], options)}, 40, start)[name]
    p, state, want = np.array(start), {}, [start]
    for t in range(1, 41):
        p = p + textbook(name, lr, np.array([p[0] / 10, 2 * p[1]]), state, t)
        want.append(tuple(p))
    np.testing.assert_allclose(path, np.array(want), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("start", [(-7.0, 2.0), (0.1, 0.3)])
def test_the_float32_playground_follows_the_textbook_in_float32(start):
    f32 = np.float32
    path = cr.optim.playground(
        "x2/20+y2", {"SGD": (cr.optim.SGD, {"lr": 0.9})}, 20, start, dtype="float32"
    )["SGD"]
    p = np.array(start, dtype=f32)
    np.testing.assert_array_equal(path[0], p)  # the start as the float32 parameters hold it
    for i in range(1, 21):
        g = np.array([p[0] * f32(2) / f32(20), f32(2) * p[1]], dtype=f32)
        p = (p - f32(0.9) * g).astype(f32)
        np.testing.assert_allclose(path[i], p, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("run", [exps.init_experiment, exps.optimizer_experiment])
def test_the_experiments_check_a_seed_as_manual_seed_does(run):
    # one seed check for the package: a seed that is not an integer is a TypeError
    kwargs = {"epochs": 0} if run is exps.optimizer_experiment else {}
    with pytest.raises(TypeError, match=f"{run.__name__}: seed must be an integer, got 1.5"):
        run(seed=1.5, **kwargs)
