"""Module forward hooks, members by dotted name, and add_module / register_parameter,
with PyTorch's meaning (checked against torch.nn where it is installed)."""

import copy

import numpy as np
import pytest

import chainrule as cr

nn = cr.nn
X = np.arange(6, dtype=np.float64).reshape(2, 3) / 10


def _mlp():
    cr.manual_seed(0)
    return nn.Sequential(
        nn.Linear(3, 4, dtype="float64"), nn.ReLU(), nn.Linear(4, 2, dtype="float64")
    )


# ----- forward hooks ----------------------------------------------------------------------
def test_a_forward_hook_sees_each_layer_output_and_leaves_the_result_alone():
    model, seen = _mlp(), {}
    for name, layer in model.named_children():
        layer.register_forward_hook(lambda m, args, out, name=name: seen.update({name: out}))
    y = model(X)
    hidden = np.maximum(X @ model[0].weight.data + model[0].bias.data, 0)
    np.testing.assert_allclose(seen["1"].data, hidden)
    np.testing.assert_array_equal(seen["2"].data, y.data)
    np.testing.assert_allclose(y.data, hidden @ model[2].weight.data + model[2].bias.data)


def test_a_returned_output_replaces_it_and_the_gradient_follows():
    model = _mlp()
    model[2].register_forward_hook(lambda m, args, out: out * 3.0)
    y = model(X)
    base = np.maximum(X @ model[0].weight.data + model[0].bias.data, 0)
    np.testing.assert_allclose(y.data, 3 * (base @ model[2].weight.data + model[2].bias.data))
    y.sum().backward()
    np.testing.assert_allclose(model[2].bias.grad, [3 * len(X)] * 2)  # d(3·Σ(hW + b))/db


def test_a_pre_hook_replaces_the_arguments_and_a_single_value_is_one_argument():
    layer, got = nn.Linear(3, 2, dtype="float64"), []
    layer.register_forward_pre_hook(lambda m, args: args[0] * 0)  # not a tuple: wrapped
    layer.register_forward_hook(lambda m, args, out: got.append(args))
    y = layer(X)
    np.testing.assert_array_equal(y.data, np.broadcast_to(layer.bias.data, (2, 2)))
    assert isinstance(got[0], tuple)
    np.testing.assert_array_equal(got[0][0], np.zeros_like(X))


def test_hooks_run_in_order_prepend_first_and_forward_alone_runs_none():
    layer, calls = nn.ReLU(), []
    layer.register_forward_hook(lambda *a: calls.append("a"))
    layer.register_forward_hook(lambda *a: calls.append("b"))
    layer.register_forward_hook(lambda *a: calls.append("first"), prepend=True)
    layer.register_forward_pre_hook(lambda *a: calls.append("pre"))
    layer(X)
    assert calls == ["pre", "first", "a", "b"]
    calls.clear()
    layer.forward(X)
    assert calls == []


def test_with_kwargs_hooks_get_and_may_replace_the_keyword_arguments():
    class Scale(nn.Module):
        def forward(self, x, *, factor=1.0):
            return x * factor

    module, seen = Scale(), []
    module.register_forward_pre_hook(
        lambda m, args, kwargs: (args, {"factor": 5.0}), with_kwargs=True
    )
    module.register_forward_hook(lambda m, a, kw, out: seen.append(kw), with_kwargs=True)
    np.testing.assert_allclose(module(cr.tensor(X), factor=2.0).data, X * 5)
    assert seen == [{"factor": 5.0}]


def test_a_with_kwargs_pre_hook_returning_something_else_is_a_type_error():
    layer = nn.ReLU()
    layer.register_forward_pre_hook(lambda m, args, kwargs: args, with_kwargs=True)
    with pytest.raises(TypeError, match=r"with_kwargs=True must return None or a tuple"):
        layer(cr.tensor(X))


def test_handles_remove_once_by_remove_call_or_with_block():
    layer, calls = nn.ReLU(), []
    hook = lambda *a: calls.append(1)  # noqa: E731 (one function registered twice)
    first = layer.register_forward_hook(hook)
    second = layer.register_forward_hook(hook)
    first.remove()
    first.remove()  # again: does not take off the other registration
    layer(X)
    assert calls == [1]
    second()
    layer(X)
    assert calls == [1]
    with layer.register_forward_hook(hook):
        layer(X)
    layer(X)
    assert calls == [1, 1]


def test_a_hook_removing_itself_does_not_skip_the_next():
    layer, calls = nn.ReLU(), []
    handle = layer.register_forward_hook(lambda *a: (calls.append("once"), handle.remove()))
    layer.register_forward_hook(lambda *a: calls.append("always"))
    layer(X)
    layer(X)
    assert calls == ["once", "always", "always"]


def test_hooks_are_not_members_and_are_kept_by_deepcopy():
    class Recorder(nn.Module):  # a module used as a hook is not a child of the model
        def __init__(self):
            self.fc, self.calls = nn.Linear(2, 2), []

        def forward(self, module, args, out):
            self.calls.append(type(module).__name__)

    model, recorder = _mlp(), Recorder()
    model[0].register_forward_hook(recorder)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(model.state_dict()) == names
    assert [n for n, _ in model.named_modules()] == ["", "0", "1", "2"]
    model(X)
    assert recorder.calls == ["Linear"]
    twin = copy.deepcopy(model)
    twin(X)
    assert recorder.calls == ["Linear"]  # the copy calls a copy of the hook, as PyTorch's
    assert twin[0]._hooks.forward[0].fn.calls == ["Linear", "Linear"]


def test_a_hook_that_is_not_callable_is_a_type_error():
    with pytest.raises(TypeError, match="register_forward_hook: expected a callable"):
        nn.ReLU().register_forward_hook(3)
    with pytest.raises(TypeError, match="register_forward_pre_hook: expected a callable"):
        nn.ReLU().register_forward_pre_hook(None)


def test_forward_hooks_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    logs = {}
    for lib, mod in (("cr", nn), ("torch", torch.nn)):
        log = logs[lib] = []
        layer = mod.Tanh()
        layer.register_forward_pre_hook(
            lambda m, args, log=log: log.append("pre") or (args[0] * 2,)
        )
        h = layer.register_forward_hook(lambda m, args, out, log=log: log.append("a"))
        layer.register_forward_hook(lambda m, args, out, log=log: log.append("b") or out + 1)
        layer.register_forward_hook(lambda m, args, out, log=log: log.append("p"), prepend=True)
        x = cr.tensor(X) if lib == "cr" else torch.tensor(X)
        out = layer(x)
        h.remove()
        layer(x)
        log.append(np.asarray(out.detach().numpy()).round(12).tolist())
    assert logs["cr"] == logs["torch"]


# ----- members by name ----------------------------------------------------------------------
class _Net(nn.Module):
    def __init__(self):
        self.body = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        self.heads = [nn.Linear(4, 2), nn.Linear(4, 1)]
        self.scales = nn.ParameterList([np.ones(2)])
        self.bias = nn.Parameter(np.zeros(1))


def test_every_name_the_model_lists_is_found_as_that_member():
    net = _Net()
    for name, module in net.named_modules():
        assert net.get_submodule(name) is module
    for name, p in net.named_parameters():
        assert net.get_parameter(name) is p
    for name, b in net.named_buffers():
        assert net.get_buffer(name) is b
    assert net.get_parameter("heads.1.weight") is net.heads[1].weight


@pytest.mark.parametrize(
    ("method", "target", "message"),
    [
        ("get_submodule", "body.7", r"Sequential \(body\) has no submodule '7'"),
        ("get_submodule", "heads.0.weight", r"Linear \(heads.0\) has no submodule 'weight'"),
        ("get_parameter", "body.1.running_mean", r"BatchNorm1d \(body.1\) has no parameter"),
        ("get_buffer", "body.0.weight", r"Linear \(body.0\) has no buffer 'weight'"),
        ("get_parameter", "nothing", r"_Net \(the model\) has no parameter 'nothing'"),
    ],
)
def test_a_missing_member_is_an_attribute_error_naming_the_part(method, target, message):
    with pytest.raises(AttributeError, match=message):
        getattr(_Net(), method)(target)


def test_names_resolve_as_in_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Sequential(nn.Linear(4, 2)))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Sequential(torch.nn.Linear(4, 2))
    )
    for name, _ in theirs.named_modules():
        assert type(ours.get_submodule(name)).__name__ == type(theirs.get_submodule(name)).__name__
    for name, p in theirs.named_parameters():
        assert ours.get_parameter(name).size == p.numel()
    for name in ("1.running_mean", "1.running_var"):
        assert ours.get_buffer(name).shape == tuple(theirs.get_buffer(name).shape)


# ----- add_module and register_parameter --------------------------------------------------------
def test_added_members_are_found_and_checked():
    net = nn.Module()
    net.add_module("fc", nn.Linear(2, 2))
    net.register_module("act", nn.ReLU())
    net.register_parameter("alpha", nn.Parameter(np.ones(1)))
    net.register_parameter("unused", None)  # as in PyTorch: nothing is listed for it
    assert [n for n, _ in net.named_parameters()] == ["fc.weight", "fc.bias", "alpha"]
    assert [n for n, _ in net.named_children()] == ["fc", "act"]
    net.add_module("fc", nn.Linear(2, 3))  # a module may replace a module
    assert net.fc.out_features == 3


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: m.add_module("a.b", nn.ReLU()), ValueError, "without '.'"),
        (lambda m: m.add_module("", nn.ReLU()), ValueError, "non-empty"),
        (lambda m: m.add_module("forward", nn.ReLU()), KeyError, "'forward' already exists"),
        (lambda m: m.add_module("alpha", nn.ReLU()), KeyError, "'alpha' already exists"),
        (lambda m: m.add_module("x", 3), TypeError, "must be a Module or None"),
        (lambda m: m.register_parameter("w", np.ones(2)), TypeError, "nn.Parameter"),
        (lambda m: m.register_parameter("fc", nn.Parameter(np.ones(1))), KeyError, "exists"),
    ],
)
def test_bad_names_and_values_are_refused_and_change_nothing(call, error, message):
    net = nn.Module()
    net.add_module("fc", nn.Linear(2, 2))
    net.register_parameter("alpha", nn.Parameter(np.ones(1)))
    before = [n for n, _ in net.named_parameters()]
    with pytest.raises(error, match=message):
        call(net)
    assert [n for n, _ in net.named_parameters()] == before


def test_sequential_add_module_appends_a_named_layer_as_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4, dtype="float64"), nn.ReLU())
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4).double(), torch.nn.ReLU())
    for seq, mod in ((ours, nn), (theirs, torch.nn)):
        seq.add_module("head", mod.Linear(4, 2))
        seq.append(mod.Tanh())
    assert [n for n, _ in ours.named_children()] == list(theirs._modules) == ["0", "1", "head", "3"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ours(X).shape == (2, 2)  # the added layer runs in forward
    ours.add_module("head", nn.Linear(4, 5, dtype="float64"))  # replaced in place
    assert ours(X).shape == (2, 5)
