"""`playground`: the network optimizers on 2-D functions, against updates worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.experiments import TRAJECTORY_OPTIMIZERS
from chainrule.optim._playground import FUNCTIONS, playground


def test_sgd_on_the_bowl_matches_the_hand_calculation():
    # f = x²/20 + y²: ∂f/∂x = x/10, ∂f/∂y = 2y, so x ← x − η·x/10 and y ← y − η·2y
    lr, x, y = 0.95, -7.0, 2.0
    expected = [(x, y)]
    for _ in range(4):
        x, y = x - lr * x / 10, y - lr * 2 * y
        expected.append((x, y))
    path = playground("x2/20+y2", {"SGD": (cr.optim.SGD, {"lr": lr})}, steps=4)["SGD"]
    np.testing.assert_allclose(path, expected, rtol=1e-13)
    assert path[1] == pytest.approx((-6.335, -1.8))


def test_momentum_matches_the_tutorials_update_by_hand():
    # v ← αv − η·∇f, W ← W + v, from v = 0
    lr, alpha, w, v = 0.1, 0.9, np.array([-7.0, 2.0]), np.zeros(2)
    expected = [w.copy()]
    for _ in range(3):
        v = alpha * v - lr * np.array([w[0] / 10, 2 * w[1]])
        w = w + v
        expected.append(w.copy())
    spec = {"m": (cr.optim.Momentum, {"lr": lr, "momentum": alpha})}
    np.testing.assert_allclose(playground("x2/20+y2", spec, 3)["m"], expected, rtol=1e-13)


def test_adams_first_step_has_the_length_of_the_learning_rate():
    # m̂ = g and v̂ = g² after one step, so each coordinate moves by lr·sign(g) (up to ε)
    path = playground("x2/20+y2", {"Adam": (cr.optim.Adam, {"lr": 0.3})}, 1)["Adam"]
    np.testing.assert_allclose(path[1], [-7.0 + 0.3, 2.0 - 0.3], rtol=1e-9)


@pytest.mark.parametrize("function", ["x2/20+y2", "rosenbrock"])
def test_every_tutorial_optimizer_ends_closer_to_the_minimum(function):
    surface = FUNCTIONS[function]
    steps = 30 if function == "x2/20+y2" else 200
    specs = TRAJECTORY_OPTIMIZERS
    if function == "rosenbrock":  # the bowl's rates are far too large for the valley
        specs = {name: (cls, {**kw, "lr": 1e-3}) for name, (cls, kw) in specs.items()}
        specs["AdaGrad"] = (cr.optim.AdaGrad, {"lr": 0.1})
        specs["RMSProp"] = (cr.optim.RMSProp, {"lr": 0.01})
        specs["Adam"] = (cr.optim.Adam, {"lr": 0.05})
    paths = playground(function, specs, steps)
    assert set(paths) == set(specs)
    for name, path in paths.items():
        assert path.shape == (steps + 1, 2), name
        start, end = (np.hypot(*(p - surface.minimum)) for p in (path[0], path[-1]))
        assert end < start, f"{name}: {start:.3f} -> {end:.3f}"


def test_the_tutorial_settings_reach_the_bowls_minimum():
    for name, path in playground("x2/20+y2", TRAJECTORY_OPTIMIZERS, 30).items():
        assert np.hypot(*path[-1]) < 1.0, name  # from a distance of 7.3


def test_a_custom_function_and_a_factory():
    # f = (x − 1)² + (y + 2)²: SGD with η = 0.25 halves the distance to (1, −2) each step
    def f(x, y):
        return (x - 1) ** 2 + (y + 2) ** 2

    paths = playground(f, {"sgd": lambda params: cr.optim.SGD(params, lr=0.25)}, 5, (3, 2))
    distances = np.hypot(paths["sgd"][:, 0] - 1, paths["sgd"][:, 1] + 2)
    np.testing.assert_allclose(distances, np.hypot(2, 4) * 0.5 ** np.arange(6), rtol=1e-13)


def test_the_saddle_is_escaped_along_y():
    path = playground("saddle", {"SGD": (cr.optim.SGD, {"lr": 0.1})}, 20)["SGD"]
    assert abs(path[-1, 0]) < abs(path[0, 0])  # down the valley in x
    assert abs(path[-1, 1]) > 10 * abs(path[0, 1])  # away from the ridge in y


def test_divergence_ends_in_nan_rows_without_warnings():
    path = playground("x2/20+y2", {"big": (cr.optim.SGD, {"lr": 5.0})}, 500)["big"]
    assert path.shape == (501, 2)
    assert np.isnan(path[-1]).all()
    assert np.isfinite(path[:10]).all()


def test_bad_inputs_are_rejected():
    sgd = {"SGD": (cr.optim.SGD, {"lr": 0.1})}
    with pytest.raises(ValueError, match="unknown function"):
        playground("himmelblau", sgd)
    with pytest.raises(ValueError, match="start point"):
        playground(lambda x, y: x * y, sgd)
    with pytest.raises(ValueError, match="scalar Tensor"):
        playground(lambda x, y: cr.stack([x, y]), sgd, 1, (0.0, 1.0))
    with pytest.raises(ValueError, match="steps"):
        playground("saddle", sgd, -1)
    with pytest.raises(TypeError, match="optimizer must be"):
        playground("saddle", {"x": 3}, 1)
