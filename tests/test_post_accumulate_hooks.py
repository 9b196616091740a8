"""`Tensor.register_post_accumulate_grad_hook`: PyTorch's hook that runs once a leaf's
``.grad`` is complete, with the optimizer-in-backward pattern it exists for."""

import numpy as np
import pytest

import chainrule as cr


def _leaf(values, dtype="float64"):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


def test_runs_once_with_the_whole_gradient_of_a_fanned_out_leaf():
    v = _leaf([1.0, 2.0])
    seen = []
    v.register_post_accumulate_grad_hook(lambda p: seen.append((p is v, p.grad.copy())))
    (v * v + v * 3.0).sum().backward()  # d/dv = 2v + 3, summed over both uses
    assert len(seen) == 1
    assert seen[0][0]
    np.testing.assert_array_equal(seen[0][1], [5.0, 7.0])


def test_sees_the_accumulated_grad_and_runs_after_gradient_hooks():
    v = _leaf([1.0])
    log = []
    v.register_post_accumulate_grad_hook(lambda p: log.append(("post", p.grad.item())))
    v.register_hook(lambda g: log.append(("hook", g.item())) or g * 10)
    (v * 2.0).sum().backward()
    (v * 2.0).sum().backward()  # .grad accumulates: 20, then 40
    assert log == [("hook", 2.0), ("post", 20.0), ("hook", 2.0), ("post", 40.0)]


def test_hooks_run_in_registration_order_and_can_be_removed():
    v = _leaf([1.0])
    log = []
    first = v.register_post_accumulate_grad_hook(lambda p: log.append(1))
    v.register_post_accumulate_grad_hook(lambda p: log.append(2))
    (v * 1.0).sum().backward()
    first.remove()
    (v * 1.0).sum().backward()
    first()  # a second removal does nothing
    assert log == [1, 2, 2]


def test_a_hook_that_removes_itself_does_not_skip_the_next():
    v = _leaf([1.0])
    log = []

    def once(p):
        log.append("once")
        handle.remove()

    handle = v.register_post_accumulate_grad_hook(once)
    v.register_post_accumulate_grad_hook(lambda p: log.append("every"))
    (v * 1.0).sum().backward()
    (v * 1.0).sum().backward()
    assert log == ["once", "every", "every"]


def test_not_run_by_the_functional_grad_which_leaves_grad_alone():
    v = _leaf([3.0])
    calls = []
    v.register_post_accumulate_grad_hook(calls.append)
    g = cr.grad(lambda a: (a * a).sum())(v)
    assert g.item() == 6.0
    assert calls == []
    assert v.grad is None


def test_grad_mode_inside_the_hook_is_create_graph():
    v = _leaf([2.0])
    modes = []
    v.register_post_accumulate_grad_hook(lambda p: modes.append(cr.is_grad_enabled()))
    (v * v).sum().backward()
    (v * v).sum().backward(create_graph=True)
    assert modes == [False, True]
    assert isinstance(v.grad, cr.Tensor)  # create_graph leaves a Tensor in .grad


def test_refused_on_computed_tensors_frozen_tensors_and_non_callables():
    v = _leaf([1.0])
    with pytest.raises(RuntimeError, match=r"only a leaf tensor .* comes from Mul"):
        (v * 2.0).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        cr.tensor([1.0]).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(TypeError, match="expected a callable, got int"):
        v.register_post_accumulate_grad_hook(3)


def test_a_hook_returning_a_value_is_an_error_naming_it():
    v = _leaf([1.0])

    def doubled(p):
        return p.grad * 2

    v.register_post_accumulate_grad_hook(doubled)
    with pytest.raises(TypeError, match=r"hook doubled returned a ndarray; it must return None"):
        (v * 1.0).sum().backward()


def test_the_hook_runs_under_the_users_numpy_error_state():
    v = _leaf([0.0])

    def log_of(p):
        np.log(p.data)

    v.register_post_accumulate_grad_hook(log_of)
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        (v * 1.0).sum().backward()


def test_changing_the_leaf_in_the_hook_cannot_change_this_passes_gradients():
    # w is used twice, before and after a nonlinearity: its update waits for both uses
    w = _leaf([0.5, -1.5])
    x = np.array([2.0, 3.0])

    def update(p):
        p.data -= 100.0

    w.register_post_accumulate_grad_hook(update)
    y = cr.tanh(w * x) * w
    y.sum().backward()
    w0, t = np.array([0.5, -1.5]), np.tanh(np.array([0.5, -1.5]) * x)
    np.testing.assert_allclose(w.grad, (1 - t * t) * x * w0 + t, rtol=1e-15)
    np.testing.assert_array_equal(w.data, w0 - 100.0)


def test_detach_and_clone_do_not_carry_the_hook():
    v = _leaf([1.0])
    calls = []
    v.register_post_accumulate_grad_hook(calls.append)
    d = v.detach().requires_grad_()
    (d * 2.0).sum().backward()
    (v.clone() * 2.0).sum().backward()  # through the clone to v: v's hook, once
    assert calls == [v]


def _mlp(seed):
    cr.manual_seed(seed)
    return cr.nn.Sequential(
        cr.nn.Linear(5, 8, dtype="float64"),
        cr.nn.ReLU(),
        cr.nn.Linear(8, 8, dtype="float64"),
        cr.nn.Tanh(),
        cr.nn.Linear(8, 3, dtype="float64"),
    )


def _batches(n=6):
    rng = np.random.default_rng(7)
    return [(rng.normal(size=(4, 5)), rng.integers(0, 3, 4)) for _ in range(n)]


@pytest.mark.parametrize(
    ("optimizer", "settings"),
    [
        (cr.optim.SGD, {"lr": 0.1}),
        (cr.optim.Momentum, {"lr": 0.05, "momentum": 0.9}),
        (cr.optim.Adam, {"lr": 0.01, "weight_decay": 0.01}),
        (cr.optim.RMSProp, {"lr": 0.01}),
    ],
)
def test_optimizer_in_backward_equals_the_usual_loop_bit_for_bit(optimizer, settings):
    """One optimizer per parameter, stepped and zeroed in the hook (PyTorch's recipe), ends
    where ``backward(); step(); zero_grad()`` over all parameters ends: these optimizers
    update each parameter from its own gradient and state alone."""
    usual, hooked = _mlp(0), _mlp(0)
    opt = optimizer(usual.parameters(), **settings)
    per_param = {p: optimizer([p], **settings) for p in hooked.parameters()}

    def update(p):
        per_param[p].step()
        per_param[p].zero_grad()

    for p in hooked.parameters():
        p.register_post_accumulate_grad_hook(update)
    for x, labels in _batches():
        loss = cr.nn.functional.cross_entropy(usual(x), labels)
        loss.backward()
        opt.step()
        opt.zero_grad()
        cr.nn.functional.cross_entropy(hooked(x), labels).backward()
    for (name, a), (_, b) in zip(usual.named_parameters(), hooked.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
        assert b.grad is None, name  # zeroed in the hook: no gradient kept after backward


def test_each_hook_runs_as_soon_as_its_leaf_is_complete_not_at_the_end():
    model = _mlp(1)
    first, last = model[0].weight, model[4].weight
    seen = []
    last.register_post_accumulate_grad_hook(lambda p: seen.append(first.grad is None))
    x, labels = _batches(1)[0]
    cr.nn.functional.cross_entropy(model(x), labels).backward()
    assert seen == [True]  # the last layer's weight was done before the first layer's
    assert first.grad is not None
