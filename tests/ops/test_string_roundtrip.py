"""String tensors hold bytes exactly: constants, feeds, fetches and py_func results keep
trailing NUL bytes (numpy's fixed-width "S" arrays would strip them)."""

import numpy as np

import flowexec as tf

VALUES = [b"ab\x00\x00", b"\x00", b"", b"x\x00y\x00"]


def test_constants_keep_trailing_nul_bytes():
    with tf.Graph().as_default(), tf.Session() as sess:
        scalar = sess.run(tf.constant(b"ab\x00\x00"))
        assert scalar == b"ab\x00\x00" and type(scalar) is bytes
        assert sess.run(tf.identity(tf.constant(b"\x00\x00"))) == b"\x00\x00"
        vec = sess.run(tf.constant(VALUES))
        assert vec.dtype == object and vec.tolist() == VALUES
        nested = sess.run(tf.constant([VALUES[:2], VALUES[2:]]))
        assert nested.shape == (2, 2) and nested.reshape(-1).tolist() == VALUES
        assert sess.run(tf.constant("a\x00")) == b"a\x00"
        obj = np.array(VALUES, dtype=object)
        assert sess.run(tf.constant(obj)).tolist() == VALUES


def test_feeds_fetches_and_py_func_keep_nul_bytes():
    with tf.Graph().as_default(), tf.Session() as sess:
        p = tf.placeholder(tf.string)
        assert sess.run(p, {p: b"q\x00"}) == b"q\x00"
        assert sess.run(tf.identity(p), {p: VALUES}).tolist() == VALUES
        f = tf.py_func(lambda: b"z\x00\x00", [], tf.string)
        assert sess.run(f) == b"z\x00\x00"
        n = tf.strings.length(tf.constant(VALUES))
        np.testing.assert_array_equal(sess.run(n), [4, 1, 0, 4])
