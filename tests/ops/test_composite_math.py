"""composite_math_ops vs numpy (values and gradients), and TF's errors for polyval and
accumulate_n."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import composite_math_ops as cm
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _f(*shapes):
    return lambda rng: [rng.uniform(-2, 2, s) for s in shapes]


CASES = [
    OpCase("reduce_variance", cm.reduce_variance, np.var, _f((3, 4))),
    OpCase("reduce_variance_axis", lambda x: cm.reduce_variance(x, axis=1, keepdims=True),
           lambda x: np.var(x, axis=1, keepdims=True), _f((3, 4))),
    OpCase("reduce_std_axis", lambda x: cm.reduce_std(x, axis=0),
           lambda x: np.std(x, axis=0), _f((3, 4))),
    OpCase("reduce_euclidean_norm", lambda x: cm.reduce_euclidean_norm(x, axis=1),
           lambda x: np.linalg.norm(x, axis=1), _f((3, 4))),
    OpCase("log_sigmoid", cm.log_sigmoid, lambda x: -np.logaddexp(0, -x), _f((3, 4))),
    OpCase("log_sigmoid_extreme", cm.log_sigmoid, lambda x: -np.logaddexp(0, -x),
           [np.array([-100.0, 100.0, 0.0])], grad=False),
    OpCase("polyval", lambda c0, c1, x: cm.polyval([c0, c1, 2.0], x),
           lambda c0, c1, x: c0 * x * x + c1 * x + 2.0, _f((), (4,), (4,))),
    OpCase("accumulate_n", lambda a, b, c: cm.accumulate_n([a, b, c]),
           lambda a, b, c: a + b + c, _f((2, 3), (2, 3), (2, 3))),
    OpCase("saturate_cast", lambda x: cm.saturate_cast(x * 200, tf.uint8),
           lambda x: np.clip(x * 200, 0, 255).astype(np.uint8), _f((3, 4)), grad=False),
    OpCase("arg_max", lambda x: cm.arg_max(x, 1), lambda x: np.argmax(x, 1), _f((3, 4))),
    OpCase("arg_min", lambda x: cm.arg_min(x, 0, output_type=tf.int32),
           lambda x: np.argmin(x, 0).astype(np.int32), _f((3, 4))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad and not c.name.startswith("arg_")]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_monotonic_checks():
    got = _run([cm.is_non_decreasing([1, 1, 2]), cm.is_strictly_increasing([1, 1, 2]),
                cm.is_strictly_increasing([[1, 2], [3, 4]]), cm.is_non_decreasing([3]),
                cm.is_non_decreasing([2, 1])])
    assert [bool(g) for g in got] == [True, False, True, True, False]


def test_polyval_and_accumulate_n_errors():
    with pytest.raises(ValueError, match="Argument coeffs must be list type"):
        cm.polyval((1.0, 2.0), tf.constant(1.0))
    with pytest.raises(ValueError, match="at least one Tensor"):
        cm.accumulate_n([])
    with pytest.raises(ValueError):
        cm.accumulate_n([tf.ones([2]), tf.ones([3])])
    with pytest.raises(TypeError, match="tensor_dtype is float64"):
        cm.accumulate_n([tf.ones([2])], tensor_dtype=tf.float64)


def test_saturate_cast_to_wide_ints_never_overflows_from_floats():
    """float32 rounds 2**31 - 1 up to 2**31: the clamp uses the largest float32 below the
    int32 range instead (TF 2's fix), so large values saturate instead of wrapping."""
    with tf.Session() as sess:
        got = sess.run(cm.saturate_cast(tf.constant([3e9, -3e9, 1.5]), tf.int32))
        np.testing.assert_array_equal(got, [2147483520, -2147483648, 1])
        got = sess.run(cm.saturate_cast(tf.constant([1e30, -1e30], tf.float64), tf.int64))
        np.testing.assert_array_equal(got, [9223372036854774784, -9223372036854775808])
        got = sess.run(cm.saturate_cast(tf.constant([1e30, -5.0]), tf.uint32))
        np.testing.assert_array_equal(got, [4294967040, 0])
        np.testing.assert_array_equal(sess.run(cm.saturate_cast(
            tf.constant([300.0, -4.0]), tf.uint8)), [255, 0])
