"""Module.to(dtype), double() and float(): parameters, gradients and floating buffers cast
in place, the parameter objects kept; a float64 model then passes gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def _model():
    cr.manual_seed(0)
    return cr.nn.Sequential(
        cr.nn.Linear(3, 4), cr.nn.BatchNorm1d(4), cr.nn.Tanh(), cr.nn.Linear(4, 2)
    )


X = np.random.default_rng(1).standard_normal((6, 3))


@pytest.mark.parametrize("cast", ["double", "to64", "to_keyword"])
def test_double_casts_parameters_gradients_and_buffers_keeping_the_objects(cast):
    model = _model()
    params = list(model.parameters())
    before = [p.data.copy() for p in params]
    model(cr.tensor(X, dtype="float32")).sum().backward()
    grads = [p.grad.copy() for p in params]
    out = {
        "double": model.double,
        "to64": lambda: model.to("float64"),
        "to_keyword": lambda: model.to("cpu", dtype=np.float64),
    }[cast]()
    assert out is model
    for p, q, b, g in zip(model.parameters(), params, before, grads, strict=True):
        assert p is q
        assert p.dtype == np.float64
        assert p.grad.dtype == np.float64
        np.testing.assert_array_equal(p.data, b.astype(np.float64))  # exact: widening
        np.testing.assert_array_equal(p.grad, g.astype(np.float64))
    assert model[1].running_mean.dtype == np.float64
    assert model[1].running_var.dtype == np.float64
    state = model.state_dict()
    assert {v.dtype for n, v in state.items() if n != "1.num_batches_tracked"} == {
        np.dtype(np.float64)
    }
    assert state["1.num_batches_tracked"].dtype == np.int64  # integer buffers stay, as PyTorch's


def test_float_casts_back():
    model = _model().double()
    model.float()
    dtypes = {n: v.dtype for n, v in model.state_dict().items()}
    assert dtypes.pop("1.num_batches_tracked") == np.int64
    assert set(dtypes.values()) == {np.dtype(np.float32)}


def test_a_float64_model_passes_gradcheck_against_finite_differences():
    model = _model().double()
    model.eval()  # BatchNorm on its running statistics: a function of x alone
    x = cr.tensor(X, dtype="float64", requires_grad=True)
    assert cr.gradcheck(lambda inp: (model(inp) ** 2).sum(), [x])
    for p in model.parameters():  # and with respect to each parameter
        assert cr.gradcheck(lambda _p, p=p: (model(cr.tensor(X)) ** 2).sum(), [p])


def test_an_optimizer_made_before_the_cast_steps_in_the_new_dtype():
    model = _model()
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    model.double()
    model(cr.tensor(X, dtype="float64")).sum().backward()
    opt.step()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert all(s["exp_avg"].dtype == np.float64 for s in opt.state.values())


def test_a_loss_weight_buffer_is_cast_and_integer_buffers_are_not():
    loss = cr.nn.CrossEntropyLoss(weight=np.array([1.0, 2.0], np.float32))
    loss.register_buffer("counts", np.array([3, 4]))
    loss.double()
    assert loss.weight.dtype == np.float64
    assert loss.counts.dtype == np.array([3, 4]).dtype


class _Recording(cr.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner, self.seen = inner, []

    def forward(self, x):
        self.seen.append(x.dtype)
        return self.inner(x)


def test_fit_feeds_a_cast_model_its_new_dtype():
    model = _Recording(_model()).double()
    y = np.array([0, 1, 0, 1, 1, 0])
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    history = cr.fit(model, cr.nn.CrossEntropyLoss(), opt, (X.astype(np.float32), y), 1,
                     batch_size=3, progress=False)  # fmt: skip
    assert np.isfinite(history.history["loss"][0])
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.seen == [np.float64, np.float64]


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_an_integer_dtype_is_refused(dtype):
    model = _model()
    with pytest.raises(TypeError, match="must be a floating one"):
        model.to(dtype)
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_against_pytorch_double_keeps_the_same_objects_and_casts_grads():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(3, 2)
    w = layer.weight
    layer(torch.ones(1, 3)).sum().backward()
    layer.double()
    assert layer.weight is w
    assert layer.weight.grad.dtype == torch.float64
