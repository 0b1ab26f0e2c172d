"""TensorFlow's outputs for flowexec's Example parsing (ParseExampleV2, ParseSequenceExampleV2,
DecodeJSONExample), recorded for tests/ops/test_parse_example.py.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_example_fixtures.py
    # -> tests/data/tf1/parsing/example.npz

Each case is plain data (`CASES`): the protos (described as lists of values, or raw wire
bytes in hex for hand-made encodings), the feature configuration, the function
(`parse_example`, `parse_single_example`, `parse_single_sequence_example`,
`decode_json_example`). `build(tf, case, inputs)` makes the same graph with TensorFlow or
flowexec. The .npz holds `meta` (JSON: the cases with the error TF raised, if any, and the
static shapes of the outputs) and, per case, the serialized inputs and every output
(`<case>__<key>`, `<case>__<key>__indices/values/dense_shape` for a SparseTensor); string
arrays as bytes + lengths (see make_tf_parsing_fixtures.py).
"""

import importlib.util
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "tests", "data", "tf1", "parsing")


def F(*v):
    return ["float", list(v)]


def I(*v):  # noqa: E743
    return ["int64", list(v)]


def B(*v):
    return ["bytes", list(v)]


EMPTY = ["empty", []]


def fixed(shape, dtype, default=None):
    return ["fixed", shape, dtype, default]


def seq(shape, dtype, allow_missing=False, default=None):
    return ["seq", shape, dtype, allow_missing, default]


def var(dtype):
    return ["var", dtype]


def sparse(index_key, value_key, dtype, size, already_sorted=False):
    return ["sparse", index_key, value_key, dtype, size, already_sorted]


def _ex(**feats):
    return {"features": feats}


def _raw(hex_bytes):
    return {"raw_hex": hex_bytes}


# A hand-encoded Example: features { feature { key: <k> value <feature bytes> } }.
def _raw_example(*entries):
    def ld(number, payload):
        out, n = bytearray([number << 3 | 2]), len(payload)
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                break
        return bytes(out) + payload
    feats = b"".join(ld(1, ld(1, k.encode()) + ld(2, v)) for k, v in entries)
    return _raw(ld(1, feats).hex())


CASES = [
    # ----- parse_example: FixedLenFeature --------------------------------------------
    {"name": "dense_scalars", "fn": "parse_example",
     "protos": [_ex(a=F(1.5), b=I(7), c=B("x")), _ex(a=F(-2.0), b=I(-3), c=B(""))],
     "features": {"a": fixed([], "float32"), "b": fixed([], "int64"), "c": fixed([], "string")}},
    {"name": "dense_vector_matrix", "fn": "parse_example",
     "protos": [_ex(v=I(1, 2, 3), m=F(1, 2, 3, 4)), _ex(v=I(4, 5, 6), m=F(5, 6, 7, 8))],
     "features": {"v": fixed([3], "int64"), "m": fixed([2, 2], "float32")}},
    {"name": "dense_string_vector", "fn": "parse_example",
     "protos": [_ex(s=B("a", "bc")), _ex(s=B("", "d\x00"))],
     "features": {"s": fixed([2], "string")}},
    {"name": "dense_defaults", "fn": "parse_example",
     "protos": [_ex(a=F(1.0)), _ex(b=I(4, 5)), _ex()],
     "features": {"a": fixed([], "float32", -1.0), "b": fixed([2], "int64", [9, 8]),
                  "s": fixed([1], "string", ["dflt"])}},
    {"name": "dense_default_empty_feature", "fn": "parse_example",
     "protos": [_ex(a=EMPTY), _ex(a=F(3.0))],
     "features": {"a": fixed([], "float32", 0.5)}},
    {"name": "dense_missing_required", "fn": "parse_example",
     "protos": [_ex(a=F(1.0)), _ex(b=F(2.0))],
     "features": {"a": fixed([], "float32")}},
    {"name": "dense_missing_required_names", "fn": "parse_example",
     "protos": [_ex(a=F(1.0)), _ex(b=F(2.0))], "example_names": ["first", "second"],
     "features": {"a": fixed([], "float32")}},
    {"name": "dense_empty_feature_required", "fn": "parse_example",
     "protos": [_ex(a=EMPTY)],
     "features": {"a": fixed([], "int64")}},
    {"name": "dense_wrong_type", "fn": "parse_example",
     "protos": [_ex(a=F(1.0)), _ex(a=I(2))],
     "features": {"a": fixed([], "float32")}},
    {"name": "dense_wrong_type_string", "fn": "parse_example",
     "protos": [_ex(a=B("x"))],
     "features": {"a": fixed([], "int64")}},
    {"name": "dense_wrong_size", "fn": "parse_example",
     "protos": [_ex(a=F(1, 2, 3)), _ex(a=F(1, 2))],
     "features": {"a": fixed([3], "float32")}},
    {"name": "dense_wrong_size_string", "fn": "parse_example",
     "protos": [_ex(a=B("x", "y", "z"))],
     "features": {"a": fixed([2], "string")}},
    {"name": "dense_too_few_strings", "fn": "parse_example",
     "protos": [_ex(a=B("x"))],
     "features": {"a": fixed([2], "string")}},
    {"name": "dense_unknown_dim", "fn": "parse_example",
     "protos": [_ex(a=F(1))], "features": {"a": fixed([None], "float32")}},
    {"name": "dense_first_dim_unknown", "fn": "parse_example",
     "protos": [_ex(a=F(1))], "features": {"a": fixed([2, None], "float32")}},
    {"name": "dense_default_wrong_shape", "fn": "parse_example",
     "protos": [_ex(a=F(1, 2))], "features": {"a": fixed([2], "float32", [1.0, 2.0, 3.0])}},
    {"name": "empty_batch", "fn": "parse_example", "protos": [],
     "features": {"a": fixed([2], "float32"), "v": var("int64")}},
    {"name": "no_features", "fn": "parse_example", "protos": [_ex(a=F(1))], "features": {}},
    {"name": "malformed", "fn": "parse_example",
     "protos": [_ex(a=F(1.0)), _raw("0a0b0a09")],
     "features": {"a": fixed([], "float32")}},
    {"name": "not_a_proto", "fn": "parse_example",
     "protos": [_raw("".join(f"{c:02x}" for c in b"hello"))],
     "features": {"a": fixed([], "float32", 0.0)}},
    {"name": "duplicate_key_last_wins", "fn": "parse_example",
     "protos": [_raw_example(("a", bytes.fromhex("12060a040000803f")),
                             ("a", bytes.fromhex("12060a0400000040")))],
     "features": {"a": fixed([], "float32")}},
    {"name": "concatenated_examples", "fn": "parse_example",
     "protos": [_raw(_raw_example(("a", bytes.fromhex("12060a040000803f")))["raw_hex"]
                     + _raw_example(("b", bytes.fromhex("1a030a0107")))["raw_hex"])],
     "features": {"a": fixed([], "float32"), "b": fixed([], "int64")}},
    {"name": "unknown_kind", "fn": "parse_example",
     "protos": [_raw_example(("a", bytes.fromhex("2200")))],
     "features": {"a": fixed([], "float32", 0.0)}},
    {"name": "unpacked_lists", "fn": "parse_example",
     # int64_list { value: 5 value: -1 } unpacked; float_list one unpacked float (wire type 5)
     "protos": [_raw_example(("i", bytes.fromhex("1a0d0805") + bytes.fromhex(
         "08ffffffffffffffffff01")), ("f", bytes.fromhex("12050d0000c03f")))],
     "features": {"i": fixed([2], "int64"), "f": fixed([], "float32")}},
    {"name": "bad_float_slice", "fn": "parse_example",
     # float_list { packed bytes of length 3 }: not a whole float
     "protos": [_raw_example(("a", bytes.fromhex("1205" + "0a03000000")))],
     "features": {"a": fixed([], "float32", 0.0)}},
    {"name": "serialized_matrix", "fn": "parse_example", "shape": [1, 2],
     "protos": [_ex(a=F(1.0)), _ex(a=F(2.0))], "features": {"a": fixed([], "float32")}},
    {"name": "dense_sparse_intersect", "fn": "parse_example",
     "protos": [_ex(a=F(1.0))],
     "features": {"a": fixed([], "float32"), "s": sparse("a", "v", "float32", 4)}},
    {"name": "example_names_wrong_length", "fn": "parse_example",
     "protos": [_ex(a=F(1.0)), _ex(a=F(2.0))], "example_names": ["one"],
     "features": {"a": fixed([], "float32")}},
    # ----- parse_example: FixedLenSequenceFeature ------------------------------------
    {"name": "seq_padded", "fn": "parse_example",
     "protos": [_ex(a=F(1, 2, 3)), _ex(a=F(4)), _ex(), _ex(a=EMPTY)],
     "features": {"a": seq([], "float32", allow_missing=True)}},
    {"name": "seq_padded_default", "fn": "parse_example",
     "protos": [_ex(a=I(1, 2, 3, 4)), _ex(a=I(5, 6)), _ex(s=B("p", "q", "r")), _ex(s=B("t"))],
     "features": {"a": seq([2], "int64", allow_missing=True, default=-1),
                  "s": seq([], "string", allow_missing=True, default="pad")}},
    {"name": "seq_not_multiple", "fn": "parse_example",
     "protos": [_ex(a=I(1, 2)), _ex(a=I(1, 2, 3))],
     "features": {"a": seq([2], "int64", allow_missing=True)}},
    {"name": "seq_not_allow_missing", "fn": "parse_example",
     "protos": [_ex(a=F(1))], "features": {"a": seq([], "float32")}},
    {"name": "seq_wrong_type", "fn": "parse_example",
     "protos": [_ex(a=F(1))], "features": {"a": seq([], "int64", allow_missing=True)}},
    # ----- parse_example: VarLenFeature and SparseFeature ---------------------------
    {"name": "varlen", "fn": "parse_example",
     "protos": [_ex(f=F(1, 2), i=I(3), s=B("a", "b", "c")), _ex(), _ex(f=F(), i=I(4, 5, 6, 7)),
                _ex(f=EMPTY, s=B(""))],
     "features": {"f": var("float32"), "i": var("int64"), "s": var("string")}},
    {"name": "varlen_wrong_type", "fn": "parse_example",
     "protos": [_ex(f=F(1)), _ex(f=I(2))], "features": {"f": var("float32")}},
    {"name": "sparse_feature", "fn": "parse_example",
     "protos": [_ex(ix=I(3, 1), val=F(0.5, -1.0)), _ex(ix=I(0), val=F(2.0)), _ex()],
     "features": {"sp": sparse("ix", "val", "float32", 5)}},
    {"name": "sparse_feature_sorted", "fn": "parse_example",
     "protos": [_ex(ix=I(1, 3), val=I(10, 30)), _ex(ix=I(2), val=I(20))],
     "features": {"sp": sparse("ix", "val", "int64", 4, already_sorted=True)}},
    {"name": "sparse_feature_2d", "fn": "parse_example",
     "protos": [_ex(ix0=I(3, 20, 3), ix1=I(1, 0, 0), val=B("a", "b", "c")),
                _ex(ix0=I(5), ix1=I(2), val=B("d"))],
     "features": {"sp": sparse(["ix0", "ix1"], "val", "string", [100, 3])}},
    {"name": "sparse_feature_mismatch", "fn": "parse_example",
     "protos": [_ex(ix=I(1, 2), val=F(1.0))],
     "features": {"sp": sparse("ix", "val", "float32", 5)}},
    {"name": "mixed", "fn": "parse_example",
     "protos": [_ex(label=I(1), w=F(0.5, 0.25), tok=B("x", "y"), ix=I(2), val=F(9)),
                _ex(label=I(0), tok=B("z"), ix=I(0, 1), val=F(1, 2))],
     "features": {"label": fixed([], "int64"), "w": fixed([2], "float32", [0.0, 0.0]),
                  "tok": var("string"), "sp": sparse("ix", "val", "float32", 3),
                  "ix": var("int64")}},
    {"name": "example_names_used", "fn": "parse_example",
     "protos": [_ex(a=F(1.0)), _ex(a=F(2.0, 3.0))], "example_names": ["one", "two"],
     "features": {"a": fixed([], "float32")}},
    # ----- parse_single_example ------------------------------------------------------
    {"name": "single_dense_varlen", "fn": "parse_single_example",
     "protos": [_ex(a=F(1, 2), v=I(5, 6, 7), s=B("q"))],
     "features": {"a": fixed([2], "float32"), "v": var("int64"), "s": var("string"),
                  "d": fixed([], "int64", 42)}},
    {"name": "single_seq_sparse", "fn": "parse_single_example",
     "protos": [_ex(a=F(1, 2, 3, 4), ix=I(4, 0), val=F(5, 6))],
     "features": {"a": seq([2], "float32", allow_missing=True),
                  "sp": sparse("ix", "val", "float32", 6)}},
    {"name": "single_missing_required", "fn": "parse_single_example",
     "protos": [_ex(b=F(1.0))], "features": {"a": fixed([], "float32")}},
    {"name": "single_missing_required_name", "fn": "parse_single_example",
     "protos": [_ex(b=F(1.0))], "example_names": "ex0", "features": {"a": fixed([], "float32")}},
    {"name": "single_wrong_size", "fn": "parse_single_example",
     "protos": [_ex(a=I(1))], "features": {"a": fixed([2], "int64")}},
    {"name": "single_too_many", "fn": "parse_single_example",
     "protos": [_ex(a=F(1, 2, 3), s=B("x"))],
     "features": {"a": fixed([2], "float32"), "s": fixed([], "string")}},
    {"name": "single_too_many_strings", "fn": "parse_single_example",
     "protos": [_ex(s=B("x", "y"))], "features": {"s": fixed([], "string")}},
    {"name": "single_seq_not_multiple", "fn": "parse_single_example",
     "protos": [_ex(a=I(1, 2, 3))], "features": {"a": seq([2], "int64", allow_missing=True)}},
    {"name": "single_wrong_type", "fn": "parse_single_example",
     "protos": [_ex(a=I(1))], "features": {"a": var("string")}},
    {"name": "single_bad_float_slice", "fn": "parse_single_example",
     "protos": [_raw_example(("a", bytes.fromhex("1205" + "0a03000000")))],
     "features": {"a": fixed([], "float32", 0.0)}},
    {"name": "single_malformed", "fn": "parse_single_example",
     "protos": [_raw("0a0b0a09")], "features": {"a": fixed([], "float32", 0.0)}},
    {"name": "single_not_scalar", "fn": "parse_single_example", "shape": [1],
     "protos": [_ex(a=F(1.0))], "features": {"a": fixed([], "float32")}},
    # ----- parse_single_sequence_example ---------------------------------------------
    {"name": "sequence_basic", "fn": "parse_single_sequence_example",
     "protos": [{"context": {"len": I(3), "tags": B("a", "b")},
                 "feature_lists": {"x": [F(1), F(2), F(3)], "y": [I(1, 2), I(3, 4), I(5, 6)],
                                   "w": [B("p"), B(), B("q", "r")]}}],
     "context_features": {"len": fixed([], "int64"), "tags": var("string"),
                          "dflt": fixed([2], "float32", [1.0, 2.0])},
     "sequence_features": {"x": seq([], "float32"), "y": seq([2], "int64"),
                           "w": var("string")}},
    {"name": "sequence_allow_missing", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {"x": [F(1)]}}],
     "sequence_features": {"x": seq([], "float32"), "m": seq([3], "int64", allow_missing=True),
                           "mv": var("float32")}},
    {"name": "sequence_empty_list", "fn": "parse_single_sequence_example",
     "protos": [{"context": {"c": F(1)}, "feature_lists": {"x": []}}],
     "context_features": {"c": fixed([], "float32")},
     "sequence_features": {"x": seq([2], "float32")}},
    {"name": "sequence_missing_list", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {"x": [F(1)]}}],
     "sequence_features": {"x": seq([], "float32"), "m": seq([], "float32")}},
    {"name": "sequence_missing_context", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {"x": [F(1)]}}],
     "context_features": {"c": fixed([], "int64")},
     "sequence_features": {"x": seq([], "float32")}},
    {"name": "sequence_wrong_step_size", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {"y": [I(1, 2), I(3)]}}],
     "sequence_features": {"y": seq([2], "int64")}},
    {"name": "sequence_wrong_step_type", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {"y": [F(1.0)]}}],
     "sequence_features": {"y": seq([], "int64")}},
    {"name": "sequence_varlen_wrong_type", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {"y": [I(1), F(1.0)]}}],
     "sequence_features": {"y": var("int64")}},
    {"name": "sequence_context_wrong_type", "fn": "parse_single_sequence_example",
     "protos": [{"context": {"c": F(1.0)}, "feature_lists": {}}],
     "context_features": {"c": fixed([], "int64")}},
    {"name": "sequence_name", "fn": "parse_single_sequence_example", "example_names": "seq0",
     "protos": [{"context": {}, "feature_lists": {}}],
     "sequence_features": {"m": seq([], "float32")}},
    {"name": "sequence_no_features", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {}}]},
    {"name": "sequence_fixedlen_in_lists", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {}}],
     "sequence_features": {"m": fixed([], "float32")}},
    {"name": "sequence_not_a_proto", "fn": "parse_single_sequence_example",
     "protos": [_raw("".join(f"{c:02x}" for c in b"hello"))],
     "sequence_features": {"m": var("float32")}},
    {"name": "sequence_context_empty_feature", "fn": "parse_single_sequence_example",
     "protos": [{"context": {"c": EMPTY}, "feature_lists": {}}],
     "context_features": {"c": fixed([], "float32", 1.5)}},
    {"name": "sequence_context_wrong_size", "fn": "parse_single_sequence_example",
     "protos": [{"context": {"c": F(1, 2)}, "feature_lists": {}}],
     "context_features": {"c": fixed([3], "float32")}},
    {"name": "sequence_empty_steps", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {"v": [EMPTY, I(1, 2), I(), EMPTY]}}],
     "sequence_features": {"v": var("int64")}},
    {"name": "sequence_empty_step_dense", "fn": "parse_single_sequence_example",
     "protos": [{"context": {}, "feature_lists": {"v": [I(1), I()]}}],
     "sequence_features": {"v": seq([], "int64")}},
    {"name": "sequence_malformed", "fn": "parse_single_sequence_example",
     "protos": [_raw("1203")], "sequence_features": {"m": var("float32")}},
    # ----- decode_json_example ---------------------------------------------------------
    {"name": "json", "fn": "decode_json_example",
     "json": ['{"features": {"feature": {"a": {"int64List": {"value": ["1", "1", "3"]}}}}}',
              '{"features": {"feature": {"b": {"floatList": {"value": [1.5, -2, "NaN"]}}, '
              '"c": {"bytesList": {"value": ["aGVsbG8=", ""]}}, "d": {}}}}',
              '{}', '{"features": {}}',
              '{"features": {"feature": {"i": {"int64_list": '
              '{"value": [5, -9223372036854775808]}}}}}']},
    {"name": "json_matrix", "fn": "decode_json_example",
     "json": [['{"features": {"feature": {"z": {"int64List": {"value": []}}}}}', '{}']]},
    {"name": "json_invalid", "fn": "decode_json_example", "json": ['{"features": 3}']},
    {"name": "json_not_json", "fn": "decode_json_example", "json": ['nope']},
    {"name": "json_unknown_field", "fn": "decode_json_example",
     "json": ['{"feature": {}}']},
]


def _feature(tf, kind, values):
    if kind == "empty":
        return tf.train.Feature()
    if kind == "float":
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))
    if kind == "int64":
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))
    return tf.train.Feature(bytes_list=tf.train.BytesList(
        value=[v.encode("latin-1") for v in values]))


def serialize(tf, proto):
    """The wire bytes of one proto description (with `tf`'s Example classes)."""
    if "raw_hex" in proto:
        return bytes.fromhex(proto["raw_hex"])
    if "features" in proto:
        feats = {k: _feature(tf, *v) for k, v in proto["features"].items()}
        msg = tf.train.Example(features=tf.train.Features(feature=feats))
    else:
        ctx = {k: _feature(tf, *v) for k, v in proto["context"].items()}
        lists = {k: tf.train.FeatureList(feature=[_feature(tf, *f) for f in steps])
                 for k, steps in proto["feature_lists"].items()}
        msg = tf.train.SequenceExample(context=tf.train.Features(feature=ctx),
                                       feature_lists=tf.train.FeatureLists(feature_list=lists))
    return msg.SerializeToString(deterministic=True)


def inputs(tf, case):
    """The case's input strings: an object array shaped as `case["shape"]` (or a vector;
    a scalar for the single-proto functions)."""
    if case["fn"] == "decode_json_example":
        return np.array([[s.encode() for s in row] if isinstance(row, list) else row.encode()
                         for row in case["json"]], dtype=object)
    data = [serialize(tf, p) for p in case["protos"]]
    out = np.empty(len(data), dtype=object)
    out[:] = data
    if "shape" in case:
        return out.reshape(case["shape"])
    if case["fn"] != "parse_example":
        return out.reshape(())
    return out


def features(tf, spec):
    out = {}
    for key, f in (spec or {}).items():
        kind, args = f[0], f[1:]
        if kind == "fixed":
            shape, dtype, default = args
            out[key] = tf.io.FixedLenFeature(shape, getattr(tf, dtype), default)
        elif kind == "seq":
            shape, dtype, allow_missing, default = args
            out[key] = tf.io.FixedLenSequenceFeature(shape, getattr(tf, dtype), allow_missing,
                                                     default)
        elif kind == "var":
            out[key] = tf.io.VarLenFeature(getattr(tf, args[0]))
        else:
            index_key, value_key, dtype, size, already_sorted = args
            out[key] = tf.io.SparseFeature(index_key, value_key, getattr(tf, dtype), size,
                                           already_sorted)
    return out


def build(tf, case, data):
    """The case's graph in `tf` (TensorFlow's compat.v1 or flowexec); returns the fetches:
    a dict of Tensors/SparseTensors, a (context, feature_lists) pair, or a Tensor."""
    serialized = tf.constant(data, dtype=tf.string)
    fn = case["fn"]
    names = case.get("example_names")
    if fn == "decode_json_example":
        return tf.decode_json_example(serialized)
    if fn == "parse_example":
        return tf.parse_example(serialized, features(tf, case["features"]),
                                example_names=names)
    if fn == "parse_single_example":
        return tf.parse_single_example(serialized, features(tf, case["features"]),
                                       example_names=names)
    return tf.parse_single_sequence_example(
        serialized, context_features=features(tf, case.get("context_features")),
        sequence_features=features(tf, case.get("sequence_features")), example_name=names)


def flatten(fetched):
    """{output name: array} of a case's fetched result."""
    if isinstance(fetched, tuple):
        parts = {"context": fetched[0], "feature_lists": fetched[1]}
    elif isinstance(fetched, dict):
        parts = {"": fetched}
    else:
        return {"out": fetched}
    out = {}
    for prefix, d in parts.items():
        for key, v in d.items():
            name = f"{prefix}/{key}" if prefix else key
            if hasattr(v, "indices") and hasattr(v, "dense_shape"):
                out[name + "__indices"] = v.indices
                out[name + "__values"] = v.values
                out[name + "__dense_shape"] = v.dense_shape
            else:
                out[name] = v
    return out


def _static_shapes(built):
    shapes = {}
    for name, t in flatten(built).items():
        shapes[name] = None if t.shape.ndims is None else t.shape.as_list()
    return shapes


# TF 1.x's graphs hold the V1 ops (ParseExample, ParseSingleExample, ParseSingleSequenceExample):
# built here with tf.raw_ops, their GraphDefs are recorded to be imported and run by flowexec.
def _v1_graphs(tf):
    """{name: (build, fetch names)}; build() adds the op to the default graph."""
    raw = tf.raw_ops
    ex = [serialize(tf, _ex(a=F(1.5, 2.5), v=I(3, 4, 5), s=B("x"))),
          serialize(tf, _ex(v=I(6), s=B("y", "z")))]
    seq = serialize(tf, {"context": {"c": I(7), "t": B("u", "w")},
                         "feature_lists": {"x": [F(1, 2), F(3, 4)], "y": [I(1), I(), I(2, 3)]}})

    def parse_example(serialized=ex, names=(), dense_a_default=(0.0, 0.0)):
        def build():
            raw.ParseExample(
                serialized=tf.constant(serialized, tf.string),
                names=tf.constant(list(names), tf.string, shape=[len(names)]),
                sparse_keys=[tf.constant("s"), tf.constant("v")],
                dense_keys=[tf.constant("a")],
                dense_defaults=[tf.constant(list(dense_a_default), tf.float32,
                                            shape=[len(dense_a_default)])],
                sparse_types=[tf.string, tf.int64], dense_shapes=[[2]], name="pe")
        return build, ["pe:0", "pe:1", "pe:2", "pe:3", "pe:4", "pe:5", "pe:6"]

    def parse_single():
        raw.ParseSingleExample(
            serialized=tf.constant(ex[0]), dense_defaults=[tf.constant([], tf.float32),
                                                           tf.constant(9, tf.int64)],
            num_sparse=1, sparse_keys=["s"], dense_keys=["a", "d"], sparse_types=[tf.string],
            dense_shapes=[[2], []], name="ps")

    def parse_sequence(missing_ok=("m",)):
        def build():
            raw.ParseSingleSequenceExample(
                serialized=tf.constant(seq),
                feature_list_dense_missing_assumed_empty=tf.constant(list(missing_ok),
                                                                     tf.string,
                                                                     shape=[len(missing_ok)]),
                context_sparse_keys=[tf.constant("t")], context_dense_keys=[tf.constant("c")],
                feature_list_sparse_keys=[tf.constant("y")],
                feature_list_dense_keys=[tf.constant("m"), tf.constant("x")],
                context_dense_defaults=[tf.constant([], tf.int64)],
                debug_name=tf.constant("seq0"), context_sparse_types=[tf.string],
                feature_list_dense_types=[tf.float32, tf.float32], context_dense_shapes=[[]],
                feature_list_sparse_types=[tf.int64], feature_list_dense_shapes=[[3], [2]],
                name="pss")
        return build, [f"pss:{i}" for i in range(9)]

    return {
        "v1_parse_example": parse_example(),
        "v1_parse_example_missing": parse_example(dense_a_default=(), names=("e0", "e1")),
        "v1_parse_example_names_mismatch": parse_example(names=("e0",)),
        "v1_parse_single_example": (parse_single, [f"ps:{i}" for i in range(5)]),
        "v1_parse_single_sequence_example": parse_sequence(),
        "v1_parse_single_sequence_example_missing": parse_sequence(missing_ok=()),
    }


def v1_fixtures(tf, h, arrays, meta):
    for name, (build, fetches) in _v1_graphs(tf).items():
        g = tf.Graph()
        with g.as_default():
            build()
        gd = g.as_graph_def().SerializeToString()
        arrays[name + "__graph_def"] = np.frombuffer(gd, np.uint8)
        entry = {"name": name, "fetches": fetches, "error": None}
        try:
            with tf.Session(graph=g) as sess:
                for i, v in enumerate(sess.run(fetches)):
                    h._put(arrays, f"{name}__{i}", v)
        except tf.errors.OpError as e:
            entry["error"] = [type(e).__name__, h._message(e)]
        print(name, entry["error"] or "ok")
        meta["v1_graphs"].append(entry)


def _helpers():
    spec = importlib.util.spec_from_file_location(
        "make_tf_parsing_fixtures", os.path.join(HERE, "make_tf_parsing_fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    import tensorflow as tf2

    tf = tf2.compat.v1
    tf.disable_eager_execution()
    h = _helpers()
    arrays, meta = {}, {"cases": [], "v1_graphs": []}
    for case in CASES:
        data = inputs(tf, case)
        h._put(arrays, case["name"] + "__input", data)
        entry = dict(case, error=None)
        g = tf.Graph()
        with g.as_default():
            try:
                built = build(tf, case, data)
            except (TypeError, ValueError) as e:
                entry["error"] = [type(e).__name__, str(e)]
                built = None
            if built is not None:
                entry["static_shapes"] = _static_shapes(built)
                entry["op_types"] = sorted({op.type for op in g.get_operations()})
                try:
                    with tf.Session(graph=g) as sess:
                        for name, v in flatten(sess.run(built)).items():
                            h._put(arrays, f"{case['name']}__{name}", v)
                        entry["outputs"] = sorted(flatten(built))
                except tf.errors.OpError as e:
                    entry["error"] = [type(e).__name__, h._message(e)]
        print(case["name"], entry["error"] or entry.get("outputs"))
        meta["cases"].append(entry)
    tf.raw_ops = tf2.raw_ops
    v1_fixtures(tf, h, arrays, meta)
    h._save("example", meta, arrays)
    print("wrote", os.path.join(OUT, "example.npz"), len(CASES), "cases")


if __name__ == "__main__":
    main()
