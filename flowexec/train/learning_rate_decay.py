"""Learning-rate schedules of TF1's `tf.train`: exponential, piecewise-constant, polynomial,
inverse-time and natural-exponential decay.

Each is a composite of graph ops evaluated from `global_step` whenever it runs, with TF1's
name scopes ("ExponentialDecay", "PiecewiseConstant", ...) and arithmetic in the learning
rate's dtype (the step and the constants are cast to it). TF1's `cond`/`case` choices are
`where` selections here: the branches are cheap scalars.

Example:
    >>> step = tf.train.get_or_create_global_step()
    >>> lr = tf.train.exponential_decay(0.1, step, decay_steps=100, decay_rate=0.96)
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor import Tensor
from flowexec.ops import math_ops
from flowexec.ops.constant_op import constant


def _tensors(*values):
    return [v for v in values if isinstance(v, Tensor)]


def _step_ratio(learning_rate, global_step, decay_steps, staircase, fn_name):
    if global_step is None:
        raise ValueError(f"global_step is required for {fn_name}.")
    learning_rate = convert_to_tensor(learning_rate, name="learning_rate")
    dtype = learning_rate.dtype
    p = math_ops.cast(global_step, dtype) / math_ops.cast(decay_steps, dtype)
    if staircase:
        p = math_ops.floor(p)
    return learning_rate, dtype, p


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """`learning_rate * decay_rate ** (global_step / decay_steps)`.

    Args:
        learning_rate: the initial rate (a float scalar or Tensor).
        global_step: the step (an integer scalar Tensor or Variable).
        decay_steps: steps per decay period (positive).
        decay_rate: the factor per period.
        staircase: decay in whole periods (floor of the ratio).
        name: name scope (default "ExponentialDecay").

    Returns:
        A scalar Tensor of the learning rate's dtype.

    Raises:
        ValueError: `global_step` is None.

    Example:
        >>> lr = exponential_decay(0.1, global_step, 1000, 0.96, staircase=True)
    """
    with name_scope(name, "ExponentialDecay",
                    _tensors(learning_rate, global_step, decay_steps, decay_rate)) as scope:
        lr, dtype, p = _step_ratio(learning_rate, global_step, decay_steps, staircase,
                                   "exponential_decay")
        decay_rate = math_ops.cast(decay_rate, dtype)
        return math_ops.multiply(lr, math_ops.pow(decay_rate, p), name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """`values[0]` while `x <= boundaries[0]`, `values[i]` while `boundaries[i-1] < x <=
    boundaries[i]`, and `values[-1]` after the last boundary.

    Args:
        x: a scalar Tensor (e.g. the global step).
        boundaries: increasing scalars of `x`'s dtype (Python ints for an int64 `x` are fine).
        values: one more scalar than `boundaries`, all of one dtype.
        name: name scope (default "PiecewiseConstant").

    Returns:
        A scalar Tensor of the values' dtype.

    Raises:
        ValueError: the lengths do not match, or the dtypes differ.

    Example:
        >>> lr = piecewise_constant(global_step, [100, 200], [1.0, 0.5, 0.1])
    """
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with name_scope(name, "PiecewiseConstant", _tensors(x, *boundaries, *values)):
        x = convert_to_tensor(x)
        boundaries = [convert_to_tensor(b) for b in boundaries]
        values = [convert_to_tensor(v) for v in values]
        for i, b in enumerate(boundaries):
            if b.dtype is not x.dtype:
                if b.dtype is dtypes.int32 and x.dtype is dtypes.int64:
                    boundaries[i] = math_ops.cast(b, x.dtype)
                else:
                    raise ValueError(f"Boundaries ({b.dtype.name}) must have the same dtype "
                                     f"as x ({x.dtype.name}).")
        for v in values[1:]:
            if v.dtype is not values[0].dtype:
                raise ValueError(f"Values must have elements all with the same dtype "
                                 f"({values[0].dtype.name} vs {v.dtype.name}).")
        result = values[0]
        for b, v in zip(boundaries, values[1:]):
            result = math_ops.where(x > b, v, result)
        return result


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False, name=None):
    """`(lr - end) * (1 - step / decay_steps) ** power + end`, the step capped at
    `decay_steps` (or, with `cycle`, `decay_steps` stretched to the next multiple).

    Args:
        learning_rate: the initial rate.
        global_step: the step.
        decay_steps: steps to reach `end_learning_rate` (positive).
        end_learning_rate: the final rate.
        power: the polynomial's power.
        cycle: restart the decay after `decay_steps`, from a longer period.
        name: name scope (default "PolynomialDecay").

    Returns:
        A scalar Tensor of the learning rate's dtype.

    Raises:
        ValueError: `global_step` is None.

    Example:
        >>> lr = polynomial_decay(0.1, global_step, 10000, 0.01, power=0.5)
    """
    if global_step is None:
        raise ValueError("global_step is required for polynomial_decay.")
    with name_scope(name, "PolynomialDecay",
                    _tensors(learning_rate, global_step, decay_steps, end_learning_rate,
                             power)) as scope:
        lr = convert_to_tensor(learning_rate, name="learning_rate")
        dtype = lr.dtype
        end = math_ops.cast(end_learning_rate, dtype)
        power = math_ops.cast(power, dtype)
        step = math_ops.cast(global_step, dtype)
        steps = math_ops.cast(decay_steps, dtype)
        if cycle:
            # The first multiple of decay_steps above the step; 1 at step 0.
            multiplier = math_ops.where(math_ops.equal(step, 0), constant(1.0, dtype),
                                        math_ops.ceil(step / steps))
            steps = math_ops.multiply(steps, multiplier)
        else:
            step = math_ops.minimum(step, steps)
        p = math_ops.div(step, steps)
        return math_ops.add(math_ops.multiply(lr - end, math_ops.pow(1 - p, power)), end,
                            name=scope)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """`learning_rate * exp(-decay_rate * global_step / decay_steps)`.

    Args:
        learning_rate: the initial rate.
        global_step: the step.
        decay_steps: steps per decay period (positive).
        decay_rate: the decay rate.
        staircase: decay in whole periods.
        name: name scope (default "NaturalExpDecay").

    Returns:
        A scalar Tensor of the learning rate's dtype.

    Raises:
        ValueError: `global_step` is None.

    Example:
        >>> lr = natural_exp_decay(0.1, global_step, 5, 0.5)
    """
    with name_scope(name, "NaturalExpDecay",
                    _tensors(learning_rate, global_step, decay_rate)) as scope:
        lr, dtype, p = _step_ratio(learning_rate, global_step, decay_steps, staircase,
                                   "natural_exp_decay")
        decay_rate = math_ops.cast(decay_rate, dtype)
        exponent = math_ops.exp(math_ops.multiply(math_ops.negative(decay_rate), p))
        return math_ops.multiply(lr, exponent, name=scope)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                       name=None):
    """`learning_rate / (1 + decay_rate * global_step / decay_steps)`.

    Args:
        learning_rate: the initial rate.
        global_step: the step.
        decay_steps: steps per decay period (positive).
        decay_rate: the decay rate.
        staircase: decay in whole periods.
        name: name scope (default "InverseTimeDecay").

    Returns:
        A scalar Tensor of the learning rate's dtype.

    Raises:
        ValueError: `global_step` is None.

    Example:
        >>> lr = inverse_time_decay(0.1, global_step, 1, 0.5)
    """
    with name_scope(name, "InverseTimeDecay",
                    _tensors(learning_rate, global_step, decay_rate)) as scope:
        lr, dtype, p = _step_ratio(learning_rate, global_step, decay_steps, staircase,
                                   "inverse_time_decay")
        decay_rate = math_ops.cast(decay_rate, dtype)
        denom = math_ops.add(constant(1.0, dtype), math_ops.multiply(decay_rate, p))
        return math_ops.div(lr, denom, name=scope)


__all__ = ["exponential_decay", "inverse_time_decay", "natural_exp_decay",
           "piecewise_constant", "polynomial_decay"]
