"""Sampling: shapes and dtypes for scalar/vector/tensor sample_shape, seeded determinism,
sample moments vs the analytic ones (fixed seeds; each tolerance is 5 standard errors of the
estimate), and reparameterized gradients: Normal/Laplace/Uniform/StudentT exactly, Gamma
(RandomGamma's implicit gradient) vs the implicit-function formula from scipy, Beta and
Dirichlet through their gammas vs central differences of the same draws."""

import numpy as np
import pytest
from scipy import special, stats

import flowexec as tf
import flowexec.distributions as tfd

N = 20000


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


@pytest.mark.parametrize("sample_shape,want", [((), [2]), (5, [5, 2]), ([5], [5, 2]),
                                               ([2, 3], [2, 3, 2])])
def test_sample_shapes_and_static_shapes(sample_shape, want):
    for d, event in [(tfd.Normal([0.0, 1.0], 1.0), []), (tfd.Bernoulli(probs=[0.2, 0.5]), []),
                     (tfd.Dirichlet([[1.0, 2.0], [3.0, 4.0]]), [2]),
                     (tfd.Multinomial(3.0, probs=[[0.5, 0.5], [0.1, 0.9]]), [2]),
                     (tfd.Categorical(logits=[[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]]), [])]:
        s = d.sample(sample_shape, seed=4)
        assert s.shape.as_list() == want + event
        assert s.dtype == d.dtype
        assert _run(s).shape == tuple(want + event)


def test_sample_shape_fed_at_run_time():
    shape = tf.placeholder(tf.int32, [None])
    s = tfd.Gamma([1.0, 2.0, 3.0], 1.0).sample(shape, seed=2)
    assert _run(s, {shape: [4, 2]}).shape == (4, 2, 3)
    with pytest.raises(ValueError, match="Input is neither scalar nor vector."):
        tfd.Normal(0.0, 1.0).sample([[2]])


def test_seeded_samples_repeat_across_sessions():
    tf.set_random_seed(3)
    s = tfd.Beta(2.0, [1.0, 3.0]).sample(6, seed=11)
    np.testing.assert_array_equal(_run(s), _run(s))


def _moments_case(name):
    cases = {
        "Normal": (tfd.Normal([-1.0, 2.0], [0.5, 3.0]), stats.norm([-1.0, 2.0], [0.5, 3.0])),
        "Laplace": (tfd.Laplace(1.0, [0.5, 2.0]), stats.laplace(1.0, [0.5, 2.0])),
        "Uniform": (tfd.Uniform([0.0, -2.0], [1.0, 5.0]), stats.uniform([0.0, -2.0], [1.0, 7.0])),
        "StudentT": (tfd.StudentT(6.0, [0.0, 1.0], 2.0), stats.t(6.0, [0.0, 1.0], 2.0)),
        "Gamma": (tfd.Gamma([0.5, 4.0], [1.0, 2.0]), stats.gamma([0.5, 4.0], scale=[1.0, 0.5])),
        "Exponential": (tfd.Exponential([0.5, 3.0]), stats.expon(scale=[2.0, 1 / 3.0])),
        "Beta": (tfd.Beta([0.5, 3.0], [2.0, 3.0]), stats.beta([0.5, 3.0], [2.0, 3.0])),
        "Bernoulli": (tfd.Bernoulli(probs=[0.1, 0.7], dtype=tf.float32),
                      stats.bernoulli([0.1, 0.7])),
    }
    return cases[name]


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Uniform", "StudentT", "Gamma",
                                  "Exponential", "Beta", "Bernoulli"])
def test_sample_moments_match_analytic(name):
    d, ref = _moments_case(name)
    x = _run(d.sample(N, seed=17)).astype(np.float64)
    mean, var = ref.mean(), ref.var()
    # standard errors: sd/sqrt(N) for the mean; sqrt((mu4 - var^2)/N) for the variance
    mu4 = ref.moment(4) - 4 * mean * ref.moment(3) + 6 * mean ** 2 * ref.moment(2) \
        - 3 * mean ** 4
    np.testing.assert_array_less(np.abs(x.mean(0) - mean), 5 * np.sqrt(var / N))
    np.testing.assert_array_less(np.abs(x.var(0) - var), 5 * np.sqrt((mu4 - var ** 2) / N))


def test_discrete_vector_sample_frequencies():
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])
    c = _run(tfd.Categorical(probs=probs).sample(N, seed=5))
    freq = np.stack([(c == k).mean(0) for k in range(3)], -1)
    np.testing.assert_array_less(np.abs(freq - probs), 5 * np.sqrt(probs * (1 - probs) / N))
    m = _run(tfd.Multinomial(np.array([4.0, 9.0]), probs=probs).sample(4000, seed=6))
    np.testing.assert_array_equal(m.sum(-1), np.broadcast_to([4.0, 9.0], (4000, 2)))
    want = np.array([[4.0], [9.0]]) * probs
    sd = np.sqrt(np.array([[4.0], [9.0]]) * probs * (1 - probs) / 4000)
    np.testing.assert_array_less(np.abs(m.mean(0) - want), 5 * sd)
    conc = np.array([1.0, 2.0, 5.0])
    dm = _run(tfd.DirichletMultinomial(6.0, conc).sample(4000, seed=8))
    ref = stats.dirichlet_multinomial(conc, 6)
    np.testing.assert_array_equal(dm.sum(-1), 6.0)
    np.testing.assert_array_less(np.abs(dm.mean(0) - ref.mean()), 5 * np.sqrt(ref.var() / 4000))
    dr = _run(tfd.Dirichlet(conc).sample(N, seed=9))
    dref = stats.dirichlet(conc)
    np.testing.assert_allclose(dr.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_array_less(np.abs(dr.mean(0) - dref.mean()), 5 * np.sqrt(dref.var() / N))


def test_location_scale_samples_are_reparameterized_exactly():
    for cls, extra in [(tfd.Normal, {}), (tfd.Laplace, {}), (tfd.StudentT, {"df": 5.0})]:
        loc = tf.constant([0.5, -1.0], tf.float64)
        scale = tf.constant([2.0, 0.5], tf.float64)
        d = cls(loc=loc, scale=scale, **{k: tf.constant(v, tf.float64)
                                         for k, v in extra.items()})
        assert d.reparameterization_type == tfd.FULLY_REPARAMETERIZED
        s = d.sample(7, seed=1)
        gl, gs = tf.gradients(tf.reduce_sum(s), [loc, scale])
        sv, glv, gsv, lv, sc = _run([s, gl, gs, loc, scale])
        np.testing.assert_allclose(glv, [7.0, 7.0])
        np.testing.assert_allclose(gsv, ((sv - lv) / sc).sum(0), rtol=1e-10)
    lo, hi = tf.constant(1.0, tf.float64), tf.constant(4.0, tf.float64)
    s = tfd.Uniform(lo, hi).sample(9, seed=2)
    glo, ghi = tf.gradients(tf.reduce_sum(s), [lo, hi])
    sv, a, b = _run([s, glo, ghi])
    u = (sv - 1.0) / 3.0
    np.testing.assert_allclose([a, b], [(1 - u).sum(), u.sum()], rtol=1e-10)


def test_not_reparameterized_families_say_so():
    for d in [tfd.Bernoulli(probs=0.5), tfd.Categorical(logits=[0.0, 1.0]),
              tfd.Multinomial(2.0, probs=[0.5, 0.5]), tfd.DirichletMultinomial(2.0, [1.0, 1.0])]:
        assert d.reparameterization_type == tfd.NOT_REPARAMETERIZED
    assert repr(tfd.FULLY_REPARAMETERIZED) == "<Reparameterization Type: FULLY_REPARAMETERIZED>"


def _implicit_gamma_grad(a, x, h=1e-6):
    """d x / d a at fixed CDF value: -(dF/da) / pdf (the oracle of RandomGammaGrad)."""
    dcdf = (special.gammainc(a + h, x) - special.gammainc(a - h, x)) / (2 * h)
    return -dcdf / stats.gamma(a).pdf(x)


def test_gamma_sample_gradient_is_the_implicit_reparameterization():
    conc = tf.constant([0.7, 2.0, 6.0], tf.float64)
    rate = tf.constant([1.5, 1.0, 0.5], tf.float64)
    s = tfd.Gamma(conc, rate).sample(50, seed=21)
    w = np.random.default_rng(0).normal(size=(50, 3))
    ga, gr = tf.gradients(tf.reduce_sum(s * w), [conc, rate])
    sv, gav, grv = _run([s, ga, gr])
    raw = sv * np.array([1.5, 1.0, 0.5])  # the unit-rate draws
    want_a = (w * _implicit_gamma_grad(np.array([0.7, 2.0, 6.0]), raw)
              / np.array([1.5, 1.0, 0.5])).sum(0)
    np.testing.assert_allclose(gav, want_a, rtol=1e-4)
    np.testing.assert_allclose(grv, (w * -sv / np.array([1.5, 1.0, 0.5])).sum(0), rtol=1e-10)


def _per_draw_grads(make, base, m=4000, seed=31):
    """Per-draw gradients of one sample of a batch of `m` identical distributions."""
    p = tf.constant(np.broadcast_to(base, (m,) + base.shape).copy())
    s = make(p).sample(seed=seed)
    k = base.shape[-1]
    grads = []
    for i in range(s.shape.as_list()[-1] if s.shape.ndims == 2 else 1):
        y = s[:, i] if s.shape.ndims == 2 else s
        (g,) = tf.gradients(tf.reduce_sum(y), [p])
        grads.append(g)
    out = _run(grads)
    return np.stack(out, 1).reshape(m, -1, k)  # [m, outputs, params]


def test_beta_and_dirichlet_sample_gradients_are_unbiased():
    # E[d x / d theta] = d E[x] / d theta: the implicit gradients through the gammas give the
    # derivative of the mean (tolerance: 5 standard errors over 4000 independent draws)
    a, b = 1.3, 2.5
    g = _per_draw_grads(lambda p: tfd.Beta(p[:, 0], p[:, 1]), np.array([a, b]))[:, 0]
    want = np.array([b, -a]) / (a + b) ** 2
    np.testing.assert_array_less(np.abs(g.mean(0) - want), 5 * g.std(0) / np.sqrt(len(g)))
    conc = np.array([1.3, 2.5, 4.0])
    g = _per_draw_grads(lambda p: tfd.Dirichlet(p), conc)  # [m, i, j] = d x_i / d a_j
    total = conc.sum()
    want = (np.eye(3) * total - conc[:, None]) / total ** 2
    np.testing.assert_array_less(np.abs(g.mean(0) - want), 5 * g.std(0) / np.sqrt(len(g)))
