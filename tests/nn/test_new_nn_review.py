"""Review of the module hooks and by-name methods: a deep-copied model's hooks are copies
bound to the copy, and ModuleDict.add_module puts the module in the dict, as PyTorch's."""

import copy

import numpy as np
import pytest

import chainrule as cr

nn = cr.nn
X = np.arange(6, dtype=np.float64).reshape(2, 3) / 10


class _Keeper(nn.Module):
    """Keeps its layer's outputs through a hook that is one of its own methods."""

    def __init__(self):
        cr.manual_seed(0)
        self.fc, self.kept = nn.Linear(3, 2, dtype="float64"), []
        self.fc.register_forward_hook(self.keep)

    def keep(self, module, args, out):
        self.kept.append(out.data)

    def forward(self, x):
        return self.fc(x)


def test_a_deep_copy_s_method_hook_writes_into_the_copy_not_the_original():
    model = _Keeper()
    twin = copy.deepcopy(model)
    out = twin(X)
    assert model.kept == []  # the original ran nothing
    assert len(twin.kept) == 1
    np.testing.assert_array_equal(twin.kept[0], X @ twin.fc.weight.data + twin.fc.bias.data)
    np.testing.assert_array_equal(twin.kept[0], out.data)


def test_a_deep_copy_s_hook_object_is_a_copy_and_a_function_is_shared():
    class Counter:
        def __init__(self):
            self.calls = 0

        def __call__(self, module, args, out):
            self.calls += 1

    def plain(module, args):
        return None

    counter, layer = Counter(), nn.Linear(3, 2, dtype="float64")
    layer.register_forward_hook(counter)
    layer.register_forward_pre_hook(plain)
    twin = copy.deepcopy(layer)
    twin(X)
    twin(X)
    assert counter.calls == 0
    assert twin._hooks.forward[0].fn.calls == 2
    assert twin._hooks.pre[0].fn is plain


def test_a_deep_copy_s_hooks_agree_with_pytorch():
    torch = pytest.importorskip("torch")

    class Keeper(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc, self.kept = torch.nn.Linear(3, 2), []
            self.fc.register_forward_hook(self.keep)

        def keep(self, module, args, out):
            self.kept.append(out)

        def forward(self, x):
            return self.fc(x)

    ours, theirs = _Keeper(), Keeper()
    ours_twin, their_twin = copy.deepcopy(ours), copy.deepcopy(theirs)
    ours_twin(X)
    their_twin(torch.tensor(X, dtype=torch.float32))
    assert (len(ours.kept), len(ours_twin.kept)) == (len(theirs.kept), len(their_twin.kept))


def test_module_dict_add_module_puts_the_module_under_its_key():
    heads = nn.ModuleDict({"a": nn.Linear(2, 2)})
    b, c = nn.Linear(2, 3), nn.Linear(2, 1)
    heads.add_module("b", b)
    heads.register_module("c", c)
    assert list(heads.keys()) == ["a", "b", "c"]
    assert len(heads) == 3
    assert "b" in heads
    assert heads["b"] is b
    assert heads["c"] is c
    names = [n for n, _ in heads.named_parameters()]
    assert names == ["a.weight", "a.bias", "b.weight", "b.bias", "c.weight", "c.bias"]
    heads.add_module("b", c)  # an existing key is replaced, in its place
    assert list(heads.keys()) == ["a", "b", "c"]
    assert heads["b"] is c


def test_module_dict_add_module_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.ModuleDict({"a": nn.ReLU()}), torch.nn.ModuleDict({"a": torch.nn.ReLU()})
    ours.add_module("b", nn.Tanh())
    theirs.add_module("b", torch.nn.Tanh())
    assert list(ours.keys()) == list(theirs.keys())
    assert len(ours) == len(theirs)
    assert type(ours["b"]).__name__ == type(theirs["b"]).__name__


def test_a_dict_container_is_built_and_updated_from_another_as_pytorch_s():
    torch = pytest.importorskip("torch")
    scales = nn.ParameterDict({"a": np.zeros(2), "b": np.ones(3)})
    copied = nn.ParameterDict(scales)
    assert list(copied.keys()) == ["a", "b"]
    assert copied["a"] is scales["a"]  # the Parameters are shared, as PyTorch's
    grown = nn.ParameterDict({"c": np.zeros(1)})
    grown.update(scales)
    assert list(grown.keys()) == ["c", "a", "b"]
    heads = nn.ModuleDict({"x": nn.ReLU(), "y": nn.Tanh()})
    assert list(nn.ModuleDict(heads).keys()) == ["x", "y"]
    theirs = torch.nn.ParameterDict({"a": torch.zeros(2), "b": torch.ones(3)})
    assert list(torch.nn.ParameterDict(theirs).keys()) == list(copied.keys())
    their_heads = torch.nn.ModuleDict({"x": torch.nn.ReLU(), "y": torch.nn.Tanh()})
    assert list(torch.nn.ModuleDict(their_heads).keys()) == ["x", "y"]
