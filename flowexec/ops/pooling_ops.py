"""Pooling ops: MaxPool, AvgPool (2-D and 3-D), MaxPoolWithArgmax, their gradient ops under
TF's names (MaxPoolGrad, AvgPoolGrad, MaxPool3DGrad, AvgPool3DGrad, MaxPoolGradWithArgmax)
and the second-order ones (MaxPoolGradGrad, MaxPool3DGradGrad, MaxPoolGradGradWithArgmax),
with the `tf.nn` wrappers (max_pool, avg_pool, max_pool1d/2d/3d, avg_pool1d/2d/3d,
max_pool_with_argmax).

TF's rules: max pooling pads with the lowest value, so padding never wins; its gradient goes
to the first maximum of each window in scan order (row-major over the window), also when
several cells tie. Average pooling with "SAME" padding divides each window's sum by the number
of valid (non-padding) cells under it. The argmax of MaxPoolWithArgmax flattens the input
position as `((b * height + y) * width + x) * channels + c`, without the `b` term unless
`include_batch_in_index`.

Kernels run one vectorized pass per window offset (`prod(ksize)` passes over all outputs,
see flowexec/ops/window.py), never a loop per output cell.
"""

import collections
import math

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, shape_fns, window

# TF's generated wrapper returns this namedtuple
MaxPoolWithArgmax = collections.namedtuple("MaxPoolWithArgmax", ["output", "argmax"])

_POOL_PADDINGS = ("SAME", "VALID")


# ----- build-time inference ------------------------------------------------------------------
def _nd(op):
    return 3 if "3D" in op.type else 2


def _pool_attrs(op, nd):
    df = window.check_choice(op.type, "data_format", op.attrs.get("data_format", "NHWC"),
                             window.SPATIAL_FORMATS[nd])
    window.check_choice(op.type, "padding", op.attrs["padding"], _POOL_PADDINGS)
    ksize = window.check_window_attr(op, "ksize", op.attrs["ksize"], nd, df, "ksize")
    strides = window.check_window_attr(op, "strides", op.attrs["strides"], nd, df, "stride")
    return df, ksize, strides


def _pooled_shape(op, nd, x_dims):
    df, ksize, strides = _pool_attrs(op, nd)
    n, c = window.batch_and_channel(x_dims, df)
    outs = window.infer_geometry(op, window.spatial_dims(x_dims, df), ksize, strides,
                                 [1] * nd, op.attrs["padding"])
    return TensorShape(window.full_dims(n, outs, c, df))


def _pool_infer(op):
    nd = _nd(op)
    allowed = shape_fns.REAL if op.type.startswith("MaxPool") else shape_fns.FLOATS
    dt = shape_fns.check_dtype_in(op, allowed)
    shape = _pooled_shape(op, nd, window.check_rank(op, 0, nd + 2))
    if op.type == "MaxPoolWithArgmax":
        targmax = dtypes.as_dtype(op.attrs["Targmax"])
        return [(dt, shape), (targmax, shape)]
    return [(dt, shape)]


def _max_pool_grad_infer(op):
    """(orig_input, orig_output, grad) -> a gradient shaped as orig_input."""
    nd = _nd(op)
    dt = shape_fns.check_same_dtype(op)
    _pool_attrs(op, nd)
    window.check_rank(op, 0, nd + 2)
    return [(dt, op.inputs[0].shape)]


def _max_pool_grad_grad_infer(op):
    nd = _nd(op)
    dt = shape_fns.check_same_dtype(op)
    _pool_attrs(op, nd)
    window.check_rank(op, 0, nd + 2)
    return [(dt, op.inputs[1].shape)]


def _avg_pool_grad_infer(op):
    nd = _nd(op)
    _pool_attrs(op, nd)
    dt = shape_fns.check_dtype_in(op, shape_fns.FLOATS, 1)
    shape = shape_fns.constant_shape(op.inputs[0])
    if shape.ndims is not None and shape.ndims != nd + 2:
        raise shape_fns.shape_error(op, f"Shape must be rank {nd + 2} but is rank "
                                        f"{shape.ndims}")
    return [(dt, shape if shape.ndims is not None else TensorShape([None] * (nd + 2)))]


def _argmax_grad_infer(index):
    def infer(op):
        _pool_attrs(op, 2)
        x, g = op.inputs[0], op.inputs[1]
        if x.dtype is not g.dtype:
            raise TypeError(f"Input 'grad' of '{op.type}' Op has type {g.dtype.name} that does "
                            f"not match type {x.dtype.name} of argument 'input'.")
        shape_fns.check_dtype_in(op, (dtypes.int32, dtypes.int64), 2)
        return [(x.dtype, op.inputs[index].shape)]
    return infer


def _pool_cost(op):
    """About one ns per output element per window cell."""
    elems = [t.shape.num_elements() for t in list(op.inputs) + list(op.outputs)
             if t.dtype.is_floating]
    if not elems or None in elems:
        return EXPENSIVE
    ksize = op.attrs["ksize"]
    return float(max(elems) * math.prod(ksize))


# ----- kernels' helpers ----------------------------------------------------------------------
def _lowest(xp, dtype):
    if dtype.kind == "f":
        return -xp.inf
    if dtype.kind == "b":
        return False
    return xp.iinfo(dtype).min


def _geometry(x_shape, ksize, strides, padding, data_format):
    nd = len(x_shape) - 2
    k = window.spatial_dims(ksize, data_format)
    s = window.spatial_dims(strides, data_format)
    outs, pads = window.run_geometry(x_shape[1:-1], k, s, [1] * nd, padding)
    return k, s, outs, pads


def _offsets(k, outs, s):
    return window.offsets(k, outs, s, [1] * len(k))


def _max_pool_cl(xp, x, k, s, outs, pads):
    xpad = window.pad_spatial(xp, x, pads, _lowest(xp, x.dtype))
    out = None
    for _, sl in _offsets(k, outs, s):
        v = xpad[sl]
        out = v.copy() if out is None else xp.maximum(out, v, out=out)
    return out


def _first_max_hits(xp, x, y, k, s, outs, pads):
    """(padded input, [(slices, mask)]): per window offset, where it holds the window's first
    maximum in scan order."""
    xpad = window.pad_spatial(xp, x, pads, _lowest(xp, x.dtype))
    hits = []
    taken = None
    for _, sl in _offsets(k, outs, s):
        hit = xpad[sl] == y
        if taken is None:
            taken = hit.copy()
        else:
            hit &= ~taken
            taken |= hit
        hits.append((sl, hit))
    return xpad, hits


def _max_pool_grad_cl(xp, x, y, dy, k, s, outs, pads):
    xpad, hits = _first_max_hits(xp, x, y, k, s, outs, pads)
    acc = xp.zeros(xpad.shape, dtype=dy.dtype)
    # Windows that do not overlap (stride >= ksize, the usual 2x2/2) write their cells once.
    disjoint = all(st >= kk for st, kk in zip(s, k))
    for sl, hit in hits:
        if disjoint:
            xp.multiply(dy, hit, out=acc[sl])
        else:
            acc[sl] += dy * hit
    return window.crop_spatial(acc, pads, x.shape[1:-1])


def _max_pool_grad_grad_cl(xp, x, y, g, k, s, outs, pads):
    _, hits = _first_max_hits(xp, x, y, k, s, outs, pads)
    gpad = window.pad_spatial(xp, g, pads)
    out = xp.zeros(y.shape, dtype=g.dtype)
    for sl, hit in hits:
        out += gpad[sl] * hit
    return out


def _valid_counts(xp, in_sizes, k, s, outs, pads, dtype):
    """Per output position, the number of non-padding cells under its window."""
    nd = len(outs)
    counts = None
    for i in range(nd):
        start = xp.arange(outs[i]) * s[i] - pads[i][0]
        c = xp.minimum(start + k[i], in_sizes[i]) - xp.maximum(start, 0)
        c = c.reshape((1,) + tuple(-1 if j == i else 1 for j in range(nd)) + (1,))
        counts = c if counts is None else counts * c
    return counts.astype(dtype)


def _avg_pool_cl(xp, x, k, s, outs, pads):
    xc = window.upcast_half(xp, x)
    xpad = window.pad_spatial(xp, xc, pads)
    out = None
    for _, sl in _offsets(k, outs, s):
        out = xpad[sl].copy() if out is None else xp.add(out, xpad[sl], out=out)
    out /= _valid_counts(xp, x.shape[1:-1], k, s, outs, pads, out.dtype)
    return out.astype(x.dtype, copy=False)


def _avg_pool_grad_cl(xp, x_shape, dy, k, s, outs, pads):
    g = window.upcast_half(xp, dy)
    g = g / _valid_counts(xp, x_shape[1:-1], k, s, outs, pads, g.dtype)
    padded = (x_shape[0],) + tuple(n + b + a for n, (b, a) in zip(x_shape[1:-1], pads)) \
        + (x_shape[-1],)
    acc = xp.zeros(padded, dtype=g.dtype)
    for _, sl in _offsets(k, outs, s):
        acc[sl] += g
    return window.crop_spatial(acc, pads, x_shape[1:-1]).astype(dy.dtype)


def _check_output_shape(y_shape, outs, what):
    if tuple(y_shape[1:-1]) != tuple(outs):
        raise errors.InvalidArgumentError(
            None, None, f"Expected {what} spatial shape {list(outs)}, got {list(y_shape[1:-1])}")


# ----- MaxPool / MaxPool3D -------------------------------------------------------------------
def _max_pool_kernel(xp, input, ksize, strides, padding, data_format):
    x = window.to_channels_last(xp, input, data_format)
    k, s, outs, pads = _geometry(x.shape, ksize, strides, padding, data_format)
    return window.from_channels_last(xp, _max_pool_cl(xp, x, k, s, outs, pads), data_format)


def _max_pool_grad_kernel(xp, orig_input, orig_output, grad, ksize, strides, padding,
                          data_format):
    cl = window.to_channels_last
    x, y, dy = (cl(xp, t, data_format) for t in (orig_input, orig_output, grad))
    k, s, outs, pads = _geometry(x.shape, ksize, strides, padding, data_format)
    _check_output_shape(dy.shape, outs, "grad")
    dx = _max_pool_grad_cl(xp, x, y, dy, k, s, outs, pads)
    return window.from_channels_last(xp, xp.ascontiguousarray(dx), data_format)


def _max_pool_grad_grad_kernel(xp, orig_input, orig_output, grad, ksize, strides, padding,
                               data_format):
    cl = window.to_channels_last
    x, y, g = (cl(xp, t, data_format) for t in (orig_input, orig_output, grad))
    k, s, outs, pads = _geometry(x.shape, ksize, strides, padding, data_format)
    out = _max_pool_grad_grad_cl(xp, x, y, g, k, s, outs, pads)
    return window.from_channels_last(xp, out, data_format)


@defop("MaxPool", infer=_pool_infer, cost=_pool_cost)
def _max_pool(xp, input, *, ksize, strides, padding, data_format="NHWC"):
    return _max_pool_kernel(xp, input, ksize, strides, padding, data_format)


@defop("MaxPool3D", infer=_pool_infer, cost=_pool_cost)
def _max_pool3d(xp, input, *, ksize, strides, padding, data_format="NDHWC"):
    return _max_pool_kernel(xp, input, ksize, strides, padding, data_format)


@defop("MaxPoolGrad", infer=_max_pool_grad_infer, cost=_pool_cost)
def _max_pool_grad(xp, orig_input, orig_output, grad, *, ksize, strides, padding,
                   data_format="NHWC"):
    return _max_pool_grad_kernel(xp, orig_input, orig_output, grad, ksize, strides, padding,
                                 data_format)


@defop("MaxPool3DGrad", infer=_max_pool_grad_infer, cost=_pool_cost)
def _max_pool3d_grad(xp, orig_input, orig_output, grad, *, ksize, strides, padding,
                     data_format="NDHWC"):
    return _max_pool_grad_kernel(xp, orig_input, orig_output, grad, ksize, strides, padding,
                                 data_format)


@defop("MaxPoolGradGrad", infer=_max_pool_grad_grad_infer, cost=_pool_cost)
def _max_pool_grad_grad(xp, orig_input, orig_output, grad, *, ksize, strides, padding,
                        data_format="NHWC"):
    return _max_pool_grad_grad_kernel(xp, orig_input, orig_output, grad, ksize, strides,
                                      padding, data_format)


@defop("MaxPool3DGradGrad", infer=_max_pool_grad_grad_infer, cost=_pool_cost)
def _max_pool3d_grad_grad(xp, orig_input, orig_output, grad, *, ksize, strides, padding,
                          data_format="NDHWC"):
    return _max_pool_grad_grad_kernel(xp, orig_input, orig_output, grad, ksize, strides,
                                      padding, data_format)


def _attrs(op):
    return {k: v for k, v in op.attrs.items() if not k.startswith("_")}


def _max_family(op):
    nd = "3D" if "3D" in op.type else ""
    return f"MaxPool{nd}Grad", f"MaxPool{nd}GradGrad"


def _max_pool_grad_fn(op, dy):
    grad, _ = _max_family(op)
    return [apply_op(grad, op.inputs[0], op.outputs[0], dy, **_attrs(op))]


def _max_pool_grad_grad_fn(op, g):
    """Gradient of MaxPoolGrad (GradGrad for its `grad`) and of MaxPoolGradGrad (Grad)."""
    grad, grad_grad = _max_family(op)
    x, y, _ = op.inputs
    other = grad_grad if op.type == grad else grad
    return [array_ops.zeros_like(x), array_ops.zeros_like(y),
            apply_op(other, x, y, g, **_attrs(op))]


for _od in (_max_pool, _max_pool3d):
    _od.gradient(_max_pool_grad_fn)
for _od in (_max_pool_grad, _max_pool3d_grad, _max_pool_grad_grad, _max_pool3d_grad_grad):
    _od.gradient(_max_pool_grad_grad_fn)


# ----- AvgPool / AvgPool3D -------------------------------------------------------------------
def _avg_pool_kernel(xp, value, ksize, strides, padding, data_format):
    x = window.to_channels_last(xp, value, data_format)
    k, s, outs, pads = _geometry(x.shape, ksize, strides, padding, data_format)
    return window.from_channels_last(xp, _avg_pool_cl(xp, x, k, s, outs, pads), data_format)


def _avg_pool_grad_kernel(xp, orig_input_shape, grad, ksize, strides, padding, data_format):
    dims = [int(d) for d in orig_input_shape.tolist()]
    if window.channels_first(data_format):
        x_shape = (dims[0],) + tuple(dims[2:]) + (dims[1],)
    else:
        x_shape = tuple(dims)
    dy = window.to_channels_last(xp, grad, data_format)
    k, s, outs, pads = _geometry(x_shape, ksize, strides, padding, data_format)
    _check_output_shape(dy.shape, outs, "grad")
    dx = _avg_pool_grad_cl(xp, x_shape, dy, k, s, outs, pads)
    return window.from_channels_last(xp, xp.ascontiguousarray(dx), data_format)


@defop("AvgPool", infer=_pool_infer, cost=_pool_cost)
def _avg_pool(xp, value, *, ksize, strides, padding, data_format="NHWC"):
    return _avg_pool_kernel(xp, value, ksize, strides, padding, data_format)


@defop("AvgPool3D", infer=_pool_infer, cost=_pool_cost)
def _avg_pool3d(xp, input, *, ksize, strides, padding, data_format="NDHWC"):
    return _avg_pool_kernel(xp, input, ksize, strides, padding, data_format)


@defop("AvgPoolGrad", infer=_avg_pool_grad_infer, cost=_pool_cost)
def _avg_pool_grad(xp, orig_input_shape, grad, *, ksize, strides, padding,
                   data_format="NHWC"):
    return _avg_pool_grad_kernel(xp, orig_input_shape, grad, ksize, strides, padding,
                                 data_format)


@defop("AvgPool3DGrad", infer=_avg_pool_grad_infer, cost=_pool_cost)
def _avg_pool3d_grad(xp, orig_input_shape, grad, *, ksize, strides, padding,
                     data_format="NDHWC"):
    return _avg_pool_grad_kernel(xp, orig_input_shape, grad, ksize, strides, padding,
                                 data_format)


def _avg_pool_grad_fn(op, dy):
    grad = "AvgPool3DGrad" if op.type == "AvgPool3D" else "AvgPoolGrad"
    return [apply_op(grad, array_ops.shape(op.inputs[0]), dy, **_attrs(op))]


def _avg_pool_grad_grad_fn(op, g):
    # AvgPoolGrad is linear in `grad` and its adjoint is AvgPool itself.
    fwd = "AvgPool3D" if op.type == "AvgPool3DGrad" else "AvgPool"
    return [None, apply_op(fwd, g, **_attrs(op))]


for _od in (_avg_pool, _avg_pool3d):
    _od.gradient(_avg_pool_grad_fn)
for _od in (_avg_pool_grad, _avg_pool3d_grad):
    _od.gradient(_avg_pool_grad_grad_fn)


# ----- MaxPoolWithArgmax ---------------------------------------------------------------------
def _flat_positions(xp, x_shape, kidx, outs, s, pads, include_batch, dtype):
    """The flattened input index of the cell under kernel offset `kidx`, per output cell."""
    n, h, w, c = x_shape
    rows = (xp.arange(outs[0]) * s[0] - pads[0][0] + kidx[0]).reshape(1, -1, 1, 1)
    cols = (xp.arange(outs[1]) * s[1] - pads[1][0] + kidx[1]).reshape(1, 1, -1, 1)
    chans = xp.arange(c).reshape(1, 1, 1, -1)
    flat = (rows * w + cols) * c + chans
    if include_batch:
        flat = flat + xp.arange(n).reshape(-1, 1, 1, 1) * (h * w * c)
    return flat.astype(dtype)


@defop("MaxPoolWithArgmax", infer=_pool_infer, cost=_pool_cost)
def _max_pool_with_argmax(xp, input, *, ksize, strides, padding, Targmax,
                          include_batch_in_index=False):
    k, s, outs, pads = _geometry(input.shape, ksize, strides, padding, "NHWC")
    xpad = window.pad_spatial(xp, input, pads, _lowest(xp, input.dtype))
    idx_dtype = dtypes.as_dtype(Targmax).np
    best = argmax = None
    for kidx, sl in _offsets(k, outs, s):
        v = xpad[sl]
        pos = _flat_positions(xp, input.shape, kidx, outs, s, pads, include_batch_in_index,
                              idx_dtype)
        if best is None:
            best = v.copy()
            argmax = xp.broadcast_to(pos, v.shape).copy()
            continue
        better = v > best
        best = xp.where(better, v, best)
        argmax = xp.where(better, pos, argmax)
    return best, argmax


def _global_argmax(xp, argmax, x_shape, include_batch):
    flat = argmax.astype(xp.int64)
    if not include_batch:
        per_image = math.prod(x_shape[1:])
        flat = flat + xp.arange(x_shape[0], dtype=xp.int64).reshape(-1, 1, 1, 1) * per_image
    return flat.reshape(-1)


@defop("MaxPoolGradWithArgmax", infer=_argmax_grad_infer(0), cost=_pool_cost)
def _max_pool_grad_with_argmax(xp, input, grad, argmax, *, ksize, strides, padding,
                               include_batch_in_index=False):
    flat = _global_argmax(xp, argmax, input.shape, include_batch_in_index)
    weights = window.upcast_half(xp, grad).reshape(-1)
    dx = xp.bincount(flat, weights=weights, minlength=input.size)
    return dx.astype(grad.dtype).reshape(input.shape)


@defop("MaxPoolGradGradWithArgmax", infer=_argmax_grad_infer(2), cost=_pool_cost)
def _max_pool_grad_grad_with_argmax(xp, input, grad, argmax, *, ksize, strides, padding,
                                    include_batch_in_index=False):
    flat = _global_argmax(xp, argmax, input.shape, include_batch_in_index)
    return grad.reshape(-1)[flat].reshape(argmax.shape)


def _argmax_attrs(op):
    a = _attrs(op)
    a.pop("Targmax", None)
    return a


@_max_pool_with_argmax.gradient
def _max_pool_with_argmax_grad(op, dy, unused_argmax_grad):
    return [apply_op("MaxPoolGradWithArgmax", op.inputs[0], dy, op.outputs[1],
                     **_argmax_attrs(op))]


@_max_pool_grad_with_argmax.gradient
def _max_pool_grad_with_argmax_grad(op, g):
    x, _, argmax = op.inputs
    return [array_ops.zeros_like(x),
            apply_op("MaxPoolGradGradWithArgmax", x, g, argmax, **_attrs(op)), None]


@_max_pool_grad_grad_with_argmax.gradient
def _max_pool_grad_grad_with_argmax_grad(op, g):
    x, _, argmax = op.inputs
    return [array_ops.zeros_like(x),
            apply_op("MaxPoolGradWithArgmax", x, g, argmax, **_attrs(op)), None]


# ----- Python wrappers -----------------------------------------------------------------------
def _pool(op_type, value, ksize, strides, padding, data_format, name, nd, arg="value"):
    data_format = data_format or window.SPATIAL_FORMATS[nd][0]
    value = convert_to_tensor(value, name=arg)
    expand = window.expand_sequence
    return apply_op(op_type, value, name=name, ksize=expand(ksize, nd, data_format, "ksize"),
                    strides=expand(strides, nd, data_format, "strides"), padding=padding,
                    data_format=data_format)


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """Max pooling of a 4-D `value` over windows `ksize` moved by `strides`.

    Args:
        value: `[batch, height, width, channels]` ("NHWC") or "NCHW"; a real type.
        ksize: an int or a list of 1, 2 or 4 ints: the window per dimension.
        strides: an int or a list of 1, 2 or 4 ints.
        padding: "SAME" or "VALID".
        data_format: "NHWC" (default) or "NCHW".
        name: op name (default "MaxPool").
        input: TF2 alias of `value`.

    Returns:
        The max pooled Tensor.

    Example:
        >>> h = max_pool(conv, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
    """
    value = input if value is None else value
    return _pool("MaxPool", value, ksize, strides, padding, data_format, name, 2)


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """Average pooling of a 4-D `value`; with "SAME" padding each window's mean is over its
    valid (non-padding) cells.

    Args:
        value: `[batch, height, width, channels]` ("NHWC") or "NCHW"; a floating type.
        ksize: an int or a list of 1, 2 or 4 ints.
        strides: an int or a list of 1, 2 or 4 ints.
        padding: "SAME" or "VALID".
        data_format: "NHWC" (default) or "NCHW".
        name: op name (default "AvgPool").
        input: TF2 alias of `value`.

    Returns:
        The average pooled Tensor.

    Example:
        >>> h = avg_pool(conv, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    """
    value = input if value is None else value
    return _pool("AvgPool", value, ksize, strides, padding, data_format, name, 2)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """`max_pool` under its TF2 name.

    Example:
        >>> h = max_pool2d(conv, 2, 2, "SAME")
    """
    return max_pool(input, ksize, strides, padding, data_format, name)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """`avg_pool` under its TF2 name.

    Example:
        >>> h = avg_pool2d(conv, 2, 2, "SAME")
    """
    return avg_pool(input, ksize, strides, padding, data_format, name)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Max pooling of a 5-D `input` ("NDHWC" or "NCDHW").

    Args:
        input: `[batch, depth, height, width, channels]`.
        ksize: an int or a list of 1, 3 or 5 ints.
        strides: an int or a list of 1, 3 or 5 ints.
        padding: "SAME" or "VALID".
        data_format: "NDHWC" (default) or "NCDHW".
        name: op name (default "MaxPool3D").

    Returns:
        The max pooled Tensor.

    Example:
        >>> h = max_pool3d(volumes, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME")
    """
    return _pool("MaxPool3D", input, ksize, strides, padding, data_format, name, 3, "input")


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Average pooling of a 5-D `input` ("NDHWC" or "NCDHW").

    Example:
        >>> h = avg_pool3d(volumes, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "SAME")
    """
    return _pool("AvgPool3D", input, ksize, strides, padding, data_format, name, 3, "input")


def _pool1d(pool, input, ksize, strides, padding, data_format, name, default_name):
    data_format = data_format or "NWC"
    window.check_choice(default_name, "data_format", data_format, window.SPATIAL_FORMATS[1])
    with name_scope(name, default_name, [input]) as scope:
        input = convert_to_tensor(input, name="input")
        nc = data_format == "NCW"
        axis = 2 if nc else 1
        k = [1] + window.expand_sequence(ksize, 1, data_format, "ksize")
        s = [1] + window.expand_sequence(strides, 1, data_format, "strides")
        expanded = array_ops.expand_dims(input, axis)
        pooled = pool(expanded, k, s, padding, "NCHW" if nc else "NHWC")
        return array_ops.squeeze(pooled, [axis], name=scope)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Max pooling of a 3-D `input` ("NWC" or "NCW"), as TF: a MaxPool of unit height.

    Example:
        >>> h = max_pool1d(signal, 2, 2, "VALID")
    """
    return _pool1d(max_pool, input, ksize, strides, padding, data_format, name, "MaxPool1d")


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Average pooling of a 3-D `input` ("NWC" or "NCW").

    Example:
        >>> h = avg_pool1d(signal, 2, 2, "VALID")
    """
    return _pool1d(avg_pool, input, ksize, strides, padding, data_format, name, "AvgPool1D")


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC",
                         Targmax=None, name=None, output_dtype=None,
                         include_batch_in_index=False):
    """Max pooling that also returns the flattened input index of each maximum.

    Args:
        input: `[batch, height, width, channels]` (NHWC only, as TF).
        ksize, strides: 4 ints (or 1 or 2).
        padding: "SAME" or "VALID".
        data_format: must be "NHWC".
        Targmax: the index type, int64 (default) or int32.
        name: op name (default "MaxPoolWithArgmax").
        output_dtype: TF2 alias of `Targmax`.
        include_batch_in_index: whether the batch index is part of the flattened index.

    Returns:
        `(output, argmax)`.

    Example:
        >>> pooled, where = max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    """
    if data_format != "NHWC":
        raise ValueError("Data formats other than 'NHWC' are not yet supported")
    targmax = dtypes.as_dtype(output_dtype or Targmax or dtypes.int64)
    input = convert_to_tensor(input, name="input")
    return MaxPoolWithArgmax(*apply_op(
        "MaxPoolWithArgmax", input, name=name,
        ksize=window.expand_sequence(ksize, 2, "NHWC", "ksize"),
        strides=window.expand_sequence(strides, 2, "NHWC", "strides"), padding=padding,
        Targmax=targmax.name, include_batch_in_index=bool(include_batch_in_index)))


__all__ = [
    "avg_pool",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "max_pool",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool_with_argmax",
]
