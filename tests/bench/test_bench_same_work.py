"""The contenders of the memory and end_to_end benchmarks train the very model chainrule
trains: a comparison is only fair if the work is the same. (training_step checks its own
contenders' losses before timing them: test_bench_suite.py.)"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # benchmarks/ is a folder of the repository, not installed

from benchmarks import digits  # noqa: E402

import chainrule as cr  # noqa: E402


@pytest.fixture(scope="module")
def splits():
    return digits.setup(1)[1]


def test_the_hand_written_epoch_trains_the_same_weights_as_fit(splits):
    cfg, _, model, loader = digits.setup(1, splits)
    state = digits.numpy_state(model)  # copies of the same initial weights
    opt = cr.optim.Adam(model.parameters(), lr=cfg.lr)
    cr.fit(model, cr.nn.SoftmaxCrossEntropy(), opt, loader, 1)
    _, _, _, same_order = digits.setup(1, splits)  # a fresh loader: the same batches again
    digits.numpy_epoch(same_order, cfg.lr, state)
    trained = [p.data for p in model.parameters()]
    start = [a for pair in digits.weights(digits.setup(1, splits)[2]) for a in pair]
    for by_hand, by_fit, first in zip(state["params"], trained, start):
        assert by_hand.shape == by_fit.shape
        assert not np.array_equal(by_fit, first)  # an epoch of Adam moved every array
        np.testing.assert_allclose(by_hand, by_fit, rtol=0, atol=1e-5)


def _capturing(cls, kept: list):
    """``cls`` that also keeps the parameters it is given, to read them after training."""

    class Capturing(cls):
        def __init__(self, params, *args, **kwargs):
            params = list(params)
            kept.extend(params)
            super().__init__(params, *args, **kwargs)

    return Capturing


def test_pytorch_trains_the_same_run_as_chainrule(monkeypatch):
    torch = pytest.importorskip("torch")
    ours, theirs = [], []
    monkeypatch.setattr(cr.optim, "Adam", _capturing(cr.optim.Adam, ours))
    monkeypatch.setattr(torch.optim, "Adam", _capturing(torch.optim.Adam, theirs))
    mine = digits.chainrule_run(epochs=2)
    other = digits.torch_run(torch, epochs=2)
    assert len(ours) == len(theirs) == 4  # W1, b1, W2, b2
    for p, q in zip(ours, theirs):
        q = q.detach().numpy()
        q = q.T if q.ndim == 2 else q  # PyTorch keeps W as (out, in)
        # same initial weights, batches and Adam: equal up to float32 rounding
        np.testing.assert_allclose(p.data, q, rtol=0, atol=1e-4)
    assert len(mine["val_accuracy"]) == len(other["val_accuracy"]) == 2
    val = digits.setup(1)[1].val[1]  # at most one near-tie flipped per epoch
    np.testing.assert_allclose(mine["val_accuracy"], other["val_accuracy"], atol=1 / len(val))


def test_the_replayed_nodes_train_the_weights_chainrule_trains(monkeypatch):
    from benchmarks import mlp

    p = mlp.problem(6, sizes=(12, 9, 7, 4))
    kept = {}
    for name, make in (("chainrule", mlp.chainrule_step), ("replayed", mlp.replayed_step)):
        params = kept[name] = []
        monkeypatch.setattr(cr.optim, "SGD", _capturing(cr.optim.SGD, params))
        step = make(p)
        losses = [step(*p.batches[i % len(p.batches)]) for i in range(5)]
        kept[name + " losses"] = losses
        monkeypatch.undo()
    assert kept["chainrule losses"] == kept["replayed losses"]  # the same nodes, in order
    assert len(kept["chainrule"]) == len(kept["replayed"]) == 6
    start = [a for pair in p.weights for a in pair]
    for a, b, first in zip(kept["chainrule"], kept["replayed"], start):
        assert not np.array_equal(a.data, first)  # five steps moved every array
        np.testing.assert_array_equal(a.data, b.data)
