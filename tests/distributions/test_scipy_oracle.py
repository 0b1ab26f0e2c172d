"""tf.distributions vs scipy.stats: log_prob/prob/cdf/log_cdf/survival functions, entropy,
mean, variance, stddev, mode and covariance of every family over parameter grids with
broadcast batch shapes, in float32 and float64; far-tail log_cdf; NaN statistics."""

import numpy as np
import pytest
from scipy import special, stats

import flowexec as tf
import flowexec.distributions as tfd

RNG = np.random.default_rng(7)
TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


def _run(tensors):
    with tf.Session() as sess:
        return sess.run(tensors)


def _c(v, dt):
    return tf.constant(np.asarray(v, dt))


# family -> (params (numpy), values x, build(params as tensors), scipy frozen dist, mode)
def _normal():
    p = dict(loc=RNG.normal(size=(3, 1)), scale=RNG.uniform(0.3, 3.0, size=(4,)))
    x = RNG.normal(size=(2, 1, 1)) * 3
    return p, x, tfd.Normal, stats.norm(p["loc"], p["scale"]), p["loc"] + 0 * p["scale"]


def _laplace():
    p = dict(loc=RNG.normal(size=(4,)), scale=RNG.uniform(0.3, 3.0, size=(2, 1)))
    x = RNG.normal(size=(4,)) * 3
    return p, x, tfd.Laplace, stats.laplace(p["loc"], p["scale"]), p["loc"] + 0 * p["scale"]


def _uniform():
    low = RNG.normal(size=(3,))
    p = dict(low=low, high=low + RNG.uniform(0.5, 2.0, size=(2, 3)))
    x = low + RNG.uniform(0.05, 0.45, size=(3,))
    return p, x, tfd.Uniform, stats.uniform(p["low"], p["high"] - p["low"]), None


def _student_t():
    p = dict(df=np.array([0.7, 1.0, 1.5, 2.5, 30.0]), loc=RNG.normal(size=(2, 1)),
             scale=RNG.uniform(0.5, 2.0, size=(5,)))
    x = RNG.normal(size=(5,)) * 4
    return p, x, tfd.StudentT, stats.t(p["df"], p["loc"], p["scale"]), p["loc"]


def _gamma():
    p = dict(concentration=np.array([0.3, 1.0, 2.5, 9.0]), rate=RNG.uniform(0.3, 3.0, (3, 1)))
    x = RNG.uniform(0.05, 4.0, size=(4,))
    mode = np.where(p["concentration"] > 1, (p["concentration"] - 1) / p["rate"], np.nan)
    return p, x, tfd.Gamma, stats.gamma(p["concentration"], scale=1 / p["rate"]), mode


def _exponential():
    p = dict(rate=RNG.uniform(0.3, 3.0, (2, 3)))
    x = RNG.uniform(0.05, 4.0, size=(3,))
    return p, x, tfd.Exponential, stats.expon(scale=1 / p["rate"]), np.full((2, 3), np.nan)


def _beta():
    a = np.array([0.6, 1.0, 2.0, 7.0])
    b = np.array([[0.8], [1.5], [5.0]])
    x = RNG.uniform(0.02, 0.98, size=(4,))
    mode = np.where((a > 1) & (b > 1), (a - 1) / (a + b - 2), np.nan)
    return dict(concentration1=a, concentration0=b), x, tfd.Beta, stats.beta(a, b), mode


SCALAR_FAMILIES = {"Normal": _normal, "Laplace": _laplace, "Uniform": _uniform,
                   "StudentT": _student_t, "Gamma": _gamma, "Exponential": _exponential,
                   "Beta": _beta}


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("family", sorted(SCALAR_FAMILIES))
def test_scalar_family_matches_scipy(family, dt):
    params, x, cls, ref, mode = SCALAR_FAMILIES[family]()
    d = cls(**{k: _c(v, dt) for k, v in params.items()})
    xt = _c(x, dt)
    want_batch = np.broadcast_shapes(*[np.shape(v) for v in params.values()])
    assert d.batch_shape.as_list() == list(want_batch)
    assert d.event_shape.as_list() == []
    with np.errstate(all="ignore"):
        want = {"log_prob": ref.logpdf(x), "prob": ref.pdf(x), "cdf": ref.cdf(x),
                "log_cdf": ref.logcdf(x), "survival_function": ref.sf(x),
                "log_survival_function": ref.logsf(x), "entropy": ref.entropy(),
                "mean": ref.mean(), "variance": ref.var(), "stddev": ref.std()}
    if mode is not None:
        want["mode"] = mode
    tensors = {}
    for m in want:
        if m in ("entropy", "mean", "variance", "stddev", "mode"):
            tensors[m] = getattr(d, m)()
        else:
            tensors[m] = getattr(d, m)(xt)
    got = _run(tensors)
    for m, w in want.items():
        if not (family == "StudentT" and m == "mode"):  # TF: mode is loc itself
            w = np.broadcast_to(w, np.broadcast_shapes(np.shape(w), want_batch))
        if family == "StudentT" and m == "mean":  # TF: NaN for df <= 1 (scipy: inf)
            w = np.where(np.broadcast_to(params["df"], w.shape) > 1, w, np.nan)
        assert got[m].dtype == dt, m
        assert got[m].shape == w.shape, (m, got[m].shape, w.shape)
        np.testing.assert_allclose(got[m], w, err_msg=m, equal_nan=True, **TOL[dt])


def test_normal_quantile_and_far_tails():
    p = np.array([1e-30, 1e-6, 0.1, 0.5, 0.975, 1 - 1e-12], np.float64)
    x = np.array([-38.0, -25.0, -11.0, -3.0, 0.0, 4.0, 7.0, 9.0], np.float64)
    d = tfd.Normal(_c(1.5, np.float64), _c(2.0, np.float64))
    s = tfd.Normal(_c(0.0, np.float64), _c(1.0, np.float64))
    f32 = tfd.Normal(0.0, 1.0)
    got = _run({"q": d.quantile(p), "lc": s.log_cdf(x), "ls": s.log_survival_function(x),
                "lc32": f32.log_cdf(x.astype(np.float32)), "cdf": s.cdf(x)})
    np.testing.assert_allclose(got["q"], stats.norm(1.5, 2.0).ppf(p), rtol=1e-9)
    # TF's log(ndtr(x)) for 5 < x <= 8 keeps absolute, not relative, accuracy (as TF's)
    np.testing.assert_allclose(got["lc"], special.log_ndtr(x), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(got["ls"], special.log_ndtr(-x), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(got["lc32"], special.log_ndtr(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got["cdf"], special.ndtr(x), rtol=1e-9, atol=0)
    assert np.all(np.isfinite(got["lc"]))


def test_dirichlet_matches_scipy():
    conc = np.array([[[1.5, 2.0, 3.0]], [[0.5, 4.0, 2.5]]])  # batch [2, 1], k = 3
    x = RNG.dirichlet([2.0, 2.0, 2.0], size=(4,))  # [4, 3] broadcasts to batch [2, 4]
    d = tfd.Dirichlet(_c(conc, np.float64))
    assert d.batch_shape.as_list() == [2, 1] and d.event_shape.as_list() == [3]
    got = _run({"lp": d.log_prob(x), "ent": d.entropy(), "mean": d.mean(),
                "var": d.variance(), "cov": d.covariance(), "mode": d.mode()})
    assert got["lp"].shape == (2, 4)
    for i in range(2):
        ref = stats.dirichlet(conc[i, 0])
        np.testing.assert_allclose(got["lp"][i], [ref.logpdf(v) for v in x], rtol=1e-9)
        np.testing.assert_allclose(got["ent"][i, 0], ref.entropy(), rtol=1e-9)
        np.testing.assert_allclose(got["mean"][i, 0], ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(got["var"][i, 0], ref.var(), rtol=1e-9)
        np.testing.assert_allclose(got["cov"][i, 0], ref.cov(), rtol=1e-9, atol=1e-15)
    a = conc[0, 0]
    np.testing.assert_allclose(got["mode"][0, 0], (a - 1) / (a.sum() - 3), rtol=1e-12)
    assert np.all(np.isnan(got["mode"][1, 0]))  # a concentration <= 1: NaN row, TF's rule
    edge = tfd.Dirichlet(_c([1.0, 2.0, 3.0], np.float64)).mode()  # 1.0 is not > 1
    assert np.all(np.isnan(_run(edge)))


def test_bernoulli_and_categorical_match_scipy():
    p = np.array([[0.1, 0.5, 0.93]])
    k = np.array([[0], [1]])
    b = tfd.Bernoulli(probs=_c(p, np.float64))
    bl = tfd.Bernoulli(logits=_c(special.logit(p), np.float64))
    probs = RNG.dirichlet([1.0] * 4, size=(2, 3))
    c = tfd.Categorical(probs=_c(probs, np.float64))
    cl = tfd.Categorical(logits=_c(np.log(probs) + 3.0, np.float64))
    idx = np.array([0, 3, 2])
    got = _run({"blp": b.log_prob(k), "bllp": bl.log_prob(k), "bent": b.entropy(),
                "bmean": b.mean(), "bvar": b.variance(), "bmode": b.mode(),
                "clp": c.log_prob(idx), "cllp": cl.log_prob(idx), "cent": c.entropy(),
                "ccdf": c.cdf(idx), "cmode": c.mode(), "clprobs": cl.probs})
    ref = stats.bernoulli(p)
    np.testing.assert_allclose(got["blp"], ref.logpmf(k), rtol=1e-9)
    np.testing.assert_allclose(got["bllp"], ref.logpmf(k), rtol=1e-9)
    np.testing.assert_allclose(got["bent"], ref.entropy(), rtol=1e-9)
    np.testing.assert_allclose(got["bmean"], ref.mean(), rtol=1e-12)
    np.testing.assert_allclose(got["bvar"], ref.var(), rtol=1e-12)
    np.testing.assert_array_equal(got["bmode"], (p > 0.5).astype(np.int32))
    assert got["bmode"].dtype == np.int32
    want_lp = np.log(np.take_along_axis(probs, np.broadcast_to(idx, (2, 3))[..., None],
                                        -1)[..., 0])
    np.testing.assert_allclose(got["clp"], want_lp, rtol=1e-9)
    np.testing.assert_allclose(got["cllp"], want_lp, rtol=1e-9)
    np.testing.assert_allclose(got["cent"], -(probs * np.log(probs)).sum(-1), rtol=1e-9)
    cum = np.concatenate([np.zeros((2, 3, 1)), np.cumsum(probs, -1)], -1)  # P[X < k]
    np.testing.assert_allclose(got["ccdf"], np.take_along_axis(
        cum, np.broadcast_to(idx, (2, 3))[..., None], -1)[..., 0], rtol=1e-9)
    np.testing.assert_array_equal(got["cmode"], probs.argmax(-1))
    np.testing.assert_allclose(got["clprobs"], probs, rtol=1e-9)


def test_multinomial_and_dirichlet_multinomial_match_scipy():
    n = np.array([5.0, 7.0])
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    counts = np.array([[1.0, 1.0, 3.0], [4.0, 2.0, 1.0]])
    m = tfd.Multinomial(_c(n, np.float64), probs=_c(probs, np.float64))
    conc = np.array([[1.0, 2.0, 0.5], [3.0, 1.0, 1.5]])
    dm = tfd.DirichletMultinomial(_c(7.0, np.float64), _c(conc, np.float64))
    dcounts = np.array([[2.0, 2.0, 3.0], [0.0, 3.0, 4.0]])
    got = _run({"mlp": m.log_prob(counts), "mmean": m.mean(), "mvar": m.variance(),
                "mcov": m.covariance(), "dlp": dm.log_prob(dcounts), "dmean": dm.mean(),
                "dvar": dm.variance(), "dcov": dm.covariance(), "dp": dm.prob(dcounts)})
    for i in range(2):
        ref = stats.multinomial(int(n[i]), probs[i])
        np.testing.assert_allclose(got["mlp"][i], ref.logpmf(counts[i]), rtol=1e-9)
        np.testing.assert_allclose(got["mmean"][i], ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(got["mcov"][i], ref.cov(), rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(got["mvar"][i], np.diag(ref.cov()), rtol=1e-9)
        dref = stats.dirichlet_multinomial(conc[i], 7)
        np.testing.assert_allclose(got["dlp"][i], dref.logpmf(dcounts[i]), rtol=1e-9)
        np.testing.assert_allclose(got["dp"][i], dref.pmf(dcounts[i]), rtol=1e-9)
        np.testing.assert_allclose(got["dmean"][i], dref.mean(), rtol=1e-12)
        np.testing.assert_allclose(got["dcov"][i], dref.cov(), rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(got["dvar"][i], dref.var(), rtol=1e-9)


def test_probs_logits_round_trip_and_static_shapes_with_unknown_batch():
    x = tf.placeholder(tf.float32, [None, 3])
    d = tfd.Normal(loc=x, scale=1.0)
    assert d.batch_shape.as_list() == [None, 3]
    s = d.sample(4, seed=3)
    assert s.shape.as_list() == [4, None, 3]
    c = tfd.Categorical(logits=x)
    assert c.batch_shape.as_list() == [None]
    with tf.Session() as sess:
        bst, smp, cbs = sess.run([d.batch_shape_tensor(), s, c.batch_shape_tensor()],
                                 {x: np.zeros((2, 3), np.float32)})
    np.testing.assert_array_equal(bst, [2, 3])
    np.testing.assert_array_equal(cbs, [2])
    assert smp.shape == (4, 2, 3)
