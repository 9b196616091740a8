"""Review of Tensor.register_post_accumulate_grad_hook, Module.apply and the Sequential
named by a dict: the edge cases they missed."""

from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr


class _Holder(cr.nn.Module):
    def __init__(self, inner):
        self.inner = inner


class _SharedLater(cr.nn.Module):
    """``a`` holds ``b``, which is also this module's own child after ``a``."""

    def __init__(self):
        b = cr.nn.ReLU()
        self.a = _Holder(b)
        self.b = b


def test_apply_visits_a_shared_module_before_the_first_parent_that_holds_it():
    model = _SharedLater()
    seen = []
    model.apply(seen.append)
    assert seen == [model.b, model.a, model]  # PyTorch: b, a, b, model (b once here)


def _named():
    return cr.nn.Sequential(
        OrderedDict([("fc1", cr.nn.Linear(2, 2)), ("act", cr.nn.ReLU()), ("out", cr.nn.Tanh())])
    )


def test_insert_at_a_negative_index_names_the_new_layer_by_its_position():
    model = _named()
    model.insert(-1, cr.nn.Sigmoid())  # before the last, as list.insert: position 2
    names = [(n, type(m).__name__) for n, m in model.named_children()]
    assert names == [("fc1", "Linear"), ("act", "ReLU"), ("2", "Sigmoid"), ("out", "Tanh")]
    model.insert(-4, cr.nn.Identity())  # before the first: position 0
    assert [n for n, _ in model.named_children()] == ["0", "fc1", "act", "2", "out"]
    assert model.fc1 is model[1]


@pytest.mark.parametrize("key", ["forward", "append", "layers", "training", "_names"])
def test_a_layer_name_that_is_already_an_attribute_is_refused(key):
    # PyTorch: KeyError "attribute 'forward' already exists"; accepted, model.forward was
    # the method and the layer could not be reached by its name
    with pytest.raises(ValueError, match=f"cannot be named '{key}', which is already an attr"):
        cr.nn.Sequential({key: cr.nn.Linear(2, 2)})


def test_assigning_to_a_layers_name_replaces_that_layer():
    model = _named()
    new = cr.nn.Linear(2, 3)
    model.out = new  # as in PyTorch: the layer is replaced, in forward and in the state
    assert model[2] is new
    assert model.out is new
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "out.weight", "out.bias"]
    assert model(np.ones((1, 2))).shape == (1, 3)
    with pytest.raises(TypeError, match=r"Sequential\.out: a int is not a Module"):
        model.out = 3
    assert model.out is new
    model.note = "kept"  # any other attribute is set as usual
    assert vars(model)["note"] == "kept"


def test_explain_runs_post_accumulate_hooks_and_shows_the_forward_values_from_before():
    w = cr.tensor([1.0, 2.0], requires_grad=True, name="w")
    x = cr.tensor([3.0, 4.0], name="x")
    opt = cr.optim.SGD([w], lr=0.5)

    def step(p):
        opt.step()
        opt.zero_grad()

    w.register_post_accumulate_grad_hook(step)
    trace = cr.explain((w * x).sum())
    np.testing.assert_array_equal(w.data, [-0.5, 0.0])  # the hook ran, as in backward
    shown = {v.name: v.data for v in trace.values}
    np.testing.assert_array_equal(shown["w"], [1.0, 2.0])  # what mul1 = w·x was made of
    np.testing.assert_array_equal(shown["mul1"], [3.0, 8.0])
    assert "[1, 2]" in trace.table()


def test_a_retained_graph_sees_a_leaf_changed_in_place_by_the_hook_and_anomaly_mode_says_so():
    # the docstring said a second backward through a retained graph used the old values
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([3.0, 4.0], requires_grad=True)
    opt = cr.optim.SGD([w], lr=1.0)
    w.register_post_accumulate_grad_hook(lambda p: opt.step())
    loss = (w * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [1.0 + -2.0, 2.0 + -2.0])  # w was [1, 2], then
    with cr.detect_anomaly():  # [-2, -2]; anomaly mode refuses the second backward
        w2 = cr.tensor([1.0, 2.0], requires_grad=True)
        opt2 = cr.optim.SGD([w2], lr=1.0)
        w2.register_post_accumulate_grad_hook(lambda p: opt2.step())
        loss = (w2 * x).sum()
        loss.backward(retain_graph=True)
        with pytest.raises(cr.AnomalyError, match="modified in place after the forward"):
            loss.backward()
