"""tf.TypeSpec and its subclasses (TensorSpec, SparseTensorSpec, IndexedSlicesSpec,
NoneTensorSpec, TensorArraySpec) and tf.type_spec_from_value: equality, hashing,
compatibility and most specific compatible types as TensorFlow 2.21's tf.compat.v1 gives
them."""

import numpy as np
import pytest

import flowexec as tf

T = tf.TensorSpec


def test_type_spec_is_abstract_and_the_specs_are_type_specs():
    with pytest.raises(TypeError, match="Can't instantiate abstract class TypeSpec"):
        tf.TypeSpec()
    for cls in (tf.TensorSpec, tf.SparseTensorSpec, tf.IndexedSlicesSpec, tf.NoneTensorSpec,
                tf.TensorArraySpec):
        assert issubclass(cls, tf.TypeSpec)


def test_tensor_spec_names_count_for_equality_and_merging_not_compatibility():
    assert T([2], tf.float32, "x") != T([2], tf.float32, "y")
    assert T([2]).is_compatible_with(T([None], name="q"))
    assert T([2]).is_compatible_with(tf.constant([1.0, 2.0]))
    assert T([2], name="x").most_specific_compatible_type(T([3], name="x")) == T([None], name="x")
    for other in (T([None], tf.float32, "y"), T([2], tf.int32, "x")):
        with pytest.raises(ValueError, match=r"^No TypeSpec is compatible with both "
                                             r"TensorSpec\(shape=\(2,\)"):
            T([2], tf.float32, "x").most_specific_compatible_type(other)
    assert T([2]).value_type is tf.Tensor


def test_none_tensor_spec():
    spec = tf.NoneTensorSpec()
    assert repr(spec) == "NoneTensorSpec()" and spec.value_type is type(None)
    assert spec == tf.NoneTensorSpec() and hash(spec) == hash(tf.NoneTensorSpec())
    assert spec.is_compatible_with(None) and not spec.is_compatible_with(T([]))


def test_tensor_array_spec_ignores_infer_shape_for_compatibility():
    spec = tf.TensorArraySpec([None, 3], tf.float32)
    assert spec._serialize() == (tf.TensorShape([None, 3]), tf.float32, False, True)
    assert spec.value_type is tf.TensorArray
    assert spec.is_compatible_with(tf.TensorArraySpec([2, 3], tf.float32, infer_shape=False))
    assert not spec.is_compatible_with(tf.TensorArraySpec([2, 3], tf.float32, dynamic_size=True))
    assert not spec.is_compatible_with(tf.TensorArraySpec([2, 4], tf.float32))
    merged = spec.most_specific_compatible_type(
        tf.TensorArraySpec([2, 3], tf.float32, infer_shape=False))
    assert merged == tf.TensorArraySpec([None, 3], tf.float32, False, False)
    with pytest.raises(ValueError, match="is not compatible with"):
        spec.most_specific_compatible_type(tf.TensorArraySpec([2, 3], tf.int32))


def test_sparse_and_indexed_slices_specs_merge_by_the_base_rules():
    assert not tf.SparseTensorSpec([2]).is_compatible_with(T([2]))
    merged = tf.SparseTensorSpec([None, 2]).most_specific_compatible_type(
        tf.SparseTensorSpec([3, 2]))
    assert merged == tf.SparseTensorSpec([None, 2])
    spec = tf.IndexedSlicesSpec([None, 3])
    assert spec.most_specific_compatible_type(tf.IndexedSlicesSpec([4, 3])) == spec
    assert hash(spec) == hash(tf.IndexedSlicesSpec([None, 3]))
    with pytest.raises(ValueError, match="No TypeSpec is compatible with both"):
        spec.most_specific_compatible_type(tf.IndexedSlicesSpec([4, 3], tf.float64))


def test_type_spec_from_value():
    assert tf.type_spec_from_value(tf.constant(1.0)) == T([], tf.float32)
    assert tf.type_spec_from_value(np.zeros((2, 3))) == T([2, 3], tf.float64)
    assert tf.type_spec_from_value([1, 2]) == T([2], tf.int32)
    assert tf.type_spec_from_value("abc") == T([], tf.string)
    assert tf.type_spec_from_value(None) == tf.NoneTensorSpec()
    sparse = tf.SparseTensor([[0, 0]], [1.0], [2, 2])
    assert tf.type_spec_from_value(sparse) == tf.SparseTensorSpec([2, 2], tf.float32)
    ta = tf.TensorArray(tf.float32, size=2, element_shape=[3])
    assert tf.type_spec_from_value(ta) == tf.TensorArraySpec([3], tf.float32, False, True)
    before = len(tf.get_default_graph().get_operations())
    tf.type_spec_from_value(np.ones(4))
    assert len(tf.get_default_graph().get_operations()) == before  # nothing added
    with pytest.raises(TypeError, match="^Could not build a TypeSpec for <object object at "
                                        r"\w+> of unsupported type <class 'object'>.$"):
        tf.type_spec_from_value(object())
