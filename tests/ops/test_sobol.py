"""tf.math.sobol_sample (SobolSample): TF's points bit for bit (recorded from TensorFlow
2.21, scripts/make_tf_sobol_fixtures.py), dimension 1 against a numpy van der Corput oracle,
static shapes, and TF's errors."""

import os

import numpy as np
import pytest

import flowexec as tf

pytest.importorskip("scipy.stats")
FIXTURE = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "sobol", "sobol.npz")


def _van_der_corput_gray(n, skip):
    """Dimension 1 of Sobol's sequence: point i is the bit reversal of gray(i), / 2**30."""
    i = np.arange(skip + 1, skip + 1 + n, dtype=np.int64)
    gray = i ^ (i >> 1)
    rev = np.zeros_like(gray)
    for bit in range(30):
        rev |= ((gray >> bit) & 1) << (29 - bit)
    return rev / 2.0 ** 30


def test_matches_tf_bit_for_bit():
    recorded = np.load(FIXTURE)
    with tf.Session() as sess:
        for key in recorded.files:
            if key.startswith("f32"):
                continue
            dim, n, skip = (int(part[1:]) for part in key.split("_"))
            got = sess.run(tf.math.sobol_sample(dim, n, skip=skip, dtype=tf.float64))
            np.testing.assert_array_equal(got, recorded[key], err_msg=key)
        got = sess.run(tf.math.sobol_sample(3, 8, skip=1))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, recorded["f32_d3_n8_s1"])


@pytest.mark.parametrize("n,skip", [(40, 0), (17, 5), (3, 1000)])
def test_first_dimension_is_van_der_corput_in_gray_code_order(n, skip):
    with tf.Session() as sess:
        got = sess.run(tf.math.sobol_sample(1, n, skip=skip, dtype=tf.float64))
    np.testing.assert_array_equal(got[:, 0], _van_der_corput_gray(n, skip))


def test_static_shape_dtype_and_name():
    y = tf.math.sobol_sample(4, 6, dtype=tf.float64)
    assert y.shape.as_list() == [6, 4] and y.dtype == tf.float64
    assert y.op.type == "SobolSample" and y.op.name == "sobol/SobolSample"
    z = tf.math.sobol_sample(2, tf.placeholder(tf.int32), skip=1)
    assert z.shape.as_list() == [None, 2]


def test_build_errors_as_tf():
    with pytest.raises(TypeError, match="^Value passed to parameter 'dtype' has DataType "
                                        "int32 not in list of allowed values: float32, "
                                        "float64$"):
        tf.math.sobol_sample(2, 3, dtype=tf.int32)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.math.sobol_sample([2], 3)


@pytest.mark.parametrize("args,message", [
    ((0, 3, 0), "dim must be at least one"), ((2, 0, 0), "num_results must be at least one"),
    ((2, 3, -1), "skip must be non-negative"), ((21201, 1, 0), "dim must be at most 21200"),
    ((2, 2 ** 31 - 1, 2), "num_results+skip must be less than 2147483647"),
    ((2, 3, 2 ** 30 - 3),
     "num_results+skip must be at most 1073741823 (TF's int32 arithmetic overflows past it)")])
def test_run_errors_as_tf(args, message):
    y = tf.math.sobol_sample(*args)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(y)
    assert info.value.message.startswith(message + "\n")
