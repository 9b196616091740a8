"""The tutorials' digit classifier written with the low-level API, step by step.

    .venv/bin/python examples/training_loop.py                 # Adam, 10 epochs
    .venv/bin/python examples/training_loop.py --optimizer momentum --checkpoint ck.safetensors

What `cr.fit` does for you, spelled out: a model from nn layers, a DataLoader over the
bundled digits, and per mini-batch zero_grad → forward → loss → backward → step; after
each epoch the test accuracy. At the end the model and optimizer go to a checkpoint
(`cr.save` writes atomically: a crash leaves the previous file whole), which is loaded into
a freshly built model whose predictions must equal the trained model's. The checkpoint is
digits.safetensors in the current directory unless --checkpoint names another file; the
last line printed names it.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import chainrule as cr

OPTIMIZERS = {  # the tutorials' six, with learning rates that suit this network
    "sgd": (cr.optim.SGD, 0.1),
    "momentum": (cr.optim.Momentum, 0.05),
    "nesterov": (cr.optim.Nesterov, 0.05),
    "adagrad": (cr.optim.AdaGrad, 0.05),
    "rmsprop": (cr.optim.RMSProp, 0.001),
    "adam": (cr.optim.Adam, 0.01),
}


def build() -> cr.nn.Sequential:
    """64-100-10 with ReLU; the same code builds the fresh model the checkpoint fills."""
    return cr.nn.Sequential(cr.nn.Linear(64, 100, init="he"), cr.nn.ReLU(), cr.nn.Linear(100, 10))


def accuracy(model, X, y) -> float:
    model.eval()  # no layer here behaves differently, but Dropout or BatchNorm would
    with cr.no_grad():  # no graph: nothing will call backward
        scores = model(cr.tensor(X)).data
    model.train()
    return float(np.mean(scores.argmax(axis=1) == y))


def main(args) -> None:
    digits = cr.data.load_digits()
    X_tr, X_te, y_tr, y_te = cr.data.train_test_split(
        digits.X / 16, digits.y, test_size=0.2, seed=args.seed, stratify=True
    )
    cr.manual_seed(args.seed)  # initial weights
    model, loss_fn = build(), cr.nn.SoftmaxCrossEntropy()
    make, lr = OPTIMIZERS[args.optimizer]
    opt = make(model.parameters(), lr=lr)
    loader = cr.data.DataLoader((X_tr, y_tr), batch_size=32, shuffle=True, seed=args.seed)
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()  # gradients accumulate across backward calls: clear them first
            loss = loss_fn(model(cr.tensor(xb)), yb)
            loss.backward()  # every parameter's .grad is now ∂loss/∂parameter
            opt.step()
            total += loss.item() * len(xb)
        print(
            f"epoch {epoch:3d}  loss {total / len(X_tr):.4f}  "
            f"test accuracy {accuracy(model, X_te, y_te):.2%}"
        )
    try:
        cr.save(args.checkpoint, model, opt, epoch=args.epochs)
    except OSError as e:
        sys.exit(f"training_loop.py: cannot save the checkpoint: {e}")
    fresh = build()  # other random weights until the checkpoint is loaded into it
    state = cr.load(args.checkpoint, fresh, make(fresh.parameters(), lr=lr))  # + optimizer
    same = np.array_equal(cr.predict(fresh, X_te), cr.predict(model, X_te))
    print(f"saved {args.checkpoint} (epoch {state['epoch']}); reloaded model agrees: {same}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    parser.add_argument("--epochs", type=int, default=10, help="default 10")
    parser.add_argument("--seed", type=int, default=0, help="split, init and batch order")
    parser.add_argument("--checkpoint", default="digits.safetensors", help="file to write")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    main(args)
