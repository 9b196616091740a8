"""LBFGS: minima found on a quadratic and on Rosenbrock's function, PyTorch's iterates and
losses step by step, a state_dict that resumes exactly, and the checks of its arguments."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

C1 = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
C2 = np.array([1.0, -2.0, 0.5, 3.0])


def smooth_loss(p1, p2, tensor=cr.tensor):
    """A non-quadratic, well-conditioned loss of two parameters of different shapes,
    written with operators that chainrule's and PyTorch's tensors share."""
    c1, c2 = tensor(C1), tensor(C2)
    quartic = 0.1 * (p1**4).sum() + 0.05 * (p2**4).sum()
    quadratic = ((p1 - c1) ** 2).sum() + 2 * ((p2 - c2) ** 2).sum()
    return quartic + quadratic + 0.3 * p1.sum() * p2.sum()


def starts(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(2, 3)), rng.normal(size=4)


def chainrule_run(kw, steps, seed=0):
    """The parameters after each step, the losses step returned, the closure's counts."""
    params = [cr.tensor(a, requires_grad=True) for a in starts(seed)]
    opt = optim.LBFGS(params, **kw)
    return run(opt, params, steps)


def run(opt, params, steps):
    def closure():
        opt.zero_grad()
        loss = smooth_loss(*params)
        loss.backward()
        return loss

    path, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        path.append([p.data.copy() for p in params])
    return path, losses, (opt.state[0]["func_evals"], opt.state[0]["n_iter"])


def torch_run(torch, kw, steps, seed=0):
    params = [torch.tensor(a, requires_grad=True) for a in starts(seed)]
    opt = torch.optim.LBFGS(params, **kw)

    def closure():
        opt.zero_grad()
        loss = smooth_loss(*params, tensor=torch.tensor)
        loss.backward()
        return loss

    path, losses = [], []
    for _ in range(steps):
        losses.append(opt.step(closure).item())
        path.append([p.detach().numpy().copy() for p in params])
    state = opt.state[params[0]]
    return path, losses, (state["func_evals"], state["n_iter"])


# ----- minima ---------------------------------------------------------------------------------
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_minimises_a_convex_quadratic_to_the_solution_of_ax_b(line_search_fn):
    rng = np.random.default_rng(1)
    m = rng.normal(size=(5, 5))
    a, b = m @ m.T + np.eye(5), rng.normal(size=5)
    x = cr.tensor(np.zeros(5), requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn=line_search_fn, tolerance_grad=1e-12, tolerance_change=0)
    a_t, b_t = cr.tensor(a), cr.tensor(b)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x * (a_t @ x)).sum() - (b_t * x).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.data, np.linalg.solve(a, b), atol=1e-9)


def test_minimises_rosenbrock_with_the_strong_wolfe_line_search():
    xy = cr.tensor(np.array([-1.5, 2.0]), requires_grad=True)
    opt = optim.LBFGS(
        [xy], line_search_fn="strong_wolfe", max_iter=100, tolerance_grad=1e-12, tolerance_change=0
    )

    def closure():
        opt.zero_grad()
        loss = (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(4):
        opt.step(closure)
    np.testing.assert_allclose(xy.data, [1.0, 1.0], atol=1e-8)


# ----- PyTorch's iterates ---------------------------------------------------------------------
SETTINGS = [
    {},
    {"history_size": 2, "max_iter": 5},
    {"history_size": 1, "max_iter": 4, "lr": 0.5},
    {"max_iter": 3, "max_eval": 4, "lr": 0.3},
    {"max_iter": 1, "lr": 0.1},  # max_eval 1: the line search has one probe
    {"max_iter": 2, "lr": 0.05, "tolerance_change": 1e-5},
]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("settings", SETTINGS)
def test_steps_match_pytorch(settings, line_search_fn):
    torch = pytest.importorskip("torch")
    kw = {**settings, "line_search_fn": line_search_fn}
    for seed in (0, 1):
        ours, losses, counts = chainrule_run(kw, steps=5, seed=seed)
        theirs, torch_losses, torch_counts = torch_run(torch, kw, steps=5, seed=seed)
        for step, (mine, expected) in enumerate(zip(ours, theirs)):
            for p, q in zip(mine, expected):
                np.testing.assert_allclose(p, q, rtol=0, atol=1e-10, err_msg=f"step {step}")
        np.testing.assert_allclose(losses, torch_losses, rtol=1e-12, atol=0)
        assert counts == torch_counts


def rosenbrock(xy):
    return (1 - xy[0]) ** 2 + 100 * (xy[1] - xy[0] ** 2) ** 2


def wavy(xy):
    """A bowl with ripples: a far first try makes the line search zoom and safeguard."""
    return (xy**2).sum() + 2 * (3 * xy).sin().sum()


def path_2d(lib, fn, start, kw, steps=4):
    """The points and losses of `steps` steps on ``fn`` of two variables, and the counts."""
    xy = lib.tensor(np.array(start), requires_grad=True)  # float64
    opt = lib.optim.LBFGS([xy], **kw)

    def closure():
        opt.zero_grad()
        loss = fn(xy)
        loss.backward()
        return loss

    path = [(np.array(xy.tolist()), opt.step(closure).item()) for _ in range(steps)]
    state = opt.state[0] if lib is cr else opt.state[xy]
    return path, (state["func_evals"], state["n_iter"])


@pytest.mark.parametrize(
    ("fn", "start", "kw"),
    [
        (rosenbrock, [-1.2, 1.0], {"line_search_fn": "strong_wolfe", "max_iter": 5}),
        (rosenbrock, [-1.2, 1.0], {"line_search_fn": "strong_wolfe", "tolerance_change": 0}),
        (rosenbrock, [2.0, -1.0], {"line_search_fn": "strong_wolfe", "max_iter": 5}),
        (rosenbrock, [-1.2, 1.0], {"max_iter": 4, "lr": 0.2}),
        (wavy, [2.0, -1.0], {"line_search_fn": "strong_wolfe", "lr": 100}),
        (wavy, [0.5, 3.0], {"line_search_fn": "strong_wolfe", "lr": 100, "tolerance_change": 1e-3}),
    ],
)
def test_steps_on_two_variables_match_pytorch(fn, start, kw):
    torch = pytest.importorskip("torch")
    theirs, torch_counts = path_2d(torch, fn, start, kw)
    ours, counts = path_2d(cr, fn, start, kw)
    for (xy, loss), (expected_xy, expected_loss) in zip(ours, theirs):
        np.testing.assert_allclose(xy, expected_xy, rtol=0, atol=1e-10)
        assert loss == pytest.approx(expected_loss, rel=0, abs=1e-10)
    assert counts == torch_counts


def test_step_returns_the_loss_before_it_moves():
    params = [cr.tensor(a, requires_grad=True) for a in starts()]
    opt = optim.LBFGS(params)
    expected = float(smooth_loss(*[cr.tensor(a) for a in starts()]))
    loss = opt.step(lambda: _backward(opt, params))
    assert float(loss) == expected
    assert float(smooth_loss(*params)) < expected


def _backward(opt, params):
    opt.zero_grad()
    loss = smooth_loss(*params)
    loss.backward()
    return loss


# ----- state_dict ----------------------------------------------------------------------------
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_resumes_exactly(line_search_fn):
    kw = {"history_size": 3, "max_iter": 4, "line_search_fn": line_search_fn}
    straight, _, counts = chainrule_run(kw, steps=6)
    params = [cr.tensor(a, requires_grad=True) for a in starts()]
    first = optim.LBFGS(params, **kw)
    run(first, params, steps=3)
    arrays, meta = optim.flatten_state_dict(first.state_dict())
    saved = optim.unflatten_state_dict(arrays, json.loads(json.dumps(meta)))
    assert saved["state"][0]["old_dirs"].shape == (3, 10)
    resumed_params = [cr.tensor(p.data.copy(), requires_grad=True) for p in params]
    second = optim.LBFGS(resumed_params, **kw)
    second.load_state_dict(saved)
    rest, _, resumed_counts = run(second, resumed_params, steps=3)
    for mine, expected in zip(rest, straight[3:]):
        for p, q in zip(mine, expected):
            np.testing.assert_array_equal(p, q)
    assert resumed_counts == counts


def test_state_dict_is_a_snapshot_and_a_bad_one_is_refused():
    params = [cr.tensor(a, requires_grad=True) for a in starts()]
    opt = optim.LBFGS(params, history_size=2)
    run(opt, params, steps=1)
    saved = opt.state_dict()
    before = saved["state"][0]["d"].copy()
    run(opt, params, steps=1)
    np.testing.assert_array_equal(saved["state"][0]["d"], before)
    saved["state"][0]["d"] = np.zeros(3)
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(saved)


# ----- arguments -----------------------------------------------------------------------------
def test_defaults_are_pytorch_s():
    opt = optim.LBFGS([cr.tensor(np.zeros(2), requires_grad=True)], max_iter=8)
    assert opt.defaults == {
        "lr": 1.0,
        "max_iter": 8,
        "max_eval": 10,
        "tolerance_grad": 1e-7,
        "tolerance_change": 1e-9,
        "history_size": 100,
        "line_search_fn": None,
    }


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"lr": -1.0}, "lr must be >= 0"),
        ({"history_size": 0}, "history_size must be an integer >= 1"),
        ({"max_iter": 0}, "max_iter must be an integer >= 1"),
        ({"line_search_fn": "armijo"}, "line_search_fn must be None or 'strong_wolfe'"),
        ({"tolerance_grad": -1e-7}, "tolerance_grad must be >= 0"),
    ],
)
def test_bad_hyper_parameters_are_refused(kw, message):
    with pytest.raises(ValueError, match=f"LBFGS: {message}"):
        optim.LBFGS([cr.tensor(np.zeros(2), requires_grad=True)], **kw)


def test_step_without_a_closure_says_why():
    opt = optim.LBFGS([cr.tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(TypeError, match=r"LBFGS\.step needs a closure: each step evaluates"):
        opt.step()


def test_several_parameter_groups_are_refused():
    a, b = (cr.tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="LBFGS: takes one parameter group"):
        optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match="LBFGS: takes one parameter group"):
        opt.add_param_group({"params": [b]})
