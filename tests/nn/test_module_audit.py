"""The module system as a PyTorch user meets it: names, counts and states against PyTorch's
(weights transposed: chainrule's Linear keeps W as (in, out)), summary counts checked by
hand, initialisers against the published formulas, and the errors of bad arguments."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

init = nn.init


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed")


def _pair(seed: int = 0):
    """The same MLP with BatchNorm in chainrule (float64) and in PyTorch."""
    torch = _torch()
    ours = nn.Sequential(
        nn.Linear(4, 6, dtype="float64", generator=np.random.default_rng(seed)),
        nn.BatchNorm1d(6, dtype="float64"),
        nn.ReLU(),
        nn.Linear(6, 3, dtype="float64", generator=np.random.default_rng(seed + 1)),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 3)
    ).double()
    return ours, theirs


def _to_torch(ours, theirs) -> None:
    """Copy chainrule's state into PyTorch's model (2-D weights transposed)."""
    torch = _torch()
    state = {n: torch.tensor(v.T if v.ndim == 2 else v) for n, v in ours.state_dict().items()}
    theirs.load_state_dict(state)


def _from_torch(theirs) -> dict:
    return {n: v.numpy().T if v.ndim == 2 else v.numpy() for n, v in theirs.state_dict().items()}


# ----- names and counts against PyTorch -------------------------------------------------------
def test_parameter_and_state_names_are_pytorchs():
    ours, theirs = _pair()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def test_parameter_count_and_shapes_are_pytorchs_transposed():
    ours, theirs = _pair()
    for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert p.shape == tuple(reversed(q.shape))
    total = sum(q.numel() for q in theirs.parameters())
    assert sum(p.size for p in ours.parameters()) == total
    assert f"Total params: {total:,}" in ours.summary((2, 4))


def test_a_pytorch_state_loads_and_gives_pytorchs_outputs():
    torch = _torch()
    ours, theirs = _pair()
    x = np.random.default_rng(3).standard_normal((8, 4))
    for _ in range(3):  # move PyTorch's running statistics away from their start
        theirs(torch.tensor(x))
    result = ours.load_state_dict(_from_torch(theirs))
    assert result.missing_keys == []
    assert result.unexpected_keys == []
    assert ours[1].num_batches_tracked == 3
    theirs.eval()
    ours.eval()
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(x).data, expected, rtol=1e-12, atol=1e-12)


def test_batchnorm_running_statistics_follow_pytorchs_and_round_trip():
    torch = _torch()
    ours, theirs = _pair()
    _to_torch(ours, theirs)
    rng = np.random.default_rng(4)
    for _ in range(4):
        x = rng.standard_normal((5, 4)) * 3 + 1
        ours(x)
        theirs(torch.tensor(x))
    saved = ours.state_dict()
    for name in ("1.running_mean", "1.running_var"):
        np.testing.assert_allclose(saved[name], _from_torch(theirs)[name], rtol=1e-12)
    fresh, _ = _pair(seed=9)
    fresh.load_state_dict(saved)
    x = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(fresh.eval()(x).data, ours.eval()(x).data)


def test_a_pytorch_state_loaded_as_it_is_names_the_transposed_weights():
    ours, theirs = _pair()
    state = {n: v.numpy() for n, v in theirs.state_dict().items()}
    with pytest.raises(ValueError, match="shape mismatch") as e:
        ours.load_state_dict(state)
    assert "num_batches_tracked" not in str(e.value)
    for name, shape in [("0.weight", "(4, 6), state (6, 4)"), ("3.weight", "(6, 3), state (3, 6)")]:
        assert f"shape mismatch for {name}: model {shape} (transposed: PyTorch's" in str(e.value)
    assert "0.bias" not in str(e.value)


def test_pytorch_tensors_that_numpy_cannot_take_are_listed_by_name():
    torch = _torch()
    ours, theirs = _pair()
    state = dict(theirs.named_parameters())  # requires grad: .numpy() refuses them
    state["1.running_mean"] = theirs[1].running_mean.bfloat16()  # NumPy has no bfloat16
    before = ours.state_dict()
    with pytest.raises(ValueError, match=r"does not fit the model") as e:
        ours.load_state_dict(state, strict=False)
    for name in ["0.weight", "0.bias", "1.weight", "3.bias", "1.running_mean"]:
        assert f"  {name} is not an array: " in str(e.value)
    assert "requires grad" in str(e.value)
    assert "BFloat16" in str(e.value)
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    assert isinstance(theirs[0].weight, torch.nn.Parameter)


def test_modules_and_children_are_named_as_in_pytorch():
    ours, theirs = _pair()
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert ours.eval() is ours
    assert ours.train() is ours


def test_the_repr_of_nested_sequentials_is_pytorchs():
    torch = _torch()
    ours = nn.Sequential(
        nn.Linear(4, 6), nn.Sequential(nn.ReLU(), nn.Linear(6, 2, bias=False)), nn.Sigmoid()
    )
    tn = torch.nn
    theirs = tn.Sequential(
        tn.Linear(4, 6), tn.Sequential(tn.ReLU(), tn.Linear(6, 2, bias=False)), tn.Sigmoid()
    )
    assert repr(ours) == repr(theirs)


# ----- the walk: every parameter once -------------------------------------------------------
class _Nested(nn.Module):
    """Parameters in a dict, a tuple, a nested list, a tied weight and a shared layer."""

    def __init__(self):
        self.a = nn.Linear(2, 3)
        self.blocks = {"x": nn.Linear(3, 3), "y": (nn.Linear(3, 3, bias=False), nn.ReLU())}
        self.deep = [[nn.Parameter(np.ones(2, np.float32))], [self.a]]
        self.b = nn.Linear(3, 3)
        self.b.weight = self.blocks["x"].weight

    def forward(self, x):
        return x


def test_every_parameter_is_found_once_and_a_hand_count_agrees():
    m = _Nested()
    names = [n for n, _ in m.named_parameters()]
    assert names == [
        "a.weight",
        "a.bias",
        "blocks.x.weight",
        "blocks.x.bias",
        "blocks.y.0.weight",
        "deep.0.0",
        "b.bias",
    ]
    assert sum(p.size for p in m.parameters()) == (6 + 3) + (9 + 3) + 9 + 2 + 3
    assert len({id(p) for p in m.parameters()}) == len(names)


def test_train_eval_and_zero_grad_reach_every_module_and_parameter():
    m = _Nested()
    for p in m.parameters():
        p.grad = np.ones(p.shape, p.dtype)
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.eval()
    assert not any(mod.training for mod in m.modules())
    assert len(list(m.modules())) == 6  # _Nested, a, blocks.x, blocks.y.0, blocks.y.1, b
    m.train()
    assert all(mod.training for mod in [m, m.a, m.b, m.blocks["y"][1]])


def test_buffers_holding_equal_numbers_are_each_in_the_state():
    # two small equal ints are one object in CPython: each buffer must still be saved
    class Counter(nn.Module):
        def __init__(self):
            self.register_buffer("steps", np.array(0))

    class Two(nn.Module):
        def __init__(self):
            self.a, self.b = Counter(), Counter()

    m = Two()
    m.a.steps = 5
    m.b.steps = 5
    assert list(m.state_dict()) == ["a.steps", "b.steps"]
    assert [n for n, _ in m.named_buffers()] == ["a.steps", "b.steps"]


def test_one_array_shared_as_a_buffer_is_still_listed_once():
    class Stats(nn.Module):
        def __init__(self, shared):
            self.register_buffer("mean", shared)

    class Two(nn.Module):
        def __init__(self):
            shared = np.zeros(3)
            self.a, self.b = Stats(shared), Stats(shared)

    assert list(Two().state_dict()) == ["a.mean"]


# ----- load_state_dict: all or nothing --------------------------------------------------------
def _two_layers():
    return nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))


def test_a_value_beyond_the_models_dtype_is_listed_and_nothing_is_loaded():
    m = _two_layers()
    before = m.state_dict()
    state = {n: np.full(v.shape, 7.0) for n, v in before.items()}  # float64
    state["1.weight"][0, 0] = 1e300  # beyond float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"1\.weight.*float32") as e:
            m.load_state_dict(state)
    assert "0.weight" not in str(e.value)
    for name, value in m.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_infinities_and_nans_in_a_float_state_still_load():
    m = _two_layers()
    state = {n: np.zeros(v.shape) for n, v in m.state_dict().items()}
    state["0.bias"][:] = [np.inf, -np.inf, np.nan]
    m.load_state_dict(state)
    np.testing.assert_array_equal(m[0].bias.data, np.array([np.inf, -np.inf, np.nan], "f4"))


def test_a_nan_for_an_integer_buffer_is_listed_and_nothing_is_loaded():
    class Counted(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
            self.register_buffer("steps", np.array(3))

    m = Counted()
    before = m.state_dict()
    state = dict(before, **{"fc.weight": np.ones((2, 2)), "steps": np.array(np.nan)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"steps.*int64"):
            m.load_state_dict(state)
    np.testing.assert_array_equal(m.fc.weight.data, before["fc.weight"])
    assert m.steps == 3


def test_a_float64_state_loads_into_float32_parameters_rounded():
    m = _two_layers()
    state = {n: np.full(v.shape, 0.1) for n, v in m.state_dict().items()}
    m.load_state_dict(state)
    for p in m.parameters():
        assert p.dtype == np.float32
        np.testing.assert_array_equal(p.data, np.float32(0.1))


# ----- summary counts by hand -----------------------------------------------------------------
def test_summary_rows_and_totals_by_hand():
    model = nn.Sequential(
        nn.Linear(10, 20),  # 10·20 + 20 = 220
        nn.BatchNorm1d(20),  # 2·20 = 40 (the running statistics are buffers)
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(20, 5, bias=False),  # 100
    )
    model[4].requires_grad_(False)
    rows = model.summary((7, 10)).splitlines()
    assert rows[2].split()[-3:] == ["(7,", "20)", "220"]
    assert rows[3].split()[-3:] == ["(7,", "20)", "40"]
    assert rows[4].split()[-1] == rows[5].split()[-1] == "0"
    assert rows[6].split()[-3:] == ["(7,", "5)", "100"]
    assert rows[-2:] == ["Total params: 360", "Trainable params: 260"]


@pytest.mark.parametrize(
    "shape",
    [784, "784", (2, -1), (2.0, 784)],
    ids=["int", "str", "negative", "float"],
)  # None is no shape: the table without output shapes (test_summary_without_shape.py)
def test_summary_names_an_input_shape_that_is_not_a_shape(shape):
    with pytest.raises(ValueError, match=r"summary: input_shape"):
        nn.Linear(784, 10).summary(shape)


@pytest.mark.parametrize("shape", [[3, 784], np.array([3, 784]), (np.int64(3), 784)])
def test_summary_takes_a_shape_as_any_sequence_of_sizes(shape):
    assert "(3, 10)" in nn.Linear(784, 10).summary(shape)


# ----- Sequential -----------------------------------------------------------------------------
def test_sequential_index_out_of_range_names_the_index_and_the_length():
    seq = _two_layers()
    with pytest.raises(IndexError, match=r"index 5 .* 2 layers"):
        seq[5]
    with pytest.raises(IndexError, match=r"index -3 .* 2 layers"):
        seq[-3]
    assert seq[-2] is seq[0]
    assert seq[np.int64(1)] is seq[1]


def test_sequential_slices_share_layers_and_number_from_zero():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Linear(4, 1))
    tail = seq[2:]
    assert len(tail) == 2
    assert tail[0] is seq[2]
    assert list(tail.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(seq.append(nn.ReLU())) == 5


# ----- initialisers against the published formulas ------------------------------------------
SHAPES = [(300, 500), (40, 60, 5)]


def _fans(shape):
    receptive = math.prod(shape[2:])
    return shape[0] * receptive, shape[1] * receptive


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_are_pytorchs_of_the_transposed_weight(shape):
    torch = _torch()
    theirs = torch.empty((shape[1], shape[0], *shape[2:]))  # PyTorch's (out, in, ...)
    expected = torch.nn.init._calculate_fan_in_and_fan_out(theirs)
    assert init.fans(cr.tensor(np.empty(shape))) == expected == _fans(shape)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize(
    ("fill", "std", "uniform"),
    [
        (init.xavier_normal_, lambda i, o: math.sqrt(2 / (i + o)), False),
        (init.xavier_uniform_, lambda i, o: math.sqrt(2 / (i + o)), True),
        (init.he_normal_, lambda i, o: math.sqrt(2 / i), False),
        (init.he_uniform_, lambda i, o: math.sqrt(2 / i), True),
    ],
    ids=["xavier_normal", "xavier_uniform", "he_normal", "he_uniform"],
)
def test_initialisers_match_glorot_and_he(shape, dtype, fill, std, uniform):
    w = cr.tensor(np.zeros(shape, dtype))
    fill(w, generator=np.random.default_rng(0))
    a = w.data.astype(np.float64)
    sigma = std(*_fans(shape))
    assert w.dtype == dtype
    assert a.std() == pytest.approx(sigma, rel=0.03)
    assert abs(a.mean()) < 0.03 * sigma
    if uniform:  # on ±√3·σ, filling the whole range
        assert np.abs(a).max() <= math.sqrt(3) * sigma * (1 + 1e-3)
        assert np.abs(a).max() > 0.99 * math.sqrt(3) * sigma


@pytest.mark.parametrize(("option", "std"), [("he", 2 / 250), ("xavier", 2 / 350), (0.3, 0.09)])
def test_linear_init_options_have_the_promised_variance(option, std):
    layer = nn.Linear(250, 100, init=option, generator=np.random.default_rng(1))
    assert layer.weight.data.var() == pytest.approx(std, rel=0.03)
    np.testing.assert_array_equal(layer.bias.data, 0)


def test_gain_scales_xavier():
    w = cr.tensor(np.zeros((300, 500)))
    init.xavier_normal_(w, gain=3.0, generator=np.random.default_rng(0))
    assert w.data.std() == pytest.approx(3 * math.sqrt(2 / 800), rel=0.03)


@pytest.mark.parametrize("fill", [init.xavier_normal_, init.xavier_uniform_])
@pytest.mark.parametrize("gain", [-1.0, math.nan, math.inf, "2"])
def test_a_bad_gain_is_named(fill, gain):
    w = cr.tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"gain"):
        fill(w, gain=gain)
    np.testing.assert_array_equal(w.data, 0)


@pytest.mark.parametrize(
    "fill",
    [init.xavier_normal_, init.xavier_uniform_, init.he_normal_, init.he_uniform_],
)
@pytest.mark.parametrize("shape", [(0, 4), (0, 0), (3, 0)])
def test_an_empty_weight_has_nothing_to_fill(fill, shape):
    w = cr.tensor(np.zeros(shape))
    assert fill(w) is w
    assert w.shape == shape


@pytest.mark.parametrize(
    "fill",
    [
        lambda t: init.normal_(t),
        lambda t: init.uniform_(t),
        lambda t: init.he_normal_(t),
        lambda t: init.xavier_uniform_(t),
    ],
    ids=["normal", "uniform", "he_normal", "xavier_uniform"],
)
def test_a_random_fill_of_an_integer_tensor_is_refused_before_writing(fill):
    t = cr.tensor(np.full((3, 4), 7))
    with pytest.raises(TypeError, match=r"floating.*int64"):
        fill(t)
    np.testing.assert_array_equal(t.data, 7)


@pytest.mark.parametrize(
    "fill", [init.normal_, init.uniform_, init.he_normal_, init.zeros_, init.ones_]
)
def test_an_array_that_is_not_a_tensor_is_named(fill):
    with pytest.raises(TypeError, match=r"Tensor.*ndarray"):
        fill(np.zeros((3, 4)))


@pytest.mark.parametrize("generator", [0, 42, np.random.RandomState(0), "seed"])
def test_a_generator_that_is_not_a_numpy_generator_is_named(generator):
    w = cr.tensor(np.zeros((3, 4)))
    # he_normal_(w, 0) is PyTorch's kaiming_normal_(w, a=0): here the 0 is the generator
    with pytest.raises(TypeError, match=r"generator.*numpy\.random\.Generator"):
        init.he_normal_(w, generator)
    for option in ("he", "zeros"):
        with pytest.raises(TypeError, match=r"generator.*numpy\.random\.Generator"):
            nn.Linear(3, 4, init=option, generator=generator)
    np.testing.assert_array_equal(w.data, 0)


# ----- manual_seed ----------------------------------------------------------------------------
def _weights_after(seed):
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 2, init="xavier_uniform"))
    return [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("seed", [0, 7, np.int64(7), 2**40])
def test_manual_seed_reproduces_models(seed):
    for a, b in zip(_weights_after(seed), _weights_after(seed), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(_weights_after(seed)[0], _weights_after(int(seed) + 1)[0])


def test_manual_seed_reproduces_dropout_masks_and_initial_weights_together():
    def run():
        cr.manual_seed(3)
        model = nn.Sequential(nn.Linear(6, 50), nn.Dropout(0.5))
        x = np.ones((4, 6), np.float32)
        return [model(x).data for _ in range(2)]

    first, second = run(), run()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0] == 0, first[1] == 0)  # a new mask at each call


@pytest.mark.parametrize("seed", [None, 1.5, "0", [1, 2], True])
def test_manual_seed_refuses_what_cannot_reproduce(seed):
    # None silently drew fresh entropy: the "seeded" run never repeated
    with pytest.raises(TypeError, match=r"manual_seed: seed must be an integer"):
        cr.manual_seed(seed)


def test_manual_seed_names_a_negative_seed():
    with pytest.raises(ValueError, match=r"manual_seed: seed must be >= 0, got -1"):
        cr.manual_seed(-1)


# ----- Parameter ------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["array", "tensor", "parameter"])
def test_a_parameter_owns_its_array(source):
    a = np.arange(3, dtype=np.float32)
    data = {"array": a, "tensor": cr.tensor(a), "parameter": nn.Parameter(a)}[source]
    p = nn.Parameter(data)
    init.zeros_(p)
    np.testing.assert_array_equal(np.asarray(getattr(data, "data", data)), [0, 1, 2])
    assert p.requires_grad
    assert p.is_leaf


# ----- names that would collide in a state ----------------------------------------------------
class _Keys(nn.Module):
    def __init__(self, blocks):
        self.blocks = blocks


@pytest.mark.parametrize(
    "blocks",
    [
        {0: nn.Linear(1, 1), "0": nn.Linear(1, 1)},
        {"a.b": nn.Linear(1, 1), "a": {"b": nn.Linear(1, 1)}},
    ],
    ids=["int_and_str_keys", "dotted_key"],
)
def test_two_members_under_one_name_are_refused_not_half_saved(blocks):
    # four parameters gave a state of two: the others were never saved nor loaded
    m = _Keys(blocks)
    with pytest.raises(ValueError, match=r"more than one member named .*'blocks\.\S*weight'"):
        m.state_dict()
    with pytest.raises(ValueError, match=r"more than one member named"):
        m.load_state_dict({})
    with pytest.raises(ValueError, match=r"more than one member named"):
        list(m.parameters())


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("a.b", ValueError, r"register_buffer: the name must be non-empty and hold no '\.'"),
        ("", ValueError, r"register_buffer: the name must be non-empty"),
        (3, TypeError, r"register_buffer: the name must be a string, got 3"),
        ("w", ValueError, r"register_buffer: 'w' already holds a Parameter"),
        ("fc", ValueError, r"register_buffer: 'fc' already holds a Linear"),
    ],
)
def test_register_buffer_refuses_a_name_pytorch_refuses(name, error, match):
    # "w" silently turned a parameter into a buffer; "a.running_mean" beside a child "a"
    # would give two state entries one name
    class Holder(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))
            self.fc = nn.Linear(2, 2)

    m = Holder()
    with pytest.raises(error, match=match):
        m.register_buffer(name, np.ones(2))
    assert [n for n, _ in m.named_parameters()] == ["w", "fc.weight", "fc.bias"]
    assert list(m.named_buffers()) == []


def test_register_buffer_may_register_a_buffer_again():
    bn = nn.BatchNorm1d(2)
    bn.register_buffer("running_mean", np.full(2, 3.0))
    bn.register_buffer("running_var", None)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "num_batches_tracked"]
