"""Candidate samplers (distribution, uniqueness, expected counts), accidental hits, and
nce_loss/sampled_softmax_loss vs a numpy implementation of TF's sampled logits, with
gradients."""

import math

import numpy as np
import pytest

import flowexec as tf

RNG = np.random.default_rng(0)
W = RNG.normal(size=(10, 4))
B = RNG.normal(size=10)
X = RNG.normal(size=(3, 4))
LABELS = np.array([[1, 2], [3, 3], [0, 9]], np.int64)
SAMPLED = np.array([2, 5, 7, 0], np.int64)
TRUE_EC = np.array([[0.3, 0.2], [0.1, 0.1], [0.5, 0.05]])
SAMPLED_EC = np.array([0.2, 0.1, 0.3, 0.5])


def _ref_logits(remove_hits):
    true = np.einsum("bd,btd->bt", X, W[LABELS]) + B[LABELS] - np.log(TRUE_EC)
    sampled = X @ W[SAMPLED].T + B[SAMPLED]
    if remove_hits:
        hits = (LABELS[:, :, None] == SAMPLED[None, None, :]).any(1)
        sampled = sampled + np.where(hits, -np.finfo(np.float32).max, 0.0)
    sampled = sampled - np.log(SAMPLED_EC)
    labels = np.concatenate([np.full_like(true, 0.5), np.zeros_like(sampled)], 1)
    return np.concatenate([true, sampled], 1), labels


def _ref_nce(remove_hits):
    z, y = _ref_logits(remove_hits)
    return (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).sum(1)


def _ref_softmax(remove_hits):
    z, y = _ref_logits(remove_hits)
    m = z.max(1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(1, keepdims=True))
    return -(y * logp).sum(1)


SV = (SAMPLED, TRUE_EC, SAMPLED_EC)


@pytest.mark.parametrize("hits", [False, True])
def test_losses_match_numpy(hits):
    w, b, x = tf.constant(W), tf.constant(B), tf.constant(X)
    nce = tf.nn.nce_loss(w, b, LABELS, x, 4, 10, num_true=2, sampled_values=SV,
                         remove_accidental_hits=hits)
    ssm = tf.nn.sampled_softmax_loss(w, b, LABELS, x, 4, 10, num_true=2, sampled_values=SV,
                                     remove_accidental_hits=hits)
    sharded = tf.nn.sampled_softmax_loss([w[:5], w[5:]], [b[:5], b[5:]], LABELS, x, 4, 10,
                                         num_true=2, sampled_values=SV,
                                         remove_accidental_hits=hits, partition_strategy="div")
    with tf.Session() as sess:
        got = sess.run([nce, ssm, sharded])
    np.testing.assert_allclose(got[0], _ref_nce(hits), rtol=1e-10)
    np.testing.assert_allclose(got[1], _ref_softmax(hits), rtol=1e-10)
    np.testing.assert_allclose(got[2], _ref_softmax(hits), rtol=1e-10)


def test_gradients_vs_finite_differences():
    x = tf.placeholder(tf.float64, X.shape)
    w = tf.placeholder(tf.float64, W.shape)
    loss = tf.reduce_sum(tf.nn.sampled_softmax_loss(w, tf.constant(B), LABELS, x, 4, 10,
                                                    num_true=2, sampled_values=SV))
    gx, gw = [tf.convert_to_tensor(g) for g in tf.gradients(loss, [x, w])]
    eps = 1e-6
    with tf.Session() as sess:
        ax, aw = sess.run([gx, gw], {x: X, w: W})
        for arr, analytic, ph in ((X, ax, x), (W, aw, w)):
            flat = []
            for j in range(arr.size):
                p, m = arr.copy(), arr.copy()
                p.flat[j] += eps
                m.flat[j] -= eps
                other = {x: X, w: W}
                fp = sess.run(loss, {**other, ph: p})
                fm = sess.run(loss, {**other, ph: m})
                flat.append((fp - fm) / (2 * eps))
            np.testing.assert_allclose(analytic, np.reshape(flat, arr.shape), atol=1e-6)


def test_accidental_hits():
    idx, ids, wts = tf.nn.compute_accidental_hits(LABELS, SAMPLED, num_true=2)
    with tf.Session() as sess:
        i, d, v = sess.run([idx, ids, wts])
    assert list(zip(i.tolist(), d.tolist())) == [(0, 0), (2, 3)]
    assert (v == -np.finfo(np.float32).max).all()


def _log_uniform_p(k, n):
    return np.log((k + 2.0) / (k + 1.0)) / math.log(n + 1.0)


def test_log_uniform_sampler_distribution_and_expected_counts():
    tf.set_random_seed(5)
    true = np.array([[0], [7]], np.int64)
    s, tec, sec = tf.random.log_uniform_candidate_sampler(true, 1, 4000, False, 50)
    with tf.Session() as sess:
        sampled, t, e = sess.run([s, tec, sec])
    assert sampled.min() >= 0 and sampled.max() < 50
    freq = np.bincount(sampled, minlength=50) / 4000
    np.testing.assert_allclose(freq[:5], _log_uniform_p(np.arange(5), 50), atol=0.03)
    np.testing.assert_allclose(t, 4000 * _log_uniform_p(true, 50), rtol=1e-5)
    np.testing.assert_allclose(e, 4000 * _log_uniform_p(sampled, 50), rtol=1e-5)


def test_unique_samplers_give_distinct_ids_and_bounded_counts():
    tf.set_random_seed(2)
    true = np.array([[3]], np.int64)
    for sampler in (tf.nn.log_uniform_candidate_sampler, tf.nn.uniform_candidate_sampler):
        s, tec, sec = sampler(true, 1, 8, True, 10)
        with tf.Session() as sess:
            sampled, t, e = sess.run([s, tec, sec])
        assert len(set(sampled.tolist())) == 8 and sampled.max() < 10
        assert ((e > 0) & (e <= 1)).all() and 0 < t[0, 0] <= 1
    too_many = tf.nn.uniform_candidate_sampler(true, 1, 11, True, 10)[0]
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="range is too small"):
        sess.run(too_many)


def test_seeded_sampler_is_reproducible_and_types():
    tf.set_random_seed(9)
    s, tec, sec = tf.nn.uniform_candidate_sampler(np.array([[1]], np.int64), 1, 5, False, 20)
    assert s.dtype == tf.int64 and tec.dtype == tf.float32 and s.shape.as_list() == [5]
    with tf.Session() as a, tf.Session() as b:
        np.testing.assert_array_equal(a.run(s), b.run(s))
        np.testing.assert_allclose(a.run(sec), np.full(5, 5 / 20))
