"""`tf.metrics`: TF 1.x's streaming metrics with local variables and update ops.

Each metric returns `(value, update_op)`; its accumulators are local variables
(GraphKeys.LOCAL_VARIABLES and METRIC_VARIABLES), reset by `tf.local_variables_initializer()`.

Example:
    >>> import flowexec as tf
    >>> acc, update = tf.metrics.accuracy(labels, predictions)
    >>> sess.run(tf.local_variables_initializer())
    >>> for batch in batches:
    ...     sess.run(update, feed_dict=batch)
    >>> sess.run(acc)
"""

from flowexec.metrics.average_precision import *  # noqa: F401,F403
from flowexec.metrics.class_metrics import mean_per_class_accuracy  # noqa: F401
from flowexec.metrics.confusion_metrics import (
    auc,
    false_negatives,
    false_negatives_at_thresholds,
    false_positives,
    false_positives_at_thresholds,
    mean_iou,
    precision,
    precision_at_thresholds,
    recall,
    recall_at_thresholds,
    sensitivity_at_specificity,
    specificity_at_sensitivity,
    true_negatives,
    true_negatives_at_thresholds,
    true_positives,
    true_positives_at_thresholds,
)
from flowexec.metrics.mean_metrics import (
    accuracy,
    mean,
    mean_absolute_error,
    mean_cosine_distance,
    mean_relative_error,
    mean_squared_error,
    mean_tensor,
    percentage_below,
    root_mean_squared_error,
)
from flowexec.metrics.top_k_metrics import (
    precision_at_k,
    precision_at_top_k,
    recall_at_k,
    recall_at_top_k,
)

__all__ = ["average_precision_at_k", "mean_per_class_accuracy", "sparse_average_precision_at_k",
           "sparse_precision_at_k", "accuracy", "auc", "false_negatives", "false_negatives_at_thresholds",
           "false_positives", "false_positives_at_thresholds", "mean", "mean_absolute_error",
           "mean_cosine_distance", "mean_iou", "mean_relative_error", "mean_squared_error",
           "mean_tensor", "percentage_below", "precision", "precision_at_k",
           "precision_at_thresholds", "precision_at_top_k", "recall", "recall_at_k",
           "recall_at_thresholds", "recall_at_top_k", "root_mean_squared_error", "sensitivity_at_specificity",
           "specificity_at_sensitivity", "true_negatives", "true_negatives_at_thresholds",
           "true_positives", "true_positives_at_thresholds"]
