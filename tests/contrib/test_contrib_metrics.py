"""tf.contrib.metrics (slim.metrics): streaming metrics (predictions first) against numpy
over several batches, streaming_concat, aggregate_metric_map."""

import numpy as np

import flowexec as tf
import flowexec.contrib.slim as slim

M = tf.contrib.metrics
RNG = np.random.RandomState(1)


def _stream(value, update, feeds):
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        for feed in feeds:
            sess.run(update, feed)
        return sess.run(value)


def test_slim_metrics_is_contrib_metrics():
    assert slim.metrics is M


def test_streaming_accuracy_and_mean_over_batches():
    p = tf.placeholder(tf.int64, [None])
    y = tf.placeholder(tf.int64, [None])
    acc, upd = M.streaming_accuracy(p, y)
    batches = [(RNG.randint(0, 3, 7), RNG.randint(0, 3, 7)) for _ in range(4)]
    got = _stream(acc, upd, [{p: a, y: b} for a, b in batches])
    allp = np.concatenate([a for a, _ in batches])
    ally = np.concatenate([b for _, b in batches])
    np.testing.assert_allclose(got, (allp == ally).mean(), rtol=1e-6)
    v = tf.placeholder(tf.float32, [None])
    mean, mupd = M.streaming_mean(v)
    xs = [RNG.rand(5), RNG.rand(3)]
    np.testing.assert_allclose(_stream(mean, mupd, [{v: x} for x in xs]),
                               np.concatenate(xs).mean(), rtol=1e-6)


def test_precision_recall_argument_order():
    pred = np.array([1, 1, 0, 0, 1], bool)
    lab = np.array([1, 0, 0, 1, 1], bool)
    prec, pu = M.streaming_precision(pred, lab)
    rec, ru = M.streaming_recall(pred, lab)
    tp, tpu = M.streaming_true_positives(pred, lab)
    fp, fpu = M.streaming_false_positives(pred, lab)
    fn, fnu = M.streaming_false_negatives(pred, lab)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([pu, ru, tpu, fpu, fnu])
        got = sess.run([prec, rec, tp, fp, fn])
    np.testing.assert_allclose(got, [2 / 3, 2 / 3, 2, 1, 1], rtol=1e-6)
    # Asymmetric case: swapping the arguments would change precision.
    prec2, pu2 = M.streaming_precision([True, True, True, False], [True, False, False, False])
    np.testing.assert_allclose(_stream(prec2, pu2, [None]), 1 / 3, rtol=1e-6)


def test_regression_metrics_and_mean_iou():
    p = RNG.rand(6).astype(np.float32)
    t = RNG.rand(6).astype(np.float32)
    mae, u1 = M.streaming_mean_absolute_error(p, t)
    mse, u2 = M.streaming_mean_squared_error(p, t)
    rmse, u3 = M.streaming_root_mean_squared_error(p, t)
    rel, u4 = M.streaming_mean_relative_error(p, t, t)
    less, u5 = M.streaming_percentage_less(p, 0.5)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([u1, u2, u3, u4, u5])
        got = sess.run([mae, mse, rmse, rel, less])
    d = p - t
    np.testing.assert_allclose(got, [np.abs(d).mean(), (d ** 2).mean(),
                                     np.sqrt((d ** 2).mean()), (np.abs(d) / t).mean(),
                                     (p < 0.5).mean()], rtol=1e-5)
    pred = np.array([0, 1, 1, 2, 2, 2])
    lab = np.array([0, 1, 2, 2, 2, 0])
    miou, mu = M.streaming_mean_iou(pred, lab, 3)
    cm = np.zeros((3, 3))
    for a, b in zip(lab, pred):
        cm[a, b] += 1
    iou = np.diag(cm) / (cm.sum(0) + cm.sum(1) - np.diag(cm))
    np.testing.assert_allclose(_stream(miou, mu, [None]), iou.mean(), rtol=1e-5)


def test_auc_equals_core():
    scores = RNG.rand(40).astype(np.float32)
    labels = RNG.rand(40) > 0.5
    ours, u1 = M.streaming_auc(scores, labels)
    core, u2 = tf.metrics.auc(labels, scores)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([u1, u2])
        a, b = sess.run([ours, core])
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert 0.0 < a < 1.0


def test_recall_at_k_in_top_k():
    logits = RNG.standard_normal((8, 5)).astype(np.float32)
    labels = RNG.randint(0, 5, 8)
    r, u = M.streaming_recall_at_k(logits, labels, 2)
    top2 = np.argsort(-logits, axis=1)[:, :2]
    expected = np.mean([labels[i] in top2[i] for i in range(8)])
    np.testing.assert_allclose(_stream(r, u, [None]), expected, rtol=1e-6)
    sr, su = M.streaming_sparse_recall_at_k(logits, labels.reshape(-1, 1).astype(np.int64), 2)
    np.testing.assert_allclose(_stream(sr, su, [None]), expected, rtol=1e-6)


def test_streaming_concat_and_max_size():
    x = tf.placeholder(tf.float32, [None, 2])
    v, u = M.streaming_concat(x)
    vm, um = M.streaming_concat(x, max_size=4, name="capped")
    a, b = RNG.rand(3, 2), RNG.rand(2, 2)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        for batch in (a, b):
            sess.run([u, um], {x: batch})
        got, capped = sess.run([v, vm])
    np.testing.assert_allclose(got, np.concatenate([a, b]), rtol=1e-6)
    np.testing.assert_allclose(capped, np.concatenate([a, b])[:4], rtol=1e-6)


def test_aggregate_metric_map_and_metrics():
    p = tf.constant([1, 2, 3])
    y = tf.constant([1, 2, 0])
    values, updates = M.aggregate_metric_map({
        "acc": M.streaming_accuracy(p, y),
        "mae": M.streaming_mean_absolute_error(tf.cast(p, tf.float32),
                                               tf.cast(y, tf.float32))})
    assert set(values) == set(updates) == {"acc", "mae"}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(list(updates.values()))
        got = sess.run(values)
    np.testing.assert_allclose([got["acc"], got["mae"]], [2 / 3, 1.0], rtol=1e-6)
    vals, ups = M.aggregate_metrics(M.streaming_mean([1.0, 3.0]), M.streaming_mean([5.0]))
    np.testing.assert_allclose(_stream(vals, ups, [None]), [2.0, 5.0])
    np.testing.assert_allclose(_run_plain(M.accuracy(p, y)), 2 / 3, rtol=1e-6)


def _run_plain(t):
    with tf.Session() as sess:
        return sess.run(t)
