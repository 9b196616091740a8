"""`optim.Adamax`, `optim.NAdam` and `optim.RAdam`: PyTorch's update rules.

The first steps are checked against the rules written out here in plain NumPy, from the
papers and PyTorch's documented algorithms (not through chainrule), then against
``torch.optim`` itself when it is installed; then convergence, validation, state_dicts and
checkpoints, float32 and allocations, and ``chainrule train --optimizer radam``.
"""

from __future__ import annotations

import json
import math
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule._checkpoint_format import read_checkpoint

sys.path.insert(0, str(Path(__file__).parent.parent / "train"))
from _cli_run import main as cli_main

SHAPES = [(3, 4), (5,)]
_rng = np.random.default_rng(20261203)
START = [_rng.standard_normal(s) for s in SHAPES]
GRADS = [[_rng.standard_normal(s) for s in SHAPES] for _ in range(20)]


# ----- the rules, written out from the papers and PyTorch's documentation -------------------
def adamax_reference(w, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                     maximize=False):  # fmt: skip
    """PyTorch's Adamax (Kingma & Ba, section 7.1, with ε inside the max)."""
    b1, b2 = betas
    w, m, u, path = w.copy(), np.zeros_like(w), np.zeros_like(w), []
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        w = w - lr / (1 - b1**t) * m / u
        path.append(w)
    return path


def nadam_reference(w, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):  # fmt: skip
    """PyTorch's NAdam (Dozat 2016, with μₜ = β₁(1 − ½·0.96^(tψ)))."""
    b1, b2 = betas
    w, m, v, prod, path = w.copy(), np.zeros_like(w), np.zeros_like(w), 1.0, []
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            w = w * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * w
        mu_t = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        prod_next = prod * mu_t * mu_next
        prod = prod * mu_t
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        v_hat = v / (1 - b2**t)
        m_bar = (1 - mu_t) * g / (1 - prod) + mu_next * m / (1 - prod_next)
        w = w - lr * m_bar / (np.sqrt(v_hat) + eps)
        path.append(w)
    return path


def rho(b2, t):
    """ρₜ, the length of the SMA that RAdam's second moment approximates after t steps."""
    rho_inf = 2 / (1 - b2) - 1
    return rho_inf - 2 * t * b2**t / (1 - b2**t)


def radam_reference(w, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    decoupled_weight_decay=False, maximize=False):  # fmt: skip
    """PyTorch's RAdam (Liu et al. 2020): rectified once ρₜ > 5, plain momentum before."""
    b1, b2 = betas
    w, m, v, path = w.copy(), np.zeros_like(w), np.zeros_like(w), []
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            w = w * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        rho_t = rho(b2, t)
        if rho_t > 5:
            l_t = math.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
            r_t = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            w = w - lr * m_hat * r_t * l_t
        else:
            w = w - lr * m_hat
        path.append(w)
    return path


REFERENCES = {"Adamax": adamax_reference, "NAdam": nadam_reference, "RAdam": radam_reference}
# name: (class name, keyword arguments, as PyTorch takes them)
CASES = {
    "adamax": ("Adamax", {}),
    "adamax-lr-betas-eps": ("Adamax", {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-3}),
    "adamax-decay": ("Adamax", {"lr": 0.01, "weight_decay": 0.1}),
    "adamax-decay-maximize": ("Adamax", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    "nadam": ("NAdam", {}),
    "nadam-lr-betas-eps": ("NAdam", {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-3}),
    "nadam-momentum-decay": ("NAdam", {"lr": 0.01, "momentum_decay": 0.1}),
    "nadam-decay": ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    "nadam-decoupled": ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    "nadam-decoupled-maximize": (
        "NAdam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    ),
    "nadam-decay-maximize": ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    "radam": ("RAdam", {}),
    "radam-lr-betas-eps": ("RAdam", {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-3}),
    "radam-decay": ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    "radam-decoupled": ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    "radam-decoupled-maximize": (
        "RAdam",
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    ),
    "radam-decay-maximize": ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
}


def chainrule_path(name, steps):
    """The parameters after each of ``steps`` steps of chainrule's optimizer (float64),
    and the optimizer."""
    cls, kwargs = CASES[name]
    params = [cr.tensor(w.copy(), requires_grad=True) for w in START]
    opt = getattr(optim, cls)(params, **kwargs)
    path = []
    for grads in GRADS[:steps]:
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()
        path.append([p.data.copy() for p in params])
    return path, opt


@pytest.mark.parametrize("name", CASES)
def test_the_first_ten_steps_are_the_published_rule(name):
    cls, kwargs = CASES[name]
    ours, _ = chainrule_path(name, 10)
    for k, w in enumerate(START):
        theirs = REFERENCES[cls](w, [grads[k] for grads in GRADS[:10]], **kwargs)
        for t in range(10):
            np.testing.assert_allclose(ours[t][k], theirs[t], rtol=0, atol=1e-12, err_msg=f"{t}")


@pytest.mark.parametrize("b2", [0.999, 0.95])
def test_the_radam_cases_cross_the_rectification_switch_within_the_steps_tested(b2):
    # β₂ = 0.999 (the default) crosses at t = 6, β₂ = 0.95 at t = 7
    lengths = [rho(b2, t) for t in range(1, 11)]
    assert lengths[0] <= 5 < lengths[-1]
    assert min(abs(r - 5) for r in lengths) > 1e-3  # no step on the edge, where rounding decides


def test_radam_before_the_switch_is_the_bias_corrected_momentum_step():
    # t = 1: ρ₁ = 1, so W ← W − η·m̂ with m̂ = g exactly (not g/|g| as Adam's first step)
    w = cr.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.RAdam([w], lr=0.1)
    w.grad = np.array([0.5, 3.0])
    opt.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.05, -2.0 - 0.3], rtol=1e-15)


# ----- against torch.optim ---------------------------------------------------------------------
@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam's mu_product is float32 otherwise
    yield torch
    torch.set_default_dtype(before)


@pytest.mark.parametrize("name", CASES)
def test_twenty_steps_match_torch_optim(torch64, name):
    torch = torch64
    cls, kwargs = CASES[name]
    ours, ours_opt = chainrule_path(name, 20)
    params = [torch.tensor(w.copy(), requires_grad=True) for w in START]
    opt = getattr(torch.optim, cls)(params, **kwargs)
    for t, grads in enumerate(GRADS):
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        opt.step()
        for mine, p in zip(ours[t], params):
            np.testing.assert_allclose(mine, p.detach().numpy(), rtol=0, atol=1e-12)
    for i, p in enumerate(params):
        theirs = opt.state[p]
        for key, value in ours_opt.state[i].items():
            want = theirs[key].detach().numpy() if key != "step" else theirs[key].item()
            np.testing.assert_allclose(value, want, rtol=1e-13, atol=1e-15, err_msg=key)


# ----- convergence ------------------------------------------------------------------------------
_M = np.random.default_rng(7).standard_normal((5, 5))
A = _M @ _M.T + 2 * np.eye(5)
B = np.random.default_rng(8).standard_normal(5)


@pytest.mark.parametrize(
    ("make", "steps", "tol"),
    [
        (lambda p: optim.Adamax(p, lr=0.05), 600, 1e-9),
        (lambda p: optim.NAdam(p, lr=0.01), 600, 1e-9),
        (lambda p: optim.NAdam(p, lr=0.05, momentum_decay=0.1), 600, 1e-9),
        (lambda p: optim.RAdam(p, lr=0.05), 600, 1e-9),
        (lambda p: optim.RAdam(p, lr=0.05, decoupled_weight_decay=True), 600, 1e-9),
    ],
    ids=["adamax", "nadam", "nadam-momentum-decay", "radam", "radam-decoupled-no-decay"],
)
def test_each_drives_a_convex_quadratic_to_its_minimum(make, steps, tol):
    """f(w) = ½ wᵀAw − bᵀw, A positive definite, minimum A⁻¹b; gradients from backward.

    With a constant rate these, like Adam, take steps of about η wherever v has decayed:
    NAdam at η = 0.05 and its default ψ (whose μₜ is still near β₁/2 after 600 steps)
    circles the minimum at ~1e-2; at 0.01, or with a faster ψ, it settles."""
    w = cr.tensor(np.zeros(5), requires_grad=True)
    opt = make([w])
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (w @ (cr.tensor(A) @ w)) - cr.tensor(B) @ w).backward()
        opt.step()
    np.testing.assert_allclose(w.data, np.linalg.solve(A, B), rtol=0, atol=tol)


# ----- hyper-parameters -------------------------------------------------------------------------
BAD = [
    (cls, kwargs, match)
    for cls in (optim.Adamax, optim.NAdam, optim.RAdam)
    for kwargs, match in [
        ({"lr": -0.1}, "lr must be >= 0, got -0.1"),
        ({"betas": (1.0, 0.999)}, r"betas\[0\] must be in \[0, 1\), got 1.0"),
        ({"betas": (0.9, -0.1)}, r"betas\[1\] must be in \[0, 1\), got -0.1"),
        ({"betas": (0.9,)}, "betas must be a pair"),
        ({"eps": -1e-8}, "eps must be >= 0, got -1e-08"),
        ({"weight_decay": -0.01}, "weight_decay must be >= 0, got -0.01"),
        ({"maximize": 1}, "maximize must be True or False"),
    ]
] + [
    (optim.NAdam, {"momentum_decay": -4e-3}, "momentum_decay must be >= 0, got -0.004"),
    (optim.NAdam, {"decoupled_weight_decay": "yes"}, "decoupled_weight_decay must be True or"),
    (optim.RAdam, {"decoupled_weight_decay": None}, "decoupled_weight_decay must be True or"),
]


@pytest.mark.parametrize(("cls", "kwargs", "match"), BAD)
def test_bad_hyper_parameters_are_a_value_error_naming_them(cls, kwargs, match):
    p = cr.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=f"{cls.__name__}: {match}"):
        cls([p], **kwargs)
    with pytest.raises(ValueError, match=match):  # a group's own value is checked too
        cls([{"params": [p], **kwargs}])


@pytest.mark.parametrize("cls", [optim.Adamax, optim.NAdam, optim.RAdam])
@pytest.mark.parametrize("switch", ["foreach", "fused", "capturable", "differentiable"])
def test_pytorchs_implementation_switches_are_a_type_error(cls, switch):
    with pytest.raises(TypeError, match="chainrule has one"):
        cls([cr.tensor(np.ones(3), requires_grad=True)], **{switch: False})


def test_defaults_and_positional_order_are_pytorchs():
    p = [cr.tensor(np.ones(2), requires_grad=True)]
    assert optim.Adamax(p).defaults == {
        "lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
    }  # fmt: skip
    assert optim.NAdam(p).defaults == {
        "lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
        "momentum_decay": 4e-3,
    }  # fmt: skip
    assert optim.RAdam(p).defaults == {
        "lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
    }  # fmt: skip
    nadam = optim.NAdam(p, 0.1, (0.8, 0.9), 1e-6, 0.01, 0.5, True)
    assert nadam.defaults["momentum_decay"] == 0.5
    assert nadam.defaults["decoupled_weight_decay"] is True
    assert optim.RAdam(p, 0.1, (0.8, 0.9), 1e-6, 0.01, True).defaults["decoupled_weight_decay"]
    with pytest.raises(TypeError):  # maximize is keyword only, as in PyTorch
        optim.Adamax(p, 0.1, (0.8, 0.9), 1e-6, 0.01, True)


# ----- state_dict and checkpoints ---------------------------------------------------------------
STATEFUL = {
    "adamax": lambda g: optim.Adamax(g, lr=0.05, weight_decay=0.01),
    "adamax-maximize": lambda g: optim.Adamax(g, lr=0.05, maximize=True),
    "nadam": lambda g: optim.NAdam(g, lr=0.05, weight_decay=0.01),
    "nadam-decoupled-maximize": lambda g: optim.NAdam(
        g, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True
    ),
    "radam": lambda g: optim.RAdam(g, lr=0.05, weight_decay=0.01),
    "radam-decoupled": lambda g: optim.RAdam(
        g, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True
    ),
}
STATE_KEYS = {
    "adamax": {"step", "exp_avg", "exp_inf"},
    "nadam": {"step", "exp_avg", "exp_avg_sq", "mu_product"},
    "radam": {"step", "exp_avg", "exp_avg_sq"},
}


def fresh():
    return [cr.tensor(w.copy(), requires_grad=True) for w in START]


def groups(params):
    return [{"params": params[:1]}, {"params": params[1:], "lr": 0.01}]


def run(opt, params, steps):
    for grads in steps:
        for p, g in zip(params, grads):
            p.grad = g.copy()
        opt.step()


def through_json(state_dict):
    arrays, metadata = optim.flatten_state_dict(state_dict)
    metadata = json.loads(json.dumps(metadata))
    return optim.unflatten_state_dict({k: v.copy() for k, v in arrays.items()}, metadata)


@pytest.mark.parametrize("transport", [lambda sd: sd, through_json], ids=["dict", "json"])
@pytest.mark.parametrize("name", STATEFUL)
def test_stepping_after_a_load_is_bit_identical_to_never_stopping(name, transport):
    params = fresh()
    opt = STATEFUL[name](groups(params))
    run(opt, params, GRADS[:4])  # RAdam: before its switch ...
    saved, saved_params = transport(opt.state_dict()), [p.data.copy() for p in params]
    run(opt, params, GRADS[4:12])  # ... and after it
    again = [cr.tensor(w, requires_grad=True) for w in saved_params]
    opt2 = STATEFUL[name](groups(again))
    opt2.load_state_dict(saved)
    run(opt2, again, GRADS[4:12])
    for a, b in zip(params, again):
        np.testing.assert_array_equal(a.data, b.data)
    assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    assert set(opt2.state[0]) == STATE_KEYS[name.split("-")[0]]


@pytest.mark.parametrize("name", STATEFUL)
def test_a_checkpoint_resumes_bit_identically(tmp_path, name):
    def model():
        cr.manual_seed(0)
        return cr.nn.Sequential(cr.nn.Linear(4, 6), cr.nn.Tanh(), cr.nn.Linear(6, 3))

    x, y = np.random.default_rng(1).normal(size=(16, 4)), np.arange(16) % 3

    def train(net, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            cr.nn.SoftmaxCrossEntropy()(net(cr.tensor(x)), y).backward()
            opt.step()

    net = model()
    opt = STATEFUL[name](groups(list(net.parameters())))
    train(net, opt, 3)
    cr.save(tmp_path / "c.safetensors", net, opt)
    train(net, opt, 6)

    again = model()
    again_opt = STATEFUL[name](groups(list(again.parameters())))
    cr.load(tmp_path / "c.safetensors", again, again_opt)
    train(again, again_opt, 6)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), np.asarray(again.state_dict()[k]))


def test_switches_that_are_off_are_left_out_of_the_state_dict():
    p = fresh()
    plain = optim.NAdam(p).state_dict()["param_groups"][0]
    assert "decoupled_weight_decay" not in plain
    assert "maximize" not in plain
    assert "decoupled_weight_decay" not in optim.RAdam(p).state_dict()["param_groups"][0]
    assert "maximize" not in optim.Adamax(p).state_dict()["param_groups"][0]
    on = optim.RAdam(p, decoupled_weight_decay=True, maximize=True)
    group = on.state_dict()["param_groups"][0]
    assert group["decoupled_weight_decay"] is True
    assert group["maximize"] is True
    # one saved with them off loads with them off (as PyTorch's loading replaces them)
    on.load_state_dict(optim.RAdam(p).state_dict())
    assert on.param_groups[0]["decoupled_weight_decay"] is False
    assert on.param_groups[0]["maximize"] is False


def test_nadams_mu_product_is_a_float_and_a_bad_one_is_refused():
    params = fresh()
    opt = optim.NAdam(params, lr=0.01)
    run(opt, params, GRADS[:3])
    sd = opt.state_dict()
    product = 1.0
    for t in (1, 2, 3):
        product *= 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3))
    assert type(sd["state"][0]["mu_product"]) is float
    assert sd["state"][0]["mu_product"] == pytest.approx(product, rel=1e-15)
    arrays, _ = optim.flatten_state_dict(sd)
    assert "state.0.mu_product" not in arrays  # the number goes with the metadata
    before = opt.state_dict()
    for bad, match in [
        (None, "must be a finite number"),
        (float("nan"), "must be a finite number"),
        (np.ones(4), "must be a finite number"),
        (True, "must be a finite number"),
    ]:
        broken = opt.state_dict()
        broken["state"][1]["mu_product"] = bad
        with pytest.raises(ValueError, match=f"parameter 1: state 'mu_product' {match}"):
            opt.load_state_dict(broken)
    missing = opt.state_dict()
    del missing["state"][0]["mu_product"]
    with pytest.raises(ValueError, match=r"missing state \['mu_product'\]"):
        opt.load_state_dict(missing)
    assert opt.state_dict()["state"][1]["mu_product"] == before["state"][1]["mu_product"]
    loaded = opt.state_dict()
    loaded["state"][0]["mu_product"] = np.float32(0.5)  # a NumPy scalar is taken
    opt.load_state_dict(loaded)
    assert type(opt.state[0]["mu_product"]) is float


# ----- float32 and allocations -------------------------------------------------------------------
@pytest.mark.parametrize("name", STATEFUL)
def test_float32_parameters_and_state_stay_float32(name):
    params = [cr.tensor(w.astype(np.float32), requires_grad=True) for w in START]
    opt = STATEFUL[name](params)
    run(opt, params, [[g.astype(np.float32) for g in grads] for grads in GRADS[:8]])
    for p in params:
        assert p.data.dtype == np.float32
    for entry in opt.state.values():
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, key
            else:
                assert type(value) in (int, float), key  # step, mu_product


@pytest.mark.parametrize("name", STATEFUL)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_warm_steps_allocate_nothing_parameter_sized(name, dtype):
    rng = np.random.default_rng(0)
    params = [cr.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
              for s in [(100_000,), (300, 100)]]  # fmt: skip
    for p in params:
        p.grad = rng.standard_normal(p.shape).astype(dtype)
    opt = STATEFUL[name](params)
    for _ in range(7):  # RAdam's rectified branch starts at step 6
        opt.step()
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params[0].data.nbytes // 10, f"peak {peak} bytes during step()"


# ----- the command line ------------------------------------------------------------------------
def test_chainrule_train_with_radam(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli_main(["train", "--optimizer", "radam", "--epochs", 1, "--out", out]) == 0
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["optimizer"] == "radam"
    assert config["lr"] == 0.01
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["epochs"] == 1
    assert metrics["test_accuracy"] > 0.3  # 10 classes; RAdam's first steps are cautious
    _, meta = read_checkpoint(out / "model.safetensors")
    saved = json.loads(meta["optimizer"])
    assert saved["param_groups"][0]["lr"] == 0.01
    assert "momentum_decay" not in saved["param_groups"][0]  # RAdam's, not NAdam's
    state = dict(saved["state"]["__items__"])  # int keys, as [key, value] pairs
    assert set(state[0]) == {"step", "exp_avg", "exp_avg_sq"}
