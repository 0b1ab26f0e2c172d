"""tf.data.DatasetSpec: a Dataset's TypeSpec (element structure, dataset shape ()), from a
dataset or tf.type_spec_from_value, with TypeSpec's equality, hashing, compatibility and
merging on nested structures (as TensorFlow 2.21's tf.compat.v1)."""

import pytest

import flowexec as tf


def test_spec_of_a_dataset():
    spec = tf.data.DatasetSpec.from_value(tf.data.Dataset.range(3))
    assert repr(spec) == ("DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, name=None), "
                          "TensorShape([]))")
    assert isinstance(spec, tf.TypeSpec) and spec.value_type is tf.data.Dataset
    assert spec.element_spec == tf.TensorSpec([], tf.int64)
    assert tf.type_spec_from_value(tf.data.Dataset.range(5)) == spec


def test_nested_specs_compare_hash_and_merge():
    def spec(width):
        return tf.type_spec_from_value(
            tf.data.Dataset.from_tensor_slices({"a": [[1.0] * width], "b": [1]}))

    assert spec(2) == spec(2) and hash(spec(2)) == hash(spec(2))
    assert not spec(2).is_compatible_with(spec(3))
    assert spec(2).is_compatible_with(tf.data.DatasetSpec(
        {"a": tf.TensorSpec([None], tf.float32), "b": tf.TensorSpec([], tf.int32)}))
    merged = spec(2).most_specific_compatible_type(spec(3))
    assert merged.element_spec["a"] == tf.TensorSpec([None], tf.float32)
    with pytest.raises(ValueError, match="No TypeSpec is compatible with both"):
        spec(2).most_specific_compatible_type(
            tf.data.DatasetSpec.from_value(tf.data.Dataset.range(3)))
