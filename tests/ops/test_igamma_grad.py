"""IgammaGradA (d/da of the regularized lower incomplete gamma function P(a, x)) and the
gradients of igamma / igammac with respect to `a`: against TF 2.21's recorded values
(scripts/make_tf_igamma_grad_fixtures.py), against central differences of scipy's P in
float64 (an independent oracle), broadcasting, and TF's special values."""

import os

import numpy as np
import pytest
import scipy.special as sp

import flowexec as tf
from flowexec.framework.registry import apply_op
from flowexec.ops import special_ops as so
from tests.ops.harness import OpCase, check_forward, check_gradient, ids

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "igamma_grad",
                        "igamma_grad.npz")


def _fd_da(a, x):
    """d/da P(a, x) by central differences of the log of scipy's P (or of Q = 1 - P where
    x > a, so the tails keep their digits): P d(log P)/da, or -Q d(log Q)/da. Float64,
    about 1e-7 relative."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    h = 1e-5 * np.maximum(a, 1e-2)
    upper = x > a
    fn = lambda s: np.where(upper, sp.gammaincc(s, x), sp.gammainc(s, x))  # noqa: E731
    with np.errstate(divide="ignore", invalid="ignore"):  # P underflows: NaN, left out
        dlog = (np.log(fn(a + h)) - np.log(fn(a - h))) / (2 * h)
    return np.where(upper, -1.0, 1.0) * fn(a) * dlog


def _u(low, high, *shapes):
    return lambda rng: [rng.uniform(low, high, size=s) for s in shapes]


CASES = [
    OpCase("igamma_grad_a", so.igamma_grad_a, _fd_da, _u(0.3, 6, (3, 4), (3, 4)), grad=False,
           atol=1e-9, rtol=1e-6),
    OpCase("igamma_grad_a_broadcast", so.igamma_grad_a, _fd_da, _u(0.3, 6, (4,), (3, 1)),
           grad=False, atol=1e-9, rtol=1e-6),
    OpCase("igamma_grad_a_f32", so.igamma_grad_a,
           lambda a, x: _fd_da(a, x).astype(np.float32),
           lambda rng: [rng.uniform(0.3, 6, 5).astype(np.float32),
                        rng.uniform(0.1, 9, 5).astype(np.float32)], grad=False, atol=1e-7,
           rtol=1e-5),
    OpCase("igamma_da_dx", so.igamma, sp.gammainc, _u(0.5, 4, (3, 4), (3, 4))),
    OpCase("igamma_da_dx_broadcast", so.igamma, sp.gammainc, _u(0.5, 4, (4,), (3, 4))),
    OpCase("igammac_da_dx_broadcast", so.igammac, sp.gammaincc, _u(0.5, 4, (3, 1), (4,))),
    OpCase("igammac_da_dx_fed", so.igammac, sp.gammaincc, _u(0.5, 4, (2, 3), (3,)),
           feed=True),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient_matches_central_differences(case):
    check_gradient(case)


@pytest.fixture(scope="module")
def tf_values():
    with np.load(FIXTURES) as d:
        return dict(d)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


# flowexec evaluates in float64 for either dtype; TF's float32 kernel runs in float32 and is
# itself off by up to 5e-4 (relative) at a = 1000 (measured against 50-digit mpmath).
TF32_RTOL = [(20.0, 1e-5), (100.0, 3e-5), (1000.0, 1e-3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_igamma_grad_a_matches_tf(tf_values, dtype):
    a, x = tf_values[f"{dtype}_a"], tf_values[f"{dtype}_x"]
    want = tf_values[f"{dtype}_igamma_grad_a"]
    with tf.Graph().as_default():
        out = so.igamma_grad_a(tf.constant(a), tf.constant(x))
        assert out.dtype == tf.as_dtype(dtype) and out.shape.as_list() == list(a.shape)
        got = _run(out)
    assert got.dtype == np.dtype(dtype)
    tiny = np.finfo(dtype).tiny * 1e3  # TF's float32 flushes what underflows there to 0
    np.testing.assert_allclose(got[np.abs(want) < tiny], 0, atol=tiny)
    big = np.abs(want) >= tiny
    if dtype == "float64":
        np.testing.assert_allclose(got[big], want[big], rtol=1e-12)
        return
    low = 0.0
    for high, rtol in TF32_RTOL:
        m = big & (a > low) & (a <= high)
        np.testing.assert_allclose(got[m], want[m], rtol=rtol, err_msg=f"a in ({low}, {high}]")
        low = high


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_igamma_and_igammac_gradients_wrt_a_match_tf(tf_values, dtype):
    a, x = tf_values[f"{dtype}_a"], tf_values[f"{dtype}_x"]
    with tf.Graph().as_default():
        ta, tx = tf.constant(a), tf.constant(x)
        da = tf.gradients(so.igamma(ta, tx), [ta])[0]
        dca = tf.gradients(so.igammac(ta, tx), [ta])[0]
        raw = so.igamma_grad_a(ta, tx)
        got, gotc, want_raw = _run([da, dca, raw])
    # TF's gradients are its IgammaGradA values (negated for igammac), bit for bit ...
    np.testing.assert_array_equal(tf_values[f"{dtype}_digamma_da"],
                                  tf_values[f"{dtype}_igamma_grad_a"])
    np.testing.assert_array_equal(tf_values[f"{dtype}_digammac_da"],
                                  -tf_values[f"{dtype}_igamma_grad_a"])
    # ... and so are flowexec's (the IgammaGradA values checked against TF above).
    np.testing.assert_array_equal(got, want_raw)
    np.testing.assert_array_equal(gotc, -want_raw)


def test_broadcast_gradients_match_tf(tf_values):
    ba, bx, w = tf_values["bcast_a"], tf_values["bcast_x"], tf_values["bcast_w"]
    with tf.Graph().as_default():
        a, x = tf.constant(ba), tf.constant(bx)
        fetch = {}
        for fn in ("igamma", "igammac"):
            y = tf.reduce_sum(w * getattr(so, fn)(a, x))
            da, dx = tf.gradients(y, [a, x])
            assert da.shape.as_list() == [3, 1] and dx.shape.as_list() == [4]
            fetch[fn] = (da, dx)
        got = _run(fetch)
    for fn, (da, dx) in got.items():
        np.testing.assert_allclose(da, tf_values[f"bcast_{fn}_da"], rtol=1e-12, err_msg=fn)
        np.testing.assert_allclose(dx, tf_values[f"bcast_{fn}_dx"], rtol=1e-12, err_msg=fn)


def test_broadcast_gradient_with_unknown_shapes():
    a_v, x_v = np.array([[0.7], [2.0]]), np.array([0.4, 1.3, 3.0])
    with tf.Graph().as_default():
        a = tf.placeholder(tf.float64, shape=None)
        x = tf.placeholder(tf.float64, shape=None)
        da, dx = tf.gradients(tf.reduce_sum(so.igammac(a, x)), [a, x])
        got_a, got_x = _run([da, dx], {a: a_v, x: x_v})
    np.testing.assert_allclose(got_a, -_fd_da(a_v, x_v).sum(axis=1, keepdims=True), rtol=1e-6)
    dens = np.exp(-x_v + (a_v - 1) * np.log(x_v) - sp.gammaln(a_v))
    np.testing.assert_allclose(got_x, -dens.sum(axis=0), rtol=1e-12)


def test_special_values_match_tf(tf_values):
    a, x = tf_values["special_a"], tf_values["special_x"]
    want = tf_values["special_igamma_grad_a"]
    with tf.Graph().as_default():
        got = _run(so.igamma_grad_a(tf.constant(a), tf.constant(x)))
    np.testing.assert_array_equal(got, want)  # NaNs in the same places, signed zeros equal
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_wide_range_matches_central_differences():
    # An oracle independent of the series/fraction: differences of scipy's P (which uses its
    # own expansions, Temme's for large a; ~1e-7 relative), over a in [1e-3, 3e3], x in [1e-3, 6e3].
    rng = np.random.default_rng(7)
    a = 10 ** rng.uniform(-3, 3.5, 400)
    x = np.concatenate([10 ** rng.uniform(-3, 3.8, 200), a[200:] * rng.uniform(0.7, 1.4, 200)])
    got = so.igamma_grad_a_values(np, a, x)
    want = _fd_da(a, x)
    m = np.abs(want) > 1e-200
    np.testing.assert_allclose(got[m], want[m], rtol=1e-7)  # measured: 4e-9 at most
    assert np.all(got[~m] > -1e-190)
    assert np.all(got <= 0)  # P decreases in a


def test_small_a_tends_to_minus_e1():
    # P(a, x) = 1 - a E1(x) + O(a^2): d/da P -> -E1(x) as a -> 0.
    x = np.array([0.05, 0.5, 2.0, 7.0])
    np.testing.assert_allclose(so.igamma_grad_a_values(np, 1e-12, x), -sp.exp1(x), rtol=1e-9)


def test_inference_and_dtypes():
    with tf.Graph().as_default():
        out = so.igamma_grad_a(tf.placeholder(tf.float32, [None, 1]),
                               tf.placeholder(tf.float32, [3]))
        assert out.dtype == tf.float32 and out.shape.as_list() == [None, 3]
        with pytest.raises(TypeError):
            so.igamma_grad_a(tf.constant([1, 2]), tf.constant([1, 2]))
        with pytest.raises(TypeError):
            so.igamma_grad_a(tf.constant([1.0]), tf.constant([1.0], dtype=tf.float64))
        with pytest.raises(ValueError):
            so.igamma_grad_a(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0, 3.0]))


def test_igamma_grad_a_is_not_differentiable():
    with tf.Graph().as_default():
        a, x = tf.constant([2.0]), tf.constant([0.5])
        assert tf.gradients(so.igamma_grad_a(a, x), [a, x]) == [None, None]


def test_gamma_cdf_has_a_gradient_wrt_concentration():
    with tf.Graph().as_default():
        c = tf.constant([0.8, 3.0], tf.float64)
        cdf = tf.distributions.Gamma(c, tf.constant([1.5, 0.7], tf.float64)).cdf(
            tf.constant([0.9, 2.0], tf.float64))
        (dc,) = tf.gradients(tf.reduce_sum(cdf), [c])
        assert dc is not None
        got = _run(dc)
    np.testing.assert_allclose(got, _fd_da([0.8, 3.0], [1.35, 1.4]), rtol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_gamma_grad_values_match_tf(tf_values, dtype):
    # special_ops.random_gamma_grad_values: the sample derivative from the same expansions.
    a, x = tf_values[f"{dtype}_a"], tf_values[f"{dtype}_x"]
    want = tf_values[f"{dtype}_random_gamma_grad"]
    got = so.random_gamma_grad_values(np, a, x).astype(dtype)
    with tf.Graph().as_default():
        op = apply_op("RandomGammaGrad", tf.constant(a), tf.constant(x))
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(op), got)  # the op uses it
    np.testing.assert_array_equal(got == 0, want == 0)
    m = want != 0
    np.testing.assert_allclose(got[m], want[m], rtol=1e-5 if dtype == "float32" else 1e-13)
