"""The loss functions of `tf.losses`, with TF 1.x's weights, reductions and collections.

Every loss computes per-element losses, then `compute_weighted_loss` multiplies by `weights`
(broadcast by TF's rule: a scalar, or the losses' rank with dimensions 1 or equal), reduces
by `reduction` and adds the result to `loss_collection` (GraphKeys.LOSSES by default). As in
TF, the weighting and reduction are computed in float32 and the result is cast back to the
losses' dtype; the default reduction, SUM_BY_NONZERO_WEIGHTS, divides the weighted sum by the
number of elements whose (broadcast) weight is non-zero, and gives 0 when there is none.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys, control_dependencies, name_scope
from flowexec.losses.util import add_loss
from flowexec.ops import array_ops, math_ops, nn_ops
from flowexec.ops.confusion_matrix import remove_squeezable_dimensions
from flowexec.ops.constant_op import stop_gradient
from flowexec.ops.division_ops import div_no_nan
from flowexec.ops.weights_broadcast_ops import assert_broadcastable, broadcast_weights


class Reduction:
    """How `compute_weighted_loss` reduces the weighted losses (TF's string keys).

    NONE: no reduction, the weighted losses' shape. SUM: the weighted sum. MEAN: the weighted
    sum over the sum of the weights. SUM_OVER_BATCH_SIZE: over the number of elements.
    SUM_BY_NONZERO_WEIGHTS (= SUM_OVER_NONZERO_WEIGHTS, the default): over the number of
    elements with a non-zero weight.
    """

    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        """Every valid key."""
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE,
                cls.SUM_OVER_NONZERO_WEIGHTS, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        """Raises ValueError unless `key` is one of `all()`."""
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}. Key should be one of {cls.all()}.")


def _safe_mean(losses, num_present):
    return div_no_nan(math_ops.reduce_sum(losses), num_present, name="value")


def _num_elements(losses):
    with name_scope(None, "num_elements", [losses]) as sc:
        return math_ops.cast(array_ops.size(losses, name=sc), losses.dtype)


def _num_present(losses, weights, per_batch=False):
    """The number of elements of `losses` with a non-zero broadcast weight (per batch row)."""
    if isinstance(weights, float) and weights != 0.0:
        return _num_elements(losses)
    with name_scope(None, "num_present", (losses, weights)) as sc:
        weights = math_ops.cast(weights, dtypes.float32)
        present = math_ops.where(math_ops.equal(weights, 0.0), array_ops.zeros_like(weights),
                                 array_ops.ones_like(weights))
        present = broadcast_weights(present, losses)
        if per_batch:
            return math_ops.reduce_sum(
                present, axis=_axes_from_one(present), keepdims=True, name=sc)
        return math_ops.reduce_sum(present, name=sc)


def _axes_from_one(t):
    """The axes 1..rank-1 of `t` (a constant list when the rank is known)."""
    if t.shape.ndims is not None:
        return list(range(1, t.shape.ndims))
    return array_ops.range(1, array_ops.rank(t))


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weights and reduces per-element `losses` and adds the result to `loss_collection`.

    Args:
        losses: a Tensor of per-element losses.
        weights: a scalar or a Tensor broadcastable to `losses` by TF's rule (same rank, each
            dimension 1 or equal).
        scope: name scope (default "weighted_loss").
        loss_collection: where the loss is added (None: nowhere).
        reduction: a `Reduction` key.

    Returns:
        The loss in the dtype of `losses`: a scalar, or the shape of `losses` for NONE.

    Raises:
        ValueError: an invalid reduction, or weights that cannot broadcast to the losses.

    Example:
        >>> tf.losses.compute_weighted_loss([[1.0, 2.0], [3.0, 4.0]], weights=[[1.0], [0.0]])
        ... # (1 + 2) / 2 = 1.5
    """
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss", (losses, weights)):
        losses = convert_to_tensor(losses)
        weights = convert_to_tensor(weights)
        check = assert_broadcastable(weights, losses)
        with control_dependencies([check] if check is not None else []):
            input_dtype = losses.dtype
            losses = math_ops.cast(losses, dtypes.float32)
            weights = math_ops.cast(weights, dtypes.float32)
            weighted = math_ops.multiply(losses, weights)
            if reduction == Reduction.NONE:
                loss = weighted
            else:
                loss = math_ops.reduce_sum(weighted)
                if reduction == Reduction.MEAN:
                    loss = _safe_mean(loss, math_ops.reduce_sum(
                        array_ops.ones_like(losses) * weights))
                elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                    loss = _safe_mean(loss, _num_present(losses, weights))
                elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                    loss = _safe_mean(loss, _num_elements(losses))
            loss = math_ops.cast(loss, input_dtype)
            add_loss(loss, loss_collection)
            return loss


def _require(name, value):
    if value is None:
        raise ValueError(f"Argument `{name}` must not be None.")


def _float_pair(labels, predictions):
    predictions = math_ops.cast(convert_to_tensor(predictions), dtypes.float32)
    labels = math_ops.cast(convert_to_tensor(labels), dtypes.float32)
    predictions.shape.assert_is_compatible_with(labels.shape)
    return labels, predictions


def absolute_difference(labels, predictions, weights=1.0, scope=None,
                        loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted |predictions - labels| (see `compute_weighted_loss` for weights, reduction).

    Raises:
        ValueError: labels or predictions is None, or their shapes are incompatible.

    Example:
        >>> tf.losses.absolute_difference([1.0, 2.0], [2.0, 4.0])  # (1 + 2) / 2 = 1.5
    """
    _require("labels", labels)
    _require("predictions", predictions)
    with name_scope(scope, "absolute_difference", (predictions, labels, weights)) as sc:
        labels, predictions = _float_pair(labels, predictions)
        losses = math_ops.abs(math_ops.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None,
                    loss_collection=GraphKeys.LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None):
    """Weighted 1 - sum(predictions * labels, axis): both are assumed unit-normalized.

    Args:
        labels, predictions: Tensors of the same shape.
        axis: the dimension along which the cosine is taken (required; `dim` is its old name).
        weights, scope, loss_collection, reduction: see `compute_weighted_loss`; the
            per-element losses keep `axis` with size 1.

    Raises:
        ValueError: `axis` not given, None inputs or incompatible shapes.
    """
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("You must specify argument `axis`.")
    _require("labels", labels)
    _require("predictions", predictions)
    with name_scope(scope, "cosine_distance_loss", (predictions, labels, weights)) as sc:
        labels, predictions = _float_pair(labels, predictions)
        radial = math_ops.multiply(predictions, labels)
        losses = 1 - math_ops.reduce_sum(radial, axis=(axis,), keepdims=True)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted max(0, 1 - (2 * labels - 1) * logits), for labels in {0, 1}.

    Raises:
        ValueError: None inputs or incompatible shapes.
    """
    _require("labels", labels)
    _require("logits", logits)
    with name_scope(scope, "hinge_loss", (logits, labels, weights)) as sc:
        labels, logits = _float_pair(labels, logits)
        ones = array_ops.ones_like(labels)
        signs = math_ops.subtract(2 * labels, ones)
        losses = nn_ops.relu(math_ops.subtract(ones, math_ops.multiply(signs, logits)))
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None,
               loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted Huber loss: 0.5 * e**2 for |e| <= delta, else delta * (|e| - 0.5 * delta).

    Raises:
        ValueError: None inputs or incompatible shapes.
    """
    _require("labels", labels)
    _require("predictions", predictions)
    with name_scope(scope, "huber_loss", (predictions, labels, weights)) as sc:
        labels, predictions = _float_pair(labels, predictions)
        abs_error = math_ops.abs(math_ops.subtract(predictions, labels))
        quadratic = math_ops.minimum(abs_error, delta)
        linear = math_ops.subtract(abs_error, quadratic)
        losses = math_ops.add(math_ops.multiply(0.5, math_ops.multiply(quadratic, quadratic)),
                              math_ops.multiply(delta, linear))
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None,
             loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted -labels * log(p + eps) - (1 - labels) * log(1 - p + eps) for probabilities p.

    Raises:
        ValueError: None inputs or incompatible shapes.
    """
    _require("labels", labels)
    _require("predictions", predictions)
    with name_scope(scope, "log_loss", (predictions, labels, weights)) as sc:
        labels, predictions = _float_pair(labels, predictions)
        losses = (-math_ops.multiply(labels, math_ops.log(predictions + epsilon))
                  - math_ops.multiply(1 - labels, math_ops.log(1 - predictions + epsilon)))
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def mean_pairwise_squared_error(labels, predictions, weights=1.0, scope=None,
                                loss_collection=GraphKeys.LOSSES):
    """The weighted mean, per batch row, of the squared differences of all pairs of errors.

    For row i with errors d (over the non-zero-weight elements, n of them) the loss is
    2 * sum(d**2) / (n - 1) - 2 * sum(d)**2 / (n * (n - 1)), times the row's weight; the
    result is the sum over rows (0 when no element has a non-zero weight). `weights` is a
    scalar or has the rank of the inputs (e.g. [batch, 1]).

    Raises:
        ValueError: None inputs, incompatible shapes or weights.
    """
    _require("labels", labels)
    _require("predictions", predictions)
    with name_scope(scope, "mean_pairwise_squared_error", (predictions, labels, weights)):
        weights = math_ops.cast(convert_to_tensor(weights), dtypes.float32)
        labels, predictions = _float_pair(labels, predictions)
        check = assert_broadcastable(weights, labels)
        with control_dependencies([check] if check is not None else []):
            diffs = math_ops.subtract(predictions, labels)
            axis = _axes_from_one(diffs)
            sum_sq = math_ops.reduce_sum(math_ops.square(diffs), axis=axis, keepdims=True)
            n = _num_present(diffs, weights, per_batch=True)
            term1 = 2.0 * div_no_nan(sum_sq, n - 1, name="value")
            sum_diff = math_ops.reduce_sum(diffs, axis=axis, keepdims=True)
            term2 = 2.0 * div_no_nan(math_ops.square(sum_diff),
                                     math_ops.multiply(n, n - 1), name="value")
            loss = math_ops.reduce_sum(math_ops.multiply(term1 - term2, weights))
            mean_loss = math_ops.where(math_ops.reduce_sum(n) > 0, loss,
                                       array_ops.zeros_like(loss), name="value")
            add_loss(mean_loss, loss_collection)
            return mean_loss


def mean_squared_error(labels, predictions, weights=1.0, scope=None,
                       loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted (predictions - labels)**2 (see `compute_weighted_loss`).

    Example:
        >>> tf.losses.mean_squared_error([1.0, 2.0], [2.0, 4.0])  # (1 + 4) / 2 = 2.5
    """
    _require("labels", labels)
    _require("predictions", predictions)
    with name_scope(scope, "mean_squared_error", (predictions, labels, weights)) as sc:
        labels, predictions = _float_pair(labels, predictions)
        losses = math_ops.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0,
                          scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted sigmoid cross-entropy of `logits` against {0, 1} labels, optionally smoothed.

    With `label_smoothing` s > 0 the labels become labels * (1 - s) + 0.5 * s.

    Raises:
        ValueError: None inputs or incompatible shapes.
    """
    _require("multi_class_labels", multi_class_labels)
    _require("logits", logits)
    with name_scope(scope, "sigmoid_cross_entropy_loss",
                    (logits, multi_class_labels, weights)) as sc:
        losses = sigmoid_cross_entropy_terms(logits, multi_class_labels, label_smoothing)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def sigmoid_cross_entropy_terms(logits, multi_class_labels, label_smoothing):
    """The unweighted per-element terms of `sigmoid_cross_entropy` (labels smoothed towards
    1/2), shared with contrib's loss of the same name."""
    logits = convert_to_tensor(logits)
    labels = math_ops.cast(convert_to_tensor(multi_class_labels), logits.dtype)
    logits.shape.assert_is_compatible_with(labels.shape)
    if label_smoothing > 0:
        labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
    return nn_ops.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits,
                                                    name="xentropy")


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted softmax cross-entropy of `logits` [batch, classes] against one-hot labels.

    With `label_smoothing` s > 0 the labels become labels * (1 - s) + s / num_classes. No
    gradient flows into the labels. `weights` is a scalar or has shape [batch].

    Raises:
        ValueError: None inputs or incompatible shapes.
    """
    _require("onehot_labels", onehot_labels)
    _require("logits", logits)
    with name_scope(scope, "softmax_cross_entropy_loss",
                    (logits, onehot_labels, weights)) as sc:
        logits = convert_to_tensor(logits)
        labels = math_ops.cast(convert_to_tensor(onehot_labels), logits.dtype)
        logits.shape.assert_is_compatible_with(labels.shape)
        if label_smoothing > 0:
            num_classes = math_ops.cast(array_ops.shape(labels)[-1], logits.dtype)
            labels = labels * (1.0 - label_smoothing) + label_smoothing / num_classes
        labels = stop_gradient(labels, name="labels_stop_gradient")
        losses = nn_ops.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits,
                                                             name="xentropy")
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def _remove_squeezable_dimensions(labels, predictions, weights, expected_rank_diff):
    labels, predictions = remove_squeezable_dimensions(labels, predictions, expected_rank_diff)
    weights = convert_to_tensor(weights)
    l_rank, w_rank = labels.shape.ndims, weights.shape.ndims
    if l_rank is not None and w_rank is not None and w_rank - l_rank == 1:
        weights = array_ops.squeeze(weights, [-1])
    return labels, predictions, weights


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None,
                                 loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weighted softmax cross-entropy of `logits` [batch, classes] against class ids.

    `labels` may be [batch] or [batch, 1] and `weights` a scalar, [batch] or [batch, 1]: a
    trailing dimension of 1 is squeezed as TF does.

    Raises:
        ValueError: None inputs or incompatible shapes.
    """
    _require("labels", labels)
    _require("logits", logits)
    with name_scope(scope, "sparse_softmax_cross_entropy_loss",
                    (logits, labels, weights)) as sc:
        labels, logits, weights = _remove_squeezable_dimensions(labels, logits, weights, 1)
        losses = nn_ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits,
                                                                 name="xentropy")
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


__all__ = ["Reduction", "absolute_difference", "compute_weighted_loss", "cosine_distance",
           "hinge_loss", "huber_loss", "log_loss", "mean_pairwise_squared_error",
           "mean_squared_error", "sigmoid_cross_entropy", "softmax_cross_entropy",
           "sparse_softmax_cross_entropy"]
