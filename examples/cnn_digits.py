"""A small convolutional network on the bundled 8×8 digits, in a few seconds.

    .venv/bin/python examples/cnn_digits.py              # 10 epochs, Adam
    .venv/bin/python examples/cnn_digits.py --epochs 5 --seed 1

The images are reshaped to (N, 1, 8, 8), PyTorch's NCHW layout; a 3×3 convolution with
16 channels and a 2×2 max pooling feed one Linear layer. The last line is the test accuracy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as cr
from chainrule import nn


def build() -> nn.Sequential:
    """(N, 1, 8, 8) -> conv 3×3, same size -> ReLU -> max pool 2×2 -> (N, 16·4·4) -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),  # (N, 16, 8, 8)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, 4, 4)
        nn.Flatten(),  # (N, 256)
        nn.Linear(16 * 4 * 4, 10),
    )


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with cr.no_grad():
        scores = model(cr.tensor(X)).data
    model.train()
    return float(np.mean(scores.argmax(axis=1) == y))


def main(args) -> None:
    digits = cr.data.load_digits()
    images = (digits.X / 16).reshape(-1, 1, 8, 8).astype(np.float32)  # (N, C, H, W)
    X_tr, X_te, y_tr, y_te = cr.data.train_test_split(
        images, digits.y, test_size=0.2, seed=args.seed, stratify=True
    )
    cr.manual_seed(args.seed)
    model, loss_fn = build(), nn.CrossEntropyLoss()
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    loader = cr.data.DataLoader((X_tr, y_tr), batch_size=32, shuffle=True, seed=args.seed)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(cr.tensor(xb)), yb).backward()
            opt.step()
        print(f"epoch {epoch:2d}  test accuracy {accuracy(model, X_te, y_te):.2%}")
    seconds = time.perf_counter() - start
    print(f"test accuracy {accuracy(model, X_te, y_te):.2%} after {seconds:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="default 10")
    parser.add_argument("--seed", type=int, default=0, help="split, init and batch order")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    main(args)
