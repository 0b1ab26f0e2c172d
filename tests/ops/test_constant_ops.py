"""Oracle rows for the plumbing ops of flowexec/ops/constant_op.py."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _normal(*shape):
    return lambda rng: [rng.standard_normal(shape)]


CASES = [
    OpCase("identity", tf.identity, lambda x: x, _normal(3, 4)),
    OpCase("identity_int", tf.identity, lambda x: x,
           lambda rng: [rng.integers(-5, 5, (2, 3)).astype(np.int32)]),
    OpCase("placeholder_with_default", lambda x: tf.placeholder_with_default(x, [3, 2]),
           lambda x: x, _normal(3, 2)),
    OpCase("placeholder_with_default_partial",
           lambda x: tf.placeholder_with_default(x, [None, 2]), lambda x: x, _normal(4, 2)),
    OpCase("stop_gradient", tf.stop_gradient, lambda x: x, _normal(2, 2), grad=False),
    OpCase("const_like", lambda x: tf.identity(x) * tf.constant(2.0, tf.float64),
           lambda x: x * 2.0, _normal(3)),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=ids([c for c in CASES
                                                                         if c.grad]))
def test_gradient(case):
    check_gradient(case)


def test_stop_gradient_blocks_gradient():
    x = tf.placeholder(tf.float64, [3])
    y = tf.reduce_sum(tf.stop_gradient(x) * x)
    (g,) = tf.gradients(y, [x])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g, {x: [1.0, 2.0, 3.0]}), [1.0, 2.0, 3.0])


def test_placeholder_with_default_can_be_fed():
    d = tf.placeholder_with_default(tf.constant([1.0, 2.0]), [None])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(d), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(d, {d: [5.0, 6.0, 7.0]}), [5.0, 6.0, 7.0])
