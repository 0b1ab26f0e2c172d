"""tf.contrib.layers initializers: contrib's fan formulas (over shape[:-2]), the 1.3
truncated-normal correction, uniform limits, dtypes and TF's errors."""

import math

import numpy as np
import pytest

import flowexec as tf
from tests.contrib.helpers import run

L = tf.contrib.layers
TRUNC_STD = 0.87962566  # std of a standard normal truncated at +-2 sigma


def _sample(init, shape, dtype=tf.float32):
    return run(init(shape, dtype=dtype))


@pytest.mark.parametrize("shape,mode,n", [
    ([200, 300], "FAN_IN", 200.0),
    ([200, 300], "FAN_OUT", 300.0),
    ([200, 300], "FAN_AVG", 250.0),
    ([3, 3, 16, 32], "FAN_IN", 3 * 3 * 16.0),
    ([3, 3, 16, 32], "FAN_OUT", 3 * 3 * 32.0),
    ([3, 3, 16, 32], "FAN_AVG", 3 * 3 * 24.0),
    ([40000], "FAN_IN", 40000.0),
])
def test_uniform_variance_scaling_limit_and_std(shape, mode, n):
    factor = 1.7
    x = _sample(L.variance_scaling_initializer(factor, mode, uniform=True, seed=3), shape)
    limit = math.sqrt(3.0 * factor / n)
    assert x.shape == tuple(shape) and x.dtype == np.float32
    assert np.abs(x).max() <= limit and np.abs(x).max() > 0.98 * limit
    assert abs(x.mean()) < 0.02 * limit
    np.testing.assert_allclose(x.std(), math.sqrt(factor / n), rtol=0.03)


@pytest.mark.parametrize("shape,mode,n", [
    ([300, 200], "FAN_IN", 300.0),
    ([5, 5, 8, 64], "FAN_OUT", 5 * 5 * 64.0),
    ([5, 5, 8, 64], "FAN_AVG", 5 * 5 * 36.0),
])
def test_normal_variance_scaling_is_truncated_with_1_3_correction(shape, mode, n):
    x = _sample(L.variance_scaling_initializer(2.0, mode, seed=5), shape)
    stddev = math.sqrt(1.3 * 2.0 / n)
    assert np.abs(x).max() <= 2 * stddev
    assert abs(x.mean()) < 0.02 * stddev
    np.testing.assert_allclose(x.std(), TRUNC_STD * stddev, rtol=0.03)


def test_defaults_are_he_fan_in_truncated_normal():
    x = _sample(L.variance_scaling_initializer(seed=1), [400, 100])
    np.testing.assert_allclose(x.std(), TRUNC_STD * math.sqrt(1.3 * 2.0 / 400), rtol=0.03)


def test_xavier_uniform_and_normal():
    x = _sample(L.xavier_initializer(seed=2), [100, 300])
    limit = math.sqrt(6.0 / 400)
    assert np.abs(x).max() <= limit and np.abs(x).max() > 0.98 * limit
    y = _sample(L.xavier_initializer(uniform=False, seed=2), [100, 300])
    np.testing.assert_allclose(y.std(), TRUNC_STD * math.sqrt(1.3 / 200), rtol=0.03)
    assert L.xavier_initializer_conv2d is L.xavier_initializer


def test_seeded_initializer_is_reproducible_and_dtype_follows():
    init = L.xavier_initializer(seed=7, dtype=tf.float64)
    a, b = run([init([4, 5]), init([4, 5])])
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float64
    v = tf.get_variable("w", [6, 4], dtype=tf.float64, initializer=init)
    assert v.dtype.base_dtype == tf.float64 and run(v).shape == (6, 4)


def test_errors_are_tfs():
    with pytest.raises(TypeError, match="Cannot create initializer for non-floating point"):
        L.variance_scaling_initializer(dtype=tf.int32)
    with pytest.raises(TypeError) as err:
        L.variance_scaling_initializer(mode="fan_in")
    assert err.value.args == ("Unknow mode %s [FAN_IN, FAN_OUT, FAN_AVG]", "fan_in")
    with pytest.raises(TypeError, match="non-floating"):
        L.xavier_initializer()([2, 2], dtype=tf.int32)
