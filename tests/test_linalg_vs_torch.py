"""cr.linalg against torch.linalg: values and gradients for a random upstream gradient, on
batched float64 inputs (skipped without PyTorch). Losses through eigenvectors and singular
vectors do not depend on their signs, which LAPACK may choose differently per call."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import linalg as L

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)


def well(*shape):
    return RNG.normal(size=shape) + shape[-1] * np.eye(shape[-1])


def spd(*shape):
    x = RNG.normal(size=shape)
    return x @ x.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])


def sym(*shape):
    x = RNG.normal(size=shape)
    return x + x.swapaxes(-1, -2)


def compare(cr_fn, torch_fn, inputs, sign_free: bool = False):
    """Values and gradients of Σ g·f (or, with ``sign_free``, of Σ g·f² over every output)
    for fixed random g, in chainrule and in PyTorch."""
    ours = [cr.tensor(x, requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    out_c, out_t = cr_fn(*ours), torch_fn(*theirs)
    if not isinstance(out_t, tuple):
        out_c, out_t = (out_c,), (out_t,)
    weights = [RNG.normal(size=tuple(t.shape)) for t in out_t]
    loss_c = loss_t = 0
    for c, t, w in zip(out_c, out_t, weights):
        assert c.shape == tuple(t.shape)
        if not sign_free:
            np.testing.assert_allclose(c.data, t.detach().numpy(), rtol=1e-9, atol=1e-9)
        power = 2 if sign_free else 1
        loss_c = loss_c + (c**power * w).sum()
        loss_t = loss_t + (t**power * torch.tensor(w)).sum()
    loss_c.backward()
    loss_t.backward()
    for c, t in zip(ours, theirs):
        np.testing.assert_allclose(c.grad, t.grad.numpy(), rtol=1e-7, atol=1e-9)


CASES = {
    "inv": (L.inv, torch.linalg.inv, (well(2, 3, 3),)),
    "det": (L.det, torch.linalg.det, (well(2, 3, 3),)),
    "slogdet": (L.slogdet, torch.linalg.slogdet, (-well(2, 3, 3),)),
    "solve": (L.solve, torch.linalg.solve, (well(2, 3, 3), RNG.normal(size=(2, 3, 2)))),
    "solve_vector": (L.solve, torch.linalg.solve, (well(2, 3, 3), RNG.normal(size=(2, 3)))),
    "solve_broadcast": (L.solve, torch.linalg.solve, (well(3, 3), RNG.normal(size=(2, 3, 4)))),
    "cholesky": (L.cholesky, torch.linalg.cholesky, (spd(2, 4, 4),)),
    "eigvalsh": (L.eigvalsh, torch.linalg.eigvalsh, (sym(2, 4, 4),)),
    "svdvals": (L.svdvals, torch.linalg.svdvals, (RNG.normal(size=(2, 4, 3)),)),
    "pinv": (L.pinv, torch.linalg.pinv, (RNG.normal(size=(2, 3, 5)),)),
    "matrix_power": (
        lambda a: L.matrix_power(a, -3),
        lambda a: torch.linalg.matrix_power(a, -3),
        (well(2, 3, 3),),
    ),
    "multi_dot": (
        lambda *m: L.multi_dot(m),
        lambda *m: torch.linalg.multi_dot(m),
        tuple(RNG.normal(size=s) for s in [(3,), (3, 4), (4, 6), (6, 2)]),
    ),
    "cross": (
        lambda a, b: L.cross(a, b, dim=0),
        lambda a, b: torch.linalg.cross(a, b, dim=0),
        (RNG.normal(size=(3, 4)), RNG.normal(size=(3, 1))),
    ),
    "diagonal": (
        lambda a: L.diagonal(a, offset=-1, dim1=2, dim2=0),
        lambda a: torch.linalg.diagonal(a, offset=-1, dim1=2, dim2=0),
        (RNG.normal(size=(4, 2, 3)),),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_pytorch(name):
    ours, theirs, inputs = CASES[name]
    compare(ours, theirs, inputs)


@pytest.mark.parametrize("shape", [(2, 4, 3), (3, 5), (2, 3, 3)])
def test_svd_and_qr_match_pytorch_on_sign_free_losses(shape):
    x = RNG.normal(size=shape)
    compare(
        lambda a: L.svd(a, full_matrices=False), lambda a: torch.linalg.svd(a, False), [x], True
    )
    if shape[-2] >= shape[-1]:
        compare(L.qr, torch.linalg.qr, [x], sign_free=True)


def test_eigh_matches_pytorch_on_a_sign_free_loss():
    compare(L.eigh, torch.linalg.eigh, [sym(2, 4, 4)], sign_free=True)


@pytest.mark.parametrize(
    ("ord", "dim"),
    [
        (None, None),
        (3, -1),
        (math.inf, 0),
        (0.5, 1),
        ("fro", (0, 1)),
        ("nuc", (2, 1)),
        (2, (-2, -1)),
        (-1, (0, 2)),
        (-math.inf, (1, 2)),
    ],
)
def test_norm_matches_pytorch(ord, dim):
    x = RNG.normal(size=(2, 3, 4))
    compare(
        lambda a: L.norm(a, ord, dim, True), lambda a: torch.linalg.norm(a, ord, dim, True), [x]
    )


def _near_rank_deficient(batch):
    """Matrices (batch, 3, 3) with singular values 1, 0.1 and 1e-16."""
    u, _ = np.linalg.qr(RNG.normal(size=(batch, 3, 3)))
    v, _ = np.linalg.qr(RNG.normal(size=(batch, 3, 3)))
    return u @ (np.array([1.0, 0.1, 1e-16])[:, None] * v.swapaxes(-1, -2))


@pytest.mark.parametrize(
    "tolerances",
    [
        {"atol": 0.0},  # not > 0: rtol keeps its default, as PyTorch's
        {"atol": 0.0, "rtol": None},
        {"atol": np.array([0.05, 0.5, 0.0])},  # one per matrix of the batch
        {"rtol": np.array([0.05, 0.5, 1e-8])},
        {"atol": np.array([0.05, 0.0, 0.2]), "rtol": 0.3},
    ],
)
def test_pinv_tolerances_match_pytorch(tolerances):
    x = _near_rank_deficient(3)
    ours = L.pinv(x, **tolerances)
    theirs = torch.linalg.pinv(
        torch.tensor(x),
        **{k: v if v is None else torch.tensor(v) for k, v in tolerances.items()},
    )
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-9, atol=1e-9)


def test_cholesky_and_eigh_of_matrices_not_exactly_symmetric_match_pytorch():
    """Both read the lower triangle; the gradient is PyTorch's symmetric one, not the
    lower-triangular one finite differences of the lower triangle would give."""
    a = spd(2, 4, 4)
    a[..., 0, 3] += 1.0  # the upper triangle differs; it is never read
    compare(L.cholesky, torch.linalg.cholesky, [a])
    compare(L.eigvalsh, torch.linalg.eigvalsh, [a])
    compare(L.eigh, torch.linalg.eigh, [a], sign_free=True)
