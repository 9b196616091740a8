"""`cr.autograd.functional`: PyTorch's vjp, jvp, jacobian, hessian, vhp, hvp, checked against
derivatives worked by hand, central differences and torch.autograd.functional."""

import numpy as np
import pytest

import chainrule as cr

F = cr.autograd.functional
RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 3))
X = np.array([0.5, -1.2, 2.0])
V = np.array([0.3, 1.1, -0.7])


def _t(values, requires_grad=False):
    return cr.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def _central_jacobian(f, x, eps=1e-6):
    """∂f/∂x by central differences, f and x NumPy float64: shape f(x).shape + x.shape."""
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        step = step.reshape(x.shape)
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, axis=-1).reshape(np.shape(f(x)) + x.shape)


# ----- against derivatives worked by hand --------------------------------------------


def test_jacobian_of_an_elementwise_cube_is_diag_3x_squared():
    J = F.jacobian(lambda x: x**3, _t(X))
    assert isinstance(J, cr.Tensor)
    np.testing.assert_allclose(J.data, np.diag(3 * X**2), rtol=1e-14)


def test_jacobian_of_tuples_is_a_tuple_of_tuples_of_out_by_in_shapes():
    # f(x, y) = (x * y, sum x): ∂(xy)/∂x = diag(y), ∂(xy)/∂y = diag(x), ∂Σx/∂x = 1, ∂Σx/∂y = 0
    y = np.array([2.0, -1.0, 0.5])
    J = F.jacobian(lambda x, y: (x * y, x.sum()), (_t(X), _t(y)))
    assert isinstance(J, tuple)
    assert all(isinstance(row, tuple) and len(row) == 2 for row in J)
    assert [[b.shape for b in row] for row in J] == [[(3, 3), (3, 3)], [(3,), (3,)]]
    for got, want in zip(
        [b for row in J for b in row], [np.diag(y), np.diag(X), np.ones(3), np.zeros(3)]
    ):
        np.testing.assert_allclose(got.data, want, rtol=1e-14)


def test_jacobian_drops_the_tuple_level_of_a_single_input_or_output():
    x, y = _t(X), _t(V)
    one_in = F.jacobian(lambda x: (2 * x, x.sum()), x)
    assert isinstance(one_in, tuple)
    assert [b.shape for b in one_in] == [(3, 3), (3,)]
    one_out = F.jacobian(lambda x, y: (x * y).sum(), (x, y))
    assert isinstance(one_out, tuple)
    assert [b.shape for b in one_out] == [(3,), (3,)]
    np.testing.assert_allclose(one_out[0].data, V, rtol=1e-15)  # ∂(x·y)/∂x = y


def test_jacobian_of_a_matrix_function_has_out_shape_then_in_shape():
    # f(W) = W @ c for W (2, 3): ∂f_i/∂W_jk = δ_ij c_k
    c = np.array([1.0, 2.0, 3.0])
    J = F.jacobian(lambda w: w @ _t(c), _t(np.ones((2, 3))))
    want = np.einsum("ij,k->ijk", np.eye(2), c)
    assert J.shape == (2, 2, 3)
    np.testing.assert_allclose(J.data, want, rtol=1e-15)


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    H = F.hessian(lambda x: x @ _t(A) @ x, _t(X))
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H.data, A + A.T, rtol=1e-14)


def test_hessian_of_tuple_inputs_is_a_tuple_of_tuples():
    # xᵀ A y: ∂²/∂x² = 0, ∂²/∂x∂y = A, ∂²/∂y∂x = Aᵀ, ∂²/∂y² = 0
    y = np.array([1.0, 0.0, -2.0, 4.0])
    B = RNG.normal(size=(3, 4))
    H = F.hessian(lambda x, y: x @ _t(B) @ y, (_t(X), _t(y)))
    assert [[b.shape for b in row] for row in H] == [[(3, 3), (3, 4)], [(4, 3), (4, 4)]]
    want = [[np.zeros((3, 3)), B], [B.T, np.zeros((4, 4))]]
    for row, want_row in zip(H, want):
        for got, w in zip(row, want_row):
            np.testing.assert_allclose(got.data, w, rtol=1e-14)


def test_vjp_and_jvp_of_an_elementwise_cube_are_3x_squared_times_v():
    out, g = F.vjp(lambda x: x**3, _t(X), _t(V))
    np.testing.assert_allclose(out.data, X**3, rtol=1e-15)
    np.testing.assert_allclose(g.data, 3 * X**2 * V, rtol=1e-14)
    out, g = F.jvp(lambda x: x**3, _t(X), _t(V))
    np.testing.assert_allclose(g.data, 3 * X**2 * V, rtol=1e-14)


def test_jvp_through_a_non_symmetric_matrix_is_a_v_not_a_transpose_v():
    _, jv = F.jvp(lambda x: _t(A) @ x, _t(X), _t(V))
    _, vj = F.vjp(lambda x: _t(A) @ x, _t(X), _t(V))
    np.testing.assert_allclose(jv.data, A @ V, rtol=1e-13)
    np.testing.assert_allclose(vj.data, A.T @ V, rtol=1e-13)


def test_vhp_and_hvp_of_a_quadratic_form():
    q = lambda x: x @ _t(A) @ x  # noqa: E731
    value, vh = F.vhp(q, _t(X), _t(V))
    np.testing.assert_allclose(value.data, X @ A @ X, rtol=1e-14)
    np.testing.assert_allclose(vh.data, V @ (A + A.T), rtol=1e-13)
    _, hv = F.hvp(q, _t(X), _t(V))
    np.testing.assert_allclose(hv.data, (A + A.T) @ V, rtol=1e-13)


def test_v_may_be_left_out_for_a_single_value():
    _, g = F.vjp(lambda x: (x**2).sum(), _t(X))  # v = 1: the gradient 2x
    np.testing.assert_allclose(g.data, 2 * X, rtol=1e-15)
    _, d = F.jvp(lambda x: x**3, _t([2.0]))
    np.testing.assert_allclose(d.data, [12.0], rtol=1e-15)
    _, h = F.hvp(lambda x: (x**4).sum(), _t([2.0]))
    np.testing.assert_allclose(h.data, [48.0], rtol=1e-15)


def test_an_input_the_function_ignores_gets_zeros_without_strict():
    _, (gx, gy) = F.vjp(lambda x, y: 2 * x, (_t(X), _t(V)), _t(np.ones(3)))
    np.testing.assert_allclose(gx.data, 2.0)
    np.testing.assert_array_equal(gy.data, np.zeros(3))
    H = F.hessian(lambda x: (3 * x).sum(), _t(X))  # linear: the Hessian is zero
    np.testing.assert_array_equal(H.data, np.zeros((3, 3)))


# ----- against central differences ---------------------------------------------------


def test_jacobian_matches_central_differences():
    W = RNG.normal(size=(4, 3))
    x = RNG.normal(size=3)
    J = F.jacobian(lambda x: (_t(W) @ x).tanh() * x.sum(), _t(x))
    want = _central_jacobian(lambda x: np.tanh(W @ x) * x.sum(), x)
    np.testing.assert_allclose(J.data, want, rtol=1e-7, atol=1e-9)


def test_hessian_matches_central_differences_of_the_gradient():
    f = lambda x: (x.sin() * x**2).sum() + (x[0] * x[1]).exp()  # noqa: E731
    x = np.array([0.3, -0.8, 1.5])
    H = F.hessian(f, _t(x))
    gradient = cr.grad(f)
    want = _central_jacobian(lambda z: gradient(_t(z)).data, x)
    np.testing.assert_allclose(H.data, want, rtol=1e-7, atol=1e-8)


def test_jvp_and_vjp_agree_with_the_jacobian_at_a_random_point():
    W = RNG.normal(size=(2, 3))
    f = lambda x: (_t(W) @ x.exp()).sigmoid()  # noqa: E731
    x, u, w = RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=2)
    J = _central_jacobian(lambda z: 1 / (1 + np.exp(-(W @ np.exp(z)))), x)
    np.testing.assert_allclose(F.jvp(f, _t(x), _t(u))[1].data, J @ u, rtol=1e-7)
    np.testing.assert_allclose(F.vjp(f, _t(x), _t(w))[1].data, w @ J, rtol=1e-7)


# ----- create_graph, the caller's tensors, grad mode -----------------------------------


def test_with_create_graph_the_jacobian_can_be_differentiated_again():
    x = _t(X, requires_grad=True)
    J = F.jacobian(lambda x: x**3, x, create_graph=True)  # diag(3x²)
    assert J.requires_grad
    (g,) = cr.autograd.grad(J.sum(), x)
    np.testing.assert_allclose(g.data, 6 * X, rtol=1e-14)


def test_with_create_graph_hvp_and_vjp_stay_differentiable():
    x = _t(X, requires_grad=True)
    _, hv = F.hvp(lambda x: (x**4).sum(), x, _t(V), create_graph=True)  # 12x²v
    (g,) = cr.autograd.grad(hv.sum(), x)
    np.testing.assert_allclose(g.data, 24 * X * V, rtol=1e-14)
    _, vj = F.vjp(lambda x: x.exp(), x, _t(V), create_graph=True)  # eˣ v
    (g,) = cr.autograd.grad(vj.sum(), x)
    np.testing.assert_allclose(g.data, np.exp(X) * V, rtol=1e-14)


def test_with_create_graph_hessian_is_differentiable_in_the_input():
    x = _t(X, requires_grad=True)
    H = F.hessian(lambda x: (x**3).sum(), x, create_graph=True)  # diag(6x)
    (g,) = cr.autograd.grad(H.sum(), x)
    np.testing.assert_allclose(g.data, np.full(3, 6.0), rtol=1e-15)


def _each_function(x, y):
    """Each of the six on f(x, y) = Σ x³y, with v of the right form."""
    f = lambda x, y: (x**3 * y).sum()  # noqa: E731
    v = (_t(V), _t(V))
    return {
        "vjp": F.vjp(f, (x, y), _t(np.ones(()))),
        "jvp": F.jvp(f, (x, y), v),
        "jacobian": F.jacobian(f, (x, y)),
        "hessian": F.hessian(f, (x, y)),
        "vhp": F.vhp(f, (x, y), v),
        "hvp": F.hvp(f, (x, y), v),
    }


def test_the_callers_tensors_get_no_grad_and_the_results_no_graph():
    x, plain = _t(X, requires_grad=True), _t(V)
    for name, result in _each_function(x, plain).items():
        assert x.grad is None, name
        assert plain.grad is None, name
        assert x.is_leaf, name
        assert not plain.requires_grad, name
        tensors = list(_flat(result))
        assert tensors, name
        assert not any(t.requires_grad for t in tensors), name


def _flat(results):
    for r in results:
        yield from [r] if isinstance(r, cr.Tensor) else _flat(r)


def test_a_weight_the_function_closes_over_gets_no_grad_and_no_graph_in_the_result():
    w = _t(A, requires_grad=True)
    J = F.jacobian(lambda x: w @ x, _t(X))
    np.testing.assert_allclose(J.data, A, rtol=1e-15)
    assert not J.requires_grad
    assert w.grad is None


def test_it_works_under_no_grad():
    with cr.no_grad():
        H = F.hessian(lambda x: x @ _t(A) @ x, _t(X, requires_grad=True))
    np.testing.assert_allclose(H.data, A + A.T, rtol=1e-14)


# ----- strict, refusals, argument errors ---------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: F.vjp(lambda x, y: 2 * x, (_t(X), _t(V)), _t(V), strict=True),
        lambda: F.jvp(lambda x, y: 2 * x, (_t(X), _t(V)), (_t(V), _t(V)), strict=True),
        lambda: F.jacobian(lambda x, y: 2 * x, (_t(X), _t(V)), strict=True),
        lambda: F.jacobian(lambda x: _t(X), _t(X), strict=True),  # a constant output
        lambda: F.hessian(lambda x: (3 * x).sum(), _t(X), strict=True),  # linear
        lambda: F.vhp(lambda x: (3 * x).sum(), _t(X), _t(V), strict=True),
        lambda: F.hvp(lambda x, y: (x**2).sum(), (_t(X), _t(V)), (_t(V), _t(V)), strict=True),
    ],
    ids=["vjp", "jvp", "jacobian", "jacobian-constant", "hessian", "vhp", "hvp"],
)
def test_strict_refuses_an_output_independent_of_an_input(call):
    with pytest.raises(RuntimeError, match="strict=True"):
        call()


def test_strict_names_the_output_and_the_input_it_does_not_depend_on():
    with pytest.raises(RuntimeError, match="jacobian: output 1 does not depend on input 0;"):
        F.jacobian(lambda x, y: (x * y, 2 * y), (_t(X), _t(V)), strict=True)


def test_strict_accepts_a_function_of_all_its_inputs():
    J = F.jacobian(lambda x, y: x * y, (_t(X), _t(V)), strict=True)
    np.testing.assert_allclose(J[1].data, np.diag(X), rtol=1e-15)


@pytest.mark.parametrize(
    "call",
    [
        lambda: F.jacobian(lambda x: x**2, _t(X), vectorize=True),
        lambda: F.jacobian(lambda x: x**2, _t(X), strategy="forward-mode"),
        lambda: F.hessian(lambda x: (x**3).sum(), _t(X), vectorize=True),
        lambda: F.hessian(lambda x: (x**3).sum(), _t(X), outer_jacobian_strategy="forward-mode"),
    ],
    ids=["jacobian-vectorize", "jacobian-forward", "hessian-vectorize", "hessian-forward"],
)
def test_vectorize_and_forward_mode_are_refused_as_not_supported(call):
    with pytest.raises(NotImplementedError, match="not supported"):
        call()


def test_reverse_mode_is_accepted_and_another_strategy_refused():
    J = F.jacobian(lambda x: x**3, _t(X), strategy="reverse-mode")
    np.testing.assert_allclose(J.data, np.diag(3 * X**2), rtol=1e-14)
    with pytest.raises(ValueError, match="reverse-mode"):
        F.jacobian(lambda x: x**3, _t(X), strategy="backward")


def test_argument_errors():
    with pytest.raises(TypeError, match="Tensor or a tuple"):
        F.jacobian(lambda x, y: x * y, [_t(X), _t(V)])  # a list, as PyTorch refuses it
    with pytest.raises(RuntimeError, match="shape"):
        F.vjp(lambda x: x**2, _t(X), _t(np.ones(2)))
    with pytest.raises(RuntimeError, match="left out"):
        F.vjp(lambda x: x**2, _t(X))
    with pytest.raises(RuntimeError, match="single value"):
        F.hessian(lambda x: x**2, _t(X))
    with pytest.raises(RuntimeError, match="not a tuple"):
        F.vhp(lambda x: (x.sum(), x.sum()), _t(X), _t(V))


# ----- against PyTorch -----------------------------------------------------------------


def _functions():
    """Functions that read the same in chainrule and in torch, with their arity."""
    return {
        "cube": (lambda x: x**3, "one"),
        "pair": (lambda x, y: (x * y.sum(), (x.sum() * y).exp()), "two"),
        "matrix": (lambda x, y: (x.reshape(1, 3) * y.reshape(4, 1)).tanh(), "two"),
    }


def _scalars():
    return {
        "quartic": (lambda x: (x**4).sum(), "one"),
        "mixed": (lambda x, y: (x.sin() * x).sum() * (y**2).sum(), "two"),
    }


def _inputs(arity):
    x, y = RNG.normal(size=3), RNG.normal(size=4)
    return (_t(x), _t(y)) if arity == "two" else _t(x)


def _torch_like(value, torch):
    if isinstance(value, cr.Tensor):
        return torch.tensor(value.data)
    return tuple(_torch_like(v, torch) for v in value)


def _assert_same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w)
        return
    assert isinstance(got, cr.Tensor)
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fname", ["cube", "pair", "matrix"])
def test_jacobian_vjp_jvp_equal_pytorchs(fname):
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional
    f, arity = _functions()[fname]
    inputs = _inputs(arity)
    t_inputs = _torch_like(inputs, torch)
    _assert_same(F.jacobian(f, inputs), TF.jacobian(f, t_inputs))
    outputs = f(*inputs) if isinstance(inputs, tuple) else f(inputs)
    v_out = _random_like(outputs)
    v_in = _random_like(inputs)
    _assert_same(F.vjp(f, inputs, v_out), TF.vjp(f, t_inputs, _torch_like(v_out, torch)))
    _assert_same(F.jvp(f, inputs, v_in), TF.jvp(f, t_inputs, _torch_like(v_in, torch)))


def _random_like(value):
    if isinstance(value, cr.Tensor):
        return _t(RNG.normal(size=value.shape))
    return tuple(_random_like(v) for v in value)


@pytest.mark.parametrize("fname", ["quartic", "mixed"])
def test_hessian_vhp_hvp_equal_pytorchs(fname):
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional
    f, arity = _scalars()[fname]
    inputs = _inputs(arity)
    t_inputs = _torch_like(inputs, torch)
    _assert_same(F.hessian(f, inputs), TF.hessian(f, t_inputs))
    v = _random_like(inputs)
    _assert_same(F.vhp(f, inputs, v), TF.vhp(f, t_inputs, _torch_like(v, torch)))
    _assert_same(F.hvp(f, inputs, v), TF.hvp(f, t_inputs, _torch_like(v, torch)))


def test_strict_raises_where_pytorchs_does():
    torch = pytest.importorskip("torch")
    TF = torch.autograd.functional
    f = lambda x, y: 2 * x  # noqa: E731
    with pytest.raises(RuntimeError):
        TF.jacobian(f, (torch.tensor(X), torch.tensor(V)), strict=True)
    with pytest.raises(RuntimeError):
        F.jacobian(f, (_t(X), _t(V)), strict=True)
    want = TF.jacobian(f, (torch.tensor(X), torch.tensor(V)))  # without strict: zeros
    _assert_same(F.jacobian(f, (_t(X), _t(V))), want)
