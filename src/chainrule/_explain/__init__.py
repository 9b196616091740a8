"""explain: show the backward pass the engine really ran, the way the tutorials draw it.

``explain(loss)`` runs backward once with the engine's ``record`` callback and returns a
`Trace`: every node with its forward values, upstream gradient, local gradient and
downstream gradient, as a table, a hand-calculation transcript or an annotated graph.
"""

from ._dot import GraphvizNotFoundError
from ._examples import add_mul, apple, seed_network, sigmoid_graph, softmax_with_loss
from ._record import explain
from ._trace import Edge, Step, Trace, Value

__all__ = [
    "Edge",
    "GraphvizNotFoundError",
    "Step",
    "Trace",
    "Value",
    "add_mul",
    "apple",
    "explain",
    "seed_network",
    "sigmoid_graph",
    "softmax_with_loss",
]
