"""`tf.SparseTensor`: a sparse tensor as TF 1.x represents it, three dense tensors.

`SparseTensor(indices, values, dense_shape)` stands for the dense tensor of shape
`dense_shape` (int64 [rank]) that is zero except `dense[tuple(indices[i])] = values[i]`
(`indices` int64 [N, rank], `values` [N] of any dtype). By convention the indices are sorted
in row-major order; construction does not check it (`tf.sparse.reorder` sorts them), most
ops require it at run time.

The static `shape` is what a constant (or partly constant) `dense_shape` tells; a
`sparse_placeholder` sets it from its `shape` argument. `Session.run` fetches a SparseTensor
as a `SparseTensorValue(indices, values, dense_shape)` namedtuple of numpy arrays, and a
SparseTensor as a feed key takes a SparseTensorValue or an `(indices, values, dense_shape)`
tuple: its three component tensors are fed (`_fetch_components`, as for an IndexedSlices).
`convert_to_tensor` refuses a SparseTensor, as TF's does: `tf.sparse.to_dense` densifies.
"""

import collections

import numpy as np

from flowexec.framework import dtypes, tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.default_session import run_using_default_session
from flowexec.framework.graph import name_scope
from flowexec.framework.type_spec import TypeSpec

SparseTensorValue = collections.namedtuple("SparseTensorValue",
                                           ["indices", "values", "dense_shape"])


def _constant_value_as_shape(dense_shape):
    from flowexec.ops.array_ops import _shape_dims, _shape_from_dims

    return _shape_from_dims(_shape_dims(dense_shape))


class SparseTensor:
    """A sparse tensor: `indices` [N, rank] int64, `values` [N], `dense_shape` [rank] int64.

    Args:
        indices: a 2-D int64 tensor (or value) of shape [N, ndims].
        values: a 1-D tensor (or value) of any type and shape [N].
        dense_shape: a 1-D int64 tensor (or value) of shape [ndims].

    Raises:
        ValueError: a component of the wrong rank, `indices` and `values` disagreeing on N,
            or `indices` and `dense_shape` on the rank; an int32 Tensor as indices.

    Example:
        >>> st = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4])
        >>> st.shape
        TensorShape([3, 4])
        >>> sess.run(tf.sparse.to_dense(st))
        array([[1, 0, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]], dtype=int32)
    """

    @classmethod
    def from_value(cls, sparse_tensor_value):
        """A SparseTensor from a SparseTensorValue (or another SparseTensor).

        Raises:
            TypeError: `sparse_tensor_value` is neither.
        """
        if not is_sparse(sparse_tensor_value):
            raise TypeError(f"Argument sparse_tensor_value={sparse_tensor_value} is neither a "
                            "SparseTensor nor SparseTensorValue.")
        return SparseTensor(indices=sparse_tensor_value.indices,
                            values=sparse_tensor_value.values,
                            dense_shape=sparse_tensor_value.dense_shape)

    def __init__(self, indices, values, dense_shape):
        with name_scope(None, "SparseTensor", [indices, values, dense_shape]):
            indices = convert_to_tensor(indices, name="indices", dtype=dtypes.int64)
            values = convert_to_tensor(values, name="values")
            dense_shape = convert_to_tensor(dense_shape, name="dense_shape",
                                            dtype=dtypes.int64)
        self._indices = indices
        self._values = values
        self._dense_shape = dense_shape
        self._dense_shape_default = _constant_value_as_shape(dense_shape)

        indices_shape = indices.shape.with_rank(2)
        values_shape = values.shape.with_rank(1)
        dense_shape_shape = dense_shape.shape.with_rank(1)
        as_dim = tensor_shape.as_dimension
        as_dim(indices_shape.dims[0]).assert_is_compatible_with(as_dim(values_shape.dims[0]))
        as_dim(indices_shape.dims[1]).assert_is_compatible_with(
            as_dim(dense_shape_shape.dims[0]))

    @property
    def indices(self):
        """The int64 [N, ndims] indices of the values."""
        return self._indices

    @property
    def values(self):
        """The [N] values."""
        return self._values

    @property
    def dense_shape(self):
        """The int64 [ndims] shape of the dense tensor."""
        return self._dense_shape

    @property
    def dtype(self):
        """The DType of the values."""
        return self._values.dtype

    @property
    def shape(self):
        """The static shape of the dense tensor (a TensorShape)."""
        return self._dense_shape_default

    def get_shape(self):
        """The static shape of the dense tensor (a TensorShape)."""
        return self._dense_shape_default

    def set_shape(self, shape):
        """Merges `shape` into the static shape.

        Raises:
            ValueError: `shape` is not compatible with the current static shape.
        """
        self._dense_shape_default = self._dense_shape_default.merge_with(
            tensor_shape.as_shape(shape))

    @property
    def op(self):
        """The Operation that produces `values`."""
        return self._values.op

    @property
    def graph(self):
        """The Graph of the indices, values and dense_shape tensors."""
        return self._indices.graph

    def with_values(self, new_values):
        """This SparseTensor's indices and dense_shape with other values (same [N])."""
        return SparseTensor(self._indices, new_values, self._dense_shape)

    def consumers(self):
        """The Operations that consume any of the three component tensors (each once)."""
        seen = {}
        for t in self._fetch_components():
            for op in t.consumers():
                seen.setdefault(id(op), op)
        return list(seen.values())

    def eval(self, feed_dict=None, session=None):
        """The value in `session` (default: the default session): a SparseTensorValue."""
        return run_using_default_session(self, feed_dict, self.graph, session)

    def __repr__(self):
        return (f"SparseTensor(indices={self._indices}, values={self._values}, "
                f"dense_shape={self._dense_shape})")

    __str__ = __repr__

    # ----- what Session.run sees: three tensors, rebuilt into a SparseTensorValue ----------
    def _fetch_components(self):
        return [self._indices, self._values, self._dense_shape]

    def _fetch_rebuild(self, values):
        return SparseTensorValue(*values)

    _feed_component_names = "indices, values, dense_shape"

    @property
    def _type_spec(self):
        return SparseTensorSpec(self.shape, self.dtype)


class SparseTensorSpec(TypeSpec):
    """The type of a SparseTensor: its dense shape and the dtype of its values.

    Example:
        >>> tf.SparseTensorSpec([None, 3], tf.float32)
        SparseTensorSpec(TensorShape([None, 3]), tf.float32)
    """

    __slots__ = ("_dtype", "_shape")

    def __init__(self, shape=None, dtype=dtypes.float32):
        self._shape = tensor_shape.as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)

    value_type = property(lambda self: SparseTensor)

    @property
    def shape(self):
        """The dense shape (a TensorShape)."""
        return self._shape

    @property
    def dtype(self):
        """The DType of the values."""
        return self._dtype

    @property
    def _component_specs(self):
        from flowexec.framework.function import TensorSpec

        rank = self._shape.ndims
        return [TensorSpec([None, rank], dtypes.int64), TensorSpec([None], self._dtype),
                TensorSpec([rank], dtypes.int64)]

    def _serialize(self):
        return (self._shape, self._dtype)

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((str(self._shape), self._dtype.name))

    def __repr__(self):
        return f"SparseTensorSpec({self._shape!r}, {self._dtype!r})"

    def is_compatible_with(self, spec_or_value):
        """Whether a spec or value of this type could be the other (shapes compatible,
        dtypes equal)."""
        if is_sparse(spec_or_value):
            spec_or_value = SparseTensorSpec.from_value(spec_or_value)
        if not isinstance(spec_or_value, SparseTensorSpec):
            return False
        return (self._dtype == spec_or_value._dtype
                and self._shape.is_compatible_with(spec_or_value._shape))

    def most_specific_compatible_type(self, other):
        """The most specific spec compatible with both.

        Raises:
            ValueError: `other` is not a SparseTensorSpec of the same dtype.
        """
        if not isinstance(other, SparseTensorSpec) or other._dtype != self._dtype:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        return SparseTensorSpec(self._shape.most_specific_compatible_shape(other._shape),
                                self._dtype)

    @classmethod
    def from_value(cls, value):
        """The spec of a SparseTensor or SparseTensorValue.

        Raises:
            TypeError: `value` is neither.
        """
        if isinstance(value, SparseTensor):
            return cls(value.shape, value.dtype)
        if isinstance(value, SparseTensorValue):
            if isinstance(value.values, np.ndarray):
                return cls(value.dense_shape, value.values.dtype)
            return cls.from_value(SparseTensor.from_value(value))
        raise TypeError("Expected SparseTensor or SparseTensorValue. Received: "
                        f"{value} of type {type(value).__name__}.")


def is_sparse(x):
    """Whether `x` is a SparseTensor or a SparseTensorValue."""
    return isinstance(x, (SparseTensor, SparseTensorValue))


def convert_to_tensor_or_sparse_tensor(value, dtype=None, name=None):
    """`value` as a SparseTensor (from a SparseTensor or SparseTensorValue) or a Tensor.

    Args:
        value: a SparseTensor, a SparseTensorValue, or anything `convert_to_tensor` takes.
        dtype: the required element type.
        name: a name for a new Tensor.

    Raises:
        RuntimeError: a sparse `value` whose dtype is not `dtype`.

    Example:
        >>> tf.convert_to_tensor_or_sparse_tensor(tf.SparseTensorValue([[0]], [1], [2]))
        SparseTensor(indices=Tensor("SparseTensor/indices:0", ...), ...)
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        if dtype and not dtype.is_compatible_with(value.dtype):
            raise RuntimeError(f"Sparse dtype mismatch. Requested: {dtype.name},  Actual: "
                               f"{value.dtype.name}")
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def convert_to_sparse_tensor(sp_input):
    """TF's `_convert_to_sparse_tensor`: a SparseTensor from a SparseTensor(Value).

    Raises:
        TypeError: `sp_input` is neither.
    """
    if isinstance(sp_input, SparseTensorValue):
        return SparseTensor.from_value(sp_input)
    if not isinstance(sp_input, SparseTensor):
        raise TypeError("Input must be a SparseTensor.")
    return sp_input


__all__ = ["SparseTensor", "SparseTensorSpec", "SparseTensorValue",
           "convert_to_tensor_or_sparse_tensor"]
