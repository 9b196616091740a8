"""nn.utils.parameters_to_vector and vector_to_parameters, as PyTorch's."""

import numpy as np
import pytest

import chainrule as cr


def _model():
    cr.manual_seed(0)
    return cr.nn.Sequential(
        cr.nn.Linear(3, 2, dtype="float64"), cr.nn.Tanh(), cr.nn.Linear(2, 1, dtype="float64")
    )


def test_the_vector_is_the_flattened_parameters_in_order_and_differentiable():
    model = _model()
    params = list(model.parameters())
    v = cr.nn.utils.parameters_to_vector(model.parameters())
    np.testing.assert_array_equal(v.data, np.concatenate([p.data.ravel() for p in params]))
    (v * np.arange(v.shape[0])).sum().backward()  # d/dp of Σ i·vᵢ: each value's position
    start = 0
    for p in params:
        expected = np.arange(start, start + p.data.size).reshape(p.shape)
        np.testing.assert_array_equal(p.grad, expected)
        start += p.data.size


def test_vector_to_parameters_writes_each_parameters_own_array_back():
    model = _model()
    params = list(model.parameters())
    arrays = [p.data for p in params]
    total = sum(a.size for a in arrays)
    cr.nn.utils.vector_to_parameters(cr.tensor(np.arange(total, dtype=np.float64)), params)
    start = 0
    for p, a in zip(params, arrays):
        assert p.data is a  # written into, as load_state_dict writes
        np.testing.assert_array_equal(a, np.arange(start, start + a.size).reshape(a.shape))
        start += a.size
    round_trip = cr.nn.utils.parameters_to_vector(params)
    np.testing.assert_array_equal(round_trip.data, np.arange(total))


def test_bad_arguments_are_named():
    params = list(_model().parameters())
    with pytest.raises(TypeError, match="vector_to_parameters: expected a Tensor"):
        cr.nn.utils.vector_to_parameters(np.zeros(11), params)
    with pytest.raises(ValueError, match=r"shape \(10,\) for parameters of 11 values"):
        cr.nn.utils.vector_to_parameters(cr.tensor(np.zeros(10)), params)
    with pytest.raises(TypeError, match="parameters_to_vector: element 1 is a ndarray"):
        cr.nn.utils.parameters_to_vector([params[0], np.zeros(2)])


def test_they_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    model = _model()
    theirs = [torch.tensor(p.data) for p in model.parameters()]
    ours = cr.nn.utils.parameters_to_vector(model.parameters())
    expected = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(ours.data, expected.numpy())
    new = np.linspace(-1, 1, ours.shape[0])
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    cr.nn.utils.vector_to_parameters(cr.tensor(new), model.parameters())
    for p, t in zip(model.parameters(), theirs):
        np.testing.assert_array_equal(p.data, t.numpy())
