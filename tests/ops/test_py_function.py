"""tf.py_function (TF's EagerPyFunc): the function gets tensors with values and runs flowexec
ops eagerly; results are converted to Tout as TF converts them; gradients flow through the
TF ops it ran (finite differences), not through numpy (a zero, as TF's tape gives)."""

import numpy as np
import pytest

import flowexec as tf

X = np.array([0.5, -1.25, 2.0], np.float32)


def _fd(f, x, eps=1e-3):
    x = x.astype(np.float64)
    out = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d[i] = eps
        out[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return out


def test_function_sees_values_and_runs_ops_eagerly():
    seen = {}
    x = tf.placeholder(tf.float32, [3])

    def f(a, b):
        seen["numpy"] = a.numpy().copy()
        seen["repr"] = repr(a)
        s = tf.reduce_sum(a)  # an op: its value is there at once
        seen["sum"] = float(s)
        return a * b + s, tf.sin(a).numpy()

    y, z = tf.py_function(f, [x, 3.0], [tf.float32, tf.float32])
    assert y.op.type == "EagerPyFunc" and y.op.attrs["Tout"] == [tf.float32, tf.float32]
    assert y.shape.ndims is None
    with tf.Session() as sess:
        got_y, got_z = sess.run([y, z], {x: X})
    np.testing.assert_array_equal(seen["numpy"], X)
    assert seen["repr"].startswith("<tf.Tensor: shape=(3,), dtype=float32, numpy=array(")
    assert seen["sum"] == pytest.approx(float(X.sum()))
    np.testing.assert_allclose(got_y, X * 3 + X.sum(), rtol=1e-6)
    np.testing.assert_allclose(got_z, np.sin(X), rtol=1e-6)


def test_python_control_flow_on_values():
    x = tf.placeholder(tf.float32, [3])
    y = tf.py_function(lambda a: tf.reduce_sum(a) if a[2] > 1 else -a, [x], tf.float32)
    with tf.Session() as sess:
        assert sess.run(y, {x: X}) == pytest.approx(float(X.sum()))
        np.testing.assert_array_equal(sess.run(y, {x: -X}), X)


def test_gradient_through_tf_ops_matches_finite_differences():
    x = tf.placeholder(tf.float32, [3])
    y, z = tf.py_function(lambda a, b: (a * a * b, tf.sin(a) * tf.exp(a / 4)), [x, 3.0],
                          [tf.float32, tf.float32])
    (g,) = tf.gradients(tf.reduce_sum(y) + tf.reduce_sum(z * z), x)
    with tf.Session() as sess:
        got = sess.run(g, {x: X})

    def f(v):
        return np.sum(3 * v * v) + np.sum((np.sin(v) * np.exp(v / 4)) ** 2)

    np.testing.assert_allclose(got, _fd(f, X), rtol=1e-4, atol=1e-4)


def test_gradient_of_one_used_output_and_through_numpy_is_zero():
    x = tf.placeholder(tf.float32, [3])
    y, unused = tf.py_function(lambda a: (a * 2.0, a * 5.0), [x], [tf.float32, tf.float32])
    numpy_only = tf.py_function(lambda a: a.numpy() * 2, [x], tf.float32)
    (g,) = tf.gradients(y, x)
    (g_np,) = tf.gradients(numpy_only, x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g, {x: X}), [2.0, 2.0, 2.0])
        assert sess.run(g_np, {x: X}) == 0.0  # TF: a scalar 0 from the tape's None


def test_results_are_converted_to_tout_as_tf():
    x = tf.placeholder(tf.float32, [3])
    as_int = tf.py_function(lambda a: np.int64(3), [x], Tout=[tf.int64])
    py_float = tf.py_function(lambda a: 1.5, [x], tf.float32)
    nothing = tf.py_function(lambda a: None, [x], [])
    strings = tf.py_function(lambda a: b"hi", [x], tf.string)
    assert isinstance(as_int, list) and isinstance(nothing, tf.Operation)
    with tf.Session() as sess:
        assert sess.run(as_int, {x: X}) == [3]
        assert sess.run(py_float, {x: X}) == np.float32(1.5)
        assert sess.run(nothing, {x: X}) is None
        assert sess.run(strings, {x: X}) == b"hi"


def test_errors_are_tfs():
    x = tf.placeholder(tf.float32, [3])
    wrong = tf.py_function(lambda a: a, [x], tf.int32)
    boom = tf.py_function(lambda a: 1 / 0, [x], tf.float32)
    count = tf.py_function(lambda a: [a, a], [x], [tf.float32])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Tensor conversion requested dtype int32 for Tensor with "
                                 "dtype float32"):
            sess.run(wrong, {x: X})
        with pytest.raises(tf.errors.UnknownError, match="ZeroDivisionError: division by zero"):
            sess.run(boom, {x: X})
        with pytest.raises(tf.errors.InvalidArgumentError, match="returns 2 values, but "
                                                                 "expects to see 1 values"):
            sess.run(count, {x: X})


def test_graph_tensor_has_no_numpy():
    with pytest.raises(NotImplementedError, match="numpy\\(\\) is only available when eager "
                                                  "execution is enabled."):
        tf.constant(1.0).numpy()
    with pytest.raises(TypeError):
        float(tf.constant(1.0))
