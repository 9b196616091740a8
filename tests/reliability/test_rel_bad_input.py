"""Bad input to the API: one table of calls, each with the exception type it must raise and a
pattern its message must match (the op or layer named, both shapes given), in the manner of
PyTorch's OpInfo error inputs; then hypothesis: random broadcast-compatible shape pairs agree
with NumPy and give each input a gradient of its own shape, and incompatible pairs always
raise. tests/test_errors.py checks several of these messages in more detail; the table here
is the one place that lists them all. Rows marked xfail are bugs, described in their reason.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reliability_conftest import fuzz_settings, note

import chainrule as cr


def t(shape, grad: bool = True, dtype="float64"):
    return cr.tensor(np.ones(shape, dtype=dtype), requires_grad=grad)


def logits():
    return t((4, 3), dtype="float32")


def _fit(X, y, epochs=1, val=None):
    cr.manual_seed(0)
    model = cr.nn.Linear(X.shape[1], 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    loss = cr.nn.SoftmaxCrossEntropy()
    return cr.fit(model, loss, opt, (X, y), epochs, val_data=val, progress=False)


def _backward_twice():
    x = t(())
    y = (x * x).exp()
    y.backward()
    y.backward()


def _xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


X4 = np.ones((4, 3), np.float32)
Y4 = np.array([0, 1, 0, 1])
CE = cr.nn.SoftmaxCrossEntropy()

# (id, call, exception type, message pattern[, marks])
ROWS = [
    ("matmul (2,3) @ (4,5)", lambda: t((2, 3)) @ t((4, 5)), ValueError,
     r"MatMul on shapes \(2, 3\) and \(4, 5\): inner dimensions differ: 3 != 4"),
    ("batched matmul", lambda: t((5, 2, 3)) @ t((5, 4, 2)), ValueError,
     r"MatMul on shapes \(5, 2, 3\) and \(5, 4, 2\)"),
    ("matmul of vectors", lambda: cr.matmul(t(3), t(4)), ValueError,
     r"MatMul on shapes \(3,\) and \(4,\)"),
    ("add (2,3) + (4,)", lambda: t((2, 3)) + t(4), ValueError,
     r"Add on shapes \(2, 3\) and \(4,\)"),
    ("sub", lambda: t((2, 3)) - t(4), ValueError, r"Sub on shapes \(2, 3\) and \(4,\)"),
    ("mul", lambda: t((2, 3)) * t(4), ValueError, r"Mul on shapes \(2, 3\) and \(4,\)"),
    ("div", lambda: t((2, 3)) / t(4), ValueError, r"Div on shapes \(2, 3\) and \(4,\)"),
    ("pow", lambda: t((2, 3)) ** t(4), ValueError, r"Pow on shapes \(2, 3\) and \(4,\)"),
    ("maximum", lambda: cr.maximum(t((2, 3)), t(4)), ValueError, r"Maximum on shapes"),
    ("where", lambda: cr.where(np.ones((2, 3), bool), t((2, 3)), t(4)), ValueError,
     r"Where on shapes"),
    ("reshape (6,) to (4, 2)", lambda: t(6).reshape(4, 2), ValueError,
     r"Reshape on shapes \(6,\).*\(4,2\)"),
    ("label -1", lambda: CE(logits(), np.array([0, 1, -1, 2])), ValueError,
     r"label -1 \(at position 2\) is out of range for 3 classes"),
    ("label = number of classes", lambda: CE(logits(), np.array([0, 1, 3, 2])), ValueError,
     r"label 3 \(at position 2\) is out of range for 3 classes \(labels must be in 0\.\.2\)"),
    ("float labels", lambda: CE(logits(), np.array([0.0, 1.0, 2.0, 1.0])), ValueError,
     r"class labels must be integers, got dtype float"),
    ("one-hot of the wrong width", lambda: CE(logits(), np.eye(4)), ValueError,
     r"target of shape \(4, 4\) fits neither class labels of shape \(4,\) nor probabilities"),
    ("label/logit batch mismatch", lambda: CE(logits(), np.array([0, 1, 2])), ValueError,
     r"SoftmaxWithLoss on shapes \(4, 3\) and \(3,\)"),
    ("MSE target of another shape", lambda: cr.nn.MSELoss()(logits(), np.zeros((4, 1))),
     ValueError, r"mse_loss: the target has shape \(4, 1\), but the prediction has shape \(4, 3\)"),
    ("BCE target of another shape",
     lambda: cr.nn.BCEWithLogitsLoss()(logits(), np.zeros((4, 1))), ValueError,
     r"binary_cross_entropy_with_logits: the target has shape \(4, 1\)"),
    ("L1 target of another shape", lambda: cr.nn.L1Loss()(logits(), np.zeros((4, 1))),
     ValueError, r"l1_loss: the target has shape \(4, 1\), but the prediction has shape \(4, 3\)"),
    ("Huber target of another shape", lambda: cr.nn.HuberLoss()(logits(), np.zeros(3)),
     ValueError, r"huber_loss: the target has shape \(3,\), but the prediction has shape \(4, 3\)"),
    ("negative smooth L1 beta", lambda: cr.nn.SmoothL1Loss(beta=-0.5), ValueError,
     r"SmoothL1Loss: beta must be finite and non-negative, got -0\.5"),
    ("Huber delta 0", lambda: cr.nn.HuberLoss(delta=0), ValueError,
     r"HuberLoss: delta must be finite and positive, got 0\.0"),
    ("NLL label = number of classes", lambda: cr.nn.NLLLoss()(logits(), np.array([0, 1, 3, 2])),
     ValueError, r"nll_loss: label 3 \(at position 2\) is out of range for 3 classes"),
    ("NLL one-hot target", lambda: cr.nn.NLLLoss()(logits(), np.eye(4, 3)), ValueError,
     r"nll_loss: the target has shape \(4, 3\), but log-probabilities of shape \(4, 3\)"),
    ("BCE on a probability above 1", lambda: cr.nn.BCELoss()(t(3) * 1.5, np.zeros(3)),
     ValueError, r"binary_cross_entropy: the input must be probabilities in \[0, 1\], got 1\.5 "
     r"at position \(0,\) of shape \(3,\)"),
    ("BCE on probabilities, target of another shape",
     lambda: cr.nn.BCELoss()(logits() * 0.5, np.zeros((4, 1))), ValueError,
     r"binary_cross_entropy: the target has shape \(4, 1\), but the input has shape \(4, 3\)"),
    ("empty batch, cross-entropy",
     lambda: CE(t((0, 3), dtype="float32"), np.zeros(0, np.int64)), ValueError, r"empty"),
    ("empty batch, MSE", lambda: cr.nn.MSELoss()(t((0, 3)), np.zeros((0, 3))), ValueError,
     r"empty"),
    ("fit on an empty dataset",
     lambda: _fit(np.zeros((0, 3), np.float32), np.zeros(0, np.int64)), ValueError,
     r"fit: the training data is empty \(0 samples"),
    ("NaN in the training data", lambda: _fit(np.full((4, 3), np.nan, np.float32), Y4),
     ValueError, r"fit: the training data holds 12 NaN or infinite input values"),
    ("inf in the validation data",
     lambda: _fit(X4, Y4, val=(np.full((4, 3), np.inf, np.float32), Y4)),
     ValueError, r"fit: val_data holds 12 NaN or infinite input values \(X of shape \(4, 3\)\)"),
    ("NaN in data to standardise", lambda: cr.data.Standardizer().fit(np.array([[np.nan]])),
     ValueError, r"Standardizer\.fit: X contains NaN or infinity"),
    ("X and y of different lengths",
     lambda: cr.data.ArrayDataset(np.zeros((3, 2)), np.zeros(2)), ValueError,
     r"ArrayDataset: X has 3 samples but y has 2"),
    ("Linear given the wrong width", lambda: cr.nn.Linear(3, 2)(t((4, 5), False, "float32")),
     ValueError, r"linear: an input of shape \(4, 5\) does not fit a weight of shape \(3, 2\)"),
    ("a later Linear given the wrong width",
     lambda: cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.Linear(5, 2))(t((4, 3), False, "float32")),
     ValueError, r"Affine on shapes \(4, 4\) and \(5, 2\)"),
    ("optimizer with no parameters", lambda: cr.optim.Adam([], lr=0.1), ValueError,
     r"Adam: got an empty parameter list"),
    ("negative learning rate", lambda: cr.optim.SGD([t(2)], lr=-0.1), ValueError,
     r"lr must be >= 0, got -0\.1"),
    ("NaN learning rate", lambda: cr.optim.RMSProp([t(2)], lr=float("nan")), ValueError,
     r"lr must be finite, got nan"),
    ("Adam beta of 1", lambda: cr.optim.Adam([t(2)], lr=0.1, betas=(1.0, 0.9)), ValueError,
     r"betas\[0\] must be in \[0, 1\), got 1\.0"),
    ("integer tensor requiring grad",
     lambda: cr.tensor(np.array([1, 2]), requires_grad=True), TypeError, r"int64.*float"),
    ("backward twice on a released graph", _backward_twice, RuntimeError,
     r"Exp: backward through this part of the graph a second time.*retain_graph=True"),
    ("backward on a non-scalar", lambda: t((3, 2)).sum(axis=0).backward(), RuntimeError,
     r"backward: the output has shape \(2,\), not a single value"),
    ("batch size 0", lambda: cr.data.DataLoader((X4, Y4), batch_size=0), ValueError,
     r"DataLoader: batch_size must be positive, got 0"),
    ("negative epochs", lambda: _fit(X4, Y4, epochs=-1), ValueError,
     r"fit: epochs must be >= 0, got -1"),
    ("dropout probability 1.5", lambda: cr.nn.Dropout(1.5), ValueError,
     r"dropout probability must be a number in \[0, 1\], got 1\.5"),
    ("Linear with 0 inputs", lambda: cr.nn.Linear(0, 3), ValueError,
     r"Linear: in_features must be a positive integer, got 0"),
]  # fmt: skip


def _params():
    for row in ROWS:
        name, call, exc, pattern, *marks = row
        yield pytest.param(call, exc, pattern, id=name, marks=marks)


@pytest.mark.parametrize(("call", "exc", "pattern"), list(_params()))
def test_error_inputs(call, exc, pattern):
    with pytest.raises(exc) as info:
        call()
    message = str(info.value)
    assert re.search(pattern, message, re.DOTALL), message
    assert "Traceback" not in message


def test_the_table_size():
    note("bad-input table", rows=len(ROWS), known_bugs=sum(len(r) == 5 for r in ROWS))
    assert len(ROWS) >= 35


# ----- broadcasting, by hypothesis ------------------------------------------------------------
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "maximum": (cr.maximum, np.maximum),
    "minimum": (cr.minimum, np.minimum),
    "pow": (lambda a, b: a**b, np.power),
}
CI_EXAMPLES = 60


def _values(shape, seed: int) -> np.ndarray:
    # positive, distinct values: pow is defined and maximum/minimum have no ties
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, size=shape)


@pytest.mark.parametrize("op", list(BINARY))
def test_broadcast_compatible_pairs_agree_with_numpy(op):
    ours, theirs = BINARY[op]

    @fuzz_settings(CI_EXAMPLES)
    @given(
        shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4),
        seed=st.integers(0, 2**16),
    )
    def run(shapes, seed):
        sx, sy = shapes.input_shapes
        x, y = _values(sx, seed), _values(sy, seed + 1)
        tx = cr.tensor(x, requires_grad=True)
        ty = cr.tensor(y, requires_grad=True)
        out = ours(tx, ty)
        expected = theirs(x, y)
        assert out.shape == expected.shape == shapes.result_shape
        np.testing.assert_array_equal(out.data, expected)
        out.sum().backward()
        assert tx.grad.shape == sx
        assert ty.grad.shape == sy
        if op == "add":  # each input's gradient counts the copies broadcasting made of it
            np.testing.assert_array_equal(tx.grad, np.full(sx, expected.size / max(x.size, 1)))

    run()


@st.composite
def incompatible_shapes(draw):
    """Two shapes with one aligned (from the right) axis of different sizes, both > 1."""
    sx, sy = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4)).input_shapes
    sx, sy = list(sx) or [1], list(sy) or [1]
    axis = draw(st.integers(1, min(len(sx), len(sy))))
    a, b = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    b = b + 1 if a == b else b
    sx[-axis], sy[-axis] = a, b
    return tuple(sx), tuple(sy)


@pytest.mark.parametrize("op", list(BINARY))
def test_incompatible_pairs_always_raise_naming_op_and_shapes(op):
    ours, _ = BINARY[op]

    @fuzz_settings(CI_EXAMPLES)
    @given(shapes=incompatible_shapes())
    def run(shapes):
        sx, sy = shapes
        with pytest.raises(ValueError, match=re.escape(f"on shapes {sx} and {sy}")) as info:
            ours(cr.tensor(_values(sx, 0), requires_grad=True), cr.tensor(_values(sy, 1)))
        assert op.lower() in str(info.value).lower()

    run()


def test_incompatible_matmul_pairs_always_raise():
    @fuzz_settings(CI_EXAMPLES)
    @given(
        batch=st.lists(st.integers(1, 3), max_size=2),
        m=st.integers(1, 4),
        k=st.integers(1, 4),
        extra=st.integers(1, 3),
        n=st.integers(1, 4),
    )
    def run(batch, m, k, extra, n):
        sx, sy = (*batch, m, k), (*batch, k + extra, n)
        with pytest.raises(ValueError, match=re.escape(f"MatMul on shapes {sx} and {sy}")):
            t(sx) @ t(sy)

    run()
