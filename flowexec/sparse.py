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
from flowexec.ops.sparse_structure_ops import sparse_concat as concat  # noqa: F401
from flowexec.ops.sparse_structure_ops import sparse_expand_dims as expand_dims  # noqa: F401
from flowexec.ops.sparse_structure_ops import sparse_eye as eye  # noqa: F401
from flowexec.ops.sparse_structure_ops import (  # noqa: F401
    sparse_fill_empty_rows as fill_empty_rows)
from flowexec.ops.sparse_structure_ops import sparse_reset_shape as reset_shape  # noqa: F401
from flowexec.ops.sparse_structure_ops import sparse_reshape as reshape  # noqa: F401
from flowexec.ops.sparse_structure_ops import sparse_retain as retain  # noqa: F401
from flowexec.ops.sparse_structure_ops import sparse_slice as slice  # noqa: F401
from flowexec.ops.sparse_structure_ops import sparse_split as split  # noqa: F401
from flowexec.ops.sparse_structure_ops import sparse_transpose as transpose  # noqa: F401

__all__ = ["SparseTensor", "concat", "expand_dims", "eye", "fill_empty_rows", "from_dense",
           "merge", "placeholder", "reorder", "reset_shape", "reshape", "retain", "slice",
           "split", "to_dense", "to_indicator", "transpose"]
