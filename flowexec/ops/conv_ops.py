"""Convolution ops: Conv2D, Conv3D, DepthwiseConv2dNative and their backprop ops under TF's
names (Conv2DBackpropInput, Conv2DBackpropFilter, Conv3DBackpropInputV2, ...), and the
`tf.nn` wrappers built on them (conv1d, conv2d, conv3d, convolution, conv2d_transpose,
conv3d_transpose, atrous_conv2d, depthwise_conv2d, separable_conv2d).

Kernels (see flowexec/ops/window.py): a convolution is one im2col copy through a strided
view of the padded input and one GEMM with the filter reshaped to (prod(ksize) * C, OC); the
input gradient is one GEMM followed by col2im (a strided accumulation per kernel offset);
the filter gradient is the im2col matrix's transpose times the output gradient. A grouped
convolution (input depth = groups x filter input depth) runs the same GEMMs as one batched
matmul over the groups. Depthwise
convolutions (no reduction across channels, so no GEMM to win) accumulate one broadcast
product per kernel offset. float16 is computed in float32 and rounded back, as TF does.

Every op's gradient is built from the others, so second derivatives work: the gradient of
Conv2DBackpropInput is (Conv2DBackpropFilter, Conv2D), and so on.
"""

import math

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, shape_fns, window

_CONV_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64)
_PADDINGS = ("SAME", "VALID", "EXPLICIT")


# ----- build-time inference ------------------------------------------------------------------
def _nd(op):
    return 3 if op.attrs.get("forward_type", op.type).startswith("Conv3D") else 2


def _check_attrs(op, nd):
    """(spatial strides, spatial dilations, explicit pairs or None) of a conv op."""
    df = window.check_choice(op.type, "data_format", op.attrs["data_format"],
                             window.SPATIAL_FORMATS[nd])
    window.check_choice(op.type, "padding", op.attrs["padding"],
                        _PADDINGS if nd == 2 else _PADDINGS[:2])
    strides = window.check_window_attr(op, "strides", op.attrs["strides"], nd, df, "stride")
    dilations = window.check_window_attr(op, "dilations", op.attrs["dilations"], nd, df,
                                         "dilation")
    explicit = window.check_explicit_paddings(op, op.attrs["padding"],
                                              op.attrs.get("explicit_paddings", ()), df, nd)
    return df, strides, dilations, explicit


def _check_float(op, indices):
    first = op.inputs[indices[0]].dtype
    shape_fns.check_dtype_in(op, _CONV_TYPES, indices[0])
    for i in indices[1:]:
        t = op.inputs[i]
        if t.dtype is not first:
            names = op.op_def.input_names
            raise TypeError(
                f"Input '{names[i]}' of '{op.type}' Op has type {t.dtype.name} that does not "
                f"match type {first.name} of argument '{names[indices[0]]}'.")
    return first


def _merge_dim(op, a, b):
    if a is not None and b is not None and a != b:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return a if a is not None else b


def _depthwise(op):
    return op.type.startswith("DepthwiseConv2dNative")


def _forward_shape(op, nd, x_dims, f_dims):
    """The output shape of the forward op, with TF's depth checks."""
    df, strides, dilations, explicit = _check_attrs(op, nd)
    n, c = window.batch_and_channel(x_dims, df)
    fc = f_dims[nd]
    if _depthwise(op):
        c = _merge_dim(op, c, fc)
        oc = None if c is None or f_dims[nd + 1] is None else c * f_dims[nd + 1]
    else:
        if c is not None and fc is not None and c % fc:
            raise shape_fns.shape_error(
                op, f"Depth of input ({c}) is not a multiple of input depth of filter ({fc})")
        oc = f_dims[nd + 1]
        if c is not None and fc and oc is not None and oc % (c // fc):
            raise shape_fns.shape_error(
                op, f"Depth of output ({oc}) is not a multiple of the number of groups "
                    f"({c // fc})")
    outs = window.infer_geometry(op, window.spatial_dims(x_dims, df), f_dims[:nd], strides,
                                 dilations, op.attrs["padding"], explicit)
    return TensorShape(window.full_dims(n, outs, oc, df))


def _conv_infer(op):
    nd = _nd(op)
    dt = _check_float(op, [0, 1])
    x_dims = window.check_rank(op, 0, nd + 2)
    f_dims = window.check_rank(op, 1, nd + 2)
    return [(dt, _forward_shape(op, nd, x_dims, f_dims))]


def sizes_shape(op, index, nd):
    """The TensorShape that the 1-D sizes input `index` holds (rank nd + 2)."""
    s = shape_fns.constant_shape(op.inputs[index])
    if s.ndims is not None and s.ndims != nd + 2:
        raise shape_fns.shape_error(
            op, f"Shape must be rank {nd + 2} but is rank {s.ndims}")
    return s if s.ndims is not None else TensorShape([None] * (nd + 2))


def _backprop_input_infer(op):
    """(input_sizes, filter, out_backprop) -> a gradient shaped as input_sizes says."""
    nd = _nd(op)
    dt = _check_float(op, [1, 2])
    df, *_ = _check_attrs(op, nd)
    f_dims = window.check_rank(op, 1, nd + 2)
    dy_dims = window.check_rank(op, 2, nd + 2)
    if _depthwise(op):
        known = f_dims[nd] is not None and f_dims[nd + 1] is not None
        oc = f_dims[nd] * f_dims[nd + 1] if known else None
    else:
        oc = f_dims[nd + 1]
    _merge_dim(op, window.batch_and_channel(dy_dims, df)[1], oc)
    shape = sizes_shape(op, 0, nd).as_list()
    if _depthwise(op):
        _merge_dim(op, window.batch_and_channel(shape, df)[1], f_dims[nd])
    return [(dt, TensorShape(shape))]


def _backprop_filter_infer(op):
    """(input, filter_sizes, out_backprop) -> a gradient shaped as filter_sizes says."""
    nd = _nd(op)
    dt = _check_float(op, [0, 2])
    _check_attrs(op, nd)
    window.check_rank(op, 0, nd + 2)
    window.check_rank(op, 2, nd + 2)
    return [(dt, sizes_shape(op, 1, nd))]


def _conv_cost(op):
    """Estimated nanoseconds: multiply-adds at ~20 per ns, as MatMul's cost."""
    if op.type.endswith(("BackpropInput", "BackpropInputV2")):
        y, f = op.inputs[2].shape, op.inputs[1].shape
    elif op.type.endswith(("BackpropFilter", "BackpropFilterV2")):
        y, f = op.inputs[2].shape, op.outputs[0].shape
    else:
        y, f = op.outputs[0].shape, op.inputs[1].shape
    elems = y.num_elements()
    if elems is None or not f.is_fully_defined():
        return EXPENSIVE
    per_output = math.prod(f.as_list()[:-2] if _depthwise(op) else f.as_list()[:-1])
    return elems * per_output / 20.0


# ----- kernels -------------------------------------------------------------------------------
def _geometry(x_shape, ksize, data_format, strides, dilations, padding, explicit_paddings):
    nd = len(ksize)
    s = window.spatial_dims(strides, data_format)
    d = window.spatial_dims(dilations, data_format)
    ex = (window.explicit_pairs(explicit_paddings, data_format, nd)
          if padding == "EXPLICIT" else None)
    outs, pads = window.run_geometry(x_shape[1:-1], ksize, s, d, padding, ex)
    return s, d, outs, pads


def sizes_list(sizes):
    """A sizes input (1-D int array) or a static shape as a list of ints."""
    return [int(v) for v in (sizes.tolist() if hasattr(sizes, "tolist") else sizes)]


def _channels_last_shape(dims, data_format):
    dims = sizes_list(dims)
    if window.channels_first(data_format):
        return (dims[0],) + tuple(dims[2:]) + (dims[1],)
    return tuple(dims)


def _groups(x_c, f_c, oc):
    """The number of groups of a convolution: input depth / filter input depth (TF's
    grouped convolution; 1 for an ordinary one)."""
    if f_c == 0 or x_c % f_c:
        raise errors.InvalidArgumentError(
            None, None, f"input depth must be evenly divisible by filter depth: {x_c} vs "
                        f"{f_c}")
    groups = x_c // f_c
    if oc % groups:
        raise errors.InvalidArgumentError(
            None, None, f"Depth of output ({oc}) is not a multiple of the number of groups "
                        f"({groups})")
    return groups


def _grouped(a, groups, fc):
    """(rows, K * groups * fc) patches -> (groups, rows, K * fc): each group's own patches."""
    rows = a.shape[0]
    return a.reshape(rows, -1, groups, fc).transpose(2, 0, 1, 3).reshape(groups, rows, -1)


def _filter_groups(w2, groups, fc):
    """(K * groups * fc, OC) filter -> (groups, K * fc, OC / groups)."""
    oc = w2.shape[-1]
    return (w2.reshape(-1, fc, groups, oc // groups).transpose(2, 0, 1, 3)
            .reshape(groups, -1, oc // groups))


def _patches_times_filter(xp, cols, w2, groups, fc):
    """(rows, OC) = patches @ filter, group by group when `groups` > 1 (one batched GEMM)."""
    if groups == 1:
        return cols @ w2
    y = xp.matmul(_grouped(cols, groups, fc), _filter_groups(w2, groups, fc))
    return y.transpose(1, 0, 2).reshape(cols.shape[0], -1)


def _filter_times_grad_t(xp, w2, dy2, groups, fc):
    """(K * C, rows): each patch row's gradient, offset-major (col2im's input)."""
    if groups == 1:
        return w2 @ dy2.T
    ocg = dy2.shape[-1] // groups
    dyg = dy2.reshape(-1, groups, ocg).transpose(1, 2, 0)  # (groups, ocg, rows)
    cols_t = xp.matmul(_filter_groups(w2, groups, fc), dyg)  # (groups, K * fc, rows)
    rows = dy2.shape[0]
    return cols_t.reshape(groups, -1, fc, rows).transpose(1, 0, 2, 3).reshape(-1, rows)


def _patches_t_times_grad(xp, cols, dy2, groups, fc):
    """(K * fc, OC): the filter gradient, patches^T @ output gradient per group."""
    if groups == 1:
        return (dy2.T @ cols).T  # BLAS is faster with the long axis as the reduction's
    ocg = dy2.shape[-1] // groups
    dyg = dy2.reshape(-1, groups, ocg).transpose(1, 0, 2)  # (groups, rows, ocg)
    dw = xp.matmul(_grouped(cols, groups, fc).transpose(0, 2, 1), dyg)  # (groups, K*fc, ocg)
    return dw.reshape(groups, -1, fc, ocg).transpose(1, 2, 0, 3).reshape(-1, groups * ocg)


def _check_out_backprop(op_type, dy_shape, outs, x_shape, ksize, strides, dilations):
    for i, (a, c) in enumerate(zip(dy_shape[1:-1], outs)):
        if a != c:
            raise errors.InvalidArgumentError(
                None, None, f"{op_type}: Size of out_backprop doesn't match computed: "
                            f"actual = {a}, computed = {c} spatial_dim: {i + 1} input: "
                            f"{x_shape[i + 1]} filter: {ksize[i]} output: {a} stride: "
                            f"{strides[i]} dilation: {dilations[i]}")


def conv_forward_and_patches(xp, x, w, data_format, strides, dilations, padding,
                             explicit_paddings, op_type):
    """(output, patch matrix) of a Conv2D/Conv3D: the patches are what the filter gradient
    multiplies by the output gradient (`filter_gradient_from_patches`)."""
    nd = w.ndim - 2
    xc = window.to_channels_last(xp, x, data_format)
    oc, fc = w.shape[-1], w.shape[nd]
    groups = _groups(xc.shape[-1], fc, oc)
    s, d, outs, pads = _geometry(xc.shape, w.shape[:nd], data_format, strides, dilations,
                                 padding, explicit_paddings)
    cols = window.im2col(xp, window.upcast_half(xp, xc), w.shape[:nd], s, d, pads, outs)
    y = _patches_times_filter(xp, cols, window.upcast_half(xp, w).reshape(-1, oc), groups, fc)
    y = y.reshape((xc.shape[0],) + tuple(outs) + (oc,)).astype(x.dtype, copy=False)
    return window.from_channels_last(xp, y, data_format), cols


def _conv_forward(xp, x, w, data_format, strides, dilations, padding, explicit_paddings,
                  op_type):
    return conv_forward_and_patches(xp, x, w, data_format, strides, dilations, padding,
                                    explicit_paddings, op_type)[0]


def _conv_backprop_input(xp, input_sizes, w, dy, data_format, strides, dilations, padding,
                         explicit_paddings, op_type):
    nd = w.ndim - 2
    x_shape = _channels_last_shape(input_sizes, data_format)
    oc, fc = w.shape[-1], w.shape[nd]
    groups = _groups(x_shape[-1], fc, oc)
    ksize = w.shape[:nd]
    s, d, outs, pads = _geometry(x_shape, ksize, data_format, strides, dilations, padding,
                                 explicit_paddings)
    dyc = window.to_channels_last(xp, dy, data_format)
    _check_out_backprop(op_type, dyc.shape, outs, x_shape, ksize, s, d)
    # (prod(ksize) * C, prod(outs) * N): offset-major rows and batch-innermost columns, so
    # col2im adds long contiguous runs.
    cols_t = _filter_times_grad_t(xp, window.upcast_half(xp, w).reshape(-1, oc),
                                  window.batch_last_rows(xp, window.upcast_half(xp, dyc)),
                                  groups, fc)
    dx = window.col2im(xp, cols_t, x_shape, ksize, s, d, pads, outs).astype(dy.dtype,
                                                                            copy=False)
    return window.from_channels_last(xp, dx, data_format)


def _conv_backprop_filter(xp, x, filter_sizes, dy, data_format, strides, dilations, padding,
                          explicit_paddings, op_type):
    f_shape = tuple(sizes_list(filter_sizes))
    nd = len(f_shape) - 2
    xc = window.to_channels_last(xp, x, data_format)
    _groups(xc.shape[-1], f_shape[nd], f_shape[-1])
    s, d, outs, pads = _geometry(xc.shape, f_shape[:nd], data_format, strides, dilations,
                                 padding, explicit_paddings)
    dyc = window.to_channels_last(xp, dy, data_format)
    _check_out_backprop(op_type, dyc.shape, outs, xc.shape, f_shape[:nd], s, d)
    cols = window.im2col(xp, window.upcast_half(xp, xc), f_shape[:nd], s, d, pads, outs)
    return filter_gradient_from_patches(xp, cols, filter_sizes, dy, data_format, op_type)


def filter_gradient_from_patches(xp, cols, filter_sizes, dy, data_format, op_type):
    """The filter gradient `patches^T @ dy` (group by group), shaped as `filter_sizes`."""
    f_shape = tuple(sizes_list(filter_sizes))
    nd = len(f_shape) - 2
    dyc = window.to_channels_last(xp, dy, data_format)
    k = math.prod(f_shape[:nd])
    rows = math.prod(dyc.shape[:-1])
    if cols.shape[0] != rows or cols.shape[1] % k or dyc.shape[-1] != f_shape[-1]:
        raise errors.InvalidArgumentError(
            None, None, f"{op_type}: patches of shape {list(cols.shape)} do not match "
                        f"filter_sizes {list(f_shape)} and out_backprop "
                        f"{list(dy.shape)}")
    fc = f_shape[nd]
    groups = _groups(cols.shape[1] // k, fc, f_shape[-1])
    dw = _patches_t_times_grad(xp, cols, window.upcast_half(xp, dyc).reshape(rows, -1),
                               groups, fc)
    return dw.reshape(f_shape).astype(dy.dtype, copy=False)


# ----- Conv2D --------------------------------------------------------------------------------
@defop("Conv2D", infer=_conv_infer, cost=_conv_cost)
def _conv2d(xp, input, filter, *, strides, padding, data_format, dilations,
            explicit_paddings=(), use_cudnn_on_gpu=True):
    return _conv_forward(xp, input, filter, data_format, strides, dilations, padding,
                         explicit_paddings, "Conv2D")


@defop("Conv2DBackpropInput", infer=_backprop_input_infer, cost=_conv_cost)
def _conv2d_backprop_input(xp, input_sizes, filter, out_backprop, *, strides, padding,
                           data_format, dilations, explicit_paddings=(),
                           use_cudnn_on_gpu=True):
    return _conv_backprop_input(xp, input_sizes, filter, out_backprop, data_format, strides,
                                dilations, padding, explicit_paddings,
                                "Conv2DCustomBackpropInput")


@defop("Conv2DBackpropFilter", infer=_backprop_filter_infer, cost=_conv_cost)
def _conv2d_backprop_filter(xp, input, filter_sizes, out_backprop, *, strides, padding,
                            data_format, dilations, explicit_paddings=(),
                            use_cudnn_on_gpu=True):
    return _conv_backprop_filter(xp, input, filter_sizes, out_backprop, data_format, strides,
                                 dilations, padding, explicit_paddings,
                                 "Conv2DCustomBackpropFilter")


# ----- Conv3D --------------------------------------------------------------------------------
@defop("Conv3D", infer=_conv_infer, cost=_conv_cost)
def _conv3d(xp, input, filter, *, strides, padding, data_format, dilations):
    return _conv_forward(xp, input, filter, data_format, strides, dilations, padding, (),
                         "Conv3D")


@defop("Conv3DBackpropInputV2", infer=_backprop_input_infer, cost=_conv_cost)
def _conv3d_backprop_input(xp, input_sizes, filter, out_backprop, *, strides, padding,
                           data_format, dilations):
    return _conv_backprop_input(xp, input_sizes, filter, out_backprop, data_format, strides,
                                dilations, padding, (), "Conv3DBackpropInputOp")


@defop("Conv3DBackpropFilterV2", infer=_backprop_filter_infer, cost=_conv_cost)
def _conv3d_backprop_filter(xp, input, filter_sizes, out_backprop, *, strides, padding,
                            data_format, dilations):
    return _conv_backprop_filter(xp, input, filter_sizes, out_backprop, data_format, strides,
                                 dilations, padding, (), "Conv3DBackpropFilterOp")


# ----- DepthwiseConv2dNative -----------------------------------------------------------------
def _depthwise_setup(xp, x_shape, w_shape, data_format, strides, dilations, padding,
                     explicit_paddings):
    if x_shape[-1] != w_shape[2]:
        raise errors.InvalidArgumentError(
            None, None, f"input and filter must have the same depth: {x_shape[-1]} vs "
                        f"{w_shape[2]}")
    return _geometry(x_shape, w_shape[:2], data_format, strides, dilations, padding,
                     explicit_paddings)


@defop("DepthwiseConv2dNative", infer=_conv_infer, cost=_conv_cost)
def _depthwise_conv2d_native(xp, input, filter, *, strides, padding, data_format, dilations,
                             explicit_paddings=()):
    xc = window.upcast_half(xp, window.to_channels_last(xp, input, data_format))
    s, d, outs, pads = _depthwise_setup(xp, xc.shape, filter.shape, data_format, strides,
                                        dilations, padding, explicit_paddings)
    w = window.upcast_half(xp, filter)
    xpad = window.pad_spatial(xp, xc, pads)
    n, c, m = xc.shape[0], w.shape[2], w.shape[3]
    out = xp.zeros((n,) + tuple(outs) + (c, m), dtype=xc.dtype)
    for kidx, sl in window.offsets(w.shape[:2], outs, s, d):
        out += xpad[sl][..., None] * w[kidx]
    y = out.reshape((n,) + tuple(outs) + (c * m,)).astype(input.dtype, copy=False)
    return window.from_channels_last(xp, y, data_format)


@defop("DepthwiseConv2dNativeBackpropInput", infer=_backprop_input_infer, cost=_conv_cost)
def _depthwise_backprop_input(xp, input_sizes, filter, out_backprop, *, strides, padding,
                              data_format, dilations, explicit_paddings=()):
    x_shape = _channels_last_shape(input_sizes, data_format)
    s, d, outs, pads = _depthwise_setup(xp, x_shape, filter.shape, data_format, strides,
                                        dilations, padding, explicit_paddings)
    dyc = window.to_channels_last(xp, out_backprop, data_format)
    _check_out_backprop("DepthwiseConv2DBackpropInput", dyc.shape, outs, x_shape,
                        filter.shape[:2], s, d)
    c, m = filter.shape[2], filter.shape[3]
    dy = window.upcast_half(xp, dyc).reshape(dyc.shape[:-1] + (c, m))
    w = window.upcast_half(xp, filter)
    padded = tuple(n + b + a for n, (b, a) in zip(x_shape[1:-1], pads))
    acc = xp.zeros((x_shape[0],) + padded + (c,), dtype=dy.dtype)
    for kidx, sl in window.offsets(w.shape[:2], outs, s, d):
        acc[sl] += (dy * w[kidx]).sum(axis=-1)
    dx = window.crop_spatial(acc, pads, x_shape[1:-1]).astype(out_backprop.dtype)
    return window.from_channels_last(xp, dx, data_format)


@defop("DepthwiseConv2dNativeBackpropFilter", infer=_backprop_filter_infer, cost=_conv_cost)
def _depthwise_backprop_filter(xp, input, filter_sizes, out_backprop, *, strides, padding,
                               data_format, dilations, explicit_paddings=()):
    f_shape = tuple(sizes_list(filter_sizes))
    xc = window.upcast_half(xp, window.to_channels_last(xp, input, data_format))
    s, d, outs, pads = _depthwise_setup(xp, xc.shape, f_shape, data_format, strides,
                                        dilations, padding, explicit_paddings)
    dyc = window.to_channels_last(xp, out_backprop, data_format)
    _check_out_backprop("DepthwiseConv2DBackpropFilter", dyc.shape, outs, xc.shape,
                        f_shape[:2], s, d)
    c, m = f_shape[2], f_shape[3]
    dy = window.upcast_half(xp, dyc).reshape(-1, c, m)
    xpad = window.pad_spatial(xp, xc, pads)
    dw = xp.zeros(f_shape, dtype=dy.dtype)
    for kidx, sl in window.offsets(f_shape[:2], outs, s, d):
        dw[kidx] = (xpad[sl].reshape(-1, c)[:, :, None] * dy).sum(axis=0)
    return dw.astype(input.dtype, copy=False)


# ----- gradients (one family per forward op) -------------------------------------------------
_FAMILIES = {
    "Conv2D": ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"),
    "Conv3D": ("Conv3D", "Conv3DBackpropInputV2", "Conv3DBackpropFilterV2"),
    "DepthwiseConv2dNative": ("DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
                              "DepthwiseConv2dNativeBackpropFilter"),
}


def _family(op):
    for fam in _FAMILIES.values():
        if op.type in fam:
            return fam
    raise LookupError(op.type)


def _attrs(op):
    return {k: v for k, v in op.attrs.items() if not k.startswith("_")}


def _forward_grad(op, dy):
    _, bin_, bfil = _family(op)
    x, w = op.inputs
    a = _attrs(op)
    return [apply_op(bin_, array_ops.shape(x), w, dy, **a),
            apply_op(bfil, x, array_ops.shape(w), dy, **a)]


def _backprop_input_grad(op, g):
    fwd, _, bfil = _family(op)
    _, w, dy = op.inputs
    a = _attrs(op)
    return [None, apply_op(bfil, g, array_ops.shape(w), dy, **a), apply_op(fwd, g, w, **a)]


def _backprop_filter_grad(op, g):
    fwd, bin_, _ = _family(op)
    x, _, dy = op.inputs
    a = _attrs(op)
    return [apply_op(bin_, array_ops.shape(x), g, dy, **a), None, apply_op(fwd, x, g, **a)]


for _fwd_od, _bin_od, _bfil_od in ((_conv2d, _conv2d_backprop_input, _conv2d_backprop_filter),
                                   (_conv3d, _conv3d_backprop_input, _conv3d_backprop_filter),
                                   (_depthwise_conv2d_native, _depthwise_backprop_input,
                                    _depthwise_backprop_filter)):
    _fwd_od.gradient(_forward_grad)
    _bin_od.gradient(_backprop_input_grad)
    _bfil_od.gradient(_backprop_filter_grad)


# ----- Python wrappers -----------------------------------------------------------------------
def _convert_padding(padding, nd):
    """(padding string, explicit_paddings) from a string or a list of nd + 2 pairs."""
    if isinstance(padding, (list, tuple)):
        if len(padding) != nd + 2:
            raise ValueError(f"When padding is a list, it must have length {nd + 2}. Got: "
                             f"{len(padding)}")
        flat = []
        for i, pair in enumerate(padding):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"When padding is a list, each element of padding must be a "
                                 f"list/tuple of size 2. Received: padding[{i}]={pair}")
            flat.extend(int(p) for p in pair)
        return "EXPLICIT", flat
    if not isinstance(padding, str):
        raise TypeError(f"padding must be a string or a list of pairs, got {padding!r}")
    if padding == "EXPLICIT":
        raise ValueError('"EXPLICIT" is not a valid value for the padding parameter. To use '
                         'explicit padding, the padding parameter must be a list.')
    return padding.upper(), []


def _like(value, other, name):
    """`value` as a Tensor; a non-Tensor takes `other`'s dtype (a Tensor keeps its own, so a
    mismatch is the op's TypeError, as TF's)."""
    if isinstance(value, Tensor):
        return value
    return convert_to_tensor(value, dtype=other.dtype, name=name)


def _lookup(new_name, new_value, old_name, old_value):
    if new_value is not None and old_value is not None:
        raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'")
    return new_value if new_value is not None else old_value


def _conv_nd_op(op_type, x, w, strides, padding, data_format, dilations, name, nd,
                sizes=None, sizes_at=None, **extra):
    """Applies a forward (sizes=None) or backprop conv op with TF's attr normalisation."""
    strides = window.expand_sequence(strides, nd, data_format, "strides")
    dilations = window.expand_sequence(dilations, nd, data_format, "dilations")
    padding, explicit = _convert_padding(padding, nd)
    attrs = dict(strides=strides, padding=padding, data_format=data_format,
                 dilations=dilations, **extra)
    if op_type in ("Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter") or \
            op_type.startswith("Depthwise"):
        attrs["explicit_paddings"] = explicit
    elif explicit:
        raise ValueError(f"{op_type} does not support explicit padding")
    if sizes is None:
        return apply_op(op_type, x, w, name=name, **attrs)
    sizes = convert_to_tensor(sizes, dtype=dtypes.int32, name=sizes_at)
    inputs = (sizes, x, w) if sizes_at == "input_sizes" else (x, sizes, w)
    return apply_op(op_type, *inputs, name=name, **attrs)


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,
           data_format="NHWC", dilations=None, name=None, filters=None):
    """Computes a 2-D convolution of a 4-D `input` with a 4-D `filter`.

    `output[b, i, j, k] = sum_{di, dj, q} input[b, strides[1] * i + dilations[1] * di - pad,
    strides[2] * j + dilations[2] * dj - pad, q] * filter[di, dj, q, k]` (NHWC).

    Args:
        input: `[batch, in_height, in_width, in_channels]` ("NHWC") or `[batch, in_channels,
            in_height, in_width]` ("NCHW"); half, float32 or float64.
        filter: `[filter_height, filter_width, in_channels, out_channels]`, same type. When
            the input depth is a multiple `g` of the filter's `in_channels`, the convolution
            is grouped (as TF's): input channels `[i * in_channels, (i + 1) * in_channels)`
            feed only output channels `[i * out_channels / g, (i + 1) * out_channels / g)`;
            `out_channels` must then be a multiple of `g`. Gradients work for groups too.
        strides: an int or a list of 1, 2 or 4 ints: the window's step per dimension.
        padding: "SAME", "VALID", or a list of 4 `[before, after]` pairs (explicit padding,
            zero in the batch and channel dimensions).
        use_cudnn_on_gpu: kept for TF compatibility.
        data_format: "NHWC" (default) or "NCHW".
        dilations: an int or a list of 1, 2 or 4 ints (default 1): the filter's sampling step.
        name: op name (default "Conv2D").
        filters: TF2 alias of `filter`.

    Returns:
        A Tensor of the input's type.

    Raises:
        ValueError: shapes or attributes TF rejects, in TF's words.

    Example:
        >>> y = conv2d(images, kernel, strides=[1, 1, 1, 1], padding="SAME")
    """
    filter = _lookup("filters", filters, "filter", filter)
    input = convert_to_tensor(input, name="input")
    filter = _like(filter, input, name="filter")
    return _conv_nd_op("Conv2D", input, filter, strides, padding, data_format, dilations,
                       name, 2, use_cudnn_on_gpu=use_cudnn_on_gpu)


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None,
                          padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
                          dilations=None, name=None, filters=None):
    """The gradient of `conv2d` with respect to its input (op Conv2DBackpropInput).

    Args:
        input_sizes: 1-D int32 Tensor, the input's shape `[batch, height, width, channels]`.
        filter: the filter, `[filter_height, filter_width, in_channels, out_channels]`.
        out_backprop: the gradient of the convolution's output.
        strides, padding, use_cudnn_on_gpu, data_format, dilations: as for `conv2d`.
        name: op name (default "Conv2DBackpropInput").
        filters: TF2 alias of `filter`.

    Returns:
        A Tensor shaped as `input_sizes`.

    Example:
        >>> dx = conv2d_backprop_input([8, 28, 28, 1], w, dy, [1, 1, 1, 1], "SAME")
    """
    filter = _lookup("filters", filters, "filter", filter)
    out_backprop = convert_to_tensor(out_backprop, name="out_backprop")
    filter = _like(filter, out_backprop, name="filter")
    return _conv_nd_op("Conv2DBackpropInput", filter, out_backprop, strides, padding,
                       data_format, dilations, name, 2, sizes=input_sizes,
                       sizes_at="input_sizes", use_cudnn_on_gpu=use_cudnn_on_gpu)


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,
                           use_cudnn_on_gpu=True, data_format="NHWC", dilations=None,
                           name=None):
    """The gradient of `conv2d` with respect to its filter (op Conv2DBackpropFilter).

    Args:
        input: the convolution's input.
        filter_sizes: 1-D int32 Tensor, the filter's shape.
        out_backprop: the gradient of the convolution's output.
        strides, padding, use_cudnn_on_gpu, data_format, dilations: as for `conv2d`.
        name: op name (default "Conv2DBackpropFilter").

    Returns:
        A Tensor shaped as `filter_sizes`.

    Example:
        >>> dw = conv2d_backprop_filter(x, [5, 5, 1, 32], dy, [1, 1, 1, 1], "SAME")
    """
    input = convert_to_tensor(input, name="input")
    out_backprop = _like(out_backprop, input, name="out_backprop")
    return _conv_nd_op("Conv2DBackpropFilter", input, out_backprop, strides, padding,
                       data_format, dilations, name, 2, sizes=filter_sizes,
                       sizes_at="filter_sizes", use_cudnn_on_gpu=use_cudnn_on_gpu)


def _channel_dim(t, data_format, nd):
    if t.shape.ndims is None:
        return None
    return t.shape[1] if window.channels_first(data_format) else t.shape[nd + 1]


def _transpose(op_type, value, filter, output_shape, strides, padding, data_format,
               dilations, name, nd, default_name):
    with name_scope(name, default_name, [value, filter, output_shape]) as scope:
        value = convert_to_tensor(value, name="value")
        filter = _like(filter, value, name="filter")
        output_shape = convert_to_tensor(output_shape, dtype=dtypes.int32, name="output_shape")
        if not output_shape.shape.is_compatible_with(TensorShape([nd + 2])):
            raise ValueError(f"output_shape must have shape ({nd + 2},), got "
                             f"{output_shape.shape}")
        c = _channel_dim(value, data_format, nd)
        f = filter.shape.as_list() if filter.shape.ndims is not None else [None] * (nd + 2)
        if c is not None and f[-1] is not None and c != f[-1]:
            raise ValueError(f"input channels does not match filter's input channels, {c} != "
                             f"{f[-1]}")
        static = shape_fns.constant_value(output_shape)
        if static is not None and f[-2] is not None:
            oc = int(static[1] if window.channels_first(data_format) else static[-1])
            if oc != f[-2]:
                raise ValueError(f"output_shape does not match filter's output channels, {oc} "
                                 f"!= {f[-2]}")
        return _conv_nd_op(op_type, filter, value, strides, padding, data_format, dilations,
                           scope, nd, sizes=output_shape, sizes_at="input_sizes")


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None, padding="SAME",
                     data_format="NHWC", name=None, input=None, filters=None, dilations=None):
    """The transpose of `conv2d` ("deconvolution"): the gradient of conv2d for its input.

    Args:
        value: `[batch, height, width, in_channels]` (NHWC) input.
        filter: `[height, width, output_channels, in_channels]`; note the order.
        output_shape: 1-D Tensor, the output's shape.
        strides, padding, data_format, dilations: as for `conv2d`.
        name: name scope (default "conv2d_transpose").
        input: TF2 alias of `value`.
        filters: TF2 alias of `filter`.

    Returns:
        A Tensor shaped as `output_shape`.

    Raises:
        ValueError: the channels of `value`, `filter` and `output_shape` disagree.

    Example:
        >>> up = conv2d_transpose(h, w, [8, 28, 28, 16], [1, 2, 2, 1], "SAME")
    """
    value = _lookup("input", input, "value", value)
    filter = _lookup("filters", filters, "filter", filter)
    return _transpose("Conv2DBackpropInput", value, filter, output_shape, strides, padding,
                      data_format, dilations, name, 2, "conv2d_transpose")


def conv3d(input, filter=None, strides=None, padding=None, data_format="NDHWC",
           dilations=None, name=None, filters=None):
    """Computes a 3-D convolution of a 5-D `input` with a 5-D `filter`.

    Args:
        input: `[batch, depth, height, width, channels]` ("NDHWC") or "NCDHW".
        filter: `[filter_depth, filter_height, filter_width, in_channels, out_channels]`.
        strides: an int or a list of 1, 3 or 5 ints.
        padding: "SAME" or "VALID".
        data_format: "NDHWC" (default) or "NCDHW".
        dilations: an int or a list of 1, 3 or 5 ints.
        name: op name (default "Conv3D").
        filters: TF2 alias of `filter`.

    Returns:
        A Tensor of the input's type.

    Example:
        >>> y = conv3d(volumes, kernel, [1, 1, 1, 1, 1], "SAME")
    """
    filter = _lookup("filters", filters, "filter", filter)
    input = convert_to_tensor(input, name="input")
    filter = _like(filter, input, name="filter")
    return _conv_nd_op("Conv3D", input, filter, strides, padding, data_format, dilations,
                       name, 3)


def conv3d_backprop_filter_v2(input, filter_sizes, out_backprop, strides, padding,
                              data_format="NDHWC", dilations=None, name=None):
    """The gradient of `conv3d` with respect to its filter (op Conv3DBackpropFilterV2).

    Example:
        >>> dw = conv3d_backprop_filter_v2(x, [3, 3, 3, 1, 8], dy, [1] * 5, "SAME")
    """
    input = convert_to_tensor(input, name="input")
    out_backprop = _like(out_backprop, input, name="out_backprop")
    return _conv_nd_op("Conv3DBackpropFilterV2", input, out_backprop, strides, padding,
                       data_format, dilations, name, 3, sizes=filter_sizes,
                       sizes_at="filter_sizes")


def conv3d_transpose(value, filter=None, output_shape=None, strides=None, padding="SAME",
                     data_format="NDHWC", name=None, input=None, filters=None, dilations=None):
    """The transpose of `conv3d` (op Conv3DBackpropInputV2).

    Args:
        value: `[batch, depth, height, width, in_channels]` input.
        filter: `[depth, height, width, output_channels, in_channels]`.
        output_shape: 1-D Tensor, the output's shape.
        strides, padding, data_format, dilations: as for `conv3d`.
        name: name scope (default "conv3d_transpose").
        input: TF2 alias of `value`.
        filters: TF2 alias of `filter`.

    Returns:
        A Tensor shaped as `output_shape`.

    Example:
        >>> up = conv3d_transpose(h, w, [2, 8, 8, 8, 4], [1, 2, 2, 2, 1])
    """
    value = _lookup("input", input, "value", value)
    filter = _lookup("filters", filters, "filter", filter)
    return _transpose("Conv3DBackpropInputV2", value, filter, output_shape, strides, padding,
                      data_format, dilations, name, 3, "conv3d_transpose")


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None,
           data_format=None, name=None, input=None, dilations=None):
    """Computes a 1-D convolution of a 3-D `value` with a 3-D `filters` (as TF: a Conv2D on
    inputs with a unit height, then squeezed).

    Args:
        value: `[batch, in_width, in_channels]` ("NWC", default) or `[batch, in_channels,
            in_width]` ("NCW").
        filters: `[filter_width, in_channels, out_channels]`.
        stride: an int or a list of 1 or 3 ints.
        padding: "SAME" or "VALID".
        use_cudnn_on_gpu: kept for TF compatibility.
        data_format: "NWC" or "NCW".
        name: name scope (default "conv1d").
        input: TF2 alias of `value`.
        dilations: an int or a list of 1 or 3 ints.

    Returns:
        A Tensor `[batch, out_width, out_channels]` (NWC).

    Example:
        >>> y = conv1d(signal, kernel, stride=1, padding="SAME")
    """
    value = _lookup("input", input, "value", value)
    data_format = data_format or "NWC"
    window.check_choice("Conv1D", "data_format", data_format, window.SPATIAL_FORMATS[1])
    nchw = data_format == "NCW"
    with name_scope(name, "conv1d", [value, filters]):
        value = convert_to_tensor(value, name="value")
        filters = _like(filters, value, name="filters")
        spatial = 2 if nchw else 1
        strides = [1] + window.expand_sequence(stride, 1, data_format, "stride")
        dils = [1] + window.expand_sequence(dilations, 1, data_format, "dilations")
        value = array_ops.expand_dims(value, spatial)
        filters = array_ops.expand_dims(filters, 0)
        result = _conv_nd_op("Conv2D", value, filters, strides, padding,
                             "NCHW" if nchw else "NHWC", dils, None, 2,
                             use_cudnn_on_gpu=True if use_cudnn_on_gpu is None
                             else use_cudnn_on_gpu)
        return array_ops.squeeze(result, [spatial])


def convolution(input, filter=None, padding=None, strides=None, dilation_rate=None, name=None,
                data_format=None, filters=None, dilations=None):
    """An N-D convolution (N = 1, 2 or 3, from the filter's rank) with strides or dilations.

    Args:
        input: `[batch, *spatial, channels]` (or channels first when `data_format` starts
            with "NC").
        filter: `[*spatial_filter, in_channels, out_channels]`.
        padding: "SAME" or "VALID".
        strides: N ints (default 1).
        dilation_rate: N ints (default 1); strides and dilations above 1 exclude each other.
        name: op name.
        data_format: "NWC"/"NHWC"/"NDHWC" (default) or the channels-first forms.
        filters: TF2 alias of `filter`.
        dilations: TF2 alias of `dilation_rate`.

    Returns:
        A Tensor of the input's type.

    Raises:
        ValueError: an unsupported rank, or strides and dilations both above 1.

    Example:
        >>> y = convolution(images, kernel, "SAME", dilation_rate=[2, 2])
    """
    filter = _lookup("filters", filters, "filter", filter)
    dilation_rate = _lookup("dilations", dilations, "dilation_rate", dilation_rate)
    with name_scope(name, "convolution", [input, filter]) as scope:
        input = convert_to_tensor(input, name="input")
        filter = _like(filter, input, name="filter")
        rank = filter.shape.ndims if filter.shape.ndims is not None else input.shape.ndims
        if rank not in (3, 4, 5):
            raise ValueError(f"Input tensor must be of rank 3, 4 or 5 but was {rank}.")
        nd = rank - 2
        strides = [1] * nd if strides is None else list(strides)
        dilation_rate = [1] * nd if dilation_rate is None else list(dilation_rate)
        if any(d < 1 for d in dilation_rate):
            raise ValueError(f"all values of `dilation_rate` must be positive. Received: "
                             f"dilation_rate={dilation_rate}")
        if any(s < 1 for s in strides):
            raise ValueError(f"all values of strides must be positive. Received: "
                             f"strides={strides}")
        if any(s > 1 for s in strides) and any(d > 1 for d in dilation_rate):
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate "
                             f"> 1`. Received: strides={strides} and "
                             f"dilation_rate={dilation_rate}")
        df = data_format or window.SPATIAL_FORMATS[nd][0]
        if nd == 1:
            return conv1d(input, filter, strides, padding, data_format=df,
                          dilations=dilation_rate, name=scope)
        op_type = "Conv2D" if nd == 2 else "Conv3D"
        return _conv_nd_op(op_type, input, filter, strides, padding, df, dilation_rate,
                           scope, nd)


def atrous_conv2d(value, filters, rate, padding, name=None):
    """Atrous (dilated) 2-D convolution: `conv2d` with dilations `[1, rate, rate, 1]`.

    Args:
        value: `[batch, height, width, in_channels]`.
        filters: `[filter_height, filter_width, in_channels, out_channels]`.
        rate: positive int, the sampling step of the filter.
        padding: "SAME" or "VALID".
        name: name scope (default "atrous_conv2d").

    Returns:
        A Tensor `[batch, out_height, out_width, out_channels]`.

    Raises:
        ValueError: `rate` below 1.

    Example:
        >>> y = atrous_conv2d(features, kernel, rate=2, padding="SAME")
    """
    if rate < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    with name_scope(name, "atrous_conv2d", [value, filters]) as scope:
        return conv2d(value, filters, [1, 1, 1, 1], padding, dilations=[1, rate, rate, 1],
                      name=scope)


def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC",
                            dilations=None, name=None):
    """Depthwise 2-D convolution: each input channel convolved with its own
    `channel_multiplier` filters (op DepthwiseConv2dNative).

    Args:
        input: `[batch, height, width, in_channels]` (NHWC) or NCHW.
        filter: `[filter_height, filter_width, in_channels, channel_multiplier]`.
        strides, padding, data_format, dilations: as for `conv2d`.
        name: op name (default "DepthwiseConv2dNative").

    Returns:
        A Tensor with `in_channels * channel_multiplier` channels.

    Example:
        >>> y = depthwise_conv2d_native(x, w, [1, 1, 1, 1], "SAME")
    """
    input = convert_to_tensor(input, name="input")
    filter = _like(filter, input, name="filter")
    return _conv_nd_op("DepthwiseConv2dNative", input, filter, strides, padding, data_format,
                       dilations, name, 2)


def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop, strides,
                                           padding, data_format="NHWC", dilations=None,
                                           name=None):
    """The gradient of `depthwise_conv2d_native` with respect to its input.

    Example:
        >>> dx = depthwise_conv2d_native_backprop_input([1, 8, 8, 3], w, dy, [1] * 4, "SAME")
    """
    out_backprop = convert_to_tensor(out_backprop, name="out_backprop")
    filter = _like(filter, out_backprop, name="filter")
    return _conv_nd_op("DepthwiseConv2dNativeBackpropInput", filter, out_backprop, strides,
                       padding, data_format, dilations, name, 2, sizes=input_sizes,
                       sizes_at="input_sizes")


def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop, strides,
                                            padding, data_format="NHWC", dilations=None,
                                            name=None):
    """The gradient of `depthwise_conv2d_native` with respect to its filter.

    Example:
        >>> dw = depthwise_conv2d_native_backprop_filter(x, [3, 3, 3, 2], dy, [1] * 4, "SAME")
    """
    input = convert_to_tensor(input, name="input")
    out_backprop = _like(out_backprop, input, name="out_backprop")
    return _conv_nd_op("DepthwiseConv2dNativeBackpropFilter", input, out_backprop, strides,
                       padding, data_format, dilations, name, 2, sizes=filter_sizes,
                       sizes_at="filter_sizes")


def _rate_dilations(rate, dilations):
    rate = _lookup("dilations", dilations, "rate", rate)
    if rate is None:
        return [1, 1]
    rate = [rate, rate] if isinstance(rate, int) else list(rate)
    if len(rate) != 2:
        raise ValueError(f"rate must be two-dimensional, got {rate}")
    return rate


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None,
                     dilations=None):
    """Depthwise 2-D convolution with optional dilation `rate`.

    Args:
        input: `[batch, height, width, in_channels]` (NHWC) or NCHW.
        filter: `[filter_height, filter_width, in_channels, channel_multiplier]`.
        strides: 4 ints; `strides[1] == strides[2]`.
        padding: "SAME" or "VALID".
        rate: 2 ints (or one), the dilation; with rate > 1 strides must be 1.
        name: name scope (default "depthwise").
        data_format: "NHWC" (default) or "NCHW".
        dilations: TF2 alias of `rate`.

    Returns:
        A Tensor with `in_channels * channel_multiplier` channels.

    Example:
        >>> y = depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME", rate=[2, 2])
    """
    rate = _rate_dilations(rate, dilations)
    data_format = data_format or "NHWC"
    strides_4 = window.expand_sequence(strides, 2, data_format, "strides")
    if any(r > 1 for r in rate) and any(s > 1 for s in strides_4):
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > "
                         f"1`. Received: strides={list(strides)} and dilation_rate={rate}")
    with name_scope(name, "depthwise", [input, filter]) as scope:
        return depthwise_conv2d_native(input, filter, strides, padding, data_format,
                                       dilations=rate, name=scope)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, rate=None,
                     name=None, data_format=None, dilations=None):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution mixing channels.

    Args:
        input: `[batch, height, width, in_channels]` (NHWC) or NCHW.
        depthwise_filter: `[filter_height, filter_width, in_channels, channel_multiplier]`.
        pointwise_filter: `[1, 1, channel_multiplier * in_channels, out_channels]`.
        strides: 4 ints for the depthwise convolution.
        padding: "SAME" or "VALID".
        rate: dilation of the depthwise filter (2 ints or one).
        name: name scope (default "separable_conv2d").
        data_format: "NHWC" (default) or "NCHW".
        dilations: TF2 alias of `rate`.

    Returns:
        A Tensor `[batch, out_height, out_width, out_channels]` (NHWC).

    Raises:
        ValueError: a pointwise filter that is not 1x1.

    Example:
        >>> y = separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME")
    """
    data_format = data_format or "NHWC"
    with name_scope(name, "separable_conv2d", [input, depthwise_filter, pointwise_filter]) \
            as scope:
        input = convert_to_tensor(input, name="input")
        depthwise_filter = _like(depthwise_filter, input, name="depthwise_filter")
        pointwise_filter = _like(pointwise_filter, input, name="pointwise_filter")
        pw = pointwise_filter.shape
        pw.assert_has_rank(4)
        if pw[0] not in (None, 1) or pw[1] not in (None, 1):
            raise ValueError(f"pointwise_filter must be 1x1 in its spatial dimensions, got "
                             f"{pw}")
        depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, rate=rate,
                                     name="depthwise", data_format=data_format,
                                     dilations=dilations)
        return _conv_nd_op("Conv2D", depthwise, pointwise_filter, [1, 1, 1, 1], "VALID",
                           data_format, None, scope, 2)


# TF 1.x's other names of the same functions (tf.nn.conv3d_backprop_filter is
# conv3d_backprop_filter_v2 in TF's own tf.compat.v1, op Conv3DBackpropFilterV2).
conv3d_backprop_filter = conv3d_backprop_filter_v2
depthwise_conv2d_backprop_filter = depthwise_conv2d_native_backprop_filter
depthwise_conv2d_backprop_input = depthwise_conv2d_native_backprop_input

__all__ = [
    "atrous_conv2d",
    "conv1d",
    "conv2d",
    "conv2d_backprop_filter",
    "conv2d_backprop_input",
    "conv2d_transpose",
    "conv3d",
    "conv3d_backprop_filter",
    "conv3d_backprop_filter_v2",
    "conv3d_transpose",
    "convolution",
    "depthwise_conv2d",
    "depthwise_conv2d_backprop_filter",
    "depthwise_conv2d_backprop_input",
    "depthwise_conv2d_native",
    "depthwise_conv2d_native_backprop_filter",
    "depthwise_conv2d_native_backprop_input",
    "separable_conv2d",
]
