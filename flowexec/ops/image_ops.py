"""Image ops: DepthToSpace/SpaceToDepth, ResizeBilinear/ResizeNearestNeighbor/ResizeBicubic
(+ their Grad ops), ResizeArea, and the `tf.image` composites CNN input code uses (resize_images, flips, random flips,
per_image_standardization, random_crop). `flowexec.image` is the public namespace.

Resizing follows TF1's kernels: with `align_corners` the corner pixels of input and output
line up and the scale is `(in - 1) / (out - 1)`, else it is `in / out`; the legacy sampling
point of output `o` is `o * scale` (`(o + 0.5) * scale - 0.5` with `half_pixel_centers`).
Every resize is separable, so the kernels apply one small interpolation matrix per spatial
axis (`out x in`, built on the device with `xp`), and the gradients apply the transposes.
Nearest-neighbour forward is a gather, exact for every dtype.

Bicubic follows TF's kernel: the cubic convolution kernel with a = -0.75 (legacy) or Keys'
a = -0.5 (`half_pixel_centers`), evaluated at the fractional offset rounded to 1/1024 (TF reads
a 1024-entry table); legacy sampling clamps the four taps to the image, while with
`half_pixel_centers` taps outside the image get weight 0 and the rest are renormalized.
Area averages each output cell's footprint `[o * scale, (o + 1) * scale)`, the input cells
weighted by their overlap (cells past the edge clamped to it, as TF); like TF, ResizeArea has
no gradient.
"""

import math

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.registry import CHEAP, EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, logging_ops, math_ops, random_ops, shape_fns, window
from flowexec.ops import cond as cond_ops
from flowexec.ops.constant_op import identity

_RESIZE_TYPES = shape_fns.REAL


def _attrs(op):
    return {k: v for k, v in op.attrs.items() if not k.startswith("_")}


# ----- DepthToSpace / SpaceToDepth -----------------------------------------------------------
def _block_infer(op):
    dt = op.inputs[0].dtype
    dims = window.check_rank(op, 0, 4)
    df = window.check_choice(op.type, "data_format", op.attrs["data_format"],
                             ("NHWC", "NCHW"))
    bs = op.attrs["block_size"]
    if bs < 2:
        raise ValueError(f"Attr 'block_size' of '{op.type}' Op passed {bs} less than minimum 2.")
    n, c = window.batch_and_channel(dims, df)
    h, w = window.spatial_dims(dims, df)
    if op.type == "DepthToSpace":
        if c is not None and c % (bs * bs):
            raise shape_fns.shape_error(
                op, f"Dimension size must be evenly divisible by {bs * bs} but is {c}")
        out = (None if h is None else h * bs, None if w is None else w * bs,
               None if c is None else c // (bs * bs))
    else:
        for d in (h, w):
            if d is not None and d % bs:
                raise shape_fns.shape_error(
                    op, f"Dimension size must be evenly divisible by {bs} but is {d}")
        out = (None if h is None else h // bs, None if w is None else w // bs,
               None if c is None else c * bs * bs)
    return [(dt, TensorShape(window.full_dims(n, out[:2], out[2], df)))]


@defop("DepthToSpace", infer=_block_infer, cost=CHEAP)
def _depth_to_space(xp, input, *, block_size, data_format="NHWC"):
    x = window.to_channels_last(xp, input, data_format)
    n, h, w, c = x.shape
    bs = block_size
    if c % (bs * bs):
        raise errors.InvalidArgumentError(
            None, None, f"Input depth dimension {c} should be divisible by: {bs * bs}")
    y = x.reshape(n, h, w, bs, bs, c // (bs * bs)).transpose(0, 1, 3, 2, 4, 5)
    return window.from_channels_last(xp, y.reshape(n, h * bs, w * bs, -1), data_format)


@defop("SpaceToDepth", infer=_block_infer, cost=CHEAP)
def _space_to_depth(xp, input, *, block_size, data_format="NHWC"):
    x = window.to_channels_last(xp, input, data_format)
    n, h, w, c = x.shape
    bs = block_size
    if h % bs or w % bs:
        raise errors.InvalidArgumentError(
            None, None, f"Image width {w} and height {h} should be divisible by block_size: "
                        f"{bs}")
    y = x.reshape(n, h // bs, bs, w // bs, bs, c).transpose(0, 1, 3, 2, 4, 5)
    return window.from_channels_last(xp, y.reshape(n, h // bs, w // bs, -1), data_format)


@_depth_to_space.gradient
def _depth_to_space_grad(op, dy):
    return [apply_op("SpaceToDepth", dy, **_attrs(op))]


@_space_to_depth.gradient
def _space_to_depth_grad(op, dy):
    return [apply_op("DepthToSpace", dy, **_attrs(op))]


def _block_op(op_type, input, block_size, name, data_format):
    input = convert_to_tensor(input, name="input")
    return apply_op(op_type, input, name=name, block_size=int(block_size),
                    data_format=data_format)


def depth_to_space(input, block_size, name=None, data_format="NHWC"):
    """Moves blocks of depth into `block_size x block_size` spatial blocks.

    `output[b, h * bs + i, w * bs + j, c] = input[b, h, w, (i * bs + j) * C_out + c]` (NHWC).

    Args:
        input: a 4-D Tensor.
        block_size: int >= 2; the depth must be divisible by `block_size ** 2`.
        name: op name (default "DepthToSpace").
        data_format: "NHWC" (default) or "NCHW".

    Returns:
        A Tensor `[batch, height * bs, width * bs, depth / bs ** 2]` (NHWC).

    Example:
        >>> depth_to_space(tf.zeros([1, 2, 2, 8]), 2).shape  # (1, 4, 4, 2)
    """
    return _block_op("DepthToSpace", input, block_size, name, data_format)


def space_to_depth(input, block_size, name=None, data_format="NHWC"):
    """Moves `block_size x block_size` spatial blocks into depth (inverse of depth_to_space).

    Args:
        input: a 4-D Tensor; height and width divisible by `block_size`.
        block_size: int >= 2.
        name: op name (default "SpaceToDepth").
        data_format: "NHWC" (default) or "NCHW".

    Returns:
        A Tensor `[batch, height / bs, width / bs, depth * bs ** 2]` (NHWC).

    Example:
        >>> space_to_depth(tf.zeros([1, 4, 4, 2]), 2).shape  # (1, 2, 2, 8)
    """
    return _block_op("SpaceToDepth", input, block_size, name, data_format)


# ----- resizing ------------------------------------------------------------------------------
def _scale(in_size, out_size, align_corners):
    if align_corners and out_size > 1:
        return (in_size - 1) / (out_size - 1)
    return in_size / out_size


def _bilinear_matrix(xp, in_size, out_size, align_corners, half_pixel_centers):
    """(out, in) weights: row o interpolates output o from its two input neighbours."""
    scale = _scale(in_size, out_size, align_corners)
    o = xp.arange(out_size, dtype=xp.float64)
    src = (o + 0.5) * scale - 0.5 if half_pixel_centers else o * scale
    low_f = xp.floor(src)
    lerp = src - low_f
    low = xp.clip(low_f, 0, in_size - 1).astype(xp.int64)
    high = xp.clip(xp.ceil(src), 0, in_size - 1).astype(xp.int64)
    m = xp.zeros((out_size, in_size), dtype=xp.float64)
    rows = xp.arange(out_size)
    m[rows, low] += 1 - lerp
    m[rows, high] += lerp
    return m


_CUBIC_TABLE_SIZE = 1024


def _cubic_weights(xp, t, a):
    """The cubic convolution kernel at distances `t` (|t| < 2)."""
    t = xp.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return xp.where(t <= 1, near, xp.where(t < 2, far, 0.0))


def _bicubic_matrix(xp, in_size, out_size, align_corners, half_pixel_centers):
    """(out, in) weights of TF's ResizeBicubic along one axis."""
    scale = _scale(in_size, out_size, align_corners)
    o = xp.arange(out_size, dtype=xp.float64)
    src = (o + 0.5) * scale - 0.5 if half_pixel_centers else o * scale
    low = xp.floor(src)
    # TF looks the weights up in a table of 1024 offsets: the offset is rounded to 1/1024.
    delta = xp.rint((src - low) * _CUBIC_TABLE_SIZE) / _CUBIC_TABLE_SIZE
    a = -0.5 if half_pixel_centers else -0.75
    taps = xp.arange(-1, 3)
    w = _cubic_weights(xp, delta[:, None] - taps[None, :], a)  # (out, 4)
    idx = low.astype(xp.int64)[:, None] + taps[None, :]
    if half_pixel_centers:
        w = xp.where((idx >= 0) & (idx < in_size), w, 0.0)
        total = w.sum(axis=1, keepdims=True)
        w = xp.where(xp.abs(total) >= 1000 * 1.1754944e-38, w / total, w)
    idx = xp.clip(idx, 0, in_size - 1)
    m = xp.zeros((out_size, in_size), dtype=xp.float64)
    rows = xp.broadcast_to(xp.arange(out_size)[:, None], idx.shape)
    xp.add.at(m, (rows.ravel(), idx.ravel()), w.ravel())
    return m


def _area_matrix(xp, in_size, out_size, align_corners):
    """(out, in) weights of TF's ResizeArea along one axis: overlaps / scale."""
    scale = _scale(in_size, out_size, align_corners)
    o = xp.arange(out_size, dtype=xp.float64)
    start, end = o * scale, (o + 1) * scale
    first = xp.floor(start)
    span = int(math.ceil(scale)) + 1  # cells a footprint can touch
    cells = first[:, None] + xp.arange(span)[None, :]
    overlap = xp.minimum(cells + 1, end[:, None]) - xp.maximum(cells, start[:, None])
    overlap = xp.where(cells < xp.ceil(end)[:, None], xp.maximum(overlap, 0.0), 0.0)
    idx = xp.clip(cells, 0, in_size - 1).astype(xp.int64)
    m = xp.zeros((out_size, in_size), dtype=xp.float64)
    rows = xp.broadcast_to(xp.arange(out_size)[:, None], idx.shape)
    xp.add.at(m, (rows.ravel(), idx.ravel()), (overlap / scale).ravel())
    return m


def _nearest_index(xp, in_size, out_size, align_corners, half_pixel_centers):
    scale = _scale(in_size, out_size, align_corners)
    o = xp.arange(out_size, dtype=xp.float64)
    src = (o + 0.5) * scale if half_pixel_centers else o * scale
    src = xp.floor(src + 0.5) if align_corners else xp.floor(src)
    return xp.clip(src, 0, in_size - 1).astype(xp.int64)


def _nearest_matrix(xp, in_size, out_size, align_corners, half_pixel_centers):
    idx = _nearest_index(xp, in_size, out_size, align_corners, half_pixel_centers)
    m = xp.zeros((out_size, in_size), dtype=xp.float64)
    m[xp.arange(out_size), idx] = 1
    return m


def _apply_separable(xp, x, my, mx):
    """`my @ x @ mx.T` over the height and width axes of NHWC `x`."""
    t = xp.einsum("oh,nhwc->nowc", my.astype(x.dtype), x)
    return xp.einsum("pw,nowc->nopc", mx.astype(x.dtype), t)


def _check_resize_args(op):
    if op.attrs.get("align_corners") and op.attrs.get("half_pixel_centers"):
        raise ValueError("If half_pixel_centers is True, align_corners must be False.")


def _size_infer(op, dt):
    _check_resize_args(op)
    dims = window.check_rank(op, 0, 4)
    size = op.inputs[1]
    if size.shape.ndims is not None and size.shape.ndims != 1:
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {size.shape.ndims}")
    if size.shape.ndims == 1 and size.shape[0] not in (None, 2):
        raise shape_fns.shape_error(
            op, f"Dimension must be 2 but is {size.shape[0]}")
    hw = shape_fns.constant_shape(size)
    hw = hw.as_list() if hw.ndims == 2 else [None, None]
    return [(dt, TensorShape([dims[0], hw[0], hw[1], dims[3]]))]


def _resize_bilinear_infer(op):
    shape_fns.check_dtype_in(op, _RESIZE_TYPES)
    shape_fns.check_dtype_in(op, (dtypes.int32,), 1)
    return _size_infer(op, dtypes.float32)


def _resize_nearest_infer(op):
    dt = shape_fns.check_dtype_in(op, _RESIZE_TYPES)
    shape_fns.check_dtype_in(op, (dtypes.int32,), 1)
    return _size_infer(op, dt)


def _out_size(size):
    oh, ow = (int(v) for v in size.tolist())
    if oh <= 0 or ow <= 0:
        raise errors.InvalidArgumentError(
            None, None, f"output dimensions must be positive, got [{oh}, {ow}]")
    return oh, ow


def _resize_cost(op):
    n = op.outputs[0].shape.num_elements()
    return EXPENSIVE if n is None else float(n * 4)


@defop("ResizeBilinear", infer=_resize_bilinear_infer, cost=_resize_cost)
def _resize_bilinear(xp, images, size, *, align_corners=False, half_pixel_centers=False):
    oh, ow = _out_size(size)
    _, h, w, _ = images.shape
    my = _bilinear_matrix(xp, h, oh, align_corners, half_pixel_centers)
    mx = _bilinear_matrix(xp, w, ow, align_corners, half_pixel_centers)
    x = images.astype(xp.float64 if images.dtype == xp.float64 else xp.float32)
    return _apply_separable(xp, x, my, mx).astype(xp.float32)


def _resize_grad_infer(op):
    dt = op.inputs[1].dtype
    shape_fns.check_dtype_in(op, (dtypes.float32,), 0)
    _check_resize_args(op)
    window.check_rank(op, 0, 4)
    return [(dt, op.inputs[1].shape)]


@defop("ResizeBilinearGrad", infer=_resize_grad_infer, cost=_resize_cost)
def _resize_bilinear_grad(xp, grads, original_image, *, align_corners=False,
                          half_pixel_centers=False):
    _, oh, ow, _ = grads.shape
    _, h, w, _ = original_image.shape
    my = _bilinear_matrix(xp, h, oh, align_corners, half_pixel_centers)
    mx = _bilinear_matrix(xp, w, ow, align_corners, half_pixel_centers)
    return _apply_separable(xp, grads.astype(xp.float64), my.T, mx.T).astype(
        original_image.dtype)


@defop("ResizeBicubic", infer=_resize_bilinear_infer, cost=_resize_cost)
def _resize_bicubic(xp, images, size, *, align_corners=False, half_pixel_centers=False):
    oh, ow = _out_size(size)
    _, h, w, _ = images.shape
    my = _bicubic_matrix(xp, h, oh, align_corners, half_pixel_centers)
    mx = _bicubic_matrix(xp, w, ow, align_corners, half_pixel_centers)
    x = images.astype(xp.float64 if images.dtype == xp.float64 else xp.float32)
    return _apply_separable(xp, x, my, mx).astype(xp.float32)


@defop("ResizeBicubicGrad", infer=_resize_grad_infer, cost=_resize_cost)
def _resize_bicubic_grad(xp, grads, original_image, *, align_corners=False,
                         half_pixel_centers=False):
    _, oh, ow, _ = grads.shape
    _, h, w, _ = original_image.shape
    my = _bicubic_matrix(xp, h, oh, align_corners, half_pixel_centers)
    mx = _bicubic_matrix(xp, w, ow, align_corners, half_pixel_centers)
    return _apply_separable(xp, grads.astype(xp.float64), my.T, mx.T).astype(
        original_image.dtype)


def _resize_area_infer(op):
    shape_fns.check_dtype_in(op, _RESIZE_TYPES)
    shape_fns.check_dtype_in(op, (dtypes.int32,), 1)
    return _size_infer(op, dtypes.float32)


@defop("ResizeArea", infer=_resize_area_infer, cost=_resize_cost)
def _resize_area(xp, images, size, *, align_corners=False):
    oh, ow = _out_size(size)
    _, h, w, _ = images.shape
    my = _area_matrix(xp, h, oh, align_corners)
    mx = _area_matrix(xp, w, ow, align_corners)
    x = images.astype(xp.float64 if images.dtype == xp.float64 else xp.float32)
    return _apply_separable(xp, x, my, mx).astype(xp.float32)


@_resize_area.gradient
def _resize_area_grad_fn(op, dy):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: ResizeArea)")


@defop("ResizeNearestNeighbor", infer=_resize_nearest_infer, cost=_resize_cost)
def _resize_nearest(xp, images, size, *, align_corners=False, half_pixel_centers=False):
    oh, ow = _out_size(size)
    _, h, w, _ = images.shape
    iy = _nearest_index(xp, h, oh, align_corners, half_pixel_centers)
    ix = _nearest_index(xp, w, ow, align_corners, half_pixel_centers)
    return images[:, iy][:, :, ix]


def _resize_nearest_grad_infer(op):
    dt = shape_fns.check_dtype_in(op, _RESIZE_TYPES)
    _check_resize_args(op)
    dims = window.check_rank(op, 0, 4)
    hw = shape_fns.constant_shape(op.inputs[1])
    hw = hw.as_list() if hw.ndims == 2 else [None, None]
    return [(dt, TensorShape([dims[0], hw[0], hw[1], dims[3]]))]


@defop("ResizeNearestNeighborGrad", infer=_resize_nearest_grad_infer, cost=_resize_cost)
def _resize_nearest_grad(xp, grads, size, *, align_corners=False, half_pixel_centers=False):
    h, w = _out_size(size)
    _, oh, ow, _ = grads.shape
    my = _nearest_matrix(xp, h, oh, align_corners, half_pixel_centers)
    mx = _nearest_matrix(xp, w, ow, align_corners, half_pixel_centers)
    g = window.upcast_half(xp, grads)
    return _apply_separable(xp, g, my.T, mx.T).astype(grads.dtype)


def _spatial_size(t):
    return array_ops.shape(t)[1:3]


@_resize_bilinear.gradient
def _resize_bilinear_grad_fn(op, dy):
    images = op.inputs[0]
    if not images.dtype.is_floating:
        return [None, None]
    return [apply_op("ResizeBilinearGrad", dy, images, **_attrs(op)), None]


@_resize_bilinear_grad.gradient
def _resize_bilinear_grad_grad_fn(op, g):
    # ResizeBilinearGrad is linear in `grads`; its adjoint is the forward resize.
    y = apply_op("ResizeBilinear", g, _spatial_size(op.inputs[0]), **_attrs(op))
    return [y, None]


@_resize_bicubic.gradient
def _resize_bicubic_grad_fn(op, dy):
    images = op.inputs[0]
    if not images.dtype.is_floating:
        return [None, None]
    return [apply_op("ResizeBicubicGrad", dy, images, **_attrs(op)), None]


@_resize_bicubic_grad.gradient
def _resize_bicubic_grad_grad_fn(op, g):
    return [apply_op("ResizeBicubic", g, _spatial_size(op.inputs[0]), **_attrs(op)), None]


@_resize_nearest.gradient
def _resize_nearest_grad_fn(op, dy):
    return [apply_op("ResizeNearestNeighborGrad", dy, _spatial_size(op.inputs[0]),
                     **_attrs(op)), None]


@_resize_nearest_grad.gradient
def _resize_nearest_grad_grad_fn(op, g):
    return [apply_op("ResizeNearestNeighbor", g, _spatial_size(op.inputs[0]), **_attrs(op)),
            None]


class ResizeMethod:
    """The `method` values of `resize_images` (TF1's numbering)."""

    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


_METHOD_NAMES = {"bilinear": ResizeMethod.BILINEAR, "nearest": ResizeMethod.NEAREST_NEIGHBOR,
                 "bicubic": ResizeMethod.BICUBIC, "area": ResizeMethod.AREA}


def _batched(images, name="images"):
    """(4-D images, whether a batch dimension was added)."""
    images = convert_to_tensor(images, name=name)
    if images.shape.ndims is None:
        raise ValueError(f"'{name}' contains no shape.")
    if images.shape.ndims == 3:
        return array_ops.expand_dims(images, 0), True
    if images.shape.ndims != 4:
        raise ValueError(f"'{name}' must have either 3 or 4 dimensions.")
    return images, False


def _resize(op_type, images, size, align_corners, half_pixel_centers, name, default_name):
    with name_scope(name, default_name, [images, size]) as scope:
        images, added = _batched(images)
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        out = apply_op(op_type, images, size, align_corners=bool(align_corners),
                       half_pixel_centers=bool(half_pixel_centers))
        return array_ops.squeeze(out, [0], name=scope) if added else identity(out, name=scope)


def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Resizes `images` to `size` by bilinear interpolation (op ResizeBilinear, float32 out).

    Example:
        >>> big = resize_bilinear(images, [56, 56])
    """
    return _resize("ResizeBilinear", images, size, align_corners, half_pixel_centers, name,
                   "ResizeBilinear")


def resize_nearest_neighbor(images, size, align_corners=False, name=None,
                            half_pixel_centers=False):
    """Resizes `images` to `size` by nearest-neighbour sampling (keeps the dtype).

    Example:
        >>> big = resize_nearest_neighbor(images, [56, 56])
    """
    return _resize("ResizeNearestNeighbor", images, size, align_corners, half_pixel_centers,
                   name, "ResizeNearestNeighbor")


def resize_bicubic(images, size, align_corners=False, name=None, half_pixel_centers=False):
    """Resizes `images` to `size` by bicubic interpolation (op ResizeBicubic, float32 out), with
    TF's kernel (a = -0.75, or Keys' a = -0.5 with `half_pixel_centers`).

    Example:
        >>> big = resize_bicubic(images, [56, 56], half_pixel_centers=True)
    """
    return _resize("ResizeBicubic", images, size, align_corners, half_pixel_centers, name,
                   "ResizeBicubic")


def resize_area(images, size, align_corners=False, name=None):
    """Resizes `images` to `size` by area averaging (op ResizeArea, float32 out): each output
    pixel is the overlap-weighted mean of the input pixels under its footprint. Not
    differentiable (as in TF).

    Example:
        >>> thumb = resize_area(images, [7, 7])
    """
    with name_scope(name, "ResizeArea", [images, size]) as scope:
        images, added = _batched(images)
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        out = apply_op("ResizeArea", images, size, align_corners=bool(align_corners))
        return array_ops.squeeze(out, [0], name=scope) if added else identity(out, name=scope)


def _aspect_preserving_size(images, size):
    shape = math_ops.cast(array_ops.shape(images)[1:3], dtypes.float32)
    target = math_ops.cast(size, dtypes.float32)
    scale = math_ops.reduce_min(target / shape)
    return math_ops.cast(math_ops.floor(shape * scale), dtypes.int32)


def resize_images(images, size, method=ResizeMethod.BILINEAR, align_corners=False,
                  preserve_aspect_ratio=False):
    """Resizes `images` (3-D or 4-D NHWC) to `size` = `[new_height, new_width]`, as TF1's
    `tf.image.resize_images`.

    Args:
        images: `[batch, height, width, channels]` or `[height, width, channels]`.
        size: 1-D int32 Tensor of 2 elements.
        method: `ResizeMethod.BILINEAR` (0), `NEAREST_NEIGHBOR` (1, keeps the dtype),
            `BICUBIC` (2) or `AREA` (3) (float32 output but for nearest); "bilinear",
            "nearest", "bicubic", "area" are accepted too.
        align_corners: align the corner pixels of input and output.
        preserve_aspect_ratio: scale so the image fits in `size` without distortion.

    Returns:
        The resized images, of the rank of `images`.

    Raises:
        ValueError: a rank other than 3 or 4, a `size` that is not 2 ints, or an unknown
            method.

    Example:
        >>> small = resize_images(images, [14, 14], method=ResizeMethod.NEAREST_NEIGHBOR)
    """
    method = _METHOD_NAMES.get(method, method)
    with name_scope(None, "resize", [images, size]):
        images, added = _batched(images)
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        if not size.shape.is_compatible_with(TensorShape([2])):
            raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, "
                             "new_width")
        if preserve_aspect_ratio:
            size = _aspect_preserving_size(images, size)
        static = shape_fns.constant_value(size)
        if static is not None and images.shape[1:3].as_list() == [int(v) for v in static]:
            out = images
        elif method == ResizeMethod.BILINEAR:
            out = apply_op("ResizeBilinear", images, size, align_corners=bool(align_corners),
                           half_pixel_centers=False)
        elif method == ResizeMethod.NEAREST_NEIGHBOR:
            out = apply_op("ResizeNearestNeighbor", images, size,
                           align_corners=bool(align_corners), half_pixel_centers=False)
        elif method == ResizeMethod.BICUBIC:
            out = apply_op("ResizeBicubic", images, size, align_corners=bool(align_corners),
                           half_pixel_centers=False)
        elif method == ResizeMethod.AREA:
            out = apply_op("ResizeArea", images, size, align_corners=bool(align_corners))
        else:
            raise ValueError(f"Resize method is not implemented: {method}")
        return array_ops.squeeze(out, [0]) if added else out


# ----- flips, standardization, crops ---------------------------------------------------------
def _image_axis(image, which):
    """The width (which=1) or height (which=0) axis of a 3-D or 4-D image Tensor (TF's
    messages for other ranks)."""
    nd = image.shape.ndims
    if nd is None or nd < 3:
        raise ValueError(f"'image' (shape {image.shape}) must be at least three-dimensional.")
    if nd > 4:
        # TF's message has no space before "must"
        raise ValueError(f"'image' (shape {image.shape})must have either 3 or 4 dimensions.")
    return which + (nd - 3)


def _flip_axes(image, which):
    """The axes a flip reverses: `[axis]`, or for an image of unknown rank a tensor that is
    the axis of a 3-D image when the rank is 3 and of a batch otherwise (TF's cond on the
    rank), after TF's run-time check that the rank is at least 3."""
    if image.shape.ndims is not None:
        return [_image_axis(image, which)]
    rank = array_ops.rank(image)
    check = logging_ops.Assert(math_ops.greater_equal(rank, 3),
                               ["'image' must be at least three-dimensional."])
    with control_dependencies([check]):
        batched = math_ops.cast(math_ops.not_equal(rank, 3), dtypes.int32)
        return array_ops.reshape(which + batched, [1])


def flip_left_right(image):
    """Flips an image (3-D) or a batch of images (4-D) horizontally.

    Example:
        >>> mirrored = flip_left_right(image)
    """
    with name_scope(None, "flip_left_right", [image]):
        image = convert_to_tensor(image, name="image")
        return array_ops.reverse(image, _flip_axes(image, 1))


def flip_up_down(image):
    """Flips an image (3-D) or a batch of images (4-D) vertically.

    Example:
        >>> upside_down = flip_up_down(image)
    """
    with name_scope(None, "flip_up_down", [image]):
        image = convert_to_tensor(image, name="image")
        return array_ops.reverse(image, _flip_axes(image, 0))


def _random_flip(image, which, seed, scope_name):
    with name_scope(None, scope_name, [image]) as scope:
        image = convert_to_tensor(image, name="image")
        if image.shape.ndims is None:
            # TF takes an image of unknown rank for one 3-D image: one draw, axis `which`
            check = logging_ops.Assert(math_ops.greater_equal(array_ops.rank(image), 3),
                                       ["'image' must be at least three-dimensional."])
            with control_dependencies([check]):
                image = identity(image)
            flip = math_ops.less(random_ops.random_uniform([], 0, 1.0, seed=seed), 0.5)
            return cond_ops.cond(flip, lambda: array_ops.reverse(image, [which]),
                                 lambda: image, name=scope)
        axis = _image_axis(image, which)
        if image.shape.ndims == 3:
            draw_shape = []
        else:
            draw_shape = array_ops.shape(image)[:1]
        uniform = random_ops.random_uniform(draw_shape, 0, 1.0, seed=seed)
        flip = math_ops.less(uniform, 0.5)
        return math_ops.where(flip, array_ops.reverse(image, [axis]), image, name=scope)


def random_flip_left_right(image, seed=None):
    """Flips an image horizontally with probability 1/2 (each image of a 4-D batch on its
    own draw).

    Args:
        image: 3-D `[height, width, channels]` or 4-D `[batch, height, width, channels]`.
        seed: op-level seed (see `set_random_seed`).

    Returns:
        A Tensor like `image`.

    Example:
        >>> augmented = random_flip_left_right(image, seed=1)
    """
    return _random_flip(image, 1, seed, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """Flips an image vertically with probability 1/2 (per image of a 4-D batch).

    Example:
        >>> augmented = random_flip_up_down(image, seed=1)
    """
    return _random_flip(image, 0, seed, "random_flip_up_down")


def per_image_standardization(image):
    """Scales each image to zero mean and unit variance: `(x - mean) / max(stddev,
    1 / sqrt(num_pixels))`, computed in float32 over the last three dimensions.

    Args:
        image: 3-D `[height, width, channels]` or 4-D batch.

    Returns:
        A float32 Tensor like `image`.

    Example:
        >>> x = per_image_standardization(image)
    """
    with name_scope(None, "per_image_standardization", [image]) as scope:
        image = convert_to_tensor(image, name="image")
        _image_axis(image, 0)
        image = math_ops.cast(image, dtypes.float32)
        axes = [-1, -2, -3]
        num_pixels = math_ops.reduce_prod(array_ops.shape(image)[-3:])
        mean = math_ops.reduce_mean(image, axes, keepdims=True)
        variance = math_ops.reduce_mean(math_ops.square(image - mean), axes, keepdims=True)
        stddev = math_ops.sqrt(variance)
        min_stddev = math_ops.rsqrt(math_ops.cast(num_pixels, dtypes.float32))
        adjusted = math_ops.maximum(stddev, min_stddev)
        return math_ops.divide(image - mean, adjusted, name=scope)


def random_crop(value, size, seed=None, name=None):
    """Crops a `size`-shaped slice of `value` at a uniformly random offset.

    Args:
        value: the Tensor to crop.
        size: 1-D int32 Tensor, one size per dimension of `value`, each <= its dimension.
        seed: op-level seed.
        name: name scope (default "random_crop").

    Returns:
        A Tensor of shape `size`.

    Raises:
        InvalidArgumentError (at run time): some `size` exceeds `value`'s shape.

    Example:
        >>> patch = random_crop(image, [24, 24, 3], seed=0)
    """
    with name_scope(name, "random_crop", [value, size]) as scope:
        value = convert_to_tensor(value, name="value")
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        shape = array_ops.shape(value)
        check = logging_ops.Assert(math_ops.reduce_all(math_ops.greater_equal(shape, size)),
                                   ["Need value.shape >= size, got ", shape, size],
                                   summarize=1000)
        with control_dependencies([check]):
            shape = identity(shape)
        limit = shape - size + 1
        offset = random_ops.random_uniform(array_ops.shape(shape), dtype=size.dtype,
                                           maxval=size.dtype.max, seed=seed) % limit
        return array_ops.slice(value, offset, size, name=scope)


__all__ = [
    "ResizeMethod",
    "depth_to_space",
    "flip_left_right",
    "flip_up_down",
    "per_image_standardization",
    "random_crop",
    "random_flip_left_right",
    "random_flip_up_down",
    "resize_area",
    "resize_bicubic",
    "resize_bilinear",
    "resize_images",
    "resize_nearest_neighbor",
    "space_to_depth",
]
