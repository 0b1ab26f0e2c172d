"""sparse_ops: SparseTensors made, densified and re-indexed — TF 1.x's `sparse_placeholder`,
`sparse_to_dense` (SparseToDense), `sparse_tensor_to_dense` / `tf.sparse.to_dense`,
`tf.sparse.from_dense`, `sparse_to_indicator`, `sparse_merge` and `sparse_reorder`
(SparseReorder).

SparseToDense: the indices are [N] (for a 1-D output) or [N, rank]; values a scalar (for every index) or
[N]; every other element is `default_value`. With `validate_indices` (the default) the
indices must be in bounds, sorted in row-major order and unique, else InvalidArgumentError
with TF's message. The gradient is TF's: the values get gather_nd(dy, indices), the default
value the sum of dy outside the indices.
"""

import collections.abc
import numbers

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowexec.framework.sparse_tensor import convert_to_sparse_tensor as _sparse
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, constant_op, math_ops, shape_fns


def _infer(op):
    _, shape, values, default = op.inputs
    shape_fns.check_dtype_in(op, (dtypes.int32, dtypes.int64), 0)
    if values.dtype != default.dtype:
        raise TypeError(f"Input 'default_value' of 'SparseToDense' Op has type "
                        f"{default.dtype.name} that does not match type {values.dtype.name} "
                        "of argument 'sparse_values'.")
    dims = shape_fns.constant_value(shape)
    if dims is not None:
        return [(values.dtype, TensorShape([int(d) for d in dims.reshape(-1)]))]
    n = shape.shape.as_list()[0] if shape.shape.ndims == 1 else None
    return [(values.dtype, TensorShape(None if n is None else [None] * n))]


def _fmt(row):
    return "[" + ",".join(str(int(v)) for v in row) + "]"


@defop("SparseToDense", infer=_infer)
def _sparse_to_dense(xp, sparse_indices, output_shape, sparse_values, default_value, *,
                     validate_indices=True):
    shape = tuple(int(d) for d in output_shape.reshape(-1).tolist())
    idx = sparse_indices.reshape(-1, 1) if sparse_indices.ndim <= 1 else sparse_indices
    if validate_indices:
        rows = idx.tolist()
        for i, row in enumerate(rows):
            if any(v < 0 or v >= d for v, d in zip(row, shape)):
                raise errors.InvalidArgumentError(
                    None, None, f"indices[{i}] = {_fmt(row)} is out of bounds: need 0 <= "
                                f"index < {_fmt(shape)}")
            if i and row == rows[i - 1]:
                raise errors.InvalidArgumentError(None, None,
                                                  f"indices[{i}] = {_fmt(row)} is repeated")
            if i and row < rows[i - 1]:
                raise errors.InvalidArgumentError(
                    None, None, f"indices[{i}] = {_fmt(row)} is out of order. Many sparse ops "
                                "require sorted indices.")
    out = xp.full(shape, default_value, dtype=sparse_values.dtype)
    out[tuple(idx.T)] = sparse_values
    return out


@_sparse_to_dense.gradient
def _sparse_to_dense_grad(op, dy):
    indices, _, values, _ = op.inputs
    idx = indices if indices.shape.ndims != 1 else array_ops.expand_dims(indices, -1)
    values_grad = array_ops.gather_nd(dy, idx)
    default_grad = math_ops.reduce_sum(dy) - math_ops.reduce_sum(values_grad)
    if values.shape.ndims == 0:
        values_grad = math_ops.reduce_sum(values_grad)
    return [None, None, values_grad, default_grad]


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0,
                    validate_indices=True, name=None):
    """A dense Tensor of `output_shape` with `sparse_values` at `sparse_indices`.

    Args:
        sparse_indices: int [N] or [N, rank] indices.
        output_shape: the dense shape, a 1-D int Tensor or list.
        sparse_values: a scalar or [N] values.
        default_value: the value everywhere else.
        validate_indices: check bounds, order and uniqueness at run time.
        name: op name.

    Raises at run time:
        InvalidArgumentError: an index out of bounds, out of order or repeated.

    Example:
        >>> sparse_to_dense([[0, 1], [1, 2]], [2, 3], [5.0, 6.0])  # [[0, 5, 0], [0, 0, 6]]
    """
    with name_scope(name, "SparseToDense", [sparse_indices, sparse_values]) as scope:
        indices = convert_to_tensor(sparse_indices, name="sparse_indices")
        shape = convert_to_tensor(output_shape, dtype=indices.dtype, name="output_shape")
        values = convert_to_tensor(sparse_values, name="sparse_values")
        default = convert_to_tensor(default_value, dtype=values.dtype, name="default_value")
        return apply_op("SparseToDense", indices, shape, values, default, name=scope,
                        validate_indices=bool(validate_indices))


# ----- SparseTensor construction and conversion -----------------------------------------
def sparse_placeholder(dtype, shape=None, name=None):
    """A SparseTensor to feed: placeholders for its indices, values and dense_shape, as
    TF's `sparse_placeholder`.

    With `shape` given (None or -1 entries unknown) the dense shape is a PlaceholderWithDefault
    of that shape (so it may be fed), and the static shape is `shape`; without it, the dense
    shape is a placeholder of unknown length.

    Args:
        dtype: the type of the values.
        shape: the dense shape (a list with None/-1 for unknown sizes, or a 1-D Tensor).
        name: a prefix for the placeholders' names (name/values, name/indices, name/shape).

    Example:
        >>> x = tf.sparse_placeholder(tf.float32, shape=[None, 3])
        >>> sess.run(tf.sparse.to_dense(x), {x: ([[0, 1]], [5.0], [2, 3])})
        array([[0., 5., 0.], [0., 0., 0.]], dtype=float32)
    """
    shape_name = None if name is None else name + "/shape"
    default_shape_name = None if name is None else name + "/shape_default"
    if shape is None:
        rank = None
        dense_shape = constant_op.placeholder(dtypes.int64, shape=[rank], name=shape_name)
        static = TensorShape(None)
    else:
        if isinstance(shape, Tensor):
            rank = shape.shape.as_list()[0] if shape.shape.ndims == 1 else None
            static = array_ops._shape_from_dims(array_ops._shape_dims(shape))
        else:
            dims = [None if d is None else int(getattr(d, "value", d)) for d in
                    (shape.as_list() if hasattr(shape, "as_list") else shape)]
            rank = len(dims)
            static = TensorShape([None if d is None or d == -1 else d for d in dims])
            shape = convert_to_tensor([-1 if d is None else d for d in dims],
                                      dtype=dtypes.int64, name=default_shape_name)
        dense_shape = constant_op.placeholder_with_default(shape, shape=shape.shape,
                                                           name=shape_name)
    result = SparseTensor(
        values=constant_op.placeholder(dtype, shape=[None],
                                       name=None if name is None else name + "/values"),
        indices=constant_op.placeholder(dtypes.int64, shape=[None, rank],
                                        name=None if name is None else name + "/indices"),
        dense_shape=dense_shape)
    result.set_shape(static)
    return result


def sparse_tensor_to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """The dense tensor a SparseTensor stands for (op type SparseToDense).

    Args:
        sp_input: a SparseTensor (or SparseTensorValue).
        default_value: the scalar everywhere else (default 0 of the values' type).
        validate_indices: check at run time that the indices are in bounds, sorted and
            unique.
        name: op name.

    Raises:
        TypeError: `sp_input` is not a SparseTensor.
        InvalidArgumentError: (at run time, with `validate_indices`) an index out of
            bounds, out of order or repeated, with TF's messages.

    Example:
        >>> st = tf.SparseTensor([[0, 1], [0, 3], [2, 0]], [7, 8, 9], [3, 5])
        >>> sess.run(tf.sparse.to_dense(st))
        array([[0, 7, 0, 8, 0], [0, 0, 0, 0, 0], [9, 0, 0, 0, 0]], dtype=int32)
    """
    sp_input = _sparse(sp_input)
    if default_value is None:
        default_value = array_ops.zeros([], dtype=sp_input.dtype)
    return sparse_to_dense(sp_input.indices, sp_input.dense_shape, sp_input.values,
                           default_value=default_value, validate_indices=validate_indices,
                           name=name)


def from_dense(tensor, name=None):
    """The SparseTensor of the nonzero elements of a dense tensor (row-major order).

    Example:
        >>> sp = tf.sparse.from_dense([0, 0, 3, 0, 1])
        >>> sess.run(sp)
        SparseTensorValue(indices=array([[2], [4]]), values=array([3, 1], dtype=int32),
                          dense_shape=array([5]))
    """
    with name_scope(name, "dense_to_sparse"):
        tensor = convert_to_tensor(tensor)
        indices = math_ops.where(math_ops.not_equal(tensor, array_ops.zeros_like(tensor)))
        values = array_ops.gather_nd(tensor, indices)
        shape = array_ops.shape(tensor, out_type=dtypes.int64)
        return SparseTensor(indices, values, shape)


def sparse_to_indicator(sp_input, vocab_size, name=None):
    """A dense bool indicator tensor of a SparseTensor of ids: the last dimension of the
    indices is replaced by the values, `output[d0, ..., dn, sp_input[d0, ..., dn, k]] = True`.

    Args:
        sp_input: a SparseTensor of int32/int64 ids, [D0, ..., Dn, K], row-major order.
        vocab_size: the size of the new last dimension (all ids must be below it).
        name: a name prefix.

    Returns:
        A bool Tensor [D0, ..., Dn, vocab_size].

    Example:
        >>> st = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1, 3, 2], [2, 2])
        >>> sess.run(tf.sparse.to_indicator(st, 4))
        array([[False,  True, False,  True], [False, False,  True, False]])
    """
    sp_input = _sparse(sp_input)
    with name_scope(name, "SparseToIndicator", [sp_input]) as name:
        num_entries = array_ops.shape(sp_input.indices)[0]
        new_values = array_ops.fill(array_ops.expand_dims(num_entries, 0), True)
        sp_values = SparseTensor(sp_input.indices, new_values, sp_input.dense_shape)
        sp_new = _sparse_merge(sp_input, sp_values, vocab_size, name)
        return sparse_tensor_to_dense(sp_new, default_value=False, validate_indices=False,
                                      name=name)


def sparse_merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    """Combines a SparseTensor of ids (or a list of them, one per new dimension) and one of
    values into a SparseTensor whose last dimension is indexed by the ids.

    Args:
        sp_ids: a SparseTensor of int32/int64 ids, or a list of them.
        sp_values: a SparseTensor of values, with the indices of `sp_ids`.
        vocab_size: the size of the new last dimension(s): an int or scalar Tensor (a
            list of them for a list of `sp_ids`).
        name: a name prefix.
        already_sorted: the result is already in row-major order (skip the reorder).

    Raises:
        TypeError: `sp_ids` or `vocab_size` of the wrong type.
        ValueError: `sp_ids` and `vocab_size` of different lengths.

    Example:
        >>> ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [0, 2, 1], [2, 2])
        >>> vals = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1.0, 2.0, 3.0], [2, 2])
        >>> tf.sparse_merge(ids, vals, 3)  # dense [[1, 0, 2], [0, 3, 0]]
    """
    return _sparse_merge(sp_ids, sp_values, vocab_size, name, already_sorted)


def _sparse_merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False):
    if isinstance(sp_ids, (SparseTensorValue, SparseTensor)):
        sp_ids = [sp_ids]
        if not isinstance(vocab_size, (Tensor, numbers.Integral)):
            raise TypeError(f"vocab_size has to be a Tensor or Python int. Found "
                            f"{type(vocab_size)}")
        vocab_size = [vocab_size]
    else:
        if not isinstance(sp_ids, collections.abc.Iterable):
            raise TypeError(f"sp_ids has to be a SparseTensor or list thereof. Found "
                            f"{type(sp_ids)}")
        if not isinstance(vocab_size, collections.abc.Iterable):
            raise TypeError(f"vocab_size has to be a list of Tensors or Python ints. Found "
                            f"{type(vocab_size)}")
        for dim in vocab_size:
            if not isinstance(dim, (Tensor, numbers.Integral)):
                raise TypeError(f"vocab_size has to be a list of Tensors or Python ints. "
                                f"Found {type(dim)}")
    if len(sp_ids) != len(vocab_size):
        raise ValueError("sp_ids and vocab_size have to have equal lengths.")
    with name_scope(name, "SparseMerge", [sp_ids, sp_values]):
        sp_ids = [_sparse(s) for s in sp_ids]
        sp_values = _sparse(sp_values)
        ids = []
        for s in sp_ids:
            v = s.values
            if s.dtype != dtypes.int64:
                v = math_ops.cast(v, dtypes.int64)
            ids.append(array_ops.expand_dims(v, axis=1))
        vocab_size = [math_ops.cast(x, dtypes.int64) for x in vocab_size]
        new_indices = array_ops.concat([sp_ids[0].indices[:, :-1]] + ids, 1)
        new_shape = array_ops.concat([sp_ids[0].dense_shape[:-1], vocab_size], 0)
        result = SparseTensor(new_indices, sp_values.values, new_shape)
        if already_sorted:
            return result
        ordered = sparse_reorder(result)
        return SparseTensor(ordered.indices, ordered.values, new_shape)


# ----- SparseReorder -----------------------------------------------------------------------
def check_sparse_components(op, indices, values, shape):
    """TF's ValidateSparseTensor shape function: indices [N, rank], values [N], shape
    [rank] (ValueError at build time otherwise)."""
    for t, rank in ((indices, 2), (values, 1), (shape, 1)):
        if t.shape.ndims is not None and t.shape.ndims != rank:
            raise shape_fns.shape_error(
                op, f"Shape must be rank {rank} but is rank {t.shape.ndims}")
    n_i = indices.shape.as_list()[0] if indices.shape.ndims else None
    n_v = values.shape.as_list()[0] if values.shape.ndims else None
    if n_i is not None and n_v is not None and n_i != n_v:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {n_i} and {n_v}")
    r_i = indices.shape.as_list()[1] if indices.shape.ndims else None
    r_s = shape.shape.as_list()[0] if shape.shape.ndims else None
    if r_i is not None and r_s is not None and r_i != r_s:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {r_i} and {r_s}")


def check_sparse_arrays(indices, values, shape, prefix="Input"):
    """TF's run-time checks of a SparseTensor's components' ranks (InvalidArgumentError)."""
    if indices.ndim != 2:
        raise errors.InvalidArgumentError(
            None, None, f"{prefix} indices should be a matrix but received shape "
                        f"{_fmt(indices.shape)}")
    if values.ndim != 1:
        raise errors.InvalidArgumentError(
            None, None, f"{prefix} values should be a vector but received shape "
                        f"{_fmt(values.shape)}")
    if shape.ndim != 1:
        raise errors.InvalidArgumentError(
            None, None, f"{prefix} shape should be a vector but received shape "
                        f"{_fmt(shape.shape)}")


def _reorder_infer(op):
    indices, values, shape = op.inputs
    shape_fns.check_dtype_in(op, (dtypes.int64,), 0)
    shape_fns.check_dtype_in(op, (dtypes.int64,), 2)
    check_sparse_components(op, indices, values, shape)
    return [(dtypes.int64, indices.shape), (values.dtype, values.shape)]


def row_major_strides(xp, shape):
    """The int64 strides of a row-major array of `shape` (in elements)."""
    out = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        out[d] = out[d + 1] * int(shape[d + 1])
    return xp.asarray(out, dtype="int64")


def row_major_order(xp, indices):
    """The stable permutation that sorts [N, rank] indices in row-major order."""
    if indices.shape[0] == 0 or indices.shape[1] == 0:
        return xp.arange(indices.shape[0])
    return xp.lexsort(indices.T[::-1])


@defop("SparseReorder", infer=_reorder_infer)
def _sparse_reorder(xp, input_indices, input_values, input_shape):
    check_sparse_arrays(input_indices, input_values, input_shape)
    if input_indices.shape[0] != input_values.shape[0]:
        raise errors.InvalidArgumentError(
            None, None, f"Number of elements in indices ({input_indices.shape[0]}) and values "
                        f"({input_values.shape[0]}) do not match")  # TF 2.21's words
    order = row_major_order(xp, input_indices)
    return input_indices[order], input_values[order]


@_sparse_reorder.gradient
def _sparse_reorder_grad(op, _, values_grad):
    indices, _, shape = op.inputs
    entries = array_ops.range(array_ops.shape(indices)[0])
    _, order = apply_op("SparseReorder", indices, entries, shape, name="SparseReorder")
    return [None, array_ops.gather(values_grad, array_ops.invert_permutation(order)), None]


def sparse_reorder(sp_input, name=None):
    """The same SparseTensor with its entries in row-major (lexicographic) order (op type
    SparseReorder; equal indices keep their order).

    Raises:
        TypeError: `sp_input` is not a SparseTensor.

    Example:
        >>> st = tf.SparseTensor([[1, 0], [0, 1]], [1.0, 2.0], [2, 2])
        >>> sess.run(tf.sparse.reorder(st)).indices
        array([[0, 1], [1, 0]])
    """
    sp_input = _sparse(sp_input)
    ind, val = apply_op("SparseReorder", sp_input.indices, sp_input.values,
                        sp_input.dense_shape, name=name)
    if sp_input.shape.is_fully_defined():
        return SparseTensor(ind, val, sp_input.shape.as_list())
    out = SparseTensor(ind, val, constant_op.identity(sp_input.dense_shape))
    out.set_shape(sp_input.shape)
    return out


__all__ = ["from_dense", "sparse_merge", "sparse_placeholder", "sparse_reorder",
           "sparse_tensor_to_dense", "sparse_to_dense", "sparse_to_indicator"]
