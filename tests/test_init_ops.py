"""Initializers: shapes, dtypes, values and statistics, seeds, argument errors and the
`tf.initializers` namespace."""

import math

import numpy as np
import pytest

import flowexec as tf
from flowexec import init_ops


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


@pytest.mark.parametrize("init, dtype, want", [
    (tf.zeros_initializer(), tf.float32, 0.0),
    (tf.zeros_initializer(dtype=tf.int32), tf.int32, 0),
    (tf.ones_initializer(), tf.float64, 1.0),
    (tf.constant_initializer(2.5), tf.float32, 2.5),
    (tf.constant_initializer(3, dtype=tf.int64), None, 3),
], ids=["zeros", "zeros_int", "ones_f64", "constant", "constant_int64"])
def test_constant_initializers(init, dtype, want):
    t = init([2, 3], dtype=dtype)
    want_dtype = dtype or init.dtype
    assert t.dtype is want_dtype and t.shape.as_list() == [2, 3]
    got = _run(t)
    assert got.dtype == want_dtype.np
    np.testing.assert_array_equal(got, np.full((2, 3), want))


def test_constant_initializer_with_a_list_and_its_errors():
    init = tf.constant_initializer([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(_run(init([2, 2])), [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match="Invalid type for initial value"):
        tf.constant_initializer({"a": 1})
    with pytest.raises(TypeError):
        tf.constant_initializer([1.0, 2.0], verify_shape=True)([3])


def test_random_normal_and_uniform_statistics():
    n = tf.random_normal_initializer(mean=1.0, stddev=2.0, seed=3)([200, 100])
    u = tf.random_uniform_initializer(-3.0, 1.0, seed=4)([200, 100])
    ui = tf.random_uniform_initializer(0, 10, seed=5, dtype=tf.int32)([1000])
    nv, uv, iv = _run([n, u, ui])
    assert nv.shape == (200, 100) and nv.dtype == np.float32
    assert abs(nv.mean() - 1.0) < 0.05 and abs(nv.std() - 2.0) < 0.05
    assert uv.min() >= -3.0 and uv.max() < 1.0
    assert abs(uv.mean() + 1.0) < 0.05 and abs(uv.std() - 4.0 / math.sqrt(12)) < 0.03
    assert iv.dtype == np.int32 and iv.min() >= 0 and iv.max() < 10
    assert len(np.unique(iv)) == 10


def test_truncated_normal_statistics():
    t = tf.truncated_normal_initializer(mean=0.5, stddev=0.1, seed=1)([20000])
    v = _run(t)
    assert np.all(np.abs(v - 0.5) <= 0.2 + 1e-6)
    # std of a standard normal truncated to [-2, 2] is 0.8796.
    assert abs(v.std() - 0.1 * 0.87962566) < 0.003
    assert abs(v.mean() - 0.5) < 0.003


def test_seeded_initializers_repeat_across_sessions():
    tf.set_random_seed(7)
    a = tf.random_normal_initializer(seed=11)([5])
    with tf.Session() as s1:
        first = s1.run(a)
    with tf.Session() as s2:
        second = s2.run(a)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("shape, fans", [
    ([], (1, 1)), ([7], (7, 7)), ([3, 5], (3, 5)), ([3, 3, 4, 8], (36, 72)),
])
def test_compute_fans(shape, fans):
    assert init_ops._compute_fans(shape) == fans


def test_glorot_uniform_limit_and_spread():
    fan_in, fan_out = 300, 200
    v = _run(tf.glorot_uniform_initializer(seed=2)([fan_in, fan_out]))
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    assert v.dtype == np.float32 and np.all(np.abs(v) <= limit)
    assert abs(v.std() - limit / math.sqrt(3.0)) < 0.01 * limit


def test_glorot_normal_std():
    fan_in, fan_out = 300, 200
    v = _run(tf.glorot_normal_initializer(seed=2)([fan_in, fan_out]))
    stddev = math.sqrt(2.0 / (fan_in + fan_out))
    assert abs(v.std() - stddev) < 0.02 * stddev
    assert np.all(np.abs(v) <= 2 * stddev / 0.87962566103423978 + 1e-6)


@pytest.mark.parametrize("mode, distribution, scale", [
    ("fan_in", "truncated_normal", 2.0), ("fan_out", "untruncated_normal", 1.0),
    ("fan_avg", "uniform", 3.0), ("fan_in", "normal", 1.0),
])
def test_variance_scaling_std(mode, distribution, scale):
    shape = [3, 3, 20, 40]
    fan_in, fan_out = 180, 360
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    init = tf.variance_scaling_initializer(scale=scale, mode=mode, distribution=distribution,
                                           seed=9)
    v = _run(init(shape, dtype=tf.float64))
    assert v.shape == tuple(shape) and v.dtype == np.float64
    want = math.sqrt(scale / n)
    assert abs(v.std() - want) < 0.03 * want


def test_he_and_lecun_helpers():
    he = tf.initializers.he_normal(seed=1)
    assert (he.scale, he.mode, he.distribution) == (2.0, "fan_in", "truncated_normal")
    lecun = tf.initializers.lecun_uniform()
    assert (lecun.scale, lecun.mode, lecun.distribution) == (1.0, "fan_in", "uniform")


def test_initializer_argument_errors():
    with pytest.raises(ValueError, match="`scale` must be positive float."):
        tf.variance_scaling_initializer(scale=0.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument"):
        tf.variance_scaling_initializer(mode="fan_sideways")
    with pytest.raises(ValueError, match="Invalid `distribution` argument"):
        tf.variance_scaling_initializer(distribution="cauchy")
    with pytest.raises(ValueError, match="Expected floating point type, got "):
        tf.random_normal_initializer(dtype=tf.int32)
    with pytest.raises(ValueError, match="Expected floating point type"):
        tf.glorot_uniform_initializer()([2, 2], dtype=tf.int32)


def test_identity_initializer():
    v = _run(tf.initializers.identity(gain=2.0)([3, 4]))
    np.testing.assert_array_equal(v, 2.0 * np.eye(3, 4))
    with pytest.raises(ValueError, match="only be used for 2D matrices"):
        tf.initializers.identity()([3])


def test_get_config_round_trips():
    for init in (tf.zeros_initializer(), tf.constant_initializer(2.0),
                 tf.random_uniform_initializer(-1, 1, seed=3),
                 tf.truncated_normal_initializer(stddev=0.5),
                 tf.variance_scaling_initializer(scale=2.0, mode="fan_out"),
                 tf.glorot_uniform_initializer(seed=4)):
        again = type(init).from_config(init.get_config())
        assert again.get_config() == init.get_config()


def test_initializers_namespace():
    assert tf.initializers.zeros is tf.zeros_initializer
    assert tf.initializers.truncated_normal is tf.truncated_normal_initializer
    assert tf.initializers.glorot_uniform is tf.glorot_uniform_initializer
    v = tf.Variable(1.0, name="v")
    init = tf.initializers.global_variables()
    assert init.type == "NoOp" and init.name == "init"
    loc = tf.initializers.variables([v], name="just_v")
    with tf.Session() as sess:
        sess.run(loc)
        assert sess.run(v) == 1.0
    with pytest.raises(AttributeError):
        tf.initializers.no_such_initializer  # noqa: B018 - the lookup is the test
