"""linalg_extra_ops: decompositions and matrix functions of `tf.linalg` beyond the basics —
qr, svd, eigh/eigvalsh, lu (+ lu_solve, lu_reconstruct, lu_matrix_inverse), expm, logm,
sqrtm, pinv, matrix_rank, lstsq, normalize, tridiagonal_matmul/solve.

Batched over leading dimensions. Kernels are the array module's `linalg` (and SciPy's for
expm/logm/sqrtm/lu on CPU). Gradients are TF's: Qr (full_matrices=False, rows >= cols), Svd
(real, thin), SelfAdjointEigV2, Lu, MatrixSquareRoot (a Sylvester solve through Kronecker
products) and MatrixExponential (the block-matrix form of its Fréchet derivative); pinv,
lstsq, lu_solve, lu_reconstruct and the tridiagonal functions are compositions of
differentiable ops. MatrixLogarithm has no gradient, as in TF.
"""

import collections

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops as _a
from flowexec.ops import linalg_decomp_ops as _ld
from flowexec.ops import math_ops as _m
from flowexec.ops import matrix_ops as _mx
from flowexec.ops import shape_fns

# TF's generated wrappers return these namedtuples
Qr = collections.namedtuple("Qr", ["q", "r"])
Lu = collections.namedtuple("Lu", ["lu", "p"])

_REAL = (dtypes.float32, dtypes.float64)
_TYPES = _REAL + (dtypes.complex64, dtypes.complex128)


def _rank2(op, t):
    if t.shape.ndims is not None and t.shape.ndims < 2:
        raise shape_fns.shape_error(op, f"Shape must be at least rank 2 but is rank "
                                        f"{t.shape.ndims}")


def _dims(t):
    if t.shape.ndims is None:
        return None, None, None
    d = t.shape.as_list()
    return d[:-2], d[-2], d[-1]


def _scipy_linalg(xp, what):
    try:
        if xp.__name__ == "numpy":
            import scipy.linalg as sl
        else:
            import cupyx.scipy.linalg as sl
    except ImportError as e:
        raise errors.UnimplementedError(
            None, None, f"{what} needs SciPy: pip install flowexec[special]") from e
    return sl


def _batched(xp, fn, a, *rest):
    """fn applied to each matrix of a batch (and the matching matrices of `rest`)."""
    lead = a.shape[:-2]
    flat = a.reshape((-1,) + a.shape[-2:])
    others = [r.reshape((-1,) + r.shape[-2:]) for r in rest]
    outs = [fn(flat[i], *[o[i] for o in others]) for i in range(flat.shape[0])]
    if not outs:
        return None
    if isinstance(outs[0], tuple):
        return tuple(xp.stack([o[k] for o in outs]).reshape(lead + outs[0][k].shape)
                     for k in range(len(outs[0])))
    return xp.stack(outs).reshape(lead + outs[0].shape)


def _matmul(a, b, adjoint_a=False, adjoint_b=False):
    return _m.matmul(a, b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)


def _eye_like(a, rows=True):
    n = _a.shape(a)[-2] if rows else _a.shape(a)[-1]
    return _mx.matrix_diag(_a.fill(_a.reshape(n, [1]), _m.cast(1, a.dtype)))


# ----- Qr -------------------------------------------------------------------------------------
def _qr_infer(op):
    x = op.inputs[0]
    shape_fns.check_dtype_in(op, _TYPES)
    _rank2(op, x)
    lead, m, n = _dims(x)
    if lead is None:
        return [(x.dtype, TensorShape(None))] * 2
    full = op.attrs["full_matrices"]
    k = None if None in (m, n) else min(m, n)
    q = lead + [m, m if full else k]
    r = lead + [m if full else k, n]
    return [(x.dtype, TensorShape(q)), (x.dtype, TensorShape(r))]


@defop("Qr", infer=_qr_infer, cost=EXPENSIVE)
def _qr(xp, input, *, full_matrices=False):
    q, r = xp.linalg.qr(input, mode="complete" if full_matrices else "reduced")
    return q.astype(input.dtype), r.astype(input.dtype)


def _triangular_solve_right(x, r):
    # x @ adjoint(inv(r)) for upper-triangular r (TF's _TriangularSolve)
    return _mx.adjoint(_ld.matrix_triangular_solve(r, _mx.adjoint(x), lower=False,
                                                   adjoint=False))


@_qr.gradient
def _qr_grad(op, dq, dr):
    a = op.inputs[0]
    q, r = op.outputs
    _, m, n = _dims(a)
    if m is None or n is None or (m < n) or (op.attrs["full_matrices"] and m != n):
        raise NotImplementedError("QrGrad not implemented when ncols > nrows or full_matrices "
                                  "is true and nrows != ncols (or the shape is unknown).")
    qdq = _matmul(q, dq, adjoint_a=True)
    qdq_ = qdq - _mx.adjoint(qdq)
    rdr = _matmul(r, dr, adjoint_b=True)
    rdr_ = rdr - _mx.adjoint(rdr)
    tril = _mx.matrix_band_part(qdq_ + rdr_, -1, 0)
    grad_a = _matmul(q, dr + _triangular_solve_right(tril, r))
    grad_b = _triangular_solve_right(dq - _matmul(q, qdq), r)
    return grad_a + grad_b


def qr(input, full_matrices=False, name=None):
    """The QR decomposition of each matrix: input = q @ r, q with orthonormal columns, r
    upper triangular (op type Qr).

    Returns:
        (q, r); with full_matrices, q is square and r has input's shape.

    Example:
        >>> q, r = qr([[1.0, 2.0], [3.0, 4.0]])
    """
    with name_scope(name, "Qr", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return Qr(*apply_op("Qr", x, name=scope, full_matrices=bool(full_matrices)))


# ----- Svd ------------------------------------------------------------------------------------
def _svd_infer(op):
    x = op.inputs[0]
    shape_fns.check_dtype_in(op, _TYPES)
    _rank2(op, x)
    lead, m, n = _dims(x)
    real = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}.get(
        x.dtype, x.dtype)
    if lead is None:
        return [(real, TensorShape(None)), (x.dtype, TensorShape(None)),
                (x.dtype, TensorShape(None))]
    k = None if None in (m, n) else min(m, n)
    full, uv = op.attrs["full_matrices"], op.attrs["compute_uv"]
    u = lead + [m, m if full else k] if uv else [0]
    v = lead + [n, n if full else k] if uv else [0]
    return [(real, TensorShape(lead + [k])), (x.dtype, TensorShape(u)),
            (x.dtype, TensorShape(v))]


@defop("Svd", infer=_svd_infer, cost=EXPENSIVE)
def _svd(xp, input, *, compute_uv=True, full_matrices=False):
    if not compute_uv:
        s = xp.linalg.svd(input, compute_uv=False)
        empty = xp.zeros((0,), dtype=input.dtype)
        return s.astype(s.dtype), empty, empty
    u, s, vh = xp.linalg.svd(input, full_matrices=full_matrices)
    v = xp.swapaxes(vh, -1, -2)
    v = xp.conj(v) if v.dtype.kind == "c" else v
    return s, u.astype(input.dtype), v.astype(input.dtype)


@_svd.gradient
def _svd_grad(op, ds, du, dv):
    a = op.inputs[0]
    if a.dtype.is_complex:
        raise NotImplementedError("SVD gradient is not implemented for complex types here")
    if not op.attrs["compute_uv"]:
        s, u, v = svd(a, compute_uv=True, full_matrices=False)
        return _matmul(_matmul(u, _mx.matrix_diag(ds)), v, adjoint_b=True)
    if op.attrs["full_matrices"]:
        _, m, n = _dims(a)
        if m != n:
            raise NotImplementedError("SVD gradient has not been implemented for input with "
                                      "unequal number of rows and columns and "
                                      "full_matrices=True.")
    s, u, v = op.outputs
    # Townsend's formulas for the thin SVD (F_ij = 1 / (s_j^2 - s_i^2), i != j)
    s2 = _m.square(s)
    diff = _a.expand_dims(s2, -2) - _a.expand_dims(s2, -1)
    safe = _m.where(_m.equal(diff, 0), _a.ones_like(diff), diff)
    f = _mx.matrix_set_diag(_m.reciprocal(safe) * _m.cast(_m.not_equal(diff, 0), s.dtype),
                            _a.zeros_like(s))
    s_mat = _mx.matrix_diag(s)
    s_inv = _mx.matrix_diag(_m.reciprocal(s))
    utdu = _matmul(u, du, adjoint_a=True)
    vtdv = _matmul(v, dv, adjoint_a=True)
    j = f * (utdu - _mx.adjoint(utdu))
    k = f * (vtdv - _mx.adjoint(vtdv))
    inner = _matmul(j, s_mat) + _mx.matrix_diag(ds) + _matmul(s_mat, k)
    grad = _matmul(_matmul(u, inner), v, adjoint_b=True)
    eye_m = _eye_like(u)
    eye_n = _eye_like(v)
    grad += _matmul(_matmul(eye_m - _matmul(u, u, adjoint_b=True), _matmul(du, s_inv)), v,
                    adjoint_b=True)
    grad += _matmul(_matmul(u, _matmul(s_inv, dv, adjoint_b=True)),
                    eye_n - _matmul(v, v, adjoint_b=True))
    return grad


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """The singular value decomposition of each matrix: tensor = u @ diag(s) @ adjoint(v)
    (op type Svd), singular values in descending order.

    Returns:
        s, and with compute_uv (default) also u and v: `(s, u, v)` as TF orders them.

    Example:
        >>> s, u, v = svd([[3.0, 0.0], [0.0, -2.0]])  # s == [3, 2]
    """
    with name_scope(name, "Svd", [tensor]) as scope:
        x = convert_to_tensor(tensor, name="input")
        s, u, v = apply_op("Svd", x, name=scope, compute_uv=bool(compute_uv),
                           full_matrices=bool(full_matrices))
        return (s, u, v) if compute_uv else s


# ----- SelfAdjointEigV2 -----------------------------------------------------------------------
def _eig_infer(op):
    x = op.inputs[0]
    shape_fns.check_dtype_in(op, _TYPES)
    _ld._square(op, x)
    lead, m, _ = _dims(x)
    real = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}.get(
        x.dtype, x.dtype)
    if lead is None:
        return [(real, TensorShape(None)), (x.dtype, TensorShape(None))]
    v = lead + [m, m] if op.attrs["compute_v"] else [0]
    return [(real, TensorShape(lead + [m])), (x.dtype, TensorShape(v))]


@defop("SelfAdjointEigV2", infer=_eig_infer, cost=EXPENSIVE)
def _eig(xp, input, *, compute_v=True):
    if not compute_v:
        return xp.linalg.eigvalsh(input), xp.zeros((0,), dtype=input.dtype)
    e, v = xp.linalg.eigh(input)
    return e, v.astype(input.dtype)


@_eig.gradient
def _eig_grad(op, de, dv):
    a = op.inputs[0]
    e, v = op.outputs
    if not op.attrs["compute_v"]:
        e, v = apply_op("SelfAdjointEigV2", a, compute_v=True)
        dv = _a.zeros_like(v)
    diff = _a.expand_dims(e, -2) - _a.expand_dims(e, -1)
    safe = _m.where(_m.equal(diff, 0), _a.ones_like(diff), diff)
    f = _mx.matrix_set_diag(_m.reciprocal(safe), _a.zeros_like(e))
    f = _m.cast(f, v.dtype)
    grad = _matmul(v, _matmul(_mx.matrix_diag(_m.cast(de, v.dtype))
                              + f * _matmul(v, dv, adjoint_a=True), v, adjoint_b=True))
    # the kernel reads only the lower triangle: symmetrize and keep that triangle
    grad = _mx.matrix_band_part(grad + _mx.adjoint(grad), -1, 0)
    return _mx.matrix_set_diag(grad, 0.5 * _mx.matrix_diag_part(grad))


def eigh(tensor, name=None):
    """The eigenvalues (ascending) and eigenvectors of each self-adjoint matrix, which is
    read from its lower triangle (op type SelfAdjointEigV2).

    Returns:
        (e, v) with tensor @ v == v @ diag(e).

    Example:
        >>> e, v = eigh([[2.0, 1.0], [1.0, 2.0]])  # e == [1, 3]
    """
    with name_scope(name, "self_adjoint_eig", [tensor]) as scope:
        x = convert_to_tensor(tensor, name="tensor")
        return apply_op("SelfAdjointEigV2", x, name=scope, compute_v=True)


def eigvalsh(tensor, name=None):
    """The eigenvalues (ascending) of each self-adjoint matrix (op SelfAdjointEigV2)."""
    with name_scope(name, "self_adjoint_eigvals", [tensor]) as scope:
        x = convert_to_tensor(tensor, name="tensor")
        e, _ = apply_op("SelfAdjointEigV2", x, name=scope, compute_v=False)
        return e


self_adjoint_eig = eigh
self_adjoint_eigvals = eigvalsh


# ----- matrix functions -----------------------------------------------------------------------
@defop("MatrixExponential", infer=_ld._square_infer, cost=EXPENSIVE)
def _expm(xp, input):
    sl = _scipy_linalg(xp, "expm")
    return _batched(xp, sl.expm, input).astype(input.dtype) if input.size else input.copy()


@_expm.gradient
def _expm_grad(op, dy):
    # The adjoint of the Fréchet derivative L(A, .) is L(A^H, .), the top-right block of
    # expm([[A^H, G], [0, A^H]]).
    a = op.inputs[0]
    ah = _mx.adjoint(a)
    top = _a.concat([ah, dy], -1)
    bottom = _a.concat([_a.zeros_like(ah), ah], -1)
    block = apply_op("MatrixExponential", _a.concat([top, bottom], -2))
    n = _a.shape(a)[-1]
    rank = a.shape.ndims
    begin = _a.concat([_a.zeros([rank - 2], dtypes.int32), [0], _a.reshape(n, [1])], 0)
    size = _a.concat([_a.fill([rank - 2], -1), _a.reshape(n, [1]), _a.reshape(n, [1])], 0)
    return _a.slice(block, begin, size)


def expm(input, name=None):
    """The matrix exponential of each square matrix (op type MatrixExponential), with TF's
    gradient.

    Example:
        >>> expm([[0.0, 1.0], [0.0, 0.0]])  # [[1, 1], [0, 1]]
    """
    with name_scope(name, "matrix_exponential", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return apply_op("MatrixExponential", x, name=scope)


def _logm_infer(op):
    x = op.inputs[0]
    shape_fns.check_dtype_in(op, (dtypes.complex64, dtypes.complex128))
    _ld._square(op, x)
    return [(x.dtype, x.shape)]


@defop("MatrixLogarithm", infer=_logm_infer, cost=EXPENSIVE)
def _logm(xp, input):
    sl = _scipy_linalg(xp, "logm")
    return _batched(xp, lambda m: sl.logm(m), input).astype(input.dtype) if input.size \
        else input.copy()


_logm.not_differentiable()


def logm(input, name=None):
    """The principal matrix logarithm of each complex square matrix (op MatrixLogarithm;
    complex64/complex128 only, as TF)."""
    with name_scope(name, "MatrixLogarithm", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return apply_op("MatrixLogarithm", x, name=scope)


@defop("MatrixSquareRoot", infer=_ld._square_infer, cost=EXPENSIVE)
def _sqrtm(xp, input):
    sl = _scipy_linalg(xp, "sqrtm")
    out = _batched(xp, lambda m: sl.sqrtm(m), input) if input.size else input.copy()
    if out.dtype.kind == "c" and input.dtype.kind != "c":
        out = out.real
    return out.astype(input.dtype)


def _kron(a, b):
    """The Kronecker products of the matrices of a and b ([..., n, n] each)."""
    n = _a.shape(a)[-1]
    lead = _a.shape(a)[:-2]
    prod = (_a.expand_dims(_a.expand_dims(a, -1), -3)
            * _a.expand_dims(_a.expand_dims(b, -3), -2))  # [..., i, k, j, l]
    return _a.reshape(prod, _a.concat([lead, _a.reshape(n * n, [1]), _a.reshape(n * n, [1])],
                                      0))


@_sqrtm.gradient
def _sqrtm_grad(op, dy):
    # A = S @ S, so dA = dS S + S dS; the adjoint solves S^T X + X S^T = dy, i.e.
    # (kron(S^T, I) + kron(I, S)) vec(X) = vec(dy) with row-major vec.
    s = op.outputs[0]
    if s.shape.ndims is None:
        raise ValueError("the gradient of sqrtm needs the rank of its input")
    eye = _eye_like(s)
    eye = eye + _a.zeros_like(s)
    k = _kron(_mx.matrix_transpose(s), eye) + _kron(eye, s)
    shape = _a.shape(dy)
    vec = _a.reshape(dy, _a.concat([shape[:-2], [-1, 1]], 0))
    return _a.reshape(_ld.matrix_solve(k, vec), shape)


def sqrtm(input, name=None):
    """The principal square root of each square matrix (op type MatrixSquareRoot).

    Example:
        >>> sqrtm([[4.0, 0.0], [0.0, 9.0]])  # [[2, 0], [0, 3]]
    """
    with name_scope(name, "MatrixSquareRoot", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return apply_op("MatrixSquareRoot", x, name=scope)


matrix_square_root = sqrtm


# ----- Lu -------------------------------------------------------------------------------------
def _lu_infer(op):
    x = op.inputs[0]
    shape_fns.check_dtype_in(op, _TYPES)
    _ld._square(op, x)
    lead, m, _ = _dims(x)
    p = TensorShape(None) if lead is None else TensorShape(lead + [m])
    return [(x.dtype, x.shape), (op.attrs["output_idx_type"], p)]


@defop("Lu", infer=_lu_infer, cost=EXPENSIVE)
def _lu(xp, input, *, output_idx_type=dtypes.int32):
    sl = _scipy_linalg(xp, "lu")
    if not input.size:
        return input.copy(), xp.zeros(input.shape[:-1], dtype=output_idx_type.np)

    def one(m):
        p, low, up = sl.lu(m)
        lu = xp.tril(low, -1) + up
        return lu, xp.argmax(p, axis=0)
    lu, perm = _batched(xp, one, input)
    return lu.astype(input.dtype), perm.astype(output_idx_type.np)


@_lu.gradient
def _lu_grad(op, dlu, _dp):
    # TF's _LuGrad for square matrices: A = P^T L U.
    lu_, perm = op.outputs
    lower, upper = _unpack_lu(lu_)
    grad_l = _mx.matrix_band_part(dlu, -1, 0)
    grad_l = _mx.matrix_set_diag(grad_l, _a.zeros_like(_mx.matrix_diag_part(grad_l)))
    grad_u = _mx.matrix_band_part(dlu, 0, -1)
    middle_l = _matmul(lower, grad_l, adjoint_a=True)
    middle_l = _mx.matrix_band_part(middle_l, -1, 0)
    middle_l = _mx.matrix_set_diag(middle_l, _a.zeros_like(_mx.matrix_diag_part(middle_l)))
    middle_u = _mx.matrix_band_part(_matmul(grad_u, upper, adjoint_b=True), 0, -1)
    middle = middle_l + middle_u
    # L^{-H} middle U^{-H}
    left = _ld.matrix_triangular_solve(lower, middle, lower=True, adjoint=True)
    grad_perm = _mx.adjoint(_ld.matrix_triangular_solve(upper, _mx.adjoint(left), lower=False,
                                                        adjoint=False))
    p = _permutation_matrix(perm, _a.shape(lu_)[-1], lu_.dtype)
    return _matmul(p, grad_perm, adjoint_a=True)


def lu(input, output_idx_type=dtypes.int32, name=None):
    """The LU decomposition with partial pivoting of each square matrix (op type Lu).

    Returns:
        (lu, p): L (unit lower, below the diagonal) and U (upper) packed in one matrix, and
        the row permutation with input[..., p, :] == L @ U.

    Example:
        >>> lu_, p = lu([[1.0, 2.0], [3.0, 4.0]])  # p == [1, 0]
    """
    with name_scope(name, "Lu", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return Lu(*apply_op("Lu", x, name=scope,
                            output_idx_type=dtypes.as_dtype(output_idx_type)))


def _unpack_lu(lower_upper):
    n = _a.shape(lower_upper)[-1]
    lower = _mx.matrix_band_part(lower_upper, -1, 0)
    lower = _mx.matrix_set_diag(lower, _a.ones_like(_mx.matrix_diag_part(lower_upper)))
    upper = _mx.matrix_band_part(lower_upper, 0, -1)
    del n
    return lower, upper


def _permutation_matrix(perm, n, dtype):
    # P with P @ x == x[..., perm, :]
    return _a.one_hot(perm, n, dtype=dtype)


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """The matrices `lu` decomposed: P^T @ L @ U (differentiable in `lower_upper`)."""
    del validate_args
    with name_scope(name, "lu_reconstruct", [lower_upper, perm]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        perm = convert_to_tensor(perm, name="perm")
        lower, upper = _unpack_lu(lower_upper)
        p = _permutation_matrix(perm, _a.shape(lower_upper)[-1], lower_upper.dtype)
        return _matmul(p, _matmul(lower, upper), adjoint_a=True)


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """The solution x of A @ x = rhs for A given by `lu`'s (lower_upper, perm).

    Example:
        >>> lu_, p = lu(a); x = lu_solve(lu_, p, b)  # a @ x == b
    """
    del validate_args
    with name_scope(name, "lu_solve", [lower_upper, perm, rhs]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        perm = convert_to_tensor(perm, name="perm")
        rhs = convert_to_tensor(rhs, name="rhs", dtype=lower_upper.dtype)
        lower, upper = _unpack_lu(lower_upper)
        p = _permutation_matrix(perm, _a.shape(lower_upper)[-1], lower_upper.dtype)
        permuted = _matmul(p, rhs)
        y = _ld.matrix_triangular_solve(lower, permuted, lower=True)
        return _ld.matrix_triangular_solve(upper, y, lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """The inverse of the matrices `lu` decomposed (lu_solve with the identity)."""
    with name_scope(name, "lu_matrix_inverse", [lower_upper, perm]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        eye = _mx.matrix_diag(_a.ones_like(_mx.matrix_diag_part(lower_upper)))
        return lu_solve(lower_upper, perm, eye, validate_args=validate_args)


# ----- compositions ---------------------------------------------------------------------------
def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse of each matrix, computed from its SVD with singular
    values below rcond * max(s) treated as zero (default rcond: 10 * max(rows, cols) * eps).

    Differentiable (through the SVD) where the rank is full.

    Example:
        >>> pinv([[1.0, 0.0], [0.0, 0.0]])  # [[1, 0], [0, 0]]
    """
    del validate_args
    with name_scope(name, "pinv", [a, rcond]):
        a = convert_to_tensor(a, name="a")
        if rcond is None:
            _, m, n = _dims(a)
            eps = {dtypes.float32: 1.1920929e-07, dtypes.float64: 2.220446049250313e-16}[
                a.dtype]
            rcond = 10.0 * max(m or 1, n or 1) * eps
        s, u, v = svd(a, full_matrices=False, compute_uv=True)
        cutoff = rcond * _m.reduce_max(s, axis=-1, keepdims=True)
        keep = _m.greater(s, cutoff)
        safe = _m.where(keep, s, _a.ones_like(s))
        s_inv = _m.where(keep, _m.reciprocal(safe), _a.zeros_like(s))
        return _matmul(v * _a.expand_dims(s_inv, -2), u, adjoint_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values above `tol` (default max(s) * max(rows, cols) * eps)
    for each matrix, as int32."""
    del validate_args
    with name_scope(name, "matrix_rank", [a, tol]):
        a = convert_to_tensor(a, name="a")
        s = svd(a, compute_uv=False)
        if tol is None:
            eps = {dtypes.float32: 1.1920929e-07, dtypes.float64: 2.220446049250313e-16}[
                s.dtype]
            dims = _m.cast(_m.maximum(_a.shape(a)[-2], _a.shape(a)[-1]), s.dtype)
            tol = _m.reduce_max(s, axis=-1, keepdims=True) * dims * eps
        else:
            tol = convert_to_tensor(tol, dtype=s.dtype, name="tol")
        return _m.cast(_m.reduce_sum(_m.cast(_m.greater(s, tol), dtypes.int32), axis=-1),
                       dtypes.int32)


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The least-squares solutions x minimising ||matrix @ x - rhs||^2 + l2 * ||x||^2
    (TF's matrix_solve_ls), by Cholesky factorization of the normal equations (`fast`).

    Args:
        matrix: [..., M, N] float tensor of full rank.
        rhs: [..., M, K].
        l2_regularizer: scalar >= 0.
        fast: must be True (TF's slower complete-orthogonal path is not provided).

    Raises:
        NotImplementedError: fast=False.

    Example:
        >>> lstsq([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[1.0], [2.0], [3.0]])  # [[1], [2]]
    """
    if not fast:
        raise NotImplementedError("lstsq with fast=False is not available in flowexec")
    with name_scope(name, "matrix_solve_ls", [matrix, rhs, l2_regularizer]):
        a = convert_to_tensor(matrix, name="matrix")
        b = convert_to_tensor(rhs, name="rhs", dtype=a.dtype)
        reg = _m.cast(convert_to_tensor(l2_regularizer, name="l2_regularizer"), a.dtype)
        _, m, n = _dims(a)
        if m is not None and n is not None and m < n:
            gram = _matmul(a, a, adjoint_b=True) + reg * _eye_like(a, rows=True)
            chol = _ld.cholesky(gram)
            return _matmul(a, _ld.cholesky_solve(chol, b), adjoint_a=True)
        gram = _matmul(a, a, adjoint_a=True) + reg * _eye_like(a, rows=False)
        chol = _ld.cholesky(gram)
        return _ld.cholesky_solve(chol, _matmul(a, b, adjoint_a=True))


matrix_solve_ls = lstsq


def normalize(tensor, ord="euclidean", axis=None, name=None):
    """`tensor / norm(tensor, ord, axis)` and the norm (kept dims), as TF's
    tf.linalg.normalize.

    Returns:
        (normalized, norm).

    Example:
        >>> normalize([3.0, 4.0])  # ([0.6, 0.8], [5.0])
    """
    from flowexec.ops.clip_ops import norm

    with name_scope(name, "normalize", [tensor]):
        x = convert_to_tensor(tensor, name="tensor")
        n = norm(x, ord=ord, axis=axis, keepdims=True)
        return x / n, n


def _tridiag_parts(diagonals, diagonals_format):
    if diagonals_format == "compact":
        d = convert_to_tensor(diagonals, name="diagonals")
        return d[..., 0, :], d[..., 1, :], d[..., 2, :]
    if diagonals_format == "sequence":
        sup, main, sub = [convert_to_tensor(t) for t in diagonals]
        return sup, main, sub
    if diagonals_format == "matrix":
        m = convert_to_tensor(diagonals, name="diagonals")
        main = _mx.matrix_diag_part(m)
        sup = _a.pad(_mx.matrix_diag_part(m[..., :-1, 1:]), [[0, 0]] * (m.shape.ndims - 2)
                     + [[0, 1]])
        sub = _a.pad(_mx.matrix_diag_part(m[..., 1:, :-1]), [[0, 0]] * (m.shape.ndims - 2)
                     + [[1, 0]])
        return sup, main, sub
    raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")


def _dense_tridiagonal(sup, main, sub):
    rank = main.shape.ndims
    lead = [[0, 0]] * (rank - 1)
    upper = _a.pad(_mx.matrix_diag(sup[..., :-1]), lead + [[0, 1], [1, 0]])
    lower = _a.pad(_mx.matrix_diag(sub[..., 1:]), lead + [[1, 0], [0, 1]])
    return _mx.matrix_diag(main) + upper + lower


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """The product of tridiagonal matrices (given by their diagonals) with `rhs`
    ([..., M, N]). `diagonals`: "compact" [..., 3, M] (superdiagonal padded at the end,
    main, subdiagonal padded at the start), "sequence" (three [..., M] tensors) or "matrix"."""
    with name_scope(name, "tridiagonal_matmul", [rhs]):
        sup, main, sub = _tridiag_parts(diagonals, diagonals_format)
        rhs = convert_to_tensor(rhs, name="rhs", dtype=main.dtype)
        rank = rhs.shape.ndims
        lead = [[0, 0]] * (rank - 2)
        below = _a.pad(rhs[..., 1:, :], lead + [[0, 1], [0, 0]])   # x_{i+1}
        above = _a.pad(rhs[..., :-1, :], lead + [[1, 0], [0, 0]])  # x_{i-1}
        return (_a.expand_dims(main, -1) * rhs + _a.expand_dims(sup, -1) * below
                + _a.expand_dims(sub, -1) * above)


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """The solutions x of tridiagonal systems A @ x = rhs (A given by its diagonals, as in
    `tridiagonal_matmul`), solved with partial pivoting; differentiable in both arguments.

    Raises:
        InvalidArgumentError: (at run time) a system is singular.
    """
    del partial_pivoting, perturb_singular
    with name_scope(name, "tridiagonal_solve", [rhs]):
        sup, main, sub = _tridiag_parts(diagonals, diagonals_format)
        rhs = convert_to_tensor(rhs, name="rhs", dtype=main.dtype)
        if transpose_rhs:
            rhs = _mx.matrix_transpose(rhs)
        if conjugate_rhs:
            rhs = _m.conj(rhs)
        squeeze = rhs.shape.ndims == main.shape.ndims
        if squeeze:
            rhs = _a.expand_dims(rhs, -1)
        x = _ld.matrix_solve(_dense_tridiagonal(sup, main, sub), rhs)
        return _a.squeeze(x, [-1]) if squeeze else x


__all__ = ["eigh", "eigvalsh", "expm", "logm", "lstsq", "lu", "lu_matrix_inverse",
           "lu_reconstruct", "lu_solve", "matrix_rank", "normalize", "pinv", "qr", "sqrtm",
           "svd", "tridiagonal_matmul", "tridiagonal_solve"]
