"""tf.metrics vs numpy/sklearn over several streamed batches: local variables, update ops,
collections, weights, thresholds, TF's AUC sum, mean IoU, top-k precision/recall."""

import numpy as np
import pytest

import flowexec as tf

sklearn_metrics = pytest.importorskip("sklearn.metrics")

M = tf.metrics
RNG = np.random.default_rng(7)
N, BATCHES = 30, 3
LABELS = [(RNG.random(N) > 0.4).astype(np.int64) for _ in range(BATCHES)]
SCORES = [np.clip(RNG.random(N) * 0.6 + 0.4 * l, 0, 1).astype(np.float32) for l in LABELS]
WEIGHTS = [RNG.choice([0.0, 1.0, 2.5], N).astype(np.float32) for _ in range(BATCHES)]
ALL_L, ALL_S, ALL_W = (np.concatenate(x) for x in (LABELS, SCORES, WEIGHTS))


def _stream(build, weighted=False):
    """Runs build(labels, scores, weights) over the batches; (updates, final value)."""
    lab = tf.placeholder(tf.int64, [N])
    score = tf.placeholder(tf.float32, [N])
    w = tf.placeholder(tf.float32, [N])
    value, update = build(lab, score, w if weighted else None)
    updates = []
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        for b in range(BATCHES):
            updates.append(sess.run(update, {lab: LABELS[b], score: SCORES[b], w: WEIGHTS[b]}))
        return updates, sess.run(value)


def test_mean_and_accuracy_stream_over_batches():
    ups, val = _stream(lambda l, s, w: M.mean(s, w), weighted=True)
    want = [np.average(np.concatenate(SCORES[:b + 1]), weights=np.concatenate(WEIGHTS[:b + 1]))
            for b in range(BATCHES)]
    np.testing.assert_allclose(ups, want, rtol=1e-5)
    np.testing.assert_allclose(val, want[-1], rtol=1e-5)
    _, acc = _stream(lambda l, s, w: M.accuracy(l, tf.cast(s > 0.5, tf.int64), weights=w),
                     weighted=True)
    np.testing.assert_allclose(acc, sklearn_metrics.accuracy_score(
        ALL_L, ALL_S > 0.5, sample_weight=ALL_W), rtol=1e-5)


def test_precision_recall_and_counts_match_sklearn():
    pred = ALL_S > 0.5
    for fn, sk in ((M.precision, sklearn_metrics.precision_score),
                   (M.recall, sklearn_metrics.recall_score)):
        _, got = _stream(lambda l, s, w, fn=fn: fn(l, s > 0.5, weights=w), weighted=True)
        np.testing.assert_allclose(got, sk(ALL_L, pred, sample_weight=ALL_W), rtol=1e-5)
    cm = sklearn_metrics.confusion_matrix(ALL_L, pred, sample_weight=ALL_W)
    for fn, want in ((M.true_negatives, cm[0, 0]), (M.false_positives, cm[0, 1]),
                     (M.false_negatives, cm[1, 0]), (M.true_positives, cm[1, 1])):
        _, got = _stream(lambda l, s, w, fn=fn: fn(l, s > 0.5, weights=w), weighted=True)
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_precision_is_zero_without_positive_predictions():
    _, update = M.precision([1, 0], [False, False])
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(update) == 0.0


def _counts_at(thresholds, w=None):
    w = np.ones_like(ALL_S) if w is None else w
    pos = ALL_S[None, :] > np.asarray(thresholds, np.float32)[:, None]
    lab = ALL_L[None, :].astype(bool)
    return {"tp": ((pos & lab) * w).sum(1), "fp": ((pos & ~lab) * w).sum(1),
            "fn": ((~pos & lab) * w).sum(1), "tn": ((~pos & ~lab) * w).sum(1)}


def test_at_thresholds_match_numpy():
    th = [0.1, 0.45, 0.8]
    c = _counts_at(th, ALL_W)
    for fn, key in ((M.true_positives_at_thresholds, "tp"),
                    (M.false_positives_at_thresholds, "fp"),
                    (M.true_negatives_at_thresholds, "tn"),
                    (M.false_negatives_at_thresholds, "fn")):
        _, got = _stream(lambda l, s, w, fn=fn: fn(l, s, th, weights=w), weighted=True)
        np.testing.assert_allclose(got, c[key], rtol=1e-5)
    _, prec = _stream(lambda l, s, w: M.precision_at_thresholds(l, s, th, weights=w), True)
    _, rec = _stream(lambda l, s, w: M.recall_at_thresholds(l, s, th, weights=w), True)
    np.testing.assert_allclose(prec, c["tp"] / (1e-7 + c["tp"] + c["fp"]), rtol=1e-5)
    np.testing.assert_allclose(rec, c["tp"] / (1e-7 + c["tp"] + c["fn"]), rtol=1e-5)


def _auc_ref(num_thresholds, curve="ROC", method="trapezoidal", w=None):
    th = ([-1e-7] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
          + [1 + 1e-7])
    c = _counts_at(th, w)
    eps = 1e-6
    rec = (c["tp"] + eps) / (c["tp"] + c["fn"] + eps)
    if curve == "ROC":
        x, y = c["fp"] / (c["fp"] + c["tn"] + eps), rec
    else:
        x, y = rec, (c["tp"] + eps) / (c["tp"] + c["fp"] + eps)
    h = {"trapezoidal": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
         "majoring": np.maximum(y[:-1], y[1:])}[method]
    return np.sum((x[:-1] - x[1:]) * h)


@pytest.mark.parametrize("curve, method, nt", [("ROC", "trapezoidal", 200),
                                                ("ROC", "minoring", 50),
                                                ("PR", "majoring", 100),
                                                ("PR", "trapezoidal", 200)])
def test_auc_is_tfs_riemann_sum(curve, method, nt):
    _, got = _stream(lambda l, s, w: M.auc(l, s, weights=w, num_thresholds=nt, curve=curve,
                                           summation_method=method), weighted=True)
    np.testing.assert_allclose(got, _auc_ref(nt, curve, method, ALL_W), rtol=1e-4)


def test_roc_auc_approximates_sklearn():
    _, got = _stream(lambda l, s, w: M.auc(l, s, num_thresholds=1000))
    assert abs(got - sklearn_metrics.roc_auc_score(ALL_L, ALL_S)) < 5e-3


def test_pr_auc_careful_interpolation_is_close_to_average_precision():
    _, got = _stream(lambda l, s, w: M.auc(l, s, curve="PR", num_thresholds=500,
                                           summation_method="careful_interpolation"))
    assert abs(got - sklearn_metrics.average_precision_score(ALL_L, ALL_S)) < 0.03


def test_sensitivity_and_specificity_at_each_other():
    nt = 200
    th = [-1e-7] + [(i + 1) / (nt - 1) for i in range(nt - 2)] + [1 + 1e-7]
    c = _counts_at(th)
    spec = c["tn"] / (c["tn"] + c["fp"] + 1e-7)
    i = np.argmin(np.abs(spec - 0.7))
    _, got = _stream(lambda l, s, w: M.sensitivity_at_specificity(l, s, 0.7))
    np.testing.assert_allclose(got, c["tp"][i] / (c["tp"][i] + c["fn"][i] + 1e-7), rtol=1e-5)
    sens = c["tp"] / (c["tp"] + c["fn"] + 1e-7)
    d = np.abs(sens - 0.6)
    j = np.flatnonzero(d == d.min())[-1]
    _, got = _stream(lambda l, s, w: M.specificity_at_sensitivity(l, s, 0.6))
    np.testing.assert_allclose(got, c["tn"][j] / (c["tn"][j] + c["fp"][j] + 1e-7), rtol=1e-5)


def test_error_metrics():
    lab = ALL_L.astype(np.float64)
    for fn, want in ((M.mean_absolute_error, np.average(np.abs(ALL_S - lab), weights=ALL_W)),
                     (M.mean_squared_error, np.average((ALL_S - lab) ** 2, weights=ALL_W)),
                     (M.root_mean_squared_error,
                      np.sqrt(np.average((ALL_S - lab) ** 2, weights=ALL_W)))):
        _, got = _stream(lambda l, s, w, fn=fn: fn(tf.cast(l, tf.float32), s, weights=w), True)
        np.testing.assert_allclose(got, want, rtol=1e-5)
    _, got = _stream(lambda l, s, w: M.percentage_below(s, 0.3))
    np.testing.assert_allclose(got, np.mean(ALL_S < 0.3), rtol=1e-6)


def test_mean_iou_and_confusion_matrix():
    rng = np.random.default_rng(3)
    lab = rng.integers(0, 3, 40)
    pred = np.where(rng.random(40) < 0.6, lab, rng.integers(0, 3, 40))
    value, update = M.mean_iou(lab, pred, num_classes=4)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        cm = sess.run(update)
        got = sess.run(value)
    want_cm = sklearn_metrics.confusion_matrix(lab, pred, labels=[0, 1, 2, 3])
    np.testing.assert_array_equal(cm, want_cm)
    iou = [want_cm[k, k] / (want_cm[k].sum() + want_cm[:, k].sum() - want_cm[k, k])
           for k in range(3)]  # class 3 never appears: left out of the mean
    np.testing.assert_allclose(got, np.mean(iou), rtol=1e-5)


def _top_k_ref(labels, scores, k, class_id=None):
    tp = fn = fp = 0
    for lab, s in zip(labels, scores):
        top = set(np.argsort(-s, kind="stable")[:k].tolist())
        lab = set(np.atleast_1d(lab).tolist())
        if class_id is not None:
            lab, top = lab & {class_id}, top & {class_id}
        tp += len(top & lab)
        fn += len(lab - top)
        fp += len(top - lab)
    return tp / (tp + fn), tp / (tp + fp)


@pytest.mark.parametrize("k, class_id", [(1, None), (2, None), (3, 2)])
def test_recall_and_precision_at_k(k, class_id):
    rng = np.random.default_rng(k)
    scores = rng.random((12, 5)).astype(np.float32)
    labels = rng.integers(-1, 5, (12, 2))
    r, ru = M.recall_at_k(labels, scores, k, class_id=class_id)
    p, pu = M.precision_at_k(labels, scores, k, class_id=class_id)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([ru, pu])
        got = sess.run([r, p])
    np.testing.assert_allclose(got, _top_k_ref(labels, scores, k, class_id))
    assert r.dtype == tf.float64 and r.name.startswith("recall_at_")


def test_local_variables_collections_and_reset():
    value, update = M.mean([1.0, 3.0], metrics_collections=["m"], updates_collections=["u"])
    assert tf.get_collection("m") == [value] and tf.get_collection("u") == [update]
    local = tf.local_variables()
    assert {v.name for v in local} == {"mean/total:0", "mean/count:0"}
    assert tf.get_collection(tf.GraphKeys.METRIC_VARIABLES) == local
    assert tf.trainable_variables() == [] and tf.global_variables() == []
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run(update)
        sess.run(update)
        assert sess.run(value) == 2.0
        sess.run(tf.local_variables_initializer())
        assert sess.run(value) == 0.0


def test_invalid_arguments():
    with pytest.raises(ValueError, match="curve must be either ROC or PR, XY unknown"):
        M.auc([1], [0.5], curve="XY")
    with pytest.raises(ValueError, match="Invalid summation_method"):
        M.auc([1], [0.5], summation_method="simpson")
    _, update = M.auc([1, 0], [0.5, 1.5])
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"predictions must be in"):
            sess.run(update)
