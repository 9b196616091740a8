"""Engine semantics: fan-out, accumulation, graph release, order, grad modes, hooks,
aliasing, dtypes and user-defined Functions.

Expected values are worked by hand or come from closed-form formulas.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import chainrule as cr
from chainrule import _engine

F64 = "float64"


def leaf(value, dtype=F64):
    return cr.tensor(value, dtype=dtype, requires_grad=True)


# ----- fan-out and accumulation inside one backward -------------------------------------------
@pytest.mark.parametrize("av", [-1.5, 0.0, 0.25, 3.0])
def test_fan_out_b_equals_a_plus_a_then_squared(av):
    # b = 2a, c = b² = 4a²  ->  dc/da = 8a
    a = leaf(av)
    b = a + a
    c = b * b
    c.backward()
    assert c.item() == pytest.approx(4.0 * av * av)
    assert a.grad == pytest.approx(8.0 * av, abs=1e-15)


def test_value_used_by_two_branches_receives_the_sum():
    # f = 3x + x·x with x = 2: branch 1 contributes 3, branch 2 contributes 2x = 4 -> 7
    x = leaf(2.0)
    f = 3.0 * x + x * x
    f.backward()
    assert x.grad == pytest.approx(7.0, abs=0)


def test_diamond_graph():
    # x -> y1 = x², y2 = sin x -> z = y1 · y2
    # dz/dx = dz/dy1 · dy1/dx + dz/dy2 · dy2/dx = sin x · 2x + x² · cos x
    xs = np.array([-2.0, -0.5, 0.3, 1.7])
    x = leaf(xs)
    y1 = x * x
    y2 = cr.sin(x)
    z = y1 * y2
    z.sum().backward()
    expected = np.sin(xs) * 2 * xs + xs**2 * np.cos(xs)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14, atol=1e-15)


def test_diamond_graph_with_retained_middles():
    # x = 3: y1 = 2x = 6, y2 = x + 1 = 4, z = y1 · y2 = 24
    # dz/dy1 = y2 = 4, dz/dy2 = y1 = 6, dz/dx = 4·2 + 6·1 = 14
    x = leaf(3.0)
    y1 = x * 2.0
    y2 = x + 1.0
    y1.retain_grad()
    y2.retain_grad()
    z = y1 * y2
    z.backward()
    assert z.item() == 24.0
    assert y1.grad == pytest.approx(4.0, abs=0)
    assert y2.grad == pytest.approx(6.0, abs=0)
    assert x.grad == pytest.approx(14.0, abs=0)


def test_fan_out_with_broadcasting():
    # w (3,) is used by every row of x (2, 3) and once more on its own:
    # f = Σ x·w + Σ w  ->  df/dw_j = Σ_i x_ij + 1
    xs = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = leaf([0.5, -1.0, 2.0])
    x = leaf(xs)
    f = (x * w).sum() + w.sum()
    f.backward()
    np.testing.assert_array_equal(w.grad, [6.0, 8.0, 10.0])
    np.testing.assert_array_equal(x.grad, np.broadcast_to([0.5, -1.0, 2.0], (2, 3)))


# ----- .grad accumulation and clearing ------------------------------------------------------
def test_leaf_grad_accumulates_across_backward_calls():
    x = leaf(3.0)
    (x * x).backward()  # 2x = 6
    assert x.grad == pytest.approx(6.0, abs=0)
    (x * 5.0).backward()  # + 5
    assert x.grad == pytest.approx(11.0, abs=0)
    (x * x * x).backward()  # + 3x² = 27
    assert x.grad == pytest.approx(38.0, abs=0)


def test_grad_none_clears_and_zero_grad_clears():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    x.zero_grad()
    assert x.grad is None
    x.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_zero_grad_without_none_gives_zeros_also_for_a_gradient_tensor():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward(create_graph=True)  # .grad is a Tensor: 2x
    x.zero_grad(set_to_none=False)
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_intermediates_keep_no_grad_unless_retained():
    x = leaf(2.0)
    h = x * 3.0
    k = h + 1.0
    k.retain_grad()
    out = k * k  # k = 7, dout/dk = 14, dout/dh = 14, dout/dx = 42
    out.backward()
    assert h.grad is None
    assert not h.is_leaf
    assert k.grad == pytest.approx(14.0, abs=0)
    assert x.grad == pytest.approx(42.0, abs=0)


def test_retain_grad_on_a_tensor_backward_never_reaches_raises():
    x = leaf([1.0, 2.0])
    with cr.no_grad():
        h = x * 2.0
    with pytest.raises(RuntimeError, match="does not require gradients"):
        h.retain_grad()


def test_leaf_grad_has_leaf_shape_and_dtype():
    x = leaf(np.ones((2, 3)))
    (x * 2.0).sum().backward()
    assert isinstance(x.grad, np.ndarray)
    assert x.grad.shape == (2, 3)
    assert x.grad.dtype == np.float64


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_upstream_tensor_of_another_dtype_gives_a_gradient_of_the_leaf_s_dtype(create_graph):
    upstream = cr.tensor([0.5, 3.0], dtype=F64)
    x = leaf([1.0, 2.0], dtype="float32")
    x.backward(upstream, create_graph=create_graph)  # the root is the leaf: d x/d x = 1
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(x.grad), [0.5, 3.0])


# ----- graph release ----------------------------------------------------------------------
def test_second_backward_without_retain_graph_raises():
    x = leaf(2.0)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    assert x.grad == pytest.approx(4.0, abs=0)  # the failed call added nothing


def test_second_backward_through_shared_subgraph_raises():
    x = leaf(2.0)
    h = cr.exp(x)
    a = h * 2.0
    b = h * 3.0
    a.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        b.backward()


def test_retain_graph_allows_second_backward_and_accumulates():
    # y = x³ at x = 2: dy/dx = 12, twice -> 24
    x = leaf(2.0)
    y = x * x * x
    y.backward(retain_graph=True)
    assert x.grad == pytest.approx(12.0, abs=0)
    y.backward(retain_graph=True)
    assert x.grad == pytest.approx(24.0, abs=0)
    y.backward()
    assert x.grad == pytest.approx(36.0, abs=0)
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


# ----- non-scalar roots ---------------------------------------------------------------------
def test_backward_on_non_scalar_without_grad_names_the_shape():
    x = leaf(np.ones((2, 3)))
    y = x * 2.0
    with pytest.raises(RuntimeError, match=re.escape("(2, 3)")):
        y.backward()


def test_backward_on_non_scalar_with_explicit_grad():
    # y = x² elementwise; upstream g -> dx = 2x·g
    xs = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    g = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
    x = leaf(xs)
    (x * x).backward(g)
    np.testing.assert_array_equal(x.grad, 2 * xs * g)


def test_backward_with_wrongly_shaped_grad_names_both_shapes():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_on_one_element_non_scalar_needs_no_grad():
    x = leaf([[4.0]])
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, [[8.0]])


# ----- long chains ---------------------------------------------------------------------------
def test_hundred_thousand_op_chain_has_no_recursion_limit():
    # 50,000 × (·1.0000001) interleaved with 50,000 × (+0): d out/dx = 1.0000001 ** 50000
    n = 50_000
    x0 = leaf(1.0)
    x = x0
    for _ in range(n):
        x = x * 1.0000001
        x = x + 0.0
    x.backward()
    expected = math.exp(n * math.log1p(1e-7))
    assert x.item() == pytest.approx(expected, rel=1e-9)
    assert x0.grad == pytest.approx(expected, rel=1e-9)


def test_long_chain_of_unary_ops():
    # x -> sin -> sin -> ... (20,000 times): compare with the chain rule written in NumPy
    n = 20_000
    x0 = leaf(0.9)
    x = x0
    for _ in range(n):
        x = cr.sin(x)
    x.backward()
    v, d = 0.9, 1.0
    for _ in range(n):
        d *= math.cos(v)
        v = math.sin(v)
    assert x.item() == pytest.approx(v, rel=1e-12)
    assert x0.grad == pytest.approx(d, rel=1e-9)


# ----- deterministic order and the record callback --------------------------------------------
def _build(xs, ws):
    x = leaf(xs)
    w = leaf(ws)
    h = cr.tanh(x @ w)
    y = h * h + cr.sin(h)
    z = (y.sum(axis=1) * 2.0).mean() + (x * x).sum()
    return x, w, z


def _visits(root):
    order = []
    _engine.backward(root, None, record=lambda node, out, g, gi: order.append(type(node).__name__))
    return order


def test_same_graph_built_twice_is_visited_in_the_same_order():
    xs = np.arange(6.0).reshape(2, 3) / 7
    ws = np.arange(12.0).reshape(3, 4) / 11 - 0.5
    _, _, z1 = _build(xs, ws)
    _, _, z2 = _build(xs, ws)
    order1, order2 = _visits(z1), _visits(z2)
    assert order1 == order2
    # one visit per recorded node: _build applies these 11 ops
    expected = ["MatMul", "Tanh", "Mul", "Sin", "Add", "Sum", "Mul", "Mean", "Mul", "Sum", "Add"]
    assert sorted(order1) == sorted(expected)
    assert order1[0] == "Add"  # the root's node comes first


def test_order_is_reverse_topological():
    # every node is visited after every node that consumes its output
    xs = np.arange(6.0).reshape(2, 3) / 7
    ws = np.arange(12.0).reshape(3, 4) / 11 - 0.5
    _, _, z = _build(xs, ws)
    seen_outputs = []
    consumers_seen_first = []

    def record(node, out, g, gi):
        for t in node.inputs:
            # an input's producer must not have been visited yet
            consumers_seen_first.append(all(t is not o for o in seen_outputs))
        seen_outputs.append(out)

    _engine.backward(z, None, record=record)
    assert all(consumers_seen_first)


def test_recorded_mul_gradients_are_other_input_times_upstream():
    xs = np.array([1.0, -2.0, 3.0])
    ys = np.array([0.5, 4.0, -1.0])
    x, y = leaf(xs), leaf(ys)
    m = x * y
    s = (m * 2.0).sum()
    log = []
    _engine.backward(
        s, None, record=lambda node, out, g, gi: log.append((node, out, np.copy(g), gi))
    )
    names = [type(node).__name__ for node, *_ in log]
    assert names == ["Sum", "Mul", "Mul"]
    # Sum: upstream 1 copied to each element
    _, out, g, gi = log[0]
    assert out is s
    assert g == pytest.approx(1.0, abs=0)
    np.testing.assert_array_equal(gi[0], [1.0, 1.0, 1.0])
    # (m * 2): upstream ones; m gets 2·ones; the constant 2 needs no gradient
    _, out, g, gi = log[1]
    np.testing.assert_array_equal(g, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(gi[0], [2.0, 2.0, 2.0])
    assert gi[1] is None
    # x * y: upstream g = 2; grads_in == (g·y, g·x)
    _, out, g, gi = log[2]
    assert out is m
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(gi[0], 2.0 * ys)
    np.testing.assert_array_equal(gi[1], 2.0 * xs)
    np.testing.assert_array_equal(x.grad, 2.0 * ys)
    np.testing.assert_array_equal(y.grad, 2.0 * xs)


def _record_flow(root):
    """Run backward with a recorder; return the visits (as copies) and the leaves seen."""
    visits = []

    def record(node, out, g, gi):
        visits.append(
            {
                "out": out,
                "g": np.array(g, copy=True),
                "inputs": list(node.inputs),
                "needs": tuple(node.needs_grad),
                "gi": [None if a is None else np.array(a, copy=True) for a in gi],
                "gi_ref": list(gi),
            }
        )

    _engine.backward(root, None, record=record)
    return visits


def _delivered(visits):
    """Sum, per tensor, of the gradients sent to it by every node that consumes it."""
    total = {}
    for v in visits:
        for t, need, a in zip(v["inputs"], v["needs"], v["gi"]):
            if need and a is not None:
                total[t] = total[t] + a if t in total else a
    return total


def test_recorded_upstream_equals_sum_of_what_consumers_delivered():
    xs = np.array([[0.2, -0.4, 0.9], [1.1, 0.3, -0.7]])
    ws = np.array([[0.5, -0.1], [0.3, 0.8], [-0.6, 0.2]])
    x, w = leaf(xs), leaf(ws)
    h = cr.tanh(x @ w)
    y = h * h + cr.exp(h) * h + h.sum()  # h fans out four ways
    root = (y * y).sum() + (x * 0.5).sum()  # x fans out twice
    visits = _record_flow(root)
    delivered = _delivered(visits)
    for v in visits:
        if v["out"] is root:
            assert v["g"] == pytest.approx(1.0, abs=0)
        else:
            np.testing.assert_allclose(v["g"], delivered[v["out"]], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(x.grad, delivered[x], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(w.grad, delivered[w], rtol=1e-14, atol=1e-15)


def test_recorded_gradients_are_not_modified_after_the_callback():
    # a = [1, 2], b = 2a = [2, 4], c = b·b with upstream ones: the Mul node hands
    # (g·b, g·b) = ([2, 4], [2, 4]) to the same input b.  The arrays the record callback was
    # given must still hold those values after backward, not the accumulated total [4, 8].
    a = leaf([1.0, 2.0])
    b = a * 2.0
    c = b * b
    visits = _record_flow(c.sum())
    mul_bb = next(v for v in visits if v["out"] is c)
    np.testing.assert_array_equal(mul_bb["gi"][0], [2.0, 4.0])  # copy taken in the callback
    np.testing.assert_array_equal(mul_bb["gi"][1], [2.0, 4.0])
    np.testing.assert_array_equal(a.grad, [8.0, 16.0])  # dc/da = 8a
    for ref in mul_bb["gi_ref"]:  # the arrays the callback received, looked at afterwards
        np.testing.assert_array_equal(ref, [2.0, 4.0])


# ----- no_grad / enable_grad ------------------------------------------------------------------
def test_no_grad_records_no_graph():
    x = leaf([1.0, 2.0])
    assert cr.is_grad_enabled()
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2.0 + cr.exp(x)
    assert cr.is_grad_enabled()
    assert not y.requires_grad
    assert y.is_leaf
    assert y.grad_fn is None
    np.testing.assert_allclose(y.data, [2.0 + math.e, 4.0 + math.e**2], rtol=1e-15)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        y.sum().backward()


def test_no_grad_restores_state_after_exception():
    class BoomError(Exception):
        pass

    with pytest.raises(BoomError), cr.no_grad():
        raise BoomError
    assert cr.is_grad_enabled()
    x = leaf(1.0)
    assert (x * 2.0).requires_grad


def test_enable_grad_inside_no_grad():
    x = leaf(3.0)
    with cr.no_grad():
        with cr.enable_grad():
            assert cr.is_grad_enabled()
            y = x * x
        assert not cr.is_grad_enabled()
        z = x * x
    assert y.requires_grad
    assert not y.is_leaf
    assert not z.requires_grad
    y.backward()
    assert x.grad == pytest.approx(6.0, abs=0)


def test_enable_grad_restores_no_grad_after_exception():
    with cr.no_grad():
        with pytest.raises(ValueError, match="inside"), cr.enable_grad():
            raise ValueError("raised inside enable_grad")
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_no_grad_works_as_a_decorator():
    @cr.no_grad()
    def double(t):
        assert not cr.is_grad_enabled()
        return t * 2.0

    x = leaf(1.5)
    for _ in range(2):  # the decorator must be reusable
        y = double(x)
        assert not y.requires_grad
        assert y.item() == 3.0
        assert cr.is_grad_enabled()


def test_no_grad_and_enable_grad_decorate_methods():
    class Model:
        scale = 2.0

        @cr.no_grad()
        def predict(self, t):
            return t * self.scale

        @cr.no_grad
        def predict_bare(self, t):
            return t * self.scale

        @cr.enable_grad()
        def train_step(self, t):
            return t * self.scale

    model, x = Model(), leaf(1.5)
    for out in (model.predict(x), model.predict_bare(x)):
        assert not out.requires_grad
        assert out.item() == 3.0
    with cr.no_grad():
        assert model.train_step(x).requires_grad
    assert Model.predict(model, x).item() == 3.0  # through the class, self passed by hand


def test_no_grad_on_a_generator_holds_while_its_body_runs_only():
    x = leaf(1.5)

    @cr.no_grad()
    def scaled(factors):
        received = yield None
        for f in factors:
            assert not cr.is_grad_enabled()
            received = yield (x * f, received)
        return "done"

    gen = scaled([2.0, 3.0])
    assert next(gen) is None
    assert cr.is_grad_enabled()  # between values: the caller's mode
    y, got = gen.send("a")
    assert (y.item(), y.requires_grad, got) == (3.0, False, "a")
    assert cr.is_grad_enabled()
    y, got = gen.send("b")
    assert (y.item(), y.requires_grad, got) == (4.5, False, "b")
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"


def test_a_mode_given_something_that_is_not_a_function_is_a_type_error():
    with pytest.raises(TypeError, match=r"no_grad takes no arguments .* got 5"):
        cr.no_grad(5)


def test_leaf_update_under_no_grad():
    # the optimizer pattern: update a parameter without recording, then reuse it
    w = leaf([1.0, -1.0])
    (w * w).sum().backward()
    with cr.no_grad():
        w_new = w - 0.1 * cr.tensor(w.grad)
    assert w_new.is_leaf
    np.testing.assert_allclose(w_new.data, [0.8, -0.8], rtol=1e-15)


# ----- hooks -------------------------------------------------------------------------------
def test_hook_is_called_with_the_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    seen = []
    h.register_hook(lambda g: seen.append(np.array(g, copy=True)))
    (h * h).sum().backward()  # d/dh = 2h = [6, 12]
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])
    np.testing.assert_array_equal(x.grad, [18.0, 36.0])


def test_hook_return_value_replaces_the_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.register_hook(lambda g: g * 2)
    (h * h).sum().backward()  # normally 18x; doubled at h -> 36x
    np.testing.assert_array_equal(x.grad, [36.0, 72.0])


def test_hook_on_leaf_changes_the_stored_gradient():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g + 1.0)
    (x * x).sum().backward()  # 2x + 1
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


def test_a_leaf_hook_may_return_a_tensor_and_a_plain_backward_stores_its_values():
    # the hook gives g·x. x² at x = 2: gx = 2x·x = 2x² = 8; gx's own backward gives
    # 4x = 8, which the hook turns into 8·x = 16
    x = leaf(2.0)
    x.register_hook(lambda g: g * x)
    (x * x).backward(create_graph=True)
    gx = x.grad
    assert isinstance(gx, cr.Tensor)
    assert gx.item() == 8.0
    x.grad = None
    gx.backward()
    assert isinstance(x.grad, np.ndarray)
    assert x.grad == 16.0


def test_under_create_graph_a_leaf_hook_returning_an_array_still_gives_a_tensor():
    # x³ at x = 2: 3x² = 12, doubled by the hook; twice accumulated: 48
    x = leaf(2.0)
    x.register_hook(lambda g: np.asarray(g.data) * 2.0)
    (x**3).backward(create_graph=True)
    assert isinstance(x.grad, cr.Tensor)
    assert x.grad.item() == 24.0
    (x**3).backward(create_graph=True)
    assert isinstance(x.grad, cr.Tensor)
    assert x.grad.item() == 48.0


def test_hook_remover_removes_it():
    x = leaf(2.0)
    h = x * 1.0
    calls = []

    def hook(g):
        calls.append(1)
        return g * 10

    remove = h.register_hook(hook)
    (h * h).backward()  # 2h · 10 = 40
    assert x.grad == pytest.approx(40.0, abs=0)
    remove()
    x.grad = None
    h2 = x * 1.0
    (h2 * h2).backward()
    assert x.grad == pytest.approx(4.0, abs=0)
    # and on the same tensor, with a retained graph
    x.grad = None
    h3 = x * 1.0
    remove3 = h3.register_hook(hook)
    y = h3 * h3
    y.backward(retain_graph=True)
    assert x.grad == pytest.approx(40.0, abs=0)
    remove3()
    x.grad = None
    y.backward()
    assert x.grad == pytest.approx(4.0, abs=0)
    assert len(calls) == 2


def test_a_hook_that_removes_itself_does_not_skip_the_next_one():
    x = leaf(2.0)
    h = x * 1.0
    calls = []

    def once(g):
        calls.append("once")
        remove()

    remove = h.register_hook(once)
    h.register_hook(lambda g: calls.append("next"))
    y = h * h
    y.backward(retain_graph=True)
    y.backward()
    assert calls == ["once", "next", "next"]


def test_a_hook_changing_its_gradient_in_place_is_told_to_return_one():
    x = leaf([1.0, 2.0])
    y = x * 2.0

    def triple_in_place(g):
        g *= 3

    y.register_hook(triple_in_place)
    with pytest.raises(ValueError, match=r"hook triple_in_place: .*read-only.* return the new"):
        y.sum().backward()  # the upstream of a sum is a broadcast view: read-only


@pytest.mark.parametrize("hooked", ["a", "b"])
def test_a_hook_cannot_change_the_gradient_add_shares_with_its_other_input(hooked):
    """add passes one upstream array to both inputs: a hook writing into it on one side
    would change the other side's gradient (a.grad was 10 for a gradient of 1)."""
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    a2, b2 = a * 1.0, b * 1.0
    s = a2 + b2

    def ten_times_in_place(g):
        g *= 10

    (a2 if hooked == "a" else b2).register_hook(ten_times_in_place)
    with pytest.raises(ValueError, match=r"hook ten_times_in_place: .*read-only"):
        (s * 1.0).sum().backward()


def test_a_hook_may_keep_and_return_the_read_only_gradient_it_was_given():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    a2, b2 = a * 1.0, b * 1.0
    seen = []
    b2.register_hook(lambda g: seen.append(g) or g)
    (a2 + b2).backward(np.array([1.0, 1.0]))
    assert np.array_equal(a.grad, [1.0, 1.0])
    assert np.array_equal(b.grad, [1.0, 1.0])
    assert np.array_equal(seen[0], [1.0, 1.0])
    assert not seen[0].flags.writeable


def test_hooks_run_in_registration_order():
    x = leaf(1.0)
    h = x * 1.0
    h.register_hook(lambda g: g + 1.0)
    h.register_hook(lambda g: g * 3.0)
    h.backward()  # (1 + 1) · 3
    assert x.grad == pytest.approx(6.0, abs=0)


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="require"):
        cr.tensor([1.0]).register_hook(lambda g: g)


# ----- in-place-looking operators ------------------------------------------------------------
def test_iadd_rebinds_to_a_new_node():
    a = leaf([1.0, 2.0])
    b = leaf([10.0, 20.0])
    x = a * 2.0
    before = x
    saved = x.data.copy()
    x += b
    assert x is not before
    np.testing.assert_array_equal(before.data, saved)  # the old value is untouched
    np.testing.assert_array_equal(x.data, [12.0, 24.0])
    np.testing.assert_array_equal(a.data, [1.0, 2.0])
    (x * x).sum().backward()  # d/da = 2x · 2, d/db = 2x
    np.testing.assert_array_equal(a.grad, [48.0, 96.0])
    np.testing.assert_array_equal(b.grad, [24.0, 48.0])


def test_imul_on_leaf_does_not_mutate_saved_value():
    # y = w · w saves w; then w *= 3 must not change what y's backward uses
    w = leaf([1.0, 2.0])
    w0 = w
    y = w * w
    w *= 3.0
    np.testing.assert_array_equal(w0.data, [1.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(w0.grad, [2.0, 4.0])
    assert w.grad is None  # w is now a new, non-leaf tensor


def test_in_place_operators_under_no_grad_update_a_parameter_in_place():
    # the hand-written optimizer of PyTorch tutorials: p -= lr * p.grad under no_grad
    model = cr.nn.Linear(3, 2)
    params = list(model.parameters())
    before = [p.data.copy() for p in params]
    model(cr.tensor(np.ones((4, 3), np.float32))).sum().backward()
    with cr.no_grad():
        for p in params:
            p -= 0.5 * p.grad
        model.weight *= 2.0
        model.weight /= 4.0
        model.bias += cr.tensor(np.ones(2, np.float32))
    assert [p for _, p in model.named_parameters()] == params  # the same objects
    np.testing.assert_allclose(model.weight.data, (before[0] - 0.5 * params[0].grad) / 2)
    np.testing.assert_allclose(model.bias.data, before[1] - 0.5 * params[1].grad + 1)


def test_an_update_under_no_grad_leaves_what_a_graph_saved(tmp_path):
    # y = Σ w·x saved w; w -= 1 afterwards must not change ∂y/∂x = w (the old w)
    w, x = leaf([2.0, 3.0]), leaf([5.0, 7.0])
    y = (w * x).sum()
    shared = np.array([1.0, 2.0])
    p = cr.tensor(shared, requires_grad=True)  # shares the caller's array
    with cr.no_grad():
        w -= 1.0
        p += 1.0
        p /= 0.0  # IEEE, without a warning, as the ops
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 3.0])
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    np.testing.assert_array_equal(shared, [1.0, 2.0])  # the caller's array is not written
    np.testing.assert_array_equal(p.data, [np.inf, np.inf])


def test_in_place_update_that_does_not_fit_names_the_shapes():
    w = leaf([1.0, 2.0])
    with (
        cr.no_grad(),
        pytest.raises(ValueError, match=r"\+=: the result has shape \(3, 2\).*shape \(2,\)"),
    ):
        w += np.ones((3, 2))
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


def test_in_place_operators_rebind_everything_else():
    # grad mode on, a non-leaf, or a tensor that needs no gradient: a new tensor each time
    w = leaf([1.0, 2.0])
    y = w * 1.0
    x = cr.tensor([1.0, 2.0])
    with cr.no_grad():
        y0, x0 = y, x
        y += 1.0
        x += 1.0
    assert y is not y0
    assert x is not x0
    np.testing.assert_array_equal(x0.data, [1.0, 2.0])


# ----- aliasing ------------------------------------------------------------------------------
def test_add_gradients_of_two_inputs_are_not_aliased():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = (a + b).sum()
    c.backward()
    assert a.grad is not b.grad
    a.grad += 100.0
    a.grad[0] = -7.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_scalar_add_gradients_are_not_aliased():
    a, b = leaf(1.0), leaf(2.0)
    c = a + b
    c.backward()
    a.grad += 5.0
    assert b.grad == pytest.approx(1.0, abs=0)
    assert a.grad == pytest.approx(6.0, abs=0)


def test_user_upstream_gradient_is_never_modified():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    upstream = np.array([0.5, -2.0])
    keep = upstream.copy()
    (a + b).backward(upstream)
    (a + b).backward(upstream)  # accumulates into a.grad and b.grad
    (a * 1.0 + a).backward(upstream)  # a receives upstream twice within one pass
    np.testing.assert_array_equal(upstream, keep)
    np.testing.assert_array_equal(a.grad, 4 * keep)
    np.testing.assert_array_equal(b.grad, 2 * keep)


def test_user_upstream_on_leaf_root_is_not_aliased():
    a = leaf([1.0, 2.0])
    upstream = np.array([3.0, 4.0])
    a.backward(upstream)
    assert a.grad is not upstream
    a.backward(upstream)
    np.testing.assert_array_equal(upstream, [3.0, 4.0])
    np.testing.assert_array_equal(a.grad, [6.0, 8.0])


def test_user_upstream_tensor_is_never_modified():
    a = leaf([1.0, 2.0])
    upstream = cr.tensor(np.array([1.0, 1.0]))
    for _ in range(3):
        (a + 0.0).backward(upstream)
    np.testing.assert_array_equal(upstream.data, [1.0, 1.0])
    np.testing.assert_array_equal(a.grad, [3.0, 3.0])


def test_second_backward_accumulates_correctly_after_aliasing_risks():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])
    np.testing.assert_array_equal(b.grad, [2.0, 2.0])
    # a.grad and b.grad still independent
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, [2.0, 2.0])


def test_retained_intermediate_grad_is_not_aliased_with_leaf_grad():
    a = leaf([1.0, 2.0])
    h = a + 0.0
    h.retain_grad()
    h.sum().backward()
    h.grad += 1.0
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])


def test_numpy_backed_leaf_data_unchanged_by_backward():
    arr = np.array([1.0, 2.0])
    a = cr.tensor(arr, requires_grad=True)
    (a * a).sum().backward()
    np.testing.assert_array_equal(arr, [1.0, 2.0])


# ----- dtypes ------------------------------------------------------------------------------
@pytest.fixture
def restore_default_dtype():
    saved = cr.get_default_dtype()
    yield
    cr.set_default_dtype(saved)


def test_float32_in_float32_out_and_grad():
    x = cr.tensor(np.array([0.5, -1.0], dtype=np.float32), requires_grad=True)
    y = (cr.tanh(x * 2.0 + 1.0) ** 2 / 3.0).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    # closed form: d/dx tanh(2x+1)²/3 = (2/3)·tanh·(1 − tanh²)·2
    t = np.tanh(2 * np.array([0.5, -1.0]) + 1)
    np.testing.assert_allclose(x.grad, (4 / 3) * t * (1 - t**2), rtol=1e-5)


def test_float32_leaf_mixed_with_float64_array_keeps_float32_grad():
    x = cr.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x * np.array([3.0, 4.0])  # NumPy promotion: float64 result
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_float64_stays_float64_through_ops():
    x = cr.tensor(np.array([[0.1, 0.2], [0.3, 0.4]]), requires_grad=True)
    assert x.dtype == np.float64
    ops = [
        lambda t: t + 1.0,
        lambda t: 2 * t,
        lambda t: t / 3,
        lambda t: t**2,
        lambda t: cr.exp(t),
        lambda t: cr.log(t),
        lambda t: cr.sqrt(t),
        lambda t: cr.tanh(t),
        lambda t: cr.sigmoid(t),
        lambda t: cr.relu(t),
        lambda t: t @ t,
        lambda t: cr.softmax(t),
        lambda t: cr.log_softmax(t),
        lambda t: t.sum(axis=0),
        lambda t: t.mean(),
        lambda t: t.max(axis=1),
        lambda t: t.reshape(4),
        lambda t: t.T,
        lambda t: t[0],
    ]
    for op in ops:
        x.grad = None
        y = op(x)
        assert y.dtype == np.float64
        y.sum().backward()
        assert x.grad.dtype == np.float64


def test_python_floats_default_to_float32():
    assert cr.get_default_dtype() == np.float32
    assert cr.tensor(1.5).dtype == np.float32
    assert cr.tensor([1.0, 2.0]).dtype == np.float32
    assert cr.tensor([[1, 2]]).dtype == np.float32  # Python ints become the float default too
    assert cr.tensor(np.array([1.0])).dtype == np.float64  # NumPy arrays keep their dtype
    assert cr.tensor(1.5, dtype="float64").dtype == np.float64


def test_set_default_dtype_changes_it(restore_default_dtype):
    cr.set_default_dtype("float64")
    assert cr.get_default_dtype() == np.float64
    x = cr.tensor(0.1, requires_grad=True)
    assert x.dtype == np.float64
    assert x.item() == 0.1  # no float32 rounding
    (x * 3.0).backward()
    assert x.grad.dtype == np.float64


@pytest.mark.parametrize("dtype", ["int32", "longdouble", "complex64"])
def test_set_default_dtype_rejects_unsupported_dtypes(restore_default_dtype, dtype):
    supported = "supported dtypes float16, float32 and float64"
    with pytest.raises(ValueError, match=rf"set_default_dtype: {np.dtype(dtype)} .*{supported}"):
        cr.set_default_dtype(dtype)
    assert cr.get_default_dtype() == np.float32


def test_integer_tensor_with_requires_grad_raises_helpful_type_error():
    with pytest.raises(TypeError) as info:
        cr.tensor(np.array([1, 2, 3]), requires_grad=True)
    msg = str(info.value)
    assert "int64" in msg
    assert "float" in msg
    t = cr.tensor(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="float"):
        t.requires_grad = True


def test_integer_tensor_plus_python_number():
    t = cr.tensor(np.array([1, 2, 3]))
    same = t + 1
    assert same.dtype.kind == "i"
    np.testing.assert_array_equal(same.data, [2, 3, 4])
    mixed = t + 0.5
    assert mixed.dtype.kind == "f"
    np.testing.assert_array_equal(mixed.data, [1.5, 2.5, 3.5])
    assert not mixed.requires_grad
    np.testing.assert_array_equal(t.data, [1, 2, 3])


def test_integer_tensor_times_float_leaf_gives_float_gradient():
    # y = Σ n · w with n an int constant: dy/dw = n
    n = cr.tensor(np.array([1, 2, 3]))
    w = leaf([0.5, 0.5, 0.5])
    (n * w).sum().backward()
    assert w.grad.dtype == np.float64
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])


# ----- user-defined Functions ------------------------------------------------------------------
class Cube(cr.Function):
    """d/dx x³ = 3x²"""

    def forward(self, x):
        self.saved = (x,)
        return x**3

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * 3 * x**2


class ScaledProduct(cr.Function):
    """f(x, y) = x · y · k: ∂f/∂x = y·k, ∂f/∂y = x·k"""

    def __init__(self, k):
        self.k = k

    def forward(self, x, y):
        self.saved = (x, y)
        return x * y * self.k

    def backward(self, grad_out):
        x, y = self.saved
        return grad_out * y * self.k, grad_out * x * self.k


class WrongShapeGrad(cr.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad_out):
        return np.ones(3)  # the input is (2, 2)


class WrongProductGrad(cr.Function):
    """x · y with ∂/∂y deliberately wrong: 2x instead of x."""

    def forward(self, x, y):
        self.saved = (x, y)
        return x * y

    def backward(self, grad_out):
        x, y = self.saved
        return grad_out * y, grad_out * 2 * x


def test_one_function_instance_called_twice_like_a_layer():
    # cube(cube(x)) = x⁹: d/dx = 9x⁸, whichever object the second call runs on
    x = leaf([0.5, -1.5])
    cube = Cube()
    y = cube(cube(x))
    assert y.grad_fn is not y.grad_fn.inputs[0].grad_fn  # two nodes
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 9 * np.array([0.5, -1.5]) ** 8, rtol=1e-14)


def test_a_reused_instance_leaves_its_first_node_intact():
    op = ScaledProduct(3.0)
    a, b, c = leaf(2.0), leaf(5.0), leaf(7.0)
    first = op(a, b)
    second = op(c, c)
    assert first.grad_fn is op
    assert second.grad_fn is not op
    assert second.grad_fn.k == 3.0  # the copy keeps the user's settings
    first.backward()
    assert (a.grad, b.grad, c.grad) == (15.0, 6.0, None)  # ∂/∂a = b·k, ∂/∂b = a·k
    second.backward()
    assert c.grad == 2 * 7.0 * 3.0  # c·c·k: 2ck


def test_custom_function_forward_and_backward():
    xs = np.array([-1.0, 0.5, 2.0])
    x = leaf(xs)
    y = Cube()(x)
    assert not y.is_leaf
    assert y.grad_fn.name == "Cube"
    np.testing.assert_array_equal(y.data, xs**3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, 3 * xs**2)


def test_custom_function_passes_gradcheck():
    assert cr.gradcheck(lambda x: Cube()(x), [np.array([-1.3, 0.2, 0.9])])
    assert cr.gradcheck(
        lambda x, y: ScaledProduct(1.5)(x, y).sum(),
        [np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([[0.1, 0.2], [-0.3, 0.4]])],
    )


def test_custom_function_composes_with_builtin_ops():
    # f = Σ cube(tanh x): f' = 3 tanh² x · (1 − tanh² x)
    xs = np.array([-0.7, 0.1, 1.2])
    x = leaf(xs)
    Cube()(cr.tanh(x)).sum().backward()
    t = np.tanh(xs)
    np.testing.assert_allclose(x.grad, 3 * t**2 * (1 - t**2), rtol=1e-13)


def test_custom_function_not_recorded_without_grad():
    y = Cube()(cr.tensor(np.array([2.0])))
    assert y.is_leaf
    assert not y.requires_grad
    np.testing.assert_array_equal(y.data, [8.0])


def test_custom_backward_with_wrong_shape_names_the_op():
    x = leaf(np.ones((2, 2)))
    y = WrongShapeGrad()(x)
    with pytest.raises(RuntimeError, match="WrongShapeGrad") as info:
        y.sum().backward()
    assert "(3,)" in str(info.value)
    assert "(2, 2)" in str(info.value)


def test_gradcheck_reports_a_wrong_backward():
    xs = np.array([1.0, 2.0, 3.0])
    ys = np.array([4.0, 5.0, 6.0])
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda x, y: WrongProductGrad()(x, y), [xs, ys])
    msg = str(info.value)
    # input 0 is right (∂/∂x = y); input 1 is wrong. Its first failing entry is
    # ∂out[0]/∂y[0]: analytic 2·x[0] = 2, numeric x[0] = 1.
    assert "input 1" in msg
    assert "input index (0,)" in msg
    m = re.search(r"analytic\s+([-+0-9.eE]+)\s+vs\s+numeric\s+([-+0-9.eE]+)", msg)
    assert m, msg
    assert float(m.group(1)) == pytest.approx(2.0, rel=1e-6)
    assert float(m.group(2)) == pytest.approx(1.0, rel=1e-6)


def test_gradcheck_failure_from_a_float32_cast_inside_f_says_so():
    # (x as float32)² at 1.1: the analytic 2x is right, but f(1.1 ± 1e-6) in float32 moves
    # by whole float32 steps (about 1.2e-7), so the finite difference is off by percent
    with pytest.raises(cr.GradcheckError, match="f returned float32 from float64 inputs"):
        cr.gradcheck(lambda t: (t.astype("float32") ** 2).sum(), [np.array([1.1])])


def test_gradcheck_passes_integer_labels_and_indices_to_f_unchanged():
    # an int64 Tensor cannot require gradients: it is a label or an index, not a point to
    # differentiate at. ∂/∂z of mean cross-entropy = (softmax(z) − onehot(y)) / N
    z = np.array([[0.2, -1.0, 0.5], [1.5, 0.3, -0.2]])
    y = cr.tensor(np.array([2, 0]))
    ce = cr.nn.functional.cross_entropy
    assert cr.gradcheck(ce, [z, y], check_second_order=True)
    assert cr.gradcheck(lambda x, i: x[i].sum(), [z, cr.tensor(np.array([1, 1]))], localize=True)
    assert cr.gradcheck(lambda x, m: (x[m] ** 2).sum(), [z, z > 0])  # a boolean mask
    soft = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    grad_z, grad_y = cr.numerical_grad(ce, [z, y])
    np.testing.assert_allclose(grad_z, (soft - np.eye(3)[[2, 0]]) / 2, atol=1e-8)
    assert grad_y is None
    assert cr.gradcheck(lambda x: x * x, np.float32(1.5))  # a NumPy scalar, as a float is


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(cr.GradcheckError, AssertionError)


def test_gradcheck_on_wrong_scalar_backward_names_input_and_values():
    class BadSquare(cr.Function):
        def forward(self, x):
            self.saved = (x,)
            return x * x

        def backward(self, grad_out):
            (x,) = self.saved
            return grad_out * x  # should be 2x

    # f = Σ x² at x = [1, 3]: analytic (wrong) [1, 3], numeric [2, 6]; first failure at (0,)
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda x: BadSquare()(x).sum(), [np.array([1.0, 3.0])])
    msg = str(info.value)
    assert "input 0" in msg
    assert "(0,)" in msg
    m = re.search(r"analytic\s+([-+0-9.eE]+)\s+vs\s+numeric\s+([-+0-9.eE]+)", msg)
    assert m, msg
    assert float(m.group(1)) == pytest.approx(1.0, rel=1e-6)
    assert float(m.group(2)) == pytest.approx(2.0, rel=1e-6)


def test_a_hook_returning_another_shape_is_named_as_the_culprit():
    def widen(g):
        return np.ones(5)

    for make in (lambda x: x, lambda x: x * 3.0):  # on a leaf and on an intermediate
        x = cr.tensor([1.0, 2.0], requires_grad=True)
        h = make(x)
        h.register_hook(widen)
        with pytest.raises(RuntimeError, match=r"hook widen on a tensor of shape \(2,\) "):
            (h * 2.0).sum().backward()
        assert x.grad is None


def test_removing_a_hook_twice_does_nothing_the_second_time():
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    double = lambda g: g * 2  # noqa: E731
    first, _ = x.register_hook(double), x.register_hook(double)
    first()
    first()  # no error, and the other registration stays
    (x * 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_grad_mode_is_per_thread():
    import threading

    inside, release = threading.Event(), threading.Event()
    seen = {}

    def other():
        with cr.no_grad():
            inside.set()
            release.wait(10)
        seen["other"] = cr.is_grad_enabled()

    def fresh():
        seen["fresh"] = cr.is_grad_enabled()

    worker = threading.Thread(target=other)
    worker.start()
    inside.wait(10)
    x = cr.tensor(2.0, requires_grad=True)
    recorded = (x * 2.0).requires_grad  # another thread is inside no_grad: not this one
    with cr.no_grad():
        starter = threading.Thread(target=fresh)
        starter.start()
        starter.join()
    release.set()
    worker.join()
    assert recorded
    assert seen == {"other": True, "fresh": True}
    assert cr.is_grad_enabled()


def test_one_no_grad_object_entered_in_two_threads_restores_each_thread_s_mode():
    import threading

    shared = cr.no_grad()
    a_inside, b_done = threading.Event(), threading.Event()
    after = {}

    def a():
        with cr.no_grad():  # A's outer mode: off
            with shared:
                a_inside.set()
                b_done.wait(10)
            after["a"] = cr.is_grad_enabled()  # back to A's outer mode

    def b():
        a_inside.wait(10)
        with shared:
            pass
        after["b"] = cr.is_grad_enabled()  # B started with recording on
        b_done.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert after == {"a": False, "b": True}
