"""What a PyTorch user reaches for in chainrule.nn: ``parameters(recurse=)``,
``named_parameters(prefix=)`` and ``state_dict(prefix=)``; Sequential's list methods;
PyTorch's initialiser names (statistics against their formulas, fans on chainrule's
(in, out) weights); a PyTorch BatchNorm1d state; and load_state_dict interrupted midway.
Compared with PyTorch where it is installed, and with hand computations everywhere."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule import nn
from chainrule.nn import _state_dict

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
init = nn.init


class _Scaled(nn.Module):
    """A module with a child, a parameter of its own, a list of parameters and a buffer."""

    def __init__(self):
        self.first = nn.Linear(2, 3, generator=np.random.default_rng(0))
        self.scale = nn.Parameter(np.ones(3))
        self.extra = [nn.Parameter(np.zeros(2))]
        self.register_buffer("count", np.zeros(1))

    def forward(self, x):
        return self.first(x) * self.scale


# ----- parameters(recurse=), named_parameters(prefix=), buffers, state_dict(prefix=) -------
def test_recurse_false_gives_only_the_modules_own_parameters_and_buffers():
    m = _Scaled()
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale", "extra.0"]
    assert [p is m.scale for p in m.parameters(recurse=False)] == [True, False]
    assert [n for n, _ in m.named_parameters()] == [
        "first.weight",
        "first.bias",
        "scale",
        "extra.0",
    ]
    assert [n for n, _ in m.named_buffers(recurse=False)] == ["count"]
    assert list(m.first.named_buffers()) == []
    assert [b is m.count for b in m.buffers()] == [True]
    seq = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert list(seq.parameters(recurse=False)) == []  # a container holds none itself
    assert len(list(seq.parameters())) == 4


def test_prefix_is_joined_with_a_dot_and_state_dicts_prefix_is_put_as_it_is():
    seq = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    assert [n for n, _ in seq.named_parameters(prefix="enc")] == [
        "enc.0.weight",
        "enc.0.bias",
        "enc.1.weight",
        "enc.1.bias",
    ]
    assert [n for n, _ in seq.named_buffers("enc")] == [
        "enc.1.running_mean",
        "enc.1.running_var",
        "enc.1.num_batches_tracked",
    ]
    assert [n for n, _ in seq[1].named_parameters("bn", recurse=False)] == ["bn.weight", "bn.bias"]
    state = seq.state_dict(prefix="enc.")
    assert list(state) == [f"enc.{n}" for n in seq.state_dict()]
    for name, value in seq.state_dict().items():
        np.testing.assert_array_equal(state[f"enc.{name}"], value)


def test_a_tied_parameter_is_the_modules_own_only_when_not_recursing():
    m = _Scaled()
    m.scale = m.first.bias  # tied: first met under first.bias when the walk recurses
    assert [n for n, _ in m.named_parameters()] == ["first.weight", "first.bias", "extra.0"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale", "extra.0"]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m: m.named_parameters(recurse="no"), ValueError, "named_parameters: recurse"),
        (lambda m: m.parameters(recurse=None), ValueError, "named_parameters: recurse"),
        (lambda m: m.named_parameters(prefix=3), TypeError, "named_parameters: prefix"),
        (lambda m: m.named_buffers(prefix=b"x"), TypeError, "named_buffers: prefix"),
        (lambda m: m.state_dict(prefix=None), TypeError, "state_dict: prefix"),
    ],
)
def test_bad_prefix_and_recurse_are_refused_when_called(call, error, match):
    with pytest.raises(error, match=match):
        call(_Scaled())


@needs_torch
def test_names_with_prefix_and_recurse_are_pytorchs():
    ours = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 3)
    )
    for kwargs in [{}, {"prefix": "model"}, {"recurse": False}, {"prefix": "m", "recurse": False}]:
        assert [n for n, _ in ours.named_parameters(**kwargs)] == [
            n for n, _ in theirs.named_parameters(**kwargs)
        ]
        assert [n for n, _ in ours[1].named_parameters(**kwargs)] == [
            n for n, _ in theirs[1].named_parameters(**kwargs)
        ]
        assert [n for n, _ in ours.named_buffers(**kwargs)] == [
            n for n, _ in theirs.named_buffers(**kwargs)
        ]
    assert len(list(ours[0].parameters(recurse=False))) == 2
    assert list(ours.state_dict(prefix="net.")) == list(theirs.state_dict(prefix="net."))


# ----- Sequential as a list ----------------------------------------------------------------
def _layers(n: int) -> list[nn.Module]:
    return [nn.Linear(2, 2, generator=np.random.default_rng(i)) for i in range(n)]


def test_insert_extend_pop_setitem_and_delitem_edit_the_layers_and_renumber_them():
    a, b, c, d, e = _layers(5)
    seq = nn.Sequential(a)
    assert seq.append(b) is seq
    assert seq.insert(0, c) is seq
    assert seq.insert(-1, d) is seq  # before the last, as list.insert
    assert seq.insert(len(seq), e) is seq  # len: at the end
    assert list(seq) == [c, a, d, b, e]
    assert seq.extend([nn.ReLU()]) is seq
    assert isinstance(seq[5], nn.ReLU)
    assert seq.pop() is not None
    assert len(seq) == 5
    assert seq.pop(1) is a
    seq[0] = a
    del seq[-1]
    assert list(seq) == [a, d, b]
    names = [n for n, _ in seq.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"]
    assert seq.named_parameters().__next__()[1] is a.weight
    del seq[1:]
    assert list(seq) == [a]


def test_extend_with_itself_or_another_sequential_appends_each_layer_once():
    a, b = _layers(2)
    seq = nn.Sequential(a, b)
    seq.extend(seq)  # a snapshot of the layers: no endless loop
    assert list(seq) == [a, b, a, b]
    other = nn.Sequential(*_layers(1))
    seq.extend(other)
    assert len(seq) == 5
    assert seq[-1] is other[0]
    assert len(list(seq.parameters())) == 6  # a and b are shared: listed once


@pytest.mark.parametrize(
    ("edit", "error", "match"),
    [
        (lambda s: s.insert(4, nn.ReLU()), IndexError, "index 4 is out of range -2 to 2"),
        (lambda s: s.insert(-3, nn.ReLU()), IndexError, "out of range -2 to 2"),
        (lambda s: s.insert(1.0, nn.ReLU()), TypeError, "index must be an integer"),
        (lambda s: s.insert(0, "relu"), TypeError, r"Sequential.insert: a str is not a Module"),
        (lambda s: s.extend([nn.ReLU(), np.zeros(2)]), TypeError, "extend: a ndarray"),
        (lambda s: s.pop(2), IndexError, "index 2 is out of range for 2 layers"),
        (lambda s: s.__setitem__(5, nn.ReLU()), IndexError, "out of range for 2 layers"),
        (lambda s: s.__setitem__(0, None), TypeError, "item assignment: a NoneType"),
        (lambda s: s.__setitem__(slice(0, 1), [nn.ReLU()]), TypeError, "one index at a time"),
        (lambda s: s.__delitem__(-3), IndexError, "out of range for 2 layers"),
    ],
)
def test_a_refused_edit_says_why_and_changes_nothing(edit, error, match):
    layers = _layers(2)
    seq = nn.Sequential(*layers)
    with pytest.raises(error, match=match):
        edit(seq)
    assert list(seq) == layers


@needs_torch
def test_the_edits_leave_the_layers_where_pytorchs_sequential_leaves_them():
    def run(lib):
        seq = lib.Sequential(lib.ReLU(), lib.Tanh())
        seq.append(lib.Sigmoid())
        seq.insert(1, lib.Flatten())
        seq.insert(-2, lib.ReLU())
        seq.extend(lib.Sequential(lib.Tanh()))
        seq.pop(0)
        seq[0] = lib.Sigmoid()
        del seq[-1]
        return [type(m).__name__ for m in seq]

    assert run(nn) == run(torch.nn)
    for index in (-4, 4):  # PyTorch refuses outside -len..len too
        with pytest.raises(IndexError):
            torch.nn.Sequential(torch.nn.ReLU(), torch.nn.ReLU()).insert(index, torch.nn.ReLU())
        with pytest.raises(IndexError):
            nn.Sequential(nn.ReLU(), nn.ReLU()).insert(index, nn.ReLU())


# ----- nn.init: PyTorch's names ----------------------------------------------------------
FAN_IN, FAN_OUT = 400, 600


def _weight(dtype=np.float64):
    """A weight in chainrule's layout, (in, out), as Linear(400, 600) has."""
    return nn.Parameter(np.empty((FAN_IN, FAN_OUT), dtype))


def _rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize(
    ("fill", "std", "uniform"),
    [
        (lambda w: init.kaiming_normal_(w, generator=_rng()), math.sqrt(2 / FAN_IN), False),
        (
            lambda w: init.kaiming_normal_(w, mode="fan_out", generator=_rng()),
            math.sqrt(2 / FAN_OUT),
            False,
        ),
        (
            lambda w: init.kaiming_normal_(w, nonlinearity="tanh", generator=_rng()),
            (5 / 3) / math.sqrt(FAN_IN),
            False,
        ),
        (lambda w: init.kaiming_uniform_(w, generator=_rng()), math.sqrt(2 / FAN_IN), True),
        (  # PyTorch's Linear default: a = √5 gives the bound 1/√fan_in
            lambda w: init.kaiming_uniform_(w, a=math.sqrt(5), generator=_rng()),
            1 / math.sqrt(3 * FAN_IN),
            True,
        ),
        (
            lambda w: init.kaiming_uniform_(w, a=0.2, mode="fan_out", generator=_rng()),
            math.sqrt(2 / (1 + 0.04)) / math.sqrt(FAN_OUT),
            True,
        ),
    ],
    ids=["normal", "normal_fan_out", "normal_tanh", "uniform", "uniform_sqrt5", "uniform_leaky"],
)
def test_kaiming_initialisers_have_the_formulas_std(fill, std, uniform):
    w = _weight()
    assert fill(w) is w
    n = w.size
    # a sample std from 240 000 values is within 1% of the true one with room to spare
    # (its relative standard error is about 1/√(2n) = 0.14% for a normal)
    assert w.data.std() == pytest.approx(std, rel=0.01)
    assert abs(w.data.mean()) < 5 * std / math.sqrt(n)
    if uniform:
        bound = math.sqrt(3) * std
        assert np.abs(w.data).max() <= bound
        assert np.abs(w.data).max() > 0.999 * bound


def test_chainrules_fans_read_its_in_out_layout():
    w = nn.Linear(FAN_IN, FAN_OUT).weight  # (in, out)
    assert w.shape == (FAN_IN, FAN_OUT)
    assert init.fans(w) == (FAN_IN, FAN_OUT)
    a = init.kaiming_normal_(_weight(), mode="fan_in", generator=_rng()).data.std()
    b = init.kaiming_normal_(_weight(), mode="fan_out", generator=_rng()).data.std()
    assert a / b == pytest.approx(math.sqrt(FAN_OUT / FAN_IN), rel=0.02)  # fan_in = 400


@needs_torch
def test_fans_and_stds_match_pytorchs_on_the_same_layer():
    theirs = torch.nn.Linear(FAN_IN, FAN_OUT).weight  # (out, in)
    assert init.fans(nn.Linear(FAN_IN, FAN_OUT).weight) == tuple(
        torch.nn.init._calculate_fan_in_and_fan_out(theirs)
    )
    torch.manual_seed(0)
    for mode in ("fan_in", "fan_out"):
        ours = init.kaiming_normal_(_weight(), mode=mode, generator=_rng()).data.std()
        with torch.no_grad():
            torch.nn.init.kaiming_normal_(theirs, mode=mode)
        assert ours == pytest.approx(float(theirs.detach().std()), rel=0.02)


@needs_torch
@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("selu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 0),
    ],
)
def test_calculate_gain_is_pytorchs(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-15
    )


def test_calculate_gain_by_hand_and_unknown_names():
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0) == math.sqrt(2)
    with pytest.raises(ValueError, match=r"unknown nonlinearity 'gelu': use one of 'linear'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(_weight(), mode="fan_avg")


def _truncated_moments(mean, std, a, b):
    """The mean and std of N(mean, std²) truncated to [a, b], from the textbook formulas."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    shift = (pdf(alpha) - pdf(beta)) / mass
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - shift**2
    return mean + std * shift, std * math.sqrt(var)


@pytest.mark.parametrize(
    ("mean", "std", "a", "b"),
    [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, 0.5, 6.0), (0.0, 1.0, 1.5, 3.0)],
    ids=["default", "vit", "skewed", "tail"],
)
def test_trunc_normal_has_the_truncated_moments_and_stays_inside(mean, std, a, b):
    w = _weight()
    assert init.trunc_normal_(w, mean, std, a, b, generator=_rng()) is w
    assert w.data.min() >= a
    assert w.data.max() <= b
    m, s = _truncated_moments(mean, std, a, b)
    n = w.size
    assert w.data.mean() == pytest.approx(m, abs=5 * s / math.sqrt(n))
    assert w.data.std() == pytest.approx(s, rel=0.01)
    # values near both bounds are drawn: the whole interval is covered
    assert w.data.min() < a + 0.01 * (b - a)
    assert w.data.max() > b - 0.01 * (b - a)


def test_trunc_normal_bounds_hold_in_float32_and_draws_are_reproducible():
    w = _weight(np.float32)
    init.trunc_normal_(w, std=0.1, a=-0.1, b=0.1, generator=_rng())  # 0.1 is not a float32
    assert w.dtype == np.float32
    values = w.data.astype(np.float64)
    assert values.min() >= -0.1
    assert values.max() <= 0.1
    again = init.trunc_normal_(_weight(np.float32), std=0.1, a=-0.1, b=0.1, generator=_rng())
    np.testing.assert_array_equal(again.data, w.data)
    view = nn.Parameter(np.zeros((6, 4)))
    init.trunc_normal_(view, generator=_rng())
    assert np.all(view.data != 0)
    assert np.abs(view.data).max() <= 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"a": 1.0, "b": 1.0}, "needs std >= 0 and a < b"),
        ({"std": -1.0}, "needs std >= 0 and a < b"),
        ({"a": 8.0, "b": 9.0}, r"holds .* too little to draw from"),
        ({"std": 0.0, "a": 1.0, "b": 2.0}, "too little"),  # a point mass at 0, outside
        ({"b": math.inf}, "b must be a finite number"),
    ],
)
def test_trunc_normal_refuses_empty_or_hopeless_intervals(kwargs, match):
    w = _weight()
    w.data[...] = 5.0
    with pytest.raises(ValueError, match=match):
        init.trunc_normal_(w, generator=_rng(), **kwargs)
    assert np.all(w.data == 5.0)


def test_constant_fills_and_refuses_values_the_dtype_cannot_hold():
    w = _weight(np.float32)
    assert init.constant_(w, 0.25) is w
    assert np.all(w.data == 0.25)
    init.constant_(w, math.nan)
    assert np.all(np.isnan(w.data))
    counts = nn.Parameter(np.zeros(3, np.int64), requires_grad=False)
    init.constant_(counts, 7)
    np.testing.assert_array_equal(counts.data, [7, 7, 7])
    for tensor, val in [(counts, 2.5), (w, 1e40)]:
        with pytest.raises(ValueError, match="cannot hold"):
            init.constant_(tensor, val)
    with pytest.raises(TypeError, match="val must be a real number"):
        init.constant_(w, "1")


@needs_torch
def test_every_pytorch_initialiser_asked_for_exists_with_pytorchs_arguments():
    import inspect

    for name in [
        "kaiming_normal_",
        "kaiming_uniform_",
        "xavier_normal_",
        "xavier_uniform_",
        "normal_",
        "uniform_",
        "zeros_",
        "ones_",
        "constant_",
        "trunc_normal_",
        "calculate_gain",
    ]:
        ours = list(inspect.signature(getattr(init, name)).parameters)
        theirs = list(inspect.signature(getattr(torch.nn.init, name)).parameters)
        assert ours[1:] == theirs[1:], name  # the first is the tensor (PyTorch's "tensor")


# ----- BatchNorm1d and PyTorch's num_batches_tracked -------------------------------------
def test_num_batches_tracked_is_kept_and_loaded_and_a_stray_one_is_unexpected():
    bn = nn.BatchNorm1d(3, dtype="float64")
    state = {**bn.state_dict(), "num_batches_tracked": np.array(4)}
    assert bn.load_state_dict(state) == ([], [])
    assert bn.state_dict()["num_batches_tracked"] == 4
    with pytest.raises(ValueError, match=r"unexpected in the state: other\.num_batches_tracked$"):
        bn.load_state_dict({**bn.state_dict(), "other.num_batches_tracked": np.array(1)})


@needs_torch
def test_a_pytorch_batchnorm_state_loads_and_then_trains_and_evaluates_as_pytorch():
    theirs = torch.nn.BatchNorm1d(4).double()
    rng = np.random.default_rng(5)
    for _ in range(3):  # running statistics and num_batches_tracked move from their start
        theirs(torch.tensor(rng.standard_normal((6, 4)) * 2 + 1))
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-1, 1)
    state = {n: v.numpy() for n, v in theirs.state_dict().items()}
    assert int(state["num_batches_tracked"]) == 3
    ours = nn.Sequential(nn.BatchNorm1d(4, dtype="float64"))
    prefixed = {f"0.{n}": v for n, v in state.items()}
    assert ours.load_state_dict(prefixed) == ([], [])
    assert ours[0].num_batches_tracked == 3
    x = rng.standard_normal((5, 4))
    expected = theirs(torch.tensor(x)).detach().numpy()  # training: batch statistics
    np.testing.assert_allclose(ours(x).data, expected, rtol=1e-12, atol=1e-12)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(
            ours.state_dict()[f"0.{name}"], getattr(theirs, name).numpy(), rtol=1e-12
        )
    theirs.eval()
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours.eval()(x).data, expected, rtol=1e-12, atol=1e-12)


# ----- load_state_dict: all or nothing ---------------------------------------------------
def _model():
    return nn.Sequential(
        nn.Linear(3, 4, generator=np.random.default_rng(1)),
        nn.BatchNorm1d(4),
        nn.Linear(4, 2, generator=np.random.default_rng(2)),
    )


@pytest.mark.parametrize("stop_at", [1, 3, 6])
def test_an_interrupt_midway_through_the_writes_leaves_every_array_as_it_was(monkeypatch, stop_at):
    model = _model()
    arrays = {n: (v.data if isinstance(v, nn.Parameter) else v) for n, v in model._state_items()}
    before = model.state_dict()
    new = {n: v + 10 for n, v in before.items()}
    calls = []
    write = _state_dict._write

    def interrupted(target, value):
        calls.append(target)
        if len(calls) == stop_at:  # half of this array written, then Ctrl-C
            flat = target.reshape(-1)
            flat[: flat.size // 2 + 1] = value.reshape(-1)[: flat.size // 2 + 1]
            raise KeyboardInterrupt
        write(target, value)

    monkeypatch.setattr(_state_dict, "_write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.load_state_dict(new)
    assert len(calls) == stop_at  # the load did stop midway
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    for name, value in model._state_items():  # the same arrays: optimizers' references hold
        assert (value.data if isinstance(value, nn.Parameter) else value) is arrays[name]
    monkeypatch.setattr(_state_dict, "_write", write)
    model.load_state_dict(new)  # and the next load goes through
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, new[name].astype(value.dtype), err_msg=name)


def test_a_whole_checkpoint_given_to_load_state_dict_says_to_take_its_model_part():
    # PyTorch's habit, torch.save({"model": ..., "epoch": ...}), then load_state_dict on the
    # whole dict: the error points at ['model'] instead of only listing every name missing
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="does not fit the model") as info:
        model.load_state_dict({"model": model.state_dict(), "epoch": 3})
    message = str(info.value)
    assert "unexpected in the state: model (a dict of weights" in message
    assert "pass its ['model']" in message
    assert "none of the model's names" not in message  # the note above says more
    assert "missing from the state: weight" in message
    assert "epoch (" not in message  # the note is for the dict of weights only


def test_a_state_with_none_of_the_models_names_points_at_load_with_the_model(tmp_path):
    # chainrule.load(path) returns the training state ({"epoch": 3}), not the weights: the
    # PyTorch habit model.load_state_dict(load(path)) names the call that loads them
    import chainrule as cr

    model = nn.Sequential(nn.Linear(2, 2))
    cr.save(tmp_path / "m.safetensors", model, epoch=3)
    with pytest.raises(ValueError, match="does not fit the model") as info:
        model.load_state_dict(cr.load(tmp_path / "m.safetensors"))
    assert "none of the model's names" in str(info.value)
    assert "chainrule.load(path, model)" in str(info.value)
    with pytest.raises(ValueError, match=r"missing from the state: 0\.bias") as partial:
        model.load_state_dict({"0.weight": np.zeros((2, 2))})
    assert "none of the model's names" not in str(partial.value)
