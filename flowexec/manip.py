"""`tf.manip`: TF 1.x's tensor-manipulation namespace (the same functions as the top level).

Example:
    >>> import flowexec as tf
    >>> tf.manip.roll(tf.constant([1, 2, 3]), shift=1, axis=0)  # [3, 1, 2]
"""

from flowexec.ops.array_ops import gather_nd, reshape, reverse, scatter_nd, tile  # noqa: F401
from flowexec.ops.manip_ops import batch_to_space_nd, roll, space_to_batch_nd  # noqa: F401

__all__ = ["batch_to_space_nd", "gather_nd", "reshape", "reverse", "roll", "scatter_nd",
           "space_to_batch_nd", "tile"]
