"""engine_overhead: the engine's cost per op, where NumPy's own work is negligible.

Two graphs of 0-d float64 tensors, built and differentiated (forward + backward):

- a scalar chain of 100,000 ops, y = ((x·a + b)·a + b)..., the deepest graph;
- a wide graph of 10,000 nodes: x feeds 5,000 products x·aᵢ (so 5,000 gradients are
  accumulated into x), summed by a balanced tree of additions.

Against the same work on plain Python floats (forward values, then the chain rule back).
The chainrule figures run with Python's cyclic garbage collector on, as users run it; the
"GC paused" column repeats them with it off, to show what the collector costs when a
graph of 10⁵ objects is alive (a diagnostic: the library never touches the collector).
"""

from __future__ import annotations

import gc
import statistics
import time

import chainrule as cr

COLUMNS = [
    "graph",
    "ops",
    "cr fwd µs/op",
    "cr bwd µs/op",
    "cr µs/op",
    "cr µs/op, GC paused",
    "Python µs/op",
    "cr/Python",
]


# ----- the chain ------------------------------------------------------------------------------
def chainrule_chain(n: int) -> tuple[float, float]:
    """Seconds for forward and for backward of the chain."""
    x = cr.tensor(0.5, dtype="float64", requires_grad=True)
    start = time.perf_counter()
    y = x
    for i in range(n):
        y = y * 1.0000001 if i % 2 == 0 else y + 1e-9
    mid = time.perf_counter()
    y.backward()
    return mid - start, time.perf_counter() - mid


def python_chain(n: int) -> tuple[float, float]:
    start = time.perf_counter()
    y, locals_ = 0.5, []
    for i in range(n):
        if i % 2 == 0:
            y, local = y * 1.0000001, 1.0000001
        else:
            y, local = y + 1e-9, 1.0
        locals_.append(local)
    mid = time.perf_counter()
    grad = 1.0
    for local in reversed(locals_):
        grad *= local
    return mid - start, time.perf_counter() - mid


# ----- the wide graph --------------------------------------------------------------------------
def chainrule_wide(n: int) -> tuple[float, float]:
    x = cr.tensor(0.5, dtype="float64", requires_grad=True)
    start = time.perf_counter()
    level = [x * (1.0 + i * 1e-6) for i in range(n // 2)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(pairs) * 2 :]
    mid = time.perf_counter()
    level[0].backward()
    return mid - start, time.perf_counter() - mid


def python_wide(n: int) -> tuple[float, float]:
    start = time.perf_counter()
    coefs = [1.0 + i * 1e-6 for i in range(n // 2)]
    level, sizes = [0.5 * a for a in coefs], []
    while len(level) > 1:
        sizes.append(len(level))
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(pairs) * 2 :]
    mid = time.perf_counter()
    grads = [1.0]
    for size in reversed(sizes):  # each sum sends its gradient to both of its inputs
        pairs = size // 2
        below = [0.0] * size
        for i in range(pairs):
            below[2 * i] += grads[i]
            below[2 * i + 1] += grads[i]
        below[2 * pairs :] = grads[pairs:]
        grads = below
    grad_x = 0.0
    for a, g in zip(coefs, grads):
        grad_x += a * g
    return mid - start, time.perf_counter() - mid


# ----- running --------------------------------------------------------------------------------
def _paused_gc(fn):
    def run(n):
        gc.disable()
        try:
            return fn(n)
        finally:
            gc.enable()

    return run


def measure(name: str, size: int, ops: int, fns: dict, rounds: int) -> dict:
    """Median forward and backward microseconds per op of each function, interleaved."""
    samples = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            samples[k].append(fn(size))
            gc.collect()  # start every contender from the same collector state
    us = {
        k: {
            "forward": statistics.median(f for f, _ in s) / ops * 1e6,
            "backward": statistics.median(b for _, b in s) / ops * 1e6,
            "total": statistics.median(f + b for f, b in s) / ops * 1e6,
        }
        for k, s in samples.items()
    }
    return {"graph": name, "ops": ops, "us_per_op": us}


def run(quick: bool = False) -> dict:
    n_chain, n_wide, rounds = (200, 200, 2) if quick else (100_000, 10_000, 5)
    cases = [  # (name, size, number of ops, chainrule, Python)
        ("scalar chain", n_chain, n_chain, chainrule_chain, python_chain),
        ("wide graph", n_wide, 2 * (n_wide // 2) - 1, chainrule_wide, python_wide),
    ]
    results, rows = [], []
    for name, size, ops, cr_fn, py_fn in cases:
        fns = {"chainrule": cr_fn, "chainrule, GC paused": _paused_gc(cr_fn), "python": py_fn}
        r = measure(name, size, ops, fns, rounds)
        results.append(r)
        us = r["us_per_op"]
        total = us["chainrule"]["total"]
        rows.append(
            [
                name,
                ops,
                us["chainrule"]["forward"],
                us["chainrule"]["backward"],
                total,
                us["chainrule, GC paused"]["total"],
                us["python"]["total"],
                total / us["python"]["total"],
            ]
        )
    return {
        "title": "engine overhead: forward + backward of 0-d float64 graphs",
        "columns": COLUMNS,
        "rows": rows,
        "notes": [
            "wide graph: x feeds n/2 products x·aᵢ, summed by a balanced tree of n/2 − 1 adds",
            f"medians of {rounds} interleaved runs; cyclic GC on except in the 'GC paused' column",
        ],
        "results": results,
    }
