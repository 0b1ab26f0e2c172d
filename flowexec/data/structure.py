"""Element structures of tf.data: nested tuples/dicts of `TensorSpec` leaves.

TF's rules (`data/util/nest.py`, `structure.py`): tuples, namedtuples and dicts are
structures; a list is one value, converted to a tensor. `output_types`, `output_shapes` and
`output_classes` are the structure with each leaf's dtype, static shape or class.
"""

import numpy as np

from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.function import TensorSpec
from flowexec.framework.sparse_tensor import SparseTensor, SparseTensorSpec
from flowexec.framework.tensor import Tensor


class Structured:
    """`element_spec` and TF 1.x's `output_types/shapes/classes`, for Dataset and Iterator
    (which set `_element_spec`)."""

    _element_spec = None

    @property
    def element_spec(self):
        """The structure of TensorSpecs every element has."""
        return self._element_spec

    @property
    def output_types(self):
        """The structure of element dtypes (TF 1.x)."""
        return types(self._element_spec)

    @property
    def output_shapes(self):
        """The structure of element static shapes (TF 1.x)."""
        return shapes(self._element_spec)

    @property
    def output_classes(self):
        """The structure of element classes (`tf.Tensor` for every component)."""
        return classes(self._element_spec)


def normalize(value, name="component"):
    """`value` with every leaf converted to a Tensor (components named `component_<i>`);
    SparseTensor leaves stay SparseTensors."""
    flat = nest.flatten_data(value)
    tensors = [v if isinstance(v, (Tensor, SparseTensor))
               else convert_to_tensor(v, name=f"{name}_{i}") for i, v in enumerate(flat)]
    return nest.pack_data(value, tensors)


def spec_of(tensors):
    """The spec structure of a structure of tensors (SparseTensorSpec for a SparseTensor)."""
    def spec(t):
        if isinstance(t, SparseTensor):
            return SparseTensorSpec(t.shape, t.dtype)
        return TensorSpec(t.shape, t.dtype)
    return nest.map_data(spec, tensors)


def expand_components(value):
    """`value` with each SparseTensor leaf as its (indices, values, dense_shape) tuple: a
    function's outputs in the flat component order of `flat_specs`."""
    return nest.map_data(lambda v: (v.indices, v.values, v.dense_shape)
                         if isinstance(v, SparseTensor) else v, value)


def component_specs(spec):
    """`spec` with each SparseTensorSpec leaf as the tuple of its three component specs: the
    argument structure a function of such elements is traced with."""
    return nest.map_data(lambda s: tuple(s._component_specs)
                         if isinstance(s, SparseTensorSpec) else s, spec)


def flat_specs(spec):
    """The specs of the flat components: a SparseTensorSpec leaf is three dense components
    (indices, values, dense_shape), as a dataset value carries it."""
    out = []
    for s in nest.flatten_data(spec):
        out.extend(s._component_specs if isinstance(s, SparseTensorSpec) else [s])
    return out


def pack_components(spec, tensors):
    """The inverse of `flat_specs`: the structure `spec` of `tensors` (flat components),
    a SparseTensor rebuilt from the three of each SparseTensorSpec leaf."""
    parts = iter(tensors)
    leaves = []
    for s in nest.flatten_data(spec):
        if isinstance(s, SparseTensorSpec):
            sp = SparseTensor(next(parts), next(parts), next(parts))
            sp.set_shape(s.shape)
            leaves.append(sp)
        else:
            leaves.append(next(parts))
    return nest.pack_data(spec, leaves)


_DENSE = (TensorSpec, SparseTensorSpec)


def types(spec):
    # a dataset component (a window) is described by its DatasetSpec, as TF 1.x does
    return nest.map_data(lambda s: s.dtype if isinstance(s, _DENSE) else s, spec)


def shapes(spec):
    return nest.map_data(lambda s: s.shape if isinstance(s, _DENSE) else s, spec)


def classes(spec):
    return nest.map_data(lambda s: Tensor if isinstance(s, TensorSpec) else
                         SparseTensor if isinstance(s, SparseTensorSpec) else s, spec)


def from_types_and_shapes(output_types, output_shapes=None, output_classes=None):
    """A spec from TF1's `output_types` / `output_shapes` structures (shapes default to
    unknown); a leaf whose `output_classes` entry is SparseTensor is a SparseTensorSpec.

    Raises:
        TypeError, ValueError: the two structures differ.
    """
    output_types = nest.map_data(dtypes.as_dtype, output_types)
    if output_shapes is None:
        output_shapes = nest.map_data(lambda _: tensor_shape.unknown_shape(), output_types)
    else:
        output_shapes = _shapes_like(output_types, output_shapes)
    spec = nest.map_data(lambda t, s: TensorSpec(s, t), output_types, output_shapes)
    if output_classes is None:
        return spec
    flat_classes = nest.flatten_data(output_classes)
    flat = nest.flatten_data(spec)
    if len(flat_classes) != len(flat):
        return spec  # the caller's structure check reports the mismatch
    return nest.pack_data(spec, [SparseTensorSpec(s.shape, s.dtype) if c is SparseTensor
                                 else s for s, c in zip(flat, flat_classes)])


def _shapes_like(output_types, output_shapes):
    """`output_shapes` read against `output_types`: a list there is a shape, not a nest."""
    flat_types = nest.flatten_data(output_types)
    if not nest.is_nested(output_types) or isinstance(output_types, list):
        return tensor_shape.as_shape(output_shapes)
    flat_shapes = _flatten_up_to(output_types, output_shapes)
    if len(flat_shapes) != len(flat_types):
        raise ValueError("The two structures don't have the same nested structure: "
                         f"{output_types} and {output_shapes}")
    return nest.pack_data(output_types, [tensor_shape.as_shape(s) for s in flat_shapes])


def _flatten_up_to(shallow, deep):
    """The sub-structures of `deep` at the leaves of `shallow`."""
    if isinstance(shallow, dict):
        if not isinstance(deep, dict) or sorted(deep) != sorted(shallow):
            raise ValueError(f"The two structures don't have the same keys: {shallow} and "
                             f"{deep}")
        return [x for k in sorted(shallow) for x in _flatten_up_to(shallow[k], deep[k])]
    if isinstance(shallow, tuple):
        if not isinstance(deep, (tuple, list)) or len(deep) != len(shallow):
            raise ValueError(f"The two structures don't have the same nested structure: "
                             f"{shallow} and {deep}")
        return [x for a, b in zip(shallow, deep) for x in _flatten_up_to(a, b)]
    return [deep]


def most_specific_compatible(a, b):
    """The spec both `a` and `b` satisfy (dtypes must agree; shapes are relaxed)."""
    return nest.map_data(lambda x, y: TensorSpec(
        x.shape.most_specific_compatible_shape(y.shape), x.dtype), a, b)


def same_types(a, b):
    try:
        nest.assert_same_data_structure(a, b)
    except (TypeError, ValueError):
        return False
    return all(x.dtype == y.dtype for x, y in zip(flat_specs(a), flat_specs(b)))


def compatible_shapes(a, b):
    return all(x.shape.is_compatible_with(y.shape) for x, y in zip(flat_specs(a),
                                                                    flat_specs(b)))


def padding_value(dtype):
    """TF's default padding value: 0 of the dtype, b"" for strings."""
    if dtype is dtypes.string:
        return np.asarray(b"", dtype=object)
    return np.zeros((), dtype=dtype.np)
