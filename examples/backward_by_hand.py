"""Backpropagation through one sigmoid neuron, the way the tutorials work it by hand.

    .venv/bin/python examples/backward_by_hand.py             # x = 2, target = 1
    .venv/bin/python examples/backward_by_hand.py --x -1.5 --target 0 --lr 0.5

The graph: z = w·x + b, y = σ(z), E = (y − t)². `cr.explain` runs the backward pass and
prints each node's forward value, upstream gradient, local gradient and downstream gradient
(= local × upstream); the transcript multiplies the local gradients along the path from E
to w, as one would on paper. The script then checks ∂E/∂w against a central finite
difference of E computed with plain floats, and exits with status 1 if they disagree.
"""

from __future__ import annotations

import argparse
import math
import sys

import chainrule as cr

W, B = 0.5, 0.1  # the starting weight and bias


def error(w: float, b: float, x: float, t: float) -> float:
    """E(w, b) in plain Python, independent of the library: the finite difference's f."""
    y = 0.5 * (1 + math.tanh((w * x + b) / 2))  # = σ(w·x + b), with no overflow of exp
    return (y - t) ** 2


def main(x_value: float, target: float, lr: float) -> None:
    # float64 and names: the table and the transcript then say w, b, z, y, E
    w = cr.tensor(W, dtype="float64", requires_grad=True, name="w")
    b = cr.tensor(B, dtype="float64", requires_grad=True, name="b")
    x = cr.tensor(x_value, dtype="float64", name="x")  # an input: no gradient wanted
    z = w * x + b
    z.name = "z"
    y = z.sigmoid()
    y.name = "y"
    E = (y - target) ** 2
    E.name = "E"

    trace = cr.explain(E)  # this is the backward pass: w.grad and b.grad are set
    print(trace.table())
    print(trace.transcript(of="w", lr=lr))  # the chain rule for ∂E/∂w, then one update

    # central difference: (E(w + h) − E(w − h)) / 2h, error O(h²)
    h = 1e-6
    numeric = (error(W + h, B, x_value, target) - error(W - h, B, x_value, target)) / (2 * h)
    engine = float(w.grad)
    ok = math.isclose(engine, numeric, rel_tol=1e-6, abs_tol=1e-9)
    print(
        f"\nfinite difference: ∂E/∂w ≈ {numeric:.8f}; engine: {engine:.8f}; "
        f"{'agree' if ok else 'DISAGREE'}"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--x", type=float, default=2.0, help="the input (default 2)")
    parser.add_argument("--target", type=float, default=1.0, help="the target t (default 1)")
    parser.add_argument("--lr", type=float, default=0.5, help="η of the update (default 0.5)")
    args = parser.parse_args()
    if not all(map(math.isfinite, (args.x, args.target, args.lr))):
        parser.error("--x, --target and --lr must be finite numbers")
    main(args.x, args.target, args.lr)
