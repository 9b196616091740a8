"""What a correct `save` and `load` give back: models, optimizers, training state, fit."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule._callback_calls import callback_states

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 4)).astype(np.float32)
Y = RNG.integers(0, 3, 40)


class Net(nn.Module):
    """Children in an attribute, a list and a dict, a buffer, a tied layer, a bare weight."""

    def __init__(self):
        self.body = nn.Sequential(nn.Sequential(nn.Linear(4, 5), nn.ReLU()), nn.BatchNorm1d(5))
        self.heads = [nn.Linear(5, 2), nn.Linear(5, 3)]
        self.blocks = {"a": nn.Linear(5, 5), "drop": nn.Dropout(0.5)}
        self.scale = nn.Parameter(np.ones(1, dtype=cr.get_default_dtype()))
        self.tied = self.heads[0]

    def forward(self, x):
        h = self.blocks["drop"](self.blocks["a"](self.body(x)))
        return self.tied(h).sum() + self.heads[1](h).sum() * self.scale


def net(seed: int, dtype: str = "float32") -> Net:
    previous = cr.get_default_dtype()
    cr.set_default_dtype(dtype)
    try:
        cr.manual_seed(seed)
        return Net()
    finally:
        cr.set_default_dtype(previous)


def same_state(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(
        a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_nested_model_loads_bit_identically_into_a_fresh_one(tmp_path, dtype):
    model = net(0, dtype)
    model(cr.tensor(X.astype(dtype)))  # training mode: the running statistics move
    cr.save(tmp_path / "m.safetensors", model)
    fresh = net(1, dtype)
    assert not same_state(model.state_dict(), fresh.state_dict())
    assert cr.load(tmp_path / "m.safetensors", fresh) == {}
    assert same_state(model.state_dict(), fresh.state_dict())
    model.eval(), fresh.eval()
    x = cr.tensor(X.astype(dtype))
    assert model(x).data.tobytes() == fresh(x).data.tobytes()


def test_mode_and_requires_grad_are_not_in_the_file_as_in_pytorch(tmp_path):
    model = net(0).eval()
    model.heads[1].weight.requires_grad = False
    cr.save(tmp_path / "m.safetensors", model)
    fresh = net(1)
    cr.load(tmp_path / "m.safetensors", fresh)
    assert all(m.training for m in fresh.modules())
    assert fresh.heads[1].weight.requires_grad


def test_a_float64_checkpoint_loads_into_a_float32_model_in_its_dtype(tmp_path):
    cr.save(tmp_path / "m.safetensors", net(0, "float64"))
    fresh = net(1)
    cr.load(tmp_path / "m.safetensors", fresh)
    expected = {
        k: v.astype(np.float32) if v.dtype.kind == "f" else v  # the count of batches: int64
        for k, v in net(0, "float64").state_dict().items()
    }
    assert same_state(fresh.state_dict(), expected)


def test_a_model_without_parameters_round_trips(tmp_path):
    cr.save(tmp_path / "m.safetensors", nn.Sequential(nn.ReLU()), epoch=4)
    assert cr.load(tmp_path / "m.safetensors", nn.Sequential(nn.ReLU(), nn.Flatten())) == {
        "epoch": 4
    }


def test_the_file_is_safetensors_with_the_state_dict_names(tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy")
    model = net(0)
    cr.save(tmp_path / "m.safetensors", model)
    tensors = safetensors.load_file(tmp_path / "m.safetensors")
    assert sorted(tensors) == sorted("model/" + n for n in model.state_dict())
    assert same_state({n: tensors["model/" + n] for n in model.state_dict()}, model.state_dict())


def test_the_training_state_comes_back_as_documented(tmp_path):
    path = tmp_path / "m.safetensors"
    arr = np.arange(6, dtype=np.int16).reshape(2, 3)
    cr.save(
        path,
        net(0),
        epoch=3,
        cfg={"a": [1, {"b": None}]},
        arr=arr,
        s="x",
        t=(1, 2),
        keys={(1, 2): "pair"},
        scalar=np.float32(0.5),
        flag=np.bool_(True),
    )
    state = cr.load(path)
    assert state["arr"].dtype == np.int16
    assert np.array_equal(state["arr"], arr)
    del state["arr"]
    assert state == {
        "epoch": 3,
        "cfg": {"a": [1, {"b": None}]},
        "s": "x",
        "t": [1, 2],
        "keys": {(1, 2): "pair"},
        "scalar": 0.5,
        "flag": True,
    }
    assert type(state["scalar"]) is float


@pytest.mark.parametrize(
    ("value", "name"),
    [(np.datetime64("2020-01-01"), "date"), (np.complex64(1), "complex"), ({1}, "set")],
)
def test_a_numpy_scalar_that_is_no_number_is_refused_by_its_type(tmp_path, value, name):
    with pytest.raises(TypeError, match=f"cannot store a value of type {name}"):
        cr.save(tmp_path / "m.safetensors", net(0), x=value)
    assert not (tmp_path / "m.safetensors").exists()


# ----- optimizers ---------------------------------------------------------------------------
OPTIMIZERS = {
    "Adadelta": lambda g: optim.Adadelta(g, lr=1.0, weight_decay=1e-3),
    "ASGD": lambda g: optim.ASGD(g, lr=0.1, t0=3),
    "Rprop": lambda g: optim.Rprop(g, lr=0.05),
    "SGD": lambda g: optim.SGD(g, lr=0.1, momentum=0.9, weight_decay=1e-3),
    "Momentum": lambda g: optim.Momentum(g, lr=0.1),
    "Nesterov": lambda g: optim.Nesterov(g, lr=0.1),
    "AdaGrad": lambda g: optim.AdaGrad(g, lr=0.1),
    "RMSProp": lambda g: optim.RMSProp(g, lr=0.1, momentum=0.5),
    "Adam": lambda g: optim.Adam(g, lr=0.1),
    "AdamW": lambda g: optim.AdamW(g, lr=0.1, weight_decay=0.1),
    "Adamax": lambda g: optim.Adamax(g, lr=0.1),
    "NAdam": lambda g: optim.NAdam(g, lr=0.1, weight_decay=0.1, decoupled_weight_decay=True),
    "RAdam": lambda g: optim.RAdam(g, lr=0.1),
}
SCHEDULES = {
    "step": lambda o: optim.StepLR(o, 2, 0.5),
    "exponential": lambda o: optim.ExponentialLR(o, 0.9),
    "cosine": lambda o: optim.CosineAnnealingLR(o, 5),
}


def mlp():
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))


def groups(model):
    ps = list(model.parameters())
    return [{"params": ps[:2], "lr": 0.05}, {"params": ps[2:], "lr": 0.01}]


def train(model, opt, schedule, steps):
    for i in steps:
        model[2].weight.requires_grad = i % 3 != 1  # frozen in some steps: no grad, no step
        opt.zero_grad()
        nn.SoftmaxCrossEntropy()(model(cr.tensor(X)), Y).backward()
        opt.step()
        if i % 2:
            schedule.step()


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_optimizer_resumed_from_a_file_continues_bit_identically(tmp_path, name, schedule):
    model = mlp()
    opt = OPTIMIZERS[name](groups(model))
    sched = SCHEDULES[schedule](opt)
    train(model, opt, sched, range(5))
    cr.save(tmp_path / "c.safetensors", model, opt, schedule=sched.state_dict())
    train(model, opt, sched, range(5, 10))

    again = mlp()
    again_opt = OPTIMIZERS[name](groups(again))
    again_sched = SCHEDULES[schedule](again_opt)
    again_sched.load_state_dict(cr.load(tmp_path / "c.safetensors", again, again_opt)["schedule"])
    train(again, again_opt, again_sched, range(5, 10))
    assert same_state(model.state_dict(), again.state_dict())
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in again_opt.param_groups]


@pytest.mark.parametrize(("saved", "other"), [("Adam", "AdamW"), ("Momentum", "Nesterov")])
def test_a_state_of_the_same_form_loads_into_another_optimizer_class(tmp_path, saved, other):
    # as documented in load (and as in PyTorch): the file does not name the class
    model = mlp()
    opt = OPTIMIZERS[saved](model.parameters())
    train(model, opt, optim.StepLR(opt, 1), range(2))
    cr.save(tmp_path / "c.safetensors", model, opt)
    target = OPTIMIZERS[other](mlp().parameters())
    cr.load(tmp_path / "c.safetensors", None, target)
    assert target.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert list(target.state) == list(opt.state)


def test_the_state_of_an_optimizer_of_other_hyper_parameters_is_refused(tmp_path):
    model = mlp()
    opt = optim.Adam(model.parameters())
    train(model, opt, optim.StepLR(opt, 1), range(1))
    cr.save(tmp_path / "c.safetensors", model, opt)
    fresh = mlp()
    before = fresh.state_dict()
    with pytest.raises(cr.CheckpointError, match=r"hyper-parameters .* but SGD has"):
        cr.load(tmp_path / "c.safetensors", fresh, optim.SGD(fresh.parameters(), lr=0.1))
    assert same_state(fresh.state_dict(), before)


def test_an_optimizer_with_other_parameters_is_refused_and_names_the_counts(tmp_path):
    model = mlp()
    opt = optim.Adam(model.parameters())
    train(model, opt, optim.StepLR(opt, 1), range(1))
    cr.save(tmp_path / "c.safetensors", model, opt)
    fresh = mlp()
    with pytest.raises(cr.CheckpointError, match="3 parameters in the optimizer but 4"):
        cr.load(tmp_path / "c.safetensors", fresh, optim.Adam(list(fresh.parameters())[:3]))


# ----- fit ----------------------------------------------------------------------------------
def fit_setup():
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.BatchNorm1d(8), nn.Linear(8, 3)
    )
    return model, optim.Adam(model.parameters(), lr=0.05)


class SaveAtStep(cr.callbacks.Callback):
    """Writes a checkpoint in `ModelCheckpoint`'s form after one step, mid-epoch."""

    def __init__(self, step, path):
        self.step, self.path = step, path

    def on_batch_end(self, state):
        if state.step == self.step:
            cr.save(
                self.path,
                state.model,
                state.optimizer,
                position=state.resume_point(),
                history=asdict(state.history),
                rng=cr.default_generator().bit_generator.state,
                callbacks=callback_states(state.callbacks),
            )


def run(epochs, path, extra=(), resume=None):
    model, opt = fit_setup()
    resume_from = None if resume is None else cr.load(resume, model, opt)
    callbacks = [
        cr.callbacks.ModelCheckpoint(path, monitor="loss"),
        cr.callbacks.LearningRateScheduler(optim.StepLR(opt, 2, 0.5)),
        cr.callbacks.EarlyStopping("loss", patience=10),
        *extra,
    ]
    history = cr.fit(
        model,
        nn.SoftmaxCrossEntropy(),
        opt,
        (X, Y),
        epochs,
        batch_size=8,
        seed=3,
        val_data=(X[:10], Y[:10]),
        callbacks=callbacks,
        resume_from=resume_from,
    )
    return model, history


def test_fit_resumed_from_a_checkpoint_between_or_within_epochs_is_bit_identical(tmp_path):
    # 5 batches an epoch: step 13 is batch 3 of epoch 3, after the rate's first halving
    model, history = run(6, tmp_path / "full.safetensors", [SaveAtStep(13, tmp_path / "mid")])
    run(3, tmp_path / "e3.safetensors")
    for checkpoint in (tmp_path / "e3.safetensors", tmp_path / "mid"):
        again, again_history = run(6, tmp_path / "b.safetensors", resume=checkpoint)
        assert same_state(model.state_dict(), again.state_dict())
        assert again_history.history == history.history
    assert history.history["lr"] == [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]


# ----- against PyTorch ------------------------------------------------------------------------
def test_like_torch_a_state_round_trip_keeps_values_and_leaves_requires_grad(tmp_path):
    torch = pytest.importorskip("torch")
    t = torch.nn.Linear(4, 3).double()
    t.weight.requires_grad_(False)
    torch.save(t.state_dict(), tmp_path / "t.pt")
    t2 = torch.nn.Linear(4, 3).double()
    t2.load_state_dict(torch.load(tmp_path / "t.pt"))
    ours = nn.Linear(4, 3)
    ours.weight.data[...] = t.weight.detach().numpy().T
    ours.bias.data[...] = t.bias.detach().numpy()
    ours.weight.requires_grad = False
    cr.save(tmp_path / "o.safetensors", ours)
    ours2 = nn.Linear(4, 3)
    cr.load(tmp_path / "o.safetensors", ours2)
    assert ours2.weight.requires_grad == t2.weight.requires_grad  # both: the fresh model's
    assert ours2.weight.data.dtype == np.float32  # cast to the model's, as torch's copy_ does
    np.testing.assert_array_equal(
        ours2.weight.data.T, t2.weight.detach().numpy().astype(np.float32)
    )
