"""PyTorch's optimizer switches: SGD/Adam/AdamW/RMSprop/Adagrad(maximize=True),
Adam/AdamW(amsgrad=True), RMSprop(centered=True), Adagrad(lr_decay=...,
initial_accumulator_value=...).

Each is checked against its update rule written out here in plain NumPy (never calling
the library), against PyTorch, on a quadratic, through state_dicts and checkpoints, and
for its errors. Sources of the formulas: PyTorch's documentation of each class (the
pseudo-code in its docs) and Reddi et al. 2018 for AMSGrad.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

STEPS = 10
_rng = np.random.default_rng(20240616)
W0 = _rng.standard_normal((3, 4))
GRADS = _rng.standard_normal((STEPS, 3, 4))


# ----- the textbook updates, from the maths ---------------------------------------------------
def _direction(g, w, weight_decay, maximize):
    """The gradient, negated to climb, plus the L2 term (which shrinks W either way)."""
    return (-g if maximize else g) + weight_decay * w


def ref_sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    w, b, out = W0.copy(), None, []
    for g in GRADS:
        d = _direction(g, w, weight_decay, maximize)
        if momentum != 0:
            b = d.copy() if b is None else momentum * b + (1 - dampening) * d
            d = d + momentum * b if nesterov else b
        w = w - lr * d
        out.append(w)
    return out


def ref_adagrad(lr, eps=1e-10, weight_decay=0.0, lr_decay=0.0, initial=0.0, maximize=False):
    w, h, out = W0.copy(), np.full_like(W0, initial), []
    for t, g in enumerate(GRADS, start=1):
        d = _direction(g, w, weight_decay, maximize)
        h = h + d * d
        rate = lr / (1 + (t - 1) * lr_decay)
        w = w - rate * d / (np.sqrt(h) + eps)
        out.append(w)
    return out


def ref_rmsprop(
    lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False
):
    w, v, gbar, b, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0), []
    for g in GRADS:
        d = _direction(g, w, weight_decay, maximize)
        v = alpha * v + (1 - alpha) * d * d
        if centered:
            gbar = alpha * gbar + (1 - alpha) * d
            s = v - gbar * gbar  # the variance estimate E[d²] − E[d]²
        else:
            s = v
        u = d / (np.sqrt(s) + eps)
        if momentum > 0:
            b = momentum * b + u
            w = w - lr * b
        else:
            w = w - lr * u
        out.append(w)
    return out


def ref_adam(
    lr,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    amsgrad=False,
    maximize=False,
    decoupled=False,
):
    beta1, beta2 = betas
    w, m, v, vmax, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0), []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            w = w * (1 - lr * weight_decay)
            d = -g if maximize else g
        else:
            d = _direction(g, w, weight_decay, maximize)
        m = beta1 * m + (1 - beta1) * d
        v = beta2 * v + (1 - beta2) * d * d
        vmax = np.maximum(vmax, v)
        s = vmax if amsgrad else v
        m_hat = m / (1 - beta1**t)
        s_hat = s / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(s_hat) + eps)
        out.append(w)
    return out


# ----- (a) the first steps equal the textbook update -------------------------------------------
def _cases():
    """name → (library optimizer on [w], textbook sequence), each switch alone and with
    weight decay."""
    cases = {}
    for wd in (0.0, 0.05):
        tag = "" if wd == 0 else "+wd"
        cases.update(
            {
                f"sgd-maximize{tag}": (
                    lambda p, wd=wd: optim.SGD(p, lr=0.1, weight_decay=wd, maximize=True),
                    lambda wd=wd: ref_sgd(0.1, weight_decay=wd, maximize=True),
                ),
                f"sgd-momentum-maximize{tag}": (
                    lambda p, wd=wd: optim.SGD(
                        p, lr=0.05, momentum=0.9, dampening=0.2, weight_decay=wd, maximize=True
                    ),
                    lambda wd=wd: ref_sgd(
                        0.05, momentum=0.9, dampening=0.2, weight_decay=wd, maximize=True
                    ),
                ),
                f"sgd-nesterov-maximize{tag}": (
                    lambda p, wd=wd: optim.SGD(
                        p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=wd, maximize=True
                    ),
                    lambda wd=wd: ref_sgd(
                        0.05, momentum=0.9, nesterov=True, weight_decay=wd, maximize=True
                    ),
                ),
                f"adagrad-lr_decay{tag}": (
                    lambda p, wd=wd: optim.Adagrad(p, lr=0.1, weight_decay=wd, lr_decay=0.3),
                    lambda wd=wd: ref_adagrad(0.1, weight_decay=wd, lr_decay=0.3),
                ),
                f"adagrad-initial{tag}": (
                    lambda p, wd=wd: optim.Adagrad(
                        p, lr=0.1, weight_decay=wd, initial_accumulator_value=0.7
                    ),
                    lambda wd=wd: ref_adagrad(0.1, weight_decay=wd, initial=0.7),
                ),
                f"adagrad-maximize{tag}": (
                    lambda p, wd=wd: optim.Adagrad(p, lr=0.1, weight_decay=wd, maximize=True),
                    lambda wd=wd: ref_adagrad(0.1, weight_decay=wd, maximize=True),
                ),
                f"adagrad-all{tag}": (
                    lambda p, wd=wd: optim.Adagrad(
                        p,
                        lr=0.1,
                        eps=1e-6,
                        weight_decay=wd,
                        lr_decay=0.1,
                        initial_accumulator_value=0.2,
                        maximize=True,
                    ),
                    lambda wd=wd: ref_adagrad(
                        0.1, eps=1e-6, weight_decay=wd, lr_decay=0.1, initial=0.2, maximize=True
                    ),
                ),
                f"rmsprop-centered{tag}": (
                    lambda p, wd=wd: optim.RMSprop(p, lr=0.01, weight_decay=wd, centered=True),
                    lambda wd=wd: ref_rmsprop(0.01, weight_decay=wd, centered=True),
                ),
                f"rmsprop-centered-momentum{tag}": (
                    lambda p, wd=wd: optim.RMSprop(
                        p, lr=0.01, alpha=0.9, weight_decay=wd, momentum=0.8, centered=True
                    ),
                    lambda wd=wd: ref_rmsprop(
                        0.01, alpha=0.9, weight_decay=wd, momentum=0.8, centered=True
                    ),
                ),
                f"rmsprop-maximize{tag}": (
                    lambda p, wd=wd: optim.RMSprop(
                        p, lr=0.01, weight_decay=wd, momentum=0.5, maximize=True
                    ),
                    lambda wd=wd: ref_rmsprop(0.01, weight_decay=wd, momentum=0.5, maximize=True),
                ),
                f"adam-amsgrad{tag}": (
                    lambda p, wd=wd: optim.Adam(p, lr=0.01, weight_decay=wd, amsgrad=True),
                    lambda wd=wd: ref_adam(0.01, weight_decay=wd, amsgrad=True),
                ),
                f"adam-maximize{tag}": (
                    lambda p, wd=wd: optim.Adam(p, lr=0.01, weight_decay=wd, maximize=True),
                    lambda wd=wd: ref_adam(0.01, weight_decay=wd, maximize=True),
                ),
                f"adam-amsgrad-maximize{tag}": (
                    lambda p, wd=wd: optim.Adam(
                        p, lr=0.01, betas=(0.5, 0.8), weight_decay=wd, amsgrad=True, maximize=True
                    ),
                    lambda wd=wd: ref_adam(
                        0.01, betas=(0.5, 0.8), weight_decay=wd, amsgrad=True, maximize=True
                    ),
                ),
                f"adamw-amsgrad{tag}": (
                    lambda p, wd=wd: optim.AdamW(p, lr=0.01, weight_decay=wd, amsgrad=True),
                    lambda wd=wd: ref_adam(0.01, weight_decay=wd, amsgrad=True, decoupled=True),
                ),
                f"adamw-maximize{tag}": (
                    lambda p, wd=wd: optim.AdamW(p, lr=0.01, weight_decay=wd, maximize=True),
                    lambda wd=wd: ref_adam(0.01, weight_decay=wd, maximize=True, decoupled=True),
                ),
            }
        )
    return cases


CASES = _cases()


@pytest.mark.parametrize("name", CASES)
def test_first_steps_equal_the_textbook_update(name):
    make, reference = CASES[name]
    w = cr.tensor(W0.copy(), requires_grad=True)
    opt = make([w])
    for g, expected in zip(GRADS, reference()):
        w.grad = g.copy()
        opt.step()
        np.testing.assert_allclose(w.data, expected, rtol=0, atol=1e-12)


def test_the_references_differ_from_the_plain_updates():
    """Each switch changes the trajectory: the tests above would notice it ignored."""
    pairs = [
        (ref_sgd(0.1, maximize=True), ref_sgd(0.1)),
        (ref_adagrad(0.1, lr_decay=0.3), ref_adagrad(0.1)),
        (ref_adagrad(0.1, initial=0.7), ref_adagrad(0.1)),
        (ref_rmsprop(0.01, centered=True), ref_rmsprop(0.01)),
        (ref_adam(0.01, amsgrad=True), ref_adam(0.01)),
    ]
    for a, b in pairs:
        assert np.abs(a[-1] - b[-1]).max() > 1e-6


@pytest.mark.parametrize("name", ["sgd-maximize+wd", "adam-amsgrad", "rmsprop-centered+wd"])
def test_float32_parameters_and_state_stay_float32(name):
    make, reference = CASES[name]
    w = cr.tensor(W0.astype(np.float32), requires_grad=True)
    opt = make([w])
    for g in GRADS:
        w.grad = g.astype(np.float32)
        opt.step()
    assert w.data.dtype == np.float32
    for value in opt.state[0].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    np.testing.assert_allclose(w.data, reference()[-1], rtol=1e-4, atol=1e-4)


def test_adagrad_initial_accumulator_state_and_float32():
    w = cr.tensor(np.zeros(3, np.float32), requires_grad=True)
    opt = optim.Adagrad([w], initial_accumulator_value=0.25)
    w.grad = np.ones(3, np.float32)
    opt.step()
    assert opt.state[0]["sum_sq"].dtype == np.float32
    np.testing.assert_array_equal(opt.state[0]["sum_sq"], np.full(3, 1.25, np.float32))


# ----- (b) against PyTorch, random settings -------------------------------------------------
TORCH_STEPS = 25


def _random_settings(kind, rng):
    wd = float(rng.choice([0.0, 0.0, 0.03]))
    maximize = bool(rng.integers(2))
    if kind == "SGD":
        momentum = float(rng.choice([0.0, 0.5, 0.9]))
        nesterov = momentum > 0 and bool(rng.integers(2))
        dampening = 0.0 if nesterov else float(rng.choice([0.0, 0.3]))
        ours = dict(lr=float(rng.uniform(0.01, 0.1)), momentum=momentum, dampening=dampening)
        ours.update(nesterov=nesterov, weight_decay=wd, maximize=maximize)
        return ours, dict(ours)
    if kind == "Adagrad":
        ours = dict(lr=float(rng.uniform(0.01, 0.2)), weight_decay=wd, maximize=maximize)
        ours.update(lr_decay=float(rng.choice([0.0, 0.01, 0.5])))
        ours.update(initial_accumulator_value=float(rng.choice([0.0, 0.1, 2.0])))
        ours.update(eps=float(rng.choice([1e-10, 1e-3])))
        return ours, dict(ours)
    if kind == "RMSprop":
        ours = dict(lr=float(rng.uniform(0.001, 0.02)), weight_decay=wd, maximize=maximize)
        ours.update(alpha=float(rng.choice([0.9, 0.99])), eps=float(rng.choice([1e-8, 1e-3])))
        ours.update(momentum=float(rng.choice([0.0, 0.7])), centered=bool(rng.integers(2)))
        return ours, dict(ours)
    betas = (float(rng.choice([0.8, 0.9])), float(rng.choice([0.9, 0.999])))
    ours = dict(lr=float(rng.uniform(0.001, 0.05)), betas=betas, weight_decay=wd)
    ours.update(
        amsgrad=bool(rng.integers(2)), maximize=maximize, eps=float(rng.choice([1e-8, 1e-4]))
    )
    return ours, dict(ours)


KINDS = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


@needs_torch
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kind", KINDS)
def test_agrees_with_pytorch_over_random_settings(kind, seed):
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    ours_kw, theirs_kw = _random_settings(kind, rng)
    shapes = [(3, 4), (5,)]
    starts = [rng.standard_normal(s) for s in shapes]
    ours = [cr.tensor(w.copy(), requires_grad=True) for w in starts]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in starts]
    opt = getattr(optim, kind)(ours, **ours_kw)
    topt = getattr(torch.optim, kind)(theirs, **theirs_kw)
    for _ in range(TORCH_STEPS):
        # gradients of varied scale, some shrinking (where AMSGrad's maximum matters)
        scale = float(rng.choice([0.01, 1.0, 10.0]))
        for p, q in zip(ours, theirs):
            g = rng.standard_normal(p.shape) * scale
            p.grad, q.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-12)
    for i, q in enumerate(theirs):  # the state holds PyTorch's arrays (Adagrad's sum: sum_sq)
        for name, value in topt.state[q].items():
            if name != "step":
                ours_name = {"sum": "sum_sq"}.get(name, name)
                np.testing.assert_allclose(
                    opt.state[i][ours_name], value.numpy(), rtol=1e-12, atol=1e-12
                )


# ----- (c) a convex quadratic's minimum, a concave one's maximum ------------------------------
TARGET = np.array([1.5, -2.0, 0.5, 3.0])
CURVATURE = np.array([1.0, 4.0, 0.5, 2.0])

CONVERGE = {
    "sgd": lambda p, m: optim.SGD(p, lr=0.1, maximize=m),
    "sgd-momentum": lambda p, m: optim.SGD(p, lr=0.05, momentum=0.9, maximize=m),
    "adagrad-lr_decay": lambda p, m: optim.Adagrad(p, lr=1.0, lr_decay=0.001, maximize=m),
    "adagrad-initial": lambda p, m: optim.Adagrad(
        p, lr=1.0, initial_accumulator_value=1.0, maximize=m
    ),
    "rmsprop-centered": lambda p, m: optim.RMSprop(p, lr=0.01, centered=True, maximize=m),
    "rmsprop-centered-momentum": lambda p, m: optim.RMSprop(
        p, lr=0.003, momentum=0.9, centered=True, maximize=m
    ),
    "adam-amsgrad": lambda p, m: optim.Adam(p, lr=0.05, amsgrad=True, maximize=m),
    "adamw-amsgrad": lambda p, m: optim.AdamW(
        p, lr=0.05, weight_decay=0.0, amsgrad=True, maximize=m
    ),
}


@pytest.mark.parametrize("maximize", [False, True], ids=["convex-min", "concave-max"])
@pytest.mark.parametrize("name", CONVERGE)
def test_reaches_the_optimum_of_a_quadratic(name, maximize):
    """f = ±½ Σ a·(w − c)², through chainrule's autodiff: minimised (+) or maximised (−)."""
    sign = -1.0 if maximize else 1.0
    w = cr.tensor(np.zeros(4), requires_grad=True)
    opt = CONVERGE[name]([w], maximize)
    for _ in range(3000):
        opt.zero_grad()
        f = sign * 0.5 * (cr.tensor(CURVATURE) * (w - cr.tensor(TARGET)) ** 2).sum()
        f.backward()
        opt.step()
    np.testing.assert_allclose(w.data, TARGET, atol=1e-3)


# ----- (d) state: state_dict, JSON, checkpoints ---------------------------------------------
ROUND_TRIP = {
    "sgd-maximize": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, maximize=True),
    "adagrad-options": lambda p: optim.Adagrad(
        p, lr=0.1, lr_decay=0.05, initial_accumulator_value=0.3, maximize=True
    ),
    "rmsprop-centered": lambda p: optim.RMSprop(
        p, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01
    ),
    "adam-amsgrad": lambda p: optim.Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01),
    "adamw-amsgrad-maximize": lambda p: optim.AdamW(p, lr=0.01, amsgrad=True, maximize=True),
}
EXPECTED_STATE = {
    "sgd-maximize": {"momentum_buffer"},
    "adagrad-options": {"sum_sq"},
    "rmsprop-centered": {"square_avg", "momentum_buffer", "grad_avg"},
    "adam-amsgrad": {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    "adamw-amsgrad-maximize": {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
}
SHAPES = [(3, 4), (4,)]
RT_GRADS = [[np.random.default_rng(300 + k).standard_normal(s) for s in SHAPES] for k in range(10)]


def _fresh():
    rng = np.random.default_rng(1)
    return [cr.nn.Parameter(rng.standard_normal(s)) for s in SHAPES]


def _run(opt, params, grads):
    for step in grads:
        for p, g in zip(params, step):
            p.grad = g.copy()
        opt.step()


def _through_json(sd):
    arrays, metadata = optim.flatten_state_dict(sd)
    text = json.dumps(metadata)
    return optim.unflatten_state_dict({k: v.copy() for k, v in arrays.items()}, json.loads(text))


@pytest.mark.parametrize("transport", [lambda sd: sd, _through_json], ids=["dict", "json"])
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_mid_run_state_dict_continues_bit_for_bit(name, transport):
    make = ROUND_TRIP[name]
    params = _fresh()
    opt = make(params)
    _run(opt, params, RT_GRADS[:5])
    assert set(opt.state[0]) - {"step"} == EXPECTED_STATE[name]
    saved = transport(opt.state_dict())
    saved_params = [p.data.copy() for p in params]
    _run(opt, params, RT_GRADS[5:])

    restored = [cr.nn.Parameter(w) for w in saved_params]
    opt2 = make(restored)
    opt2.load_state_dict(saved)
    _run(opt2, restored, RT_GRADS[5:])
    for a, b in zip(params, restored):
        np.testing.assert_array_equal(a.data, b.data)


class _Two(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = _fresh()


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_checkpoint_save_and_load_continue_bit_for_bit(name, tmp_path):
    make = ROUND_TRIP[name]
    model = _Two()
    opt = make(model.parameters())
    _run(opt, [model.a, model.b], RT_GRADS[:5])
    cr.save(tmp_path / "ckpt.safetensors", model, opt)
    _run(opt, [model.a, model.b], RT_GRADS[5:])

    model2 = _Two()
    opt2 = make(model2.parameters())
    cr.load(tmp_path / "ckpt.safetensors", model2, opt2)
    assert opt2.param_groups[0] == {**opt.param_groups[0], "params": opt2.param_groups[0]["params"]}
    _run(opt2, [model2.a, model2.b], RT_GRADS[5:])
    np.testing.assert_array_equal(model.a.data, model2.a.data)
    np.testing.assert_array_equal(model.b.data, model2.b.data)


def test_switches_are_in_every_group_but_in_the_state_dict_only_when_on():
    params = _fresh()
    plain = optim.Adam(params)
    assert plain.param_groups[0]["amsgrad"] is False
    assert plain.param_groups[0]["maximize"] is False
    assert set(plain.state_dict()["param_groups"][0]) == {
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "params",
    }
    on = optim.Adam(params, amsgrad=True)
    assert on.state_dict()["param_groups"][0]["amsgrad"] is True
    assert "maximize" not in on.state_dict()["param_groups"][0]


def test_a_state_saved_without_the_switches_loads_with_them_off():
    """A state_dict without amsgrad (saved with it off, or before it existed) is the run it
    was saved from: loading it into Adam(amsgrad=True) turns amsgrad off, as PyTorch's
    load_state_dict does (the saved hyper-parameters replace the optimizer's)."""
    params = _fresh()
    plain = optim.Adam(params, lr=0.01)
    _run(plain, params, RT_GRADS[:3])
    saved = plain.state_dict()
    other = optim.Adam(_fresh(), lr=0.01, amsgrad=True, maximize=True)
    other.load_state_dict(saved)
    assert other.param_groups[0]["amsgrad"] is False
    assert other.param_groups[0]["maximize"] is False


def test_switching_amsgrad_on_after_loading_starts_the_maximum_at_zero():
    """v_max starting at 0 is the maximum taken from the switch on: max(0, v) = v."""
    w = cr.tensor(W0.copy(), requires_grad=True)
    opt = optim.Adam([w], lr=0.01)
    beta1, beta2 = 0.9, 0.999
    ref_w, m, v, vmax = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), None
    for t, g in enumerate(GRADS, start=1):
        if t == 4:
            opt.param_groups[0]["amsgrad"] = True
        w.grad = g.copy()
        opt.step()
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if t >= 4:
            vmax = v if vmax is None else np.maximum(vmax, v)
        s = v if vmax is None else vmax
        ref_w = ref_w - 0.01 * (m / (1 - beta1**t)) / (np.sqrt(s / (1 - beta2**t)) + 1e-8)
        np.testing.assert_allclose(w.data, ref_w, rtol=0, atol=1e-12)
    assert "max_exp_avg_sq" in opt.state[0]


def test_switching_centered_on_mid_run_starts_the_mean_at_zero():
    w = cr.tensor(W0.copy(), requires_grad=True)
    opt = optim.RMSprop([w], lr=0.01)
    ref_w, v, gbar = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t, g in enumerate(GRADS, start=1):
        if t == 4:
            opt.param_groups[0]["centered"] = True
        w.grad = g.copy()
        opt.step()
        v = 0.99 * v + 0.01 * g * g
        if t >= 4:
            gbar = 0.99 * gbar + 0.01 * g
        ref_w = ref_w - 0.01 * g / (np.sqrt(v - gbar * gbar) + 1e-8)
        np.testing.assert_allclose(w.data, ref_w, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("make", "switch", "missing"),
    [
        (lambda p: optim.Adam(p), "amsgrad", "max_exp_avg_sq"),
        (lambda p: optim.AdamW(p), "amsgrad", "max_exp_avg_sq"),
        (lambda p: optim.RMSprop(p), "centered", "grad_avg"),
    ],
)
def test_a_switch_on_without_its_state_is_refused(make, switch, missing):
    params = _fresh()
    opt = make(params)
    _run(opt, params, RT_GRADS[:2])
    sd = opt.state_dict()
    sd["param_groups"][0][switch] = True  # says the switch was on, but holds no array
    fresh = make(_fresh())
    with pytest.raises(ValueError, match=rf"parameter 0: .*missing state \['{missing}'\]"):
        fresh.load_state_dict(sd)
    assert fresh.state == {}


def test_groups_may_set_their_own_switches():
    a, b = _fresh()
    opt = optim.Adam([{"params": [a]}, {"params": [b], "amsgrad": True, "maximize": True}])
    assert opt.param_groups[0]["amsgrad"] is False
    assert opt.param_groups[1]["amsgrad"] is True
    _run(opt, [a, b], RT_GRADS[:2])
    assert "max_exp_avg_sq" not in opt.state[0]
    assert "max_exp_avg_sq" in opt.state[1]
    groups = opt.state_dict()["param_groups"]
    assert "amsgrad" not in groups[0]
    assert groups[1]["amsgrad"] is True
    assert groups[1]["maximize"] is True


def test_default_optimizers_keep_the_defaults_they_had():
    """defaults hold a switch only when it is on: what they held before the switches."""
    p = _fresh()
    assert optim.SGD(p, lr=0.1).defaults == {
        "lr": 0.1,
        "momentum": 0.0,
        "nesterov": False,
        "weight_decay": 0.0,
        "dampening": 0.0,
    }
    assert optim.SGD(p, lr=0.1, maximize=True).defaults["maximize"] is True
    assert optim.Adagrad(p, lr_decay=0.5).defaults["lr_decay"] == 0.5
    assert "centered" not in optim.RMSprop(p).defaults


# ----- (e) errors ----------------------------------------------------------------------------
BAD = [
    (optim.SGD, {"lr": 0.1, "maximize": 1}, ValueError, "SGD: maximize must be True or False"),
    (optim.Adam, {"amsgrad": "yes"}, ValueError, "Adam: amsgrad must be True or False"),
    (optim.AdamW, {"maximize": None}, ValueError, "AdamW: maximize must be True or False"),
    (optim.RMSprop, {"centered": 1}, ValueError, "RMSProp: centered must be True or False"),
    (optim.Adagrad, {"lr_decay": -0.1}, ValueError, "lr_decay must be >= 0, got -0.1"),
    (optim.Adagrad, {"lr_decay": float("nan")}, ValueError, "lr_decay must be finite"),
    (
        optim.Adagrad,
        {"initial_accumulator_value": -1},
        ValueError,
        "initial_accumulator_value must be >= 0, got -1.0",
    ),
    (optim.Adam, {"betas": {0.9, 0.999}}, ValueError, "betas must be a pair"),
    (optim.Adam, {"foreach": True}, TypeError, "Adam: foreach choose among PyTorch's"),
    (optim.AdamW, {"fused": None}, TypeError, "chainrule has one"),
    (optim.SGD, {"lr": 0.1, "differentiable": False}, TypeError, "chainrule has one"),
    (optim.RMSprop, {"capturable": False, "foreach": False}, TypeError, "leave them out"),
    (optim.Adagrad, {"foreach": None}, TypeError, "chainrule has one"),
    (optim.Adam, {"amsgard": True}, TypeError, "unexpected keyword argument 'amsgard'"),
    (optim.Adagrad, {"centered": True}, TypeError, "unexpected keyword argument 'centered'"),
    (optim.SGD, {"lr": 0.1, "amsgrad": True}, TypeError, "unexpected keyword argument"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD)
def test_invalid_options_are_clear_errors(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls([cr.nn.Parameter(np.zeros(2))], **kwargs)


def test_a_group_switch_is_validated_and_unknown_ones_refused():
    a, b = _fresh()
    with pytest.raises(ValueError, match="Adam: amsgrad must be True or False, got 1"):
        optim.Adam([{"params": [a]}, {"params": [b], "amsgrad": 1}])
    with pytest.raises(ValueError, match=r"unknown hyper-parameter\(s\) \['centered'\]"):
        optim.Adam([{"params": [a], "centered": True}])
    opt = optim.Adam([a])
    sd = opt.state_dict()
    sd["param_groups"][0]["maximize"] = "no"
    with pytest.raises(ValueError, match="group 0: maximize must be True or False"):
        opt.load_state_dict(sd)


def test_the_centered_square_root_never_goes_negative():
    """A constant gradient makes v − ḡ² vanish; rounding must not push it below 0 (NaN)."""
    w = cr.tensor(np.zeros(1000), requires_grad=True)
    opt = optim.RMSprop([w], lr=1e-3, alpha=0.5, centered=True)
    grad = np.random.default_rng(7).uniform(0.1, 10.0, size=1000)
    for _ in range(200):
        w.grad = grad.copy()
        opt.step()
    assert np.isfinite(w.data).all()


def test_adagrad_takes_pytorchs_positional_order():
    """(lr, lr_decay, weight_decay, initial_accumulator_value, eps), as PyTorch's: a ported
    ``Adagrad(params, 0.01, 0.1)`` means lr_decay = 0.1 in both."""
    by_position = optim.Adagrad([cr.nn.Parameter(np.zeros(2))], 0.01, 0.1, 0.2, 0.3, 1e-6)
    group = by_position.param_groups[0]
    assert (group["lr"], group["lr_decay"], group["weight_decay"]) == (0.01, 0.1, 0.2)
    assert (group["initial_accumulator_value"], group["eps"]) == (0.3, 1e-6)
