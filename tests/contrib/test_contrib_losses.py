"""tf.contrib.losses (slim.losses): TF 1.15's contrib argument order and weighting, against
tf.losses and numpy."""

import numpy as np
import pytest

import flowexec as tf
import flowexec.contrib.slim as slim

CL = tf.contrib.losses
RNG = np.random.RandomState(0)


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_slim_losses_is_contrib_losses():
    assert slim.losses is CL


def test_softmax_cross_entropy_matches_core_with_contrib_order():
    logits = RNG.standard_normal((5, 4)).astype(np.float32)
    labels = np.eye(4, dtype=np.float32)[[0, 3, 1, 2, 2]]
    w = np.array([1.0, 0.0, 2.0, 1.0, 0.5], np.float32)
    ours = CL.softmax_cross_entropy(logits, labels, w, 0.1)
    core = tf.losses.softmax_cross_entropy(labels, logits, w, 0.1)
    a, b = _run([ours, core])
    np.testing.assert_allclose(a, b, rtol=1e-6)
    sm = labels * 0.9 + 0.1 / 4
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    per = -(sm * logp).sum(1)
    np.testing.assert_allclose(a, (per * w).sum() / 4, rtol=1e-5)
    assert ours in tf.get_collection(tf.GraphKeys.LOSSES)
    assert ours.op.name.startswith("softmax_cross_entropy_loss")


def test_sigmoid_and_sparse_cross_entropy_match_core():
    logits = RNG.standard_normal((4, 3)).astype(np.float32)
    labels = (RNG.rand(4, 3) > 0.5).astype(np.float32)
    ids = np.array([0, 2, 1, 1])
    pairs = [(CL.sigmoid_cross_entropy(logits, labels, label_smoothing=0.2),
              tf.losses.sigmoid_cross_entropy(labels, logits, label_smoothing=0.2)),
             (CL.sparse_softmax_cross_entropy(logits, ids, [1.0, 2.0, 0.0, 1.0]),
              tf.losses.sparse_softmax_cross_entropy(ids, logits, [1.0, 2.0, 0.0, 1.0]))]
    for a, b in _run(pairs):
        np.testing.assert_allclose(a, b, rtol=1e-5)


def test_mean_squared_error_per_example_weights_prefix_shape():
    p = RNG.rand(4, 3).astype(np.float32)
    t = RNG.rand(4, 3).astype(np.float32)
    w = np.array([1.0, 0.0, 2.0, 1.0], np.float32)
    # contrib: weights [batch] scale each row; num_present = 3 rows * 3 elements.
    expected = ((p - t) ** 2 * w[:, None]).sum() / 9
    np.testing.assert_allclose(_run(CL.mean_squared_error(p, t, w)), expected, rtol=1e-5)
    np.testing.assert_allclose(_run(CL.mean_squared_error(p, t, w[:, None])), expected,
                               rtol=1e-5)
    np.testing.assert_allclose(_run(CL.absolute_difference(p, t)), np.abs(p - t).mean(),
                               rtol=1e-5)
    assert _run(CL.mean_squared_error(p, t, 0.0)) == 0.0


def test_log_loss_cosine_and_hinge():
    p = RNG.uniform(0.05, 0.95, (3, 4)).astype(np.float32)
    y = (RNG.rand(3, 4) > 0.5).astype(np.float32)
    expected = (-y * np.log(p + 1e-7) - (1 - y) * np.log(1 - p + 1e-7)).mean()
    np.testing.assert_allclose(_run(CL.log_loss(p, y)), expected, rtol=1e-5)
    a = RNG.standard_normal((3, 4)).astype(np.float32)
    b = RNG.standard_normal((3, 4)).astype(np.float32)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    np.testing.assert_allclose(_run(CL.cosine_distance(a, b, axis=1)),
                               (1 - (a * b).sum(1)).mean(), rtol=1e-5)
    with pytest.raises(ValueError):
        CL.cosine_distance(a, b)
    n_before = len(tf.get_collection(tf.GraphKeys.LOSSES))
    hinge = CL.hinge_loss(a, y)
    np.testing.assert_allclose(_run(hinge), np.maximum(0, 1 - (2 * y - 1) * a), rtol=1e-6)
    assert len(tf.get_collection(tf.GraphKeys.LOSSES)) == n_before  # unreduced, not added


def test_mean_pairwise_squared_error_numpy():
    p = RNG.rand(3, 4).astype(np.float32)
    t = RNG.rand(3, 4).astype(np.float32)
    w = np.array([1.0, 2.0, 0.0], np.float32)
    d = p - t
    per = 2 * (d ** 2).sum(1) / 4 - 2 * d.sum(1) ** 2 / 16
    np.testing.assert_allclose(_run(CL.mean_pairwise_squared_error(p, t, w)),
                               (per * w).sum(), rtol=1e-5)


def test_compute_weighted_loss_and_total_loss():
    losses = np.array([[1.0, 3.0], [5.0, 7.0]], np.float32)
    np.testing.assert_allclose(_run(CL.compute_weighted_loss(losses, [1.0, 0.0])), 2.0)
    np.testing.assert_allclose(_run(CL.compute_weighted_loss(losses)), 4.0)
    w = tf.Variable(3.0)
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, w * 2.0)
    total = CL.get_total_loss()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(total), 2.0 + 4.0 + 6.0)
        np.testing.assert_allclose(sess.run(CL.get_total_loss(False)), 6.0)
    assert len(CL.get_losses()) == 2 and len(CL.get_regularization_losses()) == 1
    extra = tf.constant(1.5)
    CL.add_loss(extra)
    assert CL.get_losses()[-1] is extra
