"""kl_divergence: every registered pair vs numerical integration / Monte Carlo (scipy),
KL(p || p) = 0, cross_entropy, MRO look-up (Exponential uses Gamma's KL; a subclass's own
registration wins), RegisterKL's errors, the missing-KL message and allow_nan_stats=False."""

import numpy as np
import pytest
from scipy import integrate, stats

import flowexec as tf
import flowexec.distributions as tfd
from flowexec.distributions import kullback_leibler


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def _kl_quad(p, q, lo, hi):
    return integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), lo, hi,
                          limit=200)[0]


@pytest.mark.parametrize("a,b,ref_a,ref_b,lo,hi", [
    ((tfd.Normal, 0.3, 1.2), (tfd.Normal, -1.0, 0.6), stats.norm(0.3, 1.2),
     stats.norm(-1.0, 0.6), -20, 20),
    ((tfd.Gamma, 2.5, 1.5), (tfd.Gamma, 0.8, 0.4), stats.gamma(2.5, scale=1 / 1.5),
     stats.gamma(0.8, scale=1 / 0.4), 0, np.inf),
    ((tfd.Beta, 2.5, 1.5), (tfd.Beta, 0.8, 3.0), stats.beta(2.5, 1.5), stats.beta(0.8, 3.0),
     0, 1),
])
def test_scalar_kl_matches_numerical_integration(a, b, ref_a, ref_b, lo, hi):
    da = a[0](np.float64(a[1]), np.float64(a[2]))
    db = b[0](np.float64(b[1]), np.float64(b[2]))
    kl, self_kl, ce = _run([tfd.kl_divergence(da, db), tfd.kl_divergence(da, da),
                            da.cross_entropy(db)])
    want = _kl_quad(ref_a, ref_b, lo, hi)
    np.testing.assert_allclose(kl, want, rtol=1e-7)
    np.testing.assert_allclose(self_kl, 0.0, atol=1e-12)
    np.testing.assert_allclose(ce, ref_a.entropy() + want, rtol=1e-7)


def test_discrete_and_dirichlet_kl_match_sums_and_monte_carlo():
    p, q = np.array([0.2, 0.8]), np.array([0.6, 0.4])
    pc, qc = np.array([0.1, 0.3, 0.6]), np.array([0.4, 0.4, 0.2])
    ca, cb = np.array([1.0, 2.0, 3.0]), np.array([2.5, 0.7, 1.5])
    kls = _run([tfd.kl_divergence(tfd.Bernoulli(probs=p), tfd.Bernoulli(probs=q)),
                tfd.kl_divergence(tfd.Categorical(probs=pc), tfd.Categorical(logits=np.log(qc))),
                tfd.kl_divergence(tfd.Dirichlet(ca), tfd.Dirichlet(cb))])
    np.testing.assert_allclose(kls[0], p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)),
                               rtol=1e-9)
    np.testing.assert_allclose(kls[1], (pc * np.log(pc / qc)).sum(), rtol=1e-9)
    x = stats.dirichlet(ca).rvs(200000, random_state=np.random.default_rng(0))
    lr = stats.dirichlet(ca).logpdf(x.T) - stats.dirichlet(cb).logpdf(x.T)
    # Monte Carlo estimate; tolerance 5 standard errors
    assert abs(kls[2] - lr.mean()) < 5 * lr.std() / np.sqrt(len(lr))


def test_kl_batch_broadcasting_and_name_scopes():
    a = tfd.Normal(np.zeros((3, 1)), np.float64(1.0))
    b = tfd.Normal(np.zeros(4), np.linspace(0.5, 2.0, 4))
    kl = tfd.kl_divergence(a, b)
    assert kl.shape.as_list() == [3, 4]
    assert kl.name.startswith("KullbackLeibler/kl_normal_normal/")
    assert a.kl_divergence(b, name="mykl").name.startswith("Normal/mykl/KullbackLeibler/")


def test_exponential_uses_gamma_kl_through_the_mro():
    e1, e2 = tfd.Exponential(np.float64(2.0)), tfd.Exponential(np.float64(0.5))
    got = _run(tfd.kl_divergence(e1, e2))
    np.testing.assert_allclose(got, np.log(2.0 / 0.5) + 0.5 / 2.0 - 1.0, rtol=1e-12)
    assert kullback_leibler._registered_kl(tfd.Exponential, tfd.Gamma) is \
        kullback_leibler._DIVERGENCES[(tfd.Gamma, tfd.Gamma)]


def test_register_kl_for_a_subclass_wins_and_errors_are_tfs():
    class MyNormal(tfd.Normal):
        pass

    @tfd.RegisterKL(MyNormal, tfd.Normal)
    def _kl_mine(a, b, name=None):
        return tf.constant(42.0, tf.float64)

    try:
        assert _run(tfd.kl_divergence(MyNormal(0.0, 1.0), tfd.Normal(0.0, 1.0))) == 42.0
        # the other order still finds Normal-Normal
        assert _run(tfd.kl_divergence(tfd.Normal(0.0, 1.0), MyNormal(0.0, 1.0))) == 0.0
        with pytest.raises(ValueError, match=r"KL\(MyNormal \|\| Normal\) has already been "
                                             r"registered to: "):
            tfd.RegisterKL(MyNormal, tfd.Normal)(_kl_mine)
    finally:
        del kullback_leibler._DIVERGENCES[(MyNormal, tfd.Normal)]
    with pytest.raises(TypeError, match="kl_fn must be callable, received: 3"):
        tfd.RegisterKL(MyNormal, tfd.Normal)(3)
    with pytest.raises(NotImplementedError, match="No KL\\(distribution_a \\|\\| distribution_b"
                                                  "\\) registered for distribution_a type "
                                                  "Beta and distribution_b type Gamma"):
        tfd.kl_divergence(tfd.Beta(1.0, 1.0), tfd.Gamma(1.0, 1.0))


def test_allow_nan_stats_false_raises_on_nan_kl_and_session_survives():
    a = tfd.Normal(tf.constant([0.0, np.nan]), 1.0)
    b = tfd.Normal(0.0, 1.0)
    checked = tfd.kl_divergence(a, b, allow_nan_stats=False)
    assert checked.name == "KullbackLeibler/checked_kl:0"
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="KL calculation between Normal/ and Normal_1/ returned NaN "
                                 r"values \(and was called with allow_nan_stats=False\)"):
            sess.run(checked)
        np.testing.assert_allclose(sess.run(tfd.kl_divergence(b, b, allow_nan_stats=False)),
                                   0.0)
    assert np.isnan(_run(tfd.kl_divergence(a, b))[1])
