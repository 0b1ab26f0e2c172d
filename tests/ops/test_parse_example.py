"""Example parsing (tf.parse_example, parse_single_example, parse_single_sequence_example,
decode_json_example) against TensorFlow's recorded outputs, static shapes, op types and error
messages (scripts/make_tf_example_fixtures.py builds each case's graph for TF and for
flowexec alike), bit for bit; plus the session staying usable after an error, GraphDef
export/import, and a numpy-side check of the padding and sparse layouts."""

import importlib.util
import os
import re
import struct

import numpy as np
import pytest

import flowexec as tf
from tests.ops.parsing_fixtures import Fixture, assert_same

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "make_tf_example_fixtures", os.path.join(ROOT, "scripts", "make_tf_example_fixtures.py"))
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

EX = Fixture("example")
TF_CASES = EX.meta["cases"]


def _has_sparse(case):
    specs = [case.get(k) or {} for k in ("features", "context_features", "sequence_features")]
    return any(f[0] in ("var", "sparse") for spec in specs for f in spec.values())


def _needs_sparse_tensor(case):
    if _has_sparse(case):
        pytest.importorskip("flowexec.framework.sparse_tensor",
                            reason="VarLen/Sparse results are tf.SparseTensor")


def _first_line(message):
    """The message without the node and stack trace lines flowexec appends."""
    return message.split("\n\t [[")[0]


def _comparable(kind, message):
    """The part of a message both sides word alike: build-time shape errors name TF's node
    text after " for '"; protobuf's JSON parser words its details (with random spacing)."""
    if " for '{{node " in message or " for '" in message and "(op: '" in message:
        message = message.split(" for '")[0]
    if message.startswith("Error while parsing JSON:"):
        return "Error while parsing JSON:"
    return message


@pytest.mark.parametrize("case", TF_CASES, ids=[c["name"] for c in TF_CASES])
def test_equals_tf(case):
    _needs_sparse_tensor(case)
    data = EX.get(case["name"] + "__input")
    g = tf.Graph()
    with g.as_default():
        if case["error"] is not None and case["error"][0] in ("ValueError", "TypeError"):
            kind, message = case["error"]
            with pytest.raises({"ValueError": ValueError, "TypeError": TypeError}[kind]) as info:
                fx.build(tf, case, data)
            assert _comparable(kind, str(info.value)) == _comparable(kind, message)
            return
        built = fx.build(tf, case, data)
        got_shapes = {k: None if t.shape.ndims is None else t.shape.as_list()
                      for k, t in fx.flatten(built).items()}
        assert got_shapes == case["static_shapes"]
        tf_ops = {t for t in case["op_types"] if t.startswith(("Parse", "Decode"))}
        assert tf_ops <= {op.type for op in g.get_operations()}
        with tf.Session() as sess:
            if case["error"] is not None:
                kind, message = case["error"]
                with pytest.raises(getattr(tf.errors, kind)) as info:
                    sess.run(built)
                assert _comparable(kind, _first_line(info.value.message)) == \
                    _comparable(kind, message)
                assert sess.run(tf.constant(3) + 4) == 7  # the session is still usable
                return
            got = fx.flatten(sess.run(built))
    assert sorted(got) == case["outputs"]
    for name, value in got.items():
        want = EX.get(f"{case['name']}__{name}")
        if case["fn"] == "decode_json_example":
            _assert_same_examples(value, want, case["name"])
        else:
            assert_same(value, want, f"{case['name']} {name}")


def _assert_same_examples(got, want, msg):
    got, want = np.asarray(got, dtype=object), np.asarray(want, dtype=object)
    assert got.shape == want.shape, msg
    for g, w in zip(got.reshape(-1), want.reshape(-1)):
        assert g == w, f"{msg}: {g!r} != {w!r}"


@pytest.mark.parametrize("case", [c for c in TF_CASES if "protos" in c and c["protos"]
                                  and all("raw_hex" not in p for p in c["protos"])],
                         ids=lambda c: c["name"])
def test_flowexec_protos_serialize_as_tf(case):
    """flowexec's tf.train.Example/SequenceExample write the bytes TF's classes wrote."""
    data = EX.get(case["name"] + "__input").reshape(-1)
    for proto, want in zip(case["protos"], data):
        assert fx.serialize(tf, proto) == want


def _example(**features):
    feats = {}
    for k, (kind, values) in features.items():
        if kind == "f":
            feats[k] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
        elif kind == "i":
            feats[k] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
        else:
            feats[k] = tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
    return tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString()


def test_fixed_len_sequence_padding_matches_numpy():
    rng = np.random.default_rng(3)
    lengths = [3, 0, 5, 1, 2, 4, 0, 1, 3, 2]  # more examples than TF's 8 minibatches
    rows = [rng.integers(-100, 100, (n, 2)) for n in lengths]
    serialized = [_example(a=("i", r.reshape(-1).tolist())) if len(r) else _example()
                  for r in rows]
    want = np.full((len(rows), max(lengths), 2), -7, np.int64)
    for e, r in enumerate(rows):
        want[e, :len(r)] = r
    with tf.Graph().as_default():
        out = tf.parse_example(serialized, {"a": tf.FixedLenSequenceFeature(
            [2], tf.int64, allow_missing=True, default_value=-7)})
        with tf.Session() as sess:
            got = sess.run(out["a"])
    assert_same(got, want, "padded")


def test_stride_message_counts_values_per_minibatch():
    # 16 examples make 8 minibatches of 2: TF's count is the minibatch's running total.
    serialized = [_example(a=("f", [1.0, 2.0]))] * 15 + [_example(a=("f", [1.0, 2.0, 3.0]))]
    with tf.Graph().as_default():
        out = tf.parse_example(serialized, {"a": tf.FixedLenSequenceFeature(
            [2], tf.float32, allow_missing=True)})
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                sess.run(out)
    assert _first_line(info.value.message) == (
        "Name: <unknown>, Key: a, Index: 15.  Number of float values is not a multiple of "
        "stride length. Saw 5 values but output shape is: [?,2]")


def test_dense_values_match_struct_decoding():
    rng = np.random.default_rng(0)
    floats = rng.standard_normal((6, 3)).astype(np.float32)
    ints = rng.integers(-2 ** 62, 2 ** 62, (6, 2))
    serialized = [_example(f=("f", floats[i].tolist()), i=("i", ints[i].tolist()),
                           s=("b", [struct.pack("<f", floats[i, 0])]))
                  for i in range(6)]
    with tf.Graph().as_default():
        out = tf.parse_example(serialized, {"f": tf.FixedLenFeature([3], tf.float32),
                                            "i": tf.FixedLenFeature([2], tf.int64),
                                            "s": tf.FixedLenFeature([], tf.string)})
        with tf.Session() as sess:
            got = sess.run(out)
    assert_same(got["f"], floats, "f")
    assert_same(got["i"], ints.astype(np.int64), "i")
    assert [struct.unpack("<f", v)[0] for v in got["s"]] == floats[:, 0].tolist()


def test_graph_def_round_trip():
    serialized = [_example(a=("f", [1.5]), v=("i", [4, 5]))]
    with tf.Graph().as_default() as g:
        tf.parse_example(tf.constant(serialized), {
            "a": tf.FixedLenFeature([], tf.float32),
            "q": tf.FixedLenSequenceFeature([], tf.int64, allow_missing=True)}, name="pe")
        tf.decode_json_example(tf.constant(['{"features": {}}']), name="dj")
        graph_def = g.as_graph_def()
    types = {n.op for n in graph_def.node}
    assert {"ParseExampleV2", "DecodeJSONExample"} <= types
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            a, q, j = sess.run(["pe/pe:0", "pe/pe:1", "dj:0"])
    assert_same(a, np.array([1.5], np.float32), "a")
    assert_same(q, np.zeros((1, 0), np.int64), "q")
    assert j.tolist() == [b"\n\x00"]  # `features` given, empty: written, as TF does


def test_feature_configs_are_tfs_namedtuples():
    f = tf.FixedLenSequenceFeature([2], tf.int64)
    assert (f.shape, f.dtype, f.allow_missing, f.default_value) == ([2], tf.int64, False, None)
    assert tf.io.SparseFeature("i", "v", tf.float32, 4).already_sorted is False
    assert tf.io.VarLenFeature(tf.string)._fields == ("dtype",)
    assert tf.FixedLenFeature([], tf.float32)._replace(default_value=1.0).default_value == 1.0
    assert re.match(r"FixedLenFeature\(shape=\[\], dtype=", repr(tf.FixedLenFeature([],
                                                                               tf.float32)))


def test_single_example_of_unknown_rank_checks_scalar_at_run_time():
    data = _example(a=("f", [2.5]))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.string, shape=None)
        out = tf.parse_single_example(x, {"a": tf.FixedLenFeature([], tf.float32)})
        assert out["a"].shape.as_list() == []
        with tf.Session() as sess:
            assert sess.run(out["a"], {x: data}) == np.float32(2.5)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="Input serialized must be a scalar"):
                sess.run(out["a"], {x: [data]})


def test_parse_sequence_example_batch():
    seqs = [tf.train.SequenceExample(
        context=tf.train.Features(feature={"c": tf.train.Feature(
            int64_list=tf.train.Int64List(value=[i]))}),
        feature_lists=tf.train.FeatureLists(feature_list={"x": tf.train.FeatureList(feature=[
            tf.train.Feature(float_list=tf.train.FloatList(value=[float(t)]))
            for t in range(i)])})).SerializeToString() for i in (1, 3)]
    with tf.Graph().as_default():
        ctx, lists, lengths = tf.io.parse_sequence_example(
            seqs, {"c": tf.FixedLenFeature([], tf.int64)},
            {"x": tf.FixedLenSequenceFeature([], tf.float32),
             "v": tf.VarLenFeature(tf.float32)})
        with tf.Session() as sess:
            c, x, n, v = sess.run([ctx["c"], lists["x"], lengths["x"], lists["v"]])
    assert_same(c, np.array([1, 3], np.int64), "context")
    assert_same(x, np.array([[0, 0, 0], [0, 1, 2]], np.float32), "padded lists")
    assert_same(n, np.array([1, 3], np.int64), "lengths")
    assert v.indices.shape == (0, 3) and v.dense_shape.tolist() == [2, 0, 0]


V1_GRAPHS = EX.meta["v1_graphs"]


@pytest.mark.parametrize("case", V1_GRAPHS, ids=[c["name"] for c in V1_GRAPHS])
def test_tf1_graph_defs_import_and_run_as_tf(case):
    """GraphDefs TF wrote with TF 1.x's ops (ParseExample, ParseSingleExample,
    ParseSingleSequenceExample) import and give TF's outputs and errors."""
    graph_def = tf.GraphDef.FromString(EX.get(case["name"] + "__graph_def").tobytes())
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            if case["error"] is not None:
                kind, message = case["error"]
                with pytest.raises(getattr(tf.errors, kind)) as info:
                    sess.run(case["fetches"])
                assert _first_line(info.value.message) == message
                return
            got = sess.run(case["fetches"])
    for i, value in enumerate(got):
        assert_same(value, EX.get(f"{case['name']}__{i}"), f"{case['name']} output {i}")
