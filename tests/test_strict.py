"""Strict mode: a `StrictModeWarning` at each classic mistake with ``.grad``, pointing at
the line of user code; none for correct code, none from chainrule's own reads, none when
strict mode is off."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import chainrule as cr


def leaf(value, name=None):
    return cr.tensor(value, dtype="float64", requires_grad=True, name=name)


@pytest.fixture
def strict():
    with cr.strict():
        yield


def strict_warnings(fn) -> list[warnings.WarningMessage]:
    """The StrictModeWarnings ``fn()`` emits (all of them, not once per line)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [w for w in caught if issubclass(w.category, cr.StrictModeWarning)]


def here() -> int:
    """The line number of the caller's line."""
    return sys._getframe(1).f_lineno


# ----- (a) gradients accumulating over two backward calls ----------------------------------------
def test_two_backward_calls_without_clearing_warn_once_naming_the_tensor(strict):
    w = leaf([1.0, 2.0], name="w")
    (w * 3.0).sum().backward()  # the first backward: nothing to accumulate into
    line = here() + 2
    with pytest.warns(cr.StrictModeWarning, match=r"adding to the \.grad of tensor 'w'") as rec:
        (w * 3.0).sum().backward()
    assert len(rec) == 1
    assert (rec[0].filename, rec[0].lineno) == (__file__, line)  # the user's backward() line
    assert "zero_grad" in str(rec[0].message)
    np.testing.assert_array_equal(w.grad, [6.0, 6.0])  # still accumulated, as always


def test_an_unnamed_tensor_is_named_by_its_shape(strict):
    w = leaf(np.ones((3, 2)))
    (w * 2.0).sum().backward()
    with pytest.warns(cr.StrictModeWarning, match=r"a tensor of shape \(3, 2\)"):
        (w * 2.0).sum().backward()


def test_a_training_loop_that_forgets_zero_grad_warns(strict):
    # seeded: with an unlucky draw every hidden unit is dead for this x, all gradients are
    # zero, and adding to zeros rightly does not warn (1 run in 16 without a seed)
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 1))
    opt = cr.optim.SGD(model.parameters(), lr=0.01)
    x, y = np.ones((5, 3), np.float32), np.ones((5, 1), np.float32)
    cr.nn.MSELoss()(model(cr.tensor(x)), y).backward()
    assert all(np.any(p.grad) for p in model.parameters())  # the premise: non-zero gradients
    opt.step()
    caught = strict_warnings(lambda: cr.nn.MSELoss()(model(cr.tensor(x)), y).backward())
    assert len(caught) == 4  # two weights, two biases
    assert all("accumulate" in str(w.message) for w in caught)


@pytest.mark.parametrize("clear", ["optimizer", "module", "none", "tensor"])
def test_correct_loops_do_not_warn(strict, clear):
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 1))
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    x, y = np.ones((5, 3), np.float32), np.zeros((5, 1), np.float32)

    def loop():
        for _ in range(3):
            if clear == "optimizer":
                opt.zero_grad()
            elif clear == "module":
                model.zero_grad()
            else:
                for p in model.parameters():
                    p.grad = None if clear == "none" else np.zeros_like(p.data)
            loss = cr.nn.MSELoss()(model(cr.tensor(x)), y)
            loss.backward()
            cr.optim.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            for p in model.parameters():
                assert p.grad is not None

    assert strict_warnings(loop) == []


def test_fit_does_not_warn(strict):
    rng = np.random.default_rng(0)
    data = cr.data.ArrayDataset(rng.standard_normal((16, 3)), rng.integers(0, 2, 16))
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = cr.nn.SoftmaxCrossEntropy()

    def run():
        cr.fit(model, loss_fn, opt, data, epochs=2, batch_size=4, progress=False)

    assert strict_warnings(run) == []


# ----- (b) reading .grad before backward reached the tensor --------------------------------------
def test_reading_grad_before_backward_warns(strict):
    w = leaf([1.0], name="w")
    line = here() + 2
    with pytest.warns(cr.StrictModeWarning, match="no backward has reached it") as rec:
        assert w.grad is None
    assert (rec[0].filename, rec[0].lineno) == (__file__, line)


def test_reading_grad_of_a_parameter_the_loss_does_not_use_warns(strict):
    used, unused = leaf([1.0], name="used"), leaf([1.0], name="unused")
    (used * 2.0).sum().backward()
    caught = strict_warnings(lambda: (used.grad, unused.grad))
    assert ["'unused'" in str(w.message) for w in caught] == [True]


def test_reading_grad_of_a_tensor_that_does_not_require_it_warns(strict):
    x = cr.tensor([1.0, 2.0])
    with pytest.warns(cr.StrictModeWarning, match="does not require gradients"):
        _ = x.grad


# ----- (c) reading .grad of a non-leaf -----------------------------------------------------------
def test_reading_grad_of_a_non_leaf_warns_like_pytorch(strict):
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.sum().backward()
    with pytest.warns(cr.StrictModeWarning, match=r"(?s)non-leaf.*Mul.*retain_grad"):
        assert h.grad is None


def test_a_retained_non_leaf_does_not_warn(strict):
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.retain_grad()
    h.sum().backward()
    caught = strict_warnings(lambda: np.testing.assert_array_equal(h.grad, [1.0, 1.0]))
    assert caught == []


def test_a_retained_non_leaf_read_before_backward_warns(strict):
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.retain_grad()
    with pytest.warns(cr.StrictModeWarning, match="no backward has reached it yet") as caught:
        assert h.grad is None
    assert [w.lineno for w in caught] == [here() - 1]


# ----- chainrule's own reads, and strict mode off ------------------------------------------------
def test_an_optimizer_skipping_parameters_without_gradients_does_not_warn(strict):
    used, unused = leaf([1.0]), leaf([1.0])
    opt = cr.optim.SGD([used, unused], lr=0.1)
    (used * 2.0).sum().backward()
    assert strict_warnings(opt.step) == []


def mistakes():
    """Every mistake strict mode warns about, in a row."""
    w = leaf([1.0], name="w")
    _ = w.grad
    (w * 2.0).sum().backward()
    (w * 2.0).sum().backward()
    h = w * 3.0
    _ = h.grad
    _ = cr.tensor([1.0]).grad


def test_off_by_default_and_when_turned_off_nothing_warns():
    assert not cr.is_strict()
    assert strict_warnings(mistakes) == []
    cr.set_strict(True)
    try:
        assert len(strict_warnings(mistakes)) == 4
    finally:
        cr.set_strict(False)
    assert strict_warnings(mistakes) == []


def test_the_mode_is_restored_after_an_exception_and_nests():
    with pytest.raises(KeyError), cr.strict():
        raise KeyError("unrelated")
    assert not cr.is_strict()
    with cr.strict():
        with cr.strict():
            assert cr.is_strict()
        assert cr.is_strict()
    assert not cr.is_strict()


def test_used_as_a_decorator():
    @cr.strict
    def check():
        return cr.is_strict()

    assert check()
    assert not cr.is_strict()


def test_the_warning_is_a_user_warning():
    assert issubclass(cr.StrictModeWarning, UserWarning)


def test_an_in_place_update_of_a_parameter_outside_no_grad_is_flagged():
    # p -= lr·grad with the graph recorded rebinds the loop variable and leaves p as it
    # was: strict mode says so, at the line that did it
    model = cr.nn.Linear(2, 1)
    model(np.ones((1, 2), np.float32)).sum().backward()
    before = model.weight.data.copy()
    weight = model.weight
    with cr.strict(), pytest.warns(cr.StrictModeWarning, match=r"-= on .*a leaf") as caught:
        weight -= 0.1 * weight.grad  # the mistake under test
    assert len(caught) == 1
    assert caught[0].filename == __file__
    np.testing.assert_array_equal(model.weight.data, before)  # unchanged, as warned
    with cr.strict(), cr.no_grad():  # the right way: no warning, and the update lands
        for p in model.parameters():
            p -= 0.1 * p.grad
    assert not np.array_equal(model.weight.data, before)
