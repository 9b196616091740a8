"""`copy.copy`, `copy.deepcopy` and pickling of `Tensor` and `nn.Parameter`, and so of
modules and optimizers, as in PyTorch: a copy has no gradient hooks of either kind, and
a tensor computed by a recorded op (a non-leaf) is refused with a message naming
``detach()``."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

NOT_A_LEAF = r"only a leaf tensor .* can be copied.*detach\(\)"


def _param(values=(1.0, -2.0, 3.0), dtype="float64", name="w"):
    return cr.nn.Parameter(np.array(values, dtype=dtype), name=name)


def _hooked(p, log, tag="original"):
    """Both kinds of hooks on ``p``, each appending to ``log``."""
    p.register_hook(lambda g: log.append((tag, "hook")))
    p.register_post_accumulate_grad_hook(lambda t: log.append((tag, "post")))
    return p


def _no_hooks(t):
    return not t._hooks and not getattr(t, "_post_hooks", None)


# ----- deepcopy of one tensor ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_deepcopy_of_a_parameter_has_its_own_array_and_no_hooks(dtype):
    log = []
    p = _hooked(_param(dtype=dtype), log)
    p.grad = np.ones(3, dtype=dtype)
    q = copy.deepcopy(p)
    assert type(q) is cr.nn.Parameter
    assert q is not p
    assert q.data is not p.data
    assert not np.shares_memory(q.data, p.data)
    np.testing.assert_array_equal(q.data, p.data)
    assert q.dtype == p.dtype == np.dtype(dtype)
    assert q.requires_grad
    assert q.is_leaf
    assert q.name == "w"
    assert q.grad is None  # PyTorch's Parameter.__deepcopy__ leaves .grad behind
    assert _no_hooks(q)
    assert len(p._hooks) == 1
    assert len(p._post_hooks) == 1
    q.data[0] = 100.0
    assert p.data[0] == 1.0


def test_deepcopy_of_a_frozen_parameter_stays_frozen():
    p = cr.nn.Parameter(np.ones(2), requires_grad=False)
    assert copy.deepcopy(p).requires_grad is False


def test_deepcopy_of_a_tensor_copies_its_grad_and_drops_its_hooks():
    t = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True, name="t")
    t.register_hook(lambda g: g * 2)
    t.register_post_accumulate_grad_hook(lambda x: None)
    t.retain_grad()
    t.grad = np.array([0.5, 0.25])
    u = copy.deepcopy(t)
    assert type(u) is cr.Tensor
    assert u.name == "t"
    assert u.requires_grad
    assert u.is_leaf
    np.testing.assert_array_equal(u.grad, t.grad)
    assert u.grad is not t.grad
    assert not np.shares_memory(u.grad, t.grad)
    assert _no_hooks(u)
    assert u._retain is False
    (u * 3.0).sum().backward()  # no hook doubles it
    np.testing.assert_array_equal(u.grad, [3.5, 3.25])
    np.testing.assert_array_equal(t.grad, [0.5, 0.25])


def test_deepcopy_of_a_tensor_that_needs_no_grad_and_of_an_integer_one():
    for t in (cr.tensor([1.0, 2.0]), cr.tensor(np.arange(3))):
        u = copy.deepcopy(t)
        assert not u.requires_grad
        assert u.dtype == t.dtype
        assert u.grad is None
        np.testing.assert_array_equal(u.data, t.data)
        assert not np.shares_memory(u.data, t.data)


def test_deepcopy_keeps_the_sharing_among_what_it_copies():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    t.grad = np.zeros(2, dtype=np.float32)
    t2, again, array, grad = copy.deepcopy((t, t, t.data, t.grad))
    assert again is t2
    assert array is t2.data
    assert grad is t2.grad


def test_a_deepcopied_tensor_with_a_hook_on_another_copy_stays_independent():
    t = cr.tensor([1.0], requires_grad=True)
    u = copy.deepcopy(t)
    u.register_hook(lambda g: g * 10)
    (t * 1.0).sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0])
    assert t._hooks is None


# ----- non-leaves: refused, as PyTorch's deepcopy ----------------------------------------------


def test_deepcopy_of_a_non_leaf_is_refused_naming_detach():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match=NOT_A_LEAF):
        copy.deepcopy(y)
    with pytest.raises(copy.Error):  # what `copy` raises for what it cannot copy
        copy.deepcopy([y])
    d = copy.deepcopy(y.detach())  # the suggested fix
    assert d.is_leaf
    assert not d.requires_grad
    np.testing.assert_array_equal(d.data, [2.0, 4.0])


def test_copy_and_pickle_of_a_non_leaf_are_refused_too():
    y = cr.tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match=NOT_A_LEAF):
        copy.copy(y)
    with pytest.raises(RuntimeError, match=NOT_A_LEAF):
        pickle.dumps(y)


def test_a_leaf_whose_grad_belongs_to_a_graph_is_refused():
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (x**3).sum().backward(create_graph=True)  # x.grad is a Tensor in a graph
    with pytest.raises(RuntimeError, match=r"\.grad .*create_graph=True.*detach\(\)"):
        copy.deepcopy(x)
    x.grad = x.grad.detach()
    np.testing.assert_array_equal(copy.deepcopy(x).grad.data, [3.0, 12.0])


def test_a_model_holding_a_computed_tensor_is_refused():
    model = cr.nn.Linear(2, 1)
    model.last = model(cr.tensor([[1.0, 2.0]]))  # a cached output: a non-leaf
    with pytest.raises(RuntimeError, match=NOT_A_LEAF):
        copy.deepcopy(model)
    model.last = model.last.detach()
    copy.deepcopy(model)


# ----- copy.copy -----------------------------------------------------------------------------


def test_copy_shares_memory_and_drops_grad_and_hooks():
    log = []
    p = _hooked(_param(), log)
    p.grad = np.ones(3)
    c = copy.copy(p)
    assert type(c) is cr.nn.Parameter
    assert c is not p
    assert c.data is not p.data
    assert np.shares_memory(c.data, p.data)
    assert c.requires_grad
    assert c.is_leaf
    assert c.name == "w"
    assert c.dtype == p.dtype
    assert c.grad is None
    assert _no_hooks(c)
    c.register_hook(lambda g: log.append(("copy", "hook")))  # not on the original's list
    assert len(p._hooks) == 1
    c.data[1] = 7.0  # the same memory, as PyTorch's shallow copy
    assert p.data[1] == 7.0
    c.data = np.zeros(3)  # a new array for the copy alone
    assert p.data[1] == 7.0


# ----- modules and optimizers ------------------------------------------------------------------


def _step(opt):
    opt.step()
    opt.zero_grad()


def _train_step(model, x):
    model(x).sum().backward()


def test_a_deepcopied_model_trains_on_its_own_and_runs_no_hook():
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU(), cr.nn.Linear(4, 1))
    log = []
    opts = []
    for p in model.parameters():
        opt = cr.optim.SGD([p], lr=0.1)
        opts.append(opt)
        p.register_hook(lambda g: log.append("hook"))
        p.register_post_accumulate_grad_hook(lambda t, opt=opt: _step(opt))
    before = [p.data.copy() for p in model.parameters()]
    ema = copy.deepcopy(model)
    x = cr.tensor(np.linspace(-1, 1, 6).reshape(2, 3))

    _train_step(ema, x)  # no hook: nothing logged, nothing stepped
    assert log == []
    for p, q, b in zip(model.parameters(), ema.parameters(), before, strict=True):
        assert _no_hooks(q)
        assert q.grad is not None
        np.testing.assert_array_equal(p.data, b)
        np.testing.assert_array_equal(q.data, b)
        assert p.grad is None

    _train_step(model, x)  # the original's hooks still fire, on the original only
    assert log == ["hook"] * 4
    assert any(not np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))
    for q, b in zip(ema.parameters(), before, strict=True):
        np.testing.assert_array_equal(q.data, b)


def test_a_named_sequential_deepcopies_with_its_names():
    model = cr.nn.Sequential(
        OrderedDict([("fc1", cr.nn.Linear(2, 3)), ("fc2", cr.nn.Linear(3, 1))])
    )
    twin = copy.deepcopy(model)
    assert list(twin.state_dict()) == list(model.state_dict())
    assert twin.fc1 is twin[0]
    assert twin.fc1 is not model.fc1
    for (n, p), (m, q) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        assert n == m
        assert p is not q
        np.testing.assert_array_equal(p.data, q.data)


def test_tied_weights_stay_tied_in_the_copy():
    enc, dec = cr.nn.Linear(3, 3), cr.nn.Linear(3, 3)
    dec.weight = enc.weight
    enc.weight.register_hook(lambda g: g * 0)
    model = cr.nn.Sequential(enc, dec)
    twin = copy.deepcopy(model)
    assert twin[1].weight is twin[0].weight is not enc.weight
    assert len(list(twin.parameters())) == len(list(model.parameters())) == 3
    _train_step(twin, cr.tensor(np.ones((1, 3))))
    assert np.any(twin[0].weight.grad != 0)  # the zeroing hook was not copied


def test_an_optimizer_deepcopied_with_its_model_steps_the_copy():
    cr.manual_seed(1)
    model = cr.nn.Linear(2, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    x = cr.tensor([[1.0, -1.0]])
    _train_step(model, x)
    opt.step()  # a momentum buffer in the state
    model2, opt2 = copy.deepcopy((model, opt))
    assert all(
        a is b for a, b in zip(opt2.param_groups[0]["params"], model2.parameters(), strict=True)
    )
    before = [p.data.copy() for p in model.parameters()]
    opt2.zero_grad()
    _train_step(model2, x)
    opt2.step()
    for p, q, b in zip(model.parameters(), model2.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
        assert not np.array_equal(q.data, b)
    # the same step on the original gives the same numbers: the state was copied whole
    opt.zero_grad()
    _train_step(model, x)
    opt.step()
    for p, q in zip(model.parameters(), model2.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


# ----- pickle (only in tests: the package itself never uses it) -------------------------------


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip_of_a_tensor(protocol):
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]], dtype="float64", requires_grad=True, name="t")
    t.grad = np.ones((2, 2))
    u = pickle.loads(pickle.dumps(t, protocol=protocol))
    assert type(u) is cr.Tensor
    assert u.name == "t"
    assert u.requires_grad
    assert u.is_leaf
    assert u.dtype == np.float64
    assert u.grad is None
    np.testing.assert_array_equal(u.data, t.data)
    assert _no_hooks(u)
    (u * u).sum().backward()
    np.testing.assert_array_equal(u.grad, 2 * t.data)


def test_pickle_of_a_parameter_with_a_lambda_hook():
    log = []
    p = _hooked(_param(dtype="float32"), log)
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is cr.nn.Parameter
    assert q.name == "w"
    assert q.dtype == np.float32
    np.testing.assert_array_equal(q.data, p.data)
    assert q.requires_grad
    assert _no_hooks(q)
    assert q.grad is None
    (q * 2.0).sum().backward()
    assert log == []


def test_pickle_of_a_model_with_hooked_and_tied_parameters():
    log = []
    enc, dec = cr.nn.Linear(3, 3), cr.nn.Linear(3, 2)
    model = cr.nn.Sequential(OrderedDict([("enc", enc), ("act", cr.nn.Tanh()), ("dec", dec)]))
    for p in model.parameters():
        _hooked(p, log)
    model.dec.extra = enc.weight  # a second reference: one object after loading too
    twin = pickle.loads(pickle.dumps(model))
    assert twin.dec.extra is twin.enc.weight
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(twin(x).data, model(x).data)
    for (n, p), (m, q) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        assert n == m
        assert _no_hooks(q)
        np.testing.assert_array_equal(p.data, q.data)
    twin(x).sum().backward()
    assert log == []


def test_a_model_deepcopied_after_training_with_fit_is_the_same_model():
    cr.manual_seed(2)
    x = cr.tensor(np.random.default_rng(0).normal(size=(16, 3)))
    y = cr.tensor(x.data @ np.array([[1.0], [-1.0], [0.5]], dtype=x.dtype))
    model = cr.nn.Linear(3, 1)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.fit(model, cr.nn.MSELoss(), opt, (x, y), 2, batch_size=8, verbose=0)
    twin = copy.deepcopy(model)
    np.testing.assert_array_equal(twin(x).data, model(x).data)


# ----- against PyTorch -------------------------------------------------------------------------


@needs_torch
def test_what_a_deepcopy_keeps_matches_pytorch():
    def ours():
        p = cr.nn.Parameter(np.ones(2))
        p.register_hook(lambda g: g)
        p.register_post_accumulate_grad_hook(lambda t: None)
        p.grad = np.ones(2)
        t = cr.tensor([1.0, 2.0], requires_grad=True)
        t.register_hook(lambda g: g)
        t.grad = np.ones(2, dtype=np.float32)
        p2, t2 = copy.deepcopy((p, t))
        return (
            p2.grad is not None,
            t2.grad is not None,
            _no_hooks(p2),
            _no_hooks(t2),
            p2.requires_grad,
            t2.requires_grad,
        )

    def theirs():
        p = torch.nn.Parameter(torch.ones(2))
        p.register_hook(lambda g: g)
        p.register_post_accumulate_grad_hook(lambda t: None)
        p.grad = torch.ones(2)
        t = torch.tensor([1.0, 2.0], requires_grad=True)
        t.register_hook(lambda g: g)
        t.grad = torch.ones(2)
        p2, t2 = copy.deepcopy((p, t))
        no_hooks = [not x._backward_hooks and not x._post_accumulate_grad_hooks for x in (p2, t2)]
        return (
            p2.grad is not None,
            t2.grad is not None,
            *no_hooks,
            p2.requires_grad,
            t2.requires_grad,
        )

    assert ours() == theirs() == (False, True, True, True, True, True)


@needs_torch
def test_a_deepcopied_linear_runs_no_hook_as_in_pytorch():
    for lib, make in ((torch, lambda: torch.nn.Linear(2, 2)), (cr, lambda: cr.nn.Linear(2, 2))):
        log = []
        layer = make()
        layer.weight.register_hook(lambda g, log=log: log.append("hook"))
        layer.weight.register_post_accumulate_grad_hook(lambda t, log=log: log.append("post"))
        twin = copy.deepcopy(layer)
        twin(lib.ones((1, 2))).sum().backward()
        assert log == [], lib.__name__
        layer(lib.ones((1, 2))).sum().backward()
        assert log == ["hook", "post"], lib.__name__


@needs_torch
def test_pytorch_refuses_to_deepcopy_a_non_leaf_too():
    y = torch.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(y)
    with pytest.raises(RuntimeError, match=NOT_A_LEAF):
        copy.deepcopy(cr.ones(2, requires_grad=True) * 2)


@needs_torch
def test_a_shallow_copy_shares_memory_as_in_pytorch():
    p = torch.nn.Parameter(torch.zeros(2))
    p.grad = torch.ones(2)
    c = copy.copy(p)
    c.data[0] = 1.0
    assert type(c) is torch.nn.Parameter
    assert c.grad is None
    assert p.data[0].item() == 1.0
    ours = cr.nn.Parameter(np.zeros(2))
    ours.grad = np.ones(2)
    c = copy.copy(ours)
    c.data[0] = 1.0
    assert type(c) is cr.nn.Parameter
    assert c.grad is None
    assert ours.data[0] == 1.0


class _Scaled(cr.Function):
    """x · 2, keeping a list that holds a computed tensor (a non-leaf) among its attributes."""

    def __init__(self, kept):
        self.kept = kept

    def forward(self, x):
        return 2.0 * x

    def backward(self, grad_out):
        return 2.0 * grad_out


def test_check_graph_shares_an_attribute_holding_a_non_leaf_rather_than_copying_it():
    # check_graph copies a user's list attributes for each probe and shares what cannot
    # be copied: a refused non-leaf is a copy.Error, so the check runs as before
    x = cr.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    fn = _Scaled([x * 3.0])
    assert cr.check_graph(fn(x)) == 1
    assert fn.kept[0].grad_fn is not None
