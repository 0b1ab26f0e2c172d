"""The geometry and image-quality functions of `tf.image`, as TF 1.x builds them: crops and
pads to bounding boxes, central crops, crop-or-pad and aspect-preserving resize-and-pad,
90-degree rotations and transposes, and total variation, finite-difference and Sobel image
gradients, PSNR, SSIM and MS-SSIM.

Every function is a composition of existing graph ops (Slice, Pad, MirrorPad, Reverse,
Transpose, Select, If, DepthwiseConv2dNative, AvgPool, reductions), in the order TF composes
them, so values, static shapes (None where TF leaves a dimension unknown) and gradients
follow from those ops. There are no new ops and no state. One departure: rot90 picks the
rotation with one If and a Select where TF nests three Ifs (`tf.case`), because flowexec's
If gradient fails through nested untaken branches; values, static shapes and gradients are
TF's.

Checks follow TF's `_assert`: a condition Python can decide (static dimensions, Python or
numpy ints) raises a ValueError at graph-build time with TF's message; a condition on a
Tensor (a dynamic dimension, a Tensor offset) becomes an `Assert` op that the result depends
on, failing at run time with "assertion failed: [<TF's message>]". The bounding-box
functions take an image of unknown rank to be one 3-D image, as TF does; rot90 and
transpose_image handle 3-D and 4-D values of unknown rank.

Graph construction is not thread-safe (as for every op builder); running the built graphs is.
"""

import numbers

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, cond as cond_ops, conv_ops, logging_ops, math_ops
from flowexec.ops import nn_ops, pooling_ops, shape_fns
from flowexec.ops.constant_op import constant, identity
from flowexec.ops.image_color_ops import convert_image_dtype
from flowexec.ops.image_ops import ResizeMethod
from flowexec.ops.image_scale_ops import resize_with_scale_and_translate

_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


# ----- checks, as TF's image_ops_impl helpers ------------------------------------------------
def _is_tensor(x):
    """True for graph values (Tensors, Variables: decided at run time); Python and numpy
    numbers and bools are static, as in TF."""
    if isinstance(x, Tensor):
        return True
    return not isinstance(x, (numbers.Number, np.number, np.bool_, np.ndarray))


def _assert(cond, ex_type, msg):
    """[] after a passing Python check (raises `ex_type(msg)` if it fails); [Assert op] for a
    Tensor condition."""
    if _is_tensor(cond):
        return [logging_ops.Assert(cond, [msg])]
    if not cond:
        raise ex_type(msg)
    return []


def _with_dependencies(ops, t):
    if not ops:
        return t
    with control_dependencies(ops):
        return identity(t)


def _image_dims(image, rank):
    """Each dimension of `image`: an int where static, else a scalar int32 Tensor."""
    if image.shape.is_fully_defined():
        return image.shape.as_list()
    static = image.shape.with_rank(rank).as_list()
    dynamic = array_ops.unstack(array_ops.shape(image), rank)
    return [s if s is not None else d for s, d in zip(static, dynamic)]


def _check_at_least_3d(image, require_static=True):
    """TF's _CheckAtLeast3DImage: static errors raised, dynamic checks returned as ops."""
    shape = image.shape
    try:
        shape = shape.with_rank(3) if shape.ndims is None else shape.with_rank_at_least(3)
    except ValueError:
        raise ValueError(f"'image' (shape {image.shape}) must be at least "
                         "three-dimensional.") from None
    if require_static and not shape.is_fully_defined():
        raise ValueError("'image' must be fully defined.")
    if any(d == 0 for d in shape[-3:].as_list()):
        raise ValueError(f"inner 3 dims of 'image.shape' must be > 0: {shape}")
    if shape[-3:].is_fully_defined():
        return []
    return [
        logging_ops.Assert(
            math_ops.reduce_all(math_ops.greater(array_ops.shape(image)[-3:], 0)),
            ["inner 3 dims of 'image.shape' must be > 0."]),
        logging_ops.Assert(math_ops.greater_equal(array_ops.rank(image), 3),
                           ["'image' must be at least three-dimensional."]),
    ]


def _as_batch(image):
    """(4-D image, whether `image` was a batch): a 3-D image or one of unknown rank gets a
    batch dimension of 1, as TF's bounding-box functions do."""
    shape = image.shape
    if shape.ndims == 3:
        return array_ops.expand_dims(image, 0), False
    if shape.ndims is None:
        image = array_ops.expand_dims(image, 0)
        image.set_shape([None] * 4)
        return image, False
    if shape.ndims != 4:
        raise ValueError(f"'image' (shape {shape}) must have either 3 or 4 dimensions.")
    return image, True


def _unbatch(image, is_batch):
    return image if is_batch else array_ops.squeeze(image, axis=[0])


def _static_dims(dims):
    return [None if _is_tensor(d) else d for d in dims]


def _max(x, y):
    return math_ops.maximum(x, y) if _is_tensor(x) or _is_tensor(y) else max(x, y)


def _min(x, y):
    return math_ops.minimum(x, y) if _is_tensor(x) or _is_tensor(y) else min(x, y)


def _equal(x, y):
    return math_ops.equal(x, y) if _is_tensor(x) or _is_tensor(y) else x == y


def _stack(values):
    """A 1-D int32 Tensor of ints (numpy ones included) and scalar int Tensors."""
    def one(v):
        if not _is_tensor(v):
            return int(v)
        v = convert_to_tensor(v)
        return v if v.dtype == dtypes.int32 else math_ops.cast(v, dtypes.int32)
    return array_ops.stack([one(v) for v in values])


# ----- bounding boxes ------------------------------------------------------------------------
def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Pads `image` with zeros to `target_height` x `target_width`.

    Adds `offset_height` rows of zeros on top and `offset_width` columns on the left, then
    zeros on the bottom and right up to the target size.

    Args:
        image: 4-D `[batch, height, width, channels]` or 3-D `[height, width, channels]`.
        offset_height: rows of zeros on top (Python int or scalar int Tensor).
        offset_width: columns of zeros on the left.
        target_height: height of the result.
        target_width: width of the result.

    Returns:
        A Tensor of `image`'s dtype, `[batch, target_height, target_width, channels]` (or
        3-D); dimensions given as Tensors are None in the static shape.

    Raises:
        ValueError: a rank other than 3 or 4, a negative offset, or a target smaller than
            image + offset, when Python can tell ("height must be <= target - offset").
        InvalidArgumentError (at run time): the same checks on dynamic values.

    Example:
        >>> padded = pad_to_bounding_box(image, 2, 1, 32, 32)
    """
    with name_scope(None, "pad_to_bounding_box", [image]):
        image = convert_to_tensor(image, name="image")
        image, is_batch = _as_batch(image)
        batch, height, width, depth = _image_dims(image, 4)
        after_width = target_width - offset_width - width
        after_height = target_height - offset_height - height
        checks = _check_at_least_3d(image, require_static=False)
        checks += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0")
        checks += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0")
        checks += _assert(after_width >= 0, ValueError, "width must be <= target - offset")
        checks += _assert(after_height >= 0, ValueError, "height must be <= target - offset")
        image = _with_dependencies(checks, image)
        paddings = array_ops.reshape(
            _stack([0, 0, offset_height, after_height, offset_width, after_width, 0, 0]),
            [4, 2])
        padded = array_ops.pad(image, paddings)
        padded.set_shape(_static_dims([batch, target_height, target_width, depth]))
        return _unbatch(padded, is_batch)


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Cuts the box with top-left corner (`offset_height`, `offset_width`) and size
    `target_height` x `target_width` out of `image`.

    Args:
        image: 4-D `[batch, height, width, channels]` or 3-D `[height, width, channels]`.
        offset_height: top row of the box (Python int or scalar int Tensor).
        offset_width: left column of the box.
        target_height: height of the box (> 0).
        target_width: width of the box (> 0).

    Returns:
        A Tensor of `image`'s dtype, `[batch, target_height, target_width, channels]` (or
        3-D).

    Raises:
        ValueError: a rank other than 3 or 4, a negative offset, a target <= 0, or a box
            that leaves the image ("width must be >= target + offset."), when Python can
            tell.
        InvalidArgumentError (at run time): the same checks on dynamic values.

    Example:
        >>> patch = crop_to_bounding_box(image, 4, 4, 24, 24)
    """
    with name_scope(None, "crop_to_bounding_box", [image]):
        image = convert_to_tensor(image, name="image")
        image, is_batch = _as_batch(image)
        checks = _check_at_least_3d(image, require_static=False)
        batch, height, width, depth = _image_dims(image, 4)
        checks += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0.")
        checks += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0.")
        checks += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        checks += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        checks += _assert(width >= (target_width + offset_width), ValueError,
                          "width must be >= target + offset.")
        checks += _assert(height >= (target_height + offset_height), ValueError,
                          "height must be >= target + offset.")
        image = _with_dependencies(checks, image)
        shape = array_ops.shape(image)
        cropped = array_ops.slice(
            image, _stack([0, offset_height, offset_width, 0]),
            _stack([shape[0], target_height, target_width, shape[3]]))
        cropped.set_shape(_static_dims([batch, target_height, target_width, depth]))
        return _unbatch(cropped, is_batch)


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """Centrally crops or zero-pads `image` to `target_height` x `target_width`.

    A dimension larger than its target is cropped around its centre (the extra row or column
    of an odd difference comes off the bottom / right); a smaller one is padded evenly (the
    extra row or column of zeros goes to the bottom / right).

    Args:
        image: 4-D `[batch, height, width, channels]` or 3-D `[height, width, channels]`.
        target_height: Python int or scalar int Tensor (> 0).
        target_width: Python int or scalar int Tensor (> 0).

    Returns:
        A Tensor of `image`'s dtype and rank with the target height and width.

    Raises:
        ValueError: a rank other than 3 or 4, or a target <= 0 ("target_width must be >
            0."), when Python can tell.
        InvalidArgumentError (at run time): the same checks on dynamic values.

    Example:
        >>> square = resize_image_with_crop_or_pad(image, 224, 224)
    """
    with name_scope(None, "resize_image_with_crop_or_pad", [image]):
        image = convert_to_tensor(image, name="image")
        image, is_batch = _as_batch(image)
        checks = _check_at_least_3d(image, require_static=False)
        checks += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        checks += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        image = _with_dependencies(checks, image)
        # crop_to_bounding_box and pad_to_bounding_box check too: these checks come first.
        if _is_tensor(target_height):
            target_height = _with_dependencies(checks, target_height)
        if _is_tensor(target_width):
            target_width = _with_dependencies(checks, target_width)
        _, height, width, _ = _image_dims(image, 4)
        width_diff = target_width - width
        offset_crop_width = _max(-width_diff // 2, 0)
        offset_pad_width = _max(width_diff // 2, 0)
        height_diff = target_height - height
        offset_crop_height = _max(-height_diff // 2, 0)
        offset_pad_height = _max(height_diff // 2, 0)
        cropped = crop_to_bounding_box(image, offset_crop_height, offset_crop_width,
                                       _min(target_height, height), _min(target_width, width))
        resized = pad_to_bounding_box(cropped, offset_pad_height, offset_pad_width,
                                      target_height, target_width)
        if resized.shape.ndims is None:
            raise ValueError("resized contains no shape.")
        _, resized_height, resized_width, _ = _image_dims(resized, 4)
        checks = _assert(_equal(resized_height, target_height), ValueError,
                         "resized height is not correct.")
        checks += _assert(_equal(resized_width, target_width), ValueError,
                          "resized width is not correct.")
        resized = _with_dependencies(checks, resized)
        return _unbatch(resized, is_batch)


resize_with_crop_or_pad = resize_image_with_crop_or_pad


def _resize_v1(images, size, method, align_corners):
    """TF1 resize_images on a 4-D batch whose size is never a build-time constant here (it
    goes through Floor): always resized, so bilinear, bicubic and area give float32."""
    op_type = {ResizeMethod.BILINEAR: "ResizeBilinear",
               ResizeMethod.NEAREST_NEIGHBOR: "ResizeNearestNeighbor",
               ResizeMethod.BICUBIC: "ResizeBicubic",
               ResizeMethod.AREA: "ResizeArea"}.get(method)
    if op_type is None:
        raise ValueError(f"Resize method is not implemented: {method}")
    attrs = {"align_corners": bool(align_corners)}
    if op_type != "ResizeArea":
        attrs["half_pixel_centers"] = False
    return apply_op(op_type, images, size, **attrs)


def _resize_v2(images, size, method, antialias):
    """TF2's resize_images_v2 core (half-pixel centres), choosing the op as TF does:
    ScaleAndTranslate (scale = new size / old size, no translation) for "lanczos3",
    "lanczos5", "gaussian" and "mitchellcubic", and for "bilinear" ("triangle" kernel) and
    "bicubic" ("keyscubic") with `antialias`; else the Resize* op ("nearest" and "area"
    ignore `antialias`, as in TF)."""
    if method == "bilinear":
        if antialias:
            return resize_with_scale_and_translate(images, size, "triangle", True)
        return apply_op("ResizeBilinear", images, size, align_corners=False,
                        half_pixel_centers=True)
    if method == "nearest":
        return apply_op("ResizeNearestNeighbor", images, size, align_corners=False,
                        half_pixel_centers=True)
    if method == "bicubic":
        if antialias:
            return resize_with_scale_and_translate(images, size, "keyscubic", True)
        return apply_op("ResizeBicubic", images, size, align_corners=False,
                        half_pixel_centers=True)
    if method == "area":
        return apply_op("ResizeArea", images, size, align_corners=False)
    if method in ("lanczos3", "lanczos5", "gaussian", "mitchellcubic"):
        return resize_with_scale_and_translate(images, size, method, antialias)
    raise ValueError(f"Resize method is not implemented: {method}")


def _resize_with_pad(image, target_height, target_width, resize_fn):
    with name_scope(None, "resize_image_with_pad", [image]):
        image = convert_to_tensor(image, name="image")
        image, is_batch = _as_batch(image)
        checks = _check_at_least_3d(image, require_static=False)
        checks += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        checks += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        image = _with_dependencies(checks, image)
        _, height, width, _ = _image_dims(image, 4)
        f_height = math_ops.cast(height, dtypes.float32)
        f_width = math_ops.cast(width, dtypes.float32)
        f_target_height = math_ops.cast(target_height, dtypes.float32)
        f_target_width = math_ops.cast(target_width, dtypes.float32)
        ratio = _max(f_width / f_target_width, f_height / f_target_height)
        resized_height_float = f_height / ratio
        resized_width_float = f_width / ratio
        resized_height = math_ops.cast(math_ops.floor(resized_height_float), dtypes.int32)
        resized_width = math_ops.cast(math_ops.floor(resized_width_float), dtypes.int32)
        padding_height = (f_target_height - resized_height_float) / 2
        padding_width = (f_target_width - resized_width_float) / 2
        p_height = _max(0, math_ops.cast(math_ops.floor(padding_height), dtypes.int32))
        p_width = _max(0, math_ops.cast(math_ops.floor(padding_width), dtypes.int32))
        resized = resize_fn(image, array_ops.stack([resized_height, resized_width]))
        padded = pad_to_bounding_box(resized, p_height, p_width, target_height, target_width)
        if padded.shape.ndims is None:
            raise ValueError("padded contains no shape.")
        return _unbatch(padded, is_batch)


def resize_image_with_pad(image, target_height, target_width,
                          method=ResizeMethod.BILINEAR, align_corners=False):
    """Resizes `image` to fit `target_height` x `target_width` keeping its aspect ratio,
    then zero-pads it (centred) to the target size (TF1's `resize_image_with_pad`).

    Args:
        image: 4-D `[batch, height, width, channels]` or 3-D `[height, width, channels]`.
        target_height: Python int or scalar int Tensor (> 0).
        target_width: Python int or scalar int Tensor (> 0).
        method: a `ResizeMethod` (TF1 numbering: BILINEAR 0, NEAREST_NEIGHBOR 1, BICUBIC 2,
            AREA 3).
        align_corners: align the corner pixels of input and output.

    Returns:
        float32 (the dtype of `image` for NEAREST_NEIGHBOR), of the rank of `image`.

    Raises:
        ValueError: a rank other than 3 or 4, or a target <= 0, when Python can tell.

    Example:
        >>> boxed = resize_image_with_pad(image, 224, 224)
    """
    return _resize_with_pad(
        image, target_height, target_width,
        lambda im, size: _resize_v1(im, size, method, align_corners))


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """TF2's `tf.image.resize_with_pad`: as `resize_image_with_pad`, resizing with TF2's
    `tf.image.resize` (half-pixel centres).

    Args:
        image: 4-D `[batch, height, width, channels]` or 3-D `[height, width, channels]`.
        target_height: Python int or scalar int Tensor (> 0).
        target_width: Python int or scalar int Tensor (> 0).
        method: "bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
            "gaussian" or "mitchellcubic" (the last four through the ScaleAndTranslate op).
        antialias: widen the kernel when downscaling (ScaleAndTranslate: "bilinear" with
            the triangle kernel, "bicubic" with Keys' cubic, and the four kernels above;
            "nearest" and "area" ignore it, as in TF).

    Returns:
        float32 (the dtype of `image` for "nearest"), of the rank of `image`.

    Raises:
        ValueError: as `resize_image_with_pad`, or an unknown method.

    Example:
        >>> boxed = resize_with_pad(image, 224, 224, method="nearest")
    """
    return _resize_with_pad(image, target_height, target_width,
                            lambda im, size: _resize_v2(im, size, method, antialias))


def central_crop(image, central_fraction):
    """Keeps the central `central_fraction` of each spatial dimension of `image`.

    The crop starts at `int((size - size * fraction) / 2)` along height and width and keeps
    `size - 2 * start` rows / columns.

    Args:
        image: 3-D `[height, width, depth]` or 4-D `[batch, height, width, depth]`.
        central_fraction: float in (0, 1] (or a float Tensor); 1 returns `image` itself.

    Returns:
        The cropped Tensor, `image`'s dtype and rank.

    Raises:
        ValueError: a fraction outside (0, 1] ("central_fraction must be within (0, 1]"), a
            rank other than 3 or 4 (unknown included).

    Example:
        >>> middle = central_crop(image, 0.875)
    """
    with name_scope(None, "central_crop", [image]):
        image = convert_to_tensor(image, name="image")
        fraction_static = (shape_fns.constant_value(central_fraction)
                           if isinstance(central_fraction, Tensor) else central_fraction)
        if fraction_static is not None:
            fraction_static = float(fraction_static)
            if fraction_static <= 0.0 or fraction_static > 1.0:
                raise ValueError("central_fraction must be within (0, 1]")
            if fraction_static == 1.0:
                return image
        else:
            # TF checks `fraction > 0 or fraction <= 1` here (always true); kept as TF has it.
            checks = _assert(math_ops.logical_or(central_fraction > 0.0,
                                                 central_fraction <= 1.0),
                             ValueError, "central_fraction must be within (0, 1]")
            image = _with_dependencies(checks, image)
        _check_at_least_3d(image, require_static=False)  # static errors only, as TF
        rank = image.shape.ndims
        if rank != 3 and rank != 4:
            raise ValueError("`image` should either be a Tensor with rank = 3 or rank = 4. "
                             f"Had rank = {rank}.")
        offset = rank - 3

        def dim(i):
            static = image.shape[i]
            if static is not None:
                return int(static), fraction_static is None
            return array_ops.shape(image)[i], True

        def start(size, dynamic):
            if not dynamic:
                return int((float(size) - float(size) * fraction_static) / 2)
            size_d = math_ops.cast(size, dtypes.float64)
            frac = math_ops.cast(central_fraction, dtypes.float64)
            return math_ops.cast((size_d - size_d * frac) / 2, dtypes.int32)

        img_h, dynamic_h = dim(offset)
        img_w, dynamic_w = dim(offset + 1)
        h_start, w_start = start(img_h, dynamic_h), start(img_w, dynamic_w)
        h_size, w_size = img_h - h_start * 2, img_w - w_start * 2
        if rank == 3:
            begin, size = _stack([h_start, w_start, 0]), _stack([h_size, w_size, -1])
        else:
            begin, size = _stack([0, h_start, w_start, 0]), _stack([-1, h_size, w_size, -1])
        cropped = array_ops.slice(image, begin, size)
        hw = [None if dynamic_h else h_size, None if dynamic_w else w_size]
        lead = [image.shape[0]] if rank == 4 else []
        cropped.set_shape(lead + hw + [image.shape[rank - 1]])
        return cropped


# ----- rotations and transposes --------------------------------------------------------------
def _rot90_cases(image, k, scope, h_axis):
    """The rotation by k (in [0, 4)) over axes h, w, with TF's values, merged static shape
    and gradients."""
    w_axis = h_axis + 1
    perm = list(range(h_axis)) + [w_axis, h_axis, w_axis + 1]

    # TF picks one of four branches with case(exclusive=True), If ops nested three deep.
    # flowexec's If gradient fails when a nested branch that did not run holds a Reverse
    # (test_image_geometry.py::test_nested_cond_gradient_through_an_untaken_reverse), so
    # here one If picks the parity, which decides the shape (the merged static shape is
    # TF's), and a select the flip: k = 1 is transpose(reverse_w), k = 3 is
    # transpose(reverse_h), k = 2 reverse_hw, k = 0 the image.
    def odd():
        return array_ops.transpose(
            math_ops.where(math_ops.equal(k, 1), array_ops.reverse(image, [w_axis]),
                           array_ops.reverse(image, [h_axis])), perm)

    def even():
        return math_ops.where(math_ops.equal(k, 2),
                              array_ops.reverse(image, [h_axis, w_axis]), image)

    result = cond_ops.cond(math_ops.equal(k % 2, 1), odd, even, name=scope)
    if h_axis == 0:
        result.set_shape([None, None, image.shape[2]])
    else:
        result.set_shape([result.shape[0], None, None, result.shape[3]])
    return result


def rot90(image, k=1, name=None):
    """Rotates `image` counter-clockwise by 90 degrees, `k` times.

    Args:
        image: 3-D `[height, width, channels]` or 4-D `[batch, height, width, channels]`.
        k: scalar int (or int32 Tensor), taken modulo 4.
        name: name scope (default "rot90").

    Returns:
        A Tensor of `image`'s dtype and rank; height and width are None in its static shape
        unless they are equal (the rotation is picked at run time, as in TF).

    Raises:
        ValueError: a rank below 3 or above 4, or a `k` that is not a scalar.

    Example:
        >>> upside_down = rot90(image, k=2)
    """
    with name_scope(name, "rot90", [image, k]) as scope:
        image = convert_to_tensor(image, name="image")
        image = _with_dependencies(_check_at_least_3d(image, require_static=False), image)
        k = convert_to_tensor(k, dtype=dtypes.int32, name="k")
        k.shape.assert_has_rank(0)
        k = math_ops.mod(k, 4)
        ndims = image.shape.ndims
        if ndims is None:
            # TF: cond(rank == 3, rotate 3-D, rotate 4-D). Nesting the rotation's If in that
            # one trips the If-gradient bug above, so the image is viewed as a batch
            # [-1, h, w, c] instead; the result (of unknown rank, as TF's) is the same.
            shape = array_ops.shape(image)
            batch = array_ops.reshape(image, array_ops.concat([[-1], shape[-3:]], 0))
            rotated = _rot90_cases(batch, k, scope, 1)
            return array_ops.reshape(
                rotated, array_ops.concat([shape[:-3], array_ops.shape(rotated)[1:]], 0))
        if ndims == 3:
            return _rot90_cases(image, k, scope, 0)
        if ndims == 4:
            return _rot90_cases(image, k, scope, 1)
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 "
                         "dimensions.")


def transpose_image(image, name=None):
    """Swaps the height and width dimensions of `image` (3-D or 4-D).

    Args:
        image: 3-D `[height, width, channels]` or 4-D `[batch, height, width, channels]`.
        name: name of the Transpose op (scope "transpose").

    Returns:
        `[width, height, channels]` (or `[batch, width, height, channels]`).

    Raises:
        ValueError: a rank below 3 or above 4.

    Example:
        >>> swapped = transpose_image(image)
    """
    with name_scope(name, "transpose", [image]):
        image = convert_to_tensor(image, name="image")
        image = _with_dependencies(_check_at_least_3d(image, require_static=False), image)
        ndims = image.shape.ndims
        name = name or "transpose"
        if ndims is None:
            return cond_ops.cond(
                math_ops.equal(array_ops.rank(image), 3),
                lambda: array_ops.transpose(image, [1, 0, 2], name=name),
                lambda: array_ops.transpose(image, [0, 2, 1, 3], name=name))
        if ndims == 3:
            return array_ops.transpose(image, [1, 0, 2], name=name)
        if ndims == 4:
            return array_ops.transpose(image, [0, 2, 1, 3], name=name)
        raise ValueError(f"'image' (shape {image.shape}) must have either 3 or 4 "
                         "dimensions.")


transpose = transpose_image


# ----- gradients and variation ---------------------------------------------------------------
def total_variation(images, name=None):
    """Sum of the absolute differences of neighbouring pixels (anisotropic 2-D total
    variation), over height, width and channels.

    Args:
        images: 4-D `[batch, height, width, channels]` or 3-D `[height, width, channels]`.
        name: name scope (default "total_variation").

    Returns:
        `[batch]` for 4-D input, a scalar for 3-D, of `images`' dtype.

    Raises:
        ValueError: a rank other than 3 or 4.

    Example:
        >>> loss = tf.reduce_sum(total_variation(images))
    """
    with name_scope(name, "total_variation"):
        images = convert_to_tensor(images, name="images")
        ndims = images.shape.ndims
        if ndims == 3:
            dif1 = images[1:, :, :] - images[:-1, :, :]
            dif2 = images[:, 1:, :] - images[:, :-1, :]
            axis = None
        elif ndims == 4:
            dif1 = images[:, 1:, :, :] - images[:, :-1, :, :]
            dif2 = images[:, :, 1:, :] - images[:, :, :-1, :]
            axis = [1, 2, 3]
        else:
            raise ValueError("'images' must be either 3 or 4-dimensional.")
        return (math_ops.reduce_sum(math_ops.abs(dif1), axis=axis)
                + math_ops.reduce_sum(math_ops.abs(dif2), axis=axis))


def image_gradients(image):
    """One-step forward differences `(dy, dx)` of a 4-D image batch, per channel.

    `dy[:, i] = image[:, i + 1] - image[:, i]` with zeros in the last row; `dx` likewise
    along width with zeros in the last column.

    Args:
        image: 4-D `[batch, height, width, depth]`.

    Returns:
        `(dy, dx)`, both shaped and typed like `image`.

    Raises:
        ValueError: `image` is not 4-D.

    Example:
        >>> dy, dx = image_gradients(images)
    """
    image = convert_to_tensor(image, name="image")
    if image.shape.ndims != 4:
        raise ValueError("image_gradients expects a 4D tensor [batch_size, h, w, d], not "
                         f"{image.shape}.")
    image_shape = array_ops.shape(image)
    batch_size, height, width, depth = array_ops.unstack(image_shape)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    shape = array_ops.stack([batch_size, 1, width, depth])
    dy = array_ops.concat([dy, array_ops.zeros(shape, image.dtype)], 1)
    dy = array_ops.reshape(dy, image_shape)
    shape = array_ops.stack([batch_size, height, 1, depth])
    dx = array_ops.concat([dx, array_ops.zeros(shape, image.dtype)], 2)
    dx = array_ops.reshape(dx, image_shape)
    return dy, dx


def sobel_edges(image):
    """Sobel edge maps `[dy, dx]` of each channel, with reflected borders.

    Args:
        image: 4-D `[batch, height, width, depth]`, float32 or float64, at least 2x2.

    Returns:
        `[batch, height, width, depth, 2]`: `[..., 0]` the vertical (dy) and `[..., 1]` the
        horizontal (dx) Sobel responses.

    Example:
        >>> edges = sobel_edges(images)
    """
    image = convert_to_tensor(image, name="image")
    static_shape = image.shape
    image_shape = array_ops.shape(image)
    kernels = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
                        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]])
    num_kernels = len(kernels)
    kernels = np.expand_dims(np.transpose(kernels, (1, 2, 0)), -2)
    kernels_t = constant(kernels, dtype=image.dtype)
    kernels_t = array_ops.tile(kernels_t, [1, 1, image_shape[-1], 1], name="sobel_filters")
    padded = array_ops.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    output = conv_ops.depthwise_conv2d(padded, kernels_t, [1, 1, 1, 1], "VALID")
    output = array_ops.reshape(output, array_ops.concat([image_shape, [num_kernels]], 0))
    output.set_shape(static_shape.concatenate([num_kernels]))
    return output


# ----- image quality -------------------------------------------------------------------------
def _to_float32(image):
    """TF's convert_image_dtype(image, float32), as psnr and ssim call it."""
    return convert_image_dtype(image, dtypes.float32)


def _verify_compatible_image_shapes(img1, img2):
    """Static checks (ValueError) and run-time Assert ops that the last three dimensions
    match and that the leading ones broadcast."""
    shape1 = img1.shape.with_rank_at_least(3)
    shape2 = img2.shape.with_rank_at_least(3)
    shape1[-3:].assert_is_compatible_with(shape2[-3:])
    if shape1.ndims is not None and shape2.ndims is not None:
        for d1, d2 in zip(reversed(shape1.as_list()[:-3]), reversed(shape2.as_list()[:-3])):
            if not (d1 == 1 or d2 == 1 or d1 is None or d2 is None or d1 == d2):
                raise ValueError(f"Two images are not compatible: {shape1} and {shape2}")
    s1, s2 = array_ops.shape(img1), array_ops.shape(img2)
    checks = [
        logging_ops.Assert(math_ops.greater_equal(array_ops.size(s1), 3), [s1, s2],
                           summarize=10),
        logging_ops.Assert(math_ops.reduce_all(math_ops.equal(s1[-3:], s2[-3:])), [s1, s2],
                           summarize=10),
    ]
    return s1, s2, checks


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio between `a` and `b`, per image, in float32:
    `20 log10(max_val) - 10 log10(mse)` over the last three dimensions.

    Args:
        a: images `[..., height, width, depth]`; integer images are scaled to [0, 1] first
            (as `convert_image_dtype`), and so is `max_val`.
        b: images shaped like `a` (leading dimensions broadcast).
        max_val: the dynamic range of the pixels (255 for uint8, 1.0 for floats in [0, 1]).
        name: name scope (default "PSNR").

    Returns:
        A float32 Tensor of `a`'s leading (batch) shape.

    Raises:
        ValueError: ranks below 3 or mismatched `[height, width, depth]`.

    Example:
        >>> quality = psnr(images, reconstructed, max_val=1.0)
    """
    with name_scope(name, "PSNR", [a, b]):
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b")
        max_val = _to_float32(math_ops.cast(max_val, a.dtype))
        a, b = _to_float32(a), _to_float32(b)
        mse = math_ops.reduce_mean(math_ops.squared_difference(a, b), [-3, -2, -1])
        psnr_val = math_ops.subtract(
            20 * math_ops.log(max_val) / math_ops.log(constant(10.0)),
            np.float32(10 / np.log(10)) * math_ops.log(mse), name="psnr")
        _, _, checks = _verify_compatible_image_shapes(a, b)
        with control_dependencies(checks):
            return identity(psnr_val)


def _ssim_helper(x, y, reducer, max_val, compensation=1.0, k1=0.01, k2=0.03):
    """(luminance, contrast-structure) maps from weighted local means (`reducer`)."""
    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mean0 = reducer(x)
    mean1 = reducer(y)
    num0 = mean0 * mean1 * 2.0
    den0 = math_ops.square(mean0) + math_ops.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(x * y) * 2.0
    den1 = reducer(math_ops.square(x) + math_ops.square(y))
    c2 *= compensation
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return luminance, cs


def _fspecial_gauss(size, sigma):
    """MATLAB's fspecial('gaussian'): a `[size, size, 1, 1]` kernel summing to 1."""
    size = convert_to_tensor(size, dtypes.int32)
    sigma = convert_to_tensor(sigma)
    coords = math_ops.cast(array_ops.range(size), sigma.dtype)
    coords -= math_ops.cast(size - 1, sigma.dtype) / 2.0
    g = math_ops.square(coords)
    g *= -0.5 / math_ops.square(sigma)
    g = array_ops.reshape(g, [1, -1]) + array_ops.reshape(g, [-1, 1])
    g = nn_ops.softmax(array_ops.reshape(g, [1, -1]))
    return array_ops.reshape(g, [size, size, 1, 1])


def _ssim_per_channel(img1, img2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01,
                      k2=0.03, return_index_map=False):
    """(SSIM, contrast-structure) per channel, `[..., channels]` (or per pixel)."""
    filter_size = constant(filter_size, dtype=dtypes.int32)
    filter_sigma = constant(filter_sigma, dtype=img1.dtype)
    shape1, shape2 = array_ops.shape(img1), array_ops.shape(img2)
    checks = [
        logging_ops.Assert(
            math_ops.reduce_all(math_ops.greater_equal(shape1[-3:-1], filter_size)),
            [shape1, filter_size], summarize=8),
        logging_ops.Assert(
            math_ops.reduce_all(math_ops.greater_equal(shape2[-3:-1], filter_size)),
            [shape2, filter_size], summarize=8),
    ]
    with control_dependencies(checks):
        img1 = identity(img1)
    kernel = _fspecial_gauss(filter_size, filter_sigma)
    kernel = array_ops.tile(kernel, [1, 1, shape1[-1], 1])

    def reducer(x):
        shape = array_ops.shape(x)
        x = array_ops.reshape(x, array_ops.concat([[-1], shape[-3:]], 0))
        y = conv_ops.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "VALID")
        return array_ops.reshape(y, array_ops.concat([shape[:-3], array_ops.shape(y)[1:]], 0))

    luminance, cs = _ssim_helper(img1, img2, reducer, max_val, 1.0, k1, k2)
    if return_index_map:
        return luminance * cs, cs
    axes = constant([-3, -2], dtype=dtypes.int32)
    return math_ops.reduce_mean(luminance * cs, axes), math_ops.reduce_mean(cs, axes)


def _prepare_pair(img1, img2, max_val):
    img1 = convert_to_tensor(img1, name="img1")
    img2 = convert_to_tensor(img2, name="img2")
    shape1, shape2, checks = _verify_compatible_image_shapes(img1, img2)
    with control_dependencies(checks):
        img1 = identity(img1)
    max_val = _to_float32(math_ops.cast(max_val, img1.dtype))
    return _to_float32(img1), _to_float32(img2), max_val, shape1, shape2


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """Structural similarity (Wang et al. 2004) between two image batches, with a Gaussian
    window (`filter_size` x `filter_size`, `filter_sigma`), averaged over the channels.

    Args:
        img1: images `[..., height, width, channels]`, height and width >= `filter_size`;
            integer images are scaled to [0, 1] first, and so is `max_val`.
        img2: images shaped like `img1` (leading dimensions broadcast).
        max_val: the dynamic range of the pixels.
        filter_size: size of the Gaussian window (default 11).
        filter_sigma: its standard deviation (default 1.5).
        k1: the luminance constant (default 0.01).
        k2: the contrast constant (default 0.03).
        return_index_map: return the local SSIM map `[..., h', w']` instead of its mean.

    Returns:
        float32 SSIM per image, of the broadcast leading shape.

    Raises:
        ValueError: ranks below 3 or mismatched `[height, width, channels]`.
        InvalidArgumentError (at run time): images smaller than the window.

    Example:
        >>> score = ssim(images, reconstructed, max_val=1.0)
    """
    with name_scope(None, "SSIM", [img1, img2]):
        img1, img2, max_val, _, _ = _prepare_pair(img1, img2, max_val)
        per_channel, _ = _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma,
                                           k1, k2, return_index_map)
        return math_ops.reduce_mean(per_channel, [-1])


def ssim_multiscale(img1, img2, max_val, power_factors=_MSSSIM_WEIGHTS, filter_size=11,
                    filter_sigma=1.5, k1=0.01, k2=0.03):
    """Multi-scale SSIM (Wang, Simoncelli, Bovik 2003): the contrast-structure terms of
    `len(power_factors)` scales (each a 2x2 average pool of the last, symmetric-padded to
    even sizes) and the SSIM of the coarsest, raised to `power_factors` and multiplied.

    Args:
        img1: images `[..., height, width, channels]`; the coarsest scale must still be at
            least `filter_size` high and wide.
        img2: images shaped like `img1`.
        max_val: the dynamic range of the pixels.
        power_factors: the weight of each scale (default: the paper's five).
        filter_size, filter_sigma, k1, k2: as in `ssim`.

    Returns:
        float32 MS-SSIM per image, of the broadcast leading shape.

    Example:
        >>> score = ssim_multiscale(images, reconstructed, max_val=1.0)
    """
    with name_scope(None, "MS-SSIM", [img1, img2]):
        img1, img2, max_val, shape1, shape2 = _prepare_pair(img1, img2, max_val)
        imgs = [img1, img2]
        heads = [s[:-3] for s in (shape1, shape2)]
        tails = [s[-3:] for s in (shape1, shape2)]
        divisor = [1, 2, 2, 1]
        divisor_t = constant(divisor[1:], dtype=dtypes.int32)

        def do_pad(images, remainder):
            padding = array_ops.expand_dims(remainder, -1)
            padding = array_ops.pad(padding, [[1, 0], [1, 0]])
            return [array_ops.pad(x, padding, mode="SYMMETRIC") for x in images]

        mcs = []
        per_channel = None
        for k in range(len(power_factors)):
            with name_scope(None, f"Scale{k}", imgs):
                if k > 0:
                    flat = [array_ops.reshape(x, array_ops.concat([[-1], t], 0))
                            for x, t in zip(imgs, tails)]
                    remainder = tails[0] % divisor_t
                    need_padding = math_ops.reduce_any(math_ops.not_equal(remainder, 0))
                    padded = cond_ops.cond(need_padding,
                                           lambda: do_pad(flat, remainder),
                                           lambda: flat)
                    down = [pooling_ops.avg_pool(x, ksize=divisor, strides=divisor,
                                                 padding="VALID") for x in padded]
                    tails = [array_ops.shape(x)[1:] for x in down]
                    imgs = [array_ops.reshape(x, array_ops.concat([h, t], 0))
                            for x, h, t in zip(down, heads, tails)]
                per_channel, cs = _ssim_per_channel(*imgs, max_val=max_val,
                                                    filter_size=filter_size,
                                                    filter_sigma=filter_sigma, k1=k1, k2=k2)
                mcs.append(nn_ops.relu(cs))
        mcs.pop()  # the coarsest scale contributes its SSIM, not its cs
        stacked = array_ops.stack(mcs + [nn_ops.relu(per_channel)], axis=-1)
        ms_ssim = math_ops.reduce_prod(
            math_ops.pow(stacked, constant(list(power_factors), dtype=dtypes.float32)), [-1])
        return math_ops.reduce_mean(ms_ssim, [-1])


__all__ = [
    "central_crop",
    "crop_to_bounding_box",
    "image_gradients",
    "pad_to_bounding_box",
    "psnr",
    "resize_image_with_crop_or_pad",
    "resize_image_with_pad",
    "resize_with_crop_or_pad",
    "resize_with_pad",
    "rot90",
    "sobel_edges",
    "ssim",
    "ssim_multiscale",
    "total_variation",
    "transpose",
    "transpose_image",
]
