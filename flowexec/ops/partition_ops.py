"""partition_ops: splitting a tensor into partitions by index and stitching pieces back —
DynamicPartition, DynamicStitch and ParallelDynamicStitch (TF's data_flow_ops).

`dynamic_partition(data, partitions, n)` gives n tensors; output i holds the slices
`data[j]` whose `partitions[j] == i`, in order (`partitions.shape` is a prefix of
`data.shape`). `dynamic_stitch(indices, data)` is its inverse: row `indices[m][j]` of the
result is `data[m][j]`; the result has max(index) + 1 rows, rows no index names are zero, and
of two equal indices the later one (in list order, then position) wins. ParallelDynamicStitch
is the same function (TF may pick either duplicate; here the later one, deterministically).

Gradients are TF's: DynamicPartition's stitches the output gradients back with
ParallelDynamicStitch at the positions the partition took them from; DynamicStitch's gathers
the result's gradient at each `indices[m]` (so, as in TF, a value overwritten by a duplicate
index still receives the gradient of the row it lost). The indices get none.
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns

__all__ = ["dynamic_partition", "dynamic_stitch", "parallel_dynamic_stitch"]


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _prefix_error(op, big, small):
    """TF's shape-function error when `small` is not a prefix of `big` (None if it is)."""
    if big.ndims is None or small.ndims is None:
        return None
    if small.ndims > big.ndims:
        return shape_fns.shape_error(
            op, f"Shape must be at least rank {small.ndims} but is rank {big.ndims}")
    for a, b in zip(big.as_list(), small.as_list()):
        if a is not None and b is not None and a != b:
            return shape_fns.shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return None


# ----- DynamicPartition ----------------------------------------------------------------
def _partition_infer(op):
    data, partitions = op.inputs
    shape_fns.check_dtype_in(op, (dtypes.int32,), 1)
    n = op.attrs["num_partitions"]
    if n < 1:
        raise ValueError(f"Attr 'num_partitions' of 'DynamicPartition' Op passed {n} less than "
                         "minimum 1.")
    err = _prefix_error(op, data.shape, partitions.shape)
    if err is not None:
        raise err
    if data.shape.ndims is None or partitions.shape.ndims is None:
        out = TensorShape(None)
    else:
        out = TensorShape([None] + data.shape.as_list()[partitions.shape.ndims:])
    return [(data.dtype, out)] * n


def _index_str(shape, flat_index):
    pos = []
    for d in reversed(shape):
        pos.append(flat_index % d)
        flat_index //= d
    return _dims(reversed(pos))


@defop("DynamicPartition", infer=_partition_infer)
def _dynamic_partition(xp, data, partitions, *, num_partitions):
    pshape = tuple(partitions.shape)
    if tuple(data.shape[:len(pshape)]) != pshape:
        raise _invalid(f"data.shape must start with partitions.shape, got data.shape = "
                       f"{_dims(data.shape)}, partitions.shape = {_dims(pshape)}")
    flat_p = partitions.reshape(-1)
    bad = (flat_p < 0) | (flat_p >= num_partitions)
    if bad.any():
        i = int(xp.argmax(bad))
        raise _invalid(f"partitions{_index_str(pshape, i)} = {int(flat_p[i])} is not in "
                       f"[0, {num_partitions})")
    rows = data.reshape((flat_p.size,) + tuple(data.shape[len(pshape):]))
    return tuple(rows[flat_p == k] for k in range(num_partitions))


@_dynamic_partition.gradient
def _dynamic_partition_grad(op, *grads):
    data, partitions = op.inputs
    prefix = array_ops.shape(partitions)
    original = array_ops.reshape(array_ops.range(math_ops.reduce_prod(prefix)), prefix)
    where = _as_list(apply_op("DynamicPartition", original, partitions, name="DynamicPartition",
                              num_partitions=op.attrs["num_partitions"]))
    stitched = apply_op("ParallelDynamicStitch", *where, *grads, name="ParallelDynamicStitch")
    return [array_ops.reshape(stitched, array_ops.shape(data)), None]


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def dynamic_partition(data, partitions, num_partitions, name=None):
    """Splits `data` into `num_partitions` tensors by `partitions` (op type DynamicPartition).

    Args:
        data: a Tensor.
        partitions: int32, a prefix of `data`'s shape; each value in [0, num_partitions).
        num_partitions: the number of outputs (an int >= 1).

    Returns:
        A list of `num_partitions` Tensors: output i is `data[partitions == i]`, in order.

    Raises:
        InvalidArgumentError: (at run time) a partition index outside [0, num_partitions)
            ("partitions[1] = 5 is not in [0, 2)"), or shapes that do not fit.

    Example:
        >>> dynamic_partition([10, 20, 30, 40], [0, 0, 1, 0], 2)  # [[10, 20, 40], [30]]
    """
    with name_scope(name, "DynamicPartition", [data, partitions]) as scope:
        x = convert_to_tensor(data, name="data")
        p = convert_to_tensor(partitions, name="partitions", preferred_dtype=dtypes.int32)
        return _as_list(apply_op("DynamicPartition", x, p, name=scope,
                                 num_partitions=int(num_partitions)))


# ----- DynamicStitch / ParallelDynamicStitch ---------------------------------------------
def _stitch_infer(op):
    n = len(op.inputs) // 2
    if n < 1 or len(op.inputs) != 2 * n:
        raise ValueError(f"{op.type} needs as many data tensors as indices tensors, at least one")
    indices, data = op.inputs[:n], op.inputs[n:]
    for t in indices:
        if t.dtype is not dtypes.int32:
            raise TypeError(f"Value passed to parameter 'indices' has DataType {t.dtype.name} "
                            "not in list of allowed values: int32")
    dtype = data[0].dtype
    for i, d in enumerate(data):
        if d.dtype is not dtype:
            raise TypeError(f"Input 'data' of '{op.type}' Op has type list of "
                            f"{', '.join(t.dtype.name for t in data)} that does not match "
                            f"type of {dtype.name} (data[{i}])")
    tail = None
    for idx, d in zip(indices, data):
        err = _prefix_error(op, d.shape, idx.shape)
        if err is not None:
            raise err
        if d.shape.ndims is None or idx.shape.ndims is None:
            continue
        t = TensorShape(d.shape.as_list()[idx.shape.ndims:])
        if tail is not None and not tail.is_compatible_with(t):
            raise shape_fns.shape_error(
                op, f"Shapes must be equal rank, or dimensions must be equal: {tail} and {t}")
        tail = t if tail is None else tail.merge_with(t)
    rows = None
    values = [shape_fns.constant_value(i) for i in indices]
    if all(v is not None for v in values):
        rows = max((int(v.max()) for v in values if v.size), default=-1) + 1
    if tail is None:
        return [(dtype, TensorShape(None))]
    return [(dtype, TensorShape([rows] + tail.as_list()))]


def _stitch(xp, *inputs):
    n = len(inputs) // 2
    indices, data = inputs[:n], inputs[n:]
    rank0 = indices[0].ndim
    for m in range(n):
        ishape, dshape = tuple(indices[m].shape), tuple(data[m].shape)
        if dshape[:len(ishape)] != ishape:
            raise _invalid(f"data[{m}].shape = {_dims(dshape)} does not start with "
                           f"indices[{m}].shape = {_dims(ishape)}")
        if m and (dshape[len(ishape):] != tuple(data[0].shape[rank0:])):
            raise _invalid(
                f"Need data[0].shape[{rank0}:] = data[{m}].shape[{len(ishape)}:], got "
                f"data[0].shape = {_dims(data[0].shape)}, data[{m}].shape = {_dims(dshape)}, "
                f"indices[0].shape = {_dims(indices[0].shape)}, indices[{m}].shape = "
                f"{_dims(ishape)}")
    tail = tuple(data[0].shape[rank0:])
    rows = 0
    for idx in indices:
        if idx.size:
            rows = max(rows, int(idx.max()) + 1)
    for idx in indices:
        flat = idx.reshape(-1)
        bad = flat < 0
        if bad.any():
            raise _invalid(f"indices[{int(xp.argmax(bad))}] is out of range")
    out = xp.zeros((rows,) + tail, dtype=data[0].dtype)
    for idx, d in zip(indices, data):
        # numpy assigns repeated indices in order, so the last occurrence wins.
        out[idx.reshape(-1)] = d.reshape((idx.size,) + tail)
    return out


_dynamic_stitch = defop("DynamicStitch", infer=_stitch_infer)(_stitch)


def _stitch_parallel(xp, *inputs):
    return _stitch(xp, *inputs)


_parallel_stitch = defop("ParallelDynamicStitch", infer=_stitch_infer)(_stitch_parallel)


def _stitch_grad(op, dy):
    n = len(op.inputs) // 2
    return [None] * n + [array_ops.gather(dy, op.inputs[i]) for i in range(n)]


_dynamic_stitch.gradient(_stitch_grad)
_parallel_stitch.gradient(_stitch_grad)


def _stitch_op(op_type, indices, data, name):
    indices, data = list(indices), list(data)
    if len(indices) != len(data):
        raise ValueError(f"List argument 'data' to '{op_type}' Op with length {len(data)} must "
                         f"match length {len(indices)} of argument 'indices'.")
    with name_scope(name, op_type, indices + data) as scope:
        idx = [convert_to_tensor(v, name=f"indices_{i}", preferred_dtype=dtypes.int32)
               for i, v in enumerate(indices)]
        first = next((v.dtype for v in data if hasattr(v, "dtype") and
                      isinstance(v.dtype, dtypes.DType)), None)
        vals = [convert_to_tensor(v, name=f"data_{i}", preferred_dtype=first)
                for i, v in enumerate(data)]
        return apply_op(op_type, *idx, *vals, name=scope)


def dynamic_stitch(indices, data, name=None):
    """Interleaves the values of `data` into one tensor at the rows `indices` name (op type
    DynamicStitch): `merged[indices[m][j], ...] = data[m][j, ...]`.

    Args:
        indices: a list of int32 Tensors.
        data: a list of Tensors of one dtype; `data[m].shape` starts with
            `indices[m].shape`, the rest is the same for every m.

    Returns:
        A Tensor with max(indices) + 1 rows; a row no index names is zero; of repeated
        indices the last (in list order) wins.

    Example:
        >>> dynamic_stitch([[0, 3], [1, 2]], [[10., 40.], [20., 30.]])  # [10, 20, 30, 40]
    """
    return _stitch_op("DynamicStitch", indices, data, name)


def parallel_dynamic_stitch(indices, data, name=None):
    """`dynamic_stitch` as TF's ParallelDynamicStitch (which may keep either of repeated
    indices; flowexec keeps the last, as DynamicStitch)."""
    return _stitch_op("ParallelDynamicStitch", indices, data, name)
