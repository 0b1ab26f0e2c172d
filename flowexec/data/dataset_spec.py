"""`tf.data.DatasetSpec`: the TypeSpec of a Dataset (its element structure and the shape of
the dataset value itself, `()` for a plain Dataset), as TF's.

Example:
    >>> tf.data.DatasetSpec.from_value(tf.data.Dataset.range(3))
    DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorShape([]))
"""

from flowexec.framework import tensor_shape
from flowexec.framework.type_spec import TypeSpec


class DatasetSpec(TypeSpec):
    """The type of a Dataset: `element_spec` (a structure of TypeSpecs) and
    `dataset_shape` (`()` for one dataset)."""

    __slots__ = ("_dataset_shape", "_element_spec")

    def __init__(self, element_spec, dataset_shape=()):
        self._element_spec = element_spec
        self._dataset_shape = tensor_shape.as_shape(dataset_shape)

    @property
    def value_type(self):
        from flowexec.data.dataset import Dataset

        return Dataset

    @property
    def element_spec(self):
        return self._element_spec

    def _serialize(self):
        return (self._element_spec, self._dataset_shape)

    @staticmethod
    def from_value(value):
        """The spec of a Dataset."""
        return DatasetSpec(value.element_spec)


__all__ = ["DatasetSpec"]
