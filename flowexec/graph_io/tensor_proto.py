"""numpy arrays <-> TF's TensorProto and TensorShapeProto (`tf.make_tensor_proto`,
`tf.make_ndarray`).

Encoding follows TF's `make_tensor_proto`: numeric arrays go to `tensor_content` (raw
little-endian bytes), strings to `string_val`; a scalar value with a larger `shape` fills
it. Decoding accepts every form TF writes: `tensor_content`, the typed value lists
(`float_val`, `int_val`, `int64_val`, `half_val` holding float16 bit patterns, `bool_val`,
`scomplex_val`, ...), and a list shorter than the shape, whose last value fills the rest.
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.tensor_shape import TensorShape
from flowexec.graph_io import protos

__all__ = ["make_ndarray", "make_tensor_proto", "shape_from_proto", "shape_proto"]

# TensorProto's typed value field of each DataType (TF's tensor.proto).
_VALUE_FIELD = {
    "float16": "half_val", "float32": "float_val", "float64": "double_val",
    "int8": "int_val", "int16": "int_val", "int32": "int_val", "uint8": "int_val",
    "uint16": "int_val", "int64": "int64_val", "uint32": "uint32_val", "uint64": "uint64_val",
    "bool": "bool_val", "complex64": "scomplex_val", "complex128": "dcomplex_val",
    "string": "string_val",
}


def shape_proto(shape):
    """The TensorShapeProto of a TensorShape, list or tuple (-1: an unknown dimension)."""
    p = protos.get()
    shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
    if shape.ndims is None:
        return p.tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    return p.tensor_shape_pb2.TensorShapeProto(
        dim=[p.tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else d)
             for d in shape.as_list()])


def shape_from_proto(proto):
    """The TensorShape of a TensorShapeProto."""
    if proto.unknown_rank:
        return TensorShape(None)
    return TensorShape([None if d.size < 0 else d.size for d in proto.dim])


def _as_bytes(s):
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode("utf-8")
    if isinstance(s, (np.bytes_, np.str_)):
        return _as_bytes(s.item())
    raise TypeError(f"Failed to convert object of type {type(s)} to Tensor. Contents: {s!r}. "
                    "Consider casting elements to a supported type.")


# The dtypes TF's make_tensor_proto writes as raw tensor_content (when size > 1).
_CONTENT_TYPES = frozenset(["float16", "float32", "float64", "int8", "int16", "int32", "int64",
                            "uint8", "uint16", "uint32", "uint64"])


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False,
                      allow_broadcast=False):
    """A TensorProto holding `values` (TF's `tf.make_tensor_proto`).

    Args:
        values: a Python value or numpy array.
        dtype: the element type (default: inferred as `tf.constant` does).
        shape: the proto's shape; a single value fills it, and fewer values than the shape
            holds repeat the last one, as in `tf.constant`.
        verify_shape: `values` must have exactly `shape`.
        allow_broadcast: `values` broadcast to `shape` (numpy's rules).

    Returns:
        A `TensorProto`: raw `tensor_content` for numeric arrays of more than one element,
        else the typed value list (`float_val`, `bool_val`, `string_val`, ...), as TF writes.

    Raises:
        TypeError: `values` do not convert to `dtype`; `verify_shape` fails.
        ValueError: more values than `shape` holds; a ragged list; None.

    Example:
        >>> tf.make_ndarray(tf.make_tensor_proto([1, 2], dtype=tf.float32))
        array([1., 2.], dtype=float32)
    """
    from flowexec.ops import constant_op  # TF's conversion rules for Python values

    arr, dt = constant_op._to_numpy(values, dtype, shape)
    single = False
    if shape is not None:
        shape = [int(d) for d in TensorShape(shape).as_list()]
        if allow_broadcast and arr.size != 1:
            arr = np.broadcast_to(arr, shape)
        elif arr.size == 1 and list(arr.shape) != shape and not verify_shape:
            single = True  # one value fills the shape, written once
        else:
            arr = constant_op._fill_to_shape(arr, shape, verify_shape)
    out_shape = shape if shape is not None else list(arr.shape)
    p = protos.get()
    proto = p.tensor_pb2.TensorProto(dtype=dt.as_datatype_enum,
                                     tensor_shape=shape_proto(out_shape))
    if dt is dtypes.string:
        proto.string_val.extend(_as_bytes(s) for s in np.asarray(arr, dtype=object).ravel())
    elif not single and arr.size > 1 and dt.name in _CONTENT_TYPES:
        proto.tensor_content = np.ascontiguousarray(
            arr, dtype=dt.np.newbyteorder("<")).tobytes()
    else:
        _set_values(proto, dt, np.asarray(arr).ravel())
    return proto


def _set_values(proto, dt, flat):
    field = getattr(proto, _VALUE_FIELD[dt.name])
    if dt is dtypes.float16:
        field.extend(int(b) for b in flat.astype(np.float16).view(np.uint16))
    elif dt.is_complex:
        for c in flat:
            field.extend((float(c.real), float(c.imag)))
    else:
        field.extend(flat.astype(dt.np).tolist())


def make_ndarray(tensor):
    """The numpy array a TensorProto holds (TF's `tf.make_ndarray`).

    Raises:
        TypeError: the proto's dtype has no numpy form (resource, variant) or is unknown.
        ValueError: the proto's contents do not fit its shape.
    """
    try:
        dt = dtypes.as_dtype(tensor.dtype)
    except (TypeError, ValueError, KeyError) as e:
        raise TypeError(f"Unsupported tensor type: {tensor.dtype}") from e
    shape = [d.size for d in tensor.tensor_shape.dim]
    n = int(np.prod(shape, dtype=np.int64))
    if dt is dtypes.string:
        values = list(tensor.string_val)
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return _fill(arr, n, shape, tensor)
    if not dt.is_numpy_compatible:
        raise TypeError(f"Unsupported tensor type: {tensor.dtype}")
    if tensor.tensor_content:
        le = dt.np.newbyteorder("<")
        if len(tensor.tensor_content) != n * le.itemsize:
            raise ValueError(f"TensorProto of {dt.name} shape {shape} has "
                             f"{len(tensor.tensor_content)} bytes of tensor_content; "
                             f"expected {n * le.itemsize}")
        return np.frombuffer(tensor.tensor_content, dtype=le).astype(dt.np).reshape(shape)
    field = list(getattr(tensor, _VALUE_FIELD[dt.name]))
    if dt is dtypes.float16:
        arr = np.asarray(field, dtype=np.uint16).view(np.float16)
    elif dt.is_complex:
        pairs = np.asarray(field, dtype=dt.real_dtype.np).reshape(-1, 2)
        arr = pairs[:, 0] + 1j * pairs[:, 1]
        arr = arr.astype(dt.np)
    else:
        arr = np.asarray(field, dtype=dt.np)
    return _fill(arr, n, shape, tensor)


def _fill(arr, n, shape, tensor):
    """`arr` reshaped to `shape`; a shorter list repeats its last value (TF's rule)."""
    if arr.size == n:
        return arr.reshape(shape)
    if arr.size == 0:
        if n == 0:
            return arr.reshape(shape)
        arr = np.zeros(1, dtype=arr.dtype) if arr.dtype != object else np.array([b""], object)
    if arr.size > n:
        raise ValueError(f"TensorProto of shape {shape} holds {arr.size} values, more than "
                         f"its {n} elements")
    out = np.empty(n, dtype=arr.dtype)
    out[:arr.size] = arr
    out[arr.size:] = arr[-1]
    return out.reshape(shape)
