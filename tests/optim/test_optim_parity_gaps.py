"""Where chainrule's optimizers and schedules used to part from PyTorch's: ASGD's alpha (a
power, any value >= 0) and ReduceLROnPlateau with a parameter group added later."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim


@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # ASGD's eta and mu are float32 otherwise
    yield torch
    torch.set_default_dtype(before)


# ----- ASGD's alpha ----------------------------------------------------------------------
LR, LAMBD = 0.5, 0.5  # λ·η = 0.25: the rate's decay shows within a few steps


def gradients(seed=0, n=8, shape=(2, 3)):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), [rng.standard_normal(shape) for _ in range(n)]


def asgd_rule(w, grads, lr, lambd, alpha):
    """PyTorch's ASGD, t0 far away (ā is W): ηₜ = η / (1 + λ·η·(t − 1))^α, and
    W ← W·(1 − λ·ηₜ) − ηₜ·g."""
    path = []
    for t, g in enumerate(grads, start=1):
        eta = lr / (1 + lambd * lr * (t - 1)) ** alpha
        w = w * (1 - lambd * eta) - eta * g
        path.append(w)
    return path


def asgd_path(p, opt, grads):
    path = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        path.append(p.data.copy())
    return path


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_asgd_takes_alpha_of_one_and_more_and_follows_the_rule(alpha):
    w0, grads = gradients()
    p = cr.tensor(w0.copy(), requires_grad=True)
    ours = asgd_path(p, optim.ASGD([p], lr=LR, lambd=LAMBD, alpha=alpha), grads)
    for got, want in zip(ours, asgd_rule(w0, grads, LR, LAMBD, alpha)):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_asgd_with_alpha_of_one_and_more_steps_as_torch(torch64, alpha):
    w0, grads = gradients(1)
    p, q = cr.tensor(w0.copy(), requires_grad=True), torch64.tensor(w0.copy(), requires_grad=True)
    kwargs = dict(lr=LR, lambd=LAMBD, alpha=alpha, t0=3)  # t0 = 3: the averaging too
    opt, ref = optim.ASGD([p], **kwargs), torch64.optim.ASGD([q], foreach=False, **kwargs)
    for g in grads:
        p.grad, q.grad = g.copy(), torch64.tensor(g)
        opt.step()
        ref.step()
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-12)
        for key in ("ax", "eta", "mu"):
            want = np.asarray(ref.state[q][key])
            np.testing.assert_allclose(opt.state[0][key], want, rtol=0, atol=1e-12, err_msg=key)


def test_asgd_refuses_a_negative_alpha_saying_why():
    p = cr.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"ASGD: alpha must be >= 0 .*grow.*-0\.5"):
        optim.ASGD([p], alpha=-0.5)
    with pytest.raises(ValueError, match="ASGD: alpha must be a number"):
        optim.ASGD([p], alpha="1")


def test_rmsprop_still_refuses_an_alpha_of_one():
    p = cr.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"RMSProp: alpha must be in \[0, 1\), got 1\.0"):
        optim.RMSProp([p], alpha=1.0)
    opt = optim.RMSProp([p], alpha=0.5)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\)"):
        opt.add_param_group({"params": [cr.tensor(np.zeros(1), requires_grad=True)], "alpha": 1.5})


def test_asgd_with_alpha_of_one_resumes_from_its_state_dict_bit_identically():
    w0, grads = gradients(2)
    p = cr.tensor(w0.copy(), requires_grad=True)
    opt = optim.ASGD([p], lr=LR, lambd=LAMBD, alpha=1.0, t0=2)
    asgd_path(p, opt, grads[:4])
    arrays, meta = cr.optim.flatten_state_dict(opt.state_dict())
    saved = cr.optim.unflatten_state_dict(arrays, json.loads(json.dumps(meta)))
    again = cr.tensor(p.data.copy(), requires_grad=True)
    resumed = optim.ASGD([again])  # alpha 0.75 until the load
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["alpha"] == 1.0
    ours, theirs = asgd_path(p, opt, grads[4:]), asgd_path(again, resumed, grads[4:])
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(opt.state[0]["ax"], resumed.state[0]["ax"])


def test_asgd_add_param_group_takes_alpha_of_one_and_a_half():
    w0, grads = gradients(3)
    first = cr.tensor(np.zeros(2), requires_grad=True)
    opt = optim.ASGD([first], lr=LR, lambd=LAMBD)
    p = cr.tensor(w0.copy(), requires_grad=True)
    opt.add_param_group({"params": [p], "alpha": 1.5})
    assert (opt.param_groups[0]["alpha"], opt.param_groups[1]["alpha"]) == (0.75, 1.5)
    for got, want in zip(asgd_path(p, opt, grads), asgd_rule(w0, grads, LR, LAMBD, 1.5)):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


# ----- ReduceLROnPlateau with a group added later -----------------------------------------
#: improves, then stalls: with patience 1, reductions at the 4th, 6th, 8th, ... values
PLATEAU = [3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]


def plateau_pair(torch, min_lr):
    """(optimizer, schedule) of chainrule and of PyTorch, one group at rate 0.1, alike."""
    ours = optim.SGD([cr.tensor(np.zeros(2), requires_grad=True)], lr=0.1)
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    kwargs = dict(factor=0.5, patience=1, min_lr=min_lr)
    return (
        (ours, optim.ReduceLROnPlateau(ours, **kwargs)),
        (theirs, torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)),
    )


def add_group(opt, make):
    opt.add_param_group({"params": [make(np.zeros(1))], "lr": 0.04})


def test_plateau_with_one_min_lr_takes_a_group_added_later_as_torch(torch64):
    (opt, sched), (ref_opt, ref) = plateau_pair(torch64, 0.03)
    for i, m in enumerate(PLATEAU):
        if i == 2:
            add_group(opt, lambda a: cr.tensor(a, requires_grad=True))
            add_group(ref_opt, lambda a: torch64.tensor(a, requires_grad=True))
        sched.step(m)
        ref.step(m)
        assert sched.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-15)
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
    # by hand: 0.1 → 0.05 → 0.03 (min_lr) and 0.04 → 0.03, the new group's η_min min_lr too
    assert sched.get_last_lr() == pytest.approx([0.03, 0.03], rel=1e-15)
    assert sched.min_lrs == [0.03, 0.03]


def with_added_groups(torch, min_lr):
    """`plateau_pair` with a second group (rate 0.04) added to both optimizers."""
    (opt, sched), (ref_opt, ref) = plateau_pair(torch, min_lr)
    add_group(opt, lambda a: cr.tensor(a, requires_grad=True))
    add_group(ref_opt, lambda a: torch.tensor(a, requires_grad=True))
    return (opt, sched), (ref_opt, ref)


def test_plateau_with_a_list_of_min_lrs_refuses_to_reduce_a_group_added_later(torch64):
    (opt, sched), (_, ref) = with_added_groups(torch64, [0.0])
    for m in PLATEAU[:3]:  # no reduction yet: both step on
        sched.step(m)
        ref.step(m)
    assert sched.get_last_lr() == ref.get_last_lr() == [0.1, 0.04]
    with pytest.raises(RuntimeError, match="differs"):
        ref.step(PLATEAU[3])
    with pytest.raises(ValueError, match="2 parameter groups, min_lrs has 1"):
        sched.step(PLATEAU[3])
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.04]


def test_plateau_steps_on_as_torch_once_min_lrs_are_one_per_group(torch64):
    (_, sched), (_, ref) = with_added_groups(torch64, [0.0])
    for m in PLATEAU[:3]:
        sched.step(m)
        ref.step(m)
    before = sched.state_dict()
    with pytest.raises(ValueError, match="min_lrs"):
        sched.step(PLATEAU[3])
    assert sched.state_dict() == before  # the refused step counted nothing
    sched.min_lrs, ref.min_lrs = [0.0, 0.015], [0.0, 0.015]  # as PyTorch's message asks
    for m in PLATEAU[3:]:
        sched.step(m)
        ref.step(m)
        assert sched.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-15)
    assert sched.get_last_lr()[1] == 0.015  # 0.04 → 0.02 → 0.015, its own η_min
