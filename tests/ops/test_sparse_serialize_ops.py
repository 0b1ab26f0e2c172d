"""sparse_serialize_ops: SerializeSparse / SerializeManySparse write TF's bytes (recorded from
TF), DeserializeManySparse / DeserializeSparse read them back, with TF's errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import sparse_serialize_ops as sso
from tests.ops.sparse_fixtures import DATA, cases, check_case


@pytest.mark.parametrize("case", cases(["serialize", "deserialize"]))
def test_against_tf(case):
    check_case(case)


def test_round_trips():
    st = tf.SparseTensor([[0, 1, 2], [1, 0, 0], [1, 2, 1]], ["x", "", "yz"], [2, 3, 4])
    back = tf.deserialize_many_sparse(tf.serialize_many_sparse(st), tf.string, rank=3)
    assert back.indices.shape.as_list() == [None, 3]
    assert back.dense_shape.shape.as_list() == [3]
    one = tf.io.deserialize_many_sparse(tf.expand_dims(tf.serialize_sparse(st), 0), tf.string)
    with tf.Session() as sess:
        v, w = sess.run([back, one])
    np.testing.assert_array_equal(v.indices, [[0, 1, 2], [1, 0, 0], [1, 2, 1]])
    assert v.values.tolist() == [b"x", b"", b"yz"]
    np.testing.assert_array_equal(v.dense_shape, [2, 3, 4])
    np.testing.assert_array_equal(w.indices, [[0, 0, 1, 2], [0, 1, 0, 0], [0, 1, 2, 1]])
    np.testing.assert_array_equal(w.dense_shape, [1, 2, 3, 4])


def test_deserialize_sparse_keeps_leading_dimensions():
    st = tf.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [3, 2])
    rows = tf.reshape(tf.serialize_many_sparse(st), [1, 3, 3])
    out = sso.deserialize_sparse(rows, tf.float32)
    with tf.Session() as sess:
        v = sess.run(out)
    np.testing.assert_array_equal(v.indices, [[0, 0, 1], [0, 2, 0]])
    np.testing.assert_array_equal(v.dense_shape, [1, 3, 2])


@pytest.mark.parametrize("array, dtype", [
    (np.array([[1, 2], [3, 4]], np.int64), tf.int64), (np.zeros((0, 3), np.int64), tf.int64),
    (np.array([1.5, -2.0], np.float64), tf.float64), (np.array([True, False]), tf.bool),
    (np.array([b"a", b"", b"\x00b"], dtype=object), tf.string)])
def test_tensor_proto_round_trip(array, dtype):
    dt, back = sso.decode_tensor(sso.encode_tensor(array, dtype))
    assert dt is dtype and back.shape == array.shape
    assert back.tolist() == array.tolist()


def test_reads_a_tensor_proto_with_typed_values():
    pytest.importorskip("google.protobuf")
    from flowexec.graph_io import protos

    proto = protos.proto_class("TensorProto")()
    proto.dtype = tf.int64.as_datatype_enum
    proto.tensor_shape.dim.add().size = 2
    proto.int64_val.extend([7, 9])
    dt, arr = sso.decode_tensor(proto.SerializeToString())
    assert dt is tf.int64 and arr.tolist() == [7, 9]


def test_fixture_bytes_are_parsed_by_the_decoder():
    hexes = DATA["serialize_sparse/out/hex"].tolist()
    (_, ind), (_, val), (_, shp) = (sso.decode_tensor(bytes.fromhex(h)) for h in hexes)
    np.testing.assert_array_equal(ind, [[0, 1], [0, 3], [2, 0], [2, 2]])
    np.testing.assert_array_equal(val, [1, 2, 3, 4])
    np.testing.assert_array_equal(shp, [3, 4])


def test_only_string_out_type():
    st = tf.SparseTensor([[0]], [1.0], [2])
    with pytest.raises(TypeError, match="strings only"):
        tf.serialize_sparse(st, out_type=tf.variant)
