"""weights_broadcast_ops: TF's rule for loss and metric weights.

Weights are broadcastable to values when they are a scalar, or have the values' rank with each
dimension either 1 or equal to the values' dimension (`[batch, 1]` for `[batch, d]` values;
`[batch]` is refused, unlike numpy broadcasting). Known shapes are checked at build time
(ValueError, TF's message); otherwise an Assert op checks at run time (InvalidArgumentError).
"""

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.ops import array_ops, math_ops
from flowexec.ops.logging_ops import Assert

_ERROR_PREFIX = "weights can not be broadcast to values."


def _static_check(weights, values):
    """True when build-time shapes settle the question; raises ValueError when they refuse."""
    w_shape, v_shape = weights.shape, values.shape
    if w_shape.ndims == 0:
        return True
    if w_shape.ndims is None or v_shape.ndims is None:
        return False
    if w_shape.ndims != v_shape.ndims:
        raise ValueError(
            f"{_ERROR_PREFIX} values.rank={v_shape.ndims}. weights.rank={w_shape.ndims}. "
            f"values.shape={v_shape}. weights.shape={w_shape}. Received weights={weights}, "
            f"values={values}")
    known = True
    for i, (w, v) in enumerate(zip(w_shape.as_list(), v_shape.as_list())):
        if w is None or v is None:
            known = known and w == 1
            continue
        if w != 1 and w != v:
            raise ValueError(
                f"{_ERROR_PREFIX} Mismatch at dim {i}. values.shape={v_shape.as_list()}, "
                f"weights.shape={w_shape.as_list()}. Received weights={weights}, "
                f"values={values}")
    return known


def assert_broadcastable(weights, values):
    """The check that `weights` broadcast to `values` by TF's rule.

    Args:
        weights: a Tensor.
        values: a Tensor.

    Returns:
        None when the build-time shapes prove it, else an Assert op to run before using the
        weights (in `control_dependencies`).

    Raises:
        ValueError: the build-time shapes refuse it.
    """
    with name_scope(None, "assert_broadcastable", (weights, values)):
        if _static_check(weights, values):
            return None
        w_shape = array_ops.shape(weights, name="weights/shape")
        w_rank = array_ops.rank(weights, name="weights/rank")
        v_shape = array_ops.shape(values, name="values/shape")
        v_rank = array_ops.rank(values, name="values/rank")
        is_scalar = math_ops.equal(w_rank, 0, name="is_scalar")
        # Pad the weights' shape with the values' so the comparison has the values' length
        # whatever the ranks; a rank mismatch fails the rank test anyway.
        padded = array_ops.slice(array_ops.concat([w_shape, v_shape], 0), [0], [v_rank])
        dims_ok = math_ops.reduce_all(math_ops.logical_or(math_ops.equal(padded, 1),
                                                          math_ops.equal(padded, v_shape)))
        ok = math_ops.logical_or(is_scalar,
                                 math_ops.logical_and(math_ops.equal(w_rank, v_rank), dims_ok))
        return Assert(ok, [_ERROR_PREFIX, "weights.shape=", weights.name, w_shape,
                           "values.shape=", values.name, v_shape, "is_scalar=", is_scalar],
                      name="is_valid_shape")


def broadcast_weights(weights, values):
    """`weights` broadcast to the shape of `values` (TF's rule; see the module docstring).

    Args:
        weights: a Tensor broadcastable to `values`.
        values: a Tensor.

    Returns:
        `weights` itself when the shapes already agree, else `weights * ones_like(values)`.
    """
    with name_scope(None, "broadcast_weights", (weights, values)) as scope:
        values = convert_to_tensor(values, name="values")
        weights = convert_to_tensor(weights, name="weights")
        if (weights.shape.is_fully_defined() and values.shape.is_fully_defined()
                and weights.shape == values.shape):
            return weights
        check = assert_broadcastable(weights, values)
        with control_dependencies([check] if check is not None else []):
            ones = array_ops.ones_like(values, dtype=weights.dtype)
            return math_ops.multiply(weights, ones, name=scope)


__all__ = ["assert_broadcastable", "broadcast_weights"]
