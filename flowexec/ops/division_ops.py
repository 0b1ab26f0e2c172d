"""division_ops: divisions and products that are safe at zero, and truncating division.

`div_no_nan`, `multiply_no_nan`, `xdivy`, `xlogy` and `xlog1py` give 0 where TF1 says they give
0 (a zero divisor, a zero factor, x == 0), whatever the other operand holds (inf, nan): the
kernels compute on a substituted safe operand and select, so no invalid value is produced
where the result is defined to be 0. `truncatediv`/`truncatemod` round toward zero (C's
division), unlike `floordiv`/`floormod`, and an integer division by zero is an
InvalidArgumentError as in TF.

Gradients follow TF's: the divisions' gradients are built from the same zero-safe ops, so a
zero divisor yields a zero gradient instead of inf/nan. TruncateDiv is not differentiable
(TF: None for both inputs); TruncateMod's gradient is dx = dy, dy = -dy * truncatediv(x, y).
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import defop
from flowexec.ops import array_ops, shape_fns
from flowexec.ops.math_ops import (
    _binary,
    _binary_grads,
    _binary_infer,
    _check_int_divisor,
    _incompatible,
    cast,
    negative,
    not_equal,
    square,
)

_FC = shape_fns.FLOATS + (dtypes.complex64, dtypes.complex128)
_REAL = shape_fns.REAL
_MOD_TYPES = shape_fns.FLOATS + (dtypes.int32, dtypes.int64)


def _checked(fn, x, y):
    try:
        return fn(x, y)
    except ValueError:
        raise _incompatible(x, y) from None


def _zero_where(xp, cond, value):
    return xp.where(cond, xp.zeros((), dtype=value.dtype), value).astype(value.dtype, copy=False)


@defop("DivNoNan", infer=_binary_infer(_FC))
def _div_no_nan(xp, x, y):
    zero = y == 0
    safe = xp.where(zero, xp.ones((), dtype=y.dtype), y)
    return _zero_where(xp, zero, _checked(lambda a, b: a / b, x, safe))


@_div_no_nan.gradient
def _div_no_nan_grad(op, dy):
    x, y = op.inputs
    return _binary_grads(op, div_no_nan(dy, y), dy * div_no_nan(div_no_nan(negative(x), y), y))


@defop("MulNoNan", infer=_binary_infer(_FC))
def _mul_no_nan(xp, x, y):
    zero = y == 0
    safe = xp.where(zero, xp.zeros((), dtype=x.dtype), x)
    return _zero_where(xp, zero, _checked(lambda a, b: a * b, safe, y))


@_mul_no_nan.gradient
def _mul_no_nan_grad(op, dy):
    x, y = op.inputs
    return _binary_grads(op, multiply_no_nan(dy, y), multiply_no_nan(x, dy))


@defop("Xdivy", infer=_binary_infer(_FC))
def _xdivy(xp, x, y):
    zero = x == 0
    safe = xp.where(zero, xp.ones((), dtype=y.dtype), y)
    return _zero_where(xp, zero, _checked(lambda a, b: a / b, x, safe))


@_xdivy.gradient
def _xdivy_grad(op, dy):
    x, y = op.inputs
    nonzero_x = cast(not_equal(x, 0), x.dtype)
    return _binary_grads(op, dy * xdivy(nonzero_x, y), dy * xdivy(negative(x), square(y)))


@defop("Xlogy", infer=_binary_infer(_FC))
def _xlogy(xp, x, y):
    zero = x == 0
    safe = xp.where(zero, xp.ones((), dtype=y.dtype), y)
    return _zero_where(xp, zero, _checked(lambda a, b: a * xp.log(b), x, safe))


@_xlogy.gradient
def _xlogy_grad(op, dy):
    x, y = op.inputs
    nonzero_x = cast(not_equal(x, 0), x.dtype)
    return _binary_grads(op, dy * xlogy(nonzero_x, y), dy * xdivy(x, y))


@defop("Xlog1py", infer=_binary_infer(_FC))
def _xlog1py(xp, x, y):
    zero = x == 0
    safe = xp.where(zero, xp.zeros((), dtype=y.dtype), y)
    return _zero_where(xp, zero, _checked(lambda a, b: a * xp.log1p(b), x, safe))


@_xlog1py.gradient
def _xlog1py_grad(op, dy):
    x, y = op.inputs
    nonzero_x = cast(not_equal(x, 0), x.dtype)
    return _binary_grads(op, dy * xlog1py(nonzero_x, y), dy * xdivy(x, y + 1))


@defop("TruncateDiv", infer=_binary_infer(_REAL))
def _truncate_div(xp, x, y):
    if x.dtype.kind in "iu":
        _check_int_divisor(y)
        q = _checked(lambda a, b: a // b, x, y)
        # floor -> toward zero: add one where the signs differ and the division is inexact.
        return (q + ((q < 0) & (q * y != x))).astype(q.dtype, copy=False)
    return xp.trunc(_checked(lambda a, b: a / b, x, y))


_truncate_div.not_differentiable()


@defop("TruncateMod", infer=_binary_infer(_MOD_TYPES))
def _truncate_mod(xp, x, y):
    if x.dtype.kind in "iu":
        _check_int_divisor(y)
    return _checked(xp.fmod, x, y)


@_truncate_mod.gradient
def _truncate_mod_grad(op, dy):
    x, y = op.inputs
    return _binary_grads(op, dy, dy * negative(truncatediv(x, y)))


def div_no_nan(x, y, name=None):
    """x / y elementwise, and 0 wherever y is 0 (op type DivNoNan).

    Args:
        x: a float or complex Tensor.
        y: a Tensor of the same dtype, broadcastable with `x`.
        name: op name (default "div_no_nan").

    Returns:
        A Tensor of x's dtype.

    Example:
        >>> div_no_nan(constant([3.0, 1.0]), constant([2.0, 0.0]))  # [1.5, 0.0]
    """
    return _binary("DivNoNan", x, y, name or "div_no_nan")


def multiply_no_nan(x, y, name=None):
    """x * y elementwise, and 0 wherever y is 0 even where x is inf or nan (op type MulNoNan).

    Example:
        >>> multiply_no_nan(constant([inf, 2.0]), constant([0.0, 3.0]))  # [0.0, 6.0]
    """
    return _binary("MulNoNan", x, y, name or "multiply_no_nan")


def reciprocal_no_nan(x, name=None):
    """1 / x elementwise, and 0 wherever x is 0 (a DivNoNan of ones by x).

    Example:
        >>> reciprocal_no_nan(constant([2.0, 0.0]))  # [0.5, 0.0]
    """
    with name_scope(name, "reciprocal_no_nan", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return div_no_nan(array_ops.ones_like(x), x, name=scope)


def xdivy(x, y, name=None):
    """x / y elementwise, and 0 wherever x is 0 (op type Xdivy).

    Example:
        >>> xdivy(constant([0.0, 2.0]), constant([0.0, 4.0]))  # [0.0, 0.5]
    """
    return _binary("Xdivy", x, y, name or "Xdivy")


def xlogy(x, y, name=None):
    """x * log(y) elementwise, and 0 wherever x is 0 (op type Xlogy).

    Example:
        >>> xlogy(constant([0.0, 2.0]), constant([0.0, 1.0]))  # [0.0, 0.0]
    """
    return _binary("Xlogy", x, y, name or "Xlogy")


def xlog1py(x, y, name=None):
    """x * log1p(y) elementwise, and 0 wherever x is 0 (op type Xlog1py).

    Example:
        >>> xlog1py(constant([0.0, 2.0]), constant([-1.0, 0.0]))  # [0.0, 0.0]
    """
    return _binary("Xlog1py", x, y, name or "Xlog1py")


def truncatediv(x, y, name=None):
    """x / y rounded toward zero, elementwise (op type TruncateDiv).

    Raises at run time:
        InvalidArgumentError: an integer division by zero.

    Example:
        >>> truncatediv(constant([7, -7]), 2)  # [3, -3] (floordiv gives [3, -4])
    """
    return _binary("TruncateDiv", x, y, name or "truncatediv")


def truncatemod(x, y, name=None):
    """The remainder of truncating division, with the sign of x, as C's fmod (TruncateMod).

    Raises at run time:
        InvalidArgumentError: an integer division by zero.

    Example:
        >>> truncatemod(constant([7, -7]), 2)  # [1, -1] (floormod gives [1, 1])
    """
    return _binary("TruncateMod", x, y, name or "truncatemod")


__all__ = ["div_no_nan", "multiply_no_nan", "reciprocal_no_nan", "truncatediv", "truncatemod",
           "xdivy", "xlog1py", "xlogy"]
