"""Gradients through tf.while_loop: accumulated forward values, a reverse backward While.

Every gradient is checked against central finite differences (float64) and, where the
loop is short, against the same computation written out without a loop.
"""

import numpy as np
import pytest

import flowexec as tf


def _fd(sess, y, x, feed, x_value, eps=1e-6):
    """d sum(y) / dx by central differences at x_value (float64)."""
    x_value = np.asarray(x_value, np.float64)
    grad = np.zeros_like(x_value)
    for idx in np.ndindex(*x_value.shape):
        hi, lo = x_value.copy(), x_value.copy()
        hi[idx] += eps
        lo[idx] -= eps
        grad[idx] = (np.sum(sess.run(y, {**feed, x: hi}))
                     - np.sum(sess.run(y, {**feed, x: lo}))) / (2 * eps)
    return grad


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_gradient_wrt_entry_value_and_captured_tensor_matches_finite_differences():
    rng = np.random.RandomState(0)
    x = tf.placeholder(tf.float64, [3])
    w = tf.placeholder(tf.float64, [3])
    n = tf.placeholder(tf.int32, [])
    _, y = tf.while_loop(lambda i, v: i < n, lambda i, v: (i + 1, tf.sin(v * w) + v),
                         (tf.constant(0), x))
    gx, gw = tf.gradients(y, [x, w])
    xv, wv = rng.randn(3), rng.randn(3)
    with tf.Session() as sess:
        for steps in (0, 1, 4):
            feed = {x: xv, w: wv, n: steps}
            got_x, got_w = sess.run([gx, gw], feed)
            _close(got_x, _fd(sess, y, x, feed, xv))
            _close(got_w, _fd(sess, y, w, feed, wv))


def test_gradient_equals_the_hand_unrolled_graph():
    x = tf.placeholder(tf.float64, [2, 2])
    m = tf.constant(np.array([[0.5, -1.0], [2.0, 0.25]]))

    def step(v):
        return tf.tanh(tf.matmul(v, m)) * v
    y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, step(v)),
                      (tf.constant(0), x))[1]
    unrolled = step(step(step(x)))
    g_loop = tf.gradients(tf.reduce_sum(y * y), x)[0]
    g_unrolled = tf.gradients(tf.reduce_sum(unrolled * unrolled), x)[0]
    xv = np.array([[0.1, 0.2], [-0.3, 0.4]])
    with tf.Session() as sess:
        a, b = sess.run([g_loop, g_unrolled], {x: xv})
    _close(a, b)


def test_gradient_reaches_variables_read_in_the_body_and_trains_them():
    w = tf.Variable(0.5, dtype=tf.float64)
    x = tf.constant(2.0, tf.float64)
    _, y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * w),
                         (tf.constant(0), x))
    loss = tf.square(y - 1.0)
    gw = tf.gradients(loss, w)[0]
    step = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(w.initializer)
        # y = 2 w^3; d loss/dw = 2 (2w^3 - 1) 6 w^2
        _close(sess.run(gw), 2 * (2 * 0.5 ** 3 - 1) * 6 * 0.5 ** 2)
        for _ in range(200):
            sess.run(step)
        _close(sess.run(y), 1.0)


def test_loops_in_series_and_gradient_wrt_a_tensor_computed_in_another_loop():
    x = tf.placeholder(tf.float64, [])
    one = tf.constant(1.0, tf.float64)
    a = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x), (0, one))[1]
    b = tf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, tf.sin(v) + a), (0, a))[1]
    ga, gx = tf.gradients(b, [a, x])
    with tf.Session() as sess:
        got_x = sess.run(gx, {x: 0.7})
        _close(got_x, _fd(sess, b, x, {}, 0.7))
        av = 0.7 ** 3
        # b = sin(sin(a) + a) + a  (two iterations)
        expect_a = np.cos(np.sin(av) + av) * (np.cos(av) + 1) + 1
        _close(sess.run(ga, {x: 0.7}), expect_a)


def test_nested_while_in_while():
    x = tf.placeholder(tf.float64, [])

    def outer_body(i, v):
        inner = tf.while_loop(lambda j, u: j < i + 1, lambda j, u: (j + 1, u * x + 0.1),
                              (0, v))[1]
        return i + 1, tf.sin(inner)
    y = tf.while_loop(lambda i, v: i < 3, outer_body, (0, x))[1]
    g = tf.gradients(y, x)[0]
    with tf.Session() as sess:
        for xv in (0.3, -0.8):
            _close(sess.run(g, {x: xv}), _fd(sess, y, x, {}, xv))


def test_cond_in_while_and_while_in_cond():
    x = tf.placeholder(tf.float64, [])
    y = tf.while_loop(
        lambda i, v: i < 4,
        lambda i, v: (i + 1, tf.cond(tf.equal(i % 2, 0), lambda: v * v, lambda: tf.sin(v) + x)),
        (0, x))[1]
    z = tf.cond(x > 0,
                lambda: tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x),
                                      (0, x))[1],
                lambda: x * 2.0)
    gy, gz = tf.gradients(y, x)[0], tf.gradients(z, x)[0]
    with tf.Session() as sess:
        for xv in (0.4, -0.6):
            _close(sess.run(gy, {x: xv}), _fd(sess, y, x, {}, xv))
            _close(sess.run(gz, {x: xv}), 4 * xv ** 3 if xv > 0 else 2.0)


def test_maximum_iterations_and_integer_loop_vars():
    x = tf.placeholder(tf.float64, [])
    i, y = tf.while_loop(lambda i, v: v < 1e9, lambda i, v: (i + 1, v * x), (0, x),
                         maximum_iterations=4)
    gi, gy = tf.gradients(i, x)[0], tf.gradients(y, x)[0]
    assert gi is None
    with tf.Session() as sess:
        _close(sess.run(gy, {x: 1.5}), 5 * 1.5 ** 4)


def test_back_prop_false_gives_no_gradient():
    x = tf.constant(2.0)
    y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x), (0, x),
                      back_prop=False)[1]
    assert tf.gradients(y, x) == [None]
    assert tf.gradients(y + x, x)[0] is not None


def test_shape_varying_loop_variable():
    x = tf.placeholder(tf.float64, [2])

    def body(i, v):
        return i + 1, tf.concat([v, tf.sin(v[-2:]) * x], 0)
    _, y = tf.while_loop(lambda i, v: i < 3, body, (0, x),
                         shape_invariants=(tf.TensorShape([]), tf.TensorShape([None])))
    g = tf.gradients(tf.reduce_sum(y * y), x)[0]
    xv = np.array([0.3, -1.2])
    with tf.Session() as sess:
        assert sess.run(y, {x: xv}).shape == (8,)
        _close(sess.run(g, {x: xv}), _fd(sess, tf.reduce_sum(y * y), x, {}, xv))


def test_random_values_in_the_body_are_the_forward_runs():
    x = tf.placeholder(tf.float64, [4])
    noise = []

    def body(i, v):
        r = tf.random_uniform([4], dtype=tf.float64)
        noise.append(r)
        return i + 1, v * r
    i, y = tf.while_loop(lambda i, v: i < 3, body, (0, x))
    g = tf.gradients(y, x)[0]
    with tf.Session() as sess:
        got_y, got_g = sess.run([y, g], {x: np.ones(4)})
    # y = x * r0 * r1 * r2, so dy/dx = y / x: the same draws as the forward.
    _close(got_g, got_y)


def test_gradient_of_a_long_loop_and_forward_rerun_after_gradients():
    x = tf.placeholder(tf.float64, [])
    y = tf.while_loop(lambda i, v: i < 10000, lambda i, v: (i + 1, v * 0.999 + x),
                      (0, tf.constant(0.0, tf.float64)))[1]
    with tf.Session() as sess:
        before = sess.run(y, {x: 1.0})
        g = tf.gradients(y, x)[0]
        assert sess.run(y, {x: 1.0}) == before
        _close(sess.run(g, {x: 1.0}), (1 - 0.999 ** 10000) / (1 - 0.999))


def test_two_gradient_calls_on_one_loop_share_accumulators():
    x = tf.placeholder(tf.float64, [])
    w = tf.placeholder(tf.float64, [])
    y = tf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, tf.sin(v) * w), (0, x))[1]
    gx = tf.gradients(y, x)[0]
    gw = tf.gradients(y, w)[0]
    with tf.Session() as sess:
        feed = {x: 0.3, w: 1.7}
        _close(sess.run(gx, feed), _fd(sess, y, x, {w: 1.7}, 0.3))
        _close(sess.run(gw, feed), _fd(sess, y, w, {x: 0.3}, 1.7))


def test_second_order_gradient_is_a_clear_error():
    x = tf.constant(1.0)
    y = tf.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, v * v), (0, x))[1]
    g = tf.gradients(y, x)[0]
    with pytest.raises(LookupError, match="second-order gradients through tf.while_loop"):
        tf.gradients(g, x)


def test_gradient_through_a_tensor_array_carried_by_a_while_loop():
    x = tf.placeholder(tf.float64, [4, 3])
    w = tf.placeholder(tf.float64, [3])
    inputs = tf.TensorArray(tf.float64, size=4).unstack(x)

    def body(i, h, out):
        h = tf.tanh(inputs.read(i) * w + h)
        return i + 1, h, out.write(i, h * h)
    _, h, out = tf.while_loop(lambda i, h, out: i < 4, body,
                              (0, tf.zeros([3], tf.float64), tf.TensorArray(tf.float64, 4)))
    loss = tf.reduce_sum(out.stack()) + tf.reduce_sum(h)
    gx, gw = tf.gradients(loss, [x, w])
    rng = np.random.RandomState(3)
    xv, wv = rng.randn(4, 3), rng.randn(3)
    with tf.Session() as sess:
        got_x, got_w = sess.run([gx, gw], {x: xv, w: wv})
        _close(got_x, _fd(sess, loss, x, {w: wv}, xv))
        _close(got_w, _fd(sess, loss, w, {x: xv}, wv))


def test_map_fn_and_scan_gradients():
    x = tf.placeholder(tf.float64, [5, 2])
    m = tf.map_fn(lambda r: tf.sin(r) * r, x)
    s = tf.scan(lambda a, r: a * 0.5 + tf.square(r), x)
    gm, gs = tf.gradients(m, x)[0], tf.gradients(s, x)[0]
    xv = np.random.RandomState(4).randn(5, 2)
    with tf.Session() as sess:
        _close(sess.run(gm, {x: xv}), np.cos(xv) * xv + np.sin(xv))
        _close(sess.run(gs, {x: xv}), _fd(sess, s, x, {}, xv))
