"""`Sequential(OrderedDict(...))`: layers named by their keys, as in PyTorch."""

from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _named():
    return cr.nn.Sequential(
        OrderedDict(
            [("fc1", cr.nn.Linear(3, 4)), ("act", cr.nn.ReLU()), ("fc2", cr.nn.Linear(4, 2))]
        )
    )


def test_keys_name_the_layers_in_the_state_the_repr_and_as_attributes():
    model = _named()
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in model.named_children()] == ["fc1", "act", "fc2"]
    assert "(fc1): Linear(in_features=3, out_features=4" in repr(model)
    assert model.fc1 is model[0]
    assert model.fc2 is model[-1]
    with pytest.raises(AttributeError, match="'Sequential' object has no attribute 'fc3'"):
        model.fc3  # noqa: B018


def test_the_forward_is_the_layers_in_order():
    model = _named()
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    w1, b1 = model.fc1.weight.data, model.fc1.bias.data
    w2, b2 = model.fc2.weight.data, model.fc2.bias.data
    expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6)


def test_a_plain_dict_works_too():
    model = cr.nn.Sequential({"a": cr.nn.Tanh(), "b": cr.nn.ReLU()})
    assert [n for n, _ in model.named_children()] == ["a", "b"]


def test_edits_keep_the_names_and_name_new_layers_by_position():
    model = _named()
    model.append(cr.nn.Tanh())  # PyTorch's append names it str(len): "3"
    assert [n for n, _ in model.named_children()] == ["fc1", "act", "fc2", "3"]
    popped = model.pop(1)
    assert isinstance(popped, cr.nn.ReLU)
    assert [n for n, _ in model.named_children()] == ["fc1", "fc2", "3"]
    del model[0]
    model.insert(0, cr.nn.Sigmoid())
    assert [n for n, _ in model.named_children()] == ["0", "fc2", "3"]
    model[0] = cr.nn.ReLU()  # replacing keeps the name
    assert [n for n, _ in model.named_children()] == ["0", "fc2", "3"]
    assert [n for n, _ in model[1:].named_children()] == ["fc2", "3"]  # a slice keeps them


def test_a_generated_name_another_layer_has_is_refused_and_changes_nothing():
    model = cr.nn.Sequential({"a": cr.nn.Tanh(), "b": cr.nn.ReLU()})
    del model[0]
    model.append(cr.nn.Sigmoid())  # at position 1: named "1"
    with pytest.raises(ValueError, match="would be named '1', a name another layer has"):
        model.insert(1, cr.nn.Tanh())  # at position 1 again
    assert [n for n, _ in model.named_children()] == ["b", "1"]
    assert len(model) == 2


@pytest.mark.parametrize("key", ["", "a.b", 3])
def test_bad_names_are_refused(key):
    with pytest.raises(ValueError, match=r"a layer's name must be non-empty text without '\.'"):
        cr.nn.Sequential({key: cr.nn.ReLU()})


def test_an_error_inside_a_layer_names_it():
    with pytest.raises(ValueError, match="Sequential layer 0 'fc1'"):
        _named()(np.ones((2, 5), np.float32))


@needs_torch
def test_a_pytorch_named_sequentials_state_loads_with_its_weights_transposed():
    theirs = torch.nn.Sequential(
        OrderedDict(
            [
                ("fc1", torch.nn.Linear(3, 4)),
                ("act", torch.nn.ReLU()),
                ("fc2", torch.nn.Linear(4, 2)),
            ]
        )
    )
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    state = {k: v.T.copy() if k.endswith("weight") else v for k, v in state.items()}
    model = _named()
    model.load_state_dict(state)
    x = np.random.default_rng(0).random((5, 3), dtype=np.float32)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-5, atol=1e-6)
