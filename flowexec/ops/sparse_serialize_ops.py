"""sparse_serialize_ops: SparseTensors as strings — TF 1.x's serialize_sparse
(SerializeSparse), serialize_many_sparse (SerializeManySparse), deserialize_many_sparse
(DeserializeManySparse) and the TF 2 DeserializeSparse op.

A serialized SparseTensor is a string vector [3]: its indices, values and dense shape, each a
serialized TensorProto written as TF's `Tensor::AsProtoTensorContent` writes it (dtype, shape,
the bytes in `tensor_content`; strings as TF's varint-length-prefixed string list), so the
bytes equal TF's (tests/data/tf1/sparse/ops.npz) and either side reads the other's.
SerializeManySparse writes one such row per entry of the first dimension (an [N, 3] matrix),
DeserializeManySparse reads N rows back into one SparseTensor with a new first dimension (its
other dimensions the maximum over the rows). The encoding is done here, byte for byte, with
no protobuf dependency (flowexec/framework/wire_format.py); TensorProtos written with typed value fields instead of
tensor_content are read through protobuf (flowexec.graph_io). Host-only, no gradients.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework import wire_format as wire
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.sparse_tensor import convert_to_sparse_tensor as _sparse
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns
from flowexec.ops.sparse_ops import check_sparse_arrays, check_sparse_components

__all__ = ["deserialize_many_sparse", "deserialize_sparse", "serialize_many_sparse",
           "serialize_sparse"]

_HOST = ("CPU",)

# TF's DataTypeString names, where they differ from the Python-facing name.
_TF_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


# ----- TensorProto bytes ------------------------------------------------------------------
def encode_tensor(array, dtype):
    """A numpy array as the serialized TensorProto TF's AsProtoTensorContent writes."""
    shape = b"".join(wire.length_delimited(2, wire.key(1, 0) + wire.varint(d) if d else b"")
                     for d in array.shape)
    out = wire.key(1, 0) + wire.varint(dtype.as_datatype_enum) + wire.length_delimited(2, shape)
    if dtype is dtypes.string:
        items = [v if isinstance(v, bytes) else str(v).encode("utf-8")
                 for v in array.reshape(-1).tolist()]
        content = b"".join(wire.varint(len(v)) for v in items) + b"".join(items)
    else:
        content = np.ascontiguousarray(array, dtype=dtype.np.newbyteorder("<")).tobytes()
    if content:
        out += wire.length_delimited(4, content)
    return out


def decode_tensor(data):
    """(DType, numpy array) of a serialized TensorProto.

    Raises:
        DataLossError, ValueError: the bytes are not a TensorProto this reads.
    """
    enum, dims, content, other = None, [], None, False
    for number, _, value in wire.fields(data):
        if number == 1:
            enum = value
        elif number == 2:
            for n, _, dim in wire.fields(value):
                if n == 2:
                    size = 0
                    for k, _, v in wire.fields(dim):
                        if k == 1:
                            size = v
                    dims.append(size)
        elif number == 4:
            content = value
        elif number != 3:  # version_number
            other = True
    dtype = dtypes.as_dtype(enum if enum is not None else 0)
    if other:
        from flowexec.graph_io import make_ndarray, protos

        proto = protos.proto_class("TensorProto")()
        proto.ParseFromString(data)
        return dtype, make_ndarray(proto)
    count = int(np.prod(dims, dtype=np.int64))
    if dtype is dtypes.string:
        content = content or b""
        lengths, pos = [], 0
        for _ in range(count):
            n, pos = wire.read_varint(content, pos)
            lengths.append(n)
        out = np.empty(count, dtype=object)
        for i, n in enumerate(lengths):
            out[i] = content[pos:pos + n]
            pos += n
        return dtype, out.reshape(dims)
    arr = np.frombuffer(content or b"", dtype=dtype.np.newbyteorder("<"))
    if arr.size != count:
        raise ValueError("tensor_content does not match the shape")
    return dtype, arr.astype(dtype.np).reshape(dims)


def _string_array(items, shape):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


# ----- SerializeSparse / SerializeManySparse ----------------------------------------------
def _serialize_infer(many):
    def infer(op):
        indices, values, shape = op.inputs
        shape_fns.check_dtype_in(op, (dtypes.int64,), 0)
        shape_fns.check_dtype_in(op, (dtypes.int64,), 2)
        check_sparse_components(op, indices, values, shape)
        if op.attrs["out_type"] is not dtypes.string:
            raise TypeError("flowexec serializes SparseTensors to strings only "
                            f"(out_type=tf.string), not {op.attrs['out_type'].name}")
        return [(dtypes.string, TensorShape([None, 3] if many else [3]))]
    return infer


def _dtype_of(values):
    return dtypes.string if values.dtype == object else dtypes.as_dtype(values.dtype)


@defop("SerializeSparse", infer=_serialize_infer(False), device_types=_HOST)
def _serialize_sparse(xp, sparse_indices, sparse_values, sparse_shape, *, out_type):
    check_sparse_arrays(sparse_indices, sparse_values, sparse_shape)
    return _string_array([encode_tensor(sparse_indices, dtypes.int64),
                          encode_tensor(sparse_values, _dtype_of(sparse_values)),
                          encode_tensor(sparse_shape, dtypes.int64)], (3,))


@defop("SerializeManySparse", infer=_serialize_infer(True), device_types=_HOST)
def _serialize_many_sparse(xp, sparse_indices, sparse_values, sparse_shape, *, out_type):
    check_sparse_arrays(sparse_indices, sparse_values, sparse_shape)
    rank = sparse_shape.shape[0]
    if rank <= 1:
        raise _invalid(f"Rank of input SparseTensor should be > 1, but saw rank: {rank}")
    n = int(sparse_shape[0])
    dtype = _dtype_of(sparse_values)
    tail = sparse_shape[1:]
    empty = (encode_tensor(np.zeros((0, rank - 1), np.int64), dtypes.int64),
             encode_tensor(sparse_values[:0], dtype), encode_tensor(tail, dtypes.int64))
    rows = [empty] * n
    batch = sparse_indices[:, 0]
    # TF's group({0}): one row per run of equal batch indices
    starts = [0] + [i for i in range(1, batch.shape[0]) if batch[i] != batch[i - 1]]
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else batch.shape[0]
        b = int(batch[start])
        if not 0 <= b < n:
            raise _invalid(f"Invalid index value {b} for SparseTensor with minibatch size "
                           f"{n}")
        rows[b] = (encode_tensor(np.ascontiguousarray(sparse_indices[start:stop, 1:]),
                                 dtypes.int64),
                   encode_tensor(sparse_values[start:stop], dtype),
                   encode_tensor(tail, dtypes.int64))
    return _string_array([s for row in rows for s in row], (n, 3))


_serialize_sparse.not_differentiable()
_serialize_many_sparse.not_differentiable()


def _check_out_type(out_type):
    out_type = dtypes.as_dtype(out_type)
    if out_type is not dtypes.string:
        raise TypeError("flowexec serializes SparseTensors to strings only (out_type=tf.string)"
                        f", not {out_type.name}")
    return out_type


def serialize_sparse(sp_input, name=None, out_type=dtypes.string):
    """A SparseTensor as a string vector [3]: its indices, values and dense shape as TF's
    serialized TensorProtos (op type SerializeSparse).

    Example:
        >>> s = tf.serialize_sparse(tf.SparseTensor([[0, 1]], [5.0], [2, 2]))  # shape [3]
    """
    sp_input = _sparse(sp_input)
    return apply_op("SerializeSparse", sp_input.indices, sp_input.values, sp_input.dense_shape,
                    name=name, out_type=_check_out_type(out_type))


def serialize_many_sparse(sp_input, name=None, out_type=dtypes.string):
    """A SparseTensor of rank >= 2 as an [N, 3] string matrix: row i the serialized
    SparseTensor `sp_input[i]` (op type SerializeManySparse).

    Raises:
        InvalidArgumentError: (at run time) a rank-1 input.
    """
    sp_input = _sparse(sp_input)
    return apply_op("SerializeManySparse", sp_input.indices, sp_input.values,
                    sp_input.dense_shape, name=name, out_type=_check_out_type(out_type))


# ----- DeserializeManySparse / DeserializeSparse ------------------------------------------
def _deserialize_infer(op):
    (serialized,) = op.inputs
    if serialized.dtype is not dtypes.string:
        shape_fns.check_dtype_in(op, (dtypes.string,), 0)
    s = serialized.shape
    if op.type == "DeserializeManySparse":
        if s.ndims not in (None, 2):
            raise shape_fns.shape_error(op, f"Shape must be rank 2 but is rank {s.ndims}")
        if s.ndims == 2 and s.as_list()[1] not in (None, 3):
            raise shape_fns.shape_error(op, f"Dimension must be 3 but is {s.as_list()[1]}")
    elif s.ndims is not None and (s.ndims < 1 or s.as_list()[-1] not in (None, 3)):
        raise shape_fns.shape_error(op, "Shape must be at least rank 1 and end in 3")
    return [(dtypes.int64, TensorShape([None, None])), (op.attrs["dtype"], TensorShape([None])),
            (dtypes.int64, TensorShape([None]))]


def _parse_row(serialized, i, dtype, what):
    parts = []
    for j, s in enumerate(serialized):
        try:
            parts.append(decode_tensor(s if isinstance(s, bytes) else bytes(s)))
        except (ValueError, TypeError, errors.DataLossError) as e:
            raise _invalid(f"Could not parse serialized_sparse[{i}, {j}]") from e
    (_, ind), (vdt, val), (_, shp) = parts
    if vdt is not dtype:
        raise _invalid(f"Requested SparseTensor of type {_TF_NAMES.get(dtype.name, dtype.name)} "
                       f"but {what}[{i}].values.dtype() == "
                       f"{_TF_NAMES.get(vdt.name, vdt.name)}")
    return ind, val, shp


def _deserialize(rows, dtype, what):
    parsed = [_parse_row(row, i, dtype, what) for i, row in enumerate(rows)]
    if not parsed:
        return (np.zeros((0, 1), np.int64), np.zeros(0, dtype.np or object),
                np.zeros(1, np.int64))
    rank = parsed[0][2].shape[0]
    for i, (_, _, shp) in enumerate(parsed[1:], 1):
        if shp.shape[0] != rank:
            raise _invalid(f"Inconsistent shape across SparseTensors: rank prior to "
                           f"{what}[{i}] was: {rank} but rank of {what}[{i}] is: "
                           f"{shp.shape[0]}")
    shape = np.max(np.stack([p[2] for p in parsed]), axis=0) if rank else \
        np.zeros(0, np.int64)
    indices = np.concatenate([np.concatenate([np.full((p[0].shape[0], 1), i, np.int64),
                                              p[0].reshape(-1, rank)], axis=1)
                              for i, p in enumerate(parsed)], axis=0)
    values = np.concatenate([p[1].reshape(-1) for p in parsed])
    if dtype is dtypes.string:
        values = _string_array(list(values), (values.shape[0],))
    return indices, values, np.concatenate([[len(parsed)], shape]).astype(np.int64)


@defop("DeserializeManySparse", infer=_deserialize_infer, device_types=_HOST)
def _deserialize_many_sparse(xp, serialized_sparse, *, dtype):
    if serialized_sparse.ndim != 2 or serialized_sparse.shape[1] != 3:
        raise _invalid(f"Serialized sparse should be a matrix with 3 columns but received "
                       f"shape [{','.join(map(str, serialized_sparse.shape))}]")
    return _deserialize(serialized_sparse.tolist(), dtype, "SparseTensor")


@defop("DeserializeSparse", infer=_deserialize_infer, device_types=_HOST)
def _deserialize_sparse(xp, serialized_sparse, *, dtype):
    if serialized_sparse.ndim < 1 or serialized_sparse.shape[-1] != 3:
        raise _invalid(f"Serialized sparse should have 3 as the last dimension but received "
                       f"shape [{','.join(map(str, serialized_sparse.shape))}]")
    if serialized_sparse.ndim == 1:
        ind, val, shp = _parse_row(serialized_sparse.tolist(), 0, dtype, "SparseTensor")
        return ind, val, shp
    lead = serialized_sparse.shape[:-1]
    ind, val, shp = _deserialize(serialized_sparse.reshape(-1, 3).tolist(), dtype,
                                 "SparseTensor")
    # the flat row number becomes the leading dimensions' coordinates
    coords = np.stack(np.unravel_index(ind[:, 0], lead), axis=1).astype(np.int64)
    return (np.concatenate([coords, ind[:, 1:]], axis=1), val,
            np.concatenate([np.asarray(lead, np.int64), shp[1:]]))


_deserialize_many_sparse.not_differentiable()
_deserialize_sparse.not_differentiable()


def _set_rank(st, rank):
    if rank is not None:
        st.indices.set_shape([None, rank])
        st.dense_shape.set_shape([rank])
    return st


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """The SparseTensor of N serialized SparseTensors (an [N, 3] string matrix, as
    `serialize_many_sparse` or a stack of `serialize_sparse` writes), with a new first
    dimension of size N; the other dimensions are the maximum over the rows (op type
    DeserializeManySparse).

    Args:
        serialized_sparse: string [N, 3].
        dtype: the values' dtype.
        rank: the rank of the result, if known (sets the static shapes).
        name: op name.

    Raises:
        InvalidArgumentError: (at run time) another values dtype, rows of different ranks.

    Example:
        >>> s = tf.serialize_many_sparse(st)
        >>> back = tf.deserialize_many_sparse(s, tf.float32)  # st again
    """
    serialized_sparse = convert_to_tensor(serialized_sparse, dtype=dtypes.string)
    ind, val, shape = apply_op("DeserializeManySparse", serialized_sparse, name=name,
                               dtype=dtypes.as_dtype(dtype))
    return _set_rank(SparseTensor(ind, val, shape), rank)


def deserialize_sparse(serialized_sparse, dtype, rank=None, name=None):
    """TF 2's `tf.io.deserialize_sparse` (op type DeserializeSparse): a [..., 3] string
    tensor of serialized SparseTensors as one SparseTensor, the leading dimensions first."""
    serialized_sparse = convert_to_tensor(serialized_sparse, dtype=dtypes.string)
    ind, val, shape = apply_op("DeserializeSparse", serialized_sparse, name=name,
                               dtype=dtypes.as_dtype(dtype))
    return _set_rank(SparseTensor(ind, val, shape), rank)
