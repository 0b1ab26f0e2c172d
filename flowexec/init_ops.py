"""TF1 initializers: callables `(shape, dtype=None, partition_info=None) -> Tensor`.

`tf.get_variable(..., initializer=tf.zeros_initializer())` calls an initializer with the
variable's shape and dtype to build its initial value; the same objects are reachable as
`tf.initializers.zeros()` etc. Random initializers use the random ops with their `seed`, so
a graph-level seed plus an op seed gives reproducible values.
"""

import abc
import math
import types

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.tensor_shape import as_shape
from flowexec.ops import constant_op


def _array_ops():
    from flowexec.ops import array_ops
    return array_ops


def _random_ops():
    from flowexec.ops import random_ops
    return random_ops


def _assert_float_dtype(dtype):
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype}.")
    return dtype


def _shape_list(shape):
    if hasattr(shape, "op") and hasattr(shape, "value_index"):
        return shape  # a shape tensor: the ops accept it as is
    return as_shape(shape).as_list()


class Initializer(abc.ABC):
    """Base class of initializers: `init(shape, dtype=None, partition_info=None)`."""

    @abc.abstractmethod
    def __call__(self, shape, dtype=None, partition_info=None):
        """The initial value Tensor of `shape` and `dtype`."""

    def get_config(self):
        """The constructor arguments, so `from_config(get_config())` rebuilds it."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    """Fills with zeros (`tf.zeros_initializer`).

    Example:
        >>> v = tf.get_variable("v", [2, 3], initializer=tf.zeros_initializer())
    """

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _array_ops().zeros(_shape_list(shape), dtypes.as_dtype(dtype or self.dtype))

    def get_config(self):
        return {"dtype": self.dtype.name}


class Ones(Initializer):
    """Fills with ones (`tf.ones_initializer`).

    Example:
        >>> b = tf.get_variable("b", [3], initializer=tf.ones_initializer())
    """

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _array_ops().ones(_shape_list(shape), dtypes.as_dtype(dtype or self.dtype))

    def get_config(self):
        return {"dtype": self.dtype.name}


class Constant(Initializer):
    """Fills with a constant: a scalar is broadcast, a list/array must fit the shape.

    Args:
        value: a Python scalar, list or tuple of values, or numpy array.
        dtype: default element type.
        verify_shape: require `value`'s shape to equal the requested shape.

    Raises:
        TypeError: `value` is of another type.

    Example:
        >>> init = tf.constant_initializer(0.5)
        >>> v = tf.get_variable("v", [2], initializer=init)
    """

    def __init__(self, value=0, dtype=dtypes.float32, verify_shape=False):
        if not (np.isscalar(value) or isinstance(value, (list, tuple, np.ndarray))):
            raise TypeError(
                f"Invalid type for initial value: {type(value)} (expected Python scalar, list "
                "or tuple of values, or numpy.ndarray).")
        self.value = value
        self.dtype = dtypes.as_dtype(dtype)
        self._verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None, verify_shape=None):
        if verify_shape is None:
            verify_shape = self._verify_shape
        return constant_op.constant(self.value, dtype=dtypes.as_dtype(dtype or self.dtype),
                                    shape=as_shape(shape).as_list(), verify_shape=verify_shape)

    def get_config(self):
        return {"value": self.value, "dtype": self.dtype.name}


class RandomUniform(Initializer):
    """Uniform values in [minval, maxval) (maxval defaults to 1 for floats).

    Example:
        >>> init = tf.random_uniform_initializer(-0.1, 0.1, seed=1)
    """

    def __init__(self, minval=0, maxval=None, seed=None, dtype=dtypes.float32):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed
        self.dtype = dtypes.as_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return _random_ops().random_uniform(
            _shape_list(shape), minval=self.minval, maxval=self.maxval,
            dtype=dtypes.as_dtype(dtype or self.dtype), seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed,
                "dtype": self.dtype.name}


class _Normal(Initializer):
    """Shared body of the normal initializers; `_sampler` names the random_ops function."""

    _sampler = None

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=dtypes.float32):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        return getattr(_random_ops(), self._sampler)(
            _shape_list(shape), mean=self.mean, stddev=self.stddev,
            dtype=_assert_float_dtype(dtype or self.dtype), seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed,
                "dtype": self.dtype.name}


class RandomNormal(_Normal):
    """Normal values with `mean` and `stddev`.

    Example:
        >>> init = tf.random_normal_initializer(stddev=0.01, seed=1)
    """

    _sampler = "random_normal"


class TruncatedNormal(_Normal):
    """Normal values with `mean` and `stddev`, redrawn beyond two standard deviations.

    Example:
        >>> init = tf.truncated_normal_initializer(stddev=0.1)
    """

    _sampler = "truncated_normal"


def _compute_fans(shape):
    """(fan_in, fan_out) of a weight shape; conv kernels multiply by the receptive field."""
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive_field_size = 1
        for dim in shape[:-2]:
            receptive_field_size *= dim
        fan_in = shape[-2] * receptive_field_size
        fan_out = shape[-1] * receptive_field_size
    return int(fan_in), int(fan_out)


class VarianceScaling(Initializer):
    """Scales the variance to the weight's fan: stddev = sqrt(scale / n).

    `n` is fan_in, fan_out or their average (`mode`). "truncated_normal" (alias "normal")
    draws a truncated normal whose standard deviation after truncation is sqrt(scale / n);
    "untruncated_normal" a plain normal; "uniform" draws from [-limit, limit] with
    limit = sqrt(3 * scale / n).

    Raises:
        ValueError: non-positive scale, an unknown mode or distribution, or a non-float
            dtype.

    Example:
        >>> init = tf.variance_scaling_initializer(scale=2.0)  # He initialization
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 dtype=dtypes.float32):
        if scale <= 0.0:
            raise ValueError("`scale` must be positive float.")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError("Invalid `mode` argument:", mode)
        distribution = distribution.lower()
        if distribution not in {"normal", "uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError("Invalid `distribution` argument:", distribution)
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = _assert_float_dtype(dtype or self.dtype)
        shape = as_shape(shape).as_list()
        scale_shape = shape if partition_info is None else partition_info.full_shape
        fan_in, fan_out = _compute_fans(scale_shape)
        scale = self.scale
        if self.mode == "fan_in":
            scale /= max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale /= max(1.0, fan_out)
        else:
            scale /= max(1.0, (fan_in + fan_out) / 2.0)
        rops = _random_ops()
        if self.distribution in ("normal", "truncated_normal"):
            # scipy.stats.truncnorm.std(a=-2, b=2, loc=0., scale=1.)
            stddev = math.sqrt(scale) / 0.87962566103423978
            return rops.truncated_normal(shape, mean=0.0, stddev=stddev, dtype=dtype,
                                         seed=self.seed)
        if self.distribution == "untruncated_normal":
            return rops.random_normal(shape, mean=0.0, stddev=math.sqrt(scale), dtype=dtype,
                                      seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return rops.random_uniform(shape, minval=-limit, maxval=limit, dtype=dtype,
                                   seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed, "dtype": self.dtype.name}


class GlorotUniform(VarianceScaling):
    """Xavier uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> w = tf.get_variable("w", [784, 10], initializer=tf.glorot_uniform_initializer())
    """

    def __init__(self, seed=None, dtype=dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="uniform", seed=seed,
                         dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class GlorotNormal(VarianceScaling):
    """Xavier normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out)).

    Example:
        >>> init = tf.glorot_normal_initializer(seed=0)
    """

    def __init__(self, seed=None, dtype=dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="truncated_normal",
                         seed=seed, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class Identity(Initializer):
    """The identity matrix times `gain`, for 2-D shapes.

    Raises:
        ValueError: a shape that is not 2-D.

    Example:
        >>> w = tf.get_variable("w", [3, 3], initializer=tf.initializers.identity())
    """

    def __init__(self, gain=1.0, dtype=dtypes.float32):
        self.gain = gain
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        full_shape = shape if partition_info is None else partition_info.full_shape
        full_shape = as_shape(full_shape).as_list()
        if len(full_shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices.")
        dtype = _assert_float_dtype(dtype or self.dtype)
        value = np.eye(*full_shape, dtype=dtype.np) * np.asarray(self.gain, dtype=dtype.np)
        return constant_op.constant(value, dtype=dtype)

    def get_config(self):
        return {"gain": self.gain, "dtype": self.dtype.name}


def he_normal(seed=None):
    """He normal: truncated normal with stddev sqrt(2 / fan_in)."""
    return VarianceScaling(scale=2.0, mode="fan_in", distribution="truncated_normal",
                           seed=seed)


def he_uniform(seed=None):
    """He uniform: U(-limit, limit) with limit = sqrt(6 / fan_in)."""
    return VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=seed)


def lecun_normal(seed=None):
    """LeCun normal: truncated normal with stddev sqrt(1 / fan_in)."""
    return VarianceScaling(scale=1.0, mode="fan_in", distribution="truncated_normal",
                           seed=seed)


def lecun_uniform(seed=None):
    """LeCun uniform: U(-limit, limit) with limit = sqrt(3 / fan_in)."""
    return VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform", seed=seed)


# TF1 lower-case names.
zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_uniform_initializer = RandomUniform
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal


def _variables_initializer_fns():
    from flowexec import variables

    return {
        "global_variables": variables.global_variables_initializer,
        "local_variables": variables.local_variables_initializer,
        "variables": variables.variables_initializer,
    }


class _Initializers(types.SimpleNamespace):
    """`tf.initializers`: the initializer classes under their short names, and
    `global_variables()`, `local_variables()`, `variables(var_list)`."""

    def __getattr__(self, name):
        fns = _variables_initializer_fns()
        if name in fns:
            return fns[name]
        raise AttributeError(f"module 'tf.initializers' has no attribute '{name}'")


initializers = _Initializers(
    zeros=Zeros, ones=Ones, constant=Constant, random_uniform=RandomUniform,
    random_normal=RandomNormal, truncated_normal=TruncatedNormal,
    variance_scaling=VarianceScaling, glorot_uniform=GlorotUniform,
    glorot_normal=GlorotNormal, identity=Identity, he_normal=he_normal,
    he_uniform=he_uniform, lecun_normal=lecun_normal, lecun_uniform=lecun_uniform,
    Initializer=Initializer)

__all__ = [
    "constant_initializer",
    "glorot_normal_initializer",
    "glorot_uniform_initializer",
    "initializers",
    "ones_initializer",
    "random_normal_initializer",
    "random_uniform_initializer",
    "truncated_normal_initializer",
    "variance_scaling_initializer",
    "zeros_initializer",
]
