"""User-defined ops, `cr.Function`, against `torch.autograd.Function`: the same op written
in each library's way, compared on values, gradients (to third order), errors and warnings.

Skipped without PyTorch (the suite needs none). Where the two differ on purpose, `Function`'s
docstring says so, and the tests under "deliberate differences" check both sides; the bugs
the comparison found are tested without PyTorch in test_function_api.py.
"""

from __future__ import annotations

import traceback
import warnings

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")
F64 = torch.float64


def leaf(value, dtype="float64"):
    return cr.tensor(np.asarray(value, dtype=dtype), requires_grad=True)


def tleaf(value, dtype=F64):
    return torch.tensor(value, dtype=dtype, requires_grad=True)


def grad_of(t):
    """A leaf's gradient as a NumPy array (None stays None), from either library."""
    g = t.grad
    if g is None or isinstance(g, np.ndarray):
        return g
    return g.detach().numpy() if isinstance(g, torch.Tensor) else np.asarray(g.data)


def assert_same(ours, theirs):
    """Equal results: tuples element by element, arrays in value, shape and dtype kind."""
    if isinstance(ours, tuple):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    if ours is None or theirs is None:
        assert ours is None
        assert theirs is None
        return
    a = np.asarray(ours.data if isinstance(ours, cr.Tensor) else ours)
    b = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert a.shape == b.shape
    assert a.dtype.kind == b.dtype.kind
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


# ----- the ops, written twice -----------------------------------------------------------------
class Cube(cr.Function):
    """d/dx x³ = 3x²"""

    def forward(self, x):
        self.saved = (x,)
        return x**3

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * 3 * x**2


class TCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * 3 * x**2


class Exp(cr.Function):
    """d/dx eˣ = eˣ (the output, saved)"""

    def forward(self, x):
        out = np.exp(x)
        self.saved = (out,)
        return out

    def backward(self, grad_out):
        (out,) = self.saved
        return grad_out * out


class TExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = torch.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return grad_out * out


class Mul(cr.Function):
    """∂(xy)/∂x = y, ∂(xy)/∂y = x"""

    def forward(self, x, y):
        self.saved = (x, y)
        return x * y

    def backward(self, grad_out):
        x, y = self.saved
        return grad_out * y, grad_out * x


class TMul(torch.autograd.Function):
    """y may be a number (PyTorch passes it as it is)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, *([y] if torch.is_tensor(y) else []))
        ctx.y = y
        return x * y

    @staticmethod
    def backward(ctx, grad_out):
        x = ctx.saved_tensors[0]
        y = ctx.saved_tensors[1] if torch.is_tensor(ctx.y) else ctx.y
        return grad_out * y, (grad_out * x if ctx.needs_input_grad[1] else None)


class Affine(cr.Function):
    """a·b + c, b broadcast along the rows: ∂/∂b sums over them"""

    def forward(self, a, b, c):
        self.saved = (a, b)
        return a * b + c

    def backward(self, grad_out):
        a, b = self.saved
        return grad_out * b, (grad_out * a).sum(axis=0), grad_out


class TAffine(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b, c):
        ctx.save_for_backward(a, b)
        return a * b + c

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        return grad_out * b, (grad_out * a).sum(dim=0), grad_out


class ScaledIdentity(cr.Function):
    """y = x, the gradient scaled by the saved input: g·x²"""

    def forward(self, x):
        self.saved = (x,)
        return x

    def backward(self, grad_out):
        (x,) = self.saved
        return grad_out * x * x


class TScaledIdentity(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * x * x


class Tail(cr.Function):
    """x[1:], a view of the input"""

    def forward(self, x):
        return x[1:]

    def backward(self, grad_out):
        return np.concatenate([np.zeros(1), grad_out])


class TTail(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x[1:]

    @staticmethod
    def backward(ctx, grad_out):
        return torch.cat([torch.zeros(1, dtype=grad_out.dtype), grad_out])


class Total(cr.Function):
    """Σ x, returned as NumPy gives it (a NumPy scalar)"""

    def forward(self, x):
        self.saved = (x.shape,)
        return np.sum(x)

    def backward(self, grad_out):
        return np.full(self.saved[0], grad_out)


class TTotal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return x.sum()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.expand(ctx.shape).clone()


class Round(cr.Function):
    """straight-through: d/dx round(x) taken as 1"""

    def forward(self, x):
        return np.round(x)

    def backward(self, grad_out):
        return grad_out


class TRound(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class Reverse(cr.Function):
    """gradient reversal: y = x, dy/dx taken as −1"""

    def forward(self, x):
        return x

    def backward(self, grad_out):
        return -grad_out


class TReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out


class Argsort(cr.Function):
    def forward(self, x):
        return np.argsort(x)

    def backward(self, grad_out):
        raise AssertionError("an integer output has no backward")


class TArgsort(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.argsort(x)

    @staticmethod
    def backward(ctx, grad_out):
        raise AssertionError("an integer output has no backward")


class Gather(cr.Function):
    """x[idx] with an integer index tensor: repeated indices add up"""

    def forward(self, x, idx):
        self.saved = (x.shape, idx)
        return x[idx]

    def backward(self, grad_out):
        shape, idx = self.saved
        out = np.zeros(shape)
        np.add.at(out, idx, grad_out)
        return out, None


class TGather(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, idx):
        ctx.save_for_backward(idx)
        ctx.n = x.shape[0]
        return x[idx]

    @staticmethod
    def backward(ctx, grad_out):
        (idx,) = ctx.saved_tensors
        return torch.zeros(ctx.n, dtype=grad_out.dtype).index_add_(0, idx, grad_out), None


def unary(backward_ours, backward_theirs, forward=lambda x: x * 2):
    """An op computing ``forward`` (2x unless given) with the backward each side is given."""

    class Ours(cr.Function):
        def forward(self, x):
            self.saved = (x,)
            return forward(x)

        def backward(self, grad_out):
            return backward_ours(grad_out)

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return forward(x)

        @staticmethod
        def backward(ctx, grad_out):
            return backward_theirs(grad_out)

    return Ours, Theirs


# ----- gradients that agree ---------------------------------------------------------------------
def _one_input(ours, theirs, value, dtype="float64"):
    """y = op(x), backward of Σy: (y, x.grad) from chainrule and from PyTorch."""
    x = leaf(value, dtype)
    y = ours()(x)
    y.sum().backward()
    tx = tleaf(value, getattr(torch, dtype))
    ty = theirs.apply(tx)
    ty.sum().backward()
    return (y, grad_of(x)), (ty, grad_of(tx))


def _grads(ours, theirs, values, make=None):
    """Σ op(*leaves) backward in both libraries; the leaves' gradients (None if not leaves).
    ``make(i, value)`` gives the i-th argument of each side (default: a float64 leaf)."""
    make = make or (lambda lib, i, v: leaf(v) if lib == "cr" else tleaf(v))
    args = [make("cr", i, v) for i, v in enumerate(values)]
    targs = [make("torch", i, v) for i, v in enumerate(values)]
    ours()(*args).sum().backward()
    theirs.apply(*targs).sum().backward()
    pick = lambda items: tuple(  # noqa: E731
        grad_of(a) if getattr(a, "requires_grad", False) else None for a in items
    )
    return pick(args), pick(targs)


def _constant(kind):
    """The second argument of Mul / TMul: a leaf first, then a constant of ``kind``."""

    def make(lib, i, v):
        if i == 0:
            return leaf(v) if lib == "cr" else tleaf(v)
        if kind == "number":
            return 2.5
        if kind == "array":
            return np.array(v) if lib == "cr" else torch.tensor(v, dtype=F64)
        if kind == "int tensor":
            return cr.tensor(np.array(v, dtype=np.int64)) if lib == "cr" else torch.tensor(v)
        return cr.tensor(np.array(v)) if lib == "cr" else torch.tensor(v, dtype=F64)

    return make


AGREE = {
    "one input": lambda: _one_input(lambda: Cube(), TCube, [0.5, -1.5, 2.0]),
    "one input, float32": lambda: _one_input(lambda: Cube(), TCube, [0.5, -1.5], "float32"),
    "one input, float16": lambda: _one_input(lambda: Cube(), TCube, [0.5, -1.5], "float16"),
    "the output saved": lambda: _one_input(lambda: Exp(), TExp, [0.5, -1.5]),
    "identity forward": lambda: _one_input(lambda: ScaledIdentity(), TScaledIdentity, [1.5, 2]),
    "gradient reversal": lambda: _one_input(lambda: Reverse(), TReverse, [1.0, -2.0]),
    "straight-through round": lambda: _one_input(lambda: Round(), TRound, [0.4, 1.6]),
    "a view of the input": lambda: _one_input(lambda: Tail(), TTail, [1.0, 2.0, 3.0]),
    "a 0-d result, a NumPy scalar": lambda: _one_input(lambda: Total(), TTotal, [1.0, 2.0]),
    "a 0-d input": lambda: _one_input(lambda: Cube(), TCube, 1.5),
    "an empty input": lambda: _one_input(lambda: Cube(), TCube, np.ones((0, 3)).tolist()),
    "two inputs": lambda: _grads(Mul, TMul, [[1.0, 2.0], [3.0, -4.0]]),
    "the same tensor twice": lambda: _same_tensor_twice(),
    "three inputs, one broadcast": lambda: _grads(
        Affine, TAffine, [[[1.0, 2.0], [3.0, 4.0]], [5.0, 6.0], [[1.0, 1.0], [1.0, 1.0]]]
    ),
    "a number input": lambda: _grads(Mul, TMul, [[1.0, 2.0], None], _constant("number")),
    "an array input": lambda: _grads(Mul, TMul, [[1.0, 2.0], [3.0, 4.0]], _constant("array")),
    "an integer tensor": lambda: _grads(Mul, TMul, [[1.0, 2.0], [3, 4]], _constant("int tensor")),
    "a tensor without grad": lambda: _grads(Mul, TMul, [[1.0, 2.0], [3.0, 4.0]], _constant("")),
    "an integer index tensor": lambda: _grads(
        Gather, TGather, [[1.0, 2.0, 3.0], [0, 0, 2]], _index_second
    ),
}


def _same_tensor_twice():
    x, tx = leaf([1.0, 3.0]), tleaf([1.0, 3.0])
    Mul()(x, x).sum().backward()
    TMul.apply(tx, tx).sum().backward()
    return grad_of(x), grad_of(tx)


def _index_second(lib, i, v):
    if i == 0:
        return leaf(v) if lib == "cr" else tleaf(v)
    return cr.tensor(np.array(v)) if lib == "cr" else torch.tensor(v)


@pytest.mark.parametrize("case", AGREE)
def test_values_and_gradients_agree(case):
    ours, theirs = AGREE[case]()
    assert_same(ours, theirs)


RETURNED = {  # what backward returns, converted to the input's dtype on both sides
    "a float32 gradient for float64": (
        lambda g: (g * 2).astype(np.float32),
        lambda g: (g * 2).float(),
    ),
    "an integer gradient": (lambda g: np.full(g.shape, 2), lambda g: torch.full(g.shape, 2)),
    "a Tensor": (lambda g: cr.tensor(g * 2), lambda g: g * 2),
    "a Tensor that requires grad": (
        lambda g: cr.tensor(g * 2, requires_grad=True),
        lambda g: (g * 2).requires_grad_(),
    ),
    "None, with the input used elsewhere": (lambda g: None, lambda g: None),
}


@pytest.mark.parametrize("case", RETURNED)
def test_what_backward_returns_is_converted_alike(case):
    ours, theirs = unary(*RETURNED[case])
    x, tx = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    (ours()(x) + x * 3.0).sum().backward()
    (theirs.apply(tx) + tx * 3.0).sum().backward()
    assert x.grad.dtype == np.float64
    assert_same(grad_of(x), grad_of(tx))


def test_a_numpy_scalar_gradient_of_a_0d_input():
    ours, theirs = unary(lambda g: np.float64(2.0) * g, lambda g: 2.0 * g)
    x, tx = leaf(1.5), tleaf(1.5)
    ours()(x).backward()
    theirs.apply(tx).backward()
    assert type(x.grad) is np.ndarray
    assert_same(grad_of(x), grad_of(tx))


def test_an_integer_output_is_outside_the_graph_in_both():
    y, ty = Argsort()(leaf([3.0, 1.0, 2.0])), TArgsort.apply(tleaf([3.0, 1.0, 2.0]))
    assert (y.requires_grad, y.grad_fn) == (ty.requires_grad, ty.grad_fn) == (False, None)
    assert_same(y, ty)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ty.sum().backward()


def test_needs_grad_is_needs_input_grad():
    seen = {}

    class Ours(cr.Function):
        def forward(self, x, y):
            return x * y

        def backward(self, grad_out):
            seen["ours"] = self.needs_grad
            return grad_out, grad_out

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad_out):
            seen["theirs"] = ctx.needs_input_grad
            return grad_out, grad_out

    Ours()(leaf([1.0]), cr.tensor([2.0])).sum().backward()
    Theirs.apply(tleaf([1.0]), torch.tensor([2.0])).sum().backward()
    assert seen["ours"] == seen["theirs"] == (True, False)


# ----- the graph around a user's op ------------------------------------------------------------
def test_fan_out_hooks_and_retain_grad_on_a_users_output():
    x, tx = leaf([1.0, 3.0]), tleaf([1.0, 3.0])
    y, ty = Cube()(x), TCube.apply(tx)
    for t in (y, ty):
        t.retain_grad()
        t.register_hook(lambda g: g * 10)
    (y * y + y).sum().backward()
    (ty * ty + ty).sum().backward()
    assert_same((grad_of(x), grad_of(y)), (grad_of(tx), grad_of(ty)))


def test_a_non_scalar_output_with_an_upstream_and_retain_graph():
    x, tx = leaf([1.0, 3.0]), tleaf([1.0, 3.0])
    y, ty = Cube()(x), TCube.apply(tx)
    y.backward(np.array([2.0, -1.0]), retain_graph=True)
    ty.backward(torch.tensor([2.0, -1.0], dtype=F64), retain_graph=True)
    assert_same(grad_of(x), grad_of(tx))
    y.backward(np.array([0.0, 1.0]))  # accumulates, as in PyTorch
    ty.backward(torch.tensor([0.0, 1.0], dtype=F64))
    assert_same(grad_of(x), grad_of(tx))


def test_backward_twice_without_retain_graph_raises_in_both():
    y, ty = Cube()(leaf(2.0)), TCube.apply(tleaf(2.0))
    y.backward()
    ty.backward()
    with pytest.raises(RuntimeError, match=r"^Cube: backward through this part .* retain_graph"):
        y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        ty.backward()


def test_one_instance_like_a_layer_nested_and_after_backward():
    cube = Cube()
    x, tx = leaf([0.5, 1.1]), tleaf([0.5, 1.1])
    (cube(x) + cube(x * 2.0)).sum().backward()
    (TCube.apply(tx) + TCube.apply(tx * 2.0)).sum().backward()
    assert_same(grad_of(x), grad_of(tx))
    cube(cube(x)).sum().backward()  # the instance again, nested, after its first backward
    TCube.apply(TCube.apply(tx)).sum().backward()
    assert_same(grad_of(x), grad_of(tx))


def test_inside_no_grad_nothing_is_recorded():
    with cr.no_grad():
        y = Cube()(leaf([1.0, 2.0]))
    with torch.no_grad():
        ty = TCube.apply(tleaf([1.0, 2.0]))
    assert (y.requires_grad, y.grad_fn) == (ty.requires_grad, ty.grad_fn) == (False, None)
    assert_same(y, ty)


def test_no_input_requires_grad():
    y, ty = Cube()(cr.tensor([2.0], dtype="float64")), TCube.apply(torch.tensor([2.0], dtype=F64))
    assert (y.requires_grad, ty.requires_grad) == (False, False)
    assert_same(y, ty)


def test_grad_mode_inside_backward_is_create_graph():
    modes = []

    class Ours(cr.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            modes.append(cr.is_grad_enabled())
            return grad_out * 2

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            modes.append(torch.is_grad_enabled())
            return grad_out * 2

    for create in (False, True):
        Ours()(leaf([1.0])).sum().backward(create_graph=create)
        x = tleaf([1.0])
        torch.autograd.grad(Theirs.apply(x).sum(), x, create_graph=create)
    assert modes == [False, False, True, True]


# ----- higher derivatives -------------------------------------------------------------------------
def _torch_derivatives(op, value, order):
    x = tleaf(value)
    out, found = op(x), []
    for _ in range(order):
        (out,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        found.append(out.detach().numpy())
    return found


def _our_derivatives(op, value, order):
    found, f = [], op
    for _ in range(order):
        f = (lambda g: lambda t: cr.grad(lambda s: g(s).sum())(t))(f)
        found.append(np.asarray(f(cr.tensor(np.asarray(value, dtype=np.float64))).data))
    return found


HIGHER = {
    "saving the input": (lambda t: Cube()(t), TCube.apply, 3),
    "saving the output": (lambda t: Exp()(t), TExp.apply, 3),
    "an identity forward saving its input": (
        lambda t: ScaledIdentity()(t),
        TScaledIdentity.apply,
        2,
    ),
    "nested": (lambda t: Cube()(Exp()(t)), lambda t: TCube.apply(TExp.apply(t)), 2),
    "among built-in ops": (lambda t: Cube()(t.tanh()) * t, lambda t: TCube.apply(t.tanh()) * t, 2),
}


@pytest.mark.parametrize("case", HIGHER)
def test_higher_derivatives_agree(case):
    ours, theirs, order = HIGHER[case]
    value = [0.7, -1.3]
    for a, b in zip(_our_derivatives(ours, value, order), _torch_derivatives(theirs, value, order)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_mixed_second_derivative_of_a_two_input_op():
    # ∂²(xy)²/∂y∂x = 4xy
    d = cr.grad(lambda b, a: cr.grad(lambda s: Mul()(s, b) ** 2)(a), 0)(leaf(-0.5), leaf(1.5))
    x, y = tleaf(1.5), tleaf(-0.5)
    (gx,) = torch.autograd.grad(TMul.apply(x, y) ** 2, x, create_graph=True)
    (gxy,) = torch.autograd.grad(gx, y)
    assert d.item() == gxy.item() == -3.0


def test_a_backward_written_with_numpy_cannot_give_second_derivatives_in_either():
    class Ours(cr.Function):
        def forward(self, x):
            self.saved = (x,)
            return np.sin(x)

        def backward(self, grad_out):
            (x,) = self.saved
            return grad_out * np.cos(x)

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.from_numpy(np.sin(x.detach().numpy()))

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * torch.from_numpy(np.cos(x.detach().numpy()))

    with pytest.raises(TypeError, match=r"^Ours\.backward failed with create_graph=True: "):
        cr.grad(cr.grad(lambda t: Ours()(t)))(0.7)
    x = tleaf([0.7])
    (d,) = torch.autograd.grad(Theirs.apply(x).sum(), x, create_graph=True)
    assert not d.requires_grad  # PyTorch: a constant first derivative, no error
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad(d.sum(), x)


# ----- errors ----------------------------------------------------------------------------------
WRONG = {  # backward returns ...: chainrule's message, PyTorch's
    "another shape": (
        lambda g: np.ones(3),
        lambda g: torch.ones(3, dtype=F64),
        r"^Ours\.backward returned a gradient of shape \(3,\) for an input of shape \(2,\)",
        "invalid gradient at index 0",
    ),
    "a size-1 gradient": (
        lambda g: np.ones(1),
        lambda g: torch.ones(1, dtype=F64),
        r"of shape \(1,\) for an input of shape \(2,\)",
        "invalid gradient at index 0",
    ),
    "too many": (
        lambda g: (g, g),
        lambda g: (g, g),
        r"^Ours\.backward returned 2 gradients for 1 inputs$",
        "incorrect number of gradients",
    ),
    "a NumPy scalar for a vector": (
        lambda g: np.float64(2.0),
        lambda g: np.float64(2.0),
        r"of shape \(\) for an input of shape \(2,\)",
        "expected Variable or None",
    ),
}


@pytest.mark.parametrize("case", WRONG)
def test_a_wrong_gradient_raises_in_both(case):
    ours_bw, theirs_bw, ours_msg, theirs_msg = WRONG[case]
    ours, theirs = unary(ours_bw, theirs_bw)
    ours.__name__ = "Ours"
    with pytest.raises(RuntimeError, match=ours_msg):
        ours()(leaf([1.0, 2.0])).sum().backward()
    with pytest.raises(RuntimeError, match=theirs_msg):
        theirs.apply(tleaf([1.0, 2.0])).sum().backward()


@pytest.mark.parametrize("returned", ["too few", "a list"])
def test_too_few_gradients_or_a_list_for_two_inputs_raise_in_both(returned):
    ours_bw = (lambda g: (g,)) if returned == "too few" else (lambda g: [g, g])

    class Ours(cr.Function):
        def forward(self, x, y):
            return x * y

        def backward(self, grad_out):
            return ours_bw(grad_out)

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad_out):
            return ours_bw(grad_out)

    message = r"1 gradients for 2 inputs$" if returned == "too few" else r"a list .* a tuple"
    with pytest.raises(RuntimeError, match=rf"^Ours\.backward returned {message}"):
        Ours()(leaf([1.0]), leaf([2.0])).sum().backward()
    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, got 1\)"):
        Theirs.apply(tleaf([1.0]), tleaf([2.0])).sum().backward()


class ShapeError(ValueError):
    pass


def _raising(where, error):
    def fail(*args):
        raise error("at fault")

    forward = fail if where == "forward" else (lambda x: x * 2)
    ours, theirs = unary(fail, fail, forward)
    return ours, theirs


@pytest.mark.parametrize("where", ["forward", "backward"])
@pytest.mark.parametrize("error", [ValueError, KeyError, ShapeError])
def test_an_error_in_forward_or_backward_keeps_its_type_and_the_users_line(where, error):
    ours, theirs = _raising(where, error)
    for run in (
        lambda: ours()(leaf([1.0])).sum().backward(),
        lambda: theirs.apply(tleaf([1.0])).sum().backward(),
    ):
        with pytest.raises(error, match="at fault") as info:
            run()
        assert type(info.value) is error
        assert traceback.extract_tb(info.value.__traceback__)[-1].name == "fail"
    if where == "forward" and error is ValueError:  # chainrule names the op, on what
        ours.__name__ = "Ours"
        with pytest.raises(ValueError, match=r"^Ours on shapes \(1,\): at fault$"):
            ours()(leaf([1.0]))


def test_a_changed_saved_input_is_an_error_in_anomaly_mode_as_always_in_pytorch():
    x, tx = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    y, ty = Cube()(x), TCube.apply(tx)
    with torch.no_grad():
        tx[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()
    with cr.detect_anomaly():
        x, out = leaf([1.0, 2.0]), leaf([1.0, 2.0])
        y, z = Cube()(x), Exp()(out)
        x.data[0] = 5.0
        z.data[0] = 5.0
        with pytest.raises(cr.AnomalyError, match=r"Cube: the array of input 0 .* in place"):
            y.sum().backward()
        with pytest.raises(cr.AnomalyError, match=r"Exp: the output array .* in place"):
            z.sum().backward()


def test_a_nan_made_by_a_users_backward_is_caught_in_anomaly_mode_by_both():
    ours, theirs = unary(
        lambda g: g * np.log(-np.ones_like(g)), lambda g: g * torch.log(-torch.ones_like(g))
    )
    ours.__name__ = "Ours"
    with cr.detect_anomaly(), pytest.raises(cr.AnomalyError, match=r"Ours\.backward returned nan"):
        ours()(leaf([1.0, 2.0])).sum().backward()
    message = _torch_anomaly_error(lambda: theirs.apply(tleaf([1.0, 2.0])).sum().backward())
    assert "'TheirsBackward' returned nan values" in message


def _torch_anomaly_error(run) -> str:
    """The message of the error PyTorch's anomaly mode raises in ``run()``, or "" (its
    warnings, that the mode is on and where the node was made, are silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            try:
                run()
            except RuntimeError as e:
                return str(e)
    return ""


def test_a_users_backward_warns_as_numpy_does_in_both():
    class Ours(cr.Function):
        def forward(self, x):
            self.saved = (x,)
            return x * 1.0

        def backward(self, grad_out):
            (x,) = self.saved
            return grad_out / x  # divides by zero at x = 0

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 1.0

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * torch.from_numpy(1.0 / x.numpy())

    x, tx = leaf([0.0, 2.0]), tleaf([0.0, 2.0])
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        Ours()(x).sum().backward()
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        Theirs.apply(tx).sum().backward()
    assert_same(grad_of(x), grad_of(tx))


# ----- deliberate differences (Function's docstring) -----------------------------------------
def test_none_for_an_input_that_requires_grad_is_a_zero_gradient_not_none():
    ours, theirs = unary(lambda g: None, lambda g: None)
    x, tx = leaf([1.0, 2.0]), tleaf([1.0, 2.0])
    ours()(x).sum().backward()
    theirs.apply(tx).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    assert tx.grad is None


def test_a_broadcast_gradient_is_refused_where_pytorch_sums_it():
    ours, theirs = unary(lambda g: np.ones((2, 3)), lambda g: torch.ones(2, 3, dtype=F64))
    with pytest.raises(RuntimeError, match=r"gradient of shape \(2, 3\) for an input of shape"):
        ours()(leaf([1.0, 2.0, 3.0])).sum().backward()
    tx = tleaf([1.0, 2.0, 3.0])
    theirs.apply(tx).sum().backward()
    np.testing.assert_array_equal(grad_of(tx), [2.0, 2.0, 2.0])


def test_surplus_nones_are_refused_where_pytorch_ignores_them():
    ours, theirs = unary(lambda g: (g * 2, None), lambda g: (g * 2, None))
    with pytest.raises(RuntimeError, match="returned 2 gradients for 1 inputs"):
        ours()(leaf([1.0])).sum().backward()
    tx = tleaf([1.0])
    theirs.apply(tx).sum().backward()
    assert grad_of(tx).tolist() == [2.0]


def test_a_gradient_for_a_number_input_is_ignored_where_pytorch_refuses_it():
    class Ours(cr.Function):
        def forward(self, x, k):
            return x * k

        def backward(self, grad_out):
            return grad_out * 2, grad_out

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 2, grad_out

    x = leaf([1.0, 2.0])
    Ours()(x, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    with pytest.raises(RuntimeError, match="not a Variable"):
        Theirs.apply(tleaf([1.0, 2.0]), 2.0).sum().backward()


def test_a_list_and_a_python_float_count_as_one_gradient_where_pytorch_wants_tensors():
    for returned, value in ((lambda g: [2.0, 2.0], [1.0, 2.0]), (lambda g: 2.0, 1.5)):
        ours, theirs = unary(returned, returned)
        x = leaf(value)
        ours()(x).sum().backward()
        np.testing.assert_array_equal(x.grad, np.full(np.shape(value), 2.0))
        with pytest.raises(RuntimeError, match="expected Variable or None"):
            theirs.apply(tleaf(value)).sum().backward()


def test_every_argument_is_an_input_so_settings_go_to_init():
    class SumAxis(cr.Function):
        def forward(self, x, axis):
            return x.sum(axis=axis)

    class TSumAxis(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, axis):
            return x.sum(dim=axis)

    class SumOver(cr.Function):  # chainrule's way: the setting is the op's own
        def __init__(self, axis):
            self.axis = axis

        def forward(self, x):
            self.saved = (x.shape,)
            return x.sum(axis=self.axis)

        def backward(self, grad_out):
            return np.broadcast_to(np.expand_dims(grad_out, self.axis), self.saved[0])

    with pytest.raises(TypeError):  # 1 became a float array, as a number does
        SumAxis()(leaf(np.ones((2, 3))), 1)
    with pytest.raises(TypeError, match=r"SumAxis: input 2 \(counting from 1\) is None"):
        SumAxis()(leaf(np.ones((2, 3))), None)
    assert TSumAxis.apply(tleaf(np.ones((2, 3)).tolist()), 1).shape == (2,)
    x = leaf(np.ones((2, 3)))
    (SumOver(1)(x) * np.array([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])


def test_one_output_only():
    class Halves(cr.Function):
        def forward(self, x):
            return x[:1], x[1:]

    class THalves(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:1] * 1, x[1:] * 1

        @staticmethod
        def backward(ctx, ga, gb):
            return torch.cat([ga, gb])

    with pytest.raises(TypeError, match=r"^Halves\.forward returned a tuple; .* one array"):
        Halves()(leaf([1.0, 2.0]))
    tx = tleaf([1.0, 2.0])
    a, b = THalves.apply(tx)
    (a.sum() + 2 * b.sum()).backward()
    assert grad_of(tx).tolist() == [1.0, 2.0]


def test_a_changed_saved_input_goes_unnoticed_outside_anomaly_mode():
    # no version counter: the gradient is computed from the changed value (5, not 1)
    x = leaf([1.0, 2.0])
    y = Cube()(x)
    x.data[0] = 5.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [75.0, 12.0])


def test_a_value_kept_outside_saved_is_a_constant_to_second_derivatives():
    class Ours(cr.Function):
        def forward(self, x):
            self.x = x  # not in saved: an array to the end
            return x**3

        def backward(self, grad_out):
            return grad_out * 3 * self.x**2

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.x = x  # the tensor itself, with its history
            return x**3

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out * 3 * ctx.x**2

    assert cr.grad(cr.grad(lambda t: Ours()(t)))(cr.tensor(2.0, dtype="float64")).item() == 0.0
    x = tleaf(2.0)
    (d,) = torch.autograd.grad(Theirs.apply(x), x, create_graph=True)
    assert torch.autograd.grad(d, x)[0].item() == 12.0


def test_grad_out_is_read_only():
    class Ours(cr.Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad_out):
            grad_out *= 2
            return grad_out

    class Theirs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_out):
            return grad_out.mul_(2)

    with pytest.raises(ValueError, match=r"^Ours\.backward: .* must not write into grad_out"):
        (Ours()(leaf([1.0, 2.0])) * 3.0).sum().backward()
    tx = tleaf([1.0, 2.0])
    (Theirs.apply(tx) * 3.0).sum().backward()
    assert grad_of(tx).tolist() == [6.0, 6.0]
