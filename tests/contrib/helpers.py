"""Shared helpers of the tf.contrib tests: running with initialized variables and a
central finite-difference gradient check."""

import numpy as np

import flowexec as tf


def run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def check_input_gradient(y, x, x_value, eps=1e-3, atol=2e-3, rtol=2e-3, feed=None):
    """d sum(y * r) / dx by `tf.gradients` against central differences (float64 feeds)."""
    rng = np.random.RandomState(0)
    feed = dict(feed or {})
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        r = rng.standard_normal(sess.run(y, {**feed, x: x_value}).shape)
        loss = tf.reduce_sum(y * tf.constant(r, dtype=y.dtype))
        (grad,) = tf.gradients(loss, [x])
        analytic = sess.run(grad, {**feed, x: x_value})
        numeric = np.zeros_like(x_value)
        flat = numeric.reshape(-1)
        for i in range(x_value.size):
            plus, minus = x_value.copy(), x_value.copy()
            plus.reshape(-1)[i] += eps
            minus.reshape(-1)[i] -= eps
            flat[i] = (sess.run(loss, {**feed, x: plus})
                       - sess.run(loss, {**feed, x: minus})) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, atol=atol, rtol=rtol)
