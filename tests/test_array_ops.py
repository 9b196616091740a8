"""The array ops: cumsum, flip, roll, tile, repeat_interleave, chunk, unbind,
take_along_axis, gather, sort, argsort, topk, outer, diag, trace, triu, tril, einsum, and
the tests outside the graph (isnan, isinf, isfinite, all, any).

Values and gradients worked by hand on small examples, the edges (empty axes, size 1,
negative axes, 0-d, float32 kept, integer inputs), the errors (each names the op and the
shape, axis or index at fault), second derivatives through `cr.gradcheck`, the rules
`explain` shows, and PyTorch where it is installed. The op table
(tests/test_ops_table.py) gradchecks each of them on Hypothesis cases.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

F32 = np.float32


def _leaf(values, dtype=np.float64):
    return cr.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _grad(fn, values, upstream=None, dtype=np.float64):
    """(output values, gradient of Σ upstream·fn(x)) for ``x = values``."""
    x = _leaf(values, dtype)
    y = fn(x)
    y.backward(np.ones(y.shape, dtype) if upstream is None else np.asarray(upstream, dtype))
    return y.data, x.grad


def _second_order(fn, *arrays):
    return cr.gradcheck(
        fn, [np.asarray(a, dtype=np.float64) for a in arrays], check_second_order=True
    )


# ----- cumsum ---------------------------------------------------------------------------
def test_cumsum_by_hand():
    y, g = _grad(cr.cumsum, [1.0, 2.0, 3.0], [1.0, 10.0, 100.0])
    assert y.tolist() == [1.0, 3.0, 6.0]
    assert g.tolist() == [111.0, 110.0, 100.0]  # each gets the upstream from itself on


def test_cumsum_axes_and_names():
    x = np.arange(6.0).reshape(2, 3)
    t = cr.tensor(x)
    assert cr.cumsum(t).tolist() == [0.0, 1.0, 3.0, 6.0, 10.0, 15.0]  # None: flattened
    assert cr.cumsum(t, 1).tolist() == np.cumsum(x, 1).tolist()
    assert cr.cumsum(t, -2).tolist() == np.cumsum(x, 0).tolist()
    assert t.cumsum(dim=1).tolist() == np.cumsum(x, 1).tolist()
    _, g = _grad(lambda v: v.cumsum(0), x, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert g.tolist() == [[5.0, 7.0, 9.0], [4.0, 5.0, 6.0]]
    with pytest.raises(TypeError, match="cumsum: the axis was given twice"):
        cr.cumsum(t, 0, dim=1)
    with pytest.raises(np.exceptions.AxisError, match=r"cumsum.*axis 2"):
        cr.cumsum(t, 2)


def test_cumsum_edges():
    y, g = _grad(lambda v: cr.cumsum(v, 0), np.zeros((0, 3)))  # an empty axis
    assert y.shape == (0, 3)
    assert g.shape == (0, 3)
    y, g = _grad(lambda v: cr.cumsum(v, 0), 2.5)  # 0-d: itself
    assert y.shape == ()
    assert y == 2.5
    assert g == 1.0
    y, g = _grad(lambda v: cr.cumsum(v), 2.5)  # flattened: shape (1,), as NumPy's
    assert y.shape == (1,)
    assert g.shape == ()
    y, g = _grad(lambda v: cr.cumsum(v, 1), [[1.5, 2.5, 3.5]], dtype=F32)
    assert y.dtype == F32
    assert g.dtype == F32
    ints = cr.cumsum(cr.tensor(np.array([1, 2, 3])))
    assert ints.dtype == np.int64
    assert ints.tolist() == [1, 3, 6]
    assert not ints.requires_grad


# ----- flip and roll ----------------------------------------------------------------------
def test_flip_by_hand():
    y, g = _grad(lambda v: cr.flip(v, 0), [1.0, 2.0, 3.0], [1.0, 10.0, 100.0])
    assert y.tolist() == [3.0, 2.0, 1.0]
    assert g.tolist() == [100.0, 10.0, 1.0]
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    assert x.flip().tolist() == [[5.0, 4.0, 3.0], [2.0, 1.0, 0.0]]  # every axis
    assert x.flip(0, 1).tolist() == x.flip((0, 1)).tolist() == x.flip().tolist()
    assert cr.flip(x, dims=-1).tolist() == [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]
    assert cr.flip(cr.tensor(3.0)).item() == 3.0
    assert x.flip(()).tolist() == cr.flip(x, ()).tolist() == x.tolist()  # no axis: as it is
    with pytest.raises(np.exceptions.AxisError, match="flip: axis 2"):
        cr.flip(x, 2)
    with pytest.raises(ValueError, match=r"flip: axis .* twice"):
        cr.flip(x, (0, -2))


def test_roll_by_hand():
    y, g = _grad(lambda v: cr.roll(v, 1), [1.0, 2.0, 3.0], [1.0, 10.0, 100.0])
    assert y.tolist() == [3.0, 1.0, 2.0]
    assert g.tolist() == [10.0, 100.0, 1.0]
    x = np.arange(6.0).reshape(2, 3)
    t = cr.tensor(x)
    assert cr.roll(t, 4).tolist() == np.roll(x, 4).tolist()  # flattened and shaped back
    assert t.roll(-1, 1).tolist() == np.roll(x, -1, 1).tolist()
    assert cr.roll(t, (1, 2), (0, 1)).tolist() == np.roll(x, (1, 2), (0, 1)).tolist()
    assert cr.roll(t, 1, (0, 1)).tolist() == np.roll(x, 1, (0, 1)).tolist()
    assert cr.roll(t, shifts=1, dims=0).tolist() == np.roll(x, 1, 0).tolist()
    with pytest.raises(TypeError, match="roll: give the shift"):
        cr.roll(t)
    with pytest.raises(ValueError, match=r"roll: shift .* same length"):
        cr.roll(t, (1, 2), 0)
    with pytest.raises(np.exceptions.AxisError, match="roll: axis 5"):
        cr.roll(t, 1, 5)


# ----- tile and repeat_interleave ---------------------------------------------------------
def test_tile_by_hand():
    y, g = _grad(lambda v: cr.tile(v, 3), [1.0, 2.0], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert y.tolist() == [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
    assert g.tolist() == [9.0, 12.0]  # the sum over the tiles
    x = np.arange(6.0).reshape(2, 3)
    t = cr.tensor(x)
    for reps in [(2,), (2, 1), (1, 2, 2), (0, 2), ()]:
        assert cr.tile(t, reps).shape == np.tile(x, reps).shape
        np.testing.assert_array_equal(cr.tile(t, reps).data, np.tile(x, reps))
    assert t.tile(2, 2).tolist() == np.tile(x, (2, 2)).tolist()
    with pytest.raises(ValueError, match="tile: repetitions must be >= 0"):
        cr.tile(t, -1)
    with pytest.raises(TypeError, match="tile: each repetition must be an int"):
        cr.tile(t, 1.5)


def test_repeat_interleave_by_hand():
    y, g = _grad(lambda v: cr.repeat_interleave(v, 2), [1.0, 2.0], [1.0, 2.0, 3.0, 4.0])
    assert y.tolist() == [1.0, 1.0, 2.0, 2.0]
    assert g.tolist() == [3.0, 7.0]
    y, g = _grad(lambda v: cr.repeat_interleave(v, [0, 3], dim=0), [[1.0], [2.0]])
    assert y.tolist() == [[2.0], [2.0], [2.0]]
    assert g.tolist() == [[0.0], [3.0]]  # repeated 0 times: no gradient
    x = np.arange(6.0).reshape(2, 3)
    t = cr.tensor(x)
    np.testing.assert_array_equal(cr.repeat_interleave(t, 2).data, np.repeat(x, 2))
    np.testing.assert_array_equal(t.repeat_interleave(2, 1).data, np.repeat(x, 2, 1))
    with pytest.raises(ValueError, match=r"repeat_interleave: 2 repeats for an axis of size 3"):
        cr.repeat_interleave(t, [1, 2], 1)
    with pytest.raises(TypeError, match="repeat_interleave: repeats must be"):
        cr.repeat_interleave(t, 1.5)
    with pytest.raises(ValueError, match="repeat_interleave: repeats must be >= 0"):
        cr.repeat_interleave(t, -1)


def test_there_is_no_repeat():
    # NumPy's repeat is repeat_interleave, PyTorch's is tile: neither name is taken
    assert not hasattr(cr.tensor([1.0]), "repeat")
    assert not hasattr(cr, "repeat")
    assert not hasattr(cr, "split")


# ----- chunk and unbind -------------------------------------------------------------------
def test_chunk_sizes_as_pytorch():
    sizes = {
        (5, 3): [2, 2, 1],
        (6, 4): [2, 2, 2],
        (6, 3): [2, 2, 2],
        (1, 3): [1],
        (4, 1): [4],
        (0, 3): [0, 0, 0],
    }
    for (n, chunks), expected in sizes.items():
        pieces = cr.chunk(cr.tensor(np.arange(float(n))), chunks)
        assert isinstance(pieces, tuple)
        assert [p.shape[0] for p in pieces] == expected, (n, chunks)


def test_chunk_and_unbind_gradients_go_back():
    x = _leaf(np.arange(6.0).reshape(2, 3))
    a, b = x.chunk(2, dim=1)
    assert a.tolist() == [[0.0, 1.0], [3.0, 4.0]]
    assert b.tolist() == [[2.0], [5.0]]
    (a.sum() + 10 * b.sum()).backward()
    assert x.grad.tolist() == [[1.0, 1.0, 10.0], [1.0, 1.0, 10.0]]
    x = _leaf(np.arange(6.0).reshape(2, 3))
    rows = cr.unbind(x)
    cols = x.unbind(-1)
    assert [r.tolist() for r in rows] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert [c.shape for c in cols] == [(2,), (2,), (2,)]
    (rows[1].sum() + 2 * cols[0].sum()).backward()
    assert x.grad.tolist() == [[2.0, 0.0, 0.0], [3.0, 1.0, 1.0]]


def test_chunk_and_unbind_errors():
    t = cr.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="chunk: the number of chunks must be at least 1, got 0"):
        cr.chunk(t, 0)
    with pytest.raises(np.exceptions.AxisError, match="chunk: axis 2"):
        cr.chunk(t, 2, 2)
    with pytest.raises(ValueError, match="chunk: a 0-d tensor"):
        cr.chunk(cr.tensor(1.0), 2)
    with pytest.raises(np.exceptions.AxisError, match="unbind: axis -3"):
        cr.unbind(t, -3)


# ----- take_along_axis and gather ---------------------------------------------------------
def test_take_along_axis_adds_repeated_picks():
    y, g = _grad(lambda v: cr.take_along_axis(v, np.array([0, 0, 2, -1]), 0), [1.0, 2.0, 3.0])
    assert y.tolist() == [1.0, 1.0, 3.0, 3.0]
    assert g.tolist() == [2.0, 0.0, 2.0]
    x = np.array([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
    idx = np.argsort(x, axis=1)
    np.testing.assert_array_equal(cr.take_along_axis(cr.tensor(x), idx, 1).data, np.sort(x, 1))
    # indices of size 1 along another axis broadcast, as NumPy's
    one = np.array([[2]])
    np.testing.assert_array_equal(
        cr.tensor(x).take_along_axis(one, 1).data, np.take_along_axis(x, one, 1)
    )
    flat = cr.take_along_axis(cr.tensor(x), np.array([5, 0]), None)
    assert flat.tolist() == [50.0, 10.0]


def test_gather_by_hand():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    index = np.array([[0, 0], [1, 0]])
    y, g = _grad(lambda v: cr.gather(v, 1, index), x)
    assert y.tolist() == [[1.0, 1.0], [4.0, 3.0]]  # torch.gather's own example
    assert g.tolist() == [[2.0, 0.0], [1.0, 1.0]]
    # an index shorter than x along the other axes takes their leading part
    y = cr.tensor(x).gather(0, cr.tensor(np.array([[1]])))
    assert y.tolist() == [[3.0]]


def test_index_errors_name_the_op_the_index_and_the_size():
    t = cr.tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match=r"take_along_axis: index 3 .* axis 1 of size 3"):
        cr.take_along_axis(t, np.array([[0, 3]]), 1)
    with pytest.raises(IndexError, match=r"take_along_axis: index -4 .* axis 1 of size 3"):
        cr.take_along_axis(t, np.array([[-4]]), 1)
    with pytest.raises(IndexError, match=r"gather: index -1 .* axis 1 of size 3"):
        cr.gather(t, 1, np.array([[-1]]))  # PyTorch's gather refuses negative indices too
    with pytest.raises(IndexError, match=r"gather: index 2 .* axis 0 of size 2"):
        cr.gather(t, 0, np.array([[2]]))
    with pytest.raises(TypeError, match="gather: index must hold integers, got float32"):
        cr.gather(t, 1, cr.tensor([[0.0]]))
    with pytest.raises(TypeError, match="take_along_axis: indices must hold integers"):
        cr.take_along_axis(t, np.array([[0.5]]), 1)
    with pytest.raises(ValueError, match=r"take_along_axis: indices of shape \(2,\)"):
        cr.take_along_axis(t, np.array([0, 1]), 1)
    with pytest.raises(ValueError, match=r"gather: the index of shape \(3, 1\) is larger"):
        cr.gather(t, 1, np.zeros((3, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"take_along_axis: indices of shape \(3, 1\) do not"):
        cr.take_along_axis(t, np.zeros((3, 1), dtype=np.int64), 1)


# ----- sort, argsort and topk -------------------------------------------------------------
def test_sort_ties_keep_their_order_and_their_gradient():
    x = [2.0, 1.0, 2.0, 1.0]
    w = [10.0, 20.0, 30.0, 40.0]
    y, g = _grad(cr.sort, x, w)
    assert y.tolist() == [1.0, 1.0, 2.0, 2.0]
    # sorted order of the positions: 1, 3, 0, 2 (ties in their order)
    assert g.tolist() == [30.0, 10.0, 40.0, 20.0]
    y, g = _grad(lambda v: v.sort(descending=True), x, w)
    assert y.tolist() == [2.0, 2.0, 1.0, 1.0]
    assert g.tolist() == [10.0, 30.0, 20.0, 40.0]  # order 0, 2, 1, 3
    assert cr.argsort(cr.tensor(x)).tolist() == [1, 3, 0, 2]
    assert cr.tensor(x).argsort(descending=True).tolist() == [0, 2, 1, 3]


def test_sort_axes_and_nan():
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    t = cr.tensor(x)
    np.testing.assert_array_equal(cr.sort(t).data, np.sort(x))
    np.testing.assert_array_equal(cr.sort(t, 0).data, np.sort(x, 0))
    np.testing.assert_array_equal(t.sort(dim=-2).data, np.sort(x, 0))
    np.testing.assert_array_equal(cr.sort(t, None).data, np.sort(x, None))
    np.testing.assert_array_equal(cr.argsort(t, None).data, np.argsort(x, None, kind="stable"))
    assert cr.argsort(t).dtype == np.int64
    assert not cr.argsort(_leaf(x)).requires_grad
    s = cr.sort(cr.tensor([np.nan, 1.0, -np.inf])).tolist()
    assert s[:2] == [-np.inf, 1.0]
    assert np.isnan(s[2])  # NaN last, as NumPy's
    assert cr.sort(cr.tensor(2.0)).shape == ()
    assert cr.sort(cr.tensor(np.zeros((0, 2))), 0).shape == (0, 2)
    ints = cr.sort(cr.tensor(np.array([3, 1, 2], dtype=np.uint8)), descending=True)
    assert ints.dtype == np.uint8
    assert ints.tolist() == [3, 2, 1]
    with pytest.raises(np.exceptions.AxisError, match="sort: axis 2"):
        cr.sort(t, 2)


def test_topk_is_a_named_tuple_with_stable_ties():
    out = cr.topk(cr.tensor([1.0, 3.0, 3.0, 2.0]), 2)
    assert isinstance(out, cr.TopK)
    values, indices = out
    assert values.tolist() == [3.0, 3.0]
    assert out.indices.tolist() == [1, 2]  # the first of the tied values first
    assert indices.dtype == np.int64
    smallest = cr.topk(cr.tensor([2.0, 1.0, 1.0]), 2, largest=False)
    assert smallest.indices.tolist() == [1, 2]
    assert cr.topk(cr.tensor([1.0, np.nan, 2.0]), 1).indices.tolist() == [1]  # NaN largest
    x = np.array([[4.0, 1.0, 3.0], [0.0, 9.0, 5.0]])
    y, g = _grad(lambda v: v.topk(2).values, x, [[1.0, 2.0], [3.0, 4.0]])
    assert y.tolist() == [[4.0, 3.0], [9.0, 5.0]]
    assert g.tolist() == [[1.0, 0.0, 2.0], [0.0, 3.0, 4.0]]  # the others get 0
    y, g = _grad(lambda v: cr.topk(v, 1, dim=0).values, x)
    assert y.tolist() == [[4.0, 9.0, 5.0]]
    assert cr.topk(cr.tensor(x), 0).values.shape == (2, 0)
    with pytest.raises(ValueError, match=r"topk: k=4 for axis 1 of size 3"):
        cr.topk(cr.tensor(x), 4)
    with pytest.raises(TypeError, match="topk: k must be an int"):
        cr.topk(cr.tensor(x), 1.0)


# ----- outer, diag, trace, triu, tril -------------------------------------------------------
def test_outer_by_hand():
    a, b = _leaf([1.0, 2.0]), _leaf([3.0, 4.0, 5.0])
    y = cr.outer(a, b)
    assert y.tolist() == [[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]]
    y.sum().backward()
    assert a.grad.tolist() == [12.0, 12.0]
    assert b.grad.tolist() == [3.0, 3.0, 3.0]
    assert a.outer(b).shape == (2, 3)
    with pytest.raises(ValueError, match=r"outer: takes two 1-D tensors, got shapes \(2, 1\)"):
        cr.outer(cr.tensor(np.ones((2, 1))), b)


def test_diag_both_ways():
    y, g = _grad(lambda v: cr.diag(v, 1), [1.0, 2.0], np.arange(9.0).reshape(3, 3))
    assert y.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
    assert g.tolist() == [1.0, 5.0]  # the upstream's diagonal 1
    x = np.arange(6.0).reshape(2, 3)
    y, g = _grad(lambda v: v.diag(-1), x, [7.0])
    assert y.tolist() == [3.0]
    assert g.tolist() == [[0.0, 0.0, 0.0], [7.0, 0.0, 0.0]]
    for k in range(-3, 4):
        np.testing.assert_array_equal(cr.diag(cr.tensor(x), k).data, np.diag(x, k))
        np.testing.assert_array_equal(cr.diag(cr.tensor(x[0]), diagonal=k).data, np.diag(x[0], k))
    with pytest.raises(ValueError, match=r"diag takes a vector .* got 3 dimensions"):
        cr.diag(cr.tensor(np.zeros((2, 2, 2))))


def test_trace_and_triangles():
    x = np.arange(9.0).reshape(3, 3)
    y, g = _grad(cr.trace, x)
    assert y == 12.0
    assert g.tolist() == np.eye(3).tolist()
    assert cr.tensor(x).trace(1).item() == 1.0 + 5.0
    y, g = _grad(lambda v: cr.triu(v, 1), x)
    assert y.tolist() == np.triu(x, 1).tolist()
    assert g.tolist() == np.triu(np.ones((3, 3)), 1).tolist()
    y, g = _grad(lambda v: v.tril(diagonal=-1), x)
    assert g.tolist() == np.tril(np.ones((3, 3)), -1).tolist()
    batch = np.arange(24.0).reshape(2, 3, 4)  # the last two axes, as NumPy's
    np.testing.assert_array_equal(cr.triu(cr.tensor(batch)).data, np.triu(batch))
    np.testing.assert_array_equal(cr.tril(cr.tensor(batch), 2).data, np.tril(batch, 2))
    assert cr.triu(cr.tensor(x, dtype=F32)).dtype == F32
    with pytest.raises(ValueError, match=r"trace: takes a matrix \(2-D\), got shape \(3,\)"):
        cr.trace(cr.tensor(x[0]))
    with pytest.raises(ValueError, match=r"triu: takes a matrix .* got shape \(3,\)"):
        cr.triu(cr.tensor(x[0]))


# ----- einsum ---------------------------------------------------------------------------
def test_einsum_forms():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4,))
    ta, tb, tc = cr.tensor(a), cr.tensor(b), cr.tensor(c)
    np.testing.assert_allclose(cr.einsum("ij,jk->ik", ta, tb).data, a @ b)
    np.testing.assert_allclose(cr.einsum("ij,jk", ta, tb).data, a @ b)  # implicit
    np.testing.assert_allclose(cr.einsum("ba", ta).data, a.T)  # implicit: letters sorted
    np.testing.assert_allclose(cr.einsum("ij->", ta).data, a.sum())
    np.testing.assert_allclose(cr.einsum("ij,jk,k->i", [ta, tb, tc]).data, a @ b @ c)
    np.testing.assert_allclose(cr.einsum("i,j->ij", tc, tc).data, np.outer(c, c))
    # an integer operand with a float one takes its dtype
    assert cr.einsum("i,i->", cr.tensor(c, dtype=F32), np.arange(4)).dtype == F32


def test_einsum_gradients_by_hand():
    a, b = _leaf([[1.0, 2.0]]), _leaf([[3.0], [4.0]])
    y = cr.einsum("ij,jk->ik", a, b)
    assert y.tolist() == [[11.0]]
    y.backward()
    assert a.grad.tolist() == [[3.0, 4.0]]
    assert b.grad.tolist() == [[1.0], [2.0]]
    # a letter only one operand holds is summed there: its gradient is broadcast back
    y, g = _grad(lambda v: cr.einsum("ij->j", v), [[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0])
    assert g.tolist() == [[5.0, 6.0], [5.0, 6.0]]
    # an axis of size 1 broadcast by einsum, as NumPy's: its gradient is summed back
    a, b = _leaf([[1.0], [2.0]]), _leaf(np.arange(6.0).reshape(3, 2))
    y = cr.einsum("ij,jk->ik", a, b)
    np.testing.assert_array_equal(y.data, np.einsum("ij,jk->ik", a.data, b.data))
    y.sum().backward()
    assert a.grad.tolist() == [[15.0], [15.0]]
    assert b.grad.tolist() == [[3.0, 3.0], [3.0, 3.0], [3.0, 3.0]]
    assert _second_order(lambda u, v: cr.einsum("ij,jk->ik", u, v) ** 2, a.data, b.data)


def test_einsum_errors():
    t = cr.tensor(np.eye(2))
    with pytest.raises(ValueError, match="einsum: operand 0 has a repeated letter in 'ii'"):
        cr.einsum("ii->i", t)
    with pytest.raises(ValueError, match=r"einsum: '\.\.\.' \(ellipsis\) is not supported"):
        cr.einsum("...i->i", t)
    with pytest.raises(ValueError, match="einsum: 'ij,jk' names 2 operands, but 1 were given"):
        cr.einsum("ij,jk", t)
    with pytest.raises(ValueError, match="operand 0 has 2 dimensions but 'i' names 1"):
        cr.einsum("i->i", t)
    with pytest.raises(ValueError, match=r"einsum: the output letters \['k'\] are in no operand"):
        cr.einsum("ij->k", t)


# ----- outside the graph ------------------------------------------------------------------
def test_tests_outside_the_graph():
    x = _leaf([np.nan, np.inf, -np.inf, 1.0])
    for name, expected in [
        ("isnan", [True, False, False, False]),
        ("isinf", [False, True, True, False]),
        ("isfinite", [False, False, False, True]),
    ]:
        for out in (getattr(cr, name)(x), getattr(x, name)()):
            assert out.dtype == np.bool_
            assert not out.requires_grad
            assert out.tolist() == expected
    m = cr.tensor(np.array([[True, False], [True, True]]))
    assert m.all().item() is False
    assert m.any().item() is True
    assert m.all(dim=1).tolist() == [False, True]
    assert cr.any(m, axis=0, keepdims=True).tolist() == [[True, True]]
    assert cr.all(cr.tensor([1.0, 2.0])).item() is True  # nonzero counts as true
    assert cr.all(m, dim=0, keepdim=True).shape == (1, 2)
    with pytest.raises(TypeError, match="all: the axis was given twice"):
        m.all(0, dim=1)


# ----- float32, second derivatives, explain -----------------------------------------------
FORMS = {
    "cumsum": lambda v: cr.cumsum(v, 1),
    "flip": lambda v: cr.flip(v, 0),
    "roll": lambda v: cr.roll(v, 2),
    "tile": lambda v: cr.tile(v, (2, 1)),
    "repeat_interleave": lambda v: cr.repeat_interleave(v, [2, 1, 0], 1),
    "chunk": lambda v: cr.chunk(v, 2, 1)[0],
    "unbind": lambda v: cr.unbind(v, 1)[2],
    "take_along_axis": lambda v: cr.take_along_axis(v, np.array([[2, 2], [0, 1]]), 1),
    "gather": lambda v: cr.gather(v, 0, np.array([[1, 1, 0]])),
    "sort": lambda v: cr.sort(v, 0),
    "topk": lambda v: cr.topk(v, 2).values,
    "diag": lambda v: cr.diag(v, 1),
    "trace": cr.trace,
    "triu": cr.triu,
    "tril": lambda v: cr.tril(v, -1),
    "einsum": lambda v: cr.einsum("ij,kj->ik", v, v),
}
X = np.array([[0.3, -1.2, 2.1], [1.7, 0.4, -0.8]])


@pytest.mark.parametrize("name", FORMS)
def test_float32_stays_float32(name):
    y, g = _grad(lambda v: FORMS[name](v) * 1.5, X, dtype=F32)
    assert y.dtype == F32
    assert g.dtype == F32
    y64, g64 = _grad(lambda v: FORMS[name](v) * 1.5, X)
    np.testing.assert_allclose(y, y64, rtol=1e-6)
    np.testing.assert_allclose(g, g64, rtol=1e-6)


@pytest.mark.parametrize("name", FORMS)
def test_second_derivatives(name):
    # cubed, so that the second derivative is not zero
    assert _second_order(lambda v: FORMS[name](v) ** 3, X)


def test_second_derivatives_of_the_two_operand_forms():
    a, b = np.array([0.5, -1.5, 2.0]), np.array([1.2, 0.7])
    assert _second_order(lambda u, v: cr.outer(u, v) ** 2, a, b)
    m = np.arange(6.0).reshape(3, 2) / 4
    assert _second_order(lambda u, v: cr.einsum("i,ij->j", u, v) ** 2, a, m)
    assert _second_order(lambda u: cr.diag(u, -1) ** 3, a)  # vector -> matrix


def test_create_graph_through_cumsum_by_hand():
    # y = Σ (cumsum x)² = x₀² + (x₀ + x₁)²: ∂y/∂x₀ = 2x₀ + 2(x₀ + x₁), ∂²y/∂x₀² = 4
    x = _leaf([1.0, 2.0])
    (g,) = cr.autograd.grad((cr.cumsum(x) ** 2).sum(), [x], create_graph=True)
    assert g.tolist() == [8.0, 6.0]
    (h,) = cr.autograd.grad(g[0], [x])
    assert h.tolist() == [4.0, 2.0]


def test_explain_states_the_rules():
    def graph():
        x = _leaf(X)
        return cr.einsum("ij->j", cr.flip(cr.cumsum(x, 1), 0)).sum() + cr.diag(cr.roll(x, 1)).sum()

    table = cr.explain(graph()).table()
    assert "cumsum: ∂yⱼ/∂xᵢ = 1 for i ≤ j" in table
    assert "flip: yᵢ = x₋ᵢ₋₁ along the flipped axes" in table
    assert "roll: yᵢ = x_{i−s}" in table
    assert "diag: of a vector, the matrix with it on diagonal k" in table
    assert "einsum: ∂y/∂A = einsum of the upstream gradient" in table
    korean = cr.explain(graph(), lang="ko").table()
    assert "cumsum: i ≤ j이면 ∂yⱼ/∂xᵢ = 1" in korean
    assert "flip: 상류 기울기를 다시 뒤집는다" in korean
    assert "einsum: ∂y/∂A = 상류 기울기와 다른 피연산자들의 einsum" in korean


# ----- against PyTorch ------------------------------------------------------------------
TORCH_FORMS = {  # name -> (chainrule, torch)
    "cumsum": (lambda v: cr.cumsum(v, dim=1), lambda t, v: t.cumsum(v, dim=1)),
    "flip": (lambda v: v.flip(0, 1), lambda t, v: v.flip(0, 1)),
    "roll": (lambda v: cr.roll(v, shifts=1, dims=1), lambda t, v: t.roll(v, shifts=1, dims=1)),
    "tile": (lambda v: v.tile(2, 2), lambda t, v: v.tile(2, 2)),
    "repeat_interleave": (
        lambda v: v.repeat_interleave(2, dim=0),
        lambda t, v: v.repeat_interleave(2, dim=0),
    ),
    "chunk": (lambda v: v.chunk(2, 1)[1], lambda t, v: v.chunk(2, 1)[1]),
    "unbind": (lambda v: v.unbind(1)[0], lambda t, v: v.unbind(1)[0]),
    "gather": (
        lambda v: v.gather(1, np.array([[0, 0], [2, 1]])),
        lambda t, v: v.gather(1, t.tensor([[0, 0], [2, 1]])),
    ),
    "sort": (lambda v: v.sort(dim=1), lambda t, v: v.sort(dim=1).values),
    "sort_descending": (
        lambda v: v.sort(descending=True),
        lambda t, v: v.sort(descending=True).values,
    ),
    "topk": (lambda v: v.topk(2, 1).values, lambda t, v: v.topk(2, 1).values),
    "topk_smallest": (
        lambda v: v.topk(1, 0, largest=False).values,
        lambda t, v: v.topk(1, 0, largest=False).values,
    ),
    "outer": (lambda v: v[0].outer(v[1]), lambda t, v: v[0].outer(v[1])),
    "diag": (lambda v: v.diag(1), lambda t, v: v.diag(1)),
    "diag_vector": (lambda v: v[1].diag(-1), lambda t, v: v[1].diag(-1)),
    "trace": (lambda v: v[:, :2].trace(), lambda t, v: v[:, :2].trace()),
    "triu": (lambda v: v.triu(diagonal=1), lambda t, v: v.triu(diagonal=1)),
    "tril": (lambda v: v.tril(), lambda t, v: v.tril()),
    "einsum": (
        lambda v: cr.einsum("ij,kj->ik", v, v),
        lambda t, v: t.einsum("ij,kj->ik", v, v),
    ),
}


@pytest.mark.parametrize("name", TORCH_FORMS)
def test_against_pytorch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = TORCH_FORMS[name]
    w = np.random.default_rng(1).normal(size=ours(cr.tensor(X)).shape)
    y, g = _grad(ours, X, w)
    t = torch.tensor(X, requires_grad=True)
    ty = theirs(torch, t)
    ty.backward(torch.tensor(w))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


def test_topk_indices_and_argsort_against_pytorch():
    torch = pytest.importorskip("torch")
    x = np.array([[0.5, 2.0, -1.0, 2.5], [3.0, 1.0, 4.0, -2.0]])
    ours, theirs = cr.tensor(x).topk(3), torch.tensor(x).topk(3)
    assert ours.indices.tolist() == theirs.indices.tolist()
    assert cr.argsort(cr.tensor(x)).tolist() == torch.tensor(x).argsort().tolist()
    for n, chunks in [(5, 3), (6, 4), (7, 2), (0, 2)]:
        a = [p.shape for p in cr.chunk(cr.tensor(np.zeros(n)), chunks)]
        b = [tuple(p.shape) for p in torch.chunk(torch.zeros(n), chunks)]
        assert a == b, (n, chunks)
