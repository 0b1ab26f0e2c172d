"""tf.losses vs numpy: every loss with scalar/broadcast/zero weights under every reduction,
TF's broadcasting rule and messages, label smoothing, squeezing, collections, gradients."""

import numpy as np
import pytest

import flowexec as tf

R = tf.losses.Reduction
RNG = np.random.default_rng(0)


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def _reduce(per, w, reduction):
    """numpy oracle of compute_weighted_loss (float64)."""
    w = np.broadcast_to(np.asarray(w, np.float64), per.shape)
    weighted = per * w
    if reduction == R.NONE:
        return weighted
    total = weighted.sum()
    denom = {R.SUM: 1.0, R.MEAN: w.sum(), R.SUM_OVER_BATCH_SIZE: per.size,
             R.SUM_BY_NONZERO_WEIGHTS: np.count_nonzero(w)}[reduction]
    return 0.0 if denom == 0 else total / denom


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


LAB = RNG.uniform(0, 1, (4, 3))
PRED = RNG.uniform(0, 1, (4, 3))
BIN = (RNG.uniform(0, 1, (4, 3)) > 0.5).astype(np.float64)
HUBER_PRED = LAB + RNG.uniform(-2.5, 2.5, (4, 3))

ELEMENTWISE = {
    "absolute_difference": (lambda l, p, **k: tf.losses.absolute_difference(l, p, **k),
                            LAB, PRED, lambda l, p: np.abs(p - l)),
    "mean_squared_error": (lambda l, p, **k: tf.losses.mean_squared_error(l, p, **k),
                           LAB, PRED, lambda l, p: (p - l) ** 2),
    "huber_loss": (lambda l, p, **k: tf.losses.huber_loss(l, p, delta=1.5, **k), LAB,
                   HUBER_PRED,
                   lambda l, p: np.where(np.abs(p - l) <= 1.5, 0.5 * (p - l) ** 2,
                                         1.5 * (np.abs(p - l) - 0.75))),
    "log_loss": (lambda l, p, **k: tf.losses.log_loss(l, p, **k), BIN, PRED,
                 lambda l, p: -l * np.log(p + 1e-7) - (1 - l) * np.log(1 - p + 1e-7)),
    "hinge_loss": (lambda l, p, **k: tf.losses.hinge_loss(l, p, **k), BIN, PRED * 4 - 2,
                   lambda l, p: np.maximum(0, 1 - (2 * l - 1) * p)),
    "sigmoid_cross_entropy": (lambda l, p, **k: tf.losses.sigmoid_cross_entropy(l, p, **k),
                              BIN, PRED * 4 - 2,
                              lambda l, p: -l * np.log(_sigmoid(p))
                              - (1 - l) * np.log(1 - _sigmoid(p))),
}
WEIGHTS = {"scalar": 2.0, "rows": np.array([[1.0], [0.0], [2.0], [0.5]]),
           "full": RNG.choice([0.0, 1.0, 3.0], size=(4, 3)), "zero": 0.0}


@pytest.mark.parametrize("reduction", [R.NONE, R.SUM, R.MEAN, R.SUM_OVER_BATCH_SIZE,
                                       R.SUM_BY_NONZERO_WEIGHTS])
@pytest.mark.parametrize("wname", sorted(WEIGHTS))
@pytest.mark.parametrize("loss", sorted(ELEMENTWISE))
def test_elementwise_loss_matches_numpy(loss, wname, reduction):
    build, labels, preds, ref = ELEMENTWISE[loss]
    w = WEIGHTS[wname]
    out = build(tf.constant(labels), tf.constant(preds), weights=w, reduction=reduction)
    # TF computes losses and weighting in float32: float32 tolerances.
    np.testing.assert_allclose(_run(out), _reduce(ref(labels, preds), w, reduction),
                               rtol=2e-5, atol=2e-6)
    # Losses that cast their inputs give float32; sigmoid_cross_entropy keeps the logits'.
    assert out.dtype == (tf.float64 if loss == "sigmoid_cross_entropy" else tf.float32)
    assert out in tf.get_collection(tf.GraphKeys.LOSSES)


def test_compute_weighted_loss_keeps_the_input_dtype_and_names_the_value():
    per = np.arange(12.0).reshape(4, 3)
    loss = tf.losses.compute_weighted_loss(per, weights=[[1.0], [0.0], [1.0], [1.0]])
    assert loss.dtype == tf.float64
    np.testing.assert_allclose(_run(loss), (per.sum() - per[1].sum()) / 9)
    mse = tf.losses.mean_squared_error([1.0, 2.0], [2.0, 4.0])
    assert mse.name == "mean_squared_error/value:0"
    np.testing.assert_allclose(_run(mse), 2.5)


def test_weights_that_numpy_would_broadcast_are_refused_as_in_tf():
    per = tf.constant(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"weights can not be broadcast to values\. "
                                         r"values\.rank=2\. weights\.rank=1\."):
        tf.losses.compute_weighted_loss(per, weights=np.ones(3))
    with pytest.raises(ValueError, match=r"Mismatch at dim 1\. values\.shape=\[4, 3\], "
                                         r"weights\.shape=\[4, 2\]"):
        tf.losses.compute_weighted_loss(per, weights=np.ones((4, 2)))


def test_unknown_weight_shapes_are_checked_at_run_time():
    per = tf.constant(np.arange(12.0).reshape(4, 3))
    w = tf.placeholder(tf.float64, shape=None)
    loss = tf.losses.compute_weighted_loss(per, w)
    np.testing.assert_allclose(_run(loss, {w: np.ones((4, 1))}), 5.5)
    np.testing.assert_allclose(_run(loss, {w: 1.0}), 5.5)
    for bad in (np.ones(3), np.ones((4, 2)), np.ones((1, 4, 3))):
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"weights can not be broadcast to values\.\] "
                                 r"\[weights.shape=\] \[Placeholder:0\]"):
            _run(loss, {w: bad})


def test_invalid_reduction_and_missing_arguments():
    with pytest.raises(ValueError, match="Invalid Reduction Key bad. Key should be one of"):
        tf.losses.compute_weighted_loss([1.0], reduction="bad")
    with pytest.raises(ValueError, match="Argument `labels` must not be None."):
        tf.losses.absolute_difference(None, [1.0])
    with pytest.raises(ValueError, match="You must specify argument `axis`."):
        tf.losses.cosine_distance([1.0], [1.0])
    with pytest.raises(ValueError, match=r"Shapes \(3,\) and \(2,\) are incompatible"):
        tf.losses.mean_squared_error([1.0, 2.0], [1.0, 2.0, 3.0])
    assert R.SUM_OVER_NONZERO_WEIGHTS == R.SUM_BY_NONZERO_WEIGHTS
    assert R.all() == ("none", "weighted_sum", "weighted_mean", "weighted_sum_over_batch_size",
                       "weighted_sum_by_nonzero_weights", "weighted_sum_by_nonzero_weights")


def test_cosine_distance_along_an_axis():
    a = LAB / np.linalg.norm(LAB, axis=1, keepdims=True)
    b = PRED / np.linalg.norm(PRED, axis=1, keepdims=True)
    w = np.array([[1.0], [0.0], [2.0], [1.0]])
    got = _run(tf.losses.cosine_distance(a, b, axis=1, weights=w))
    per = 1 - (a * b).sum(1, keepdims=True)
    np.testing.assert_allclose(got, (per * w).sum() / 3, rtol=1e-5)
    none = _run(tf.losses.cosine_distance(a, b, dim=1, reduction=R.NONE))
    assert none.shape == (4, 1)


def _softmax_xent(onehot, logits):
    return -(onehot * _log_softmax(logits)).sum(-1)


def test_softmax_cross_entropy_with_label_smoothing_and_weights():
    logits = RNG.normal(size=(5, 4))
    labels = np.eye(4)[[0, 3, 1, 1, 2]]
    w = np.array([1.0, 0.0, 2.0, 1.0, 1.0])
    got = _run(tf.losses.softmax_cross_entropy(labels, logits, weights=w, label_smoothing=0.2))
    smooth = labels * 0.8 + 0.2 / 4
    np.testing.assert_allclose(got, (_softmax_xent(smooth, logits) * w).sum() / 4, rtol=1e-5)


def test_sigmoid_cross_entropy_label_smoothing():
    logits = PRED * 4 - 2
    got = _run(tf.losses.sigmoid_cross_entropy(BIN, logits, label_smoothing=0.1))
    z = BIN * 0.9 + 0.05
    per = -z * np.log(_sigmoid(logits)) - (1 - z) * np.log(1 - _sigmoid(logits))
    np.testing.assert_allclose(got, per.mean(), rtol=1e-5)


def test_sparse_softmax_cross_entropy_squeezes_labels_and_weights():
    logits = RNG.normal(size=(5, 4))
    ids = np.array([0, 3, 1, 1, 2])
    w = np.array([1.0, 0.0, 2.0, 1.0, 1.0])
    per = -_log_softmax(logits)[np.arange(5), ids]
    want = (per * w).sum() / 4
    a = tf.losses.sparse_softmax_cross_entropy(ids, logits, weights=w)
    b = tf.losses.sparse_softmax_cross_entropy(ids[:, None], logits, weights=w[:, None])
    np.testing.assert_allclose(_run([a, b]), [want, want], rtol=1e-5)
    assert a.name.startswith("sparse_softmax_cross_entropy_loss/")


def _mpse(labels, preds, w):
    out = 0.0
    w = np.broadcast_to(np.asarray(w, float), labels.shape)
    for i in range(labels.shape[0]):
        d = (preds[i] - labels[i]).ravel()
        n = np.count_nonzero(w[i])
        if n <= 1:
            continue
        pairs = [(d[j] - d[k]) ** 2 for j in range(d.size) for k in range(d.size) if j != k]
        out += np.sum(pairs) / (n * (n - 1)) * w[i].ravel()[0]
    return out


def test_mean_pairwise_squared_error_is_the_mean_over_pairs():
    w = np.array([[1.0], [2.0], [0.0], [1.0]])
    got = _run([tf.losses.mean_pairwise_squared_error(LAB, PRED),
                tf.losses.mean_pairwise_squared_error(LAB, PRED, weights=w)])
    np.testing.assert_allclose(got, [_mpse(LAB, PRED, 1.0), _mpse(LAB, PRED, w)], rtol=1e-5)
    with pytest.raises(ValueError, match="weights can not be broadcast"):
        tf.losses.mean_pairwise_squared_error(LAB, PRED, weights=np.ones(4))


def test_collections_total_loss_and_regularization():
    assert _run(tf.losses.get_regularization_loss()) == 0.0
    with pytest.raises(ValueError, match="at least one Tensor"):
        tf.losses.get_total_loss()
    a = tf.losses.mean_squared_error([1.0], [3.0])
    tf.losses.absolute_difference([1.0], [3.0], loss_collection=None)
    tf.losses.add_loss(tf.constant(10.0))
    with tf.variable_scope("net"):
        v = tf.get_variable("w", initializer=tf.constant([3.0]),
                            regularizer=lambda t: tf.reduce_sum(t * t))
    assert tf.losses.get_losses()[0] is a and len(tf.losses.get_losses()) == 2
    assert len(tf.losses.get_regularization_losses()) == 1
    assert tf.losses.get_regularization_losses(scope="other") == []
    total = tf.losses.get_total_loss()
    data_only = tf.losses.get_total_loss(add_regularization_losses=False)
    reg = tf.losses.get_regularization_loss()
    assert total.name == "total_loss:0" and reg.name == "total_regularization_loss:0"
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run([total, data_only, reg]), [23.0, 14.0, 9.0])


def test_gradients_flow_to_logits_and_predictions_not_smoothed_labels():
    logits = tf.constant(RNG.normal(size=(3, 4)))
    labels = tf.constant(np.eye(4)[[0, 1, 2]])
    loss = tf.losses.softmax_cross_entropy(labels, logits, label_smoothing=0.1)
    g_logits, g_labels = tf.gradients(loss, [logits, labels])
    assert g_labels is None
    x = RNG.normal(size=(3, 4))
    z = np.eye(4)[[0, 1, 2]] * 0.9 + 0.1 / 4
    p = np.exp(_log_softmax(x))
    with tf.Session() as sess:
        got = sess.run(g_logits, {logits: x})
    np.testing.assert_allclose(got, (p - z) / 3, rtol=1e-4, atol=1e-6)
