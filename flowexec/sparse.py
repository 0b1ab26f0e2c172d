"""`tf.sparse`: SparseTensors and the operations on them, under TF 1.x's `tf.sparse.*` names.

Example:
    >>> import flowexec as tf
    >>> st = tf.sparse.from_dense([[0, 3], [4, 0]])
    >>> tf.sparse.to_dense(tf.sparse.reorder(st))  # [[0, 3], [4, 0]]
"""

from flowexec.framework.sparse_tensor import SparseTensor  # noqa: F401
from flowexec.ops.sparse_ops import from_dense  # noqa: F401
from flowexec.ops.sparse_ops import sparse_merge as merge  # noqa: F401
from flowexec.ops.sparse_ops import sparse_placeholder as placeholder  # noqa: F401
from flowexec.ops.sparse_ops import sparse_reorder as reorder  # noqa: F401
from flowexec.ops.sparse_ops import sparse_tensor_to_dense as to_dense  # noqa: F401
from flowexec.ops.sparse_ops import sparse_to_indicator as to_indicator  # noqa: F401

__all__ = ["SparseTensor", "from_dense", "merge", "placeholder", "reorder", "to_dense",
           "to_indicator"]
