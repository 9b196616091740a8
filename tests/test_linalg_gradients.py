"""cr.linalg gradients against finite differences (cr.gradcheck, float64, batched,
well-conditioned inputs), second order included. Eigenvectors and singular vectors are
defined up to sign, so their losses do not depend on it (|v|² weighted, reconstructions)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import linalg as L

RNG = np.random.default_rng(11)
W3 = RNG.normal(size=(2, 3, 3))  # fixed weights for the sign-free losses


def well(*shape):
    return RNG.normal(size=shape) + shape[-1] * np.eye(shape[-1])


def sym(x):
    return x + x.swapaxes(-1, -2)


def spd(x):
    return x @ x.swapaxes(-1, -2) + x.shape[-1] * np.eye(x.shape[-1])


def check(f, *inputs, second=True):
    assert cr.gradcheck(f, list(inputs), check_second_order=second)


CASES = {
    "inv": (L.inv, (well(2, 3, 3),)),
    "det": (L.det, (well(2, 3, 3),)),
    "logabsdet": (lambda a: L.slogdet(a).logabsdet, (-well(2, 3, 3),)),
    "solve": (L.solve, (well(2, 3, 3), RNG.normal(size=(3, 2)))),
    "solve_vector": (L.solve, (well(2, 3, 3), RNG.normal(size=(2, 3)))),
    "cholesky": (lambda x: L.cholesky(spd(x)), (RNG.normal(size=(2, 3, 3)),)),
    "eigvalsh": (lambda x: L.eigvalsh(sym(x)), (RNG.normal(size=(2, 3, 3)),)),
    "eigh": (
        lambda x: (lambda w, v: ((v * v) * W3).sum((-2, -1))[..., None] + w)(*L.eigh(sym(x))),
        (RNG.normal(size=(2, 3, 3)),),
    ),
    "eigh_projector": (  # V·diag(λ²)·Vᵀ: independent of each eigenvector's sign
        lambda x: (lambda w, v: (v * w[..., None, :] ** 2) @ v.swapaxes(-1, -2))(*L.eigh(sym(x))),
        (RNG.normal(size=(2, 3, 3)),),
    ),
    "svdvals": (L.svdvals, (RNG.normal(size=(2, 4, 3)),)),
    "pinv_tall": (L.pinv, (RNG.normal(size=(2, 4, 3)),)),
    "pinv_wide": (L.pinv, (RNG.normal(size=(3, 4)),)),
    "matrix_power": (lambda a: L.matrix_power(a, 3), (RNG.normal(size=(2, 3, 3)),)),
    "matrix_power_negative": (lambda a: L.matrix_power(a, -2), (well(2, 3, 3),)),
    "multi_dot": (
        lambda *m: L.multi_dot(m),
        tuple(RNG.normal(size=s) for s in [(3,), (3, 4), (4, 2), (2, 5)]),
    ),
    "cross": (lambda a, b: L.cross(a, b), (RNG.normal(size=(2, 3)), RNG.normal(size=(3,)))),
    "diagonal": (lambda a: L.diagonal(a, offset=1, dim1=0), (RNG.normal(size=(3, 4, 2)),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_and_second_order_match_finite_differences(name):
    f, inputs = CASES[name]
    check(f, *inputs)


@pytest.mark.parametrize("shape", [(2, 3, 3), (2, 4, 3), (2, 3, 4)])
def test_svd_gradients_through_all_parts(shape):
    m, n = shape[-2:]
    k = min(m, n)
    wu, wv = RNG.normal(size=(m, k)), RNG.normal(size=(k, n))

    def loss(x):
        u, s, vh = L.svd(x, full_matrices=False)
        rebuilt = (u * s[..., None, :]) @ vh
        signless = (u * u * wu).sum((-2, -1)) + (vh**4 * wv).sum((-2, -1)) + s.sum(-1)
        return rebuilt * 2 + signless[..., None, None]

    check(loss, RNG.normal(size=shape))


def test_square_full_svd_and_full_svd_through_s():
    def rebuilt(x):
        u, s, vh = L.svd(x)
        return (u * s[..., None, :]) @ vh

    check(rebuilt, RNG.normal(size=(3, 3)))
    check(lambda x: L.svd(x, full_matrices=True).S, RNG.normal(size=(4, 2)))


def test_qr_gradients_of_tall_and_square_matrices():
    weights = RNG.normal(size=(4, 3))

    def loss(x):
        q, r = L.qr(x)
        return (q * weights[: x.shape[-2], : q.shape[-1]]).sum() + (r**2).sum()

    check(loss, RNG.normal(size=(2, 4, 3)))
    check(loss, RNG.normal(size=(3, 3)))


@pytest.mark.parametrize("ord", [2, 1, math.inf, -math.inf, 3, 0])
def test_vector_norm_gradients(ord):
    x = RNG.normal(size=(2, 3))
    check(lambda t: L.vector_norm(t, ord, -1), x, second=ord not in (math.inf, -math.inf))


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf])
def test_matrix_norm_gradients(ord):
    x = RNG.normal(size=(2, 3, 4))
    check(lambda t: L.matrix_norm(t, ord, (0, 2), keepdim=True), x)


def test_float32_gradients_keep_the_dtype_and_are_close_to_float64():
    a = well(2, 3, 3)
    grads = {}
    for dtype in (np.float32, np.float64):
        t = cr.tensor(a.astype(dtype), requires_grad=True)
        (L.inv(t).sum() + L.det(t).sum() + L.eigvalsh(t + t.swapaxes(-1, -2)).sum()).backward()
        assert t.grad.dtype == dtype
        grads[dtype] = t.grad
    np.testing.assert_allclose(grads[np.float32], grads[np.float64], rtol=1e-3, atol=1e-4)


def test_eigh_gradient_of_repeated_eigenvalues_through_eigenvectors_is_not_finite():
    # documented: the eigenvectors of a repeated eigenvalue are not unique
    a = cr.tensor(np.eye(3), requires_grad=True)
    _, v = L.eigh(a)
    (v * cr.tensor(RNG.normal(size=(3, 3)))).sum().backward()
    assert not np.all(np.isfinite(a.grad))


def test_cholesky_gradient_is_the_symmetric_one():
    # PyTorch's convention: on symmetric matrices, the gradient of f(cholesky(A)) is that of
    # f(cholesky((A + Aᵀ)/2)), which finite differences give (and which is symmetric)
    s = spd(RNG.normal(size=(3, 3)))
    weights = RNG.normal(size=(3, 3))
    a = cr.tensor(s, requires_grad=True)
    (L.cholesky(a) * weights).sum().backward()
    numeric = cr.numerical_grad(lambda t: (L.cholesky((t + t.T) * 0.5) * weights).sum(), [s])
    np.testing.assert_allclose(a.grad, numeric[0], atol=1e-7)
    np.testing.assert_allclose(a.grad, a.grad.T, atol=1e-12)
