"""`tf.linalg`: TF 1.x's linear-algebra namespace (batched over leading dimensions).

`tf.linalg.transpose` is `matrix_transpose` (the last two dimensions), `diag`/`diag_part` are
the batched `matrix_diag`/`matrix_diag_part`; `tensor_diag` is the rank-2k `tf.diag`.

Example:
    >>> import flowexec as tf
    >>> tf.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [[2.0], [2.0]])  # [[1.0], [0.5]]
"""

from flowexec.ops.clip_ops import global_norm, norm
from flowexec.ops.eigh_tridiagonal import eigh_tridiagonal
from flowexec.ops.linalg_decomp_ops import (
    cholesky,
    cholesky_solve,
    logdet,
    slogdet,
)
from flowexec.ops.linalg_decomp_ops import matrix_determinant as det
from flowexec.ops.linalg_decomp_ops import matrix_inverse as inv
from flowexec.ops.linalg_decomp_ops import matrix_solve as solve
from flowexec.ops.linalg_decomp_ops import matrix_triangular_solve as triangular_solve
from flowexec.ops.linalg_extra_ops import (
    eigh,
    eigvalsh,
    expm,
    logm,
    lstsq,
    lu,
    lu_matrix_inverse,
    lu_reconstruct,
    lu_solve,
    matrix_rank,
    normalize,
    pinv,
    qr,
    sqrtm,
    svd,
    tridiagonal_matmul,
    tridiagonal_solve,
)
from flowexec.linear_operator import *  # noqa: F401,F403
from flowexec.linear_operator import __all__ as _LINEAR_OPERATORS
from flowexec.ops.linalg_ops import einsum
from flowexec.ops.math_ops import matmul, tensordot
from flowexec.ops.matrix_ops import (
    adjoint,
    cross,
    eye,
    matrix_transpose,
    matvec,
    tensor_diag,
    tensor_diag_part,
    trace,
)
from flowexec.ops.matrix_ops import matrix_band_part as band_part
from flowexec.ops.matrix_ops import matrix_diag as diag
from flowexec.ops.matrix_ops import matrix_diag_part as diag_part
from flowexec.ops.matrix_ops import matrix_set_diag as set_diag
from flowexec.ops.matrix_ops import matrix_transpose as transpose
from flowexec.ops.nn_ops import l2_normalize

__all__ = ["adjoint", "band_part", "cholesky", "cholesky_solve", "cross", "det", "diag",
           "diag_part", "einsum", "eye", "global_norm", "inv", "l2_normalize", "logdet",
           "matmul", "matrix_transpose", "matvec", "norm", "set_diag", "slogdet", "solve",
           "tensor_diag", "tensor_diag_part", "tensordot", "trace", "transpose",
           "triangular_solve", "eigh", "eigvalsh", "expm", "logm", "lstsq", "lu",
           "lu_matrix_inverse", "lu_reconstruct", "lu_solve", "matrix_rank", "normalize", "pinv",
           "qr", "sqrtm", "svd", "tridiagonal_matmul", "tridiagonal_solve"]
__all__ += list(_LINEAR_OPERATORS)
__all__ += ["eigh_tridiagonal"]
