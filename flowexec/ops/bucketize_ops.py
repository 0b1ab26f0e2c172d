"""bucketize_ops: TF's Bucketize op (`math_ops._bucketize`, used by
`tf.feature_column.bucketized_column`).

Each element of `input` (int32, int64, float32, float64) becomes the number of `boundaries`
that are <= it, an int32 of the same shape: TF's kernel takes `std::upper_bound` over the
boundaries held as float32, so an integer or float32 input is compared as float32 and a
float64 input against the float32 boundaries widened to float64; NaN lands in the last
bucket. Not differentiable (as in TF).
"""

import itertools

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import ELEMENTWISE, apply_op, defop

__all__ = ["bucketize"]

_TYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def _infer(op):
    x = op.inputs[0]
    if x.dtype.base_dtype not in _TYPES:
        raise TypeError(f"Value passed to parameter 'input' has DataType {x.dtype.name} not in "
                        f"list of allowed values: int32, int64, float32, float64")
    bounds = list(op.attrs["boundaries"])
    if any(a > b for a, b in itertools.pairwise(bounds)):
        raise ValueError("Expected sorted boundaries")
    return [(dtypes.int32, x.shape)]


@defop("Bucketize", infer=_infer, cost=ELEMENTWISE)
def _bucketize(xp, input, *, boundaries, **_):
    x = xp.asarray(input)
    bounds = xp.asarray(list(boundaries), dtype=xp.float32)
    if x.dtype == xp.float64:
        bounds = bounds.astype(xp.float64)
    else:
        x = x.astype(xp.float32)
    return xp.searchsorted(bounds, x, side="right").astype(xp.int32)


_bucketize.not_differentiable()


def bucketize(input, boundaries, name=None):
    """Bucket ids of `input`: for each element, how many `boundaries` are <= it (op type
    Bucketize).

    Args:
        input: an int32, int64, float32 or float64 Tensor of any shape.
        boundaries: a sorted list of floats.
        name: the op's name (default "Bucketize").

    Returns:
        An int32 Tensor shaped like `input`.

    Raises:
        TypeError: `input` of another dtype, or `boundaries` not a list.
        ValueError: unsorted boundaries.

    Example:
        >>> bucketize(tf.constant([[-5, 10000], [150, 10], [5, 100]]), [0, 10, 100])
        >>> # [[0, 3], [3, 2], [1, 3]]
    """
    if not isinstance(boundaries, (list, tuple)):
        raise TypeError(f"Expected list for 'boundaries' argument to 'Bucketize' Op, not "
                        f"{boundaries!r}.")
    with name_scope(name, "Bucketize", [input]) as scope:
        x = convert_to_tensor(input, name="input")
        return apply_op("Bucketize", x, name=scope,
                        boundaries=[float(b) for b in boundaries])
