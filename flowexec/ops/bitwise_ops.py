"""bitwise_ops: `tf.bitwise` — and, or, xor, invert and shifts of integer tensors.

Binary ops broadcast; none has a gradient (integers carry none), as in TF. Shifting by a
negative amount or by at least the type's width is implementation-defined in TF; here it is
numpy's (cupy's) result.
"""

from flowexec.framework.registry import defop
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns

_INTS = shape_fns.INTEGERS


def _binary_bitwise(type_name, ufunc):
    @defop(type_name, infer=_m._binary_infer(_INTS))
    def kernel(xp, x, y):
        try:
            return getattr(xp, ufunc)(x, y).astype(x.dtype, copy=False)
        except ValueError:
            raise _m._incompatible(x, y) from None
    kernel.not_differentiable()

    def fn(x, y, name=None):
        return _m._binary(type_name, x, y, name or type_name)
    return fn


bitwise_and = _binary_bitwise("BitwiseAnd", "bitwise_and")
bitwise_and.__name__ = "bitwise_and"
bitwise_and.__doc__ = """x & y elementwise for integer tensors (op type BitwiseAnd).

    Example:
        >>> bitwise_and(constant([0b1100]), constant([0b1010]))  # [0b1000]
    """
bitwise_or = _binary_bitwise("BitwiseOr", "bitwise_or")
bitwise_or.__name__ = "bitwise_or"
bitwise_or.__doc__ = "x | y elementwise for integer tensors (op type BitwiseOr)."
bitwise_xor = _binary_bitwise("BitwiseXor", "bitwise_xor")
bitwise_xor.__name__ = "bitwise_xor"
bitwise_xor.__doc__ = "x ^ y elementwise for integer tensors (op type BitwiseXor)."
left_shift = _binary_bitwise("LeftShift", "left_shift")
left_shift.__name__ = "left_shift"
left_shift.__doc__ = "x << y elementwise for integer tensors (op type LeftShift)."
right_shift = _binary_bitwise("RightShift", "right_shift")
right_shift.__name__ = "right_shift"
right_shift.__doc__ = ("x >> y elementwise (arithmetic for signed types, logical for "
                       "unsigned; op type RightShift).")


@defop("Invert", infer=_m._unary_infer(_INTS))
def _invert(xp, x):
    return xp.invert(x)


_invert.not_differentiable()


def invert(x, name=None):
    """~x, every bit flipped, for integer tensors (op type Invert).

    Example:
        >>> invert(constant([0, 5], dtype=uint8))  # [255, 250]
    """
    return _m._unary("Invert", x, name or "Invert")


__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]
