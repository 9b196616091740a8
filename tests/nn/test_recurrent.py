"""The recurrent cells and layers: each cell's step against PyTorch's documented gate
equations written here in NumPy, gradients against finite differences, and the layers'
outputs, final states, gradients, state dicts and initialisation against PyTorch's."""

import numpy as np
import pytest
from _distributions import same_distribution

import chainrule as cr

RNG = np.random.default_rng(0)


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _params(cell):
    w_ih, w_hh = cell.weight_ih.numpy(), cell.weight_hh.numpy()
    return w_ih, w_hh, cell.bias_ih.numpy(), cell.bias_hh.numpy()


# ----- one step against the equations ---------------------------------------------------------
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_cell_step_is_the_elman_equation(nonlinearity):
    cell = cr.nn.RNNCell(3, 4, nonlinearity=nonlinearity, dtype="float64")
    x, h = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 4))
    w_ih, w_hh, b_ih, b_hh = _params(cell)
    pre = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    want = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)
    np.testing.assert_allclose(cell(x, h).numpy(), want, rtol=1e-12, atol=1e-14)


def test_lstm_cell_step_has_gates_i_f_g_o():
    cell = cr.nn.LSTMCell(3, 4, dtype="float64")
    x, h, c = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 4)), RNG.normal(size=(2, 4))
    w_ih, w_hh, b_ih, b_hh = _params(cell)
    pre = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, g, o = (pre[:, k * 4 : (k + 1) * 4] for k in range(4))
    c_new = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h_new = _sigmoid(o) * np.tanh(c_new)
    got_h, got_c = cell(x, (h, c))
    np.testing.assert_allclose(got_h.numpy(), h_new, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_c.numpy(), c_new, rtol=1e-12, atol=1e-14)


def test_gru_cell_step_has_gates_r_z_n():
    cell = cr.nn.GRUCell(3, 4, dtype="float64")
    x, h = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 4))
    w_ih, w_hh, b_ih, b_hh = _params(cell)
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    r = _sigmoid(gi[:, :4] + gh[:, :4])
    z = _sigmoid(gi[:, 4:8] + gh[:, 4:8])
    n = np.tanh(gi[:, 8:] + r * gh[:, 8:])
    want = (1 - z) * n + z * h
    np.testing.assert_allclose(cell(x, h).numpy(), want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", [cr.nn.RNNCell, cr.nn.GRUCell, cr.nn.LSTMCell])
def test_cell_unbatched_and_without_hx(cls):
    cell = cls(3, 4, dtype="float64")
    x = RNG.normal(size=3)
    zeros = np.zeros(4) if cls is not cr.nn.LSTMCell else (np.zeros(4), np.zeros(4))
    got, given = cell(x), cell(x, zeros)
    got, given = (got, given) if cls is not cr.nn.LSTMCell else (got[1], given[1])
    assert got.shape == (4,)
    np.testing.assert_array_equal(got.numpy(), given.numpy())
    batched = cell(x[None])
    batched = batched if cls is not cr.nn.LSTMCell else batched[1]
    np.testing.assert_allclose(batched.numpy()[0], got.numpy(), rtol=1e-15)


def test_cell_parameters_have_pytorch_names_and_shapes():
    cell = cr.nn.GRUCell(3, 5, bias=False)
    assert {k: v.shape for k, v in cell.state_dict().items()} == {
        "weight_ih": (15, 3),
        "weight_hh": (15, 5),
    }


# ----- gradients against finite differences -----------------------------------------------------
def _loss_of(layer, hx_count):
    names = [n for n, _ in layer.named_parameters()]

    def f(x, *values):
        params = dict(zip(names, values[: len(names)]))
        for name, p in params.items():
            setattr(layer, name, p)
        hx = values[len(names) :]
        hx = None if not hx else (hx[0] if hx_count == 1 else tuple(hx))
        out, last = layer(x, hx)
        last = last if isinstance(last, tuple) else (last,)
        return (out * out).sum() + sum((s * s * s).sum() for s in last)

    return f


@pytest.mark.parametrize(
    ("cls", "kw", "count"),
    [
        (cr.nn.RNN, {"nonlinearity": "tanh", "bidirectional": True}, 1),
        (cr.nn.LSTM, {"num_layers": 2}, 2),
        (cr.nn.GRU, {"bidirectional": True}, 1),
    ],
)
def test_layer_gradients_by_gradcheck(cls, kw, count):
    layer = cls(2, 3, dtype="float64", **kw)
    d = 2 if kw.get("bidirectional") else 1
    x = RNG.normal(size=(3, 2, 2))  # sequence length 3, batch 2
    hx = [RNG.normal(size=(kw.get("num_layers", 1) * d, 2, 3)) for _ in range(count)]
    params = [p.numpy().copy() for p in layer.parameters()]
    assert cr.gradcheck(_loss_of(layer, count), [x, *params, *hx])


def test_cell_gradients_by_gradcheck():
    cell = cr.nn.LSTMCell(2, 3, dtype="float64")
    w = [p.numpy().copy() for p in cell.parameters()]

    def f(x, h, c, w_ih, w_hh, b_ih, b_hh):
        cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh = w_ih, w_hh, b_ih, b_hh
        h, c = cell(x, (h, c))
        return (h * c).sum() + (h * h).sum()

    args = [RNG.normal(size=(2, 2)), RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))]
    assert cr.gradcheck(f, [*args, *w])


# ----- against PyTorch ----------------------------------------------------------------------------
CASES = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "bidirectional": True}),
    ("GRU", {"num_layers": 2, "batch_first": True}),
    ("GRU", {"bidirectional": True, "bias": False}),
]


def _pair(name, kw, dtype):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4, **kw).to(getattr(torch, dtype))
    ours = getattr(cr.nn, name)(3, 4, dtype=dtype, **kw)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return torch, theirs, ours


def _as_tuple(s):
    return s if isinstance(s, tuple) else (s,)


@pytest.mark.parametrize(("dtype", "tol"), [("float64", 1e-10), ("float32", 1e-5)])
@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize(("name", "kw"), CASES)
def test_layer_matches_pytorch(name, kw, unbatched, dtype, tol):
    torch, theirs, ours = _pair(name, kw, dtype)
    shape = (5, 3) if unbatched else ((2, 5, 3) if kw.get("batch_first") else (5, 2, 3))
    x = RNG.normal(size=shape).astype(dtype)
    with_hx = not unbatched
    d = 2 if kw.get("bidirectional") else 1
    hx_shape = (kw.get("num_layers", 1) * d, 2, 4)
    hx = [RNG.normal(size=hx_shape).astype(dtype) for _ in range(2 if name == "LSTM" else 1)]
    t_x = torch.tensor(x, requires_grad=True)
    t_hx = [torch.tensor(h, requires_grad=True) for h in hx]
    c_x = cr.tensor(x, requires_grad=True)
    c_hx = [cr.tensor(h, requires_grad=True) for h in hx]

    def run(layer, inp, states):
        given = (states[0] if len(states) == 1 else tuple(states)) if with_hx else None
        out, last = layer(inp, given)
        last = _as_tuple(last)
        loss = (out * out).sum() + sum((s * s * s).sum() for s in last)
        loss.backward()
        return out, last

    t_out, t_last = run(theirs, t_x, t_hx)
    c_out, c_last = run(ours, c_x, c_hx)
    close = {"rtol": tol, "atol": tol}
    np.testing.assert_allclose(c_out.numpy(), t_out.detach().numpy(), **close)
    assert c_out.dtype == np.dtype(dtype)
    for c, t in zip(c_last, t_last):
        np.testing.assert_allclose(c.numpy(), t.detach().numpy(), **close)
    np.testing.assert_allclose(c_x.grad, t_x.grad.numpy(), **close)
    for c, t in zip(c_hx, t_hx) if with_hx else ():
        np.testing.assert_allclose(c.grad, t.grad.numpy(), **close)
    t_grads = dict(theirs.named_parameters())
    for n, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, t_grads[n].grad.numpy(), err_msg=n, **close)


@pytest.mark.parametrize(("name", "kw"), CASES)
def test_state_dict_keys_and_shapes_equal_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4, **kw)
    ours = getattr(cr.nn, name)(3, 4, **kw)
    want = [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == want
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(3, 4).double()
    ours = getattr(cr.nn, name)(3, 4, dtype="float64")
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = RNG.normal(size=(2, 3))
    t_x, c_x = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    t_out, c_out = _as_tuple(theirs(t_x)), _as_tuple(ours(c_x))
    sum((s * s * s).sum() for s in t_out).backward()
    sum((s * s * s).sum() for s in c_out).backward()
    for c, t in zip(c_out, t_out):
        np.testing.assert_allclose(c.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c_x.grad, t_x.grad.numpy(), rtol=1e-10, atol=1e-12)
    t_grads = dict(theirs.named_parameters())
    for n, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, t_grads[n].grad.numpy(), rtol=1e-10, atol=1e-12)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda g: cr.nn.GRU(5, 30, 2, generator=g), lambda nn: nn.GRU(5, 30, 2)),
        (lambda g: cr.nn.LSTMCell(7, 20, generator=g), lambda nn: nn.LSTMCell(7, 20)),
    ],
)
def test_initialisation_matches_pytorch(ours, theirs):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = theirs(torch.nn)
    layer = ours(np.random.default_rng(1))
    t_params = dict(module.named_parameters())
    for n, p in layer.named_parameters():
        assert same_distribution(p.numpy(), t_params[n].detach().numpy()), n
    bound = 1 / np.sqrt(layer.hidden_size)
    assert all(np.abs(p.numpy()).max() <= bound for p in layer.parameters())


def test_initialisation_uses_the_generator():
    a = cr.nn.LSTM(3, 4, generator=np.random.default_rng(5))
    b = cr.nn.LSTM(3, 4, generator=np.random.default_rng(5))
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


# ----- dropout between layers ---------------------------------------------------------------------
def test_dropout_between_layers_in_training_only():
    layer = cr.nn.GRU(3, 4, 2, dropout=0.5, generator=np.random.default_rng(0))
    x = RNG.normal(size=(4, 2, 3)).astype(np.float32)
    plain = cr.nn.GRU(3, 4, 2)
    plain.load_state_dict(layer.state_dict())
    trained, _ = layer(x)
    assert not np.allclose(trained.numpy(), plain(x)[0].numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].numpy(), plain(x)[0].numpy())


def test_dropout_with_one_layer_warns_as_pytorch():
    with pytest.warns(UserWarning, match="num_layers=1"):
        cr.nn.LSTM(3, 4, dropout=0.2)


# ----- bad inputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "args", "match"),
    [
        (lambda: cr.nn.LSTM(3, 4), (np.zeros((5, 2, 2)),),
         r"LSTM\(3, 4\).*\(L, N, 3\).*\(5, 2, 2\)"),
        (lambda: cr.nn.GRU(3, 4, batch_first=True), (np.zeros(3),), r"GRU\(3, 4\).*\(N, L, 3\)"),
        (lambda: cr.nn.RNN(3, 4), (np.zeros((5, 2, 3)), np.zeros((1, 3, 4))),
         r"RNN\(3, 4\).*\(1, 2, 4\).*\(1, 3, 4\)"),
        (lambda: cr.nn.LSTM(3, 4), (np.zeros((5, 2, 3)), np.zeros((1, 2, 4))),
         r"LSTM\(3, 4\).*pair"),
        (lambda: cr.nn.GRUCell(3, 4), (np.zeros((2, 5)),), r"GRUCell\(3, 4\).*\(2, 5\)"),
        (lambda: cr.nn.RNNCell(3, 4), (np.zeros((2, 3)), np.zeros((3, 4))),
         r"RNNCell\(3, 4\).*\(2, 4\).*\(3, 4\)"),
    ],
)  # fmt: skip
def test_bad_shapes_are_value_errors_naming_them(make, args, match):
    with pytest.raises(ValueError, match=match):
        make()(*args)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: cr.nn.RNN(3, 4, nonlinearity="sigmoid"), "RNN: nonlinearity"),
        (lambda: cr.nn.RNNCell(3, 4, nonlinearity="gelu"), "RNNCell: nonlinearity"),
        (lambda: cr.nn.GRU(3, 4, 2, dropout=1.5), r"GRU: dropout must be .*\[0, 1\]"),
        (lambda: cr.nn.LSTM(3, 4, 2, dropout=-0.1), r"LSTM: dropout must be .*\[0, 1\]"),
        (lambda: cr.nn.LSTM(3, 4, proj_size=2), "LSTM: proj_size"),
    ],
)
def test_bad_settings_are_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_explain_shows_the_graph_through_time():
    layer = cr.nn.LSTM(2, 3)
    out, _ = layer(RNG.normal(size=(3, 1, 2)).astype(np.float32))
    names = [v.name for v in cr.explain(out.sum()).values]
    # three steps, each with three sigmoid gates and two tanh
    assert sum(n.startswith("sigmoid") for n in names) == 9
    assert sum(n.startswith("tanh") for n in names) == 6
