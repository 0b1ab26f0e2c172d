"""tensor_proto_ops: tensors as serialized TensorProto strings (serialize_tensor /
parse_tensor), and decompressing strings (decode_compressed).

The protocol buffers are TF's own (from the tensorboard package, flowexec[graph]); what
serialize_tensor writes, TF's parse_tensor reads, and the other way round.
"""

import gzip
import zlib

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape

__all__ = ["decode_compressed", "parse_tensor", "serialize_tensor"]

_HOST = ("CPU",)


def _bytes(v):
    if not isinstance(v, (bytes, str)) and hasattr(v, "item"):
        v = v.item()
    return v if isinstance(v, bytes) else str(v).encode("utf-8")


def _string_scalar(value):
    import numpy as np  # host-only kernels: a 0-d object array keeps trailing NUL bytes

    out = np.empty((), dtype=object)
    out[()] = value
    return out


@defop("SerializeTensor", infer=lambda op: [(dtypes.string, TensorShape([]))],
       device_types=_HOST)
def _serialize_tensor(xp, tensor):
    from flowexec.graph_io import make_tensor_proto

    return _string_scalar(make_tensor_proto(tensor).SerializeToString())


_serialize_tensor.not_differentiable()


def serialize_tensor(tensor, name=None):
    """`tensor` as one serialized TensorProto string (op type SerializeTensor).

    Example:
        >>> s = serialize_tensor([1.0, 2.0]); parse_tensor(s, float32)  # [1., 2.]
    """
    with name_scope(name, "SerializeTensor", [tensor]) as scope:
        x = convert_to_tensor(tensor, name="tensor")
        return apply_op("SerializeTensor", x, name=scope)


def _parse_infer(op):
    if op.inputs[0].dtype is not dtypes.string:
        raise TypeError("Input 'serialized' of 'ParseTensor' Op has type "
                        f"{op.inputs[0].dtype.name} that does not match expected type of string.")
    return [(op.attrs["out_type"], TensorShape(None))]


@defop("ParseTensor", infer=_parse_infer, device_types=_HOST)
def _parse_tensor(xp, serialized, *, out_type):
    from flowexec.graph_io import make_ndarray
    from flowexec.graph_io import protos

    proto = protos.proto_class("TensorProto")()
    try:
        proto.ParseFromString(_bytes(serialized))
    except Exception as e:  # protobuf's DecodeError
        raise errors.InvalidArgumentError(None, None, "Could not parse `serialized` as "
                                                      "TensorProto") from e
    got = dtypes.as_dtype(proto.dtype)
    if got is not out_type:
        raise errors.InvalidArgumentError(
            None, None, f"Type mismatch between parsed tensor ({got.proto_name}) and dtype "
                        f"({out_type.proto_name})")
    return make_ndarray(proto)


_parse_tensor.not_differentiable()


def parse_tensor(serialized, out_type, name=None):
    """The tensor a serialized TensorProto string holds (op type ParseTensor).

    Raises:
        InvalidArgumentError: (at run time) the string is not a TensorProto, or its dtype is
            not `out_type`.
    """
    with name_scope(name, "ParseTensor", [serialized]) as scope:
        s = convert_to_tensor(serialized, name="serialized", dtype=dtypes.string)
        return apply_op("ParseTensor", s, name=scope, out_type=dtypes.as_dtype(out_type))


def _decode_compressed_infer(op):
    if op.inputs[0].dtype is not dtypes.string:
        raise TypeError("Input 'bytes' of 'DecodeCompressed' Op has type "
                        f"{op.inputs[0].dtype.name} that does not match expected type of string.")
    return [(dtypes.string, op.inputs[0].shape)]


@defop("DecodeCompressed", infer=_decode_compressed_infer, device_types=_HOST)
def _decode_compressed(xp, bytes, *, compression_type=""):
    def one(v):
        data = _bytes(v)
        try:
            if compression_type == "ZLIB":
                return zlib.decompress(data)
            if compression_type == "GZIP":
                return gzip.decompress(data)
            return data
        except (OSError, zlib.error) as e:
            raise errors.DataLossError(None, None, f"Failed to decompress: {e}") from None
    arr = xp.asarray(bytes, dtype=object)
    flat = [one(v) for v in arr.reshape(-1).tolist()]
    out = xp.empty(len(flat), dtype=object)
    out[:] = flat
    out = out.reshape(arr.shape)
    return out if out.ndim else _string_scalar(out.item())


_decode_compressed.not_differentiable()


def decode_compressed(bytes, compression_type="", name=None):
    """Each string decompressed: compression_type "" (as is), "ZLIB" or "GZIP" (op type
    DecodeCompressed).

    Raises:
        ValueError: an unknown compression type.
        DataLossError: (at run time) a string is not valid compressed data.
    """
    if compression_type not in ("", "ZLIB", "GZIP"):
        raise ValueError(f"Unknown compression_type: {compression_type!r}")
    with name_scope(name, "DecodeCompressed", [bytes]) as scope:
        b = convert_to_tensor(bytes, name="bytes", dtype=dtypes.string)
        return apply_op("DecodeCompressed", b, name=scope, compression_type=compression_type)
