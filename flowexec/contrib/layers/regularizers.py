"""contrib's weight regularizers: functions `fn(weights) -> scalar loss Tensor` (or None).

Op names as TF's: `l2_regularizer(0.1)(w)` is the Mul `<scope>l2_regularizer` of a Const
`.../scale` and `L2Loss(w)` (`sum(w**2) / 2`); `l1_regularizer` multiplies
`reduce_sum(abs(w))`. A scale of 0.0 returns a function giving None (the regularizer is off);
an integer or negative scale is a ValueError. Inside `get_variable` they run in the name
scope `<variable>/Regularizer/`.
"""

import numbers

from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.ops import math_ops, nn_ops
from flowexec.ops.constant_op import constant

__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer",
           "apply_regularization"]


def _check_scale(scale, message_tail=""):
    """None when the scale is usable, else the disabling function (scale 0)."""
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError("Setting a scale less than 0 on a regularizer: %g%s"
                             % (scale, message_tail))
        if scale == 0.0:
            return lambda _: None
    return None


def l1_regularizer(scale, scope=None):
    """L1 regularization: `scale * sum(|weights|)`.

    Args:
        scale: a float (or scalar Tensor) multiplier; 0.0 disables the regularizer.
        scope: the name scope (default "l1_regularizer").

    Returns:
        A function `l1(weights)`.

    Raises:
        ValueError: an integer or negative scale.

    Example:
        >>> reg = tf.contrib.layers.l1_regularizer(0.01)
    """
    off = _check_scale(scale)
    if off is not None:
        return off

    def l1(weights, name=None):
        with graph_mod.name_scope(scope, "l1_regularizer", [weights]) as name:
            my_scale = convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return math_ops.multiply(my_scale,
                                     math_ops.reduce_sum(math_ops.abs(weights)), name=name)

    return l1


def l2_regularizer(scale, scope=None):
    """L2 regularization: `scale * sum(weights ** 2) / 2` (`tf.nn.l2_loss`).

    Args:
        scale: a float (or scalar Tensor) multiplier; 0.0 disables the regularizer.
        scope: the name scope (default "l2_regularizer").

    Returns:
        A function `l2(weights)`.

    Raises:
        ValueError: an integer or negative scale.

    Example:
        >>> h = tf.contrib.layers.fully_connected(
        ...     x, 10, weights_regularizer=tf.contrib.layers.l2_regularizer(1e-4))
    """
    off = _check_scale(scale, ".")
    if off is not None:
        return off

    def l2(weights):
        with graph_mod.name_scope(scope, "l2_regularizer", [weights]) as name:
            my_scale = convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return math_ops.multiply(my_scale, nn_ops.l2_loss(weights), name=name)

    return l2


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """`l1_regularizer(scale_l1) + l2_regularizer(scale_l2)` in scope "l1_l2_regularizer"; a
    zero scale leaves just the other one (in that scope).

    Raises:
        ValueError: an integer or negative scale.

    Example:
        >>> reg = tf.contrib.layers.l1_l2_regularizer(0.01, 0.001)
    """
    if isinstance(scale_l1, numbers.Integral):
        raise ValueError(f"scale_l1 cannot be an integer: {scale_l1}")
    if isinstance(scale_l2, numbers.Integral):
        raise ValueError(f"scale_l2 cannot be an integer: {scale_l2}")
    scope = scope or "l1_l2_regularizer"
    if scale_l1 == 0.0:
        return l2_regularizer(scale_l2, scope)
    if scale_l2 == 0.0:
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def sum_regularizer(regularizer_list, scope=None):
    """The sum (`AddN`) of several regularizers; None entries and None losses are skipped.

    Returns:
        A function `sum_reg(weights)` (giving None when every loss is None), or None when
        `regularizer_list` has no regularizer.

    Example:
        >>> reg = tf.contrib.layers.sum_regularizer([l1_regularizer(0.1), my_reg])
    """
    regularizer_list = [reg for reg in regularizer_list if reg is not None]
    if not regularizer_list:
        return None

    def sum_reg(weights):
        with graph_mod.name_scope(scope, "sum_regularizer", [weights]) as name:
            tensors = [t for t in (reg(weights) for reg in regularizer_list) if t is not None]
            return math_ops.add_n(tensors, name=name) if tensors else None

    return sum_reg


def apply_regularization(regularizer, weights_list=None):
    """Sums `regularizer(w)` over `weights_list` and adds it to REGULARIZATION_LOSSES.

    Args:
        regularizer: `fn(tensor) -> scalar Tensor or None` (None counts as 0.0).
        weights_list: the tensors or variables (default: the WEIGHTS collection).

    Returns:
        The scalar `get_regularization_penalty` (an AddN).

    Raises:
        ValueError: no weights, or a penalty that is not a scalar.

    Example:
        >>> penalty = tf.contrib.layers.apply_regularization(
        ...     tf.contrib.layers.l2_regularizer(0.1), [w1, w2])
    """
    if not weights_list:
        weights_list = graph_mod.get_collection(GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with graph_mod.name_scope("get_regularization_penalty", values=weights_list) as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [p if p is not None else constant(0.0) for p in penalties]
        for p in penalties:
            if p.shape.ndims != 0:
                raise ValueError("regularizer must return a scalar Tensor instead of a "
                                 f"Tensor with rank {p.shape.ndims}.")
        summed_penalty = math_ops.add_n(penalties, name=scope)
        graph_mod.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, summed_penalty)
        return summed_penalty
