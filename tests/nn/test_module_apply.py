"""`Module.apply(fn)`: PyTorch's way of visiting every module, e.g. to initialise layers."""

import numpy as np
import pytest

import chainrule as cr

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


class Block(cr.nn.Module):
    def __init__(self):
        self.inner = cr.nn.Sequential(cr.nn.Linear(2, 3), cr.nn.Tanh())
        self.out = cr.nn.Linear(3, 2)

    def forward(self, x):
        return self.out(self.inner(x))


def _model():
    return cr.nn.Sequential(cr.nn.Linear(2, 2), Block(), cr.nn.ReLU())


def test_children_before_their_parent_and_returns_self():
    model = _model()
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    # hand-worked post-order of the tree Sequential(Linear, Block(Sequential(Linear,
    # Tanh), Linear), ReLU)
    assert seen == [
        "Linear",
        "Linear",
        "Tanh",
        "Sequential",
        "Linear",
        "Block",
        "ReLU",
        "Sequential",
    ]


@needs_torch
def test_the_order_is_pytorchs():
    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh())
            self.out = torch.nn.Linear(3, 2)

    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2), TorchBlock(), torch.nn.ReLU())
    names = {TorchBlock: "Block"}
    expected = []
    theirs.apply(lambda m: expected.append(names.get(type(m), type(m).__name__)))
    ours = []
    _model().apply(lambda m: ours.append(type(m).__name__))
    assert ours == expected


def test_initialising_every_linear_layer():
    model = _model()

    def init(m):
        if isinstance(m, cr.nn.Linear):
            cr.nn.init.constant_(m.weight, 0.5)
            cr.nn.init.zeros_(m.bias)

    model.apply(init)
    linears = [m for m in model.modules() if isinstance(m, cr.nn.Linear)]
    assert len(linears) == 3
    for m in linears:
        assert np.all(m.weight.data == 0.5)
        assert np.all(m.bias.data == 0)


def test_a_shared_module_is_visited_once():
    shared = cr.nn.Linear(2, 2)
    model = cr.nn.Sequential(shared, cr.nn.Sequential(shared, cr.nn.ReLU()), shared)
    visits = []
    model.apply(lambda m: visits.append(m))
    assert sum(m is shared for m in visits) == 1
    assert visits[-1] is model
    assert len(visits) == 4  # shared, ReLU, the inner Sequential, the outer one


def test_a_deep_chain_needs_no_recursion():
    model = cr.nn.Identity()
    for _ in range(3000):  # deeper than Python's default recursion limit
        model = cr.nn.Sequential(model)
    count = []
    model.apply(lambda m: count.append(1))
    assert len(count) == 3001


def test_not_callable_is_a_type_error():
    with pytest.raises(TypeError, match="apply: expected a callable, got str"):
        _model().apply("xavier")
