"""PyTorch's tensor methods and functions added for parity (ops/_torch_*.py and
_torch_methods.py): arithmetic by name (add/sub with alpha, div's rounding modes, fmod,
addcmul, addcdiv, addmm, bmm), logit, xlogy, hypot, nan_to_num, the comparisons and tests
outside the graph, the dtype and memory conveniences, and the axis methods. Values and
gradients against PyTorch (when installed), NumPy, hand formulas and finite differences,
second derivatives included; then the edges, errors and the names."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

RNG = np.random.default_rng(18)
A = RNG.standard_normal((2, 3))
B = RNG.standard_normal((2, 3))
C = RNG.uniform(0.5, 2.0, (2, 3)) * RNG.choice([-1.0, 1.0], (2, 3))  # away from 0
P = RNG.uniform(0.1, 0.9, (2, 3))  # inside (0, 1)
Q = RNG.uniform(0.5, 3.0, (2, 3))  # positive
M1, M2 = RNG.standard_normal((2, 4)), RNG.standard_normal((4, 3))
ROW = RNG.standard_normal(3)
B1, B2 = RNG.standard_normal((2, 2, 4)), RNG.standard_normal((2, 4, 3))
F = RNG.uniform(1.1, 1.9, (2, 3)) * np.array([[1.0, -1.0, 3.0]])  # x/c away from integers
D = np.array([[0.7, 0.7, 0.7]])

# name, the call (on chainrule or torch tensors alike), the inputs
DIFFERENTIABLE = [
    ("add", lambda a, b: a.add(b), [A, B]),
    ("add alpha", lambda a, b: a.add(b, alpha=-2.5), [A, B]),
    ("add number alpha", lambda a: a.add(3.0, alpha=0.5), [A]),
    ("sub alpha", lambda a, b: a.sub(b, alpha=3), [A, B]),
    ("mul", lambda a, b: a.mul(b), [A, B]),
    ("multiply", lambda a, b: a.multiply(b), [A, B]),
    ("div", lambda a, c: a.div(c), [A, C]),
    ("true_divide", lambda a, c: a.true_divide(c), [A, C]),
    ("divide", lambda a, c: a.divide(c), [A, C]),
    ("remainder", lambda f, d: f.remainder(d), [F, D]),
    ("fmod", lambda f, d: f.fmod(d), [F, D]),
    ("addcmul", lambda a, b, c: a.addcmul(b, c), [A, B, C]),
    ("addcmul value", lambda a, b, c: a.addcmul(b, c, value=-0.5), [A, B, C]),
    ("addcdiv value", lambda a, b, c: a.addcdiv(b, c, value=2.0), [A, B, C]),
    ("addmm", lambda r, m1, m2: r.addmm(m1, m2), [ROW, M1, M2]),
    ("addmm beta alpha", lambda a, m1, m2: a.addmm(m1, m2, beta=0.5, alpha=-2), [A, M1, M2]),
    ("bmm", lambda x, y: x.bmm(y), [B1, B2]),
    ("logit", lambda p: p.logit(), [P]),
    ("logit eps", lambda p: p.logit(eps=0.25), [P]),
    ("xlogy", lambda a, q: a.xlogy(q), [A, Q]),
    ("hypot", lambda a, b: a.hypot(b), [A, B]),
    ("nan_to_num", lambda a: a.nan_to_num(), [A]),
    ("mT", lambda x: x.mT, [B1]),
    ("movedim", lambda x: x.movedim(0, 2), [B1]),
    ("moveaxis pairs", lambda x: x.moveaxis((0, 1), (2, 0)), [B1]),
    ("swapdims", lambda x: x.swapdims(0, 2), [B1]),
    ("narrow", lambda x: x.narrow(2, 1, 2), [B1]),
    ("narrow negative start", lambda a: a.narrow(1, -2, 2), [A]),
    ("contiguous of a transpose", lambda a: a.mT.contiguous(), [A]),
]
IDS = [c[0] for c in DIFFERENTIABLE]


@pytest.mark.parametrize(("name", "call", "inputs"), DIFFERENTIABLE, ids=IDS)
def test_against_pytorch(name, call, inputs):
    torch = pytest.importorskip("torch")
    ours = [cr.tensor(x, dtype="float64", requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    outs = []
    for t in (ours, theirs):
        out = call(*t)
        (out * out).sum().backward()
        outs.append(out)
    np.testing.assert_allclose(outs[0].numpy(), outs[1].detach().numpy(), rtol=1e-13, atol=1e-15)
    for o, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(o.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "call", "inputs"), DIFFERENTIABLE, ids=IDS)
def test_gradients_and_second_derivatives_against_finite_differences(name, call, inputs):
    assert cr.gradcheck(call, inputs, check_second_order=True)


def test_functions_are_the_methods():
    a, b, c = (cr.tensor(x, dtype="float64") for x in (A, B, C))
    p, q = cr.tensor(P, dtype="float64"), cr.tensor(Q, dtype="float64")
    pairs = [
        (cr.addcmul(a, b, c, value=2), a.addcmul(b, c, value=2)),
        (cr.addcdiv(a, b, c), a.addcdiv(b, c)),
        (cr.addmm(a, M1, M2, beta=2), a.addmm(cr.tensor(M1), cr.tensor(M2), beta=2)),
        (cr.bmm(B1, B2), cr.tensor(B1).bmm(B2)),
        (cr.logit(p, 0.2), p.logit(0.2)),
        (cr.xlogy(a, q), a.xlogy(q)),
        (cr.hypot(a, b), a.hypot(b)),
        (cr.fmod(a, c), a.fmod(c)),
        (cr.nan_to_num(a, 1.0), a.nan_to_num(1.0)),
        (cr.movedim(B1, 0, -1), cr.tensor(B1).movedim(0, -1)),
        (cr.moveaxis(B1, [0, 2], [1, 0]), cr.tensor(B1).moveaxis([0, 2], [1, 0])),
        (cr.narrow(a, 0, 1, 1), a.narrow(0, 1, 1)),
    ]
    for f, m in pairs:
        np.testing.assert_array_equal(f.data, m.data)


# ----- the formulas, by hand ----------------------------------------------------------------
def test_movedim_is_numpy_s_moveaxis():
    for source, destination in [(0, 2), (-1, 0), ((0, 1), (2, 0)), ([2, 0], [0, 1]), ((), ())]:
        got = cr.movedim(B1, source, destination).shape
        assert got == np.moveaxis(B1, source, destination).shape, (source, destination)


def test_values_by_hand():
    x = cr.tensor([-7.0, 7.0, -7.5, 5.0])
    y = cr.tensor([2.0, -2.0, 2.0, 3.0])
    assert x.fmod(y).tolist() == [-1.0, 1.0, -1.5, 2.0]  # x's sign
    assert x.remainder(y).tolist() == [1.0, -1.0, 0.5, 2.0]  # y's sign
    assert x.div(y, rounding_mode="trunc").tolist() == [-3.0, -3.0, -3.0, 1.0]
    assert x.div(y, rounding_mode="floor").tolist() == [-4.0, -4.0, -4.0, 1.0]
    assert cr.tensor([0.5, 0.25]).logit().tolist() == pytest.approx([0.0, np.log(1 / 3)])
    assert cr.hypot(cr.tensor([3.0]), 4.0).item() == 5.0
    big = cr.tensor([3e200], dtype="float64")  # x² + y² would overflow
    assert cr.hypot(big, big * (4 / 3)).item() == pytest.approx(5e200, rel=1e-15)
    assert cr.xlogy(cr.tensor([2.0]), np.e).item() == pytest.approx(2.0)
    s = cr.tensor([1.0, 2.0]).addcmul(cr.tensor([3.0, 4.0]), cr.tensor([5.0, 6.0]), value=0.5)
    assert s.tolist() == [8.5, 14.0]


def test_integer_division_modes_stay_integer_and_exact():
    x = cr.tensor(np.array([-7, 7, -6, 2**62 + 1]))
    y = cr.tensor(np.array([2, -2, 3, 2]))
    t = x.div(y, rounding_mode="trunc")
    assert t.dtype == np.int64
    assert t.tolist() == [-3, -3, -2, 2**61]  # exact beyond float64's integers
    assert x.div(y, rounding_mode="floor").tolist() == [-4, -4, -2, 2**61]
    assert x.div(y).dtype.kind == "f"
    assert cr.fmod(x, y).tolist() == [-1, 1, 0, 1]
    with pytest.raises(ZeroDivisionError, match="fmod"):
        cr.fmod(x, cr.tensor(np.array([1, 0, 1, 1])))


def test_division_with_a_rounding_mode_has_gradient_zero_as_pytorch():
    x = cr.tensor([1.5, -2.5], dtype="float64", requires_grad=True)
    y = cr.tensor([0.7, 0.7], dtype="float64", requires_grad=True)
    for mode in ("trunc", "floor"):
        x.grad = y.grad = None
        x.div(y, rounding_mode=mode).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]
        assert y.grad.tolist() == [0.0, 0.0]


def test_fmod_gradient_in_y_is_minus_the_truncated_quotient():
    x = cr.tensor([-7.5, 7.5], dtype="float64", requires_grad=True)
    y = cr.tensor([2.0, 2.0], dtype="float64", requires_grad=True)
    cr.fmod(x, y).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert y.grad.tolist() == [3.0, -3.0]  # −trunc(−3.75), −trunc(3.75)


# ----- the edges ----------------------------------------------------------------------------
XLOGY_X = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, -1.0]
XLOGY_Y = [0.0, -1.0, np.inf, np.nan, 2.0, 0.0, 3.0, np.inf]


def _xlogy_grads(x, y):
    xs = cr.tensor(np.array(x), requires_grad=True)
    ys = cr.tensor(np.array(y), requires_grad=True)
    out = cr.xlogy(xs, ys)
    out.backward(np.ones(out.shape))
    return out.data, xs.grad, ys.grad


def test_xlogy_at_the_edges_by_hand():
    out, gx, gy = _xlogy_grads(XLOGY_X, XLOGY_Y)
    l3 = np.log(3.0)
    np.testing.assert_array_equal(out, [0, 0, 0, np.nan, 0, -np.inf, 2 * l3, -np.inf])
    # ∂/∂x = ln y, 0 where x = 0 and y ≤ 0 (PyTorch's rule)
    np.testing.assert_array_equal(gx, [0, 0, np.inf, np.nan, np.log(2), -np.inf, l3, np.inf])
    # ∂/∂y = x/y, 0 on the line x = 0 (but NaN for y NaN)
    np.testing.assert_array_equal(gy, [0, 0, 0, np.nan, 0, np.inf, 2 / 3, -0.0])


def test_xlogy_against_pytorch_at_the_edges_but_one():
    torch = pytest.importorskip("torch")
    out, gx, gy = _xlogy_grads(XLOGY_X, XLOGY_Y)
    xt = torch.tensor(XLOGY_X, dtype=torch.float64, requires_grad=True)
    yt = torch.tensor(XLOGY_Y, dtype=torch.float64, requires_grad=True)
    torch.xlogy(xt, yt).sum().backward()
    np.testing.assert_array_equal(out, torch.xlogy(xt, yt).detach().numpy())
    np.testing.assert_array_equal(gx, xt.grad.numpy())
    theirs = yt.grad.numpy()
    assert np.isnan(theirs[0])  # PyTorch: 0/0 at x = y = 0, where chainrule gives 0
    np.testing.assert_array_equal(gy[1:], theirs[1:])


def test_xlogy_is_the_entropy_term_with_finite_gradient_at_zero():
    p = cr.tensor([0.0, 0.5], dtype="float64", requires_grad=True)
    cr.xlogy(p, p).sum().backward()
    np.testing.assert_array_equal(p.grad, [0.0, np.log(0.5) + 1])


def test_hypot_gradient_at_the_origin_is_zero():
    x = cr.tensor([0.0, 3.0], dtype="float64", requires_grad=True)
    y = cr.tensor([0.0, 4.0], dtype="float64", requires_grad=True)
    cr.hypot(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.6])  # PyTorch: NaN at the origin
    np.testing.assert_array_equal(y.grad, [0.0, 0.8])


def test_logit_at_the_edges_and_with_eps_as_pytorch():
    torch = pytest.importorskip("torch")
    points = [0.0, 1.0, 1e-300, 0.1, 0.25, 0.5, 0.75, 0.9, -0.5, 1.5]
    for eps in (0.25, None):
        x = cr.tensor(np.array(points), requires_grad=True)
        out = x.logit(eps)
        out.backward(np.ones(out.shape))
        xt = torch.tensor(points, dtype=torch.float64, requires_grad=True)
        ref = xt.logit(eps)
        ref.sum().backward()
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-15)
        inside = slice(None) if eps else slice(0, -2)
        np.testing.assert_allclose(x.grad[inside], xt.grad.numpy()[inside], rtol=1e-15)
    # outside [0, 1] the value is NaN; the gradient stays 1/x + 1/(1 − x), as log's own
    # stays 1/x for x < 0 (PyTorch's logit gives NaN there)
    np.testing.assert_allclose(x.grad[-2:], [1 / -0.5 + 1 / 1.5, 1 / 1.5 + 1 / -0.5], rtol=1e-15)


def test_logit_gradient_by_hand():
    x = cr.tensor([0.0, 0.2, 1.0], dtype="float64", requires_grad=True)
    x.logit().sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 1 / 0.2 + 1 / 0.8, np.inf])  # not NaN


def test_nan_to_num_values_and_gradient_as_pytorch():
    torch = pytest.importorskip("torch")
    values = [np.nan, np.inf, -np.inf, 1.5, -0.0]
    for dtype in ("float32", "float64"):
        for kw in ({}, {"nan": -1.0, "posinf": 9.0, "neginf": -9.0}):
            x = cr.tensor(np.array(values, dtype=dtype), requires_grad=True)
            out = x.nan_to_num(**kw)
            out.backward(np.full(out.shape, 2.0, dtype))
            xt = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
            ref = xt.nan_to_num(**kw)
            ref.backward(torch.full(ref.shape, 2.0, dtype=ref.dtype))
            assert out.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(out.data, ref.detach().numpy())
            np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 2.0, 2.0])
            np.testing.assert_array_equal(x.grad, xt.grad.numpy())


def test_nan_to_num_gradient_is_exactly_zero_even_from_an_infinite_upstream():
    x = cr.tensor([np.nan, 1.0], dtype="float64", requires_grad=True)
    x.nan_to_num().backward(np.array([np.inf, 1.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_nan_to_num_of_integers_is_a_copy():
    x = cr.tensor(np.array([1, 2]))
    y = x.nan_to_num()
    assert y.dtype == np.int64
    assert y.tolist() == [1, 2]
    assert not np.shares_memory(x.data, y.data)


def test_addmm_with_beta_zero_leaves_x_out():
    x = cr.tensor([[np.nan, np.inf, 1.0]], dtype="float64", requires_grad=True)
    m1 = cr.tensor(M1, dtype="float64", requires_grad=True)
    out = x.addmm(m1, M2, beta=0)
    np.testing.assert_allclose(out.data, M1 @ M2, rtol=1e-15)
    out.sum().backward()
    assert x.grad is None  # left out of the graph (PyTorch's is zeros)
    np.testing.assert_allclose(m1.grad, np.ones((2, 3)) @ M2.T, rtol=1e-14)


# ----- outside the graph -----------------------------------------------------------------------
COMPARISONS = [
    ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
    ("gt", np.greater), ("ge", np.greater_equal), ("not_equal", np.not_equal),
    ("less", np.less), ("less_equal", np.less_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal),
]  # fmt: skip


@pytest.mark.parametrize(("name", "ufunc"), COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparison_methods_give_boolean_tensors_outside_the_graph(name, ufunc):
    x = cr.tensor([1.0, 2.0, np.nan, 4.0], requires_grad=True)
    other = np.array([1.0, 3.0, np.nan, 0.0], np.float32)
    for y in (cr.tensor(other), other, 2.0):
        out = getattr(x, name)(y)
        assert out.dtype == np.bool_
        assert not out.requires_grad
        np.testing.assert_array_equal(out.data, ufunc(x.data, np.asarray(y, np.float32)))


def test_comparisons_and_logical_methods_against_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([0.0, 1.0, -2.0, np.nan, 3.0])
    b = np.array([0.0, 2.0, -2.0, np.nan, 0.0])
    ours, theirs = (cr.tensor(a), cr.tensor(b)), (torch.tensor(a), torch.tensor(b))
    names = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less_equal", "not_equal",
             "logical_and", "logical_or", "logical_xor", "isclose"]  # fmt: skip
    for name in names:
        got = getattr(ours[0], name)(ours[1])
        np.testing.assert_array_equal(got.data, getattr(theirs[0], name)(theirs[1]).numpy())
    np.testing.assert_array_equal(ours[0].logical_not().data, theirs[0].logical_not().numpy())
    assert ours[0].equal(ours[0]) is False  # NaN equals nothing, as torch.equal
    assert theirs[0].equal(theirs[0]) is False


def test_isclose_and_allclose_against_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([1.0, 1.0 + 1e-6, np.inf, -np.inf, np.nan, 0.0, 1e-9])
    b = np.array([1.0, 1.0, np.inf, np.inf, np.nan, 1e-9, 0.0])
    for kw in ({}, {"rtol": 0.0, "atol": 1e-8}, {"equal_nan": True}, {"rtol": 1e-7}):
        got = cr.isclose(cr.tensor(a), cr.tensor(b), **kw)
        want = torch.isclose(torch.tensor(a), torch.tensor(b), **kw).numpy()
        np.testing.assert_array_equal(got.data, want)
        assert got.dtype == np.bool_
        for i in (slice(None), slice(0, 3), slice(4, 5)):
            ours = cr.allclose(cr.tensor(a[i]), cr.tensor(b[i]), **kw)
            assert ours is torch.allclose(torch.tensor(a[i]), torch.tensor(b[i]), **kw)


def test_equal_is_a_python_bool_of_shape_and_values():
    x = cr.tensor([1.0, 2.0])
    assert x.equal(cr.tensor([1.0, 2.0])) is True
    assert x.equal(cr.tensor([1.0, 2.0, 3.0])) is False
    assert x.equal(cr.tensor([[1.0, 2.0]])) is False  # same values, another shape
    assert x.equal(cr.tensor(np.array([1, 2]))) is True  # values, not dtypes, as PyTorch
    assert cr.equal(x, cr.tensor([1.0, 2.5])) is False


def test_logical_methods_count_nonzero_as_true():
    x = cr.tensor([0.0, 2.0, -1.0, 0.0])
    y = cr.tensor(np.array([True, False, True, False]))
    assert x.logical_and(y).tolist() == [False, False, True, False]
    assert x.logical_or(y).tolist() == [True, True, True, False]
    assert x.logical_xor(y).tolist() == [True, True, False, False]
    assert x.logical_not().tolist() == [True, False, False, True]
    assert x.logical_and(1).dtype == np.bool_


def test_count_nonzero_against_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([[[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]], [[np.nan, 0.0, -0.0], [1.0, 1.0, 1.0]]])
    for kw in ({}, {"dim": 0}, {"dim": -1}, {"dim": (0, 2)}, {"dim": (0, 1, 2)}):
        got = cr.tensor(a).count_nonzero(**kw)
        want = torch.tensor(a).count_nonzero(**kw).numpy()
        assert got.dtype == np.int64
        assert not got.requires_grad
        np.testing.assert_array_equal(got.data, want)
    assert cr.count_nonzero(a, 1).tolist() == np.count_nonzero(a, axis=1).tolist()
    with pytest.raises(np.exceptions.AxisError, match="count_nonzero"):
        cr.count_nonzero(a, dim=3)


# ----- dtypes, devices and memory -------------------------------------------------------------
CASTS = ["half", "bool", "byte", "short", "int", "long"]


@pytest.mark.parametrize("name", CASTS)
def test_casts_as_pytorch(name):
    torch = pytest.importorskip("torch")
    values = [-1.7, 0.0, 2.5, 200.0]
    got = getattr(cr.tensor(values, dtype="float64"), name)()
    want = getattr(torch.tensor(values, dtype=torch.float64), name)()
    assert got.dtype == np.dtype(str(want.dtype).removeprefix("torch.").replace("bool", "bool_"))
    np.testing.assert_array_equal(got.data, want.numpy())


@pytest.mark.parametrize("name", ["bool", "byte", "short", "int", "long"])
def test_casts_to_integers_and_bool_end_the_graph(name):
    x = cr.tensor([1.5, 0.0], requires_grad=True)
    assert not getattr(x, name)().requires_grad


def test_half_is_differentiable_with_a_gradient_in_the_input_dtype():
    x = cr.tensor([1.5, 2.0], dtype="float64", requires_grad=True)
    y = x.half()
    assert y.dtype == np.float16
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_cpu_and_contiguous_return_the_tensor_itself_where_pytorch_does():
    x = cr.tensor(A, requires_grad=True)
    assert x.cpu() is x
    assert x.contiguous() is x
    t = x.mT
    assert not t.data.flags.c_contiguous
    c = t.contiguous()
    assert c is not t
    assert c.data.flags.c_contiguous
    assert not np.shares_memory(c.data, x.data)
    np.testing.assert_array_equal(c.data, A.T)
    (c * cr.tensor(np.arange(6.0).reshape(3, 2), dtype="float32")).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(3, 2).T)


def test_sizes_against_pytorch():
    torch = pytest.importorskip("torch")
    for dtype in ("float16", "float32", "float64", "int16", "uint8", "bool"):
        a = np.zeros((2, 3, 4), dtype)
        ours, theirs = cr.tensor(a), torch.tensor(a)
        assert ours.ndimension() == theirs.ndimension() == 3
        assert ours.nelement() == theirs.nelement() == 24
        assert ours.element_size() == theirs.element_size()


# ----- errors ---------------------------------------------------------------------------------
ERRORS = [
    (lambda: cr.tensor(A).bmm(cr.tensor(B)), ValueError, "bmm: expects two 3-d"),
    (lambda: cr.bmm(B1, np.zeros((3, 4, 3))), ValueError, "batch sizes differ"),
    (lambda: cr.addmm(A, ROW, M2), ValueError, "addmm: expects two 2-d"),
    (lambda: cr.addmm(np.zeros((3, 2, 3)), M1, M2), ValueError, "does not broadcast"),
    (lambda: cr.addmm(np.zeros(4), M1, M2), ValueError, "does not broadcast"),
    (lambda: cr.tensor(A).div(1.0, rounding_mode="round"), ValueError, "rounding_mode"),
    (lambda: cr.tensor(ROW).mT, ValueError, "at least 2 axes"),
    (lambda: cr.tensor(A).narrow(1, 4, 0), IndexError, "start 4 is out of range"),
    (lambda: cr.tensor(A).narrow(1, 2, 2), ValueError, "beyond the axis"),
    (lambda: cr.tensor(A).narrow(2, 0, 1), np.exceptions.AxisError, "narrow"),
    (lambda: cr.tensor(B1).movedim((0, 1), 2), ValueError, "different numbers"),
    (lambda: cr.tensor(B1).movedim((0, 0), (1, 2)), ValueError, "movedim"),
    (lambda: cr.tensor(P).logit(eps=np.nan), ValueError, "eps"),
    (lambda: cr.addcmul(A, B, C, value=cr.tensor(2.0)), ValueError, "value"),
]


@pytest.mark.parametrize(("call", "kind", "words"), ERRORS)
def test_errors_name_the_method(call, kind, words):
    with pytest.raises(kind, match=words):
        call()


def test_add_and_sub_take_alpha_as_a_keyword_only():
    x = cr.tensor([1.0])
    with pytest.raises(TypeError):
        x.add(1.0, 2.0)
    with pytest.raises(TypeError):
        x.sub(1.0, 2.0)


# ----- names ------------------------------------------------------------------------------------
def test_the_functions_are_exported_and_the_primitives_listed():
    functions = ["addcdiv", "addcmul", "addmm", "allclose", "bmm", "count_nonzero", "equal",
                 "fmod", "hypot", "isclose", "logical_and", "logical_not", "logical_or",
                 "logical_xor", "logit", "moveaxis", "movedim", "nan_to_num", "narrow",
                 "xlogy"]  # fmt: skip
    for name in functions:
        assert name in cr.__all__
        assert getattr(cr, name) is getattr(cr.ops, name)
    assert {"fmod", "hypot", "xlogy"} <= set(cr.ops.__all__)
    assert not {"logit", "addmm", "bmm", "isclose"} & set(cr.ops.__all__)  # compositions


def test_explain_shows_the_new_primitives_and_the_compositions():
    x = cr.tensor([0.5, 0.25], requires_grad=True, name="x")
    out = (cr.xlogy(x, x) + cr.hypot(x, 1.0) + cr.fmod(x, 0.3) + x.logit()).sum()
    table = cr.explain(out).table()
    for words in ("xlogy: ∂(x·ln y)/∂x = ln y", "hypot: ", "fmod: ", "Log1p", "Sub"):
        assert words in table, words
    out = (cr.xlogy(x, x) + cr.hypot(x, 1.0)).sum()
    ko = cr.explain(out, lang="ko").table()
    assert "xlogy: ∂(x·ln y)/∂x = ln y (x = 0, y ≤ 0: 0)" in ko
    assert "hypot: ∂out/∂x = x/out" in ko
