"""Arrays written in place every step start on a 64-byte boundary: parameters, optimizer
state and work arrays (`chainrule._aligned`; why: docs/performance.md)."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule._aligned import aligned_copy, aligned_empty, aligned_full_like


def _on_boundary(a: np.ndarray) -> bool:
    return a.ctypes.data % 64 == 0


SHAPES = [(), (1,), (3,), (7, 5), (784, 256), (2, 3, 4), (0,), (4, 0)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_aligned_empty_has_the_shape_dtype_and_boundary(shape, dtype):
    a = aligned_empty(shape, dtype)
    assert a.shape == shape
    assert a.dtype == np.dtype(dtype)
    assert a.flags.c_contiguous
    assert a.flags.writeable
    assert a.size == 0 or _on_boundary(a)
    a[...] = 1  # the whole array is usable memory
    assert a.size == 0 or a.sum() == a.size


def test_aligned_copy_equals_astype_for_any_layout_and_dtype():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 9))
    for a in (x, x.T, x[::2, 1::3], x.astype(np.float32), np.arange(12).reshape(3, 4)):
        for dtype in (None, np.float32, np.float64):
            got = aligned_copy(a, dtype)
            want = a.astype(a.dtype if dtype is None else dtype)
            assert got.dtype == want.dtype
            assert _on_boundary(got)
            assert got.flags.c_contiguous
            np.testing.assert_array_equal(got, want)
            assert not np.shares_memory(got, a)


def test_aligned_full_like():
    w = np.ones((5, 3), np.float32)
    z = aligned_full_like(w, 0.25)
    assert z.dtype == np.float32
    assert z.shape == (5, 3)
    assert _on_boundary(z)
    np.testing.assert_array_equal(z, np.full((5, 3), 0.25, np.float32))


@pytest.mark.parametrize("shape", [(3,), (10, 7), (784, 256), (2, 3, 5)])
def test_a_parameter_holds_an_aligned_copy(shape):
    source = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    for start in (source, source[..., :], np.asfortranarray(source)):
        p = cr.nn.Parameter(start)
        assert _on_boundary(p.data)
        assert p.data.flags.c_contiguous
        np.testing.assert_array_equal(p.data, source)
        p.data += 1  # an update in place changes the parameter, never its source
        np.testing.assert_array_equal(start, source)


def test_layers_and_casts_keep_parameters_aligned():
    model = cr.nn.Sequential(cr.nn.Linear(13, 37), cr.nn.ReLU(), cr.nn.Linear(37, 3))
    assert all(_on_boundary(p.data) for p in model.parameters())
    model.double()
    assert all(p.data.dtype == np.float64 and _on_boundary(p.data) for p in model.parameters())


OPTIMIZERS = [
    lambda ps: cr.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: cr.optim.Adam(ps, lr=0.1, amsgrad=True),
    lambda ps: cr.optim.AdamW(ps, lr=0.1),
    lambda ps: cr.optim.AdaGrad(ps, lr=0.1, initial_accumulator_value=0.5),
    lambda ps: cr.optim.RMSProp(ps, lr=0.1, momentum=0.5, centered=True),
    lambda ps: cr.optim.Adadelta(ps),
    lambda ps: cr.optim.Rprop(ps),
    lambda ps: cr.optim.ASGD(ps),
    lambda ps: cr.optim.NAdam(ps),
]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_optimizer_state_and_work_arrays_are_aligned_and_survive_a_reload(make):
    model = cr.nn.Linear(300, 300)  # larger than the SGD block: the blocked path too
    opt = make(list(model.parameters()))
    model(np.ones((2, 300), np.float32)).sum().backward()
    opt.step()
    arrays = [v for entry in opt.state.values() for v in entry.values() if hasattr(v, "ctypes")]
    assert arrays
    assert all(_on_boundary(a) for a in arrays)
    assert all(_on_boundary(b) for b in opt._buffers.values())
    again = make(list(model.parameters()))
    again.load_state_dict(opt.state_dict())
    loaded = [v for entry in again.state.values() for v in entry.values() if hasattr(v, "ctypes")]
    assert len(loaded) == len(arrays)
    assert all(_on_boundary(a) for a in loaded)


def test_copies_and_serialized_parameters_are_aligned_and_exact():
    """A deep copy (an EMA model, a Transformer's stacked layers) and an unpickled model get
    parameters on the boundary, with the same values, and tied weights stay tied."""
    import copy
    import pickle

    model = cr.nn.Sequential(cr.nn.Linear(13, 13), cr.nn.Linear(13, 13))
    model[0].weight = model[1].weight  # tied: one Parameter in two places
    model[1].bias.data = np.random.default_rng(2).standard_normal(13)  # set by hand, float64
    model[1].weight.data = np.asfortranarray(model[1].weight.data)  # set by hand, any layout
    for again in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert again[0].weight is again[1].weight
        for p, q in zip(model.parameters(), again.parameters()):
            assert _on_boundary(q.data)
            assert q.data.dtype == p.data.dtype
            np.testing.assert_array_equal(q.data, p.data)
            assert not np.shares_memory(q.data, p.data)
    layer = cr.nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0)
    stack = cr.nn.TransformerEncoder(layer, num_layers=2)  # its layers are deep copies
    assert all(_on_boundary(p.data) for p in stack.parameters())


def test_a_plain_tensor_s_deep_copy_keeps_its_layout():
    """Only Parameters are realigned: a Tensor's copy keeps NumPy's copy (its order)."""
    import copy

    t = cr.Tensor(np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    assert copy.deepcopy(t).data.flags.f_contiguous
