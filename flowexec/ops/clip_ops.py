"""clip_ops: value and norm clipping (ClipByValue, clip_by_norm, global_norm,
clip_by_global_norm) and `norm`.

ClipByValue is one op whose gradient is TF1's: `dy` flows to `t` where
`clip_value_min <= t <= clip_value_max`, and to `clip_value_min` / `clip_value_max` where `t`
was clipped to them (summed down to their shape, so a scalar bound gets the sum). The norm
functions are composites of graph ops with TF1's names and numerics (the two-tap `where` in
clip_by_norm keeps gradients finite at a zero norm). As in TF, clip_by_value, clip_by_norm,
global_norm and clip_by_global_norm take IndexedSlices (sparse gradients) too: they work on
the slices' values and return IndexedSlices with the same indices.

Graph construction is not thread-safe (as in TensorFlow); kernels are pure and thread-safe.
"""

import numbers

import numpy as np

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import colocate_with, name_scope
from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.framework.registry import Elementwise, apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, math_ops, nn_ops, shape_fns
from flowexec.ops.constant_op import constant, identity


# ----- ClipByValue ----------------------------------------------------------------------------
def _clip_by_value_infer(op):
    t, lo, hi = op.inputs
    dt = shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, shape_fns.REAL)
    for bound in (lo, hi):
        s = bound.shape
        if s.ndims not in (None, 0) and not s.is_compatible_with(t.shape):
            raise shape_fns.shape_error(
                op, f"Shapes must be equal rank, but are {s.ndims} and {t.shape.ndims}"
                if t.shape.ndims is not None and s.ndims != t.shape.ndims else
                f"Dimensions must be equal: {s.proto_str()} vs {t.shape.proto_str()}")
    return [(dt, t.shape)]


def _shape_str(a):
    return "[" + ",".join(str(d) for d in a.shape) + "]"


def _clip_in_place(xp, out, t, clip_value_min, clip_value_max):
    # the kernel's xp.clip (numpy's float32 maximum/minimum against a scalar have no fast
    # loop: two of them take ~6x the time of one clip)
    return xp.clip(t, clip_value_min, clip_value_max, out=out)


def _scalar_bounds(input_shapes):
    # The kernel's only error is a bound of another shape than t's; scalars cannot raise.
    return all(s.ndims == 0 for s in input_shapes[1:])


@defop("ClipByValue", infer=_clip_by_value_infer, elementwise=Elementwise(
    _clip_in_place, "fe_min(fe_max({0}, {1}), {2})", accepts=_scalar_bounds))
def _clip_by_value(xp, t, clip_value_min, clip_value_max):
    for arg, v in (("clip_value_min", clip_value_min), ("clip_value_max", clip_value_max)):
        if v.ndim and v.shape != t.shape:
            raise InvalidArgumentError(
                None, None, f"{arg} and t must be the same shape or {arg} must be a scalar. "
                            f"t.shape: {_shape_str(t)}, {arg}.shape: {_shape_str(v)}")
    # minimum(maximum(t, lo), hi), NaN-propagating, in one pass
    return xp.clip(t, clip_value_min, clip_value_max).astype(t.dtype, copy=False)


@_clip_by_value.gradient
def _clip_by_value_grad(op, dy):
    t, lo, hi = op.inputs
    zeros = array_ops.zeros_like(dy)
    below = math_ops.less(t, lo)
    above = math_ops.greater(t, hi)
    gt = math_ops.where(math_ops.logical_or(below, above), zeros, dy)
    glo = math_ops.where(below, dy, zeros)
    ghi = math_ops.where(above, dy, zeros)
    return (gt, math_ops._unbroadcast(glo, lo, t.shape),
            math_ops._unbroadcast(ghi, hi, t.shape))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """Clips `t` elementwise to `[clip_value_min, clip_value_max]`.

    Args:
        t: a Tensor.
        clip_value_min: a scalar, or a Tensor of `t`'s shape: the lower bound.
        clip_value_max: a scalar, or a Tensor of `t`'s shape: the upper bound.
        name: op name (default "clip_by_value").

    Returns:
        A Tensor like `t`.

    Raises:
        ValueError: a bound is neither a scalar nor of `t`'s shape.
        TypeError: the bounds do not have `t`'s dtype.

    Example:
        >>> clip_by_value(constant([-2.0, 0.5, 3.0]), -1.0, 1.0)  # [-1.0, 0.5, 1.0]
    """
    with name_scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as scope:
        values, lo, hi = math_ops._convert((_values(t), clip_value_min, clip_value_max),
                                           ("t", "clip_value_min", "clip_value_max"))
        return _like(t, apply_op("ClipByValue", values, lo, hi, name=scope))


# ----- norm-based clipping --------------------------------------------------------------------
def _values(t):
    """What clipping works on: an IndexedSlices' values (TF clips the slices as they are, so
    repeated rows count separately in a norm), else `t`."""
    return t.values if isinstance(t, IndexedSlices) else t


def _like(t, clipped):
    """`clipped` values in the form `t` came in (an IndexedSlices keeps its indices)."""
    if isinstance(t, IndexedSlices):
        return IndexedSlices(clipped, t.indices, t.dense_shape)
    return clipped


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """Rescales `t` so that its L2 norm (over `axes`) is at most `clip_norm`.

    `t * clip_norm / max(norm(t), clip_norm)`, as TF1 computes it.

    Args:
        t: a floating Tensor.
        clip_norm: a positive scalar.
        axes: the axes to take the norm over (default: all of them).
        name: name scope (default "clip_by_norm"); the result is `<scope>` itself.

    Returns:
        The clipped Tensor, shaped like `t`.

    Example:
        >>> clip_by_norm(constant([3.0, 4.0]), 1.0)  # [0.6, 0.8]
    """
    with name_scope(name, "clip_by_norm", [t, clip_norm]) as scope:
        values = convert_to_tensor(_values(t), name="t")
        l2sum = math_ops.reduce_sum(values * values, axes, keepdims=True)
        pred = l2sum > 0
        l2sum_safe = math_ops.where(pred, l2sum, array_ops.ones_like(l2sum))
        l2norm = math_ops.where(pred, math_ops.sqrt(l2sum_safe), l2sum)
        intermediate = values * clip_norm
        values.shape.merge_with(intermediate.shape)
        return _like(t, identity(intermediate / math_ops.maximum(l2norm, clip_norm),
                                 name=scope))


def _as_list(t_list):
    if not isinstance(t_list, (list, tuple)):
        raise TypeError("t_list should be a sequence")
    return list(t_list)


def _convert_list(t_list):
    return [None if t is None else convert_to_tensor(_values(t), name=f"t_{i}")
            for i, t in enumerate(t_list)]


def global_norm(t_list, name=None):
    """`sqrt(sum(l2norm(t)**2 for t in t_list))`; None entries are ignored.

    Args:
        t_list: a list or tuple of Tensors (or None).
        name: op name (default "global_norm").

    Returns:
        A scalar Tensor.

    Raises:
        TypeError: `t_list` is not a sequence.

    Example:
        >>> global_norm([constant([3.0]), constant([4.0])])  # 5.0
    """
    t_list = _as_list(t_list)
    with name_scope(name, "global_norm", [_values(t) for t in t_list
                                          if isinstance(t, (Tensor, IndexedSlices))]):
        values = _convert_list(t_list)
        half_squared_norms = []
        for v in values:
            if v is not None:
                with colocate_with(v.op):
                    half_squared_norms.append(nn_ops.l2_loss(v))
        half_squared_norm = math_ops.reduce_sum(array_ops.stack(half_squared_norms))
        return math_ops.sqrt(
            half_squared_norm * constant(2.0, dtype=half_squared_norm.dtype),
            name="global_norm")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scales every tensor of `t_list` by `clip_norm / max(global_norm, clip_norm)`.

    Args:
        t_list: a list or tuple of Tensors (None entries pass through as None).
        clip_norm: a positive scalar.
        use_norm: the global norm to use, if already computed.
        name: name scope (default "clip_by_global_norm").

    Returns:
        `(list_clipped, global_norm)`; when the norm is inf or nan, every clipped value is
        nan.

    Raises:
        TypeError: `t_list` is not a sequence.

    Example:
        >>> clipped, n = clip_by_global_norm([constant([3.0]), constant([4.0])], 1.0)
        >>> # clipped == [[0.6], [0.8]], n == 5.0
    """
    t_list = _as_list(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list, name)
    tensors = [_values(t) for t in t_list + [clip_norm]
               if isinstance(t, (Tensor, IndexedSlices))]
    with name_scope(name, "clip_by_global_norm", tensors) as scope:
        use_norm = convert_to_tensor(use_norm, name="use_norm")
        scale_for_finite = clip_norm * math_ops.minimum(
            1.0 / use_norm, constant(1.0, dtype=use_norm.dtype) / clip_norm)
        scale = scale_for_finite + (use_norm - use_norm)  # nan when use_norm is inf or nan
        values = _convert_list(t_list)
        clipped = []
        for i, v in enumerate(values):
            if v is None:
                clipped.append(None)
                continue
            with colocate_with(v.op):
                clipped.append(identity(v * scale, name=f"{scope}_{i}"))
    return [c if c is None else _like(t, c) for c, t in zip(clipped, t_list)], use_norm


# ----- norm -----------------------------------------------------------------------------------
_AXIS_MSG = "'axis' must be None, an integer, or a tuple of 2 unique integers, got {}"


def _is_int(a):
    return isinstance(a, numbers.Integral) and not isinstance(a, bool)


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):
    """Vector or matrix norm of `tensor`.

    Vector norms (`axis` None or an int): 'euclidean' (= 2), 1, np.inf and any p > 0.
    Matrix norms (`axis` a pair of ints): 'euclidean'/'fro', 1 (max column sum) and np.inf
    (max row sum); the spectral norm (ord=2 over a pair of axes) needs an SVD, which flowexec
    does not have, and is refused.

    Args:
        tensor: a floating Tensor.
        ord: the order of the norm.
        axis: None (the whole tensor as a vector), an int, or a pair of ints.
        keepdims: keep the reduced axes with size 1.
        name: name scope (default "norm").
        keep_dims: deprecated alias of `keepdims`.

    Returns:
        A Tensor of the tensor's dtype.

    Raises:
        ValueError: an unsupported `ord` or an invalid `axis`.

    Example:
        >>> norm(constant([[3.0, 4.0], [6.0, 8.0]]), axis=1)  # [5.0, 10.0]
    """
    keepdims = math_ops._deprecated_alias("keepdims", keepdims, "keep_dims", keep_dims)
    is_matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix:
        axis = tuple(axis)
        if not (_is_int(axis[0]) and _is_int(axis[1])) or axis[0] == axis[1]:
            raise ValueError(_AXIS_MSG.format(axis))
        supported = ["euclidean", "fro", 1, 2, np.inf]
        if ord not in supported:
            raise ValueError(f"'ord' must be a supported matrix norm in {supported}, got {ord}")
        if ord == 2:
            raise ValueError("'ord'=2 over two axes (the spectral norm) needs an SVD, which "
                             "flowexec does not support")
    else:
        if not (axis is None or _is_int(axis)):
            raise ValueError(_AXIS_MSG.format(axis))
        supported = ["euclidean", 1, 2, np.inf]
        if ord not in supported and (isinstance(ord, str) or not np.isreal(ord) or ord <= 0):
            raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
        if axis is not None:
            axis = (axis,)
    with name_scope(name, "norm", [tensor]):
        tensor = convert_to_tensor(tensor)
        if ord in ("fro", "euclidean", 2, 2.0):
            result = math_ops.sqrt(math_ops.reduce_sum(
                tensor * math_ops.conj(tensor), axis, keepdims=True))
        else:
            result = math_ops.abs(tensor)
            if ord == 1:
                result = math_ops.reduce_sum(result, None if axis is None else axis[0],
                                             keepdims=True)
                if is_matrix:
                    result = math_ops.reduce_max(result, axis[-1], keepdims=True)
            elif ord == np.inf:
                if is_matrix:
                    result = math_ops.reduce_sum(result, axis[1], keepdims=True)
                result = math_ops.reduce_max(result, None if axis is None else axis[0],
                                             keepdims=True)
            else:
                result = math_ops.pow(
                    math_ops.reduce_sum(math_ops.pow(result, ord), axis, keepdims=True),
                    1.0 / ord)
        if not keepdims:
            result = array_ops.squeeze(result, axis)
        return result


def clip_by_average_norm(t, clip_norm, name=None):
    """`t` scaled so that its average L2 norm, ||t|| / size, is at most `clip_norm` (TF 1.x's
    deprecated clip_by_average_norm: t * clip_norm * min(size / ||t||, 1 / clip_norm)).

    Example:
        >>> clip_by_average_norm([3.0, 4.0], 1.0)  # [1.2, 1.6]: ||t|| / 2 = 2.5 > 1
    """
    with name_scope(name, "clip_by_average_norm", [t, clip_norm]) as scope:
        t = convert_to_tensor(t, name="t")
        n_element = math_ops.cast(array_ops.size(t), t.dtype)
        l2norm_inv = math_ops.rsqrt(math_ops.reduce_sum(t * t))
        return identity(t * clip_norm * math_ops.minimum(l2norm_inv * n_element,
                                                         1.0 / clip_norm), name=scope)


__all__ = ["clip_by_average_norm", "clip_by_global_norm", "clip_by_norm", "clip_by_value", "global_norm", "norm"]
