"""TF 1.15's deprecated `tf.contrib.losses` (contrib/losses/python/losses/loss_ops.py), the
losses `slim.losses` is: predictions/logits come first (`softmax_cross_entropy(logits,
onehot_labels, weights, label_smoothing, scope)`), and each loss is added to the LOSSES
collection.

contrib's weighting differs from `tf.losses`: `weights` is a scalar or has a *prefix* of the
losses' shape (`[batch]` for losses `[batch, d]`; a trailing dimension of 1 is squeezed).
The loss is `sum_b w_b * sum(losses_b) / num_present`, where `num_present` counts the
elements with a non-zero weight: `count_nonzero(weights) * prod(shape[rank(weights):])`
(for a scalar weight, `size(losses)`, or 0 when the weight is 0). A loss with nothing
present is 0.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys, name_scope
from flowexec.losses import losses_impl
from flowexec.losses import util as loss_util
from flowexec.ops import array_ops, math_ops, nn_ops
from flowexec.ops.constant_op import stop_gradient
from flowexec.ops.division_ops import div_no_nan

__all__ = ["absolute_difference", "add_loss", "compute_weighted_loss", "cosine_distance",
           "get_losses", "get_regularization_losses", "get_total_loss", "hinge_loss",
           "log_loss", "mean_pairwise_squared_error", "mean_squared_error",
           "sigmoid_cross_entropy", "softmax_cross_entropy", "sparse_softmax_cross_entropy"]


def _prepare_weights(losses, weights):
    weights = math_ops.cast(convert_to_tensor(weights), dtypes.float32)
    if losses.shape.ndims is None:
        raise ValueError("losses.get_shape().ndims cannot be None")
    if weights.shape.ndims is None:
        raise ValueError("weights.get_shape().ndims cannot be None")
    dims = weights.shape.as_list()
    if len(dims) > 1 and dims[-1] in (1, None):
        weights = array_ops.squeeze(weights, [-1])
    if weights.shape.ndims > losses.shape.ndims:
        raise ValueError("weights have a higher rank (%d) than the losses (%d)"
                         % (weights.shape.ndims, losses.shape.ndims))
    return weights


def _scale_losses(losses, weights):
    """sum(weights * losses summed down to weights' rank)."""
    start = weights.shape.ndims
    axes = list(range(start, losses.shape.ndims))
    reduced = math_ops.reduce_sum(losses, axis=axes) if axes else losses
    return math_ops.reduce_sum(math_ops.multiply(reduced, weights))


def _num_present(losses, weights, per_batch=False):
    """contrib's count of the elements with a non-zero weight (per batch row)."""
    shape = array_ops.shape(losses)
    if weights.shape.ndims == 0:
        batch = math_ops.cast(shape[0], dtypes.float32)
        per_row = math_ops.cast(array_ops.size(losses), dtypes.float32) / batch
        per_row = per_row * math_ops.cast(math_ops.not_equal(weights, 0.0), dtypes.float32)
        rows = array_ops.ones(array_ops.reshape(shape[0], [-1])) * per_row
        return rows if per_batch else math_ops.reduce_sum(rows)
    rank = weights.shape.ndims
    nonzero = math_ops.cast(math_ops.not_equal(weights, 0.0), dtypes.float32)
    nonzero = math_ops.reduce_sum(nonzero, axis=list(range(1, rank))) if rank > 1 else nonzero
    rest = math_ops.cast(math_ops.reduce_prod(shape[rank:]), dtypes.float32)
    rows = nonzero * rest
    return rows if per_batch else math_ops.reduce_sum(rows)


def _safe_mean(total, num_present):
    return div_no_nan(total, num_present, name="value")


def compute_weighted_loss(losses, weights=1.0, scope=None):
    """contrib's weighted mean of `losses` (see the module docstring), added to LOSSES.

    Args:
        losses: a Tensor of known rank, `[batch, d1, ...]`.
        weights: a scalar, or a Tensor whose shape is a prefix of the losses' (a trailing 1
            squeezed).
        scope: the name scope (default "weighted_loss").

    Returns:
        A scalar loss in the dtype of `losses`.

    Raises:
        ValueError: losses or weights of unknown rank, or weights of a higher rank.

    Example:
        >>> tf.contrib.losses.compute_weighted_loss([[1.0, 3.0], [5.0, 7.0]], [1.0, 0.0])
        ... # (1 + 3) / 2 = 2.0
    """
    with name_scope(scope, "weighted_loss", [losses, weights]):
        losses = convert_to_tensor(losses)
        input_dtype = losses.dtype
        losses = math_ops.cast(losses, dtypes.float32)
        weights = _prepare_weights(losses, weights)
        total = _scale_losses(losses, weights)
        loss = _safe_mean(total, _num_present(losses, weights))
        loss = math_ops.cast(loss, input_dtype)
        loss_util.add_loss(loss)
        return loss


def _pair(predictions, labels):
    if labels is None:
        raise ValueError("labels must not be None.")
    predictions = math_ops.cast(convert_to_tensor(predictions), dtypes.float32)
    labels = math_ops.cast(convert_to_tensor(labels), dtypes.float32)
    predictions.shape.assert_is_compatible_with(labels.shape)
    return predictions, labels


def absolute_difference(predictions, labels=None, weights=1.0, scope=None):
    """Weighted mean of `|predictions - labels|`.

    Args:
        predictions: the predicted values.
        labels: the targets, the shape of `predictions`.
        weights: see `compute_weighted_loss`.
        scope: the name scope (default "absolute_difference").

    Returns:
        The scalar loss (also in LOSSES).

    Raises:
        ValueError: labels is None or the shapes are incompatible.

    Example:
        >>> tf.contrib.losses.absolute_difference(pred, target)
    """
    with name_scope(scope, "absolute_difference", [predictions, labels, weights]) as sc:
        predictions, labels = _pair(predictions, labels)
        losses = math_ops.abs(math_ops.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, scope=sc)


def mean_squared_error(predictions, labels=None, weights=1.0, scope=None):
    """Weighted mean of `(predictions - labels)**2`.

    Args:
        predictions, labels, weights, scope: as `absolute_difference` (scope default
            "mean_squared_error").

    Returns:
        The scalar loss (also in LOSSES).

    Raises:
        ValueError: labels is None or the shapes are incompatible.

    Example:
        >>> slim.losses.mean_squared_error(pred, target, weights=per_example_weights)
    """
    with name_scope(scope, "mean_squared_error", [predictions, labels, weights]) as sc:
        predictions, labels = _pair(predictions, labels)
        losses = math_ops.square(math_ops.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, scope=sc)


def log_loss(predictions, labels=None, weights=1.0, epsilon=1e-7, scope=None):
    """Weighted mean of `-labels*log(p + eps) - (1 - labels)*log(1 - p + eps)`.

    Args:
        predictions: probabilities in [0, 1].
        labels: {0, 1} targets of the same shape.
        weights: see `compute_weighted_loss`.
        epsilon: keeps the logs finite.
        scope: the name scope (default "log_loss").

    Returns:
        The scalar loss (also in LOSSES).

    Raises:
        ValueError: labels is None or the shapes are incompatible.

    Example:
        >>> slim.losses.log_loss(tf.sigmoid(logits), labels)
    """
    with name_scope(scope, "log_loss", [predictions, labels, weights]) as sc:
        predictions, labels = _pair(predictions, labels)
        losses = -math_ops.multiply(labels, math_ops.log(predictions + epsilon)) - \
            math_ops.multiply(1 - labels, math_ops.log(1 - predictions + epsilon))
        return compute_weighted_loss(losses, weights, scope=sc)


def hinge_loss(logits, labels=None, scope=None):
    """The element-wise hinge loss `max(0, 1 - (2*labels - 1) * logits)`, *unreduced* and not
    added to LOSSES (as TF 1.15's contrib hinge_loss).

    Args:
        logits: the logits.
        labels: {0, 1} labels of the same shape.
        scope: the name scope (default "hinge_loss").

    Returns:
        A Tensor of the shape of `logits`.

    Raises:
        ValueError: labels is None or the shapes are incompatible.

    Example:
        >>> per_example = tf.contrib.losses.hinge_loss(logits, labels)
    """
    with name_scope(scope, "hinge_loss", [logits, labels]):
        logits, labels = _pair(logits, labels)
        signs = 2 * labels - array_ops.ones_like(labels)
        return nn_ops.relu(array_ops.ones_like(labels) - math_ops.multiply(signs, logits))


def cosine_distance(predictions, labels=None, axis=None, weights=1.0, scope=None, dim=None):
    """Weighted mean of `1 - sum(predictions * labels, axis)` (inputs unit-normalized).

    Args:
        predictions, labels: unit-length Tensors of the same shape.
        axis: the dimension of the vectors (required; `dim` is its deprecated name).
        weights: see `compute_weighted_loss` (against the losses with `axis` removed).
        scope: the name scope (default "cosine_distance_loss").
        dim: the old name of `axis`.

    Returns:
        The scalar loss (also in LOSSES).

    Raises:
        ValueError: both or neither of axis/dim, labels None, incompatible shapes.

    Example:
        >>> slim.losses.cosine_distance(tf.nn.l2_normalize(p, 1), t, axis=1)
    """
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    with name_scope(scope, "cosine_distance_loss", [predictions, labels, weights]) as sc:
        predictions, labels = _pair(predictions, labels)
        losses = 1 - math_ops.reduce_sum(math_ops.multiply(predictions, labels), axis=[axis])
        return compute_weighted_loss(losses, weights, scope=sc)


def sigmoid_cross_entropy(logits, multi_class_labels, weights=1.0, label_smoothing=0,
                          scope=None):
    """Weighted sigmoid cross-entropy; labels smoothed to `l*(1-s) + 0.5*s`.

    Args:
        logits: `[batch, num_classes]` logits.
        multi_class_labels: {0, 1} labels of the same shape.
        weights: see `compute_weighted_loss`.
        label_smoothing: s in [0, 1].
        scope: the name scope (default "sigmoid_cross_entropy_loss").

    Returns:
        The scalar loss (also in LOSSES).

    Raises:
        ValueError: incompatible shapes.

    Example:
        >>> slim.losses.sigmoid_cross_entropy(logits, labels, label_smoothing=0.1)
    """
    with name_scope(scope, "sigmoid_cross_entropy_loss",
                    [logits, multi_class_labels, weights]) as sc:
        losses = losses_impl.sigmoid_cross_entropy_terms(logits, multi_class_labels,
                                                         label_smoothing)
        return compute_weighted_loss(losses, weights, scope=sc)


def softmax_cross_entropy(logits, onehot_labels, weights=1.0, label_smoothing=0, scope=None):
    """Weighted softmax cross-entropy; labels smoothed to `l*(1-s) + s/num_classes`.

    Args:
        logits: `[batch, num_classes]` logits.
        onehot_labels: one-hot labels of the same shape (no gradient flows into them).
        weights: a scalar or `[batch]`.
        label_smoothing: s in [0, 1].
        scope: the name scope (default "softmax_cross_entropy_loss").

    Returns:
        The scalar loss (also in LOSSES).

    Raises:
        ValueError: incompatible shapes.

    Example:
        >>> loss = slim.losses.softmax_cross_entropy(logits, tf.one_hot(labels, 10))
    """
    with name_scope(scope, "softmax_cross_entropy_loss",
                    [logits, onehot_labels, weights]) as sc:
        logits = convert_to_tensor(logits)
        labels = math_ops.cast(convert_to_tensor(onehot_labels), logits.dtype)
        logits.shape.assert_is_compatible_with(labels.shape)
        if label_smoothing > 0:
            num_classes = math_ops.cast(array_ops.shape(labels)[1], logits.dtype)
            labels = labels * (1 - label_smoothing) + label_smoothing / num_classes
        labels = stop_gradient(labels)
        losses = nn_ops.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits,
                                                             name="xentropy")
        return compute_weighted_loss(losses, weights, scope=sc)


def sparse_softmax_cross_entropy(logits, labels, weights=1.0, scope=None):
    """Weighted softmax cross-entropy against integer class labels.

    Args:
        logits: `[batch, num_classes]` logits.
        labels: `[batch]` or `[batch, 1]` class ids.
        weights: a scalar, `[batch]` or `[batch, 1]`.
        scope: the name scope (default "sparse_softmax_cross_entropy_loss").

    Returns:
        The scalar loss (also in LOSSES).

    Example:
        >>> slim.losses.sparse_softmax_cross_entropy(logits, class_ids)
    """
    with name_scope(scope, "sparse_softmax_cross_entropy_loss",
                    [logits, labels, weights]) as sc:
        labels = convert_to_tensor(labels)
        if labels.shape.ndims == 2:
            labels = array_ops.squeeze(labels, [1])
        losses = nn_ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                                 name="xentropy")
        return compute_weighted_loss(losses, weights, scope=sc)


def mean_pairwise_squared_error(predictions, labels=None, weights=1.0, scope=None):
    """contrib's weighted mean pairwise squared error: per batch row b with n_b present
    elements and differences d, `2*sum(d**2)/n_b - 2*sum(d)**2/n_b**2`, weighted by
    `weights` (a scalar or `[batch]`) and summed.

    Args:
        predictions: `[batch, ...]` predictions.
        labels: the targets, same shape.
        weights: a scalar or `[batch]`.
        scope: the name scope (default "mean_pairwise_squared_error").

    Returns:
        The scalar loss (also in LOSSES).

    Raises:
        ValueError: labels None or incompatible shapes.

    Example:
        >>> slim.losses.mean_pairwise_squared_error(depth_pred, depth_true)
    """
    with name_scope(scope, "mean_pairwise_squared_error",
                    [predictions, labels, weights]):
        predictions, labels = _pair(predictions, labels)
        weights = _prepare_weights(predictions, weights)
        diffs = math_ops.subtract(predictions, labels)
        axes = list(range(1, diffs.shape.ndims))
        present = _num_present(diffs, weights, per_batch=True)
        term1 = 2.0 * div_no_nan(math_ops.reduce_sum(math_ops.square(diffs), axis=axes),
                                 present)
        term2 = 2.0 * div_no_nan(math_ops.square(math_ops.reduce_sum(diffs, axis=axes)),
                                 math_ops.square(present))
        per_row = term1 - term2
        if weights.shape.ndims == 0:
            loss = math_ops.reduce_sum(per_row * weights)
        else:
            loss = _scale_losses(per_row, weights)
        any_present = math_ops.greater(math_ops.reduce_sum(present), 0.0)
        loss = loss * math_ops.cast(any_present, dtypes.float32)
        loss_util.add_loss(loss)
        return loss


def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Adds `loss` to `loss_collection` (LOSSES). Same as `tf.losses.add_loss`.

    Example:
        >>> slim.losses.add_loss(my_loss)
    """
    loss_util.add_loss(loss, loss_collection)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    """The losses in `loss_collection` under `scope`.

    Example:
        >>> slim.losses.get_losses()
    """
    return loss_util.get_losses(scope, loss_collection)


def get_regularization_losses(scope=None):
    """The REGULARIZATION_LOSSES under `scope`.

    Example:
        >>> slim.losses.get_regularization_losses()
    """
    return loss_util.get_regularization_losses(scope)


def get_total_loss(add_regularization_losses=True, name="total_loss"):
    """The sum of LOSSES (and REGULARIZATION_LOSSES).

    Args:
        add_regularization_losses: include the regularization losses.
        name: the op name of the sum.

    Returns:
        A scalar Tensor.

    Raises:
        ValueError: there are no losses.

    Example:
        >>> total = slim.losses.get_total_loss()
    """
    return loss_util.get_total_loss(add_regularization_losses, name)
