"""sparse_ops: SparseToDense, TF 1.x's `sparse_to_dense`.

The indices are [N] (for a 1-D output) or [N, rank]; values a scalar (for every index) or
[N]; every other element is `default_value`. With `validate_indices` (the default) the
indices must be in bounds, sorted in row-major order and unique, else InvalidArgumentError
with TF's message. The gradient is TF's: the values get gather_nd(dy, indices), the default
value the sum of dy outside the indices.
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns


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


__all__ = ["sparse_to_dense"]
