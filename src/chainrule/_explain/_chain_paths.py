"""The chain-rule paths from a tensor up to the output, and what the transcripts read off
them: whether they are all single numbers, which input of a node a path takes, where
gradient hooks changed a value, and the SGD update of the tensor."""

from __future__ import annotations

import numpy as np

from .._quiet import silenced
from ._format import fmt
from ._labels import label

#: more paths than this are not written out one by one
MAX_PATHS = 64


def all_paths(trace, start: int) -> tuple[list[list[tuple[int, int]]], bool]:
    """Every path ``[(step, slot), …]`` from ``start`` up to the output (leaf end first),
    and whether all of them fit under MAX_PATHS."""
    done: list[list[tuple[int, int]]] = []
    stack: list[tuple[int, list]] = [(start, [])]
    while stack:
        index, path = stack.pop()
        if index == trace.root:
            done.append(path)
            if len(done) > MAX_PATHS:
                return done[:MAX_PATHS], False
            continue
        # paths in forward order: the consumer computed first comes first
        consumers = sorted(trace.values[index].consumers, key=lambda c: trace.step(c[0]).output)
        for number, slot in reversed(consumers):
            stack.append((trace.step(number).output, [*path, (number, slot)]))
    return done, True


def is_scalar(trace, paths) -> bool:
    """Whether every tensor on the paths is a single number."""
    for path in paths:
        for number, slot in path:
            s = trace.step(number)
            sizes = (trace.values[s.output].data.size, trace.values[s.edge(slot).value].data.size)
            if sizes != (1, 1):
                return False
    return True


def multipliable(trace, paths) -> bool:
    """Whether every edge on the paths has a local gradient of one number to multiply."""
    edges = [trace.step(number).edge(slot) for path in paths for number, slot in path]
    return all(e.local is not None and e.local.size == 1 for e in edges)


def hooked_on(trace, v, paths) -> list[str]:
    """Names of the values from ``v`` up whose gradient hooks changed."""
    indices = {v.index} | {trace.step(n).output for path in paths for n, _ in path}
    return [
        trace.values[i].name for i in sorted(indices) if trace.values[i].before_hooks is not None
    ]


def which_input(trace, edge: tuple) -> str:
    """For a node given one value as several inputs (x·x), which of them the path takes:
    else the two paths would read the same."""
    number, slot = edge
    step = trace.step(number)
    if step.operands.count(step.operands[slot]) < 2:
        return ""
    return label(trace.lang, "tr_input", i=slot + 1)


def sgd_update(trace, v, lr: float) -> dict:
    with silenced():  # inf − inf: NaN, as IEEE (and SGD's step) gives it
        new = v.data - lr * v.grad  # the SGD step w ← w − η·∂E/∂w, in the tensor's dtype
    return {
        "lr": fmt(trace, v, np.asarray(lr)),
        "old": fmt(trace, v),
        "grad": fmt(trace, v, v.grad),
        "new": fmt(trace, v, new),
    }
