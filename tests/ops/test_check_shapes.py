"""check_ops' newer asserts: sign and inequality/nearness asserts at run time, rank, type,
integer and scalar checks at build time (TF's messages), run-time rank checks for unknown
ranks."""

import numpy as np
import pytest

import flowexec as tf


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


@pytest.mark.parametrize("build, ok, bad, msg", [
    (tf.debugging.assert_negative, [-1, -2], [1, -2], r"Condition x < 0 did not hold"),
    (tf.debugging.assert_non_positive, [0, -2], [1, -2], r"Condition x <= 0 did not hold"),
    (lambda v: tf.debugging.assert_none_equal(v, [5, 5]), [1, 2], [1, 5],
     r"Condition x != y did not hold"),
    (lambda v: tf.debugging.assert_near(tf.cast(v, tf.float32), [1.0, 2.0], atol=0.5),
     [1, 2], [1, 3], r"x and y not equal to tolerance rtol = 1.19\d*e-06, atol = 0.5"),
])
def test_value_asserts_pass_and_fail_at_run_time(build, ok, bad, msg):
    ph = tf.placeholder(tf.int32, [2])
    check = build(ph)
    _run(check, {ph: ok})
    with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
        _run(check, {ph: bad})


def test_assert_near_default_tolerance_is_ten_eps():
    a = tf.constant([1.0, 2.0], tf.float64)
    _run(tf.debugging.assert_near(a, a + 1e-15))
    with pytest.raises(tf.errors.InvalidArgumentError):
        _run(tf.debugging.assert_near(a, a + 1e-9))


def test_static_rank_checks_raise_at_build_time():
    x = tf.constant([[1.0, 2.0]])
    assert tf.assert_rank(x, 2).type == "NoOp"
    with pytest.raises(ValueError, match=r"Tensor Const:0 must have rank 1\.  Received rank 2, "
                                         r"shape \(1, 2\)"):
        tf.assert_rank(x, 1)
    with pytest.raises(ValueError, match="must have rank at least 3"):
        tf.assert_rank_at_least(x, 3)
    with pytest.raises(ValueError, match=r"must have rank in \(1, 3\)"):
        tf.assert_rank_in(x, [1, 3])
    assert tf.assert_rank_in(x, (2, 3)).type == "NoOp"


def test_unknown_rank_is_checked_at_run_time():
    ph = tf.placeholder(tf.float32, None)
    check = tf.assert_rank(ph, 2)
    least = tf.assert_rank_at_least(ph, 2)
    within = tf.assert_rank_in(ph, [0, 2])
    _run([check, least, within], {ph: np.ones((2, 2))})
    for c in (check, least, within):
        with pytest.raises(tf.errors.InvalidArgumentError, match="must have rank"):
            _run(c, {ph: np.ones(3)})


def test_type_integer_scalar_and_float_dtype_checks():
    x = tf.constant([[1.0, 2.0]])
    with pytest.raises(TypeError, match="Const:0 must be of type tf.int32; got tf.float32"):
        tf.assert_type(x, tf.int32)
    assert tf.assert_type(x, tf.float32).type == "NoOp"
    with pytest.raises(TypeError, match=r'Expected "x" to be integer type\.  Found: Const:0 of '
                                        r"dtype <dtype: 'float32'>"):
        tf.assert_integer(x)
    with pytest.raises(ValueError, match=r"Expected scalar shape for Const:0, saw shape: "
                                         r"\(1, 2\)\."):
        tf.assert_scalar(x)
    s = tf.constant(1.0)
    assert tf.assert_scalar(s) is s
    assert tf.assert_same_float_dtype([x]) == tf.float32
    assert tf.assert_same_float_dtype([]) == tf.float32
    with pytest.raises(ValueError, match="must be of the same type"):
        tf.assert_same_float_dtype([x, tf.constant(1.0, tf.float64)])
    with pytest.raises(ValueError, match="Expected floating point type"):
        tf.assert_same_float_dtype([tf.constant(1)])


def test_proper_iterable_and_numeric_tensor():
    tf.assert_proper_iterable([1, 2])
    for bad in ("abc", b"abc", np.ones(2), tf.constant([1]), 3):
        with pytest.raises(TypeError, match='Expected argument "values" to be a "proper"'):
            tf.assert_proper_iterable(bad)
    assert tf.is_numeric_tensor(tf.constant(1.0))
    assert not tf.is_numeric_tensor(tf.constant(True))
    assert not tf.is_numeric_tensor(np.ones(2))
