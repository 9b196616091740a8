"""A review of the latest additions: what broke and is fixed.

- ``x.size`` is a plain int, so NumPy arithmetic with it keeps float32 (an int that
  could be called, as PyTorch's ``size()``, made ``float32_array / x.size`` float64);
- ``random_split`` takes NumPy integers and floats as lengths, as PyTorch's does, and
  ``random_split``, ``Subset`` and ``ConcatDataset`` read a pair ``(X, y)`` of arrays
  as its samples, as ``DataLoader`` does (not as a dataset of two samples, X and y);
- ``clamp_min`` and ``clamp_max`` refuse None, as PyTorch's;
- ``has_aux``: the Tensors nested in aux are detached as the value is (JAX's aux is a
  tree of concrete values);
- the diagnostics probe calls a Sequential whose ``forward`` was set on the instance,
  as its own call runs it, rather than walking its layers.

The truths: the tensor's own shape and count, PyTorch's ``random_split`` lengths, the
gradient worked by hand, and the activations worked out in NumPy from the model's weights.
"""

import collections
import copy

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import ArrayDataset, ConcatDataset, DataLoader, Subset, random_split
from chainrule.diagnostics import layer_outputs

nn = cr.nn


# ----- x.size is NumPy's ---------------------------------------------------------------------
def test_size_is_a_plain_int_that_keeps_numpy_float32():
    x = cr.ones((2, 3))
    assert type(x.size) is int
    assert x.size == 6
    assert (np.ones(3, dtype=np.float32) / x.size).dtype == np.float32
    assert copy.deepcopy(x.size) == 6


# ----- random_split with NumPy lengths ------------------------------------------------------
def _dataset(n):
    return ArrayDataset(np.arange(float(n)).reshape(n, 1), np.arange(n))


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        (np.array([8, 2]), [8, 2]),
        ([np.int64(7), 3], [7, 3]),
        ([np.float32(0.7), np.float32(0.3)], [7, 3]),
        (np.array([0.5, 0.5]), [5, 5]),
    ],
)
def test_random_split_takes_numpy_lengths(lengths, expected):
    parts = random_split(_dataset(10), lengths, seed=0)
    assert [len(p) for p in parts] == expected
    together = np.sort(np.concatenate([p.indices for p in parts]))
    np.testing.assert_array_equal(together, np.arange(10))


@pytest.mark.parametrize("lengths", [[np.array([8, 2])], ["8", "2"], [np.bool_(True), 9]])
def test_random_split_still_refuses_what_is_not_numbers(lengths):
    with pytest.raises(TypeError, match="lengths must be numbers"):
        random_split(_dataset(10), lengths, seed=0)


def test_random_split_numpy_lengths_as_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import TensorDataset
    from torch.utils.data import random_split as torch_split

    ours = random_split(_dataset(10), np.array([6, 4]), seed=0)
    theirs = torch_split(TensorDataset(torch.arange(10.0)), np.array([6, 4]))
    assert [len(p) for p in ours] == [len(p) for p in theirs]


def test_random_split_of_a_pair_of_arrays_splits_its_samples():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    train, val = random_split((X, y), [0.8, 0.2], seed=0)
    assert [len(train), len(val)] == [8, 2]
    xb, yb = next(iter(DataLoader(train, batch_size=8)))
    np.testing.assert_array_equal(xb, X[train.indices])
    np.testing.assert_array_equal(yb, y[train.indices])


def test_subset_and_concat_of_a_pair_of_arrays_index_its_samples():
    X = np.arange(12.0).reshape(6, 2)
    y = np.arange(6) * 10
    part = Subset((X, y), [4, 1])
    assert len(part) == 2
    np.testing.assert_array_equal(part[0][0], X[4])
    both = ConcatDataset([(X, y), part])
    assert len(both) == 8
    assert both[-1][1] == y[1]
    xb, yb = next(iter(DataLoader(both, batch_size=8)))
    np.testing.assert_array_equal(xb, X[[0, 1, 2, 3, 4, 5, 4, 1]])
    np.testing.assert_array_equal(yb, y[[0, 1, 2, 3, 4, 5, 4, 1]])


# ----- has_aux: nested aux detached ---------------------------------------------------------
def _with_nested_aux(x):
    out = (x**2).sum()
    return out, {"out": out, "nested": (x * 2.0, [x * 3.0])}


def test_nested_aux_tensors_are_detached_as_the_value():
    x = cr.tensor([1.0, 2.0])
    g, aux = cr.grad(_with_nested_aux, has_aux=True)(x)
    np.testing.assert_array_equal(g.data, [2.0, 4.0])  # d/dx Σx² = 2x
    np.testing.assert_array_equal(aux["nested"][0].data, [2.0, 4.0])
    np.testing.assert_array_equal(aux["nested"][1][0].data, [3.0, 6.0])
    assert not aux["nested"][0].requires_grad
    assert not aux["nested"][1][0].requires_grad
    assert isinstance(aux["nested"], tuple)
    assert isinstance(aux["nested"][1], list)


def test_aux_namedtuple_is_detached_and_keeps_its_class():
    Stats = collections.namedtuple("Stats", "loss doubled")
    x = cr.tensor([1.0, 2.0])
    _, stats = cr.grad(lambda a: ((a**2).sum(), Stats((a**2).sum(), a * 2.0)), has_aux=True)(x)
    assert type(stats) is Stats
    np.testing.assert_array_equal(stats.doubled.data, [2.0, 4.0])
    assert not stats.doubled.requires_grad


def test_nested_aux_stays_in_the_graph_for_an_outer_derivative():
    x = cr.tensor(2.0, requires_grad=True)
    _, aux = cr.grad(lambda a: (a**3, {"sq": [a**2]}), has_aux=True)(x)
    assert aux["sq"][0].requires_grad
    aux["sq"][0].backward()
    assert x.grad == 4.0  # d/dx x² at 2


# ----- clamp_min and clamp_max --------------------------------------------------------------
@pytest.mark.parametrize("method", ["clamp_min", "clamp_max"])
def test_clamp_min_and_max_refuse_none_as_pytorch(method):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        getattr(torch.ones(3), method)(None)
    with pytest.raises(TypeError, match=f"{method}: the bound"):
        getattr(cr.ones(3), method)(None)


def test_clamp_min_and_max_limit_the_values():
    x = cr.tensor([0.0, 2.0, 5.0])
    np.testing.assert_array_equal(x.clamp_min(1.0).data, [1.0, 2.0, 5.0])
    np.testing.assert_array_equal(x.clamp_max(3.0).data, [0.0, 2.0, 3.0])


# ----- the probe and a forward set on the instance ------------------------------------------
def test_a_sequential_with_a_forward_of_its_own_instance_is_probed_as_it_runs():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3, dtype="float64"), nn.Tanh())
    model.forward = lambda x: model[1](model[0](x) * 100.0)
    X = np.linspace(-1, 1, 12).reshape(3, 4)
    linear = model[0]
    want = np.tanh((X @ linear.weight.data + linear.bias.data) * 100.0)  # weight: (in, out)
    probed = layer_outputs(model, X)
    assert [name for name, _, _ in probed] == ["1"]
    np.testing.assert_allclose(probed[0][2], want, rtol=1e-12)
