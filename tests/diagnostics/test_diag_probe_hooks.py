"""The diagnostics probe sees what the model computes: a Sequential with forward hooks of
its own is called, not walked layer by layer past them. The truth is each activation's
output as the model's own call gives it, captured by forward hooks on the activations."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.diagnostics import layer_outputs

nn = cr.nn
X = np.linspace(-1, 1, 12).reshape(3, 4)


def _captured(model, activations, x):
    seen = []
    handles = [
        a.register_forward_hook(lambda m, args, out: seen.append(out.data)) for a in activations
    ]
    with cr.no_grad():
        model.eval()
        model(x)
    for h in handles:
        h.remove()
    return seen


@pytest.mark.parametrize("where", ["top", "nested"])
def test_a_hooked_sequential_is_probed_as_it_runs(where):
    cr.manual_seed(0)
    inner = nn.Sequential(nn.Linear(4, 3, dtype="float64"), nn.Tanh())
    model = nn.Sequential(inner, nn.Linear(3, 2, dtype="float64"), nn.Sigmoid())
    target = model if where == "top" else inner
    target.register_forward_pre_hook(lambda m, args: args[0] * 100.0)
    truth = _captured(model, [inner[1], model[2]], X)
    probed = layer_outputs(model, X)
    assert [name for name, _, _ in probed] == ["0.1", "2"]
    for (_, _, got), expected in zip(probed, truth):
        np.testing.assert_array_equal(got, expected)
