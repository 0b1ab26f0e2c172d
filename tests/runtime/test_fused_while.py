"""A while loop runs as one generated Python `while` (codegen.FusedWhile): same values as a
numpy loop, kernel errors naming the op, and close/deadline interrupting a long loop."""

import threading
import time

import numpy as np
import pytest

import flowexec as tf


def _programs(sess):
    return [v[2].program for k, v in sess._state.items()
            if isinstance(k, tuple) and k[0] == "while" and v[2] is not None]


def test_fused_loop_matches_numpy_across_cancellation_checks():
    n = 3000  # several CHECK_EVERY periods
    w = tf.constant([0.5, -1.0, 2.0])
    out = tf.while_loop(
        lambda i, acc, vec, arr: i < n,
        lambda i, acc, vec, arr: (i + 1, acc * 0.5 + tf.cast(i, tf.float32),
                                  vec * 0.99 + w, tf.reshape(arr + 1.0, [])),
        (tf.constant(0), tf.constant(0.0), tf.zeros([3]), tf.constant(1.0)))
    with tf.Session() as sess:
        i, acc, vec, arr = sess.run(out)
        assert len(_programs(sess)) == 1
    e_acc, e_vec, e_arr = np.float32(0), np.zeros(3, np.float32), np.float32(1)
    wv = np.array([0.5, -1.0, 2.0], np.float32)
    for k in range(n):
        e_acc = e_acc * np.float32(0.5) + np.float32(k)
        e_vec = e_vec * np.float32(0.99) + wv
        e_arr = e_arr + np.float32(1)
    assert i == n and arr == e_arr
    np.testing.assert_allclose(acc, e_acc, rtol=1e-6)
    np.testing.assert_allclose(vec, e_vec, rtol=1e-5)


def test_carried_values_follow_a_variable_updated_every_iteration():
    v = tf.Variable([0.0, 0.0])

    def body(i, prev, acc):
        with tf.control_dependencies([tf.assign_add(v, [1.0, 2.0])]):
            cur = tf.identity(v.read_value())
        return i + 1, cur, acc + prev
    out = tf.while_loop(lambda i, prev, acc: i < 50, body,
                        (tf.constant(0), v.initialized_value(), tf.zeros([2])))
    with tf.Session() as sess:
        sess.run(v.initializer)
        _, prev, acc = sess.run(out)
    k = np.arange(50, dtype=np.float32)
    np.testing.assert_array_equal(prev, [50.0, 100.0])
    np.testing.assert_array_equal(acc, [k.sum(), 2 * k.sum()])


def test_body_returning_one_tensor_twice():
    def body(a, b):
        t = a + 1
        return t, t
    out = tf.while_loop(lambda a, b: a < 2000, body, (tf.constant(0), tf.constant(5)))
    with tf.Session() as sess:
        assert sess.run(out) == (2000, 2000)


def test_error_deep_in_a_fused_loop_names_the_op():
    params = tf.constant(np.arange(10.0, dtype=np.float32))

    def body(i, s):
        return i + 1, s + tf.gather(params, i // 100, name="late_gather")
    out = tf.while_loop(lambda i, s: i < 5000, body, (tf.constant(0), tf.constant(0.0)))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(out)
        assert "late_gather" in str(info.value)
        assert sess.run(tf.constant(3)) == 3  # the session stays usable


def _unbounded_loop():
    return tf.while_loop(lambda i: i >= 0, lambda i: (i + 1) % 1000, [tf.constant(0)])


def test_close_interrupts_an_unbounded_loop():
    y = _unbounded_loop()
    sess = tf.Session()
    errors = []

    def run():
        try:
            sess.run(y)
        except Exception as e:  # noqa: BLE001 - examined below
            errors.append(e)
    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.3)
    sess.close()
    t.join(10)
    assert not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], tf.errors.CancelledError)


def test_run_deadline_interrupts_an_unbounded_loop():
    y = _unbounded_loop()
    with tf.Session() as sess:
        t0 = time.perf_counter()
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(y, options=tf.RunOptions(timeout_in_ms=200))
        assert time.perf_counter() - t0 < 10
        assert sess.run(tf.constant(1)) == 1


def test_operation_timeout_session_loops_without_generated_code():
    y = tf.while_loop(lambda i: i < 3000, lambda i: i + 1, [tf.constant(0)])
    with tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=60000)) as sess:
        assert sess.run(y) == 3000
        assert _programs(sess) == []
