"""Graph-side helpers of `tf.IndexedSlices` (flowexec/framework/indexed_slices.py): the
densifying conversion `convert_to_tensor` uses, and the aggregation and de-duplication that
gradients and optimizers apply to sparse gradients, built as TF 1.x builds them.

    densify        UnsortedSegmentSum(values, indices, dense_shape[0]) (repeated rows add up)
    aggregate      several IndexedSlices for one tensor: their values and indices
                   concatenated (no sum); any dense one among them: AddN of the densified
    deduplicate    Unique(indices) + UnsortedSegmentSum of the values per unique index (what
                   an optimizer's `_apply_sparse` gets)
"""

import warnings

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import register_tensor_conversion_function
from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, math_ops, search_ops, segment_ops, shape_fns

# TF's threshold for the "large dense tensor" warning.
_LARGE_SPARSE_NUM_ELEMENTS = 100000000


def _to_tensor(value, dtype=None, name=None, as_ref=False):
    """TF's `_indexed_slices_to_tensor`: the dense tensor an IndexedSlices stands for."""
    del as_ref
    if dtype and not dtype.is_compatible_with(value.dtype):
        raise ValueError(
            f"Incompatible tensor conversion requested to `dtype` {dtype.name} for "
            f"IndexedSlices ({value}) with dtype {value.dtype.name}")
    if value.dense_shape is None:
        raise ValueError(
            "Tensor conversion requested for IndexedSlices for argument `value` without "
            f"dense_shape: {value!s}")
    static = shape_fns.constant_value(value.dense_shape)
    if static is not None:
        n = int(np.prod(static))
        if n >= _LARGE_SPARSE_NUM_ELEMENTS:
            warnings.warn(f"Converting sparse IndexedSlices to a dense Tensor with {n} "
                          "elements. This may consume a large amount of memory.", stacklevel=4)
    elif not value.shape.is_fully_defined():
        warnings.warn("Converting sparse IndexedSlices to a dense Tensor of unknown shape. "
                      "This may consume a large amount of memory.", stacklevel=4)
    with value.graph.as_default():
        rows = value.dense_shape[0]
        if rows.dtype is not value.indices.dtype:
            rows = math_ops.cast(rows, value.indices.dtype)
        out = segment_ops.unsorted_segment_sum(value.values, value.indices, rows, name=name)
    shape = value.shape
    if shape.ndims is not None:
        out.set_shape(shape)
    return out


register_tensor_conversion_function(IndexedSlices, _to_tensor)


def _as_indexed_slices(x):
    """`x` as an IndexedSlices (a dense Tensor: all its rows)."""
    if isinstance(x, IndexedSlices):
        return x
    x_shape = array_ops.shape(x)
    return IndexedSlices(x, array_ops.range(0, x_shape[0]), x_shape)


def aggregate(grads):
    """Sums gradients of one tensor, some of them IndexedSlices (TF's
    AggregateIndexedSlicesGradients): all IndexedSlices concatenate into one, rows unsummed;
    with any dense Tensor among them, the AddN of all of them densified."""
    grads = [g for g in grads if g is not None]
    if not grads:
        return None
    if len(grads) == 1:
        return grads[0]
    if any(isinstance(g, Tensor) for g in grads):
        return math_ops.add_n([array_ops.convert_to_tensor(g) for g in grads])
    slices = [_as_indexed_slices(g) for g in grads]
    if len({s.indices.dtype for s in slices}) > 1:  # TF casts every index list to int64
        slices = [IndexedSlices(s.values, math_ops.cast(s.indices, dtypes.int64), s.dense_shape)
                  for s in slices]
    return IndexedSlices(array_ops.concat([s.values for s in slices], 0),
                         array_ops.concat([s.indices for s in slices], 0),
                         slices[0].dense_shape)


def deduplicate(values, indices):
    """(summed values, unique indices): one row per distinct index, the rows of each index
    added up (TF's `_deduplicate_indexed_slices`)."""
    unique_indices, positions = search_ops.unique(indices)
    summed = segment_ops.unsorted_segment_sum(values, positions,
                                           array_ops.shape(unique_indices)[0])
    return summed, unique_indices


__all__ = []
