"""TF's generic convolution op `Conv` (`tf.conv`: 2-D or 3-D from the filter's rank, extra
leading batch dimensions, "CHANNELS_LAST"/"CHANNELS_FIRST", groups) and the shape-taking
backprop ops Conv2DBackpropInputV2 / Conv2DBackpropFilterV2 (`tf.conv2d_backprop_input_v2`,
`tf.conv2d_backprop_filter_v2`: the input and filter are passed as tensors and only their
shapes are used).

The kernels are conv_ops' (one im2col + GEMM); Conv's batch dimensions are flattened into one
around them. TF registers no gradient for these three ops; flowexec gives them one, built
from the Conv2D/Conv3D backprop ops (so `tf.gradients` works where TF would raise
LookupError).
"""

from flowexec.framework import errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, conv_ops, shape_fns, window

_CONV_FORMATS = ("CHANNELS_FIRST", "CHANNELS_LAST")


# ----- Conv ----------------------------------------------------------------------------------
def _classic_format(data_format, nd):
    """"CHANNELS_LAST"/"CHANNELS_FIRST" -> "NHWC"/"NCHW" (or the 3-D forms)."""
    return window.SPATIAL_FORMATS[nd][1 if data_format == "CHANNELS_FIRST" else 0]


def _conv_infer(op):
    a = op.attrs
    dt = conv_ops._check_float(op, [0, 1])
    window.check_choice(op.type, "data_format", a["data_format"], _CONV_FORMATS)
    window.check_choice(op.type, "padding", a["padding"], ("SAME", "VALID", "EXPLICIT"))
    batch_dims, groups = a["batch_dims"], a["groups"]
    if batch_dims < 0:
        raise shape_fns.shape_error(op, "Batch dims must be non-negative.")
    xs, fs = op.inputs[0].shape, op.inputs[1].shape
    if fs.ndims is not None and fs.ndims not in (4, 5):
        raise shape_fns.shape_error(op, f"Filter tensor must be rank 4 or 5, but got: "
                                        f"{fs.ndims}")
    rank = None if xs.ndims is None else xs.ndims - batch_dims + 1
    if rank is not None and rank not in (4, 5):
        raise shape_fns.shape_error(
            op, f"Input tensor must be rank 4 or 5, excluding extra batch dimensions, but "
                f"got: {rank}")
    if rank is not None and fs.ndims is not None and rank != fs.ndims:
        raise shape_fns.shape_error(op, "Input tensor rank must be the same as filter rank.")
    rank = rank if rank is not None else fs.ndims
    if rank is None:
        return [(dt, TensorShape(None))]
    nd = rank - 2
    if len(a["strides"]) != rank:
        raise shape_fns.shape_error(op, f"Stride attribute should contain {rank} values, "
                                        f"but got: {len(a['strides'])}")
    if a["dilations"] and len(a["dilations"]) != rank:
        raise shape_fns.shape_error(op, f"Conv requires the dilation attribute to contain "
                                        f"{rank} values, but got: {len(a['dilations'])}")
    df = _classic_format(a["data_format"], nd)
    explicit = window.check_explicit_paddings(op, a["padding"], a["explicit_paddings"], df, nd)
    if xs.ndims is None:
        return [(dt, TensorShape(None))]
    x = xs.as_list()
    lead, inner = x[:batch_dims], [1] + x[batch_dims:]
    f = fs.as_list() if fs.ndims is not None else [None] * rank
    _, c = window.batch_and_channel(inner, df)
    fc, oc = f[nd], f[nd + 1]
    if c is not None and fc is not None:
        if c % fc:
            raise shape_fns.shape_error(
                op, f"Depth of input ({c}) is not a multiple of input depth of filter ({fc})")
        if c % groups:
            raise shape_fns.shape_error(op, "Number of groups should divide input depth")
        if c // fc != groups:
            raise shape_fns.shape_error(
                op, f"Input depth divided by filter input depth does not match with groups "
                    f"parameter ({groups})")
    if oc is not None and oc % groups:
        raise shape_fns.shape_error(op, "Number of groups should divide output depth")
    strides = window.spatial_dims(a["strides"], df)
    dilations = window.spatial_dims(a["dilations"] or [1] * rank, df)
    outs = window.infer_geometry(op, window.spatial_dims(inner, df), f[:nd], strides,
                                 dilations, a["padding"], explicit)
    out = window.full_dims(1, outs, oc, df)
    return [(dt, TensorShape(lead + out[1:]))]


def _flat_batch(x, batch_dims):
    """`x` with its `batch_dims` leading dimensions as one (a new one when 0)."""
    return x.reshape((-1,) + tuple(x.shape[batch_dims:])) if batch_dims else x[None]


def _check_unit(values, df, what):
    if any(v != 1 for v in window.batch_and_channel(values, df)):
        raise errors.InvalidArgumentError(
            None, None, f"Current implementation does not yet support {what} in the batch "
                        f"and depth dimensions.")


@defop("Conv", infer=_conv_infer, cost=conv_ops._conv_cost)
def _conv(xp, input, filter, *, strides, padding, explicit_paddings=(),
          data_format="CHANNELS_LAST", dilations=(), batch_dims=1, groups=1):
    nd = filter.ndim - 2
    df = _classic_format(data_format, nd)
    dilations = list(dilations) or [1] * (nd + 2)
    _check_unit(strides, df, "strides")
    _check_unit(dilations, df, "dilations")
    y = conv_ops.conv_forward_and_patches(xp, _flat_batch(input, batch_dims), filter, df,
                                          strides, dilations, padding, explicit_paddings,
                                          "Conv")[0]
    return y.reshape(tuple(input.shape[:batch_dims]) + y.shape[1:])


def _conv_family(nd):
    return conv_ops._FAMILIES["Conv2D" if nd == 2 else "Conv3D"]


def _flat_batch_t(t, batch_dims):
    if batch_dims == 0:
        return array_ops.expand_dims(t, 0)
    rest = array_ops.shape(t)[batch_dims:]
    return array_ops.reshape(t, array_ops.concat([[-1], rest], 0))


def _classic_attrs(op, nd):
    """The attrs of the Conv2D/Conv3D family op computing the same as Conv `op`."""
    a = op.attrs
    out = dict(strides=list(a["strides"]), padding=a["padding"],
               data_format=_classic_format(a["data_format"], nd),
               dilations=list(a["dilations"]) or [1] * (nd + 2))
    if nd == 2:
        out["explicit_paddings"] = list(a["explicit_paddings"])
    return out


@_conv.gradient
def _conv_grad(op, dy):
    x, w = op.inputs
    nd = w.shape.ndims - 2 if w.shape.ndims is not None else None
    if nd is None:
        raise errors.UnimplementedError(None, op, "The gradient of Conv needs the filter's "
                                                  "rank at graph construction.")
    b = op.attrs["batch_dims"]
    _, bin_, bfil = _conv_family(nd)
    attrs = _classic_attrs(op, nd)
    xf, dyf = _flat_batch_t(x, b), _flat_batch_t(dy, b)
    pads = None
    if nd == 3 and attrs["padding"] == "EXPLICIT":  # Conv3D's ops pad only SAME/VALID
        e = op.attrs["explicit_paddings"]
        pads = [[e[2 * i], e[2 * i + 1]] for i in range(nd + 2)]
        xf = array_ops.pad(xf, pads)
        attrs["padding"] = "VALID"
    dx = apply_op(bin_, array_ops.shape(xf), w, dyf, **attrs)
    if pads is not None:
        begin = [p[0] for p in pads]
        dx = array_ops.slice(dx, begin, array_ops.shape(_flat_batch_t(x, b)))
    dw = apply_op(bfil, xf, array_ops.shape(w), dyf, **attrs)
    return [array_ops.reshape(dx, array_ops.shape(x)), dw]


def conv(input, filter, strides, padding, explicit_paddings=(), data_format="CHANNELS_LAST",
         dilations=(), batch_dims=1, groups=1, name=None):
    """TF's generic convolution (op Conv): 2-D or 3-D, from the filter's rank.

    Args:
        input: `batch_shape + spatial + [in_channels]` ("CHANNELS_LAST") or `batch_shape +
            [in_channels] + spatial` ("CHANNELS_FIRST"), where `batch_shape` has
            `batch_dims` dimensions; half, float32 or float64 (int32 in TF's op def too).
        filter: `spatial_filter + [in_channels / groups, out_channels]`.
        strides: `len(spatial) + 2` ints in the data's layout order, 1 for batch and depth.
        padding: "SAME", "VALID" or "EXPLICIT" (then `explicit_paddings` holds
            `2 * (len(spatial) + 2)` ints, before/after per dimension).
        explicit_paddings: see `padding`.
        data_format: "CHANNELS_LAST" (default) or "CHANNELS_FIRST".
        dilations: `len(spatial) + 2` ints, or empty for 1.
        batch_dims: how many leading dimensions are batch dimensions (default 1).
        groups: input depth / filter input depth (a grouped convolution when > 1).
        name: op name (default "Conv").

    Returns:
        A Tensor of the input's type: `batch_shape + out_spatial + [out_channels]`.

    Example:
        >>> y = tf.conv(images, kernel, [1, 1, 1, 1], "SAME")
    """
    input = convert_to_tensor(input, name="input")
    filter = conv_ops._like(filter, input, name="filter")
    return apply_op("Conv", input, filter, strides=[int(s) for s in strides], padding=padding,
                    explicit_paddings=[int(p) for p in explicit_paddings],
                    data_format=data_format, dilations=[int(d) for d in dilations],
                    batch_dims=int(batch_dims), groups=int(groups), name=name)


# ----- Conv2DBackpropInputV2 / Conv2DBackpropFilterV2 ----------------------------------------
def _v2_infer(index):
    def infer(op):
        dt = conv_ops._check_float(op, [0, 1, 2])
        conv_ops._check_attrs(op, 2)
        for i in range(3):
            window.check_rank(op, i, 4)
        return [(dt, op.inputs[index].shape)]
    return infer


@defop("Conv2DBackpropInputV2", infer=_v2_infer(0), cost=conv_ops._conv_cost)
def _conv2d_backprop_input_v2(xp, input, filter, out_backprop, *, strides, padding,
                              data_format="NHWC", dilations=(1, 1, 1, 1),
                              explicit_paddings=(), use_cudnn_on_gpu=True):
    return conv_ops._conv_backprop_input(xp, input.shape, filter, out_backprop, data_format,
                                         strides, dilations, padding, explicit_paddings,
                                         "Conv2DCustomBackpropInput")


@defop("Conv2DBackpropFilterV2", infer=_v2_infer(1), cost=conv_ops._conv_cost)
def _conv2d_backprop_filter_v2(xp, input, filter, out_backprop, *, strides, padding,
                               data_format="NHWC", dilations=(1, 1, 1, 1),
                               explicit_paddings=(), use_cudnn_on_gpu=True):
    return conv_ops._conv_backprop_filter(xp, input, filter.shape, out_backprop, data_format,
                                          strides, dilations, padding, explicit_paddings,
                                          "Conv2DCustomBackpropFilter")


@_conv2d_backprop_input_v2.gradient
def _conv2d_backprop_input_v2_grad(op, g):
    _, w, dy = op.inputs
    a = conv_ops._attrs(op)
    return [None, apply_op("Conv2DBackpropFilter", g, array_ops.shape(w), dy, **a),
            apply_op("Conv2D", g, w, **a)]


@_conv2d_backprop_filter_v2.gradient
def _conv2d_backprop_filter_v2_grad(op, g):
    x, _, dy = op.inputs
    a = conv_ops._attrs(op)
    return [apply_op("Conv2DBackpropInput", array_ops.shape(x), g, dy, **a), None,
            apply_op("Conv2D", x, g, **a)]


def _v2(op_type, input, filter, out_backprop, strides, padding, use_cudnn_on_gpu,
        explicit_paddings, data_format, dilations, name):
    input = convert_to_tensor(input, name="input")
    filter = conv_ops._like(filter, input, name="filter")
    out_backprop = conv_ops._like(out_backprop, input, name="out_backprop")
    return apply_op(op_type, input, filter, out_backprop, strides=[int(s) for s in strides],
                    padding=padding, use_cudnn_on_gpu=bool(use_cudnn_on_gpu),
                    explicit_paddings=[int(p) for p in explicit_paddings],
                    data_format=data_format, dilations=[int(d) for d in dilations], name=name)


def conv2d_backprop_input_v2(input, filter, out_backprop, strides, padding,
                             use_cudnn_on_gpu=True, explicit_paddings=(), data_format="NHWC",
                             dilations=(1, 1, 1, 1), name=None):
    """The gradient of `conv2d` with respect to its input, shaped as `input` (op
    Conv2DBackpropInputV2: only `input`'s shape is used, not its values).

    Args:
        input: a Tensor with the convolution input's shape.
        filter: `[filter_height, filter_width, in_channels, out_channels]`.
        out_backprop: the gradient of the convolution's output.
        strides, padding, use_cudnn_on_gpu, explicit_paddings, data_format, dilations: as
            for `tf.nn.conv2d` (4 ints each for strides and dilations).
        name: op name (default "Conv2DBackpropInputV2").

    Returns:
        A Tensor shaped as `input`.

    Example:
        >>> dx = tf.conv2d_backprop_input_v2(x, w, dy, [1, 1, 1, 1], "SAME")
    """
    return _v2("Conv2DBackpropInputV2", input, filter, out_backprop, strides, padding,
               use_cudnn_on_gpu, explicit_paddings, data_format, dilations, name)


def conv2d_backprop_filter_v2(input, filter, out_backprop, strides, padding,
                              use_cudnn_on_gpu=True, explicit_paddings=(), data_format="NHWC",
                              dilations=(1, 1, 1, 1), name=None):
    """The gradient of `conv2d` with respect to its filter, shaped as `filter` (op
    Conv2DBackpropFilterV2: only `filter`'s shape is used, not its values).

    Args:
        input: the convolution's input.
        filter: a Tensor with the filter's shape.
        out_backprop: the gradient of the convolution's output.
        strides, padding, use_cudnn_on_gpu, explicit_paddings, data_format, dilations: as
            for `tf.nn.conv2d`.
        name: op name (default "Conv2DBackpropFilterV2").

    Returns:
        A Tensor shaped as `filter`.

    Example:
        >>> dw = tf.conv2d_backprop_filter_v2(x, w, dy, [1, 1, 1, 1], "SAME")
    """
    return _v2("Conv2DBackpropFilterV2", input, filter, out_backprop, strides, padding,
               use_cudnn_on_gpu, explicit_paddings, data_format, dilations, name)


__all__ = ["conv", "conv2d_backprop_filter_v2", "conv2d_backprop_input_v2"]
