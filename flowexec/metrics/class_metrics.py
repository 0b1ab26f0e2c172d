"""`tf.metrics.mean_per_class_accuracy`: the mean over classes of each class's accuracy,
streamed in per-class local variables (TF's composition with scatter_add)."""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.metrics.metric_variables import add_to_collections, metric_variable
from flowexec.ops import array_ops, math_ops
from flowexec.ops.division_ops import div_no_nan
from flowexec.ops.scatter_ops import scatter_add
from flowexec.variable_scope import variable_scope

__all__ = ["mean_per_class_accuracy"]


def mean_per_class_accuracy(labels, predictions, num_classes, weights=None,
                            metrics_collections=None, updates_collections=None, name=None):
    """The mean over classes of (correct predictions of the class / examples of the class),
    accumulated over batches; classes never seen count as accuracy 0, as in TF.

    Args:
        labels, predictions: int Tensors of class ids in [0, num_classes) (flattened).
        num_classes: the number of classes.
        weights: optional per-example weights (an example of weight 0 is ignored).
        metrics_collections, updates_collections: where value and update op go.
        name: variable scope (default "mean_accuracy").

    Returns:
        (mean_accuracy, update_op): the float32 mean, and (as TF's update op) the updated
        per-class accuracies, a [num_classes] vector.

    Example:
        >>> acc, update = tf.metrics.mean_per_class_accuracy(labels, predictions, 3)
    """
    with variable_scope(name, "mean_accuracy", (predictions, labels, weights)):
        labels = convert_to_tensor(labels)
        predictions = convert_to_tensor(predictions)
        labels = math_ops.cast(array_ops.reshape(labels, [-1]), dtypes.int64)
        predictions = math_ops.cast(array_ops.reshape(predictions, [-1]), dtypes.int64)
        total = metric_variable([num_classes], dtypes.float32, name="total")
        count = metric_variable([num_classes], dtypes.float32, name="count")
        ones = array_ops.ones_like(labels, dtypes.float32)
        is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
        if weights is not None:
            w = math_ops.cast(array_ops.reshape(convert_to_tensor(weights), [-1]),
                              dtypes.float32) * ones
            ones = ones * w
            is_correct = is_correct * w
        update_total = scatter_add(total, labels, ones)
        update_count = scatter_add(count, labels, is_correct)
        per_class = div_no_nan(convert_to_tensor(count), convert_to_tensor(total))
        value = math_ops.reduce_mean(per_class, name="mean_accuracy")
        update_op = div_no_nan(update_count, update_total, name="update_op")
        add_to_collections(metrics_collections, value)
        add_to_collections(updates_collections, update_op)
        return value, update_op
