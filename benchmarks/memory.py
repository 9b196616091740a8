"""memory: peak memory of training, chainrule against hand-written NumPy, and proof that the
graph's saved activations are released by backward.

Measured with `tracemalloc`, which sees NumPy's array buffers as well as Python objects.
Tracing starts before the contender is built, so its parameters, gradients, optimizer
state and every temporary count; the data set and the batches exist before and do not.
PyTorch allocates outside Python's allocator, so it has no column here.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import chainrule as cr
from chainrule._config import Config
from chainrule._run_setup import load_splits

from . import digits, mlp

COLUMNS = ["case", "chainrule KiB", "NumPy KiB", "cr/NumPy"]


def peak_of(build, run, warmup: int = 2) -> int:
    """Peak traced bytes while ``run(state)`` runs once, after ``warmup`` runs; tracing
    covers ``build()`` too, so everything the contender keeps is counted."""
    gc.collect()
    tracemalloc.start()
    try:
        state = build()
        for _ in range(warmup):
            run(state)
        gc.collect()
        tracemalloc.reset_peak()
        run(state)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ----- one MLP step ---------------------------------------------------------------------------
def mlp_step(batch: int) -> dict:
    p = mlp.problem(batch, n_batches=1)
    x, y = p.batches[0]
    cr_peak = peak_of(lambda: mlp.chainrule_step(p), lambda step: step(x, y))
    np_peak = peak_of(lambda: mlp.numpy_step(p), lambda step: step(x, y))
    return {"chainrule": cr_peak, "numpy": np_peak}


# ----- one epoch on digits --------------------------------------------------------------------
def digits_epoch() -> dict:
    # loaded before tracing: the data set is not the contenders', and its first loading
    # imports modules whose memory would be charged to whichever contender came first
    splits = load_splits(Config())

    def chainrule_build():
        cfg, _splits, model, loader = digits.setup(splits=splits)
        opt = cr.optim.Adam(model.parameters(), lr=cfg.lr)
        return model, opt, loader

    def chainrule_run(state):
        model, opt, loader = state
        loss_fn = cr.nn.SoftmaxCrossEntropy()
        cr.fit(model, loss_fn, opt, loader, epochs=1, progress=False)

    def numpy_build():  # the chainrule model only lends its initial weights
        cfg, _splits, model, loader = digits.setup(splits=splits)
        return digits.numpy_state(model), loader, cfg.lr

    def numpy_run(state):
        adam, loader, lr = state
        digits.numpy_epoch(loader, lr, adam)

    return {
        "chainrule": peak_of(chainrule_build, chainrule_run, warmup=1),
        "numpy": peak_of(numpy_build, numpy_run, warmup=1),
    }


# ----- release after backward -----------------------------------------------------------------
def release(batch: int) -> dict:
    """Bytes held after forward and after backward, while the caller still holds the loss
    and the logits (as a training loop does), and how many saved arrays outlive backward."""
    p = mlp.problem(batch, n_batches=1)
    x, y = p.batches[0]
    model = mlp.chainrule_model(p)
    loss_fn = cr.nn.SoftmaxCrossEntropy()
    held = {id(t.data) for t in model.parameters()} | {id(x), id(y)}
    out = {}
    for retain in (False, True):
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            logits = model(x)
            loss = loss_fn(logits, y)
            saved = _saved_arrays(loss, held | {id(logits.data)})
            after_forward = tracemalloc.get_traced_memory()[0] - base
            loss.backward(retain_graph=retain)
            grads = sum(t.grad.nbytes for t in model.parameters())
            after_backward = tracemalloc.get_traced_memory()[0] - base - grads
        finally:
            tracemalloc.stop()
        key = "retain_graph" if retain else "default"
        out[key] = {
            "graph_bytes_after_forward": after_forward,
            "bytes_after_backward_besides_grads": after_backward,
            "saved_arrays": len(saved),
            "saved_arrays_alive_after_backward": sum(r() is not None for r in saved),
        }
        model.zero_grad()
        del logits, loss
    return out


def _saved_arrays(root, exclude: set) -> list:
    """Weak references to the arrays the graph's nodes saved for backward, except those
    the caller holds anyway (parameters, the batch, the logits)."""
    refs, seen, stack = {}, set(), [root]
    while stack:
        node = stack.pop()._node
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for a in node.saved or ():
            if hasattr(a, "nbytes") and id(a) not in exclude and a.base is None:
                refs[id(a)] = weakref.ref(a)
        stack.extend(node.inputs)
    return list(refs.values())


def run(quick: bool = False) -> dict:
    batch = 8 if quick else 512
    step = mlp_step(batch)
    rows = [[f"MLP step, batch {batch}", *_kib(step)]]
    epoch = digits_epoch()  # small enough for the quick run too
    rows.append(["one epoch, default digits run", *_kib(epoch)])
    freed = release(batch)
    d, r = freed["default"], freed["retain_graph"]
    notes = [
        "peak traced memory while the contender runs (its parameters, gradients and "
        "optimizer state included; the data excluded)",
        f"release after backward (batch {batch}, logits and loss still referenced): the graph "
        f"held {d['graph_bytes_after_forward'] / 1024:.0f} KiB after forward; after backward "
        f"{d['bytes_after_backward_besides_grads'] / 1024:.1f} KiB besides the gradients remain "
        f"and {d['saved_arrays_alive_after_backward']} of {d['saved_arrays']} saved arrays are "
        f"alive (with retain_graph=True: {r['bytes_after_backward_besides_grads'] / 1024:.0f} "
        f"KiB, {r['saved_arrays_alive_after_backward']} alive)",
    ]
    return {
        "title": "memory: peak traced memory (tracemalloc)",
        "columns": COLUMNS,
        "rows": rows,
        "notes": notes,
        "mlp_step": step,
        "digits_epoch": epoch,
        "release": freed,
    }


def _kib(peaks: dict) -> list:
    return [peaks["chainrule"] / 1024, peaks["numpy"] / 1024, peaks["chainrule"] / peaks["numpy"]]
