"""Transposed convolutions beyond conv2d/conv3d_transpose (conv_ops.py), as TF builds them:
`conv1d_transpose` (a Conv2DBackpropInput on a unit-height input, then squeezed),
`conv_transpose` (1-, 2- or 3-D from the length of `output_shape`) and
`atrous_conv2d_transpose` (space_to_batch, a VALID Conv2DBackpropInput, batch_to_space).

Gradients are those of the ops they are built from.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, conv_ops, manip_ops, window


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",
                     dilations=None, name=None):
    """The transpose (gradient) of `conv1d`.

    Args:
        input: `[batch, in_width, in_channels]` ("NWC") or `[batch, in_channels, in_width]`
            ("NCW").
        filters: `[filter_width, output_channels, in_channels]`.
        output_shape: 3 ints or a 1-D Tensor of 3: the output's shape.
        strides: an int or a list of 1 or 3 ints.
        padding: "SAME" (default) or "VALID".
        data_format: "NWC" (default) or "NCW".
        dilations: an int or a list of 1 or 3 ints (default 1).
        name: name scope (default "conv1d_transpose").

    Returns:
        A Tensor of the input's type shaped as `output_shape`.

    Raises:
        ValueError: an unknown data_format, or shapes the op rejects.

    Example:
        >>> up = tf.nn.conv1d_transpose(h, w, [8, 64, 16], 2)
    """
    with name_scope(name, "conv1d_transpose", [input, filters, output_shape]) as scope:
        if data_format is None or data_format == "NWC":
            fmt, spatial = "NHWC", 1
        elif data_format == "NCW":
            fmt, spatial = "NCHW", 2
        else:
            raise ValueError(f"`data_format` must be 'NWC' or 'NCW'. Received: "
                             f"data_format={data_format}")
        strides = [1] + window.expand_sequence(strides, 1, data_format or "NWC", "stride")
        dilations = [1] + window.expand_sequence(dilations, 1, data_format or "NWC",
                                                 "dilations")
        input = convert_to_tensor(input, name="input")
        filters = conv_ops._like(filters, input, name="filters")
        input = array_ops.expand_dims(input, spatial)
        filters = array_ops.expand_dims(filters, 0)
        if not isinstance(output_shape, Tensor):
            output_shape = list(output_shape)
        output_shape = convert_to_tensor(output_shape, dtype=dtypes.int32)
        output_shape = array_ops.concat(
            [output_shape[:spatial], [1], output_shape[spatial:]], 0)
        result = apply_op("Conv2DBackpropInput", output_shape, filters, input, strides=strides,
                          padding=padding, data_format=fmt, dilations=dilations,
                          explicit_paddings=[], use_cudnn_on_gpu=True, name=scope)
        return array_ops.squeeze(result, [spatial])


def _conv_nd_transpose(nd, input, filters, output_shape, strides, padding, data_format,
                       dilations, name):
    """TF 2's conv2d_transpose / conv3d_transpose: no Python-side channel checks."""
    default = "conv2d_transpose" if nd == 2 else "conv3d_transpose"
    with name_scope(name, default, [input, filters, output_shape]) as scope:
        data_format = data_format or window.SPATIAL_FORMATS[nd][0]
        input = convert_to_tensor(input, name="input")
        filters = conv_ops._like(filters, input, name="filters")
        op_type = "Conv2DBackpropInput" if nd == 2 else "Conv3DBackpropInputV2"
        return conv_ops._conv_nd_op(op_type, filters, input, strides, padding, data_format,
                                    dilations, scope, nd, sizes=output_shape,
                                    sizes_at="input_sizes")


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,
                   dilations=None, name=None):
    """The transpose of `convolution`: conv1d/2d/3d_transpose by the length of
    `output_shape` (3, 4 or 5).

    Args:
        input: `[batch] + spatial + [in_channels]` (or channels first when `data_format`
            starts with "NC").
        filters: `spatial_filter + [out_channels, in_channels]`.
        output_shape: a list or 1-D Tensor of N + 2 ints, the output's shape.
        strides: an int or a list of 1, N or N + 2 ints.
        padding: "SAME" (default) or "VALID" (2-D also takes explicit pairs).
        data_format: "NWC"/"NHWC"/"NDHWC" (default) or the channels-first forms.
        dilations: an int or a list of 1, N or N + 2 ints (default 1).
        name: name scope (default "conv_transpose").

    Returns:
        A Tensor of the input's type shaped as `output_shape`.

    Raises:
        ValueError: `output_shape` not of length 3, 4 or 5 (or not sized).

    Example:
        >>> up = tf.nn.conv_transpose(h, w, [8, 16, 16, 3], strides=2)
    """
    with name_scope(name, "conv_transpose", [input, filters, output_shape]) as scope:
        if isinstance(output_shape, Tensor):
            n = output_shape.shape[0]
            n = None if n is None else n - 2
        elif hasattr(output_shape, "__len__"):
            n = len(output_shape) - 2
        else:
            raise ValueError(f"`output_shape` must be a tensor or sized collection. "
                             f"Received: output_shape={output_shape}")
        if n is None or not 1 <= n <= 3:
            length = None if n is None else n + 2
            raise ValueError(f"`output_shape` must be of length 3, 4 or 5. Received: "
                             f"output_shape={output_shape} of length {length}.")
        if n == 1:
            return conv1d_transpose(input, filters, output_shape, strides, padding=padding,
                                    data_format=data_format, dilations=dilations, name=scope)
        return _conv_nd_transpose(n, input, filters, output_shape, strides, padding,
                                  data_format, dilations, scope)


def _pack(values):
    """A list of ints as it is (static shapes stay static), else one stacked Tensor."""
    if any(isinstance(v, Tensor) for v in values):
        return array_ops.stack(values)
    return [int(v) if not isinstance(v, list) else v for v in values]


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """The transpose of `atrous_conv2d` (TF's construction: space_to_batch by `rate`, a VALID
    Conv2DBackpropInput, batch_to_space cropping both paddings).

    Args:
        value: `[batch, in_height, in_width, in_channels]` (NHWC only).
        filters: `[filter_height, filter_width, out_channels, in_channels]`.
        output_shape: 4 ints (or a 1-D Tensor of 4), the output's NHWC shape.
        rate: positive int, the dilation.
        padding: "SAME" or "VALID".
        name: name scope (default "atrous_conv2d_transpose").

    Returns:
        A Tensor of `value`'s type shaped as `output_shape`.

    Raises:
        ValueError: channel counts that disagree, `rate` below 1, an `output_shape` that is
            not 4 long, or another padding.

    Example:
        >>> up = tf.nn.atrous_conv2d_transpose(h, w, [1, 16, 16, 3], rate=2, padding="SAME")
    """
    with name_scope(name, "atrous_conv2d_transpose", [value, filters, output_shape]) as scope:
        value = convert_to_tensor(value, name="value")
        filters = conv_ops._like(filters, value, name="filters")
        vs, fs = value.shape, filters.shape
        vc = vs[3] if vs.ndims is not None else None
        fc = fs[3] if fs.ndims is not None else None
        if vc is not None and fc is not None and vc != fc:
            raise ValueError(
                f"`value` channel count must be compatible with `filters` input channel "
                f"count. Received: value.shape={vs} with channel count {vc} and "
                f"filters.shape={fs} with input channel count {fc}.")
        if rate < 1:
            raise ValueError(f"`rate` cannot be less than one. Received: rate={rate}")
        if rate == 1:
            return conv_ops.conv2d_transpose(value, filters, output_shape,
                                             strides=[1, 1, 1, 1], padding=padding,
                                             data_format="NHWC")
        shape_t = convert_to_tensor(output_shape, dtype=dtypes.int32, name="output_shape")
        if not shape_t.shape.is_compatible_with(TensorShape([4])):
            raise ValueError(f"`output_shape` must have shape (4,). Received: "
                             f"output_shape={shape_t.shape}")
        if isinstance(output_shape, tuple):
            output_shape = list(output_shape)
        if isinstance(output_shape, list):
            oc = fs[2] if fs.ndims is not None else None
            if oc is not None and oc != output_shape[3]:
                raise ValueError(
                    f"`output_shape` channel count must be compatible with `filters` output "
                    f"channel count. Received: output_shape={output_shape} with channel "
                    f"count {output_shape[3]} and filters.shape={fs} with output channel "
                    f"count {fs[3]}.")
        else:
            output_shape = shape_t
        if padding == "SAME":
            if fs.is_fully_defined():
                fh, fw = fs.as_list()[:2]
            else:
                f_shape = array_ops.shape(filters)
                fh, fw = f_shape[0], f_shape[1]
            pad_h = fh + (fh - 1) * (rate - 1) - 1
            pad_w = fw + (fw - 1) * (rate - 1) - 1
            top, left = pad_h // 2, pad_w // 2
            bottom, right = pad_h - top, pad_w - left
        elif padding == "VALID":
            top = bottom = left = right = 0
        else:
            raise ValueError(f"`padding` must be either 'VALID' or 'SAME'. Received: "
                             f"padding={padding}")
        in_h = output_shape[1] + top + bottom
        in_w = output_shape[2] + left + right
        extra_b = (rate - in_h % rate) % rate
        extra_r = (rate - in_w % rate) % rate
        value = manip_ops.space_to_batch(value, [[0, extra_b], [0, extra_r]],
                                         block_size=rate)
        sizes = _pack([rate * rate * output_shape[0], (in_h + extra_b) // rate,
                       (in_w + extra_r) // rate, output_shape[3]])
        sizes = convert_to_tensor(sizes, dtype=dtypes.int32, name="input_sizes")
        value = apply_op("Conv2DBackpropInput", sizes, filters, value, strides=[1, 1, 1, 1],
                         padding="VALID", data_format="NHWC", dilations=[1, 1, 1, 1],
                         explicit_paddings=[], use_cudnn_on_gpu=True)
        crops = _pack([_pack([top, bottom + extra_b]), _pack([left, right + extra_r])])
        out = manip_ops.batch_to_space(value, crops, block_size=rate, name=scope)
        if isinstance(output_shape, list):  # TF's BatchToSpaceND infers it from the crops
            out.set_shape(output_shape)
        return out


__all__ = ["atrous_conv2d_transpose", "conv1d_transpose", "conv_transpose"]
