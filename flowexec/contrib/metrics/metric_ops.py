"""TF 1.15's `tf.contrib.metrics` (contrib/metrics/python/ops/metric_ops.py), the metrics
`slim.metrics` is: the `streaming_*` names over `tf.metrics`, with contrib's argument order
(predictions before labels), plus `streaming_concat`, `aggregate_metrics`,
`aggregate_metric_map` and the non-streaming `accuracy`.

Each streaming metric returns `(value, update_op)` with its accumulators in LOCAL_VARIABLES
(reset by `tf.local_variables_initializer()`), as in `tf.metrics`.

`_COMMON` below documents the arguments every metric shares:
"""

from flowexec import metrics as core
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys, name_scope
from flowexec.metrics import metric_variables
from flowexec.ops import array_ops, math_ops, nn_ops
from flowexec.ops.state_ops import assign
from flowexec.variables import Variable

_COMMON = """
    Args (shared):
        weights: optional weights broadcastable to the values (None: 1).
        metrics_collections: collections to add the value to.
        updates_collections: collections to add the update op to.
        name: the variable scope name.

    Returns:
        `(value, update_op)`: the metric over every batch seen, and the op adding a batch.
"""

__all__ = ["accuracy", "aggregate_metric_map", "aggregate_metrics", "streaming_accuracy",
           "streaming_auc", "streaming_concat", "streaming_false_negatives",
           "streaming_false_positives", "streaming_mean", "streaming_mean_absolute_error",
           "streaming_mean_cosine_distance", "streaming_mean_iou",
           "streaming_mean_relative_error", "streaming_mean_squared_error",
           "streaming_mean_tensor", "streaming_percentage_less", "streaming_precision",
           "streaming_precision_at_thresholds", "streaming_recall",
           "streaming_recall_at_k", "streaming_recall_at_thresholds",
           "streaming_root_mean_squared_error", "streaming_sensitivity_at_specificity",
           "streaming_sparse_average_precision_at_k", "streaming_sparse_precision_at_k",
           "streaming_sparse_precision_at_top_k", "streaming_sparse_recall_at_k",
           "streaming_specificity_at_sensitivity", "streaming_true_negatives",
           "streaming_true_positives"]


def _doc(text):
    def deco(fn):
        fn.__doc__ = text + _COMMON
        return fn
    return deco


@_doc("""The streaming mean of `values` (`tf.metrics.mean`).

    Example:
        >>> mean, update = slim.metrics.streaming_mean(loss)""")
def streaming_mean(values, weights=None, metrics_collections=None, updates_collections=None,
                   name=None):
    return core.mean(values, weights, metrics_collections, updates_collections, name)


@_doc("""The element-wise streaming mean of `values` (`tf.metrics.mean_tensor`).

    Example:
        >>> mean, update = slim.metrics.streaming_mean_tensor(per_class_scores)""")
def streaming_mean_tensor(values, weights=None, metrics_collections=None,
                          updates_collections=None, name=None):
    return core.mean_tensor(values, weights, metrics_collections, updates_collections, name)


@_doc("""The fraction of `predictions` equal to `labels` (`tf.metrics.accuracy`).

    Example:
        >>> acc, update = slim.metrics.streaming_accuracy(tf.argmax(logits, 1), labels)""")
def streaming_accuracy(predictions, labels, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):
    return core.accuracy(labels, predictions, weights, metrics_collections,
                         updates_collections, name)


@_doc("""Streaming precision of boolean `predictions` against `labels`.

    Example:
        >>> prec, update = slim.metrics.streaming_precision(preds, labels)""")
def streaming_precision(predictions, labels, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    return core.precision(labels, predictions, weights, metrics_collections,
                          updates_collections, name)


@_doc("""Streaming recall of boolean `predictions` against `labels`.

    Example:
        >>> rec, update = slim.metrics.streaming_recall(preds, labels)""")
def streaming_recall(predictions, labels, weights=None, metrics_collections=None,
                     updates_collections=None, name=None):
    return core.recall(labels, predictions, weights, metrics_collections,
                       updates_collections, name)


def _counter(core_fn, label):
    def metric(predictions, labels, weights=None, metrics_collections=None,
               updates_collections=None, name=None):
        return core_fn(labels, predictions, weights, metrics_collections,
                       updates_collections, name)
    metric.__name__ = "streaming_" + core_fn.__name__
    metric.__qualname__ = metric.__name__
    metric.__doc__ = ("The streaming count of %s of boolean `predictions` against `labels`.\n"
                      "\n    Example:\n        >>> n, update = slim.metrics.%s(preds, labels)"
                      % (label, metric.__name__)) + _COMMON
    return metric


streaming_true_positives = _counter(core.true_positives, "true positives")
streaming_false_positives = _counter(core.false_positives, "false positives")
streaming_true_negatives = _counter(core.true_negatives, "true negatives")
streaming_false_negatives = _counter(core.false_negatives, "false negatives")


@_doc("""The streaming area under the ROC (`curve="ROC"`) or PR (`"PR"`) curve of
    probabilities `predictions` for boolean `labels`, over `num_thresholds` thresholds.

    Example:
        >>> auc, update = slim.metrics.streaming_auc(tf.sigmoid(logits), labels)""")
def streaming_auc(predictions, labels, weights=None, num_thresholds=200,
                  metrics_collections=None, updates_collections=None, curve="ROC", name=None,
                  summation_method="trapezoidal"):
    return core.auc(labels, predictions, weights, num_thresholds, metrics_collections,
                    updates_collections, curve, name, summation_method)


@_doc("""The specificity at the threshold where sensitivity reaches `sensitivity`.

    Example:
        >>> spec, update = slim.metrics.streaming_specificity_at_sensitivity(p, l, 0.9)""")
def streaming_specificity_at_sensitivity(predictions, labels, sensitivity, weights=None,
                                         num_thresholds=200, metrics_collections=None,
                                         updates_collections=None, name=None):
    return core.specificity_at_sensitivity(labels, predictions, sensitivity, weights,
                                           num_thresholds, metrics_collections,
                                           updates_collections, name)


@_doc("""The sensitivity at the threshold where specificity reaches `specificity`.

    Example:
        >>> sens, update = slim.metrics.streaming_sensitivity_at_specificity(p, l, 0.9)""")
def streaming_sensitivity_at_specificity(predictions, labels, specificity, weights=None,
                                         num_thresholds=200, metrics_collections=None,
                                         updates_collections=None, name=None):
    return core.sensitivity_at_specificity(labels, predictions, specificity, weights,
                                           num_thresholds, metrics_collections,
                                           updates_collections, name)


@_doc("""Precision of `predictions > t` for each threshold t in `thresholds`.

    Example:
        >>> p, update = slim.metrics.streaming_precision_at_thresholds(probs, l, [0.5])""")
def streaming_precision_at_thresholds(predictions, labels, thresholds, weights=None,
                                      metrics_collections=None, updates_collections=None,
                                      name=None):
    return core.precision_at_thresholds(labels, predictions, thresholds, weights,
                                        metrics_collections, updates_collections, name)


@_doc("""Recall of `predictions > t` for each threshold t in `thresholds`.

    Example:
        >>> r, update = slim.metrics.streaming_recall_at_thresholds(probs, l, [0.5])""")
def streaming_recall_at_thresholds(predictions, labels, thresholds, weights=None,
                                   metrics_collections=None, updates_collections=None,
                                   name=None):
    return core.recall_at_thresholds(labels, predictions, thresholds, weights,
                                     metrics_collections, updates_collections, name)


@_doc("""The fraction of rows whose class id `labels` ([batch] ints) is among the top `k`
    of `predictions` ([batch, classes]): the streaming mean of `tf.nn.in_top_k`
    (variable scope "recall_at_<k>").

    Example:
        >>> r5, update = slim.metrics.streaming_recall_at_k(logits, labels, 5)""")
def streaming_recall_at_k(predictions, labels, k, weights=None, metrics_collections=None,
                          updates_collections=None, name=None):
    hits = math_ops.cast(nn_ops.in_top_k(predictions, labels, k), dtypes.float32)
    return streaming_mean(hits, weights=weights, metrics_collections=metrics_collections,
                          updates_collections=updates_collections,
                          name=name or "recall_at_%d" % k)


@_doc("""Streaming recall@k of `predictions` ([batch, classes] logits) against the label
    ids `labels` (`tf.metrics.recall_at_k`).

    Example:
        >>> r, update = slim.metrics.streaming_sparse_recall_at_k(logits, label_ids, 5)""")
def streaming_sparse_recall_at_k(predictions, labels, k, class_id=None, weights=None,
                                 metrics_collections=None, updates_collections=None,
                                 name=None):
    return core.recall_at_k(labels, predictions, k, class_id, weights, metrics_collections,
                            updates_collections, name)


@_doc("""Streaming precision@k (`tf.metrics.precision_at_k`).

    Example:
        >>> p, update = slim.metrics.streaming_sparse_precision_at_k(logits, label_ids, 5)""")
def streaming_sparse_precision_at_k(predictions, labels, k, class_id=None, weights=None,
                                    metrics_collections=None, updates_collections=None,
                                    name=None):
    return core.precision_at_k(labels, predictions, k, class_id, weights,
                               metrics_collections, updates_collections, name)


@_doc("""Streaming precision of given top-k class ids (`tf.metrics.precision_at_top_k`).

    Example:
        >>> _, idx = tf.nn.top_k(logits, 5)
        >>> p, update = slim.metrics.streaming_sparse_precision_at_top_k(idx, label_ids)""")
def streaming_sparse_precision_at_top_k(top_k_predictions, labels, class_id=None,
                                        weights=None, metrics_collections=None,
                                        updates_collections=None, name=None):
    return core.precision_at_top_k(labels, top_k_predictions, None, class_id, weights,
                                   metrics_collections, updates_collections, name)


@_doc("""Streaming mean average precision@k (`tf.metrics.sparse_average_precision_at_k`).

    Example:
        >>> ap, update = slim.metrics.streaming_sparse_average_precision_at_k(p, ids, 3)""")
def streaming_sparse_average_precision_at_k(predictions, labels, k, weights=None,
                                            metrics_collections=None,
                                            updates_collections=None, name=None):
    return core.sparse_average_precision_at_k(labels, predictions, k, weights,
                                              metrics_collections, updates_collections, name)


@_doc("""The streaming mean of `|predictions - labels|`.

    Example:
        >>> mae, update = slim.metrics.streaming_mean_absolute_error(pred, target)""")
def streaming_mean_absolute_error(predictions, labels, weights=None, metrics_collections=None,
                                  updates_collections=None, name=None):
    return core.mean_absolute_error(labels, predictions, weights, metrics_collections,
                                    updates_collections, name)


@_doc("""The streaming mean of `|predictions - labels| / normalizer`.

    Example:
        >>> mre, update = slim.metrics.streaming_mean_relative_error(p, t, t)""")
def streaming_mean_relative_error(predictions, labels, normalizer, weights=None,
                                  metrics_collections=None, updates_collections=None,
                                  name=None):
    return core.mean_relative_error(labels, predictions, normalizer, weights,
                                    metrics_collections, updates_collections, name)


@_doc("""The streaming mean of `(predictions - labels)**2`.

    Example:
        >>> mse, update = slim.metrics.streaming_mean_squared_error(pred, target)""")
def streaming_mean_squared_error(predictions, labels, weights=None, metrics_collections=None,
                                 updates_collections=None, name=None):
    return core.mean_squared_error(labels, predictions, weights, metrics_collections,
                                   updates_collections, name)


@_doc("""The square root of the streaming mean squared error.

    Example:
        >>> rmse, update = slim.metrics.streaming_root_mean_squared_error(pred, target)""")
def streaming_root_mean_squared_error(predictions, labels, weights=None,
                                      metrics_collections=None, updates_collections=None,
                                      name=None):
    return core.root_mean_squared_error(labels, predictions, weights, metrics_collections,
                                        updates_collections, name)


@_doc("""The streaming mean of `1 - sum(predictions * labels, dim)` (unit vectors).

    Example:
        >>> d, update = slim.metrics.streaming_mean_cosine_distance(p, t, dim=1)""")
def streaming_mean_cosine_distance(predictions, labels, dim, weights=None,
                                   metrics_collections=None, updates_collections=None,
                                   name=None):
    return core.mean_cosine_distance(labels, predictions, dim, weights, metrics_collections,
                                     updates_collections, name)


@_doc("""The streaming fraction of `values` below `threshold`.

    Example:
        >>> frac, update = slim.metrics.streaming_percentage_less(errors, 0.1)""")
def streaming_percentage_less(values, threshold, weights=None, metrics_collections=None,
                              updates_collections=None, name=None):
    return core.percentage_below(values, threshold, weights, metrics_collections,
                                 updates_collections, name)


@_doc("""The streaming mean intersection-over-union over `num_classes` classes.

    Example:
        >>> miou, update = slim.metrics.streaming_mean_iou(pred_ids, label_ids, 21)""")
def streaming_mean_iou(predictions, labels, num_classes, weights=None,
                       metrics_collections=None, updates_collections=None, name=None):
    return core.mean_iou(labels, predictions, num_classes, weights, metrics_collections,
                         updates_collections, name)


def streaming_concat(values, axis=0, max_size=None, metrics_collections=None,
                     updates_collections=None, name=None):
    """Concatenates the `values` of every batch along `axis` (the other dimensions must be
    known); with `max_size`, only the first `max_size` entries are kept.

    Args:
        values: a Tensor of known rank and known non-`axis` dimensions.
        axis: the concatenation axis.
        max_size: an optional int bound on the size along `axis`.
        metrics_collections, updates_collections, name: as the other metrics (scope
            "streaming_concat").

    Returns:
        `(value, update_op)`: every value seen so far, and the op appending a batch.

    Raises:
        ValueError: unknown rank, `axis` out of range, or an unknown non-`axis` dimension.

    Example:
        >>> all_preds, update = slim.metrics.streaming_concat(preds)
    """
    from flowexec.variable_scope import variable_scope

    with variable_scope(name, "streaming_concat", [values]):
        values = convert_to_tensor(values)
        shape = values.shape.as_list() if values.shape.ndims is not None else None
        if shape is None:
            raise ValueError("`values` must have known statically known rank")
        if axis < 0:
            axis += len(shape)
        if not 0 <= axis < len(shape):
            raise ValueError("axis = %r not in [0, %r)" % (axis, len(shape)))
        init_shape = list(shape)
        init_shape[axis] = 0
        if any(d is None for d in init_shape):
            raise ValueError("all dimensions of `values` other than the dimension to "
                             "concatenate along must have statically known size")
        array = Variable(lambda: array_ops.zeros(init_shape, values.dtype), trainable=False,
                         collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
                         validate_shape=False, name="array")
        joined = array_ops.concat([array, values], axis)
        if max_size is not None:
            begin = [0] * len(shape)
            size = [-1] * len(shape)
            total = array_ops.shape(joined)[axis]
            size[axis] = math_ops.minimum(total, max_size)
            joined = array_ops.slice(joined, begin, array_ops.stack(size))
        update_op = assign(array, joined, validate_shape=False)
        value = metric_variables.read(array, metrics_collections)
        metric_variables.add_to_collections(updates_collections, update_op)
        return value, update_op


def aggregate_metrics(*value_update_tuples):
    """Splits `(value, update_op)` pairs into a list of values and a list of update ops.

    Args:
        *value_update_tuples: metric results.

    Returns:
        `(values, update_ops)`, two lists.

    Raises:
        ValueError: no tuples.

    Example:
        >>> values, updates = slim.metrics.aggregate_metrics(
        ...     slim.metrics.streaming_accuracy(p, l), slim.metrics.streaming_recall(p, l))
    """
    if not value_update_tuples:
        raise ValueError("Expected at least one value_tensor/update_op pair")
    values, updates = zip(*value_update_tuples)
    return list(values), list(updates)


def aggregate_metric_map(names_to_tuples):
    """Splits a dict of `name -> (value, update_op)` into two dicts keyed by name.

    Args:
        names_to_tuples: a dict of metric results.

    Returns:
        `(names_to_values, names_to_updates)`.

    Example:
        >>> values, updates = slim.metrics.aggregate_metric_map({
        ...     "accuracy": slim.metrics.streaming_accuracy(p, l)})
    """
    names = list(names_to_tuples.keys())
    values, updates = zip(*names_to_tuples.values()) if names else ((), ())
    return dict(zip(names, values)), dict(zip(names, updates))


def accuracy(predictions, labels, weights=None, name=None):
    """The (non-streaming) accuracy of one batch: the (weighted) mean of
    `predictions == labels`.

    Args:
        predictions: a Tensor of any shape.
        labels: a Tensor of the same shape and dtype.
        weights: optional weights of the same shape.
        name: the name scope (default "accuracy").

    Returns:
        A scalar float32 Tensor.

    Raises:
        ValueError: the dtypes or shapes differ.

    Example:
        >>> acc = tf.contrib.metrics.accuracy(tf.argmax(logits, 1), labels)
    """
    with name_scope(name, "accuracy", [predictions, labels, weights]):
        predictions = convert_to_tensor(predictions)
        labels = convert_to_tensor(labels)
        if predictions.dtype != labels.dtype:
            predictions = math_ops.cast(predictions, labels.dtype)
        predictions.shape.assert_is_compatible_with(labels.shape)
        correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
        if weights is None:
            return math_ops.reduce_mean(correct)
        weights = math_ops.cast(convert_to_tensor(weights), dtypes.float32)
        return math_ops.reduce_sum(correct * weights) / math_ops.reduce_sum(
            array_ops.ones_like(correct) * weights)
