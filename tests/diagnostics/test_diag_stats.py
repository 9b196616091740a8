"""Activation statistics and the probe, against NumPy computed here."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import diagnostics as diag


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_sigmoid_saturation_by_hand():
    # y(1 − y) < 0.0025 exactly for 0.999, 0.001, 0.0025 (0.00249375) and 0.9976 (0.0023942)
    y = np.array([0.5, 0.9, 0.999, 0.001, 0.0025, 0.9976, 0.0026, 0.997])
    assert diag.saturated_share("sigmoid", y) == pytest.approx(4 / 8)


def test_tanh_saturation_by_hand():
    # 1 − y² < 0.01 exactly when |y| > √0.99 ≈ 0.99499
    y = np.array([[0.0, 0.5, -0.996], [0.999, 0.99, -0.9949]])
    assert diag.saturated_share("tanh", y) == pytest.approx(2 / 6)


def test_saturation_is_none_for_other_activations():
    assert diag.saturated_share("relu", np.ones(3)) is None


def test_dead_share_counts_units_never_positive():
    y = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    assert diag.dead_share(y) == pytest.approx(2 / 4)  # columns 0 and 3


def test_nan_outputs_are_neither_saturated_nor_dead():
    # saturation over the 4 numbers only (0.999 and 0.001 saturated), as mean and std skip NaN
    y = np.array([0.5, np.nan, 0.999, 0.001, np.nan, 0.6])
    assert diag.saturated_share("sigmoid", y) == pytest.approx(2 / 4)
    # column 0 is all NaN (broken, not dead), column 1 never positive (dead), column 2 alive
    units = np.array([[np.nan, 0.0, 1.0], [np.nan, -1.0, 0.0]])
    assert diag.dead_share(units) == pytest.approx(1 / 3)


def test_activation_stats_match_numpy():
    rng = np.random.default_rng(0)
    y = sigmoid(rng.normal(0, 3, size=(50, 20)))
    s = diag.activation_stats("1", "sigmoid", y, bins=10)
    counts, edges = np.histogram(y, bins=10, range=(0, 1))
    assert s.mean == pytest.approx(y.mean())
    assert s.std == pytest.approx(y.std())
    np.testing.assert_array_equal(s.counts, counts)
    np.testing.assert_allclose(s.edges, edges)
    assert s.saturated == pytest.approx(np.mean(y * (1 - y) < 0.0025))
    assert s.dead is None


def test_relu_stats_have_dead_share_and_data_range():
    y = np.array([[0.0, 1.0, 5.0, 2.0], [0.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 1.0]])
    s = diag.activation_stats("1", "relu", y, bins=5)  # column 0 is never positive
    assert s.dead == pytest.approx(1 / 4)
    assert (s.edges[0], s.edges[-1]) == (0.0, 5.0)
    np.testing.assert_array_equal(s.counts, [5, 2, 2, 1, 2])
    assert s.counts.sum() == y.size


def small_net(init=1.0, act=cr.nn.Sigmoid, seed=0):
    rng = np.random.default_rng(seed)
    return cr.nn.Sequential(
        cr.nn.Linear(4, 6, init=init, dtype="float64", generator=rng),
        act(),
        cr.nn.Linear(6, 3, init=init, dtype="float64", generator=rng),
        cr.nn.Tanh(),
    )


def test_layer_outputs_are_the_forward_pass():
    model = small_net()
    x = np.random.default_rng(1).normal(size=(8, 4))
    w1, b1, w2, b2 = (p.data for p in model.parameters())
    h = sigmoid(x @ w1 + b1)
    out = np.tanh(h @ w2 + b2)
    (n1, k1, y1), (n2, k2, y2) = diag.layer_outputs(model, x)
    assert (n1, k1, n2, k2) == ("1", "sigmoid", "3", "tanh")
    np.testing.assert_allclose(y1, h, rtol=1e-12)
    np.testing.assert_allclose(y2, out, rtol=1e-12)


def test_nested_sequential_and_custom_module_give_the_same_activations():
    flat = small_net()

    class Custom(cr.nn.Module):
        def __init__(self):
            self.body = cr.nn.Sequential(flat[0], flat[1])
            self.head = cr.nn.Sequential(flat[2], flat[3])

        def forward(self, x):
            return self.head(self.body(x))

    x = np.random.default_rng(2).normal(size=(5, 4))
    nested = cr.nn.Sequential(cr.nn.Sequential(flat[0], flat[1]), flat[2], flat[3])
    expected = [y for _, _, y in diag.layer_outputs(flat, x)]
    for model, names in ((nested, ["0.1", "2"]), (Custom(), ["body.1", "head.1"])):
        got = diag.layer_outputs(model, x)
        assert [n for n, _, _ in got] == names
        for (_, _, y), e in zip(got, expected):
            np.testing.assert_allclose(y, e)


def test_layer_outputs_use_eval_mode_without_a_graph_and_restore_the_modes():
    model = cr.nn.Sequential(cr.nn.Linear(3, 5), cr.nn.Dropout(0.9))
    x = np.ones((4, 3), dtype=np.float32)
    outs = diag.layer_outputs(model, x)  # no activation layers: every leaf layer is listed
    assert [k for _, k, _ in outs] == ["linear", "dropout"]
    np.testing.assert_array_equal(outs[0][2], outs[1][2])  # eval mode: dropout is off
    assert all(m.training for m in model.modules())
    assert cr.is_grad_enabled()
    assert all(p.grad is None for p in model.parameters())
