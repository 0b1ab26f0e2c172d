"""sort_ops: TopKV2 (`tf.nn.top_k`), and `sort`/`argsort` built on it as TF builds them.

The k largest entries of each row (the last axis), largest first; equal values keep their
order, the lower index first, as TF's kernel gives them. The gradient scatters the values'
gradient back to the selected positions of each row (TF's `_TopKGrad`).
"""

import collections

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def _top_k_infer(op):
    x, k = op.inputs
    shape_fns.check_dtype_in(op, shape_fns.REAL)
    if k.dtype is not dtypes.int32:
        shape_fns.check_dtype_in(op, (dtypes.int32,), index=1)
    if k.shape.ndims not in (None, 0):
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {k.shape.ndims}")
    kv = shape_fns.constant_value(k)
    if kv is not None and int(kv) < 0:
        raise shape_fns.shape_error(op, f"input must be >= 0 but got {int(kv)}")
    s = x.shape
    if s.ndims is None:
        out = TensorShape(None)
    else:
        if s.ndims < 1:
            raise shape_fns.shape_error(op, "Shape must be at least rank 1 but is rank 0")
        last = s.as_list()[-1]
        if kv is not None and last is not None and last < int(kv):
            raise shape_fns.shape_error(op, f"input must have last dimension >= k = {int(kv)}"
                                            f" but is {last}")
        out = TensorShape(s.as_list()[:-1] + [None if kv is None else int(kv)])
    return [(x.dtype, out), (dtypes.int32, out)]


@defop("TopKV2", infer=_top_k_infer)
def _top_k(xp, input, k, *, sorted):
    del sorted  # the values always come sorted, which TF allows for sorted=False too
    k = int(k)
    if k < 0:
        raise InvalidArgumentError(None, None, f"Need k >= 0, got {k}")
    if input.ndim < 1:
        raise InvalidArgumentError(None, None, "input must be >= 1-D, got shape []")
    n = input.shape[-1]
    if n < k:
        raise InvalidArgumentError(None, None,
                                   f"input must have at least k columns. Had {n}, needed {k}")
    # A stable ascending sort of the reversed row, read backwards, is descending with ties in
    # ascending index order (and needs no negation, which unsigned types cannot take).
    order = xp.argsort(input[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
    indices = (n - 1 - order).astype(xp.int32)
    values = xp.take_along_axis(input, indices, axis=-1)
    return values, indices


@_top_k.gradient
def _top_k_grad(op, dy, _):
    x = op.inputs[0]
    indices = op.outputs[1]
    in_shape = array_ops.shape(x)
    n = in_shape[-1]
    ind_2d = array_ops.reshape(indices, array_ops.stack([-1, array_ops.shape(indices)[-1]]))
    rows = array_ops.shape(ind_2d)[0]
    offsets = array_ops.expand_dims(array_ops.range(rows) * n, -1)
    flat = array_ops.reshape(ind_2d + offsets, [-1, 1])
    size = array_ops.reshape(math_ops.reduce_prod(in_shape), [1])
    g = array_ops.scatter_nd(flat, array_ops.reshape(dy, [-1]), size)
    return array_ops.reshape(g, in_shape), None


def top_k(input, k=1, sorted=True, name=None):
    """The `k` largest entries of each last-axis row and their indices.

    Ties are broken by index (the lower index comes first).

    Args:
        input: a real Tensor of rank >= 1.
        k: an int32 scalar, at most the size of the last axis.
        sorted: accepted for TF compatibility; the values are always sorted, largest first.
        name: op name (default "TopKV2").

    Returns:
        A namedtuple `(values, indices)`: values of `input`'s dtype and int32 indices, both shaped
        `input.shape[:-1] + [k]`.

    Raises:
        ValueError: `k` is negative or larger than a known last dimension; `input` is a scalar.
        InvalidArgumentError: at run time, when `k` exceeds the last dimension.

    Example:
        >>> values, indices = top_k(constant([1.0, 3.0, 2.0, 3.0]), k=2)
        >>> # values == [3.0, 3.0], indices == [1, 3]
    """
    with name_scope(name, "TopKV2", [input, k]) as scope:
        (input,) = math_ops._convert((input,), ("input",))
        (k,) = math_ops._convert((k,), ("k",), dtype=dtypes.int32)
        return TopKV2(*apply_op("TopKV2", input, k, name=scope, sorted=bool(sorted)))


def _sort_or_argsort(values, axis, direction, return_argsort):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f'Argument `direction` should be one of {{"ASCENDING", '
                         f'"DESCENDING"}}. Received: direction={direction}')
    values = convert_to_tensor(values, name="values")
    rank = values.shape.ndims
    if rank is None:
        raise ValueError("sort/argsort need the rank of values")
    if not isinstance(axis, int) or not -rank <= axis < rank:
        raise ValueError(f"Argument `axis` should be an integer in [{-rank}, {rank}); "
                         f"received: axis={axis}")
    axis %= rank
    perm = None
    if axis != rank - 1:
        perm = list(range(rank))
        perm[axis], perm[-1] = rank - 1, axis
        values = array_ops.transpose(values, perm)
    k = array_ops.shape(values)[-1]
    ascending = direction == "ASCENDING"
    if ascending:
        # an order-reversing map, so the descending top_k sorts ascending with ties stable:
        # -x for floats, ~x (= -x - 1, without overflow) for integers
        from flowexec.ops import bitwise_ops

        flip = bitwise_ops.invert if values.dtype.is_integer else math_ops.negative
        top, indices = top_k(flip(values), k)
        top = flip(top)
    else:
        top, indices = top_k(values, k)
    out = indices if return_argsort else top
    if perm is not None:
        out = array_ops.transpose(out, perm)
    return out


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """`values` sorted along `axis` (a static int), ascending or descending.

    Equal values keep their order. The gradient flows to the positions the values came from.

    Raises:
        ValueError: an unknown direction, an axis out of range, or an unknown rank.

    Example:
        >>> sort([3.0, 1.0, 2.0], direction="DESCENDING")  # [3., 2., 1.]
    """
    with name_scope(name, "sort"):
        return _sort_or_argsort(values, axis, direction, return_argsort=False)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """The int32 indices that sort `values` along `axis` (a static int).

    Ties keep their input order (the sort is always stable; `stable` is accepted as TF's).

    Example:
        >>> argsort([1.0, 10.0, 26.9, 2.8, 166.32, 62.3])  # [0, 3, 1, 2, 5, 4]
    """
    del stable
    with name_scope(name, "argsort"):
        return _sort_or_argsort(values, axis, direction, return_argsort=True)


__all__ = ["top_k"]  # tf.nn imports these; sort and argsort are top-level names (tf.sort)


def _approx_k(operand, k, reduction_dimension, is_max, name, default):
    with name_scope(name, default, [operand]):
        x = convert_to_tensor(operand, name="operand")
        rank = x.shape.ndims
        if rank is None:
            raise ValueError(f"{default} needs the rank of operand")
        axis = reduction_dimension % rank
        perm = None
        if axis != rank - 1:
            perm = list(range(rank))
            perm[axis], perm[-1] = rank - 1, axis
            x = array_ops.transpose(x, perm)
        if is_max:
            values, indices = top_k(x, k)
        else:
            from flowexec.ops import bitwise_ops

            flip = bitwise_ops.invert if x.dtype.is_integer else math_ops.negative
            values, indices = top_k(flip(x), k)
            values = flip(values)
        if perm is not None:
            values = array_ops.transpose(values, perm)
            indices = array_ops.transpose(indices, perm)
        return values, indices


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The `k` largest values along `reduction_dimension` and their int32 indices.

    TF computes an approximation on TPUs; on CPUs and GPUs (and here) the result is exact,
    which meets every `recall_target`.

    Example:
        >>> values, idx = approx_max_k([[1.0, 5.0, 3.0]], 2)  # [[5, 3]], [[1, 2]]
    """
    del recall_target, reduction_input_size_override, aggregate_to_topk
    return _approx_k(operand, k, reduction_dimension, True, name, "approx_max_k")


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """The `k` smallest values along `reduction_dimension` and their int32 indices (exact,
    as TF on CPU and GPU)."""
    del recall_target, reduction_input_size_override, aggregate_to_topk
    return _approx_k(operand, k, reduction_dimension, False, name, "approx_min_k")


def approx_top_k(input, k, reduction_dimension=-1, recall_target=0.95, is_max_k=True,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """TF's ApproxTopK: `approx_max_k` (or `approx_min_k` with is_max_k=False)."""
    del recall_target, reduction_input_size_override, aggregate_to_topk
    return _approx_k(input, k, reduction_dimension, bool(is_max_k), name, "ApproxTopK")
