"""composite_math_ops: `tf.math` functions that TF builds from other ops (no kernels here).

reduce_variance/reduce_std/reduce_euclidean_norm, log_sigmoid, polyval, accumulate_n,
is_non_decreasing/is_strictly_increasing and the raw-op style `arg_max`/`arg_min`; each is
TF 1.x's composition, so values and gradients follow from the ops it uses.
"""

import numpy as np
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape, as_shape
from flowexec.ops import array_ops, math_ops, nn_ops


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The variance of the elements along `axis` (all by default): mean(|x - mean(x)|**2).

    Example:
        >>> reduce_variance([[1.0, 2.0], [3.0, 4.0]])  # 1.25
    """
    with name_scope(name or "reduce_variance"):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        means = math_ops.reduce_mean(x, axis=axis, keepdims=True)
        squared = math_ops.square(math_ops.abs(x - means))
        return math_ops.reduce_mean(squared, axis=axis, keepdims=keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """The standard deviation along `axis`: sqrt(reduce_variance).

    Example:
        >>> reduce_std([[1.0, 2.0], [3.0, 4.0]])  # 1.118...
    """
    with name_scope(name or "reduce_std"):
        return math_ops.sqrt(reduce_variance(input_tensor, axis=axis, keepdims=keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x**2)) along `axis` (all by default), for float tensors.

    Example:
        >>> reduce_euclidean_norm([[3.0, 4.0]], axis=1)  # [5.0]
    """
    with name_scope(name or "reduce_euclidean_norm"):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        return math_ops.sqrt(math_ops.reduce_sum(math_ops.square(x), axis=axis,
                                                 keepdims=keepdims))


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) elementwise, computed as -softplus(-x) (stable for large |x|).

    Example:
        >>> log_sigmoid(constant([0.0]))  # [-0.6931]
    """
    with name_scope(name, "LogSigmoid", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return math_ops.negative(nn_ops.softplus(math_ops.negative(x)), name=scope)


def polyval(coeffs, x, name=None):
    """The polynomial coeffs[0] * x**(n-1) + ... + coeffs[n-1], by Horner's rule.

    Args:
        coeffs: a list of Tensors (or numbers), highest power first.
        x: a Tensor.
        name: name scope.

    Raises:
        ValueError: `coeffs` is not a list.

    Example:
        >>> polyval([2.0, 0.0, 1.0], constant(3.0))  # 2 * 9 + 1 = 19
    """
    if not isinstance(coeffs, list):
        raise ValueError(f"Argument coeffs must be list type found {type(coeffs)}.")
    with name_scope(name, "polyval", list(coeffs) + [x]):
        x = convert_to_tensor(x, name="x")
        if not coeffs:
            return array_ops.zeros_like(x, name=name)
        coeffs = [convert_to_tensor(c, name=f"coeffs_{i}", dtype=x.dtype)
                  for i, c in enumerate(coeffs)]
        result = coeffs[0]
        for c in coeffs[1:]:
            result = c + result * x
        return result


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The elementwise sum of `inputs` (a list of same-shape, same-dtype Tensors).

    Args:
        inputs: a non-empty list of Tensors.
        shape: the expected shape of the inputs (checked), optional.
        tensor_dtype: the expected dtype of the inputs (checked), optional.
        name: op name.

    Raises:
        ValueError: an empty list, non-Tensors, or inputs of different shapes or dtypes.

    Example:
        >>> accumulate_n([a, b, c])  # a + b + c
    """
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    inputs = [convert_to_tensor(t) for t in inputs]
    if not all(isinstance(t, Tensor) for t in inputs):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    if not all(t.dtype == inputs[0].dtype for t in inputs):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype "
                         "and shape")
    merged = TensorShape(None) if shape is None else as_shape(shape)
    for t in inputs:
        merged = merged.merge_with(t.shape)
    if tensor_dtype is not None and dtypes.as_dtype(tensor_dtype) != inputs[0].dtype:
        raise TypeError(f"tensor_dtype is {dtypes.as_dtype(tensor_dtype).name}, but input is "
                        f"of type {inputs[0].dtype.name}")
    if len(inputs) == 1 and name is None:
        return inputs[0]
    return math_ops.add_n(inputs, name=name)


def _monotonic(x, compare, default_name, name):
    with name_scope(name, default_name, [x]):
        x = convert_to_tensor(x, name="x")
        if x.dtype in (dtypes.bool, dtypes.string):
            raise TypeError(f"Expected x to be numeric, found {x.dtype}")
        flat = array_ops.reshape(x, [-1])
        diff = compare(flat[1:], flat[:-1])
        return math_ops.reduce_all(diff)


def is_non_decreasing(x, name=None):
    """True when x[i] <= x[i + 1] for all i of the flattened x (True for fewer than 2).

    Example:
        >>> is_non_decreasing([1, 1, 2])  # True
    """
    return _monotonic(x, math_ops.greater_equal, "is_non_decreasing", name)


def is_strictly_increasing(x, name=None):
    """True when x[i] < x[i + 1] for all i of the flattened x (True for fewer than 2).

    Example:
        >>> is_strictly_increasing([1, 1, 2])  # False
    """
    return _monotonic(x, math_ops.greater, "is_strictly_increasing", name)


def arg_max(input, dimension, output_type=dtypes.int64, name=None):
    """The raw ArgMax op: indices of the largest values along `dimension` (TF 1.x arg_max)."""
    return math_ops.argmax(input, axis=dimension, output_type=output_type, name=name)


def arg_min(input, dimension, output_type=dtypes.int64, name=None):
    """The raw ArgMin op: indices of the smallest values along `dimension` (TF 1.x arg_min)."""
    return math_ops.argmin(input, axis=dimension, output_type=output_type, name=name)


def saturate_cast(value, dtype, name=None):
    """Casts `value` to `dtype`, first clamping it to the range of `dtype` (no wrap-around).

    Example:
        >>> saturate_cast(constant([-1.0, 300.0]), tf.uint8)  # [0, 255]
    """
    with name_scope(name, "saturate_cast", [value]) as scope:
        value = convert_to_tensor(value, name="value")
        dtype = dtypes.as_dtype(dtype)
        if value.dtype.min < dtype.min:
            value = math_ops.maximum(value, _bound(dtype.min, value.dtype), name="min")
        if value.dtype.max > dtype.max:
            value = math_ops.minimum(value, _bound(dtype.max, value.dtype), name="max")
        return math_ops.cast(value, dtype, name=scope)


def _bound(limit, dtype):
    """`limit` (an integer type's min or max) as a value of `dtype` that does not pass it: a
    float type may round 2**31 - 1 up to 2**31, which would overflow the cast (TF 2's fix)."""
    from flowexec.ops import constant_op

    np_dtype = dtype.base_dtype.np
    bound = np.array(limit, dtype=np_dtype)
    if dtype.is_floating:
        toward = np.array(0, dtype=np_dtype)
        # Python compares a float and an int exactly (numpy would round the int first)
        while (float(bound) > limit) if limit > 0 else (float(bound) < limit):
            bound = np.nextafter(bound, toward)
    return constant_op.constant(bound, dtype=dtype)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """log(cumsum(exp(x))) along `axis`, computed stably: the running maximum of each slice
    is factored out (TF's CumulativeLogsumexp semantics; -inf where an exclusive sum is
    empty).

    Example:
        >>> cumulative_logsumexp([0.0, 0.0])  # [0, log 2]
    """
    from flowexec.ops import array_ops, constant_op

    with name_scope(name, "CumulativeLogsumexp", [x]):
        x = convert_to_tensor(x, name="x")
        m = constant_op.stop_gradient(math_ops.reduce_max(x, axis=axis, keepdims=True))
        m = math_ops.where(math_ops.is_finite(m), m, array_ops.zeros_like(m))
        total = math_ops.cumsum(math_ops.exp(x - m), axis=axis, exclusive=exclusive,
                                reverse=reverse)
        return math_ops.log(total) + m


__all__ = ["accumulate_n", "arg_max", "arg_min", "is_non_decreasing",
           "is_strictly_increasing", "log_sigmoid", "polyval", "reduce_euclidean_norm",
           "reduce_std", "reduce_variance", "saturate_cast"]
