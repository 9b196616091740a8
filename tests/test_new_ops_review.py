"""Edge cases of PyTorch's functions and the running and index ops found in review: each
test failed before its fix."""

import numpy as np
import pytest

import chainrule as cr


def _t(values, dtype=np.float64, requires_grad=True):
    return cr.Tensor(np.array(values, dtype=dtype), requires_grad=requires_grad)


def test_xlogy_second_order_on_the_line_x_zero():
    # ∂²(x·ln y)/∂x∂y = 1/y, also at x = 0 (where ∂/∂y = x/y is 0 but not constant in x)
    assert cr.gradcheck(
        cr.xlogy, [np.array([0.0, 0.5]), np.array([2.0, 3.0])], check_second_order=True
    )
    x, y = _t([0.0, 0.0]), _t([2.0, 4.0])
    _, grad_y = cr.autograd.grad(cr.xlogy(x, y).sum(), [x, y], create_graph=True)
    grad_y.sum().backward()
    assert np.array_equal(x.grad, [1 / 2, 1 / 4])


def test_xlogy_second_order_against_torch():
    torch = pytest.importorskip("torch")
    xs, ys = [0.0, 0.0, 0.5, 0.0], [2.0, 0.5, 3.0, np.inf]
    x, y = _t(xs), _t(ys)
    _, grad_y = cr.autograd.grad(cr.xlogy(x, y).sum(), [x, y], create_graph=True)
    grad_y.sum().backward()
    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(ys, dtype=torch.float64, requires_grad=True)
    _, tgy = torch.autograd.grad(torch.xlogy(tx, ty).sum(), (tx, ty), create_graph=True)
    tgy.sum().backward()
    assert np.allclose(x.grad, tx.grad.numpy())


def test_xlogy_keeps_its_gradient_zero_at_the_origin():
    x, y = _t([0.0]), _t([0.0])
    cr.xlogy(x, y).sum().backward()
    assert x.grad.tolist() == [0.0]
    assert y.grad.tolist() == [0.0]


def test_add_and_sub_scale_a_list_by_alpha():
    x = _t([1.0, 2.0], np.float32)
    assert x.add([1.0, 2.0], alpha=2).tolist() == [3.0, 6.0]  # not the list repeated
    assert x.sub((1.0, 2.0), alpha=0.5).tolist() == [0.5, 1.0]
    assert x.add([1.0, 2.0], alpha=2).dtype == x.add([1.0, 2.0]).dtype == np.float32


def test_diff_prepend_of_a_0d_tensor_gets_its_gradient():
    x, p, a = _t([1.0, 2.0, 4.0]), _t(5.0), _t(-1.0)
    out = cr.diff(x, prepend=p, append=a)  # [x0 − p, x1 − x0, x2 − x1, a − x2]
    assert out.tolist() == [-4.0, 1.0, 2.0, -5.0]
    (out * np.array([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert p.grad.tolist() == -1.0
    assert a.grad.tolist() == 4.0
    assert x.grad.tolist() == [1.0 - 2.0, 2.0 - 3.0, 3.0 - 4.0]


def test_diff_prepend_of_a_0d_tensor_along_an_axis():
    x, p = _t(np.arange(6.0).reshape(2, 3)), _t(1.5)
    out = cr.diff(x, 1, 0, prepend=p)
    want = np.diff(np.arange(6.0).reshape(2, 3), 1, 0, prepend=1.5)
    assert np.array_equal(out.data, want)
    out.sum().backward()
    assert p.grad.tolist() == -3.0  # one −1 per column


def test_kthvalue_of_a_0d_tensor_checks_the_axis():
    x = _t(2.0)
    assert cr.kthvalue(x, 1, -1).values.tolist() == 2.0
    with pytest.raises(IndexError, match="kthvalue"):
        cr.kthvalue(x, 1, 7)
    with pytest.raises(IndexError, match="kthvalue"):
        x.kthvalue(1, dim=1)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("isclose", lambda a, b: cr.isclose(a, b)),
        ("allclose", lambda a, b: cr.allclose(a, b)),
        ("logical_and", lambda a, b: cr.logical_and(a, b)),
        ("logical_or", lambda a, b: a.logical_or(b)),
        ("logical_xor", lambda a, b: cr.logical_xor(a, b)),
    ],
)
def test_tests_outside_the_graph_name_the_op_and_shapes(name, call):
    a, b = _t(np.ones(2)), _t(np.ones(3))
    with pytest.raises(ValueError, match=rf"{name}.*\(2,\).*\(3,\)"):
        call(a, b)


def test_bmm_and_addmm_take_lists_as_the_other_ops_do():
    y = _t(np.ones((1, 1, 2)))
    assert cr.bmm([[[3.0]]], y).tolist() == [[[3.0, 3.0]]]
    with pytest.raises(ValueError, match=r"bmm.*\(1, 1, 1\).*\(2, 1, 2\)"):
        cr.bmm([[[3.0]]], np.ones((2, 1, 2)))


def test_nan_to_num_beyond_the_dtype_gives_inf_without_a_warning_as_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([np.inf, -np.inf, np.nan, 1.0], dtype=np.float32)
    ours = cr.nan_to_num(cr.tensor(x), nan=1e300, posinf=1e300, neginf=-1e300)  # warnings: errors
    theirs = torch.nan_to_num(torch.tensor(x), nan=1e300, posinf=1e300, neginf=-1e300)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours.data, theirs.numpy())
