"""segment_ops: reductions over segments of a tensor's leading dimension(s).

`segment_*` take sorted `segment_ids` (one per row of `data`); the output has ids[-1] + 1
rows and an empty segment gives 0 (1 for prod). `unsorted_segment_*` take ids of any order
whose shape is a prefix of data's, an explicit `num_segments`, drop negative ids, and give an
empty segment the reduction's identity: 0 for sum, 1 for prod, the dtype's lowest (max) or
highest (min) finite value, as TF does. `unsorted_segment_mean`/`sqrt_n` are built from
UnsortedSegmentSum as in TF.

Gradients are TF's: sum and mean gather dy back to the rows (negative ids get 0); max and min
send dy to the rows equal to the result, split evenly between ties; prod sends dy * prod / x
(computed without dividing by zero: rows that hold the only zero of their segment get the
product of the other rows).
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns

_NUMERIC = shape_fns.REAL
_INDEX = (dtypes.int32, dtypes.int64)


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _data_tail(op, data, ids):
    shape_fns.check_dtype_in(op, _NUMERIC, 0)
    shape_fns.check_dtype_in(op, _INDEX, 1)
    if data.shape.ndims is None or ids.shape.ndims is None:
        return None
    return data.shape.as_list()[ids.shape.ndims:]


def _sorted_infer(op):
    data, ids = op.inputs
    tail = _data_tail(op, data, ids)
    if ids.shape.ndims not in (None, 1):
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {ids.shape.ndims}")
    return [(data.dtype, TensorShape(None if tail is None else [None] + tail))]


def _unsorted_infer(op):
    data, ids, num = op.inputs
    tail = _data_tail(op, data, ids)
    shape_fns.check_dtype_in(op, _INDEX, 2)
    n = shape_fns.constant_value(num)
    rows = None if n is None else int(n)
    return [(data.dtype, TensorShape(None if tail is None else [rows] + tail))]


def _identity(xp, dtype, kind):
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    info = xp.finfo(dtype) if dtype.kind == "f" else xp.iinfo(dtype)
    return info.min if kind == "max" else info.max


_UFUNC = {"sum": "add", "prod": "multiply", "max": "maximum", "min": "minimum"}


def _reduce(xp, data, ids, num, kind):
    tail = data.shape[ids.ndim:]
    flat = data.reshape((-1,) + tail)
    ids = ids.reshape(-1)
    keep = ids >= 0
    if not keep.all():
        flat, ids = flat[keep], ids[keep]
    out = xp.full((num,) + tail, _identity(xp, data.dtype, kind), dtype=data.dtype)
    getattr(xp, _UFUNC[kind]).at(out, ids, flat)
    return out


def _check_sorted(xp, data, ids):
    if ids.shape[0] != data.shape[0]:
        raise _invalid("segment_ids should be the same size as dimension 0 of input.")
    if ids.size == 0:
        return 0
    if (ids[1:] < ids[:-1]).any():
        raise _invalid("segment ids are not increasing")
    num = int(ids[-1]) + 1
    if int(ids[0]) < 0:
        raise _invalid(f"Segment id {int(ids[0])} out of range [0, {num}), possibly because "
                       "'segment_ids' input is not sorted.")
    return num


def _check_unsorted(xp, data, ids, num):
    if tuple(data.shape[:ids.ndim]) != tuple(ids.shape):
        raise _invalid(f"data.shape = {list(data.shape)} does not start with "
                       f"segment_ids.shape = {list(ids.shape)}")
    bad = ids >= num
    if bad.any():
        i = int(xp.argwhere(bad.reshape(-1))[0][0])
        raise _invalid(f"segment_ids[{i}] = {int(ids.reshape(-1)[i])} is out of range "
                       f"[0, {num})")


def _sorted_kernel(kind):
    def kernel(xp, data, segment_ids):
        num = _check_sorted(xp, data, segment_ids)
        out = _reduce(xp, data, segment_ids, num, "sum" if kind == "mean" else kind)
        if kind == "sum" or kind == "prod":
            return out
        counts = xp.bincount(segment_ids, minlength=num).reshape((num,) + (1,) * (data.ndim - 1))
        if kind == "mean":
            safe = xp.maximum(counts, 1)
            if data.dtype.kind == "f":
                return (out / safe).astype(data.dtype, copy=False)
            return xp.trunc(out / safe).astype(data.dtype)
        return xp.where(counts == 0, xp.zeros((), dtype=data.dtype), out)
    return kernel


def _unsorted_kernel(kind):
    def kernel(xp, data, segment_ids, num_segments):
        num = int(num_segments)
        _check_unsorted(xp, data, segment_ids, num)
        return _reduce(xp, data, segment_ids, num, kind)
    return kernel


def _def(name, kind, sorted_ids):
    kernel = _sorted_kernel(kind) if sorted_ids else _unsorted_kernel(kind)
    kernel.__name__ = name
    return defop(name, infer=_sorted_infer if sorted_ids else _unsorted_infer)(kernel)


_segment_sum = _def("SegmentSum", "sum", True)
_segment_mean = _def("SegmentMean", "mean", True)
_segment_max = _def("SegmentMax", "max", True)
_segment_min = _def("SegmentMin", "min", True)
_segment_prod = _def("SegmentProd", "prod", True)
_unsorted_sum = _def("UnsortedSegmentSum", "sum", False)
_unsorted_max = _def("UnsortedSegmentMax", "max", False)
_unsorted_min = _def("UnsortedSegmentMin", "min", False)
_unsorted_prod = _def("UnsortedSegmentProd", "prod", False)


# ----- gradients --------------------------------------------------------------------------
def _gather_drop_negatives(params, ids):
    """gather(params, ids) with zeros where ids < 0; also the mask of valid ids."""
    valid = math_ops.greater_equal(ids, 0)
    safe = math_ops.maximum(ids, array_ops.zeros_like(ids))
    gathered = array_ops.gather(params, safe)
    mask = valid
    extra = array_ops.rank(gathered) - array_ops.rank(mask)
    mask = array_ops.reshape(mask, array_ops.concat(
        [array_ops.shape(mask), array_ops.ones(array_ops.reshape(extra, [1]), dtypes.int32)],
        0))
    mask = math_ops.logical_and(mask, array_ops.ones_like(gathered, dtype=dtypes.bool))
    return math_ops.where(mask, gathered, array_ops.zeros_like(gathered)), mask


def _num_segments(op):
    return op.inputs[2] if len(op.inputs) == 3 else array_ops.shape(op.outputs[0])[0]


def _segment_sum_of(data, ids, num, sorted_ids):
    if sorted_ids:
        return apply_op("SegmentSum", data, ids, name="SegmentSum")
    return apply_op("UnsortedSegmentSum", data, ids, num, name="UnsortedSegmentSum")


def _sum_grad(op, dy):
    ids = op.inputs[1]
    grad, _ = _gather_drop_negatives(dy, ids)
    return [grad, None] + ([None] if len(op.inputs) == 3 else [])


def _mean_grad(op, dy):
    data, ids = op.inputs
    ones = array_ops.ones_like(data)
    counts = apply_op("SegmentSum", ones, ids, name="SegmentSum")
    scaled = math_ops.divide(dy, math_ops.maximum(counts, array_ops.ones_like(counts)))
    return [array_ops.gather(scaled, ids), None]


def _min_or_max_grad(op, dy):
    data, ids = op.inputs[0], op.inputs[1]
    sorted_ids = len(op.inputs) == 2
    gathered, valid = _gather_drop_negatives(op.outputs[0], ids)
    selected = math_ops.logical_and(math_ops.equal(data, gathered), valid)
    sel = math_ops.cast(selected, dy.dtype)
    num_selected = _segment_sum_of(sel, ids, _num_segments(op), sorted_ids)
    share = math_ops.divide(dy, math_ops.maximum(num_selected, array_ops.ones_like(
        num_selected)))
    g, _ = _gather_drop_negatives(share, ids)
    grad = math_ops.where(selected, g, array_ops.zeros_like(g))
    return [grad, None] + ([] if sorted_ids else [None])


def _prod_grad(op, dy):
    data, ids = op.inputs[0], op.inputs[1]
    sorted_ids = len(op.inputs) == 2
    num = _num_segments(op)
    is_zero = math_ops.equal(data, 0)
    zeros = _segment_sum_of(math_ops.cast(is_zero, dtypes.int32), ids, num, sorted_ids)
    nonzero_data = math_ops.where(is_zero, array_ops.ones_like(data), data)
    if sorted_ids:
        nonzero_prod = apply_op("SegmentProd", nonzero_data, ids, name="SegmentProd")
    else:
        nonzero_prod = apply_op("UnsortedSegmentProd", nonzero_data, ids, num,
                                name="UnsortedSegmentProd")
    out, _ = _gather_drop_negatives(op.outputs[0], ids)
    zeros_g, _ = _gather_drop_negatives(zeros, ids)
    nonzero_g, _ = _gather_drop_negatives(nonzero_prod, ids)
    # prod / x where x != 0; where x is the segment's only zero, the product of the others.
    others = math_ops.where(is_zero, nonzero_g, math_ops.divide(out, nonzero_data))
    others = math_ops.where(math_ops.logical_and(is_zero, math_ops.greater(zeros_g, 1)),
                            array_ops.zeros_like(others), others)
    g, _ = _gather_drop_negatives(dy, ids)
    return [g * others, None] + ([] if sorted_ids else [None])


_segment_sum.gradient(_sum_grad)
_unsorted_sum.gradient(_sum_grad)
_segment_mean.gradient(_mean_grad)
for _od in (_segment_max, _segment_min, _unsorted_max, _unsorted_min):
    _od.gradient(_min_or_max_grad)
for _od in (_segment_prod, _unsorted_prod):
    _od.gradient(_prod_grad)


# ----- public wrappers ---------------------------------------------------------------------
def _sorted(op_type, data, segment_ids, name):
    with name_scope(name, op_type, [data, segment_ids]) as scope:
        data = convert_to_tensor(data, name="data")
        segment_ids = convert_to_tensor(segment_ids, name="segment_ids")
        return apply_op(op_type, data, segment_ids, name=scope)


def _unsorted(op_type, data, segment_ids, num_segments, name):
    with name_scope(name, op_type, [data, segment_ids]) as scope:
        data = convert_to_tensor(data, name="data")
        segment_ids = convert_to_tensor(segment_ids, name="segment_ids")
        num_segments = convert_to_tensor(num_segments, name="num_segments",
                                         dtype=segment_ids.dtype)
        return apply_op(op_type, data, segment_ids, num_segments, name=scope)


def segment_sum(data, segment_ids, name=None):
    """Sums the rows of `data` per (sorted) segment id (op type SegmentSum).

    Args:
        data: a numeric Tensor.
        segment_ids: a sorted 1-D int32/int64 Tensor, one id per row of `data`.
        name: op name.

    Returns:
        A Tensor with segment_ids[-1] + 1 rows; empty segments are 0.

    Raises at run time:
        InvalidArgumentError: ids not increasing, negative, or not one per row.

    Example:
        >>> segment_sum([[1, 2], [3, 4], [5, 6]], [0, 0, 2])  # [[4, 6], [0, 0], [5, 6]]
    """
    return _sorted("SegmentSum", data, segment_ids, name)


def segment_mean(data, segment_ids, name=None):
    """The mean of the rows per (sorted) segment id; empty segments are 0 (SegmentMean)."""
    return _sorted("SegmentMean", data, segment_ids, name)


def segment_max(data, segment_ids, name=None):
    """The maximum of the rows per (sorted) segment id; empty segments are 0 (SegmentMax)."""
    return _sorted("SegmentMax", data, segment_ids, name)


def segment_min(data, segment_ids, name=None):
    """The minimum of the rows per (sorted) segment id; empty segments are 0 (SegmentMin)."""
    return _sorted("SegmentMin", data, segment_ids, name)


def segment_prod(data, segment_ids, name=None):
    """The product of the rows per (sorted) segment id; empty segments are 1 (SegmentProd)."""
    return _sorted("SegmentProd", data, segment_ids, name)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums the slices of `data` per segment id, ids in any order (UnsortedSegmentSum).

    Args:
        data: a numeric Tensor.
        segment_ids: an int Tensor whose shape is a prefix of data's; negative ids are
            dropped.
        num_segments: the number of output rows.
        name: op name.

    Returns:
        A Tensor of shape [num_segments] + data.shape[rank(segment_ids):].

    Raises at run time:
        InvalidArgumentError: an id >= num_segments.

    Example:
        >>> unsorted_segment_sum([1, 2, 3], [1, -1, 1], 2)  # [0, 4]
    """
    return _unsorted("UnsortedSegmentSum", data, segment_ids, num_segments, name)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """Per-segment maximum; empty segments get the dtype's lowest value (UnsortedSegmentMax)."""
    return _unsorted("UnsortedSegmentMax", data, segment_ids, num_segments, name)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """Per-segment minimum; empty segments get the dtype's highest value (UnsortedSegmentMin)."""
    return _unsorted("UnsortedSegmentMin", data, segment_ids, num_segments, name)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """Per-segment product; empty segments are 1 (UnsortedSegmentProd)."""
    return _unsorted("UnsortedSegmentProd", data, segment_ids, num_segments, name)


def _counts(data, segment_ids, num_segments):
    ones_shape = array_ops.concat([array_ops.shape(segment_ids),
                                   array_ops.ones([array_ops.rank(data)
                                                   - array_ops.rank(segment_ids)],
                                                  dtypes.int32)], 0)
    ones = array_ops.ones(ones_shape, dtype=data.dtype)
    n = unsorted_segment_sum(ones, segment_ids, num_segments)
    return math_ops.maximum(n, array_ops.ones_like(n))


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """Per-segment mean (sum / count, count at least 1) of float `data`."""
    with name_scope(name, "UnsortedSegmentMean"):
        data = convert_to_tensor(data, name="data")
        segment_ids = convert_to_tensor(segment_ids, name="segment_ids")
        n = _counts(data, segment_ids, num_segments)
        return unsorted_segment_sum(data, segment_ids, num_segments) / n


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Per-segment sum / sqrt(count) (count at least 1) of float `data`."""
    with name_scope(name, "UnsortedSegmentSqrtN"):
        data = convert_to_tensor(data, name="data")
        segment_ids = convert_to_tensor(segment_ids, name="segment_ids")
        n = _counts(data, segment_ids, num_segments)
        return unsorted_segment_sum(data, segment_ids, num_segments) / math_ops.sqrt(n)


__all__ = ["segment_max", "segment_mean", "segment_min", "segment_prod", "segment_sum",
           "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min",
           "unsorted_segment_prod", "unsorted_segment_sqrt_n", "unsorted_segment_sum"]
