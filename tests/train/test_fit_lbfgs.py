"""fit with an optimizer that evaluates the loss itself (LBFGS): it is given a closure per
batch, and its results equal a hand-written closure loop and the least-squares solution."""

import numpy as np
import pytest

import chainrule as cr


def _regression(n=40, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.25 + 0.1 * rng.normal(size=(n, 1))
    return x, y


def _model():
    layer = cr.nn.Linear(3, 1, dtype="float64")
    layer.weight.data[...] = 0.0
    layer.bias.data[...] = 0.0
    return layer


def test_fit_with_lbfgs_on_the_full_batch_reaches_the_least_squares_solution():
    x, y = _regression()
    model = _model()
    opt = cr.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe", max_iter=50)
    cr.fit(model, cr.nn.MSELoss(), opt, (x, y), epochs=2, batch_size=len(x), progress=False)
    design = np.hstack([x, np.ones((len(x), 1))])  # the normal equations, solved by NumPy
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    assert np.allclose(model.weight.data, solution[:3], atol=1e-7)
    assert np.allclose(model.bias.data, solution[3], atol=1e-7)


def test_fit_with_lbfgs_equals_a_hand_written_closure_loop_and_records_the_first_losses():
    x, y = _regression()
    mse = cr.nn.MSELoss()
    model = _model()
    opt = cr.optim.LBFGS(model.parameters(), max_iter=4, lr=0.5)
    history = cr.fit(model, mse, opt, (x, y), 3, batch_size=len(x), shuffle=False, progress=False)
    by_hand, losses = _model(), []
    hand_opt = cr.optim.LBFGS(by_hand.parameters(), max_iter=4, lr=0.5)

    def closure():
        hand_opt.zero_grad()
        loss = mse(by_hand(cr.tensor(x)), cr.tensor(y))
        loss.backward()
        return loss

    for _ in range(3):
        losses.append(hand_opt.step(closure).item())  # the loss before the step's moves
    assert np.array_equal(model.weight.data, by_hand.weight.data)
    assert np.array_equal(model.bias.data, by_hand.bias.data)
    assert history.history["loss"] == pytest.approx(losses, rel=1e-12)
    assert losses[2] < losses[0]


def test_fit_with_lbfgs_refuses_a_non_finite_first_loss_before_anything_moves():
    x, y = _regression()
    model = _model()
    model.weight.data[...] = 1e200  # outputs ~1e200: their squares overflow to inf
    opt = cr.optim.LBFGS(model.parameters())
    with pytest.raises(FloatingPointError, match="inf"):
        cr.fit(model, cr.nn.MSELoss(), opt, (x, y), 1, batch_size=len(x), progress=False)
    assert np.all(model.weight.data == 1e200)
    assert np.all(model.bias.data == 0.0)


def test_fit_with_lbfgs_skips_a_batch_with_nothing_to_score_without_stepping():
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(4, 3)), np.array([-100, -100, 1, 0])
    model = cr.nn.Linear(3, 2, dtype="float64")
    before = [p.data.copy() for p in model.parameters()]
    opt = cr.optim.LBFGS(model.parameters())
    loss_fn = cr.nn.CrossEntropyLoss()
    cr.fit(model, loss_fn, opt, (x[:2], labels[:2]), 1, batch_size=2, progress=False)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))
    assert opt.state.get(0, {}).get("n_iter", 0) == 0  # no iteration was made
    cr.fit(model, loss_fn, opt, (x, labels), 1, batch_size=4, progress=False)
    assert not np.array_equal(model.weight.data, before[0])  # a scored batch moves it
