"""A while loop runs as one generated Python `while` (codegen.FusedWhile): same values as a
numpy loop, kernel errors naming the op, and close/deadline interrupting a long loop."""

import re
import threading
import warnings
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


# ----- 0-d host ops inlined as numpy scalar expressions (ScalarCode) ---------------------------
def _unfused_session():
    # operation_timeout_in_ms: no generated loop; each iteration calls the planned kernels
    return tf.Session(config=tf.ConfigProto(operation_timeout_in_ms=60000))


def _run_fused_and_unfused(out, feed=None):
    with tf.Session() as sess:
        fused = sess.run(out, feed)
        (program,) = _programs(sess)
    with _unfused_session() as sess:
        unfused = sess.run(out, feed)
        assert _programs(sess) == []
    return fused, unfused, program


def _assert_same_bits(a, b):
    assert type(a) is type(b) and np.asarray(a).dtype == np.asarray(b).dtype
    assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (a, b)


def _kernel_calls(source):
    return [line.strip() for line in source.splitlines() if " = k" in line]


def test_w9_loop_runs_without_a_call_per_op_bit_for_bit_as_numpy():
    n = 3000
    out = tf.while_loop(lambda i, acc: i < n,
                        lambda i, acc: (i + 1, acc * 0.5 + tf.cast(i, tf.float32)),
                        (tf.constant(0), tf.constant(0.0)))
    fused, unfused, program = _run_fused_and_unfused(out)
    assert _kernel_calls(program.source) == []
    assert "_tn" not in program.source.split("return")[0].split("for _ in")[1]
    i, acc, half = np.int32(0), np.float32(0), np.float32(0.5)
    while i < n:
        i, acc = i + np.int32(1), acc * half + np.float32(i)
    for f, u, e in zip(fused, unfused, (i, acc)):
        _assert_same_bits(f, e)
        _assert_same_bits(u, e)


@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64, tf.int8, tf.int32,
                                   tf.int64, tf.uint8])
def test_inlined_scalar_ops_give_the_kernels_values_and_dtypes(dtype):
    is_float = dtype.is_floating
    c1, c2 = (0.7, 0.3) if is_float else (3, 5)  # ints: int8/uint8 wrap around, silently

    def body(i, x, flag):
        xi = tf.cast(i, dtype)
        y = x * tf.constant(c1, dtype) + xi - tf.constant(c2, dtype)
        if is_float:
            sq = tf.square(-tf.abs(tf.cast(xi, tf.float32) * 1e-3))
            y = y / tf.constant(1.1, dtype) + tf.cast(sq, dtype)
        else:
            y = y + tf.cast(tf.math.floormod(i, 7), dtype)  # a kernel call among inlined ops
        flag = tf.logical_or(tf.logical_and(flag, y > x), tf.equal(xi, y))
        flag = tf.logical_or(flag, tf.not_equal(y, y))
        return tf.identity(i + 1), y, tf.logical_and(flag, x <= y)
    out = tf.while_loop(lambda i, x, flag: tf.logical_and(i < 300, i >= 0), body,
                        (tf.constant(0), tf.constant(1, dtype), tf.constant(True)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow wraps as in TF: no numpy warning
        fused, unfused, program = _run_fused_and_unfused(out)
    called = {program.fn.__globals__[c.split(" = ")[1].split("(")[0]].__name__
              for c in _kernel_calls(program.source)}
    assert called == (set() if is_float else {"_floor_mod"})
    for f, u in zip(fused, unfused):
        _assert_same_bits(f, u)
    assert fused[0] == 300 and type(fused[1]) is dtype.np.type


def test_casts_of_special_values_inlined_as_the_kernel_casts():
    x = tf.constant(np.array([np.nan, np.inf, -1e20, 3.7, -2.5], np.float32))

    def body(i, a, b, c):
        v = tf.gather(x, i)  # 0-d, from a kernel
        return i + 1, a + tf.cast(v, tf.int32), b + tf.cast(v, tf.uint8), \
            tf.logical_or(c, tf.cast(v, tf.bool))
    out = tf.while_loop(lambda i, a, b, c: i < 5, body,
                        (tf.constant(0), tf.constant(0), tf.constant(0, tf.uint8),
                         tf.constant(False)))
    fused, unfused, _ = _run_fused_and_unfused(out)
    for f, u in zip(fused, unfused):
        _assert_same_bits(f, u)


@pytest.mark.parametrize("n", [0, 1, 1023, 1024, 1025, 2048, 2500])
def test_maximum_iterations_across_cancellation_checks(n):
    out = tf.while_loop(lambda i, acc: acc < 1e30, lambda i, acc: (i + 1, acc * 1.001 + 1.0),
                        (tf.constant(0), tf.constant(0.0)), maximum_iterations=n)
    with tf.Session() as sess:
        fused = sess.run(out)
        assert len(_programs(sess)) == (1 if n > 0 else 0)  # after a first checked iteration
    with _unfused_session() as sess:
        unfused = sess.run(out)
    assert fused[0] == n
    for f, u in zip(fused, unfused):
        _assert_same_bits(f, u)


def test_loop_variables_of_unknown_shape_call_their_kernels():
    def body(i, acc, grow):
        return i + 1, acc * 0.5 + tf.cast(i, tf.float32), tf.concat([grow, grow[-1:] + 1.0], 0)
    out = tf.while_loop(lambda i, acc, grow: i < 1500, body,
                        (tf.constant(0), tf.constant(0.0), tf.constant([0.0])),
                        shape_invariants=(tf.TensorShape([]), tf.TensorShape(None),
                                          tf.TensorShape([None])))
    fused, unfused, program = _run_fused_and_unfused(out)
    assert len(_kernel_calls(program.source)) >= 2  # acc's ops: shape unknown, kernels
    assert re.search(r"bv\d+ = x0 \+ bc\d+\n", program.source)  # i + 1: inlined
    for f, u in zip(fused, unfused):
        _assert_same_bits(f, u)
    np.testing.assert_array_equal(fused[2], np.arange(1501, dtype=np.float32))


def test_fed_and_captured_scalars_in_an_inlined_loop():
    start = tf.placeholder(tf.float64, [])
    scale = tf.placeholder(tf.float64, [])
    out = tf.while_loop(lambda i, x: i < 2000, lambda i, x: (i + 1, x * scale + 1.0),
                        (tf.constant(0), start))
    for feed in ({start: 0.25, scale: 0.999}, {start: np.array(0.25), scale: np.array(0.999)}):
        fused, unfused, _ = _run_fused_and_unfused(out, feed)
        x = np.float64(0.25)
        for _ in range(2000):
            x = x * np.float64(0.999) + np.float64(1.0)
        _assert_same_bits(fused[1], x)
        _assert_same_bits(unfused[1], x)


def test_integer_division_by_zero_after_inlined_ops_names_the_op():
    def body(i, s):
        j = i * 2 - 3000
        return i + 1, s + tf.math.floordiv(7, j, name="late_div")
    out = tf.while_loop(lambda i, s: i < 5000, body, (tf.constant(0), tf.constant(0)))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(out)
        assert "late_div" in str(info.value) and "Integer division by zero" in str(info.value)


# ----- loops whose gradient is taken: accumulation inside the generated loop ------------------
def _accumulating_programs(sess):
    return [p for p in _programs(sess) if "push0(" in p.source]


@pytest.mark.parametrize("n", [0, 1, 2, 1023, 1024, 1025, 2500])
def test_accumulating_loop_is_generated_and_matches_the_unfused_gradient(n):
    x = tf.placeholder(tf.float64, [3])
    w = tf.constant([0.5, -0.25, 0.125], tf.float64)
    steps = tf.placeholder(tf.int32, [])
    _, y, s = tf.while_loop(
        lambda i, v, s: i < steps,
        lambda i, v, s: (i + 1, tf.sin(v * w) * 0.999 + v * 0.5, s + tf.cast(i, tf.float64)),
        (tf.constant(0), x, tf.constant(0.0, tf.float64)))
    loss = tf.reduce_sum(y * y) + s
    gx = tf.gradients(loss, x)[0]
    feed = {x: np.array([0.3, -1.2, 2.0]), steps: n}
    with tf.Session() as sess:
        fused = sess.run([y, s, gx], feed)
        assert len(_accumulating_programs(sess)) == (1 if n > 0 else 0)
    with _unfused_session() as sess:
        unfused = sess.run([y, s, gx], feed)
        assert _programs(sess) == []
    for f, u in zip(fused, unfused):
        assert f.dtype == u.dtype and f.tobytes() == u.tobytes()
    assert fused[1] == sum(range(n))


def test_accumulating_loop_reports_its_iteration_count_to_the_backward_loop():
    # the backward loop runs once per forward iteration: the gradient of i * c summed over a
    # loop of k iterations is k(k-1)/2 for c
    c = tf.placeholder(tf.float32, [])
    _, total = tf.while_loop(lambda i, t: i < 3000,
                             lambda i, t: (i + 1, t + tf.cast(i, tf.float32) * c),
                             (tf.constant(0), tf.constant(0.0)))
    gc = tf.gradients(total, c)[0]
    with tf.Session() as sess:
        assert sess.run(gc, {c: 2.0}) == np.float32(3000 * 2999 / 2)
        (program,) = _accumulating_programs(sess)
        assert "done + n" in program.source


def test_error_inside_an_accumulating_loop_is_typed_and_names_the_op():
    params = tf.constant(np.arange(10.0, dtype=np.float32))
    p = tf.placeholder(tf.float32, [])

    def body(i, s):
        return i + 1, s + tf.gather(params, i // 300, name="late_gather") * p
    _, s = tf.while_loop(lambda i, s: i < 5000, body, (tf.constant(0), tf.constant(0.0)))
    g = tf.gradients(s, p)[0]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(g, {p: 1.0})
        assert "late_gather" in str(info.value)
