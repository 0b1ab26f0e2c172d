"""tf.linalg.eigh_tridiagonal: eigenvalues against numpy's eigvalsh of the dense matrix,
eigenvectors by T v = v diag(e) and orthonormality, every select mode, finite-difference
gradients, TF's values (TensorFlow 2.21, tf.compat.v1) and TF's errors."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _dense(alpha, beta):
    return np.diag(alpha.real.astype(beta.dtype)) + np.diag(beta, 1) + np.diag(beta.conj(), -1)


def _inputs(n, dtype=np.float64):
    def make(rng):
        alpha = rng.normal(size=n)
        beta = rng.normal(size=n - 1)
        if np.dtype(dtype).kind == "c":
            beta = beta + 1j * rng.normal(size=n - 1)
        return [alpha.astype(dtype), beta.astype(dtype)]
    return make


CASES = [
    OpCase("all_float64", tf.linalg.eigh_tridiagonal,
           lambda a, b: np.linalg.eigvalsh(_dense(a, b)), _inputs(6)),
    OpCase("all_float32", tf.linalg.eigh_tridiagonal,
           lambda a, b: np.linalg.eigvalsh(_dense(a, b)), _inputs(5, np.float32),
           atol=1e-5, rtol=1e-5, grad=False),
    OpCase("all_complex128", tf.linalg.eigh_tridiagonal,
           lambda a, b: np.linalg.eigvalsh(_dense(a, b)), _inputs(4, np.complex128),
           grad=False),
    OpCase("by_index", lambda a, b: tf.linalg.eigh_tridiagonal(a, b, select="i",
                                                               select_range=[1, 3]),
           lambda a, b: np.linalg.eigvalsh(_dense(a, b))[1:4], _inputs(6)),
    OpCase("one_by_one", tf.linalg.eigh_tridiagonal, lambda a, b: a, _inputs(1)),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_tf_values():
    a, b = np.array([1.0, 2, 3, 4]), np.array([0.5, 0.5, 0.5])
    with tf.Session() as sess:
        e = sess.run(tf.linalg.eigh_tridiagonal(a, b))
        zero = sess.run(tf.linalg.eigh_tridiagonal([0.0, 0.0, 0.0], [1.0, 1.0]))
    np.testing.assert_allclose(e, [0.77457781, 1.9775842, 3.0224158, 4.22542219], atol=1e-7)
    np.testing.assert_allclose(zero, [-np.sqrt(2.0), 0.0, np.sqrt(2.0)], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("select,select_range", [("a", None), ("i", [0, 1]),
                                                 ("v", [-0.5, 1.5])])
def test_eigenvectors(dtype, select, select_range):
    alpha, beta = _inputs(7, dtype)(np.random.default_rng(1))
    e, v = tf.linalg.eigh_tridiagonal(alpha, beta, eigvals_only=False, select=select,
                                      select_range=select_range)
    with tf.Session() as sess:
        e, v = sess.run([e, v])
    t = _dense(alpha, beta)
    full = np.linalg.eigvalsh(t)
    if select == "i":
        full = full[0:2]
    elif select == "v":
        full = full[(full > -0.5) & (full <= 1.5)]
    assert e.dtype == np.float64 and v.dtype == dtype and v.shape == (7, len(full))
    np.testing.assert_allclose(e, full, atol=1e-12)
    np.testing.assert_allclose(t @ v, v * e, atol=1e-12)
    np.testing.assert_allclose(v.conj().T @ v, np.eye(len(full)), atol=1e-12)


def test_select_by_value_is_half_open_and_dynamic():
    a, b = np.array([1.0, 2, 3, 4]), np.zeros(3)
    y = tf.linalg.eigh_tridiagonal(a, b, select="v", select_range=[1.0, 3.0])
    assert y.shape.as_list() == [None]
    p = tf.placeholder(tf.int32, [2])
    z = tf.linalg.eigh_tridiagonal(a, b, select="i", select_range=p)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y), [2.0, 3.0])
        np.testing.assert_allclose(sess.run(z, {p: [1, 3]}), [2.0, 3.0, 4.0])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Got empty index range in select_range\."):
            sess.run(z, {p: [2, 1]})


def test_tf_errors():
    a, b = np.array([1.0, 2, 3, 4]), np.array([0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="^'alpha' and 'beta' must have the same type.$"):
        tf.linalg.eigh_tridiagonal(a.astype(np.float32), b)
    with pytest.raises(ValueError, match=r"^'select must have a value in \{'a', 'i', 'v'\}.$"):
        tf.linalg.eigh_tridiagonal(a, b, select="x")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"^Got empty index range in select_range\."):
        tf.linalg.eigh_tridiagonal(a, b, select="i", select_range=[2, 1])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"^Got empty interval in select_range\."):
        tf.linalg.eigh_tridiagonal(a, b, select="v", select_range=[2.0, 2.0])
    with pytest.raises(ValueError, match="beta must have n - 1 = 3 elements"):
        tf.linalg.eigh_tridiagonal(a, b[:2])
