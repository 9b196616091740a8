"""Gradients of many slices of one tensor are added in place into its gradient (the engine
owns that array), not each scattered into zeros of the whole tensor's size: the sums are
the same, worked out by hand here, and one scatter is made, not one per slice."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import _shape


@pytest.fixture
def scatters(monkeypatch):
    calls = []
    real = _shape._scatter_array

    def counted(g, idx, shape):
        calls.append(idx)
        return real(g, idx, shape)

    monkeypatch.setattr(_shape, "_scatter_array", counted)
    return calls


def test_the_steps_of_a_sequence_cost_one_scatter_and_give_the_gradient(scatters):
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.normal(size=(6, 3)), dtype="float64", requires_grad=True)
    w = rng.normal(size=(6, 3))
    loss = sum((x[t] * w[t] * (t + 1)).sum() for t in range(6))
    loss.backward()
    # ∂/∂x[t] of Σₜ (t + 1)·w[t]·x[t] is (t + 1)·w[t], by hand
    assert np.array_equal(x.grad, w * np.arange(1, 7)[:, None])
    assert len(scatters) == 1  # the first slice's gradient; the other five added in place


def test_the_steps_of_a_one_dimensional_sequence_cost_one_scatter_too(scatters):
    rng = np.random.default_rng(2)
    x = cr.tensor(rng.normal(size=6), dtype="float64", requires_grad=True)
    w = rng.normal(size=6)
    loss = sum(x[t] * w[t] * (t + 1) for t in range(6))  # each step's gradient is 0-d
    loss.backward()
    assert np.array_equal(x.grad, w * np.arange(1, 7))  # (t + 1)·w[t], by hand
    assert len(scatters) == 1


def test_masks_and_slices_together_add_up_as_scatters_would(scatters):
    x = cr.tensor(np.arange(12.0).reshape(3, 4), dtype="float64", requires_grad=True)
    mask = np.array([[True, False, True, False]] * 3)
    loss = (x[1:] * 2).sum() + (x[mask] * 3).sum() + (x[:, 0] * 5).sum() + (x[2, 3] * 7)
    loss.backward()
    want = np.zeros((3, 4))
    want[1:] += 2
    want[mask] += 3
    want[:, 0] += 5
    want[2, 3] += 7
    assert np.array_equal(x.grad, want)
    assert len(scatters) == 1  # the first slice's; the mask's and the others' added in place


def test_an_integer_array_index_with_a_repeat_still_counts_it_twice():
    x = cr.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    loss = x[0] * 1.0 + (x[np.array([2, 2, 0])] * np.array([10.0, 20.0, 40.0])).sum()
    loss.backward()
    assert np.array_equal(x.grad, [41.0, 0.0, 30.0])  # 1 + 40 at 0; 10 + 20 at 2


def test_hooks_retained_gradients_and_second_order_see_the_same_sums():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(4, 2))
    x = cr.tensor(data, dtype="float64", requires_grad=True)
    h = x * 1.0
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(np.array(g)))
    loss = sum((h[t] ** 2).sum() for t in range(4))
    loss.backward()
    assert np.array_equal(h.grad, 2 * data)  # d/dh Σ h² = 2h
    assert np.array_equal(seen[0], 2 * data)
    y = cr.tensor(data, dtype="float64", requires_grad=True)
    (g,) = cr.autograd.grad(sum((y[t] ** 3).sum() for t in range(4)), y, create_graph=True)
    (gg,) = cr.autograd.grad(g.sum(), y)
    np.testing.assert_allclose(g.data, 3 * data**2, rtol=1e-15)
    np.testing.assert_allclose(gg, 6 * data, rtol=1e-15)


def test_float32_slices_keep_the_gradient_float32():
    x = cr.tensor(np.ones((3, 2)), dtype="float32", requires_grad=True)
    loss = (x[0] * 2).sum() + (x[1] * 3).sum() + (x[0] * 4).sum()
    loss.backward()
    assert x.grad.dtype == np.float32
    assert np.array_equal(x.grad, [[6, 6], [3, 3], [0, 0]])  # 2 + 4 at row 0, 3 at row 1


def test_explain_shows_every_slice_s_downstream_gradient_and_their_sum():
    # explain records each node's downstream gradient: the in-place path must not hide one
    x = cr.tensor(np.ones((3, 2)), dtype="float64", requires_grad=True, name="x")
    trace = cr.explain((x[0] * 2).sum() + (x[1] * 3).sum())
    assert np.array_equal(trace["x"].grad, [[2, 2], [3, 3], [0, 0]])  # by hand
    text = trace.table()
    assert "[[0, 0], [3, 3], [0, 0]]" in text
    assert "[[2, 2], [0, 0], [0, 0]]" in text
    assert "= [[2, 2], [3, 3], [0, 0]]" in text  # the fan-out's sum


def test_explain_shows_each_slice_its_own_scattered_gradient():
    x = cr.tensor(np.arange(3.0), dtype="float64", requires_grad=True)
    loss = (x[0:2] * 2).sum() + (x[1:3] * 3).sum()
    trace = cr.explain(loss)
    # each slice's gradient scattered into zeros the size of x, as backward's rule says
    scattered = [s.edge(0).downstream for s in trace.steps if s.op == "Index"]
    assert sorted(map(list, scattered)) == [[0, 3, 3], [2, 2, 0]]
    (leaf,) = [v for v in trace.values if v.kind == "parameter"]
    assert np.array_equal(leaf.grad, [2.0, 5.0, 3.0])  # 2 at 0, 2 + 3 at 1, 3 at 2
    assert np.array_equal(x.grad, [2.0, 5.0, 3.0])
