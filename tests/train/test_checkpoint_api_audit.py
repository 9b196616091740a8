"""The checkpoint API as a user meets it, each promise checked against an independent truth.

Resuming: a model and optimizer saved after k steps and loaded into fresh objects go on
exactly as the run that never stopped (every optimizer, every schedule, float32 and
float64, with a BatchNorm layer, a frozen layer, a shared layer and two parameter groups).
Refusals: another architecture, another parameter order, another optimizer, each named,
with nothing changed. Saving: a missing or read-only directory, a directory as the path,
with no temporary file left. The file: a plain safetensors file, checked by hand against
the format's specification and read with the ``safetensors`` library.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim

RNG = np.random.default_rng(7)
X = RNG.normal(size=(24, 4))
Y = RNG.integers(0, 3, 24)

OPTIMIZERS = {
    "Adadelta": lambda groups: optim.Adadelta(groups, lr=1.0, rho=0.8),
    "ASGD": lambda groups: optim.ASGD(groups, lr=0.05, t0=2, weight_decay=1e-3),
    "Rprop": lambda groups: optim.Rprop(groups, lr=0.05, etas=(0.4, 1.3)),
    "SGD": lambda groups: optim.SGD(groups, lr=0.05),
    "SGD-nesterov": lambda groups: optim.SGD(
        groups, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3
    ),
    "Momentum": lambda groups: optim.Momentum(groups, lr=0.05, weight_decay=1e-3),
    "Nesterov": lambda groups: optim.Nesterov(groups, lr=0.05),
    "AdaGrad": lambda groups: optim.AdaGrad(groups, lr=0.05, weight_decay=1e-3),
    "RMSProp": lambda groups: optim.RMSProp(groups, lr=0.01, momentum=0.5),
    "Adam": lambda groups: optim.Adam(groups, lr=0.01, betas=(0.8, 0.95), weight_decay=1e-3),
    "AdamW": lambda groups: optim.AdamW(groups, lr=0.01),
    "Adamax": lambda groups: optim.Adamax(groups, lr=0.01, weight_decay=1e-3),
    "NAdam": lambda groups: optim.NAdam(groups, lr=0.01),
    "RAdam": lambda groups: optim.RAdam(groups, lr=0.01, betas=(0.8, 0.95)),
}
SCHEDULES = {
    "none": None,
    "step": lambda opt: optim.StepLR(opt, 2, 0.5),
    "exponential": lambda opt: optim.ExponentialLR(opt, 0.9),
    "cosine": lambda opt: optim.CosineAnnealingLR(opt, 5, 1e-4),
}


class Net(nn.Module):
    """A BatchNorm layer (buffers), a frozen layer, a layer held under two names."""

    def __init__(self):
        self.first = nn.Linear(4, 6)
        self.norm = nn.BatchNorm1d(6)
        self.frozen = nn.Linear(6, 6)
        self.frozen.weight.requires_grad = False
        self.last = nn.Linear(6, 3)
        self.alias = self.first  # shared: one set of parameters, two names

    def forward(self, x):
        return self.last(self.frozen(self.norm(self.alias(x)).relu()))


def make_net(seed: int, dtype: str) -> Net:
    previous = cr.get_default_dtype()
    cr.set_default_dtype(dtype)
    try:
        cr.manual_seed(seed)
        return Net()
    finally:
        cr.set_default_dtype(previous)


def param_groups(model) -> list[dict]:
    params = list(model.parameters())
    return [{"params": params[:4], "lr": 0.02}, {"params": params[4:]}]


def train(model, opt, schedule, steps, dtype: str) -> None:
    for i in steps:
        opt.zero_grad()
        nn.SoftmaxCrossEntropy()(model(cr.tensor(X.astype(dtype))), Y).backward()
        opt.step()
        if schedule is not None and i % 2:
            schedule.step()


def same_arrays(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(
        a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a
    )


def same_optimizer(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    if sa["param_groups"] != sb["param_groups"] or sorted(sa["state"]) != sorted(sb["state"]):
        return False
    return all(same_entry(sa["state"][i], sb["state"][i]) for i in sa["state"])


def same_entry(a: dict, b: dict) -> bool:
    """One parameter's optimizer state: the same step count (and NAdam's mu_product, a
    float) and the same arrays."""
    arrays = [k for k in sorted(a) if isinstance(a[k], np.ndarray)]
    numbers = [k for k in sorted(a) if k not in arrays]
    return (
        all(a[k] == b[k] for k in numbers)
        and sorted(a) == sorted(b)
        and same_arrays({k: a[k] for k in arrays}, {k: b[k] for k in arrays})
    )


def adam_setup(seed: int = 0):
    model = make_net(seed, "float32")
    return model, optim.Adam(model.parameters(), lr=0.01)


def trained_checkpoint(path, steps: int = 3):
    model, opt = adam_setup()
    train(model, opt, None, range(steps), "float32")
    cr.save(path, model, opt, epoch=steps)
    return model, opt


# ----- resuming ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_loaded_into_fresh_objects_a_run_goes_on_as_if_never_stopped(
    tmp_path, name, schedule, dtype
):
    make_opt, make_schedule = OPTIMIZERS[name], SCHEDULES[schedule]
    model = make_net(0, dtype)
    opt = make_opt(param_groups(model))
    sched = make_schedule(opt) if make_schedule else None
    train(model, opt, sched, range(5), dtype)
    cr.save(tmp_path / "c", model, opt, schedule=sched.state_dict() if sched else None)
    train(model, opt, sched, range(5, 11), dtype)  # the uninterrupted run: the truth

    again = make_net(1, dtype)  # other initial weights: the file must replace them all
    again_opt = make_opt(param_groups(again))
    again_sched = make_schedule(again_opt) if make_schedule else None
    saved = cr.load(tmp_path / "c", again, again_opt)
    if again_sched is not None:
        again_sched.load_state_dict(saved["schedule"])
    train(again, again_opt, again_sched, range(5, 11), dtype)

    assert same_arrays(model.state_dict(), again.state_dict())
    assert same_optimizer(opt, again_opt)
    assert again.alias is again.first  # the shared layer is still one layer
    assert not again.frozen.weight.requires_grad  # not in the file: as the fresh model has it


@pytest.mark.parametrize("name", ["SGD-nesterov", "RMSProp", "Adam", "AdamW", "NAdam"])
def test_fit_resumed_from_a_model_checkpoint_matches_the_uninterrupted_fit(tmp_path, name):
    def run(epochs, resume=None):
        cr.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(4, 8), nn.Dropout(0.3), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)
        )
        opt = OPTIMIZERS[name](model.parameters())
        state = None if resume is None else cr.load(resume, model, opt)
        callbacks = [
            cr.callbacks.LearningRateScheduler(optim.StepLR(opt, 1, 0.5)),
            cr.callbacks.ModelCheckpoint(tmp_path / f"{name}-{epochs}.safetensors"),
        ]
        history = cr.fit(
            model, nn.SoftmaxCrossEntropy(), opt, (X, Y), epochs, batch_size=5, seed=2,
            callbacks=callbacks, resume_from=state, progress=False,
        )  # fmt: skip
        return model, history.history

    model, history = run(3)
    run(1)  # stops after one epoch; its checkpoint holds the weights, position and RNG
    again, again_history = run(3, resume=tmp_path / f"{name}-1.safetensors")
    assert same_arrays(model.state_dict(), again.state_dict())
    assert again_history == history


# ----- refusals, and nothing changed -------------------------------------------------------
def snapshot(model, opt) -> tuple[dict, dict]:
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return model.state_dict(), {"groups": groups, "state": opt.state_dict()["state"]}


def unchanged(model, opt, before) -> bool:
    now = snapshot(model, opt)
    return (
        same_arrays(before[0], now[0])
        and before[1]["groups"] == now[1]["groups"]
        and sorted(before[1]["state"]) == sorted(now[1]["state"])
        and all(same_entry(before[1]["state"][i], now[1]["state"][i]) for i in now[1]["state"])
    )


def stepped(model, opt):
    """The fresh objects a user would load into, after a step of their own (so that a load
    that changed anything, even state made at the first step, would show)."""
    train(model, opt, None, range(1), "float32")
    return model, opt


def test_another_architecture_is_refused_naming_each_tensor(tmp_path):
    trained_checkpoint(tmp_path / "c")
    model = nn.Sequential(nn.Linear(4, 7), nn.ReLU(), nn.Linear(7, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(cr.tensor(X)).sum().backward()
    opt.step()
    before = snapshot(model, opt)
    with pytest.raises(cr.CheckpointError, match="does not fit") as info:
        cr.load(tmp_path / "c", model, opt)
    for name in ("first.weight", "0.weight", "2.bias", "norm.running_mean"):
        assert name in str(info.value)
    assert unchanged(model, opt, before)


def test_a_model_that_fits_but_an_optimizer_that_does_not_leaves_both_as_they_were(tmp_path):
    trained_checkpoint(tmp_path / "c")
    model = make_net(5, "float32")
    opt = optim.SGD(model.parameters(), lr=0.3, momentum=0.5)  # Adam's state: refused
    stepped(model, opt)
    before = snapshot(model, opt)
    with pytest.raises(cr.CheckpointError, match=r"optimizer state does not fit.*SGD"):
        cr.load(tmp_path / "c", model, opt)
    assert unchanged(model, opt, before)  # the model, loaded first, was put back


def test_an_optimizer_state_of_other_shapes_midway_leaves_both_as_they_were(tmp_path):
    trained_checkpoint(tmp_path / "c")
    model = make_net(5, "float32")
    # the model fits; the optimizer holds as many parameters, of other shapes
    other = nn.Sequential(nn.Linear(4, 7), nn.BatchNorm1d(7), nn.Linear(7, 7), nn.Linear(7, 3))
    opt = optim.Adam(other.parameters(), lr=0.01)
    stepped(model, opt)
    before = snapshot(model, opt)
    with pytest.raises(cr.CheckpointError, match=r"parameter 0: state 'exp_avg' has shape"):
        cr.load(tmp_path / "c", model, opt)
    assert unchanged(model, opt, before)  # the model, loaded first, was put back


class Interrupted(optim.Adam):
    """An Adam whose ``load_state_dict`` is stopped part-way (a Ctrl-C landing there)."""

    def load_state_dict(self, state_dict):
        raise KeyboardInterrupt


def test_an_optimizer_load_stopped_by_another_error_leaves_the_model_as_it_was(tmp_path):
    trained_checkpoint(tmp_path / "c")
    model = make_net(5, "float32")
    opt = Interrupted(model.parameters(), lr=0.01)
    stepped(model, opt)
    before = snapshot(model, opt)
    with pytest.raises(KeyboardInterrupt):
        cr.load(tmp_path / "c", model, opt)
    assert unchanged(model, opt, before)


def test_an_optimizer_given_the_parameters_in_another_order_is_refused(tmp_path):
    # two layers of the same shapes: their states would be swapped without a word
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3))
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(cr.tensor(X[:, :3])).sum().backward()
    opt.step()
    cr.save(tmp_path / "c", model, opt)

    fresh = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3))
    first_w, first_b, second_w, second_b = fresh.parameters()
    swapped = optim.Adam([second_w, second_b, first_w, first_b], lr=0.1)
    before = snapshot(fresh, swapped)
    with pytest.raises(cr.CheckpointError, match=r"parameter 0 is the model's '2\.weight'.*'0\."):
        cr.load(tmp_path / "c", fresh, swapped)
    assert unchanged(fresh, swapped, before)

    same_order = optim.Adam([first_w, first_b, second_w, second_b], lr=0.1)
    cr.load(tmp_path / "c", fresh, same_order)  # the same order as an explicit list: loads
    assert same_optimizer(opt, same_order)


@pytest.mark.parametrize("names", ["[0, 1]", "{}", "not json", '["first.weight"'])
def test_a_malformed_list_of_optimizer_parameter_names_is_refused(tmp_path, names):
    from safetensors.numpy import save_file

    model, opt = trained_checkpoint(tmp_path / "c")
    tensors, metadata = cr._checkpoint_format.read_checkpoint(tmp_path / "c")
    metadata = {**metadata, "optimizer_params": names}
    metadata["sha256"] = cr._checkpoint_format._digest(tensors, metadata)  # a file that is whole
    save_file(tensors, tmp_path / "bad", metadata=metadata)
    with pytest.raises(cr.CheckpointError, match="malformed metadata: optimizer_params"):
        cr._checkpoint_format.read_checkpoint(tmp_path / "bad")
    with pytest.raises(cr.CheckpointError, match="malformed metadata: optimizer_params"):
        cr.load(tmp_path / "bad", model, opt)


def test_the_file_names_the_optimizer_parameters_in_the_optimizer_order(tmp_path):
    model = make_net(0, "float32")
    named = [name for name, _ in model.named_parameters()]
    groups = param_groups(model)
    groups.reverse()  # the second group first: its parameters are numbered first
    cr.save(tmp_path / "c", model, optim.SGD(groups, lr=0.1))
    cr.save(tmp_path / "d", model.state_dict(), optim.SGD(groups, lr=0.1))
    _, metadata = cr._checkpoint_format.read_checkpoint(tmp_path / "c")
    assert json.loads(metadata["optimizer_params"]) == named[4:] + named[:4]
    _, metadata = cr._checkpoint_format.read_checkpoint(tmp_path / "d")
    assert "optimizer_params" not in metadata  # a state dict holds no parameters to name


def test_a_renamed_layer_is_named_by_the_model_check_not_taken_for_another_order(tmp_path):
    trained_checkpoint(tmp_path / "c")
    model = make_net(5, "float32")
    model.head = model.__dict__.pop("last")  # the same layer under another name
    opt = optim.Adam(model.parameters(), lr=0.01)
    before = snapshot(model, opt)
    with pytest.raises(cr.CheckpointError, match="model state does not fit") as info:
        cr.load(tmp_path / "c", model, opt)
    assert "missing from the state: head.weight" in str(info.value)
    assert "unexpected in the state: last.weight" in str(info.value)
    assert unchanged(model, opt, before)


def test_a_float32_checkpoint_loads_into_a_float64_model_cast_as_in_pytorch(tmp_path):
    saved, saved_opt = trained_checkpoint(tmp_path / "c")
    model = make_net(3, "float64")
    opt = optim.Adam(model.parameters(), lr=0.01)
    cr.load(tmp_path / "c", model, opt)
    want = {
        k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in saved.state_dict().items()
    }  # the integer count of batches stays int64, as in PyTorch
    assert same_arrays(model.state_dict(), want)
    for i, entry in saved_opt.state.items():
        assert opt.state[i]["exp_avg"].dtype == np.float64
        assert np.array_equal(opt.state[i]["exp_avg"], entry["exp_avg"].astype(np.float64))


def test_a_checkpoint_without_an_optimizer_is_refused_when_one_is_asked_for(tmp_path):
    model, _ = adam_setup()
    cr.save(tmp_path / "c", model)
    fresh, opt = stepped(*adam_setup(4))
    before = snapshot(fresh, opt)
    with pytest.raises(cr.CheckpointError, match="holds no optimizer state"):
        cr.load(tmp_path / "c", fresh, opt)
    assert unchanged(fresh, opt, before)


# ----- saving where it cannot ----------------------------------------------------------------
def listing(directory) -> list[str]:
    return sorted(os.listdir(directory))


@pytest.mark.parametrize(
    ("where", "error"),
    [
        ("missing/c.safetensors", FileNotFoundError),
        ("a-file/c.safetensors", NotADirectoryError),
        ("a-directory", IsADirectoryError),
        ("new-directory/", IsADirectoryError),  # Path would drop the slash: a file
    ],
)
def test_saving_where_no_file_can_be_named_and_nothing_is_left(tmp_path, where, error):
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-directory").mkdir()
    model, opt = adam_setup()
    path = str(tmp_path / where.rstrip("/")) + ("/" if where.endswith("/") else "")
    with pytest.raises(error, match=f"cannot write {path}"):
        cr.save(path, model, opt)
    assert listing(tmp_path) == ["a-directory", "a-file"]
    assert listing(tmp_path / "a-directory") == []


def test_model_checkpoint_refuses_a_directory_as_its_path(tmp_path):
    with pytest.raises(ValueError, match="names a directory"):
        cr.callbacks.ModelCheckpoint(f"{tmp_path}/checkpoints/")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_saving_into_a_read_only_directory_keeps_the_old_checkpoint(tmp_path):
    model, opt = trained_checkpoint(tmp_path / "c")
    old = (tmp_path / "c").read_bytes()
    train(model, opt, None, range(1), "float32")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=f"cannot write {tmp_path / 'c'}"):
            cr.save(tmp_path / "c", model, opt)
    finally:
        tmp_path.chmod(0o755)
    assert listing(tmp_path) == ["c"]
    assert (tmp_path / "c").read_bytes() == old


LONG = np.dtype(np.longdouble)


@pytest.mark.skipif(LONG.itemsize <= 8, reason="long double is float64 here")
@pytest.mark.parametrize("where", ["module", "state dict", "training state"])
def test_a_float_safetensors_cannot_hold_is_a_type_error_naming_it(tmp_path, where):
    # save's docstring: an array of floats is stored, anything else a TypeError; float128
    # (x86 long double) is a float no safetensors dtype holds
    model = nn.Linear(2, 2)
    long = model.weight.data.astype(LONG)
    if where == "module":
        model.weight.data = long
        args, kwargs, what = (model,), {}, "'weight'"
    elif where == "state dict":
        args, kwargs, what = ({"w": long},), {}, "'w'"
    else:
        args, kwargs, what = (model,), {"ema": long}, "an array"
    with pytest.raises(TypeError, match=f"cannot store {what} of dtype {LONG}"):
        cr.save(tmp_path / "c", *args, **kwargs)
    assert listing(tmp_path) == []


# ----- what a checkpoint holds -----------------------------------------------------------------
def test_each_parameter_and_buffer_once_frozen_and_shared_included(tmp_path):
    model, _ = trained_checkpoint(tmp_path / "c")
    tensors, _ = cr._checkpoint_format.read_checkpoint(tmp_path / "c")
    names = sorted(k for k in tensors if k.startswith("model/"))
    want = [
        f"model/{layer}.{p}" for layer in ("first", "frozen", "last") for p in ("bias", "weight")
    ] + [
        "model/norm.bias",
        "model/norm.num_batches_tracked",
        "model/norm.running_mean",
        "model/norm.running_var",
        "model/norm.weight",
    ]
    assert names == sorted(want)  # the shared layer under its first name only, as documented
    assert np.array_equal(tensors["model/norm.running_mean"], model.norm.running_mean)
    assert not np.array_equal(model.norm.running_mean, np.zeros(6))  # the statistics moved
    assert np.array_equal(tensors["model/frozen.weight"], model.frozen.weight.data)


def _header(path) -> tuple[dict, int, bytes]:
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n]), n, data[8 + n :]


SPEC_DTYPES = {"BOOL": "?", "U8": "u1", "I8": "i1", "I32": "<i4", "I64": "<i8", "F16": "<f2"}
SPEC_DTYPES |= {"F32": "<f4", "F64": "<f8", "U32": "<u4", "I16": "<i2", "U16": "<u2"}


def test_the_file_follows_the_safetensors_specification(tmp_path):
    model, opt = adam_setup()
    train(model, opt, None, range(2), "float64")
    extra = {
        "mask": np.array([True, False]),
        "counts": np.arange(3, dtype=np.int64),
        "half": np.ones((2, 2), np.float16),
        "scalar": np.float64(2.5),
    }
    cr.save(tmp_path / "c", model, opt, extra=extra)
    header, _, buffer = _header(tmp_path / "c")
    meta = header.pop("__metadata__")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
    assert meta["format"] == "chainrule-checkpoint"
    assert meta["version"] == "1"
    entries = sorted(header.values(), key=lambda e: e["data_offsets"])
    end = 0
    for entry in entries:  # contiguous, no gap or overlap, filling the byte buffer
        begin, stop = entry["data_offsets"]
        assert begin == end
        itemsize = np.dtype(SPEC_DTYPES[entry["dtype"]]).itemsize
        assert stop - begin == itemsize * int(np.prod(entry["shape"], dtype=np.int64))
        end = stop
    assert end == len(buffer)
    for name, value in model.state_dict().items():  # little-endian, row-major bytes
        entry = header[f"model/{name}"]
        want = np.ascontiguousarray(value, value.dtype.newbyteorder("<"))
        assert entry["shape"] == list(value.shape)
        assert np.dtype(SPEC_DTYPES[entry["dtype"]]) == want.dtype
        assert buffer[slice(*entry["data_offsets"])] == want.tobytes()
    kinds = {
        json.loads(meta["training"])["extra"][k]["__array__"]: k for k in ("mask", "counts", "half")
    }
    assert {kinds[k]: header[k]["dtype"] for k in kinds} == {
        "mask": "BOOL",
        "counts": "I64",
        "half": "F16",
    }


def test_the_safetensors_library_reads_the_file_as_saved(tmp_path):
    safetensors = pytest.importorskip("safetensors")
    model, opt = adam_setup()
    train(model, opt, None, range(2), "float32")
    cr.save(tmp_path / "c.safetensors", model, opt, epoch=2)
    with safetensors.safe_open(str(tmp_path / "c.safetensors"), framework="numpy") as f:
        meta = f.metadata()
        loaded = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (a safe_open, not a dict)
    assert json.loads(meta["training"]) == {"epoch": 2}
    assert same_arrays(
        {k[len("model/") :]: v for k, v in sorted(loaded.items()) if k.startswith("model/")},
        dict(sorted(model.state_dict().items())),
    )
    optimizer = json.loads(meta["optimizer"])
    entries = dict(optimizer["state"]["__items__"])
    for i, entry in opt.state.items():
        assert entries[i]["step"] == entry["step"] == 2
        for key in ("exp_avg", "exp_avg_sq"):
            assert np.array_equal(loaded[entries[i][key]["__array__"]], entry[key])


def test_load_returns_the_training_state_not_the_weights_unlike_torch_load(tmp_path):
    # torch.load(path) gives the state_dict back; chainrule.load(path) gives what was
    # saved beside the weights (its docstring says so), and the weights go into a model
    model, _ = trained_checkpoint(tmp_path / "c")
    assert cr.load(tmp_path / "c") == {"epoch": 3}
    tensors, _ = cr._checkpoint_format.read_checkpoint(tmp_path / "c")
    state = {k[len("model/") :]: v for k, v in tensors.items() if k.startswith("model/")}
    fresh = make_net(9, "float32")
    fresh.load_state_dict(state)
    assert same_arrays(
        dict(sorted(fresh.state_dict().items())), dict(sorted(model.state_dict().items()))
    )


def test_an_optimizer_of_its_own_without_param_groups_saves_and_loads(tmp_path):
    # `save` asks an optimizer for state_dict() alone: one of the user's own, holding no
    # param_groups, is saved without the list of parameter names
    class Halving:
        def __init__(self):
            self.lr = 0.1

        def state_dict(self):
            return {"lr": self.lr}

        def load_state_dict(self, state):
            self.lr = state["lr"]

    model = make_net(0, "float32")
    opt = Halving()
    opt.lr = 0.05
    cr.save(tmp_path / "c", model, opt)
    _, metadata = cr._checkpoint_format.read_checkpoint(tmp_path / "c")
    assert "optimizer_params" not in metadata
    fresh = Halving()
    cr.load(tmp_path / "c", make_net(1, "float32"), fresh)
    assert fresh.lr == 0.05
