"""example_parsing_ops: serialized `tf.train.Example` / `SequenceExample` protos parsed into
Tensors (ParseExampleV2, ParseSequenceExampleV2, the ops TF's `tf.compat.v1` parse functions
emit), and JSON Examples into binary ones (DecodeJSONExample).

- `parse_example(serialized, features)`: a vector of Examples; FixedLenFeature -> dense
  `[batch] + shape` (the default where missing, else "is required" error),
  FixedLenSequenceFeature -> `[batch, longest] + shape` padded with its default,
  VarLenFeature -> SparseTensor with indices `[example, i]`, SparseFeature -> SparseTensor
  built from index and value features.
- `parse_single_example`: one (scalar) Example, without the batch dimension.
- `parse_single_sequence_example`: a SequenceExample's context features and feature lists
  (`[steps] + shape` dense, `[step, i]` sparse).

The kernels walk the wire bytes exactly as TF's fast parsers do
(flowexec/train/example_proto.py: the last map entry of a key wins, an empty Feature counts
as missing, a Feature's first field decides its kind), so results and InvalidArgumentError
messages are TF's: "Name: <unknown>, Feature: a (data type: float) is required but could
not be found.", "Key: a.  Can't parse serialized Example: Some float_list slice was not
parsed." (the scalar path's messages carry no name). RaggedFeature (TF 2.x) is not
supported. Host-only (protobuf strings), not differentiable.
"""

import base64
import binascii
import json
import math

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import array_ops, constant_op, logging_ops, math_ops, shape_fns
from flowexec.ops.parsing_config import (
    FixedLenFeature, FixedLenSequenceFeature, ParseOpParams, SparseFeature, VarLenFeature,
    dense_shape_debug_string, prepend_none_dimension)

__all__ = ["decode_json_example", "parse_example", "parse_sequence_example",
           "parse_single_example", "parse_single_sequence_example"]

_HOST = ("CPU",)
_TYPES = (dtypes.float32, dtypes.int64, dtypes.string)
_KIND = {dtypes.float32: "float", dtypes.int64: "int64", dtypes.string: "bytes"}
_DT_NAME = {"float": "float", "int64": "int64", "bytes": "string"}


def _invalid(message):
    return InvalidArgumentError(None, None, message)


def _proto_module():
    from flowexec.train import example_proto  # the wire format lives with the messages

    return example_proto


def _text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)


def _strings(xp, x):
    a = xp.asarray(x, dtype=object)
    return a, [v if isinstance(v, bytes) else str(v).encode("utf-8")
               for v in a.reshape(-1).tolist()]


def _keys(xp, keys):
    """Key names of a string vector, or of a list of scalars (TF 1.x's ops) or strings."""
    if isinstance(keys, (list, tuple)):
        return [_text(k) if isinstance(k, (str, bytes)) else _keys(xp, k)[0] for k in keys]
    return [_text(k) for k in _strings(xp, keys)[1]]


def _array(xp, kind, values, shape):
    if kind == "bytes":
        out = xp.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    return xp.asarray(values, dtype="float32" if kind == "float" else "int64").reshape(shape)


def _num(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class _Dense:
    """One dense feature of a parsing op: key, kind, shape, default."""

    def __init__(self, xp, key, dtype, shape, default):
        self.key, self.kind, self.shape = key, _KIND[dtype], shape
        dims = shape.as_list() if shape.ndims is not None else []
        self.variable = bool(dims) and dims[0] is None
        self.block = [int(d) for d in (dims[1:] if self.variable else dims)]
        self.stride = _num(self.block)
        d = xp.asarray(default, dtype=object if self.kind == "bytes" else None)
        self.default = d.reshape(-1).tolist()

    @property
    def dt_name(self):
        return _DT_NAME[self.kind]


def _config(xp, sparse_keys, sparse_types, dense_keys, dense_types, dense_shapes, defaults):
    dense = [_Dense(xp, k, t, s, d) for k, t, s, d in
             zip(_keys(xp, dense_keys), dense_types, dense_shapes, defaults)]
    sparse = [(k, _KIND[t]) for k, t in zip(_keys(xp, sparse_keys), sparse_types)]
    index = {}
    for i, (k, _) in enumerate(sparse):
        index[k.encode("utf-8")] = ("sparse", i)
    for i, c in enumerate(dense):
        index[c.key.encode("utf-8")] = ("dense", i)
    return dense, sparse, index


def _feature_kind(ep, feature):
    try:
        return ep.feature_kind(feature)
    except ep.UnsupportedKind:
        raise _invalid("Unsupported datatype.") from None


def _entries(ep, serialized):
    entries = ep.example_entries(serialized)
    if entries is None:
        raise _invalid(f"Could not parse example input, value: '{_text(serialized)}'")
    return entries


def _minibatch_starts(serialized):
    """The first example of each of the minibatches TF's batch parser splits a batch into
    (the cumulative counts in its stride messages are per minibatch)."""
    count = size = 0
    for s in serialized:
        if size == 0:
            count += 1
        size += len(s) + 1
        if size > 50000:
            size = 0
    n = max(min(8, len(serialized)), min(64, count))
    return {len(serialized) * m // n for m in range(n)}


def _parse_batch(ep, serialized, names, dense, sparse, index):
    """FastParseExample: per dense feature the [batch] + shape values (fixed) or per-example
    value lists (variable length); per sparse feature the per-example value lists."""
    fixed = [[] for _ in dense]
    varlen = [[] for _ in dense]
    sparse_out = [[] for _ in sparse]
    starts = _minibatch_starts(serialized)
    tally = [0] * len(dense)
    for e, data in enumerate(serialized):
        if e in starts:
            tally = [0] * len(dense)
        name = _text(names[e]) if names else "<unknown>"
        seen_dense, seen_sparse = {}, {}
        for key, feature in reversed(_entries(ep, data)):
            where = index.get(key)
            if where is None:
                continue
            kind = _feature_kind(ep, feature)
            what, d = where
            prefix = f"Name: {name}, Key: {_text(key)}, Index: {e}.  "
            if what == "dense":
                c = dense[d]
                if kind is None or d in seen_dense:
                    continue
                if kind != c.kind:
                    raise _invalid(prefix + f"Data types don't match. Data type: "
                                   f"{_DT_NAME[kind]} but expected type: {c.dt_name}")
                if not c.variable:
                    got = ep.read_list(kind, feature, capacity=c.stride)
                    if got is None:
                        raise _invalid(prefix + "Can't parse serialized Example.")
                    if got[1] != c.stride:
                        raise _invalid(prefix + f"Number of {c.kind} values != expected.  "
                                       f"Values size: {got[1]} but output shape: "
                                       f"{dense_shape_debug_string(c.shape)}")
                else:
                    got = ep.read_list(kind, feature)
                    if got is None:
                        raise _invalid(prefix + "Can't parse serialized Example.")
                    tally[d] += len(got[0])
                    if c.stride and tally[d] % c.stride:
                        raise _invalid(prefix + f"Number of {c.kind} values is not a multiple "
                                       f"of stride length. Saw {tally[d]} values but output "
                                       f"shape is: {dense_shape_debug_string(c.shape)}")
                seen_dense[d] = got[0]
            else:
                if d in seen_sparse:
                    continue
                want = sparse[d][1]
                if kind is not None and kind != want:
                    raise _invalid(prefix + f"Data types don't match. Expected type: "
                                   f"{_DT_NAME[want]}, Actual type: {_DT_NAME[kind]}")
                values = []
                if kind is not None:
                    got = ep.read_list(kind, feature)
                    if got is None:
                        raise _invalid(prefix + "Can't parse serialized Example.")
                    values = got[0]
                seen_sparse[d] = values
        for d, c in enumerate(dense):
            if c.variable:
                varlen[d].append(seen_dense.get(d, []))
            elif d in seen_dense:
                fixed[d].extend(seen_dense[d])
            elif not c.default:
                raise _invalid(f"Name: {name}, Feature: {c.key} (data type: {c.dt_name}) is "
                               "required but could not be found.")
            else:
                fixed[d].extend(c.default)
        for d in range(len(sparse)):
            sparse_out[d].append(seen_sparse.get(d, []))
    return fixed, varlen, sparse_out


def _parse_single(ep, data, dense, sparse, index):
    """FastParseSingleExample: per dense feature its values (None where missing), per sparse
    feature its value list."""
    dense_values = [None] * len(dense)
    sparse_values = [None] * len(sparse)
    for key, feature in reversed(_entries(ep, data)):
        where = index.get(key)
        if where is None:
            continue
        kind = _feature_kind(ep, feature)
        if kind is None:
            continue
        what, d = where
        k = _text(key)
        name = "bytes" if kind == "bytes" else kind

        def error(text):
            return _invalid(f"Key: {k}.  {text}")

        def parse_error(text):
            return _invalid(f"Key: {k}.  Can't parse serialized Example: {text}")

        if what == "dense":
            c = dense[d]
            if dense_values[d] is not None:
                continue
            if kind != c.kind:
                raise error(f"Data types don't match. Data type: {_DT_NAME[kind]} but expected "
                            f"type: {c.dt_name}")
            if not c.variable:
                got = ep.read_list(kind, feature, capacity=c.stride)
                if got is None:
                    raise parse_error(f"Parsing {name}_list failed.")
                if got[1] != c.stride:
                    raise parse_error(f"Some {name}_list slice was not parsed.")
                dense_values[d] = got[0]
                continue
            divisor = c.stride
        else:
            if sparse_values[d] is not None:
                continue
            want = sparse[d][1]
            if kind != want:
                raise error(f"Data types don't match. Expected type: {_DT_NAME[want]}, Actual "
                            f"type: {_DT_NAME[kind]}")
            divisor = 1
        got = ep.read_list(kind, feature)
        if got is None:
            raise parse_error("Could not get num elements in bytes_list." if kind == "bytes"
                              else f"Parsing {name}_list failed.")
        values = got[0]
        if divisor and len(values) % divisor:
            raise _invalid(f"Error while parsing feature with key {k}: number of elements "
                           f"should be divisible by {divisor}, found {len(values)} instead")
        if what == "dense":
            dense_values[d] = values
        else:
            sparse_values[d] = values
    for d, c in enumerate(dense):
        if dense_values[d] is None:
            if c.variable:
                dense_values[d] = []
            elif not c.default:
                raise _invalid(f"Feature: {c.key} (data type: {c.dt_name}) is required but "
                               "could not be found.")
            else:
                dense_values[d] = c.default
    return dense_values, [v if v is not None else [] for v in sparse_values]


def _sparse_outputs(xp, kind, per_example, batch):
    """(indices, values, dense_shape) of a VarLen feature: [example, i] rows (or [i])."""
    values = [v for vs in per_example for v in vs]
    longest = max((len(vs) for vs in per_example), default=0)
    if batch:
        rows = [[e, i] for e, vs in enumerate(per_example) for i in range(len(vs))]
        indices = xp.asarray(rows, dtype="int64").reshape(len(values), 2)
        shape = xp.asarray([len(per_example), longest], dtype="int64")
    else:
        indices = xp.arange(len(values), dtype="int64").reshape(len(values), 1)
        shape = xp.asarray([len(values)], dtype="int64")
    return indices, _array(xp, kind, values, (len(values),)), shape


def _padded(xp, c, per_example, pad):
    """[batch, longest] + block values of a variable-length dense feature."""
    longest = max((len(vs) for vs in per_example), default=0) // max(c.stride, 1)
    width = longest * c.stride
    flat = []
    for vs in per_example:
        flat.extend(vs)
        flat.extend([pad] * (width - len(vs)))
    return _array(xp, c.kind, flat, (len(per_example), longest) + tuple(c.block))


def _outputs(outs):
    return outs[0] if len(outs) == 1 else outs  # one output: the value itself


# ----- ParseExampleV2 ------------------------------------------------------------------
def _check_types(op, attr, allowed=_TYPES):
    for t in op.attrs.get(attr, ()):
        if t not in allowed:
            raise TypeError(f"Value passed to parameter '{attr}' has DataType {t.name} not in "
                            f"list of allowed values: float32, int64, string")


def _unsupported_ragged(op, *attrs):
    if any(op.attrs.get(a) for a in attrs):
        raise NotImplementedError(f"{op.type}: ragged features (RaggedFeature) are not "
                                  "supported by flowexec")


def _example_specs(op, n_string_inputs, n_sparse, sparse_types, dense_types, dense_shapes,
                   max_rank=1, min_rank=0):
    """Output (dtype, shape)s of a ParseExample-family op over `op.inputs[0]`."""
    serialized = op.inputs[0]
    for i in range(n_string_inputs):
        if op.inputs[i].dtype is not dtypes.string:
            shape_fns.check_dtype_in(op, (dtypes.string,), i)
    _check_types(op, "Tdense")
    _check_types(op, "sparse_types")
    rank = serialized.shape.ndims
    if rank is not None and not min_rank <= rank <= max_rank:
        words = "rank" if min_rank == max_rank else "at most rank"
        raise shape_fns.shape_error(op, f"Shape must be {words} {max_rank} but is rank {rank}")
    batch = [] if rank == 0 else [serialized.shape.as_list()[0] if rank else None]
    cols = None if rank is None else rank + 1
    outs = [(dtypes.int64, TensorShape([None, cols]))] * n_sparse
    outs += [(t, TensorShape([None])) for t in sparse_types]
    outs += [(dtypes.int64, TensorShape([cols]))] * n_sparse
    for t, s in zip(dense_types, dense_shapes):
        outs.append((t, TensorShape(None if rank is None else batch + s.as_list())))
    return outs


def _example_infer(op):
    _unsupported_ragged(op, "ragged_value_types")
    a = op.attrs
    return _example_specs(op, 5, a["num_sparse"], a["sparse_types"], a["Tdense"],
                          a["dense_shapes"])


def _parse_examples(xp, serialized, names, dense, sparse, index):
    """The ParseExample ops' outputs: sparse indices, values, shapes, then dense values, of
    a vector of Examples (or of one, for a scalar `serialized`)."""
    ep = _proto_module()
    a, data = _strings(xp, serialized)
    if a.ndim > 1:
        raise _invalid(f"Expected serialized to be a scalar or vector, got shape: "
                       f"{list(a.shape)}")
    names_a, names_list = _strings(xp, names)
    if names_list and names_a.shape != a.shape:
        raise _invalid(f"Expected names have the same shape as serialized: name.shape="
                       f"{dense_shape_debug_string(TensorShape(names_a.shape))}, "
                       f"serialized.shape={dense_shape_debug_string(TensorShape(a.shape))}")
    if a.ndim == 0:
        dense_values, sparse_values = _parse_single(ep, data[0], dense, sparse, index)
        out_sparse = [_sparse_outputs(xp, kind, [vs], False)
                      for (_, kind), vs in zip(sparse, sparse_values)]
        out_dense = []
        for c, vs in zip(dense, dense_values):
            shape = ((len(vs) // max(c.stride, 1),) + tuple(c.block) if c.variable
                     else tuple(c.block))
            out_dense.append(_array(xp, c.kind, vs, shape))
    else:
        fixed, varlen, sparse_values = _parse_batch(ep, data, names_list, dense, sparse, index)
        out_sparse = [_sparse_outputs(xp, kind, per, True)
                      for (_, kind), per in zip(sparse, sparse_values)]
        out_dense = []
        for d, c in enumerate(dense):
            if c.variable:
                out_dense.append(_padded(xp, c, varlen[d], c.default[0]))
            else:
                out_dense.append(_array(xp, c.kind, fixed[d], (len(data),) + tuple(c.block)))
    return _outputs(tuple(s[0] for s in out_sparse) + tuple(s[1] for s in out_sparse)
                    + tuple(s[2] for s in out_sparse) + tuple(out_dense))


@defop("ParseExampleV2", infer=_example_infer, device_types=_HOST)
def _parse_example_v2(xp, serialized, names, sparse_keys, dense_keys, ragged_keys,
                      *dense_defaults, Tdense, num_sparse, sparse_types, dense_shapes,
                      ragged_value_types=(), ragged_split_types=()):
    if _strings(xp, ragged_keys)[1]:
        raise _invalid("ParseExampleV2: ragged features are not supported by flowexec")
    config = _config(xp, sparse_keys, sparse_types, dense_keys, Tdense, dense_shapes,
                     dense_defaults)
    return _parse_examples(xp, serialized, names, *config)


_parse_example_v2.not_differentiable()


# TF 1.x's graphs hold the V1 ops (keys as scalar inputs or attributes): imported GraphDefs
# run them with the same kernels.
def _example_v1_infer(op):
    a = op.attrs
    return _example_specs(op, 2 + a["Nsparse"] + a["Ndense"], a["Nsparse"], a["sparse_types"],
                          a["Tdense"], a["dense_shapes"], min_rank=1)


@defop("ParseExample", infer=_example_v1_infer, device_types=_HOST)
def _parse_example_v1(xp, serialized, names, *keys_and_defaults, Nsparse, Ndense, sparse_types,
                      Tdense, dense_shapes):
    sparse_keys = list(keys_and_defaults[:Nsparse])
    dense_keys = list(keys_and_defaults[Nsparse:Nsparse + Ndense])
    config = _config(xp, sparse_keys, sparse_types, dense_keys, Tdense, dense_shapes,
                     keys_and_defaults[Nsparse + Ndense:])
    return _parse_examples(xp, serialized, names, *config)


_parse_example_v1.not_differentiable()


def _single_example_infer(op):
    a = op.attrs
    return _example_specs(op, 1, a["num_sparse"], a["sparse_types"], a["Tdense"],
                          a["dense_shapes"], max_rank=0)


@defop("ParseSingleExample", infer=_single_example_infer, device_types=_HOST)
def _parse_single_example(xp, serialized, *dense_defaults, num_sparse, sparse_keys, dense_keys,
                          sparse_types, Tdense, dense_shapes):
    config = _config(xp, list(sparse_keys), sparse_types, list(dense_keys), Tdense,
                     dense_shapes, dense_defaults)
    return _parse_examples(xp, serialized, (), *config)


_parse_single_example.not_differentiable()


# ----- ParseSequenceExampleV2 ------------------------------------------------------------
def _sequence_infer(op):
    serialized = op.inputs[0]
    for i in range(8):
        if op.inputs[i].dtype is not dtypes.string:
            shape_fns.check_dtype_in(op, (dtypes.string,), i)
    if op.inputs[8].dtype is not dtypes.bool:
        shape_fns.check_dtype_in(op, (dtypes.bool,), 8)
    for attr in ("Tcontext_dense", "context_sparse_types", "feature_list_dense_types",
                 "feature_list_sparse_types"):
        _check_types(op, attr)
    _unsupported_ragged(op, "context_ragged_value_types", "feature_list_ragged_value_types")
    rank = serialized.shape.ndims
    if rank is not None and rank > 1:
        raise shape_fns.shape_error(op, f"Shape must be at most rank 1 but is rank {rank}")
    batch = [] if rank == 0 else [serialized.shape.as_list()[0] if rank else None]

    def known(dims):
        return TensorShape(None if rank is None else batch + dims)

    outs = []
    for prefix, extra, dense_types, dense_shapes in (
            ("context", 1, "Tcontext_dense", "context_dense_shapes"),
            ("feature_list", 2, "feature_list_dense_types", "feature_list_dense_shapes")):
        sparse_types = op.attrs[f"{prefix}_sparse_types"]
        cols = None if rank is None else rank + extra
        outs += [(dtypes.int64, TensorShape([None, cols]))] * len(sparse_types)
        outs += [(t, TensorShape([None])) for t in sparse_types]
        outs += [(dtypes.int64, TensorShape([cols]))] * len(sparse_types)
        lead = [] if prefix == "context" else [None]
        outs += [(t, known(lead + s.as_list()))
                 for t, s in zip(op.attrs[dense_types], op.attrs[dense_shapes])]
        if prefix == "feature_list":
            outs += [(dtypes.int64, known([]))] * len(op.attrs[dense_types])
    return outs


class _SequenceFeature:
    def __init__(self, key, kind, dense=None):
        self.key, self.kind, self.dense = key, kind, dense
        self.length = len(dense.default) if dense is not None else 0


def _context_lengths(ep, features, found, names):
    for f in features:
        for e, parts in enumerate(found):
            proto = parts.get(f.key)
            if not proto:
                continue
            values = ep.read_sequence_feature(f.kind, ep._Stream(proto), collect=False)
            if values is None:
                raise _invalid(f"Name: {names(e)}, Context feature: {f.key}.  Data types don't "
                               f"match. Expected type: {_DT_NAME[f.kind]}")
            f.length = (max(f.length, len(values)) if f.dense is not None
                        else f.length + len(values))


def _list_rows(ep, f, proto, name):
    rows = []
    for what, value in ep.feature_list_rows(f.kind, proto):
        if what == "error":
            if value == "framing":
                raise _invalid(f"Error in sequence feature {f.key} in example {name}")
            raise _invalid(f"Name: {name}, Feature list: {f.key}, Index: {len(rows)}.  Data "
                           f"types don't match. Expected type: {_DT_NAME[f.kind]}")
        rows.append(value or [])
    return rows


@defop("ParseSequenceExampleV2", infer=_sequence_infer, device_types=_HOST)
def _parse_sequence_example_v2(
        xp, serialized, debug_name, context_sparse_keys, context_dense_keys,
        context_ragged_keys, feature_list_sparse_keys, feature_list_dense_keys,
        feature_list_ragged_keys, feature_list_dense_missing_assumed_empty,
        *context_dense_defaults, Ncontext_sparse=0, Tcontext_dense=(), context_sparse_types=(),
        context_ragged_value_types=(), context_ragged_split_types=(), context_dense_shapes=(),
        Nfeature_list_sparse=0, Nfeature_list_dense=0, feature_list_dense_types=(),
        feature_list_sparse_types=(), feature_list_ragged_value_types=(),
        feature_list_ragged_split_types=(), feature_list_dense_shapes=()):
    if _strings(xp, context_ragged_keys)[1] or _strings(xp, feature_list_ragged_keys)[1]:
        raise _invalid("ParseSequenceExampleV2: ragged features are not supported by flowexec")
    assumed_empty = xp.asarray(feature_list_dense_missing_assumed_empty).reshape(-1).tolist()
    return _parse_sequences(
        xp, serialized, debug_name, context_sparse_keys, context_sparse_types,
        context_dense_keys, Tcontext_dense, context_dense_shapes, context_dense_defaults,
        feature_list_sparse_keys, feature_list_sparse_types, feature_list_dense_keys,
        feature_list_dense_types, feature_list_dense_shapes, assumed_empty, True)


_parse_sequence_example_v2.not_differentiable()


def _single_sequence_infer(op):
    a = op.attrs
    n = 2 + a["Ncontext_sparse"] + a["Ncontext_dense"] + a["Nfeature_list_sparse"] + \
        a["Nfeature_list_dense"]
    for i in list(range(n)) + [len(op.inputs) - 1]:
        if op.inputs[i].dtype is not dtypes.string:
            shape_fns.check_dtype_in(op, (dtypes.string,), i)
    rank = op.inputs[0].shape.ndims
    if rank not in (None, 0):
        raise shape_fns.shape_error(op, f"Shape must be rank 0 but is rank {rank}")
    outs = []
    for extra, sparse_types, dense_types, dense_shapes, lead in (
            (1, a["context_sparse_types"], a["Tcontext_dense"], a["context_dense_shapes"], []),
            (2, a["feature_list_sparse_types"], a["feature_list_dense_types"],
             a["feature_list_dense_shapes"], [None])):
        outs += [(dtypes.int64, TensorShape([None, extra]))] * len(sparse_types)
        outs += [(t, TensorShape([None])) for t in sparse_types]
        outs += [(dtypes.int64, TensorShape([extra]))] * len(sparse_types)
        outs += [(t, TensorShape(lead + s.as_list())) for t, s in zip(dense_types, dense_shapes)]
    return outs


@defop("ParseSingleSequenceExample", infer=_single_sequence_infer, device_types=_HOST)
def _parse_single_sequence_example(
        xp, serialized, feature_list_dense_missing_assumed_empty, *rest, Ncontext_sparse=0,
        Ncontext_dense=0, Nfeature_list_sparse=0, Nfeature_list_dense=0,
        context_sparse_types=(), Tcontext_dense=(), feature_list_dense_types=(),
        context_dense_shapes=(), feature_list_sparse_types=(), feature_list_dense_shapes=()):
    ends = [Ncontext_sparse, Ncontext_dense, Nfeature_list_sparse, Nfeature_list_dense]
    groups, pos = [], 0
    for n in ends:
        groups.append(list(rest[pos:pos + n]))
        pos += n
    defaults, debug_name = rest[pos:-1], rest[-1]
    missing = set(_keys(xp, feature_list_dense_missing_assumed_empty))
    assumed_empty = [k in missing for k in _keys(xp, groups[3])]
    return _parse_sequences(
        xp, serialized, debug_name, groups[0], context_sparse_types, groups[1], Tcontext_dense,
        context_dense_shapes, defaults, groups[2], feature_list_sparse_types, groups[3],
        feature_list_dense_types, feature_list_dense_shapes, assumed_empty, False)


_parse_single_sequence_example.not_differentiable()


def _parse_sequences(xp, serialized, debug_name, context_sparse_keys, context_sparse_types,
                     context_dense_keys, Tcontext_dense, context_dense_shapes,
                     context_dense_defaults, feature_list_sparse_keys,
                     feature_list_sparse_types, feature_list_dense_keys,
                     feature_list_dense_types, feature_list_dense_shapes, assumed_empty,
                     with_lengths):
    """FastParseSequenceExample: the sequence ops' outputs (context sparse indices, values,
    shapes, dense; the same of the feature lists, then their lengths if `with_lengths`)."""
    ep = _proto_module()
    a, data = _strings(xp, serialized)
    batch = a.ndim == 1
    _, name_list = _strings(xp, debug_name)
    if name_list and len(name_list) != len(data):
        raise _invalid("example_names must be empty or have the correct number of elements")

    def names(e):
        return _text(name_list[e]) if name_list else "<unknown>"

    ctx_dense = [_Dense(xp, k, t, s, d) for k, t, s, d in zip(
        _keys(xp, context_dense_keys), Tcontext_dense, context_dense_shapes,
        context_dense_defaults)]
    ctx_sparse = [_SequenceFeature(k, _KIND[t])
                  for k, t in zip(_keys(xp, context_sparse_keys), context_sparse_types)]
    ctx_dense_f = [_SequenceFeature(c.key, c.kind, c) for c in ctx_dense]
    fl_dense = []
    for k, t, s, empty in zip(_keys(xp, feature_list_dense_keys), feature_list_dense_types,
                              feature_list_dense_shapes, assumed_empty):
        f = _SequenceFeature(k, _KIND[t])
        f.block = [int(d) for d in s.as_list()]
        f.stride, f.assumed_empty = _num(f.block), bool(empty)
        fl_dense.append(f)
    fl_sparse = [_SequenceFeature(k, _KIND[t]) for k, t in
                 zip(_keys(xp, feature_list_sparse_keys), feature_list_sparse_types)]
    ctx_keys = {f.key.encode("utf-8") for f in ctx_sparse + ctx_dense_f}
    fl_keys = {f.key.encode("utf-8") for f in fl_sparse + fl_dense}
    found_ctx, found_fl = [], []
    for e, ser in enumerate(data):
        try:
            c, f = ep.sequence_example_parts(ser, ctx_keys, fl_keys)
        except ep.SequenceProtoError:
            raise _invalid(f"Invalid protocol message input, example id: {names(e)}") from None
        found_ctx.append({_text(k): v for k, v in c.items()})
        found_fl.append({_text(k): v for k, v in f.items()})
    _context_lengths(ep, ctx_sparse + ctx_dense_f, found_ctx, names)
    fl_rows = {}
    for f in fl_sparse + fl_dense:
        for e, parts in enumerate(found_fl):
            proto = parts.get(f.key)
            if not proto:
                continue
            rows = fl_rows[f.key, e] = _list_rows(ep, f, proto, names(e))
            n = sum(len(r) for r in rows)
            f.length = max(f.length, n) if f in fl_dense else f.length + n
    n_ex = len(data)
    lead = (n_ex,) if batch else ()
    # context dense
    ctx_dense_out = []
    for f in ctx_dense_f:
        c = f.dense
        if f.length != c.stride:
            raise _invalid(f"Inconsistent max number of elements for feature {c.key}: expected "
                           f"{c.stride}, but found {f.length}")
        flat = []
        for e, parts in enumerate(found_ctx):
            proto = parts.get(f.key)
            if proto is None:
                if not c.default:
                    raise _invalid(f"Feature: {c.key} (data type: {c.dt_name}) is required "
                                   "but could not be found.")
                values = c.default
            elif proto:
                values = ep.read_sequence_feature(f.kind, ep._Stream(proto)) or []
            else:
                values = []
            if len(values) != f.length:
                raise _invalid(f"Unexpected number of elements in example {names(e)}")
            flat.extend(values)
        ctx_dense_out.append(_array(xp, f.kind, flat, lead + tuple(c.block)))
    # context sparse
    ctx_sparse_out = []
    for f in ctx_sparse:
        per = []
        for parts in found_ctx:
            proto = parts.get(f.key)
            per.append(ep.read_sequence_feature(f.kind, ep._Stream(proto)) or []
                       if proto else [])
        ctx_sparse_out.append(_sparse_outputs(xp, f.kind, per, batch))
    # feature list dense
    fl_dense_out, fl_lengths = [], []
    pad = {"bytes": b"", "float": 0.0, "int64": 0}
    for f in fl_dense:
        k = f.stride
        if k and f.length % k:
            raise _invalid(f"Feature list '{f.key}' has an unexpected number of values.  Total "
                           f"values size: {f.length} is not consistent with output shape: "
                           f"{dense_shape_debug_string(TensorShape([None] + f.block))}")
        longest = f.length // k if k else 0
        flat, lengths = [], []
        for e, parts in enumerate(found_fl):
            proto = parts.get(f.key)
            rows = []
            if proto is None:
                if not f.assumed_empty:
                    raise _invalid(
                        f"Name: {names(e)}, Feature list '{f.key}' is required but could not "
                        "be found.  Did you mean to include it in "
                        "feature_list_dense_missing_assumed_empty or "
                        "feature_list_dense_defaults?")
            elif proto:
                rows = fl_rows[f.key, e]
            for i, r in enumerate(rows):
                if len(r) != k:
                    raise _invalid(f"Name: {names(e)}, Key: {f.key}, Index: {i}.  Number of "
                                   f"values != expected.  values size: {len(r)} but output "
                                   f"shape: {dense_shape_debug_string(TensorShape(f.block))}")
                flat.extend(r)
            flat.extend([pad[f.kind]] * ((longest - len(rows)) * k))
            lengths.append(len(rows))
        fl_dense_out.append(_array(xp, f.kind, flat, lead + (longest,) + tuple(f.block)))
        fl_lengths.append(xp.asarray(lengths if batch else lengths[0], dtype="int64"))
    # feature list sparse
    fl_sparse_out = []
    for f in fl_sparse:
        idx, values = [], []
        max_rows = max_cols = 0
        for e, parts in enumerate(found_fl):
            rows = fl_rows.get((f.key, e), []) if parts.get(f.key) else []
            max_rows = max(max_rows, len(rows))
            for r_i, r in enumerate(rows):
                max_cols = max(max_cols, len(r))
                for i, v in enumerate(r):
                    idx.append([e, r_i, i] if batch else [r_i, i])
                    values.append(v)
        cols = 3 if batch else 2
        shape = [n_ex, max_rows, max_cols] if batch else [max_rows, max_cols]
        fl_sparse_out.append((xp.asarray(idx, dtype="int64").reshape(len(values), cols),
                              _array(xp, f.kind, values, (len(values),)),
                              xp.asarray(shape, dtype="int64")))
    return _outputs(tuple(s[0] for s in ctx_sparse_out) + tuple(s[1] for s in ctx_sparse_out)
                    + tuple(s[2] for s in ctx_sparse_out) + tuple(ctx_dense_out)
                    + tuple(s[0] for s in fl_sparse_out) + tuple(s[1] for s in fl_sparse_out)
                    + tuple(s[2] for s in fl_sparse_out) + tuple(fl_dense_out)
                    + (tuple(fl_lengths) if with_lengths else ()))


# ----- DecodeJSONExample -----------------------------------------------------------------
class _JsonError(Exception):
    pass


_JSON_FIELDS = {"features": "features", "feature": "feature", "value": "value",
                "bytesList": "bytes_list", "bytes_list": "bytes_list",
                "floatList": "float_list", "float_list": "float_list",
                "int64List": "int64_list", "int64_list": "int64_list"}


def _json_object(value, message, allowed):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _JsonError(f"message {message}: expected an object, got {json.dumps(value)}")
    out = {}
    for k, v in value.items():
        field = _JSON_FIELDS.get(k)
        if field not in allowed:
            raise _JsonError(f"no such field: '{k}'")
        if field in out:
            raise _JsonError(f"duplicate field: '{k}'")
        out[field] = v
    return out


def _json_float(v):
    if isinstance(v, bool) or v is None:
        raise _JsonError(f"invalid float value: {json.dumps(v)}")
    if isinstance(v, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if v in special:
            return special[v]
        try:
            v = float(v)
        except ValueError:
            raise _JsonError(f"invalid float value: \"{v}\"") from None
    if not isinstance(v, (int, float)):
        raise _JsonError(f"invalid float value: {json.dumps(v)}")
    v = float(v)
    if math.isfinite(v) and abs(v) > 3.4028234663852886e38:
        raise _JsonError(f"float out of range: {v}")
    return v


def _json_int64(v):
    if isinstance(v, bool) or v is None:
        raise _JsonError(f"invalid int64 value: {json.dumps(v)}")
    if isinstance(v, str):
        try:
            v = int(v.strip()) if v.strip().lstrip("-").isdigit() else float(v)
        except ValueError:
            raise _JsonError(f"invalid int64 value: \"{v}\"") from None
    if isinstance(v, float):
        if not v.is_integer():
            raise _JsonError(f"invalid int64 value: {v}")
        v = int(v)
    if not isinstance(v, int) or not -(2 ** 63) <= v < 2 ** 63:
        raise _JsonError(f"int64 out of range: {v}")
    return v


def _json_bytes(v):
    if not isinstance(v, str):
        raise _JsonError(f"invalid bytes value: {json.dumps(v)}")
    s = v.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _JsonError(f"invalid base64 value: \"{v}\"") from None


def _json_to_example(ep, text):
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        where = (f", near {e.lineno}:{e.colno} (offset {e.pos})"
                 if isinstance(e, json.JSONDecodeError) else "")
        raise _JsonError(f"invalid JSON in type.googleapis.com/tensorflow.Example{where}: "
                         f"{getattr(e, 'msg', str(e))}") from None
    top = _json_object(obj, "tensorflow.Example", {"features"})
    if top.get("features") is None:
        return ep.encode_example_unpacked(None)
    feats = _json_object(top["features"], "tensorflow.Features", {"feature"})
    fmap = feats.get("feature") or {}
    if not isinstance(fmap, dict):
        raise _JsonError("map tensorflow.Features.feature: expected an object")
    entries = []
    for key, fv in fmap.items():
        f = _json_object(fv, "tensorflow.Feature", {"bytes_list", "float_list", "int64_list"})
        kinds = [k for k, v in f.items() if v is not None]
        if len(kinds) > 1:
            raise _JsonError("oneof tensorflow.Feature.kind is already set")
        if not kinds:
            entries.append((key, None, []))
            continue
        kind = kinds[0]
        lst = _json_object(f[kind], "tensorflow." + kind.title().replace("_", ""), {"value"})
        values = lst.get("value") or []
        if not isinstance(values, list):
            raise _JsonError(f"repeated field value: expected an array, got "
                             f"{json.dumps(values)}")
        convert = {"bytes_list": _json_bytes, "float_list": _json_float,
                   "int64_list": _json_int64}[kind]
        entries.append((key, kind.split("_")[0], [convert(v) for v in values]))
    return ep.encode_example_unpacked(entries)


def _json_infer(op):
    if op.inputs[0].dtype is not dtypes.string:
        shape_fns.check_dtype_in(op, (dtypes.string,), 0)
    return [(dtypes.string, op.inputs[0].shape)]


@defop("DecodeJSONExample", infer=_json_infer, device_types=_HOST)
def _decode_json_example(xp, json_examples):
    ep = _proto_module()
    a, data = _strings(xp, json_examples)
    out = []
    for text in data:
        try:
            out.append(_json_to_example(ep, text))
        except _JsonError as e:
            raise _invalid(f"Error while parsing JSON: {e}") from None
    result = xp.empty(len(out), dtype=object)
    result[:] = out
    return result.reshape(a.shape)


_decode_json_example.not_differentiable()


# ----- Python API ------------------------------------------------------------------------
def _string_vector(values, name):
    if isinstance(values, (list, tuple)) and not values:
        return constant_op.constant([], dtype=dtypes.string, name=name)
    return convert_to_tensor(values, dtype=dtypes.string, name=name)


def _keys_tensor(keys, name):
    return constant_op.constant(list(keys), dtype=dtypes.string, shape=[len(keys)], name=name)


def _assert_scalar(value, name):
    rank = value.shape.ndims
    if rank is None:
        check = logging_ops.Assert(math_ops.equal(array_ops.rank(value), 0),
                                   [f"Input {name} must be a scalar"],
                                   name=f"{name.capitalize()}IsScalar")
        with control_dependencies([check]):
            result = constant_op.identity(value, name=f"{name}Dependencies")
        result.set_shape([])
        return result
    if rank == 0:
        return value
    raise ValueError(f"Input {name} must be a scalar")


def _sparse_tensor(indices, values, dense_shape):
    from flowexec.framework.sparse_tensor import SparseTensor

    return SparseTensor(indices, values, dense_shape)


def _parse_example_raw(serialized, names, params, name):
    if params.num_features == 0:
        raise ValueError("Must provide at least one feature key.")
    with name_scope(name, "ParseExample", [serialized, names]):
        names = [] if names is None else names
        serialized = convert_to_tensor(serialized, name="serialized")
        names_t = _string_vector(names, "names")
        defaults = params.dense_defaults_vec()
        outs = apply_op(
            "ParseExampleV2", serialized, names_t,
            _keys_tensor(params.sparse_keys, "sparse_keys"),
            _keys_tensor(params.dense_keys, "dense_keys"), _keys_tensor([], "ragged_keys"),
            *defaults, name=name, Tdense=[t.dtype for t in defaults],
            num_sparse=len(params.sparse_keys), sparse_types=list(params.sparse_types),
            ragged_value_types=[], ragged_split_types=[],
            dense_shapes=list(params.dense_shapes))
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        n = len(params.sparse_keys)
        sparse = [_sparse_tensor(outs[i], outs[n + i], outs[2 * n + i]) for i in range(n)]
        return dict(zip(params.sparse_keys + params.dense_keys, sparse + outs[3 * n:]))


def _construct_sparse_features(features, tensors):
    """Each SparseFeature's SparseTensor from its index and value features (TF's
    sparse_merge), other features as parsed; the helper keys dropped."""
    from flowexec.ops import sparse_ops

    tensors = dict(tensors)
    updates = {}
    for key in sorted(features):
        f = features[key]
        if isinstance(f, SparseFeature):
            ids = (tensors[f.index_key] if isinstance(f.index_key, str)
                   else [tensors[k] for k in f.index_key])
            updates[key] = sparse_ops.sparse_merge(ids, tensors[f.value_key],
                                                   vocab_size=f.size,
                                                   already_sorted=f.already_sorted)
    tensors.update(updates)
    for key in set(tensors) - set(features):
        del tensors[key]
    return tensors


def parse_example(serialized, features, name=None, example_names=None):
    """Parses a batch of serialized `Example` protos (op type ParseExampleV2).

    Args:
        serialized: a string vector of serialized `tf.train.Example`s.
        features: {key: FixedLenFeature, FixedLenSequenceFeature (allow_missing=True),
            VarLenFeature or SparseFeature}.
        name: a name for the op.
        example_names: optional string vector, the Examples' names (for error messages).

    Returns:
        {key: Tensor or SparseTensor}: FixedLenFeature -> `[batch] + shape`,
        FixedLenSequenceFeature -> `[batch, None] + shape` (padded with its default),
        VarLenFeature -> SparseTensor of indices `[example, i]` and shape
        `[batch, longest]`, SparseFeature -> SparseTensor of shape `[batch] + size`.

    Raises:
        ValueError: no features, an invalid feature, dense and sparse keys overlapping.
        InvalidArgumentError: (at run time) a malformed proto, a required feature missing, a
            feature of the wrong type or size, as TF words them.

    Example:
        >>> ex = tf.train.Example(features=tf.train.Features(feature={
        ...     "x": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0, 2.0]))}))
        >>> tf.parse_example([ex.SerializeToString()],
        ...                  {"x": tf.FixedLenFeature([2], tf.float32)})  # x: [[1., 2.]]
    """
    if not features:
        raise ValueError(f"Argument `features` cannot be None or falsy. Got {features}")
    features = prepend_none_dimension(features)
    params = ParseOpParams.from_features(
        features, [VarLenFeature, SparseFeature, FixedLenFeature, FixedLenSequenceFeature])
    outputs = _parse_example_raw(serialized, example_names, params, name)
    return _construct_sparse_features(features, outputs)


def parse_single_example(serialized, features, name=None, example_names=None):
    """Parses one serialized `Example` (a scalar string), like `parse_example` without the
    batch dimension: dense features have their `shape`, a VarLenFeature's SparseTensor has
    indices `[i]` and shape `[n]`.

    Args:
        serialized: a scalar string Tensor.
        features: {key: feature config}, as `parse_example`.
        name: a name for the op.
        example_names: an optional scalar name (not used by the scalar parse's messages).

    Returns:
        {key: Tensor or SparseTensor}.

    Raises:
        ValueError: `serialized` is not a scalar, no features, an invalid feature.
        InvalidArgumentError: (at run time) as `parse_example`, with the scalar parser's
            messages ("Key: a.  Can't parse serialized Example: ...").
    """
    if features is None:
        raise ValueError("Invalid argument: features cannot be None.")
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    with name_scope(name, "ParseSingleExample", [serialized, example_names]):
        serialized = convert_to_tensor(serialized, name="serialized")
        serialized = _assert_scalar(serialized, "serialized")
        return parse_example(serialized, features, name, example_names)


def _parse_sequence_example_raw(serialized, debug_name, context, feature_list, name=None):
    if context.num_features + feature_list.num_features == 0:
        raise ValueError("Must provide at least one feature key.")
    with name_scope(name, "ParseSequenceExample", [serialized]):
        debug_name = [] if debug_name is None else debug_name
        assumed_empty = []
        for k, v in feature_list.dense_defaults.items():
            if v is not None:
                raise ValueError(f"Value feature_list.dense_defaults[{k}] must be None")
            assumed_empty.append(k)
        serialized = convert_to_tensor(serialized, name="serialized")
        missing = constant_op.constant([k in assumed_empty for k in feature_list.dense_keys],
                                       dtype=dtypes.bool, shape=[len(feature_list.dense_keys)],
                                       name="feature_list_dense_missing_assumed_empty")
        defaults = context.dense_defaults_vec()
        outs = apply_op(
            "ParseSequenceExampleV2", serialized, _string_vector(debug_name, "debug_name"),
            _keys_tensor(context.sparse_keys, "context_sparse_keys"),
            _keys_tensor(context.dense_keys, "context_dense_keys"),
            _keys_tensor([], "context_ragged_keys"),
            _keys_tensor(feature_list.sparse_keys, "feature_list_sparse_keys"),
            _keys_tensor(feature_list.dense_keys, "feature_list_dense_keys"),
            _keys_tensor([], "feature_list_ragged_keys"), missing, *defaults, name=name,
            Ncontext_sparse=len(context.sparse_keys), Tcontext_dense=[t.dtype for t in defaults],
            context_sparse_types=list(context.sparse_types), context_ragged_value_types=[],
            context_ragged_split_types=[], context_dense_shapes=list(context.dense_shapes),
            Nfeature_list_sparse=len(feature_list.sparse_keys),
            Nfeature_list_dense=len(feature_list.dense_keys),
            feature_list_dense_types=list(feature_list.dense_types),
            feature_list_sparse_types=list(feature_list.sparse_types),
            feature_list_ragged_value_types=[], feature_list_ragged_split_types=[],
            feature_list_dense_shapes=list(feature_list.dense_shapes))
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        pos = 0

        def take(n):
            nonlocal pos
            pos += n
            return outs[pos - n:pos]

        results = []
        for params in (context, feature_list):
            n = len(params.sparse_keys)
            ix, vals, shapes = take(n), take(n), take(n)
            dense = take(len(params.dense_keys))
            sparse = [_sparse_tensor(*t) for t in zip(ix, vals, shapes)]
            results.append(dict(zip(params.sparse_keys + params.dense_keys, sparse + dense)))
        lengths = dict(zip(feature_list.dense_keys, take(len(feature_list.dense_keys))))
        return results[0], results[1], lengths


def _sequence_params(context_features, sequence_features):
    context = ParseOpParams.from_features(context_features, [VarLenFeature, FixedLenFeature])
    feature_list = ParseOpParams.from_features(
        sequence_features, [VarLenFeature, FixedLenSequenceFeature])
    return context, feature_list


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """Parses one serialized `SequenceExample` (op type ParseSequenceExampleV2).

    Args:
        serialized: a scalar string Tensor.
        context_features: {key: FixedLenFeature or VarLenFeature} of the context.
        sequence_features: {key: FixedLenSequenceFeature or VarLenFeature} of the feature
            lists; a FixedLenSequenceFeature with `allow_missing` is empty where its list is
            missing (TF's feature_list_dense_missing_assumed_empty).
        example_name: an optional scalar name, used in error messages.
        name: a name for the op.

    Returns:
        (context, feature_lists): dicts of Tensors (`shape`, and `[steps] + shape` for the
        lists) and SparseTensors (indices `[i]`, and `[step, i]` for the lists).

    Raises:
        ValueError: no features, an invalid feature, `serialized` not a scalar.
        InvalidArgumentError: (at run time) a malformed proto, a missing required feature or
            list, a step of the wrong size or type, as TF words them.
    """
    if not (context_features or sequence_features):
        raise ValueError("Both context_features and sequence_features are None, but at least "
                         "one should have values.")
    context, feature_list = _sequence_params(context_features, sequence_features)
    with name_scope(name, "ParseSingleSequenceExample", [serialized, example_name]):
        with name_scope(name, "ParseSingleExample", [serialized, example_name]):
            serialized = convert_to_tensor(serialized, name="serialized")
            serialized = _assert_scalar(serialized, "serialized")
        return _parse_sequence_example_raw(serialized, example_name, context, feature_list,
                                           name)[:2]


def parse_sequence_example(serialized, context_features=None, sequence_features=None,
                           example_names=None, name=None):
    """Parses a batch (vector) of serialized `SequenceExample`s.

    Returns:
        (context, feature_lists, feature_list_lengths): as
        `parse_single_sequence_example` with a leading batch dimension (lists padded to the
        longest, SparseTensor indices `[example, step, i]`), and the number of steps of
        each dense feature list per example.
    """
    if not (context_features or sequence_features):
        raise ValueError("Both `context_features` and `sequence_features` argument are None, "
                         "but at least one should have values.")
    context, feature_list = _sequence_params(context_features, sequence_features)
    with name_scope(name, "ParseSequenceExample", [serialized, example_names]):
        return _parse_sequence_example_raw(serialized, example_names, context, feature_list,
                                           name)


def decode_json_example(json_examples, name=None):
    """Converts JSON-encoded `tf.train.Example`s (protobuf's JSON mapping, as
    `json_format.MessageToJson` writes them) to binary serialized Examples (op type
    DecodeJSONExample), for `parse_example`.

    Args:
        json_examples: a string Tensor of any shape.
        name: a name for the op.

    Returns:
        A string Tensor of the same shape: each Example's `SerializeToString()`.

    Raises:
        InvalidArgumentError: (at run time) a string that is not an Example in JSON
            ("Error while parsing JSON: ...").
    """
    with name_scope(name, "DecodeJSONExample", [json_examples]) as scope:
        x = convert_to_tensor(json_examples, dtype=dtypes.string, name="json_examples")
        return apply_op("DecodeJSONExample", x, name=scope)
