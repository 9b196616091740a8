"""What a 0-d tensor's refusals say in PyTorch's index ops, movedim, count_nonzero and
kthvalue, which take it as 1-d: the tensor the user gave (0-d, index 0, axis 0 or -1),
never the shape (1,) or the "1 dimensions" these ops use inside. PyTorch refuses each
case too."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def scalar():
    return cr.tensor(np.float64(5.0), requires_grad=True)


def ints(values):
    return np.asarray(values, dtype=np.int64)


def refusals(torch) -> dict:
    """For each op: chainrule's call and PyTorch's, an index 1 into a 0-d tensor."""
    t, one = torch.tensor(5.0), torch.tensor([1])
    return {
        "index_select": (
            lambda: cr.index_select(scalar(), 0, ints([1])),
            lambda: torch.index_select(t, 0, one),
        ),
        "gather": (lambda: cr.gather(scalar(), 0, ints([1])), lambda: torch.gather(t, 0, one)),
        "scatter_add": (
            lambda: cr.scatter_add(scalar(), 0, ints([1]), np.array([2.0])),
            lambda: torch.scatter_add(t, 0, one, torch.tensor([2.0])),
        ),
        "index_add": (
            lambda: cr.index_add(scalar(), 0, ints([1]), np.array(2.0)),
            lambda: torch.index_add(t, 0, one, torch.tensor(2.0)),
        ),
    }


@pytest.mark.parametrize("op", ["index_select", "gather", "scatter_add", "index_add"])
def test_an_index_out_of_range_names_the_0d_tensor(op):
    torch = pytest.importorskip("torch")
    ours, theirs = refusals(torch)[op]
    with pytest.raises((IndexError, RuntimeError)):
        theirs()
    with pytest.raises(IndexError, match=rf"{op}: index 1 is out of range for a 0-d tensor") as e:
        ours()
    assert "(1,)" not in str(e.value)  # the message said "the tensor's shape is (1,)"


@pytest.mark.parametrize(
    ("shape", "index", "src", "named"),
    [((), [0, 0], [2.0], r"src \(1,\)"), ((2,), [1, 0], 2.0, r"src \(\)")],
)
def test_scatter_add_names_the_shapes_given_when_one_is_0d(shape, index, src, named):
    torch = pytest.importorskip("torch")
    x = np.full(shape, 5.0)
    with pytest.raises(RuntimeError):
        torch.scatter_add(torch.tensor(x), 0, torch.tensor(index), torch.tensor(src))
    with pytest.raises(ValueError, match=rf"index of shape \(2,\) is larger than {named}") as e:
        cr.scatter_add(cr.tensor(x), 0, ints(index), np.array(src))
    assert "tensor (1,)" not in str(e.value)


@pytest.mark.parametrize("k", [0, 2])
def test_kthvalue_names_the_0d_tensor_for_a_bad_k(k):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.kthvalue(torch.tensor(5.0), k)
    with pytest.raises(ValueError, match=rf"kthvalue: k={k} for a 0-d tensor .* k must be 1") as e:
        cr.kthvalue(scalar(), k)
    assert "(1,)" not in str(e.value)


@pytest.mark.parametrize(
    ("op", "ours", "theirs"),
    [
        ("movedim", lambda x: cr.movedim(x, 1, 0), lambda t: t.movedim(1, 0)),
        ("movedim", lambda x: cr.movedim(x, (0,), (-2,)), lambda t: t.movedim((0,), (-2,))),
        ("count_nonzero", lambda x: cr.count_nonzero(x, dim=1), lambda t: t.count_nonzero(1)),
        ("count_nonzero", lambda x: cr.count_nonzero(x, (-2,)), lambda t: t.count_nonzero((-2,))),
    ],
)
def test_an_axis_out_of_range_names_the_0d_tensor(op, ours, theirs):
    torch = pytest.importorskip("torch")
    with pytest.raises(IndexError):  # PyTorch's "Dimension out of range"
        theirs(torch.tensor(5.0))
    with pytest.raises(np.exceptions.AxisError, match=rf"{op}: axis -?\d .* 0-d tensor") as e:
        ours(scalar())
    assert "1 dimensions" not in str(e.value)


def test_the_0d_tensors_own_index_and_axes_still_work():
    x = scalar()
    assert cr.index_select(x, -1, ints([0])).item() == 5.0
    assert cr.gather(x, 0, ints([0, 0])).data.tolist() == [5.0, 5.0]
    assert cr.scatter_add(x, 0, ints([0, 0]), np.array([1.0, 2.0])).item() == 8.0
    assert cr.index_add(x, 0, ints(0), np.array(2.0), alpha=3).item() == 11.0
    assert cr.kthvalue(x, 1, -1).values.item() == 5.0
    assert cr.movedim(x, (0,), (-1,)).item() == 5.0
    assert cr.count_nonzero(x, dim=(-1,)).item() == 1
