"""search_ops: finding and counting values — searchsorted (LowerBound/UpperBound), unique
(Unique, UniqueWithCounts), setdiff1d (ListDiff), bincount (Bincount) and the fixed-width
histograms (HistogramFixedWidth).

Their outputs are indices and counts: none has a gradient (as in TF). `unique` keeps the
order of first occurrence, as TF's kernel does.
"""

import collections

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns

# TF's generated wrappers return these namedtuples
Unique = collections.namedtuple("Unique", ["y", "idx"])
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])
ListDiff = collections.namedtuple("ListDiff", ["out", "idx"])

_INDEX = (dtypes.int32, dtypes.int64)


# ----- LowerBound / UpperBound ----------------------------------------------------------------
def _bound_infer(op):
    seq, values = op.inputs
    shape_fns.check_same_dtype(op)
    for i, t in enumerate(op.inputs):
        if t.shape.ndims not in (None, 2):
            raise shape_fns.shape_error(op, f"Shape must be rank 2 but is rank {t.shape.ndims}")
    rows = seq.shape.as_list()[0] if seq.shape.ndims else None
    vs = values.shape
    return [(op.attrs["out_type"], TensorShape([rows, None]).merge_with(vs)
             if vs.ndims == 2 else TensorShape([rows, None]))]


def _bound(side):
    def kernel(xp, sorted_inputs, values, *, out_type=dtypes.int32):
        if sorted_inputs.shape[0] != values.shape[0]:
            raise InvalidArgumentError(
                None, None, "Leading dim_size of both tensors must match: "
                f"{sorted_inputs.shape[0]} vs. {values.shape[0]}")
        rows, n = sorted_inputs.shape
        out = xp.empty(values.shape, dtype=out_type.np)
        for r in range(rows):
            out[r] = xp.searchsorted(sorted_inputs[r], values[r], side=side)
        return out
    return kernel


_lower_bound = defop("LowerBound", infer=_bound_infer)(_bound("left"))
_upper_bound = defop("UpperBound", infer=_bound_infer)(_bound("right"))
_lower_bound.not_differentiable()
_upper_bound.not_differentiable()


def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    """For each value, the index in its row of `sorted_sequence` where it would be inserted
    to keep the row sorted (op type LowerBound for side="left", UpperBound for "right").

    Args:
        sorted_sequence: N-D tensor sorted along its innermost dimension.
        values: N-D tensor with the same leading dimensions.
        side: "left" (first suitable index) or "right" (last).
        out_type: int32 or int64.
        name: op name.

    Raises:
        ValueError: `side` is neither "left" nor "right".

    Example:
        >>> searchsorted([[0, 3, 9, 10, 10]], [[2, 4, 10]])  # [[1, 2, 3]]
    """
    if side not in ("left", "right"):
        raise ValueError(f"Argument `side` must be either 'right' or 'left'. Received: "
                         f"`side` = '{side}'.")
    with name_scope(name, "SearchSorted", [sorted_sequence, values]):
        seq, vals = _m._convert((sorted_sequence, values), ("sorted_inputs", "values"))
        seq_2d = _a.reshape(seq, [-1, _a.shape(seq)[-1]])
        vals_2d = _a.reshape(vals, [-1, _a.shape(vals)[-1]])
        op_type = "LowerBound" if side == "left" else "UpperBound"
        out = apply_op(op_type, seq_2d, vals_2d, name=op_type, out_type=dtypes.as_dtype(out_type))
        result = _a.reshape(out, _a.shape(vals))
        result.set_shape(vals.shape)
        return result


# ----- Unique / UniqueWithCounts --------------------------------------------------------------
def _unique_infer(with_counts):
    def infer(op):
        x = op.inputs[0]
        if x.shape.ndims not in (None, 1):
            raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {x.shape.ndims}")
        out_idx = op.attrs["out_idx"]
        specs = [(x.dtype, TensorShape([None])), (out_idx, x.shape)]
        if with_counts:
            specs.append((out_idx, TensorShape([None])))
        return specs
    return infer


def _first_occurrence_unique(xp, x):
    values, first, inverse, counts = xp.unique(x, return_index=True, return_inverse=True,
                                               return_counts=True)
    order = xp.argsort(first, kind="stable")  # the order in which values first appear
    rank = xp.empty_like(order)
    rank[order] = xp.arange(order.size)
    return values[order], rank[inverse.reshape(-1)], counts[order]


@defop("Unique", infer=_unique_infer(False))
def _unique(xp, x, *, out_idx=dtypes.int32):
    y, idx, _ = _first_occurrence_unique(xp, x)
    return y, idx.astype(out_idx.np)


@defop("UniqueWithCounts", infer=_unique_infer(True))
def _unique_with_counts(xp, x, *, out_idx=dtypes.int32):
    y, idx, counts = _first_occurrence_unique(xp, x)
    return y, idx.astype(out_idx.np), counts.astype(out_idx.np)


_unique.not_differentiable()
_unique_with_counts.not_differentiable()


def unique(x, out_idx=dtypes.int32, name=None):
    """The distinct values of a 1-D tensor in order of first occurrence, and for each input
    element the index of its value in that list (op type Unique).

    Returns:
        A namedtuple `Unique(y, idx)`: `x == gather(y, idx)`.

    Example:
        >>> unique([1, 1, 2, 4, 4, 4, 7, 8, 8])  # y [1, 2, 4, 7, 8], idx [0,0,1,2,2,2,3,4,4]
    """
    with name_scope(name, "Unique", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return Unique(*apply_op("Unique", x, name=scope, out_idx=dtypes.as_dtype(out_idx)))


def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    """`unique` plus how often each distinct value occurs (op type UniqueWithCounts).

    Returns:
        A namedtuple `UniqueWithCounts(y, idx, count)`.

    Example:
        >>> unique_with_counts([1, 1, 2, 4, 4, 4])  # count [2, 1, 3]
    """
    with name_scope(name, "UniqueWithCounts", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return UniqueWithCounts(*apply_op("UniqueWithCounts", x, name=scope,
                                          out_idx=dtypes.as_dtype(out_idx)))


# ----- ListDiff (setdiff1d) -------------------------------------------------------------------
def _list_diff_infer(op):
    x, y = op.inputs
    shape_fns.check_same_dtype(op)
    for t in op.inputs:
        if t.shape.ndims not in (None, 1):
            raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {t.shape.ndims}")
    return [(x.dtype, TensorShape([None])), (op.attrs["out_idx"], TensorShape([None]))]


@defop("ListDiff", infer=_list_diff_infer)
def _list_diff(xp, x, y, *, out_idx=dtypes.int32):
    keep = ~xp.isin(x, y)
    idx = xp.nonzero(keep)[0]
    return x[idx], idx.astype(out_idx.np)


_list_diff.not_differentiable()


def setdiff1d(x, y, index_dtype=dtypes.int32, name=None):
    """The elements of 1-D `x` that are not in `y`, in `x`'s order with repeats kept, and
    their positions in `x` (op type ListDiff), as a namedtuple `ListDiff(out, idx)`.

    Example:
        >>> setdiff1d([1, 2, 3, 4, 5, 6], [1, 3, 5])  # out [2, 4, 6], idx [1, 3, 5]
    """
    with name_scope(name, "ListDiff", [x, y]) as scope:
        x, y = _m._convert((x, y), ("x", "y"))
        return ListDiff(*apply_op("ListDiff", x, y, name=scope,
                                  out_idx=dtypes.as_dtype(index_dtype)))


# ----- Bincount -------------------------------------------------------------------------------
def _bincount_infer(op):
    arr, size, weights = op.inputs
    if arr.dtype is not dtypes.int32:
        shape_fns.check_dtype_in(op, (dtypes.int32,))
    n = shape_fns.constant_value(size)
    return [(weights.dtype, TensorShape([None if n is None else int(n)]))]


@defop("Bincount", infer=_bincount_infer)
def _bincount(xp, arr, size, weights):
    n = int(size)
    if n < 0:
        raise InvalidArgumentError(None, None, f"Input size should be >= 0 but got {n}")
    flat = arr.reshape(-1)
    if flat.size and int(flat.min()) < 0:
        raise InvalidArgumentError(None, None, "Input arr must be non-negative!")
    keep = flat < n
    w = None if weights.size == 0 else weights.reshape(-1)[keep]
    counts = xp.bincount(flat[keep], weights=w, minlength=n)[:n]
    return counts.astype(weights.dtype)


_bincount.not_differentiable()


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=dtypes.int32,
             name=None):
    """How often each value 0, 1, ... occurs in the int32 tensor `arr` (op type Bincount).

    Args:
        arr: non-negative int32 values.
        weights: if given, the same shape as `arr`: each occurrence adds its weight instead
            of 1 (the output takes the weights' dtype).
        minlength: the output has at least this many bins.
        maxlength: values >= maxlength are ignored and the output has at most this many bins.
        dtype: the output dtype when `weights` is None.
        name: name scope.

    Returns:
        A vector of length max(arr) + 1 (clipped by minlength/maxlength; 0 for empty `arr`).

    Example:
        >>> bincount([1, 1, 3])  # [0, 2, 0, 1]
    """
    with name_scope(name, "bincount", [arr, weights, minlength, maxlength]):
        arr = _m.cast(convert_to_tensor(arr, name="arr"), dtypes.int32)
        array_is_nonempty = _m.reduce_prod(_a.shape(arr)) > 0
        output_size = _m.cast(array_is_nonempty, dtypes.int32) * (_m.reduce_max(arr) + 1)
        if minlength is not None:
            minlength = convert_to_tensor(minlength, name="minlength", dtype=dtypes.int32)
            output_size = _m.maximum(minlength, output_size)
        if maxlength is not None:
            maxlength = convert_to_tensor(maxlength, name="maxlength", dtype=dtypes.int32)
            output_size = _m.minimum(maxlength, output_size)
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
        else:
            weights = _a.zeros([0], dtype=dtypes.as_dtype(dtype))
        return apply_op("Bincount", arr, output_size, weights, name="Bincount")


# ----- HistogramFixedWidth --------------------------------------------------------------------
def _histogram_infer(op):
    values, value_range, nbins = op.inputs
    if value_range.dtype is not values.dtype:
        raise TypeError(f"Input 'value_range' of 'HistogramFixedWidth' Op has type "
                        f"{value_range.dtype.name} that does not match type "
                        f"{values.dtype.name} of argument 'values'.")
    shape_fns.check_dtype_in(op, (dtypes.int32,), index=2)
    n = shape_fns.constant_value(nbins)
    return [(op.attrs["dtype"], TensorShape([None if n is None else int(n)]))]


def _bin_indices(xp, values, value_range, nbins):
    lo, hi = value_range[0], value_range[1]
    if not hi > lo:
        raise InvalidArgumentError(None, None, f"value_range should satisfy value_range[0] < "
                                               f"value_range[1], but got [{lo}, {hi}]")
    if nbins <= 0:
        raise InvalidArgumentError(None, None, f"nbins should be a positive number, but got "
                                               f"'{nbins}'")
    scaled = (values.astype(xp.float64) - lo) / (float(hi) - float(lo))
    return xp.clip(xp.floor(scaled * nbins), 0, nbins - 1).astype(xp.int64)


@defop("HistogramFixedWidth", infer=_histogram_infer)
def _histogram_fixed_width(xp, values, value_range, nbins, *, dtype=dtypes.int32):
    n = int(nbins)
    idx = _bin_indices(xp, values, value_range, n)
    return xp.bincount(idx.reshape(-1), minlength=n).astype(dtype.np)


_histogram_fixed_width.not_differentiable()


def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """Counts of `values` in `nbins` equal bins spanning `value_range` (op type
    HistogramFixedWidth); values below the range count in the first bin, above in the last.

    Example:
        >>> histogram_fixed_width([-1.0, 0.0, 1.5, 2.0, 5.0, 15], [0.0, 5.0], nbins=5)
        ... # [2, 1, 1, 0, 2]
    """
    with name_scope(name, "histogram_fixed_width", [values, value_range, nbins]) as scope:
        values, value_range = _m._convert((values, value_range), ("values", "value_range"))
        nbins = convert_to_tensor(nbins, name="nbins", dtype=dtypes.int32)
        return apply_op("HistogramFixedWidth", values, value_range, nbins, name=scope,
                        dtype=dtypes.as_dtype(dtype))


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32,
                               name=None):
    """The bin index of each value for `histogram_fixed_width`'s bins (same shape as
    `values`), computed as TF does: clip(floor(nbins * (v - lo) / (hi - lo)), 0, nbins - 1).

    Example:
        >>> histogram_fixed_width_bins([-1.0, 0.0, 1.5, 2.0, 5.0, 15], [0.0, 5.0], nbins=5)
        ... # [0, 0, 1, 2, 4, 4]
    """
    with name_scope(name, "histogram_fixed_width_bins", [values, value_range, nbins]):
        values = convert_to_tensor(values, name="values")
        shape = _a.shape(values)
        values = _a.reshape(values, [-1])
        value_range = convert_to_tensor(value_range, dtype=values.dtype, name="value_range")
        nbins = convert_to_tensor(nbins, dtype=dtypes.int32, name="nbins")
        nbins_float = _m.cast(nbins, values.dtype)
        scaled = _m.truediv(values - value_range[0], value_range[1] - value_range[0])
        indices = _m.floor(nbins_float * scaled, name="indices")
        indices = _m.cast(_m.minimum(_m.maximum(indices, 0), nbins_float - 1), dtypes.int32)
        return _a.reshape(_m.cast(indices, dtypes.as_dtype(dtype)), shape)


__all__ = ["bincount", "histogram_fixed_width", "histogram_fixed_width_bins", "searchsorted",
           "setdiff1d", "unique", "unique_with_counts"]
