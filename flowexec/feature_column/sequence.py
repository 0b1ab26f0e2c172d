"""Sequence columns (TF 1.15's `tf.contrib.feature_column` sequence API, also exported as
`tf.feature_column.sequence_*`): features of shape [batch, time, ...] given as
SparseTensors, and `sequence_input_layer`, which gives a [batch, max time, n] Tensor and
the per-example sequence lengths.

A sequence categorical column is its non-sequence column whose ids keep a time dimension
(ids [batch, time, k] are reshaped to [batch, time, k'] ); embedding and indicator columns of
it give one embedding or multi-hot vector per time step. A sequence numeric column is the
SparseTensor made dense with `default_value`, [batch, time, *shape].
"""

import collections

from flowexec.feature_column import categorical
from flowexec.feature_column.base import (
    IdWeightPair,
    TensorSequenceLengthPair,
    _CategoricalColumn,
    _LazyBuilder,
    _SequenceDenseColumn,
    assert_key_is_string,
    normalize_feature_columns,
    sequence_length_from_sparse_tensor,
    shape_of,
    verify_static_batch_size_equality,
)
from flowexec.framework import dtypes
from flowexec.framework.graph import control_dependencies
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import (
    array_ops,
    check_ops,
    math_ops,
    sparse_ops,
    sparse_structure_ops,
)
from flowexec.ops.constant_op import identity
from flowexec.ops.parsing_config import VarLenFeature

__all__ = ["sequence_categorical_column_with_hash_bucket",
           "sequence_categorical_column_with_identity",
           "sequence_categorical_column_with_vocabulary_file",
           "sequence_categorical_column_with_vocabulary_list", "sequence_input_layer",
           "sequence_numeric_column"]


class SequenceCategoricalColumn(
        _CategoricalColumn,
        collections.namedtuple("SequenceCategoricalColumn", ("categorical_column",))):
    """A categorical column whose ids keep their time dimension: [batch, time, k]."""

    @property
    def name(self):
        return self.categorical_column.name

    @property
    def _parse_example_spec(self):
        return self.categorical_column._parse_example_spec

    def _transform_feature(self, inputs):
        return self.categorical_column._transform_feature(inputs)

    @property
    def _num_buckets(self):
        return self.categorical_column._num_buckets

    num_buckets = _num_buckets

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        sparse_tensors = self.categorical_column._get_sparse_tensors(inputs)
        id_tensor, weight_tensor = sparse_tensors.id_tensor, sparse_tensors.weight_tensor
        shape = shape_of(id_tensor)
        target_shape = array_ops.stack([shape[0], shape[1], math_ops.reduce_prod(shape[2:])])
        id_tensor = sparse_structure_ops.sparse_reshape(id_tensor, target_shape)
        if weight_tensor is not None:
            weight_tensor = sparse_structure_ops.sparse_reshape(weight_tensor, target_shape)
        return IdWeightPair(id_tensor, weight_tensor)


class SequenceNumericColumn(
        _SequenceDenseColumn,
        collections.namedtuple("SequenceNumericColumn",
                               ("key", "shape", "default_value", "dtype", "normalizer_fn"))):
    """See `sequence_numeric_column`."""

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(self.dtype)}

    def _transform_feature(self, inputs):
        input_tensor = inputs.get(self.key)
        if self.normalizer_fn is not None:
            input_tensor = self.normalizer_fn(input_tensor)
        return input_tensor

    @property
    def _variable_shape(self):
        return TensorShape(self.shape)

    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        sp_tensor = inputs.get(self)
        dense = sparse_ops.sparse_tensor_to_dense(sp_tensor, default_value=self.default_value)
        dense_shape = array_ops.concat(
            [array_ops.shape(dense)[:1], [-1], list(self._variable_shape.as_list())], axis=0)
        dense = array_ops.reshape(dense, shape=dense_shape)
        ndims = sp_tensor.dense_shape.get_shape()[0]
        num_elements = self._variable_shape.num_elements() if ndims == 2 else 1
        return TensorSequenceLengthPair(
            dense, sequence_length_from_sparse_tensor(sp_tensor, num_elements=num_elements))


def sequence_numeric_column(key, shape=(1,), default_value=0., dtype=dtypes.float32,
                            normalizer_fn=None):
    """A sequence of real values per example ([batch, time, *shape] once dense).

    Args:
        key: the feature's key; its value is a SparseTensor [batch, time] or
            [batch, time, ...].
        shape: the shape of one time step's value.
        default_value: fills the missing steps.
        dtype: the values' dtype (integer or floating).
        normalizer_fn: applied to the SparseTensor first.

    Returns:
        A `SequenceNumericColumn`.

    Raises:
        TypeError: a normalizer_fn that is not callable.
        ValueError: a dtype that is not numeric.

    Example:
        >>> temperature = sequence_numeric_column("temperature")
        >>> dense, lengths = sequence_input_layer(features, [temperature])
    """
    from flowexec.feature_column.dense import _check_shape

    shape = _check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    assert_key_is_string(key)
    return SequenceNumericColumn(key, shape=shape, default_value=default_value, dtype=dtype,
                                 normalizer_fn=normalizer_fn)


def sequence_categorical_column_with_identity(key, num_buckets, default_value=None):
    """`categorical_column_with_identity` over a sequence feature ([batch, time] ids).

    Returns:
        A `SequenceCategoricalColumn` (wrap it in `embedding_column` or `indicator_column`).

    Example:
        >>> watches = sequence_categorical_column_with_identity("watches", num_buckets=1000)
    """
    return SequenceCategoricalColumn(categorical.categorical_column_with_identity(
        key=key, num_buckets=num_buckets, default_value=default_value))


def sequence_categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    """`categorical_column_with_hash_bucket` over a sequence feature.

    Returns:
        A `SequenceCategoricalColumn`.

    Example:
        >>> tokens = sequence_categorical_column_with_hash_bucket("tokens", 1000)
    """
    return SequenceCategoricalColumn(categorical.categorical_column_with_hash_bucket(
        key=key, hash_bucket_size=hash_bucket_size, dtype=dtype))


def sequence_categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None,
                                                     num_oov_buckets=0, default_value=None,
                                                     dtype=dtypes.string):
    """`categorical_column_with_vocabulary_file` over a sequence feature.

    Returns:
        A `SequenceCategoricalColumn`.

    Example:
        >>> states = sequence_categorical_column_with_vocabulary_file("states", "states.txt")
    """
    return SequenceCategoricalColumn(categorical.categorical_column_with_vocabulary_file(
        key=key, vocabulary_file=vocabulary_file, vocabulary_size=vocabulary_size,
        num_oov_buckets=num_oov_buckets, default_value=default_value, dtype=dtype))


def sequence_categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None,
                                                     default_value=-1, num_oov_buckets=0):
    """`categorical_column_with_vocabulary_list` over a sequence feature.

    Returns:
        A `SequenceCategoricalColumn`.

    Example:
        >>> colors = sequence_categorical_column_with_vocabulary_list("colors", ["R", "G"])
    """
    return SequenceCategoricalColumn(categorical.categorical_column_with_vocabulary_list(
        key=key, vocabulary_list=vocabulary_list, dtype=dtype, default_value=default_value,
        num_oov_buckets=num_oov_buckets))


def sequence_input_layer(features, feature_columns, weight_collections=None, trainable=True):
    """The dense sequence input of an RNN: each column's [batch, time, n] Tensor,
    concatenated on the last axis in the order of the columns' names, and the sequence
    lengths (which must agree across columns).

    Args:
        features: a dict from feature key to a SparseTensor [batch, time, ...].
        feature_columns: sequence dense columns (`sequence_numeric_column`, and embedding or
            indicator columns of `sequence_categorical_column_with_*`).
        weight_collections: more collections for the variables created.
        trainable: whether the variables are trainable.

    Returns:
        (a float32 Tensor [batch, max time, sum of sizes], an int64 Tensor [batch]).

    Raises:
        ValueError: a column that is not a sequence dense column.

    Example:
        >>> rating = sequence_numeric_column("rating")
        >>> watches = embedding_column(
        ...     sequence_categorical_column_with_identity("watches", 1000), 10)
        >>> dense, lengths = sequence_input_layer(features, [rating, watches])
    """
    from flowexec.variable_scope import variable_scope

    feature_columns = normalize_feature_columns(feature_columns)
    for c in feature_columns:
        if not isinstance(c, _SequenceDenseColumn):
            raise ValueError(
                "All feature_columns must be of type _SequenceDenseColumn. You can wrap a "
                "sequence_categorical_column with an embedding_column or indicator_column. "
                f"Given (type {type(c)}): {c}")
    with variable_scope(None, default_name="sequence_input_layer",
                        values=list(features.values())):
        builder = _LazyBuilder(features)
        outputs, lengths, ordered = [], [], []
        for column in sorted(feature_columns, key=lambda c: c.name):
            ordered.append(column)
            with variable_scope(None, default_name=column._var_scope_name):
                dense, length = column._get_sequence_dense_tensor(
                    builder, weight_collections=weight_collections, trainable=trainable)
                num_elements = column._variable_shape.num_elements()
                shape = array_ops.shape(dense)
                outputs.append(array_ops.reshape(
                    dense, shape=array_ops.stack([shape[0], shape[1], num_elements])))
                lengths.append(length)
        verify_static_batch_size_equality(outputs, ordered)
        verify_static_batch_size_equality(lengths, ordered)
        length = lengths[0]
        checks = [check_ops.assert_equal(length, other, message="sequence_length mismatch")
                  for other in lengths[1:]]
        if checks:
            with control_dependencies(checks):
                length = identity(length)
        return array_ops.concat(outputs, -1), length
