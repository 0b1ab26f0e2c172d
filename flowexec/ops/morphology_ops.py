"""Grayscale morphology: Dilation2D (`tf.nn.dilation2d`) with its gradient ops
Dilation2DBackpropInput / Dilation2DBackpropFilter, and `tf.nn.erosion2d` (TF's duality:
`-dilation2d(-value, reversed kernel)`).

`output[b, y, x, c] = max over (i, j) of input[b, y * s_h + i * r_h - pad_top,
x * s_w + j * r_w - pad_left, c] + filter[i, j, c]`, over the in-bounds cells (padding never
wins). As TF's kernels, the gradients go to the first maximum of each window in scan order
(a strictly greater value replaces it): the input cell for Dilation2DBackpropInput, the
filter tap for Dilation2DBackpropFilter. Kernels run one vectorized pass per filter offset
(flowexec/ops/window.py). TF registers no gradient for the two backprop ops; neither does
flowexec (LookupError, as TF).
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, pooling_ops, shape_fns, window

_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.uint8, dtypes.int16,
          dtypes.int8, dtypes.int64, dtypes.bfloat16, dtypes.uint16, dtypes.float16,
          dtypes.uint32, dtypes.uint64)


# ----- build-time inference ------------------------------------------------------------------
def _check_attrs(op):
    for attr in ("strides", "rates"):
        if len(op.attrs[attr]) < 4:
            raise ValueError(f"Attr '{attr}' of '{op.type}' Op passed list of length "
                             f"{len(op.attrs[attr])} less than minimum 4.")
    window.check_choice(op.type, "padding", op.attrs["padding"], ("SAME", "VALID"))


def _forward_shape(op, x_dims, f_dims):
    n, h, w, c = x_dims
    c = _merge_dim(op, c, f_dims[2])
    s, r = op.attrs["strides"], op.attrs["rates"]
    outs = []
    for size, k, stride, rate in zip((h, w), f_dims[:2], s[1:3], r[1:3]):
        if size is None or k is None:
            outs.append(None)
            continue
        eff = k + (k - 1) * (rate - 1)
        if op.attrs["padding"] == "VALID":
            out = (size - eff + stride) // stride
        else:
            out = (size + stride - 1) // stride
        if out < 0:
            raise shape_fns.shape_error(
                op, f"Computed output size would be negative: {out} [input_size: {size}, "
                    f"effective_filter_size: {eff}, stride: {stride}]")
        outs.append(out)
    return [n] + outs + [c]


def _merge_dim(op, a, b):
    if a is not None and b is not None and a != b:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def _dilation_infer(op):
    shape_fns.check_dtype_in(op, _TYPES, 0)
    shape_fns.check_same_dtype(op)
    _check_attrs(op)
    x = window.check_rank(op, 0, 4)
    f = window.check_rank(op, 1, 3)
    return [(op.inputs[0].dtype, TensorShape(_forward_shape(op, x, f)))]


def _backprop_infer(index):
    def infer(op):
        shape_fns.check_dtype_in(op, _TYPES, 0)
        shape_fns.check_same_dtype(op)
        _check_attrs(op)
        window.check_rank(op, 0, 4)
        window.check_rank(op, 1, 3)
        window.check_rank(op, 2, 4)
        return [(op.inputs[0].dtype, op.inputs[index].shape)]
    return infer


# ----- kernels -------------------------------------------------------------------------------
def _setup(xp, x, f, strides, rates, padding):
    if strides[0] != 1 or strides[3] != 1:
        raise errors.UnimplementedError(
            None, None, "Stride is only supported across spatial dimensions.")
    if rates[0] != 1 or rates[3] != 1:
        raise errors.UnimplementedError(
            None, None, "Rate is only supported across spatial dimensions.")
    if x.shape[3] != f.shape[2]:
        raise errors.InvalidArgumentError(
            None, None, f"input and filter must have the same depth: {x.shape[3]} vs "
                        f"{f.shape[2]}")
    s, r = list(strides[1:3]), list(rates[1:3])
    try:
        outs, pads = window.run_geometry(x.shape[1:3], f.shape[:2], s, r, padding)
    except window.GeometryError as e:
        raise errors.InvalidArgumentError(
            None, None, f"Computed output size would be negative: "
                        f"{(e.in_size - e.effective + e.stride) // e.stride} [input_size: "
                        f"{e.in_size}, effective_filter_size: {e.effective}, stride: "
                        f"{e.stride}]") from None
    xpad = window.pad_spatial(xp, x, pads)
    inside = window.pad_spatial(xp, xp.ones(x.shape[:3] + (1,), dtype=bool), pads, False)
    return s, r, outs, pads, (xpad, inside)


def _max_and_first_argmax(xp, padded, f, outs, s, r):
    """(max over in-bounds offsets of x + f, index of the first offset reaching it): a tap
    replaces the best so far only when strictly greater, as TF's kernels; padding never
    takes part (no sentinel value, which could overflow an integer sum)."""
    xpad, inside = padded
    best = arg = have = None
    for i, (kidx, sl) in enumerate(window.offsets(f.shape[:2], outs, s, r)):
        v = xpad[sl] + f[kidx]
        ok = xp.broadcast_to(inside[sl], v.shape)
        if best is None:
            best = xp.where(ok, v, pooling_ops._lowest(xp, v.dtype)).astype(v.dtype)
            arg, have = xp.zeros(v.shape, dtype=xp.int32), ok
            continue
        take = ok & (~have | (v > best))
        best = xp.where(take, v, best)
        arg = xp.where(take, i, arg)
        have = have | ok
    return best, arg


@defop("Dilation2D", infer=_dilation_infer, cost=EXPENSIVE)
def _dilation2d(xp, input, filter, *, strides, rates, padding):
    s, r, outs, _, padded = _setup(xp, input, filter, strides, rates, padding)
    return _max_and_first_argmax(xp, padded, filter, outs, s, r)[0].astype(input.dtype,
                                                                         copy=False)


def _check_backprop(dy, n, outs, c):
    want = (n,) + tuple(outs) + (c,)
    if tuple(dy.shape) != want:
        raise errors.InvalidArgumentError(
            None, None, f"out_backprop has incompatible size: {list(dy.shape)} vs expected "
                        f"{list(want)}")


@defop("Dilation2DBackpropInput", infer=_backprop_infer(0), cost=EXPENSIVE)
def _dilation2d_backprop_input(xp, input, filter, out_backprop, *, strides, rates, padding):
    s, r, outs, pads, padded = _setup(xp, input, filter, strides, rates, padding)
    _check_backprop(out_backprop, input.shape[0], outs, input.shape[3])
    _, arg = _max_and_first_argmax(xp, padded, filter, outs, s, r)
    acc = xp.zeros(padded[0].shape, dtype=out_backprop.dtype)
    for i, (_, sl) in enumerate(window.offsets(filter.shape[:2], outs, s, r)):
        acc[sl] += xp.where(arg == i, out_backprop, 0)
    return xp.ascontiguousarray(window.crop_spatial(acc, pads, input.shape[1:3]))


@defop("Dilation2DBackpropFilter", infer=_backprop_infer(1), cost=EXPENSIVE)
def _dilation2d_backprop_filter(xp, input, filter, out_backprop, *, strides, rates, padding):
    s, r, outs, _, padded = _setup(xp, input, filter, strides, rates, padding)
    _check_backprop(out_backprop, input.shape[0], outs, input.shape[3])
    _, arg = _max_and_first_argmax(xp, padded, filter, outs, s, r)
    df = xp.zeros(filter.shape, dtype=out_backprop.dtype)
    for i, (kidx, _) in enumerate(window.offsets(filter.shape[:2], outs, s, r)):
        df[kidx] = xp.where(arg == i, out_backprop, 0).sum(axis=(0, 1, 2))
    return df


@_dilation2d.gradient
def _dilation2d_grad(op, dy):
    x, f = op.inputs
    a = {k: op.attrs[k] for k in ("strides", "rates", "padding")}
    return [apply_op("Dilation2DBackpropInput", x, f, dy, **a),
            apply_op("Dilation2DBackpropFilter", x, f, dy, **a)]


def _no_gradient(op, dy):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")


_dilation2d_backprop_input.gradient(_no_gradient)
_dilation2d_backprop_filter.gradient(_no_gradient)


# ----- Python wrappers -----------------------------------------------------------------------
def _lookup(new_name, new_value, old_name, old_value):
    if new_value is not None and old_value is not None:
        raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'")
    return new_value if new_value is not None else old_value


def dilation2d(input, filter=None, strides=None, rates=None, padding=None, name=None,
               filters=None, dilations=None):
    """Grayscale dilation of a 4-D `input` by a 3-D `filter` (op Dilation2D).

    `output[b, y, x, c] = max_{i, j} input[b, y * strides[1] + i * rates[1] - pad_top,
    x * strides[2] + j * rates[2] - pad_left, c] + filter[i, j, c]`.

    Args:
        input: `[batch, in_height, in_width, depth]`, a real type.
        filter: `[filter_height, filter_width, depth]`, same type.
        strides: 4 ints `[1, stride_h, stride_w, 1]`.
        rates: 4 ints `[1, rate_h, rate_w, 1]`: the filter's sampling step.
        padding: "SAME" or "VALID".
        name: op name (default "Dilation2D").
        filters: TF2 alias of `filter`.
        dilations: TF2 alias of `rates`.

    Returns:
        A Tensor `[batch, out_height, out_width, depth]` of the input's type.

    Example:
        >>> y = tf.nn.dilation2d(images, se, [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    """
    filter = _lookup("filters", filters, "filter", filter)
    rates = _lookup("dilations", dilations, "rates", rates)
    input = convert_to_tensor(input, name="input")
    filter = convert_to_tensor(filter, dtype=input.dtype, name="filter")
    return apply_op("Dilation2D", input, filter, strides=[int(v) for v in strides],
                    rates=[int(v) for v in rates], padding=padding, name=name)


def erosion2d(value, kernel, strides, rates, padding, name=None):
    """Grayscale erosion of a 4-D `value` by a 3-D `kernel`: `-dilation2d(-value,
    reverse(kernel, [0, 1]))`, i.e. `min_{i, j} value[...] - kernel[i, j, c]` (TF's duality).

    Args:
        value: `[batch, in_height, in_width, depth]`.
        kernel: `[kernel_height, kernel_width, depth]`.
        strides, rates, padding: as for `dilation2d`.
        name: name scope (default "erosion2d").

    Returns:
        A Tensor `[batch, out_height, out_width, depth]`.

    Example:
        >>> y = tf.nn.erosion2d(images, se, [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    """
    with name_scope(name, "erosion2d", [value, kernel]) as scope:
        return math_ops.negative(dilation2d(
            math_ops.negative(value), array_ops.reverse_v2(kernel, [0, 1]), strides, rates,
            padding, name=scope))


__all__ = ["dilation2d", "erosion2d"]
