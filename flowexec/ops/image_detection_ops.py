"""Detection ops of `tf.image`: CropAndResize with its gradient ops CropAndResizeGradImage
and CropAndResizeGradBoxes, DrawBoundingBoxes(V2) and SampleDistortedBoundingBoxV2 (the
non-max suppression ops are in image_nms_ops.py).

CropAndResize samples box `b` of image `box_ind[b]` at `y1 * (h - 1) + i * (y2 - y1) * (h - 1)
/ (crop_h - 1)` (the box centre when `crop_h == 1`), in float32 as TF; samples outside
`[0, h - 1]` take `extrapolation_value`. Bilinear lerps top/bottom rows of the four neighbours;
nearest rounds half away from zero. Its gradient is TF's: CropAndResizeGradImage wrt the image
(float types only), CropAndResizeGradBoxes (always bilinear, TF's approximation for nearest)
wrt the boxes.

SampleDistortedBoundingBoxV2 draws from TF's Philox stream (flowexec.ops.philox.Philox, one
stream per op and Session keyed by (seed, seed2), 4 * max_attempts samples reserved per run),
so with nonzero seeds it gives TF's crops bit for bit; with both seeds 0 it is seeded from the
OS. The drawing ops, like TF's, have no gradient.

Kernels are host loops over boxes, vectorized with `xp` inside a box; the state of the sampler
is per Session (`ctx.state`) and guarded by a lock, so concurrent runs are safe.
"""
import math
import struct
import threading

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import CHEAP, EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, shape_fns, window
from flowexec.ops.image_checks import check_dim, invalid, merge_dim, no_gradient, shape_str
from flowexec.ops.philox import Philox

_CROP_IMAGE_TYPES = (dtypes.uint8, dtypes.uint16, dtypes.int8, dtypes.int16, dtypes.int32,
                     dtypes.int64, dtypes.float16, dtypes.float32,
                     dtypes.float64)
_SAMPLE_SIZE_TYPES = (dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)


# ----- CropAndResize and its gradients -------------------------------------------------------
_METHODS = ("bilinear", "nearest")


def _crop_dims(op, boxes_index, ind_index):
    boxes = window.check_rank(op, boxes_index, 2)
    ind = window.check_rank(op, ind_index, 1)
    check_dim(op, boxes[1], 4)
    return merge_dim(op, boxes[0], ind[0])


def _crop_size_hw(op, index):
    size = op.inputs[index]
    window.check_rank(op, index, 1)
    if size.shape.ndims == 1:
        check_dim(op, size.shape[0], 2)
    hw = shape_fns.constant_shape(size)
    return hw.as_list() if hw.ndims == 2 else [None, None]


def _crop_infer(op):
    shape_fns.check_dtype_in(op, _CROP_IMAGE_TYPES, 0)
    shape_fns.check_dtype_in(op, (dtypes.float32,), 1)
    shape_fns.check_dtype_in(op, (dtypes.int32,), 2)
    window.check_choice(op.type, "method", op.attrs.get("method", "bilinear"), _METHODS)
    image = window.check_rank(op, 0, 4)
    n = _crop_dims(op, 1, 2)
    h, w = _crop_size_hw(op, 3)
    return [(dtypes.float32, TensorShape([n, h, w, image[3]]))]


def _grad_image_infer(op):
    window.check_choice(op.type, "method", op.attrs.get("method", "bilinear"), _METHODS)
    grads = window.check_rank(op, 0, 4)
    merge_dim(op, grads[0], _crop_dims(op, 1, 2))
    window.check_rank(op, 3, 1)
    shape = shape_fns.constant_shape(op.inputs[3])
    if shape.ndims is None:
        shape = TensorShape([None] * 4)
    elif shape.ndims != 4:
        raise shape_fns.shape_error(op, f"Dimension must be 4 but is {shape.ndims}")
    return [(op.attrs["T"], shape)]


def _grad_boxes_infer(op):
    window.check_choice(op.type, "method", op.attrs.get("method", "bilinear"), ("bilinear",))
    window.check_rank(op, 0, 4)
    window.check_rank(op, 1, 4)
    n = _crop_dims(op, 2, 3)
    return [(dtypes.float32, TensorShape([n, 4]))]


def _crop_cost(op):
    n = op.outputs[0].shape.num_elements()
    return EXPENSIVE if n is None else float(n * 8)


def _check_crop_args(xp, image_shape, boxes, box_ind, crop_size=None):
    if len(image_shape) != 4:
        raise invalid(f"input image must be 4-D[{','.join(str(d) for d in image_shape)}]")
    _, h, w, _ = image_shape
    if h <= 0 or w <= 0:
        raise invalid("image dimensions must be positive")
    if boxes.ndim != 2:
        raise invalid(f"boxes must be 2-D{shape_str(boxes)}")
    if boxes.shape[1] != 4:
        raise invalid(f"boxes must have 4 columns{shape_str(boxes)}")
    if box_ind.ndim != 1:
        raise invalid(f"box_index must be 1-D{shape_str(box_ind)}")
    if box_ind.shape[0] != boxes.shape[0]:
        raise invalid("box_index has incompatible shape")
    if crop_size is not None:
        if crop_size.ndim != 1 or crop_size.shape[0] != 2:
            raise invalid(f"crop_size must have two elements{shape_str(crop_size)}")
        ch, cw = (int(v) for v in crop_size.tolist())
        if ch <= 0 or cw <= 0:
            raise invalid("crop dimensions must be positive")
        return ch, cw
    return None


def _check_box_index(box_ind, batch):
    # TF checks the indices last, once every shape is known to be valid
    if box_ind.size and (int(box_ind.min()) < 0 or int(box_ind.max()) >= batch):
        raise errors.OutOfRangeError(None, None, "box_index has values outside [0, batch_size)")


def _axis_samples(xp, lo, hi, size, crop, ratio_first=False):
    """float32 sample positions along one axis, TF's formula (and its double centre); TF's
    CropAndResizeGradBoxes rounds `(size - 1) / (crop - 1)` first (`ratio_first`)."""
    f32 = xp.float32
    if crop > 1:
        if ratio_first:
            scale = (f32(hi) - f32(lo)) * (f32(size - 1) / f32(crop - 1))
        else:
            scale = (f32(hi) - f32(lo)) * f32(size - 1) / f32(crop - 1)
        return f32(lo) * f32(size - 1) + xp.arange(crop, dtype=f32) * scale
    centre = 0.5 * float(f32(f32(lo) + f32(hi))) * (size - 1)
    return xp.full((1,), centre, dtype=f32)


def _taps(xp, pos, size):
    valid = (pos >= 0) & (pos <= size - 1)
    safe = xp.where(valid, pos, xp.float32(0))
    low = xp.floor(safe)
    high = xp.ceil(safe)
    return valid, low.astype(xp.int64), high.astype(xp.int64), (safe - low).astype(xp.float32)


def _nearest(xp, pos):
    # std::round: half away from zero; positions here are >= 0
    return xp.floor(pos + xp.float32(0.5)).astype(xp.int64)


@defop("CropAndResize", infer=_crop_infer, cost=_crop_cost)
def _crop_and_resize(xp, image, boxes, box_ind, crop_size, *, method="bilinear",
                     extrapolation_value=0.0):
    ch, cw = _check_crop_args(xp, image.shape, boxes, box_ind, crop_size)
    _check_box_index(box_ind, image.shape[0])
    _, h, w, depth = image.shape
    f32 = xp.float32
    img = image.astype(f32)
    out = xp.empty((boxes.shape[0], ch, cw, depth), dtype=f32)
    extra = f32(extrapolation_value)
    for b in range(boxes.shape[0]):
        y1, x1, y2, x2 = (float(v) for v in boxes[b].tolist())
        src = img[int(box_ind[b])]
        vy, ty, by, ly = _taps(xp, _axis_samples(xp, y1, y2, h, ch), h)
        vx, lx_, rx, lx = _taps(xp, _axis_samples(xp, x1, x2, w, cw), w)
        if method == "bilinear":
            tl = src[ty][:, lx_]
            tr = src[ty][:, rx]
            bl = src[by][:, lx_]
            br = src[by][:, rx]
            xl = lx[None, :, None]
            top = tl + (tr - tl) * xl
            bottom = bl + (br - bl) * xl
            vals = top + (bottom - top) * ly[:, None, None]
        else:
            py = _axis_samples(xp, y1, y2, h, ch)
            px = _axis_samples(xp, x1, x2, w, cw)
            iy = _nearest(xp, xp.where(vy, py, f32(0)))
            ix = _nearest(xp, xp.where(vx, px, f32(0)))
            vals = src[iy][:, ix]
        mask = (vy[:, None] & vx[None, :])[:, :, None]
        out[b] = xp.where(mask, vals, extra)
    return out


@defop("CropAndResizeGradImage", infer=_grad_image_infer, cost=_crop_cost)
def _crop_and_resize_grad_image(xp, grads, boxes, box_ind, image_size, *, T,
                                method="bilinear"):
    if image_size.ndim != 1 or image_size.shape[0] != 4:
        raise invalid(f"image_size must have 4 elements{shape_str(image_size)}")
    shape = tuple(int(v) for v in image_size.tolist())
    _check_crop_args(xp, shape, boxes, box_ind)
    if grads.ndim != 4 or grads.shape[0] != boxes.shape[0] or grads.shape[3] != shape[3]:
        raise invalid("image_size and grads are incompatible")
    _check_box_index(box_ind, shape[0])
    _, ch, cw, _ = grads.shape
    _, h, w, depth = shape
    f32 = xp.float32
    out_dtype = xp.dtype(T.np) if hasattr(T, "np") else xp.dtype(T)
    out = xp.zeros(shape, dtype=out_dtype)
    g = grads.astype(f32)
    for b in range(boxes.shape[0]):
        y1, x1, y2, x2 = (float(v) for v in boxes[b].tolist())
        b_in = int(box_ind[b])
        py = _axis_samples(xp, y1, y2, h, ch)
        px = _axis_samples(xp, x1, x2, w, cw)
        vy, ty, by, ly = _taps(xp, py, h)
        vx, lx_, rx, lx = _taps(xp, px, w)
        yy, xx = xp.nonzero(vy[:, None] & vx[None, :])  # row-major: TF's (y, x) loop order
        gb = g[b][yy, xx]  # (K, depth)
        if method == "bilinear":
            wy, wx = ly[yy][:, None], lx[xx][:, None]
            dtop = (f32(1) - wy) * gb
            dbottom = wy * gb
            rows = xp.stack([ty[yy], ty[yy], by[yy], by[yy]], axis=1).reshape(-1)
            cols = xp.stack([lx_[xx], rx[xx], lx_[xx], rx[xx]], axis=1).reshape(-1)
            vals = xp.stack([(f32(1) - wx) * dtop, wx * dtop, (f32(1) - wx) * dbottom,
                             wx * dbottom], axis=1).reshape(-1, depth)
        else:
            rows = _nearest(xp, py)[yy]
            cols = _nearest(xp, px)[xx]
            vals = gb
        xp.add.at(out[b_in], (rows, cols), vals.astype(out_dtype))
    return out


@defop("CropAndResizeGradBoxes", infer=_grad_boxes_infer, cost=_crop_cost)
def _crop_and_resize_grad_boxes(xp, grads, image, boxes, box_ind, *, method="bilinear"):
    _check_crop_args(xp, image.shape, boxes, box_ind)
    if grads.ndim != 4 or grads.shape[0] != boxes.shape[0] or grads.shape[3] != image.shape[3]:
        raise invalid("image, grads depth differ")
    _check_box_index(box_ind, image.shape[0])
    _, ch, cw, _ = grads.shape
    _, h, w, _ = image.shape
    f32 = xp.float32
    img = image.astype(f32)
    g = grads.astype(f32)
    out = xp.zeros((boxes.shape[0], 4), dtype=f32)
    hr = f32(h - 1) / f32(ch - 1) if ch > 1 else f32(0)
    wr = f32(w - 1) / f32(cw - 1) if cw > 1 else f32(0)
    for b in range(boxes.shape[0]):
        y1, x1, y2, x2 = (float(v) for v in boxes[b].tolist())
        src = img[int(box_ind[b])]
        vy, ty, by, ly = _taps(xp, _axis_samples(xp, y1, y2, h, ch, True), h)
        vx, lx_, rx, lx = _taps(xp, _axis_samples(xp, x1, x2, w, cw, True), w)
        tl, tr = src[ty][:, lx_], src[ty][:, rx]
        bl, br = src[by][:, lx_], src[by][:, rx]
        xl, yl = lx[None, :, None], ly[:, None, None]
        grad_y = (f32(1) - xl) * (bl - tl) + xl * (br - tr)
        grad_x = (f32(1) - yl) * (tr - tl) + yl * (br - bl)
        mask = (vy[:, None] & vx[None, :])[:, :, None]
        gy = xp.where(mask, g[b] * grad_y, f32(0))
        gx = xp.where(mask, g[b] * grad_x, f32(0))
        ys = xp.arange(ch, dtype=f32)[:, None, None]
        xs = xp.arange(cw, dtype=f32)[None, :, None]
        if ch > 1:
            dy1 = (gy * (f32(h - 1) - ys * hr)).sum()
            dy2 = (gy * (ys * hr)).sum()
        else:
            dy1 = dy2 = (gy * f32(0.5 * (h - 1))).sum()
        if cw > 1:
            dx1 = (gx * (f32(w - 1) - xs * wr)).sum()
            dx2 = (gx * (xs * wr)).sum()
        else:
            dx1 = dx2 = (gx * f32(0.5 * (w - 1))).sum()
        out[b] = xp.stack([dy1, dx1, dy2, dx2]).astype(f32)
    return out


@_crop_and_resize.gradient
def _crop_and_resize_grad(op, dy):
    image, boxes, box_ind = op.inputs[0], op.inputs[1], op.inputs[2]
    if image.shape.is_fully_defined():
        image_shape = convert_to_tensor(image.shape.as_list(), dtype=dtypes.int32)
    else:
        image_shape = array_ops.shape(image)
    if image.dtype in (dtypes.float16, dtypes.float32, dtypes.float64):
        d_image = apply_op("CropAndResizeGradImage", dy, boxes, box_ind, image_shape,
                           T=image.dtype, method=op.attrs.get("method", "bilinear"))
    else:
        d_image = None
    # TF approximates the boxes' gradient of nearest sampling by the bilinear one.
    d_boxes = apply_op("CropAndResizeGradBoxes", dy, image, boxes, box_ind)
    return [d_image, d_boxes, None, None]


no_gradient(_crop_and_resize_grad_image, "CropAndResizeGradImage")
no_gradient(_crop_and_resize_grad_boxes, "CropAndResizeGradBoxes")


def crop_and_resize(image, boxes, box_ind=None, crop_size=None, method="bilinear",
                    extrapolation_value=0, name=None, box_indices=None):
    """Crops boxes out of a batch of images and resizes each to `crop_size` (op
    CropAndResize), differentiable wrt `image` (float types) and `boxes`.

    Args:
        image: `[batch, height, width, depth]`, a real type; the crops are float32.
        boxes: float32 `[num_boxes, 4]` normalized `[y1, x1, y2, x2]`; y1 > y2 flips the
            crop, coordinates outside [0, 1] extrapolate.
        box_ind: int32 `[num_boxes]`, the image of each box, in `[0, batch)`.
        crop_size: int32 `[crop_height, crop_width]`, both positive.
        method: "bilinear" or "nearest".
        extrapolation_value: the value of samples outside the image.
        name: op name (default "CropAndResize").
        box_indices: TF's newer name for `box_ind`.

    Returns:
        float32 `[num_boxes, crop_height, crop_width, depth]`.

    Raises:
        ValueError: at build time, wrong ranks, not 4 coordinates, an unknown method.
        InvalidArgumentError / OutOfRangeError: at run time, as TF's kernel.

    Example:
        >>> crops = tf.image.crop_and_resize(images, boxes, box_ind, [14, 14])
    """
    if box_ind is None:
        box_ind = box_indices
    return apply_op("CropAndResize", convert_to_tensor(image, name="image"),
                    convert_to_tensor(boxes, dtype=dtypes.float32, name="boxes"),
                    convert_to_tensor(box_ind, dtype=dtypes.int32, name="box_ind"),
                    convert_to_tensor(crop_size, dtype=dtypes.int32, name="crop_size"),
                    name=name, method=method, extrapolation_value=float(extrapolation_value))


# ----- DrawBoundingBoxes ---------------------------------------------------------------------
_DEFAULT_COLORS = ((1, 1, 0, 1), (0, 0, 1, 1), (1, 0, 0, 1), (0, 1, 0, 1), (0.5, 0, 0.5, 1),
                   (0.5, 0.5, 0, 1), (0.5, 0, 0, 1), (0, 0, 0.5, 1), (0, 1, 1, 1), (1, 0, 1, 1))


def _draw_infer(op):
    shape_fns.check_dtype_in(op, (dtypes.float32, dtypes.float16), 0)
    dims = window.check_rank(op, 0, 4)
    if dims[3] is not None and dims[3] not in (1, 3, 4):
        raise shape_fns.shape_error(
            op, "Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)")
    return [(op.inputs[0].dtype, op.inputs[0].shape)]


def _draw(xp, images, boxes, colors):
    if images.ndim != 4:
        raise invalid("The rank of the images should be 4")
    if boxes.ndim != 3:
        raise invalid("The rank of the boxes tensor should be 3")
    if boxes.shape[0] != images.shape[0]:
        raise invalid("The batch sizes should be the same")
    if boxes.shape[2] != 4:
        raise invalid(f"The size of the third dimension of the box must be 4. Received: "
                       f"{boxes.shape[2]}")
    batch, h, w, depth = images.shape
    if depth not in (1, 3, 4):
        raise invalid("Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)")
    if colors is not None and colors.size:
        if colors.ndim != 2:
            raise invalid(f"colors must be a 2-D matrix{shape_str(colors)}")
        if colors.shape[1] < depth:
            raise invalid(f"colors must have equal or more channels than the image "
                           f"provided: {shape_str(colors)}")
        table = [[float(v) for v in row] for row in colors.tolist()]
    else:
        table = [list(c) for c in _DEFAULT_COLORS]
        if depth == 1:
            for c in table:
                c[0] = 1.0
    canvas = images.copy()
    f32 = xp.float32
    for b in range(batch):
        for k in range(boxes.shape[1]):
            color = xp.asarray(table[k % len(table)][:depth], dtype=images.dtype)
            y1, x1, y2, x2 = (f32(v) for v in boxes[b, k].astype(xp.float32).tolist())
            # TF converts float to int64: truncation toward zero
            top, bottom = int(y1 * f32(h - 1)), int(y2 * f32(h - 1))
            left, right = int(x1 * f32(w - 1)), int(x2 * f32(w - 1))
            if top > bottom or left > right:
                continue
            if top >= h or bottom < 0 or left >= w or right < 0:
                continue
            r0, r1 = max(top, 0), min(bottom, h - 1)
            c0, c1 = max(left, 0), min(right, w - 1)
            if top >= 0:
                canvas[b, top, c0:c1 + 1] = color
            if bottom < h:
                canvas[b, bottom, c0:c1 + 1] = color
            if left >= 0:
                canvas[b, r0:r1 + 1, left] = color
            if right < w:
                canvas[b, r0:r1 + 1, right] = color
    return canvas


@defop("DrawBoundingBoxes", infer=_draw_infer, cost=CHEAP)
def _draw_bounding_boxes(xp, images, boxes):
    return _draw(xp, images, boxes, None)


@defop("DrawBoundingBoxesV2", infer=_draw_infer, cost=CHEAP)
def _draw_bounding_boxes_v2(xp, images, boxes, colors):
    return _draw(xp, images, boxes, colors)


_draw_bounding_boxes.not_differentiable()  # TF: ops.NotDifferentiable('DrawBoundingBoxes')
no_gradient(_draw_bounding_boxes_v2, "DrawBoundingBoxesV2")


def draw_bounding_boxes(images, boxes, name=None, colors=None):
    """Draws one-pixel box outlines on a batch of images (op DrawBoundingBoxes, or
    DrawBoundingBoxesV2 with `colors`).

    Box `[y1, x1, y2, x2]` is drawn on rows `int(y1 * (h - 1))`, `int(y2 * (h - 1))` and
    columns `int(x1 * (w - 1))`, `int(x2 * (w - 1))` (truncated toward zero, as TF); sides
    outside the image are skipped, boxes with y1 > y2 or x1 > x2 are not drawn.

    Args:
        images: float32 or float16 `[batch, height, width, depth]`, depth 1, 3 or 4.
        boxes: float32 `[batch, num_boxes, 4]`.
        name: op name.
        colors: float32 `[num_colors, >= depth]`, cycled over the boxes; None or empty: TF's
            table of 10 colors.

    Returns:
        The images with the boxes drawn, like `images`.

    Example:
        >>> shown = tf.image.draw_bounding_boxes(images, boxes[None])
    """
    images = convert_to_tensor(images, name="images")
    boxes = convert_to_tensor(boxes, dtype=dtypes.float32, name="boxes")
    if colors is None:
        return apply_op("DrawBoundingBoxes", images, boxes, name=name)
    colors = convert_to_tensor(colors, dtype=dtypes.float32, name="colors")
    return apply_op("DrawBoundingBoxesV2", images, boxes, colors, name=name)


# ----- SampleDistortedBoundingBoxV2 ----------------------------------------------------------
def _sample_infer(op):
    dt = shape_fns.check_dtype_in(op, _SAMPLE_SIZE_TYPES, 0)
    size = window.check_rank(op, 0, 1)
    check_dim(op, size[0], 3)
    boxes = window.check_rank(op, 1, 3)
    check_dim(op, boxes[2], 4)
    window.check_rank(op, 2, 0)
    return [(dt, TensorShape([3])), (dt, TensorShape([3])),
            (dtypes.float32, TensorShape([1, 1, 4]))]


def _uint32_to_float(x):
    """TF's Uint32ToFloat: 23 random mantissa bits, in [0, 1)."""
    return struct.unpack("<f", struct.pack("<I", (127 << 23) | (x & 0x7FFFFF)))[0] - 1.0


class _SimplePhilox:
    """TF's SimplePhilox over a reserved sample stream: RandFloat, and Uniform(n) by
    ExactUniformInt (a mask for powers of two, else values below (2**32 - 1) % n + 1 are
    rejected)."""

    def __init__(self, samples):
        self._samples = samples

    def rand32(self):
        return next(self._samples)

    def rand_float(self):
        return _uint32_to_float(self.rand32())

    def uniform(self, n):
        if n & (n - 1) == 0:
            return self.rand32() & (n - 1)
        rem = (0xFFFFFFFF % n) + 1
        while True:
            bits = self.rand32()
            if bits >= rem:
                return bits % n


def _lrintf(v):
    return int(round(float(v)))  # round half to even, as lrintf in the default mode


def _f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def _random_crop(width, height, min_area_rel, max_area_rel, aspect, rng):
    """TF's GenerateRandomCrop: (x, y, w, h) or None; float32 arithmetic as the kernel."""
    if max_area_rel <= 0 or aspect <= 0 or width <= 0 or height <= 0 or \
            min_area_rel > max_area_rel:
        return None
    min_area = _f32(_f32(min_area_rel * width) * height)
    max_area = _f32(_f32(max_area_rel * width) * height)
    h = _lrintf(_f32(math.sqrt(_f32(min_area / aspect))))
    max_h = _lrintf(_f32(math.sqrt(_f32(max_area / aspect))))
    if _lrintf(_f32(max_h * aspect)) > width:
        k_eps = 0.0000001
        max_h = int((width + 0.5 - _f32(k_eps)) / aspect)
        if _lrintf(_f32(max_h * aspect)) > width:
            max_h -= 1
    if max_h > height:
        max_h = height
    if h >= max_h:
        h = max_h
    if h < max_h:
        h += rng.uniform(max_h - h + 1)
    w = _lrintf(_f32(h * aspect))
    area = float(w * h)
    if area < min_area:
        h += 1
        w = _lrintf(_f32(h * aspect))
        area = float(w * h)
    if area > max_area:
        h -= 1
        w = _lrintf(_f32(h * aspect))
        area = float(w * h)
    if area < min_area or area > max_area or w > width or h > height or w <= 0 or h <= 0:
        return None
    y = rng.uniform(height - h) if h < height else 0
    x = rng.uniform(width - w) if w < width else 0
    return x, y, x + w, y + h


def _area(r):
    return float((r[2] - r[0]) * (r[3] - r[1]))


def _intersect(a, b):
    r = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return (0, 0, 0, 0) if r[0] > r[2] or r[1] > r[3] else r


def _covers(crop, min_covered, objects):
    if _area(crop) < 1.0:
        return False
    for box in objects:
        area = _area(box)
        if area < 1.0:
            continue
        if _f32(_area(_intersect(crop, box)) / area) >= min_covered:
            return True
    return False


def _fmt(values):
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _check_sample_attrs(aspect_ratio_range, area_range, max_attempts):
    if len(aspect_ratio_range) != 2:
        raise invalid("Aspect ratio range field must specify 2 dimensions")
    if aspect_ratio_range[0] <= 0 or aspect_ratio_range[1] <= 0:
        raise invalid(f"Aspect ratio range must be non-negative: {_fmt(aspect_ratio_range)}")
    if len(area_range) != 2:
        raise invalid("Area range field must specify 2 dimensions")
    if area_range[0] <= 0 or area_range[1] <= 0:
        raise invalid(f"Area range must be non-negative: {_fmt(area_range)}")
    if area_range[0] > 1 or area_range[1] > 1:
        raise invalid(f"Area range must be less then or equal to 1.0: {_fmt(area_range)}")
    if max_attempts <= 0:
        raise invalid(f"Max attempts must be non-negative: {max_attempts}")


@defop("SampleDistortedBoundingBoxV2", infer=_sample_infer, cost=CHEAP, stateful=True,
       needs_ctx=True)
def _sample_distorted_bounding_box(ctx, xp, image_size, bounding_boxes, min_object_covered, *,
                                   seed=0, seed2=0, aspect_ratio_range=(0.75, 1.33),
                                   area_range=(0.05, 1.0), max_attempts=100,
                                   use_image_if_no_bounding_boxes=False):
    _check_sample_attrs(list(aspect_ratio_range), list(area_range), int(max_attempts))
    if image_size.ndim != 1:
        raise invalid(f"image_size must be 1-dimensional{shape_str(image_size)}")
    if image_size.shape[0] != 3:
        raise invalid(f"image_size must contain 3 elements{shape_str(image_size)}")
    height, width = int(image_size[0]), int(image_size[1])
    if bounding_boxes.ndim != 3:
        raise invalid(f"input boxes must be 3-dimensional [batch, num_boxes, coords]: "
                       f"{shape_str(bounding_boxes)}")
    if bounding_boxes.shape[2] != 4:
        raise invalid(f"bounding boxes must have shape [4] or [*, 4], got "
                       f"{shape_str(bounding_boxes)}")
    if min_object_covered.ndim != 0:
        raise invalid(f"min_object_covered must be 0-D, got shape "
                       f"{shape_str(min_object_covered)}")
    covered = float(min_object_covered)
    if covered < 0:
        raise invalid(f"Min object covered must be non-negative: {covered:g}")
    boxes = bounding_boxes.astype(xp.float32).reshape(-1, 4)
    objects = []
    for row in boxes.tolist():
        for v in row:
            if not 0.0 <= v <= 1.0:
                raise invalid(f"All bounding box coordinates must be in [0.0, 1.0]: {v:g}")
        y1, x1, y2, x2 = (_f32(v) for v in row)
        objects.append((int(_f32(x1 * width)), int(_f32(y1 * height)),
                        int(_f32(x2 * width)), int(_f32(y2 * height))))
    image_rect = (0, 0, width, height)
    if not objects:
        if not use_image_if_no_bounding_boxes:
            raise invalid("No bounding boxes provided as input. One must enable "
                           "use_image_if_no_bounding_boxes if you wish to not provide any "
                           "bounding boxes.")
        objects.append(image_rect)
    lo_ar, hi_ar = (_f32(v) for v in aspect_ratio_range)
    lo_area, hi_area = (_f32(v) for v in area_range)
    key = ("sample_distorted_bounding_box", ctx.op.name)
    gen = ctx.state.get(key)
    if gen is None:
        gen = ctx.state.setdefault(key, Philox(int(seed), int(seed2)))
    with ctx.state.setdefault(key + ("lock",), threading.Lock()):
        rng = _SimplePhilox(gen.reserve32(4 * int(max_attempts)))
    crop = None
    for _ in range(int(max_attempts)):
        aspect = _f32(_f32(rng.rand_float() * _f32(hi_ar - lo_ar)) + lo_ar)
        rect = _random_crop(width, height, lo_area, hi_area, aspect, rng)
        if rect is not None and _covers(rect, _f32(covered), objects):
            crop = rect
            break
    if crop is None:
        crop = image_rect
    tw, th = crop[2] - crop[0], crop[3] - crop[1]
    dt = image_size.dtype
    begin = xp.asarray([crop[1], crop[0], 0], dtype=dt)
    size = xp.asarray([th, tw, -1], dtype=dt)
    f32 = xp.float32
    bbox = (xp.asarray([crop[1], crop[0], crop[3], crop[2]], dtype=f32)
            / xp.asarray([height, width, height, width], dtype=f32)).reshape(1, 1, 4)
    return begin, size, bbox


_sample_distorted_bounding_box.not_differentiable()  # TF: NotDifferentiable


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=None, seed2=None,
                                  min_object_covered=0.1, aspect_ratio_range=None,
                                  area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):
    """Draws a random crop of an image that covers at least `min_object_covered` of one of
    `bounding_boxes` (op SampleDistortedBoundingBoxV2), TF1's data-augmentation crop.

    Each of `max_attempts` tries draws an aspect ratio uniformly in `aspect_ratio_range` and
    a height giving an area fraction in `area_range`, then a position inside the image; the
    first crop that covers enough of some box wins, else the whole image. With nonzero
    `seed`/`seed2` the draws are TF's Philox stream, bit for bit (seeds are passed to the op as
    given, as TF1 does; both 0 or None: nondeterministic).

    Args:
        image_size: 1-D `[height, width, channels]` (uint8, int8, int16, int32, int64).
        bounding_boxes: float32 `[batch, N, 4]`, normalized `[y_min, x_min, y_max, x_max]`
            in [0, 1].
        seed, seed2: the op's Philox seeds.
        min_object_covered: float32 scalar >= 0.
        aspect_ratio_range: `[lo, hi]` width / height, default `[0.75, 1.33]`.
        area_range: `[lo, hi]` fractions of the image area, default `[0.05, 1.0]`.
        max_attempts: default 100.
        use_image_if_no_bounding_boxes: with no boxes, use the whole image as the box
            (else an InvalidArgumentError).
        name: name scope (default "sample_distorted_bounding_box").

    Returns:
        `(begin, size, bboxes)`: `[offset_y, offset_x, 0]` and `[target_h, target_w, -1]` of
        `image_size`'s dtype, for `tf.slice`, and the crop as float32 `[1, 1, 4]`.

    Example:
        >>> begin, size, box = tf.image.sample_distorted_bounding_box(
        ...     tf.shape(image), boxes, seed=1, min_object_covered=0.5)
        >>> crop = tf.slice(image, begin, size)
    """
    attrs = {"seed": int(seed or 0), "seed2": int(seed2 or 0)}
    if aspect_ratio_range is not None:
        attrs["aspect_ratio_range"] = [float(v) for v in aspect_ratio_range]
    if area_range is not None:
        attrs["area_range"] = [float(v) for v in area_range]
    if max_attempts is not None:
        attrs["max_attempts"] = int(max_attempts)
    if use_image_if_no_bounding_boxes is not None:
        attrs["use_image_if_no_bounding_boxes"] = bool(use_image_if_no_bounding_boxes)
    with name_scope(name, "sample_distorted_bounding_box"):
        return apply_op("SampleDistortedBoundingBoxV2",
                        convert_to_tensor(image_size, name="image_size"),
                        convert_to_tensor(bounding_boxes, dtype=dtypes.float32,
                                          name="bounding_boxes"),
                        convert_to_tensor(min_object_covered, dtype=dtypes.float32,
                                          name="min_object_covered"), **attrs)


__all__ = [
    "crop_and_resize",
    "draw_bounding_boxes",
    "sample_distorted_bounding_box",
]
