"""image_codec_common: what TF's image codec modules share — the host-only placement `_HOST`,
`_invalid` (InvalidArgumentError), `_pil` (Pillow, imported on first use; UnimplementedError
without it), `_bytes` (a scalar string tensor's bytes), the format sniffer `_sniff`, the
ops' shape functions, and `_string_scalar` / `_contents` for kernels and Python API.

Used by image_jpeg_ops (JPEG), image_png_ops (PNG and BMP) and image_codec_ops (GIF,
DecodeImage and the format dispatch; it re-exports the public API of all three).
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework import errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

_HOST = ("CPU",)


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _pil(op_type):
    """Pillow's Image module, or UnimplementedError naming the extra that installs it."""
    try:
        from PIL import Image, ImageFile
    except ImportError as e:
        raise errors.UnimplementedError(
            None, None, f"{op_type} needs Pillow, which is not installed: "
                        "pip install 'flowexec[image]'") from e
    return Image, ImageFile


def _bytes(xp, x):
    v = np.asarray(x, dtype=object).reshape(-1)
    if v.size != 1:
        raise _invalid(f"contents must be scalar, got shape {list(np.shape(x))}")
    v = v[0]
    return v if isinstance(v, bytes) else str(v).encode("utf-8")


def _sniff(data):
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"GIF8":
        return "gif"
    if data[:2] == b"BM":
        return "bmp"
    return None


# ----- shape functions -------------------------------------------------------------------
def _scalar_string(op, index=0, name="contents"):
    t = op.inputs[index]
    if t.dtype is not dtypes.string:
        shape_fns.check_dtype_in(op, (dtypes.string,), index)
    if t.shape.ndims is not None and t.shape.ndims != 0:
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {t.shape.ndims}")
    return t


def _channels_dim(op):
    c = op.attrs.get("channels", 0)
    return None if not c else int(c)


def _decode3_infer(dtype_attr=None):
    def infer(op):
        _scalar_string(op)
        dt = op.attrs[dtype_attr] if dtype_attr else dtypes.uint8
        return [(dt, TensorShape([None, None, _channels_dim(op)]))]
    return infer


def _crop_infer(op):
    _scalar_string(op)
    w = op.inputs[1]
    shape_fns.check_dtype_in(op, (dtypes.int32,), 1)
    if w.shape.ndims is not None and w.shape.ndims != 1:
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {w.shape.ndims}")
    if w.shape.ndims == 1 and w.shape[0] is not None and w.shape[0] != 4:
        raise shape_fns.shape_error(
            op, f"Dimension must be 4 but is {w.shape[0]}")
    win = shape_fns.constant_value(w)
    h = wd = None
    if win is not None:
        h, wd = int(win[2]), int(win[3])
    return [(dtypes.uint8, TensorShape([h, wd, _channels_dim(op)]))]


def _gif_infer(op):
    _scalar_string(op)
    return [(dtypes.uint8, TensorShape([None, None, None, 3]))]


def _image_infer(op):
    _scalar_string(op)
    dt = op.attrs.get("dtype", dtypes.uint8)
    if dt not in (dtypes.uint8, dtypes.uint16, dtypes.float32):
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dt.name} not in "
                        "list of allowed values: uint8, uint16, float32")
    return [(dt, TensorShape(None))]


def _encode_infer(allowed, name="image", rank=3):
    def infer(op):
        shape_fns.check_dtype_in(op, allowed, 0)
        t = op.inputs[0]
        if t.shape.ndims is not None and t.shape.ndims != rank:
            raise shape_fns.shape_error(
                op, f"Shape must be rank {rank} but is rank {t.shape.ndims}")
        if len(op.inputs) > 1:
            shape_fns.check_dtype_in(op, (dtypes.int32,), 1)
            q = op.inputs[1]
            if q.shape.ndims is not None and q.shape.ndims != 0:
                raise shape_fns.shape_error(
                    op, f"Shape must be rank 0 but is rank {q.shape.ndims}")
        return [(dtypes.string, TensorShape([]))]
    return infer


def _shape_infer(op):
    _scalar_string(op)
    out = op.attrs.get("output_type", dtypes.int32)
    if out not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'output_type' has DataType {out.name} not "
                        "in list of allowed values: int32, int64")
    return [(out, TensorShape([3]))]


# ----- kernel and Python-API helpers -----------------------------------------------------
def _string_scalar(value):
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def _contents(contents):
    return convert_to_tensor(contents, dtype=dtypes.string, name="contents")
