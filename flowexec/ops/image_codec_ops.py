"""image_codec_ops: TF's image codecs — DecodeGif, DecodeImage and the format dispatch every
decoder goes through — and the `tf.image` / `tf.io` functions decode_gif and decode_image;
it re-exports the JPEG codecs of image_jpeg_ops (DecodeJpeg, DecodeAndCropJpeg, EncodeJpeg,
EncodeJpegVariableQuality, ExtractJpegShape; decode_jpeg, decode_and_crop_jpeg,
extract_jpeg_shape, encode_jpeg, adjust_jpeg_quality, random_jpeg_quality, is_jpeg) and the
PNG / BMP codecs of image_png_ops (DecodePng, EncodePng, DecodeBmp; decode_png, encode_png,
decode_bmp). Helpers the three share are in image_codec_common.

Every decoder sniffs the format from the bytes, as TF 2's kernels do (DecodePng reads a JPEG,
DecodeJpeg a PNG); an unknown format is InvalidArgumentError "Unknown image file format. One
of JPEG, PNG, GIF, BMP required.". GIFs give all frames [frames, h, w, 3] from DecodeGif and
DecodeImage (expand_animations), the first frame from the others.

Libraries: GIF (LZW) goes through Pillow, an optional dependency (`pip install
'flowexec[image]'`), imported on first use; without it DecodeGif raises UnimplementedError.
GIF decode is exact: it is lossless.

Host-only (string tensors are object arrays of bytes), stateless, not differentiable.
Pillow releases the GIL while it decodes, so runs on several threads overlap.
"""

import io

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.ops.image_codec_common import (
    _HOST,
    _bytes,
    _contents,
    _gif_infer,
    _image_infer,
    _invalid,
    _pil,
    _sniff,
)
from flowexec.ops.image_jpeg_ops import (
    _decode_jpeg_array,
    adjust_jpeg_quality,
    decode_and_crop_jpeg,
    decode_jpeg,
    encode_jpeg,
    extract_jpeg_shape,
    is_jpeg,
    random_jpeg_quality,
)
from flowexec.ops.image_png_ops import (
    _decode_bmp_array,
    _decode_png_array,
    decode_bmp,
    decode_png,
    encode_png,
)

__all__ = ["adjust_jpeg_quality", "decode_and_crop_jpeg", "decode_bmp", "decode_gif",
           "decode_image", "decode_jpeg", "decode_png", "encode_jpeg", "encode_png",
           "extract_jpeg_shape", "is_jpeg", "random_jpeg_quality"]

_UNKNOWN_FORMAT = "Unknown image file format. One of JPEG, PNG, GIF, BMP required."


# ----- GIF -------------------------------------------------------------------------------
def _decode_gif_array(data, op_type):
    """All frames [n, h, w, 3], composited as TF's gif_io does (each frame starts from the
    previous one; transparent pixels keep it)."""
    Image, _ = _pil(op_type)
    try:
        im = Image.open(io.BytesIO(data), formats=["GIF"])
        frames = []
        for k in range(getattr(im, "n_frames", 1)):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")))
    except Exception:
        raise _invalid(f"Invalid GIF data (size {len(data)}), failed to slurp gif file") \
            from None
    return np.stack(frames)


@defop("DecodeGif", infer=_gif_infer, device_types=_HOST, cost=lambda op: 1e6)
def _decode_gif(xp, contents):
    return _decode_any(_bytes(xp, contents), "DecodeGif", expand_animations=True, gif4=True)


_decode_gif.not_differentiable()


# ----- DecodeImage and the format dispatch --------------------------------------------
def _decode_any(data, op_type, channels=0, dtype=dtypes.uint8, expand_animations=False,
                gif4=False, **jpeg):
    if not data:
        raise _invalid("Input is empty.")
    kind = _sniff(data)
    if kind is None:
        raise _invalid(_UNKNOWN_FORMAT)
    if kind == "gif":
        if channels not in (0, 3):
            raise _invalid(f"channels must be 0 or 3 for GIF, got {channels}")
        img = _decode_gif_array(data, op_type)
        if not (expand_animations or gif4):
            img = img[0]
    elif kind == "png":
        img = _decode_png_array(data, channels, dtypes.uint16 if dtype is dtypes.uint16
                                else (dtypes.uint8 if dtype is dtypes.uint8 else None))
    elif kind == "bmp":
        if channels not in (0, 3, 4):
            raise _invalid(f"`channels` must be 0, 3 or 4 for BMP, but got {channels}")
        img = _decode_bmp_array(data, channels)
    else:
        img = _decode_jpeg_array(data, op_type, channels, **jpeg)
    if gif4 and img.ndim == 3:
        img = img[None]
    if dtype is dtypes.uint16 and img.dtype == np.uint8:
        img = img.astype(np.uint16) * 257
    elif dtype is dtypes.uint8 and img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif dtype is dtypes.float32 and kind == "png":  # TF's kernel: via uint16, * 1/65535
        u16 = img.astype(np.float32) * np.float32(257) if img.dtype == np.uint8 else img
        img = u16.astype(np.float32) * np.float32(1.0 / 65535)
    elif dtype is dtypes.float32:
        img = img.astype(np.float32) * np.float32(1.0 / 255)
    return np.ascontiguousarray(img)


@defop("DecodeImage", infer=_image_infer, device_types=_HOST, cost=lambda op: 1e6)
def _decode_image_op(xp, contents, *, channels=0, dtype=dtypes.uint8, expand_animations=True):
    if channels not in (0, 1, 3, 4):
        raise _invalid(f"`channels` must be 0, 1, 3 or 4 but got {channels}")
    return _decode_any(_bytes(xp, contents), "DecodeImage", channels=channels, dtype=dtype,
                       expand_animations=expand_animations)


_decode_image_op.not_differentiable()


# ----- Python API ------------------------------------------------------------------------
def decode_gif(contents, name=None):
    """Decodes every frame of a GIF into a uint8 tensor [frames, height, width, 3] (op type
    DecodeGif).

    Args:
        contents: a scalar string Tensor, the encoded GIF.
        name: the op name.

    Returns:
        A uint8 Tensor of shape [num_frames, height, width, 3].

    Raises:
        InvalidArgumentError: (at run time) invalid data, an unknown format.
        UnimplementedError: (at run time) Pillow is not installed.

    Example:
        >>> frames = tf.image.decode_gif(tf.read_file("anim.gif"))
    """
    with name_scope(name, "DecodeGif", [contents]) as scope:
        return apply_op("DecodeGif", _contents(contents), name=scope)


def decode_image(contents, channels=None, dtype=dtypes.uint8, name=None,
                 expand_animations=True):
    """Decodes a BMP, GIF, JPEG or PNG image, sniffed from its bytes (TF's
    `tf.image.decode_image`; op type DecodeImage, then `convert_image_dtype` for dtypes other
    than uint8, uint16 and float32).

    Args:
        contents: a scalar string Tensor, the encoded image.
        channels: None or 0 (the file's), 1, 3 or 4 (GIF: 0 or 3; BMP: 0, 3 or 4).
        dtype: the output dtype; integers span their range, floats [0, 1].
        name: the name scope.
        expand_animations: GIFs give [frames, height, width, 3]; False: the first frame.

    Returns:
        A `dtype` Tensor: [height, width, channels], or 4-D for an animated GIF.

    Raises:
        InvalidArgumentError: (at run time) "Unknown image file format. One of JPEG, PNG,
            GIF, BMP required.", "Input is empty.", invalid data, unsupported channels.
        UnimplementedError: (at run time) Pillow is not installed.

    Example:
        >>> img = tf.image.decode_image(tf.read_file(path), channels=3, dtype=tf.float32)
    """
    from flowexec.ops.image_color_ops import convert_image_dtype
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "decode_image", [contents]):
        c = _contents(contents)
        ch = 0 if channels is None else int(channels)
        if dtype in (dtypes.uint8, dtypes.uint16, dtypes.float32):
            return apply_op("DecodeImage", c, channels=ch, dtype=dtype,
                            expand_animations=bool(expand_animations))
        raw = apply_op("DecodeImage", c, channels=ch, dtype=dtypes.uint16,
                       expand_animations=bool(expand_animations))
        return convert_image_dtype(raw, dtype)
