"""state_dict / load_state_dict: a stopped and restored optimizer continues bit-identically;
anything that does not fit is a ValueError that names the parameter and the shapes."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

ALL = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd-momentum-dampening": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1),
    "sgd-nesterov-decay": lambda p: optim.SGD(
        p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01
    ),
    "momentum": lambda p: optim.Momentum(p, lr=0.1),
    "nesterov": lambda p: optim.Nesterov(p, lr=0.1),
    "adagrad": lambda p: optim.AdaGrad(p, lr=0.1, weight_decay=0.01),
    "rmsprop": lambda p: optim.RMSProp(p, lr=0.01),
    "rmsprop-momentum": lambda p: optim.RMSProp(p, lr=0.01, momentum=0.9, weight_decay=0.01),
    "adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.01),
    "adamw": lambda p: optim.AdamW(p, lr=0.01),
    "adamax": lambda p: optim.Adamax(p, lr=0.01, weight_decay=0.01),
    "nadam": lambda p: optim.NAdam(p, lr=0.01, weight_decay=0.01),
    "radam-decoupled": lambda p: optim.RAdam(
        p, lr=0.01, weight_decay=0.01, decoupled_weight_decay=True
    ),
}
SHAPES = [(3, 4), (4,), (2, 2, 2)]
GRADS = [[np.random.default_rng(100 + k).standard_normal(s) for s in SHAPES] for k in range(10)]


def fresh_params() -> list[cr.Tensor]:
    rng = np.random.default_rng(0)
    return [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in SHAPES]


def two_groups(make, params):
    """The optimizer with its parameters in two groups, the second with its own lr."""
    return make([{"params": params[:1]}, {"params": params[1:], "lr": 0.003}])


def run(opt, params, steps) -> None:
    for grads in steps:
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()


def through_json(state_dict: dict) -> dict:
    """What a checkpoint file would give back: arrays as arrays, the rest through JSON."""
    arrays, metadata = optim.flatten_state_dict(state_dict)
    text = json.dumps(metadata)
    return optim.unflatten_state_dict({k: v.copy() for k, v in arrays.items()}, json.loads(text))


@pytest.mark.parametrize("transport", [lambda sd: sd, through_json], ids=["dict", "json"])
@pytest.mark.parametrize("name", ALL)
def test_restored_optimizer_continues_bit_identically(name, transport):
    params = fresh_params()
    opt = two_groups(ALL[name], params)
    run(opt, params, GRADS[:5])
    saved = transport(opt.state_dict())
    saved_params = [p.data.copy() for p in params]
    run(opt, params, GRADS[5:])  # the run that never stopped

    restored = [cr.tensor(w, requires_grad=True) for w in saved_params]
    opt2 = two_groups(ALL[name], restored)
    opt2.load_state_dict(saved)
    run(opt2, restored, GRADS[5:])
    for a, b in zip(params, restored):
        np.testing.assert_array_equal(a.data, b.data)
    assert opt2.state[0]["step"] == 10


def test_state_dict_layout_and_snapshot():
    params = fresh_params()
    opt = optim.Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.1}])
    run(opt, params[:2], GRADS[:1])  # the third parameter has no gradient yet
    sd = opt.state_dict()
    assert sd["param_groups"] == [
        {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "params": [0, 1]},
        {"lr": 0.1, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "params": [2]},
    ]
    assert set(sd["state"]) == {0, 1}
    assert sd["state"][0]["step"] == 1
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    exp_avg = sd["state"][0]["exp_avg"].copy()
    run(opt, params[:2], GRADS[1:2])
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], exp_avg)  # a snapshot


def test_flatten_gives_arrays_and_json_metadata():
    params = fresh_params()
    opt = optim.RMSProp(params, momentum=0.5)
    run(opt, params, GRADS[:2])
    arrays, metadata = optim.flatten_state_dict(opt.state_dict())
    assert sorted(arrays) == sorted(
        f"state.{i}.{k}" for i in range(3) for k in ("square_avg", "momentum_buffer")
    )
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    assert metadata["state"] == {"0": {"step": 2}, "1": {"step": 2}, "2": {"step": 2}}
    assert json.loads(json.dumps(metadata)) == metadata
    with pytest.raises(ValueError, match=r"unexpected array name 'state\.7\.square_avg'"):
        optim.unflatten_state_dict({"state.7.square_avg": np.zeros(3)}, metadata)


def test_loading_casts_to_the_parameter_dtype_and_copies():
    w64 = cr.tensor(np.ones(3), requires_grad=True)
    opt = optim.Adam([w64])
    run(opt, [w64], [[np.ones(3)]])
    sd = opt.state_dict()
    w32 = cr.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt32 = optim.Adam([w32])
    opt32.load_state_dict(sd)
    # one Adam step with g = 1: m = (1 − 0.9)·1 and v = (1 − 0.999)·1²
    for name, value in (("exp_avg", 0.1), ("exp_avg_sq", 0.001)):
        assert opt32.state[0][name].dtype == np.float32
        np.testing.assert_array_equal(opt32.state[0][name], np.full(3, value, np.float32))
    assert opt32.state[0]["step"] == 1
    opt.load_state_dict(sd)
    assert opt.state[0]["exp_avg"] is not sd["state"][0]["exp_avg"]
    sd["state"][0]["exp_avg"][:] = 7.0  # the loaded state is a copy: it does not follow
    np.testing.assert_allclose(opt.state[0]["exp_avg"], np.full(3, 0.1), rtol=1e-15)


def test_load_restores_hyper_parameters():
    params = fresh_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = 0.025
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.025
    assert opt.param_groups[0]["params"] == params  # the optimizer keeps its own tensors


# ----- what does not fit ---------------------------------------------------------------------
def adam_state(steps=1):
    params = fresh_params()
    opt = optim.Adam(params)
    run(opt, params, GRADS[:steps])
    return opt.state_dict()


def test_wrong_number_of_parameters_is_an_error():
    opt = optim.Adam(fresh_params()[:2])
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the optimizer but 3"):
        opt.load_state_dict(adam_state())


def test_wrong_number_of_groups_is_an_error():
    params = fresh_params()
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:]}])
    with pytest.raises(ValueError, match="2 parameter group"):
        opt.load_state_dict(adam_state())


def test_mismatched_shape_names_the_parameter_and_both_shapes():
    params = fresh_params()
    params[1] = cr.tensor(np.zeros(5), requires_grad=True)
    opt = optim.Adam(params)
    with pytest.raises(
        ValueError,
        match=r"parameter 1: state 'exp_avg' has shape \(4,\), but the parameter has shape \(5,\)",
    ):
        opt.load_state_dict(adam_state())


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (lambda sd: sd.pop("state"), "exactly the keys 'param_groups' and 'state'"),
        (lambda sd: sd["state"][0].pop("exp_avg_sq"), r"missing state \['exp_avg_sq'\]"),
        (lambda sd: sd["state"][0].update(velocity=np.zeros(4)), r"unexpected state \['velo"),
        (lambda sd: sd["state"][0].update(step=-1), "int 'step' >= 0"),
        (lambda sd: sd["state"][0].update(step=1.5), "int 'step' >= 0"),
        (lambda sd: sd["state"].update({9: sd["state"][0]}), "unknown parameter id 9"),
        (lambda sd: sd["state"].update({"x": {}}), "'x' is not a parameter id"),
        (lambda sd: sd["param_groups"][0].update(lr=-1.0), "lr must be >= 0, got -1.0"),
        (lambda sd: sd["param_groups"][0].update(betas=(1, 0)), r"betas\[0\] must be in"),
        (lambda sd: sd["param_groups"][0].update(momentum=0.9), "a state_dict of another"),
        (lambda sd: sd["param_groups"][0].pop("params"), "no list of parameter ids"),
        (lambda sd: sd["state"][1].update(exp_avg=np.array(["a"] * 4)), "is not numeric"),
    ],
)
def test_invalid_state_dicts_are_rejected_without_changing_anything(corrupt, match):
    params = fresh_params()
    opt = optim.Adam(params, lr=0.5)
    run(opt, params, GRADS[:3])
    before = opt.state_dict()
    sd = adam_state()
    corrupt(sd)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(sd)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert after["state"][0]["step"] == 3
    np.testing.assert_array_equal(after["state"][0]["exp_avg"], before["state"][0]["exp_avg"])


def test_a_state_dict_of_another_optimizer_is_rejected():
    opt = optim.SGD(fresh_params(), lr=0.1)
    with pytest.raises(ValueError, match="a state_dict of another optimizer"):
        opt.load_state_dict(adam_state())


@pytest.mark.parametrize("opt", [optim.Momentum, optim.Nesterov])
def test_a_state_saved_before_weight_decay_existed_loads_and_continues(opt):
    # Momentum and Nesterov took weight_decay later: an older checkpoint's group has only
    # lr and momentum, and loads with weight_decay 0 (the update it was saved with)
    rng = np.random.default_rng(0)
    a, b = (cr.nn.Parameter(rng.standard_normal(4)) for _ in range(2))
    b.data[...] = a.data
    first, second = opt([a], lr=0.1), opt([b], lr=0.1)
    for p, o in ((a, first), (b, second)):
        p.grad = np.ones(4)
        o.step()
    saved = first.state_dict()
    del saved["param_groups"][0]["weight_decay"]
    second.load_state_dict(saved)
    assert second.param_groups[0]["weight_decay"] == 0.0
    for p, o in ((a, first), (b, second)):
        p.grad = np.full(4, 0.5)
        o.step()
    np.testing.assert_array_equal(a.data, b.data)
    other = first.state_dict()
    del other["param_groups"][0]["momentum"]  # a name still missing is refused
    with pytest.raises(ValueError, match="group 0 has hyper-parameters"):
        second.load_state_dict(other)
