"""``chainrule demo``: the tutorials' small graphs, forward values and gradients."""

from __future__ import annotations

import numpy as np

from ._tensor import tensor


def _apple_graph() -> None:
    apple = tensor(100.0, dtype="float64", requires_grad=True, name="apple")
    count = tensor(2.0, dtype="float64", requires_grad=True, name="count")
    tax = tensor(1.1, dtype="float64", requires_grad=True, name="tax")
    price = apple * count * tax
    price.backward()
    print("apple-shopping graph: price = apple × count × tax")
    values = " × ".join(f"{t.item():g}" for t in (apple, count, tax))
    print(f"  forward:  price = {values} = {price.item():.1f}")
    for t in (apple, count, tax):
        print(f"  backward: ∂price/∂{t.name:<5} = {t.grad.item():.1f}")


def _neuron() -> None:
    x = tensor([0.1, 0.2], dtype="float64", name="x")
    w = tensor([0.3, 0.25], dtype="float64", requires_grad=True, name="w")
    target = 0.4
    out = (x @ w).sigmoid()
    loss = 0.5 * (target - out) ** 2
    loss.backward()
    print("\none sigmoid neuron: out = σ(x·w), E = ½(target − out)²")
    print(f"  forward:  out = {out.item():.8f}, E = {loss.item():.8f}")
    print(f"  backward: ∂E/∂w = {np.array2string(w.grad, precision=8)}")


def run() -> None:
    """Print the demo."""
    _apple_graph()
    _neuron()
