"""ScaleAndTranslate and ScaleAndTranslateGrad: TF's separable resampling with a choice of
kernel and optional antialiasing, behind TF2's `tf.image.resize` for antialias=True and the
"lanczos3", "lanczos5", "gaussian" and "mitchellcubic" methods.

Along each spatial axis output pixel `o` samples the input at `s = (o + 0.5) / scale -
translate / scale` (pixel centres at `+ 0.5`); outside `[0, in]` it gets no taps (0). Its taps
are the inputs `j` in `[ceil(s - r - 0.5), floor(s + r - 0.5)]` clipped to the image, where
`r` is the kernel radius times `k = max(1 / scale, 1)` with `antialias` when downscaling (else
`k = 1`), weighted `kernel(|j + 0.5 - s| / k)` and normalized to sum 1 (left 0 when the sum is
below `1000 * FLT_MIN`). The kernels are TF's `sampling_kernels.h`: lanczos1/3/5, gaussian
(radius 1.5, sigma 0.5), box, triangle, keyscubic (Keys, a = -0.5) and mitchellcubic (B = C =
1/3). Everything is float32 as in TF's CPU kernel, in its order: spans and weights per axis,
rows first then columns, each output a sequential float32 sum of its taps, so results are
TF's to float32 rounding of `sin`/`exp`.

ScaleAndTranslateGrad applies the transposed spans (TF's `ComputeGradSpans`), each input pixel
summing its outputs in increasing order. ScaleAndTranslate's gradient wrt the images is
ScaleAndTranslateGrad (none wrt size, scale and translation); as in TF, ScaleAndTranslateGrad
itself has no gradient.
"""

import math

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, math_ops, shape_fns, window
from flowexec.ops.constant_op import constant
from flowexec.ops.image_checks import check_dim, invalid, no_gradient, quiet, shape_str
from flowexec.ops.image_glimpse_ops import check_input_types

_IMAGE_TYPES = (dtypes.int8, dtypes.uint8, dtypes.int16, dtypes.uint16, dtypes.int32,
                dtypes.int64, dtypes.bfloat16, dtypes.float16, dtypes.float32, dtypes.float64)
_FLT_MIN = 1.1754943508222875e-38


# ----- TF's sampling kernels, float32 ---------------------------------------------------------
def _lanczos(radius):
    def k(xp, x):
        f = xp.float32
        pi = f(3.14159265359)
        r = f(radius)
        px = pi * x
        with quiet(xp):
            v = r * xp.sin(px) * xp.sin(px / r) / (pi * pi * x * x)
        return xp.where(x > r, f(0), xp.where(x <= f(1e-3), f(1), v))
    return k, float(radius)


def _gaussian(xp, x):
    # TF: std::exp(-x * x / (2.0 * sigma * sigma)) with a double 2.0: double exp, then float
    e = xp.exp((-(x * x)).astype(xp.float64) / 0.5).astype(xp.float32)
    return xp.where(x >= xp.float32(1.5), xp.float32(0), e)


def _box(xp, x):
    f = xp.float32
    return xp.where(x < f(0.5), f(1), xp.where(x == f(0.5), f(0.5), f(0)))


def _triangle(xp, x):
    f = xp.float32
    return xp.where(x < f(1), f(1) - x, f(0))


def _keys(xp, x):
    f = xp.float32
    far = ((f(-0.5) * x + f(2.5)) * x - f(4)) * x + f(2)
    near = ((f(1.5) * x - f(2.5)) * x) * x + f(1)
    return xp.where(x >= f(2), f(0), xp.where(x >= f(1), far, near))


def _mitchell(xp, x):
    f = xp.float32
    far = ((f(-7.0 / 18.0) * x + f(2)) * x - f(10.0 / 3.0)) * x + f(16.0 / 9.0)
    near = ((f(7.0 / 6.0) * x - f(2)) * x) * x + f(8.0 / 9.0)
    return xp.where(x >= f(2), f(0), xp.where(x >= f(1), far, near))


KERNELS = {
    "lanczos1": _lanczos(1), "lanczos3": _lanczos(3), "lanczos5": _lanczos(5),
    "gaussian": (_gaussian, 1.5), "box": (_box, 1.0), "triangle": (_triangle, 1.0),
    "keyscubic": (_keys, 2.0), "mitchellcubic": (_mitchell, 2.0),
}


def _kernel(kernel_type):
    fn = KERNELS.get(kernel_type)
    if fn is None:
        raise invalid(f"Unrecognized kernel type: {kernel_type}")
    return fn


def compute_spans(xp, kernel_type, out_size, in_size, scale, translate, antialias):
    """TF's ComputeSpansCore: (starts int64 `[out]`, float32 weights `[out, span]`)."""
    kernel, radius = _kernel(kernel_type)
    f = xp.float32
    inv_scale = f(1.0 / float(f(scale)))  # `1.0 / scale` in double, stored as float
    inv_translate = f(-inv_scale * f(translate))
    kernel_scale = max(inv_scale, f(1)) if antialias else f(1)
    rk = f(f(radius) * kernel_scale)
    span = min(2 * int(math.ceil(float(rk))) + 1, int(in_size))
    one_over = f(f(1) / kernel_scale)
    sample = (xp.arange(out_size, dtype=xp.float32) + f(0.5)) * inv_scale + inv_translate
    valid = ~((sample < 0) | (sample > f(in_size)))
    start = xp.ceil(sample - rk - f(0.5)).astype(xp.int64)
    end = xp.floor(sample + rk - f(0.5)).astype(xp.int64)
    start = xp.clip(start, 0, in_size - 1)
    end = xp.clip(end, 0, in_size - 1) + 1
    size = end - start
    if bool(xp.any(valid & (size > span))):
        worst = int(xp.max(xp.where(valid, size, 0)))
        raise errors.InternalError(None, None, f"Span is too large: {worst} vs {span}.")
    taps = xp.arange(span)
    src = start[:, None] + taps[None, :]
    inside = valid[:, None] & (taps[None, :] < size[:, None])
    pos = src.astype(xp.float32) + f(0.5) - sample[:, None]
    w = xp.where(inside, kernel(xp, xp.abs(pos * one_over)), f(0)).astype(xp.float32)
    total = xp.zeros(out_size, dtype=xp.float32)
    for k in range(span):  # TF sums the taps one after the other in float32
        total = total + w[:, k]
    ok = valid & (xp.abs(total) >= f(1000 * _FLT_MIN))
    with quiet(xp):
        inv_total = f(1) / total
    w = xp.where(ok[:, None], w * inv_total[:, None], f(0)).astype(xp.float32)
    return xp.where(valid, start, 0), w


def compute_grad_spans(xp, kernel_type, fwd_out, fwd_in, scale, translate, antialias):
    """TF's ComputeGradSpans: the forward spans transposed, per input pixel the outputs
    it feeds from the first to the last (int64 starts `[in]`, float32 weights `[in, span]`)."""
    starts, w = compute_spans(xp, kernel_type, fwd_out, fwd_in, scale, translate, antialias)
    dense = xp.zeros((fwd_in, fwd_out), dtype=xp.float32)
    src = starts[:, None] + xp.arange(w.shape[1])[None, :]
    keep = (w != 0) & (src < fwd_in)
    rows, cols = xp.nonzero(keep)
    dense[src[rows, cols], rows] = w[rows, cols]
    nz = dense != 0
    has = nz.any(axis=1)
    first = xp.where(has, xp.argmax(nz, axis=1), 0)
    last = xp.where(has, fwd_out - 1 - xp.argmax(nz[:, ::-1], axis=1), 0)
    span = int(xp.max(xp.where(has, last - first + 1, 0))) if fwd_in else 0
    idx = first[:, None] + xp.arange(span)[None, :]
    gw = dense[xp.arange(fwd_in)[:, None], xp.clip(idx, 0, fwd_out - 1)]
    gw = xp.where(idx < fwd_out, gw, xp.float32(0)).astype(xp.float32)
    return first, gw


def _gather(xp, x, starts, weights, axis, size):
    """`out[o] = sum_k weights[o, k] * x[starts[o] + k]` along `axis`, k in TF's order."""
    out_n, span = weights.shape
    shape = list(x.shape)
    shape[axis] = out_n
    acc = xp.zeros(shape, dtype=xp.float32)
    bshape = [1] * x.ndim
    bshape[axis] = out_n
    for k in range(span):
        idx = starts + k
        ok = idx < size
        take = xp.take(x, xp.clip(idx, 0, size - 1), axis=axis)
        wk = xp.where(ok, weights[:, k], xp.float32(0)).reshape(bshape)
        acc = acc + xp.where(ok.reshape(bshape), wk * take, xp.float32(0))
    return acc


def _pair(t, what="t"):
    if t.ndim != 1:
        raise invalid(f"{what} must be 1-dimensional{shape_str(t)}")
    if t.size != 2:
        raise invalid(f"{what} must have two elements{shape_str(t)}")
    a, b = (float(v) for v in t.astype("float32").tolist())
    return a, b


def _size_hw_infer(op, index):
    window.check_rank(op, index, 1)
    size = op.inputs[index]
    if size.shape.ndims == 1:
        check_dim(op, size.shape[0], 2)
    hw = shape_fns.constant_shape(size)
    return hw.as_list() if hw.ndims == 2 else [None, None]


def _scale_infer(op):
    shape_fns.check_dtype_in(op, _IMAGE_TYPES)
    check_input_types(op, (None, dtypes.int32, dtypes.float32, dtypes.float32))
    _kernel_attr(op)
    dims = window.check_rank(op, 0, 4)
    h, w = _size_hw_infer(op, 1)
    return [(dtypes.float32, TensorShape([dims[0], h, w, dims[3]]))]


def _scale_grad_infer(op):
    shape_fns.check_dtype_in(op, (dtypes.float32,), 0)
    shape_fns.check_dtype_in(op, (dtypes.float32,), 1)
    check_input_types(op, (None, None, dtypes.float32, dtypes.float32))
    _kernel_attr(op)
    return [(op.inputs[1].dtype, op.inputs[1].shape)]


def _kernel_attr(op):
    kt = op.attrs.get("kernel_type", "lanczos3")
    if not isinstance(kt, str):
        raise TypeError(f"Attr 'kernel_type' of '{op.type}' Op must be a string, got {kt!r}")


def _scale_cost(op):
    n = op.outputs[0].shape.num_elements()
    return EXPENSIVE if n is None else float(n * 8)


@defop("ScaleAndTranslate", infer=_scale_infer, cost=_scale_cost, host_inputs=(1, 2, 3))
def _scale_and_translate(xp, images, size, scale, translation, *, kernel_type="lanczos3",
                         antialias=True):
    _kernel(kernel_type)
    if images.ndim != 4:
        raise invalid(f"input must be 4-dimensional{shape_str(images)}")
    if size.ndim != 1:
        raise invalid(f"output_shape_t must be 1-dimensional{shape_str(size)}")
    if size.size != 2:
        raise invalid(f"output_shape_t must have two elements{shape_str(size)}")
    oh, ow = (int(v) for v in size.tolist())
    n, h, w, c = images.shape
    if oh <= 0 or ow <= 0:
        raise invalid("output dimensions must be positive")
    if c <= 0:
        raise invalid("image must have at least one channel")
    if h <= 0 or w <= 0:
        raise invalid("input image must be of non-zero size")
    sy, sx = _pair(scale)
    if not (sy > 0 and sx > 0):
        raise invalid("Scale must be greater than zero.")
    ty, tx = _pair(translation)
    if n == 0:
        return xp.zeros((0, oh, ow, c), dtype=xp.float32)
    cs, cw = compute_spans(xp, kernel_type, ow, w, sx, tx, antialias)
    rs, rw = compute_spans(xp, kernel_type, oh, h, sy, ty, antialias)
    x = images.astype(xp.float32)
    return _gather(xp, _gather(xp, x, rs, rw, 1, h), cs, cw, 2, w)


@defop("ScaleAndTranslateGrad", infer=_scale_grad_infer, cost=_scale_cost,
       host_inputs=(2, 3))
def _scale_and_translate_grad(xp, grads, original_image, scale, translation, *,
                              kernel_type="lanczos3", antialias=True):
    _kernel(kernel_type)
    if grads.ndim != 4:
        raise invalid(f"input_grad must be 4-dimensional{shape_str(grads)}")
    if original_image.ndim != 4:
        raise invalid(f"original_image must be 4-dimensional{shape_str(original_image)}")
    n, oh, ow, c = grads.shape
    _, h, w, _ = original_image.shape
    sy, sx = _pair(scale)
    if not (sy > 0 and sx > 0):
        raise invalid("Scale must be greater than zero.")
    ty, tx = _pair(translation)
    if grads.size == 0 or h == 0 or w == 0:
        return xp.zeros((n, h, w, c), dtype=original_image.dtype)
    cs, cw = compute_grad_spans(xp, kernel_type, ow, w, sx, tx, antialias)
    rs, rw = compute_grad_spans(xp, kernel_type, oh, h, sy, ty, antialias)
    g = grads.astype(xp.float32)
    out = _gather(xp, _gather(xp, g, rs, rw, 1, oh), cs, cw, 2, ow)
    return out.astype(original_image.dtype)


@_scale_and_translate.gradient
def _scale_and_translate_grad_fn(op, dy):
    images = op.inputs[0]
    if not images.dtype.is_floating:
        return [None, None, None, None]
    attrs = {"kernel_type": op.attrs.get("kernel_type", "lanczos3"),
             "antialias": bool(op.attrs.get("antialias", True))}
    original = images if images.dtype == dtypes.float32 else math_ops.cast(images,
                                                                           dtypes.float32)
    grad = apply_op("ScaleAndTranslateGrad", dy, original, op.inputs[2], op.inputs[3], **attrs)
    if images.dtype != dtypes.float32:
        grad = math_ops.cast(grad, images.dtype)
    return [grad, None, None, None]


no_gradient(_scale_and_translate_grad, "ScaleAndTranslateGrad")


def scale_and_translate(images, size, scale, translation, kernel_type="lanczos3",
                        antialias=True, name=None):
    """Resamples a batch of images by a scale and a translation per axis (op
    ScaleAndTranslate, TF's `tf.raw_ops.ScaleAndTranslate`).

    Output pixel `(y, x)` samples the input at `((y + 0.5 - translation[0]) / scale[0],
    (x + 0.5 - translation[1]) / scale[1])` with `kernel_type`'s kernel, widened by `1 /
    scale` when downscaling with `antialias`; samples outside the image give 0.

    Args:
        images: 4-D `[batch, height, width, channels]`, a real number type.
        size: int32 `[2]`, the output `(height, width)`.
        scale: float32 `[2]`, `(scale_y, scale_x)`, > 0.
        translation: float32 `[2]`, `(translate_y, translate_x)` in output pixels.
        kernel_type: "lanczos1", "lanczos3", "lanczos5", "gaussian", "box", "triangle",
            "keyscubic" or "mitchellcubic".
        antialias: widen the kernel when downscaling.
        name: op name (default "ScaleAndTranslate").

    Returns:
        float32 `[batch, size[0], size[1], channels]`.

    Raises:
        ValueError: at build time, `images` not 4-D or `size` not of 2 elements.
        InvalidArgumentError: at run time, an unknown kernel, a scale <= 0, an empty image or
            non-positive output size.

    Example:
        >>> half = scale_and_translate(images, [16, 16], [0.5, 0.5], [0.0, 0.0],
        ...                            kernel_type="triangle")
    """
    return apply_op("ScaleAndTranslate", convert_to_tensor(images, name="images"),
                    convert_to_tensor(size, dtype=dtypes.int32, name="size"),
                    convert_to_tensor(scale, dtype=dtypes.float32, name="scale"),
                    convert_to_tensor(translation, dtype=dtypes.float32, name="translation"),
                    name=name, kernel_type=str(kernel_type), antialias=bool(antialias))


def resize_with_scale_and_translate(images, size, kernel_type, antialias):
    """TF2 resize_images_v2's `resize_with_scale_and_translate`: scale = new size / old size,
    no translation (images a 4-D Tensor, size an int32 `[2]` Tensor)."""
    scale = (math_ops.cast(size, dtypes.float32) /
             math_ops.cast(array_ops.shape(images)[1:3], dtypes.float32))
    return apply_op("ScaleAndTranslate", images, size, scale,
                    constant([0.0, 0.0], dtype=dtypes.float32), kernel_type=kernel_type,
                    antialias=bool(antialias))


__all__ = ["scale_and_translate"]
