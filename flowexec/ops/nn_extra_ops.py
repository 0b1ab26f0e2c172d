"""nn_extra_ops: `tf.nn` functions that TF composes from other ops — log_poisson_loss,
sufficient_statistics / normalize_moments / weighted_moments, crelu, swish/silu,
batch_norm_with_global_normalization, compute_average_loss, scale_regularization_loss.

Each is TF's composition, so values and gradients follow from the ops used.
"""

import math

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import nn_ops as _nn
from flowexec.ops.constant_op import stop_gradient


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """The negative log-likelihood of `targets` under Poisson(exp(log_input)):
    exp(log_input) - targets * log_input, plus with `compute_full_loss` the Stirling
    approximation of log(targets!) (for targets > 1), as TF.

    Raises:
        ValueError: the shapes differ.

    Example:
        >>> log_poisson_loss([1.0, 2.0], [0.0, 0.5])  # [1., exp(.5) - 1]
    """
    with name_scope(name, "log_poisson_loss", [targets, log_input]):
        log_input = convert_to_tensor(log_input, name="log_input")
        targets = convert_to_tensor(targets, name="targets", dtype=log_input.dtype)
        if not log_input.shape.is_compatible_with(targets.shape):
            raise ValueError(f"log_input and targets must have the same shape "
                             f"({log_input.shape} vs {targets.shape})")
        result = _m.exp(log_input) - log_input * targets
        if compute_full_loss:
            point_five = _m.cast(0.5, targets.dtype)
            two_pi = _m.cast(2 * math.pi, targets.dtype)
            safe = _m.maximum(targets, _a.ones_like(targets))
            stirling = (safe * _m.log(safe) - safe + point_five * _m.log(two_pi * safe))
            zeros = _a.zeros_like(targets)
            ones = _a.ones_like(targets)
            cond = _m.logical_and(_m.greater_equal(targets, zeros), _m.less_equal(targets, ones))
            result += _m.where(cond, zeros, stirling)
        return result


def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """The count, (shifted) sum and (shifted) sum of squares of `x` over `axes`: TF's
    `(count, mean_ss, var_ss, shift)`; `normalize_moments` turns them into mean and
    variance."""
    keepdims = _m._deprecated_alias("keepdims", keepdims, "keep_dims", keep_dims) or False
    with name_scope(name, "sufficient_statistics", [x, shift]):
        x = convert_to_tensor(x, name="x")
        shape = x.shape
        if shape.ndims is not None and all(shape.as_list()[d] is not None for d in axes):
            count = 1
            for d in axes:
                count *= shape.as_list()[d]
            counts = convert_to_tensor(count, dtype=x.dtype, name="count")
        else:
            dims = _a.gather(_m.cast(_a.shape(x), x.dtype), axes)
            counts = _m.reduce_prod(dims, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, name="shift", dtype=x.dtype)
            m_ss = _m.reduce_sum(x - shift, axes, keepdims=keepdims, name="mean_ss")
            v_ss = _m.reduce_sum(_m.squared_difference(x, shift), axes, keepdims=keepdims,
                                 name="var_ss")
        else:
            m_ss = _m.reduce_sum(x, axes, keepdims=keepdims, name="mean_ss")
            v_ss = _m.reduce_sum(_m.square(x), axes, keepdims=keepdims, name="var_ss")
        return counts, m_ss, v_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """(mean, variance) from `sufficient_statistics`'s outputs, as TF computes them."""
    with name_scope(name, "normalize", [counts, mean_ss, variance_ss, shift]):
        divisor = _m.reciprocal(convert_to_tensor(counts), name="divisor")
        if shift is not None:
            shifted_mean = _m.multiply(mean_ss, divisor, name="shifted_mean")
            mean = _m.add(shifted_mean, shift, name="mean")
        else:
            shifted_mean = _m.multiply(mean_ss, divisor, name="mean")
            mean = shifted_mean
        variance = _m.subtract(_m.multiply(variance_ss, divisor), _m.square(shifted_mean),
                               name="variance")
        return mean, variance


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """The frequency-weighted mean and variance of `x` over `axes` (weights broadcast to x).

    Example:
        >>> weighted_moments([1.0, 3.0], [0], [3.0, 1.0])  # (1.5, 0.75)
    """
    keepdims = _m._deprecated_alias("keepdims", keepdims, "keep_dims", keep_dims) or False
    with name_scope(name, "weighted_moments", [x, frequency_weights, axes]):
        x = convert_to_tensor(x, name="x")
        w = convert_to_tensor(frequency_weights, name="frequency_weights", dtype=x.dtype)
        needs_cast = x.dtype is dtypes.float16
        if needs_cast:
            x, w = _m.cast(x, dtypes.float32), _m.cast(w, dtypes.float32)
        weighted_input_sum = _m.reduce_sum(w * x, axes, keepdims=True, name="weighted_input_sum")
        broadcasted_weights = w + _a.zeros_like(x)
        sum_of_weights = _m.reduce_sum(broadcasted_weights, axes, keepdims=True,
                                       name="sum_of_weights")
        divisor = _m.reciprocal(sum_of_weights, name="inv_weight_sum")
        weighted_mean = _m.multiply(weighted_input_sum, divisor)
        weighted_distsq = _m.reduce_sum(
            w * _m.squared_difference(x, stop_gradient(weighted_mean)), axes, keepdims=True,
            name="weighted_distsq")
        weighted_variance = _m.multiply(weighted_distsq, divisor)
        if not keepdims:
            weighted_mean = _a.squeeze(weighted_mean, axis=list(axes))
            weighted_variance = _a.squeeze(weighted_variance, axis=list(axes))
        if needs_cast:
            weighted_mean = _m.cast(weighted_mean, dtypes.float16)
            weighted_variance = _m.cast(weighted_variance, dtypes.float16)
        return weighted_mean, weighted_variance


def crelu(features, name=None, axis=-1):
    """Concatenated ReLU: concat([relu(x), relu(-x)], axis), doubling that dimension.

    Example:
        >>> crelu([1.0, -2.0])  # [1, 0, 0, 2]
    """
    with name_scope(name, "CRelu", [features]):
        x = convert_to_tensor(features, name="features")
        return _nn.relu(_a.concat([x, -x], axis))


def swish(features, beta=1.0, name=None):
    """x * sigmoid(beta * x) (the SiLU when beta = 1).

    Example:
        >>> swish([0.0, 1.0])  # [0, 0.7311]
    """
    with name_scope(name, "swish", [features]):
        x = convert_to_tensor(features, name="features")
        beta = convert_to_tensor(beta, dtype=x.dtype, name="beta")
        return x * _m.sigmoid(beta * x)


silu = swish


def batch_norm_with_global_normalization(t=None, m=None, v=None, beta=None, gamma=None,
                                         variance_epsilon=None, scale_after_normalization=None,
                                         name=None, input=None, mean=None, variance=None):
    """TF 0.x's batch normalization: `batch_normalization(t, m, v, beta, gamma or None,
    variance_epsilon)` (gamma applied only with `scale_after_normalization`)."""
    t = _m._deprecated_alias("input", input, "t", t)
    m = _m._deprecated_alias("mean", mean, "m", m)
    v = _m._deprecated_alias("variance", variance, "v", v)
    return _nn.batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None,
                                   variance_epsilon, name=name or "batchnorm")


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """sum(per_example_loss * sample_weight) / global_batch_size (default: the batch size,
    one replica), as TF's `tf.nn.compute_average_loss` in a single-replica program."""
    with name_scope(None, "compute_average_loss", [per_example_loss]):
        loss = convert_to_tensor(per_example_loss, name="per_example_loss")
        if sample_weight is not None:
            loss = loss * _m.cast(convert_to_tensor(sample_weight), loss.dtype)
        if global_batch_size is None:
            global_batch_size = _m.cast(_a.shape(loss)[0] if loss.shape.ndims else 1, loss.dtype)
        else:
            global_batch_size = _m.cast(convert_to_tensor(global_batch_size), loss.dtype)
        return _m.truediv(_m.reduce_sum(loss), global_batch_size)


def scale_regularization_loss(regularization_loss):
    """The summed regularization loss divided by the number of replicas: itself, in a
    single-replica flowexec program."""
    with name_scope(None, "scale_regularization_loss", [regularization_loss]):
        return _m.reduce_sum(convert_to_tensor(regularization_loss))


__all__ = ["batch_norm_with_global_normalization", "compute_average_loss", "crelu",
           "log_poisson_loss", "normalize_moments", "scale_regularization_loss", "silu",
           "sufficient_statistics", "swish", "weighted_moments"]


def general_dropout(x, rate, uniform_sampler, noise_shape=None, name=None):
    """TF 2.21's dropout with the caller's random numbers: keeps `x / (1 - rate)` where
    `uniform_sampler(shape=noise_shape, dtype=x.dtype) >= rate`, zero elsewhere
    (`tf.nn.experimental.general_dropout`).

    Args:
        x: a floating Tensor.
        rate: the drop probability, a float in [0, 1) or a scalar Tensor.
        uniform_sampler: `fn(shape, dtype) -> Tensor` of uniform [0, 1) values.
        noise_shape: the mask's shape, broadcast against `x` (default `x`'s shape).
        name: name scope (default "general_dropout").

    Returns:
        A Tensor of `x`'s shape and dtype (`x` itself when `rate` is the number 0).

    Raises:
        ValueError: a rate outside [0, 1) or a non-floating `x`.

    Example:
        >>> tf.nn.experimental.general_dropout(x, 0.5, lambda shape, dtype:
        ...     tf.random.stateless_uniform(shape, [1, 2], dtype=dtype))
    """
    import numbers

    if isinstance(rate, numbers.Real) and not 0 <= rate < 1:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). "
                         f"Received: rate={rate}")
    with name_scope(name, "general_dropout", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError(f"x has to be a floating point tensor since it's going to be "
                             f"scaled. Got a {x.dtype} tensor instead.")
        if isinstance(rate, numbers.Real) and rate == 0:
            return x
        rate_t = convert_to_tensor(rate, dtype=x.dtype, name="rate")
        shape = _nn._noise_shape(x, noise_shape)
        keep = _m.greater_equal(uniform_sampler(shape=shape, dtype=x.dtype), rate_t)
        scaled = _m.multiply(x, 1 / (1 - rate_t))
        from flowexec.ops.manip_ops import where_v2

        return where_v2(keep, scaled, _a.zeros_like(scaled))


def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """Dropout whose mask is a pure function of `seed` (`tf.nn.experimental.stateless_
    dropout`): `general_dropout` with `tf.random.stateless_uniform(shape, seed)`. The mask's
    bits are flowexec's stateless stream, not TF's Philox, so masks differ from TF's.

    Args:
        x: a floating Tensor.
        rate: the drop probability in [0, 1).
        seed: int32/int64 `[2]` stateless seed.
        rng_alg: accepted (flowexec has one stateless stream).
        noise_shape: the mask's shape, broadcast against `x`.
        name: name scope (default "stateless_dropout").

    Returns:
        A Tensor of `x`'s shape and dtype; the same seed drops the same elements every run.

    Raises:
        ValueError: a rate outside [0, 1) or a non-floating `x`.

    Example:
        >>> y = tf.nn.experimental.stateless_dropout(x, 0.5, seed=[1, 2])
    """
    from flowexec.ops.random_extra_ops import stateless_random_uniform

    del rng_alg
    with name_scope(name, "stateless_dropout", [x]) as scope:
        return general_dropout(
            x, rate, lambda shape, dtype: stateless_random_uniform(shape, seed, dtype=dtype),
            noise_shape=noise_shape, name=scope)
