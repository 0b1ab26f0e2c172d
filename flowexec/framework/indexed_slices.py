"""`tf.IndexedSlices`: some rows of a (large) dense tensor, as TF 1.x represents sparse gradients.

An IndexedSlices is a pair of Tensors, `values` ([D0, D1, ...]) and `indices` ([D0], int32 or
int64), standing for the dense tensor of `dense_shape` ([LARGE0, D1, ...]) that is zero except
`dense[indices[i]] += values[i]` (repeated indices add up). It is what the gradient of
`tf.gather` (axis 0) and `tf.nn.embedding_lookup` is with respect to their params, so that an
optimizer updates only the rows a step looked up.

`Session.run` fetches one as an `IndexedSlicesValue(values, indices, dense_shape)` namedtuple
of numpy arrays. `convert_to_tensor` densifies it (an UnsortedSegmentSum; the conversion is
registered by flowexec/ops/indexed_slices_ops.py, as the framework layer builds no ops), with
TF's warnings when that may be large; `convert_to_tensor_or_indexed_slices` leaves it alone.
"""

import collections
import collections.abc

from flowexec.framework import dtypes
from flowexec.framework import tensor_shape
from flowexec.framework.convert import internal_convert_to_tensor
from flowexec.framework.tensor import Tensor
from flowexec.framework.type_spec import TypeSpec


class IndexedSlices:
    """A sparse representation of a set of tensor slices at given indices.

    Args:
        values: a Tensor of shape [D0, D1, ..., Dn].
        indices: a 1-D integer Tensor of shape [D0]: the rows of the dense tensor.
        dense_shape: an optional 1-D integer Tensor, the dense tensor's shape.

    Example:
        >>> g = tf.gradients(tf.reduce_sum(tf.gather(w, [1, 3])), w)[0]
        >>> isinstance(g, tf.IndexedSlices)
        True
        >>> sess.run(g).indices
        array([1, 3], dtype=int32)
    """

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    @property
    def values(self):
        """A Tensor containing the values of the slices."""
        return self._values

    @property
    def indices(self):
        """A 1-D Tensor containing the indices of the slices."""
        return self._indices

    @property
    def dense_shape(self):
        """A 1-D Tensor containing the shape of the corresponding dense tensor (or None)."""
        return self._dense_shape

    @property
    def shape(self):
        """The static shape of the dense tensor (a TensorShape)."""
        if self._dense_shape is None:
            return tensor_shape.TensorShape(None)
        from flowexec.ops.array_ops import _shape_dims, _shape_from_dims

        return _shape_from_dims(_shape_dims(self._dense_shape))

    def get_shape(self):
        return self.shape

    @property
    def name(self):
        """The name of `values`."""
        return self._values.name

    @property
    def device(self):
        """The device of `values`."""
        return self._values.device

    @property
    def op(self):
        """The Operation that produces `values`."""
        return self._values.op

    @property
    def dtype(self):
        """The DType of the elements."""
        return self._values.dtype

    @property
    def graph(self):
        """The Graph of the values, indices and shape tensors."""
        return self._values.graph

    def consumers(self):
        return self._values.consumers()

    def __str__(self):
        shape = f", dense_shape={self._dense_shape}" if self._dense_shape is not None else ""
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"

    __repr__ = __str__

    def __neg__(self):
        from flowexec.ops import math_ops

        return IndexedSlices(math_ops.negative(self._values), self._indices, self._dense_shape)

    # ----- what Session.run sees: three tensors, rebuilt into an IndexedSlicesValue ---------
    def _fetch_components(self):
        parts = [self._values, self._indices]
        if self._dense_shape is not None:
            parts.append(self._dense_shape)
        return parts

    def _fetch_rebuild(self, values):
        return IndexedSlicesValue(values[0], values[1],
                                  values[2] if len(values) > 2 else None)


IndexedSlicesValue = collections.namedtuple(
    "IndexedSlicesValue", ["values", "indices", "dense_shape"])


class IndexedSlicesSpec(TypeSpec):
    """The type of an IndexedSlices: dense shape, values/indices/dense_shape dtypes, and the
    shape of `indices`.

    Example:
        >>> tf.IndexedSlicesSpec([None, 64], tf.float32)
        IndexedSlicesSpec(TensorShape([None, 64]), tf.float32, tf.int64, None, ...)
    """

    __slots__ = ("_dense_shape_dtype", "_indices_dtype", "_indices_shape", "_shape",
                 "_values_dtype")

    def __init__(self, shape=None, dtype=dtypes.float32, indices_dtype=dtypes.int64,
                 dense_shape_dtype=None, indices_shape=None):
        self._shape = tensor_shape.as_shape(shape)
        self._values_dtype = dtypes.as_dtype(dtype)
        self._indices_dtype = dtypes.as_dtype(indices_dtype)
        self._dense_shape_dtype = (None if dense_shape_dtype is None
                                   else dtypes.as_dtype(dense_shape_dtype))
        self._indices_shape = tensor_shape.as_shape(indices_shape).with_rank(1)

    value_type = property(lambda self: IndexedSlices)

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._values_dtype

    def _serialize(self):
        return (self._shape, self._values_dtype, self._indices_dtype, self._dense_shape_dtype,
                self._indices_shape)

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __hash__(self):
        return hash(tuple(str(x) for x in self._serialize()))

    def __repr__(self):
        return f"IndexedSlicesSpec({', '.join(repr(x) for x in self._serialize())})"

    def is_compatible_with(self, spec_or_value):
        if isinstance(spec_or_value, IndexedSlices):
            spec_or_value = _spec_of(spec_or_value)
        if not isinstance(spec_or_value, IndexedSlicesSpec):
            return False
        o = spec_or_value
        return (self._shape.is_compatible_with(o._shape)
                and self._values_dtype == o._values_dtype
                and self._indices_dtype == o._indices_dtype
                and self._dense_shape_dtype == o._dense_shape_dtype
                and self._indices_shape.is_compatible_with(o._indices_shape))


def _spec_of(value):
    indices_shape = value.indices.shape.merge_with(value.values.shape[:1])
    dense = tensor_shape.TensorShape([None]).concatenate(value.values.shape[1:])
    ds_dtype = None
    if value.dense_shape is not None:
        ds_dtype = value.dense_shape.dtype
        dense = dense.merge_with(value.shape)
    return IndexedSlicesSpec(dense, value.dtype, value.indices.dtype, ds_dtype, indices_shape)


def _is_sparse(value):
    # A SparseTensor (flowexec/sparse) is left alone like an IndexedSlices, as in TF.
    return isinstance(value, IndexedSlices) or type(value).__name__ == "SparseTensor"


def internal_convert_to_tensor_or_indexed_slices(value, dtype=None, name=None, as_ref=False):
    """`convert_to_tensor_or_indexed_slices` with `as_ref`."""
    if _is_sparse(value):
        if dtype and not dtypes.as_dtype(dtype).is_compatible_with(value.dtype):
            raise ValueError(
                "Incompatible tensor conversion requested to `dtype` "
                f"{dtypes.as_dtype(dtype).name} for `value` ({value}) with dtype "
                f"{value.dtype.name}.")
        return value
    return internal_convert_to_tensor(value, dtype=dtype, name=name, as_ref=as_ref)


def convert_to_tensor_or_indexed_slices(value, dtype=None, name=None):
    """Converts `value` to a Tensor, leaving an IndexedSlices (or SparseTensor) unchanged.

    Args:
        value: an IndexedSlices, a SparseTensor, or anything `convert_to_tensor` takes.
        dtype: the required DType of the result.
        name: a name for a new Tensor.

    Raises:
        ValueError: `dtype` does not match the element type of `value`.

    Example:
        >>> g = tf.convert_to_tensor_or_indexed_slices(grad)  # a gradient, sparse or not
    """
    return internal_convert_to_tensor_or_indexed_slices(value, dtype, name)


def convert_n_to_tensor_or_indexed_slices(values, dtype=None, name=None):
    """Converts each of `values` (None stays None); a `name` names new Tensors name_i.

    Raises:
        TypeError: `values` is not iterable.
    """
    if not isinstance(values, collections.abc.Iterable):
        raise TypeError("Argument `values` must be iterable.")
    return [None if v is None else convert_to_tensor_or_indexed_slices(
        v, dtype, None if name is None else f"{name}_{i}") for i, v in enumerate(values)]


def is_dense_or_sparse(x):
    return isinstance(x, (Tensor, IndexedSlices))


__all__ = ["IndexedSlices", "IndexedSlicesSpec", "IndexedSlicesValue",
           "convert_n_to_tensor_or_indexed_slices", "convert_to_tensor_or_indexed_slices"]
