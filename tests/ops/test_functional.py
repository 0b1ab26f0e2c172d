"""tf.map_fn, tf.scan, tf.foldl, tf.foldr against Python loops over numpy."""

import collections

import numpy as np
import pytest

import flowexec as tf

Point = collections.namedtuple("Point", ["x", "y"])


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def test_map_fn_matches_a_python_loop_and_keeps_static_shapes():
    x = np.random.default_rng(0).standard_normal((5, 3))
    out = tf.map_fn(lambda r: tf.reduce_sum(r * r) + r, tf.constant(x))
    assert out.shape.as_list() == [5, 3]
    np.testing.assert_allclose(_run(out), np.stack([np.sum(r * r) + r for r in x]))


def test_map_fn_nested_elems_and_dtype_structure():
    a = np.arange(6.0).reshape(3, 2)
    b = np.array([1, 2, 3], np.int32)
    out = tf.map_fn(lambda t: (t[0] * 2.0, tf.cast(t[1], tf.float64) + t[0][0]),
                    (tf.constant(a), tf.constant(b)), dtype=(tf.float64, tf.float64))
    got = _run(out)
    np.testing.assert_allclose(got[0], a * 2.0)
    np.testing.assert_allclose(got[1], b + a[:, 0])
    named = tf.map_fn(lambda p: Point(p.y, p.x), Point(tf.constant([1.0, 2.0]),
                                                       tf.constant([3.0, 4.0])))
    assert isinstance(named, Point)
    np.testing.assert_allclose(_run(named.x), [3.0, 4.0])


def test_map_fn_over_a_fed_tensor_of_unknown_length():
    p = tf.placeholder(tf.float32, [None, 2])
    out = tf.map_fn(lambda r: r[::-1], p)
    assert out.shape.as_list() == [None, 2]
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    np.testing.assert_array_equal(_run(out, {p: x}), x[:, ::-1])
    np.testing.assert_array_equal(_run(out, {p: x[:1]}), x[:1, ::-1])


def test_map_fn_errors():
    with pytest.raises(TypeError, match="fn must be callable."):
        tf.map_fn(3, tf.constant([1.0]))
    with pytest.raises(ValueError, match="1\\+ dimensional"):
        tf.map_fn(lambda x: x, tf.constant(1.0))
    with pytest.raises(TypeError, match="value dtype is float32 but TensorArray dtype is "
                                        "int32"):
        tf.map_fn(lambda x: tf.cast(x, tf.float32), tf.constant([1, 2]))
    with pytest.raises(ValueError):
        tf.map_fn(lambda x: (x, x), tf.constant([1.0, 2.0]))


def test_scan_with_and_without_initializer_and_reversed():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    c = tf.constant(x)
    got = _run([tf.scan(lambda a, e: a + e, c),
                tf.scan(lambda a, e: a * e, c, initializer=tf.constant(2.0, tf.float64)),
                tf.scan(lambda a, e: a + e, c, reverse=True),
                tf.scan(lambda a, e: a * 10 + e, c, initializer=tf.constant(0.0, tf.float64),
                        reverse=True)])
    np.testing.assert_allclose(got[0], np.cumsum(x))
    np.testing.assert_allclose(got[1], 2.0 * np.cumprod(x))
    np.testing.assert_allclose(got[2], np.cumsum(x[::-1])[::-1])
    np.testing.assert_allclose(got[3], [4321.0, 432.0, 43.0, 4.0])


def test_scan_nested_accumulator():
    elems = tf.constant([1.0, 2.0, 3.0])
    out = tf.scan(lambda a, e: (a[0] + e, a[1] * e), elems,
                  initializer=(tf.constant(0.0), tf.constant(1.0)))
    s, p = _run(out)
    np.testing.assert_allclose(s, [1.0, 3.0, 6.0])
    np.testing.assert_allclose(p, [1.0, 2.0, 6.0])


def test_foldl_and_foldr():
    c = tf.constant([1, 2, 3])
    got = _run([tf.foldl(lambda a, e: a * 10 + e, c),
                tf.foldr(lambda a, e: a * 10 + e, c),
                tf.foldl(lambda a, e: a * 10 + e, c, initializer=tf.constant(7)),
                tf.foldr(lambda a, e: a * 10 + e, c, initializer=tf.constant(7))])
    assert [int(v) for v in got] == [123, 321, 7123, 7321]
    pair = tf.foldl(lambda a, e: a + e[0] * e[1], (tf.constant([1.0, 2.0]),
                                                   tf.constant([3.0, 4.0])),
                    initializer=tf.constant(0.5))
    assert _run(pair) == 11.5
