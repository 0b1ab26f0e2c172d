"""Streaming counts of true/false positives/negatives, precision, recall, AUC, mean IoU.

Binary metrics read `labels` and `predictions` as booleans; the `*_at_thresholds` family and
`auc` compare float predictions in [0, 1] (checked at run time) against each threshold
(`prediction > threshold` is positive) and keep one float32 count per threshold. `auc`
sums TF's trapezoids (or minoring/majoring rectangles, or the careful interpolation for PR)
over `num_thresholds` thresholds spread evenly over [0, 1] plus two just outside it, with
TF's epsilons, so its value is TF's approximation, not the exact area.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies
from flowexec.metrics.mean_metrics import _remove_squeezable_dimensions
from flowexec.metrics.metric_variables import add_to_collections, metric_variable, read
from flowexec.ops import array_ops, check_ops, math_ops
from flowexec.ops.confusion_matrix import confusion_matrix
from flowexec.ops.constant_op import constant
from flowexec.ops.division_ops import div_no_nan
from flowexec.ops.matrix_ops import matrix_diag_part
from flowexec.ops.state_ops import assign_add
from flowexec.ops.weights_broadcast_ops import broadcast_weights
from flowexec.variable_scope import variable_scope


def _count_condition(values, weights, metrics_collections, updates_collections):
    check_ops.assert_type(values, dtypes.bool)
    count = metric_variable([], dtypes.float32, name="count")
    values = math_ops.cast(values, dtypes.float32)
    if weights is not None:
        weights = math_ops.cast(weights, dtypes.float32)
        values = math_ops.multiply(values, broadcast_weights(weights, values))
    value = read(count, metrics_collections)
    update_op = assign_add(count, math_ops.reduce_sum(values))
    add_to_collections(updates_collections, update_op)
    return value, update_op


def _bool_inputs(labels, predictions, weights):
    return _remove_squeezable_dimensions(math_ops.cast(predictions, dtypes.bool),
                                         math_ops.cast(labels, dtypes.bool), weights)


def _counter(default_name, label_value, prediction_value):
    def metric(labels, predictions, weights=None, metrics_collections=None,
               updates_collections=None, name=None):
        with variable_scope(name, default_name, (predictions, labels, weights)):
            predictions, labels, weights = _bool_inputs(labels, predictions, weights)
            condition = math_ops.logical_and(math_ops.equal(labels, label_value),
                                             math_ops.equal(predictions, prediction_value))
            return _count_condition(condition, weights, metrics_collections,
                                    updates_collections)
    metric.__name__ = default_name
    metric.__doc__ = (
        f"The (weighted) number of {default_name.replace('_', ' ')}: labels {label_value} "
        f"where predictions are {prediction_value}, over every batch seen.\n\n"
        "    Args:\n"
        "        labels, predictions: Tensors of one shape, read as booleans.\n"
        "        weights: None, or broadcastable to the labels.\n"
        "        metrics_collections, updates_collections: where value and update op go.\n"
        f"        name: variable scope (default \"{default_name}\").\n\n"
        "    Returns:\n"
        "        (count, update_op): float32 scalars.\n")
    return metric


true_positives = _counter("true_positives", True, True)
false_positives = _counter("false_positives", False, True)
true_negatives = _counter("true_negatives", False, False)
false_negatives = _counter("false_negatives", True, False)


def _ratio_where_positive(num, other, name):
    denom = num + other
    return math_ops.where(math_ops.greater(denom, 0), math_ops.divide(num, denom),
                          array_ops.zeros_like(denom), name=name)


def _binary_ratio(default_name, other_counter, labels, predictions, weights,
                  metrics_collections, updates_collections, name):
    with variable_scope(name, default_name, (predictions, labels, weights)):
        predictions, labels, weights = _bool_inputs(labels, predictions, weights)
        tp, tp_update = true_positives(labels, predictions, weights)
        other, other_update = other_counter(labels, predictions, weights)
        value = _ratio_where_positive(tp, other, "value")
        add_to_collections(metrics_collections, value)
        update_op = _ratio_where_positive(tp_update, other_update, "update_op")
        add_to_collections(updates_collections, update_op)
        return value, update_op


def precision(labels, predictions, weights=None, metrics_collections=None,
              updates_collections=None, name=None):
    """tp / (tp + fp) over every batch seen (0 while there is no positive prediction).

    Returns:
        (precision, update_op).

    Example:
        >>> p, update = tf.metrics.precision(labels, predictions)
    """
    return _binary_ratio("precision", false_positives, labels, predictions, weights,
                         metrics_collections, updates_collections, name)


def recall(labels, predictions, weights=None, metrics_collections=None,
           updates_collections=None, name=None):
    """tp / (tp + fn) over every batch seen (0 while there is no positive label).

    Returns:
        (recall, update_op).
    """
    return _binary_ratio("recall", false_negatives, labels, predictions, weights,
                         metrics_collections, updates_collections, name)


_ALL_INCLUDES = ("tp", "fn", "tn", "fp")
_VARIABLE_NAMES = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives",
                   "fp": "false_positives"}


def _confusion_at_thresholds(labels, predictions, thresholds, weights=None, includes=None):
    """Per-threshold count variables and their update ops, for the `includes` counts."""
    includes = _ALL_INCLUDES if includes is None else includes
    for inc in includes:
        if inc not in _ALL_INCLUDES:
            raise ValueError(f"Invalid key: {inc}.")
    predictions = convert_to_tensor(predictions)
    with control_dependencies([
            check_ops.assert_greater_equal(predictions, math_ops.cast(0.0, predictions.dtype),
                                           message="predictions must be in [0, 1]"),
            check_ops.assert_less_equal(predictions, math_ops.cast(1.0, predictions.dtype),
                                        message="predictions must be in [0, 1]")]):
        predictions, labels, weights = _remove_squeezable_dimensions(
            math_ops.cast(predictions, dtypes.float32), math_ops.cast(labels, dtypes.bool),
            weights)
    n = len(thresholds)
    preds_row = array_ops.reshape(predictions, [1, -1])
    labels_row = array_ops.reshape(labels, [1, -1])
    thresh_col = array_ops.reshape(constant(list(thresholds), dtype=dtypes.float32), [n, 1])
    pred_is_pos = math_ops.greater(preds_row, thresh_col)
    pred_is_neg = math_ops.logical_not(pred_is_pos)
    label_is_pos = math_ops.logical_and(labels_row, array_ops.ones_like(pred_is_pos))
    label_is_neg = math_ops.logical_not(label_is_pos)
    w = None
    if weights is not None:
        w = broadcast_weights(math_ops.cast(weights, dtypes.float32), predictions)
        w = array_ops.reshape(w, [1, -1])
    cases = {"tp": (label_is_pos, pred_is_pos), "fn": (label_is_pos, pred_is_neg),
             "tn": (label_is_neg, pred_is_neg), "fp": (label_is_neg, pred_is_pos)}
    values, updates = {}, {}
    for inc in includes:
        var = metric_variable([n], dtypes.float32, name=_VARIABLE_NAMES[inc])
        hit = math_ops.cast(math_ops.logical_and(*cases[inc]), dtypes.float32)
        if w is not None:
            hit = hit * w
        updates[inc] = assign_add(var, math_ops.reduce_sum(hit, 1))
        values[inc] = convert_to_tensor(var)
    return values, updates


def _count_at_thresholds(key, default_name):
    def metric(labels, predictions, thresholds, weights=None, metrics_collections=None,
               updates_collections=None, name=None):
        with variable_scope(name, default_name, (predictions, labels, weights)):
            values, updates = _confusion_at_thresholds(labels, predictions, thresholds,
                                                       weights, includes=(key,))
            value = read(values[key], metrics_collections)
            add_to_collections(updates_collections, updates[key])
            return value, updates[key]
    metric.__name__ = f"{default_name}_at_thresholds"
    metric.__doc__ = (
        f"The (weighted) {default_name.replace('_', ' ')} at each threshold: predictions "
        "in [0, 1] above a threshold count as positive.\n\n"
        "    Returns:\n"
        "        (counts, update_op): float32 vectors, one entry per threshold.\n")
    return metric


true_positives_at_thresholds = _count_at_thresholds("tp", "true_positives")
false_positives_at_thresholds = _count_at_thresholds("fp", "false_positives")
true_negatives_at_thresholds = _count_at_thresholds("tn", "true_negatives")
false_negatives_at_thresholds = _count_at_thresholds("fn", "false_negatives")


def _ratio_at_thresholds(default_name, other, labels, predictions, thresholds, weights,
                         metrics_collections, updates_collections, name):
    eps = 1e-7
    with variable_scope(name, default_name, (predictions, labels, weights)):
        values, updates = _confusion_at_thresholds(labels, predictions, thresholds, weights,
                                                   includes=("tp", other))
        prefix = default_name.split("_")[0]

        def ratio(tp, o, suffix):
            return math_ops.divide(tp, eps + tp + o, name=f"{prefix}_{suffix}")

        value = ratio(values["tp"], values[other], "value")
        add_to_collections(metrics_collections, value)
        update_op = ratio(updates["tp"], updates[other], "update_op")
        add_to_collections(updates_collections, update_op)
        return value, update_op


def precision_at_thresholds(labels, predictions, thresholds, weights=None,
                            metrics_collections=None, updates_collections=None, name=None):
    """tp / (tp + fp + 1e-7) at each threshold (predictions in [0, 1] above it are positive).

    Returns:
        (precision, update_op): float32 vectors, one entry per threshold.
    """
    return _ratio_at_thresholds("precision_at_thresholds", "fp", labels, predictions,
                                thresholds, weights, metrics_collections, updates_collections,
                                name)


def recall_at_thresholds(labels, predictions, thresholds, weights=None,
                         metrics_collections=None, updates_collections=None, name=None):
    """tp / (tp + fn + 1e-7) at each threshold (predictions in [0, 1] above it are positive).

    Returns:
        (recall, update_op): float32 vectors, one entry per threshold.
    """
    return _ratio_at_thresholds("recall_at_thresholds", "fn", labels, predictions,
                                thresholds, weights, metrics_collections, updates_collections,
                                name)


_KEPSILON = 1e-7


def _auc_thresholds(num_thresholds, thresholds=None):
    if thresholds is not None:
        inner = sorted(float(t) for t in thresholds)
    else:
        inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _KEPSILON] + inner + [1.0 + _KEPSILON]


def _interpolate_pr_auc(tp, fp, fn, n):
    dtp = tp[:n - 1] - tp[1:]
    p = tp + fp
    slope = div_no_nan(dtp, math_ops.maximum(p[:n - 1] - p[1:], 0.0), name="prec_slope")
    intercept = tp[1:] - math_ops.multiply(slope, p[1:])
    ratio = math_ops.where(
        math_ops.logical_and(p[:n - 1] > 0, p[1:] > 0),
        div_no_nan(p[:n - 1], math_ops.maximum(p[1:], 0.0), name="recall_relative_ratio"),
        array_ops.ones_like(p[1:]))
    increments = div_no_nan(slope * (dtp + intercept * math_ops.log(ratio)),
                            math_ops.maximum(tp[1:] + fn[1:], 0.0), name="pr_auc_increment")
    return math_ops.reduce_sum(increments, name="interpolate_pr_auc")


def _auc_from_counts(tp, fn, tn, fp, n, curve, summation_method, name):
    eps = 1.0e-6
    if curve == "PR" and summation_method == "careful_interpolation":
        return _interpolate_pr_auc(tp, fp, fn, n)
    rec = math_ops.divide(tp + eps, tp + fn + eps)
    if curve == "ROC":
        x, y = math_ops.divide(fp, fp + tn + eps), rec
    else:
        x, y = rec, math_ops.divide(tp + eps, tp + fp + eps)
    dx = x[:n - 1] - x[1:]
    if summation_method in ("trapezoidal", "careful_interpolation"):
        heights = (y[:n - 1] + y[1:]) / 2.0
    elif summation_method == "minoring":
        heights = math_ops.minimum(y[:n - 1], y[1:])
    else:
        heights = math_ops.maximum(y[:n - 1], y[1:])
    return math_ops.reduce_sum(math_ops.multiply(dx, heights), name=name)


def auc(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None,
        updates_collections=None, curve="ROC", name=None, summation_method="trapezoidal",
        thresholds=None):
    """The area under the ROC or PR curve, by TF's Riemann sum over thresholds.

    Args:
        labels: ground truth, read as booleans.
        predictions: float scores in [0, 1] (checked at run time).
        weights: None, or broadcastable to the predictions.
        num_thresholds: the number of thresholds (> 1) when `thresholds` is not given.
        metrics_collections, updates_collections: where value and update op go.
        curve: "ROC" or "PR".
        name: variable scope (default "auc").
        summation_method: "trapezoidal", "careful_interpolation" (PR: TF's interpolation;
            ROC: trapezoidal), "minoring" or "majoring".
        thresholds: explicit thresholds in [0, 1] (then num_thresholds is ignored).

    Returns:
        (auc, update_op): float32 scalars.

    Raises:
        ValueError: an unknown curve or summation method, or num_thresholds < 2.

    Example:
        >>> area, update = tf.metrics.auc(labels, tf.sigmoid(logits))
    """
    if curve not in ("ROC", "PR"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring",
                                "majoring"):
        raise ValueError(f"Invalid summation_method: {summation_method}")
    if thresholds is None and num_thresholds < 2:
        raise ValueError(f"num_thresholds must be > 1, got {num_thresholds}")
    with variable_scope(name, "auc", (labels, predictions, weights)):
        ths = _auc_thresholds(num_thresholds, thresholds)
        n = len(ths)
        values, updates = _confusion_at_thresholds(labels, predictions, ths, weights)
        value = _auc_from_counts(values["tp"], values["fn"], values["tn"], values["fp"], n,
                                 curve, summation_method, "value")
        add_to_collections(metrics_collections, value)
        update_op = _auc_from_counts(updates["tp"], updates["fn"], updates["tn"],
                                     updates["fp"], n, curve, summation_method, "update_op")
        add_to_collections(updates_collections, update_op)
        return value, update_op


def _at_rate(default_name, target, pick, labels, predictions, weights, num_thresholds,
             metrics_collections, updates_collections, name):
    if not 0 <= target <= 1:
        raise ValueError(f"`{default_name.split('_at_')[1]}` must be in the range [0, 1]. "
                         f"Currently, `{default_name.split('_at_')[1]}` got {target}.")
    if num_thresholds < 2:
        raise ValueError(f"num_thresholds must be > 1, got {num_thresholds}")
    with variable_scope(name, default_name, (predictions, labels, weights)):
        ths = _auc_thresholds(num_thresholds)
        values, updates = _confusion_at_thresholds(labels, predictions, ths, weights)
        value = pick(values, "value")
        add_to_collections(metrics_collections, value)
        update_op = pick(updates, "update_op")
        add_to_collections(updates_collections, update_op)
        return value, update_op


def sensitivity_at_specificity(labels, predictions, specificity, weights=None,
                               num_thresholds=200, metrics_collections=None,
                               updates_collections=None, name=None):
    """The sensitivity (recall) at the threshold whose specificity is closest to
    `specificity` (the first such threshold).

    Returns:
        (sensitivity, update_op).

    Raises:
        ValueError: specificity outside [0, 1] or num_thresholds < 2.
    """
    def pick(c, nm):
        spec = math_ops.divide(c["tn"], c["tn"] + c["fp"] + _KEPSILON)
        i = math_ops.cast(math_ops.argmin(math_ops.abs(spec - specificity), 0), dtypes.int32)
        return math_ops.divide(c["tp"][i], c["tp"][i] + c["fn"][i] + _KEPSILON, name=nm)
    return _at_rate("sensitivity_at_specificity", specificity, pick, labels, predictions,
                    weights, num_thresholds, metrics_collections, updates_collections, name)


def specificity_at_sensitivity(labels, predictions, sensitivity, weights=None,
                               num_thresholds=200, metrics_collections=None,
                               updates_collections=None, name=None):
    """The specificity at the threshold whose sensitivity is closest to `sensitivity` (the
    last such threshold, as TF).

    Returns:
        (specificity, update_op).

    Raises:
        ValueError: sensitivity outside [0, 1] or num_thresholds < 2.
    """
    def pick(c, nm):
        sens = math_ops.divide(c["tp"], c["tp"] + c["fn"] + _KEPSILON)
        dist = math_ops.abs(sens - sensitivity)
        at_min = math_ops.cast(math_ops.equal(dist, math_ops.reduce_min(dist)), dtypes.int64)
        i = math_ops.cast(math_ops.argmax(math_ops.cumsum(at_min), 0), dtypes.int32)
        return math_ops.divide(c["tn"][i], c["tn"][i] + c["fp"][i] + _KEPSILON, name=nm)
    return _at_rate("specificity_at_sensitivity", sensitivity, pick, labels, predictions,
                    weights, num_thresholds, metrics_collections, updates_collections, name)


def mean_iou(labels, predictions, num_classes, weights=None, metrics_collections=None,
             updates_collections=None, name=None):
    """The mean over classes of intersection / union, from a streaming confusion matrix.

    Classes that appear in neither labels nor predictions are left out of the mean.

    Args:
        labels, predictions: int Tensors of class ids (flattened).
        num_classes: the number of classes.
        weights: optional per-element weights.
        metrics_collections, updates_collections: where value and update op go.
        name: variable scope (default "mean_iou").

    Returns:
        (mean_iou, update_op): a float32 scalar, and the updated [num_classes, num_classes]
        float64 confusion matrix (as TF's update op is).
    """
    with variable_scope(name, "mean_iou", (predictions, labels, weights)):
        predictions = convert_to_tensor(predictions)
        labels = convert_to_tensor(labels)
        predictions.shape.assert_is_compatible_with(labels.shape)
        total_cm = metric_variable([num_classes, num_classes], dtypes.float64,
                                   name="total_confusion_matrix")
        flat_p = array_ops.reshape(math_ops.cast(predictions, dtypes.int64), [-1])
        flat_l = array_ops.reshape(math_ops.cast(labels, dtypes.int64), [-1])
        if weights is not None:
            weights = array_ops.reshape(convert_to_tensor(weights), [-1])
        current = confusion_matrix(flat_l, flat_p, num_classes, weights=weights,
                                   dtype=dtypes.float64)
        update_op = assign_add(total_cm, current)
        cm = math_ops.cast(convert_to_tensor(total_cm), dtypes.float32)
        rows = math_ops.reduce_sum(cm, 0)
        cols = math_ops.reduce_sum(cm, 1)
        diag = matrix_diag_part(cm)
        denominator = rows + cols - diag
        valid = math_ops.reduce_sum(math_ops.cast(math_ops.not_equal(denominator, 0),
                                                  dtypes.float32))
        denominator = math_ops.where(math_ops.greater(denominator, 0), denominator,
                                     array_ops.ones_like(denominator))
        iou = math_ops.divide(diag, denominator)
        value = math_ops.where(math_ops.greater(valid, 0),
                               math_ops.reduce_sum(iou, name="mean_iou") / valid,
                               constant(0.0), name="value")
        add_to_collections(metrics_collections, value)
        add_to_collections(updates_collections, update_op)
        return value, update_op


__all__ = ["auc", "false_negatives", "false_negatives_at_thresholds", "false_positives",
           "false_positives_at_thresholds", "mean_iou", "precision", "precision_at_thresholds",
           "recall", "recall_at_thresholds", "sensitivity_at_specificity",
           "specificity_at_sensitivity", "true_negatives", "true_negatives_at_thresholds",
           "true_positives", "true_positives_at_thresholds"]
