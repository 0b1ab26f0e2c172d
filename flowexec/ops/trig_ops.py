"""trig_ops: the inverse and hyperbolic trigonometric functions, tan, atan2, expm1 and rint.

Elementwise, on float (and, where TF allows it, complex) tensors; the kernels are the array
module's ufuncs and the gradients TF's (built from graph ops). `rint` rounds half to even and,
like TF's, passes no gradient.
"""

from flowexec.framework import dtypes
from flowexec.framework.registry import defop
from flowexec.ops import shape_fns
from flowexec.ops.math_ops import (
    _binary,
    _binary_grads,
    _binary_infer,
    _incompatible,
    _unary,
    _unary_infer,
    cos,
    exp,
    reciprocal,
    rsqrt,
    square,
)

_FLOATS = shape_fns.FLOATS
_FC = _FLOATS + (dtypes.complex64, dtypes.complex128)


@defop("Tan", infer=_unary_infer(_FC))
def _tan(xp, x):
    return xp.tan(x)


@_tan.gradient
def _tan_grad(op, dy):
    return dy * square(reciprocal(cos(op.inputs[0])))


@defop("Asin", infer=_unary_infer(_FC))
def _asin(xp, x):
    return xp.arcsin(x)


@_asin.gradient
def _asin_grad(op, dy):
    x = op.inputs[0]
    return dy * rsqrt(1 - square(x))


@defop("Acos", infer=_unary_infer(_FC))
def _acos(xp, x):
    return xp.arccos(x)


@_acos.gradient
def _acos_grad(op, dy):
    x = op.inputs[0]
    return -dy * rsqrt(1 - square(x))


@defop("Atan", infer=_unary_infer(_FC))
def _atan(xp, x):
    return xp.arctan(x)


@_atan.gradient
def _atan_grad(op, dy):
    return dy * reciprocal(1 + square(op.inputs[0]))


@defop("Sinh", infer=_unary_infer(_FC))
def _sinh(xp, x):
    return xp.sinh(x)


@_sinh.gradient
def _sinh_grad(op, dy):
    return dy * cosh(op.inputs[0])


@defop("Cosh", infer=_unary_infer(_FC))
def _cosh(xp, x):
    return xp.cosh(x)


@_cosh.gradient
def _cosh_grad(op, dy):
    return dy * sinh(op.inputs[0])


@defop("Asinh", infer=_unary_infer(_FC))
def _asinh(xp, x):
    return xp.arcsinh(x)


@_asinh.gradient
def _asinh_grad(op, dy):
    return dy * reciprocal(cosh(op.outputs[0]))


@defop("Acosh", infer=_unary_infer(_FC))
def _acosh(xp, x):
    return xp.arccosh(x)


@_acosh.gradient
def _acosh_grad(op, dy):
    return dy * reciprocal(sinh(op.outputs[0]))


@defop("Atanh", infer=_unary_infer(_FC))
def _atanh(xp, x):
    return xp.arctanh(x)


@_atanh.gradient
def _atanh_grad(op, dy):
    return dy * reciprocal(1 - square(op.inputs[0]))


@defop("Expm1", infer=_unary_infer(_FC))
def _expm1(xp, x):
    return xp.expm1(x)


@_expm1.gradient
def _expm1_grad(op, dy):
    return dy * exp(op.inputs[0])


@defop("Rint", infer=_unary_infer(_FLOATS))
def _rint(xp, x):
    return xp.rint(x)


_rint.not_differentiable()


@defop("Atan2", infer=_binary_infer(_FLOATS))
def _atan2(xp, y, x):
    try:
        return xp.arctan2(y, x)
    except ValueError:
        raise _incompatible(y, x) from None


@_atan2.gradient
def _atan2_grad(op, dz):
    y, x = op.inputs
    inv = reciprocal(square(x) + square(y))
    return _binary_grads(op, dz * x * inv, -dz * y * inv)


def tan(x, name=None):
    """tan(x) elementwise (op type Tan)."""
    return _unary("Tan", x, name or "Tan")


def asin(x, name=None):
    """arcsin(x) elementwise, in [-pi/2, pi/2] (op type Asin)."""
    return _unary("Asin", x, name or "Asin")


def acos(x, name=None):
    """arccos(x) elementwise, in [0, pi] (op type Acos)."""
    return _unary("Acos", x, name or "Acos")


def atan(x, name=None):
    """arctan(x) elementwise (op type Atan)."""
    return _unary("Atan", x, name or "Atan")


def sinh(x, name=None):
    """sinh(x) elementwise (op type Sinh)."""
    return _unary("Sinh", x, name or "Sinh")


def cosh(x, name=None):
    """cosh(x) elementwise (op type Cosh)."""
    return _unary("Cosh", x, name or "Cosh")


def asinh(x, name=None):
    """arcsinh(x) elementwise (op type Asinh)."""
    return _unary("Asinh", x, name or "Asinh")


def acosh(x, name=None):
    """arccosh(x) elementwise, for x >= 1 (op type Acosh)."""
    return _unary("Acosh", x, name or "Acosh")


def atanh(x, name=None):
    """arctanh(x) elementwise, for |x| < 1 (op type Atanh)."""
    return _unary("Atanh", x, name or "Atanh")


def expm1(x, name=None):
    """exp(x) - 1 elementwise, accurate near 0 (op type Expm1)."""
    return _unary("Expm1", x, name or "Expm1")


def rint(x, name=None):
    """x rounded to the nearest integer, halves to even (op type Rint; no gradient).

    Example:
        >>> rint(constant([0.5, 1.5, -1.7]))  # [0., 2., -2.]
    """
    return _unary("Rint", x, name or "Rint")


def atan2(y, x, name=None):
    """The angle of the point (x, y), arctan(y / x) in (-pi, pi], elementwise (op Atan2).

    Example:
        >>> atan2(constant([1.0]), constant([-1.0]))  # [3 * pi / 4]
    """
    return _binary("Atan2", y, x, name or "Atan2", arg_names=("y", "x"))


__all__ = ["acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cosh", "expm1", "rint",
           "sinh", "tan"]
