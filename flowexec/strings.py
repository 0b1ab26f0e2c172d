"""`tf.strings`: operations on string tensors.

Example:
    >>> import flowexec as tf
    >>> tf.strings.format("x = {}", [tf.constant([1, 2])])  # b"x = [1 2]"
"""

from flowexec.ops.print_ops import string_format as format  # noqa: F401

__all__ = ["format"]
