"""Adadelta, Rprop and ASGD: the published rules written out here, PyTorch's optimizers,
convergence on a convex quadratic, and state_dicts that resume bit-identically."""

import json
import tracemalloc

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

SHAPE = (3, 4)


# ----- the rules, written out element by element ---------------------------------------------
def adadelta_reference(w, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    w, v, u, path = w.copy(), np.zeros_like(w), np.zeros_like(w), []
    for g in grads:
        d = (-g if maximize else g) + weight_decay * w
        v = rho * v + (1 - rho) * d**2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * d
        u = rho * u + (1 - rho) * delta**2
        w = w - lr * delta
        path.append(w.copy())
    return path


def rprop_reference(w, grads, lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    w, path = w.copy(), []
    prev, size = np.zeros(w.size), np.full(w.size, lr)
    for g in grads:
        d = (-g if maximize else g).ravel().copy()
        flat = w.ravel().copy()
        for k in range(w.size):
            if d[k] * prev[k] > 0:
                size[k] = min(size[k] * etas[1], step_sizes[1])
            elif d[k] * prev[k] < 0:
                size[k] = max(size[k] * etas[0], step_sizes[0])
                d[k] = 0.0
            flat[k] -= np.sign(d[k]) * size[k]
        prev, w = d, flat.reshape(w.shape)
        path.append(w.copy())
    return path


def asgd_reference(
    w, grads, lr=0.01, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False
):
    w, ax, path = w.copy(), np.zeros_like(w), []
    for t, g in enumerate(grads, start=1):
        eta = lr / (1 + lambd * lr * (t - 1)) ** alpha  # the rate set after step t - 1
        mu = 1 / max(1, t - 1 - t0)
        d = (-g if maximize else g) + weight_decay * w
        w = w * (1 - lambd * eta) - eta * d
        ax = ax + mu * (w - ax)
        path.append((w.copy(), ax.copy()))
    return path


REFERENCES = {"Adadelta": adadelta_reference, "Rprop": rprop_reference, "ASGD": asgd_reference}
CASES = {
    "adadelta": ("Adadelta", {}),
    "adadelta-decay-max": (
        "Adadelta",
        dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True),
    ),
    "rprop": ("Rprop", {}),
    "rprop-max-clip": (
        "Rprop",
        dict(lr=0.3, etas=(0.3, 1.5), step_sizes=(0.05, 0.5), maximize=True),
    ),
    "asgd": ("ASGD", dict(lr=0.1, lambd=0.05)),
    "asgd-avg-decay-max": (
        "ASGD",
        dict(lr=0.2, lambd=0.01, alpha=0.5, t0=3, weight_decay=0.1, maximize=True),
    ),
}


def problem(seed=0):
    """A start and ten gradients whose signs flip now and then (Rprop's every branch)."""
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(SHAPE)
    base = rng.standard_normal(SHAPE)
    grads = [
        base * rng.choice([1.0, 1.0, -1.0], SHAPE) + 0.1 * rng.standard_normal(SHAPE)
        for _ in range(10)
    ]
    grads[3][0, 0] = 0.0  # a zero gradient: neither grow nor shrink
    return w0, grads


def chainrule_path(name, kwargs, w0, grads):
    p = cr.tensor(w0.copy(), requires_grad=True)
    opt = getattr(optim, name)([p], **kwargs)
    path = []
    for g in grads:
        p.grad = g.copy()
        opt.step()
        path.append((p.data.copy(), opt.state[0]["ax"].copy()) if name == "ASGD" else p.data.copy())
    return path


@pytest.mark.parametrize("case", CASES)
def test_the_first_ten_steps_are_the_published_rule(case):
    name, kwargs = CASES[case]
    w0, grads = problem()
    ours = chainrule_path(name, kwargs, w0, grads)
    theirs = REFERENCES[name](w0, grads, **kwargs)
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=0, atol=1e-12)


def test_rprops_sign_flip_shrinks_the_step_and_skips_the_move():
    p = cr.tensor(np.array([1.0, 1.0]), requires_grad=True)
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0))
    for g in ([1.0, 1.0], [1.0, -1.0], [1.0, -1.0]):
        p.grad = np.array(g)
        opt.step()
    # first: both move 0.1; second: the first grows to 0.2, the second flips (size 0.05,
    # no move); third: the first grows to 0.4, the second starts afresh (0.05)
    np.testing.assert_allclose(p.data, [1 - 0.1 - 0.2 - 0.4, 1 - 0.1 + 0.05], rtol=0, atol=1e-15)
    np.testing.assert_allclose(opt.state[0]["step_size"], [0.4, 0.05], rtol=0, atol=1e-15)


def test_asgds_average_starts_after_t0():
    p = cr.tensor(np.array([0.0]), requires_grad=True)
    opt = optim.ASGD([p], lr=1.0, lambd=0.0, t0=2)
    seen = []
    for _ in range(6):
        p.grad = np.array([-1.0])  # w = 1, 2, 3, ...
        opt.step()
        seen.append(opt.state[0]["ax"][0])
    # μ = 1 / max(1, t - 1 - t0) is 1 up to step t0 + 2 = 4, where ā copies W; then ā
    # averages the weights from step 4 on: (4 + 5) / 2, (4 + 5 + 6) / 3
    np.testing.assert_allclose(seen, [1, 2, 3, 4, 4.5, 5], rtol=0, atol=1e-15)


# ----- PyTorch --------------------------------------------------------------------------------
@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # ASGD's eta and mu are float32 otherwise
    yield torch
    torch.set_default_dtype(before)


@pytest.mark.parametrize("case", CASES)
def test_ten_steps_match_torch_optim(torch64, case):
    name, kwargs = CASES[case]
    w0, grads = problem(1)
    weights = [w0.copy(), w0[0].copy()]  # two groups, the second at its own rate
    ours = [cr.tensor(w, requires_grad=True) for w in weights]
    theirs = [torch64.tensor(w, requires_grad=True) for w in weights]
    groups = lambda ps: [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}]  # noqa: E731
    opt = getattr(optim, name)(groups(ours), **kwargs)
    ref = getattr(torch64.optim, name)(groups(theirs), foreach=False, **kwargs)
    for g in grads:
        for p, q, gg in zip(ours, theirs, [g, g[0]]):
            p.grad, q.grad = gg.copy(), torch64.tensor(gg)
        opt.step()
        ref.step()
        for i, (p, q) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-10)
            for key, value in opt.state[i].items():
                np.testing.assert_allclose(
                    value, np.asarray(ref.state[q][key]), rtol=0, atol=1e-10, err_msg=key
                )


# ----- convergence ----------------------------------------------------------------------------
A = np.array([1.0, 3.0, 10.0])  # f(w) = ½ Σ aₖ (wₖ − cₖ)², minimum at c
C = np.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize(
    ("make", "steps"),
    [
        (lambda ps: optim.Adadelta(ps), 3000),
        (lambda ps: optim.Rprop(ps, lr=0.1), 200),
        (lambda ps: optim.ASGD(ps, lr=0.05, t0=100), 1000),
    ],
    ids=["adadelta", "rprop", "asgd"],
)
def test_each_drives_a_convex_quadratic_to_its_minimum(make, steps):
    p = cr.tensor(np.zeros(3), requires_grad=True)
    opt = make([p])
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * (cr.tensor(A) * (p - cr.tensor(C)) ** 2).sum()).backward()
        opt.step()
    np.testing.assert_allclose(p.data, C, atol=1e-3)
    if isinstance(opt, optim.ASGD):  # the average of the weights after t0 converges too
        np.testing.assert_allclose(opt.state[0]["ax"], C, atol=1e-3)


# ----- state_dict -----------------------------------------------------------------------------
STATEFUL = {
    "Adadelta": lambda ps: optim.Adadelta(ps, lr=0.5, weight_decay=0.01),
    "Rprop": lambda ps: optim.Rprop(ps, lr=0.05, maximize=True),
    "ASGD": lambda ps: optim.ASGD(ps, lr=0.1, lambd=0.01, t0=4, weight_decay=0.01),
}


def fresh():
    rng = np.random.default_rng(7)
    return [cr.tensor(rng.standard_normal(s), requires_grad=True) for s in [(4, 3), (3,)]]


def run(opt, params, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for p in params:
            p.grad = rng.standard_normal(p.shape).astype(p.data.dtype)
        opt.step()


def through_json(state_dict):
    arrays, meta = optim.flatten_state_dict(state_dict)
    arrays = {k: np.array(v) for k, v in arrays.items()}
    return optim.unflatten_state_dict(arrays, json.loads(json.dumps(meta)))


@pytest.mark.parametrize("transport", [lambda sd: sd, through_json], ids=["dict", "json"])
@pytest.mark.parametrize("name", STATEFUL)
def test_stepping_after_a_load_is_bit_identical_to_never_stopping(name, transport):
    straight = fresh()
    opt = STATEFUL[name](straight)
    run(opt, straight, 6, seed=1)
    saved = transport(opt.state_dict())
    run(opt, straight, 6, seed=2)

    resumed = fresh()
    run(STATEFUL[name](resumed), resumed, 6, seed=1)  # the same weights at the save
    again = STATEFUL[name](resumed)
    again.load_state_dict(saved)
    run(again, resumed, 6, seed=2)
    for p, q in zip(straight, resumed):
        assert np.array_equal(p.data, q.data)
    for i, entry in opt.state.items():
        for key, value in entry.items():
            assert np.array_equal(value, again.state[i][key]), key


def test_asgds_eta_and_mu_are_floats_and_a_bad_one_is_refused():
    params = fresh()
    opt = optim.ASGD(params, lr=0.1, t0=1)
    run(opt, params, 3, seed=0)
    state = opt.state_dict()
    assert type(state["state"][0]["eta"]) is float
    assert type(state["state"][0]["mu"]) is float
    state["state"][0]["mu"] = float("nan")
    with pytest.raises(ValueError, match="'mu' must be a finite number"):
        optim.ASGD(fresh(), lr=0.1, t0=1).load_state_dict(state)


# ----- arguments ------------------------------------------------------------------------------
BAD = [
    (optim.Adadelta, dict(lr=-1.0), "lr"),
    (optim.Adadelta, dict(rho=1.5), "rho"),
    (optim.Adadelta, dict(eps=-1e-6), "eps"),
    (optim.Adadelta, dict(weight_decay=-0.1), "weight_decay"),
    (optim.Rprop, dict(lr=-0.1), "lr"),
    (optim.Rprop, dict(etas=(1.2, 0.5)), "etas"),
    (optim.Rprop, dict(etas=(0.5, 1.0)), "etas"),
    (optim.Rprop, dict(etas=0.5), "etas"),
    (optim.Rprop, dict(step_sizes=(1.0, 0.1)), "step_sizes"),
    (optim.Rprop, dict(step_sizes=(-1.0, 1.0)), "step_sizes"),
    (optim.ASGD, dict(lr=-0.1), "lr"),
    (optim.ASGD, dict(lambd=-1e-4), "lambd"),
    (optim.ASGD, dict(alpha=-0.5), "alpha"),
    (optim.ASGD, dict(t0=float("inf")), "t0"),
    (optim.ASGD, dict(weight_decay=-0.1), "weight_decay"),
    (optim.ASGD, dict(maximize=1), "maximize"),
]


@pytest.mark.parametrize(("cls", "kwargs", "match"), BAD)
def test_bad_hyper_parameters_are_a_value_error_naming_them(cls, kwargs, match):
    with pytest.raises(ValueError, match=f"{cls.__name__}: {match}"):
        cls(fresh(), **kwargs)


@pytest.mark.parametrize("cls", [optim.Adadelta, optim.Rprop, optim.ASGD])
@pytest.mark.parametrize("switch", ["foreach", "capturable", "differentiable"])
def test_pytorchs_implementation_switches_are_a_type_error(cls, switch):
    with pytest.raises(TypeError, match=f"{switch} choose among PyTorch's implementations"):
        cls(fresh(), **{switch: False})


def test_defaults_and_positional_order_are_pytorchs():
    assert optim.Adadelta(fresh()).defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0)
    assert optim.Rprop(fresh()).defaults == dict(lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0))
    assert optim.ASGD(fresh()).defaults == dict(
        lr=0.01, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0
    )
    assert optim.Adadelta(fresh(), 0.5, 0.8, 1e-5, 0.1).defaults["weight_decay"] == 0.1
    assert optim.Rprop(fresh(), 0.5, (0.4, 1.3), (0.0, 1.0)).defaults["step_sizes"] == (0.0, 1.0)
    assert optim.ASGD(fresh(), 0.5, 1e-3, 0.5, 10, 0.1).defaults["t0"] == 10.0
    assert optim.ASGD(fresh(), maximize=True).param_groups[0]["maximize"] is True


def test_a_group_takes_its_own_hyper_parameters():
    a, b = fresh()
    opt = optim.Rprop([{"params": [a]}, {"params": [b], "etas": (0.2, 2.0)}], lr=0.1)
    assert opt.param_groups[0]["etas"] == (0.5, 1.2)
    assert opt.param_groups[1]["etas"] == (0.2, 2.0)
    with pytest.raises(ValueError, match="etas"):
        opt.add_param_group(
            {"params": [cr.tensor(np.zeros(2), requires_grad=True)], "etas": (2.0, 3.0)}
        )


@pytest.mark.parametrize("name", STATEFUL)
def test_float32_parameters_and_state_stay_float32(name):
    params = [cr.tensor(np.ones((3, 2), np.float32), requires_grad=True)]
    opt = STATEFUL[name](params)
    run(opt, params, 4, seed=0)
    assert params[0].data.dtype == np.float32
    for key, value in opt.state[0].items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, key


@pytest.mark.parametrize("name", STATEFUL)
def test_warm_steps_allocate_nothing_parameter_sized(name):
    rng = np.random.default_rng(0)
    params = [cr.tensor(rng.standard_normal(100_000), requires_grad=True)]
    params[0].grad = rng.standard_normal(100_000)
    opt = STATEFUL[name](params)
    for _ in range(3):
        opt.step()
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < params[0].data.nbytes // 10, f"peak {peak} bytes during step()"
