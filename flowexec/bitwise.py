"""`tf.bitwise`: bitwise operations on integer tensors.

Example:
    >>> import flowexec as tf
    >>> tf.bitwise.bitwise_xor(tf.constant([5]), tf.constant([3]))  # [6]
"""

from flowexec.ops.bitwise_ops import (  # noqa: F401
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    invert,
    left_shift,
    right_shift,
)

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift"]
