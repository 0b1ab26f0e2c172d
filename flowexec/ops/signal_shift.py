"""signal_shift: `fftshift` / `ifftshift` (numpy.fft's), a Roll of each chosen axis by
+-(size // 2), so the sizes may be known only when the graph runs and gradients are Roll's.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops.manip_ops import roll as _roll


def _shift(x, axes, sign, name, default):
    with name_scope(name, default) as scope:
        x = convert_to_tensor(x, name="x")
        shape = _a.shape(x)
        if axes is None:
            if x.shape.ndims is None:
                axes = _a.range(_a.rank(x))
            else:
                axes = list(range(x.shape.ndims))
            shift = shape // 2
        elif isinstance(axes, int):
            shift = shape[axes] // 2
        else:
            axes_t = _m.cast(convert_to_tensor(axes, name="axes"), dtypes.int32)
            # negative axes count from the end; others out of range fail in the Gather
            axes = _m.where(_m.less(axes_t, 0), axes_t + _a.rank(x), axes_t)
            shift = _a.gather(shape, axes) // 2
        return _roll(x, shift if sign > 0 else -shift, axes, name=scope)


def fftshift(x, axes=None, name=None):
    """Moves the zero-frequency term to the centre: rolls each of `axes` (default all) by
    size // 2, as `numpy.fft.fftshift`.

    Args:
        x: a Tensor.
        axes: an int, a list of ints (negative count from the end), or None for every axis.
        name: optional name.

    Returns:
        The shifted Tensor (x's shape and dtype).

    Raises:
        InvalidArgumentError: (at run time) an axis outside x's rank.

    Example:
        >>> tf.signal.fftshift([0., 1., 2., 3., 4., -5., -4., -3., -2., -1.])
        ... # [-5., -4., -3., -2., -1., 0., 1., 2., 3., 4.]
    """
    return _shift(x, axes, 1, name, "fftshift")


def ifftshift(x, axes=None, name=None):
    """The inverse of `fftshift`: rolls each of `axes` (default all) by -(size // 2), as
    `numpy.fft.ifftshift` (the two differ by one sample on odd sizes).

    Args:
        x: a Tensor.
        axes: an int, a list of ints (negative count from the end), or None for every axis.
        name: optional name.

    Returns:
        The shifted Tensor (x's shape and dtype).

    Raises:
        InvalidArgumentError: (at run time) an axis outside x's rank.

    Example:
        >>> tf.signal.ifftshift([[0., 1., 2.], [3., 4., -4.], [-3., -2., -1.]])
        ... # [[4., -4., 3.], [-2., -1., -3.], [1., 2., 0.]]
    """
    return _shift(x, axes, -1, name, "ifftshift")


__all__ = ["fftshift", "ifftshift"]
