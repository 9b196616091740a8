"""Optimizers, schedules and clipping against PyTorch where users stray from the usual
path: rates given as 0-d arrays or tensors, groups copied from a scheduled optimizer,
PyTorch's foreach and Adam's decoupled_weight_decay, and a switch set on while a
parameter gets no gradient."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim


def leaf(values, dtype=np.float64) -> cr.Tensor:
    """A parameter holding ``values``."""
    return cr.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ----- a rate given as a 0-d array or tensor, as PyTorch takes lr=torch.tensor(0.01) -------
@pytest.mark.parametrize("lr", [np.array(0.5), cr.tensor(np.array(0.5))], ids=["array", "tensor"])
def test_a_0d_rate_is_taken_as_its_number(lr):
    w = leaf([1.0, -2.0], np.float32)
    opt = optim.SGD([w], lr=lr)
    w.grad = np.array([0.25, 1.0], np.float32)
    opt.step()
    np.testing.assert_array_equal(w.data, np.array([1.0 - 0.125, -2.0 - 0.5], np.float32))
    assert w.data.dtype == np.float32
    assert type(opt.param_groups[0]["lr"]) is float


def test_adam_with_a_0d_rate_matches_pytorch_with_a_tensor_rate():
    torch = pytest.importorskip("torch")
    start, grads = np.array([0.5, -1.5, 2.0]), np.sin(np.arange(12.0)).reshape(4, 3)
    w, t = leaf(start), torch.tensor(start, requires_grad=True)
    ours = optim.Adam([w], lr=np.array(0.1), weight_decay=np.array(0.01))
    theirs = torch.optim.Adam([t], lr=torch.tensor(0.1, dtype=torch.float64), weight_decay=0.01)
    for g in grads:
        w.grad, t.grad = g.copy(), torch.tensor(g)
        ours.step()
        theirs.step()
    np.testing.assert_allclose(w.data, t.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_a_0d_rate_set_by_hand_saves_as_json_and_loads():
    w = leaf([1.0, 2.0])
    opt = optim.Adam([w])
    opt.param_groups[0]["lr"] = np.array(0.25)
    arrays, metadata = optim.flatten_state_dict(opt.state_dict())
    restored = json.loads(json.dumps(metadata))
    assert restored["param_groups"][0]["lr"] == 0.25
    fresh = optim.Adam([leaf([1.0, 2.0])])
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["lr"] == 0.25
    fresh.load_state_dict(optim.unflatten_state_dict(arrays, restored))
    assert fresh.param_groups[0]["lr"] == 0.25


# ----- a group holding a schedule's initial_lr, as PyTorch's add_param_group takes ----------
def test_a_group_with_initial_lr_is_taken_and_a_schedule_starts_from_it():
    torch = pytest.importorskip("torch")
    ours = optim.SGD([leaf([1.0])], lr=0.1)
    theirs = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1)
    for opt, p in ((ours, leaf([2.0])), (theirs, torch.ones(1, requires_grad=True))):
        opt.add_param_group({"params": [p], "lr": 0.05, "initial_lr": 0.2})
    sched = optim.StepLR(ours, step_size=2, gamma=0.5)
    reference = torch.optim.lr_scheduler.StepLR(theirs, step_size=2, gamma=0.5)
    assert sched.base_lrs == reference.base_lrs == [0.1, 0.2]
    for epoch in range(1, 6):
        sched.step()
        assert ours.param_groups[1]["lr"] == pytest.approx(0.2 * 0.5 ** (epoch // 2), rel=1e-15)


# ----- clipping refuses PyTorch's foreach as the optimizers do, saying why ------------------
@pytest.mark.parametrize(
    ("clip", "args"),
    [(optim.clip_grad_norm_, {"max_norm": 1.0}), (optim.clip_grad_value_, {"clip_value": 1.0})],
)
def test_clipping_refuses_foreach_saying_why_and_leaves_the_gradient(clip, args):
    p = leaf([3.0, 4.0])
    p.grad = np.array([3.0, 4.0])
    with pytest.raises(TypeError, match=r"foreach choose among PyTorch's implementations"):
        clip([p], foreach=None, **args)
    np.testing.assert_array_equal(p.grad, [3.0, 4.0])


# ----- Adam's decoupled_weight_decay (PyTorch's Adam has it; its AdamW is Adam with it on) ---
@pytest.mark.parametrize("options", [{}, {"amsgrad": True, "maximize": True}])
def test_adam_with_decoupled_weight_decay_matches_pytorch(options):
    torch = pytest.importorskip("torch")
    start, grads = np.array([0.5, -1.5, 2.0]), np.cos(np.arange(15.0)).reshape(5, 3)
    w, t = leaf(start), torch.tensor(start, requires_grad=True)
    settings = {"lr": 0.1, "weight_decay": 0.2, "decoupled_weight_decay": True, **options}
    ours, theirs = optim.Adam([w], **settings), torch.optim.Adam([t], **settings)
    for g in grads:
        w.grad, t.grad = g.copy(), torch.tensor(g)
        ours.step()
        theirs.step()
    np.testing.assert_allclose(w.data, t.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_adam_saves_decoupled_weight_decay_and_adamw_takes_no_such_switch():
    opt = optim.Adam([leaf([1.0])], weight_decay=0.1, decoupled_weight_decay=True)
    assert opt.state_dict()["param_groups"][0]["decoupled_weight_decay"] is True
    assert (
        "decoupled_weight_decay" not in optim.AdamW([leaf([1.0])]).state_dict()["param_groups"][0]
    )
    with pytest.raises(TypeError, match="decoupled_weight_decay"):
        optim.AdamW([leaf([1.0])], decoupled_weight_decay=False)


# ----- a switch set on while a parameter has no gradient: the state_dict still loads -------
@pytest.mark.parametrize(
    ("make", "switch", "value"),
    [
        (lambda p: optim.Adam(p, lr=0.1), "amsgrad", True),
        (lambda p: optim.RMSprop(p, lr=0.1), "centered", True),
        (lambda p: optim.RMSprop(p, lr=0.1), "momentum", 0.5),
    ],
)
def test_a_switch_set_on_after_a_parameter_stopped_saves_and_resumes_exactly(make, switch, value):
    grads = np.sin(np.arange(24.0)).reshape(6, 2, 2)

    def run(opt, params, steps):
        for t in steps:
            if t == 2:
                opt.param_groups[0][switch] = value
            for j, p in enumerate(params):  # the second gets no gradient at steps 2 and 3
                p.grad = None if j == 1 and t in (2, 3) else grads[t, j].copy()
            opt.step()

    def fresh():
        return [leaf([1.0, -1.0]), leaf([0.5, 2.0])]

    params = fresh()
    straight = make(params)
    run(straight, params, range(6))
    first = fresh()
    opt = make(first)
    run(opt, first, range(4))
    resumed = [leaf(p.data) for p in first]
    again = make(resumed)
    again.load_state_dict(opt.state_dict())
    run(again, resumed, range(4, 6))
    for a, b in zip(params, resumed):
        np.testing.assert_array_equal(a.data, b.data)
