"""``backward(inputs=)`` against PyTorch, and ``has_aux`` of `cr.grad` and
`cr.value_and_grad` against JAX's results worked out by hand."""

import warnings

import numpy as np
import pytest

import chainrule as cr

X = [1.0, 2.0, -0.5]
W = [0.5, -1.0, 3.0]


def _pair(values, torch):
    """The same float64 values as a chainrule leaf and a PyTorch leaf."""
    return (
        cr.tensor(values, dtype="float64", requires_grad=True),
        torch.tensor(values, dtype=torch.float64, requires_grad=True),
    )


def _same(ours, theirs):
    """``ours`` (an array, or a Tensor under create_graph) equals PyTorch's gradient."""
    if theirs is None:
        assert ours is None
        return
    ours = ours.data if isinstance(ours, cr.Tensor) else ours
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12)


# ----- backward(inputs=) ---------------------------------------------------------------------
def test_inputs_leaves_only_the_given_leaf_gets_a_gradient():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    w.grad = np.full(3, 7.0)  # an earlier gradient of another leaf stays as it is
    tw.grad = torch.full((3,), 7.0, dtype=torch.float64)
    ((x * w).exp() * x).sum().backward(inputs=[x])
    ((tx * tw).exp() * tx).sum().backward(inputs=[tx])
    _same(x.grad, tx.grad)
    _same(w.grad, tw.grad)


def test_inputs_one_tensor_not_a_sequence():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    (x * w * w).sum().backward(inputs=w)
    (tx * tw * tw).sum().backward(inputs=tw)
    _same(w.grad, tw.grad)
    assert x.grad is None


def test_inputs_non_leaf_gets_its_gradient_and_keeps_retaining_it():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    z, tz = x * w, tx * tw
    y, ty = (z.tanh() * z).sum(), (tz.tanh() * tz).sum()
    y.backward(inputs=[z], retain_graph=True)
    ty.backward(inputs=[tz], retain_graph=True)
    _same(z.grad, tz.grad)
    assert x.grad is None
    assert tx.grad is None
    y.backward()  # a later plain backward adds into z.grad: it is retained, as in PyTorch
    ty.backward()
    _same(z.grad, tz.grad)
    _same(x.grad, tx.grad)
    _same(w.grad, tw.grad)


def test_inputs_a_non_leaf_and_a_leaf_below_it():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    z, tz = x * x, tx * tx
    (z * w).sum().backward(inputs=[z, x])
    (tz * tw).sum().backward(inputs=[tz, tx])
    _same(z.grad, tz.grad)
    _same(x.grad, tx.grad)
    assert w.grad is None


def test_inputs_fan_out_adds_every_use():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    h, th = x.sin(), tx.sin()  # used three times on the way to the output
    y = (h * w + h * h + (h * x).exp()).sum()
    ty = (th * tw + th * th + (th * tx).exp()).sum()
    y.backward(inputs=[h, x], retain_graph=True)
    ty.backward(inputs=[th, tx], retain_graph=True)
    _same(h.grad, th.grad)
    _same(x.grad, tx.grad)
    assert w.grad is None


def test_inputs_accumulate_across_calls_as_pytorch():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    y, ty = (x * x * w).sum(), (tx * tx * tw).sum()
    for inputs, tinputs in [([x], [tx]), ([x, w], [tx, tw]), ((w,), (tw,))]:
        y.backward(inputs=inputs, retain_graph=True)
        ty.backward(inputs=tinputs, retain_graph=True)
        _same(x.grad, tx.grad)
        _same(w.grad, tw.grad)


def test_inputs_repeated_counts_once():
    torch = pytest.importorskip("torch")
    x, tx = _pair(X, torch)
    (x * x).sum().backward(inputs=[x, x])
    (tx * tx).sum().backward(inputs=[tx, tx])
    _same(x.grad, tx.grad)


def test_inputs_with_create_graph_then_a_second_order_backward():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    (x**3 * w).sum().backward(inputs=[x], create_graph=True)
    with warnings.catch_warnings():  # PyTorch's advice about a reference cycle
        warnings.simplefilter("ignore", UserWarning)
        (tx**3 * tw).sum().backward(inputs=[tx], create_graph=True)
    assert isinstance(x.grad, cr.Tensor)
    assert x.grad.requires_grad
    _same(x.grad, tx.grad)
    assert w.grad is None
    x.grad.sum().backward(inputs=[w])  # d/dw sum(3x²w) = 3x², x.grad itself unchanged
    tx.grad.sum().backward(inputs=[tw])
    _same(w.grad, tw.grad)
    _same(x.grad, tx.grad)
    np.testing.assert_allclose(w.grad, 3 * np.array(X) ** 2)


def test_inputs_tensor_hooks_on_the_path_run_others_not():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    seen, tseen = {}, {}
    b, tb = x * 3.0, tx * 3.0  # below the input c: its hook is off the path
    b.register_hook(lambda g: seen.setdefault("b", g.copy()))
    tb.register_hook(lambda g: tseen.setdefault("b", g.clone()))
    c, tc = b * w, tb * tw
    d, td = c.sin(), tc.sin()  # between the output and c: on the path
    d.register_hook(lambda g: seen.setdefault("d", g.copy()))
    td.register_hook(lambda g: tseen.setdefault("d", g.clone()))
    (d * d).sum().backward(inputs=[c])
    (td * td).sum().backward(inputs=[tc])
    assert seen.keys() == tseen.keys() == {"d"}
    _same(seen["d"], tseen["d"])
    _same(c.grad, tc.grad)


def test_inputs_hook_that_changes_the_gradient_reaches_the_input():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    h, th = x * w, tx * tw
    h.register_hook(lambda g: g * 10.0)
    th.register_hook(lambda g: g * 10.0)
    (h * h).sum().backward(inputs=[x])
    (th * th).sum().backward(inputs=[tx])
    _same(x.grad, tx.grad)
    assert w.grad is None


def test_inputs_post_accumulate_hooks_run_for_the_input_leaves_only():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    calls, tcalls = [], []
    for leaf, log in [(x, calls), (w, calls), (tx, tcalls), (tw, tcalls)]:
        name = "x" if leaf is x or leaf is tx else "w"
        leaf.register_post_accumulate_grad_hook(lambda t, n=name, log=log: log.append(n))
    (x * w).sum().backward(inputs=[x], retain_graph=False)
    (tx * tw).sum().backward(inputs=[tx])
    assert calls == tcalls == ["x"]


def test_inputs_a_hook_sees_the_input_grad_complete():
    x = cr.tensor(X, dtype="float64", requires_grad=True)
    got = []
    x.register_post_accumulate_grad_hook(lambda t: got.append(t.grad.copy()))
    (x * x + x).sum().backward(inputs=[x])
    np.testing.assert_allclose(got[0], 2 * np.array(X) + 1)


def test_inputs_branch_to_no_input_is_left_unreleased():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    b, tb = w.exp(), tw.exp()
    (x * x + b).sum().backward(inputs=[x])
    (tx * tx + tb).sum().backward(inputs=[tx])
    assert w.grad is None
    assert tw.grad is None
    b.sum().backward()  # its saved values were not released
    tb.sum().backward()
    _same(w.grad, tw.grad)


def test_inputs_the_output_itself():
    torch = pytest.importorskip("torch")
    x, tx = _pair(X, torch)
    y, ty = (x * 2.0).sum(), (tx * 2.0).sum()
    y.backward(inputs=[y])
    ty.backward(inputs=[ty])
    _same(y.grad, ty.grad)
    assert x.grad is None
    assert tx.grad is None


def test_inputs_an_input_the_output_does_not_use_stays_none():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    (x * x).sum().backward(inputs=[w, x])
    (tx * tx).sum().backward(inputs=[tw, tx])
    _same(w.grad, tw.grad)
    _same(x.grad, tx.grad)


def test_autograd_backward_inputs_with_several_outputs():
    torch = pytest.importorskip("torch")
    (x, tx), (w, tw) = _pair(X, torch), _pair(W, torch)
    up = np.array([1.0, -2.0, 0.5])
    cr.autograd.backward([(x * w).sum(), x * x * w], [None, up], inputs=(w,))
    torch.autograd.backward([(tx * tw).sum(), tx * tx * tw], [None, torch.tensor(up)], inputs=(tw,))
    _same(w.grad, tw.grad)
    assert x.grad is None


def test_inputs_in_the_fourth_position_as_pytorch():
    x = cr.tensor(X, dtype="float64", requires_grad=True)
    w = cr.tensor(W, dtype="float64", requires_grad=True)
    (x * w).sum().backward(None, None, False, [w])
    np.testing.assert_allclose(w.grad, X)
    assert x.grad is None


@pytest.mark.parametrize("empty", [[], ()])
def test_inputs_empty_is_an_error(empty):
    x = cr.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * x).sum().backward(inputs=empty)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        cr.autograd.backward((x * x).sum(), inputs=empty)
    assert x.grad is None


def test_inputs_not_requiring_grad_is_an_error():
    x = cr.tensor(X, requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match=r"inputs\[1\] does not require gradients"):
        y.backward(inputs=[x, cr.tensor(W)], retain_graph=True)
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require gradients"):
        y.backward(inputs=[x.detach()], retain_graph=True)
    y.backward()  # the refused calls neither stored anything nor released the graph
    np.testing.assert_allclose(x.grad, 2 * np.array(X, np.float32))


def test_inputs_not_tensors_is_a_type_error():
    x = cr.tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match=r"inputs\[1\] is a int"):
        (x * x).sum().backward(inputs=[x, 3])
    with pytest.raises(TypeError, match="a Tensor or a sequence of Tensors"):
        (x * x).sum().backward(inputs=3)


# ----- has_aux -------------------------------------------------------------------------------
def _cube_with_aux(x):
    return (x**3).sum(), x * 2.0


def test_grad_has_aux_returns_gradient_and_aux():
    x = np.array(X)
    g, aux = cr.grad(_cube_with_aux, has_aux=True)(cr.tensor(x))
    np.testing.assert_allclose(g.data, 3 * x**2)  # jax.grad: (3x², aux)
    np.testing.assert_allclose(aux.data, 2 * x)
    assert not aux.requires_grad  # a plain value, as JAX's concrete aux


def test_value_and_grad_has_aux_structure_is_jax():
    x = np.array(X)
    result = cr.value_and_grad(_cube_with_aux, has_aux=True)(cr.tensor(x))
    (value, aux), g = result  # jax.value_and_grad: ((value, aux), gradient)
    assert isinstance(result, tuple)
    assert isinstance(result[0], tuple)
    np.testing.assert_allclose(value.data, np.sum(x**3))
    np.testing.assert_allclose(aux.data, 2 * x)
    np.testing.assert_allclose(g.data, 3 * x**2)


def test_has_aux_with_several_argnums():
    x, y = np.array(X), np.array(W)
    (gx, gy), aux = cr.grad(lambda a, b: ((a * b * b).sum(), "note"), (0, 1), has_aux=True)(
        cr.tensor(x), cr.tensor(y)
    )
    np.testing.assert_allclose(gx.data, y**2)
    np.testing.assert_allclose(gy.data, 2 * x * y)
    assert aux == "note"


def test_has_aux_containers_keep_their_items_and_detach_tensors():
    marker = object()
    out = cr.grad(lambda x: ((x * x).sum(), {"sq": x * x, "m": marker}), has_aux=True)
    _, aux = out(cr.tensor(X))
    assert aux["m"] is marker
    assert not aux["sq"].requires_grad
    _, aux = cr.grad(lambda x: (x.sum(), [x * 3.0, 1]), has_aux=True)(cr.tensor(X))
    assert type(aux) is list
    assert aux[1] == 1
    assert not aux[0].requires_grad


def test_has_aux_a_list_pair_is_accepted():
    g, aux = cr.grad(lambda x: [(x * x).sum(), 5], has_aux=True)(cr.tensor(X))
    np.testing.assert_allclose(g.data, 2 * np.array(X, np.float32))
    assert aux == 5


def test_has_aux_inside_an_outer_grad_is_differentiated_by_it():
    # d/dx [sum(3x²) + sum(x²)] = 8x: the outer derivative sees through both results,
    # as JAX's aux is concrete only for its own transform
    def outer(x):
        g, aux = cr.grad(lambda y: ((y**3).sum(), y * y), has_aux=True)(x)
        return g.sum() + aux.sum()

    x = np.array(X)
    np.testing.assert_allclose(cr.grad(outer)(cr.tensor(x, dtype="float64")).data, 8 * x)


def test_has_aux_stays_in_the_graph_of_a_closed_over_weight():
    w = cr.tensor([2.0], dtype="float64", requires_grad=True)
    (_, aux), _ = cr.value_and_grad(lambda x: ((x * w).sum(), (x * w).sum()), has_aux=True)(
        cr.tensor(X, dtype="float64")
    )
    aux.backward()  # d/dw sum(x·w) = sum(x)
    np.testing.assert_allclose(w.grad, [np.sum(X)])


@pytest.mark.parametrize(
    ("returned", "what"),
    [
        (lambda x: (x * x).sum(), "a Tensor"),
        (lambda x: ((x * x).sum(), 1, 2), "a 3-item tuple"),
        (lambda x: ((x * x).sum(),), "a 1-item tuple"),
    ],
)
def test_has_aux_without_a_pair_is_a_type_error(returned, what):
    with pytest.raises(TypeError, match=f"must return a pair \\(output, aux\\), got {what}"):
        cr.grad(returned, has_aux=True)(cr.tensor(X))
    with pytest.raises(TypeError, match="must return a pair"):
        cr.value_and_grad(returned, has_aux=True)(cr.tensor(X))


def test_a_pair_without_has_aux_names_it():
    with pytest.raises(ValueError, match="pass has_aux=True"):
        cr.grad(_cube_with_aux)(cr.tensor(X))
