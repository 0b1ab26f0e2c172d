"""Streaming means: `mean`, `mean_tensor`, `accuracy` and the error metrics built on `mean`.

Each keeps a running weighted total and count (float32 local variables, see
metric_variables) and reports total / count (0 while the count is 0). Weights broadcast to
the values by TF's rule; a trailing dimension of 1 on labels, predictions or weights is
squeezed as TF does.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies
from flowexec.metrics.metric_variables import add_to_collections, metric_variable
from flowexec.ops import array_ops, math_ops
from flowexec.ops.confusion_matrix import remove_squeezable_dimensions
from flowexec.ops.division_ops import div_no_nan
from flowexec.ops.state_ops import assign_add
from flowexec.ops.weights_broadcast_ops import broadcast_weights
from flowexec.variable_scope import variable_scope


def _remove_squeezable_dimensions(predictions, labels, weights):
    """TF's metric squeeze: labels against predictions, then weights against predictions."""
    predictions = convert_to_tensor(predictions)
    if labels is not None:
        labels, predictions = remove_squeezable_dimensions(labels, predictions)
        predictions.shape.assert_is_compatible_with(labels.shape)
    if weights is None:
        return predictions, labels, None
    weights = convert_to_tensor(weights)
    w_rank, p_rank = weights.shape.ndims, predictions.shape.ndims
    if w_rank == 0 or w_rank is None or p_rank is None:
        return predictions, labels, weights
    if w_rank - p_rank == 1:
        weights = array_ops.squeeze(weights, [-1])
    elif p_rank - w_rank == 1:
        weights = array_ops.expand_dims(weights, -1)
    return predictions, labels, weights


def _streaming_mean(values, weights, metrics_collections, updates_collections, shape,
                    names, reduce):
    """The running weighted mean of `values`: accumulators of `shape` named `names`;
    `reduce` turns one batch's (weighted values, weights) into the accumulators' shape."""
    values = math_ops.cast(convert_to_tensor(values), dtypes.float32)
    total = metric_variable(shape(values), dtypes.float32, name=names[0])
    count = metric_variable(shape(values), dtypes.float32, name=names[1])
    if weights is None:
        weights = array_ops.ones_like(values)
    else:
        values, _, weights = _remove_squeezable_dimensions(values, None, weights)
        weights = broadcast_weights(math_ops.cast(weights, dtypes.float32), values)
        values = math_ops.multiply(values, weights)
    update_total = assign_add(total, reduce(values))
    with control_dependencies([values]):
        update_count = assign_add(count, reduce(weights))
    value = div_no_nan(convert_to_tensor(total), math_ops.maximum(
        convert_to_tensor(count), 0.0), name="value")
    add_to_collections(metrics_collections, value)
    update_op = div_no_nan(update_total, math_ops.maximum(update_count, 0.0),
                           name="update_op")
    add_to_collections(updates_collections, update_op)
    return value, update_op


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of `values` over every batch seen.

    Args:
        values: a Tensor of any shape.
        weights: None, a scalar, or a Tensor broadcastable to `values` (TF's rule).
        metrics_collections: collections the value is added to.
        updates_collections: collections the update op is added to.
        name: variable scope (default "mean").

    Returns:
        (mean, update_op): float32 scalars; update_op adds this batch and returns the new
        mean.

    Example:
        >>> m, update = tf.metrics.mean(values)
        >>> sess.run(tf.local_variables_initializer()); sess.run(update); sess.run(m)
    """
    with variable_scope(name, "mean", (values, weights)):
        return _streaming_mean(values, weights, metrics_collections, updates_collections,
                               lambda v: [], ("total", "count"), math_ops.reduce_sum)


def mean_tensor(values, weights=None, metrics_collections=None, updates_collections=None,
                name=None):
    """The elementwise (weighted) mean of `values` (static shape) over every batch seen.

    Returns:
        (mean, update_op): float32 Tensors of values' shape.
    """
    with variable_scope(name, "mean", (values, weights)):
        return _streaming_mean(values, weights, metrics_collections, updates_collections,
                               lambda v: v.shape.as_list(), ("total_tensor", "count_tensor"),
                               lambda t: t)


def accuracy(labels, predictions, weights=None, metrics_collections=None,
             updates_collections=None, name=None):
    """How often `predictions` equals `labels` (weighted), over every batch seen.

    Args:
        labels: ground-truth values, the shape of `predictions` (a trailing 1 is squeezed).
        predictions: predicted values (cast to labels' dtype).
        weights, metrics_collections, updates_collections: as for `mean`.
        name: variable scope (default "accuracy").

    Returns:
        (accuracy, update_op).

    Example:
        >>> acc, update = tf.metrics.accuracy(labels, tf.argmax(logits, 1))
    """
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    if labels.dtype != predictions.dtype:
        predictions = math_ops.cast(predictions, labels.dtype)
    is_correct = math_ops.cast(math_ops.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections,
                name or "accuracy")


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    """The (weighted) mean of |predictions - labels| over every batch seen."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    errors = math_ops.abs(predictions - labels)
    return mean(errors, weights, metrics_collections, updates_collections,
                name or "mean_absolute_error")


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):
    """The (weighted) mean of (predictions - labels)**2 over every batch seen."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    errors = math_ops.squared_difference(labels, predictions)
    return mean(errors, weights, metrics_collections, updates_collections,
                name or "mean_squared_error")


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    """sqrt of the streaming `mean_squared_error`."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    mse, update_mse = mean_squared_error(labels, predictions, weights, None, None,
                                         name or "root_mean_squared_error")
    rmse = math_ops.sqrt(mse)
    add_to_collections(metrics_collections, rmse)
    update_op = math_ops.sqrt(update_mse)
    add_to_collections(updates_collections, update_op)
    return rmse, update_op


def mean_relative_error(labels, predictions, normalizer, weights=None,
                        metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of |labels - predictions| / normalizer (0 where normalizer is 0)."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    predictions, normalizer = remove_squeezable_dimensions(predictions, normalizer)
    predictions.shape.assert_is_compatible_with(normalizer.shape)
    relative = math_ops.where(math_ops.equal(normalizer, 0.0), array_ops.zeros_like(labels),
                              math_ops.divide(math_ops.abs(labels - predictions), normalizer))
    return mean(relative, weights, metrics_collections, updates_collections,
                name or "mean_relative_error")


def mean_cosine_distance(labels, predictions, dim, weights=None, metrics_collections=None,
                         updates_collections=None, name=None):
    """1 - the (weighted) mean of sum(labels * predictions, dim): unit-normalized inputs."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    radial = math_ops.reduce_sum(math_ops.multiply(predictions, labels), axis=[dim],
                                 keepdims=True)
    distance, update_op = mean(radial, weights, None, None, name or "mean_cosine_distance")
    distance = math_ops.subtract(1.0, distance)
    update_op = math_ops.subtract(1.0, update_op)
    add_to_collections(metrics_collections, distance)
    add_to_collections(updates_collections, update_op)
    return distance, update_op


def percentage_below(values, threshold, weights=None, metrics_collections=None,
                     updates_collections=None, name=None):
    """The (weighted) fraction of `values` below `threshold` over every batch seen."""
    is_below = math_ops.cast(math_ops.less(values, threshold), dtypes.float32)
    return mean(is_below, weights, metrics_collections, updates_collections,
                name or "percentage_below_threshold")


__all__ = ["accuracy", "mean", "mean_absolute_error", "mean_cosine_distance",
           "mean_relative_error", "mean_squared_error", "mean_tensor", "percentage_below",
           "root_mean_squared_error"]
