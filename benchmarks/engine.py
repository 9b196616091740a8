"""Engine benchmarks: a long scalar chain and a small MLP training step.

    python benchmarks/engine.py            # full size
    python benchmarks/engine.py --quick    # tiny sizes (the test suite runs this)

Alternatives are interleaved (A B A B ...) in one run and compared by the ratio of their
medians, because the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import statistics
import time

import numpy as np

import chainrule as cr


def _median_times(contenders: dict, repeats: int) -> dict[str, float]:
    """Time each zero-argument callable ``repeats`` times, interleaved; return medians."""
    samples = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


def chain_contenders(n: int) -> dict:
    """Forward + backward of y = ((x·a + b)·a + b)...: chainrule against plain floats."""

    def chainrule_chain():
        x = cr.tensor(0.5, dtype="float64", requires_grad=True)
        y = x
        for i in range(n):
            y = y * 1.0000001 if i % 2 == 0 else y + 1e-9
        y.backward()

    def python_floats():  # the same work by hand: forward values, then the chain rule back
        y, locals_ = 0.5, []
        for i in range(n):
            if i % 2 == 0:
                y, local = y * 1.0000001, 1.0000001
            else:
                y, local = y + 1e-9, 1.0
            locals_.append(local)
        grad = 1.0
        for local in reversed(locals_):
            grad *= local

    return {"chainrule": chainrule_chain, "python floats": python_floats}


def mlp_contenders(batch: int, sizes=(784, 256, 256, 10)) -> dict:
    """One SGD step of an MLP (ReLU, softmax cross-entropy), float32: chainrule vs NumPy."""
    rng = np.random.default_rng(0)
    shapes = list(itertools.pairwise(sizes))
    weights = [(rng.standard_normal(s) * np.sqrt(2 / s[0])).astype(np.float32) for s in shapes]
    biases = [np.zeros(s[1], np.float32) for s in shapes]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    labels = rng.integers(0, sizes[-1], batch)
    onehot = np.eye(sizes[-1], dtype=np.float32)[labels]
    params = [
        cr.tensor(a.copy(), requires_grad=True) for pair in zip(weights, biases) for a in pair
    ]
    np_params = [a.copy() for pair in zip(weights, biases) for a in pair]
    lr = np.float32(0.01)

    def chainrule_step():
        h = cr.tensor(x)
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        loss = -(h.log_softmax(axis=1) * onehot).sum() / batch
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            p.data -= lr * p.grad

    def numpy_step():
        acts, masks, h = [x], [], x
        for i in range(0, len(np_params), 2):
            h = h @ np_params[i] + np_params[i + 1]
            if i + 2 < len(np_params):
                masks.append(h > 0)
                h = h * masks[-1]
                acts.append(h)
        e = np.exp(h - h.max(axis=1, keepdims=True))
        g = (e / e.sum(axis=1, keepdims=True) - onehot) / batch
        for i in range(len(np_params) - 2, -1, -2):
            gw, gb = acts[i // 2].T @ g, g.sum(axis=0)
            if i:
                g = (g @ np_params[i].T) * masks[i // 2 - 1]
            np_params[i] -= lr * gw
            np_params[i + 1] -= lr * gb

    return {"chainrule": chainrule_step, "hand-written NumPy": numpy_step}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the smoke test")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    n_chain, repeats, batches = (200, 3, (4,)) if args.quick else (100_000, 7, (32, 128, 512))
    results = {"machine": f"{platform.machine()} {platform.processor()}".strip(), "runs": []}
    times = _median_times(chain_contenders(n_chain), repeats)
    results["runs"].append({"case": f"scalar chain, {n_chain} ops", "median_s": times})
    print(f"scalar chain of {n_chain} ops, forward + backward (medians of {repeats})")
    per_op = times["chainrule"] / n_chain * 1e6
    print(f"  chainrule {times['chainrule'] * 1e3:9.2f} ms  ({per_op:.2f} µs per op)")
    ratio = times["chainrule"] / times["python floats"]
    print(f"  python    {times['python floats'] * 1e3:9.2f} ms  ratio {ratio:.1f}")
    for batch in batches:
        times = _median_times(mlp_contenders(batch), repeats * (10 if not args.quick else 1))
        results["runs"].append({"case": f"MLP step, batch {batch}", "median_s": times})
        ratio = times["chainrule"] / times["hand-written NumPy"]
        print(
            f"MLP 784-256-256-10 SGD step, batch {batch}: chainrule "
            f"{times['chainrule'] * 1e3:.3f} ms, NumPy {times['hand-written NumPy'] * 1e3:.3f} ms, "
            f"ratio {ratio:.2f}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
