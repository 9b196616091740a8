"""The benchmark network four ways: chainrule, hand-written NumPy, chainrule's own nodes
replayed without its graph (the floor of a recorded-step mode), and PyTorch.

An MLP 784-256-256-10 with ReLU, softmax cross-entropy and plain SGD, in float32. Every
contender starts from the same weights and sees the same batches in the same order, so
their losses agree step by step (checked by `agreement`); each step returns the loss as a
Python float, as a training loop needs it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

import chainrule as cr
from chainrule._aligned import aligned_copy
from chainrule.nn._layers import Affine
from chainrule.nn._softmax_with_loss import SoftmaxWithLoss
from chainrule.ops._activations import ReLU

from ._common import cycling, loop_step, loss_agreement

SIZES = (784, 256, 256, 10)
LR = 0.01


@dataclass
class Problem:
    """Initial weights (W of shape (in, out), b) and a cycle of batches (x, labels)."""

    weights: list[tuple[np.ndarray, np.ndarray]]
    batches: list[tuple[np.ndarray, np.ndarray]]
    sizes: tuple[int, ...] = SIZES

    @property
    def batch(self) -> int:
        return len(self.batches[0][0])

    def matmul_flops(self) -> int:
        """FLOPs of the matrix products in one step: forward, then dW for every layer and
        dX for every layer but the first (the input needs no gradient)."""
        pairs = list(itertools.pairwise(self.sizes))
        per_row = 2 * (3 * sum(i * o for i, o in pairs) - pairs[0][0] * pairs[0][1])
        return per_row * self.batch


def problem(batch: int, n_batches: int = 8, sizes=SIZES, seed: int = 0) -> Problem:
    rng = np.random.default_rng(seed)
    weights = [
        ((rng.standard_normal((i, o)) * np.sqrt(2 / i)).astype(np.float32), np.zeros(o, np.float32))
        for i, o in itertools.pairwise(sizes)
    ]
    batches = [
        (rng.random((batch, sizes[0]), dtype=np.float32), rng.integers(0, sizes[-1], batch))
        for _ in range(n_batches)
    ]
    return Problem(weights, batches, tuple(sizes))


# ----- chainrule ----------------------------------------------------------------------------
def chainrule_model(p: Problem) -> cr.nn.Sequential:
    layers = []
    for i, (w, b) in enumerate(p.weights):
        linear = cr.nn.Linear(*w.shape)
        linear.weight.data[...] = w
        linear.bias.data[...] = b
        layers += [linear, cr.nn.ReLU()] if i + 1 < len(p.weights) else [linear]
    return cr.nn.Sequential(*layers)


def chainrule_step(p: Problem):
    """step(x, labels) -> loss with the public API, as a user's training loop would."""
    model = chainrule_model(p)
    loss_fn = cr.nn.SoftmaxCrossEntropy()
    return loop_step(model, loss_fn, cr.optim.SGD(model.parameters(), lr=LR))


# ----- hand-written NumPy: the limit ----------------------------------------------------------
def numpy_step(p: Problem):
    """The same step written out in NumPy, the way a careful person writes it for speed:
    in-place bias adds, ReLU and updates, one softmax, no graph. Nothing is generic. The
    weights start on 64-byte boundaries, as chainrule's parameters and PyTorch's tensors
    do: an in-place update of a misaligned weight is up to 1.7x slower, so copies left
    where malloc puts them would make the limit move from run to run."""
    params = [(aligned_copy(w), aligned_copy(b)) for w, b in p.weights]
    lr = np.float32(LR)

    def step(x, labels):
        acts = [x]  # the input of each layer
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w
            h += b
            if i + 1 < len(params):
                np.maximum(h, 0, out=h)  # ReLU in place; h > 0 is its mask in backward
                acts.append(h)
        rows = np.arange(len(labels))
        h -= h.max(axis=1, keepdims=True)  # shifted logits z: exp cannot overflow
        picked = h[rows, labels]
        np.exp(h, out=h)
        total = h.sum(axis=1)
        loss = float(np.mean(np.log(total) - picked))  # −log softmax(z)[label]
        h /= total[:, None]  # softmax
        h[rows, labels] -= 1
        g = h
        g /= len(labels)  # dL/dlogits = (softmax - onehot) / N
        for i in range(len(params) - 1, -1, -1):
            w, b = params[i]
            gw = acts[i].T @ g
            gb = g.sum(axis=0)
            if i:
                g = g @ w.T
                g *= acts[i] > 0
            gw *= lr
            w -= gw
            gb *= lr
            b -= gb
        return loss

    return step


# ----- chainrule's nodes replayed: the floor of a recorded-step mode -------------------------
def replayed_step(p: Problem):
    """chainrule's step with its own nodes called in order on arrays, as a mode replaying a
    recorded step would call them: the same `Affine`, `ReLU` and `SoftmaxWithLoss` forward
    and backward, the same SGD, but no Tensors, no graph and no engine. The gap between it
    and `chainrule_step` is what such a mode could save at most; the gap between it and
    `numpy_step` is the nodes' own work."""
    model = chainrule_model(p)
    opt = cr.optim.SGD(model.parameters(), lr=LR)
    params = list(model.parameters())  # W1, b1, W2, b2, W3, b3

    def step(x, labels):
        affines, relus = [Affine(), Affine(), Affine()], [ReLU(), ReLU()]  # fresh nodes
        h = x
        for i, node in enumerate(affines):
            node.needs_grad = (i > 0, True, True)  # no gradient for the input batch
            h = node.forward(h, params[2 * i].data, params[2 * i + 1].data)
            if i < 2:
                h = relus[i].forward(h)
        loss_node = SoftmaxWithLoss()
        loss_node.needs_grad = (True, False)
        loss = loss_node.forward(h, labels)
        g = loss_node.backward(np.ones_like(loss))[0]
        for i in (2, 1, 0):
            g, params[2 * i].grad, params[2 * i + 1].grad = affines[i].backward(g)
            if i:
                g = relus[i - 1].backward_into(g)[0]
        opt.step()
        return float(loss)

    return step


# ----- PyTorch ------------------------------------------------------------------------------
def torch_step(p: Problem, torch):
    """The same network in PyTorch on the CPU (nn.Linear keeps W as (out, in))."""
    layers = []
    for i, (w, b) in enumerate(p.weights):
        linear = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.ReLU()] if i + 1 < len(p.weights) else [linear]
    model = torch.nn.Sequential(*layers)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    batches = {id(x): (torch.from_numpy(x), torch.from_numpy(y)) for x, y in p.batches}

    def step(x, labels):
        xt, yt = batches[id(x)]
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def contenders(p: Problem, torch=None) -> dict:
    """Zero-argument callables, one training step each on the next batch."""
    steps = {
        "chainrule": chainrule_step(p),
        "numpy": numpy_step(p),
        "replayed": replayed_step(p),
    }
    if torch is not None:
        steps["torch"] = torch_step(p, torch)
    return {name: cycling(step, p.batches) for name, step in steps.items()}


def agreement(p: Problem, torch=None, steps: int = 3) -> float:
    """Largest relative difference between the contenders' losses over the first steps
    from the same weights: evidence that they all do the same work."""
    return loss_agreement(contenders(p, torch), "numpy", steps)
