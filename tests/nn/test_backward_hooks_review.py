"""Module backward hooks under `explain`: it runs one backward, so each hook runs once and
sees the gradients `backward` gives it, and the leaves get the same gradients. Checked
against tanh's derivative worked here and against PyTorch's hooks."""

import numpy as np
import pytest

import chainrule as cr

nn = cr.nn


def _log_hooks(module, log: list) -> None:
    """A pre-hook and a hook on ``module`` that append what they are given to ``log``."""

    def copy(grads):
        return tuple(None if g is None else np.array(g) for g in grads)

    module.register_full_backward_pre_hook(lambda m, go: log.append(("pre", copy(go))))
    module.register_full_backward_hook(lambda m, gi, go: log.append(("hook", copy(gi), copy(go))))


def _assert_same_log(ours, theirs):
    assert [e[0] for e in ours] == [e[0] for e in theirs]
    for a, b in zip(ours, theirs):
        for grads_a, grads_b in zip(a[1:], b[1:]):
            assert [g is None for g in grads_a] == [g is None for g in grads_b]
            for g, h in zip(grads_a, grads_b):
                if g is not None:
                    np.testing.assert_allclose(g, h, rtol=1e-12)


def test_explain_of_a_hooked_module_on_a_single_value_gives_backwards_gradient():
    # explain asks a node whose output is one value for its local gradient by running its
    # backward with an upstream of 1: the hooks' nodes kept that 1 in place of the gradient
    m = nn.Tanh()
    log = []
    _log_hooks(m, log)
    x = cr.tensor(0.5, dtype="float64", requires_grad=True)
    cr.explain(m(x) * 3.0)
    local = 1 - np.tanh(0.5) ** 2
    _assert_same_log(log, [("pre", (np.array(3.0),)), ("hook", (3 * local,), (np.array(3.0),))])
    np.testing.assert_allclose(x.grad, 3 * local, rtol=1e-12)


def test_explain_runs_each_backward_hook_once_with_the_gradients_backward_gives():
    x_data = np.array([[0.5, -1.0], [2.0, 0.25]])
    logs, grads = [], []
    for run in ("backward", "explain"):
        m, log = nn.Tanh(), []
        _log_hooks(m, log)
        x = cr.tensor(x_data, requires_grad=True)
        loss = (m(x) * 3.0).sum()
        loss.backward() if run == "backward" else cr.explain(loss)
        logs.append(log)
        grads.append(x.grad)
    local = 1 - np.tanh(x_data) ** 2
    _assert_same_log(
        logs[0], [("pre", (np.full((2, 2), 3.0),)), ("hook", (3 * local,), (np.full((2, 2), 3.0),))]
    )
    _assert_same_log(logs[1], logs[0])
    np.testing.assert_allclose(grads[1], 3 * local, rtol=1e-12)


def test_explain_runs_the_hooks_of_a_first_layer_once():
    # no input requires gradients: the hooks run from the outputs' join, once, as in backward
    cr.manual_seed(0)
    layer = nn.Linear(2, 1, dtype="float64")
    log = []
    _log_hooks(layer, log)
    cr.explain((layer(np.array([[1.0, -2.0]])) * 2.0).sum())
    _assert_same_log(log, [("pre", (np.array([[2.0]]),)), ("hook", (None,), (np.array([[2.0]]),))])


def test_explain_with_a_replacing_hook_gives_pytorchs_gradients():
    torch = pytest.importorskip("torch")
    x_data = np.array(0.75)
    ours, theirs = [], []
    m = nn.Sigmoid()
    _log_hooks(m, ours)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2.0,))
    x = cr.tensor(x_data, requires_grad=True)
    cr.explain(m(x) * 5.0)
    t = torch.nn.Sigmoid()
    t.register_full_backward_pre_hook(lambda mod, go: theirs.append(("pre", (go[0].numpy(),))))
    t.register_full_backward_hook(
        lambda mod, gi, go: theirs.append(("hook", (gi[0].numpy(),), (go[0].numpy(),)))
    )
    t.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2.0,))
    tx = torch.tensor(x_data, requires_grad=True)
    (t(tx) * 5.0).backward()
    _assert_same_log(ours, theirs)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
