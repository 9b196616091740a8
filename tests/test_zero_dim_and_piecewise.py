"""fmod's gradient under ``create_graph``: its gradient in the divisor, −trunc(x/y), stays
in the graph (its own gradient is 0), as PyTorch's does.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

# ----- fmod's gradient under create_graph ----------------------------------------------------
A = np.array([5.3, -7.2, 2.5, 0.4])
B = np.array([2.0, 3.0, -1.5, -0.3])


def test_fmods_gradient_in_the_divisor_stays_in_the_graph():
    a = cr.tensor(A, requires_grad=True)
    b = cr.tensor(B, requires_grad=True)
    (gb,) = cr.autograd.grad(cr.fmod(a, b).sum(), b, create_graph=True)
    np.testing.assert_array_equal(gb.data, -np.trunc(A / B))  # [-2, 2, 1, 1]
    h = 1e-6  # and finite differences, away from the jumps
    numeric = (np.fmod(A, B + h) - np.fmod(A, B - h)) / (2 * h)
    np.testing.assert_allclose(gb.data, numeric, rtol=1e-6)
    assert gb.requires_grad
    for g in cr.autograd.grad((gb * gb).sum(), [a, b]):  # constant between the jumps
        np.testing.assert_array_equal(g.data, 0.0)


def test_fmods_second_gradient_matches_pytorch():
    torch = pytest.importorskip("torch")
    a, b = (cr.tensor(v, requires_grad=True) for v in (A, B))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (A, B))
    (gb,) = cr.autograd.grad(cr.fmod(a, b).sum(), b, create_graph=True)
    (tgb,) = torch.autograd.grad(torch.fmod(ta, tb).sum(), tb, create_graph=True)
    assert gb.requires_grad is tgb.requires_grad is True
    np.testing.assert_array_equal(gb.data, tgb.detach().numpy())
    ours = cr.autograd.grad(gb.sum(), [a, b])
    theirs = torch.autograd.grad(tgb.sum(), [ta, tb])
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.data, t.numpy())
