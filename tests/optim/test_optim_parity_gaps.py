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
