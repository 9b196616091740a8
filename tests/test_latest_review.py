"""A review of the latest additions: what broke and is fixed.

- ``x.size`` (an int that called gives the shape) survives ``copy.copy`` and
  ``copy.deepcopy``, so a module holding it can be copied;
- ``random_split`` takes NumPy integers and floats as lengths, as PyTorch's does;
- ``has_aux``: the Tensors nested in aux are detached as the value is (JAX's aux is a
  tree of concrete values);
- the diagnostics probe calls a Sequential whose ``forward`` was set on the instance,
  as its own call runs it, rather than walking its layers.

The truths: the tensor's own shape and count, PyTorch's ``random_split`` lengths, the
gradient worked by hand, and the activations captured by forward hooks in the model's
own call.
"""

import copy

import pytest

import chainrule as cr

nn = cr.nn


# ----- x.size copied ---------------------------------------------------------------------
@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy])
def test_size_is_copied_with_its_shape(how):
    x = cr.ones((2, 3))
    n = how(x.size)
    assert n == 6
    assert n() == (2, 3)
    assert n(-1) == 3


def test_a_module_holding_a_size_is_deep_copied():
    layer = nn.Linear(3, 2)
    layer.count = layer.weight.size
    twin = copy.deepcopy(layer)
    assert twin.count == 6
    assert twin.count() == tuple(layer.weight.shape)
