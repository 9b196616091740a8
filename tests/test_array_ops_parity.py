"""Edge cases of the array ops of ``ops/_running.py``, ``_select_scatter.py``,
``_statistics.py`` and ``_index_valued.py`` (cumprod, logcumsumexp, cummax, cummin, diff,
index_select, masked_select, index_add, scatter_add, nansum, nanmean, median, kthvalue,
nonzero, unique): against PyTorch (values, indices and gradients, at zeros, ties
and NaN), second derivatives against finite differences, index validation, empty tensors
and dtypes. The op table (tests/test_ops_table.py) checks their gradients on random cases.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

NAN = np.nan


def _torch():
    return pytest.importorskip("torch")


def _grads_vs_torch(cr_fn, torch_fn, *arrays, upstream=None):
    """The value and the gradient of every input, chainrule's and PyTorch's, for the same
    upstream gradient (ones by default)."""
    torch = _torch()
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = cr_fn(*xs), torch_fn(*ts)
    w = np.ones(out.shape) if upstream is None else upstream
    out.backward(w)
    tout.backward(torch.tensor(w))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


# ----- cumprod ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "row",
    [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 3.0], [1.5, -2.0, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0]],
)
def test_cumprod_gradient_with_zeros_is_pytorchs_and_has_no_nan(row):
    torch = _torch()
    upstream = np.array([0.5, -1.0, 2.0, 1.5])
    _grads_vs_torch(
        lambda x: cr.cumprod(x, 0), lambda t: torch.cumprod(t, 0), np.array(row), upstream=upstream
    )


def test_cumprod_gradient_at_a_zero_is_the_product_of_the_others():
    x = cr.tensor(np.array([[3.0, 0.0, 2.0, 5.0]]), requires_grad=True)
    cr.cumprod(x, 1).sum().backward()
    # d/dx₁ of x₀ + x₀x₁ + x₀x₁x₂ + x₀x₁x₂x₃ at x₁ = 0: x₀ + x₀x₂ + x₀x₂x₃ = 3 + 6 + 30
    np.testing.assert_array_equal(x.grad, [[1.0, 39.0, 0.0, 0.0]])


def test_cumprod_second_order_with_zeros():
    torch = _torch()
    a = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 2.0], [2.0, 0.5, -1.5, 1.2]])
    assert cr.gradcheck(lambda x: cr.cumprod(x, 1), [a], check_second_order=True)
    assert cr.gradcheck(lambda x: cr.cumprod(x, 0), [a], check_second_order=True)
    # and the Hessian-vector product is PyTorch's
    v = np.arange(12.0).reshape(3, 4) / 10
    x = cr.tensor(a, requires_grad=True)
    (g,) = cr.autograd.grad(cr.cumprod(x, 1).sum(), [x], create_graph=True)
    (h,) = cr.autograd.grad((g * v).sum(), [x])
    t = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.cumprod(t, 1).sum(), [t], create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), [t])
    np.testing.assert_allclose(np.asarray(h), th.numpy(), rtol=1e-12, atol=1e-12)


def test_cumprod_flattens_without_an_axis_as_numpy():
    a = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_array_equal(cr.cumprod(cr.tensor(a)).data, np.cumprod(a))
    np.testing.assert_array_equal(cr.tensor(a).cumprod(dim=1).data, np.cumprod(a, 1))
    ints = cr.cumprod(cr.tensor(np.array([1, 2, 3])), 0)  # integers: outside the graph
    assert ints.dtype == np.int64
    assert not ints.requires_grad


# ----- logcumsumexp -----------------------------------------------------------------------
def test_logcumsumexp_is_stable_and_pytorchs():
    torch = _torch()
    a = np.array([[1000.0, 1000.0, -1000.0, 999.0], [-800.0, 5.0, 700.0, 710.0]])
    out = cr.logcumsumexp(cr.tensor(a), 1)
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data[0, :2], [1000.0, 1000.0 + np.log(2.0)], rtol=1e-15)
    w = np.array([[1.0, -2.0, 0.5, 3.0], [0.0, 1.0, -1.0, 2.0]])
    _grads_vs_torch(
        lambda x: cr.logcumsumexp(x, 1), lambda t: torch.logcumsumexp(t, 1), a, upstream=w
    )


def test_logcumsumexp_second_order_and_dim_name():
    a = np.array([[0.3, -1.2, 2.0], [40.0, -40.0, 41.0]])
    assert cr.gradcheck(lambda x: cr.logcumsumexp(x, dim=0), [a], check_second_order=True)
    assert cr.gradcheck(lambda x: x.logcumsumexp(-1), [a], check_second_order=True)


def test_logcumsumexp_gradient_with_zeros_upstream_raises_no_floating_point_flag():
    x = cr.tensor(np.array([[-3.0, 0.5, 2.0]]), requires_grad=True)
    with np.errstate(all="raise"):  # log 0 of the upstream's zero parts is not computed
        cr.logcumsumexp(x, 1).backward(np.array([[0.0, 1.0, -2.0]]))
    y = np.logaddexp.accumulate(x.data, axis=1)
    upstream = np.array([0.0, 1.0, -2.0])
    by_hand = [
        sum(upstream[j] * np.exp(x.data[0, i] - y[0, j]) for j in range(i, 3)) for i in range(3)
    ]
    np.testing.assert_allclose(x.grad[0], by_hand, rtol=1e-12)


@pytest.mark.parametrize("op", ["logcumsumexp", "cummax", "cummin"])
def test_ops_that_need_an_axis_say_so(op):
    with pytest.raises(TypeError, match=f"{op}: give the axis"):
        getattr(cr, op)(cr.tensor([1.0, 2.0]))


# ----- cummax and cummin ------------------------------------------------------------------
@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_running_extremes_are_pytorchs_with_ties_and_nan(op):
    torch = _torch()
    a = np.array([1.0, 1.0, 0.0, 2.0, 2.0, -1.0, NAN, 3.0, NAN, 5.0])
    out = getattr(cr, op)(cr.tensor(a), 0)
    expected = getattr(torch, op)(torch.tensor(a), 0)
    np.testing.assert_array_equal(out.values.data, expected.values.numpy())
    np.testing.assert_array_equal(out.indices.data, expected.indices.numpy())
    assert out.indices.dtype == np.int64
    values, indices = out  # a named tuple, as PyTorch's
    assert values is out.values
    assert indices is out.indices
    finite = a[:6]
    w = np.array([0.5, 1.0, 2.0, -1.0, 3.0, 1.5])
    _grads_vs_torch(
        lambda x: getattr(cr, op)(x, 0).values,
        lambda t: getattr(torch, op)(t, 0).values,
        finite,
        upstream=w,
    )


def test_cummax_of_a_0d_tensor_and_along_an_axis():
    out = cr.cummax(cr.tensor(3.0), 0)
    assert out.values.shape == ()
    assert out.indices.tolist() == 0
    m = cr.tensor(np.array([[1.0, 5.0], [3.0, 2.0], [2.0, 7.0]]))
    out = m.cummax(dim=0)
    assert out.values.tolist() == [[1.0, 5.0], [3.0, 5.0], [3.0, 7.0]]
    assert out.indices.tolist() == [[0, 0], [1, 0], [1, 2]]


# ----- diff -------------------------------------------------------------------------------
def test_diff_is_numpys_and_pytorchs():
    torch = _torch()
    a = np.array([[1.0, 4.0, 9.0, 16.0], [2.0, -1.0, 0.5, 3.0]])
    for n in (1, 2, 3, 5):
        np.testing.assert_array_equal(cr.diff(cr.tensor(a), n).data, np.diff(a, n))
    np.testing.assert_array_equal(cr.diff(cr.tensor(a), axis=0).data, np.diff(a, axis=0))
    pre = np.array([[0.0], [1.0]])
    _grads_vs_torch(
        lambda x, p: cr.diff(x, 2, dim=1, prepend=p),
        lambda t, p: torch.diff(t, 2, dim=1, prepend=p),
        a,
        pre,
    )
    np.testing.assert_array_equal(
        cr.diff(cr.tensor(a), prepend=0, append=1).data, np.diff(a, prepend=0, append=1)
    )
    flags = cr.diff(cr.tensor(np.array([True, True, False])))
    assert flags.tolist() == [False, True]
    with pytest.raises(ValueError, match="diff: the order n must be >= 0"):
        cr.diff(cr.tensor(a), -1)


# ----- selections and scatters by index ---------------------------------------------------
def test_index_select_and_masked_select_are_pytorchs():
    torch = _torch()
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([3, 0, 3])
    w = np.arange(9.0).reshape(3, 3)
    _grads_vs_torch(
        lambda x: cr.index_select(x, 1, idx),
        lambda t: torch.index_select(t, 1, torch.tensor(idx)),
        a,
        upstream=w,
    )
    mask = np.array([True, False, True, True])
    _grads_vs_torch(
        lambda x: x.masked_select(mask),
        lambda t: t.masked_select(torch.tensor(mask)),
        a,
        upstream=np.arange(9.0),
    )
    assert cr.tensor(a).index_select(dim=0, index=[1]).shape == (1, 4)
    assert cr.masked_select(cr.tensor(a), np.zeros((3, 4), bool)).shape == (0,)


@pytest.mark.parametrize("alpha", [1, 2.5])
def test_index_add_and_scatter_add_are_pytorchs(alpha):
    torch = _torch()
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([0, 2, 0])
    source = np.linspace(-1.0, 1.0, 12).reshape(3, 4)[:, :3]
    w = np.linspace(0.5, 2.0, 12).reshape(3, 4)
    _grads_vs_torch(
        lambda x, s: cr.index_add(x, 1, idx, s, alpha=alpha),
        lambda t, s: torch.index_add(t, 1, torch.tensor(idx), s, alpha=alpha),
        a,
        source,
        upstream=w,
    )
    index = np.array([[1, 1], [0, 2]])
    _grads_vs_torch(
        lambda x, s: x.scatter_add(0, index, s),
        lambda t, s: t.scatter_add(0, torch.tensor(index), s),
        a,
        np.array([[1.0, 2.0], [3.0, 4.0]]),
        upstream=w,
    )
    # src larger than the index: its leading corner is used (PyTorch's backward refuses
    # such a src, so its gradient is checked by hand: the upstream gradient gathered)
    src = cr.tensor(np.linspace(1.0, 2.0, 6).reshape(2, 3), requires_grad=True)
    out = cr.scatter_add(cr.tensor(a), 0, index, src)
    expected = torch.tensor(a).scatter_add(0, torch.tensor(index), torch.tensor(src.data))
    np.testing.assert_array_equal(out.data, expected.numpy())
    out.backward(w)
    np.testing.assert_array_equal(src.grad, [[w[1, 0], w[1, 1], 0.0], [w[0, 0], w[2, 1], 0.0]])


def test_index_ops_second_order():
    a = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    idx = np.array([2, 0, 2])

    def f(x, s):
        return cr.index_add(x * x, 1, idx, s * s, alpha=0.5) * x.sum()

    assert cr.gradcheck(f, [a, a[:, [1, 0, 2]]], check_second_order=True)

    def g(x, s):
        return cr.scatter_add(x, 0, np.array([[1, 0, 1]]), s * s) * x

    assert cr.gradcheck(g, [a, a[:1] + 1], check_second_order=True)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: cr.index_select(x, 1, [0, 3]),
        lambda x: cr.index_select(x, 1, [-1]),
        lambda x: cr.index_add(x, 1, [3], cr.ones(2, 1)),
        lambda x: cr.scatter_add(x, 1, np.array([[0, 5]]), cr.ones(1, 2)),
    ],
)
def test_an_index_out_of_range_names_the_op_the_index_and_the_size(call):
    x = cr.ones(2, 3)
    with pytest.raises(IndexError, match=r"\w+: index -?\d+ is out of range for axis 1 of size 3"):
        call(x)


def test_index_arguments_are_checked():
    x = cr.ones(2, 3)
    with pytest.raises(TypeError, match="index_select: index must hold integers"):
        cr.index_select(x, 0, cr.tensor([0.0]))
    with pytest.raises(ValueError, match="index_select: the index must be 1-D"):
        cr.index_select(x, 0, np.zeros((1, 1), int))
    with pytest.raises(TypeError, match="masked_select: the mask must be boolean"):
        cr.masked_select(x, np.ones(3))
    with pytest.raises(ValueError, match="index_add: a source of shape"):
        cr.index_add(x, 0, [0], cr.ones(2, 3))
    with pytest.raises(ValueError, match="scatter_add: the index of shape"):
        cr.scatter_add(x, 0, np.zeros((1, 3), int), cr.ones(1, 2))


# ----- reductions that skip NaN -----------------------------------------------------------
def test_nansum_and_nanmean_are_pytorchs_with_gradient_zero_at_nan():
    torch = _torch()
    a = np.array([[1.0, NAN, 3.0], [NAN, -2.0, 0.5]])
    for name in ("nansum", "nanmean"):
        _grads_vs_torch(
            lambda x, n=name: getattr(cr, n)(x, 1),
            lambda t, n=name: getattr(torch, n)(t, 1),
            a,
            upstream=np.array([2.0, -1.0]),
        )
        np.testing.assert_allclose(getattr(cr, name)(cr.tensor(a)).data, getattr(np, name)(a))


def test_nanmean_of_nans_alone_is_nan_with_gradient_zero_and_no_warning():
    x = cr.tensor(np.array([[NAN, NAN], [1.0, NAN]]), requires_grad=True)
    out = x.nanmean(dim=1, keepdim=True)  # pytest turns a RuntimeWarning into an error
    assert np.isnan(out.data[0, 0])
    assert out.data[1, 0] == 1.0
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0], [1.0, 0.0]])


# ----- median and kthvalue ----------------------------------------------------------------
def test_median_is_numpys_mean_of_the_two_middle_values():
    a = np.array([[4.0, 1.0, 3.0, 2.0], [0.5, 0.5, 7.0, -1.0]])
    x = cr.tensor(a, requires_grad=True)
    out = cr.median(x, 1)
    np.testing.assert_array_equal(out.data, np.median(a, 1))
    out.sum().backward()
    # ½ to each middle element; of the tied 0.5s the two are the middle ones
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.0, 0.0]])
    assert cr.median(cr.tensor(a)).item() == np.median(a)
    assert cr.median(cr.tensor(a), keepdims=True).shape == (1, 1)
    assert cr.gradcheck(
        lambda t: cr.median(t * t, 0), [a + np.array([[0.0], [0.25]])], check_second_order=True
    )


def test_median_of_an_odd_count_and_with_nan_agrees_with_pytorch():
    torch = _torch()
    a = np.array([[3.0, 1.0, 2.0], [5.0, NAN, 4.0]])
    x = cr.tensor(a, requires_grad=True)
    out = x.median(dim=1)
    expected = torch.tensor(a).median(dim=1)
    np.testing.assert_array_equal(out.data, expected.values.numpy())
    out.sum().backward()
    grad = np.zeros_like(a)  # PyTorch: 1 at the median's index, the NaN's in the second row
    grad[[0, 1], expected.indices.numpy()] = 1.0
    np.testing.assert_array_equal(x.grad, grad)
    with pytest.raises(ValueError, match="median: axis 0 of the tensor of shape \\(0,\\) is empty"):
        cr.median(cr.zeros(0))


def test_kthvalue_is_pytorchs_and_pytorchs_median():
    torch = _torch()
    a = np.array([[3.0, 1.0, 3.0, 3.0, 0.5], [2.0, -1.0, 4.0, 0.0, 1.0]])
    for k in range(1, 6):
        for keepdim in (False, True):
            out = cr.kthvalue(cr.tensor(a), k, 1, keepdim)
            expected = torch.kthvalue(torch.tensor(a), k, 1, keepdim)
            np.testing.assert_array_equal(out.values.data, expected.values.numpy())
            assert out.indices.shape == tuple(expected.indices.shape)
            # ties may take another index than PyTorch's: the value there is the same
            picked = np.take_along_axis(a, out.indices.data.reshape(2, 1), 1)
            np.testing.assert_array_equal(picked.reshape(-1), expected.values.numpy().reshape(-1))
    even = np.array([[4.0, 1.0, 3.0, 2.0]])
    lower = cr.tensor(even).kthvalue((4 + 1) // 2, dim=1)
    assert lower.values.tolist() == torch.tensor(even).median(dim=1).values.tolist()
    _grads_vs_torch(
        lambda x: cr.kthvalue(x, 2).values, lambda t: torch.kthvalue(t, 2).values, a[1:]
    )
    with pytest.raises(ValueError, match="kthvalue: k=6 for axis 1 of size 5"):
        cr.kthvalue(cr.tensor(a), 6)


# ----- nonzero and unique -----------------------------------------------------------------
def test_nonzero_is_pytorchs():
    torch = _torch()
    for a in (np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]]), np.array(3.0), np.zeros((0, 2))):
        out = cr.nonzero(cr.tensor(a))
        expected = torch.nonzero(torch.tensor(a))
        assert out.dtype == np.int64
        assert out.shape == tuple(expected.shape)
        np.testing.assert_array_equal(out.data, expected.numpy())
        pieces = cr.tensor(a).nonzero(as_tuple=True)
        expected = torch.nonzero(torch.tensor(a), as_tuple=True)
        assert [p.tolist() for p in pieces] == [e.tolist() for e in expected]


def test_unique_is_pytorchs():
    torch = _torch()
    a = np.array([[3.0, 1.0, NAN], [1.0, NAN, 3.0]])
    values, inverse, counts = cr.unique(cr.tensor(a), return_inverse=True, return_counts=True)
    expected = torch.unique(torch.tensor(a), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(values.data, expected[0].numpy())  # each NaN apart
    np.testing.assert_array_equal(inverse.data, expected[1].numpy())
    np.testing.assert_array_equal(counts.data, expected[2].numpy())
    rows = np.array([[1.0, 2.0], [0.0, 5.0], [1.0, 2.0]])
    values, inverse = cr.tensor(rows).unique(dim=0, return_inverse=True)
    expected = torch.unique(torch.tensor(rows), dim=0, return_inverse=True)
    np.testing.assert_array_equal(values.data, expected[0].numpy())
    np.testing.assert_array_equal(inverse.data, expected[1].numpy())
    assert cr.unique(cr.tensor([3.0, 1.0, 3.0]), sorted=False).tolist() == [1.0, 3.0]
    assert not cr.unique(cr.tensor([1.0], requires_grad=True)).requires_grad


# ----- empty tensors and dtypes -------------------------------------------------------------
def test_empty_tensors():
    e = cr.zeros(0, 3, requires_grad=True)
    outs = [
        cr.cumprod(e, 0),
        cr.logcumsumexp(e, 0),
        cr.cummax(e, 0).values,
        cr.diff(e, axis=0),
        cr.index_select(cr.ones(2, 3, requires_grad=True), 0, np.array([], np.int64)),
        cr.masked_select(e, np.zeros((0, 3), bool)),
        cr.index_add(e, 1, [0, 0], cr.zeros(0, 2)),
        cr.nansum(e, 0),
    ]
    for out in outs:
        out.sum().backward()
    assert cr.nansum(e).item() == 0.0
    assert e.grad.shape == (0, 3)
    assert cr.nonzero(e).shape == (0, 2)
    assert cr.unique(e).shape == (0,)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_gradients_keep_the_dtype(dtype):
    a = np.array([[0.5, 0.0, NAN], [1.5, -2.0, 3.0]])
    calls = [
        lambda x: cr.cumprod(x, 1),
        lambda x: cr.logcumsumexp(x, 0),
        lambda x: cr.cummin(x, 1).values,
        lambda x: cr.diff(x, prepend=0.5),
        lambda x: cr.index_select(x, 0, [1, 1]),
        lambda x: cr.masked_select(x, np.array([True, False, True])),
        lambda x: cr.index_add(x, 0, [1], np.ones((1, 3), dtype)),
        lambda x: cr.scatter_add(x, 1, np.array([[2, 2]]), np.ones((1, 2), dtype)),
        lambda x: cr.nansum(x, 1),
        lambda x: cr.nanmean(x, 1),
        lambda x: cr.median(x, 0),
        lambda x: cr.kthvalue(x, 1).values,
    ]
    for call in calls:
        x = cr.tensor(a, dtype=dtype, requires_grad=True)
        out = call(x)
        assert out.dtype == dtype
        out.backward(np.ones(out.shape, dtype))
        assert x.grad.dtype == dtype
