"""Adadelta, Rprop and ASGD with the newer schedules, as a user mixes them: groups of their
own hyper-parameters, parameters without gradients, zero gradients, maximize, a group added
after some steps, a state_dict loaded into a fresh optimizer mid-run and ReduceLROnPlateau,
against PyTorch's optimizers; runs resumed from a state_dict or a checkpoint against the
uninterrupted ones, bit for bit; and the chained and sequential rates worked by hand."""

import json
import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim


def group_settings(name: str, rng) -> dict:
    """Random hyper-parameters of one group, within the ranges PyTorch and chainrule share."""
    if name == "Adadelta":
        return dict(
            lr=rng.uniform(0.1, 2),
            rho=rng.uniform(0, 1),
            eps=10 ** rng.uniform(-8, -2),
            weight_decay=rng.choice([0.0, 0.1]),
        )
    if name == "Rprop":
        return dict(
            lr=rng.uniform(0.001, 0.5),
            etas=(rng.uniform(0.1, 0.9), rng.uniform(1.1, 2)),
            step_sizes=(rng.uniform(0, 0.01), rng.uniform(0.1, 1)),
        )
    return dict(
        lr=rng.uniform(0.01, 0.5),
        lambd=rng.uniform(0, 0.1),
        alpha=rng.uniform(0, 0.99),
        t0=float(rng.integers(0, 6)),
        weight_decay=rng.choice([0.0, 0.1]),
    )


def random_grad(rng, shape, dtype):
    """None now and then, else a gradient that is all zeros now and then."""
    r = rng.random()
    if r < 0.15:
        return None
    return np.asarray(rng.standard_normal(shape) * (r > 0.3), dtype=dtype)


def fresh(name, params, settings, maximize):
    """A chainrule optimizer with one group per parameter."""
    return getattr(optim, name)(
        [{"params": [p], **s} for p, s in zip(params, settings)], maximize=maximize
    )


@pytest.fixture
def torch64():
    """PyTorch, with float64 as its default dtype for the test."""
    torch = pytest.importorskip("torch")
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # ASGD's eta and mu are float32 otherwise
    yield torch
    torch.set_default_dtype(before)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["Adadelta", "Rprop", "ASGD"])
@pytest.mark.parametrize("seed", range(6))
def test_a_mixed_run_matches_torch(torch64, name, dtype, seed):
    torch = torch64
    rng = np.random.default_rng(seed)
    shapes = [(3, 2), (), (4,)]
    ws = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in shapes]
    settings = [{k: _plain(v) for k, v in group_settings(name, rng).items()} for _ in ws]
    maximize = bool(seed % 2)
    ours = [cr.tensor(w.copy(), requires_grad=True) for w in ws]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in ws]
    opt = fresh(name, ours[:2], settings, maximize)
    ref = getattr(torch.optim, name)(
        [{"params": [p], **s} for p, s in zip(theirs[:2], settings)], maximize=maximize
    )
    plateau = ref_plateau = None
    for step in range(15):
        if step == 5:  # a group added after some steps, then a plateau schedule
            opt.add_param_group({"params": [ours[2]], **settings[2]})
            ref.add_param_group({"params": [theirs[2]], **settings[2]})
            plateau = optim.ReduceLROnPlateau(opt, factor=0.5, patience=0)
            ref_plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(ref, factor=0.5, patience=0)
        for p, t in zip(ours, theirs):
            g = random_grad(rng, p.shape, dtype)
            p.grad, t.grad = g, None if g is None else torch.tensor(g)
        opt.step()
        ref.step()
        if plateau is not None:
            metric = float(rng.random())
            plateau.step(metric)
            ref_plateau.step(metric)
        if step == 9:  # on in a fresh optimizer from the state_dict, through JSON
            opt, plateau, ours = reloaded(name, opt, plateau, ours, settings, maximize)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for p, t in zip(ours, theirs):
        assert p.data.dtype == dtype
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=tol, atol=tol)
    if name == "ASGD":  # the averaged weights too
        for i, t in enumerate(theirs):
            np.testing.assert_allclose(opt.state[i]["ax"], ref.state[t]["ax"], rtol=tol, atol=tol)


def _plain(v):
    """A NumPy scalar or a pair of them as Python floats (PyTorch's groups take those)."""
    return tuple(float(x) for x in v) if isinstance(v, tuple) else float(v)


def reloaded(name, opt, plateau, params, settings, maximize):
    """A fresh optimizer, plateau schedule and parameters, loaded from ``opt``'s and
    ``plateau``'s state_dicts saved as arrays and JSON."""
    arrays, meta = optim.flatten_state_dict(opt.state_dict())
    state = optim.unflatten_state_dict(arrays, json.loads(json.dumps(meta)))
    again = [cr.tensor(p.data.copy(), requires_grad=True) for p in params]
    new = fresh(name, again[:2], settings, maximize)
    new.add_param_group({"params": [again[2]], **settings[2]})
    new.load_state_dict(state)
    new_plateau = optim.ReduceLROnPlateau(new, factor=0.5, patience=0)
    new_plateau.load_state_dict(json.loads(json.dumps(plateau.state_dict())))
    return new, new_plateau, again


# ----- resuming with a schedule -------------------------------------------------------------
OPTIMIZERS = {
    "Adadelta": lambda ps: optim.Adadelta(ps, lr=0.5, weight_decay=0.01),
    "Rprop": lambda ps: optim.Rprop(ps, lr=0.05),
    "ASGD": lambda ps: optim.ASGD(ps, lr=0.05, lambd=0.01, t0=3),
}
SCHEDULES = {
    "chained": lambda o: optim.ChainedScheduler(
        [optim.ConstantLR(o, 0.5, 3), optim.PolynomialLR(o, 10, 2.0)]
    ),
    "warm-restarts": lambda o: optim.CosineAnnealingWarmRestarts(o, 2, T_mult=2, eta_min=0.001),
    "multiplicative": lambda o: optim.MultiplicativeLR(o, lambda e: 0.9 if e % 2 else 1.05),
    "cyclic": lambda o: optim.CyclicLR(o, 0.001, 0.05, 3, cycle_momentum=False),
    "sequential": lambda o: optim.SequentialLR(
        o, [optim.ConstantLR(o, 0.2, 10), optim.PolynomialLR(o, 8)], [4]
    ),
}


def train(opt, sched, params, grads):
    """One optimizer step and one schedule step for each of ``grads``."""
    for g in grads:
        for p, gp in zip(params, g):
            p.grad = gp.copy()
        opt.step()
        sched.step()


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_run_resumed_from_state_dicts_is_bit_identical(name, schedule):
    rng = np.random.default_rng(3)
    w0 = [rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(4)]
    grads = [[rng.standard_normal(w.shape).astype(w.dtype) for w in w0] for _ in range(16)]

    def start():
        """Fresh parameters, optimizer (two groups) and schedule."""
        ps = [cr.tensor(w.copy(), requires_grad=True) for w in w0]
        opt = OPTIMIZERS[name]([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.02}])
        return ps, opt, SCHEDULES[schedule](opt)

    ps, opt, sched = start()
    train(opt, sched, ps, grads)

    half, opt_half, sched_half = start()
    train(opt_half, sched_half, half, grads[:7])
    arrays, meta = optim.flatten_state_dict(opt_half.state_dict())
    saved = (arrays, json.dumps(meta), json.dumps(sched_half.state_dict()))
    again, opt_again, sched_again = start()
    for p, q in zip(half, again):
        q.data[...] = p.data
    opt_again.load_state_dict(optim.unflatten_state_dict(saved[0], json.loads(saved[1])))
    sched_again.load_state_dict(json.loads(saved[2]))
    sched_again._set_rates()  # as the fit callback resumes a schedule
    train(opt_again, sched_again, again, grads[7:])
    for p, q in zip(ps, again):
        np.testing.assert_array_equal(q.data, p.data)
    assert opt_again.param_groups[1]["lr"] == opt.param_groups[1]["lr"]


@pytest.mark.parametrize(
    ("name", "schedule", "interval"),
    [
        ("Adadelta", "chained", "epoch"),
        ("ASGD", "warm-restarts", "epoch"),
        ("Rprop", "cyclic", "batch"),
    ],
)
def test_fit_resumed_from_a_checkpoint_is_bit_identical(tmp_path, name, schedule, interval):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 3, 40)

    def run(epochs, resume=None):
        """Fit for ``epochs``, checkpointing each epoch; from a checkpoint if given."""
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        opt = OPTIMIZERS[name](model.parameters())
        state = None if resume is None else cr.load(resume, model, opt)
        callbacks = [
            cr.callbacks.LearningRateScheduler(SCHEDULES[schedule](opt), interval=interval),
            cr.callbacks.ModelCheckpoint(tmp_path / f"run-{epochs}.safetensors"),
        ]
        history = cr.fit(
            model, nn.SoftmaxCrossEntropy(), opt, (X, Y), epochs, batch_size=8, seed=2,
            callbacks=callbacks, resume_from=state, progress=False,
        )  # fmt: skip
        return model, history.history

    model, history = run(4)
    run(2)
    again, again_history = run(4, resume=tmp_path / "run-2.safetensors")
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    assert again_history == history


# ----- rates worked by hand -----------------------------------------------------------------
def test_a_chain_with_warm_restarts_is_the_product_of_the_closed_forms():
    p = cr.tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = optim.ChainedScheduler(
        [optim.CosineAnnealingWarmRestarts(opt, T_0=4), optim.ExponentialLR(opt, gamma=0.9)]
    )
    got = []
    for _ in range(12):
        got.append(opt.param_groups[0]["lr"])
        sched.step()
    cosine = [(1 + math.cos(math.pi * (e % 4) / 4)) / 2 for e in range(12)]
    want = [0.1 * c * 0.9**e for e, c in enumerate(cosine)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


def test_a_multiplicative_schedule_after_a_milestone_starts_from_eta0():
    p = cr.tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    warm = optim.ConstantLR(opt, factor=0.1, total_iters=2)
    decay = optim.MultiplicativeLR(opt, lambda e: 0.5 + 0.1 * e)
    sched = optim.SequentialLR(opt, [warm, decay], milestones=[4])
    got = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(8):
            got.append(opt.param_groups[0]["lr"])
            sched.step()
    # 0.1·0.1 for two epochs, 0.1 to the milestone, then 0.1·λ(1)·…·λ(e − 4)
    want = [0.01, 0.01, 0.1, 0.1, 0.1, 0.1 * 0.6, 0.1 * 0.6 * 0.7, 0.1 * 0.6 * 0.7 * 0.8]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
