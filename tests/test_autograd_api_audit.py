"""The autograd API as a PyTorch user meets it: backward's arguments, `cr.grad` and
`value_and_grad`, hooks and retain_grad, ``.grad`` accumulation, grad mode, gradients of
gradients, user-defined Functions and gradcheck.

Truths are independent of chainrule: PyTorch (tests taking the ``torch`` fixture are
skipped without it), central finite differences, or values worked by hand. Seeded random
graphs of mixed ops are compared with PyTorch to the third derivative.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule as cr
from chainrule import _engine

F64 = "float64"


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def leaf(value):
    return cr.tensor(np.asarray(value, dtype=F64), requires_grad=True)


def tleaf(torch, value):
    return torch.tensor(np.asarray(value, dtype=F64), requires_grad=True)


def as_np(g):
    """A gradient from either library as a NumPy array (None stays None)."""
    if g is None or isinstance(g, np.ndarray):
        return g
    if isinstance(g, cr.Tensor):
        return np.asarray(g.data)
    return g.detach().numpy()


def fd_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function of one float64 array."""
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


# ----- seeded random graphs, to the third derivative ------------------------------------------
# each op in both libraries; a shape-changing one is brought back to (3, 3) by broadcasting
UNARY = [
    ("sin", lambda a: a.sin()),
    ("cos", lambda a: a.cos()),
    ("tanh", lambda a: a.tanh()),
    ("sigmoid", lambda a: a.sigmoid()),
    ("square", lambda a: a * a),
    ("exp_tanh", lambda a: a.tanh().exp()),
    ("neg", lambda a: -a),
    ("cube", lambda a: a**3),
    ("row_sum", lambda a: a.sum(-1, True) + a * 0),
    ("transpose", lambda a: a.T),
    ("softmax", lambda a: a.softmax(-1)),
]
BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (1.5 + b * b)),
    ("matmul", lambda a, b: (a @ b.T) / 3),
]


def _program(seed: int, n_leaves: int = 3, n_ops: int = 8):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal((3, 3)) for _ in range(n_leaves)]
    program, k = [], n_leaves
    for _ in range(n_ops):
        if rng.random() < 0.5:
            program.append((UNARY[rng.integers(len(UNARY))][1], (int(rng.integers(k)),)))
        else:
            fn = BINARY[rng.integers(len(BINARY))][1]
            program.append((fn, (int(rng.integers(k)), int(rng.integers(k)))))
        k += 1
    weights = rng.standard_normal((3, 3))
    return values, program, weights


def _evaluate(program, leaves, weights):
    """Every value of the program, and a scalar loss from the last three."""
    nodes = list(leaves)
    for fn, args in program:
        nodes.append(fn(*[nodes[i] for i in args]))
    loss = sum((n * weights).sum() for n in nodes[len(leaves) :][-3:])
    return nodes, loss


def _sum_of_products(grads, vectors):
    return sum((g * v).sum() for g, v in zip(grads, vectors))


def _cr_derivatives(values, program, weights, vectors):
    """First derivatives, a Hessian-vector product, then (by backward) the gradient of
    ‖Hv‖², with chainrule: create_graph on `_engine.grad` and on backward."""
    xs = [leaf(v) for v in values]
    _, loss = _evaluate(program, xs, cr.tensor(weights))
    first = _engine.grad(loss, xs, create_graph=True)
    hv_of = _sum_of_products(first, [cr.tensor(v) for v in vectors])
    second = _engine.grad(hv_of, xs, create_graph=True)
    third = sum((g * g).sum() for g in second)
    if isinstance(third, cr.Tensor) and third.requires_grad:
        third.backward()
    return first, second, [x.grad for x in xs]


def _torch_derivatives(torch, values, program, weights, vectors):
    xs = [tleaf(torch, v) for v in values]
    _, loss = _evaluate(program, xs, torch.tensor(weights))
    grad = torch.autograd.grad
    first = grad(loss, xs, create_graph=True, allow_unused=True, materialize_grads=True)
    hv_of = _sum_of_products(first, [torch.tensor(v) for v in vectors])
    second = grad(hv_of, xs, create_graph=True, allow_unused=True, materialize_grads=True)
    third = sum((g * g).sum() for g in second)
    if third.requires_grad:
        third.backward()
    return first, second, [x.grad for x in xs]


def _close(ours, theirs, shape=(3, 3)):
    a = np.zeros(shape) if ours is None else as_np(ours)
    b = np.zeros(shape) if theirs is None else as_np(theirs)
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_match_pytorch_to_the_third_derivative(torch, seed):
    values, program, weights = _program(seed)
    vectors = [np.random.default_rng(seed + 1000).standard_normal((3, 3)) for _ in values]
    ours = _cr_derivatives(values, program, weights, vectors)
    theirs = _torch_derivatives(torch, values, program, weights, vectors)
    for order_ours, order_theirs in zip(ours, theirs, strict=True):
        for a, b in zip(order_ours, order_theirs, strict=True):
            _close(a, b)


def _hooked_backward(lib_leaf, values, program, weights, scales, twice):
    """backward with every intermediate retained and hooked (scaled by a constant), twice
    with retain_graph when ``twice``; the leaves' and intermediates' ``.grad``."""
    xs = [lib_leaf(v) for v in values]
    nodes, loss = _evaluate(program, xs, weights)
    inner = nodes[len(xs) :]
    for n, s in zip(inner, scales):
        n.retain_grad()
        n.register_hook(lambda g, s=s: g * s)
    loss.backward(retain_graph=twice)
    if twice:
        loss.backward()
    return [x.grad for x in xs] + [n.grad for n in inner]


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("twice", [False, True], ids=["once", "accumulated"])
def test_hooks_retain_grad_and_accumulation_match_pytorch_on_random_graphs(torch, seed, twice):
    values, program, weights = _program(seed)
    scales = np.random.default_rng(seed).choice([0.5, -1.0, 2.0, 3.0], size=len(program))
    ours = _hooked_backward(leaf, values, program, cr.tensor(weights), scales, twice)
    theirs = _hooked_backward(
        lambda v: tleaf(torch, v), values, program, torch.tensor(weights), scales, twice
    )
    for a, b in zip(ours, theirs):
        _close(a, b, np.shape(as_np(b)) if b is not None else (3, 3))


# ----- cr.grad and value_and_grad ---------------------------------------------------------
def _poly(x, y):
    return (x * x * y * y * y + cr.sin(x) * y).sum()


@pytest.mark.parametrize("point", [(2.0, 3.0), (-0.5, 1.5), (0.3, -2.0)])
def test_a_mixed_partial_of_plain_arguments_is_a_plain_value(point):
    # ∂²/∂y∂x (x²y³ + y·sin x) = 6xy² + cos x. The inner transform's own leaf for x is no
    # tensor the caller has: the result must not keep a graph (it kept one, grad_fn=Add)
    x0, y0 = point
    d2 = cr.grad(lambda x, y: cr.grad(_poly, 0)(x, y).sum(), 1)(cr.tensor(x0), cr.tensor(y0))
    assert d2.item() == pytest.approx(6 * x0 * y0**2 + np.cos(x0), rel=1e-6)
    assert not d2.requires_grad
    assert d2.grad_fn is None
    value, _ = cr.value_and_grad(lambda y: cr.grad(_poly, 0)(cr.tensor(x0), y).sum())(y0)
    assert value.grad_fn is None


def test_a_mixed_partial_stays_differentiable_in_a_weight_the_function_closes_over():
    # what does need the graph keeps it: w·∂²/∂y∂x(x²y³ + y·sin x) = w(6xy² + cos x)
    w = leaf(1.5)
    d2 = cr.grad(lambda x, y: cr.grad(lambda a, b: w * _poly(a, b), 0)(x, y).sum(), 1)(
        cr.tensor(2.0, dtype=F64), cr.tensor(3.0, dtype=F64)
    )
    assert d2.requires_grad
    d2.backward()
    assert w.grad == pytest.approx(6 * 2.0 * 9.0 + np.cos(2.0), rel=1e-12)


def test_mixed_partials_match_torch_func(torch):
    rng = np.random.default_rng(7)
    tgrad = torch.func.grad
    for _ in range(10):
        x0, y0 = rng.uniform(-2, 2, size=(2, 3))

        def f_cr(x, y):
            return (cr.tanh(x * y) * x + y**3 * cr.cos(x)).sum()

        def f_t(x, y):
            return (torch.tanh(x * y) * x + y**3 * torch.cos(x)).sum()

        ours = cr.grad(lambda x, y: cr.grad(f_cr, 0)(x, y).sum(), 1)(
            cr.tensor(x0, dtype=F64), cr.tensor(y0, dtype=F64)
        )
        theirs = tgrad(lambda x, y: tgrad(f_t, 0)(x, y).sum(), 1)(
            torch.tensor(x0), torch.tensor(y0)
        )
        np.testing.assert_allclose(as_np(ours), as_np(theirs), rtol=1e-10)
        assert not ours.requires_grad


def test_third_derivative_by_nested_grad_matches_hand_values():
    # d³/dx³ Σ x⁴ = 24x
    x = np.array([1.0, -2.0, 0.5])

    def derivative_of_sum(f):
        return cr.grad(lambda t: f(t).sum())

    third = derivative_of_sum(derivative_of_sum(derivative_of_sum(lambda c: c**4)))
    third = third(cr.tensor(x, dtype=F64))
    np.testing.assert_allclose(as_np(third), 24 * x, rtol=1e-12)
    assert not third.requires_grad


def test_grad_of_a_non_leaf_argument_is_differentiable_below_it():
    # y = x², g = d/dy Σ y³ = 3y² = 3x⁴, d/dx Σ g = 12x³
    x = leaf([0.5, -1.5])
    g = cr.grad(lambda a: (a**3).sum())(x * x)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 12 * np.array([0.5, -1.5]) ** 3, rtol=1e-12)


def test_argnums_repeated_and_unused_arguments():
    ga, gb, ga2, gb2 = cr.grad(lambda a, b: (a * b * b).sum(), (0, 1, 0, -1))(
        cr.tensor(2.0), cr.tensor(3.0)
    )
    assert (ga.item(), gb.item(), ga2.item(), gb2.item()) == (9.0, 12.0, 9.0, 12.0)
    unused = cr.grad(lambda a, b: (b * 2).sum())(cr.tensor([2.0, 3.0]), cr.tensor(1.0))
    np.testing.assert_array_equal(unused.data, [0.0, 0.0])
    # one object passed twice: each position is differentiated on its own, as in torch.func
    t = cr.tensor(2.0)
    da, db = cr.grad(lambda a, b: (a * b * b).sum(), (0, 1))(t, t)
    assert (da.item(), db.item()) == (4.0, 8.0)


def test_value_and_grad_matches_finite_differences_on_random_functions():
    rng = np.random.default_rng(3)
    for _ in range(15):
        x0 = rng.uniform(-1.5, 1.5, size=4)
        c = rng.uniform(0.5, 2.0, size=4)

        def f(x, c=c):
            return (cr.sin(x * c) * cr.exp(cr.tanh(x)) + x**2 / (1.0 + x * x)).sum()

        value, g = cr.value_and_grad(f)(cr.tensor(x0, dtype=F64))
        assert value.item() == pytest.approx(f(cr.tensor(x0, dtype=F64)).item())
        truth = fd_grad(lambda a: f(cr.tensor(a)).item(), x0)
        np.testing.assert_allclose(as_np(g), truth, rtol=1e-6, atol=1e-8)


def test_grad_restores_its_nesting_and_grad_mode_after_f_raises():
    def boom(a):
        raise KeyError("in f")

    with cr.no_grad():
        with pytest.raises(KeyError):
            cr.grad(boom)(cr.tensor(1.0))
        assert not cr.is_grad_enabled()
    # afterwards a plain call is plain again: no nesting left over from the failed one
    g = cr.grad(lambda x: (x * x).sum())(cr.tensor([1.0, 2.0]))
    assert not g.requires_grad
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    d2 = cr.grad(lambda x, y: cr.grad(lambda a, b: (a * b).sum())(x, y).sum(), 1)
    with pytest.raises(KeyError):
        cr.grad(lambda x: boom(cr.grad(lambda a: (a * a).sum())(x)))(cr.tensor(1.0))
    assert not d2(cr.tensor(2.0), cr.tensor(3.0)).requires_grad


# ----- gradcheck -----------------------------------------------------------------------------
def test_gradcheck_inside_no_grad_checks_the_gradients():
    # inside no_grad f recorded no graph: gradcheck reported "analytic 0 vs numeric 2" and
    # blamed the backward of a correct function
    with cr.no_grad():
        assert cr.gradcheck(lambda a: (a * a).sum(), [np.array([1.0, 2.0])])
        assert cr.gradcheck(
            lambda a, b: cr.tanh(a) * b,
            [np.array([0.3, -1.0]), np.array([2.0, 0.5])],
            check_second_order=True,
        )
        assert not cr.is_grad_enabled()


def test_gradcheck_inside_no_grad_still_finds_a_wrong_backward():
    class Cube(cr.Function):
        def forward(self, x):
            self.saved = (x,)
            return x**3

        def backward(self, grad_out):
            (x,) = self.saved
            return grad_out * 3 * x**2 + 0.01  # off by 0.01

    with cr.no_grad(), pytest.raises(cr.GradcheckError, match="Cube") as info:
        cr.gradcheck(lambda a: Cube()(a), [np.array([1.0, 2.0])], localize=True)
    assert "analytic 3.01 vs numeric 3" in str(info.value)


# ----- errors: what was wrong, whose, and how to fix it ------------------------------------
def test_a_backward_returning_text_is_named_as_not_numbers():
    # it said "returned a gradient of shape () for an input of shape (2,)"
    class Text(cr.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad_out):
            return "abc"

    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"Text\.backward returned a gradient that is not numbers"):
        Text()(x).sum().backward()
    with pytest.raises(TypeError, match=r"not numbers \(a str.*shape \(2,\)"):
        _engine.grad(Text()(x).sum(), [x], create_graph=True)


def test_a_backward_returning_numbers_as_python_objects_still_works():
    from fractions import Fraction

    class Frac(cr.Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad_out):
            return np.array([Fraction(1, 2), Fraction(3, 2)], dtype=object)

    x = leaf([1.0, 2.0])
    Frac()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 1.5])


def test_a_hook_returning_text_is_named():
    # it was NumPy's "could not convert string to float: 'abc'", naming no hook
    x = leaf([1.0, 2.0])
    y = x * 2

    def text_hook(g):
        return "abc"

    y.register_hook(text_hook)
    with pytest.raises(TypeError, match="gradient hook text_hook returned a gradient that is"):
        y.sum().backward()


def test_an_upstream_gradient_that_is_not_numbers_names_backward():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"backward: the upstream gradient must be numbers"):
        (x * 2).backward("ab")
    with pytest.raises(TypeError, match=r"output's shape \(2,\), got a list"):
        (x * 2).backward([[1.0, 2.0], [3.0]])


def test_errors_pytorch_users_meet_say_how_to_fix_them():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"loss\.sum\(\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=r"use \.detach\(\)"):
        (x * 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        cr.tensor([1.0]).backward()
    with pytest.raises(TypeError, match="float dtype"):
        cr.tensor(np.array([1, 2])).requires_grad_()


# ----- state after exceptions ----------------------------------------------------------------
def _raise(g):
    raise KeyError("hook")


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("outer", [cr.no_grad, cr.enable_grad])
def test_grad_mode_and_numpy_error_state_survive_a_failing_hook(create_graph, outer):
    x = leaf([1.0, 2.0])
    y = x * 2
    handle = y.register_hook(_raise)
    s = y.sum()
    before = np.geterr()
    with outer():
        mode = cr.is_grad_enabled()
        with pytest.raises(KeyError):
            s.backward(create_graph=create_graph)
        assert cr.is_grad_enabled() is mode
    assert np.geterr() == before
    # nothing was released or accumulated before the hook ran: backward works once removed
    handle.remove()
    assert x.grad is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_a_failing_grad_call_leaves_the_graph_as_it_was():
    # grad() turns off, for its walk, the edges that lead to none of its inputs; an error
    # in the walk must put them back, or a later backward would skip a branch
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a * b
    y.register_hook(_raise)
    z = (y * a).sum()
    with pytest.raises(KeyError):
        _engine.grad(z, [a], retain_graph=True)
    y._hooks = None
    z.backward()
    np.testing.assert_allclose(a.grad, 2 * np.array([1.0, 2.0]) * [3.0, 4.0])
    np.testing.assert_allclose(b.grad, np.array([1.0, 2.0]) ** 2)


# ----- grad mode --------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_nest_decorate_and_survive_exceptions(torch):
    def probe(lib):
        seen = []

        @lib.no_grad()
        def inner():
            seen.append(lib.is_grad_enabled())
            with lib.enable_grad():
                seen.append(lib.is_grad_enabled())
                raise ValueError

        @lib.enable_grad()
        def outer():
            seen.append(lib.is_grad_enabled())
            try:
                inner()
            except ValueError:
                seen.append(lib.is_grad_enabled())

        with lib.no_grad():
            outer()
            seen.append(lib.is_grad_enabled())
        seen.append(lib.is_grad_enabled())
        return seen

    assert probe(cr) == probe(torch)


def test_a_decorated_generator_sets_the_mode_only_while_its_body_runs(torch):
    def probe(lib, decorator):
        @decorator
        def gen():
            got = yield lib.is_grad_enabled()
            try:
                yield (got, lib.is_grad_enabled())
            except KeyError:
                yield ("thrown", lib.is_grad_enabled())

        seen = []
        g = gen()
        seen.append(next(g))
        seen.append(lib.is_grad_enabled())
        seen.append(g.send("sent"))
        seen.append(g.throw(KeyError()))
        seen.append(lib.is_grad_enabled())
        g.close()
        seen.append(lib.is_grad_enabled())
        return seen

    assert probe(cr, cr.no_grad()) == probe(torch, torch.no_grad())
    with cr.no_grad(), torch.no_grad():
        assert probe(cr, cr.enable_grad()) == probe(torch, torch.enable_grad())


def test_backward_inside_no_grad_works_and_leaves_no_grad_on(torch):
    for lib, make in ((cr, leaf), (torch, lambda v: tleaf(torch, v))):
        x = make([1.0, 2.0])
        y = (x**3).sum()
        with lib.no_grad():
            y.backward()
            assert not lib.is_grad_enabled()
        np.testing.assert_allclose(as_np(x.grad), [3.0, 12.0])


def test_hooks_see_grad_mode_create_graph(torch):
    def modes(lib, make, create):
        x = make([1.0, 2.0])
        y = x * x
        seen = []
        y.register_hook(lambda g: seen.append(lib.is_grad_enabled()))
        with warnings.catch_warnings():  # torch's reference-cycle note on create_graph
            warnings.simplefilter("ignore", UserWarning)
            y.sum().backward(create_graph=create)
        return seen

    for create in (False, True):
        assert modes(cr, leaf, create) == modes(torch, lambda v: tleaf(torch, v), create)


# ----- hooks and retain_grad against PyTorch --------------------------------------------------
def _hook_log(lib, make):
    """Hooks that remove themselves and each other, on a tensor used three times; the
    order and the gradients they saw over two backward passes."""
    x = make([1.0, 2.0])
    y = x * 2
    log = []

    def first(g):
        log.append(("first", as_np(g).tolist()))
        handles[1].remove()

    def second(g):
        log.append(("second", as_np(g).tolist()))

    def third(g):
        log.append(("third", as_np(g).tolist()))
        handles[2].remove()
        return g * 10

    handles = [y.register_hook(f) for f in (first, second, third)]
    z = (y * y + y * 3 + y).sum()
    z.backward(retain_graph=True)
    z.backward()
    return log, as_np(x.grad).tolist()


def test_hook_order_removal_and_summed_gradient_match_pytorch(torch):
    assert _hook_log(cr, leaf) == _hook_log(torch, lambda v: tleaf(torch, v))


@pytest.mark.parametrize("asked", ["y", "x"])
def test_hooks_and_retain_grad_on_the_root_and_on_grad_inputs_match_pytorch(torch, asked):
    # (asked for y and x together, PyTorch hands back y's gradient from before y's hook,
    # alone from after it; chainrule gives the one after the hooks either way)
    def run(lib, make, grad_fn):
        x = make([1.0, 2.0])
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda g: g * 10)
        z = (y * y).sum()
        z.retain_grad()
        z.register_hook(lambda g: g * 2)
        (g,) = grad_fn(z, [{"x": x, "y": y}[asked]])
        return as_np(g).tolist(), as_np(y.grad).tolist(), float(z.grad), x.grad

    ours = run(cr, leaf, lambda z, ins: _engine.grad(z, ins))
    theirs = run(torch, lambda v: tleaf(torch, v), lambda z, ins: torch.autograd.grad(z, ins))
    assert ours == theirs


def test_a_hook_returning_a_differentiable_tensor_under_create_graph_matches_pytorch(torch):
    def run(lib, make, grad_fn):
        x, w = make([0.5, -1.2]), make([2.0, 3.0])
        y = x.sin() * x
        y.register_hook(lambda g: g * w)
        (g,) = grad_fn((y * y).sum(), [x])
        (g * g).sum().backward()
        return as_np(x.grad), as_np(w.grad)

    ours = run(cr, leaf, lambda z, ins: _engine.grad(z, ins, create_graph=True))
    theirs = run(
        torch,
        lambda v: tleaf(torch, v),
        lambda z, ins: torch.autograd.grad(z, ins, create_graph=True),
    )
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_accumulating_a_create_graph_gradient_matches_pytorch(torch):
    # a plain backward, then one with create_graph: .grad is their sum and differentiable
    def run(lib, make):
        x = make([1.0, 2.0])
        y = (x**3).sum()
        y.backward(retain_graph=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            y.backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.sum().backward()
        return as_np(g).tolist(), as_np(x.grad).tolist()

    assert run(cr, leaf) == run(torch, lambda v: tleaf(torch, v))


def test_hessian_vector_product_by_backward_with_a_vector(torch):
    rng = np.random.default_rng(11)
    for _ in range(10):
        x0, v0 = rng.standard_normal((2, 4))
        x = leaf(x0)
        (g,) = _engine.grad((x**3).sum() * x.sum() + cr.tanh(x).sum(), [x], create_graph=True)
        g.backward(cr.tensor(v0))
        tx = tleaf(torch, x0)
        (tg,) = torch.autograd.grad(
            (tx**3).sum() * tx.sum() + torch.tanh(tx).sum(), [tx], create_graph=True
        )
        tg.backward(torch.tensor(v0))
        np.testing.assert_allclose(x.grad, as_np(tx.grad), rtol=1e-10)


# ----- the graph: released when done, kept when asked ------------------------------------------
def test_grad_releases_the_graph_unless_asked_and_create_graph_keeps_it():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    _engine.grad(y, [x])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        _engine.grad(y, [x])
    y = (x * x).sum()
    _engine.grad(y, [x], create_graph=True)  # retain_graph defaults to create_graph
    (g,) = _engine.grad(y, [x])
    np.testing.assert_array_equal(g, [2.0, 4.0])


def test_grad_towards_an_intermediate_leaves_the_graph_below_it(torch):
    # grad(z, [y]) walks only above y: y's own graph survives for a later backward
    # (chainrule ran y's own node, Mul, and released it: the backward said "released")
    def run(lib, make, grad_fn):
        x = make([1.0, 2.0])
        y = x * x
        z = (y.sin()).sum()
        (gy,) = grad_fn(z, [y])
        y.sum().backward()  # releases y's node now: grad towards y needs none of it
        (gy2,) = grad_fn((y * y.exp()).sum(), [y])
        return as_np(gy), as_np(x.grad), as_np(gy2)

    ours = run(cr, leaf, lambda z, ins: _engine.grad(z, ins))
    theirs = run(torch, lambda v: tleaf(torch, v), lambda z, ins: torch.autograd.grad(z, ins))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# ----- user-defined Functions against torch.autograd.Function ---------------------------------
class SinMul(cr.Function):
    """f(x, y) = sin(x)·y, its backward written with chainrule ops: differentiable again."""

    def forward(self, x, y):
        self.saved = (x, y)
        return np.sin(x) * y

    def backward(self, grad_out):
        x, y = self.saved
        return grad_out * cr.cos(x) * y, grad_out * cr.sin(x)


def test_a_user_function_to_the_third_derivative_matches_pytorch(torch):
    class TSinMul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return torch.sin(x) * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * torch.cos(x) * y, g * torch.sin(x)

    rng = np.random.default_rng(5)
    for _ in range(8):
        x0, y0 = rng.uniform(-2, 2, size=(2, 3))
        ours = _three_orders(leaf(x0), leaf(y0), SinMul(), _engine.grad)
        tx, ty = tleaf(torch, x0), tleaf(torch, y0)
        theirs = _three_orders(tx, ty, TSinMul.apply, torch.autograd.grad)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(as_np(a), as_np(b), rtol=1e-10, atol=1e-14)


def _three_orders(x, y, op, grad_fn):
    out = (op(x, y) * op(x, y)).sum()
    gx, gy = grad_fn(out, [x, y], create_graph=True)
    hx, hy = grad_fn((gx * gy).sum(), [x, y], create_graph=True)
    tx, ty = grad_fn((hx * hx + hy).sum(), [x, y])
    return gx, gy, hx, hy, tx, ty
