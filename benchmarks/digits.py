"""The default ``chainrule train`` run (64-100-10 MLP, ReLU, He init, Adam lr 0.01, batch 32,
30 epochs on the bundled digits) rebuilt piece by piece, so that hand-written NumPy and
PyTorch can train the very same model: same initial weights, same data order, same
hyper-parameters, same per-epoch validation.
"""

from __future__ import annotations

import math
import time

import numpy as np

import chainrule as cr
from chainrule import _generator
from chainrule._config import Config
from chainrule._run_setup import build_model, load_splits

TARGET_ACCURACY = 0.97  # the default run's promise: at least 97% test accuracy


def setup(epochs: int | None = None, splits=None):
    """(config, splits, model, loader) exactly as ``chainrule train`` makes them; ``splits``
    (from `load_splits`) reuses data already loaded."""
    cfg = Config() if epochs is None else Config(epochs=epochs)
    cfg.validate()
    splits = load_splits(cfg) if splits is None else splits
    _generator.manual_seed(cfg.seed)
    model = build_model(cfg, splits.train[0].shape[1], splits.n_out)
    loader = cr.data.DataLoader(
        cr.data.ArrayDataset(*splits.train), batch_size=cfg.batch_size, shuffle=True, seed=cfg.seed
    )
    return cfg, splits, model, loader


def weights(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W (in, out), b) of each Linear layer, copied."""
    params = [p.data.copy() for p in model.parameters()]
    return list(zip(params[0::2], params[1::2]))


# ----- chainrule ------------------------------------------------------------------------------
def chainrule_run(epochs: int | None = None) -> dict:
    """``cr.fit`` with the default configuration (no checkpoint files); wall time per epoch."""
    cfg, splits, model, loader = setup(epochs)
    opt = cr.optim.Adam(model.parameters(), lr=cfg.lr)
    loss_fn = cr.nn.SoftmaxCrossEntropy()
    clock = _EpochClock()
    clock.start()
    fit = cr.fit(model, loss_fn, opt, loader, cfg.epochs, val_data=splits.val, callbacks=[clock])
    test = cr.evaluate(model, loss_fn, splits.test)
    return clock.result(fit.history["val_accuracy"], test["accuracy"])


class _EpochClock:
    def start(self) -> None:
        self.t0, self.ends = time.perf_counter(), []

    def on_epoch_end(self, state, logs) -> None:
        self.ends.append(time.perf_counter() - self.t0)

    def result(self, val_accuracy: list[float], test_accuracy: float) -> dict:
        first = next((i for i, a in enumerate(val_accuracy) if a >= TARGET_ACCURACY), None)
        return {
            "seconds": self.ends[-1],
            "test_accuracy": test_accuracy,
            "epochs": len(self.ends),
            "val_accuracy": list(val_accuracy),
            "first_epoch_at_target": None if first is None else first + 1,
            "seconds_to_target": None if first is None else self.ends[first],
        }


# ----- hand-written NumPy, for memory --------------------------------------------------------
def numpy_state(model) -> dict:
    """What the hand-written training keeps: copies of ``model``'s weights, Adam's moments."""
    params = [a for pair in weights(model) for a in pair]
    state = {"params": params, "m": [np.zeros_like(a) for a in params], "t": 0}
    state["v"] = [np.zeros_like(a) for a in params]
    return state


def numpy_epoch(loader, lr: float, state: dict) -> None:
    """One epoch of the same training by hand, on a `numpy_state`: forward, softmax
    cross-entropy, backward, Adam (β = 0.9, 0.999, ε = 1e-8)."""
    w1, b1, w2, b2 = state["params"]
    for x, y in loader:
        x = x.astype(np.float32, copy=False)
        h = x @ w1
        h += b1
        np.maximum(h, 0, out=h)
        z = h @ w2
        z += b2
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[np.arange(len(y)), y] -= 1
        z /= len(y)
        dh = z @ w2.T
        dh *= h > 0
        _adam(state, [x.T @ dh, dh.sum(axis=0), h.T @ z, z.sum(axis=0)], lr)


def _adam(state: dict, grads: list[np.ndarray], lr: float) -> None:
    state["t"] += 1
    t = state["t"]
    step = lr * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
    for w, g, m, v in zip(state["params"], grads, state["m"], state["v"]):
        m *= 0.9
        m += 0.1 * g
        v *= 0.999
        g *= g
        g *= 0.001
        v += g
        np.sqrt(v, out=g)
        g += 1e-8 * math.sqrt(1 - 0.999**t)
        np.divide(m, g, out=g)
        g *= step
        w -= g


# ----- PyTorch ------------------------------------------------------------------------------
def torch_run(torch, epochs: int | None = None) -> dict:
    """The same run in PyTorch: the chainrule model's initial weights, the chainrule
    loader's batches (so the same order), Adam, validation after every epoch."""
    cfg, splits, model, loader = setup(epochs)
    layers = []
    for i, (w, b) in enumerate(weights(model)):
        linear = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.ReLU()] if i == 0 else [linear]
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    clock = _EpochClock()
    clock.start()
    val_accuracy = []
    for _ in range(cfg.epochs):
        net.train()
        for x, y in loader:
            opt.zero_grad()
            out = net(torch.from_numpy(x))
            loss = loss_fn(out, torch.from_numpy(y))
            loss.backward()
            opt.step()
            loss.item(), (out.argmax(dim=1) == torch.from_numpy(y)).sum().item()  # as fit logs
        val_accuracy.append(_torch_accuracy(torch, net, *splits.val))
        clock.on_epoch_end(None, None)
    return clock.result(val_accuracy, _torch_accuracy(torch, net, *splits.test))


def _torch_accuracy(torch, net, x: np.ndarray, y: np.ndarray) -> float:
    net.eval()
    with torch.no_grad():
        pred = net(torch.from_numpy(x.astype(np.float32, copy=False))).argmax(dim=1).numpy()
    return float((pred == y).mean())
