"""image_jpeg_ops: TF's JPEG codecs — DecodeJpeg, DecodeAndCropJpeg, ExtractJpegShape,
EncodeJpeg and EncodeJpegVariableQuality — and the `tf.image` / `tf.io` functions over them
(decode_jpeg, decode_and_crop_jpeg, extract_jpeg_shape, encode_jpeg, adjust_jpeg_quality,
random_jpeg_quality, is_jpeg).

DecodeJpeg and DecodeAndCropJpeg sniff the format from the bytes, as TF 2's kernels do: PNG,
GIF (first frame) and BMP bytes go through image_codec_ops' format dispatch.

Libraries: JPEG goes through Pillow, an optional dependency (`pip install
'flowexec[image]'`), imported on first use; without it these kernels raise
UnimplementedError. Pillow bundles libjpeg-turbo, TF's JPEG library, so:

- JPEG decode is TF's bit for bit for `dct_method` INTEGER_ACCURATE with fancy upscaling,
  for the default/INTEGER_FAST method without it, and for every `ratio` > 1 (Pillow's
  decoder arguments select the IDCT scale and its "draft" switch, which is IFAST without
  fancy upsampling). TF's default, IFAST *with* fancy upsampling, is built from Pillow's
  IFAST YCbCr planes by libjpeg-turbo's own integer fancy upsampling (h2v1, h1v2, h2v2) and
  YCbCr->RGB conversion, in numpy: also exact. ISLOW without fancy upsampling on a
  chroma-subsampled file has no Pillow switch: ISLOW luma with the IFAST chroma planes,
  replicated, is within 2 levels of TF's (mean 0.7). `try_recover_truncated` decodes what
  Pillow recovers (not TF's pixels; `acceptable_fraction` is not checked).
- JPEG encode is TF's bytes (same library, quality tables, JFIF header, XMP marker).

Host-only (string tensors are object arrays of bytes), stateless, not differentiable.
Pillow releases the GIL while it decodes, so runs on several threads overlap.
"""

import io
import struct
import threading

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.ops.image_codec_common import (
    _HOST,
    _bytes,
    _contents,
    _crop_infer,
    _decode3_infer,
    _encode_infer,
    _invalid,
    _pil,
    _shape_infer,
    _sniff,
    _string_scalar,
)

__all__ = ["adjust_jpeg_quality", "decode_and_crop_jpeg", "decode_jpeg", "encode_jpeg",
           "extract_jpeg_shape", "is_jpeg", "random_jpeg_quality"]

_BAD_JPEG = "jpeg::Uncompress failed. Invalid JPEG data or crop window."
_PIL_LOCK = threading.Lock()  # ImageFile.LOAD_TRUNCATED_IMAGES is a module global


# ----- JPEG ------------------------------------------------------------------------------
def _check_jpeg_attrs(channels, ratio, dct_method):
    if channels not in (0, 1, 3, 4):
        raise _invalid(f"`channels` must be 0, 1, 3 or 4 but got {channels}")
    if ratio not in (1, 2, 4, 8):
        raise _invalid(f"ratio must be 1, 2, 4, or 8, got {ratio}")
    if dct_method not in ("", "INTEGER_FAST", "INTEGER_ACCURATE"):
        raise _invalid("dct_method must be one of {'', 'INTEGER_FAST', 'INTEGER_ACCURATE'}")


def _fancy_h2(c):
    """libjpeg-turbo's horizontal 2x fancy upsampling of rows `c` (int32), for h2v1."""
    left = np.concatenate([c[:, :1], c[:, :-1]], 1)
    right = np.concatenate([c[:, 1:], c[:, -1:]], 1)
    out = np.empty((c.shape[0], 2 * c.shape[1]), np.int32)
    out[:, 0::2] = (c * 3 + left + 1) >> 2
    out[:, 1::2] = (c * 3 + right + 2) >> 2
    out[:, 0] = c[:, 0]
    out[:, -1] = c[:, -1]
    return out


def _fancy_v2(c):
    """libjpeg-turbo's vertical 2x fancy upsampling (h1v2); edge rows are replicated."""
    up = np.concatenate([c[:1], c[:-1]], 0)
    down = np.concatenate([c[1:], c[-1:]], 0)
    out = np.empty((2 * c.shape[0], c.shape[1]), np.int32)
    out[0::2] = (c * 3 + up + 1) >> 2
    out[1::2] = (c * 3 + down + 2) >> 2
    return out


def _fancy_h2v2(c):
    """libjpeg-turbo's h2v2_fancy_upsample: the triangle filter on 2x2 blocks."""
    up = np.concatenate([c[:1], c[:-1]], 0)
    down = np.concatenate([c[1:], c[-1:]], 0)
    out = np.empty((2 * c.shape[0], 2 * c.shape[1]), np.int32)
    for v, near in ((0, up), (1, down)):
        s = c * 3 + near
        left = np.concatenate([s[:, :1], s[:, :-1]], 1)
        right = np.concatenate([s[:, 1:], s[:, -1:]], 1)
        out[v::2, 0::2] = (s * 3 + left + 8) >> 4
        out[v::2, 1::2] = (s * 3 + right + 7) >> 4
        out[v::2, 0] = (s[:, 0] * 4 + 8) >> 4
        out[v::2, -1] = (s[:, -1] * 4 + 7) >> 4
    return out


def _fix(x):
    return int(x * 65536 + 0.5)


def _ycc_to_rgb(y, cb, cr):
    """jdcolor.c's ycc_rgb_convert (16-bit fixed point, rounded tables)."""
    cb = cb - 128
    cr = cr - 128
    r = y + ((_fix(1.40200) * cr + 32768) >> 16)
    b = y + ((_fix(1.77200) * cb + 32768) >> 16)
    g = y + ((-_fix(0.34414) * cb - _fix(0.71414) * cr + 32768) >> 16)
    return np.clip(np.stack([r, g, b], -1), 0, 255).astype(np.uint8)


_FANCY = {(2, 1): _fancy_h2, (1, 2): _fancy_v2, (2, 2): _fancy_h2v2}


def _jpeg_open(Image, data):
    try:
        im = Image.open(io.BytesIO(data), formats=["JPEG"])
    except Exception:
        raise _invalid(_BAD_JPEG) from None
    return im


def _jpeg_load(im, ImageFile, rawmode, scale, draft, recover):
    """Decodes `im` with libjpeg's output colour space `rawmode`, IDCT scale 1/`scale` and
    Pillow's draft switch (IFAST, no fancy upsampling)."""
    d, extent, offset, args = im.tile[0]
    im.tile = [(d, extent, offset, (rawmode, ""))]
    im._mode = {"RGB": "RGB", "L": "L", "YCbCr": "YCbCr", "CMYK": "CMYK"}[rawmode]
    if scale > 1:
        w, h = im.size
        im._size = ((w + scale - 1) // scale, (h + scale - 1) // scale)
        im.tile = [(d, (0, 0) + im._size, offset, (rawmode, ""))]
    im.decoderconfig = (scale, 1 if draft else 0)
    try:
        if recover:
            with _PIL_LOCK:
                old = ImageFile.LOAD_TRUNCATED_IMAGES
                ImageFile.LOAD_TRUNCATED_IMAGES = True
                try:
                    im.load()
                finally:
                    ImageFile.LOAD_TRUNCATED_IMAGES = old
        else:
            im.load()
    except Exception:
        raise _invalid(_BAD_JPEG) from None
    a = np.asarray(im)
    return a[..., None] if a.ndim == 2 else a


def _decode_jpeg_array(data, op_type, channels=0, ratio=1, fancy_upscaling=True,
                       try_recover_truncated=False, acceptable_fraction=1.0, dct_method=""):
    Image, ImageFile = _pil(op_type)
    im = _jpeg_open(Image, data)
    fast = dct_method != "INTEGER_ACCURATE"
    components = len(getattr(im, "layer", ())) or {"L": 1, "RGB": 3, "CMYK": 4}[im.mode]
    if im.mode == "CMYK":  # Adobe CMYK/YCCK: libjpeg's CMYK, then Pillow's RGB
        a = _jpeg_load(im, ImageFile, "CMYK", ratio, fast, try_recover_truncated)
        rgb = np.asarray(Image.fromarray(a, "CMYK").convert("RGB"))
        return _jpeg_channels(rgb, channels)
    gray_out = channels == 1 or (channels == 0 and components == 1)
    if gray_out or components == 1:
        a = _jpeg_load(im, ImageFile, "L", ratio, fast, try_recover_truncated)
        return _jpeg_channels(a, channels)
    sampling = [(h, v) for _, h, v, _ in im.layer]
    ymax = sampling[0]
    chroma_sub = tuple(ymax) if all(s == (1, 1) for s in sampling[1:]) else None
    # At ratio > 1 a 4:2:0 file's chroma is IDCT-scaled to full size; 4:2:2 and 4:4:0
    # chroma is still upsampled.
    no_upsampling = chroma_sub == (1, 1) or (chroma_sub == (2, 2) and ratio > 1)
    if no_upsampling or (fast and not fancy_upscaling) or chroma_sub is None and ratio > 1:
        # Draft decodes IFAST without fancy upsampling; scaled IDCTs need no upsampling.
        a = _jpeg_load(im, ImageFile, "RGB", ratio, fast, try_recover_truncated)
        return _jpeg_channels(a, channels)
    if not fast and not fancy_upscaling:
        # No Pillow switch gives ISLOW with replicated chroma: ISLOW luma (exact) with the
        # IFAST chroma planes, replicated, is within a few levels of TF's.
        y = _jpeg_load(im, ImageFile, "L", ratio, False, try_recover_truncated)[..., 0]
        im2 = _jpeg_open(Image, data)
        ycc = _jpeg_load(im2, ImageFile, "YCbCr", ratio, True, try_recover_truncated)
        ycc = ycc.astype(np.int32)
        return _jpeg_channels(_ycc_to_rgb(y.astype(np.int32), ycc[..., 1], ycc[..., 2]),
                              channels)
    if not fast and fancy_upscaling or chroma_sub not in _FANCY:
        a = _jpeg_load(im, ImageFile, "RGB", ratio, False, try_recover_truncated)
        return _jpeg_channels(a, channels)
    # TF's default: IFAST with fancy upsampling, rebuilt from the IFAST planes.
    ycc = _jpeg_load(im, ImageFile, "YCbCr", ratio, True, try_recover_truncated)
    ycc = ycc.astype(np.int32)
    h, w = ycc.shape[:2]
    sh, sv = chroma_sub
    up = _FANCY[chroma_sub]
    cb = up(ycc[::sv, ::sh, 1])[:h, :w]
    cr = up(ycc[::sv, ::sh, 2])[:h, :w]
    return _jpeg_channels(_ycc_to_rgb(ycc[..., 0], cb, cr), channels)


def _jpeg_channels(a, channels):
    if channels == 3 and a.shape[-1] == 1:
        return np.repeat(a, 3, -1)
    if channels == 4:
        rgb = np.repeat(a, 3, -1) if a.shape[-1] == 1 else a
        return np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], -1)
    return np.ascontiguousarray(a)


def _crop(img, window):
    y, x, h, w = (int(v) for v in np.asarray(window).reshape(-1))
    H, W = img.shape[:2]
    if y < 0 or x < 0 or h <= 0 or w <= 0 or y + h > H or x + w > W:
        raise _invalid(_BAD_JPEG)
    return np.ascontiguousarray(img[y:y + h, x:x + w])


@defop("DecodeJpeg", infer=_decode3_infer(), device_types=_HOST, cost=lambda op: 1e6)
def _decode_jpeg(xp, contents, *, channels=0, ratio=1, fancy_upscaling=True,
                 try_recover_truncated=False, acceptable_fraction=1.0, dct_method=""):
    from flowexec.ops.image_codec_ops import _decode_any  # lazy: image_codec_ops imports us
    _check_jpeg_attrs(channels, ratio, dct_method)
    return _decode_any(_bytes(xp, contents), "DecodeJpeg", channels=channels, ratio=ratio,
                       fancy_upscaling=fancy_upscaling, dct_method=dct_method,
                       try_recover_truncated=try_recover_truncated,
                       acceptable_fraction=acceptable_fraction)


_decode_jpeg.not_differentiable()


@defop("DecodeAndCropJpeg", infer=_crop_infer, device_types=_HOST, cost=lambda op: 1e6)
def _decode_and_crop_jpeg(xp, contents, crop_window, *, channels=0, ratio=1,
                          fancy_upscaling=True, try_recover_truncated=False,
                          acceptable_fraction=1.0, dct_method=""):
    from flowexec.ops.image_codec_ops import _decode_any  # lazy: image_codec_ops imports us
    _check_jpeg_attrs(channels, ratio, dct_method)
    data = _bytes(xp, contents)
    if np.asarray(crop_window).size != 4:
        raise _invalid(f"crop_window must have 4 elements, got {np.asarray(crop_window).size}")
    if _sniff(data) != "jpeg":
        return _crop(_decode_any(data, "DecodeAndCropJpeg", channels=channels), crop_window)
    img = _decode_jpeg_array(data, "DecodeAndCropJpeg", channels, ratio, fancy_upscaling,
                             try_recover_truncated, acceptable_fraction, dct_method)
    return _crop(img, crop_window)


_decode_and_crop_jpeg.not_differentiable()


def _jpeg_header(data, op_type):
    Image, _ = _pil(op_type)
    try:
        im = Image.open(io.BytesIO(data), formats=["JPEG"])
    except Exception:
        raise _invalid(f"Invalid JPEG data, size {len(data)}") from None
    c = len(getattr(im, "layer", ())) or {"L": 1, "RGB": 3, "CMYK": 4}[im.mode]
    return im.size[1], im.size[0], c


@defop("ExtractJpegShape", infer=_shape_infer, device_types=_HOST)
def _extract_jpeg_shape(xp, contents, *, output_type=dtypes.int32):
    h, w, c = _jpeg_header(_bytes(xp, contents), "ExtractJpegShape")
    return np.asarray([h, w, c], dtype=output_type.np)


_extract_jpeg_shape.not_differentiable()


def _encode_jpeg_bytes(img, op_type, format="", quality=95, progressive=False,
                       optimize_size=False, chroma_downsampling=True, density_unit="in",
                       x_density=300, y_density=300, xmp_metadata=""):
    img = np.asarray(img)
    if img.ndim != 3:
        raise _invalid(f"image must be 3-dimensional{list(img.shape)}")
    dims = "[" + ",".join(str(d) for d in img.shape) + "]"
    c = img.shape[2]
    if format == "grayscale" and c != 1:
        raise _invalid(f"format grayscale expects 1 channels, got {dims}")
    if format == "rgb" and c != 3:
        raise _invalid(f"format rgb expects 3 channels, got {dims}")
    if not format and c not in (1, 3):
        raise _invalid(f"image must have 1 or 3 channels, got {dims}")
    if not 0 <= quality <= 100:
        raise _invalid(f"quality must be in [0,100], got {quality}")
    if density_unit not in ("in", "cm"):
        raise _invalid(f"density_unit must be 'in' or 'cm', got {density_unit}")
    if img.shape[0] >= 1 << 16 or img.shape[1] >= 1 << 16:
        raise _invalid(f"image too large to encode: {dims}")
    Image, _ = _pil(op_type)
    pic = Image.fromarray(np.ascontiguousarray(img[..., 0] if c == 1 else img),
                          "L" if c == 1 else "RGB")
    kw = {}
    if xmp_metadata:
        kw["xmp"] = xmp_metadata.encode("utf-8") if isinstance(xmp_metadata, str) \
            else bytes(xmp_metadata)
    buf = io.BytesIO()
    pic.save(buf, "JPEG", quality=max(int(quality), 1), progressive=bool(progressive),
             optimize=bool(optimize_size),
             subsampling=2 if (chroma_downsampling and c == 3) else 0,
             dpi=(int(x_density), int(y_density)), **kw)
    out = bytearray(buf.getvalue())
    if out[6:11] == b"JFIF\0":
        out[13] = 1 if density_unit == "in" else 2
        out[14:18] = struct.pack(">HH", int(x_density) & 0xFFFF, int(y_density) & 0xFFFF)
    return bytes(out)




@defop("EncodeJpeg", infer=_encode_infer((dtypes.uint8,)), device_types=_HOST,
       cost=lambda op: 1e6)
def _encode_jpeg(xp, image, *, format="", quality=95, progressive=False, optimize_size=False,
                 chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                 xmp_metadata=""):
    return _string_scalar(_encode_jpeg_bytes(
        np.asarray(image), "EncodeJpeg", format, quality, progressive, optimize_size,
        chroma_downsampling, density_unit, x_density, y_density, xmp_metadata))


_encode_jpeg.not_differentiable()


@defop("EncodeJpegVariableQuality", infer=_encode_infer((dtypes.uint8,)), device_types=_HOST,
       cost=lambda op: 1e6)
def _encode_jpeg_variable_quality(xp, images, quality):
    return _string_scalar(_encode_jpeg_bytes(np.asarray(images), "EncodeJpegVariableQuality",
                                             quality=int(np.asarray(quality))))


_encode_jpeg_variable_quality.not_differentiable()


# ----- Python API ------------------------------------------------------------------------
def _jpeg_attrs(channels, ratio, fancy_upscaling, try_recover_truncated, acceptable_fraction,
                dct_method):
    return dict(channels=int(channels), ratio=int(ratio),
                fancy_upscaling=bool(fancy_upscaling),
                try_recover_truncated=bool(try_recover_truncated),
                acceptable_fraction=float(acceptable_fraction), dct_method=dct_method or "")


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True,
                try_recover_truncated=False, acceptable_fraction=1, dct_method="", name=None):
    """Decodes a JPEG image into a uint8 tensor [height, width, channels] (op type
    DecodeJpeg). Like TF 2's kernel it also reads PNG, GIF (first frame) and BMP bytes.

    Args:
        contents: a scalar string Tensor, the encoded image.
        channels: 0 (the file's), 1 (grayscale) or 3 (RGB).
        ratio: downscale by 1, 2, 4 or 8 while decoding (libjpeg's IDCT scaling).
        fancy_upscaling: smooth (triangle-filter) chroma upsampling, slower.
        try_recover_truncated: decode what a truncated file holds.
        acceptable_fraction: the fraction of lines a truncated file must hold.
        dct_method: "" or "INTEGER_FAST" (fast IDCT), or "INTEGER_ACCURATE".
        name: the op name.

    Returns:
        A uint8 Tensor of shape [height, width, channels].

    Raises:
        InvalidArgumentError: (at run time) invalid data ("jpeg::Uncompress failed. Invalid
            JPEG data or crop window."), an unknown format, bad attributes.
        UnimplementedError: (at run time) Pillow is not installed.

    Example:
        >>> img = tf.image.decode_jpeg(tf.read_file("cat.jpg"), channels=3)
    """
    with name_scope(name, "DecodeJpeg", [contents]) as scope:
        return apply_op("DecodeJpeg", _contents(contents), name=scope,
                        **_jpeg_attrs(channels, ratio, fancy_upscaling, try_recover_truncated,
                                      acceptable_fraction, dct_method))


def decode_and_crop_jpeg(contents, crop_window, channels=0, ratio=1, fancy_upscaling=True,
                         try_recover_truncated=False, acceptable_fraction=1, dct_method="",
                         name=None):
    """Decodes the window [y, x, height, width] of a JPEG image (op type DecodeAndCropJpeg).

    Args:
        contents: a scalar string Tensor, the encoded image.
        crop_window: an int32 vector [crop_y, crop_x, crop_height, crop_width], in the
            (ratio-scaled) decoded image.
        channels, ratio, fancy_upscaling, try_recover_truncated, acceptable_fraction,
            dct_method: as for `decode_jpeg`.
        name: the op name.

    Returns:
        A uint8 Tensor of shape [crop_height, crop_width, channels].

    Raises:
        InvalidArgumentError: (at run time) a window outside the image or invalid data
            ("jpeg::Uncompress failed. Invalid JPEG data or crop window.").
        UnimplementedError: (at run time) Pillow is not installed.

    Example:
        >>> patch = tf.image.decode_and_crop_jpeg(data, [10, 20, 64, 64], channels=3)
    """
    with name_scope(name, "DecodeAndCropJpeg", [contents, crop_window]) as scope:
        window = convert_to_tensor(crop_window, dtype=dtypes.int32, name="crop_window")
        return apply_op("DecodeAndCropJpeg", _contents(contents), window, name=scope,
                        **_jpeg_attrs(channels, ratio, fancy_upscaling, try_recover_truncated,
                                      acceptable_fraction, dct_method))


def extract_jpeg_shape(contents, output_type=dtypes.int32, name=None):
    """The shape [height, width, channels] of a JPEG image, read from its header (op type
    ExtractJpegShape).

    Args:
        contents: a scalar string Tensor, the encoded JPEG.
        output_type: int32 or int64.
        name: the op name.

    Returns:
        A vector of 3 `output_type` values.

    Raises:
        InvalidArgumentError: (at run time) not a JPEG ("Invalid JPEG data, size 43").
        UnimplementedError: (at run time) Pillow is not installed.

    Example:
        >>> tf.image.extract_jpeg_shape(data)  # [480, 640, 3]
    """
    with name_scope(name, "ExtractJpegShape", [contents]) as scope:
        return apply_op("ExtractJpegShape", _contents(contents), name=scope,
                        output_type=dtypes.as_dtype(output_type))


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                xmp_metadata="", name=None):
    """Encodes a uint8 image [height, width, channels] as JPEG (op type EncodeJpeg); the bytes
    are TF's (libjpeg-turbo through Pillow).

    Args:
        image: a uint8 Tensor with 1 or 3 channels.
        format: "" (by channels), "grayscale" or "rgb" (then the channels must match).
        quality: 0 to 100.
        progressive: a progressive JPEG.
        optimize_size: optimized Huffman tables.
        chroma_downsampling: 4:2:0 chroma (else 4:4:4).
        density_unit: "in" or "cm", the unit of `x_density` / `y_density` (JFIF header).
        x_density, y_density: pixels per density unit.
        xmp_metadata: an XMP packet written in an APP1 marker, if not empty.
        name: the op name.

    Returns:
        A scalar string Tensor.

    Raises:
        InvalidArgumentError: (at run time) wrong channel count, quality out of range.
        UnimplementedError: (at run time) Pillow is not installed.

    Example:
        >>> data = tf.image.encode_jpeg(tf.cast(img * 255, tf.uint8), quality=90)
    """
    with name_scope(name, "EncodeJpeg", [image]) as scope:
        image = convert_to_tensor(image, dtype=dtypes.uint8, name="image")
        return apply_op("EncodeJpeg", image, name=scope, format=format, quality=int(quality),
                        progressive=bool(progressive), optimize_size=bool(optimize_size),
                        chroma_downsampling=bool(chroma_downsampling),
                        density_unit=density_unit, x_density=int(x_density),
                        y_density=int(y_density), xmp_metadata=xmp_metadata)


def _encode_jpeg_variable_quality_call(image, quality, name=None):
    with name_scope(name, "EncodeJpegVariableQuality", [image, quality]) as scope:
        image = convert_to_tensor(image, dtype=dtypes.uint8, name="images")
        q = convert_to_tensor(quality, dtype=dtypes.int32, name="quality")
        return apply_op("EncodeJpegVariableQuality", image, q, name=scope)


def _from_uint8(decoded, like):
    from flowexec.ops.image_color_ops import convert_image_dtype
    return convert_image_dtype(decoded, like.dtype, saturate=True)


def adjust_jpeg_quality(image, jpeg_quality, name=None):
    """Re-encodes `image` as JPEG at `jpeg_quality` and decodes it again (TF 2's
    `tf.image.adjust_jpeg_quality`, ops EncodeJpegVariableQuality and DecodeJpeg).

    Args:
        image: a [height, width, 1 or 3] image; a float image is taken to be in [0, 1].
        jpeg_quality: a Python or Tensor int in [0, 100].
        name: the name scope.

    Returns:
        An image of the input's dtype and shape.

    Raises:
        InvalidArgumentError: (at run time) a quality out of range.
        UnimplementedError: (at run time) Pillow is not installed.

    Example:
        >>> noisy = tf.image.adjust_jpeg_quality(img, 30)
    """
    from flowexec.ops.image_color_ops import convert_image_dtype
    with name_scope(name, "adjust_jpeg_quality", [image]):
        image = convert_to_tensor(image, name="image")
        orig = image.dtype
        u8 = convert_image_dtype(image, dtypes.uint8, saturate=True)
        data = _encode_jpeg_variable_quality_call(u8, jpeg_quality)
        out = decode_jpeg(data, channels=image.shape[-1] if image.shape.ndims else 0)
        return convert_image_dtype(out, orig, saturate=True)


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    """`adjust_jpeg_quality` at a quality drawn uniformly from [min, max) (TF 2's
    `tf.image.random_jpeg_quality`).

    Args:
        image: a [height, width, 1 or 3] image.
        min_jpeg_quality, max_jpeg_quality: Python ints, 0 <= min < max <= 100.
        seed: the op seed.

    Returns:
        An image of the input's dtype and shape.

    Raises:
        ValueError: the bounds are out of order or outside [0, 100].
        UnimplementedError: (at run time) Pillow is not installed.

    Example:
        >>> img = tf.image.random_jpeg_quality(img, 70, 100)
    """
    if (min_jpeg_quality < 0 or max_jpeg_quality < 0 or min_jpeg_quality > 100
            or max_jpeg_quality > 100):
        raise ValueError("jpeg encoding range must be between 0 and 100.")
    if min_jpeg_quality >= max_jpeg_quality:
        raise ValueError("`min_jpeg_quality` must be less than `max_jpeg_quality`.")
    from flowexec.ops import random_ops as random_mod
    with name_scope(None, "random_jpeg_quality", [image]):
        q = random_mod.random_uniform([], min_jpeg_quality, max_jpeg_quality, dtypes.int32,
                                      seed=seed)
        return adjust_jpeg_quality(image, q)


def is_jpeg(contents, name=None):
    """Whether `contents` starts with JPEG's magic bytes FF D8 FF (TF's `tf.image.is_jpeg`).

    Args:
        contents: a scalar string Tensor.
        name: the name scope.

    Returns:
        A scalar bool Tensor.

    Example:
        >>> tf.image.is_jpeg(tf.read_file("x.jpg"))  # True
    """
    from flowexec.ops.math_ops import equal
    from flowexec.ops.string_ops import substr
    with name_scope(name, "is_jpeg", [contents]):
        substr_ = substr(contents, 0, 3)
        return equal(substr_, b"\xff\xd8\xff", name="is_jpeg")
