"""The contract every optimizer shares: what it accepts, validation, zero_grad, skipping
parameters without gradients, updating in place, keeping float32, allocating nothing."""

from __future__ import annotations

import inspect
import math
import tracemalloc

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

# every optimizer, in a configuration that exercises all of its state
ALL = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd-momentum-dampening": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1),
    "sgd-nesterov-decay": lambda p: optim.SGD(
        p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01
    ),
    "momentum": lambda p: optim.Momentum(p, lr=0.1),
    "nesterov": lambda p: optim.Nesterov(p, lr=0.1),
    "adagrad-decay": lambda p: optim.AdaGrad(p, lr=0.1, weight_decay=0.01),
    "rmsprop-momentum-decay": lambda p: optim.RMSProp(p, lr=0.01, momentum=0.9, weight_decay=0.01),
    "adam-decay": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.01),
    "adamw": lambda p: optim.AdamW(p, lr=0.01),
    "adamax-decay": lambda p: optim.Adamax(p, lr=0.01, weight_decay=0.01),
    "nadam-decoupled": lambda p: optim.NAdam(
        p, lr=0.01, weight_decay=0.01, decoupled_weight_decay=True
    ),
    "radam-decay": lambda p: optim.RAdam(p, lr=0.01, weight_decay=0.01),
}


def param(shape=(3, 4), dtype="float64", seed=0) -> cr.Tensor:
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return cr.tensor(data, requires_grad=True)


def feed(params, seed=1) -> None:
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = rng.standard_normal(p.shape).astype(p.dtype)


# ----- what an optimizer accepts ----------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ([], "empty parameter list"),
        (iter([]), "empty parameter list"),
        ([{"params": []}], "empty parameter list"),
        ([np.zeros(3)], "parameter 0 is a ndarray, not a chainrule Tensor"),
        (cr.tensor([1.0, 2.0], requires_grad=True), "single Tensor; wrap it in a list"),
        ({"params": []}, "single dict; wrap it in a list"),
    ],
    ids=["empty", "empty-iterator", "empty-group", "array", "tensor", "dict"],
)
def test_rejects_bad_parameter_lists(params, match):
    with pytest.raises(ValueError, match=match):
        optim.SGD(params, lr=0.1)


@pytest.mark.parametrize(
    "name",
    [
        "SGD",
        "Momentum",
        "Nesterov",
        "AdaGrad",
        "RMSProp",
        "Adam",
        "AdamW",
        "Adamax",
        "NAdam",
        "RAdam",
    ],
)
def test_frozen_parameters_are_accepted_and_never_stepped(name):
    # as in PyTorch: a parameter with requires_grad=False gets no gradient, so no step
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 2))
    model[0].weight.requires_grad = False
    frozen = model[0].weight.data.copy()
    trained = model[2].weight.data.copy()
    cls = getattr(optim, name)
    decay = {"weight_decay": 0.1} if "weight_decay" in inspect.signature(cls).parameters else {}
    opt = cls(model.parameters(), lr=0.1, **decay)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    for _ in range(2):
        opt.zero_grad()
        cr.nn.MSELoss()(model(x), np.ones((5, 2), np.float32)).backward()
        opt.step()
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    assert not np.array_equal(model[2].weight.data, trained)


def test_rejects_non_leaf_and_repeated_parameters():
    w = param()
    with pytest.raises(ValueError, match="parameter 1 is not a leaf"):
        optim.Adam([w, w * 2])
    with pytest.raises(ValueError, match="parameter 1 appears more than once"):
        optim.Adam([w, w])
    with pytest.raises(ValueError, match="parameter 1 appears more than once"):
        optim.Adam([{"params": [w]}, {"params": [w]}])


def test_accepts_any_iterable_of_tensors():
    a, b = param(), param((2,))
    opt = optim.SGD((p for p in (a, b)), lr=0.1)
    assert opt.param_groups[0]["params"] == [a, b]


def test_parameter_groups_and_add_param_group():
    a, b, c = param(), param(), param()
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    opt.add_param_group({"params": [c], "weight_decay": 0.1})
    lrs = [g["lr"] for g in opt.param_groups]
    assert lrs == [0.1, 0.5, 0.1]
    assert [g["momentum"] for g in opt.param_groups] == [0.0, 0.9, 0.0]
    assert opt.param_groups[2]["weight_decay"] == 0.1
    with pytest.raises(ValueError, match=r"unknown hyper-parameter\(s\) \['learning_rate'\]"):
        opt.add_param_group({"params": [param()], "learning_rate": 0.1})
    with pytest.raises(ValueError, match="'params' key"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(ValueError, match=r"lr must be >= 0, got -1\.0"):
        opt.add_param_group({"params": [param()], "lr": -1})
    assert len(opt.param_groups) == 3
    assert "group 1: 1 parameters, lr=0.5" in repr(opt)


# ----- hyper-parameter validation ---------------------------------------------------------
BAD = [
    (optim.SGD, {"lr": -0.1}, "lr must be >= 0, got -0.1"),
    (optim.SGD, {"lr": math.nan}, "lr must be finite, got nan"),
    (optim.SGD, {"lr": math.inf}, "lr must be finite"),
    (optim.SGD, {"lr": "0.1"}, "lr must be a number, got '0.1'"),
    (optim.SGD, {"lr": True}, "lr must be a number, got True"),
    (optim.SGD, {"lr": 0.1, "momentum": 1.0}, r"momentum must be in \[0, 1\), got 1.0"),
    (optim.SGD, {"lr": 0.1, "momentum": -0.5}, r"momentum must be in \[0, 1\), got -0.5"),
    (optim.SGD, {"lr": 0.1, "weight_decay": -1e-4}, "weight_decay must be >= 0, got -0.0001"),
    (optim.SGD, {"lr": 0.1, "dampening": 1.5}, r"dampening must be in \[0, 1\], got 1.5"),
    (optim.SGD, {"lr": 0.1, "nesterov": 1}, "nesterov must be True or False, got 1"),
    (optim.SGD, {"lr": 0.1, "nesterov": True}, "nesterov=True needs momentum > 0"),
    (
        optim.SGD,
        {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1},
        "needs momentum > 0 and dampening = 0, got momentum=0.9, dampening=0.1",
    ),
    (optim.Momentum, {"lr": -1}, "lr must be >= 0, got -1.0"),
    (optim.Momentum, {"lr": 0.1, "momentum": 1}, r"momentum must be in \[0, 1\), got 1.0"),
    (optim.Nesterov, {"lr": 0.1, "momentum": 1.1}, r"momentum must be in \[0, 1\), got 1.1"),
    (optim.AdaGrad, {"lr": -0.01}, "lr must be >= 0, got -0.01"),
    (optim.AdaGrad, {"eps": -1e-10}, "eps must be >= 0, got -1e-10"),
    (optim.AdaGrad, {"weight_decay": -1}, "weight_decay must be >= 0, got -1.0"),
    (optim.RMSProp, {"alpha": 1.0}, r"alpha must be in \[0, 1\), got 1.0"),
    (optim.RMSProp, {"eps": -1.0}, "eps must be >= 0, got -1.0"),
    (optim.RMSProp, {"momentum": 2}, r"momentum must be in \[0, 1\), got 2.0"),
    (optim.Adam, {"betas": (1.0, 0.999)}, r"betas\[0\] must be in \[0, 1\), got 1.0"),
    (optim.Adam, {"betas": (0.9, -0.1)}, r"betas\[1\] must be in \[0, 1\), got -0.1"),
    (optim.Adam, {"betas": 0.9}, r"betas must be a pair \(beta1, beta2\), got 0.9"),
    (optim.Adam, {"betas": (0.9, 0.99, 0.999)}, "betas must be a pair"),
    (optim.Adam, {"eps": -1e-8}, "eps must be >= 0, got -1e-08"),
    (optim.Adam, {"weight_decay": -0.1}, "weight_decay must be >= 0, got -0.1"),
    (optim.AdamW, {"lr": -0.001}, "lr must be >= 0, got -0.001"),
    (optim.AdamW, {"weight_decay": -0.01}, "weight_decay must be >= 0, got -0.01"),
    (optim.AdamW, {"betas": (0.9, 1.5)}, r"betas\[1\] must be in \[0, 1\), got 1.5"),
]


@pytest.mark.parametrize(("cls", "kwargs", "match"), BAD)
def test_validates_hyper_parameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([param()], **kwargs)


def test_edge_values_are_accepted_and_normalised():
    opt = optim.Adam([param()], lr=0, betas=[0, 0], eps=0)
    assert opt.defaults == {"lr": 0.0, "betas": (0.0, 0.0), "eps": 0.0, "weight_decay": 0.0}
    assert isinstance(optim.SGD([param()], lr=np.float32(0.5)).defaults["lr"], float)


# ----- zero_grad, skipping, in place --------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_zero_grad_sets_none(name):
    ps = [param(), param((5,))]
    opt = ALL[name](ps)
    feed(ps)
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


def test_zero_grad_set_to_none_false_zeros_the_same_arrays_in_place():
    ps = [param(), param((5,))]
    opt = optim.SGD(ps, lr=0.1)
    feed(ps)
    held = [p.grad for p in ps]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(ps, held):
        assert p.grad is g  # whoever holds the array sees the zeros
        np.testing.assert_array_equal(g, np.zeros(p.shape))
    w = ps[0]
    (w * 3.0).sum().backward()  # adds to the zeros: d(3·Σw)/dw = 3 exactly
    np.testing.assert_array_equal(w.grad, np.full(w.shape, 3.0))


def test_step_with_a_closure_evaluates_it_first_and_returns_its_loss():
    # loss = w², w = 3: the closure gives loss 9 and gradient 6; SGD lr 0.1 makes w 2.4
    w = cr.tensor(3.0, dtype="float64", requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = w * w
        loss.backward()
        calls.append(cr.is_grad_enabled())
        return loss

    with cr.no_grad():  # the closure still records its graph
        loss = opt.step(closure)
    assert loss.item() == 9.0
    assert calls == [True]
    assert w.item() == pytest.approx(2.4, abs=1e-15)
    assert opt.step() is None


@pytest.mark.parametrize("name", ALL)
def test_step_skips_parameters_without_gradients(name):
    a, b = param(seed=1), param(seed=2)
    before = b.data.copy()
    opt = ALL[name]([a, b])
    feed([a])
    opt.step()
    opt.step()
    np.testing.assert_array_equal(b.data, before)
    assert set(opt.state) == {0}
    assert opt.state[0]["step"] == 2


@pytest.mark.parametrize("name", ALL)
def test_updates_in_place_and_never_writes_the_gradient(name):
    w = param()
    data, view = w.data, w.data[0]
    opt = ALL[name]([w])
    feed([w])
    grad = w.grad.copy()
    first = view.copy()
    opt.step()
    opt.step()
    assert w.data is data
    assert not np.array_equal(view, first)  # the update shows through every reference
    np.testing.assert_array_equal(w.grad, grad)


def test_a_gradient_of_the_wrong_shape_is_an_error():
    w = param()
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match=r"grad: assigned a gradient of shape \(4,\)"):
        w.grad = np.ones(4)  # refused where it is assigned, as in PyTorch
    w._grad = np.ones(4)  # put there past the check: the step still refuses it
    with pytest.raises(ValueError, match=r"parameter 0: the gradient has shape \(4,\), but"):
        opt.step()


def test_tensor_gradients_from_create_graph_are_used_through_their_data():
    w = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (w * w).sum().backward(create_graph=True)
    assert isinstance(w.grad, cr.Tensor)
    optim.SGD([w], lr=0.25).step()
    np.testing.assert_array_equal(w.data, [0.5, 1.0])  # w − ¼·2w


def test_works_on_model_parameters_from_backward():
    w = cr.tensor(np.ones((2, 3)), requires_grad=True)
    x = cr.tensor(np.arange(6.0).reshape(3, 2))
    opt = optim.Adam([w], lr=0.1)
    opt.zero_grad()
    (w @ x).sum().backward()
    g = np.tile(np.arange(6.0).reshape(3, 2).sum(axis=1), (2, 1))  # ∂Σ(w·x)/∂w_ij = Σ_k x_jk
    np.testing.assert_array_equal(w.grad, g)
    opt.step()
    # Adam's first step: m̂ = g and v̂ = g², so w moves by lr·g / (|g| + eps)
    np.testing.assert_allclose(w.data, 1.0 - 0.1 * g / (np.abs(g) + 1e-8), rtol=0, atol=1e-15)


# ----- dtype and memory ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_float32_stays_float32_and_matches_float64(name):
    w32, w64 = param(dtype="float32"), param(dtype="float32")
    w64.data = w64.data.astype(np.float64)
    opt32, opt64 = ALL[name]([w32]), ALL[name]([w64])
    for step in range(5):
        feed([w32], seed=step)
        w64.grad = w32.grad.astype(np.float64)
        opt32.step()
        opt64.step()
    assert w32.dtype == np.float32
    for value in opt32.state[0].values():
        assert not isinstance(value, np.ndarray) or value.dtype == np.float32
    np.testing.assert_allclose(w32.data, w64.data, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_steady_state_steps_allocate_nothing_parameter_sized(name, dtype):
    """No temporaries (float64 or otherwise): state and work arrays are allocated in the
    first steps (SGD's momentum buffer is the first gradient, so its work array comes at
    the second), never again."""
    ps = [param((100_000,), dtype), param((300, 100), dtype)]
    opt = ALL[name](ps)
    feed(ps)
    opt.step()
    opt.step()
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < ps[0].data.nbytes // 10, f"peak {peak} bytes during step()"


@pytest.mark.parametrize("cls", [optim.SGD, optim.AdaGrad, optim.RMSProp, optim.Adam])
def test_no_weight_decay_keeps_no_work_array_for_it(cls):
    """The L2 penalty's work array is made only for a group that has weight decay: without
    it an optimizer holds one parameter-sized array less (measured, not inspected)."""

    def held_after_two_steps(weight_decay):
        p = param((250_000,), "float32")
        tracemalloc.start()
        try:
            opt = cls([p], lr=0.01, weight_decay=weight_decay)
            for _ in range(2):
                feed([p])
                opt.step()
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        del opt
        return held - p.grad.nbytes  # the gradient feed() left is not the optimizer's

    one = param((250_000,), "float32").data.nbytes  # 1 MB
    without, with_decay = held_after_two_steps(0.0), held_after_two_steps(0.1)
    assert with_decay - without == pytest.approx(one, rel=0.05)


@pytest.mark.parametrize("opt", [optim.SGD, optim.Momentum, optim.Adam])
def test_a_bad_hyper_parameter_names_the_optimizer(opt):
    with pytest.raises(ValueError, match=rf"^{opt.__name__}: lr must be >= 0, got -1\.0$"):
        opt([param()], lr=-1.0)
    with pytest.raises(ValueError, match=rf"^{opt.__name__}: got an empty parameter list$"):
        opt([], lr=0.1)
    good = opt([param()], lr=0.1)
    with pytest.raises(ValueError, match=rf"^{opt.__name__}: lr must be >= 0, got -2\.0$"):
        good.add_param_group({"params": [param()], "lr": -2.0})


def test_an_update_that_overflows_gives_inf_without_a_warning():
    # IEEE results, as every op gives them (warnings are errors in this suite): the loss
    # that follows is inf or NaN, which fit reports by name
    p = cr.nn.Parameter(np.ones(3, np.float32))
    p.grad = np.full(3, 10.0, np.float32)
    optim.SGD([p], lr=1e38).step()
    np.testing.assert_array_equal(p.data, [-np.inf] * 3)
