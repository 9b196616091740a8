"""Initialisers: the statistics they promise, in-place filling, and reproducibility."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

init = nn.init
FAN_IN, FAN_OUT = 400, 600


def _weight(dtype=np.float64):
    return nn.Parameter(np.empty((FAN_IN, FAN_OUT), dtype))


def _gen():
    return np.random.default_rng(0)


@pytest.mark.parametrize(
    ("fill", "std"),
    [
        (lambda w: init.normal_(w, generator=_gen()), 0.01),
        (lambda w: init.normal_(w, 0.0, 0.5, generator=_gen()), 0.5),
        (lambda w: init.he_normal_(w, generator=_gen()), math.sqrt(2 / FAN_IN)),
        (lambda w: init.he_uniform_(w, generator=_gen()), math.sqrt(2 / FAN_IN)),
        (lambda w: init.xavier_normal_(w, generator=_gen()), math.sqrt(2 / (FAN_IN + FAN_OUT))),
        (lambda w: init.xavier_uniform_(w, generator=_gen()), math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ],
    ids=["normal", "normal_std", "he_normal", "he_uniform", "xavier_normal", "xavier_uniform"],
)
def test_initialisers_have_the_promised_std(fill, std):
    w = _weight()
    assert fill(w) is w
    assert w.data.std() == pytest.approx(std, rel=0.02)
    assert abs(w.data.mean()) < 0.02 * std


def test_uniform_bounds():
    w = init.he_uniform_(_weight(), generator=_gen())
    bound = math.sqrt(6 / FAN_IN)
    assert -bound <= w.data.min() < -0.99 * bound
    assert 0.99 * bound < w.data.max() < bound
    u = init.uniform_(_weight(), -2.0, 3.0, generator=_gen())
    assert -2.0 <= u.data.min()
    assert u.data.max() < 3.0
    assert u.data.mean() == pytest.approx(0.5, abs=0.02)


def test_normal_mean_and_constant_fills():
    w = init.normal_(_weight(), mean=3.0, std=0.1, generator=_gen())
    assert w.data.mean() == pytest.approx(3.0, abs=1e-3)
    np.testing.assert_array_equal(init.zeros_(_weight()).data, 0)
    np.testing.assert_array_equal(init.ones_(_weight()).data, 1)


def test_fill_is_in_place_and_keeps_the_dtype():
    w = _weight(np.float32)
    array = w.data
    init.he_normal_(w)
    assert w.data is array
    assert w.dtype == np.float32
    assert w.is_leaf
    assert w.requires_grad


def test_fans_of_a_weight():
    assert init.fans(_weight()) == (FAN_IN, FAN_OUT)
    assert init.fans(nn.Parameter(np.empty((3, 4, 5)))) == (15, 20)
    with pytest.raises(ValueError, match="at least 2 axes"):
        init.he_normal_(nn.Parameter(np.empty(5)))


def test_manual_seed_makes_layers_reproducible():
    cr.manual_seed(42)
    a = nn.Linear(5, 4).weight.data.copy()
    cr.manual_seed(42)
    b = nn.Linear(5, 4).weight.data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Linear(5, 4).weight.data)  # the stream moves on


def test_an_explicit_generator_is_used():
    a = nn.Linear(5, 4, generator=np.random.default_rng(1)).weight.data
    cr.manual_seed(0)  # does not affect an explicit generator
    b = nn.Linear(5, 4, generator=np.random.default_rng(1)).weight.data
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("option", "std"),
    [
        ("he", math.sqrt(2 / 300)),
        ("xavier", math.sqrt(2 / 500)),
        ("normal", 0.01),
        (0.05, 0.05),
        ("he_uniform", math.sqrt(2 / 300)),
        ("xavier_uniform", math.sqrt(2 / 500)),
        (np.float32(0.05), 0.05),
        ("uniform", 0.1 / math.sqrt(12)),  # U(−0.05, 0.05): std = width / √12
    ],
)
def test_linear_init_options(option, std):
    layer = nn.Linear(300, 200, init=option, generator=_gen())
    assert layer.weight.data.std() == pytest.approx(std, rel=0.03)
    np.testing.assert_array_equal(layer.bias.data, 0)


def test_linear_init_zeros_and_bad_numbers():
    assert not nn.Linear(3, 2, init="zeros").weight.data.any()
    for bad in (0.0, -0.1, float("nan"), np.inf):
        with pytest.raises(ValueError, match="standard deviation must be positive"):
            nn.Linear(3, 2, init=bad)
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        nn.Linear(3, 2, init="glorot")


@pytest.mark.parametrize(
    ("fill", "match"),
    [(lambda t: init.normal_(t, std=-0.1), r"normal_: std must be >= 0, got -0.1"),
     (lambda t: init.normal_(t, mean=float("inf")), r"normal_: mean must be a finite number"),
     (lambda t: init.uniform_(t, 1.0, -1.0), r"uniform_: .* a <= b, got a=1.0 > b=-1.0"),
     (lambda t: init.uniform_(t, 0.0, "1"), r"uniform_: b must be a finite number")],
)  # fmt: skip
def test_fill_arguments_are_checked_before_anything_is_written(fill, match):
    t = cr.tensor(np.arange(4.0))
    with pytest.raises(ValueError, match=match):
        fill(t)
    np.testing.assert_array_equal(t.data, np.arange(4.0))
