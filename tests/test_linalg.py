"""cr.linalg: values against NumPy (np.linalg, written independently here), dtypes, shapes,
a derivative worked by hand, and the errors. Gradients: test_linalg_gradients.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import linalg as L

RNG = np.random.default_rng(7)


def well(*shape, dtype=np.float64):
    """Random square matrices (…, n, n) well away from singular: a normal draw plus n·I."""
    n = shape[-1]
    return (RNG.normal(size=shape) + n * np.eye(n)).astype(dtype)


def spd(*shape, dtype=np.float64):
    """Random symmetric positive-definite matrices: X·Xᵀ + n·I."""
    x = RNG.normal(size=shape)
    return (x @ x.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def close(t, expected, tol=1e-10):
    np.testing.assert_allclose(t.data, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inverse_determinants_and_solve_match_numpy_and_keep_the_dtype(dtype):
    a, b = well(2, 3, 4, 4, dtype=dtype), RNG.normal(size=(3, 4, 2)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    results = {
        "inv": (L.inv(a), np.linalg.inv(a)),
        "det": (L.det(a), np.linalg.det(a)),
        "logabsdet": (L.slogdet(a).logabsdet, np.log(np.abs(np.linalg.det(a)))),
        "solve": (L.solve(a, b), np.linalg.inv(a) @ b),  # B broadcast over the first batch axis
    }
    for name, (got, expected) in results.items():
        assert got.dtype == dtype, name
        assert got.shape == expected.shape, name
        close(got, expected, tol)
    close(L.slogdet(a).sign, np.sign(np.linalg.det(a)))


def test_slogdet_is_a_named_tuple_whose_sign_and_logabsdet_give_det():
    a = np.array([[0.0, 2.0], [3.0, 1.0]])  # det = −6
    out = L.slogdet(a)
    assert out._fields == ("sign", "logabsdet")
    assert out.sign.item() == -1.0
    assert out.logabsdet.item() == pytest.approx(math.log(6))
    assert L.det(a).item() == pytest.approx(-6.0)


def test_det_gradient_of_a_2x2_matrix_is_its_cofactor_matrix():
    # det [[a, b], [c, d]] = ad − bc: ∂/∂a = d, ∂/∂b = −c, ∂/∂c = −b, ∂/∂d = a
    a = cr.tensor([[2.0, 3.0], [5.0, 7.0]], dtype="float64", requires_grad=True)
    L.det(a).backward()
    np.testing.assert_allclose(a.grad, [[7.0, -5.0], [-3.0, 2.0]])


def test_solve_takes_vectors_as_pytorch_does():
    a = well(2, 3, 3)
    b = RNG.normal(size=(2, 3))  # A's shape without the last axis: a batch of vectors
    close(L.solve(a, b), np.einsum("bij,bj->bi", np.linalg.inv(a), b))
    v = RNG.normal(size=3)  # 1-D: one vector for every matrix
    close(L.solve(a, v), np.linalg.inv(a) @ v)
    assert L.solve(a, v).shape == (2, 3)


def test_cholesky_eigh_svd_qr_reconstruct_and_match_numpy():
    a = spd(2, 4, 4)
    low = L.cholesky(a)
    close(low, np.linalg.cholesky(a))
    close(L.cholesky(a, upper=True), np.linalg.cholesky(a).swapaxes(-1, -2))
    w, v = L.eigh(a)
    close(w, np.linalg.eigvalsh(a))
    assert np.all(np.diff(w.data, axis=-1) >= 0)  # ascending
    close(v @ (w[..., None] * v.transpose(0, 2, 1)), a)
    close(L.eigvalsh(a), np.linalg.eigvalsh(a))
    for shape in [(2, 5, 3), (3, 4), (3, 3)]:
        x = RNG.normal(size=shape)
        for full in (True, False):
            u, s, vh = L.svd(x, full_matrices=full)
            ref_u, ref_s, ref_vh = np.linalg.svd(x, full_matrices=full)
            assert (u.shape, s.shape, vh.shape) == (ref_u.shape, ref_s.shape, ref_vh.shape)
            k = s.shape[-1]
            close((u.data[..., :k] * s.data[..., None, :]) @ vh.data[..., :k, :], x)
            close(s, ref_s)
        close(L.svdvals(x), np.linalg.svd(x, compute_uv=False))
        q, r = L.qr(x)
        k = min(x.shape[-2:])
        close(q @ r, x)
        close(q.swapaxes(-1, -2) @ q, np.broadcast_to(np.eye(k), (*q.shape[:-2], k, k)))
        assert np.all(np.tril(r.data, -1) == 0)
        close(abs(r), np.abs(np.linalg.qr(x)[1]))


def test_eigh_reads_the_lower_triangle_only():
    a = spd(3, 3)
    upper_changed = a + np.triu(RNG.normal(size=(3, 3)), 1)
    close(L.eigvalsh(upper_changed), np.linalg.eigvalsh(a))


@pytest.mark.parametrize("ord", [None, 2, 1, -1, math.inf, -math.inf, "fro", "nuc", -2])
def test_matrix_norms_match_numpy(ord):
    x = RNG.normal(size=(2, 3, 4))
    for dim in [(-2, -1), (2, 0)]:
        for keepdim in (False, True):
            got = L.matrix_norm(x, "fro" if ord is None else ord, dim, keepdim)
            expected = np.linalg.norm(x, ord, dim, keepdim)
            assert got.shape == expected.shape
            close(got, expected)
            close(L.norm(x, ord, dim, keepdim), expected)


def _vector_norm(x, ord, axis, keepdims):
    """(Σ |x|^ord)^(1/ord), max |x|, min |x| or the count of non-zeros, in NumPy."""
    a = np.abs(x)
    if ord == math.inf:
        return a.max(axis=axis, keepdims=keepdims)
    if ord == -math.inf:
        return a.min(axis=axis, keepdims=keepdims)
    if ord == 0:
        return (a != 0).sum(axis=axis, keepdims=keepdims).astype(float)
    return (a**ord).sum(axis=axis, keepdims=keepdims) ** (1 / ord)


@pytest.mark.parametrize("ord", [2, 1, math.inf, -math.inf, 0, 3, 0.5])
def test_vector_norms_match_numpy(ord):
    x = RNG.normal(size=(2, 3, 4))
    x[0, 0, 0] = 0.0
    for dim in [None, -1, (0, 2)]:
        for keepdim in (False, True):
            expected = _vector_norm(x, ord, dim, keepdim)
            got = L.vector_norm(x, ord, dim, keepdim)
            assert got.shape == expected.shape
            close(got, expected)
            if dim == -1:
                close(L.norm(x, ord, dim, keepdim), expected)
    close(L.norm(x), np.sqrt(np.sum(x**2)))  # ord and dim None: the 2-norm of all elements
    close(L.norm(x[0, 0], ord), _vector_norm(x[0, 0], ord, None, False))


def test_matrix_power_pinv_multi_dot_cross_diagonal_match_numpy():
    a = well(2, 3, 3)
    for n in (-3, -1, 0, 1, 2, 5):
        close(L.matrix_power(a, n), np.linalg.matrix_power(a, n), 1e-8)
    x = RNG.normal(size=(2, 5, 3))
    close(L.pinv(x), np.linalg.pinv(x))
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])  # singular values below the cutoff are 0
    close(L.pinv(rank1), np.linalg.pinv(rank1))
    ms = [RNG.normal(size=s) for s in [(4,), (4, 2), (2, 6), (6, 5)]]
    got = L.multi_dot(ms)
    assert got.shape == (5,)
    close(got, ms[0] @ ms[1] @ ms[2] @ ms[3])
    u, v = RNG.normal(size=(4, 3, 2)), RNG.normal(size=(3, 1))
    close(L.cross(u, v, dim=1), np.cross(u, np.broadcast_to(v, u.shape), axis=1))
    y = RNG.normal(size=(2, 3, 4))
    for offset in (-1, 0, 2):
        close(L.diagonal(y, offset=offset), np.diagonal(y, offset, -2, -1))
        close(L.diagonal(y, offset=offset, dim1=0, dim2=2), np.diagonal(y, offset, 0, 2))


def test_integer_inputs_are_computed_in_float64():
    a = cr.tensor(np.array([[2, 1], [1, 3]]))
    assert L.inv(a).dtype == np.float64
    close(L.det(np.array([[2, 1], [1, 3]])), 5.0)
    close(L.cholesky(np.array([[4, 2], [2, 3]])), [[2.0, 0.0], [1.0, math.sqrt(2)]])


# ----- errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["inv", "det", "slogdet", "cholesky", "eigh", "eigvalsh"])
def test_a_non_square_matrix_is_refused_naming_the_op(op):
    with pytest.raises(ValueError, match=rf"linalg\.{op}: .*square.*\(2, 3\)"):
        getattr(L, op)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"linalg\.{op}: .*shape \(3,\)"):
        getattr(L, op)(np.ones(3))


def test_a_singular_matrix_names_the_op_and_its_batch_index():
    a = np.stack([np.eye(3), np.eye(3), np.ones((3, 3))]).reshape(3, 1, 3, 3)
    singular = r"linalg\.inv: .*batch index \(2, 0\).*singular"
    with pytest.raises(np.linalg.LinAlgError, match=singular):
        L.inv(a)
    with pytest.raises(np.linalg.LinAlgError, match=r"linalg\.solve: .*\(2, 0\).*singular"):
        L.solve(a, np.ones(3))
    not_pd = np.stack([np.eye(2), -np.eye(2)])
    with pytest.raises(np.linalg.LinAlgError, match=r"linalg\.cholesky: .*\(1,\).*positive"):
        L.cholesky(not_pd)


def test_a_matrix_with_nan_is_named_as_not_finite_not_as_singular():
    a = np.stack([np.eye(2), [[np.nan, 1.0], [1.0, 1.0]]])
    message = r"linalg\.{}: the matrix at batch index \(1,\) of shape \(2, 2\) has non-finite"
    with pytest.raises(np.linalg.LinAlgError, match=message.format("svd")):
        L.svd(a)
    with pytest.raises(np.linalg.LinAlgError, match=message.format("svdvals")):
        L.svdvals(a)
    with pytest.raises(np.linalg.LinAlgError, match=message.format("inv")):
        L.inv(a)
    with pytest.raises(np.linalg.LinAlgError, match=message.format("cholesky")):
        L.cholesky(a)  # as PyTorch's, not a factor of NaN
    upper = np.array([[2.0, np.nan], [1.0, 2.0]])  # never read: the lower triangle is
    close(L.cholesky(upper), np.linalg.cholesky(np.array([[2.0, 1.0], [1.0, 2.0]])))


def test_the_gradient_of_det_at_a_singular_matrix_is_refused_naming_det():
    a = cr.tensor(np.ones((2, 2)), requires_grad=True)
    d = L.det(a)
    assert d.item() == 0.0
    with pytest.raises(np.linalg.LinAlgError, match=r"linalg\.det: .*singular"):
        d.backward()


def test_bad_arguments_name_the_op():
    with pytest.raises(ValueError, match=r"linalg\.solve: B must be"):
        L.solve(well(3), np.ones(4))
    with pytest.raises(TypeError, match=r"linalg\.inv: .*float16"):
        L.inv(np.eye(2, dtype=np.float16))
    with pytest.raises(TypeError, match=r"linalg\.matrix_power: n must be an int"):
        L.matrix_power(well(2), 1.5)
    with pytest.raises(ValueError, match=r"linalg\.matrix_norm: ord"):
        L.matrix_norm(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match=r"linalg\.norm: .*1-D or 2-D"):
        L.norm(np.ones((2, 2, 2)), ord=1)
    with pytest.raises(ValueError, match=r"linalg\.cross: dim -1 must be an axis of size 3"):
        L.cross(np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match=r"linalg\.cross: shapes \(2, 3\) and \(4, 3\) do not"):
        L.cross(np.ones((2, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"linalg\.diagonal: dim1 0 and dim2 0 must differ"):
        L.diagonal(np.ones((2, 2)), dim1=0, dim2=0)
    with pytest.raises(ValueError, match=r"linalg\.diagonal: dim1 5 is out of range for shape"):
        L.diagonal(np.ones((2, 2)), dim1=5)
    with pytest.raises(ValueError, match=r"linalg\.multi_dot: tensor 1 .* does not follow"):
        L.multi_dot([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(TypeError, match=r"linalg\.multi_dot: expected a list or tuple .* ndarray"):
        L.multi_dot(np.ones((3, 3)))  # not read as three row vectors
    with pytest.raises(ValueError, match=r"linalg\.qr: only mode='reduced'"):
        L.qr(np.ones((2, 2)), mode="complete")


def test_backward_through_vh_of_a_full_non_square_svd_is_refused():
    x = cr.tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    L.svd(x, full_matrices=True).S.sum().backward()  # through S alone: U·diag(dS)·Vh, reduced
    u0, _, vh0 = np.linalg.svd(x.data, full_matrices=False)
    np.testing.assert_allclose(x.grad, u0 @ vh0, atol=1e-12)
    with pytest.raises(RuntimeError, match=r"linalg\.svd: .*full_matrices=False"):
        L.svd(x, full_matrices=True).Vh.sum().backward()


def test_qr_backward_of_a_wide_matrix_is_refused():
    x = cr.tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"linalg\.qr: the gradient needs m >= n"):
        L.qr(x).Q.sum().backward()


def test_eigvalsh_of_repeated_eigenvalues_has_a_finite_gradient():
    a = cr.tensor(np.eye(3), requires_grad=True)
    L.eigvalsh(a).sum().backward()  # d(trace)/dA = I, whatever the eigenvector basis
    np.testing.assert_allclose(a.grad, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("shape", [(0, 3, 3), (0, 3, 2), (2, 0, 4, 3)])
def test_decompositions_of_an_empty_batch_are_empty(shape):
    x = cr.tensor(np.zeros(shape), requires_grad=True)
    u, s, vh = L.svd(x, full_matrices=False)
    q, r = L.qr(x)
    m, n = shape[-2:]
    k = min(m, n)
    assert (u.shape, s.shape, vh.shape) == (
        (*shape[:-2], m, k),
        (*shape[:-2], k),
        (*shape[:-2], k, n),
    )
    assert (q.shape, r.shape) == ((*shape[:-2], m, k), (*shape[:-2], k, n))
    assert L.pinv(x).shape == (*shape[:-2], n, m)
    assert L.svd(x).U.shape == (*shape[:-2], m, m)
    (u.sum() + s.sum() + q.sum() + r.sum() + L.pinv(x).sum()).backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("ord", [3, 1.5, 0.5])
def test_p_norm_gradient_is_zero_at_zero_as_pytorch(ord):
    """PyTorch's gradient of a p-norm at a zero vector is 0, where the composed formula
    gives 0·inf = NaN."""
    x = cr.tensor(np.zeros((2, 3)), requires_grad=True)
    L.vector_norm(x, ord, dim=-1).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


def test_half_norm_gradient_is_zero_at_a_zero_entry_as_pytorch():
    """(0 + 1 + 2)² = 9 for p = 0.5: d/dx = 3·x^(−1/2) at 1 and 4, and 0 (PyTorch's) at 0."""
    x = cr.tensor([0.0, 1.0, 4.0], dtype="float64", requires_grad=True)
    norm = L.vector_norm(x, 0.5)
    norm.backward()
    close(norm, 9.0)
    close(x.grad, [0.0, 3.0, 1.5])


def test_matrix_power_one_is_a_copy_as_pytorch():
    x = cr.tensor(np.eye(2))
    y = L.matrix_power(x, 1)
    y.mul_(2.0)  # writing to the result leaves the input alone
    np.testing.assert_array_equal(x.data, np.eye(2))
    a = cr.tensor(well(3, 3), requires_grad=True)
    L.matrix_power(a, 1).sum().backward()
    np.testing.assert_array_equal(a.grad, np.ones((3, 3)))


def test_vector_norm_over_an_empty_dim_tuple_is_over_every_axis_as_pytorch():
    x = RNG.normal(size=(2, 3, 4))
    out = L.vector_norm(x, 3, dim=())
    assert out.shape == ()
    close(out, (np.abs(x) ** 3).sum() ** (1 / 3))
    assert L.vector_norm(x, dim=(), keepdim=True).shape == (1, 1, 1)


def test_inf_norm_over_an_empty_axis_is_refused_naming_vector_norm():
    with pytest.raises(ValueError, match=r"linalg\.vector_norm: ord=inf .*axis of size 0"):
        L.vector_norm(np.zeros((2, 0)), math.inf, dim=-1)
    with pytest.raises(ValueError, match=r"linalg\.vector_norm: ord=-inf .*axis of size 0"):
        L.vector_norm(np.zeros((2, 0)), -math.inf)
    close(L.vector_norm(np.zeros((2, 0)), 3, dim=-1), [0.0, 0.0])  # a sum: 0
