"""Glimpses of `tf.image`: ExtractGlimpse (TF1's `extract_glimpse`) and ExtractGlimpseV2
(TF2's), TF's Eigen `ExtractGlimpses` step for step.

For image `i` the offset `(y, x)` is turned into the top-left corner of the window in float32:

- ExtractGlimpse (version 1): `x *= width` if `normalized`; `x = x / 2 + width / 2` if
  `centered`; then always `x -= glimpse_width / 2` (so a pixel offset names the window's
  centre whatever `normalized` is);
- ExtractGlimpseV2: with `normalized` and `centered`, as version 1; `normalized` alone only
  scales; `centered` alone only adds `width / 2`; neither: the offset is the corner.

The corner is truncated toward zero (C++ `(int64) x`, so -0.5 gives 0). Where the window
leaves the image (or touches its bottom/right edge, TF's `>=`), it is first filled with noise,
then the part inside the image is copied over it: "uniform" draws `min + U[0, 1) * (max -
min)` with min/max over the whole image (all channels); "gaussian" draws `mean + N(0, 1) *
std` per channel, clipped to that channel's [min, max]; "zero" fills 0. As TF's kernel, a
non-empty `noise` attr wins over `uniform_noise` (ExtractGlimpse's default `noise="uniform"`
makes `uniform_noise=False` still draw uniform noise, as TF 2.x does); `uniform_noise=True`
with a noise other than "uniform" is an error. The noise comes from a fresh OS-seeded
generator on each run (TF's is unseeded too); the ops are not stateful, as TF's. Like TF,
ExtractGlimpse is not differentiable and ExtractGlimpseV2 has no gradient (LookupError).
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns, window
from flowexec.ops.image_checks import check_dim, invalid, merge_dim, no_gradient, shape_str

_NOISES = ("uniform", "gaussian", "zero")


def check_input_types(op, types):
    """TF's TypeError for an input of a fixed-type argument given another dtype."""
    for i, (t, want) in enumerate(zip(op.inputs, types)):
        if want is not None and t.dtype != want:
            name = op.op_def.input_names[i]
            raise TypeError(f"Input '{name}' of '{op.type}' Op has type {t.dtype.name} that "
                            f"does not match expected type of {want.name}.")


def _glimpse_infer(op):
    check_input_types(op, (dtypes.float32, dtypes.int32, dtypes.float32))
    image = window.check_rank(op, 0, 4)
    window.check_rank(op, 1, 1)
    offsets = window.check_rank(op, 2, 2)
    batch = merge_dim(op, image[0], offsets[0])
    check_dim(op, offsets[1], 2)
    size = op.inputs[1]
    if size.shape.ndims == 1:
        check_dim(op, size.shape[0], 2)
    if op.attrs.get("uniform_noise", True) and op.attrs.get("noise", "uniform") not in (
            "", "uniform"):
        raise shape_fns.shape_error(
            op, "The uniform_noise should not be True when noise is not uniform")
    hw = shape_fns.constant_shape(size)
    hw = hw.as_list() if hw.ndims == 2 else [None, None]
    return [(dtypes.float32, TensorShape([batch, hw[0], hw[1], image[3]]))]


def _glimpse_cost(op):
    n = op.outputs[0].shape.num_elements()
    return EXPENSIVE if n is None else float(n)


def _noise_mode(uniform_noise, noise):
    if uniform_noise and noise not in ("", "uniform"):
        raise invalid("The uniform_noise and noise could not be specified at the same time")
    if not noise:
        return "uniform" if uniform_noise else "gaussian"
    if noise not in _NOISES:
        raise invalid(f"The noise could only be uniform, gaussian, or zero, got{noise}")
    return noise


def _corner(xp, offset, in_size, size, normalized, centered, version):
    """The window's first row (or column) in the image, TF's float32 arithmetic."""
    f32 = xp.float32
    v, n, s = f32(offset), f32(in_size), f32(size)
    two = f32(2)
    if version == 1 or normalized:
        if normalized:
            v = f32(v * n)
        if centered:
            v = f32(f32(v / two) + f32(n / two))
        if version == 1 or centered:
            v = f32(v - f32(s / two))
    elif centered:
        v = f32(v + f32(n / two))
    return int(v)  # C++ cast: truncation toward zero


def _span(corner, size, in_size):
    """(source start, destination start, length, partial) along one axis, as Eigen."""
    src, dst, extent, partial = corner, 0, size, False
    if corner < 0:
        src = 0
        extent = max(0, size + corner)
        dst = size - extent
        partial = True
    elif corner + size >= in_size:
        extent = max(0, in_size - corner)
        partial = True
    return src, dst, extent, min(in_size, extent), partial


def _fill(xp, gen, image, shape, mode):
    """Noise of one image's glimpse `shape` (h, w, c), TF's per-mode statistics."""
    if mode == "zero" or image.size == 0:
        return xp.zeros(shape, dtype=xp.float32)
    if mode == "uniform":
        lo = image.min()
        rng = (image.max() - lo).astype(xp.float32)
        return (lo + gen.random(shape, dtype=xp.float32) * rng).astype(xp.float32)
    flat = image.reshape(-1, image.shape[-1])
    mean = flat.mean(axis=0, dtype=xp.float32)
    sigma = xp.sqrt(((flat - mean) ** 2).mean(axis=0, dtype=xp.float32))
    noise = mean + gen.standard_normal(shape, dtype=xp.float32) * sigma
    return xp.maximum(xp.minimum(noise, flat.max(axis=0)), flat.min(axis=0)).astype(xp.float32)


def _glimpse(xp, input, size, offsets, centered, normalized, uniform_noise, noise, version):
    mode = _noise_mode(uniform_noise, noise)
    if input.ndim != 4:
        raise invalid("input must be 4-dimensional (batch_size, height, width, depth)"
                      f"{shape_str(input)}")
    if size.ndim != 1 or size.shape[0] != 2:
        raise invalid(f"input must be a vector of size 2 (height, width){shape_str(size)}")
    gh, gw = (int(v) for v in size.tolist())
    for d in (gh, gw):
        if d < 0:
            raise invalid(f"Expected a non-negative size, got {d}")
    if offsets.ndim != 2:
        raise invalid(f"input must be a matrix{shape_str(offsets)}")
    batch, h, w, c = input.shape
    if offsets.shape[0] != batch:
        raise invalid(f"first dimension should be batch{shape_str(offsets)}")
    if offsets.shape[1] != 2:
        raise invalid(f"second dimension should be of size 2 (y,x){shape_str(offsets)}")
    out = xp.zeros((batch, gh, gw, c), dtype=xp.float32)
    if out.size == 0:
        return out
    gen = None
    host = [[float(v) for v in row] for row in offsets.astype(xp.float32).tolist()]
    for i, (oy, ox) in enumerate(host):
        y = _corner(xp, oy, h, gh, normalized, centered, version)
        x = _corner(xp, ox, w, gw, normalized, centered, version)
        sy, dy, gy, ey, py = _span(y, gh, h)
        sx, dx, gx, ex, px = _span(x, gw, w)
        if py or px:
            if gen is None:
                gen = xp.random.default_rng()
            out[i] = _fill(xp, gen, input[i], (gh, gw, c), mode)
            if gy == 0 or gx == 0:
                continue
        out[i, dy:dy + ey, dx:dx + ex] = input[i, sy:sy + ey, sx:sx + ex]
    return out


@defop("ExtractGlimpse", infer=_glimpse_infer, cost=_glimpse_cost)
def _extract_glimpse(xp, input, size, offsets, *, centered=True, normalized=True,
                     uniform_noise=True, noise="uniform"):
    return _glimpse(xp, input, size, offsets, centered, normalized, uniform_noise, noise, 1)


@defop("ExtractGlimpseV2", infer=_glimpse_infer, cost=_glimpse_cost)
def _extract_glimpse_v2(xp, input, size, offsets, *, centered=True, normalized=True,
                        uniform_noise=True, noise="uniform"):
    return _glimpse(xp, input, size, offsets, centered, normalized, uniform_noise, noise, 2)


_extract_glimpse.not_differentiable()  # TF: ops.NotDifferentiable("ExtractGlimpse")
no_gradient(_extract_glimpse_v2, "ExtractGlimpseV2")


def _inputs(input, size, offsets):
    return (convert_to_tensor(input, dtype=dtypes.float32, name="input"),
            convert_to_tensor(size, dtype=dtypes.int32, name="size"),
            convert_to_tensor(offsets, dtype=dtypes.float32, name="offsets"))


def extract_glimpse(input, size, offsets, centered=True, normalized=True, uniform_noise=True,
                    name=None):
    """Extracts a glimpse (a window) of each image of a batch, TF 1.x's
    `tf.image.extract_glimpse` (op ExtractGlimpse).

    The offset of each image is the centre of its window: in pixels, or in [0, 1] of the
    image with `normalized`, or from the image centre (in [-1, 1] with `normalized`) with
    `centered`. Window pixels outside the image are noise (see the module docstring: TF's
    op keeps its `noise="uniform"` default, so uniform noise fills them either way).

    Args:
        input: float32 `[batch, height, width, channels]`.
        size: int32 `[2]`, the glimpse's `(height, width)`.
        offsets: float32 `[batch, 2]`, `(y, x)` per image.
        centered: offsets are relative to the image centre.
        normalized: offsets are fractions of the image size.
        uniform_noise: fill outside pixels with uniform noise (TF's Gaussian otherwise, but
            see above).
        name: op name (default "ExtractGlimpse").

    Returns:
        float32 `[batch, size[0], size[1], channels]`.

    Raises:
        ValueError: at build time, shapes of the wrong rank, or batch sizes that differ.
        InvalidArgumentError: at run time, the same checks on run-time shapes, or a negative
            size.

    Example:
        >>> g = extract_glimpse(images, [8, 8], [[0.0, 0.0]] * batch)  # centre crops
    """
    return apply_op("ExtractGlimpse", *_inputs(input, size, offsets), name=name,
                    centered=bool(centered), normalized=bool(normalized),
                    uniform_noise=bool(uniform_noise), noise="uniform")


def extract_glimpse_v2(input, size, offsets, centered=True, normalized=True, noise="uniform",
                       name=None):
    """TF2's `tf.image.extract_glimpse` (op ExtractGlimpseV2): as `extract_glimpse`, with
    TF2's offset convention (an unnormalized, uncentered offset is the window's top-left
    corner) and a choice of fill.

    Args:
        input: float32 `[batch, height, width, channels]`.
        size: int32 `[2]`, the glimpse's `(height, width)`.
        offsets: float32 `[batch, 2]`, `(y, x)` per image.
        centered: offsets are relative to the image centre.
        normalized: offsets are fractions of the image size.
        noise: "uniform", "gaussian" or "zero": how pixels outside the image are filled.
        name: op name (default "ExtractGlimpseV2").

    Returns:
        float32 `[batch, size[0], size[1], channels]`.

    Raises:
        ValueError: at build time, as `extract_glimpse`.
        InvalidArgumentError: at run time, as `extract_glimpse`, or an unknown `noise`.

    Example:
        >>> g = extract_glimpse_v2(images, [3, 3], [[0.0, 0.0]], centered=False,
        ...                        normalized=False, noise="zero")  # top-left 3x3
    """
    return apply_op("ExtractGlimpseV2", *_inputs(input, size, offsets), name=name,
                    centered=bool(centered), normalized=bool(normalized),
                    uniform_noise=False, noise=str(noise))


__all__ = ["extract_glimpse", "extract_glimpse_v2"]
