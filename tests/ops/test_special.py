"""special_ops vs scipy.special, gradients vs finite differences."""

import numpy as np
import pytest
import scipy.special as sp

import flowexec as tf
from flowexec.ops import special_ops as so
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _u(low, high, *shapes):
    return lambda rng: [rng.uniform(low, high, size=s) for s in shapes]


CASES = [
    OpCase("erf", so.erf, sp.erf, _u(-2, 2, (3, 4))),
    OpCase("erf_f32", so.erf, lambda x: sp.erf(x).astype(np.float32),
           lambda rng: [rng.uniform(-2, 2, 5).astype(np.float32)], grad=False, atol=1e-6),
    OpCase("erfc", so.erfc, sp.erfc, _u(-2, 3, (3, 4))),
    OpCase("erfinv", so.erfinv, sp.erfinv, _u(-0.9, 0.9, (3, 4))),
    OpCase("erfcinv", so.erfcinv, sp.erfcinv, _u(0.1, 1.9, (3, 4))),
    OpCase("ndtri", so.ndtri, sp.ndtri, _u(0.05, 0.95, (3, 4))),
    OpCase("lgamma", so.lgamma, sp.gammaln, _u(0.2, 6, (3, 4))),
    OpCase("lgamma_negative", so.lgamma, sp.gammaln, [np.array([-0.5, -1.5, -2.3])]),
    OpCase("digamma", so.digamma, sp.psi, _u(0.3, 5, (3, 4)), grad_atol=1e-4),
    OpCase("polygamma", so.polygamma, sp.polygamma,
           lambda rng: [rng.integers(0, 3, (3, 4)).astype(np.float64),
                        rng.uniform(0.5, 4, (3, 4))], grad=(1,), grad_atol=1e-4),
    OpCase("igamma", so.igamma, sp.gammainc, _u(0.5, 3, (3, 4), (3, 4)), grad=(1,)),
    OpCase("igamma_broadcast", so.igamma, sp.gammainc, _u(0.5, 3, (4,), (3, 4)), grad=(1,)),
    OpCase("igammac", so.igammac, sp.gammaincc, _u(0.5, 3, (3, 4), (3, 4)), grad=(1,)),
    OpCase("zeta", so.zeta, sp.zeta,
           lambda rng: [rng.uniform(1.5, 4, (3, 4)), rng.uniform(0.5, 3, (3, 4))], grad=(1,)),
    OpCase("betainc", so.betainc, sp.betainc,
           lambda rng: [rng.uniform(0.5, 3, (3, 4)), rng.uniform(0.5, 3, (3, 4)),
                        rng.uniform(0.05, 0.95, (3, 4))], grad=(2,)),
    OpCase("betainc_scalar_ab", so.betainc, sp.betainc,
           lambda rng: [np.float64(2.0), np.float64(3.0), rng.uniform(0.05, 0.95, (5,))],
           grad=(2,)),
    OpCase("lbeta", so.lbeta, lambda x: np.sum(sp.gammaln(x), -1) - sp.gammaln(np.sum(x, -1)),
           _u(0.5, 3, (3, 4))),
    OpCase("bessel_i0", so.bessel_i0, sp.i0, _u(-3, 3, (3, 4))),
    OpCase("bessel_i0e", so.bessel_i0e, sp.i0e, _u(-3, 3, (3, 4))),
    OpCase("bessel_i1", so.bessel_i1, sp.i1, _u(-3, 3, (3, 4))),
    OpCase("bessel_i1e", so.bessel_i1e, sp.i1e, _u(-3, 3, (3, 4))),
    OpCase("bessel_i1_at_zero", so.bessel_i1, sp.i1, [np.array([0.0, 1.0])]),
    OpCase("bessel_j0", so.bessel_j0, sp.j0, _u(-4, 4, (3, 4))),
    OpCase("bessel_j1", so.bessel_j1, sp.j1, _u(-4, 4, (3, 4))),
    OpCase("bessel_y0", so.bessel_y0, sp.y0, _u(0.5, 4, (3, 4))),
    OpCase("bessel_y1", so.bessel_y1, sp.y1, _u(0.5, 4, (3, 4))),
    OpCase("bessel_k0", so.bessel_k0, sp.k0, _u(0.5, 4, (3, 4))),
    OpCase("bessel_k0e", so.bessel_k0e, sp.k0e, _u(0.5, 4, (3, 4))),
    OpCase("bessel_k1", so.bessel_k1, sp.k1, _u(0.5, 4, (3, 4))),
    OpCase("bessel_k1e", so.bessel_k1e, sp.k1e, _u(0.5, 4, (3, 4))),
    OpCase("dawsn", so.dawsn, sp.dawsn, _u(-3, 3, (3, 4))),
    OpCase("expint", so.expint, sp.expi, _u(0.3, 3, (3, 4))),
    OpCase("fresnel_sin", so.fresnel_sin, lambda x: sp.fresnel(x)[0], _u(-2, 2, (3, 4))),
    OpCase("fresnel_cos", so.fresnel_cos, lambda x: sp.fresnel(x)[1], _u(-2, 2, (3, 4))),
    OpCase("spence", so.spence, sp.spence, _u(0.2, 3, (3, 4))),
    OpCase("spence_at_one", so.spence, sp.spence, [np.array([1.0, 0.5])]),
    OpCase("nextafter", so.nextafter, np.nextafter,
           [np.array([1.0, 2.0, -1.0]), np.array([2.0, 0.0, -1.0])], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_no_gradient_where_tf_has_none():
    a, x = tf.constant([2.0]), tf.constant([0.5])
    assert tf.gradients(so.betainc(a, a, x), [a])[0] is None
    assert tf.gradients(so.nextafter(a, x), [a])[0] is None


def test_dtype_errors_as_tf():
    with pytest.raises(TypeError, match="not in list of allowed values"):
        so.erf(tf.constant([1, 2]))
    with pytest.raises(TypeError):
        so.igamma(tf.constant([1.0]), tf.constant([1.0], dtype=tf.float64))


def test_betainc_shapes_must_agree():
    a = tf.placeholder(tf.float64)
    out = so.betainc(a, a, tf.constant([0.5, 0.5], dtype=tf.float64))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="Shapes of a, b, and x"):
            sess.run(out, {a: [1.0, 2.0, 3.0]})
        np.testing.assert_allclose(sess.run(out, {a: 2.0}), sp.betainc(2.0, 2.0, [0.5, 0.5]))
