"""A Transformer encoder learns to reverse a sequence, in a few seconds: each output
position must attend to its mirror position, which only attention with a position signal
can do.

    .venv/bin/python examples/transformer_reverse.py              # 6 epochs, Adam
    .venv/bin/python examples/transformer_reverse.py --epochs 2 --seed 1

Each sequence holds 8 symbols drawn from 10; the target at position i is the symbol at
position 7 − i. Symbols are embedded (`Embedding`), a learned position vector is added, two
`TransformerEncoderLayer`s (batch_first, 4 heads) mix the positions, and a `Linear` layer
scores the 10 symbols at every position. The last line is the test accuracy per symbol
(chance is 10%) and per whole sequence.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as cr
from chainrule import nn

LENGTH, SYMBOLS, WIDTH = 8, 10, 32


def reversal(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, LENGTH) integer sequences and their reversals, the targets."""
    x = rng.integers(0, SYMBOLS, (n, LENGTH))
    return x, x[:, ::-1].copy()


class Reverser(nn.Module):
    """Embedding + learned positions → TransformerEncoder (2 layers) → Linear per position."""

    def __init__(self):
        self.embed = nn.Embedding(SYMBOLS, WIDTH)
        self.position = nn.Parameter(np.zeros((LENGTH, WIDTH), np.float32))
        nn.init.normal_(self.position, 0.0, 0.1)  # from cr.manual_seed's generator
        layer = nn.TransformerEncoderLayer(
            WIDTH, 4, dim_feedforward=64, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(WIDTH, SYMBOLS)

    def forward(self, x):
        h = self.embed(x) + self.position  # (N, LENGTH, WIDTH)
        return self.head(self.encoder(h))  # (N, LENGTH, SYMBOLS)


def accuracy(model: nn.Module, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
    """The share of symbols, and of whole sequences, predicted right."""
    model.eval()
    with cr.no_grad():
        right = model(X).data.argmax(axis=-1) == Y
    model.train()
    return float(right.mean()), float(right.all(axis=1).mean())


def score(model: nn.Module, X: np.ndarray, Y: np.ndarray) -> str:
    symbols, sequences = accuracy(model, X, Y)
    return f"test accuracy {symbols:.2%} of symbols, {sequences:.2%} of sequences"


def main(args) -> None:
    rng = np.random.default_rng(args.seed)
    X_tr, Y_tr = reversal(4000, rng)
    X_te, Y_te = reversal(500, rng)
    cr.manual_seed(args.seed)
    model, loss_fn = Reverser(), nn.CrossEntropyLoss()
    opt = cr.optim.Adam(model.parameters(), lr=0.003)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        for i in rng.permutation(len(X_tr) // 50) * 50:  # batches of 50, in a new order
            opt.zero_grad()
            scores = model(X_tr[i : i + 50])
            loss_fn(scores.reshape(-1, SYMBOLS), Y_tr[i : i + 50].reshape(-1)).backward()
            opt.step()
        print(f"epoch {epoch:2d}  {score(model, X_te, Y_te)}")
    seconds = time.perf_counter() - start
    print(f"{score(model, X_te, Y_te)} after {seconds:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="default 6")
    parser.add_argument("--seed", type=int, default=0, help="data, init and batch order")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    main(args)
