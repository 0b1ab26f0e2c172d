"""contrib's weight initializers: `xavier_initializer`, `xavier_initializer_conv2d` and
`variance_scaling_initializer`, with contrib's own formula (not that of
`tf.variance_scaling_initializer`):

    fan_in  = shape[-2] (shape[-1] for a vector) * prod(shape[:-2])
    fan_out = shape[-1] * prod(shape[:-2])
    n = fan_in | fan_out | (fan_in + fan_out) / 2      (mode FAN_IN | FAN_OUT | FAN_AVG)
    uniform:  U(-sqrt(3 * factor / n), sqrt(3 * factor / n))
    normal:   truncated_normal(0, sqrt(1.3 * factor / n))  (1.3 undoes the truncation)

The returned initializers are plain functions `fn(shape, dtype=..., partition_info=None)`
building a RandomUniform / TruncatedNormal op.
"""

import math

from flowexec.framework import dtypes
from flowexec.ops import random_ops

__all__ = ["xavier_initializer", "xavier_initializer_conv2d", "variance_scaling_initializer"]


def xavier_initializer(uniform=True, seed=None, dtype=dtypes.float32):
    """Glorot/"Xavier" initialization: `variance_scaling_initializer(1.0, 'FAN_AVG', uniform)`.

    Uniform in `[-sqrt(6 / (in + out)), sqrt(6 / (in + out))]`, or truncated normal with
    stddev `sqrt(1.3 * 2 / (in + out))`.

    Args:
        uniform: uniform (default) or truncated-normal distribution.
        seed: op-level seed.
        dtype: a floating dtype.

    Returns:
        An initializer function.

    Raises:
        TypeError: a non-floating dtype.

    Example:
        >>> w = tf.get_variable("w", [784, 10],
        ...                     initializer=tf.contrib.layers.xavier_initializer())
    """
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform,
                                        seed=seed, dtype=dtype)


xavier_initializer_conv2d = xavier_initializer


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                 dtype=dtypes.float32):
    """An initializer keeping the variance `factor / n` (He et al. by default).

    Args:
        factor: the multiplicative factor (2.0).
        mode: "FAN_IN", "FAN_OUT" or "FAN_AVG" (see the module docstring for the fans).
        uniform: uniform distribution instead of truncated normal.
        seed: op-level seed.
        dtype: a floating dtype.

    Returns:
        An initializer function `fn(shape, dtype=dtype, partition_info=None)`.

    Raises:
        TypeError: a non-floating dtype, or an unknown mode.

    Example:
        >>> init = tf.contrib.layers.variance_scaling_initializer(factor=1.0, uniform=True)
    """
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ["FAN_IN", "FAN_OUT", "FAN_AVG"]:
        # TF's message, passed unformatted with the mode as a second argument.
        raise TypeError("Unknow mode %s [FAN_IN, FAN_OUT, FAN_AVG]", mode)

    def _initializer(shape, dtype=dtype, partition_info=None):
        dtype = dtypes.as_dtype(dtype)
        if not dtype.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        shape = list(shape)
        fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
        fan_out = float(shape[-1])
        for dim in shape[:-2]:
            fan_in *= float(dim)
            fan_out *= float(dim)
        if mode == "FAN_IN":
            n = fan_in
        elif mode == "FAN_OUT":
            n = fan_out
        else:
            n = (fan_in + fan_out) / 2.0
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return random_ops.random_uniform(shape, -limit, limit, dtype, seed=seed)
        trunc_stddev = math.sqrt(1.3 * factor / n)
        return random_ops.truncated_normal(shape, 0.0, trunc_stddev, dtype, seed=seed)

    return _initializer
