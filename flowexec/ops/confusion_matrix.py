"""confusion_matrix: `confusion_matrix` and `remove_squeezable_dimensions` (shared by
tf.losses and tf.metrics).

`confusion_matrix` counts (or sums the weights of) each (label, prediction) pair into an
[num_classes, num_classes] matrix, rows labels and columns predictions, as one
UnsortedSegmentSum over label * num_classes + prediction; labels and predictions are checked
at run time to lie in [0, num_classes) (Assert ops, TF's messages).

TF's labels/predictions often differ by a trailing dimension of size 1 (`[batch, 1]` labels
for `[batch]` predictions); the helper squeezes it when the ranks, known at build time, say
so. With a rank unknown at build time nothing is squeezed (TF decides at run time with a
`cond`): give such tensors a known rank.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.ops import array_ops, check_ops, math_ops
from flowexec.ops.segment_ops import unsorted_segment_sum


def _last_dim_may_be_one(shape):
    last = shape.as_list()[-1]
    return last is None or last == 1


def remove_squeezable_dimensions(labels, predictions, expected_rank_diff=0, name=None):
    """Squeezes a last dimension of size 1 from `labels` or `predictions`.

    Args:
        labels: label values, a Tensor whose rank is usually rank(predictions) -
            expected_rank_diff.
        predictions: predicted values.
        expected_rank_diff: the rank of predictions minus that of labels that needs nothing
            squeezed (1 for sparse labels of logits).
        name: name scope (default "remove_squeezable_dimensions").

    Returns:
        (labels, predictions), one of them squeezed on its last axis when
        rank(predictions) - rank(labels) is expected_rank_diff + 1 (squeeze predictions) or
        expected_rank_diff - 1 (squeeze labels), and that last dimension may be 1.
    """
    with name_scope(name, "remove_squeezable_dimensions", [labels, predictions]):
        predictions = convert_to_tensor(predictions)
        labels = convert_to_tensor(labels)
        p_shape, l_shape = predictions.shape, labels.shape
        if p_shape.ndims is None or l_shape.ndims is None:
            return labels, predictions
        rank_diff = p_shape.ndims - l_shape.ndims
        if rank_diff == expected_rank_diff + 1 and _last_dim_may_be_one(p_shape):
            predictions = array_ops.squeeze(predictions, [-1])
        elif rank_diff == expected_rank_diff - 1 and _last_dim_may_be_one(l_shape):
            labels = array_ops.squeeze(labels, [-1])
        return labels, predictions


def confusion_matrix(labels, predictions, num_classes=None, dtype=dtypes.int32, name=None,
                     weights=None):
    """The confusion matrix of integer `labels` (rows) against `predictions` (columns).

    Args:
        labels: 1-D int Tensor of true classes.
        predictions: 1-D int Tensor of predicted classes, the same length.
        num_classes: the matrix size; default max(labels, predictions) + 1.
        dtype: the output dtype.
        name: name scope (default "confusion_matrix").
        weights: optional per-pair weights (default 1).

    Returns:
        A [num_classes, num_classes] Tensor of `dtype`.

    Raises at run time:
        InvalidArgumentError: negative or out-of-range labels or predictions.

    Example:
        >>> confusion_matrix([1, 2, 0], [1, 0, 0])  # [[1, 0, 0], [0, 1, 0], [1, 0, 0]]
    """
    with name_scope(name, "confusion_matrix", (predictions, labels, num_classes, weights)):
        labels, predictions = remove_squeezable_dimensions(
            math_ops.cast(labels, dtypes.int64), math_ops.cast(predictions, dtypes.int64))
        checks = [check_ops.assert_non_negative(labels,
                                                message="`labels` contains negative values"),
                  check_ops.assert_non_negative(predictions,
                                                message="`predictions` contains negative values")]
        if num_classes is None:
            num_classes = math_ops.maximum(math_ops.reduce_max(predictions),
                                           math_ops.reduce_max(labels)) + 1
        else:
            num_classes = math_ops.cast(convert_to_tensor(num_classes), dtypes.int64)
            checks += [check_ops.assert_less(labels, num_classes,
                                             message="`labels` out of bound"),
                       check_ops.assert_less(predictions, num_classes,
                                             message="`predictions` out of bound")]
        with control_dependencies(checks):
            ids = labels * num_classes + predictions
        if weights is None:
            values = array_ops.ones_like(predictions, dtype=dtype)
        else:
            values = math_ops.cast(convert_to_tensor(weights), dtype)
        flat = unsorted_segment_sum(values, ids, num_classes * num_classes)
        return array_ops.reshape(flat, array_ops.stack([num_classes, num_classes]))


__all__ = ["confusion_matrix", "remove_squeezable_dimensions"]
