"""Special functions of the normal and Laplace distributions, composed from graph ops as TF
1.x's `distributions/special_math.py`: `ndtr` (from erf/erfc, accurate in both tails),
`log_ndtr` (an asymptotic series below -20 in float64 / -10 in float32, -ndtr(-x) above
8 / 5), `ndtri` and `log_cdf_laplace`. All are differentiable through their parts.
"""

import numpy as np

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, math_ops
from flowexec.ops.constant_op import constant
from flowexec.ops.manip_ops import where_v2
from flowexec.ops import special_ops

__all__ = ["erfinv", "log_cdf_laplace", "log_ndtr", "ndtr", "ndtri"]

LOGNDTR_FLOAT64_LOWER = np.array(-20, np.float64)
LOGNDTR_FLOAT32_LOWER = np.array(-10, np.float32)
LOGNDTR_FLOAT64_UPPER = np.array(8, np.float64)
LOGNDTR_FLOAT32_UPPER = np.array(5, np.float32)


def _apply_to_float(fn, x, name, arg="x"):
    """fn(x) under the `name` scope, for `x` converted to a Tensor named `arg` and checked to
    be float32 or float64 (TypeError otherwise)."""
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name=arg)
        if x.dtype.as_numpy_dtype not in (np.float32, np.float64):
            raise TypeError(f"{arg}.dtype={x.dtype} is not handled, see docstring for "
                            "supported types.")
        return fn(x)


def ndtr(x, name="ndtr"):
    """The standard normal CDF, 0.5 * (1 + erf(x / sqrt(2))), computed as TF does.

    Args:
        x: float32 or float64 Tensor.
        name: name scope.

    Returns:
        A Tensor like `x`.

    Raises:
        TypeError: another dtype.

    Example:
        >>> ndtr(0.0)  # 0.5
    """
    return _apply_to_float(_ndtr, x, name)


def _ndtr(x):
    half_sqrt_2 = constant(0.5 * np.sqrt(2.0), dtype=x.dtype, name="half_sqrt_2")
    w = x * half_sqrt_2
    z = math_ops.abs(w)
    y = where_v2(math_ops.less(z, half_sqrt_2), 1.0 + special_ops.erf(w),
                 where_v2(math_ops.greater(w, 0.0), 2.0 - special_ops.erfc(z),
                          special_ops.erfc(z)))
    return 0.5 * y


def ndtri(p, name="ndtri"):
    """The inverse of `ndtr` (the standard normal quantile function).

    Args:
        p: float32 or float64 probabilities.
        name: name scope.

    Returns:
        A Tensor like `p` (-inf at 0, inf at 1).

    Raises:
        TypeError: another dtype.

    Example:
        >>> ndtri(0.975)  # 1.95996
    """
    return _apply_to_float(special_ops.ndtri, p, name, arg="p")


def erfinv(x, name="erfinv"):
    """The inverse error function, ndtri((x + 1) / 2) / sqrt(2).

    Args:
        x: float32 or float64 Tensor in [-1, 1].
        name: name scope.

    Returns:
        A Tensor like `x`.

    Raises:
        TypeError: another dtype.

    Example:
        >>> erfinv(0.5)  # 0.476936
    """
    return _apply_to_float(lambda x: special_ops.ndtri((x + 1.0) / 2.0) / np.sqrt(2), x, name)


def log_ndtr(x, series_order=3, name="log_ndtr"):
    """log(ndtr(x)), accurate far into both tails (TF's piecewise method).

    Args:
        x: float32 or float64 Tensor.
        series_order: terms of the asymptotic series used in the lower tail, 0 to 30.
        name: name scope.

    Returns:
        A Tensor like `x`.

    Raises:
        TypeError: `series_order` is not an int, or `x` has another dtype.
        ValueError: `series_order` outside [0, 30].

    Example:
        >>> log_ndtr(-30.0)  # about -454.32
    """
    if not isinstance(series_order, int):
        raise TypeError("series_order must be a Python integer.")
    if series_order < 0:
        raise ValueError("series_order must be non-negative.")
    if series_order > 30:
        raise ValueError("series_order must be <= 30.")
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        if x.dtype.as_numpy_dtype == np.float64:
            lower, upper = LOGNDTR_FLOAT64_LOWER, LOGNDTR_FLOAT64_UPPER
        elif x.dtype.as_numpy_dtype == np.float32:
            lower, upper = LOGNDTR_FLOAT32_LOWER, LOGNDTR_FLOAT32_UPPER
        else:
            raise TypeError(f"x.dtype={x.dtype} is not supported.")
        # max/min keep the unchosen branches finite, so that where's gradient stays finite
        return where_v2(
            math_ops.greater(x, upper), -_ndtr(-x),
            where_v2(math_ops.greater(x, lower),
                     math_ops.log(_ndtr(math_ops.maximum(x, lower))),
                     _log_ndtr_lower(math_ops.minimum(x, lower), series_order)))


def _log_ndtr_lower(x, series_order):
    x_2 = math_ops.square(x)
    log_scale = -0.5 * x_2 - math_ops.log(-x) - 0.5 * np.log(2.0 * np.pi)
    return log_scale + math_ops.log(_log_ndtr_asymptotic_series(x, series_order))


def _double_factorial(n):
    return np.prod(np.arange(n, 1, -2))


def _log_ndtr_asymptotic_series(x, series_order):
    dtype = x.dtype.as_numpy_dtype
    if series_order <= 0:
        return np.array(1, dtype)
    x_2 = math_ops.square(x)
    even_sum = array_ops.zeros_like(x)
    odd_sum = array_ops.zeros_like(x)
    x_2n = x_2
    for n in range(1, series_order + 1):
        y = np.array(_double_factorial(2 * n - 1), dtype) / x_2n
        if n % 2:
            odd_sum += y
        else:
            even_sum += y
        x_2n *= x_2
    return 1.0 + even_sum - odd_sum


def log_cdf_laplace(x, name="log_cdf_laplace"):
    """log of the standard Laplace CDF, log(0.5) + x below 0, log1p(-0.5 exp(-x)) above.

    Args:
        x: a float Tensor.
        name: name scope.

    Returns:
        A Tensor like `x`.

    Example:
        >>> log_cdf_laplace(0.0)  # log(0.5)
    """
    with name_scope(name, values=[x]):
        x = convert_to_tensor(x, name="x")
        lower_solution = -np.log(2.0) + x
        safe_exp_neg_x = math_ops.exp(-math_ops.abs(x))
        upper_solution = math_ops.log1p(-0.5 * safe_exp_neg_x)
        return where_v2(x < 0.0, lower_solution, upper_solution)
