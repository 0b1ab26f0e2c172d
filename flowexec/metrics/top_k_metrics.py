"""Streaming precision and recall of the top k predicted classes against dense int labels.

`labels` are class ids, [batch, num_labels] (or [batch], one label per row); as in TF, each
row's labels and its top-k ids are sets (a repeated label counts once) and labels outside
[0, num_classes) are never predicted, so they count as false negatives. With `class_id`
only that class counts. The counts are float64 local variables named `true_positive_at_<k>`
(and `false_negative_at_<k>` / `false_positive_at_<k>`, `_class<id>` appended for a
class_id); the value is tp / (tp + fn) (or tp / (tp + fp)), NaN while both are 0, as TF's.
TF's SparseTensor labels are not accepted: pad rows with -1 instead.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.metrics.metric_variables import add_to_collections, metric_variable
from flowexec.ops import array_ops, math_ops
from flowexec.ops.sort_ops import top_k
from flowexec.ops.state_ops import assign_add
from flowexec.ops.weights_broadcast_ops import assert_broadcastable


def _at_k_name(name, k=None, class_id=None):
    if k is not None:
        name = f"{name}_at_{k}"
    if class_id is not None:
        name = f"{name}_class{class_id}"
    return name


def _expand_labels(labels, predictions_idx):
    labels = math_ops.cast(convert_to_tensor(labels), dtypes.int64)
    l_rank, p_rank = labels.shape.ndims, predictions_idx.shape.ndims
    if l_rank is not None and p_rank is not None and l_rank == p_rank - 1:
        labels = array_ops.expand_dims(labels, -1)
    return labels


def _first_occurrences(x):
    """[..., n] bool: True at the first occurrence of each value in its row."""
    n = x.shape.as_list()[-1]
    same = math_ops.equal(array_ops.expand_dims(x, -1), array_ops.expand_dims(x, -2))
    earlier = [[j < i for j in range(n)] for i in range(n)]
    seen = math_ops.reduce_any(math_ops.logical_and(same, earlier), axis=-1)
    return math_ops.logical_not(seen)


def _member(values, of):
    """[..., n] bool: whether each entry of `values` occurs in the same row of `of`."""
    return math_ops.reduce_any(math_ops.equal(array_ops.expand_dims(values, -1),
                                              array_ops.expand_dims(of, -2)), axis=-1)


def _row_counts(labels, predictions_idx, class_id):
    """Per-row float64 (tp, fn, fp) with TF's set semantics."""
    if class_id is not None:
        in_labels = math_ops.reduce_any(math_ops.equal(labels, class_id), axis=-1)
        in_preds = math_ops.reduce_any(math_ops.equal(predictions_idx, class_id), axis=-1)
        tp = math_ops.logical_and(in_labels, in_preds)
        fn = math_ops.logical_and(in_labels, math_ops.logical_not(in_preds))
        fp = math_ops.logical_and(in_preds, math_ops.logical_not(in_labels))
        return [math_ops.cast(c, dtypes.float64) for c in (tp, fn, fp)]

    def count(mask):
        return math_ops.reduce_sum(math_ops.cast(mask, dtypes.float64), axis=-1)

    first_l = _first_occurrences(labels)
    first_p = _first_occurrences(predictions_idx)
    p_in_l = math_ops.logical_and(first_p, _member(predictions_idx, labels))
    l_not_p = math_ops.logical_and(first_l,
                                   math_ops.logical_not(_member(labels, predictions_idx)))
    p_not_l = math_ops.logical_and(first_p, math_ops.logical_not(_member(predictions_idx,
                                                                        labels)))
    return count(p_in_l), count(l_not_p), count(p_not_l)


def _streaming(count, weights, var_name):
    var = metric_variable([], dtypes.float64, name=var_name)
    if weights is not None:
        weights = convert_to_tensor(weights)
        check = assert_broadcastable(weights, count)
        with control_dependencies([check] if check is not None else []):
            count = math_ops.multiply(count, math_ops.cast(weights, dtypes.float64))
    return convert_to_tensor(var), assign_add(var, math_ops.reduce_sum(count))


def _top_k_ratio(kind, labels, predictions_idx, k, class_id, weights, metrics_collections,
                 updates_collections, name):
    with name_scope(name, _at_k_name(kind, k, class_id),
                    (predictions_idx, labels, weights)) as scope:
        predictions_idx = math_ops.cast(convert_to_tensor(predictions_idx), dtypes.int64)
        labels = _expand_labels(labels, predictions_idx)
        tp_row, fn_row, fp_row = _row_counts(labels, predictions_idx, class_id)
        other_row, other_name = ((fn_row, "false_negative") if kind == "recall"
                                 else (fp_row, "false_positive"))
        tp, tp_update = _streaming(tp_row, weights, _at_k_name("true_positive", k, class_id))
        other, other_update = _streaming(other_row, weights,
                                         _at_k_name(other_name, k, class_id))
        value = math_ops.divide(tp, math_ops.add(tp, other), name=scope)
        add_to_collections(metrics_collections, value)
        update_op = math_ops.divide(tp_update, math_ops.add(tp_update, other_update),
                                    name="update")
        add_to_collections(updates_collections, update_op)
        return value, update_op


def recall_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None,
                    metrics_collections=None, updates_collections=None, name=None):
    """Recall of given top-k class ids `predictions_idx` [batch, k] against `labels`.

    Returns:
        (recall, update_op): float64 scalars.
    """
    return _top_k_ratio("recall", labels, predictions_idx, k, class_id, weights,
                        metrics_collections, updates_collections, name)


def precision_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None,
                       metrics_collections=None, updates_collections=None, name=None):
    """Precision of given top-k class ids `predictions_idx` [batch, k] against `labels`.

    Returns:
        (precision, update_op): float64 scalars.
    """
    return _top_k_ratio("precision", labels, predictions_idx, k, class_id, weights,
                        metrics_collections, updates_collections, name)


def recall_at_k(labels, predictions, k, class_id=None, weights=None, metrics_collections=None,
                updates_collections=None, name=None):
    """How many of the labels are among the k highest-scoring classes of `predictions`.

    Args:
        labels: int class ids, [batch, num_labels] or [batch] (see the module docstring).
        predictions: float scores [batch, num_classes].
        k: the number of top classes.
        class_id: count only this class.
        weights: None, or broadcastable to [batch].
        metrics_collections, updates_collections: where value and update op go.
        name: name scope (default "recall_at_<k>").

    Returns:
        (recall, update_op): float64 scalars.

    Example:
        >>> r5, update = tf.metrics.recall_at_k(labels, logits, 5)
    """
    with name_scope(name, _at_k_name("recall", k, class_id),
                    (predictions, labels, weights)) as scope:
        _, idx = top_k(predictions, k)
        return recall_at_top_k(labels, idx, k, class_id, weights, metrics_collections,
                               updates_collections, name=scope)


def precision_at_k(labels, predictions, k, class_id=None, weights=None,
                   metrics_collections=None, updates_collections=None, name=None):
    """How many of the k highest-scoring classes of `predictions` are labels.

    Args and returns as `recall_at_k` (default name "precision_at_<k>").
    """
    with name_scope(name, _at_k_name("precision", k, class_id),
                    (predictions, labels, weights)) as scope:
        _, idx = top_k(predictions, k)
        return precision_at_top_k(labels, idx, k, class_id, weights, metrics_collections,
                                  updates_collections, name=scope)


__all__ = ["precision_at_k", "precision_at_top_k", "recall_at_k", "recall_at_top_k"]
