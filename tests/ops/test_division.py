"""division_ops: zero-safe divisions/products and truncating division vs numpy, gradients vs
finite differences, TF's values at the zeros and its integer-division error."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import division_ops as dv
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _nz(*shapes):
    def gen(rng):
        return [rng.uniform(0.5, 2.0, size=s) * rng.choice([-1.0, 1.0], size=s) for s in shapes]
    return gen


def _pos(*shapes):
    return lambda rng: [rng.uniform(0.5, 2.0, size=s) for s in shapes]


def _with_zeros(rng):
    x = rng.uniform(-2.0, 2.0, size=(3, 4))
    y = rng.uniform(0.5, 2.0, size=(3, 4))
    y[0, 1] = y[2, 3] = 0.0
    return [x, y]


def _ints(rng):
    x = rng.integers(-20, 21, size=(4, 5)).astype(np.int32)
    y = rng.integers(1, 6, size=(4, 5)).astype(np.int32) * rng.choice([-1, 1], size=(4, 5))
    return [x, y.astype(np.int32)]


def _safe_div(x, y):
    return np.where(y == 0, 0.0, x / np.where(y == 0, 1.0, y))


CASES = [
    OpCase("div_no_nan", dv.div_no_nan, _safe_div, _nz((3, 4), (3, 4))),
    OpCase("div_no_nan_zeros", dv.div_no_nan, _safe_div, _with_zeros, grad=False),
    OpCase("div_no_nan_broadcast", dv.div_no_nan, _safe_div, _nz((3, 4), (4,))),
    OpCase("multiply_no_nan", dv.multiply_no_nan, np.multiply, _nz((3, 4), (3, 4))),
    OpCase("reciprocal_no_nan", dv.reciprocal_no_nan, lambda x: 1 / x, _nz((5,))),
    OpCase("xdivy", dv.xdivy, np.divide, _nz((3, 4), (3, 4))),
    OpCase("xlogy", dv.xlogy, lambda x, y: x * np.log(y), _pos((3, 4), (3, 4))),
    OpCase("xlog1py", dv.xlog1py, lambda x, y: x * np.log1p(y), _pos((3, 4), (4,))),
    OpCase("truncatediv_int", dv.truncatediv,
           lambda x, y: (np.trunc(x / y)).astype(np.int32), _ints),
    OpCase("truncatediv_float", dv.truncatediv, lambda x, y: np.trunc(x / y), _nz((3, 4), (4,)),
           grad=False),
    OpCase("truncatemod_int", dv.truncatemod, np.fmod, _ints),
    OpCase("truncatemod_float", dv.truncatemod, np.fmod,
           lambda rng: [rng.uniform(-5.3, 5.3, (3, 4)), rng.uniform(1.1, 1.9, (3, 4))]),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad and c.arrays()[0].dtype.kind == "f"]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_zero_cases_ignore_inf_and_nan_in_the_other_operand():
    inf, nan = np.inf, np.nan
    with tf.Graph().as_default():
        got = _run([dv.div_no_nan(tf.constant([inf, nan, 3.0]), tf.constant([0.0, 0.0, 2.0])),
                    dv.multiply_no_nan(tf.constant([inf, nan, 3.0]), tf.constant([0.0, 0.0, 2.0])),
                    dv.xdivy(tf.constant([0.0, 0.0]), tf.constant([0.0, nan])),
                    dv.xlogy(tf.constant([0.0, 0.0]), tf.constant([0.0, -1.0])),
                    dv.xlog1py(tf.constant([0.0]), tf.constant([-1.0]))])
    np.testing.assert_array_equal(got[0], [0.0, 0.0, 1.5])
    np.testing.assert_array_equal(got[1], [0.0, 0.0, 6.0])
    np.testing.assert_array_equal(got[2], [0.0, 0.0])
    np.testing.assert_array_equal(got[3], [0.0, 0.0])
    np.testing.assert_array_equal(got[4], [0.0])


def test_div_no_nan_gradient_is_zero_at_a_zero_divisor():
    with tf.Graph().as_default():
        x, y = tf.constant([7.0, -7.0, 3.0]), tf.constant([2.0, 2.0, 0.0])
        gx, gy = _run(tf.gradients(dv.div_no_nan(x, y), [x, y]))
    np.testing.assert_allclose(gx, [0.5, 0.5, 0.0])
    np.testing.assert_allclose(gy, [-1.75, 1.75, 0.0])


def test_truncation_rounds_toward_zero_unlike_floor():
    with tf.Graph().as_default():
        x, y = tf.constant([7, -7, 3, -6]), tf.constant([2, 2, -2, 3])
        q, r = _run([tf.truncatediv(x, y), tf.truncatemod(x, y)])
        fq = _run(tf.floordiv(x, y))
        assert tf.truncatediv(x, y).op.type == "TruncateDiv"
        assert tf.truncatediv(x, y).op.name.startswith("truncatediv")
    np.testing.assert_array_equal(q, [3, -3, -1, -2])
    np.testing.assert_array_equal(r, [1, -1, 1, 0])
    np.testing.assert_array_equal(fq, [3, -4, -2, -2])


def test_integer_truncatediv_by_zero_is_invalid_argument():
    with tf.Graph().as_default():
        t = tf.truncatediv(tf.constant([1, 2]), tf.constant([1, 0]))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
            _run(t)


def test_truncatediv_has_no_gradient():
    with tf.Graph().as_default():
        x, y = tf.constant([7.0]), tf.constant([2.0])
        assert tf.gradients(tf.truncatediv(x, y), [x, y]) == [None, None]
