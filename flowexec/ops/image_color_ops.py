"""Colour ops of `tf.image`: AdjustContrastv2, AdjustSaturation, AdjustHue, RGBToHSV and
HSVToRGB, and the TF 1.x composites built on them and on plain math ops (brightness,
contrast, saturation, hue and gamma adjustments and their random variants, grayscale, YIQ,
YUV, `convert_image_dtype`).

Every function follows TF's `image_ops_impl.py` (late TF 1.x, unchanged through 2.x: float16
and float32 images reach the ops unconverted): the same ops in the same order, so values,
static shapes, dtypes and gradients agree with TF's. The dedicated ops redo their TF kernel's
arithmetic step by step (recorded TF outputs match bit for bit):

- RGBToHSV / HSVToRGB (colorspace_op.h) compute in the image dtype: `V = max`, `S = range /
  V` (0 where `V <= 0`), hue from the sector of the channel equal to `V` (red first, then
  green) in [0, 1); HSVToRGB uses the piecewise-linear ramps `clip(|6h - 3| - 1, 0, 1)`, ...
- AdjustSaturation (float32, as its kernel) converts each pixel to HSV as the kernel does
  (the `2/6` and `4/6` offsets added in double, as the C++ promotes them), clamps
  `s * scale` to [0, 1] and converts back by the hue's sector (a hue of exactly 1 falls
  outside the sectors and gives `(v - c)` grey, as TF's `default:` case does).
- AdjustHue works on a (hue in [0, 6), v_min, v_max) triple: it picks the sector by TF's
  comparisons (ties resolved as TF's `r < g`, `b < r`, `b > g` chain), rotates the hue by
  `6 * delta`, wraps it back with repeated `+= 6` / `-= 6` as TF's loop does, and rebuilds
  the middle channel.
- AdjustContrastv2 takes per-channel means over height and width in float32 and returns
  `(x - mean) * factor + mean`.

TF's CPU kernels for AdjustContrastv2, AdjustSaturation and AdjustHue accept float32 only (the
half type is allowed by the op but has a GPU kernel alone); here a half image is computed in
float32 and rounded back, as TF's GPU kernels (and TF 1.x's wrappers, which converted every
image to float32) do. Gradients are TF's: RGBToHSV has TF 2.x's piecewise derivative, built
from graph ops (TF 1.x declared it not differentiable); HSVToRGB is not differentiable
(None); the three
Adjust ops have no gradient and raise LookupError as in TF. Composites (brightness, gamma,
grayscale, YIQ/YUV, convert_image_dtype) are differentiable through their math ops.

Integer images: adjust_* convert to float32 with `convert_image_dtype`, adjust, and convert
back (saturating for brightness, contrast and gamma, as TF). Random variants draw one factor
per call with `random_uniform([], lower, upper, seed=seed)` (flowexec's generator: seeded
results are reproducible but are not TF's numbers).

Kernels receive `xp` and run on numpy or cupy alike; they hold no state.
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.ops import (
    array_ops,
    check_ops,
    composite_math_ops,
    division_ops,
    logging_ops,
    math_ops,
    random_ops,
    shape_fns,
)
from flowexec.ops.constant_op import constant, identity

_ADJUST_TYPES = (dtypes.float16, dtypes.float32)
_COLORSPACE_TYPES = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64)


# ----- shape inference and kernel checks -----------------------------------------------------
def _pixel_cost(flops_per_element):
    def cost(op):
        n = op.outputs[0].shape.num_elements()
        return EXPENSIVE if n is None else float(n * flops_per_element)
    return cost


def _check_rank_at_least(op, index, rank):
    shape = op.inputs[index].shape
    if shape.ndims is not None and shape.ndims < rank:
        raise shape_fns.shape_error(
            op, f"Shape must be at least rank {rank} but is rank {shape.ndims}")


def _check_scalar(op, index):
    shape = op.inputs[index].shape
    if shape.ndims is not None and shape.ndims != 0:
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {shape.ndims}")


def _adjust_infer(check_factor_rank):
    def infer(op):
        dt = shape_fns.check_dtype_in(op, _ADJUST_TYPES)
        shape_fns.check_dtype_in(op, (dtypes.float32,), 1)
        _check_rank_at_least(op, 0, 3)
        if check_factor_rank:  # only AdjustContrastv2's shape function checks the factor
            _check_scalar(op, 1)
        return [(dt, op.inputs[0].shape)]
    return infer


def _colorspace_infer(op):
    dt = shape_fns.check_dtype_in(op, _COLORSPACE_TYPES)
    _check_rank_at_least(op, 0, 1)
    shape = op.inputs[0].shape
    if shape.ndims is not None and shape[-1] is not None and shape[-1] != 3:
        raise shape_fns.shape_error(op, f"Dimension must be 3 but is {shape[-1]}")
    if shape.ndims is not None:  # TF's shape function sets the last dimension to 3
        shape = shape[:-1].concatenate([3])
    return [(dt, shape)]


def _debug_shape(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _check_adjust_inputs(images, factor, factor_name):
    if images.ndim < 3:
        raise _invalid(f"input must be at least 3-D, got shape{_debug_shape(images.shape)}")
    if factor.ndim != 0:
        raise _invalid(f"{factor_name} must be scalar: {_debug_shape(factor.shape)}")


def _check_three_channels(images):
    channels = images.shape[-1]
    if channels != 3:
        raise _invalid(f"input must have 3 channels but instead has {channels} channels.")


def _select(xp, conditions, choices, default):
    """The first choice whose condition holds, else `default` (np.select on any xp)."""
    out = default
    for cond, choice in zip(reversed(conditions), reversed(choices)):
        out = xp.where(cond, choice, out)
    return out


# ----- AdjustContrastv2 ----------------------------------------------------------------------
@defop("AdjustContrastv2", infer=_adjust_infer(True), cost=_pixel_cost(4))
def _adjust_contrastv2(xp, images, contrast_factor):
    _check_adjust_inputs(images, contrast_factor, "contrast_factor")
    if images.size == 0:
        return images.copy()
    x = images.astype(xp.float32)
    flat = x.reshape(-1, x.shape[-3] * x.shape[-2], x.shape[-1])
    mean = flat.mean(axis=1, keepdims=True, dtype=xp.float32)
    factor = xp.float32(contrast_factor)
    out = (flat - mean) * factor + mean
    return out.reshape(images.shape).astype(images.dtype)


@_adjust_contrastv2.gradient
def _adjust_contrastv2_grad(op, dy):
    raise LookupError(
        f"No gradient defined for operation '{op.name}' (op type: AdjustContrastv2)")


# ----- RGBToHSV / HSVToRGB -------------------------------------------------------------------
def _check_colorspace_input(images):
    if images.ndim < 1:
        raise _invalid(f"input must be at least 1D{_debug_shape(images.shape)}")
    if images.shape[-1] != 3:
        raise errors.FailedPreconditionError(
            None, None,
            f"input must have 3 channels but input only has {images.shape[-1]} channels.")


@defop("RGBToHSV", infer=_colorspace_infer, cost=_pixel_cost(12))
def _rgb_to_hsv(xp, images):
    _check_colorspace_input(images)
    dt = images.dtype
    one, zero = xp.asarray(1, dt), xp.asarray(0, dt)
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    v = xp.maximum(xp.maximum(r, g), b)
    rng = v - xp.minimum(xp.minimum(r, g), b)
    s = xp.where(v > zero, rng / xp.where(v > zero, v, one), zero)
    # Where range is 0 TF's norm is inf and its hue NaN, both discarded by the select below.
    norm = (one / xp.where(rng > zero, rng, one)) * (one / xp.asarray(6, dt))
    h = xp.where(r == v, norm * (g - b),
                 xp.where(g == v, norm * (b - r) + xp.asarray(2, dt) / xp.asarray(6, dt),
                          norm * (r - g) + xp.asarray(4, dt) / xp.asarray(6, dt)))
    h = xp.where(rng > zero, h, zero)
    h = xp.where(h < zero, h + one, h)
    return xp.stack([h, s, v], axis=-1).astype(dt)


@defop("HSVToRGB", infer=_colorspace_infer, cost=_pixel_cost(20))
def _hsv_to_rgb(xp, images):
    _check_colorspace_input(images)
    dt = images.dtype
    one, zero = xp.asarray(1, dt), xp.asarray(0, dt)
    two, three, four = xp.asarray(2, dt), xp.asarray(3, dt), xp.asarray(4, dt)
    h, s, v = images[..., 0], images[..., 1], images[..., 2]
    dh = h * xp.asarray(6, dt)
    dr = xp.minimum(xp.maximum(xp.abs(dh - three) - one, zero), one)
    dg = xp.minimum(xp.maximum(two - xp.abs(dh - two), zero), one)
    db = xp.minimum(xp.maximum(two - xp.abs(dh - four), zero), one)
    one_s = one - s
    rgb = [(one_s + s * d) * v for d in (dr, dg, db)]
    return xp.stack(rgb, axis=-1).astype(dt)


_hsv_to_rgb.not_differentiable()


def _recip_no_nan(x):
    return division_ops.div_no_nan(math_ops.cast(1.0, x.dtype), x)


@_rgb_to_hsv.gradient
def _rgb_to_hsv_grad(op, grad):
    """TF 2.x's derivative: value follows the largest channel; saturation is
    `(max - min) / max`; hue the sector's ratio (zero where max <= 0 or the pixel is grey).
    Ties pick the largest channel in the order red, green, blue and the smallest in the order
    blue, green, red, as TF does."""
    images = op.inputs[0]
    dt = images.dtype
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    sat, val = op.outputs[0][..., 1], op.outputs[0][..., 2]

    def mask(cond):
        return math_ops.cast(cond, dt)

    r_max = mask(math_ops.logical_and(r >= b, r >= g))
    g_max = mask(math_ops.logical_and(g > r, g >= b))
    b_max = mask(math_ops.logical_and(b > r, b > g))
    r_min = mask(math_ops.logical_and(r < b, r < g))
    g_min = mask(math_ops.logical_and(g <= r, g < b))
    b_min = mask(math_ops.logical_and(b <= r, b <= g))
    r_pos, g_pos, b_pos = mask(r > 0), mask(g > 0), mask(b > 0)

    # Saturation: d/dmax = min / max^2, d/dmin = -1 / max (each gated on its channel > 0).
    ds_dr = r_pos * (r_max * (g_min * g + b_min * b) * _recip_no_nan(math_ops.square(r))
                     - r_min * _recip_no_nan(g_max * g + b_max * b))
    ds_dg = g_pos * (g_max * (r_min * r + b_min * b) * _recip_no_nan(math_ops.square(g))
                     - g_min * _recip_no_nan(r_max * r + b_max * b))
    ds_db = b_pos * (b_max * (g_min * g + r_min * r) * _recip_no_nan(math_ops.square(b))
                     - b_min * _recip_no_nan(g_max * g + r_max * r))

    # Hue (in turns): the sector's ratio differentiated, the
    # largest channel gated on being > 0; d^2 is (max - min)^2 = (s * v)^2 where the channel
    # itself is the maximum, as TF writes it.
    inv_sv2 = _recip_no_nan(math_ops.square(sat)) * _recip_no_nan(math_ops.square(val))
    dh_dr = (r_pos * r_max * -(g - b) * inv_sv2
             + g_pos * g_max * r_min * (b - g) * _recip_no_nan(math_ops.square(r - g))
             - g_pos * g_max * b_min * _recip_no_nan(g - b)
             + b_pos * b_max * r_min * (b - g) * _recip_no_nan(math_ops.square(b - r))
             + b_pos * b_max * g_min * _recip_no_nan(b - g))
    dh_dg = (g_pos * g_max * -(b - r) * inv_sv2
             + r_pos * r_max * g_min * (r - b) * _recip_no_nan(math_ops.square(r - g))
             + r_pos * r_max * b_min * _recip_no_nan(r - b)
             + b_pos * b_max * g_min * (r - b) * _recip_no_nan(math_ops.square(b - g))
             - b_pos * b_max * r_min * _recip_no_nan(b - r))
    dh_db = (b_pos * b_max * -(r - g) * inv_sv2
             + r_pos * r_max * b_min * (g - r) * _recip_no_nan(math_ops.square(r - b))
             - r_pos * r_max * g_min * _recip_no_nan(r - g)
             + g_pos * g_max * b_min * (g - r) * _recip_no_nan(math_ops.square(g - b))
             + g_pos * g_max * r_min * _recip_no_nan(g - r))
    # Degrees per unit of the sector ratio, then turns: TF's `60 * ... / 360`, in that order.
    dh_dr, dh_dg, dh_db = (60 * d / 360 for d in (dh_dr, dh_dg, dh_db))

    gh, gs, gv = grad[..., 0], grad[..., 1], grad[..., 2]
    d_r = gh * dh_dr + gs * ds_dr + gv * r_max
    d_g = gh * dh_dg + gs * ds_dg + gv * g_max
    d_b = gh * dh_db + gs * ds_db + gv * b_max
    return [array_ops.stack([d_r, d_g, d_b], axis=-1)]


# ----- AdjustSaturation ----------------------------------------------------------------------
def _kernel_rgb_to_hsv(xp, r, g, b):
    """adjust_saturation_op.cc's per-pixel RGB -> HSV, float32 (offsets added in double)."""
    f32, f64 = xp.float32, xp.float64
    vv = xp.maximum(r, xp.maximum(g, b))
    rng = vv - xp.minimum(r, xp.minimum(g, b))
    s = xp.where(vv > 0, rng / xp.where(vv > 0, vv, f32(1)), f32(0)).astype(f32)
    norm = f32(1) / (f32(6) * xp.where(rng > 0, rng, f32(1)))
    hh = _select(xp, [r == vv, g == vv],
                 [norm * (g - b),
                  ((norm * (b - r)).astype(f64) + 2.0 / 6.0).astype(f32)],
                 ((norm * (r - g)).astype(f64) + 4.0 / 6.0).astype(f32))
    hh = xp.where(rng <= 0, f32(0), hh)
    hh = xp.where(hh < 0, hh + f32(1), hh)
    return hh.astype(f32), s, vv


def _kernel_hsv_to_rgb(xp, h, s, v):
    """adjust_saturation_op.cc's per-pixel HSV -> RGB (Wikipedia's sectors), float32."""
    f32 = xp.float32
    c = s * v
    m = v - c
    dh = h * f32(6)
    category = xp.trunc(dh)
    fmodu = xp.fmod(dh, f32(2))  # TF's `+= 2` / `-= 2` loops, exact for dh >= 0
    x = c * (f32(1) - xp.abs(fmodu - f32(1)))
    zero = xp.zeros_like(c)
    sectors = [category == k for k in range(6)]
    rr = _select(xp, sectors, [c, x, zero, zero, x, c], zero)
    gg = _select(xp, sectors, [x, c, c, x, zero, zero], zero)
    bb = _select(xp, sectors, [zero, zero, x, c, c, x], zero)
    return rr + m, gg + m, bb + m


@defop("AdjustSaturation", infer=_adjust_infer(False), cost=_pixel_cost(30))
def _adjust_saturation(xp, images, scale):
    _check_adjust_inputs(images, scale, "scale")
    _check_three_channels(images)
    x = images.astype(xp.float32)
    h, s, v = _kernel_rgb_to_hsv(xp, x[..., 0], x[..., 1], x[..., 2])
    s = xp.minimum(xp.float32(1), xp.maximum(xp.float32(0), s * xp.float32(scale)))
    rgb = _kernel_hsv_to_rgb(xp, h, s, v)
    return xp.stack(rgb, axis=-1).astype(images.dtype)


@_adjust_saturation.gradient
def _adjust_saturation_grad(op, dy):
    raise LookupError(
        f"No gradient defined for operation '{op.name}' (op type: AdjustSaturation)")


# ----- AdjustHue -----------------------------------------------------------------------------
def _rgb_to_hv_range(xp, r, g, b):
    """adjust_hue_op.cc's (hue in [0, 6), v_min, v_max), with its tie-breaking branches."""
    f32 = xp.float32
    r_lt_g, b_lt_r, b_gt_g, b_lt_g, b_gt_r = r < g, b < r, b > g, b < g, b > r
    conds = [r_lt_g & b_lt_r, r_lt_g & b_gt_g, r_lt_g,
             b_lt_g, b_gt_r]  # the else-branch of the last test is category 5
    v_max = _select(xp, conds, [g, b, g, r, b], r)
    v_mid = _select(xp, conds, [r, g, b, g, r], b)
    v_min = _select(xp, conds, [b, r, r, b, g], g)
    category = _select(xp, conds, [f32(1), f32(3), f32(2), f32(0), f32(4)], f32(5))
    category = xp.broadcast_to(category, r.shape).astype(f32)
    spread = v_max - v_min
    ratio = (v_mid - v_min) / xp.where(spread == 0, f32(1), spread)
    odd = xp.fmod(category, f32(2)) == 1
    h = category + xp.where(odd, f32(1) - ratio, ratio)
    h = xp.where(v_max == v_min, f32(0), h).astype(f32)
    return h, v_min, v_max


def _hv_range_to_rgb(xp, h, v_min, v_max):
    f32 = xp.float32
    category = xp.trunc(h)
    ratio = h - category
    odd = xp.fmod(category, f32(2)) == 1
    ratio = xp.where(odd, f32(1) - ratio, ratio)
    v_mid = v_min + ratio * (v_max - v_min)
    sectors = [category == k for k in range(5)]  # anything else is TF's case 5 / default
    r = _select(xp, sectors, [v_max, v_mid, v_min, v_min, v_mid], v_max)
    g = _select(xp, sectors, [v_mid, v_max, v_max, v_mid, v_min], v_min)
    b = _select(xp, sectors, [v_min, v_min, v_mid, v_max, v_max], v_mid)
    return r, g, b


@defop("AdjustHue", infer=_adjust_infer(False), cost=_pixel_cost(30))
def _adjust_hue(xp, images, delta):
    _check_adjust_inputs(images, delta, "delta")
    _check_three_channels(images)
    x = images.astype(xp.float32)
    h, v_min, v_max = _rgb_to_hv_range(xp, x[..., 0], x[..., 1], x[..., 2])
    h = h + xp.float32(delta) * xp.float32(6)
    six = xp.float32(6)
    # TF wraps with `while (h < 0) h += 6; while (h >= 6) h -= 6;`, not fmod: keep its roundings.
    # (A non-finite hue, which would spin TF's loop forever, is left as it is.)
    finite = xp.isfinite(h)
    while bool(((h < 0) & finite).any()):
        h = xp.where((h < 0) & finite, h + six, h)
    while bool(((h >= six) & finite).any()):
        h = xp.where((h >= six) & finite, h - six, h)
    rgb = _hv_range_to_rgb(xp, h, v_min, v_max)
    return xp.stack(rgb, axis=-1).astype(images.dtype)


@_adjust_hue.gradient
def _adjust_hue_grad(op, dy):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: AdjustHue)")


# ----- convert_image_dtype -------------------------------------------------------------------
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Converts `image` to `dtype`, scaling its values (TF's `tf.image.convert_image_dtype`).

    Floating images are taken to be in [0, 1), integer images in [0, MAX] of their type.
    Integer to float multiplies by `1 / MAX_in`; float to integer multiplies by
    `MAX_out + 0.5` and casts (truncating); integer to integer floor-divides by
    `(MAX_in + 1) // (MAX_out + 1)` when narrowing, or casts then multiplies by
    `(MAX_out + 1) // (MAX_in + 1)` when widening; float to float only casts.

    Args:
        image: a Tensor (or value) of a floating or integer dtype.
        dtype: the target DType.
        saturate: clip to the target range before a cast that could overflow (float to
            integer, or signed to unsigned); no effect otherwise.
        name: name scope (default "convert_image").

    Returns:
        `image` converted to `dtype` (an Identity when the dtype already matches).

    Raises:
        AttributeError: `dtype` or the image's dtype is neither floating nor integer.

    Example:
        >>> convert_image_dtype(tf.constant([[[0, 255]]], tf.uint8), tf.float32)  # [[[0, 1]]]
    """
    image = convert_to_tensor(image, name="image")
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating and not dtype.is_integer:
        raise AttributeError("dtype must be either floating point or integer")
    if not image.dtype.is_floating and not image.dtype.is_integer:
        raise AttributeError("image dtype must be either floating point or integer")
    if dtype == image.dtype:
        return identity(image, name=name)
    cast = composite_math_ops.saturate_cast if saturate else math_ops.cast
    with name_scope(name, "convert_image", [image]) as scope:
        if image.dtype.is_integer and dtype.is_integer:
            scale_in, scale_out = int(image.dtype.max), int(dtype.max)
            if scale_in > scale_out:
                # Narrowing: divide first; in.max lands in [out.max, out.max + 1).
                scaled = math_ops.floordiv(image, (scale_in + 1) // (scale_out + 1))
                return cast(scaled, dtype, name=scope)
            # Widening: cast first; back and forth gives the input again.
            return math_ops.multiply(cast(image, dtype), (scale_out + 1) // (scale_in + 1),
                                     name=scope)
        if image.dtype.is_floating and dtype.is_floating:
            return math_ops.cast(image, dtype, name=scope)
        if image.dtype.is_integer:
            return math_ops.multiply(math_ops.cast(image, dtype), 1.0 / image.dtype.max,
                                     name=scope)
        # + 0.5 so that 1.0 maps to MAX after the truncating cast.
        scaled = math_ops.multiply(image, float(dtype.max) + 0.5)
        return cast(scaled, dtype, name=scope)


def _to_float(image):
    """(float image, original dtype): float16/float32 pass through, others go to float32."""
    if image.dtype in (dtypes.float16, dtypes.float32):
        return image, image.dtype
    return convert_image_dtype(image, dtypes.float32), image.dtype


# ----- brightness, contrast, gamma -----------------------------------------------------------
def adjust_brightness(image, delta):
    """Adds `delta` to every component of an RGB or grayscale image.

    Integer images are converted to float32 in [0, 1] first and back (saturating) after, so
    `delta` is on the [0, 1) scale.

    Args:
        image: the image(s) to adjust.
        delta: a scalar added to the pixel values.

    Returns:
        A Tensor of the shape and dtype of `image`.

    Example:
        >>> brighter = adjust_brightness(image, 0.1)
    """
    with name_scope(None, "adjust_brightness", [image, delta]) as scope:
        image = convert_to_tensor(image, name="image")
        flt_image, orig_dtype = _to_float(image)
        adjusted = math_ops.add(flt_image, math_ops.cast(delta, flt_image.dtype), name=scope)
        return convert_image_dtype(adjusted, orig_dtype, saturate=True)


def random_brightness(image, max_delta, seed=None):
    """`adjust_brightness` by a delta drawn uniformly from `[-max_delta, max_delta)`.

    Args:
        image: the image(s) to adjust.
        max_delta: a non-negative float.
        seed: op-level seed (see `set_random_seed`).

    Returns:
        The brightness-adjusted image(s).

    Raises:
        ValueError: `max_delta` is negative.

    Example:
        >>> augmented = random_brightness(image, 0.2, seed=1)
    """
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_brightness(image, delta)


def adjust_contrast(images, contrast_factor):
    """Adjusts the contrast of each channel of each image: `(x - mean) * contrast_factor +
    mean`, the mean taken over height and width (op AdjustContrastv2).

    Args:
        images: at least 3-D, `[..., height, width, channels]`.
        contrast_factor: a float (or float32 scalar Tensor) multiplier.

    Returns:
        The contrast-adjusted images, of the shape and dtype of `images` (integer images
        are converted to float32 and back, saturating).

    Raises:
        ValueError: `images` of rank below 3 or a non-scalar factor (at build time).

    Example:
        >>> flat = adjust_contrast(images, 0.5)
    """
    with name_scope(None, "adjust_contrast", [images, contrast_factor]) as scope:
        images = convert_to_tensor(images, name="images")
        flt_images, orig_dtype = _to_float(images)
        factor = convert_to_tensor(contrast_factor, dtype=dtypes.float32,
                                   name="contrast_factor")
        adjusted = apply_op("AdjustContrastv2", flt_images, factor, name=scope)
        return convert_image_dtype(adjusted, orig_dtype, saturate=True)


def _random_factor(lower, upper, seed):
    """A factor drawn uniformly from `[lower, upper)`, with TF's checks of the bounds."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return random_ops.random_uniform([], lower, upper, seed=seed)


def random_contrast(image, lower, upper, seed=None):
    """`adjust_contrast` by a factor drawn uniformly from `[lower, upper)`.

    Args:
        image: at least 3-D image(s).
        lower: float, non-negative lower bound.
        upper: float upper bound, above `lower`.
        seed: op-level seed.

    Returns:
        The contrast-adjusted image(s).

    Raises:
        ValueError: `upper <= lower` or `lower < 0`.

    Example:
        >>> augmented = random_contrast(image, 0.5, 1.5, seed=3)
    """
    return adjust_contrast(image, _random_factor(lower, upper, seed))


def adjust_gamma(image, gamma=1, gain=1):
    """Gamma correction: `gain * image ** gamma`, computed in float (integer images go to
    float32 and back, saturating).

    Args:
        image: the image(s) to adjust.
        gamma: a non-negative scalar or Tensor (a Tensor is checked when the graph runs).
        gain: a scalar or Tensor multiplier.

    Returns:
        A Tensor of the shape and dtype of `image`.

    Raises:
        ValueError: a Python `gamma` below 0 (InvalidArgumentError at run time for a
            Tensor).

    Example:
        >>> darker = adjust_gamma(image, gamma=2.0)
    """
    with name_scope(None, "adjust_gamma", [image, gamma, gain]):
        image = convert_to_tensor(image, name="image")
        flt_image, orig_dtype = _to_float(image)
        message = "Gamma should be a non-negative real number."
        non_negative = gamma >= 0  # a Tensor for a Tensor or Variable gamma: checked when run
        if isinstance(non_negative, Tensor):
            check = logging_ops.Assert(non_negative, [message])
            with control_dependencies([check]):
                gamma = identity(gamma)
        elif not non_negative:
            raise ValueError(message)
        adjusted = gain * flt_image ** gamma
        return convert_image_dtype(adjusted, orig_dtype, saturate=True)


# ----- saturation, hue, HSV ------------------------------------------------------------------
def _adjust_in_float(op_type, image, value, value_name, scope_name):
    """`op_type` (AdjustSaturation, AdjustHue) on `image` in float32, by the float scalar
    `value`, and back to the image's dtype without saturation, as TF's wrappers do."""
    with name_scope(None, scope_name, [image]):
        image = convert_to_tensor(image, name="image")
        flt_image, orig_dtype = _to_float(image)
        value = convert_to_tensor(value, dtype=dtypes.float32, name=value_name)
        return convert_image_dtype(apply_op(op_type, flt_image, value), orig_dtype)


def adjust_saturation(image, saturation_factor, name=None):
    """Multiplies the saturation (HSV's S, clipped to [0, 1]) of RGB images by
    `saturation_factor` (op AdjustSaturation).

    Args:
        image: RGB image(s), at least 3-D, last dimension 3.
        saturation_factor: a float factor.
        name: name scope (default "adjust_saturation").

    Returns:
        Image(s) of the shape and dtype of `image` (integer images round-trip through
        float32, without saturation, as TF).

    Raises:
        ValueError: rank below 3 (build time); InvalidArgumentError when run: not 3
            channels, or a non-scalar factor.

    Example:
        >>> grey = adjust_saturation(image, 0.0)
    """
    return _adjust_in_float("AdjustSaturation", image, saturation_factor, "scale",
                            name or "adjust_saturation")


def random_saturation(image, lower, upper, seed=None):
    """`adjust_saturation` by a factor drawn uniformly from `[lower, upper)`.

    Raises:
        ValueError: `upper <= lower` or `lower < 0`.

    Example:
        >>> augmented = random_saturation(image, 0.5, 1.5, seed=2)
    """
    return adjust_saturation(image, _random_factor(lower, upper, seed))


def adjust_hue(image, delta, name=None):
    """Rotates the hue of RGB images by `delta` turns (op AdjustHue); `delta` is meant to be
    in [-1, 1] (graph mode does not check it, as TF).

    Args:
        image: RGB image(s), at least 3-D, last dimension 3.
        delta: a float added to the hue (1.0 is a full turn).
        name: name scope (default "adjust_hue").

    Returns:
        Image(s) of the shape and dtype of `image` (integer images round-trip through
        float32, without saturation, as TF).

    Raises:
        ValueError: rank below 3 (build time); InvalidArgumentError when run: not 3
            channels, or a non-scalar delta.

    Example:
        >>> shifted = adjust_hue(image, 0.25)
    """
    return _adjust_in_float("AdjustHue", image, delta, "delta", name or "adjust_hue")


def random_hue(image, max_delta, seed=None):
    """`adjust_hue` by a delta drawn uniformly from `[-max_delta, max_delta)`.

    Raises:
        ValueError: `max_delta` above 0.5 or negative.

    Example:
        >>> augmented = random_hue(image, 0.1, seed=4)
    """
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = random_ops.random_uniform([], -max_delta, max_delta, seed=seed)
    return adjust_hue(image, delta)


def rgb_to_hsv(images, name=None):
    """Converts RGB images to HSV (op RGBToHSV): hue and saturation in [0, 1], value the
    largest channel. Only defined for RGB values in [0, 1].

    Args:
        images: a float Tensor (half, bfloat16, float32, float64), last dimension 3.
        name: op name (default "RGBToHSV").

    Returns:
        A Tensor like `images`.

    Example:
        >>> hsv = rgb_to_hsv(tf.constant([[1.0, 0.0, 0.0]]))  # [[0, 1, 1]]
    """
    images = convert_to_tensor(images, name="images")
    return apply_op("RGBToHSV", images, name=name)


def hsv_to_rgb(images, name=None):
    """Converts HSV images (all components in [0, 1]) to RGB (op HSVToRGB, not
    differentiable, as TF).

    Args:
        images: a float Tensor, last dimension 3.
        name: op name (default "HSVToRGB").

    Returns:
        A Tensor like `images`.

    Example:
        >>> rgb = hsv_to_rgb(tf.constant([[0.0, 1.0, 1.0]]))  # [[1, 0, 0]]
    """
    images = convert_to_tensor(images, name="images")
    return apply_op("HSVToRGB", images, name=name)


# ----- grayscale, YIQ, YUV -------------------------------------------------------------------
_GRAY_WEIGHTS = [0.2989, 0.5870, 0.1140]


def rgb_to_grayscale(images, name=None):
    """Converts RGB images to grayscale: the luma `0.2989 R + 0.5870 G + 0.1140 B`, computed
    in float32, keeping the dtype and rank (last dimension 1).

    Args:
        images: RGB values, last dimension 3.
        name: name scope (default "rgb_to_grayscale").

    Returns:
        A Tensor of the dtype of `images`, last dimension 1.

    Example:
        >>> gray = rgb_to_grayscale(images)  # [..., 1]
    """
    with name_scope(name, "rgb_to_grayscale", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        orig_dtype = images.dtype
        flt_image = convert_image_dtype(images, dtypes.float32)
        weights = constant(_GRAY_WEIGHTS, dtype=dtypes.float32)
        if flt_image.shape.ndims is not None:
            gray = math_ops.tensordot(flt_image, weights, [-1, -1])
        else:  # TF's tensordot on an unknown rank: a [-1, 3] x [3] product, reshaped
            flat = math_ops.matmul(array_ops.reshape(flt_image, [-1, 3]),
                                   array_ops.reshape(weights, [3, 1]))
            gray = array_ops.reshape(flat, array_ops.shape(flt_image)[:-1])
        gray = array_ops.expand_dims(gray, -1)
        return convert_image_dtype(gray, orig_dtype, name=scope)


def _grayscale_checks(images):
    """TF's _CheckGrayscaleImage: static checks, or asserts when the shape is not known."""
    shape = images.shape
    try:
        shape = shape.with_rank(2) if shape.ndims is None else shape.with_rank_at_least(2)
    except ValueError:
        raise ValueError(f"A grayscale image (shape {images.shape}) must be at least "
                         f"two-dimensional.") from None
    if shape.is_fully_defined():
        if shape[-1] != 1:
            raise ValueError("Last dimension of a grayscale image should be size 1.")
        return []
    # TF asserts rank >= 3 here while its message says two-dimensional; kept as TF has it.
    return [check_ops.assert_equal(array_ops.shape(images)[-1], 1,
                                   message="Last dimension of a grayscale image should be "
                                           "size 1."),
            check_ops.assert_greater_equal(array_ops.rank(images), 3,
                                           message="A grayscale image must be at least "
                                                   "two-dimensional.")]


def grayscale_to_rgb(images, name=None):
    """Repeats the single channel of grayscale images three times.

    Args:
        images: a Tensor whose last dimension is 1 (rank >= 2).
        name: name scope (default "grayscale_to_rgb").

    Returns:
        A Tensor of the dtype of `images`, last dimension 3.

    Raises:
        ValueError: a static last dimension other than 1, or rank below 2.

    Example:
        >>> rgb = grayscale_to_rgb(gray)
    """
    with name_scope(name, "grayscale_to_rgb", [images]) as scope:
        images = convert_to_tensor(images, name="images")
        checks = _grayscale_checks(images)
        if checks:
            with control_dependencies(checks):
                images = identity(images)
        rank_1 = array_ops.expand_dims(array_ops.rank(images) - 1, 0)
        multiples = array_ops.concat(
            [array_ops.ones(rank_1, dtype=dtypes.int32),
             constant([3], dtype=dtypes.int32)], 0)
        rgb = array_ops.tile(images, multiples, name=scope)
        if images.shape.ndims is not None:
            rgb.set_shape(images.shape[:-1].concatenate([3]))
        return rgb


def _linear_colour(images, kernel):
    images = convert_to_tensor(images, name="images")
    kernel = constant(kernel, dtype=images.dtype, name="kernel")
    if images.shape.ndims is None:
        raise ValueError("tensordot needs inputs of known rank")
    return math_ops.tensordot(images, kernel, axes=[[images.shape.ndims - 1], [0]])


_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115],
               [0.587, -0.27455667, -0.52273617],
               [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
               [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538],
               [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185],
               [1.13988303, -0.58062185, 0]]


def rgb_to_yiq(images):
    """Converts RGB images (values in [0, 1]) to YIQ: `images @ M` over the last axis.

    Args:
        images: a float Tensor of known rank, last dimension 3.

    Returns:
        A Tensor like `images`.

    Example:
        >>> yiq = rgb_to_yiq(tf.constant([[1.0, 2.0, 3.0]]))
    """
    return _linear_colour(images, _RGB_TO_YIQ)


def yiq_to_rgb(images):
    """Converts YIQ images to RGB (the inverse of `rgb_to_yiq`).

    Example:
        >>> rgb = yiq_to_rgb(rgb_to_yiq(images))
    """
    return _linear_colour(images, _YIQ_TO_RGB)


def rgb_to_yuv(images):
    """Converts RGB images (values in [0, 1]) to YUV: `images @ M` over the last axis.

    Example:
        >>> yuv = rgb_to_yuv(images)
    """
    return _linear_colour(images, _RGB_TO_YUV)


def yuv_to_rgb(images):
    """Converts YUV images (Y in [0, 1], U and V in [-0.5, 0.5]) to RGB.

    Example:
        >>> rgb = yuv_to_rgb(rgb_to_yuv(images))
    """
    return _linear_colour(images, _YUV_TO_RGB)


__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_saturation",
    "convert_image_dtype",
    "grayscale_to_rgb",
    "hsv_to_rgb",
    "random_brightness",
    "random_contrast",
    "random_hue",
    "random_saturation",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "rgb_to_yiq",
    "rgb_to_yuv",
    "yiq_to_rgb",
    "yuv_to_rgb",
]
