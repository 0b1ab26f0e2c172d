"""`tf.data.experimental.Optional` and `get_next_as_optional`: a value that may be absent,
held in a variant tensor (ops in `flowexec/ops/dataset_sampling_ops.py`).

`get_next_as_optional(iterator)` never raises at the end of the sequence: its Optional has
no value there, and `get_value()` of an empty Optional raises InvalidArgumentError "The
optional does not have a value." at run time.

Example:
    >>> opt = get_next_as_optional(it)
    >>> x = tf.cond(opt.has_value(), opt.get_value, lambda: tf.constant(-1, tf.int64))
"""

from flowexec.data import structure
from flowexec.framework import nest
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.ops import dataset_sampling_ops as _ops  # noqa: F401 (registers the ops)


class Optional:
    """A structure of tensors that may be missing (TF 1.x `tf.data.experimental.Optional`).

    Build one with `Optional.from_value(value)`, `Optional.none_from_structure(structure)`
    or `get_next_as_optional(iterator)`.
    """

    def __init__(self, variant, value_structure):
        self._variant_tensor = variant
        self._value_structure = value_structure

    @property
    def value_structure(self):
        """The structure of TensorSpecs of the value."""
        return self._value_structure

    def has_value(self, name=None):
        """A bool scalar: whether the Optional holds a value."""
        return apply_op("OptionalHasValue", self._variant_tensor, name=name or "has_value")

    def get_value(self, name=None):
        """The value's tensors (its structure); running them on an empty Optional raises
        InvalidArgumentError "The optional does not have a value."."""
        flat = structure.flat_specs(self._value_structure)
        outs = apply_op("OptionalGetValue", self._variant_tensor, name=name or "get_value",
                        output_types=[s.dtype for s in flat],
                        output_shapes=[s.shape for s in flat])
        outs = [outs] if isinstance(outs, Tensor) else list(outs)
        return nest.pack_data(self._value_structure, outs)

    @staticmethod
    def from_value(value):
        """An Optional holding `value` (a structure of tensors)."""
        value = structure.normalize(value)
        return Optional(apply_op("OptionalFromValue", *nest.flatten_data(value),
                                 name="OptionalFromValue"), structure.spec_of(value))

    @staticmethod
    def none_from_structure(value_structure):
        """An empty Optional of `value_structure` (a structure of TensorSpecs)."""
        return Optional(apply_op("OptionalNone", name="OptionalNone"), value_structure)


def get_next_as_optional(iterator):
    """An Optional with the iterator's next element, empty at the end of the sequence."""
    flat = structure.flat_specs(iterator.element_spec)
    variant = apply_op("IteratorGetNextAsOptional", iterator._iterator_resource,
                       output_types=[s.dtype for s in flat],
                       output_shapes=[s.shape for s in flat])
    return Optional(variant, iterator.element_spec)


__all__ = ["Optional", "get_next_as_optional"]
