"""Convolution ops that the graph optimizer makes so that a convolution's patches are built
once per step: `_ConvWithPatches` and `_ConvBackpropFilterFromPatches`.

A training step computes a convolution's im2col patch matrix twice: in the forward op
(patches @ filter) and in its filter gradient (patches^T @ output gradient). When a plan
holds both for the same input, filter and attributes, the optimizer's remap pass (see
flowexec/runtime/optimize/conv_patches.py) replaces the forward op by `_ConvWithPatches`,
whose second output is the patch matrix, and the filter gradient by
`_ConvBackpropFilterFromPatches`, which reads it. Both compute exactly what the ops they
replace compute (the same GEMMs on the same matrices), for Conv2D and Conv3D, grouped or not.
They are not differentiable: they exist only in optimized plans, after `gradients()`.
"""

import math

from flowexec.framework import dtypes
from flowexec.framework.registry import EXPENSIVE, defop, get_op_def
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import conv_ops, window

# The forward op types whose filter gradient can reuse the forward's patches.
FORWARD_OPS = {"Conv2D": "Conv2DBackpropFilter", "Conv3D": "Conv3DBackpropFilterV2"}


def _patches_dtype(dt):
    return dtypes.float32 if dt is dtypes.float16 else dt


def _with_patches_infer(op):
    """(the forward op's output, the patch matrix [N * prod(outs), prod(ksize) * C])."""
    [(dt, y_shape)] = get_op_def(op.attrs["forward_type"]).infer(op)
    df = op.attrs["data_format"]
    x, w = op.inputs[0].shape, op.inputs[1].shape
    rows = cols = None
    if x.ndims is not None and w.ndims is not None:
        nd = w.ndims - 2
        n, c = window.batch_and_channel(x.as_list(), df)
        outs = window.spatial_dims(y_shape.as_list(), df)
        if n is not None and None not in outs:
            rows = n * math.prod(outs)
        ksize = w.as_list()[:nd]
        if c is not None and None not in ksize:
            cols = math.prod(ksize) * c
    return [(dt, y_shape), (_patches_dtype(dt), TensorShape([rows, cols]))]


def _forward_cost(op):
    return get_op_def(op.attrs["forward_type"]).estimated_cost(op)


@defop("_ConvWithPatches", infer=_with_patches_infer, cost=_forward_cost)
def _conv_with_patches(xp, input, filter, *, forward_type, strides, padding, data_format,
                       dilations, explicit_paddings=(), use_cudnn_on_gpu=True):
    return conv_ops.conv_forward_and_patches(xp, input, filter, data_format, strides,
                                             dilations, padding, explicit_paddings,
                                             forward_type)


def _from_patches_infer(op):
    patches, _, dy = op.inputs
    dt = dy.dtype
    if patches.dtype is not _patches_dtype(dt):
        raise TypeError(f"{op.type}: patches of type {patches.dtype.name} do not match the "
                        f"gradient's type {dt.name}")
    nd = 3 if op.attrs["forward_type"] == "Conv3D" else 2
    return [(dt, conv_ops.sizes_shape(op, 1, nd))]


def _from_patches_cost(op):
    """Multiply-adds at ~20 per ns, as the convolutions' cost."""
    p, dy = op.inputs[0].shape, op.inputs[2].shape
    if not (p.is_fully_defined() and dy.is_fully_defined()):
        return EXPENSIVE
    rows, cols = p.as_list()
    return rows * cols * dy.as_list()[-1] / 20.0


@defop("_ConvBackpropFilterFromPatches", infer=_from_patches_infer, cost=_from_patches_cost)
def _conv_backprop_filter_from_patches(xp, patches, filter_sizes, out_backprop, *,
                                       forward_type, data_format):
    return conv_ops.filter_gradient_from_patches(xp, patches, filter_sizes, out_backprop,
                                                 data_format, FORWARD_OPS[forward_type])


_conv_with_patches.not_differentiable()
_conv_backprop_filter_from_patches.not_differentiable()
