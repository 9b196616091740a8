"""Module backward hooks (register_full_backward_hook, register_full_backward_pre_hook):
what each hook is given and when, checked by hand and against torch.nn on the same
Linear-ReLU-Linear network."""

import copy

import numpy as np
import pytest

import chainrule as cr

nn = cr.nn
X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
UP = np.array([[1.0, -2.0], [0.5, 3.0]])  # the upstream gradient of the network's output


class Triple(nn.Module):
    """y = 3·x, so grad_input = 3·grad_output."""

    def forward(self, x):
        return x * 3.0


class Pair(nn.Module):
    """Two outputs, (2·x, x·y), and a number; y may not require gradients."""

    def forward(self, x, y, k=None):
        return x * 2.0, x * y, 5


def _mlp():
    cr.manual_seed(0)
    return nn.Sequential(
        nn.Linear(3, 4, dtype="float64"), nn.ReLU(), nn.Linear(4, 2, dtype="float64")
    )


def _torch_mlp(torch, model):
    """The same network in PyTorch: its Linear weights are ours transposed."""
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    ).double()
    with torch.no_grad():
        for i in (0, 2):
            theirs[i].weight.copy_(torch.tensor(model[i].weight.data.T))
            theirs[i].bias.copy_(torch.tensor(model[i].bias.data))
    return theirs


def _np(g):
    """A gradient a hook got, as a NumPy array (ours are arrays, PyTorch's tensors)."""
    return None if g is None else np.array(g.detach().numpy() if hasattr(g, "detach") else g)


def _record_hooks(module, log: list, name: str) -> None:
    """A pre-hook and a hook on ``module`` appending (name, kind, gradients) to ``log``."""

    def pre(module, grad_output):
        log.append((name, "pre", tuple(map(_np, grad_output))))

    def hook(module, grad_input, grad_output):
        log.append((name, "hook", tuple(map(_np, grad_input)), tuple(map(_np, grad_output))))

    module.register_full_backward_pre_hook(pre)
    module.register_full_backward_hook(hook)


def _hooked_run(model, x, up) -> list:
    """The log of hooks on every layer and on the model in ``model(x).backward(up)``."""
    log = []
    for name, layer in [*model.named_children(), ("model", model)]:
        _record_hooks(layer, log, name)
    model(x).backward(up)
    return log


def _assert_same_log(ours, theirs):
    assert [e[:2] for e in ours] == [e[:2] for e in theirs]
    for a, b in zip(ours, theirs):
        for grads_a, grads_b in zip(a[2:], b[2:]):
            assert [g is None for g in grads_a] == [g is None for g in grads_b], a[:2]
            for g, h in zip(grads_a, grads_b):
                if g is not None:
                    np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-14)


# ----- by hand ----------------------------------------------------------------------------
def test_a_module_computing_3x_gets_grad_input_three_times_grad_output():
    m, seen = Triple(), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((mod, gi, go)))
    x = cr.tensor([1.0, -2.0, 4.0], dtype="float64", requires_grad=True)
    up = np.array([0.5, 2.0, -1.0])
    m(x).backward(up)
    ((mod, grad_input, grad_output),) = seen
    assert mod is m
    assert isinstance(grad_input, tuple)
    assert isinstance(grad_output, tuple)
    np.testing.assert_array_equal(grad_output[0], up)
    np.testing.assert_array_equal(grad_input[0], 3 * up)
    np.testing.assert_array_equal(x.grad, 3 * up)


def test_the_pre_hook_runs_first_and_its_return_replaces_grad_output():
    m, order = Triple(), []
    m.register_full_backward_hook(lambda mod, gi, go: order.append(("hook", gi[0], go[0])))
    m.register_full_backward_pre_hook(
        lambda mod, go: (order.append(("pre", go[0])), (go[0] + 1,))[1]
    )
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    m(x).sum().backward()
    assert [o[0] for o in order] == ["pre", "hook"]
    np.testing.assert_array_equal(order[0][1], [1.0, 1.0])
    np.testing.assert_array_equal(order[1][2], [2.0, 2.0])  # the pre-hook's gradient
    np.testing.assert_array_equal(order[1][1], [6.0, 6.0])
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])


def test_a_returned_grad_input_is_what_reaches_the_layers_before_and_the_leaves():
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    m = Triple()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
    (m(x * x) * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data * 10 * 3 * 2)  # d(x²)/dx·10·3·2


def test_gradients_are_read_only_arrays_and_tensors_under_create_graph():
    m, seen = Triple(), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi[0], go[0])))
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    m(x).sum().backward()
    for g in seen.pop():
        assert type(g) is np.ndarray
        assert not g.flags.writeable
    (m(x * x).sum()).backward(create_graph=True)
    assert all(isinstance(g, cr.Tensor) for g in seen.pop())


def test_second_derivatives_go_through_the_hooked_call():
    class Square(nn.Module):
        def forward(self, x):
            return x * x

    m = Square()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2.0,))
    x = cr.tensor([1.0, -3.0], dtype="float64", requires_grad=True)
    (g,) = cr.autograd.grad(m(x).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, 2 * 2 * x.data)  # the hook doubles 2x
    g.sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])


def test_a_module_called_twice_in_one_graph_runs_its_hooks_for_each_call():
    m, seen = Triple(), []
    m.register_full_backward_pre_hook(lambda mod, go: seen.append(("pre", go[0].item())))
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(("hook", gi[0].item())))
    x = cr.tensor(1.0, dtype="float64", requires_grad=True)
    (m(m(x)) * 2.0).backward()
    # the outer call's backward first, then the inner one's
    assert seen == [("pre", 2.0), ("hook", 6.0), ("pre", 6.0), ("hook", 18.0)]
    assert x.grad == 18.0


def test_each_backward_of_a_retained_graph_runs_the_hooks():
    m, seen = Triple(), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi[0].item()))
    x = cr.tensor(2.0, dtype="float64", requires_grad=True)
    y = m(x)
    y.backward(retain_graph=True)
    y.backward(np.array(2.0))
    assert seen == [3.0, 6.0]
    assert x.grad == 9.0


def test_no_hook_runs_for_a_call_under_no_grad():
    m, seen = Triple(), []
    m.register_full_backward_pre_hook(lambda mod, go: seen.append("pre"))
    m.register_full_backward_hook(lambda mod, gi, go: seen.append("hook"))
    x = cr.tensor([1.0], dtype="float64", requires_grad=True)
    with cr.no_grad():
        y = m(x)
    assert not y.requires_grad
    m(x).sum().backward()
    assert seen == ["pre", "hook"]  # the call outside no_grad only


def test_a_tuple_output_gives_one_gradient_per_element_and_none_for_a_number():
    m, seen = Pair(), []
    m.register_full_backward_pre_hook(lambda mod, go: seen.append(go))
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = cr.tensor([3.0, -1.0], dtype="float64")  # requires no gradient
    a, b, k = m(x, y, 3)
    assert k == 5
    (a.sum() + (b * b).sum()).backward()
    pre, (grad_input, grad_output) = seen
    assert len(pre) == 3
    assert pre[2] is None
    np.testing.assert_array_equal(pre[0], [1.0, 1.0])
    np.testing.assert_array_equal(pre[1], 2 * (x.data * y.data))
    assert grad_output is pre
    np.testing.assert_array_equal(grad_input[1], [0.0, 0.0])  # no gradient: zeros
    assert grad_input[2] is None  # a number
    np.testing.assert_array_equal(grad_input[0], 2.0 + 2 * x.data * y.data * y.data)
    np.testing.assert_array_equal(x.grad, grad_input[0])


def test_an_output_the_backward_does_not_reach_has_none():
    m, seen = Pair(), []
    m.register_full_backward_pre_hook(lambda mod, go: seen.append(go))
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    a, _, _ = m(x, x)
    a.sum().backward()
    ((ga, gb, gk),) = seen
    np.testing.assert_array_equal(ga, [1.0, 1.0])
    assert (gb, gk) == (None, None)


def test_an_output_that_is_neither_a_tensor_nor_a_tuple_is_warned_about():
    class Listed(nn.Module):
        def forward(self, x):
            return [x * 2.0]

    m, seen = Listed(), []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    x = cr.tensor([1.0], dtype="float64", requires_grad=True)
    with pytest.warns(UserWarning, match="returned a list, not a Tensor or a tuple"):
        (y,) = m(x)
    y.sum().backward()
    assert seen == []
    np.testing.assert_array_equal(x.grad, [2.0])


def test_with_no_input_requiring_gradients_the_hook_runs_with_grad_input_none():
    cr.manual_seed(0)
    layer, seen = nn.Linear(3, 2, dtype="float64"), []
    layer.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    layer(X).backward(UP)
    ((grad_input, grad_output),) = seen
    assert grad_input == (None,)
    np.testing.assert_array_equal(grad_output[0], UP)
    np.testing.assert_allclose(layer.weight.grad, X.T @ UP)
    layer.register_full_backward_hook(lambda mod, gi, go: (np.ones((2, 3)),))
    with pytest.raises(RuntimeError, match="no input requires gradients"):
        layer(X).backward(UP)


def test_a_return_of_the_wrong_kind_length_or_shape_is_an_error():
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    for hook, error, words in [
        (lambda mod, gi, go: gi[0], TypeError, "tuple of 1 gradients"),
        (lambda mod, gi, go: (gi[0], gi[0]), RuntimeError, "returned 2 gradients"),
        (lambda mod, gi, go: (np.ones(3),), RuntimeError, r"shape \(3,\)"),
    ]:
        m = Triple()
        m.register_full_backward_hook(hook)
        with pytest.raises(error, match=words):
            m(x).sum().backward()


def test_handles_remove_hooks_and_prepend_puts_one_first():
    m, seen = Triple(), []
    first = m.register_full_backward_hook(lambda mod, gi, go: seen.append("first"))
    m.register_full_backward_hook(lambda mod, gi, go: seen.append("zeroth"), prepend=True)
    pre = m.register_full_backward_pre_hook(lambda mod, go: seen.append("pre"))
    x = cr.tensor([1.0], dtype="float64", requires_grad=True)
    m(x).sum().backward()
    assert seen == ["pre", "zeroth", "first"]
    first.remove()
    with pre:
        pass
    seen.clear()
    m(x).sum().backward()
    assert seen == ["zeroth"]


def test_a_module_without_backward_hooks_returns_its_forwards_own_output():
    class Keeps(nn.Module):
        def forward(self, x):
            self.out = x * 2.0
            return self.out

    m = Keeps()
    x = cr.tensor([1.0], dtype="float64", requires_grad=True)
    assert m(x) is m.out
    m.register_forward_hook(lambda mod, args, out: None)
    assert m(x) is m.out  # forward hooks alone set nothing on the tensors
    m.register_full_backward_hook(lambda mod, gi, go: None)
    y = m(x)
    assert y is not m.out
    np.testing.assert_array_equal(y.data, m.out.data)


def test_deepcopy_copies_backward_hooks_and_state_dict_is_unaffected():
    class Counted(Triple):
        calls = 0

        def count(self, module, grad_input, grad_output):
            self.calls += 1

    m = Counted()
    before = m.state_dict()
    m.register_full_backward_hook(m.count)
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 2.0,))
    assert m.state_dict().keys() == before.keys()
    twin = copy.deepcopy(m)
    x = cr.tensor([1.0], dtype="float64", requires_grad=True)
    twin(x).sum().backward()
    assert (twin.calls, m.calls) == (1, 0)  # the method is bound to the copy
    np.testing.assert_array_equal(x.grad, [6.0])  # the copied pre-hook ran too
    m2 = _mlp()
    keys = list(m2.state_dict())
    m2[0].register_full_backward_hook(lambda mod, gi, go: None)
    assert list(m2.state_dict()) == keys
    m2.load_state_dict(m2.state_dict())


# ----- against PyTorch --------------------------------------------------------------------
def test_each_hook_gets_pytorchs_gradients_in_pytorchs_order():
    torch = pytest.importorskip("torch")
    model = _mlp()
    theirs = _torch_mlp(torch, model)
    x, tx = cr.tensor(X, dtype="float64", requires_grad=True), torch.tensor(X, requires_grad=True)
    log = _hooked_run(model, x, UP)
    torch_log = _hooked_run(theirs, tx, torch.tensor(UP))
    assert len(log) == 8  # a pre-hook and a hook for each layer and the model
    _assert_same_log(log, torch_log)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_a_replacing_return_changes_the_leaves_gradients_as_in_pytorch(layer):
    torch = pytest.importorskip("torch")
    model = _mlp()
    theirs = _torch_mlp(torch, model)
    scale = np.array([2.0, -1.0, 0.5, 3.0])[: (3 if layer == 0 else 4)]

    def hook(module, grad_input, grad_output):
        g = grad_input[0]
        return (g * (scale if isinstance(g, np.ndarray) else torch.tensor(scale)),)

    def pre(module, grad_output):
        return (grad_output[0] * 0.5,)

    for net in (model, theirs):
        net[layer].register_full_backward_hook(hook)
        net[2].register_full_backward_pre_hook(pre)
    x = cr.tensor(X, dtype="float64", requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    model(x).backward(UP)
    theirs(tx).backward(torch.tensor(UP))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    for i in (0, 2):
        np.testing.assert_allclose(model[i].weight.grad, theirs[i].weight.grad.numpy().T)
        np.testing.assert_allclose(model[i].bias.grad, theirs[i].bias.grad.numpy())


def test_a_tuple_output_and_an_input_without_gradient_as_in_pytorch():
    torch = pytest.importorskip("torch")

    class TorchPair(torch.nn.Module):
        def forward(self, x, y, k=None):
            return x * 2.0, x * y, 5

    logs = []
    for module, lib, f64 in ((Pair(), cr, np.float64), (TorchPair(), torch, torch.float64)):
        log = []
        module.register_full_backward_pre_hook(lambda mod, go, log=log: log.append(go))
        module.register_full_backward_hook(lambda mod, gi, go, log=log: log.append(gi))
        x = lib.tensor([1.0, 2.0], dtype=f64, requires_grad=True)
        a, b, _ = module(x, lib.tensor([3.0, -1.0], dtype=f64), 3)
        (a.sum() + (b * b).sum()).backward()
        logs.append([[_np(g) for g in log[0]], [_np(g) for g in log[1]], _np(x.grad)])
    (pre, gi, xg), (tpre, tgi, txg) = logs
    for g, h in zip(pre, tpre):
        assert (g is None) == (h is None)
        if g is not None:
            np.testing.assert_allclose(g, h)
    np.testing.assert_allclose(gi[0], tgi[0])
    assert (gi[2], tgi[2]) == (None, None)  # a number
    # a tensor that requires no gradient, beside one that does: zeros, as PyTorch's
    np.testing.assert_array_equal(tgi[1], np.zeros(2))
    assert gi[1].dtype == np.float64
    np.testing.assert_array_equal(gi[1], np.zeros(2))
    np.testing.assert_allclose(xg, txg)


# ----- Dropout's repr ---------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"inplace": True}, {"inplace": False}])
def test_dropouts_repr_is_pytorchs(kwargs):
    torch = pytest.importorskip("torch")
    assert repr(nn.Dropout(0.3, **kwargs)) == repr(torch.nn.Dropout(0.3, **kwargs))
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
