"""The diagnostics' and the experiments' numbers against computations written here in plain
NumPy: a hand-written forward pass and backprop, the optimizers' update rules from their
docstrings, and the initialisations drawn from the same seeds."""

import csv
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnostics as diag
from chainrule.diagnostics import _plot
from chainrule.experiments import _initialisation as init_exp
from chainrule.experiments import _optimizers as opt_exp


@pytest.fixture(autouse=True)
def _no_pictures(monkeypatch):
    monkeypatch.setattr(_plot, "have_matplotlib", lambda: False)  # the numbers are checked


ACT = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda h: h * (1 - h)),
    "tanh": (np.tanh, lambda h: 1 - h * h),
    "relu": (lambda z: np.maximum(z, 0), lambda h: (h > 0) * 1.0),
}
MODULE = {"sigmoid": cr.nn.Sigmoid, "tanh": cr.nn.Tanh, "relu": cr.nn.ReLU}


def reference_stats(kind, h):
    """Mean, std, saturated share (local gradient < 1% of its peak), dead share (a unit
    never positive), as the docs define them."""
    ref = {"mean": h.mean(), "std": h.std(), "saturated": None, "dead": None}
    if kind == "sigmoid":
        ref["saturated"] = np.mean(h * (1 - h) < 0.01 * 0.25)
    if kind == "tanh":
        ref["saturated"] = np.mean(1 - h * h < 0.01)
    if kind == "relu":
        ref["dead"] = np.mean(~np.any(h > 0, axis=0))
    return ref


def check_stats(stats, kind, h, span):
    for key, expected in reference_stats(kind, h).items():
        got = getattr(stats, key)
        if expected is None:
            assert got is None, key
        else:
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-15), key
    counts, edges = np.histogram(h, bins=len(stats.counts), range=span)
    np.testing.assert_array_equal(stats.counts, counts)
    np.testing.assert_allclose(stats.edges, edges, rtol=1e-15)


# ----- the Monitor against a hand-written training run ----------------------------------------
KINDS = ("sigmoid", "tanh", "relu", "sigmoid")
SIZES = (10, 9, 8, 7)


def forward(weights, x):
    hs = [x]
    for (w, b), kind in zip(weights[:-1], KINDS):
        hs.append(ACT[kind][0](hs[-1] @ w + b))
    w, b = weights[-1]
    return hs, hs[-1] @ w + b


def backprop(weights, x, t):
    """Gradients of the mean softmax cross-entropy, layer by layer from the output."""
    hs, z = forward(weights, x)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d = p
    d[np.arange(len(t)), t] -= 1
    d /= len(t)
    grads = [None] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        grads[i] = (hs[i].T @ d, d.sum(axis=0))
        if i:
            d = (d @ weights[i][0].T) * ACT[KINDS[i - 1]][1](hs[i])
    return grads


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((48, 6)), rng.integers(0, 3, 48)
    gen, layers, width = np.random.default_rng(7), [], 6
    for kind, size in zip(KINDS, SIZES):
        layers += [cr.nn.Linear(width, size, init=1.0, dtype="float64", generator=gen)]
        layers += [MODULE[kind]()]
        width = size
    layers.append(cr.nn.Linear(width, 3, init="xavier", dtype="float64", generator=gen))
    model = cr.nn.Sequential(*layers)
    start = [(m.weight.data.copy(), m.bias.data.copy()) for m in model[::2]]
    out = tmp_path_factory.mktemp("diag")
    monitor = diag.Monitor(model, out_dir=out, warn=False, probe_size=20)
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_plot, "have_matplotlib", lambda: False)
        cr.fit(
            model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 3, callbacks=[monitor],
            batch_size=16, shuffle=False, progress=False,
        )  # fmt: skip
    return SimpleNamespace(X=X, y=y, model=model, start=start, monitor=monitor, out=out)


def test_the_records_equal_a_hand_written_training_run(monitored):
    weights, names = monitored.start, [str(2 * i) for i in range(len(monitored.start))]
    X, y = monitored.X, monitored.y
    for record in monitored.monitor.records:
        layer_sum, param_sum = dict.fromkeys(names, 0.0), {}
        for s in range(0, len(X), 16):
            grads = backprop(weights, X[s : s + 16], y[s : s + 16])
            for name, (gw, gb) in zip(names, grads):
                layer_sum[name] += math.sqrt(np.sum(gw**2) + np.sum(gb**2))
                for part, g in (("weight", gw), ("bias", gb)):
                    key = f"{name}.{part}"
                    param_sum[key] = param_sum.get(key, 0.0) + np.sqrt(np.sum(g**2))
            weights = [(w - 0.5 * gw, b - 0.5 * gb) for (w, b), (gw, gb) in zip(weights, grads)]
        assert list(record.layer_grad_norms) == names  # first layer first
        for name, total in layer_sum.items():
            assert record.layer_grad_norms[name] == pytest.approx(total / 3, rel=1e-12)
        assert record.grad_norms == pytest.approx({k: v / 3 for k, v in param_sum.items()})
        hs, _ = forward(weights, X[:20])  # the probe: the first 20 inputs, after the epoch
        assert [s.kind for s in record.activations] == list(KINDS)
        for stats, kind, h in zip(record.activations, KINDS, hs[1:]):
            span = {"sigmoid": (0, 1), "tanh": (-1, 1)}.get(kind, (h.min(), h.max()))
            check_stats(stats, kind, h, span)
    for m, (w, b) in zip(monitored.model[::2], weights):
        np.testing.assert_allclose(m.weight.data, w, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(m.bias.data, b, rtol=1e-12, atol=1e-15)


def test_the_files_hold_the_records_at_full_precision(monitored):
    records, out = monitored.monitor.records, monitored.out
    with open(out / "activations.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = [(r.epoch, s) for r in records for s in r.activations]
    assert len(rows) == len(expected) == 12
    for row, (epoch, s) in zip(rows, expected):
        assert (int(row["epoch"]), row["layer"], row["kind"]) == (epoch, s.layer, s.kind)
        assert (float(row["mean"]), float(row["std"])) == (s.mean, s.std)
        for key in ("saturated", "dead"):
            value = getattr(s, key)
            assert row[key] == ("" if value is None else repr(value))
    with open(out / "gradients.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = [(r.epoch, n, g) for r in records for n, g in r.grad_norms.items()]
    assert len(rows) == len(expected) == 30
    for row, (epoch, name, g) in zip(rows, expected):
        assert (int(row["epoch"]), row["parameter"], float(row["grad_norm"])) == (epoch, name, g)
        assert row["layer"] == name.rpartition(".")[0]
    about = json.loads((out / "stats.json").read_text())
    for saved, record in zip(about["epochs"], records, strict=True):
        assert saved["layer_grad_norms"] == record.layer_grad_norms
        assert saved["grad_norms"] == record.grad_norms
        for s_json, s in zip(saved["activations"], record.activations, strict=True):
            assert s_json["counts"] == s.counts.tolist()
            assert s_json["edges"] == s.edges.tolist()
            assert (s_json["mean"], s_json["std"]) == (s.mean, s.std)


# ----- observing changes nothing ---------------------------------------------------------------
class Branchy(cr.nn.Module):
    """Not a Sequential: the probe goes through the call recorder."""

    def __init__(self):
        self.a, self.bn = cr.nn.Linear(5, 12), cr.nn.BatchNorm1d(12)
        self.drop, self.b = cr.nn.Dropout(0.3), cr.nn.Linear(12, 3)

    def forward(self, x):
        return self.b(self.drop(self.bn(self.a(x)).relu()))


def build(kind):
    cr.manual_seed(1)
    if kind == "custom":
        return Branchy()
    return cr.nn.Sequential(
        cr.nn.Linear(5, 12), cr.nn.BatchNorm1d(12), cr.nn.ReLU(), cr.nn.Dropout(0.3),
        cr.nn.Linear(12, 3),
    )  # fmt: skip


def train_dropout_bn(kind, monitor=None):
    X = np.random.default_rng(0).standard_normal((40, 5)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 3, 40)
    model = build(kind)
    callbacks = [] if monitor is None else [monitor(model)]
    history = cr.fit(
        model, cr.nn.SoftmaxCrossEntropy(), cr.optim.Adam(model.parameters(), lr=0.01),
        (X, y), 3, batch_size=8, seed=4, callbacks=callbacks, progress=False,
        val_data=(X[:10], y[:10]),
    )  # fmt: skip
    state = [p.data.copy() for p in model.parameters()]
    state += [b.copy() for _, b in model.named_buffers()]
    return state, history.history, callbacks, X


@pytest.mark.parametrize("kind", ["sequential", "custom"])
def test_watching_dropout_and_batchnorm_changes_no_bit(kind):
    plain, plain_history, _, _ = train_dropout_bn(kind)
    probe = np.random.default_rng(2).standard_normal((100, 5))
    for monitor in (
        lambda m: diag.Monitor(m, warn=False, probe_size=1000),  # more than the 40 samples
        lambda m: diag.Monitor(None, warn=False, probe=probe),
    ):
        state, history, _, _ = train_dropout_bn(kind, monitor)
        assert history == plain_history
        assert len(state) == len(plain) == 9  # 6 parameters, 3 BatchNorm buffers
        for a, b in zip(state, plain):
            np.testing.assert_array_equal(a, b)


def test_the_probe_runs_batchnorm_on_its_running_statistics_without_dropout():
    _, _, (monitor,), X = train_dropout_bn("sequential", lambda m: diag.Monitor(m, warn=False))
    model = monitor.model
    lin, bn = model[0], model[1]
    z = X.astype(np.float64) @ lin.weight.data + lin.bias.data  # all 40 samples: the probe
    mean, var = dict(bn.named_buffers())["running_mean"], dict(bn.named_buffers())["running_var"]
    h = np.maximum((z - mean) / np.sqrt(var + bn.eps) * bn.weight.data + bn.bias.data, 0)
    (stats,) = monitor.records[-1].activations
    assert stats.layer == "2"
    assert stats.mean == pytest.approx(h.mean(), rel=1e-5)
    assert stats.std == pytest.approx(h.std(), rel=1e-5)
    assert stats.dead == np.mean(~np.any(h > 0, axis=0))


# ----- the warning rules at their thresholds ---------------------------------------------------
def run_rules(epochs, **kwargs):
    """A Monitor fed by hand: per epoch, per batch, the gradient norms (first layer, last
    layer) of a two-layer model (the biases' gradients are 0)."""
    model = cr.nn.Sequential(
        cr.nn.Linear(1, 1, dtype="float64"), cr.nn.Sigmoid(), cr.nn.Linear(1, 1, dtype="float64")
    )
    monitor = diag.Monitor(model, warn=False, probe=np.zeros((2, 1)), **kwargs)
    state = SimpleNamespace(epoch=0, model=model, loader=None)
    monitor.on_train_begin(state)
    for epoch, batches in enumerate(epochs):
        state.epoch = epoch
        monitor.on_epoch_begin(state)
        for first, last in batches:
            for layer, g in ((model[0], first), (model[2], last)):
                layer.weight.grad = np.full((1, 1), float(g))
                layer.bias.grad = np.zeros(1)
            monitor.on_batch_end(state)
        monitor.on_epoch_end(state, {"loss": 1.0})
    return [(a.epoch, a.kind) for a in monitor.alerts], monitor.records


@pytest.mark.parametrize(
    ("epochs", "alerts"),
    [
        ([[(1.0, 1000.0)]], []),  # exactly 1e-3 of the last layer's: not below
        ([[(0.999, 1000.0)]], [(1, "vanishing")]),
        ([[(0.0, 1.0)]], [(1, "vanishing")]),
        ([[(1.0, 0.0)]], []),  # nothing to compare with
        ([[(1000.0, 1.0)]], []),  # exactly 1e3: not above
        ([[(1000.000001, 1.0)]], [(1, "exploding")]),
        ([[(1, 1), (1, 1), (2000, 1), (1, 1)]], [(1, "exploding")]),  # one batch; mean 500.75
        ([[(1, 1)], [(100, 1)]], []),  # exactly 100×
        ([[(1, 1)], [(100.01, 1)]], [(2, "exploding")]),
        ([[(math.nan, 1)]], [(1, "nonfinite_gradients")]),
        ([[(1, math.inf)]], [(1, "nonfinite_gradients")]),
        # said when it starts, not while it lasts, and again when it comes back
        ([[(1, 1)], [(2000, 1)], [(3000, 1)], [(1, 1)], [(2000, 1)]],
         [(2, "exploding"), (5, "exploding")]),
    ],
)  # fmt: skip
def test_the_rules_at_and_beyond_their_thresholds(epochs, alerts):
    assert run_rules(epochs)[0] == alerts


def test_gradients_beyond_the_squares_range_keep_their_norms():
    # the squares of 1e200 overflow and those of 1e-200 underflow in float64; the norms and
    # the warnings must not: the first is exploding (finite), the second vanishing (not 0)
    with np.errstate(over="raise", under="ignore"):
        alerts, records = run_rules([[(1e200, 1.0)]])
    assert alerts == [(1, "exploding")]
    assert records[0].layer_grad_norms == {"0": 1e200, "2": 1.0}
    assert records[0].grad_norms["0.weight"] == 1e200
    alerts, records = run_rules([[(1e-200, 1e-190)]])
    assert alerts == [(1, "vanishing")]
    assert records[0].layer_grad_norms["0"] == pytest.approx(1e-200, rel=1e-12)
    assert records[0].layer_grad_norms["2"] == pytest.approx(1e-190, rel=1e-12)


# ----- the optimizers, by their docstrings' maths ----------------------------------------------
def hand_step(name, options, p, g, state):
    """One step of the named optimizer on the array ``p`` with gradient ``g`` (defaults as
    the classes document them)."""
    lr, alpha = options["lr"], options.get("momentum", 0.9)
    state["t"] = t = state.get("t", 0) + 1
    if name == "SGD":
        return p - lr * g
    if name in ("Momentum", "Nesterov"):
        state["v"] = v = alpha * state.get("v", 0.0) - lr * g
        return p + v if name == "Momentum" else p + alpha * v - lr * g
    if name == "AdaGrad":
        state["h"] = h = state.get("h", 0.0) + g * g
        return p - lr * g / (np.sqrt(h) + 1e-10)
    if name == "RMSProp":
        a = options.get("alpha", 0.99)
        state["s"] = s = a * state.get("s", 0.0) + (1 - a) * g * g
        return p - lr * g / (np.sqrt(s) + 1e-8)
    state["m"] = m = 0.9 * state.get("m", 0.0) + 0.1 * g  # Adam
    state["s"] = s = 0.999 * state.get("s", 0.0) + 0.001 * g * g
    return p - lr * (m / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)


SURFACES = {
    "x2/20+y2": ((-7.0, 2.0), lambda x, y: np.array([x / 10, 2 * y])),
    "rosenbrock": (
        (-1.5, 2.0),
        lambda x, y: np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]),
    ),
    "saddle": ((-4.5, 0.05), lambda x, y: np.array([2 * x, -2 * y])),
}


@pytest.mark.parametrize("function", SURFACES)
def test_every_experiment_path_follows_the_update_rules(function):
    start, gradient = SURFACES[function]
    result = opt_exp.optimizer_experiment(function, steps=60, epochs=0)
    for name, (_, options) in result_optimizers(function).items():
        p, state, path = np.array(start), {}, [start]
        for _ in range(60):
            p = hand_step(name, options, p, gradient(*p), state)
            path.append(tuple(p))
        got = result.trajectories[name]
        assert got.shape == (61, 2)
        scale = np.maximum(1.0, np.abs(path))
        assert np.max(np.abs(got - np.array(path)) / scale) < 1e-12, name


def result_optimizers(function):
    if function == "rosenbrock":
        return opt_exp.ROSENBROCK_OPTIMIZERS
    return opt_exp.TRAJECTORY_OPTIMIZERS


def test_the_digits_curves_start_from_the_same_weights_and_batches(tmp_path):
    epochs = 2
    losses, accuracy = opt_exp.train_digits(opt_exp.NETWORK_OPTIMIZERS, epochs, seed=0)
    digits = cr.data.load_digits()
    X, X_test, y, y_test = cr.data.train_test_split(
        digits.X / 16.0, digits.y, test_size=0.2, seed=0, stratify=True
    )
    for name, (_, options) in opt_exp.NETWORK_OPTIMIZERS.items():
        draw = np.random.default_rng(0)  # He then Xavier, drawn in float32 as the layers are
        w1 = draw.standard_normal((64, 100), dtype=np.float32) * np.float32(math.sqrt(2 / 64))
        w2 = draw.standard_normal((100, 10), dtype=np.float32) * np.float32(math.sqrt(2 / 110))
        params = [w1.astype(np.float64), np.zeros(100), w2.astype(np.float64), np.zeros(10)]
        states, order_rng, mine = [{} for _ in params], np.random.default_rng(0), []
        for _ in range(epochs):
            total, order = 0.0, order_rng.permutation(len(X))
            for s in range(0, len(X), 100):
                x, t = X[order[s : s + 100]], y[order[s : s + 100]]
                h = np.maximum(x @ params[0] + params[1], 0)
                z = h @ params[2] + params[3]
                z -= z.max(axis=1, keepdims=True)
                logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
                total -= logp[np.arange(len(t)), t].sum()
                dz = np.exp(logp)
                dz[np.arange(len(t)), t] -= 1
                dz /= len(t)
                dh = dz @ params[2].T * (h > 0)
                grads = [x.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)]
                params = [
                    hand_step(name, options, p, g, st) for p, g, st in zip(params, grads, states)
                ]
            mine.append(total / len(X))
        assert losses[name] == pytest.approx(mine, rel=1e-5), name
        h = np.maximum(X_test @ params[0] + params[1], 0)
        assert accuracy[name] == np.mean((h @ params[2] + params[3]).argmax(axis=1) == y_test)


def test_the_optimizer_csvs_hold_the_results(tmp_path):
    result = opt_exp.optimizer_experiment(steps=5, epochs=1)
    opt_exp.write_optimizer_outputs(result, tmp_path)
    with open(tmp_path / "trajectories.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    expected = [(n, i, p) for n, path in result.trajectories.items() for i, p in enumerate(path)]
    assert len(rows) == len(expected) == 36
    for row, (name, i, p) in zip(rows, expected):
        assert (row["optimizer"], int(row["step"])) == (name, i)
        assert (float(row["x"]), float(row["y"])) == (p[0], p[1])
    with open(tmp_path / "losses.csv", newline="") as f:
        (row,) = csv.DictReader(f)
    assert row["epoch"] == "1"
    assert {k: float(v) for k, v in row.items() if k != "epoch"} == {
        k: v[0] for k, v in result.losses.items()
    }


# ----- the initialisation experiment -----------------------------------------------------------
def test_the_init_experiment_equals_a_numpy_forward_pass(tmp_path):
    samples, units, layers, seed = 300, 40, 4, 5
    result = init_exp.init_experiment(samples=samples, units=units, layers=layers, seed=seed)
    x = np.random.default_rng(seed).standard_normal((samples, units))
    stds = {"std 1": 1.0, "std 0.01": 0.01, "Xavier": math.sqrt(2 / 80), "He": math.sqrt(2 / 40)}
    for kind, (f, _) in ACT.items():
        for label, std in stds.items():
            draw, h, outs = np.random.default_rng(seed + 1), x, []
            for _ in range(layers):
                h = f(h @ (draw.standard_normal((units, units)) * std))
                outs.append(h)
            span = {"sigmoid": (0, 1), "tanh": (-1, 1)}.get(kind, (0, max(o.max() for o in outs)))
            stats = result.stats[(kind, label)]
            assert [s.layer for s in stats] == ["1", "2", "3", "4"]
            for s, h in zip(stats, outs):
                check_stats(s, kind, h, span)
    init_exp.write_init_outputs(result, tmp_path)
    with open(tmp_path / "init_stats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 48
    for row, want in zip(rows, result.rows(), strict=True):
        for key in init_exp.COLUMNS:
            value = want[key]
            text = "" if value is None else repr(value) if isinstance(value, float) else str(value)
            assert row[key] == text


def test_a_parameter_without_a_gradient_in_some_batches_is_averaged_over_the_others():
    # the second layer's weight gets a gradient in batches 1 and 3 only (None in 2, as
    # zero_grad() leaves a parameter the batch did not reach): its mean is (3 + 5) / 2
    model = cr.nn.Sequential(
        cr.nn.Linear(1, 1, dtype="float64"), cr.nn.Linear(1, 1, dtype="float64")
    )
    monitor = diag.Monitor(model, warn=False, probe=np.zeros((2, 1)))
    state = SimpleNamespace(epoch=0, model=model, loader=None)
    monitor.on_train_begin(state)
    monitor.on_epoch_begin(state)
    for first, last in ((1.0, 3.0), (2.0, None), (6.0, 5.0)):
        model[0].weight.grad = np.full((1, 1), first)
        model[1].weight.grad = None if last is None else np.full((1, 1), last)
        monitor.on_batch_end(state)
    monitor.on_epoch_end(state, {"loss": 1.0})
    record = monitor.records[-1]
    assert record.grad_norms["0.weight"] == pytest.approx(3.0)  # (1 + 2 + 6) / 3
    assert record.grad_norms["1.weight"] == pytest.approx(4.0)
    assert record.layer_grad_norms["1"] == pytest.approx(4.0)
    assert "0.bias" not in record.grad_norms  # never a gradient: not in the record
