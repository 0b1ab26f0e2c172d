"""serialize_tensor / parse_tensor round trips (and TF's wire format), decode_compressed,
timestamp, tf.random.split / fold_in."""

import gzip
import time
import zlib

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import tensor_proto_ops as tp


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_serialize_parse_round_trip_and_proto():
    with tf.Graph().as_default():
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        s = tp.serialize_tensor(x)
        back = tp.parse_tensor(s, tf.float32)
        strs = tp.parse_tensor(tp.serialize_tensor(tf.constant([b"a\x00b", b"bc"])), tf.string)
        bad = tp.parse_tensor(s, tf.int32)
        raw, back, strs = _run([s, back, strs])
        np.testing.assert_array_equal(back, x)
        assert strs.tolist() == [b"a\x00b", b"bc"]
        proto = tf.TensorProto.FromString(raw)
        assert proto.dtype == tf.float32.as_datatype_enum
        assert [d.size for d in proto.tensor_shape.dim] == [2, 3]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Type mismatch"):
            _run(bad)


def test_decode_compressed():
    with tf.Graph().as_default():
        z = tp.decode_compressed([zlib.compress(b"hello"), zlib.compress(b"")], "ZLIB")
        g = tp.decode_compressed(gzip.compress(b"gz\x00"), "GZIP")
        plain = tp.decode_compressed(["as is"])
        bad = tp.decode_compressed(["not zlib"], "ZLIB")
        zv, gv, pv = _run([z, g, plain])
        assert zv.tolist() == [b"hello", b""] and gv == b"gz\x00" and pv.tolist() == [b"as is"]
        with pytest.raises(tf.errors.DataLossError):
            _run(bad)
    with pytest.raises(ValueError):
        tp.decode_compressed(["x"], "LZ4")


def test_timestamp_is_the_run_time():
    with tf.Graph().as_default():
        t = tf.timestamp()
        assert t.dtype == tf.float64
        before = time.time()
        with tf.Session() as sess:
            a = sess.run(t)
            time.sleep(0.01)
            b = sess.run(t)
        assert before <= a < b <= time.time()


def test_random_split_and_fold_in_are_deterministic():
    with tf.Graph().as_default():
        seeds = tf.random.split([1, 2], num=3)
        folded = [tf.random.fold_in([1, 2], d) for d in (0, 1)]
        with tf.Session() as s1, tf.Session() as s2:
            a, f = s1.run([seeds, folded])
            b = s2.run(seeds)
    assert a.shape == (3, 2) and a.dtype == np.int64
    np.testing.assert_array_equal(a, b)
    assert len({tuple(r) for r in a}) == 3 and not np.array_equal(f[0], f[1])
