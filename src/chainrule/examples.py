"""The tutorials' worked examples as graphs ready for ``cr.explain``.

    trace = cr.explain(cr.examples.seed_network())
    print(trace.transcript(of="W5", lr=0.5))

Each function returns the graph's output tensor (float64, every tensor named); the
``chainrule explain --example NAME`` command prints the same with its transcripts.
"""

from ._explain._examples import (
    SEED_LR,
    SEED_WEIGHTS,
    add_mul,
    apple,
    seed_network,
    sigmoid_graph,
    softmax_with_loss,
)

__all__ = [
    "SEED_LR",
    "SEED_WEIGHTS",
    "add_mul",
    "apple",
    "seed_network",
    "sigmoid_graph",
    "softmax_with_loss",
]
