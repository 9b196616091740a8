"""Edge cases of the optimizers, clipping and schedules: read-only gradients, unordered
parameter collections, checks that leave everything unchanged on error."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim


def leaf(values) -> cr.Tensor:
    """A float64 parameter holding ``values``."""
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def read_only_grad(p: cr.Tensor, values) -> np.ndarray:
    """Give ``p`` a read-only gradient (as a broadcast view the user assigned would be)."""
    g = np.array(values, dtype=p.dtype)
    g.flags.writeable = False
    p.grad = g
    return g


# ----- clipping a read-only gradient ----------------------------------------------------
def test_clip_grad_norm_replaces_a_read_only_gradient():
    p = leaf([0.0, 0.0])
    old = read_only_grad(p, [3.0, 4.0])
    assert optim.clip_grad_norm_([p], max_norm=1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(old, [3.0, 4.0])


def test_clip_grad_norm_of_a_broadcast_gradient():
    p = leaf(np.zeros((3, 2)))
    p.grad = np.broadcast_to(np.array([3.0, 4.0]), (3, 2))  # read-only, strides of 0
    assert optim.clip_grad_norm_([p], max_norm=1.0) == pytest.approx(np.sqrt(75.0))
    np.testing.assert_allclose(p.grad, np.full((3, 2), [3.0, 4.0]) / np.sqrt(75.0), rtol=1e-6)


def test_clip_grad_value_replaces_a_read_only_gradient():
    p = leaf([0.0, 0.0, 0.0])
    old = read_only_grad(p, [-3.0, 0.5, 2.0])
    optim.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(old, [-3.0, 0.5, 2.0])


# ----- a schedule refused leaves the optimizer as it was ----------------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda opt: optim.StepLR(opt, step_size=0), "step_size"),
        (lambda opt: optim.StepLR(opt, step_size=2, gamma=-0.5), "gamma"),
        (lambda opt: optim.ExponentialLR(opt, gamma=0.0), "gamma"),
        (lambda opt: optim.CosineAnnealingLR(opt, T_max=0), "T_max"),
        (lambda opt: optim.CosineAnnealingLR(opt, T_max=5, eta_min=-1.0), "eta_min"),
    ],
    ids=["step-size", "step-gamma", "exponential-gamma", "cosine-T_max", "cosine-eta_min"],
)
def test_a_schedule_with_bad_settings_changes_nothing(make, match):
    opt = optim.SGD([leaf([1.0])], lr=0.1)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=match):
        make(opt)
    assert opt.state_dict() == before
    assert "initial_lr" not in opt.param_groups[0]


# ----- parameters come in an ordered collection -------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda a, b: optim.SGD({a, b}, lr=0.1),
        lambda a, b: optim.SGD([{"params": {a, b}}], lr=0.1),
        lambda a, b: optim.Adam([{"params": [a]}, {"params": frozenset([b])}]),
        lambda a, b: optim.SGD([a], lr=0.1).add_param_group({"params": {b}}),
    ],
    ids=["set", "group-set", "group-frozenset", "add_param_group-set"],
)
def test_a_set_of_parameters_is_refused(make):
    # the state_dict matches parameters by position, and a set's order changes between runs
    with pytest.raises(ValueError, match=r"ordered collection.*not a set"):
        make(leaf([1.0]), leaf([2.0]))


def test_a_refused_group_leaves_the_optimizer_unchanged():
    a = leaf([1.0])
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="not a set"):
        opt.add_param_group({"params": {leaf([2.0])}})
    assert len(opt.param_groups) == 1
    assert opt.param_groups[0]["params"] == [a]


# ----- load_state_dict names the group of a bad hyper-parameter, and refuses repeated ids
def two_group_adam() -> optim.Adam:
    """Adam on two groups, stepped once (so every parameter has state)."""
    a, b = leaf(np.ones((2, 3))), leaf(np.ones(4))
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}])
    a.grad, b.grad = np.ones(a.shape), np.ones(b.shape)
    opt.step()
    return opt


def assert_refused(saved: dict, match: str) -> None:
    """Loading ``saved`` into a fresh two-group Adam fails with ``match``, changing nothing."""
    opt = two_group_adam()
    before = opt.state_dict()
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(saved)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i, entry in before["state"].items():
        for name, value in entry.items():
            np.testing.assert_array_equal(after["state"][i][name], value)


def test_a_bad_hyper_parameter_in_a_state_dict_names_its_group():
    saved = two_group_adam().state_dict()
    saved["param_groups"][1]["betas"] = (0.5, 1.5)
    assert_refused(saved, r"load_state_dict: group 1: betas\[1\] must be in \[0, 1\), got 1.5")


def test_a_bad_combination_in_a_state_dict_names_its_group():
    a = leaf([1.0])
    saved = optim.SGD([a], lr=0.1, momentum=0.9, nesterov=True).state_dict()
    saved["param_groups"][0]["momentum"] = 0.0
    with pytest.raises(ValueError, match="load_state_dict: group 0: nesterov=True needs"):
        optim.SGD([a], lr=0.1, momentum=0.9, nesterov=True).load_state_dict(saved)


def test_a_parameter_id_given_to_two_parameters_is_refused():
    saved = two_group_adam().state_dict()
    saved["param_groups"][0]["params"] = [1]  # group 1 holds id 1 as well
    assert_refused(saved, "load_state_dict: parameter id 1 appears more than once")


# ----- betas must be an ordered pair ----------------------------------------------------
@pytest.mark.parametrize(
    "betas",
    [{0.9, 0.99}, {0: 0.9, 1: 0.99}, {"a": 0.9, "b": 0.99}, np.array(0.9)],
    ids=["set", "dict-int-keys", "dict-str-keys", "0-d-array"],
)
def test_betas_that_are_not_an_ordered_pair_are_a_value_error(betas):
    with pytest.raises(ValueError, match=r"Adam: betas must be a pair \(beta1, beta2\)"):
        optim.Adam([leaf([1.0])], betas=betas)


@pytest.mark.parametrize("betas", [[0.8, 0.9], np.array([0.8, 0.9]), (0.8, 0.9)])
def test_betas_as_a_list_an_array_or_a_tuple_become_a_tuple(betas):
    opt = optim.AdamW([leaf([1.0])], betas=betas)
    assert opt.param_groups[0]["betas"] == (0.8, 0.9)
    assert all(type(b) is float for b in opt.param_groups[0]["betas"])


# ----- a rate set by hand as a NumPy scalar still saves as JSON -----------------------------
def test_flatten_state_dict_gives_json_for_numpy_scalars_set_by_hand():
    opt = optim.Adam([leaf([1.0, 2.0])])
    opt.param_groups[0]["lr"] = np.float32(0.25)
    opt.param_groups[0]["betas"] = (np.float32(0.5), np.float64(0.75))
    _, metadata = optim.flatten_state_dict(opt.state_dict())
    restored = json.loads(json.dumps(metadata))["param_groups"][0]
    assert restored["lr"] == 0.25
    assert restored["betas"] == [0.5, 0.75]


def test_a_schedule_keeps_its_first_rate_as_a_python_float():
    opt = optim.SGD([leaf([1.0])], lr=0.1)
    opt.param_groups[0]["lr"] = np.float32(0.5)
    sched = optim.ExponentialLR(opt, gamma=0.5)
    assert type(opt.param_groups[0]["initial_lr"]) is float
    assert json.loads(json.dumps(sched.state_dict()))["base_lrs"] == [0.5]
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.25


def test_a_schedule_on_a_group_with_a_negative_rate_set_by_hand_is_refused():
    opt = optim.SGD([leaf([1.0])], lr=0.1)
    opt.param_groups[0]["lr"] = -0.1
    with pytest.raises(ValueError, match=r"StepLR: group 0: lr must be >= 0, got -0.1"):
        optim.StepLR(opt, step_size=2)
    assert "initial_lr" not in opt.param_groups[0]
