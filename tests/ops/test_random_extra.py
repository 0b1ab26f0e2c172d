"""random_extra_ops: gamma/Poisson statistics and seeding, the gamma sample gradient
against finite differences of the inverse CDF, stateless ops' determinism and statistics."""

import numpy as np
import pytest
import scipy.special as sp

import flowexec as tf
from flowexec.ops import random_extra_ops as rx


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_gamma_and_poisson_statistics_and_shapes():
    with tf.Graph().as_default():
        tf.set_random_seed(7)
        g = rx.random_gamma([20000], [0.5, 3.0], beta=[1.0, 2.0], dtype=tf.float64)
        p = rx.random_poisson([1.5, 7.0], [20000], dtype=tf.int64)
        assert g.shape.as_list() == [20000, 2] and p.shape.as_list() == [20000, 2]
        assert p.dtype == tf.int64
        gv, pv = _run([g, p])
        gv2 = _run(g)
    np.testing.assert_allclose(gv.mean(0), [0.5, 1.5], rtol=0.05)
    np.testing.assert_allclose(gv.var(0), [0.5, 0.75], rtol=0.08)
    np.testing.assert_allclose(pv.mean(0), [1.5, 7.0], rtol=0.05)
    assert (gv > 0).all()
    np.testing.assert_array_equal(gv, gv2)  # same seeds, new Session: same values


def test_gamma_sample_gradient_matches_inverse_cdf_derivative():
    # x = F^{-1}(u; alpha): dx/dalpha at fixed u, by finite differences of gammaincinv
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        alpha = tf.constant([0.7, 2.5], dtype=tf.float64)
        x = rx.random_gamma([50], alpha, dtype=tf.float64)
        (g,) = tf.gradients(x, alpha)
        xs, gs = _run([x, g])
    a = np.array([0.7, 2.5])
    u = sp.gammainc(a, xs)
    h = 1e-6
    want = ((sp.gammaincinv(a + h, u) - sp.gammaincinv(a - h, u)) / (2 * h)).sum(0)
    np.testing.assert_allclose(gs, want, rtol=1e-3)


def test_stateless_ops_are_functions_of_the_seed():
    with tf.Graph().as_default():
        seed = tf.placeholder(tf.int64, [2])
        outs = [rx.stateless_random_uniform([1000], seed, minval=2.0, maxval=4.0),
                rx.stateless_random_normal([1000], seed, mean=1.0, stddev=2.0),
                rx.stateless_truncated_normal([1000], seed),
                rx.stateless_random_uniform([1000], seed, minval=0, maxval=5, dtype=tf.int32),
                rx.stateless_multinomial(tf.log([[0.2, 0.8]]), 1000, seed),
                rx.stateless_random_gamma([1000, 2], seed, alpha=[1.0, 4.0]),
                rx.stateless_random_poisson([1000], seed, lam=3.0),
                rx.stateless_random_binomial([1000], seed, counts=10.0, probs=0.3),
                rx.stateless_parameterized_truncated_normal([1000], seed, 0.0, 1.0, -0.5, 1.0)]
        with tf.Session() as sess:
            a = sess.run(outs, {seed: [1, 2]})
            b = sess.run(outs, {seed: [1, 2]})
        with tf.Session() as sess:
            c = sess.run(outs, {seed: [1, 2]})
            d = sess.run(outs, {seed: [2, 1]})
    for x, y, z, w in zip(a, b, c, d):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, z)
        assert not np.array_equal(x, w)
    u, n, t, i, m, g, p, bi, ptn = a
    assert 2 <= u.min() and u.max() < 4 and abs(u.mean() - 3) < 0.1
    assert abs(n.mean() - 1) < 0.2 and abs(n.std() - 2) < 0.2
    assert np.abs(t).max() <= 2 and i.dtype == np.int32 and set(np.unique(i)) <= set(range(5))
    assert abs(m.mean() - 0.8) < 0.05 and m.dtype == np.int64
    np.testing.assert_allclose(g.mean(0), [1.0, 4.0], rtol=0.15)
    assert abs(p.mean() - 3) < 0.2 and p.dtype == np.int32 and abs(bi.mean() - 3) < 0.2
    assert -0.5 <= ptn.min() and ptn.max() <= 1.0
    assert tf.random.stateless_categorical is rx.stateless_categorical


def test_stateless_gamma_gradient_and_errors():
    with tf.Graph().as_default():
        alpha = tf.constant([1.5], dtype=tf.float64)
        x = rx.stateless_random_gamma([200, 1], [4, 5], alpha, dtype=tf.float64)
        (g,) = tf.gradients(x, alpha)
        xs, gs = _run([x, g])
        a = 1.5
        u = sp.gammainc(a, xs)
        want = ((sp.gammaincinv(a + 1e-6, u) - sp.gammaincinv(a - 1e-6, u)) / 2e-6).sum()
        np.testing.assert_allclose(gs, [want], rtol=1e-3)
        with pytest.raises(ValueError, match="maxval"):
            rx.stateless_random_uniform([2], [1, 2], dtype=tf.int32)
        with pytest.raises(ValueError, match="seed must have shape"):
            rx.stateless_random_normal([2], [1, 2, 3])
