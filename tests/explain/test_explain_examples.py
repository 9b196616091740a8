"""The worked examples: every expected number is worked out here, by hand or with math."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _explain_reference import WEIGHTS, seed_forward, seed_gradients

import chainrule.examples as examples
from chainrule._explain import explain


def grads(trace) -> dict[str, float]:
    return {v.name: float(v.grad) for v in trace.values if v.kind == "parameter"}


def test_seed_network_forward_values():
    trace = explain(examples.seed_network())
    expected = seed_forward(WEIGHTS)
    seen = {k: float(trace[k].data) for k in expected}
    assert seen == pytest.approx(expected, rel=1e-14)
    assert trace.output.name == "E"
    assert trace["W5"].data.dtype == np.float64
    # by hand: z1 = 0.3·0.1 + 0.25·0.2 = 0.08 and z2 = 0.4·0.1 + 0.35·0.2 = 0.11
    assert (float(trace["z1"].data), float(trace["z2"].data)) == pytest.approx((0.08, 0.11))


def test_seed_network_gradients():
    trace = explain(examples.seed_network())
    assert grads(trace) == pytest.approx(seed_gradients(WEIGHTS), rel=1e-12)


def test_seed_network_with_other_weights():
    w = {**WEIGHTS, "W5": 0.1, "W1": -0.2}
    trace = explain(examples.seed_network(w))
    assert float(trace.output.data) == pytest.approx(seed_forward(w)["E"], rel=1e-14)
    assert grads(trace) == pytest.approx(seed_gradients(w), rel=1e-12)


def test_add_mul():
    # f = (x + y)·z with x = −2, y = 5, z = −4: q = 3, f = −12;
    # ∂f/∂z = q = 3, ∂f/∂q = z = −4, and add passes −4 on to x and y
    trace = explain(examples.add_mul())
    assert float(trace.output.data) == -12.0
    assert grads(trace) == {"x": -4.0, "y": -4.0, "z": 3.0}
    add = next(s for s in trace.steps if s.op == "Add")
    assert float(add.upstream) == -4.0
    assert [float(e.local) for e in add.inputs] == [1.0, 1.0]


def test_apple():
    # 100 × 2 × 1.1 = 220; ∂/∂apple = 2 × 1.1, ∂/∂count = 100 × 1.1, ∂/∂tax = 100 × 2
    trace = explain(examples.apple())
    assert float(trace.output.data) == pytest.approx(220.0, rel=1e-15)
    assert grads(trace) == pytest.approx({"apple": 2.2, "count": 110.0, "tax": 200.0}, rel=1e-15)


def test_sigmoid_graph_local_gradients():
    x = 0.5
    y = 1.0 / (1.0 + math.exp(-x))
    trace = explain(examples.sigmoid_graph(x))
    local = {
        (s.op, trace.values[e.value].name): float(e.local) for s in trace.steps for e in s.inputs
    }
    assert local[("Div", "c")] == pytest.approx(-(y**2), rel=1e-14)  # 1/c: −y²
    assert local[("Add", "b")] == 1.0  # +1
    assert local[("Exp", "a")] == pytest.approx(math.exp(-x), rel=1e-14)  # exp(−x)
    assert local[("Mul", "x")] == -1.0  # ×(−1)
    assert local[("Sigmoid", "x")] == pytest.approx(y * (1 - y), rel=1e-14)  # y(1 − y)
    # both branches send x the same gradient: the four nodes agree with the fused one
    parts = [float(trace.step(n).edge(s).downstream) for n, s in trace["x"].consumers]
    assert parts == pytest.approx([y * (1 - y)] * 2, rel=1e-14)
    assert float(trace["y_graph"].data) == pytest.approx(y, rel=1e-15)


def test_softmax_with_loss_gradient_is_softmax_minus_target():
    a = [0.3, 2.9, 4.0]
    e = [math.exp(v) for v in a]
    softmax = [v / sum(e) for v in e]
    trace = explain(examples.softmax_with_loss(a, (0.0, 0.0, 1.0)))
    assert float(trace.output.data) == pytest.approx(-math.log(softmax[2]), rel=1e-14)
    expected = [softmax[0], softmax[1], softmax[2] - 1.0]
    np.testing.assert_allclose(trace["x"].grad, [expected], rtol=1e-13)
    (step,) = trace.steps
    assert step.op == "SoftmaxWithLoss"
    np.testing.assert_allclose(step.inputs[0].local, [expected], rtol=1e-13)
