"""End to end: a 2-layer MLP learns a toy problem with plain gradient steps."""

import numpy as np

import chainrule as cr
from chainrule import nn


def _xor_blobs(n_per_blob=25, seed=0):
    """Four clusters at the corners of a square; opposite corners share a class (XOR), so
    no linear model separates them but one hidden layer does."""
    rng = np.random.default_rng(seed)
    corners = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], np.float32)
    x = np.concatenate([c + 0.2 * rng.standard_normal((n_per_blob, 2)) for c in corners])
    y = np.repeat([0, 0, 1, 1], n_per_blob)
    return x.astype(np.float32), y


def test_mlp_reaches_full_train_accuracy_with_gradient_steps():
    cr.manual_seed(0)
    x, y = _xor_blobs()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    loss_fn = nn.SoftmaxCrossEntropy()
    lr = np.float32(0.5)
    for _ in range(200):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad  # plain gradient descent, in place
    accuracy = (model(x).data.argmax(axis=1) == y).mean()
    assert accuracy == 1.0
    assert loss.item() < 0.05
    assert all(p.dtype == np.float32 for p in model.parameters())
