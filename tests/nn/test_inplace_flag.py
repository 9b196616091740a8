"""PyTorch's ``inplace=`` on ReLU, LeakyReLU, ELU, SiLU and Dropout: accepted, checked, shown
in the repr as PyTorch shows it, and changing nothing (the input is never written into)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

X = np.array([[-2.0, -0.5, 0.0], [0.25, 1.0, 3.0]])

LAYERS = [
    ("ReLU", (), lambda a: np.maximum(a, 0.0)),
    ("LeakyReLU", (0.1,), lambda a: np.where(a > 0, a, 0.1 * a)),
    ("ELU", (0.5,), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a))),
    ("SiLU", (), lambda a: a / (1 + np.exp(-a))),
]


@pytest.mark.parametrize(("name", "args", "ref"), LAYERS, ids=[c[0] for c in LAYERS])
def test_inplace_changes_neither_the_values_nor_the_gradients_nor_the_input(name, args, ref):
    results = []
    for inplace in (False, True):
        x = cr.tensor(X, dtype="float64", requires_grad=True)
        layer = getattr(cr.nn, name)(*args, inplace=inplace)
        assert layer.inplace is inplace
        y = layer(x)
        (y * y).sum().backward()
        np.testing.assert_array_equal(x.data, X)  # the input is left as it is
        results.append((y.numpy(), x.grad))
    np.testing.assert_allclose(results[0][0], ref(X), rtol=1e-15)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize(("name", "args", "ref"), LAYERS, ids=[c[0] for c in LAYERS])
def test_the_flag_is_positional_where_pytorchs_is(name, args, ref):
    assert getattr(cr.nn, name)(*args, True).inplace is True


@pytest.mark.parametrize(("name", "args", "ref"), LAYERS, ids=[c[0] for c in LAYERS])
def test_reprs_as_pytorchs(name, args, ref):
    torch = pytest.importorskip("torch")
    for inplace in (False, True):
        ours = getattr(cr.nn, name)(*args, inplace=inplace)
        theirs = getattr(torch.nn, name)(*args, inplace=inplace)
        assert repr(ours) == repr(theirs)


def test_dropout_takes_inplace_as_a_keyword_and_says_so_for_pytorchs_order():
    layer = cr.nn.Dropout(0.3, inplace=True)
    assert layer.inplace is True
    assert repr(layer) == "Dropout(p=0.3, inplace=True)"
    with pytest.raises(TypeError, match="PyTorch's inplace flag is a keyword"):
        cr.nn.Dropout(0.3, True)


def test_dropout_with_inplace_draws_the_same_mask():
    x = cr.tensor(np.ones((4, 5)))
    outs = []
    for inplace in (False, True):
        layer = cr.nn.Dropout(0.5, np.random.default_rng(3), inplace=inplace)
        outs.append(layer(x).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(x.data, np.ones((4, 5)))


@pytest.mark.parametrize("bad", ["yes", 2, 0.5])  # 0, 1 and None pass, as every flag
def test_inplace_must_be_a_bool(bad):
    with pytest.raises(TypeError, match="ReLU: inplace must be True or False"):
        cr.nn.ReLU(bad)


@pytest.mark.parametrize(
    ("name", "args"), [("relu", ()), ("leaky_relu", (0.2,)), ("elu", (0.5,)), ("silu", ())]
)
def test_the_functional_forms_take_inplace_as_pytorch(name, args):
    torch = pytest.importorskip("torch")
    x = np.array([-1.5, 0.0, 2.0])
    ours = getattr(cr.nn.functional, name)(cr.tensor(x, dtype="float64"), *args, inplace=True)
    theirs = getattr(torch.nn.functional, name)(torch.tensor(x), *args, inplace=False)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)
    with pytest.raises(TypeError, match=f"{name}: inplace must be True or False"):
        getattr(cr.nn.functional, name)(cr.tensor(x), *args, inplace="yes")
