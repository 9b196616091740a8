"""Convolution, pooling, the margin losses, RMSNorm, Bilinear, AlphaDropout, the
initialisers orthogonal_, eye_ and sparse_, autograd.functional and LBFGS against PyTorch:
values, shapes, dtypes, refusals and gradients of the first and second order in float64,
on cases drawn by hypothesis (seeded and bounded, so each run checks the same cases), and
the cases where they had parted written out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr

torch = pytest.importorskip("torch")

F, TF = cr.nn.functional, torch.nn.functional
CASES = settings(max_examples=30, deadline=None, derandomize=True)
TOL = {"rtol": 1e-10, "atol": 1e-10}


# ----- comparing ----------------------------------------------------------------------------
def _array(t) -> np.ndarray:
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else np.asarray(t.data)


def _close(ours, theirs, **tol) -> None:
    a, b = _array(ours), _array(theirs)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, equal_nan=True, **(tol or TOL))


def _both(arrays: list) -> tuple[list, list]:
    return (
        [cr.tensor(a, requires_grad=True) for a in arrays],
        [torch.tensor(a, requires_grad=True) for a in arrays],
    )


def _grads(out, inputs, seed: np.ndarray, lib) -> tuple:
    grads = lib.autograd.grad(out, inputs, lib.tensor(seed), create_graph=True, allow_unused=True)
    return tuple(grads)


def _same_derivatives(ours_fn, torch_fn, arrays: list, second: bool = True) -> None:
    """Values, gradients (for a random upstream) and the gradient of their sum against
    random weights: ours and PyTorch's."""
    ours_in, torch_in = _both(arrays)
    ours, theirs = ours_fn(*ours_in), torch_fn(*torch_in)
    _close(ours, theirs)
    assert ours.dtype == str(theirs.dtype).removeprefix("torch.")
    rng = np.random.default_rng(0)
    seed = rng.standard_normal(theirs.shape)
    g_ours, g_torch = _grads(ours, ours_in, seed, cr), _grads(theirs, torch_in, seed, torch)
    for a, b, x in zip(g_ours, g_torch, arrays):
        _close(np.zeros(x.shape) if a is None else a, np.zeros(x.shape) if b is None else b)
    if not second:
        return
    weights = [rng.standard_normal(x.shape) for x in arrays]
    kept = [i for i, b in enumerate(g_torch) if b is not None and b.requires_grad]
    if not kept:
        return
    s_torch = sum((g_torch[i] * torch.tensor(weights[i])).sum() for i in kept)
    h_torch = torch.autograd.grad(s_torch, torch_in, allow_unused=True)
    ours_kept = [i for i in kept if g_ours[i].requires_grad]  # a gradient constant here
    s_ours = sum((g_ours[i] * cr.tensor(weights[i])).sum() for i in ours_kept)
    h_ours = [None] * len(arrays)
    if ours_kept:
        h_ours = cr.autograd.grad(s_ours, ours_in, allow_unused=True)
    for a, b, x in zip(h_ours, h_torch, arrays):
        _close(np.zeros(x.shape) if a is None else a, np.zeros(x.shape) if b is None else b)


def _values(draw, shape: tuple, kinks: bool = False) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(shape)
    return np.round(x * 2) / 2 if kinks and draw(st.booleans()) else x


SMALL_PAIR = st.one_of(st.integers(1, 2), st.tuples(st.integers(1, 2), st.integers(1, 2)))


# ----- max pooling: a window that misses the input -----------------------------------------
def test_max_pool_window_missing_the_input_gives_minus_inf_and_no_gradient():
    """With dilation 2, padding 1 and a kernel of 2 rows, the one window of a 1-row input
    holds rows −1 and 1, both padding: its maximum is −∞ and depends on no input, so the
    gradient is 0 (it had indexed past the input: a ValueError, where PyTorch's backward
    writes out of bounds). The index is PyTorch's."""
    x = cr.tensor(np.array([[[[0.125, np.nan, 3.0]]]]), requires_grad=True)
    out, idx = F.max_pool2d(x, (2, 1), None, (1, 0), 2, return_indices=True)
    t_out, t_idx = TF.max_pool2d(torch.tensor(x.data), (2, 1), None, (1, 0), 2, False, True)
    np.testing.assert_array_equal(out.data, np.full((1, 1, 1, 3), -np.inf))
    np.testing.assert_array_equal(out.data, t_out.numpy())
    np.testing.assert_array_equal(idx.data, t_idx.numpy())
    upstream = cr.tensor(np.ones((1, 1, 1, 3)), requires_grad=True)
    (grad,) = cr.autograd.grad(out, [x], upstream, create_graph=True)
    np.testing.assert_array_equal(grad.data, np.zeros((1, 1, 1, 3)))
    weights = cr.tensor(np.array([[[[1.0, 2.0, 3.0]]]]), requires_grad=True)
    (second,) = cr.autograd.grad((grad * weights).sum(), [upstream], create_graph=True)
    np.testing.assert_array_equal(second.data, np.zeros((1, 1, 1, 3)))
    (third,) = cr.autograd.grad(second.sum(), [weights])
    np.testing.assert_array_equal(third.data, np.zeros((1, 1, 1, 3)))


def test_max_pool_column_window_missing_the_input_sends_nothing_to_the_next_rows():
    """Columns −1 and 1 of a 1-column input: PyTorch's index (1, 2, 3: row·1 + 1) names
    the next rows' elements, which had received the gradient of a −∞ they never were."""
    x = cr.tensor(np.array([[[[1.0], [2.0], [3.0]]]]), requires_grad=True)
    out = cr.nn.MaxPool2d((1, 2), padding=(0, 1), dilation=2)(x)
    np.testing.assert_array_equal(out.data, np.full((1, 1, 3, 1), -np.inf))
    out.backward(cr.tensor(np.array([[[[1.0], [10.0], [100.0]]]])))
    np.testing.assert_array_equal(x.grad.data, np.zeros((1, 1, 3, 1)))


def _misses(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> bool:
    """Whether a pooling window along one axis holds padding only (PyTorch's backward
    then writes out of bounds, so such cases are not sent to it)."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    starts = [i * s - p for i in range(max(out, 0))]
    return any(not any(0 <= a + j * d < size for j in range(k)) for a in starts)


@st.composite
def _pool_cases(draw):
    def two(v):
        return v if isinstance(v, tuple) else (v, v)

    kernel, dilation = draw(SMALL_PAIR), draw(SMALL_PAIR)
    stride = draw(st.one_of(st.none(), SMALL_PAIR))
    padding = draw(st.sampled_from([0, 1, (0, 1), (1, 0)]))
    if any(2 * p > k for p, k in zip(two(padding), two(kernel))):
        padding = 0
    shape = draw(st.sampled_from([(1, 2, 4, 5), (2, 1, 3, 3), (2, 5, 4)]))
    ceil = draw(st.booleans())
    x = _values(draw, shape, kinks=True)
    geometry = zip(shape[-2:], two(kernel), two(stride or kernel), two(padding), two(dilation))
    if any(_misses(*axis, ceil) for axis in geometry):
        dilation = 1
    return x, kernel, stride, padding, dilation, ceil, draw(st.booleans())


@CASES
@given(_pool_cases(), st.one_of(st.none(), st.integers(1, 5)))
def test_pooling_matches_torch(case, divisor):
    x, kernel, stride, padding, dilation, ceil, include = case
    args = (kernel, stride, padding, dilation, ceil)
    _same_derivatives(lambda t: F.max_pool2d(t, *args), lambda t: TF.max_pool2d(t, *args), [x])
    _, idx = F.max_pool2d(x, *args, return_indices=True)
    _, t_idx = TF.max_pool2d(torch.tensor(x), *args, return_indices=True)
    np.testing.assert_array_equal(idx.data, t_idx.numpy())
    avg = (kernel, stride, padding, ceil, include, divisor)
    _same_derivatives(lambda t: F.avg_pool2d(t, *avg), lambda t: TF.avg_pool2d(t, *avg), [x])


# ----- convolution ------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # PyTorch's
@CASES
@given(st.data())
def test_conv2d_matches_torch(data):
    draw = data.draw
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride, dilation = draw(SMALL_PAIR), draw(SMALL_PAIR)
    padding = draw(st.sampled_from([0, 1, (2, 0), "valid", "same"]))
    stride = 1 if padding == "same" else stride
    shape = draw(st.sampled_from([(2, c_in, 5, 6), (c_in, 6, 5)]))
    arrays = [_values(draw, shape), _values(draw, (c_out, c_in // groups, *kernel))]
    if draw(st.booleans()):
        arrays.append(_values(draw, (c_out,)))
    args = (stride, padding, dilation, groups)
    _same_derivatives(
        lambda *t: F.conv2d(*t[:2], t[2] if len(t) > 2 else None, *args),
        lambda *t: TF.conv2d(*t[:2], t[2] if len(t) > 2 else None, *args),
        arrays,
    )


# ----- the margin losses --------------------------------------------------------------------------
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@CASES
@given(st.data(), REDUCTIONS)
def test_class_margin_losses_match_torch(data, reduction):
    draw = data.draw
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    x = _values(draw, (n, c), kinks=True)
    y = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    p, margin = draw(st.sampled_from([1, 2])), draw(st.sampled_from([1.0, 0.5, -1.0]))
    w = np.abs(_values(draw, (c,))) if draw(st.booleans()) else None
    tw = None if w is None else torch.tensor(w)
    _same_derivatives(
        lambda t: F.multi_margin_loss(t, y, p, margin, w, reduction=reduction),
        lambda t: TF.multi_margin_loss(t, torch.tensor(y), p, margin, tw, reduction=reduction),
        [x],
        second=False,  # PyTorch has no second derivative of it
    )
    labels = np.array([draw(st.lists(st.integers(-1, c - 1), min_size=c, max_size=c))])
    labels = np.repeat(labels, n, 0)
    _same_derivatives(
        lambda t: F.multilabel_margin_loss(t, labels, reduction=reduction),
        lambda t: TF.multilabel_margin_loss(t, torch.tensor(labels), reduction=reduction),
        [x],
        second=False,
    )
    soft = np.array(
        draw(st.lists(st.sampled_from([0.0, 1.0, 0.25]), min_size=n * c, max_size=n * c))
    )
    _same_derivatives(
        lambda t, s: F.multilabel_soft_margin_loss(t, s, w, reduction=reduction),
        lambda t, s: TF.multilabel_soft_margin_loss(t, s, tw, reduction=reduction),
        [x, soft.reshape(n, c)],
    )


@CASES
@given(st.data(), REDUCTIONS)
def test_pair_and_triplet_losses_match_torch(data, reduction):
    draw = data.draw
    shape = draw(st.sampled_from([(3,), (2, 3), (1, 4)]))
    x = _values(draw, shape, kinks=True)
    signs = np.array(draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=x.size, max_size=x.size)))
    margin = draw(st.sampled_from([1.0, 0.5, 2.0]))
    signs = signs.reshape(shape)
    _same_derivatives(
        lambda t: F.hinge_embedding_loss(t, signs, margin, reduction=reduction),
        lambda t: TF.hinge_embedding_loss(t, torch.tensor(signs), margin, reduction=reduction),
        [x],
    )
    triplet = [_values(draw, shape) for _ in range(3)]
    p, swap = draw(st.sampled_from([1.0, 1.5, 2.0, 3.0])), draw(st.booleans())
    eps = draw(st.sampled_from([1e-6, 0.1]))
    _same_derivatives(
        lambda *t: F.triplet_margin_loss(*t, margin, p, eps, swap, reduction=reduction),
        lambda *t: TF.triplet_margin_loss(*t, margin, p, eps, swap, reduction=reduction),
        triplet,
    )
    l1 = draw(st.booleans())

    def distance(u, v):
        return (u - v).abs().sum(-1)

    _same_derivatives(
        lambda *t: F.triplet_margin_with_distance_loss(
            *t, distance_function=distance if l1 else None, margin=margin, swap=swap
        ),
        lambda *t: TF.triplet_margin_with_distance_loss(
            *t, distance_function=distance if l1 else None, margin=margin, swap=swap
        ),
        triplet,
    )


# ----- RMSNorm, Bilinear, AlphaDropout ---------------------------------------------------------
@CASES
@given(st.data())
def test_rms_norm_and_bilinear_match_torch(data):
    draw = data.draw
    shape = draw(st.sampled_from([(3,), (2, 3), (2, 2, 3), (1, 4, 2)]))
    trailing = shape[-draw(st.integers(1, len(shape))) :]
    eps = draw(st.sampled_from([None, 1e-5, 1.0]))
    arrays = [_values(draw, shape)]
    if draw(st.booleans()):
        arrays.append(_values(draw, trailing))
    _same_derivatives(
        lambda *t: F.rms_norm(t[0], trailing, t[1] if len(t) > 1 else None, eps),
        lambda *t: TF.rms_norm(t[0], trailing, t[1] if len(t) > 1 else None, eps),
        arrays,
    )
    lead = draw(st.sampled_from([(), (2,), (2, 1)]))
    in1, in2, out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    arrays = [_values(draw, (*lead, in1)), _values(draw, (*lead, in2))]
    arrays += [_values(draw, (out, in1, in2))]
    if draw(st.booleans()):
        arrays.append(_values(draw, (out,)))
    _same_derivatives(F.bilinear, TF.bilinear, arrays)


@CASES
@given(st.data(), st.sampled_from([0.0, 0.2, 0.5, 0.9, 1.0]))
def test_alpha_dropout_is_torch_affine_map(data, p):
    """PyTorch's mask cannot be drawn here, so each element is checked against PyTorch's
    formula for a kept or a dropped one, and p = 0 and p = 1 against PyTorch's output."""
    x = _values(data.draw, data.draw(st.sampled_from([(5,), (3, 4)])))
    out = F.alpha_dropout(cr.tensor(x), p, True, np.random.default_rng(0)).data
    if p in (0.0, 1.0):
        np.testing.assert_array_equal(out, TF.alpha_dropout(torch.tensor(x), p, True).numpy())
        return
    alpha = 1.7580993408473766  # SELU's λα, PyTorch's constant
    a = 1 / np.sqrt((alpha**2 * p + 1) * (1 - p))
    kept, dropped = a * x + a * alpha * p, -a * alpha * (1 - p)
    assert np.all(np.isclose(out, kept, **TOL) | np.isclose(out, dropped, **TOL))


# ----- the initialisers ---------------------------------------------------------------------------
@CASES
@given(st.sampled_from([(2, 3), (3, 2), (4, 4), (2, 3, 2), (1, 5), (3,), (0, 2)]))
def test_initialisers_match_torch(shape):
    for name, args in (("orthogonal_", (1.5,)), ("eye_", ()), ("sparse_", (0.3,))):
        ours, theirs = cr.tensor(np.zeros(shape)), torch.zeros(shape, dtype=torch.float64)
        try:
            getattr(torch.nn.init, name)(theirs, *args)
        except (ValueError, RuntimeError):
            with pytest.raises(ValueError, match="dimensions"):
                getattr(cr.nn.init, name)(ours, *args)
            continue
        getattr(cr.nn.init, name)(ours, *args)
        if name == "eye_":
            np.testing.assert_array_equal(ours.data, theirs.numpy())
        elif name == "sparse_" and ours.size:  # a share of each row here, of each column there
            assert np.all((ours.data == 0).sum(1) == np.ceil(0.3 * shape[1]))
            assert np.all((theirs.numpy() == 0).sum(0) == np.ceil(0.3 * shape[0]))
        elif name == "orthogonal_" and ours.size:
            q = ours.data.reshape(shape[0], -1)
            gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
            np.testing.assert_allclose(gram, 1.5**2 * np.eye(len(gram)), atol=1e-12)


# ----- autograd.functional ------------------------------------------------------------------------
UNARY = {
    "sin": (cr.sin, torch.sin),
    "exp": (cr.exp, torch.exp),
    "square": (lambda x: x * x, lambda x: x * x),
    "linear": (lambda x: 3 * x, lambda x: 3 * x),
}


def _function(terms: list, lib: int, tuple_out: bool):
    """A smooth function of the inputs: per output, Σ u(x_i)·v(x_j) (summed when shapes differ)."""

    def f(*xs):
        outs = []
        for i, j, u, v, total in terms:
            a, b = UNARY[u][lib](xs[i]), UNARY[v][lib](xs[j])
            y = a * b if a.shape == b.shape else a.sum() * b.sum()
            outs.append(y.sum() if total else y)
        return tuple(outs) if tuple_out else outs[0]

    return f


def _same_structure(ours, theirs) -> None:
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same_structure(a, b)
        return
    _close(ours, theirs, rtol=1e-9, atol=1e-9)
    assert ours.requires_grad == theirs.requires_grad


@CASES
@given(st.data(), st.booleans(), st.booleans())
def test_autograd_functional_matches_torch(data, create_graph, strict):
    draw = data.draw
    n_in = draw(st.integers(1, 2))
    shapes = [draw(st.sampled_from([(), (2,), (2, 2)])) for _ in range(n_in)]
    xs = [_values(draw, s) for s in shapes]
    name_of = st.sampled_from(list(UNARY))
    terms = [(draw(st.integers(0, n_in - 1)), draw(st.integers(0, n_in - 1)), draw(name_of))]
    terms[0] += (draw(name_of), draw(st.booleans()))
    tuple_in, tuple_out = n_in > 1 or draw(st.booleans()), draw(st.booleans())
    ours_f, torch_f = _function(terms, 0, tuple_out), _function(terms, 1, tuple_out)
    ours_x = tuple(cr.tensor(x) for x in xs)
    torch_x = tuple(torch.tensor(x) for x in xs)
    out_shape = tuple(torch_f(*torch_x)[0].shape if tuple_out else torch_f(*torch_x).shape)
    v_out, v_in = np.random.default_rng(1).standard_normal(out_shape), xs
    calls = [("jacobian", []), ("vjp", [v_out]), ("jvp", v_in)]
    if not tuple_out and out_shape == ():
        calls += [("hessian", []), ("hvp", v_in), ("vhp", v_in)]
    for name, vs in calls:
        wrap = (tuple_out if name == "vjp" else tuple_in) and vs
        ours_v = [tuple(cr.tensor(v) for v in vs) if wrap else cr.tensor(v) for v in vs[:1]]
        theirs_v = [tuple(torch.tensor(v) for v in vs) if wrap else torch.tensor(v) for v in vs[:1]]
        args = dict(create_graph=create_graph, strict=strict)
        ours_in, torch_in = (ours_x, torch_x) if tuple_in else (ours_x[0], torch_x[0])
        try:
            theirs = getattr(torch.autograd.functional, name)(torch_f, torch_in, *theirs_v, **args)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                getattr(cr.autograd.functional, name)(ours_f, ours_in, *ours_v, **args)
            continue
        ours = getattr(cr.autograd.functional, name)(ours_f, ours_in, *ours_v, **args)
        _same_structure(ours, theirs)


# ----- LBFGS --------------------------------------------------------------------------------------
def _lbfgs_pair(x0: np.ndarray, loss, **options) -> tuple:
    ours_x = cr.tensor(x0, requires_grad=True)
    torch_x = torch.tensor(x0, requires_grad=True)
    ours = cr.optim.LBFGS([ours_x], **options)
    theirs = torch.optim.LBFGS([torch_x], **options)

    def ours_closure():
        ours.zero_grad()
        value = loss(ours_x, cr)
        value.backward()
        return value

    def torch_closure():
        theirs.zero_grad()
        value = loss(torch_x, torch)
        value.backward()
        return value

    return (ours, ours_x, ours_closure), (theirs, torch_x, torch_closure)


def test_lbfgs_strong_wolfe_on_a_linear_loss_extrapolates_as_torch():
    """A linear loss: the cubic through two points of equal slope has no minimum, its
    formula divides by 0, which PyTorch's tensors make ±inf, clipped to the bracket's end
    (the step grows tenfold each probe). Python floats had raised ZeroDivisionError."""
    (ours, ours_x, ours_c), (theirs, torch_x, torch_c) = _lbfgs_pair(
        np.array([0.5]), lambda x, lib: (2.0 * x).sum(), max_iter=5, line_search_fn="strong_wolfe"
    )
    assert float(ours.step(ours_c)) == theirs.step(torch_c).item() == 1.0
    np.testing.assert_allclose(ours_x.data, [-99999.5], rtol=1e-12)
    np.testing.assert_allclose(ours_x.data, torch_x.detach().numpy(), rtol=1e-12)
    assert ours.state[0]["func_evals"] == theirs.state[torch_x]["func_evals"] == 7


@CASES
@given(st.data(), st.sampled_from([None, "strong_wolfe"]))
def test_lbfgs_matches_torch_on_small_problems(data, line_search):
    draw = data.draw
    n = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a, b, x0 = rng.standard_normal((n + 1, n)), rng.standard_normal(n + 1), rng.standard_normal(n)
    convex = draw(st.booleans())

    def loss(x, lib):
        if convex:
            return 0.5 * ((lib.tensor(a) @ x - lib.tensor(b)) ** 2).sum()
        return lib.sin(x).sum() + 0.1 * (x * x).sum()

    options = dict(
        lr=draw(st.sampled_from([1.0, 0.5])),
        max_iter=draw(st.integers(1, 4)),
        history_size=draw(st.integers(1, 3)),
        line_search_fn=line_search,
    )
    (ours, ours_x, ours_c), (theirs, torch_x, torch_c) = _lbfgs_pair(x0, loss, **options)
    for _ in range(2):
        np.testing.assert_allclose(float(ours.step(ours_c)), theirs.step(torch_c).item(), **TOL)
        _close(ours_x, torch_x, rtol=1e-8, atol=1e-8)
    assert ours.state[0]["func_evals"] == theirs.state[torch_x]["func_evals"]
