"""Module: the attribute walk, state dicts, modes, repr and summary."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


class Block(nn.Module):
    """Attributes of every kind the walk finds, in a deliberate order."""

    def __init__(self):
        self.scale = nn.Parameter(np.ones(3, np.float32))
        self.first = nn.Linear(2, 3)
        self.note = "not a parameter"
        self.cache = cr.tensor(np.zeros(3))  # a plain Tensor is not a parameter
        self.heads = [nn.Linear(3, 1), nn.ReLU(), nn.Linear(3, 2, bias=False)]
        self.norm = nn.BatchNorm1d(3)

    def forward(self, x):
        h = self.norm(self.first(x) * self.scale)
        return self.heads[0](h) + self.heads[2](h).sum(axis=1, keepdims=True)


NAMES = [
    "scale",
    "first.weight",
    "first.bias",
    "heads.0.weight",
    "heads.0.bias",
    "heads.2.weight",
    "norm.weight",
    "norm.bias",
]


def _model(seed=0):
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 3))


# ----- parameters --------------------------------------------------------------------------
def test_parameter_is_a_trainable_leaf_tensor():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, cr.Tensor)
    assert p.requires_grad
    assert p.is_leaf
    assert p.dtype == np.float32
    assert not nn.Parameter(np.ones(2), requires_grad=False).requires_grad
    assert type(p * 2) is cr.Tensor
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")


def test_named_parameters_follow_definition_order():
    block = Block()
    assert [n for n, _ in block.named_parameters()] == NAMES
    assert [p for p in block.parameters()][1] is block.first.weight
    assert [n for n, _ in block.named_buffers()] == [
        "norm.running_mean",
        "norm.running_var",
        "norm.num_batches_tracked",
    ]


def test_modules_in_a_dict_are_found_and_round_trip_through_the_state_dict():
    class Heads(nn.Module):
        def __init__(self):
            self.blocks = {"a": nn.Linear(2, 3), "b": nn.Linear(3, 1), "note": "text"}

    model = Heads()
    names = ["blocks.a.weight", "blocks.a.bias", "blocks.b.weight", "blocks.b.bias"]
    assert [n for n, _ in model.named_parameters()] == names
    assert [n for n, _ in model.named_children()] == ["blocks.a", "blocks.b"]
    other = Heads()
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other.blocks["b"].weight.data, model.blocks["b"].weight.data)


def test_modules_in_nested_containers_are_found_trained_saved_and_switched_to_eval():
    class Stages(nn.Module):
        def __init__(self):
            self.stages = [[nn.Linear(2, 2), nn.Dropout(0.5)], {"head": (nn.Linear(2, 1),)}]
            self.stages.append(self.stages)  # a list holding itself is walked once

    model = Stages()
    names = ["stages.0.0.weight", "stages.0.0.bias", "stages.1.head.0.weight"]
    assert [n for n, _ in model.named_parameters()] == [*names, "stages.1.head.0.bias"]
    assert list(model.state_dict()) == [n for n, _ in model.named_parameters()]
    model.eval()
    assert model.stages[0][1].training is False  # the Dropout two levels down
    other = Stages()
    other.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(other.stages[0][0].weight.data, model.stages[0][0].weight.data)


def test_a_buffer_that_is_none_is_left_out_of_the_state_until_it_holds_an_array():
    class Lazy(nn.Module):
        def __init__(self):
            self.register_buffer("seen", None)
            self.layer = nn.Linear(2, 2)

    model = Lazy()
    assert model.seen is None
    assert "seen" not in model.state_dict()
    model.load_state_dict(model.state_dict())  # its own state loads
    model.seen = np.arange(3.0)
    assert [n for n, _ in model.named_buffers()] == ["seen"]
    np.testing.assert_array_equal(model.state_dict()["seen"], [0.0, 1.0, 2.0])


def test_a_shared_parameter_is_listed_once():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.modules())) == 3


def test_a_module_needs_no_super_init():
    class Scale(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.full(2, 3.0, np.float32))

        def forward(self, x):
            return x * self.w

    m = Scale()
    assert m.training
    assert m(np.ones(2, np.float32)).data.tolist() == [3.0, 3.0]
    with pytest.raises(NotImplementedError, match=r"Module\.forward"):
        nn.Module()(1)


# ----- Sequential ---------------------------------------------------------------------------
def test_sequential_indexing_len_and_iteration():
    model = _model()
    assert len(model) == 4
    assert isinstance(model[0], nn.Linear)
    assert model[-1] is model.layers[3]
    assert list(model) == model.layers
    head = model[:2]
    assert isinstance(head, nn.Sequential)
    assert head[0] is model[0]
    assert head(np.ones((2, 4), np.float32)).shape == (2, 8)
    with pytest.raises(TypeError, match="layer 1 is a function"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_a_subclass_of_sequential_keeps_its_own_parameters_and_buffers():
    class Scaled(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(2, 3), nn.ReLU())
            self.scale = nn.Parameter(np.full(3, 2.0, np.float32))
            self.register_buffer("calls", np.zeros((), np.int64))

        def forward(self, x):
            return super().forward(x) * self.scale

    model = Scaled()
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "scale"]
    assert any(p is model.scale for p in model.parameters())
    assert list(model.state_dict()) == ["0.weight", "0.bias", "scale", "calls"]
    state = {**model.state_dict(), "scale": np.full(3, 5.0)}
    model.load_state_dict(state)
    assert np.array_equal(model.scale.data, [5.0, 5.0, 5.0])


# ----- state --------------------------------------------------------------------------------
def test_state_dict_holds_copies_of_parameters_and_buffers():
    model = _model()
    state = model.state_dict()
    assert list(state) == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "2.running_mean",
        "2.running_var",
        "2.num_batches_tracked",
        "3.weight",
        "3.bias",
    ]
    assert all(type(v) is np.ndarray for v in state.values())
    state["0.weight"][...] = 7
    assert not np.any(model[0].weight.data == 7)


def test_state_dict_round_trip_copies_in_place():
    source, target = _model(0), _model(1)
    source(np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32))  # moves stats
    arrays = [p.data for p in target.parameters()] + [target[2].running_mean]
    assert target.load_state_dict(source.state_dict()) == nn.LoadResult([], [])
    assert [p.data for p in target.parameters()] + [target[2].running_mean] == arrays  # same
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    x = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(source.eval()(x).data, target.eval()(x).data)


def test_load_state_dict_strict_lists_every_problem_and_changes_nothing():
    model = _model()
    before = model.state_dict()
    state = model.state_dict()
    del state["3.bias"]
    state["4.weight"] = np.zeros(2)
    state["0.weight"] = np.zeros((8, 4))
    with pytest.raises(ValueError, match="state does not fit") as err:
        model.load_state_dict(state)
    message = str(err.value)
    assert "missing from the state: 3.bias" in message
    assert "unexpected in the state: 4.weight" in message
    assert "shape mismatch for 0.weight: model (4, 8), state (8, 4)" in message
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("state", [None, [("0.bias", np.zeros(8))], np.zeros(3)])
def test_load_state_dict_of_something_not_a_dict_is_an_error_naming_its_type(state):
    model = _model()
    with pytest.raises(ValueError, match=rf"expected a dict .*got a {type(state).__name__}$"):
        model.load_state_dict(state)


def test_load_state_dict_not_strict_reports_names_but_still_checks_shapes():
    model = _model()
    state = {"0.bias": np.full(8, 2.0), "extra": np.zeros(1)}
    result = model.load_state_dict(state, strict=False)
    assert result.unexpected == ["extra"]
    assert "3.weight" in result.missing
    assert (result.missing_keys, result.unexpected_keys) == (result.missing, result.unexpected)
    np.testing.assert_array_equal(model[0].bias.data, 2.0)
    assert model[0].bias.dtype == np.float32
    with pytest.raises(ValueError, match=r"shape mismatch for 0.bias: model \(8,\), state \(3,\)"):
        model.load_state_dict({"0.bias": np.zeros(3)}, strict=False)


# ----- modes and gradients ------------------------------------------------------------------
def test_train_and_eval_are_recursive():
    block = Block()
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())


def test_eval_changes_dropout_and_batchnorm():
    model = nn.Sequential(nn.BatchNorm1d(5), nn.Dropout(0.5))
    x = np.random.default_rng(0).standard_normal((10, 5)).astype(np.float32) + 3
    train_out = model(x).data
    assert np.any(train_out == 0)  # dropped
    eval_out = model.eval()(x).data
    np.testing.assert_allclose(
        eval_out, (x - model[0].running_mean) / np.sqrt(model[0].running_var + 1e-5), rtol=1e-5
    )
    assert not np.any(eval_out == 0)


def test_zero_grad_clears_every_gradient():
    block = Block()
    block(np.ones((4, 2), np.float32)).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


def test_zero_grad_set_to_none_false_fills_zeros_of_each_shape_and_dtype():
    block = Block()
    block(np.ones((4, 2), np.float32)).sum().backward()
    block.zero_grad(set_to_none=False)
    for p in block.parameters():
        assert p.grad.dtype == p.dtype
        np.testing.assert_array_equal(p.grad, np.zeros(p.shape))


# ----- display ------------------------------------------------------------------------------
def test_repr_shows_the_tree():
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Dropout(0.1)))) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "  )\n"
        ")"
    )
    assert "(heads.1): ReLU()" in repr(Block())


def test_summary_lists_layers_shapes_and_counts():
    model = _model().train()
    text = model.summary((2, 4))
    lines = text.splitlines()
    assert lines[0].split() == ["Layer", "(type)", "Output", "shape", "Params"]
    assert lines[2].split() == ["0", "(Linear)", "(2,", "8)", "40"]
    assert lines[4].split() == ["2", "(BatchNorm1d)", "(2,", "8)", "16"]
    assert lines[5].split() == ["3", "(Linear)", "(2,", "3)", "27"]
    assert lines[-2:] == ["Total params: 83", "Trainable params: 83"]
    assert all(m.training for m in model.modules())  # modes restored
    assert all(p.grad is None for p in model.parameters())


def test_summary_of_a_nested_model_names_the_leaves():
    text = Block().summary((4, 2))
    assert "first (Linear)" in text
    assert "heads.2 (Linear)" in text
    assert "norm (BatchNorm1d)" in text
    assert "Total params: 28" in text
    assert "Total params: 1,010" in nn.Linear(100, 10).summary((100,))


def test_summary_cleans_up_after_a_failing_forward():
    model = _model().train()
    with pytest.raises(ValueError, match="does not fit a weight"):
        model.summary((2, 5))
    assert all(m.training for m in model.modules())
    model(np.ones((2, 4), np.float32))  # module calls are no longer recorded
    assert nn._module._Recorder.calls is None


def test_a_layer_that_does_not_fit_is_named_by_its_place_in_sequential():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(ValueError, match=r"^Sequential layer 2 \(Linear\(in_features=5, ") as e:
        model(np.ones((2, 3), np.float32))
    assert "input of shape (2, 4) does not fit a weight of shape (5, 2)" in str(e.value)


def test_a_buffer_replaced_by_a_numpy_scalar_is_named_and_nothing_is_loaded():
    # `self.steps = self.steps + 1` gives a NumPy scalar, which cannot be loaded into
    class Counter(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
            self.register_buffer("steps", np.array(0))

        def forward(self, x):
            self.steps = self.steps + 1
            return self.fc(x)

    a, b = Counter(), Counter()
    a(cr.tensor(np.ones((1, 2), np.float32)))
    before = a.fc.weight.data.copy()
    with pytest.raises(ValueError, match=r"steps in the model is not a writable array \(a int64"):
        a.load_state_dict(b.state_dict())
    np.testing.assert_array_equal(a.fc.weight.data, before)  # nothing changed


def test_summary_counts_a_layer_called_twice_once():
    # 4→4 Linear (16 + 4 = 20) used twice, then 4→2 (8 + 2 = 10): rows add to the total 30
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(4, 2))
    lines = model.summary((1, 4)).splitlines()
    counts = [line.rsplit("   ", 1)[-1].strip() for line in lines[2:6]]
    assert counts == ["20", "0", "0 (shared)", "10"]
    assert "Total params: 30" in lines


def test_repr_of_a_module_with_children_keeps_its_own_settings():
    class Block(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
            self.scale = 3

        def extra_repr(self):
            return f"scale={self.scale}"

        def forward(self, x):
            return self.fc(x) * self.scale

    assert repr(Block()).splitlines() == [
        "Block(",
        "  scale=3",
        "  (fc): Linear(in_features=2, out_features=2, bias=True)",
        ")",
    ]


def test_requires_grad_false_freezes_a_layer():
    cr.manual_seed(0)
    first, last = nn.Linear(2, 3), nn.Linear(3, 1)
    model = nn.Sequential(first, nn.ReLU(), last)
    assert first.requires_grad_(False) is first
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    frozen, trained = first.weight.data.copy(), last.weight.data.copy()
    (model(np.ones((4, 2), np.float32)) ** 2).sum().backward()
    opt.step()
    assert first.weight.grad is None
    np.testing.assert_array_equal(first.weight.data, frozen)
    assert not np.array_equal(last.weight.data, trained)
    assert model.requires_grad_(True) is model
    assert all(p.requires_grad for p in model.parameters())


def test_tensor_requires_grad_underscore_returns_the_tensor():
    t = cr.tensor([1.0, 2.0])
    assert t.requires_grad_() is t
    assert t.requires_grad
    with pytest.raises(TypeError, match="only floating tensors"):
        cr.tensor(np.array([1, 2])).requires_grad_()


def test_a_child_that_refers_back_to_its_parent_does_not_rename_the_parents_parameters():
    # as in PyTorch: the model itself is reached first, under no prefix
    class Tree(nn.Module):
        def __init__(self):
            self.child = nn.Linear(2, 2)
            self.child.parent = self  # a back reference, reached before scale
            self.scale = nn.Parameter(np.ones(2, np.float32))

    model = Tree()
    names = ["child.weight", "child.bias", "scale"]
    assert [n for n, _ in model.named_parameters()] == names
    assert list(model.state_dict()) == names
    model.load_state_dict(Tree().state_dict())


@pytest.mark.parametrize("value", [5, 2.5, np.int64(5), [1, 2]])
def test_state_dict_gives_arrays_for_a_buffer_replaced_by_a_number_or_a_list(value):
    class Counter(nn.Module):
        def __init__(self):
            self.register_buffer("steps", np.array(0))

    model = Counter()
    model.steps = value  # as `self.steps = self.steps + 1` or `= 0` does
    state = model.state_dict()
    assert type(state["steps"]) is np.ndarray
    np.testing.assert_array_equal(state["steps"], value)
    state["steps"][...] = 9
    assert model.steps is value  # a copy, not the buffer itself


@pytest.mark.parametrize("mode", ["False", 0, None])
def test_train_refuses_a_mode_that_is_not_a_bool_and_changes_nothing(mode):
    # a string would be truthy and leave dropout on: PyTorch refuses it too
    model = nn.Sequential(nn.Dropout(0.5))
    with pytest.raises(ValueError, match=r"train: mode must be True or False, got "):
        model.train(mode)
    assert model.training
    assert model[0].training


def test_train_takes_a_numpy_bool():
    model = nn.Sequential(nn.Dropout(0.5))
    assert model.train(np.bool_(False)) is model
    assert model[0].training is False


def test_children_list_a_layer_stored_twice_once_and_the_repr_shows_both_places():
    # PyTorch's children() and named_children() skip a module already given; its repr does not
    class Twice(nn.Module):
        def __init__(self):
            self.first = nn.Linear(2, 2)
            self.act = nn.ReLU()
            self.again = self.first

    model = Twice()
    assert [n for n, _ in model.named_children()] == ["first", "act"]
    assert list(model.children()) == [model.first, model.act]
    assert "(again): Linear(in_features=2" in repr(model)
    assert [type(m).__name__ for m in nn.Sequential(model, nn.Tanh()).children()] == [
        "Twice",
        "Tanh",
    ]


def test_summary_gives_a_row_to_parameters_a_container_holds_itself():
    # fc: 2·3 + 3 = 9; the model's own scale (3) and offsets (2 + 2): its row, after fc's
    class Scaled(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 3)
            self.scale = nn.Parameter(np.ones(3, np.float32))
            self.offsets = [nn.Parameter(np.zeros(2, np.float32)) for _ in range(2)]

        def forward(self, x):
            return self.fc(x) * self.scale

    lines = nn.Sequential(Scaled(), nn.ReLU()).summary((1, 2)).splitlines()
    assert [line.split() for line in lines[2:5]] == [
        ["0.fc", "(Linear)", "(1,", "3)", "9"],
        ["0", "(Scaled)", "(1,", "3)", "7"],
        ["1", "(ReLU)", "(1,", "3)", "0"],
    ]
    assert lines[6] == "Total params: 16"


def test_load_state_dict_names_a_value_that_is_not_an_array_with_the_other_problems():
    model = _model()
    before = model.state_dict()
    state = {**model.state_dict(), "0.bias": [[1.0], [1.0, 2.0]], "3.bias": np.zeros(2)}
    with pytest.raises(ValueError, match="state does not fit") as err:
        model.load_state_dict(state)
    message = str(err.value)
    assert "0.bias is not an array: setting an array element with a sequence" in message
    assert "shape mismatch for 3.bias: model (3,), state (2,)" in message
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_a_tied_weight_has_one_key_loads_back_and_is_stepped_once():
    class Tied(nn.Module):
        def __init__(self):
            self.enc = nn.Linear(2, 2, bias=False, init="zeros")
            self.dec = nn.Linear(2, 2, init="zeros")
            self.dec.weight = self.enc.weight

        def forward(self, x):
            return self.dec(self.enc(x))

    model = Tied()
    model.enc.weight.data[...] = np.eye(2)
    assert list(model.state_dict()) == ["enc.weight", "dec.bias"]
    assert model.load_state_dict(model.state_dict()) == nn.LoadResult([], [])
    # PyTorch's state of the same model also has dec.weight: reported, not loaded
    both = {**model.state_dict(), "dec.weight": np.eye(2)}
    assert model.load_state_dict(both, strict=False) == nn.LoadResult([], ["dec.weight"])
    # out = x·W·W + b with W = I and x = (1, 1): d sum(out)/dW = 2 in every entry (two uses)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    model(np.ones((1, 2), np.float32)).sum().backward()
    opt.step()
    np.testing.assert_allclose(model.enc.weight.data, np.eye(2) - 0.2, rtol=1e-6)
    assert model.dec.weight is model.enc.weight


def test_a_subclass_may_keep_its_own_state_attribute():
    """A recurrent wrapper's ``self._state`` (a name users pick) is its own attribute: the
    module's walk over parameters and buffers does not rely on it."""

    class Stateful(nn.Module):
        def __init__(self):
            self.cell = nn.Linear(2, 2)
            self._state = np.zeros(2)

        def forward(self, x):
            return self.cell(x)

    model = Stateful()
    assert [n for n, _ in model.named_parameters()] == ["cell.weight", "cell.bias"]
    assert list(model.state_dict()) == ["cell.weight", "cell.bias"]
    assert model.load_state_dict(model.state_dict()) == nn.LoadResult([], [])
