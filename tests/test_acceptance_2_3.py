"""Requirements of the core and the training issues that no other file pins down exactly.

* ties in ``max`` / ``min`` reductions share the gradient equally (1/k to each of k ties),
  with and without ``axis`` and ``keepdims``;
* ``maximum(a, a)`` and ``minimum(a, a)`` give ½ of the upstream gradient to each input;
* every optimizer writes its update rule as maths in its docstring;
* on a terminal, `fit` leaves one progress bar per epoch showing the epoch's running loss
  (an epoch of the digits takes less than tqdm's refresh interval: a bar cleared at its
  end never showed the loss);
* ``chainrule train`` with no flags but ``--out`` trains the documented default network
  and reaches 97% test accuracy in well under a minute.

Expected values are worked by hand in the comments.
"""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import _engine


def leaf(value):
    return cr.tensor(value, dtype="float64", requires_grad=True)


# ----- ties in max / min reductions -----------------------------------------------------------
# Row 0 has its maximum 3 twice, row 1 the value 2 three times, row 2 a single maximum 5:
# the upstream of each row goes ½, ½ / ⅓, ⅓, ⅓ / 1 to the tied elements, 0 elsewhere.
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, -1.0, 0.0]])
MAX_SHARES = np.array([[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [1.0, 0.0, 0.0]])
MIN_SHARES = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])


@pytest.mark.parametrize(
    ("name", "data", "shares"),
    [("max", TIES, MAX_SHARES), ("min", -TIES, MAX_SHARES), ("min", TIES, MIN_SHARES)],
)
@pytest.mark.parametrize("keepdims", [False, True])
def test_ties_along_an_axis_share_the_upstream_equally(name, data, shares, keepdims):
    x = leaf(data)
    out = getattr(x, name)(axis=1, keepdims=keepdims)
    upstream = np.array([2.0, 3.0, -4.0])
    out.backward(upstream.reshape(out.shape))
    np.testing.assert_allclose(x.grad, shares * upstream[:, None], rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_over_the_whole_array_share_one(name):
    # 7 appears four times as the maximum (−7 as the minimum of −x): ¼ each
    data = np.array([[7.0, 1.0], [7.0, 7.0], [0.0, 7.0]])
    x = leaf(data if name == "max" else -data)
    getattr(cr, name)(x).backward()
    np.testing.assert_array_equal(x.grad, (data == 7.0) * 0.25)


def test_ties_along_the_first_axis_of_a_3d_array():
    # x[:, 0, 0] = [4, 4], a tie: ½ each; x[:, 0, 1] = [1, 6]: all to the second
    x = leaf(np.array([[[4.0, 1.0]], [[4.0, 6.0]]]))
    cr.max(x, 0).backward(np.array([[10.0, 10.0]]))
    np.testing.assert_array_equal(x.grad, [[[5.0, 0.0]], [[5.0, 10.0]]])


# ----- maximum(a, a): ½ to each input -----------------------------------------------------------
def _edges(root):
    """What the backward node of each output hands to each of its inputs."""
    sent = []
    _engine.backward(
        root, None, record=lambda node, out, g, gi: sent.append((type(node).__name__, gi))
    )
    return sent


@pytest.mark.parametrize("fn", [cr.maximum, cr.minimum])
def test_an_op_of_a_tensor_with_itself_gives_half_to_each_input(fn):
    a = leaf([2.0, -1.0, 0.0])
    out = fn(a, a)
    upstream = np.array([1.0, 4.0, -6.0])
    np.testing.assert_array_equal(out.data, [2.0, -1.0, 0.0])
    sent = _edges(cr.ops.mul(out, upstream).sum())
    (_, (half_x, half_y)) = next(edge for edge in sent if edge[0] in ("Maximum", "Minimum"))
    np.testing.assert_array_equal(half_x, 0.5 * upstream)  # ½ to the first input
    np.testing.assert_array_equal(half_y, 0.5 * upstream)  # and ½ to the second
    np.testing.assert_array_equal(a.grad, upstream)  # which together are the upstream


@pytest.mark.parametrize("fn", [cr.maximum, cr.minimum])
def test_equal_values_in_two_tensors_give_half_to_each(fn):
    a, b = leaf([3.0, 1.0]), leaf([3.0, 5.0])
    fn(a, b).backward(np.array([8.0, 8.0]))
    winner_a = 0.0 if fn is cr.maximum else 8.0  # at index 1: max picks b = 5, min a = 1
    np.testing.assert_array_equal(a.grad, [4.0, winner_a])
    np.testing.assert_array_equal(b.grad, [4.0, 8.0 - winner_a])


# ----- optimizers: the update rule as maths in the docstring ------------------------------------
OPTIMIZERS = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW", "Adamax",
              "NAdam", "RAdam"]  # fmt: skip


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_writes_its_update_rule_as_maths_in_its_docstring(name):
    doc = getattr(cr.optim, name).__doc__ or ""
    rule = [line for line in doc.splitlines() if "W ←" in line]
    assert rule, f"{name}'s docstring has no update of W written as W ← …"
    assert "η" in doc, f"{name}'s docstring does not name the learning rate η"


# ----- fit's progress bar on a terminal -----------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_each_epoch_leaves_a_bar_with_its_running_loss(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    cr.manual_seed(0)
    model = cr.nn.Linear(3, 2)
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    history = cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, (X, y), 3, batch_size=8)
    shown = terminal.getvalue()
    for epoch in (1, 2, 3):
        assert f"epoch {epoch}/3: 100%" in shown
    # the loss each finished bar shows is the epoch's mean loss of the history
    losses = [float(v) for v in re.findall(r"loss=([0-9.]+)", shown)]
    np.testing.assert_allclose(losses, history.history["loss"], rtol=0, atol=5e-5)
