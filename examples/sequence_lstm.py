"""An LSTM learns a task a feed-forward network on one step cannot: the adding problem, as a
classification, in a few seconds.

    .venv/bin/python examples/sequence_lstm.py              # 12 epochs, Adam
    .venv/bin/python examples/sequence_lstm.py --epochs 4 --seed 1

Each sequence holds 20 steps of two features: a random value in [0, 1), and a marker that
is 1 at exactly two steps. The label says whether the two marked values add up to more
than 1, so the network must find the markers and remember their values across the
sequence. The LSTM reads (L, N, 2) in PyTorch's layout; a Linear layer reads its last
hidden state. The last line is the test accuracy (chance is 50%).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as cr
from chainrule import nn

STEPS = 20


def adding_problem(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(L, n, 2) float32 sequences and their labels: 1 where the marked values sum to > 1."""
    values = rng.random((STEPS, n)).astype(np.float32)  # the labels see what the model sees
    marks = np.zeros((STEPS, n))
    for i in range(n):
        marks[rng.choice(STEPS, size=2, replace=False), i] = 1
    labels = ((values * marks).sum(axis=0) > 1).astype(np.int64)
    return np.stack([values, marks.astype(np.float32)], axis=-1), labels


class Classifier(nn.Module):
    """LSTM(2, 32) over the sequence, then Linear(32, 2) on its last hidden state."""

    def __init__(self):
        self.lstm = nn.LSTM(2, 32)
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        _, (h, _) = self.lstm(x)  # h: (1, N, 32), the last step's hidden state
        return self.head(h[0])


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with cr.no_grad():
        scores = model(cr.tensor(X)).data
    return float(np.mean(scores.argmax(axis=1) == y))


def main(args) -> None:
    rng = np.random.default_rng(args.seed)
    X_tr, y_tr = adding_problem(2000, rng)
    X_te, y_te = adding_problem(500, rng)
    cr.manual_seed(args.seed)
    model, loss_fn = Classifier(), nn.CrossEntropyLoss()
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        for i in rng.permutation(len(y_tr) // 50) * 50:  # batches of 50, in a new order
            opt.zero_grad()
            loss_fn(model(cr.tensor(X_tr[:, i : i + 50])), y_tr[i : i + 50]).backward()
            opt.step()
        print(f"epoch {epoch:2d}  test accuracy {accuracy(model, X_te, y_te):.2%}")
    seconds = time.perf_counter() - start
    print(f"test accuracy {accuracy(model, X_te, y_te):.2%} after {seconds:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12, help="default 12")
    parser.add_argument("--seed", type=int, default=0, help="data, init and batch order")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    main(args)
