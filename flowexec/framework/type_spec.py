"""`tf.TypeSpec`, the type of a value flowexec graphs pass around, and the specs that have no
home of their own: `tf.NoneTensorSpec`, `tf.TensorArraySpec`, and `tf.type_spec_from_value`
(tf.data.DatasetSpec is in data/dataset_spec.py).

A TypeSpec subclass says what its type is made of (`_serialize()`: a tuple of TensorShapes,
DTypes and plain values) and what Python class its values have (`value_type`); from that, as
in TF, follow equality and hashing (same class and serialization), `is_compatible_with`
(same class; shapes compatible, everything else equal) and `most_specific_compatible_type`
(dims that differ become unknown; ValueError where anything else differs). TensorSpec
(framework/function.py), SparseTensorSpec and IndexedSlicesSpec are TypeSpecs.

Example:
    >>> tf.type_spec_from_value(tf.constant([1.0, 2.0]))
    TensorSpec(shape=(2,), dtype=tf.float32, name=None)
    >>> tf.TensorSpec([None]).is_compatible_with(tf.TensorSpec([2]))
    True
"""

import abc

from flowexec.framework import dtypes, tensor_shape


class TypeSpec(abc.ABC):
    """Base of the value types (see the module docstring); abstract, as TF's."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def value_type(self):
        """The Python class of this type's values."""

    @abc.abstractmethod
    def _serialize(self):
        """This spec as a tuple (TensorShapes, DTypes, nested specs, plain values)."""

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((type(self).__name__,) + tuple(_hashable(x) for x in self._serialize()))

    def __repr__(self):
        return f"{type(self).__name__}{self._serialize()!r}"

    def is_compatible_with(self, spec_or_value):
        """Whether `spec_or_value` (a TypeSpec, or a value) could be of this type."""
        other = _as_spec(spec_or_value)
        return type(other) is type(self) and _compatible(self._serialize(), other._serialize())

    def most_specific_compatible_type(self, other):
        """The most specific TypeSpec compatible with both `self` and `other`.

        Raises:
            ValueError: "No TypeSpec is compatible with both <self> and <other>".
        """
        if type(other) is not type(self):
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        try:
            merged = _most_specific(self._serialize(), other._serialize())
        except ValueError:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}") from None
        return type(self)(*merged)


def _as_spec(spec_or_value):
    """A TypeSpec as is, a value's spec, or None for a value that has none."""
    if isinstance(spec_or_value, TypeSpec):
        return spec_or_value
    try:
        return type_spec_from_value(spec_or_value)
    except TypeError:
        return None


def _hashable(x):
    if isinstance(x, (tensor_shape.TensorShape, dict, list)):
        return repr(x)  # unhashable or TF1-hashed: by their text
    return x


def _compatible(a, b):
    if isinstance(a, tensor_shape.TensorShape):
        return isinstance(b, tensor_shape.TensorShape) and a.is_compatible_with(b)
    if isinstance(a, TypeSpec):
        return isinstance(b, TypeSpec) and a.is_compatible_with(b)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_compatible, a, b))
    if isinstance(a, dict):
        return (isinstance(b, dict) and sorted(a) == sorted(b)
                and all(_compatible(a[k], b[k]) for k in a))
    return a == b


def _most_specific(a, b):
    if isinstance(a, tensor_shape.TensorShape) and isinstance(b, tensor_shape.TensorShape):
        return a.most_specific_compatible_shape(b)  # differing dims become unknown, as TF
    if isinstance(a, TypeSpec) and isinstance(b, TypeSpec):
        return a.most_specific_compatible_type(b)
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return type(a)(*map(_most_specific, a, b)) if hasattr(a, "_fields") else \
            tuple(map(_most_specific, a, b))
    if isinstance(a, dict) and isinstance(b, dict) and sorted(a) == sorted(b):
        return {k: _most_specific(a[k], b[k]) for k in a}
    if a != b:
        raise ValueError
    return a


class NoneTensorSpec(TypeSpec):
    """The type of `None` where a value is optional (a dataset or function output).

    Example:
        >>> tf.type_spec_from_value(None)
        NoneTensorSpec()
    """

    __slots__ = ()

    value_type = property(lambda self: type(None))

    def _serialize(self):
        return ()

    def __repr__(self):
        return "NoneTensorSpec()"


class TensorArraySpec(TypeSpec):
    """The type of a TensorArray: element shape, dtype, dynamic_size, infer_shape.

    As TF, `infer_shape` is left out of compatibility and the most specific compatible type
    infers shapes only if both do.

    Example:
        >>> tf.TensorArraySpec([None, 3], tf.float32)
        TensorArraySpec(TensorShape([None, 3]), tf.float32, False, True)
    """

    __slots__ = ("_dtype", "_dynamic_size", "_element_shape", "_infer_shape")

    def __init__(self, element_shape=None, dtype=dtypes.float32, dynamic_size=False,
                 infer_shape=True):
        self._element_shape = tensor_shape.as_shape(element_shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = dynamic_size
        self._infer_shape = infer_shape

    @property
    def value_type(self):
        from flowexec.ops.tensor_array_ops import TensorArray

        return TensorArray

    def _serialize(self):
        return (self._element_shape, self._dtype, self._dynamic_size, self._infer_shape)

    def is_compatible_with(self, other):
        other = _as_spec(other)
        return (type(self) is type(other) and self._dtype.is_compatible_with(other._dtype)
                and self._element_shape.is_compatible_with(other._element_shape)
                and self._dynamic_size == other._dynamic_size)

    def most_specific_compatible_type(self, other):
        if not self.is_compatible_with(other):
            raise ValueError(f"Type `{self}` is not compatible with `{other}`.")
        return TensorArraySpec(
            self._element_shape.most_specific_compatible_shape(other._element_shape),
            self._dtype, self._dynamic_size, self._infer_shape and other._infer_shape)

    @staticmethod
    def from_value(value):
        """The spec of a TensorArray."""
        return TensorArraySpec(value.element_shape, value.dtype, value.dynamic_size,
                               value._infer_shape)


def type_spec_from_value(value):
    """The TypeSpec of `value`: its own spec for a TypeSpec-typed value (SparseTensor,
    IndexedSlices, TensorArray, Dataset, None), else the TensorSpec of `convert_to_tensor(value)`
    (a Tensor's keeps its static shape; name None).

    Raises:
        TypeError: "Could not build a TypeSpec for <value> of unsupported type <type>."

    Example:
        >>> tf.type_spec_from_value(np.zeros((2, 3)))
        TensorSpec(shape=(2, 3), dtype=tf.float64, name=None)
    """
    from flowexec.data.dataset import Dataset
    from flowexec.data.dataset_spec import DatasetSpec
    from flowexec.framework import graph as graph_mod
    from flowexec.framework.convert import convert_to_tensor
    from flowexec.framework.function import TensorSpec
    from flowexec.framework.indexed_slices import IndexedSlices, _spec_of
    from flowexec.framework.sparse_tensor import SparseTensorSpec, is_sparse
    from flowexec.framework.tensor import Tensor
    from flowexec.ops.tensor_array_ops import TensorArray

    if value is None:
        return NoneTensorSpec()
    if isinstance(value, Tensor):
        return TensorSpec(value.shape, value.dtype)
    if is_sparse(value):
        return SparseTensorSpec.from_value(value)
    if isinstance(value, IndexedSlices):
        return _spec_of(value)
    if isinstance(value, TensorArray):
        return TensorArraySpec.from_value(value)
    if isinstance(value, Dataset):
        return DatasetSpec.from_value(value)
    spec = getattr(value, "_type_spec", None)
    if isinstance(spec, TypeSpec):
        return spec
    try:
        with graph_mod.Graph().as_default():  # converted aside: the user's graph stays as is
            tensor = convert_to_tensor(value)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Could not build a TypeSpec for {value!r} of unsupported type "
                        f"{type(value)}.") from e
    return TensorSpec(tensor.shape, tensor.dtype)


__all__ = ["NoneTensorSpec", "TensorArraySpec", "TypeSpec", "type_spec_from_value"]
