"""Review: Module casts, in-place methods and PyTorch's method names, checked
against what they promise."""

from __future__ import annotations

import numpy as np

import chainrule as cr


def test_layernorm_after_double_computes_an_integer_input_in_float64():
    # an integer input is computed "in the layer's dtype": after double() that is float64,
    # as the weight's; the float32 it was built in would round the normalisation
    x = np.array([[1, 2, 100_000_003], [4, 5, 6]], dtype=np.int64)
    layer = cr.nn.LayerNorm(3).double()
    out = layer(cr.tensor(x))
    xf = x.astype(np.float64)  # the normalisation worked in NumPy (weight 1, bias 0)
    mean = xf.mean(axis=1, keepdims=True)
    var = ((xf - mean) ** 2).mean(axis=1, keepdims=True)
    expected = (xf - mean) / np.sqrt(var + 1e-5)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


def test_copy_of_a_broadcast_row_keeps_a_c_contiguous_array():
    # PyTorch's copy_ writes into the tensor's own (contiguous) memory; NumPy's astype of
    # a broadcast row keeps its strides' order (column-major here), which costs the
    # optimizer its work-array path for a large parameter (a temporary per step)
    p = cr.nn.Parameter(np.zeros((3, 4), np.float32))
    with cr.no_grad():
        p.copy_(np.arange(4.0))
    assert p.data.flags.c_contiguous
    np.testing.assert_array_equal(p.data, np.broadcast_to(np.arange(4.0), (3, 4)))
    assert p.data.dtype == np.float32
