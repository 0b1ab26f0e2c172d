"""Gradients through tf.map_fn, tf.scan, tf.foldl, tf.foldr and TensorArray loop variables,
against central finite differences (gradients through `While`, ops/control_flow_grad.py).
"""

import numpy as np

import flowexec as tf

def _check(build, x0, out_shape, eps=1e-6):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, x0.shape)
        y = build(x)
        w = np.random.default_rng(1).standard_normal(out_shape)
        loss = tf.reduce_sum(y * w)
        dx, = tf.gradients(loss, [x])
        with tf.Session() as sess:
            analytic = sess.run(dx, {x: x0})
            numeric = np.zeros_like(x0)
            for j in range(x0.size):
                xp, xm = x0.copy(), x0.copy()
                xp.reshape(-1)[j] += eps
                xm.reshape(-1)[j] -= eps
                numeric.reshape(-1)[j] = (sess.run(loss, {x: xp}) -
                                          sess.run(loss, {x: xm})) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, atol=1e-6, rtol=1e-5)


X0 = np.random.default_rng(0).standard_normal((4, 3))
ONES = lambda: tf.ones([3], tf.float64)  # noqa: E731


def test_map_fn_gradient():
    _check(lambda x: tf.map_fn(lambda r: tf.sin(r) * r, x), X0, (4, 3))


def test_map_fn_nested_gradient():
    _check(lambda x: tf.map_fn(lambda t: t[0] * t[1], (x, x * 2.0), dtype=tf.float64),
           X0, (4, 3))


def test_scan_gradient_without_initializer():
    _check(lambda x: tf.scan(lambda a, e: a * e + tf.sin(a), x), X0, (4, 3))


def test_scan_gradient_reverse_with_initializer():
    _check(lambda x: tf.scan(lambda a, e: a * e, x, initializer=ONES(), reverse=True),
           X0, (4, 3))


def test_foldl_and_foldr_gradients():
    _check(lambda x: tf.foldl(lambda a, e: a * tf.cos(e), x), X0, (3,))
    _check(lambda x: tf.foldr(lambda a, e: a * e + 1.0, x, initializer=ONES()), X0, (3,))


def test_tensor_array_loop_variable_gradient():
    def build(x):
        ta = tf.TensorArray(tf.float64, size=4)
        _, ta = tf.while_loop(lambda i, t: i < 4,
                              lambda i, t: (i + 1, t.write(i, tf.gather(x, i) ** 2)), (0, ta))
        return ta.stack()
    _check(build, X0, (4, 3))


def test_captured_tensor_array_read_in_a_loop_gradient():
    def build(x):
        elems = tf.TensorArray(tf.float64, size=4).unstack(x)
        out = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
        _, out = tf.while_loop(
            lambda i, o: i < 4,
            lambda i, o: (i + 1, o.write(i, elems.read(i) * 3.0 + tf.cast(i, tf.float64))),
            (0, out))
        return out.stack()
    _check(build, X0, (4, 3))
