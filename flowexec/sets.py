"""`tf.sets`: set operations along the last dimension of Tensors and SparseTensors.

Example:
    >>> import flowexec as tf
    >>> st = tf.sets.union([[1, 2], [3, 3]], [[2, 5], [4, 4]])
    >>> with tf.Session() as sess:
    ...     sess.run(st).values                 # array([1, 2, 5, 3, 4], dtype=int32)
"""

from flowexec.ops.set_ops import (  # noqa: F401
    set_difference,
    set_intersection,
    set_size,
    set_union,
)

difference = set_difference
intersection = set_intersection
size = set_size
union = set_union

__all__ = ["difference", "intersection", "set_difference", "set_intersection", "set_size",
           "set_union", "size", "union"]
