"""0-d tensors in PyTorch's index ops, and fmod's gradient under ``create_graph``.

- PyTorch takes a 0-d tensor as 1-d (one element along dim 0, also named -1) in
  index_select, gather, scatter_add, index_add, movedim and count_nonzero: values and
  gradients worked by hand and compared with PyTorch's, and the refusals where PyTorch
  refuses too.
- fmod's gradient in its divisor, −trunc(x/y), stays in the graph under ``create_graph``
  (its own gradient is 0), as PyTorch's does.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def scalar(value=5.0):
    return cr.tensor(np.float64(value), requires_grad=True)


def ints(values):
    return np.asarray(values, dtype=np.int64)


def grads(out, inputs, weight=7.0):
    """The gradients of Σ weight·out with respect to ``inputs``, as arrays."""
    return [np.asarray(g.data) for g in cr.autograd.grad((out * weight).sum(), inputs)]


def torch_grads(out, inputs, weight=7.0):
    torch = pytest.importorskip("torch")
    return [g.numpy() for g in torch.autograd.grad((out * weight).sum(), inputs)]


# ----- index ops on a 0-d tensor ------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("index", [0, [0]])
def test_index_select_of_a_0d_tensor_is_the_tensor(dim, index):
    x = scalar()
    out = cr.index_select(x, dim, ints(index))
    assert out.shape == ()
    assert out.item() == 5.0
    assert grads(out, [x])[0] == 7.0


@pytest.mark.parametrize(
    ("index", "error", "message"),
    [
        ([0, 0], ValueError, r"must hold one element .* shape \(2,\)"),
        ([], ValueError, r"must hold one element .* shape \(0,\)"),
        ([1], IndexError, "index 1 is out of range"),
        ([-1], IndexError, "index -1 is out of range"),
    ],
)
def test_index_select_of_a_0d_tensor_refuses_what_pytorch_refuses(index, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises((IndexError, RuntimeError)):
        torch.index_select(torch.tensor(5.0), 0, torch.tensor(index, dtype=torch.long))
    with pytest.raises(error, match="index_select: .*" + message):
        cr.index_select(scalar(), 0, ints(index))


@pytest.mark.parametrize("op", ["index_select", "gather", "scatter_add", "index_add"])
def test_a_0d_tensor_has_axes_0_and_minus_1_only(op):
    x, idx = scalar(), ints([0])
    args = (x, 1, idx) if op in ("index_select", "gather") else (x, 1, idx, np.array(2.0))
    with pytest.raises(np.exceptions.AxisError, match=rf"{op}: axis 1 .* 0-d tensor"):
        getattr(cr, op)(*args)


def test_kthvalue_names_the_axes_of_a_0d_tensor():
    # it takes a 0-d tensor as 1-d; the message said "a tensor of 1 dimensions (-1 to 0)"
    with pytest.raises(np.exceptions.AxisError, match=r"kthvalue: axis 1 .* 0-d tensor \(0 or -1"):
        cr.kthvalue(cr.tensor(5.0), 1, 1)


@pytest.mark.parametrize(
    ("shape", "index"), [((), 0), ((), [0]), ((), [0, 0]), ((3,), 1), ((), [])]
)
def test_gather_takes_a_0d_tensor_or_index_as_1d_as_pytorch(shape, index):
    torch = pytest.importorskip("torch")
    data = np.arange(5.0, 5.0 + np.prod(shape, dtype=int)).reshape(shape)
    x = cr.tensor(data, requires_grad=True)
    out = cr.gather(x, -1, ints(index))
    tx = torch.tensor(data, requires_grad=True)
    tout = torch.gather(tx, -1, torch.tensor(index, dtype=torch.long))
    assert out.shape == tuple(tout.shape) == np.shape(index)  # the index's shape
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    np.testing.assert_array_equal(grads(out, [x])[0], torch_grads(tout, [tx])[0])


def test_gather_of_a_0d_tensor_by_hand():
    x = scalar()
    out = cr.gather(x, 0, ints([0, 0, 0]))
    np.testing.assert_array_equal(out.data, [5.0, 5.0, 5.0])
    assert grads(out, [x])[0] == 21.0  # three copies, each weighted 7


@pytest.mark.parametrize(
    ("x_shape", "index", "src"),
    [
        ((), 0, 2.0),
        ((), [0], [2.0]),
        ((), [0, 0], [2.0, 3.0]),
        ((3,), 1, 2.0),
        ((3,), [1], 2.0),
        ((), [], 2.0),
    ],
)
def test_scatter_add_takes_0d_operands_as_1d_as_pytorch(x_shape, index, src):
    torch = pytest.importorskip("torch")
    data = np.arange(5.0, 5.0 + np.prod(x_shape, dtype=int)).reshape(x_shape)
    x, s = cr.tensor(data, requires_grad=True), cr.tensor(np.array(src), requires_grad=True)
    out = cr.scatter_add(x, 0, ints(index), s)
    tx = torch.tensor(data, requires_grad=True)
    ts = torch.tensor(np.array(src), requires_grad=True)
    tout = torch.scatter_add(tx, 0, torch.tensor(index, dtype=torch.long), ts)
    assert out.shape == tuple(tout.shape) == x_shape
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    for ours, theirs in zip(grads(out, [x, s]), torch_grads(tout, [tx, ts])):
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_scatter_add_into_a_0d_tensor_by_hand():
    x, src = scalar(), cr.tensor([2.0, 3.0], dtype="float64", requires_grad=True)
    out = cr.scatter_add(x, 0, ints([0, 0]), src)
    assert out.shape == ()
    assert out.item() == 5.0 + 2.0 + 3.0
    gx, gs = grads(out, [x, src])
    assert gx == 7.0
    np.testing.assert_array_equal(gs, [7.0, 7.0])


@pytest.mark.parametrize("x_shape", [(), (3,)])
def test_scatter_add_of_a_0d_index_takes_the_first_element_of_src(x_shape):
    # PyTorch gives the same value, but its backward fails here (a gradient of shape ()
    # for src of shape (2,)): the gradient is worked by hand
    data = np.arange(5.0, 5.0 + np.prod(x_shape, dtype=int)).reshape(x_shape)
    x = cr.tensor(data, requires_grad=True)
    src = cr.tensor([2.0, 3.0], dtype="float64", requires_grad=True)
    out = cr.scatter_add(x, 0, ints(0), src)
    want = data.copy()
    want.reshape(-1)[0] += 2.0  # src's first element into x's first
    np.testing.assert_array_equal(out.data, want)
    gx, gs = grads(out, [x, src])
    np.testing.assert_array_equal(gx, np.full(x_shape, 7.0))
    np.testing.assert_array_equal(gs, [7.0, 0.0])  # the unused element gets 0
    torch = pytest.importorskip("torch")
    theirs = torch.scatter_add(torch.tensor(data), 0, torch.tensor(0), torch.tensor(src.data))
    np.testing.assert_array_equal(out.data, theirs.numpy())


def test_scatter_add_refuses_an_index_larger_than_a_0d_src_as_pytorch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.scatter_add(torch.tensor(5.0), 0, torch.tensor([0, 0]), torch.tensor(2.0))
    with pytest.raises(ValueError, match="scatter_add: the index of shape"):
        cr.scatter_add(scalar(), 0, ints([0, 0]), np.array(2.0))


@pytest.mark.parametrize("index", [0, [0]])
def test_index_add_into_a_0d_tensor(index):
    torch = pytest.importorskip("torch")
    x, s = scalar(), cr.tensor(np.float64(2.0), requires_grad=True)
    out = cr.index_add(x, 0, ints(index), s, alpha=3)
    assert out.shape == ()
    assert out.item() == 5.0 + 3 * 2.0
    tx = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
    ts = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tout = torch.index_add(tx, 0, torch.tensor(index), ts, alpha=3)
    assert out.item() == tout.item()
    assert grads(out, [x, s]) == torch_grads(tout, [tx, ts]) == [7.0, 21.0]


@pytest.mark.parametrize(
    ("index", "source", "error", "message"),
    [
        ([0], [2.0], ValueError, r"source of shape \(1,\) .* needs the shape \(\)"),
        ([0, 0], 2.0, ValueError, "must hold one element"),
        ([1], 2.0, IndexError, "index 1 is out of range"),
    ],
)
def test_index_add_into_a_0d_tensor_refuses_what_pytorch_refuses(index, source, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises((IndexError, RuntimeError)):
        torch.index_add(torch.tensor(5.0), 0, torch.tensor(index), torch.tensor(source))
    with pytest.raises(error, match="index_add: .*" + message):
        cr.index_add(cr.tensor(5.0), 0, ints(index), np.array(source, dtype=np.float32))


# ----- movedim and count_nonzero of a 0-d tensor -----------------------------------------
@pytest.mark.parametrize(("source", "destination"), [(0, 0), (-1, 0), ((0,), (-1,))])
def test_movedim_of_a_0d_tensor_is_the_tensor_as_pytorch(source, destination):
    torch = pytest.importorskip("torch")
    x = scalar()
    out = cr.movedim(x, source, destination)
    tout = torch.movedim(torch.tensor(5.0, dtype=torch.float64), source, destination)
    assert out.shape == tuple(tout.shape) == ()
    assert out.item() == tout.item() == 5.0
    assert grads(out, [x])[0] == 7.0
    with pytest.raises(np.exceptions.AxisError, match="movedim: axis 1"):
        cr.movedim(x, 1, 0)


@pytest.mark.parametrize("dim", [0, -1, (0,)])
@pytest.mark.parametrize("value", [5.0, 0.0])
def test_count_nonzero_of_a_0d_tensor_along_its_axis_as_pytorch(dim, value):
    torch = pytest.importorskip("torch")
    ours = cr.count_nonzero(cr.tensor(value), dim=dim)
    theirs = torch.count_nonzero(torch.tensor(value), dim=dim)
    assert ours.shape == tuple(theirs.shape) == ()
    assert ours.item() == theirs.item() == (value != 0)


# ----- fmod's gradient under create_graph ----------------------------------------------------
A = np.array([5.3, -7.2, 2.5, 0.4])
B = np.array([2.0, 3.0, -1.5, -0.3])


def test_fmods_gradient_in_the_divisor_stays_in_the_graph():
    a = cr.tensor(A, requires_grad=True)
    b = cr.tensor(B, requires_grad=True)
    (gb,) = cr.autograd.grad(cr.fmod(a, b).sum(), b, create_graph=True)
    np.testing.assert_array_equal(gb.data, -np.trunc(A / B))  # [-2, 2, 1, 1]
    h = 1e-6  # and finite differences, away from the jumps
    numeric = (np.fmod(A, B + h) - np.fmod(A, B - h)) / (2 * h)
    np.testing.assert_allclose(gb.data, numeric, rtol=1e-6)
    assert gb.requires_grad
    for g in cr.autograd.grad((gb * gb).sum(), [a, b]):  # constant between the jumps
        np.testing.assert_array_equal(g.data, 0.0)


def test_fmods_second_gradient_matches_pytorch():
    torch = pytest.importorskip("torch")
    a, b = (cr.tensor(v, requires_grad=True) for v in (A, B))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (A, B))
    (gb,) = cr.autograd.grad(cr.fmod(a, b).sum(), b, create_graph=True)
    (tgb,) = torch.autograd.grad(torch.fmod(ta, tb).sum(), tb, create_graph=True)
    assert gb.requires_grad is tgb.requires_grad is True
    np.testing.assert_array_equal(gb.data, tgb.detach().numpy())
    ours = cr.autograd.grad(gb.sum(), [a, b])
    theirs = torch.autograd.grad(tgb.sum(), [ta, tb])
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.data, t.numpy())
