"""Categorical columns: features turned into int64 ids (SparseTensors), as TF 1.x's
`tf.feature_column.categorical_column_with_*`, `weighted_categorical_column` and
`crossed_column` make them.

A dense input is first made sparse by dropping its missing cells ('' for strings, -1 for
integers). Ids are, per column: the integer itself (identity; out-of-range ids become
`default_value` when one is given), FarmHash Fingerprint64 of the string (an integer as its
decimal text) modulo the bucket count (hash; op StringToHashBucketFast), the position in a
vocabulary (list or file; misses get `default_value`, or with `num_oov_buckets` the
vocabulary size plus the miss's hash bucket), or for a cross, TF's SparseCross hash of one
feature from each key chained with FingerprintCat64 from `hash_key` (default 0xDECAFCAFFE),
modulo `hash_bucket_size`. Vocabulary tables are filled by `tf.tables_initializer()`.
"""

import collections

import numpy as np

from flowexec.compat_api import init_scope
from flowexec.feature_column.base import (
    IdWeightPair,
    _CategoricalColumn,
    _FeatureColumn,
    assert_key_is_string,
    assert_string_or_int,
    convert_to_tensor_or_sparse_tensor,
    to_sparse_input_and_drop_ignore_values,
)
from flowexec.framework import dtypes
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, hash_ops, manip_ops, math_ops, string_ops
from flowexec.ops.parsing_config import VarLenFeature
from flowexec.ops.sparse_cross_ops import sparse_cross_hashed

__all__ = ["categorical_column_with_hash_bucket", "categorical_column_with_identity",
           "categorical_column_with_vocabulary_file", "categorical_column_with_vocabulary_list",
           "crossed_column", "weighted_categorical_column"]


class _IdsFromKey(_CategoricalColumn):
    """A categorical column over one raw feature `key` whose ids are its own transformation."""

    __slots__ = ()

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: VarLenFeature(self._spec_dtype)}

    @property
    def _spec_dtype(self):
        return self.dtype

    def _transform_feature(self, inputs):
        input_tensor = to_sparse_input_and_drop_ignore_values(inputs.get(self.key))
        return self._transform_input_tensor(input_tensor)

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        return IdWeightPair(inputs.get(self), None)


class HashedCategoricalColumn(
        _IdsFromKey,
        collections.namedtuple("HashedCategoricalColumn", ("key", "hash_bucket_size", "dtype"))):
    """See `categorical_column_with_hash_bucket`."""

    def _transform_input_tensor(self, input_tensor):
        if not isinstance(input_tensor, SparseTensor):
            raise ValueError("SparseColumn input must be a SparseTensor.")
        assert_string_or_int(input_tensor.dtype,
                             prefix=f"column_name: {self.key} input_tensor")
        if self.dtype.is_integer != input_tensor.dtype.is_integer:
            raise ValueError(
                "Column dtype and SparseTensors dtype must be compatible. "
                f"key: {self.key}, column dtype: {self.dtype}, tensor dtype: "
                f"{input_tensor.dtype}")
        if self.dtype == dtypes.string:
            values = input_tensor.values
        else:
            values = string_ops.as_string(input_tensor.values)
        ids = hash_ops.string_to_hash_bucket_fast(values, self.hash_bucket_size, name="lookup")
        return SparseTensor(input_tensor.indices, ids, input_tensor.dense_shape)

    @property
    def _num_buckets(self):
        return self.hash_bucket_size

    num_buckets = _num_buckets


def _vocab_lookup(column, input_tensor, make_table):
    if column.dtype.is_integer != input_tensor.dtype.is_integer:
        raise ValueError(
            "Column dtype and SparseTensors dtype must be compatible. "
            f"key: {column.key}, column dtype: {column.dtype}, tensor dtype: "
            f"{input_tensor.dtype}")
    assert_string_or_int(input_tensor.dtype, prefix=f"column_name: {column.key} input_tensor")
    key_dtype = column.dtype
    if input_tensor.dtype.is_integer:
        key_dtype = dtypes.int64
        input_tensor = SparseTensor(input_tensor.indices,
                                    math_ops.cast(input_tensor.values, dtypes.int64),
                                    input_tensor.dense_shape)
    with init_scope():
        table = make_table(key_dtype, f"{column.key}_lookup")
    return table.lookup(input_tensor)


class VocabularyFileCategoricalColumn(
        _IdsFromKey,
        collections.namedtuple("VocabularyFileCategoricalColumn", (
            "key", "vocabulary_file", "vocabulary_size", "num_oov_buckets", "dtype",
            "default_value"))):
    """See `categorical_column_with_vocabulary_file`."""

    def _transform_input_tensor(self, input_tensor):
        from flowexec.contrib.lookup import index_table_from_file

        return _vocab_lookup(self, input_tensor, lambda key_dtype, name: index_table_from_file(
            vocabulary_file=self.vocabulary_file, num_oov_buckets=self.num_oov_buckets,
            vocab_size=self.vocabulary_size, default_value=self.default_value,
            key_dtype=key_dtype, name=name))

    @property
    def _num_buckets(self):
        return self.vocabulary_size + self.num_oov_buckets

    num_buckets = _num_buckets


class VocabularyListCategoricalColumn(
        _IdsFromKey,
        collections.namedtuple("VocabularyListCategoricalColumn", (
            "key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets"))):
    """See `categorical_column_with_vocabulary_list`."""

    def _transform_input_tensor(self, input_tensor):
        from flowexec.contrib.lookup import index_table_from_tensor

        return _vocab_lookup(self, input_tensor, lambda key_dtype, name: index_table_from_tensor(
            vocabulary_list=tuple(self.vocabulary_list), default_value=self.default_value,
            num_oov_buckets=self.num_oov_buckets, dtype=key_dtype, name=name))

    @property
    def _num_buckets(self):
        return len(self.vocabulary_list) + self.num_oov_buckets

    num_buckets = _num_buckets


class IdentityCategoricalColumn(
        _IdsFromKey,
        collections.namedtuple("IdentityCategoricalColumn",
                               ("key", "number_buckets", "default_value"))):
    """See `categorical_column_with_identity`."""

    @property
    def _spec_dtype(self):
        return dtypes.int64

    def _transform_input_tensor(self, input_tensor):
        if not input_tensor.dtype.is_integer:
            raise ValueError(f"Invalid input, not integer. key: {self.key} dtype: "
                             f"{input_tensor.dtype}")
        values = input_tensor.values
        if values.dtype != dtypes.int64:
            values = math_ops.cast(values, dtypes.int64, name="values")
        if self.default_value is not None:
            num_buckets = math_ops.cast(self.number_buckets, dtypes.int64, name="num_buckets")
            zero = math_ops.cast(0, dtypes.int64, name="zero")
            values = manip_ops.where_v2(
                math_ops.logical_or(values < zero, values >= num_buckets, name="out_of_range"),
                array_ops.fill(array_ops.shape(values),
                               math_ops.cast(self.default_value, dtypes.int64),
                               name="default_values"),
                values)
        return SparseTensor(input_tensor.indices, values, input_tensor.dense_shape)

    @property
    def _num_buckets(self):
        return self.number_buckets

    num_buckets = _num_buckets


class WeightedCategoricalColumn(
        _CategoricalColumn,
        collections.namedtuple("WeightedCategoricalColumn",
                               ("categorical_column", "weight_feature_key", "dtype"))):
    """See `weighted_categorical_column`."""

    @property
    def name(self):
        return f"{self.categorical_column.name}_weighted_by_{self.weight_feature_key}"

    @property
    def _parse_example_spec(self):
        config = dict(self.categorical_column._parse_example_spec)
        if self.weight_feature_key in config:
            raise ValueError(f"Parse config {config[self.weight_feature_key]} already exists "
                             f"for {self.weight_feature_key}.")
        config[self.weight_feature_key] = VarLenFeature(self.dtype)
        return config

    @property
    def _num_buckets(self):
        return self.categorical_column._num_buckets

    num_buckets = _num_buckets

    def _transform_weight_tensor(self, weight_tensor):
        if weight_tensor is None:
            raise ValueError(f"Missing weights {self.weight_feature_key}.")
        weight_tensor = convert_to_tensor_or_sparse_tensor(weight_tensor)
        if self.dtype != weight_tensor.dtype.base_dtype:
            raise ValueError(f"Bad dtype, expected {self.dtype}, but got "
                             f"{weight_tensor.dtype}.")
        if not isinstance(weight_tensor, SparseTensor):
            weight_tensor = to_sparse_input_and_drop_ignore_values(weight_tensor,
                                                                   ignore_value=0.0)
        if not weight_tensor.dtype.is_floating:
            weight_tensor = SparseTensor(weight_tensor.indices,
                                         math_ops.cast(weight_tensor.values, dtypes.float32),
                                         weight_tensor.dense_shape)
        return weight_tensor

    def _transform_feature(self, inputs):
        weight_tensor = self._transform_weight_tensor(inputs.get(self.weight_feature_key))
        return (inputs.get(self.categorical_column), weight_tensor)

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        tensors = inputs.get(self)
        return IdWeightPair(tensors[0], tensors[1])


def _collect_leaf_level_keys(cross):
    keys = []
    for k in cross.keys:
        if isinstance(k, CrossedColumn):
            keys.extend(_collect_leaf_level_keys(k))
        else:
            keys.append(k)
    return keys


class CrossedColumn(
        _CategoricalColumn,
        collections.namedtuple("CrossedColumn", ("keys", "hash_bucket_size", "hash_key"))):
    """See `crossed_column`."""

    @property
    def name(self):
        names = [k.name if isinstance(k, _FeatureColumn) else k
                 for k in _collect_leaf_level_keys(self)]
        return "_X_".join(sorted(names))

    @property
    def _parse_example_spec(self):
        config = {}
        for key in self.keys:
            if isinstance(key, _FeatureColumn):
                config.update(key._parse_example_spec)
            else:
                config.update({key: VarLenFeature(dtypes.string)})
        return config

    def _transform_feature(self, inputs):
        feature_tensors = []
        for key in _collect_leaf_level_keys(self):
            if isinstance(key, str):
                feature_tensors.append(inputs.get(key))
            elif isinstance(key, _CategoricalColumn):
                ids_and_weights = key._get_sparse_tensors(inputs)
                if ids_and_weights.weight_tensor is not None:
                    raise ValueError(
                        "crossed_column does not support weight_tensor, but the given column "
                        f"populates weight_tensor. Given column: {key.name}")
                feature_tensors.append(ids_and_weights.id_tensor)
            else:
                raise ValueError(f"Unsupported column type. Given: {key}")
        return sparse_cross_hashed(inputs=feature_tensors, num_buckets=self.hash_bucket_size,
                                   hash_key=self.hash_key)

    @property
    def _num_buckets(self):
        return self.hash_bucket_size

    num_buckets = _num_buckets

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        return IdWeightPair(inputs.get(self), None)


# ----- constructors -------------------------------------------------------------------------
def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    """A column of ids `Fingerprint64(value) % hash_bucket_size` (op StringToHashBucketFast;
    integer values hashed as their decimal text).

    Args:
        key: the feature's key; its values are strings or integers, sparse or dense (dense
            '' or -1 cells are dropped).
        hash_bucket_size: the number of buckets, >= 1.
        dtype: tf.string or an integer dtype.

    Returns:
        A `HashedCategoricalColumn`.

    Raises:
        ValueError: `hash_bucket_size` missing or < 1, or `dtype` neither string nor integer.

    Example:
        >>> keywords = categorical_column_with_hash_bucket("keywords", 10000)
        >>> input_layer(features, [embedding_column(keywords, 16)])
    """
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    if hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be at least 1. hash_bucket_size: "
                         f"{hash_bucket_size}, key: {key}")
    assert_key_is_string(key)
    dtype = dtypes.as_dtype(dtype)
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    return HashedCategoricalColumn(key, hash_bucket_size, dtype)


def _count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None,
                                            num_oov_buckets=0, default_value=None,
                                            dtype=dtypes.string):
    """A column of ids from a vocabulary file (one key per line; a key's id is its line
    number).

    Args:
        key: the feature's key.
        vocabulary_file: the file's path.
        vocabulary_size: how many of its lines to use (default: all of them).
        num_oov_buckets: out-of-vocabulary values go to ids [vocabulary_size,
            vocabulary_size + num_oov_buckets) by their hash.
        default_value: the id of an out-of-vocabulary value without oov buckets (default -1,
            which the embedding and linear layers ignore).
        dtype: tf.string or an integer dtype (the file then holds integers).

    Returns:
        A `VocabularyFileCategoricalColumn`.

    Raises:
        ValueError: a missing or unreadable file, a vocabulary_size < 1, both
            num_oov_buckets and default_value, or a negative num_oov_buckets.

    Example:
        >>> states = categorical_column_with_vocabulary_file(
        ...     "states", "/us/states.txt", vocabulary_size=50, num_oov_buckets=5)
    """
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    if vocabulary_size is None:
        import os

        if not os.path.exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist.")
        vocabulary_size = _count_lines(vocabulary_file)
    if not isinstance(vocabulary_size, Tensor) and vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    if num_oov_buckets:
        if default_value is not None:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    dtype = dtypes.as_dtype(dtype)
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    assert_key_is_string(key)
    return VocabularyFileCategoricalColumn(
        key=key, vocabulary_file=vocabulary_file, vocabulary_size=vocabulary_size,
        num_oov_buckets=0 if num_oov_buckets is None else num_oov_buckets,
        default_value=-1 if default_value is None else default_value, dtype=dtype)


def categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1,
                                            num_oov_buckets=0):
    """A column of ids from an in-memory vocabulary (a value's id is its position).

    Args:
        key: the feature's key.
        vocabulary_list: the distinct strings or integers of the vocabulary.
        dtype: the feature's dtype (default: the vocabulary's).
        default_value: the id of an out-of-vocabulary value without oov buckets.
        num_oov_buckets: out-of-vocabulary values go to ids [len(vocabulary_list),
            len + num_oov_buckets) by their hash.

    Returns:
        A `VocabularyListCategoricalColumn`.

    Raises:
        ValueError: an empty vocabulary, duplicate keys, both num_oov_buckets and
            default_value, a negative num_oov_buckets, or dtypes that do not match.

    Example:
        >>> colors = categorical_column_with_vocabulary_list(
        ...     "colors", ("R", "G", "B"), num_oov_buckets=2)
    """
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: "
                         f"{key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: "
                         f"{key}")
    np_dtype = np.array(vocabulary_list).dtype
    vocabulary_dtype = dtypes.string if np_dtype.kind in "USO" else dtypes.as_dtype(np_dtype)
    if num_oov_buckets:
        if default_value != -1:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    assert_string_or_int(vocabulary_dtype, prefix=f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocabulary_dtype
    else:
        dtype = dtypes.as_dtype(dtype)
        if dtype.is_integer != vocabulary_dtype.is_integer:
            raise ValueError(f"dtype {dtype} and vocabulary dtype {vocabulary_dtype} do not "
                             f"match, column_name: {key}")
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    assert_key_is_string(key)
    return VocabularyListCategoricalColumn(
        key=key, vocabulary_list=tuple(vocabulary_list), dtype=dtype,
        default_value=default_value, num_oov_buckets=num_oov_buckets)


def categorical_column_with_identity(key, num_buckets, default_value=None):
    """A column whose integer values are their own ids, in [0, num_buckets).

    Args:
        key: the feature's key (integer values; dense -1 cells are dropped).
        num_buckets: the id range's size, >= 1.
        default_value: the id replacing out-of-range values (None: they are kept, and
            fail in the embedding lookup).

    Returns:
        An `IdentityCategoricalColumn`.

    Raises:
        ValueError: num_buckets < 1, or default_value outside [0, num_buckets).

    Example:
        >>> video_id = categorical_column_with_identity("video_id", num_buckets=1000,
        ...                                             default_value=0)
    """
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and (default_value < 0 or default_value >= num_buckets):
        raise ValueError(f"default_value {default_value} not in range [0, {num_buckets}), "
                         f"column_name {key}")
    assert_key_is_string(key)
    return IdentityCategoricalColumn(key=key, number_buckets=num_buckets,
                                     default_value=default_value)


def weighted_categorical_column(categorical_column, weight_feature_key, dtype=dtypes.float32):
    """A categorical column whose ids carry the weights of feature `weight_feature_key`
    (same indices as the ids; dense 0.0 cells are dropped).

    Args:
        categorical_column: the column of ids.
        weight_feature_key: the key of the weights feature.
        dtype: the weights' dtype (integer or floating).

    Returns:
        A `WeightedCategoricalColumn`.

    Raises:
        ValueError: a dtype that is not convertible to float.

    Example:
        >>> terms = categorical_column_with_vocabulary_list("terms", ["a", "b"])
        >>> weighted = weighted_categorical_column(terms, "frequencies")
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if dtype is None or not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype {dtype} is not convertible to float.")
    return WeightedCategoricalColumn(categorical_column=categorical_column,
                                     weight_feature_key=weight_feature_key, dtype=dtype)


def crossed_column(keys, hash_bucket_size, hash_key=None):
    """A column of hashed crosses of its keys' values (op SparseCross, hashed output).

    Args:
        keys: two or more feature keys (strings) or categorical columns (not hashed ones);
            nested crossed columns are flattened.
        hash_bucket_size: the number of buckets, >= 1.
        hash_key: the seed of FingerprintCat64 (default TF's 0xDECAFCAFFE).

    Returns:
        A `CrossedColumn`.

    Raises:
        ValueError: hash_bucket_size < 1, fewer than two keys, or an unsupported key.

    Example:
        >>> cross = crossed_column(["a", bucketized_column(numeric_column("b"), [0.])], 100)
    """
    if not hash_bucket_size or hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, (str, _CategoricalColumn)):
            raise ValueError("Unsupported key type. All keys must be either string, or "
                             f"categorical column except HashedCategoricalColumn. Given: {key}")
        if isinstance(key, HashedCategoricalColumn):
            raise ValueError(
                "categorical_column_with_hash_bucket is not supported for crossing. Hashing "
                "before crossing will increase probability of collision. Instead, use the "
                f"feature name as a string. Given: {key}")
    return CrossedColumn(keys=tuple(keys), hash_bucket_size=hash_bucket_size, hash_key=hash_key)

