"""linalg_decomp_ops: determinants, inverses, solves and the Cholesky factor of (batches of)
square matrices, with TF's gradients.

Kernels are the array module's `linalg` (LAPACK through numpy, cuSOLVER through CuPy), batched
over leading dimensions. A singular matrix is an InvalidArgumentError ("Input is not
invertible."), and a matrix without a Cholesky factor "Cholesky decomposition was not
successful. The input might not be valid.", as in TF. `matrix_triangular_solve` reads only
the triangle named by `lower`. `cholesky` reads only the lower triangle; its gradient is TF's
(it assumes a symmetric input, as the op does).
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns
from flowexec.ops.matrix_ops import (
    adjoint,
    matrix_band_part,
    matrix_diag_part,
    matrix_set_diag,
)

_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)


def _square(op, t):
    n = t.shape.ndims
    if n is not None:
        if n < 2:
            raise shape_fns.shape_error(op, f"Shape must be at least rank 2 but is rank {n}")
        m, k = t.shape.as_list()[-2:]
        if m is not None and k is not None and m != k:
            raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {m} and {k}")


def _square_infer(op):
    x = op.inputs[0]
    shape_fns.check_dtype_in(op, _TYPES)
    _square(op, x)
    return [(x.dtype, x.shape)]


def _det_infer(op):
    x = op.inputs[0]
    shape_fns.check_dtype_in(op, _TYPES)
    _square(op, x)
    out = TensorShape(None) if x.shape.ndims is None else TensorShape(x.shape.as_list()[:-2])
    return [(x.dtype, out)]


def _solve_infer(op):
    a, b = op.inputs
    dt = shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, _TYPES)
    _square(op, a)
    return [(dt, b.shape)]


def _adj(xp, a):
    a = xp.swapaxes(a, -1, -2)
    return xp.conj(a) if a.dtype.kind == "c" else a


def _not_invertible():
    return InvalidArgumentError(None, None, "Input is not invertible.")


@defop("MatrixDeterminant", infer=_det_infer, cost=EXPENSIVE)
def _det(xp, input):
    return xp.asarray(xp.linalg.det(input)).astype(input.dtype, copy=False)


@_det.gradient
def _det_grad(op, dy):
    a, c = op.inputs[0], op.outputs[0]
    inv_adj = matrix_inverse(a, adjoint=True)
    scale = array_ops.expand_dims(array_ops.expand_dims(dy * c, -1), -1)
    return scale * inv_adj


def _slogdet_infer(op):
    (spec,) = _det_infer(op)
    return [spec, spec]


@defop("LogMatrixDeterminant", infer=_slogdet_infer, cost=EXPENSIVE)
def _slogdet(xp, input):
    sign, logabs = xp.linalg.slogdet(input)
    return (xp.asarray(sign).astype(input.dtype, copy=False),
            xp.asarray(logabs).astype(input.dtype, copy=False))


@_slogdet.gradient
def _slogdet_grad(op, _dsign, dlog):
    a = op.inputs[0]
    inv_adj = matrix_inverse(a, adjoint=True)
    return array_ops.expand_dims(array_ops.expand_dims(dlog, -1), -1) * inv_adj


@defop("MatrixInverse", infer=_square_infer, cost=EXPENSIVE)
def _inverse(xp, input, *, adjoint=False):
    a = _adj(xp, input) if adjoint else input
    try:
        return xp.linalg.inv(a).astype(input.dtype, copy=False)
    except xp.linalg.LinAlgError:
        raise _not_invertible() from None


@_inverse.gradient
def _inverse_grad(op, dy):
    ainv = op.outputs[0]
    adj = op.attrs.get("adjoint", False)
    inner = math_ops.matmul(dy, ainv, adjoint_a=adj, adjoint_b=not adj)
    return -math_ops.matmul(ainv, inner, adjoint_a=not adj)


@defop("MatrixSolve", infer=_solve_infer, cost=EXPENSIVE)
def _solve(xp, matrix, rhs, *, adjoint=False):
    a = _adj(xp, matrix) if adjoint else matrix
    try:
        return xp.linalg.solve(a, rhs).astype(rhs.dtype, copy=False)
    except xp.linalg.LinAlgError:
        raise _not_invertible() from None


@_solve.gradient
def _solve_grad(op, dy):
    a = op.inputs[0]
    c = op.outputs[0]
    adj = op.attrs.get("adjoint", False)
    grad_b = matrix_solve(a, dy, adjoint=not adj)
    if adj:
        grad_a = -math_ops.matmul(c, grad_b, adjoint_b=True)
    else:
        grad_a = -math_ops.matmul(grad_b, c, adjoint_b=True)
    return [grad_a, grad_b]


@defop("MatrixTriangularSolve", infer=_solve_infer, cost=EXPENSIVE)
def _triangular_solve(xp, matrix, rhs, *, lower=True, adjoint=False):
    a = xp.tril(matrix) if lower else xp.triu(matrix)
    if adjoint:
        a = _adj(xp, a)
    try:
        return xp.linalg.solve(a, rhs).astype(rhs.dtype, copy=False)
    except xp.linalg.LinAlgError:
        raise _not_invertible() from None


@_triangular_solve.gradient
def _triangular_solve_grad(op, dy):
    a = op.inputs[0]
    c = op.outputs[0]
    lower = op.attrs.get("lower", True)
    adj = op.attrs.get("adjoint", False)
    grad_b = matrix_triangular_solve(a, dy, lower=lower, adjoint=not adj)
    if adj:
        grad_a = -math_ops.matmul(c, grad_b, adjoint_b=True)
    else:
        grad_a = -math_ops.matmul(grad_b, c, adjoint_b=True)
    grad_a = matrix_band_part(grad_a, -1, 0) if lower else matrix_band_part(grad_a, 0, -1)
    return [grad_a, grad_b]


@defop("Cholesky", infer=_square_infer, cost=EXPENSIVE)
def _cholesky(xp, input):
    lower = xp.tril(input)
    sym = lower + _adj(xp, xp.tril(input, -1))
    try:
        return xp.linalg.cholesky(sym).astype(input.dtype, copy=False)
    except xp.linalg.LinAlgError:
        raise InvalidArgumentError(None, None, "Cholesky decomposition was not successful. "
                                               "The input might not be valid.") from None


@_cholesky.gradient
def _cholesky_grad(op, dy):
    chol = op.outputs[0]
    ident = matrix_set_diag(array_ops.zeros_like(chol),
                            array_ops.ones_like(matrix_diag_part(chol)))
    l_inv = matrix_triangular_solve(chol, ident)
    middle = math_ops.matmul(chol, dy, adjoint_a=True)
    middle = matrix_set_diag(matrix_band_part(middle, -1, 0), 0.5 * matrix_diag_part(middle))
    grad_a = math_ops.matmul(math_ops.matmul(l_inv, middle, adjoint_a=True), l_inv)
    grad_a = grad_a + adjoint(grad_a)
    return grad_a * 0.5


# ----- public wrappers ---------------------------------------------------------------------
def _unary(op_type, input, name, **attrs):
    with name_scope(name, op_type, [input]) as scope:
        input = convert_to_tensor(input, name="input")
        return apply_op(op_type, input, name=scope, **attrs)


def _binary(op_type, matrix, rhs, name, **attrs):
    with name_scope(name, op_type, [matrix, rhs]) as scope:
        matrix = convert_to_tensor(matrix, name="matrix")
        rhs = convert_to_tensor(rhs, dtype=matrix.dtype, name="rhs")
        return apply_op(op_type, matrix, rhs, name=scope, **attrs)


def matrix_determinant(input, name=None):
    """The determinant of each square matrix in `input` [..., n, n] (MatrixDeterminant).

    Example:
        >>> matrix_determinant([[1.0, 2.0], [3.0, 4.0]])  # -2.0
    """
    return _unary("MatrixDeterminant", input, name)


def slogdet(input, name=None):
    """(sign, log|det|) of each square matrix: the determinant without overflow
    (op type LogMatrixDeterminant)."""
    with name_scope(name, "LogMatrixDeterminant", [input]) as scope:
        input = convert_to_tensor(input, name="input")
        op = apply_op("LogMatrixDeterminant", input, name=scope)
        return tuple(op) if isinstance(op, (list, tuple)) else tuple(op.op.outputs)


def logdet(matrix, name=None):
    """log(det(matrix)) of real symmetric positive-definite matrices, via the Cholesky factor.

    Example:
        >>> logdet([[2.0, 0.0], [0.0, 3.0]])  # log(6)
    """
    with name_scope(name, "logdet", [matrix]):
        chol = cholesky(matrix)
        return 2.0 * math_ops.reduce_sum(math_ops.log(matrix_diag_part(chol)), axis=[-1])


def matrix_inverse(input, adjoint=False, name=None):
    """The inverse (of the adjoint, if `adjoint`) of each square matrix (MatrixInverse).

    Raises at run time:
        InvalidArgumentError: a singular matrix ("Input is not invertible.").
    """
    return _unary("MatrixInverse", input, name, adjoint=bool(adjoint))


def matrix_solve(matrix, rhs, adjoint=False, name=None):
    """X with matrix @ X = rhs (adjoint(matrix) @ X = rhs if `adjoint`) (MatrixSolve).

    Raises at run time:
        InvalidArgumentError: a singular matrix.
    """
    return _binary("MatrixSolve", matrix, rhs, name, adjoint=bool(adjoint))


def matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """X with T @ X = rhs, T the lower (or upper) triangle of `matrix`
    (op type MatrixTriangularSolve)."""
    return _binary("MatrixTriangularSolve", matrix, rhs, name, lower=bool(lower),
                   adjoint=bool(adjoint))


def cholesky(input, name=None):
    """The lower-triangular Cholesky factor L (input = L @ adjoint(L)) of each Hermitian
    positive-definite matrix; reads the lower triangle only (op type Cholesky).

    Raises at run time:
        InvalidArgumentError: a matrix that is not positive definite.
    """
    return _unary("Cholesky", input, name)


def cholesky_solve(chol, rhs, name=None):
    """X with A @ X = rhs, given A's Cholesky factor `chol` (two triangular solves)."""
    with name_scope(name, "cholesky_solve", [chol, rhs]):
        y = matrix_triangular_solve(chol, rhs, adjoint=False, lower=True)
        return matrix_triangular_solve(chol, y, adjoint=True, lower=True)


__all__ = ["cholesky", "cholesky_solve", "logdet", "matrix_determinant", "matrix_inverse",
           "matrix_solve", "matrix_triangular_solve", "slogdet"]
