"""tf.debugging.assert_shapes: static contradictions at build time, the rest at run time."""

import numpy as np
import pytest

import flowexec as tf


def test_static_shapes_checked_when_built():
    x, y = tf.zeros([3, 2]), tf.zeros([3, 5])
    op = tf.debugging.assert_shapes([(x, ("N", "Q")), (y, ("N", "D")), (tf.zeros([5]), ("D",))])
    assert op.type == "NoOp"
    tf.debugging.assert_shapes({x: ("...", 2), tf.zeros([4, 1, 2]): ("...", ".", 2)})
    with pytest.raises(ValueError, match="must have size 3"):
        tf.debugging.assert_shapes([(x, ("N", "Q")), (tf.zeros([4]), ("N",))])
    with pytest.raises(ValueError, match="rank"):
        tf.debugging.assert_shapes([(x, ("N",))])
    with pytest.raises(ValueError, match="size 4"):
        tf.debugging.assert_shapes([(x, (4, "Q"))], message="custom")


def test_unknown_shapes_checked_at_run_time():
    a = tf.placeholder(tf.float32, [None, 2])
    b = tf.placeholder(tf.float32)
    check = tf.debugging.assert_shapes([(a, ("N", 2)), (b, ("N",))])
    with tf.control_dependencies([check]):
        out = tf.identity(a)
    with tf.Session() as sess:
        sess.run(out, {a: np.zeros((3, 2)), b: np.zeros(3)})
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(out, {a: np.zeros((3, 2)), b: np.zeros(4)})
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(out, {a: np.zeros((3, 2)), b: np.zeros((3, 1))})
