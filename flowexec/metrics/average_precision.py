"""`tf.metrics.average_precision_at_k`: the streaming mean of each row's average precision of
its k highest-scoring classes, with TF's rules for dense labels (a row's labels are a set;
the number of relevant items is min(number of label columns, k)); and TF 1.x's deprecated
names `sparse_average_precision_at_k` / `sparse_precision_at_k` (the same functions).
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.metrics.metric_variables import add_to_collections, metric_variable
from flowexec.metrics.top_k_metrics import (
    _expand_labels,
    _first_occurrences,
    _member,
    precision_at_k,
)
from flowexec.ops import array_ops, math_ops
from flowexec.ops.division_ops import div_no_nan
from flowexec.ops.sort_ops import top_k
from flowexec.ops.state_ops import assign_add

__all__ = ["average_precision_at_k", "sparse_average_precision_at_k", "sparse_precision_at_k"]


def average_precision_at_k(labels, predictions, k, weights=None, metrics_collections=None,
                           updates_collections=None, name=None):
    """The mean over rows of AP@k: sum over the ranks i <= k whose prediction is a label of
    precision@i, divided by min(label columns, k).

    Args:
        labels: int class ids, [batch] or [batch, num_labels] (pad with -1).
        predictions: [batch, num_classes] scores.
        k: how many top predictions count.
        weights: optional per-row weights.
        metrics_collections, updates_collections: where value and update op go.
        name: name scope (default "average_precision_at_<k>").

    Returns:
        (mean_average_precision, update_op): float64 scalars (0 before any row).

    Raises:
        ValueError: k < 1.

    Example:
        >>> ap, update = tf.metrics.average_precision_at_k([[1]], [[0.1, 0.9, 0.3]], 2)  # 1.0
    """
    if k < 1:
        raise ValueError(f"Invalid k={k}.")
    with name_scope(name, f"average_precision_at_{k}", (predictions, labels, weights)):
        predictions = convert_to_tensor(predictions)
        predictions_idx = math_ops.cast(top_k(predictions, k).indices, dtypes.int64)
        labels = _expand_labels(labels, predictions_idx)
        relevant = math_ops.cast(math_ops.logical_and(_first_occurrences(predictions_idx),
                                                      _member(predictions_idx, labels)),
                                 dtypes.float64)
        tp_per_k = math_ops.cumsum(relevant, axis=-1)
        retrieved = math_ops.cast(array_ops.range(1, k + 1), dtypes.float64)
        precision_sum = math_ops.reduce_sum(tp_per_k / retrieved * relevant, axis=-1)
        num_labels = math_ops.cast(array_ops.shape(labels)[-1], dtypes.float64)
        num_relevant = math_ops.minimum(num_labels, float(k))
        average_precision = precision_sum / num_relevant
        if weights is None:
            batch_max = math_ops.cast(array_ops.size(average_precision), dtypes.float64)
            batch_total = math_ops.reduce_sum(average_precision)
        else:
            w = math_ops.cast(convert_to_tensor(weights), dtypes.float64) * \
                array_ops.ones_like(average_precision)
            batch_max = math_ops.reduce_sum(w)
            batch_total = math_ops.reduce_sum(w * average_precision)
        max_var = metric_variable([], dtypes.float64, name="max")
        total_var = metric_variable([], dtypes.float64, name="total")
        value = div_no_nan(convert_to_tensor(total_var), convert_to_tensor(max_var),
                           name="mean")
        update = div_no_nan(assign_add(total_var, batch_total),
                            assign_add(max_var, batch_max), name="update")
        add_to_collections(metrics_collections, value)
        add_to_collections(updates_collections, update)
        return value, update


def sparse_average_precision_at_k(labels, predictions, k, weights=None,
                                  metrics_collections=None, updates_collections=None,
                                  name=None):
    """TF 1.x's deprecated name of `average_precision_at_k`."""
    return average_precision_at_k(labels, predictions, k, weights, metrics_collections,
                                  updates_collections, name)


def sparse_precision_at_k(labels, predictions, k, class_id=None, weights=None,
                          metrics_collections=None, updates_collections=None, name=None):
    """TF 1.x's deprecated name of `precision_at_k`."""
    return precision_at_k(labels, predictions, k, class_id, weights, metrics_collections,
                          updates_collections, name)
