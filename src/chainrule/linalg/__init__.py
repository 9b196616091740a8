"""``cr.linalg``: differentiable linear algebra on (…, m, n) float tensors, as
``torch.linalg`` (see README.md). Batched over the leading axes; float32 and float64 kept,
integers computed in float64."""

from ._decompositions import EighResult, QRResult, cholesky, eigh, eigvalsh, qr
from ._inverse import SlogdetResult, det, inv, slogdet, solve
from ._norms import matrix_norm, norm, vector_norm
from ._products import cross, diagonal, matrix_power, multi_dot
from ._svd import SVDResult, pinv, svd, svdvals

__all__ = [
    "EighResult",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_norm",
    "matrix_power",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vector_norm",
]
