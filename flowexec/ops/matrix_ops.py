"""matrix_ops: the structural matrix ops (band part, diagonals, cross product) and the
`tf.linalg` helpers built on them (matrix_transpose, adjoint, trace, eye, matvec,
tensor_diag).

All act on the last two dimensions, batched over the leading ones. Diagonals take one offset
`k` (0: the main diagonal, > 0 above it, < 0 below it); TF's bands of diagonals (a `(k0, k1)`
pair) are refused with a ValueError.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns

_TYPES = shape_fns.NUMERIC + (dtypes.bool,)


def _at_least_rank(op, t, rank):
    n = t.shape.ndims
    if n is not None and n < rank:
        raise shape_fns.shape_error(op, f"Shape must be at least rank {rank} but is rank {n}")


def _band_infer(op):
    x = op.inputs[0]
    _at_least_rank(op, x, 2)
    return [(x.dtype, x.shape)]


@defop("MatrixBandPart", infer=_band_infer)
def _band_part(xp, input, num_lower, num_upper):
    m, n = input.shape[-2:]
    i = xp.arange(m).reshape(m, 1)
    j = xp.arange(n).reshape(1, n)
    lo, up = int(num_lower), int(num_upper)
    keep = ((lo < 0) | (i - j <= lo)) & ((up < 0) | (j - i <= up))
    return xp.where(keep, input, xp.zeros((), dtype=input.dtype))


@_band_part.gradient
def _band_part_grad(op, dy):
    return [matrix_band_part(dy, op.inputs[1], op.inputs[2]), None, None]


def _diag_infer(op):
    d = op.inputs[0]
    _at_least_rank(op, d, 1)
    if d.shape.ndims is None:
        return [(d.dtype, TensorShape(None))]
    n = d.shape.as_list()[-1]
    k = abs(op.attrs["k"])
    size = None if n is None else n + k
    return [(d.dtype, TensorShape(d.shape.as_list()[:-1] + [size, size]))]


def _diag_index(xp, n, k):
    idx = xp.arange(n)
    return (idx, idx + k) if k >= 0 else (idx - k, idx)


# TF 1.x has these without `k` (k=0); MatrixDiagV3 and friends carry other offsets.
_K0 = NodeDefForm(fixed_attrs={"k": 0})


@defop("MatrixDiag", infer=_diag_infer, node_def=_K0)
def _matrix_diag(xp, diagonal, *, k=0):
    n = diagonal.shape[-1]
    size = n + abs(k)
    out = xp.zeros(diagonal.shape[:-1] + (size, size), dtype=diagonal.dtype)
    rows, cols = _diag_index(xp, n, k)
    out[..., rows, cols] = diagonal
    return out


@_matrix_diag.gradient
def _matrix_diag_grad(op, dy):
    return matrix_diag_part(dy, k=op.attrs["k"])


def _diag_len(m, n, k):
    if m is None or n is None:
        return None
    return max(0, min(m, n - k) if k >= 0 else min(m + k, n))


def _diag_part_infer(op):
    x = op.inputs[0]
    _at_least_rank(op, x, 2)
    if x.shape.ndims is None:
        return [(x.dtype, TensorShape(None))]
    dims = x.shape.as_list()
    return [(x.dtype, TensorShape(dims[:-2] + [_diag_len(dims[-2], dims[-1], op.attrs["k"])]))]


@defop("MatrixDiagPart", infer=_diag_part_infer, node_def=_K0)
def _matrix_diag_part(xp, input, *, k=0):
    return xp.ascontiguousarray(xp.diagonal(input, offset=k, axis1=-2, axis2=-1))


@_matrix_diag_part.gradient
def _matrix_diag_part_grad(op, dy):
    x = op.inputs[0]
    return matrix_set_diag(array_ops.zeros_like(x), dy, k=op.attrs["k"])


def _set_diag_infer(op):
    x = op.inputs[0]
    shape_fns.check_same_dtype(op)
    _at_least_rank(op, x, 2)
    return [(x.dtype, x.shape)]


@defop("MatrixSetDiag", infer=_set_diag_infer, node_def=_K0)
def _matrix_set_diag(xp, input, diagonal, *, k=0):
    m, n = input.shape[-2:]
    length = _diag_len(m, n, k)
    if diagonal.shape[-1] != length or diagonal.shape[:-1] != input.shape[:-2]:
        raise InvalidArgumentError(
            None, None, f"diagonal must have shape {list(input.shape[:-2]) + [length]}, got "
                        f"{list(diagonal.shape)}")
    out = input.copy()
    rows, cols = _diag_index(xp, length, k)
    out[..., rows, cols] = diagonal
    return out


@_matrix_set_diag.gradient
def _matrix_set_diag_grad(op, dy):
    k = op.attrs["k"]
    diag = op.inputs[1]
    return [matrix_set_diag(dy, array_ops.zeros_like(diag), k=k), matrix_diag_part(dy, k=k)]


def _cross_infer(op):
    a, b = op.inputs
    dt = shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, shape_fns.REAL)
    if a.shape.ndims is not None and a.shape.as_list()[-1] not in (None, 3):
        raise shape_fns.shape_error(op, "Dimension must be 3 but is "
                                        f"{a.shape.as_list()[-1]}")
    return [(dt, a.shape.merge_with(b.shape))]


@defop("Cross", infer=_cross_infer)
def _cross(xp, a, b):
    return xp.cross(a, b, axis=-1)


@_cross.gradient
def _cross_grad(op, dy):
    a, b = op.inputs
    return [cross(b, dy), cross(dy, a)]


# ----- public wrappers ---------------------------------------------------------------------
def _single_k(k):
    if isinstance(k, (tuple, list)):
        if len(k) == 2 and k[0] == k[1]:
            return int(k[0])
        raise ValueError(f"Only one diagonal offset k is supported, got k={k}")
    return int(k)


def matrix_band_part(input, num_lower, num_upper, name=None):
    """Keeps the band of each matrix: num_lower subdiagonals and num_upper superdiagonals
    (negative: all of them), zeroing the rest (op type MatrixBandPart).

    Example:
        >>> matrix_band_part(x, -1, 0)  # the lower triangle
    """
    with name_scope(name, "MatrixBandPart", [input]) as scope:
        input = convert_to_tensor(input, name="input")
        lo = convert_to_tensor(num_lower, dtype=dtypes.int64, name="num_lower")
        up = convert_to_tensor(num_upper, dtype=dtypes.int64, name="num_upper")
        return apply_op("MatrixBandPart", input, lo, up, name=scope)


def matrix_diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
                align="RIGHT_LEFT"):
    """Square matrices with `diagonal` on diagonal `k` and zeros elsewhere (MatrixDiag).

    Args:
        diagonal: a Tensor [..., n].
        name: op name.
        k: the diagonal offset (one diagonal).
        num_rows, num_cols, padding_value, align: must keep their defaults (a square output
            of size n + |k|, zero padding).

    Raises:
        ValueError: a band of diagonals or non-default sizes/padding.

    Example:
        >>> matrix_diag([1, 2])  # [[1, 0], [0, 2]]
    """
    if (num_rows, num_cols, padding_value) != (-1, -1, 0):
        raise ValueError("matrix_diag: only the square output with zero padding is supported")
    with name_scope(name, "diag", [diagonal]) as scope:
        diagonal = convert_to_tensor(diagonal, name="diagonal")
        return apply_op("MatrixDiag", diagonal, name=scope, k=_single_k(k))


def matrix_diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):
    """Diagonal `k` of each matrix in `input` [..., m, n] (op type MatrixDiagPart).

    Example:
        >>> matrix_diag_part([[1, 2], [3, 4]])  # [1, 4]
    """
    with name_scope(name, "diag_part", [input]) as scope:
        input = convert_to_tensor(input, name="input")
        return apply_op("MatrixDiagPart", input, name=scope, k=_single_k(k))


def matrix_set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):
    """`input` with diagonal `k` of each matrix replaced by `diagonal` (MatrixSetDiag).

    Example:
        >>> matrix_set_diag(zeros([2, 2]), [1.0, 2.0])  # [[1, 0], [0, 2]]
    """
    with name_scope(name, "set_diag", [input, diagonal]) as scope:
        input = convert_to_tensor(input, name="input")
        diagonal = convert_to_tensor(diagonal, dtype=input.dtype, name="diagonal")
        return apply_op("MatrixSetDiag", input, diagonal, name=scope, k=_single_k(k))


def cross(a, b, name=None):
    """The cross product of 3-vectors along the last dimension (op type Cross)."""
    with name_scope(name, "Cross", [a, b]) as scope:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, dtype=a.dtype, name="b")
        return apply_op("Cross", a, b, name=scope)


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Transposes the last two dimensions of `a` (conjugating if asked).

    Raises:
        ValueError: `a` has rank < 2.

    Example:
        >>> matrix_transpose(ones([5, 2, 3])).shape  # [5, 3, 2]
    """
    with name_scope(name, "matrix_transpose", [a]):
        a = convert_to_tensor(a, name="a")
        ndims = a.shape.ndims
        if ndims is not None:
            if ndims < 2:
                raise ValueError(f"Argument `a` should be a (batch) matrix with rank >= 2.  "
                                 f"Received `a` = {a} with shape: {a.shape}")
            perm = list(range(ndims - 2)) + [ndims - 1, ndims - 2]
        else:
            r = array_ops.rank(a)
            perm = array_ops.concat([array_ops.range(r - 2), array_ops.stack([r - 1, r - 2])],
                                    0)
        return array_ops.transpose(a, perm=perm, conjugate=conjugate)


def adjoint(matrix, name=None):
    """The conjugate transpose of the last two dimensions."""
    with name_scope(name, "adjoint", [matrix]):
        return matrix_transpose(convert_to_tensor(matrix, name="matrix"), conjugate=True)


def trace(x, name=None):
    """The sum of the main diagonal of each matrix in `x` [..., m, n].

    Example:
        >>> trace([[1, 2], [3, 4]])  # 5
    """
    with name_scope(name, "Trace", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return math_ops.reduce_sum(matrix_diag_part(x), [-1], name=scope)


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """Identity matrices [*batch_shape, num_rows, num_columns] (ones on the main diagonal).

    Example:
        >>> eye(2, 3)  # [[1, 0, 0], [0, 1, 0]]
    """
    with name_scope(name, "eye", [num_rows, num_columns, batch_shape]):
        rows = int(num_rows)
        cols = rows if num_columns is None else int(num_columns)
        batch = [] if batch_shape is None else [int(b) for b in batch_shape]
        ones = array_ops.ones(batch + [min(rows, cols)], dtype=dtype)
        if rows == cols:
            return matrix_diag(ones)
        return matrix_set_diag(array_ops.zeros(batch + [rows, cols], dtype=dtype), ones)


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """The matrix-vector product a @ b for `a` [..., m, n] and `b` [..., n]."""
    with name_scope(name, "MatVec", [a, b]):
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b")
        out = math_ops.matmul(a, array_ops.expand_dims(b, -1), transpose_a=transpose_a,
                              adjoint_a=adjoint_a)
        return array_ops.squeeze(out, axis=-1)


def tensor_diag(diagonal, name=None):
    """A tensor of rank 2k with `diagonal` (rank k, static shape) on its diagonal (TF's diag).

    Example:
        >>> tensor_diag([1, 2])  # [[1, 0], [0, 2]]
    """
    with name_scope(name, "Diag", [diagonal]):
        d = convert_to_tensor(diagonal, name="diagonal")
        dims = d.shape.as_list()
        flat = matrix_diag(array_ops.reshape(d, [-1]))
        return array_ops.reshape(flat, dims + dims)


def tensor_diag_part(input, name=None):
    """The diagonal of a rank-2k tensor with static shape dims + dims (TF's diag_part)."""
    with name_scope(name, "DiagPart", [input]):
        x = convert_to_tensor(input, name="input")
        dims = x.shape.as_list()
        half = len(dims) // 2
        if len(dims) % 2 or dims[:half] != dims[half:]:
            raise ValueError(f"Input must have even rank and shape dims + dims, got {x.shape}")
        size = 1
        for d in dims[:half]:
            size *= d
        return array_ops.reshape(matrix_diag_part(array_ops.reshape(x, [size, size])),
                                 dims[:half])


__all__ = ["adjoint", "cross", "eye", "matrix_band_part", "matrix_diag", "matrix_diag_part",
           "matrix_set_diag", "matrix_transpose", "matvec", "tensor_diag", "tensor_diag_part",
           "trace"]
