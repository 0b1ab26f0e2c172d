"""sparse_structure_ops: ops that move a SparseTensor's entries to other positions or shapes
without computing on the values — TF 1.x's sparse_reshape (SparseReshape), sparse_slice
(SparseSlice, SparseSliceGrad), sparse_split (SparseSplit), sparse_concat (SparseConcat),
sparse_fill_empty_rows (SparseFillEmptyRows, SparseFillEmptyRowsGrad), and the Python-level
sparse_transpose, sparse_retain, sparse_reset_shape, sparse.expand_dims and sparse.eye.

Each keeps the entries' relative order where TF does (slice, split, retain, fill_empty_rows
within a row) and returns row-major order where TF sorts (concat, transpose). The run-time
errors are TF's InvalidArgumentErrors, word for word (tests/data/tf1/sparse/ops.npz).
Gradients are TF's: values flow back through SparseSlice (SparseSliceGrad matches output
entries to input entries), SparseFillEmptyRows (SparseFillEmptyRowsGrad: the default value
gets the gradient of the filled entries) and the gather-based wrappers; SparseConcat has
none (no gradient flows), and a gradient through SparseSplit is TF's LookupError.
"""

import numbers

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.sparse_tensor import convert_to_sparse_tensor as _sparse
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape, dimension_value
from flowexec.ops import array_ops, check_ops, constant_op, math_ops
from flowexec.ops import shape_fns
from flowexec.ops.sparse_ops import check_sparse_components, row_major_order, row_major_strides
from flowexec.ops.sparse_ops import sparse_reorder

__all__ = ["sparse_concat", "sparse_expand_dims", "sparse_eye", "sparse_fill_empty_rows",
           "sparse_reset_shape", "sparse_reshape", "sparse_retain", "sparse_slice",
           "sparse_split", "sparse_transpose"]


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _n(t):
    """The static first dimension of a tensor (None when unknown)."""
    return t.shape.as_list()[0] if t.shape.ndims else None


def _len(t):
    """The static length of a 1-D tensor (None when unknown)."""
    return t.shape.as_list()[0] if t.shape.ndims == 1 else None


def _check_int64(op, *positions):
    for i in positions:
        shape_fns.check_dtype_in(op, (dtypes.int64,), i)


# ----- SparseReshape ------------------------------------------------------------------------
def _reshape_infer(op):
    indices, shape, new_shape = op.inputs
    _check_int64(op, 0, 1, 2)
    rank = _len(new_shape)
    return [(dtypes.int64, TensorShape([_n(indices), rank])),
            (dtypes.int64, TensorShape([rank]))]


@defop("SparseReshape", infer=_reshape_infer)
def _sparse_reshape(xp, input_indices, input_shape, new_shape):
    if input_indices.ndim != 2:
        raise _invalid(f"Input indices should be a matrix but received shape "
                       f"{_dims(input_indices.shape)}")
    if input_shape.ndim != 1:
        raise _invalid(f"Input shape should be a vector but received shape "
                       f"{_dims(input_shape.shape)}")
    if new_shape.ndim != 1:
        raise _invalid(f"Target shape should be a vector but received shape "
                       f"{_dims(new_shape.shape)}")
    in_shape = [int(d) for d in input_shape.tolist()]
    if input_indices.shape[1] != len(in_shape):
        raise _invalid(f"Input tensor rank must match input shape length, got "
                       f"{input_indices.shape[1]} and {len(in_shape)}")
    dense_size = int(np.prod(in_shape, dtype=np.int64))
    out_shape, product, unknown = [], 1, -1
    for d, size in enumerate(int(s) for s in new_shape.tolist()):
        if size == -1:
            if unknown != -1:
                raise _invalid(f"only one output dimension may be -1, not both {unknown} "
                               f"and {d}")
            unknown = d
            out_shape.append(1)
        else:
            if size < 0:
                raise _invalid(f"size {d} must be non-negative, not {size}")
            product *= size
            out_shape.append(size)
    if unknown != -1:
        if product <= 0:
            raise _invalid("reshape cannot infer the missing input size for an empty tensor "
                           "unless all specified input sizes are non-zero")
        missing = dense_size // product
        if product * missing != dense_size:
            raise _invalid(f"Input to reshape is a SparseTensor with {dense_size} dense "
                           f"values, but the requested shape requires a multiple of "
                           f"{product}. input_shape={_dims(in_shape)} "
                           f"output_shape={_dims(out_shape)}")
        out_shape[unknown] = missing
    out_size = int(np.prod(out_shape, dtype=np.int64))
    if out_size != dense_size:
        raise _invalid(f"Input to reshape is a tensor with {dense_size} dense values, but the "
                       f"requested shape has {out_size}. input_shape={_dims(in_shape)} "
                       f"output_shape={_dims(out_shape)}")
    flat = input_indices @ row_major_strides(xp, in_shape) if in_shape else \
        xp.zeros(input_indices.shape[0], np.int64)
    out = xp.empty((input_indices.shape[0], len(out_shape)), dtype=np.int64)
    for d, stride in enumerate(row_major_strides(xp, out_shape).tolist()):
        out[:, d] = flat // stride
        flat = flat - out[:, d] * stride
    return out, xp.asarray(out_shape, dtype=np.int64)


_sparse_reshape.not_differentiable()


def sparse_reshape(sp_input, shape, name=None):
    """The SparseTensor with the same entries in another dense shape (row-major; one
    dimension may be -1), op type SparseReshape.

    Raises:
        TypeError: `sp_input` is not a SparseTensor.
        ValueError: a known shape whose size differs from the input's, or two -1s.
        InvalidArgumentError: (at run time) the same, for shapes known only then.

    Example:
        >>> st = tf.SparseTensor([[0, 1], [2, 3]], [1.0, 2.0], [3, 4])
        >>> sess.run(tf.sparse.reshape(st, [2, -1])).indices
        array([[0, 1], [1, 5]])
    """
    sp_input = _sparse(sp_input)
    shape = math_ops.cast(shape, dtype=dtypes.int64)
    with name_scope(name, "SparseReshape", [sp_input]) as name:
        ind, out_shape = apply_op("SparseReshape", sp_input.indices, sp_input.dense_shape,
                                  shape, name=name)
        dims = array_ops._shape_dims(shape)
        user = shape_fns.constant_value(shape)
        if dims is not None and sp_input.shape.is_fully_defined():
            if user is not None and sum(int(d) == -1 for d in np.reshape(user, -1)) > 1:
                raise ValueError(f"At most one dimension can be inferred (-1). Found: "
                                 f"{np.asarray(user)}")
            known = [None if d is None or d < 0 else d for d in dims]
            original = list(known)
            in_size = int(np.prod(sp_input.shape.as_list()))
            implied = sum(d is None for d in known)
            if implied == 1 and 0 not in known:
                i = original.index(None)
                known[i] = int(in_size // np.prod(original[:i] + original[i + 1:]))
            if implied == 0 or (implied == 1 and 0 not in known):
                size = int(np.prod(known))
                if size != in_size:
                    raise ValueError(f"Cannot reshape a tensor with {in_size} elements to "
                                     f"shape {original} ({size} elements).")
                out_shape = constant_op.constant(known, dtype=dtypes.int64)
        return SparseTensor(ind, constant_op.identity(sp_input.values), out_shape)


# ----- SparseSlice ------------------------------------------------------------------------
def _slice_infer(op):
    indices, values, shape, start, size = op.inputs
    _check_int64(op, 0, 2, 3, 4)
    check_sparse_components(op, indices, values, shape)
    rank = _len(shape)
    return [(dtypes.int64, TensorShape([None, rank])), (values.dtype, TensorShape([None])),
            (dtypes.int64, TensorShape([rank]))]


@defop("SparseSlice", infer=_slice_infer)
def _sparse_slice(xp, indices, values, shape, start, size):
    rank = shape.shape[0]
    if start.shape != (rank,):
        raise _invalid(f"Expected start to be a vector of length {rank} but got length "
                       f"{start.size}")
    if size.shape != (rank,):
        raise _invalid(f"Expected size to be a vector of length {rank} but got length "
                       f"{size.size}")
    end = xp.minimum(start + size, shape)
    out_shape = xp.maximum(end - start, 0)
    keep = xp.all((indices >= start) & (indices < end), axis=1) if rank else \
        xp.ones(indices.shape[0], bool)
    return indices[keep] - start, values[keep], out_shape.astype(np.int64)


@_sparse_slice.gradient
def _sparse_slice_grad(op, *grads):
    val_grad = apply_op("SparseSliceGrad", grads[1], op.inputs[0], op.inputs[3],
                        op.outputs[0], name="SparseSliceGrad")
    val_grad.set_shape(op.inputs[1].shape)
    return [None, val_grad, None, None, None]


def _slice_grad_infer(op):
    grad, indices, start, out_indices = op.inputs
    _check_int64(op, 1, 2, 3)
    return [(grad.dtype, TensorShape([_n(indices)]))]


@defop("SparseSliceGrad", infer=_slice_grad_infer)
def _sparse_slice_grad_kernel(xp, backprop_val_grad, input_indices, input_start,
                              output_indices):
    # TF's walk: each output entry is the next input entry that equals it shifted by start.
    out = xp.zeros(input_indices.shape[0], dtype=backprop_val_grad.dtype)
    shifted = (output_indices + input_start).tolist()
    rows = input_indices.tolist()
    j, taken = 0, []
    for i, row in enumerate(rows):
        if j >= len(shifted):
            break
        if row == shifted[j]:
            taken.append(i)
            j += 1
    if j != backprop_val_grad.shape[0]:
        raise errors.InternalError(
            None, None, f"Elements of backprop_val_grad aren't all propagated. Num elements:"
                        f"{backprop_val_grad.shape[0]}, used: {j}")
    out[xp.asarray(taken, dtype=np.int64)] = backprop_val_grad
    return out


_sparse_slice_grad_kernel.not_differentiable()


def sparse_slice(sp_input, start, size, name=None):
    """The entries of a SparseTensor inside the box [start, start + size), shifted to start
    at zero (op type SparseSlice); the box is clipped to the dense shape.

    Example:
        >>> st = tf.SparseTensor([[0, 1], [2, 3]], [1.0, 2.0], [3, 4])
        >>> sess.run(tf.sparse.slice(st, [1, 2], [5, 5]))
        SparseTensorValue(indices=array([[1, 1]]), values=array([2.], dtype=float32),
                          dense_shape=array([2, 2]))
    """
    sp_input = _sparse(sp_input)
    start = convert_to_tensor(start, dtypes.int64)
    size = convert_to_tensor(size, dtypes.int64)
    with name_scope(name, "SparseSlice", [sp_input]) as name:
        ind, val, shape = apply_op("SparseSlice", sp_input.indices, sp_input.values,
                                   sp_input.dense_shape, start, size, name=name)
        return SparseTensor(ind, val, shape)


# ----- SparseSplit ------------------------------------------------------------------------
def _split_infer(op):
    split_dim, indices, values, shape = op.inputs
    _check_int64(op, 0, 1, 3)
    check_sparse_components(op, indices, values, shape)
    n = op.attrs["num_split"]
    if n < 1:
        raise ValueError(f"Attr 'num_split' of 'SparseSplit' Op passed {n} less than minimum 1.")
    rank = _len(shape)
    return ([(dtypes.int64, TensorShape([None, rank]))] * n
            + [(values.dtype, TensorShape([None]))] * n
            + [(dtypes.int64, TensorShape([rank]))] * n)


@defop("SparseSplit", infer=_split_infer)
def _sparse_split(xp, split_dim, indices, values, shape, *, num_split):
    rank = shape.shape[0]
    axis = int(split_dim)
    if not -rank <= axis < rank:
        raise _invalid(f"Input axis should be in range [{-rank}, {rank}), got {axis}")
    axis %= rank
    dim = int(shape[axis])
    if not 1 <= num_split <= dim:
        raise _invalid(f"Input num_split should be between 1 and the splitting dimension size "
                       f"({dim}), got {num_split}")
    size, residual = divmod(dim, num_split)
    out_i, out_v, out_s = [], [], []
    lo = 0
    col = indices[:, axis]
    for k in range(num_split):
        width = size + (1 if k < residual else 0)
        keep = (col >= lo) & (col < lo + width)
        ind = indices[keep].copy()
        ind[:, axis] -= lo
        sh = shape.copy()
        sh[axis] = width
        out_i.append(ind)
        out_v.append(values[keep])
        out_s.append(sh)
        lo += width
    return tuple(out_i + out_v + out_s)


@_sparse_split.gradient
def _sparse_split_grad(op, *grads):
    # TF defines no gradient for SparseSplit: tf.gradients through its values fails as TF's.
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")


def sparse_split(keyword_required=None, sp_input=None, num_split=None, axis=None, name=None,
                 split_dim=None):
    """Splits a SparseTensor into `num_split` along `axis` (op type SparseSplit): the first
    `dense_shape[axis] % num_split` pieces are one wider. Keyword arguments only, as TF's.

    Raises:
        ValueError: a positional argument, or a missing sp_input / num_split / axis.
        InvalidArgumentError: (at run time) axis outside [-rank, rank), num_split larger
            than the dimension.

    Example:
        >>> st = tf.SparseTensor([[0, 1], [2, 3]], [1.0, 2.0], [3, 4])
        >>> top, bottom = tf.sparse.split(sp_input=st, num_split=2, axis=0)  # rows 0-1, 2
    """
    if keyword_required is not None:
        raise ValueError("Keyword arguments are required for this function.")
    if sp_input is None:
        raise ValueError("sp_input is required")
    if num_split is None:
        raise ValueError("num_split is required")
    if axis is None:
        if split_dim is None:
            raise ValueError("axis is required")
        axis = split_dim
    elif split_dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'split_dim'")
    sp_input = _sparse(sp_input)
    num_split = int(num_split)
    outs = apply_op("SparseSplit", convert_to_tensor(axis, dtypes.int64), sp_input.indices,
                    sp_input.values, sp_input.dense_shape, name=name,
                    num_split=num_split)
    outs = list(outs)
    return [SparseTensor(outs[i], outs[num_split + i], outs[2 * num_split + i])
            for i in range(num_split)]


# ----- SparseConcat -----------------------------------------------------------------------
def _concat_infer(op):
    n = len(op.inputs) // 3
    inds, vals, shapes = op.inputs[:n], op.inputs[n:2 * n], op.inputs[2 * n:]
    if n < 2:
        raise ValueError(f"Attr 'N' of 'SparseConcat' Op passed {n} less than minimum 2.")
    dtype = vals[0].dtype
    for v in vals:
        if v.dtype is not dtype:
            raise TypeError(f"Input 'values' of 'SparseConcat' Op has type list of "
                            f"{', '.join(t.dtype.name for t in vals)} that does not match "
                            f"type of {dtype.name}")
    for i, v, s in zip(inds, vals, shapes):
        check_sparse_components(op, i, v, s)
    counts = [_n(i) for i in inds]
    total = None if any(c is None for c in counts) else sum(counts)
    rank = next((r for r in map(_len, shapes) if r is not None), None)
    return [(dtypes.int64, TensorShape([total, rank])), (dtype, TensorShape([total])),
            (dtypes.int64, TensorShape([rank]))]


@defop("SparseConcat", infer=_concat_infer)
def _sparse_concat(xp, *args, concat_dim):
    n = len(args) // 3
    inds, vals, shapes = args[:n], args[n:2 * n], args[2 * n:]
    rank = shapes[0].shape[0]
    for i, s in enumerate(shapes):
        if s.shape[0] != rank:
            raise _invalid(f"Ranks of all input tensors must match: expected {rank} but got "
                           f"{s.shape[0]} at position {i}")
    if not -rank <= concat_dim < rank:
        raise _invalid(f"Concat dimension must be in range [{-rank}, {rank}), got "
                       f"{concat_dim}")
    axis = concat_dim % rank
    first = shapes[0].tolist()
    for i, s in enumerate(shapes[1:], 1):
        for d, (a, b) in enumerate(zip(first, s.tolist())):
            if d != axis and a != b:
                raise _invalid(f"Input shapes must match: expected {a} for dimension {d} but "
                               f"got {b} at position {i}")
    offset, parts = 0, []
    for ind, s in zip(inds, shapes):
        ind = ind.copy()
        ind[:, axis] += offset
        parts.append(ind)
        offset += int(s[axis])
    ind = xp.concatenate(parts, axis=0)
    val = xp.concatenate(vals, axis=0)
    order = row_major_order(xp, ind)
    out_shape = shapes[0].copy()
    out_shape[axis] = offset
    return ind[order], val[order], out_shape


_sparse_concat.not_differentiable()


def sparse_concat(axis, sp_inputs, name=None, expand_nonconcat_dim=False, concat_dim=None,
                  expand_nonconcat_dims=None):
    """Concatenates SparseTensors along `axis` (op type SparseConcat); the result is in
    row-major order. With `expand_nonconcat_dim` the other dimensions may differ and become
    their maximum.

    Raises:
        InvalidArgumentError: (at run time) other dimensions that differ without
            `expand_nonconcat_dim`.

    Example:
        >>> a = tf.SparseTensor([[0, 2]], [1], [2, 3])
        >>> b = tf.SparseTensor([[1, 0]], [2], [2, 1])
        >>> sess.run(tf.sparse.to_dense(tf.sparse.concat(1, [a, b])))
        array([[0, 0, 1, 0], [0, 0, 0, 2]], dtype=int32)
    """
    if expand_nonconcat_dims is not None:
        expand_nonconcat_dim = expand_nonconcat_dims
    if concat_dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'concat_dim'")
        axis = concat_dim
    if not isinstance(sp_inputs, (list, tuple)):
        raise TypeError("Inputs must be a list")
    sp_inputs = [_sparse(s) for s in sp_inputs]
    if len(sp_inputs) == 1:
        return sp_inputs[0]
    inds = [s.indices for s in sp_inputs]
    vals = [s.values for s in sp_inputs]
    shapes = [s.dense_shape for s in sp_inputs]
    if expand_nonconcat_dim:
        max_shape = math_ops.reduce_max(array_ops.concat(
            [array_ops.reshape(s, [1, -1]) for s in shapes], 0), 0)
        shapes = [array_ops.concat([
            max_shape[:axis], s[-1:] if axis == -1 else s[axis:axis + 1],
            [] if axis == -1 else max_shape[axis + 1:]], 0) for s in shapes]
    ind, val, out_shape = apply_op("SparseConcat", *inds, *vals, *shapes, name=name,
                                   concat_dim=int(axis), N=len(inds))
    static_shapes = [s.shape for s in sp_inputs]
    if all(s.ndims is not None for s in static_shapes):
        if expand_nonconcat_dim:
            static = []
            for d in range(static_shapes[0].ndims):
                dims = [dimension_value(s.dims[d]) for s in static_shapes]
                static.append(None if None in dims else max(dims))
        else:
            static = static_shapes[0].as_list()
        along = [dimension_value(s.dims[axis]) for s in static_shapes]
        static[axis] = None if None in along else sum(along)
        static = TensorShape(static)
    else:
        static = TensorShape(None)
    if all(s.is_fully_defined() for s in static_shapes):
        return SparseTensor(ind, val, convert_to_tensor(static.as_list(), dtype=dtypes.int64))
    out = SparseTensor(ind, val, out_shape)
    out.set_shape(static)
    return out


# ----- SparseFillEmptyRows ----------------------------------------------------------------
def _fill_infer(op):
    indices, values, shape, default = op.inputs
    _check_int64(op, 0, 2)
    check_sparse_components(op, indices, values, shape)
    if default.shape.ndims not in (None, 0):
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank "
                                        f"{default.shape.ndims}")
    rank = _len(shape)
    return [(dtypes.int64, TensorShape([None, rank])), (values.dtype, TensorShape([None])),
            (dtypes.bool, TensorShape([None])), (dtypes.int64, TensorShape([_n(indices)]))]


@defop("SparseFillEmptyRows", infer=_fill_infer)
def _sparse_fill_empty_rows(xp, indices, values, dense_shape, default_value):
    if dense_shape.ndim != 1:
        raise _invalid(f"dense_shape must be a vector, saw: {_dims(dense_shape.shape)}")
    if indices.ndim != 2:
        raise _invalid(f"indices must be a matrix, saw: {_dims(indices.shape)}")
    if values.ndim != 1:
        raise _invalid(f"values must be a vector, saw: {_dims(values.shape)}")
    if dense_shape.shape[0] == 0:
        raise _invalid("Dense shape cannot be empty.")
    n_rows = int(dense_shape[0])
    rank = indices.shape[1]
    rows = indices[:, 0] if indices.shape[0] else xp.zeros(0, np.int64)
    bad = (rows < 0) | (rows >= n_rows)
    if bad.any():
        i = int(xp.argmax(bad))
        row = int(rows[i])
        if row < 0:
            raise _invalid(f"indices({i}, 0) is invalid: {row} < 0")
        raise _invalid(f"indices({i}, 0) is invalid: {row} >= {n_rows}")
    counts = xp.bincount(rows, minlength=n_rows)
    empty = counts == 0
    per_row = xp.where(empty, 1, counts)
    offsets = xp.concatenate([xp.zeros(1, np.int64), xp.cumsum(per_row)[:-1]]) \
        if n_rows else xp.zeros(0, np.int64)
    total = int(per_row.sum())
    # entry i goes to offsets[row] + (how many entries of its row came before it)
    order = xp.argsort(rows, kind="stable")
    rank_in_row = xp.empty_like(order)
    sorted_rows = rows[order]
    starts = xp.searchsorted(sorted_rows, sorted_rows, side="left")
    rank_in_row[order] = xp.arange(order.shape[0]) - starts
    reverse = offsets[rows] + rank_in_row
    out_ind = xp.zeros((total, rank), dtype=np.int64)
    out_val = xp.full((total,), default_value, dtype=values.dtype)
    out_ind[reverse] = indices
    out_val[reverse] = values
    empty_rows = xp.nonzero(empty)[0]
    out_ind[offsets[empty_rows], 0] = empty_rows
    return out_ind, out_val, empty, reverse.astype(np.int64)


@_sparse_fill_empty_rows.gradient
def _sparse_fill_empty_rows_grad(op, _, grad_values, *unused):
    d_values, d_default = apply_op("SparseFillEmptyRowsGrad", op.outputs[3], grad_values,
                                   name="SparseFillEmptyRowsGrad")
    return [None, d_values, None, d_default]


def _fill_grad_infer(op):
    reverse, grad = op.inputs
    _check_int64(op, 0)
    return [(grad.dtype, reverse.shape), (grad.dtype, TensorShape([]))]


@defop("SparseFillEmptyRowsGrad", infer=_fill_grad_infer)
def _sparse_fill_empty_rows_grad_kernel(xp, reverse_index_map, grad_values):
    bad = (reverse_index_map < 0) | (reverse_index_map >= grad_values.shape[0])
    if bad.any():
        i = int(xp.argmax(bad))
        raise _invalid(f"Elements in reverse index must be in [0, {grad_values.shape[0]}) but "
                       f"got {int(reverse_index_map[i])}")
    d_values = grad_values[reverse_index_map]
    d_default = grad_values.sum() - d_values.sum()
    return d_values, xp.asarray(d_default, dtype=grad_values.dtype)


_sparse_fill_empty_rows_grad_kernel.not_differentiable()


def sparse_fill_empty_rows(sp_input, default_value, name=None):
    """Adds an entry `[row, 0, ..., 0] = default_value` for every row of a SparseTensor that
    has none (op type SparseFillEmptyRows); entries are grouped by row in their order.

    Returns:
        (the filled SparseTensor, a bool [dense_shape[0]] Tensor: which rows were empty).

    Raises:
        InvalidArgumentError: (at run time) a row index outside [0, dense_shape[0]).

    Example:
        >>> st = tf.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [3, 2])
        >>> filled, empty = tf.sparse.fill_empty_rows(st, -1.0)  # adds [1, 0] = -1
    """
    sp_input = _sparse(sp_input)
    with name_scope(name, "SparseFillEmptyRows", [sp_input]):
        default_value = convert_to_tensor(default_value, dtype=sp_input.values.dtype)
        ind, val, empty, _ = apply_op("SparseFillEmptyRows", sp_input.indices,
                                      sp_input.values, sp_input.dense_shape, default_value,
                                      name="SparseFillEmptyRows")
        return SparseTensor(ind, val, sp_input.dense_shape), empty


# ----- Python-level compositions ----------------------------------------------------------
def sparse_transpose(sp_input, perm=None, name=None):
    """Transposes a SparseTensor (`perm` default: reversed dimensions); the result is
    reordered to row-major order.

    Example:
        >>> st = tf.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [3, 4])
        >>> sess.run(tf.sparse.transpose(st)).indices
        array([[0, 2], [1, 0]])
    """
    with name_scope(name, "SparseTranspose", [sp_input]):
        sp_input = _sparse(sp_input)
        if perm is None:
            if sp_input.shape.ndims is not None:
                rank = sp_input.shape.ndims
                perm = (rank - 1) - np.arange(0, rank, 1)
            else:
                rank = array_ops.shape(sp_input.dense_shape)[0]
                perm = (rank - 1) - array_ops.range(0, rank, 1)
        indices = sp_input.indices
        transposed = array_ops.transpose(array_ops.gather(array_ops.transpose(indices), perm))
        perm_t = convert_to_tensor(perm)
        perm_ = shape_fns.constant_value(perm_t)
        if perm_ is not None and sp_input.shape.is_fully_defined():
            old = sp_input.shape.as_list()
            new_shape = [old[int(p)] for p in np.reshape(perm_, -1)]
        else:
            new_shape = array_ops.gather(sp_input.dense_shape, perm_t)
        return sparse_reorder(SparseTensor(transposed, sp_input.values, new_shape))


def sparse_retain(sp_input, to_retain):
    """The entries of a SparseTensor where the bool vector `to_retain` is True.

    Raises:
        ValueError: `to_retain` is not a vector of the number of entries.

    Example:
        >>> st = tf.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [3, 4])
        >>> sess.run(tf.sparse.retain(st, [False, True])).values
        array([2.], dtype=float32)
    """
    sp_input = _sparse(sp_input)
    to_retain = convert_to_tensor(to_retain)
    retain_shape = to_retain.shape
    retain_shape.assert_has_rank(1)
    n = _n(sp_input.values)
    r = retain_shape.as_list()[0] if retain_shape.ndims == 1 else None
    if n is not None and r is not None and n != r:
        raise ValueError(f"Dimensions {n} and {r} are not compatible")
    where_true = array_ops.reshape(math_ops.where(to_retain), [-1])
    return SparseTensor(array_ops.gather(sp_input.indices, where_true),
                        array_ops.gather(sp_input.values, where_true),
                        constant_op.identity(sp_input.dense_shape))


def sparse_reset_shape(sp_input, new_shape=None):
    """The SparseTensor with another dense shape: `new_shape` (each dimension at least the
    old one), or the tightest shape around the indices when None.

    Raises:
        ValueError: a known `new_shape` smaller than the known shape, or of another rank.
        InvalidArgumentError: (at run time) the same, for shapes known only then.

    Example:
        >>> st = tf.SparseTensor([[0, 1], [1, 2]], [1.0, 2.0], [5, 6])
        >>> sess.run(tf.sparse.reset_shape(st)).dense_shape
        array([2, 3])
    """
    sp_input = _sparse(sp_input)
    in_indices = constant_op.identity(sp_input.indices)
    in_values = constant_op.identity(sp_input.values)
    in_shape = constant_op.identity(sp_input.dense_shape)
    if new_shape is None:
        low = math_ops.reduce_max(in_indices, axis=0)
        out_shape = math_ops.maximum(constant_op.constant(0, dtype=dtypes.int64),
                                     math_ops.add(low, array_ops.ones_like(in_shape)))
    else:
        out_shape = convert_to_tensor(new_shape)
        out_shape.shape.assert_has_rank(1)
        out_shape = math_ops.cast(out_shape, dtypes.int64)
        a, b = _len(out_shape), _len(in_shape)
        if a is not None and b is not None and a != b:
            raise ValueError(f"Dimensions {a} and {b} are not compatible")
        const = shape_fns.constant_value(out_shape)
        if const is not None and sp_input.shape.is_fully_defined():
            in_const = np.array(sp_input.shape.as_list())
            if not np.all(in_const <= const):
                raise ValueError(
                    "Requested new_shape should have dimension sizes >= sp_input.shape.  "
                    f"Found new_shape ({in_const}), sp_input.shape ({const}).")
            out_shape = const
        else:
            out_shape = constant_op._with_dependencies(
                [check_ops.assert_equal(array_ops.shape(in_shape),
                                        array_ops.shape(out_shape))], out_shape)
            out_shape = constant_op._with_dependencies(
                [check_ops.assert_less_equal(in_shape, out_shape)], out_shape)
    return SparseTensor(in_indices, in_values, out_shape)


def sparse_expand_dims(sp_input, axis=None, name=None):
    """Inserts a dimension of size 1 at `axis` (default -1, the end) of a SparseTensor.

    Raises:
        TypeError: `axis` is neither an int nor a Tensor.

    Example:
        >>> st = tf.SparseTensor([[3, 4, 1]], [7], [10, 10, 3])
        >>> tf.sparse.expand_dims(st, axis=1).shape
        TensorShape([10, 1, 10, 3])
    """
    sp_input = _sparse(sp_input)
    rank = _len(sp_input.dense_shape)
    if rank is None:
        rank = array_ops.shape(sp_input.dense_shape)[0]
    axis = -1 if axis is None else axis
    static = TensorShape(None)
    if isinstance(axis, numbers.Integral) and sp_input.shape.ndims is not None:
        dims = sp_input.shape.as_list()
        at = axis if axis >= 0 else axis + len(dims) + 1
        if 0 <= at <= len(dims):
            static = TensorShape(dims[:at] + [1] + dims[at:])
    with name_scope(name, "expand_dims", [sp_input]):
        if isinstance(axis, numbers.Integral):
            axis = convert_to_tensor(axis, name="axis", dtype=dtypes.int32)
        elif not isinstance(axis, Tensor):
            raise TypeError("axis must be an integer value in range [-rank(sp_input) - 1, "
                            "rank(sp_input)]")
        axis = math_ops.where(axis >= 0, axis, axis + rank + 1)
        column_size = array_ops.shape(sp_input.indices)[0]
        new_index = array_ops.zeros(array_ops.stack([column_size, 1]), dtype=dtypes.int64)
        before = array_ops.slice(sp_input.indices, [0, 0], array_ops.stack([-1, axis]))
        after = array_ops.slice(sp_input.indices, array_ops.stack([0, axis]), [-1, -1])
        indices = array_ops.concat([before, new_index, after], axis=1)
        shape_before = array_ops.slice(sp_input.dense_shape, [0], array_ops.expand_dims(axis, 0))
        shape_after = array_ops.slice(sp_input.dense_shape, array_ops.expand_dims(axis, 0), [-1])
        new_shape = convert_to_tensor([1], name="new_shape", dtype=dtypes.int64)
        shape = array_ops.concat([shape_before, new_shape, shape_after], axis=0)
        out = SparseTensor(indices=indices, values=sp_input.values, dense_shape=shape)
        out.set_shape(static)
        return out


def sparse_eye(num_rows, num_columns=None, dtype=dtypes.float32, name=None):
    """A sparse [num_rows, num_columns] identity matrix (ones on the diagonal).

    Example:
        >>> sess.run(tf.sparse.to_dense(tf.sparse.eye(2, 3)))
        array([[1., 0., 0.], [0., 1., 0.]], dtype=float32)
    """
    with name_scope(name, "eye", [num_rows, num_columns]):
        num_rows = _int64(num_rows, "num_rows")
        num_columns = num_rows if num_columns is None else _int64(num_columns, "num_columns")
        diag_size = math_ops.minimum(num_rows, num_columns)
        diag_range = array_ops.range(diag_size, dtype=dtypes.int64)
        return SparseTensor(indices=array_ops.stack([diag_range, diag_range], axis=1),
                            values=array_ops.ones(array_ops.expand_dims(diag_size, 0),
                                                  dtype=dtype),
                            dense_shape=array_ops.stack([num_rows, num_columns]))


def _int64(value, name):
    if isinstance(value, Tensor):
        if value.dtype in (dtypes.int32, dtypes.int64):
            return math_ops.cast(value, dtypes.int64)
        raise TypeError(f"{value} must be an integer tensor; dtype={value.dtype}")
    return convert_to_tensor(value, name=name, dtype=dtypes.int64)
