"""sparse_math_ops: arithmetic on SparseTensors — TF 1.x's sparse_tensor_dense_matmul
(SparseTensorDenseMatMul), sparse_add (SparseAdd, SparseAddGrad, SparseTensorDenseAdd), the
SparseTensor `*` and `/` operators with a dense tensor (SparseDenseCwiseMul/Div, and
SparseDenseCwiseAdd), sparse_reduce_sum/max and their _sparse forms (SparseReduceSum,
SparseReduceSumSparse, SparseReduceMax, SparseReduceMaxSparse), sparse_softmax
(SparseSoftmax), sparse_maximum/minimum (SparseSparseMaximum/Minimum), sparse_mask
(IndexedSlices) and sparse_matmul (SparseMatMul: TF's dense MatMul with sparsity hints).

Inputs are expected in row-major order, as TF's kernels expect (`tf.sparse.reorder`): two
SparseTensors are merged entry by entry (an index in both is combined, one in only one is
copied: SparseAdd keeps a sum only when |sum| >= thresh, maximum/minimum compare with an
implicit 0). Reductions over a SparseTensor see only its entries: an output position that no
entry reduces to is 0 (also for max), as TF's kernels. The dense operand of a cwise op
broadcasts to the sparse shape, never the other way.

Gradients are TF's: SparseTensorDenseMatMul (values and dense), SparseAdd (SparseAddGrad),
SparseTensorDenseAdd, SparseDenseCwiseMul/Div (values and dense), SparseReduceSum,
SparseSoftmax; SparseMatMul's as MatMul's. TF defines none for SparseReduceMax(Sparse),
SparseReduceSumSparse, SparseDenseCwiseAdd and SparseSparseMaximum/Minimum: a gradient
through them fails as in TF.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowexec.framework.sparse_tensor import convert_to_sparse_tensor as _sparse
from flowexec.framework.tensor import Tensor, register_operator
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, search_ops, shape_fns
from flowexec.ops.sparse_ops import check_sparse_components, row_major_order
from flowexec.ops.sparse_ops import row_major_strides

__all__ = ["sparse_add", "sparse_mask", "sparse_matmul", "sparse_maximum", "sparse_minimum",
           "sparse_reduce_max", "sparse_reduce_max_sparse", "sparse_reduce_sum",
           "sparse_reduce_sum_sparse", "sparse_softmax", "sparse_tensor_dense_matmul"]


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _no_gradient(op, *grads):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")


def _static_shape(shape_tensor):
    return array_ops._shape_from_dims(array_ops._shape_dims(shape_tensor))


def _int64(op, *positions):
    for i in positions:
        shape_fns.check_dtype_in(op, (dtypes.int64,), i)


# ----- SparseTensorDenseMatMul ------------------------------------------------------------
def _matmul_infer(op):
    a_indices, a_values, a_shape, b = op.inputs
    shape_fns.check_dtype_in(op, (dtypes.int64, dtypes.int32), 0)
    shape_fns.check_dtype_in(op, (dtypes.int64,), 2)
    if a_values.dtype is not b.dtype:
        raise TypeError(f"Input 'b' of 'SparseTensorDenseMatMul' Op has type {b.dtype.name} "
                        f"that does not match type {a_values.dtype.name} of argument "
                        "'a_values'.")
    check_sparse_components(op, a_indices, a_values, a_shape)
    if b.shape.ndims not in (None, 2):
        raise shape_fns.shape_error(op, f"Shape must be rank 2 but is rank {b.shape.ndims}")
    a = _static_shape(a_shape)
    m = k = None
    if a.ndims == 2:
        m, k = a.as_list()
    if op.attrs["adjoint_a"]:
        m, k = k, m
    n = None
    if b.shape.ndims == 2:
        bk, n = b.shape.as_list()
        if op.attrs["adjoint_b"]:
            bk, n = n, bk
        if k is not None and bk is not None and k != bk:
            raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {k} and {bk}")
    return [(b.dtype, TensorShape([m, n]))]


def _matmul_cost(op):
    return EXPENSIVE


@defop("SparseTensorDenseMatMul", infer=_matmul_infer, cost=_matmul_cost)
def _sparse_dense_matmul(xp, a_indices, a_values, a_shape, b, *, adjoint_a=False,
                         adjoint_b=False):
    if a_shape.ndim != 1:
        raise _invalid("Tensor 'a_shape' is not a vector")
    if a_shape.shape[0] != 2:
        raise _invalid("Tensor 'a_shape' must have 2 elements")
    if a_values.ndim != 1:
        raise _invalid("Tensor 'a_values' is not a vector")
    if a_indices.ndim != 2:
        raise _invalid("Tensor 'a_indices' is not a matrix")
    if a_indices.shape[0] != a_values.shape[0]:
        raise _invalid(f"Number of rows of a_indices does not match number of entries in "
                       f"a_values")
    if a_indices.shape[1] != a_shape.shape[0]:
        raise _invalid("Number of columns of a_indices does not match number of entries in "
                       "a_shape")
    if b.ndim != 2:
        raise _invalid(f"Tensor 'b' is not a matrix")
    rows_a, cols_a = (int(d) for d in a_shape.tolist())
    out_rows, inner = (cols_a, rows_a) if adjoint_a else (rows_a, cols_a)
    b_inner, out_cols = (b.shape[1], b.shape[0]) if adjoint_b else b.shape
    if inner != b_inner:
        raise _invalid(f"Cannot multiply A and B because inner dimension does not match: "
                       f"{inner} vs. {b_inner}.  Did you forget a transpose?  Dimensions of "
                       f"A: [{rows_a}, {cols_a}).  Dimensions of B: {_dims(b.shape)}")
    m_col, k_col = (1, 0) if adjoint_a else (0, 1)
    rows = a_indices[:, m_col].astype(np.int64)
    cols = a_indices[:, k_col].astype(np.int64)
    for col, what, col_i, bound in ((cols, "k", k_col, inner), (rows, "m", m_col, out_rows)):
        bad = (col < 0) | (col >= bound)
        if bad.any():
            i = int(xp.argmax(bad))
            raise _invalid(f"{what} ({int(col[i])}) from index[{i},{col_i}] out of bounds "
                           f"(>={bound})")
    values = xp.conj(a_values) if adjoint_a else a_values
    bop = xp.conj(b.T) if adjoint_b else b
    out = xp.zeros((out_rows, out_cols), dtype=b.dtype)
    xp.add.at(out, rows, values[:, None] * bop[cols])
    return out


@_sparse_dense_matmul.gradient
def _sparse_dense_matmul_grad(op, grad):
    a_indices, a_values, a_shape, b = op.inputs
    adj_a, adj_b = op.attrs["adjoint_a"], op.attrs["adjoint_b"]
    b_grad = apply_op("SparseTensorDenseMatMul", a_indices, a_values, a_shape, grad,
                      name="SparseTensorDenseMatMul", adjoint_a=not adj_a, adjoint_b=False)
    if adj_b:
        b_grad = math_ops.conj(array_ops.transpose(b_grad))
    rows, cols = a_indices[:, 0], a_indices[:, 1]
    parts_a = array_ops.gather(grad, cols if adj_a else rows)
    parts_b = array_ops.gather(array_ops.transpose(b) if adj_b else b, rows if adj_a else cols)
    # TF's batched matmul of the gathered rows, written as the sum it computes
    if adj_a:
        parts_a = math_ops.conj(parts_a)
    if adj_a == adj_b:
        parts_b = math_ops.conj(parts_b)
    values_grad = math_ops.reduce_sum(parts_a * parts_b, axis=-1)
    return [None, values_grad, None, b_grad]


def sparse_tensor_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """The matrix product of a 2-D SparseTensor and a dense matrix (op type
    SparseTensorDenseMatMul): `op(sp_a) @ op(b)`, `op` the adjoint where asked. A dense
    first operand with a sparse second one is computed transposed, as TF.

    Raises:
        InvalidArgumentError: (at run time) inner dimensions that differ, an index out of
            bounds.

    Example:
        >>> a = tf.SparseTensor([[0, 1], [1, 0]], [2.0, 3.0], [2, 2])
        >>> sess.run(tf.sparse.matmul(a, [[1.0], [10.0]]))
        array([[20.], [ 3.]], dtype=float32)
    """
    if isinstance(b, (SparseTensor, SparseTensorValue)):
        if adjoint_a != adjoint_b:
            return array_ops.transpose(sparse_tensor_dense_matmul(b, sp_a, adjoint_a,
                                                                  adjoint_b))
        return array_ops.transpose(sparse_tensor_dense_matmul(
            b, sp_a, adjoint_a=not adjoint_a, adjoint_b=not adjoint_b))
    sp_a = _sparse(sp_a)
    with name_scope(name, "SparseTensorDenseMatMul", [sp_a.indices, sp_a.values, b]) as name:
        b = convert_to_tensor(b, name="b")
        return apply_op("SparseTensorDenseMatMul", sp_a.indices, sp_a.values, sp_a.dense_shape,
                        b, name=name, adjoint_a=bool(adjoint_a), adjoint_b=bool(adjoint_b))


# ----- merging two SparseTensors ----------------------------------------------------------
def _check_same_shapes(a_shape, b_shape):
    if a_shape.shape[0] != b_shape.shape[0]:
        raise _invalid(f"Operands do not have the same ranks; got shapes: {_dims(a_shape)} and "
                       f"{_dims(b_shape)}")
    for d, (x, y) in enumerate(zip(a_shape.tolist(), b_shape.tolist())):
        if x != y:
            raise _invalid(f"Operands' shapes do not match: got {x} and {y} for dimension {d}")


def _merge(xp, a_indices, b_indices):
    """The union of two row-major index lists: (order, is_a, pos, pair): the merged entries
    as positions into concat(a, b), with, for an index in both, the b position paired."""
    na = a_indices.shape[0]
    both = xp.concatenate([a_indices, b_indices], axis=0)
    order = row_major_order(xp, both)  # stable: a's entry first where both have one
    rows = both[order]
    same = xp.all(rows[1:] == rows[:-1], axis=1) if rows.shape[0] > 1 else \
        xp.zeros(0, bool)
    # an a entry followed by an equal b entry is one merged entry
    pair = xp.zeros(order.shape[0], bool)
    if same.shape[0]:
        pair[:-1] = same & (order[:-1] < na) & (order[1:] >= na)
    drop = xp.zeros(order.shape[0], bool)
    drop[1:] = pair[:-1]
    keep = ~drop
    partner = xp.full(order.shape[0], -1, dtype=np.int64)
    partner[:-1] = xp.where(pair[:-1], order[1:], -1)
    return order[keep], partner[keep]


def _sparse_add_infer(op):
    a_i, a_v, a_s, b_i, b_v, b_s, thresh = op.inputs
    _int64(op, 0, 2, 3, 5)
    check_sparse_components(op, a_i, a_v, a_s)
    check_sparse_components(op, b_i, b_v, b_s)
    if a_v.dtype is not b_v.dtype:
        raise TypeError(f"Input 'b_values' of 'SparseAdd' Op has type {b_v.dtype.name} that "
                        f"does not match type {a_v.dtype.name} of argument 'a_values'.")
    if thresh.shape.ndims not in (None, 0):
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {thresh.shape.ndims}")
    rank = a_s.shape.as_list()[0] if a_s.shape.ndims == 1 else None
    return [(dtypes.int64, TensorShape([None, rank])), (a_v.dtype, TensorShape([None])),
            (dtypes.int64, a_s.shape)]


@defop("SparseAdd", infer=_sparse_add_infer)
def _sparse_add(xp, a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    _check_same_shapes(a_shape, b_shape)
    order, partner = _merge(xp, a_indices, b_indices)
    both_i = xp.concatenate([a_indices, b_indices], axis=0)
    both_v = xp.concatenate([a_values, b_values], axis=0)
    values = both_v[order].copy()
    paired = partner >= 0
    values[paired] = values[paired] + both_v[partner[paired]]
    keep = ~paired | (xp.abs(values) >= thresh)
    return both_i[order][keep], values[keep], a_shape.copy()


@_sparse_add.gradient
def _sparse_add_grad(op, *grads):
    a_grad, b_grad = apply_op("SparseAddGrad", grads[1], op.inputs[0], op.inputs[3],
                              op.outputs[0], name="SparseAddGrad")
    a_grad.set_shape(op.inputs[1].shape)
    b_grad.set_shape(op.inputs[4].shape)
    return [None, a_grad, None, None, b_grad, None, None]


def _sparse_add_grad_infer(op):
    grad, a_i, b_i, sum_i = op.inputs
    _int64(op, 1, 2, 3)
    n = lambda t: t.shape.as_list()[0] if t.shape.ndims else None  # noqa: E731
    return [(grad.dtype, TensorShape([n(a_i)])), (grad.dtype, TensorShape([n(b_i)]))]


@defop("SparseAddGrad", infer=_sparse_add_grad_infer)
def _sparse_add_grad_kernel(xp, backprop_val_grad, a_indices, b_indices, sum_indices):
    # TF's walk: each sum entry takes its gradient from the a and/or b entry of its index.
    a_grad = xp.zeros(a_indices.shape[0], dtype=backprop_val_grad.dtype)
    b_grad = xp.zeros(b_indices.shape[0], dtype=backprop_val_grad.dtype)
    a_rows, b_rows = a_indices.tolist(), b_indices.tolist()
    i = j = 0
    a_take, a_from, b_take, b_from = [], [], [], []
    for k, row in enumerate(sum_indices.tolist()):
        while i < len(a_rows) and a_rows[i] < row:
            i += 1
        while j < len(b_rows) and b_rows[j] < row:
            j += 1
        if i < len(a_rows) and a_rows[i] == row:
            a_take.append(i)
            a_from.append(k)
            i += 1
        if j < len(b_rows) and b_rows[j] == row:
            b_take.append(j)
            b_from.append(k)
            j += 1
    a_grad[xp.asarray(a_take, np.int64)] = backprop_val_grad[xp.asarray(a_from, np.int64)]
    b_grad[xp.asarray(b_take, np.int64)] = backprop_val_grad[xp.asarray(b_from, np.int64)]
    return a_grad, b_grad


_sparse_add_grad_kernel.not_differentiable()


def _dense_add_infer(op):
    a_i, a_v, a_s, b = op.inputs
    shape_fns.check_dtype_in(op, (dtypes.int64, dtypes.int32), 0)
    shape_fns.check_dtype_in(op, (dtypes.int64, dtypes.int32), 2)
    check_sparse_components(op, a_i, a_v, a_s)
    if a_v.dtype is not b.dtype:
        raise TypeError(f"Input 'b' of 'SparseTensorDenseAdd' Op has type {b.dtype.name} that "
                        f"does not match type {a_v.dtype.name} of argument 'a_values'.")
    return [(b.dtype, b.shape)]


@defop("SparseTensorDenseAdd", infer=_dense_add_infer)
def _sparse_tensor_dense_add(xp, a_indices, a_values, a_shape, b):
    if a_shape.tolist() != list(b.shape):
        raise _invalid(f"Dimension mismatch between a_shape and b.shape: the shapes "
                       f"{_dims(a_shape)} and {_dims(b.shape)} are not equal")
    out = b.copy()
    xp.add.at(out, tuple(a_indices.T), a_values)
    return out


@_sparse_tensor_dense_add.gradient
def _sparse_tensor_dense_add_grad(op, grad):
    return [None, array_ops.gather_nd(grad, op.inputs[0]), None, grad]


def sparse_add(a, b, threshold=None, thresh=None):
    """The sum of two SparseTensors (op type SparseAdd, a SparseTensor), or of a
    SparseTensor and a dense Tensor (SparseTensorDenseAdd, a dense Tensor).

    Where both SparseTensors have an entry its sum is kept only when |sum| >= `thresh`;
    entries of only one are copied.

    Raises:
        TypeError: neither operand is sparse.
        ValueError: static shapes that cannot match.
        InvalidArgumentError: (at run time) dense shapes that differ.

    Example:
        >>> a = tf.SparseTensor([[0, 0], [1, 1]], [1.0, 2.0], [2, 2])
        >>> b = tf.SparseTensor([[1, 1]], [-1.9], [2, 2])
        >>> sess.run(tf.sparse.add(a, b, thresh=0.5)).indices  # [1, 1] summed to 0.1: gone
        array([[0, 0]])
    """
    if thresh is not None:
        if threshold is not None:
            raise ValueError("Cannot specify both 'threshold' and 'thresh'")
        threshold = thresh
    if threshold is None:
        threshold = 0
    sparse_classes = (SparseTensor, SparseTensorValue)
    if not any(isinstance(x, sparse_classes) for x in (a, b)):
        raise TypeError("At least one input should be SparseTensor; do you mean to use "
                        "tf.add()?")
    if all(isinstance(x, sparse_classes) for x in (a, b)):
        a, b = _sparse(a), _sparse(b)
        threshold = convert_to_tensor(threshold, dtype=a.values.dtype.real_dtype,
                                      name="threshold")
        ind, val, shape = apply_op("SparseAdd", a.indices, a.values, a.dense_shape,
                                   b.indices, b.values, b.dense_shape, threshold,
                                   name="SparseAdd")
        a.shape.assert_is_compatible_with(b.shape)
        static = a.shape.merge_with(b.shape)
        if static.is_fully_defined():
            shape = static.as_list()
        return SparseTensor(ind, val, shape)
    if isinstance(b, sparse_classes):
        a, b = b, a
    a = _sparse(a)
    b = convert_to_tensor(b, dtype=a.dtype)
    return apply_op("SparseTensorDenseAdd", a.indices, a.values, a.dense_shape, b,
                    name="SparseTensorDenseAdd")


# ----- SparseDenseCwise{Mul,Div,Add} ------------------------------------------------------
def _cwise_infer(op):
    sp_i, sp_v, sp_s, dense = op.inputs
    _int64(op, 0, 2)
    check_sparse_components(op, sp_i, sp_v, sp_s)
    if sp_v.dtype is not dense.dtype:
        raise TypeError(f"Input 'dense' of '{op.type}' Op has type {dense.dtype.name} that "
                        f"does not match type {sp_v.dtype.name} of argument 'sp_values'.")
    return [(sp_v.dtype, sp_v.shape)]


def _cwise(fn):
    def kernel(xp, sp_indices, sp_values, sp_shape, dense):
        shape = [int(d) for d in sp_shape.tolist()]
        lead = len(shape) - dense.ndim
        if lead < 0 or any(d != 1 and d != s for d, s in zip(dense.shape, shape[lead:])):
            raise _invalid(f"SparseDenseBinaryOpShared broadcasts dense to sparse only; got "
                           f"incompatible shapes: {_dims(shape)} vs. {_dims(dense.shape)}")
        full = xp.broadcast_to(dense, shape)
        return fn(xp, sp_values, full[tuple(sp_indices.T)])
    return kernel


def _cwise_div(xp, x, y):
    if x.dtype.kind in "iu":
        if (y == 0).any():
            raise _invalid("Integer division by zero")
        q = xp.floor_divide(x, y)
        return xp.where((q < 0) & (q * y != x), q + 1, q).astype(x.dtype)  # C's truncation
    return xp.divide(x, y)


_cwise_mul = defop("SparseDenseCwiseMul", infer=_cwise_infer)(
    _cwise(lambda xp, x, y: xp.multiply(x, y)))
_cwise_div_op = defop("SparseDenseCwiseDiv", infer=_cwise_infer)(_cwise(_cwise_div))
_cwise_add = defop("SparseDenseCwiseAdd", infer=_cwise_infer)(
    _cwise(lambda xp, x, y: xp.add(x, y)))
_cwise_add.gradient(_no_gradient)


def _cwise_mul_or_div_grad(op, grad, is_mul):
    x_indices, x_values, x_shape, y = op.inputs
    y_shape = math_ops.cast(array_ops.shape(y), dtypes.int64)
    num_added = array_ops.expand_dims(array_ops.size(x_shape) - array_ops.size(y_shape), 0)
    augmented = array_ops.concat([array_ops.ones(num_added, dtypes.int64), y_shape], 0)
    scaling = math_ops.floordiv(x_shape, augmented)
    scaled = math_ops.floordiv(x_indices, scaling)
    scaled = array_ops.slice(scaled, array_ops.concat([[0], num_added], 0), [-1, -1])
    dense_vals = array_ops.gather_nd(y, scaled)
    if is_mul:
        dx = grad * dense_vals
        dy_val = grad * x_values
    else:
        dx = grad / dense_vals
        dy_val = grad * (-x_values / math_ops.square(dense_vals))
    dy = sparse_add(array_ops.zeros_like(y), SparseTensor(scaled, dy_val, y_shape))
    return [None, dx, None, dy]


_cwise_mul.gradient(lambda op, grad: _cwise_mul_or_div_grad(op, grad, True))
_cwise_div_op.gradient(lambda op, grad: _cwise_mul_or_div_grad(op, grad, False))


def _cwise_apply(op_type, sp_x, y, name):
    with name_scope(None, name, [sp_x, y]) as scope:
        y = convert_to_tensor(y, dtype=sp_x.dtype, name="y")
        vals = apply_op(op_type, sp_x.indices, sp_x.values, sp_x.dense_shape, y, name=scope)
        return SparseTensor(sp_x.indices, vals, sp_x.dense_shape)


_TRUEDIV = {dtypes.uint8: dtypes.float32, dtypes.int8: dtypes.float32,
            dtypes.uint16: dtypes.float32, dtypes.int16: dtypes.float32,
            dtypes.int32: dtypes.float64, dtypes.int64: dtypes.float64}


def _sparse_truediv(sp_x, y):
    with name_scope(None, "truediv", [sp_x, y]) as scope:
        y = convert_to_tensor(y, name="y")
        target = _TRUEDIV.get(sp_x.dtype)
        if target is not None:
            sp_x = SparseTensor(sp_x.indices, math_ops.cast(sp_x.values, target),
                                sp_x.dense_shape)
            y = math_ops.cast(y, target)
        vals = apply_op("SparseDenseCwiseDiv", sp_x.indices, sp_x.values, sp_x.dense_shape, y,
                        name=scope)
        return SparseTensor(sp_x.indices, vals, sp_x.dense_shape)


SparseTensor.__mul__ = lambda self, y: _cwise_apply("SparseDenseCwiseMul", self, y, "mul")
SparseTensor.__div__ = lambda self, y: _cwise_apply("SparseDenseCwiseDiv", self, y, "div")
SparseTensor.__truediv__ = _sparse_truediv

_dense_mul = Tensor.__mul__


def _mul_dispatch(x, y):
    """TF's `_mul_dispatch`: Dense * Sparse is the SparseTensor of the products."""
    if isinstance(y, SparseTensor):
        with name_scope(None, "mul", [x, y]) as scope:
            vals = apply_op("SparseDenseCwiseMul", y.indices, y.values, y.dense_shape, x,
                            name=scope)
            return SparseTensor(y.indices, vals, y.dense_shape)
    return _dense_mul(x, y)


register_operator("__mul__", _mul_dispatch)


def sparse_dense_cwise_add(sp_t, dense_t):
    """The SparseTensor `sp_t` with `dense_t` (broadcast to its shape) added to its values
    (op type SparseDenseCwiseAdd; no gradient, as TF)."""
    vals = apply_op("SparseDenseCwiseAdd", sp_t.indices, sp_t.values, sp_t.dense_shape,
                    dense_t, name="SparseDenseCwiseAdd")
    return SparseTensor(sp_t.indices, vals, sp_t.dense_shape)


# ----- reductions -------------------------------------------------------------------------
def _reduction_groups(xp, indices, shape, axes, keep_dims):
    """The output shape and, per entry, its output position (row-major) and its output index
    (the kept coordinates; 0 for reduced ones kept as 1s)."""
    rank = len(shape)
    axes = [int(a) for a in np.reshape(axes, -1).tolist()]
    for a in axes:
        if not -rank <= a < rank:
            raise _invalid(f"Invalid reduction dimension {a}, for input with {rank} "
                           "dimensions.")
    reduced = sorted({a % rank for a in axes})
    kept = [d for d in range(rank) if d not in reduced]
    if keep_dims:
        out_shape = [1 if d in reduced else shape[d] for d in range(rank)]
        out_idx = indices.copy()
        out_idx[:, reduced] = 0
    else:
        out_shape = [shape[d] for d in kept]
        out_idx = indices[:, kept]
    return out_shape, out_idx


def _reduce_infer(op, sparse_out):
    indices, values, shape, axes = op.inputs
    _int64(op, 0, 2)
    shape_fns.check_dtype_in(op, (dtypes.int32,), 3)
    check_sparse_components(op, indices, values, shape)
    static = _static_shape(shape)
    ax = shape_fns.constant_value(axes)
    keep = op.attrs["keep_dims"]
    out = TensorShape(None)
    if static.ndims is not None and ax is not None:
        rank = static.ndims
        axes_list = np.reshape(ax, -1).tolist()
        if all(-rank <= a < rank for a in axes_list):  # else TF's run-time error
            red = {a % rank for a in axes_list}
            dims = static.as_list()
            out = TensorShape([1 if d in red else dims[d] for d in range(rank)] if keep
                              else [dims[d] for d in range(rank) if d not in red])
    if not sparse_out:
        return [(values.dtype, out)]
    r = out.ndims
    return [(dtypes.int64, TensorShape([None, r])), (values.dtype, TensorShape([None])),
            (dtypes.int64, TensorShape([r]))]


def _segments(xp, out_idx, out_shape):
    """The row-major output position of each entry."""
    if not out_shape:
        return xp.zeros(out_idx.shape[0], np.int64)
    return out_idx @ row_major_strides(xp, out_shape)


def _reduce_kernel(kind, sparse_out):
    def kernel(xp, input_indices, input_values, input_shape, reduction_axes, *,
               keep_dims=False):
        shape = [int(d) for d in input_shape.tolist()]
        out_shape, out_idx = _reduction_groups(xp, input_indices, shape, reduction_axes,
                                               keep_dims)
        flat = _segments(xp, out_idx, out_shape)
        if not sparse_out:
            size = int(np.prod(out_shape, dtype=np.int64))
            out = xp.zeros(size, dtype=input_values.dtype)
            if kind == "sum":
                xp.add.at(out, flat, input_values)
            elif input_values.shape[0]:
                lowest = xp.full(size, _lowest(xp, input_values.dtype),
                                 dtype=input_values.dtype)
                xp.maximum.at(lowest, flat, input_values)
                seen = xp.zeros(size, bool)
                seen[flat] = True
                out = xp.where(seen, lowest, out)
            return out.reshape(out_shape)
        uniq, inverse = xp.unique(flat, return_inverse=True)
        inverse = inverse.reshape(-1)
        if kind == "sum":
            vals = xp.zeros(uniq.shape[0], dtype=input_values.dtype)
            xp.add.at(vals, inverse, input_values)
        else:
            vals = xp.full(uniq.shape[0], _lowest(xp, input_values.dtype),
                           dtype=input_values.dtype)
            xp.maximum.at(vals, inverse, input_values)
        idx = xp.zeros((uniq.shape[0], len(out_shape)), dtype=np.int64)
        rest = uniq.copy()
        for d in range(len(out_shape) - 1, -1, -1):
            idx[:, d] = rest % out_shape[d]
            rest = rest // out_shape[d]
        return idx, vals, xp.asarray(out_shape, dtype=np.int64)
    return kernel


def _lowest(xp, dtype):
    return xp.finfo(dtype).min if dtype.kind == "f" else xp.iinfo(dtype).min


_reduce_sum = defop("SparseReduceSum", infer=lambda op: _reduce_infer(op, False))(
    _reduce_kernel("sum", False))
_reduce_sum_sparse = defop("SparseReduceSumSparse", infer=lambda op: _reduce_infer(op, True))(
    _reduce_kernel("sum", True))
_reduce_max = defop("SparseReduceMax", infer=lambda op: _reduce_infer(op, False))(
    _reduce_kernel("max", False))
_reduce_max_sparse = defop("SparseReduceMaxSparse", infer=lambda op: _reduce_infer(op, True))(
    _reduce_kernel("max", True))
for _od in (_reduce_sum_sparse, _reduce_max, _reduce_max_sparse):
    _od.gradient(_no_gradient)


@_reduce_sum.gradient
def _reduce_sum_grad(op, out_grad):
    sp_indices, _, sp_shape, axes = op.inputs
    # TF's reduced_shape(sp_shape, axes): the reduced dimensions set to 1
    rank = array_ops.size(sp_shape)
    axes = math_ops.floormod(math_ops.cast(array_ops.reshape(axes, [-1]), dtypes.int32), rank)
    positions = array_ops.range(rank)
    reduced = math_ops.reduce_any(math_ops.equal(array_ops.expand_dims(positions, 1),
                                                 array_ops.expand_dims(axes, 0)), axis=1)
    kept = math_ops.where(reduced, array_ops.ones_like(sp_shape), sp_shape)
    out_grad = array_ops.reshape(out_grad, kept)
    scale = math_ops.floordiv(sp_shape, kept)
    return [None, array_ops.gather_nd(out_grad, math_ops.floordiv(sp_indices, scale)), None,
            None]


def _reduction_axes(sp_input, axis):
    if axis is not None:
        return convert_to_tensor(axis, dtype=dtypes.int32, name="reduction_axes")
    rank = _static_shape(sp_input.dense_shape).ndims
    if rank is None:
        rank = sp_input.dense_shape.shape.as_list()[0] if \
            sp_input.dense_shape.shape.ndims == 1 else None
    if rank is not None:
        return convert_to_tensor(np.arange(rank, dtype=np.int32))
    return array_ops.range(0, array_ops.size(sp_input.dense_shape))


def _keepdims(keepdims, keep_dims, axis, reduction_axes):
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'")
        keepdims = keep_dims
    if reduction_axes is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'reduction_axes'")
        axis = reduction_axes
    return bool(keepdims), axis


def _reduce(op_type, sp_input, axis, keepdims, sparse_out):
    sp_input = _sparse(sp_input)
    out = apply_op(op_type, sp_input.indices, sp_input.values, sp_input.dense_shape,
                   _reduction_axes(sp_input, axis), name=op_type, keep_dims=keepdims)
    return SparseTensor(*out) if sparse_out else out


def sparse_reduce_sum(sp_input, axis=None, keepdims=None, reduction_axes=None,
                      keep_dims=None):
    """The sum of a SparseTensor's entries over `axis` (all when None), a dense Tensor (op
    type SparseReduceSum); `keepdims` keeps the reduced dimensions as 1s.

    Raises:
        InvalidArgumentError: (at run time) an axis outside [-rank, rank).

    Example:
        >>> st = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1, 1, 1], [2, 3])
        >>> sess.run(tf.sparse.reduce_sum(st, 1))
        array([2, 1], dtype=int32)
    """
    keepdims, axis = _keepdims(keepdims, keep_dims, axis, reduction_axes)
    return _reduce("SparseReduceSum", sp_input, axis, keepdims, False)


def sparse_reduce_sum_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None,
                             keep_dims=None):
    """`sparse_reduce_sum` as a SparseTensor of the positions some entry reduces to (op
    type SparseReduceSumSparse)."""
    keepdims, axis = _keepdims(keepdims, keep_dims, axis, reduction_axes)
    return _reduce("SparseReduceSumSparse", sp_input, axis, keepdims, True)


def sparse_reduce_max(sp_input, axis=None, keepdims=None, reduction_axes=None,
                      keep_dims=None):
    """The max of a SparseTensor's entries over `axis` (all when None), a dense Tensor (op
    type SparseReduceMax): only the entries count; a position no entry reduces to is 0.

    Example:
        >>> st = tf.SparseTensor([[0, 0], [0, 2]], [-1.0, -3.0], [2, 3])
        >>> sess.run(tf.sparse.reduce_max(st, 1))
        array([-1.,  0.], dtype=float32)
    """
    keepdims, axis = _keepdims(keepdims, keep_dims, axis, reduction_axes)
    return _reduce("SparseReduceMax", sp_input, axis, keepdims, False)


def sparse_reduce_max_sparse(sp_input, axis=None, keepdims=None, reduction_axes=None,
                             keep_dims=None):
    """`sparse_reduce_max` as a SparseTensor of the positions some entry reduces to (op
    type SparseReduceMaxSparse)."""
    keepdims, axis = _keepdims(keepdims, keep_dims, axis, reduction_axes)
    return _reduce("SparseReduceMaxSparse", sp_input, axis, keepdims, True)


# ----- SparseSoftmax ----------------------------------------------------------------------
def _softmax_infer(op):
    indices, values, shape = op.inputs
    _int64(op, 0, 2)
    shape_fns.check_dtype_in(op, (dtypes.float16, dtypes.float32, dtypes.float64), 1)
    check_sparse_components(op, indices, values, shape)
    return [(values.dtype, values.shape)]


@defop("SparseSoftmax", infer=_softmax_infer)
def _sparse_softmax(xp, sp_indices, sp_values, sp_shape):
    if sp_shape.shape[0] < 2:
        raise _invalid(f"Input should have rank >= 2, but received shape: "
                       f"{', '.join(str(int(d)) for d in sp_shape.tolist())}")
    n = sp_indices.shape[0]
    if n == 0:
        return sp_values.copy()
    prefix = sp_indices[:, :-1]
    # groups: runs of consecutive entries with the same leading coordinates (TF's grouping)
    new = xp.ones(n, bool)
    new[1:] = xp.any(prefix[1:] != prefix[:-1], axis=1)
    group = xp.cumsum(new) - 1
    g = int(group[-1]) + 1
    mx = xp.full(g, -xp.inf, dtype=sp_values.dtype)
    xp.maximum.at(mx, group, sp_values)
    e = xp.exp(sp_values - mx[group])
    s = xp.zeros(g, dtype=sp_values.dtype)
    xp.add.at(s, group, e)
    return (e / s[group]).astype(sp_values.dtype)


@_sparse_softmax.gradient
def _sparse_softmax_grad(op, grad):
    indices, _, shape = op.inputs
    out_vals = op.outputs[0]
    product = SparseTensor(indices, out_vals * grad, shape)
    sum_reduced = -sparse_reduce_sum(product, [-1], keepdims=True)
    sp_sum = sparse_dense_cwise_add(SparseTensor(indices, grad, shape), sum_reduced)
    return [None, sp_sum.values * out_vals, None]


def sparse_softmax(sp_input, name=None):
    """Softmax over the last dimension of a SparseTensor of rank >= 2, among its entries
    only (op type SparseSoftmax); the result has the same indices.

    Example:
        >>> st = tf.SparseTensor([[0, 0], [0, 3], [1, 2]], [1.0, 1.0, 5.0], [2, 4])
        >>> sess.run(tf.sparse.softmax(st)).values
        array([0.5, 0.5, 1. ], dtype=float32)
    """
    sp_input = _sparse(sp_input)
    with name_scope(name, "SparseSoftmax", [sp_input.indices, sp_input.values]) as name:
        vals = apply_op("SparseSoftmax", sp_input.indices, sp_input.values,
                        sp_input.dense_shape, name=name)
        return SparseTensor(sp_input.indices, vals, sp_input.dense_shape)


# ----- SparseSparseMaximum / Minimum ------------------------------------------------------
def _sparse_sparse_infer(op):
    a_i, a_v, a_s, b_i, b_v, b_s = op.inputs
    _int64(op, 0, 2, 3, 5)
    check_sparse_components(op, a_i, a_v, a_s)
    check_sparse_components(op, b_i, b_v, b_s)
    if a_v.dtype is not b_v.dtype:
        raise TypeError(f"Input 'b_values' of '{op.type}' Op has type {b_v.dtype.name} that "
                        f"does not match type {a_v.dtype.name} of argument 'a_values'.")
    rank = a_i.shape.as_list()[1] if a_i.shape.ndims == 2 else None
    return [(dtypes.int64, TensorShape([None, rank])), (a_v.dtype, TensorShape([None]))]


def _sparse_sparse(fn):
    def kernel(xp, a_indices, a_values, a_shape, b_indices, b_values, b_shape):
        _check_same_shapes(a_shape, b_shape)
        na = a_indices.shape[0]
        order, partner = _merge(xp, a_indices, b_indices)
        both_i = xp.concatenate([a_indices, b_indices], axis=0)
        both_v = xp.concatenate([a_values, b_values], axis=0)
        zero = xp.zeros((), dtype=a_values.dtype)
        from_a = order < na
        a_val = xp.where(from_a, both_v[order], zero)
        b_val = xp.where(from_a, xp.where(partner >= 0, both_v[xp.maximum(partner, 0)], zero),
                         both_v[order])
        return both_i[order], fn(xp, a_val, b_val).astype(a_values.dtype)
    return kernel


_maximum = defop("SparseSparseMaximum", infer=_sparse_sparse_infer)(
    _sparse_sparse(lambda xp, a, b: xp.maximum(a, b)))
_minimum = defop("SparseSparseMinimum", infer=_sparse_sparse_infer)(
    _sparse_sparse(lambda xp, a, b: xp.minimum(a, b)))
_maximum.gradient(_no_gradient)
_minimum.gradient(_no_gradient)


def _sparse_sparse_apply(op_type, sp_a, sp_b, name):
    sp_a, sp_b = _sparse(sp_a), _sparse(sp_b)
    with name_scope(name, op_type, [sp_a.indices, sp_a.values, sp_b.indices,
                                    sp_b.values]) as name:
        ind, val = apply_op(op_type, sp_a.indices, sp_a.values, sp_a.dense_shape, sp_b.indices,
                            sp_b.values, sp_b.dense_shape, name=name)
    return SparseTensor(ind, val, sp_a.dense_shape)


def sparse_maximum(sp_a, sp_b, name=None):
    """The elementwise maximum of two SparseTensors of one shape (op type
    SparseSparseMaximum): an index of only one is compared with 0.

    Example:
        >>> a = tf.SparseTensor([[0, 0]], [-1.0], [1, 2])
        >>> b = tf.SparseTensor([[0, 1]], [2.0], [1, 2])
        >>> sess.run(tf.sparse.maximum(a, b)).values
        array([0., 2.], dtype=float32)
    """
    return _sparse_sparse_apply("SparseSparseMaximum", sp_a, sp_b, name)


def sparse_minimum(sp_a, sp_b, name=None):
    """The elementwise minimum of two SparseTensors of one shape (op type
    SparseSparseMinimum): an index of only one is compared with 0."""
    return _sparse_sparse_apply("SparseSparseMinimum", sp_a, sp_b, name)


# ----- sparse_mask / sparse_matmul --------------------------------------------------------
def sparse_mask(a, mask_indices, name=None):
    """The rows of an IndexedSlices whose indices are not in `mask_indices` (ListDiff).

    Example:
        >>> a = tf.IndexedSlices(values, [12, 26, 37, 45], [50, 5])
        >>> tf.sparse_mask(a, [12, 45]).indices  # [26, 37]
    """
    with name_scope(name, "sparse_mask", [a, mask_indices]) as name:
        out_indices, to_gather = search_ops.setdiff1d(a.indices, mask_indices)
        out_values = array_ops.gather(a.values, to_gather, name=name)
        return IndexedSlices(out_values, out_indices, a.dense_shape)


def _sparse_matmul_infer(op):
    a, b = op.inputs
    for i in (0, 1):
        shape_fns.check_dtype_in(op, (dtypes.float32, dtypes.bfloat16), i)
    for t in (a, b):
        if t.shape.ndims not in (None, 2):
            raise shape_fns.shape_error(op, f"Shape must be rank 2 but is rank {t.shape.ndims}")
    m = k = k2 = n = None
    if a.shape.ndims == 2:
        m, k = a.shape.as_list()[::-1] if op.attrs["transpose_a"] else a.shape.as_list()
    if b.shape.ndims == 2:
        k2, n = b.shape.as_list()[::-1] if op.attrs["transpose_b"] else b.shape.as_list()
    if k is not None and k2 is not None and k != k2:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {k} and {k2}")
    return [(dtypes.float32, TensorShape([m, n]))]


@defop("SparseMatMul", infer=_sparse_matmul_infer, cost=_matmul_cost)
def _sparse_matmul(xp, a, b, *, transpose_a=False, transpose_b=False, a_is_sparse=False,
                   b_is_sparse=False):
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    x = a.T if transpose_a else a
    y = b.T if transpose_b else b
    if x.shape[1] != y.shape[0]:
        raise _invalid(f"Matrix size incompatible: a: {_dims(a.shape)}, b: {_dims(b.shape)}")
    return xp.matmul(x, y)


@_sparse_matmul.gradient
def _sparse_matmul_grad(op, grad):
    t_a, t_b = op.attrs["transpose_a"], op.attrs["transpose_b"]
    a, b = op.inputs
    # TF's hints: the inputs' own, and a ReluGrad gradient is taken to be sparse
    is_sparse = {id(a): op.attrs["a_is_sparse"], id(b): op.attrs["b_is_sparse"],
                 id(grad): grad.op.type == "ReluGrad"}

    def mm(t1, t2, out_dtype, transpose_a=False, transpose_b=False):
        hints = dict(a_is_sparse=is_sparse[id(t1)], b_is_sparse=is_sparse[id(t2)])
        if transpose_b:
            t2 = array_ops.transpose(t2)
        out = apply_op("SparseMatMul", t1, t2, name="SparseMatMul", transpose_a=transpose_a,
                       transpose_b=False, **hints)
        return out if out_dtype is dtypes.float32 else math_ops.cast(out, out_dtype)

    da, db = a.dtype, b.dtype
    if not t_a and not t_b:
        return [mm(grad, b, da, transpose_b=True), mm(a, grad, db, transpose_a=True)]
    if not t_a and t_b:
        return [mm(grad, b, da), mm(grad, a, db, transpose_a=True)]
    if t_a and not t_b:
        return [mm(b, grad, da, transpose_b=True), mm(a, grad, db)]
    return [mm(b, grad, da, transpose_a=True, transpose_b=True),
            mm(grad, a, db, transpose_a=True, transpose_b=True)]


def sparse_matmul(a, b, transpose_a=False, transpose_b=False, a_is_sparse=False,
                  b_is_sparse=False, name=None):
    """TF 1.x's `tf.sparse_matmul`: the dense matrix product of float32/bfloat16 matrices,
    float32 (op type SparseMatMul); `a_is_sparse`/`b_is_sparse` are hints (TF may pick a
    kernel for mostly-zero inputs), the result is the same.

    Example:
        >>> tf.sparse_matmul([[1.0, 0.0]], [[2.0], [3.0]], a_is_sparse=True)  # [[2.]]
    """
    with name_scope(name, "SparseMatMul", [a, b]) as name:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b")
        return apply_op("SparseMatMul", a, b, name=name, transpose_a=bool(transpose_a),
                        transpose_b=bool(transpose_b), a_is_sparse=bool(a_is_sparse),
                        b_is_sparse=bool(b_is_sparse))
