"""image_png_ops: TF's PNG and BMP codecs — DecodePng, EncodePng and DecodeBmp — and the
`tf.image` / `tf.io` functions over them (decode_png, encode_png, decode_bmp).

DecodePng and DecodeBmp sniff the format from the bytes, as TF 2's kernels do (DecodePng
reads a JPEG): other formats go through image_codec_ops' format dispatch.

Libraries: 8-bit PNG decode goes through Pillow, an optional dependency (`pip install
'flowexec[image]'`), imported on first use; without it DecodePng raises UnimplementedError
for those files. 16-bit colour PNGs (Pillow keeps only 8 bits) are unfiltered here in numpy.

- PNG encode (zlib, written here: round-trips; TF's libpng may choose other filters, so the
  bytes differ), BMP decode (numpy) and PNG decode are exact: they are lossless.

Host-only (string tensors are object arrays of bytes), stateless, not differentiable.
"""

import io
import struct
import zlib

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.ops.image_codec_common import (
    _HOST,
    _bytes,
    _contents,
    _decode3_infer,
    _encode_infer,
    _invalid,
    _pil,
    _string_scalar,
)

__all__ = ["decode_bmp", "decode_png", "encode_png"]


# ----- PNG -------------------------------------------------------------------------------
def _png_chunks(data):
    pos = 8
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + n]
        pos += 12 + n


def _unfilter(raw, h, row_bytes, bpp):
    """PNG's five row filters undone (non-interlaced)."""
    out = np.zeros((h, row_bytes), np.uint8)
    prev = np.zeros(row_bytes, np.int32)
    stride = row_bytes + 1
    for y in range(h):
        kind = raw[y * stride]
        line = np.frombuffer(raw, np.uint8, row_bytes, y * stride + 1).astype(np.int32)
        if kind == 0:
            cur = line
        elif kind == 1:
            cur = line.copy()
            for i in range(bpp):  # a running sum per byte lane
                cur[i::bpp] = np.cumsum(line[i::bpp]) & 255
        elif kind == 2:
            cur = (line + prev) & 255
        elif kind in (3, 4):
            cur = line.tolist()
            up = prev.tolist()
            for i in range(row_bytes):
                a = cur[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    cur[i] = (cur[i] + ((a + b) >> 1)) & 255
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                    cur[i] = (cur[i] + pred) & 255
            cur = np.asarray(cur, np.int32)
        else:
            raise _invalid(f"Invalid PNG data, size {len(raw)}")
        out[y] = cur
        prev = cur
    return out


def _decode_png16(data):
    """16-bit non-palette, non-interlaced PNGs (Pillow keeps only 8 bits of colour ones):
    (uint16 HxWxC, has no tRNS) or None when Pillow can read the file exactly."""
    ihdr = None
    idat = []
    for kind, body in _png_chunks(data):
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body[:13])
        elif kind == b"IDAT":
            idat.append(body)
    if ihdr is None:
        return None
    w, h, depth, color, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 16 or channels is None or channels == 1 or interlace:
        return None
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error:
        raise _invalid("Invalid PNG data, size %d" % len(data)) from None
    bpp = 2 * channels
    if len(raw) < h * (w * bpp + 1):
        raise _invalid("Invalid PNG data, size %d" % len(data))
    rows = _unfilter(raw, h, w * bpp, bpp)
    return rows.view(">u2").astype(np.uint16).reshape(h, w, channels)


def _rgb_to_gray(rgb, depth):
    """libpng's png_do_rgb_to_gray for TF's png_set_rgb_to_gray(0.299, 0.587), no gamma:
    15-bit coefficients, truncated for 8-bit samples, rounded for 16-bit ones."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    bias = 16384 if depth == 16 else 0
    return ((9797 * r + 19234 * g + 3737 * b + bias) >> 15).astype(rgb.dtype)[..., None]


def _decode_png_native(data):
    """(uint8 or uint16 HxWxC array of the file's channels, bit depth)."""
    a16 = _decode_png16(data)
    if a16 is not None:
        return a16, 16
    Image, _ = _pil("DecodePng")
    try:
        im = Image.open(io.BytesIO(data), formats=["PNG"])
        im.load()
    except Exception:
        raise _invalid("Invalid PNG. Failed to initialize decoder.") from None
    mode = im.mode
    if mode == "P":
        has_alpha = "transparency" in im.info
        im = im.convert("RGBA" if has_alpha else "RGB")
        mode = im.mode
    elif mode == "1":
        im = im.convert("L")
        mode = "L"
    elif mode in ("L", "LA", "RGB", "RGBA") and "transparency" in im.info:
        im = im.convert("LA" if mode == "L" else "RGBA")
        mode = im.mode
    if mode in ("I;16", "I;16B", "I"):
        return np.asarray(im, dtype=np.uint16)[..., None], 16
    if mode == "La" or mode == "PA":
        im = im.convert("LA")
    a = np.asarray(im)
    return (a[..., None] if a.ndim == 2 else a), 8


def _png_channels(a, channels, depth, file_depth=8):
    c = a.shape[-1]
    # libpng's filler is masked to the file's bit depth (a 4-bit palette file gets 15)
    top = np.iinfo(a.dtype).max if file_depth >= 8 else (1 << file_depth) - 1
    if not channels or channels == c:
        return a
    if channels == 1:
        return a[..., :1] if c <= 2 else _rgb_to_gray(a, depth)
    if channels == 3:
        return np.repeat(a[..., :1], 3, -1) if c <= 2 else a[..., :3]
    rgb = np.repeat(a[..., :1], 3, -1) if c <= 2 else a[..., :3]
    alpha = a[..., -1:] if c in (2, 4) else np.full(a.shape[:2] + (1,), top, a.dtype)
    return np.concatenate([rgb, alpha], -1)


def _decode_png_array(data, channels=0, dtype=dtypes.uint8):
    a, depth = _decode_png_native(data)
    file_depth = data[24] if len(data) > 25 else 8
    a = _png_channels(a, channels, depth, file_depth)
    if dtype is dtypes.uint16 and a.dtype == np.uint8:
        return a.astype(np.uint16) * 257
    if dtype is dtypes.uint8 and a.dtype == np.uint16:
        return (a >> 8).astype(np.uint8)  # libpng's png_set_strip_16
    return np.ascontiguousarray(a)


@defop("DecodePng", infer=_decode3_infer("dtype"), device_types=_HOST, cost=lambda op: 1e6)
def _decode_png(xp, contents, *, channels=0, dtype=dtypes.uint8):
    from flowexec.ops.image_codec_ops import _decode_any  # lazy: image_codec_ops imports us
    if channels not in (0, 1, 3, 4):
        raise _invalid(f"`channels` must be 0, 1, 3 or 4 but got {channels}")
    return _decode_any(_bytes(xp, contents), "DecodePng", channels=channels, dtype=dtype)


_decode_png.not_differentiable()


def _png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _encode_png_bytes(img, compression=-1):
    img = np.asarray(img)
    if img.ndim != 3:
        raise _invalid(f"image must be 3-dimensional{list(img.shape)}")
    h, w, c = img.shape
    if c not in (1, 2, 3, 4):
        raise _invalid(f"image must have 1, 2, 3, or 4 channels, got {c}")
    if not -1 <= compression <= 9:
        raise _invalid(f"compression should be in [-1,9], got {compression}")
    depth = 16 if img.dtype == np.uint16 else 8
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.ascontiguousarray(img.astype(">u2") if depth == 16 else img).reshape(h, -1)
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rows.view(np.uint8)], 1).tobytes()
    return (b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(raw, compression))
            + _png_chunk(b"IEND", b""))


def _encode_png_infer(op):
    out = _encode_infer((dtypes.uint8, dtypes.uint16))(op)
    return out


@defop("EncodePng", infer=_encode_png_infer, device_types=_HOST, cost=lambda op: 1e6)
def _encode_png(xp, image, *, compression=-1, T=None):
    return _string_scalar(_encode_png_bytes(np.asarray(image), int(compression)))


_encode_png.not_differentiable()


# ----- BMP -------------------------------------------------------------------------------
def _decode_bmp_array(data, channels=0):
    if len(data) < 32:
        raise _invalid("Incomplete bmp content, requires at least 32 bytes to find the header "
                       f"size, width, height, and bpp, got {len(data)} bytes")
    offset, = struct.unpack_from("<i", data, 10)
    header_size, width, height = struct.unpack_from("<iii", data, 14)
    bpp, = struct.unpack_from("<h", data, 28)
    if channels == 0:
        channels = bpp // 8
    if channels not in (1, 3, 4) or bpp not in (8, 24, 32):
        raise _invalid(f"Number of channels inherent in the image must be 1, 3 or 4, was "
                       f"{channels}")
    if width <= 0:
        raise _invalid(f"Width must be positive, got {width}")
    if height == 0:
        raise _invalid("Height must be nonzero")
    if header_size < 0 or offset < 0:
        raise _invalid("header size and offset must be non-negative")
    top_down = height < 0
    height = abs(height)
    step = bpp // 8
    row_size = (step * width + 3) // 4 * 4
    if offset + row_size * height > len(data):
        raise _invalid(f"Input size should be at least {offset + row_size * height} bytes, "
                       f"got {len(data)} bytes")
    buf = np.frombuffer(data, np.uint8)
    native = step if step in (1, 3, 4) else 3
    lanes = [0] if native == 1 else ([2, 1, 0] if native == 3 else [2, 1, 0, 3])
    rows = np.arange(height) if top_down else np.arange(height - 1, -1, -1)
    idx = (offset + rows[:, None, None] * row_size
           + np.arange(width)[None, :, None] * step + np.asarray(lanes)[None, None, :])
    padded = np.concatenate([buf, np.zeros(4, np.uint8)])
    img = padded[np.minimum(idx, len(padded) - 1)]
    if channels == native:
        return img
    rgb = np.repeat(img, 3, -1) if native == 1 else img[..., :3]
    if channels == 3:
        return np.ascontiguousarray(rgb)
    return np.concatenate([rgb, np.full(img.shape[:2] + (1,), 255, np.uint8)], -1)


@defop("DecodeBmp", infer=_decode3_infer(), device_types=_HOST)
def _decode_bmp(xp, contents, *, channels=0):
    from flowexec.ops.image_codec_ops import _decode_any  # lazy: image_codec_ops imports us
    if channels not in (0, 3, 4):
        raise _invalid(f"`channels` must be 0, 3 or 4 for BMP, but got {channels}")
    return _decode_any(_bytes(xp, contents), "DecodeBmp", channels=channels)


_decode_bmp.not_differentiable()


# ----- Python API ------------------------------------------------------------------------
def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None):
    """Decodes a PNG image (op type DecodePng); palette, 1-bit and transparency are expanded
    as libpng expands them. Also reads JPEG, GIF (first frame) and BMP bytes.

    Args:
        contents: a scalar string Tensor, the encoded image.
        channels: 0 (the file's), 1 (grayscale), 3 (RGB) or 4 (RGBA).
        dtype: uint8 or uint16 (8-bit files are scaled by 257).
        name: the op name.

    Returns:
        A `dtype` Tensor of shape [height, width, channels].

    Raises:
        InvalidArgumentError: (at run time) invalid data, an unknown format.
        UnimplementedError: (at run time) Pillow is not installed (needed for 8-bit files).

    Example:
        >>> img = tf.image.decode_png(tf.read_file("mask.png"), channels=1)
    """
    dtype = dtypes.as_dtype(dtype)
    if dtype not in (dtypes.uint8, dtypes.uint16):
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not in "
                        "list of allowed values: uint8, uint16")
    with name_scope(name, "DecodePng", [contents]) as scope:
        return apply_op("DecodePng", _contents(contents), name=scope, channels=int(channels),
                        dtype=dtype)


def encode_png(image, compression=-1, name=None):
    """Encodes a uint8 or uint16 image [height, width, 1 to 4 channels] as PNG (op type
    EncodePng); decoding it gives the image back.

    Args:
        image: a uint8 or uint16 Tensor.
        compression: the zlib level, -1 (default) or 0 to 9.
        name: the op name.

    Returns:
        A scalar string Tensor.

    Raises:
        InvalidArgumentError: (at run time) a channel count outside 1..4.

    Example:
        >>> data = tf.image.encode_png(mask)
    """
    with name_scope(name, "EncodePng", [image]) as scope:
        image = convert_to_tensor(image, name="image")
        if image.dtype not in (dtypes.uint8, dtypes.uint16):
            raise TypeError(f"Value passed to parameter 'image' has DataType "
                            f"{image.dtype.name} not in list of allowed values: uint8, uint16")
        return apply_op("EncodePng", image, name=scope, compression=int(compression),
                        T=image.dtype)


def decode_bmp(contents, channels=0, name=None):
    """Decodes an uncompressed BMP image (op type DecodeBmp).

    Args:
        contents: a scalar string Tensor, the encoded image.
        channels: 0 (the file's bits per pixel / 8), 3 (RGB) or 4 (RGBA).
        name: the op name.

    Returns:
        A uint8 Tensor of shape [height, width, channels].

    Raises:
        InvalidArgumentError: (at run time) a short or invalid header, bad `channels`.

    Example:
        >>> img = tf.image.decode_bmp(tf.read_file("icon.bmp"))
    """
    with name_scope(name, "DecodeBmp", [contents]) as scope:
        return apply_op("DecodeBmp", _contents(contents), name=scope, channels=int(channels))
