"""sparse_segment_ops: segment reductions over selected rows — TF 1.x's sparse_segment_sum,
sparse_segment_mean and sparse_segment_sqrt_n (SparseSegmentSum/Mean/SqrtN and their
WithNumSegments forms), with SparseSegmentMeanGrad and SparseSegmentSqrtNGrad.

`output[segment_ids[i]] += data[indices[i]]`; `segment_ids` must be sorted (non-decreasing)
and non-negative; the output has `segment_ids[-1] + 1` rows, or `num_segments`. An empty
segment is 0; the mean divides by the segment's size, sqrt_n by its square root. Run-time
errors are TF's InvalidArgumentErrors (tests/data/tf1/sparse/ops.npz). Gradients are TF 1.x's:
sum's an UnsortedSegmentSum of the gathered output gradient into data's rows, mean's and
sqrt_n's the SparseSegment*Grad ops.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, segment_ops, shape_fns

__all__ = ["sparse_segment_mean", "sparse_segment_sqrt_n", "sparse_segment_sum"]

_INDEX = (dtypes.int32, dtypes.int64)


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _infer(op):
    data, indices, segment_ids = op.inputs[:3]
    allowed = shape_fns.REAL if op.type.startswith("SparseSegmentSum") else \
        (dtypes.bfloat16, dtypes.float16, dtypes.float32, dtypes.float64)
    shape_fns.check_dtype_in(op, allowed, 0)
    shape_fns.check_dtype_in(op, _INDEX, 1)
    shape_fns.check_dtype_in(op, _INDEX, 2)
    for t in (indices, segment_ids):
        if t.shape.ndims not in (None, 1):
            raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {t.shape.ndims}")
    rows = None
    if len(op.inputs) == 4:
        n = shape_fns.constant_value(op.inputs[3])
        rows = None if n is None else int(n)
    if data.shape.ndims is None:
        return [(data.dtype, TensorShape(None))]
    return [(data.dtype, TensorShape([rows] + data.shape.as_list()[1:]))]


def _check(xp, data, indices, segment_ids, num_segments=None):
    """TF's checks, in the order its kernel's walk over the segments makes them; the
    number of output rows."""
    n = indices.shape[0]
    if segment_ids.shape[0] != n:
        raise _invalid("segment_ids and indices should have same size.")
    ids = segment_ids.astype(np.int64)
    last = int(ids[-1]) if n else -1
    rows = last + 1 if num_segments is None else int(num_segments)
    if num_segments is not None and rows < last + 1:
        raise _invalid("segment ids must be < num_segments")
    if rows < 0:
        raise _invalid("segment ids must be >= 0")
    if n == 0:
        return rows
    starts = xp.nonzero(xp.concatenate([xp.ones(1, bool), ids[1:] != ids[:-1]]))[0]
    seg = ids[starts]
    not_increasing = xp.zeros(seg.shape[0], bool)
    not_increasing[:-1] = seg[1:] < seg[:-1]
    out_of_range = (seg < 0) | (seg >= rows)
    bad = (indices < 0) | (indices >= data.shape[0])
    bad_seg = xp.zeros(seg.shape[0], bool)
    if bad.any():
        bad_seg[xp.searchsorted(starts, xp.nonzero(bad)[0], side="right") - 1] = True
    failing = not_increasing | out_of_range | bad_seg
    if failing.any():
        k = int(xp.argmax(failing))
        if not_increasing[k]:
            raise _invalid("segment ids are not increasing")
        if out_of_range[k]:
            raise _invalid(f"Segment id {int(seg[k])} out of range [0, {rows}), possibly "
                           "because 'segment_ids' input is not sorted.")
        stop = int(starts[k + 1]) if k + 1 < starts.shape[0] else n
        i = int(starts[k]) + int(xp.argmax(bad[int(starts[k]):stop]))
        raise _invalid(f"Bad: indices[{i}] == {int(indices[i])} out of range [0, "
                       f"{data.shape[0]})")
    return rows


def _kernel(kind):
    def kernel(xp, data, indices, segment_ids, *num_segments):
        rows = _check(xp, data, indices, segment_ids, *num_segments)
        out = xp.zeros((rows,) + tuple(data.shape[1:]), dtype=data.dtype)
        ids = segment_ids.astype(np.int64)
        xp.add.at(out, ids, data[indices])
        if kind == "sum":
            return out
        counts = xp.bincount(ids, minlength=rows)[:rows].astype(data.dtype)
        if kind == "sqrtn":
            counts = xp.sqrt(counts)
        counts = xp.maximum(counts, 1).reshape((rows,) + (1,) * (data.ndim - 1))
        return (out / counts).astype(data.dtype)
    return kernel


def _def(op_type, kind, with_num):
    impl = _kernel(kind)
    if with_num:
        def kernel(xp, data, indices, segment_ids, num_segments):
            return impl(xp, data, indices, segment_ids, num_segments)
    else:
        def kernel(xp, data, indices, segment_ids):
            return impl(xp, data, indices, segment_ids)
    kernel.__name__ = op_type
    return defop(op_type, infer=_infer)(kernel)


_sum = _def("SparseSegmentSum", "sum", False)
_sum_n = _def("SparseSegmentSumWithNumSegments", "sum", True)
_mean = _def("SparseSegmentMean", "mean", False)
_mean_n = _def("SparseSegmentMeanWithNumSegments", "mean", True)
_sqrtn = _def("SparseSegmentSqrtN", "sqrtn", False)
_sqrtn_n = _def("SparseSegmentSqrtNWithNumSegments", "sqrtn", True)


def _sum_grad(op, grad):
    data, indices, segment_ids = op.inputs[:3]
    rows = array_ops.shape(data, out_type=indices.dtype)[0]
    out = segment_ops.unsorted_segment_sum(array_ops.gather(grad, segment_ids), indices, rows)
    return [out, None, None] + [None] * (len(op.inputs) - 3)


def _grad_via(op_type):
    def grad_fn(op, grad):
        data, indices, segment_ids = op.inputs[:3]
        rows = array_ops.shape(data)[0]
        out = apply_op(op_type, grad, indices, segment_ids, rows, name=op_type)
        return [out, None, None] + [None] * (len(op.inputs) - 3)
    return grad_fn


for _od in (_sum, _sum_n):
    _od.gradient(_sum_grad)
for _od in (_mean, _mean_n):
    _od.gradient(_grad_via("SparseSegmentMeanGrad"))
for _od in (_sqrtn, _sqrtn_n):
    _od.gradient(_grad_via("SparseSegmentSqrtNGrad"))


def _grad_infer(op):
    grad, indices, segment_ids, dim0 = op.inputs
    shape_fns.check_dtype_in(op, (dtypes.float32, dtypes.float64, dtypes.float16,
                                  dtypes.bfloat16), 0)
    n = shape_fns.constant_value(dim0)
    tail = None if grad.shape.ndims is None else grad.shape.as_list()[1:]
    return [(grad.dtype, TensorShape(None if tail is None else
                                     [None if n is None else int(n)] + tail))]


def _grad_kernel(kind):
    def kernel(xp, grad, indices, segment_ids, output_dim0):
        rows = int(output_dim0)
        ids = segment_ids.astype(np.int64)
        if ids.shape[0] != indices.shape[0]:
            raise _invalid("segment_ids and indices should have same size.")
        bad = (ids < 0) | (ids >= grad.shape[0])
        if bad.any():
            i = int(xp.argmax(bad))
            raise _invalid(f"Segment id {int(ids[i])} out of range [0, {grad.shape[0]}).")
        counts = xp.bincount(ids, minlength=grad.shape[0]).astype(grad.dtype)
        if kind == "sqrtn":
            counts = xp.sqrt(counts)
        scaled = grad / xp.maximum(counts, 1).reshape((-1,) + (1,) * (grad.ndim - 1))
        out = xp.zeros((rows,) + tuple(grad.shape[1:]), dtype=grad.dtype)
        bad = (indices < 0) | (indices >= rows)
        if bad.any():
            i = int(xp.argmax(bad))
            raise _invalid(f"Index {int(indices[i])} out of range [0, {rows}).")
        xp.add.at(out, indices, scaled[ids].astype(grad.dtype))
        return out
    return kernel


defop("SparseSegmentMeanGrad", infer=_grad_infer)(_grad_kernel("mean")).not_differentiable()
defop("SparseSegmentSqrtNGrad", infer=_grad_infer)(_grad_kernel("sqrtn")).not_differentiable()


def _apply(op_type, data, indices, segment_ids, name, num_segments):
    with name_scope(name, op_type, [data, indices, segment_ids]) as scope:
        data = convert_to_tensor(data, name="data")
        indices = convert_to_tensor(indices, name="indices")
        segment_ids = convert_to_tensor(segment_ids, name="segment_ids")
        if num_segments is None:
            return apply_op(op_type, data, indices, segment_ids, name=scope)
        num_segments = convert_to_tensor(num_segments, name="num_segments")
        return apply_op(op_type + "WithNumSegments", data, indices, segment_ids, num_segments,
                        name=scope)


def sparse_segment_sum(data, indices, segment_ids, name=None, num_segments=None):
    """Sums the rows `data[indices]` per sorted segment id (op type SparseSegmentSum, or
    SparseSegmentSumWithNumSegments given `num_segments`).

    Raises:
        InvalidArgumentError: (at run time) unsorted or negative segment ids, an index out
            of range.

    Example:
        >>> c = [[1, 2, 3, 4], [-1, -2, -3, -4], [5, 6, 7, 8]]
        >>> tf.sparse.segment_sum(c, [0, 1], [0, 0])  # [[0, 0, 0, 0]]
        >>> tf.sparse.segment_sum(c, [0, 2], [0, 1])  # [[1, 2, 3, 4], [5, 6, 7, 8]]
    """
    return _apply("SparseSegmentSum", data, indices, segment_ids, name, num_segments)


def sparse_segment_mean(data, indices, segment_ids, name=None, num_segments=None):
    """The mean of the rows `data[indices]` per sorted segment id (op type SparseSegmentMean,
    or SparseSegmentMeanWithNumSegments); an empty segment is 0."""
    return _apply("SparseSegmentMean", data, indices, segment_ids, name, num_segments)


def sparse_segment_sqrt_n(data, indices, segment_ids, name=None, num_segments=None):
    """The sum of the rows `data[indices]` per sorted segment id divided by the square root
    of the segment's size (op type SparseSegmentSqrtN, or ...WithNumSegments)."""
    return _apply("SparseSegmentSqrtN", data, indices, segment_ids, name, num_segments)
