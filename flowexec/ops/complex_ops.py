"""complex_ops: building and taking apart complex tensors — complex, real, imag, angle.

float32 pairs with complex64 and float64 with complex128, as in TF. `real`, `imag` and
`angle` of a real tensor follow TF 1.x: the tensor itself, zeros, and 0 or pi by the sign.
Gradients use TF's convention for complex values (the gradient of a real loss L with respect
to z is dL/dRe(z) + i dL/dIm(z)).
"""

import math

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns

_REAL_OF = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}
_COMPLEX_OF = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}


def _complex_infer(op):
    re, im = op.inputs
    shape_fns.check_same_dtype(op)
    shape_fns.check_dtype_in(op, tuple(_COMPLEX_OF))
    return [(op.attrs["Tout"], shape_fns.broadcast_shapes(op, re.shape, im.shape))]


@defop("Complex", infer=_complex_infer)
def _complex(xp, real, imag, *, Tout):
    return xp.asarray(real + 1j * imag, dtype=Tout.np)


@_complex.gradient
def _complex_grad(op, dz):
    return _m._binary_grads(op, real(dz), imag(dz))


def _part_infer(op):
    x = op.inputs[0]
    shape_fns.check_dtype_in(op, tuple(_REAL_OF))
    return [(op.attrs["Tout"], x.shape)]


@defop("Real", infer=_part_infer)
def _real(xp, input, *, Tout):
    return xp.real(input).astype(Tout.np)


@_real.gradient
def _real_grad(op, dy):
    return complex(dy, _a.zeros_like(dy))


@defop("Imag", infer=_part_infer)
def _imag(xp, input, *, Tout):
    return xp.imag(input).astype(Tout.np)


@_imag.gradient
def _imag_grad(op, dy):
    return complex(_a.zeros_like(dy), dy)


@defop("Angle", infer=_part_infer)
def _angle(xp, input, *, Tout):
    return xp.angle(input).astype(Tout.np)


@_angle.gradient
def _angle_grad(op, dy):
    x = op.inputs[0]
    re, im = real(x), imag(x)
    z = _m.reciprocal(complex(im, re))
    return -complex(dy, _a.zeros_like(dy)) * z


def complex(real, imag, name=None):
    """The complex tensor real + i * imag (op type Complex; broadcasts).

    Args:
        real: float32 or float64 Tensor.
        imag: a Tensor of the same dtype.
        name: op name.

    Returns:
        complex64 for float32 parts, complex128 for float64.

    Raises:
        TypeError: the parts differ in dtype or are not float32/float64.

    Example:
        >>> complex([2.25, 3.25], [4.75, 5.75])  # [2.25 + 4.75j, 3.25 + 5.75j]
    """
    with name_scope(name, "Complex", [real, imag]) as scope:
        re, im = _m._convert((real, imag), ("real", "imag"))
        tout = _COMPLEX_OF.get(re.dtype)
        if tout is None or im.dtype is not re.dtype:
            raise TypeError(f"real and imag have incorrect types: {re.dtype.name} "
                            f"{im.dtype.name}")
        return apply_op("Complex", re, im, name=scope, Tout=tout)


def _part(op_type, input, name, default_name, real_case):
    with name_scope(name, default_name, [input]) as scope:
        x = convert_to_tensor(input, name="input")
        if x.dtype.is_complex:
            return apply_op(op_type, x, name=scope, Tout=_REAL_OF[x.dtype])
        return real_case(x, scope)


def real(input, name=None):
    """The real part of a complex tensor; a real tensor is returned as is (op type Real).

    Example:
        >>> real(constant([-2.25 + 4.75j]))  # [-2.25]
    """
    return _part("Real", input, name, "Real", lambda x, scope: x)


def imag(input, name=None):
    """The imaginary part of a complex tensor; zeros for a real one (op type Imag).

    Example:
        >>> imag(constant([-2.25 + 4.75j]))  # [4.75]
    """
    return _part("Imag", input, name, "Imag",
                 lambda x, scope: _a.zeros_like(x, name=scope.rstrip("/") or None))


def angle(input, name=None):
    """The argument of each complex element, in (-pi, pi] (op type Angle); for a real
    tensor, pi where it is negative and 0 elsewhere, as TF.

    Example:
        >>> angle(constant([-1.0 + 0j, 1j]))  # [pi, pi / 2]
    """
    def real_angle(x, scope):
        pi = _m.cast(math.pi, x.dtype)
        return _m.where(_m.less(x, _m.cast(0, x.dtype)), pi * _a.ones_like(x),
                        _a.zeros_like(x), name=scope.rstrip("/") or None)
    return _part("Angle", input, name, "Angle", real_angle)


def _to(dtype, fn_name):
    def to(x, name=fn_name):
        return _m.cast(x, dtype, name=name)
    to.__name__ = fn_name
    to.__doc__ = f"`cast(x, {dtype.name})` (TF 1.x's deprecated shorthand)."
    return to


to_complex64 = _to(dtypes.complex64, "ToComplex64")
to_complex64.__name__ = "to_complex64"
to_complex128 = _to(dtypes.complex128, "ToComplex128")
to_complex128.__name__ = "to_complex128"

__all__ = ["angle", "complex", "imag", "real", "to_complex64", "to_complex128"]
