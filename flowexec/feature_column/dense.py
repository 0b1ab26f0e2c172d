"""Dense columns: numeric features, bucketized numbers, and categorical columns made dense
by a multi-hot indicator or an embedding, as TF 1.x's `tf.feature_column` builds them.

- `numeric_column`: the feature cast to float32 (after `normalizer_fn`), [batch, *shape].
- `bucketized_column`: Bucketize ids (op Bucketize: how many boundaries are <= the value),
  one-hot as a dense column, or ids `bucket + (len(boundaries) + 1) * i` of element i as a
  categorical column.
- `indicator_column`: per row, the count (or the weight sum) of each id, [batch, buckets].
- `embedding_column` / `shared_embedding_columns`: per row, the ids' embeddings combined by
  'mean', 'sqrtn' or 'sum' (TF's safe_embedding_lookup_sparse: negative ids are dropped and
  an empty row gives zeros). The table is the variable `embedding_weights` [buckets,
  dimension] created in the column's variable scope (inside `input_layer`:
  "input_layer/<name>/embedding_weights"; shared columns use the collection name as scope and
  keep the variable in the graph collection of that name, so every column of the group, in
  any later call of the same graph, reuses it).
"""

import collections
import math

from flowexec.feature_column.base import (
    IdWeightPair,
    TensorSequenceLengthPair,
    _CategoricalColumn,
    _DenseColumn,
    _SequenceDenseColumn,
    assert_key_is_string,
    sequence_length_from_sparse_tensor,
)
from flowexec.framework import dtypes, nest
from flowexec.framework.graph import (
    GraphKeys,
    add_to_collection,
    get_collection,
    name_scope,
)
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.init_ops import TruncatedNormal
from flowexec.ops import (
    array_ops,
    embedding_ops,
    math_ops,
    sparse_ops,
    sparse_structure_ops,
)
from flowexec.ops.bucketize_ops import bucketize
from flowexec.ops.parsing_config import FixedLenFeature

__all__ = ["bucketized_column", "embedding_column", "indicator_column", "numeric_column",
           "shared_embedding_columns"]


# ----- numeric ------------------------------------------------------------------------------
class NumericColumn(
        _DenseColumn,
        collections.namedtuple("NumericColumn",
                               ("key", "shape", "default_value", "dtype", "normalizer_fn"))):
    """See `numeric_column`."""

    @property
    def name(self):
        return self.key

    @property
    def _parse_example_spec(self):
        return {self.key: FixedLenFeature(self.shape, self.dtype, self.default_value)}

    def _transform_feature(self, inputs):
        input_tensor = inputs.get(self.key)
        if isinstance(input_tensor, SparseTensor):
            raise ValueError("The corresponding Tensor of numerical column must be a Tensor. "
                             f"SparseTensor is not supported. key: {self.key}")
        if self.normalizer_fn is not None:
            input_tensor = self.normalizer_fn(input_tensor)
        return math_ops.cast(input_tensor, dtypes.float32)

    @property
    def _variable_shape(self):
        return TensorShape(self.shape)

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        return inputs.get(self)


def _check_shape(shape, key):
    if not nest.is_nested(shape):
        shape = [shape]
    shape = tuple(shape)
    for dim in shape:
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"shape dimensions must be integer. shape: {shape}, key: {key}")
        if dim < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, "
                             f"key: {key}")
    return shape


def _create_tuple(shape, value):
    if shape:
        return tuple(_create_tuple(shape[1:], value) for _ in range(shape[0]))
    return value


def _as_tuple(value):
    if not nest.is_nested(value):
        return value
    return tuple(_as_tuple(v) for v in value)


def _shape_matches(default_value, shape):
    if nest.is_nested(default_value) != bool(shape):
        return False
    if not shape:
        return True
    if len(default_value) != shape[0]:
        return False
    return all(_shape_matches(default_value[i], shape[1:]) for i in range(shape[0]))


def _check_default_value(shape, default_value, dtype, key):
    if default_value is None:
        return None
    if isinstance(default_value, int):
        return _create_tuple(shape, default_value)
    if isinstance(default_value, float) and dtype.is_floating:
        return _create_tuple(shape, default_value)
    if callable(getattr(default_value, "tolist", None)):  # numpy arrays
        default_value = default_value.tolist()
    if nest.is_nested(default_value):
        if not _shape_matches(default_value, shape):
            raise ValueError(f"The shape of default_value must be equal to given shape. "
                             f"default_value: {default_value}, shape: {shape}, key: {key}")
        flat = nest.flatten(default_value)
        if all(isinstance(v, int) for v in flat):
            return _as_tuple(default_value)
        if any(isinstance(v, float) for v in flat) and dtype.is_floating:
            return _as_tuple(default_value)
    raise TypeError(f"default_value must be compatible with dtype. default_value: "
                    f"{default_value}, dtype: {dtype}, key: {key}")


def numeric_column(key, shape=(1,), default_value=None, dtype=dtypes.float32,
                   normalizer_fn=None):
    """A column of a real-valued (or integer) feature, fed to models as float32.

    Args:
        key: the feature's key.
        shape: the shape of one example's value (an int or a tuple of ints > 0).
        default_value: the parsing default (a scalar, or nested of `shape`), used by
            `make_parse_example_spec`; None makes the feature required.
        dtype: the feature's dtype (integer or floating).
        normalizer_fn: applied to the raw Tensor before the cast to float32.

    Returns:
        A `NumericColumn`.

    Raises:
        TypeError: non-integer shape dimensions, a default_value not of `dtype`, or a
            normalizer_fn that is not callable.
        ValueError: dimensions < 1, a non-numeric dtype, a mis-shaped default_value, or a
            key that is not a string.

    Example:
        >>> price = numeric_column("price", normalizer_fn=lambda x: (x - 3.0) / 4.2)
        >>> dense = input_layer({"price": [[1.0], [5.0]]}, [price])  # [[-0.476], [0.476]]
    """
    shape = _check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    default_value = _check_default_value(shape, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    assert_key_is_string(key)
    return NumericColumn(key, shape=shape, default_value=default_value, dtype=dtype,
                         normalizer_fn=normalizer_fn)


# ----- bucketized ---------------------------------------------------------------------------
class BucketizedColumn(
        _DenseColumn, _CategoricalColumn,
        collections.namedtuple("BucketizedColumn", ("source_column", "boundaries"))):
    """See `bucketized_column`."""

    @property
    def name(self):
        return f"{self.source_column.name}_bucketized"

    @property
    def _parse_example_spec(self):
        return self.source_column._parse_example_spec

    def _transform_feature(self, inputs):
        return bucketize(inputs.get(self.source_column), boundaries=list(self.boundaries))

    @property
    def _variable_shape(self):
        return TensorShape(tuple(self.source_column.shape) + (len(self.boundaries) + 1,))

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        return array_ops.one_hot(math_ops.cast(inputs.get(self), dtypes.int64),
                                 depth=len(self.boundaries) + 1, on_value=1.0, off_value=0.0)

    @property
    def _num_buckets(self):
        return (len(self.boundaries) + 1) * self.source_column.shape[0]

    num_buckets = _num_buckets

    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        input_tensor = inputs.get(self)
        batch_size = array_ops.shape(input_tensor)[0]
        source_dimension = self.source_column.shape[0]
        i1 = array_ops.reshape(array_ops.tile(
            array_ops.expand_dims(array_ops.range(0, batch_size), 1), [1, source_dimension]),
            (-1,))
        i2 = array_ops.tile(array_ops.range(0, source_dimension), [batch_size])
        bucket_indices = array_ops.reshape(input_tensor, (-1,)) + \
            (len(self.boundaries) + 1) * i2
        indices = math_ops.cast(array_ops.transpose(array_ops.stack((i1, i2))), dtypes.int64)
        dense_shape = math_ops.cast(array_ops.stack([batch_size, source_dimension]),
                                    dtypes.int64)
        return IdWeightPair(SparseTensor(indices, bucket_indices, dense_shape), None)


def bucketized_column(source_column, boundaries):
    """A column of a numeric column's bucket ids: bucket i holds [boundaries[i-1],
    boundaries[i]), bucket 0 everything below boundaries[0].

    Args:
        source_column: a one-dimensional `numeric_column`.
        boundaries: a sorted list (or tuple) of floats.

    Returns:
        A `BucketizedColumn`: dense (one-hot, [batch, dims, len(boundaries)+1]) in
        `input_layer`, categorical in `linear_model`, `crossed_column`, `embedding_column`.

    Raises:
        ValueError: a source that is not a numeric column or is multi-dimensional, or
            boundaries that are empty, not a list, or not strictly increasing.

    Example:
        >>> age = bucketized_column(numeric_column("age"), [18, 25, 30, 35, 40, 45])
    """
    if not isinstance(source_column, NumericColumn):
        raise ValueError("source_column must be a column generated with numeric_column(). "
                         f"Given: {source_column}")
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: "
                         f"{source_column}")
    if not boundaries:
        raise ValueError("boundaries must not be empty.")
    if not isinstance(boundaries, (list, tuple)):
        raise ValueError("boundaries must be a sorted list.")
    for i in range(len(boundaries) - 1):
        if boundaries[i] >= boundaries[i + 1]:
            raise ValueError("boundaries must be a sorted list.")
    return BucketizedColumn(source_column, tuple(boundaries))


# ----- indicator ----------------------------------------------------------------------------
def _is_sequence_categorical(column):
    from flowexec.feature_column.sequence import SequenceCategoricalColumn

    return isinstance(column, SequenceCategoricalColumn)


def _sequence_error(kind, name, column, must):
    if must:
        return ValueError(
            f"In {kind}: {name}. categorical_column must be of type "
            "_SequenceCategoricalColumn to use sequence_input_layer. Suggested fix: Use one "
            f"of sequence_categorical_column_with_*. Given (type {type(column)}): {column}")
    return ValueError(
        f"In {kind}: {name}. categorical_column must not be of type "
        "_SequenceCategoricalColumn. Suggested fix A: If you wish to use input_layer, use a "
        "non-sequence categorical_column_with_*. Suggested fix B: If you wish to create "
        "sequence input, use sequence_input_layer instead of input_layer. Given (type "
        f"{type(column)}): {column}")


class IndicatorColumn(
        _DenseColumn, _SequenceDenseColumn,
        collections.namedtuple("IndicatorColumn", ("categorical_column",))):
    """See `indicator_column`."""

    @property
    def name(self):
        return f"{self.categorical_column.name}_indicator"

    def _transform_feature(self, inputs):
        id_weight_pair = self.categorical_column._get_sparse_tensors(inputs)
        size = self._variable_shape[-1]
        id_tensor, weight_tensor = id_weight_pair.id_tensor, id_weight_pair.weight_tensor
        if weight_tensor is not None:
            weighted = sparse_ops.sparse_merge(sp_ids=id_tensor, sp_values=weight_tensor,
                                               vocab_size=int(size))
            weighted = sparse_structure_ops.sparse_slice(weighted, [0, 0],
                                                         weighted.dense_shape)
            return array_ops.scatter_nd(weighted.indices, weighted.values,
                                        weighted.dense_shape)
        dense_ids = sparse_ops.sparse_tensor_to_dense(id_tensor, default_value=-1)
        one_hot = array_ops.one_hot(dense_ids, depth=size, on_value=1.0, off_value=0.0)
        return math_ops.reduce_sum(one_hot, axis=[-2])

    @property
    def _parse_example_spec(self):
        return self.categorical_column._parse_example_spec

    @property
    def _variable_shape(self):
        return TensorShape([1, self.categorical_column._num_buckets])

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        if _is_sequence_categorical(self.categorical_column):
            raise _sequence_error("indicator_column", self.name, self.categorical_column,
                                  must=False)
        return inputs.get(self)

    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        del weight_collections, trainable
        if not _is_sequence_categorical(self.categorical_column):
            raise _sequence_error("indicator_column", self.name, self.categorical_column,
                                  must=True)
        dense_tensor = inputs.get(self)
        sparse_tensors = self.categorical_column._get_sparse_tensors(inputs)
        return TensorSequenceLengthPair(
            dense_tensor, sequence_length_from_sparse_tensor(sparse_tensors.id_tensor))


def indicator_column(categorical_column):
    """A dense multi-hot column of a categorical column: per row, how often each id occurs
    (or the sum of its weights, for a weighted column).

    Args:
        categorical_column: a column made by a `categorical_column_with_*`,
            `crossed_column`, `bucketized_column` or `weighted_categorical_column`.

    Returns:
        An `IndicatorColumn` [batch, num_buckets].

    Raises:
        ValueError: the argument is not a categorical column.

    Example:
        >>> name = indicator_column(categorical_column_with_vocabulary_list(
        ...     "name", ["bob", "george", "wanda"]))
        >>> # ["bob"] -> [1, 0, 0]; ["bob", "bob"] -> [2, 0, 0]; ["wanda", ""] -> [0, 0, 1]
    """
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError("Unsupported input type. Input must be a CategoricalColumn. "
                         f"Given: {categorical_column}")
    return IndicatorColumn(categorical_column)


# ----- embeddings ---------------------------------------------------------------------------
def _restore_from_checkpoint(column, embedding_weights):
    if column.ckpt_to_load_from is None:
        return
    from flowexec.graph_io.checkpoint_reader import init_from_checkpoint

    to_restore = embedding_weights
    if hasattr(to_restore, "_get_variable_list"):
        to_restore = to_restore._get_variable_list()
    init_from_checkpoint(column.ckpt_to_load_from, {column.tensor_name_in_ckpt: to_restore})


def _embedding_lookup(column, sparse_tensors, embedding_weights):
    return embedding_ops.safe_embedding_lookup_sparse(
        embedding_weights, sparse_tensors.id_tensor, sparse_tensors.weight_tensor,
        combiner=column.combiner, name=f"{column.name}_weights", max_norm=column.max_norm)


def _embedding_variable(column, weight_collections, trainable):
    from flowexec.variable_scope import get_variable

    if weight_collections and GraphKeys.GLOBAL_VARIABLES not in weight_collections:
        weight_collections.append(GraphKeys.GLOBAL_VARIABLES)
    return get_variable(
        name="embedding_weights",
        shape=(column.categorical_column._num_buckets, column.dimension),
        dtype=dtypes.float32, initializer=column.initializer,
        trainable=bool(column.trainable and (trainable is None or trainable)),
        collections=weight_collections)


class _EmbeddingDenseColumn(_DenseColumn, _SequenceDenseColumn):
    """What EmbeddingColumn and _SharedEmbeddingColumn share: a categorical column looked up
    in `[num_buckets, dimension]` weights; subclasses give `_dense(inputs,
    weight_collections, trainable) -> (embeddings, sparse_tensors)`."""

    __slots__ = ()

    @property
    def _parse_example_spec(self):
        return self.categorical_column._parse_example_spec

    def _transform_feature(self, inputs):
        return inputs.get(self.categorical_column)

    @property
    def _variable_shape(self):
        return TensorShape([self.dimension])

    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        if _is_sequence_categorical(self.categorical_column):
            raise _sequence_error("embedding_column", self.name, self.categorical_column,
                                  must=False)
        return self._dense(inputs, weight_collections, trainable)[0]

    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        if not _is_sequence_categorical(self.categorical_column):
            raise _sequence_error("embedding_column", self.name, self.categorical_column,
                                  must=True)
        dense, sparse_tensors = self._dense(inputs, weight_collections, trainable)
        return TensorSequenceLengthPair(
            dense, sequence_length_from_sparse_tensor(sparse_tensors.id_tensor))


class EmbeddingColumn(
        _EmbeddingDenseColumn,
        collections.namedtuple("EmbeddingColumn", (
            "categorical_column", "dimension", "combiner", "initializer", "ckpt_to_load_from",
            "tensor_name_in_ckpt", "max_norm", "trainable", "use_safe_embedding_lookup"))):
    """See `embedding_column`."""

    def __new__(cls, categorical_column, dimension, combiner, initializer, ckpt_to_load_from,
                tensor_name_in_ckpt, max_norm, trainable, use_safe_embedding_lookup=True):
        return super().__new__(cls, categorical_column, dimension, combiner, initializer,
                               ckpt_to_load_from, tensor_name_in_ckpt, max_norm, trainable,
                               use_safe_embedding_lookup)

    @property
    def name(self):
        return f"{self.categorical_column.name}_embedding"

    def _dense(self, inputs, weight_collections, trainable):
        sparse_tensors = self.categorical_column._get_sparse_tensors(
            inputs, weight_collections=weight_collections, trainable=trainable)
        weights = _embedding_variable(self, weight_collections, trainable)
        _restore_from_checkpoint(self, weights)
        return _embedding_lookup(self, sparse_tensors, weights), sparse_tensors


def _check_embedding_args(dimension, ckpt_to_load_from, tensor_name_in_ckpt, initializer,
                          what):
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or "
                         "none of them.")
    if initializer is not None and not callable(initializer):
        raise ValueError(f"initializer must be callable if specified.{what}")
    if initializer is None:
        initializer = TruncatedNormal(mean=0.0, stddev=1 / math.sqrt(dimension))
    return initializer


def embedding_column(categorical_column, dimension, combiner="mean", initializer=None,
                     ckpt_to_load_from=None, tensor_name_in_ckpt=None, max_norm=None,
                     trainable=True, use_safe_embedding_lookup=True):
    """A dense column of a categorical column's embeddings, combined per row.

    Args:
        categorical_column: the ids' column (`categorical_column_with_*`, crossed,
            bucketized or weighted).
        dimension: the embedding's size, >= 1.
        combiner: 'mean' (the default), 'sqrtn' or 'sum' of each row's (weighted)
            embeddings.
        initializer: the table's initializer (default truncated normal, stddev
            1/sqrt(dimension)).
        ckpt_to_load_from, tensor_name_in_ckpt: initialize the table from this checkpoint
            tensor (both or neither).
        max_norm: clip each embedding to this L2 norm before combining.
        trainable: whether the table is trainable.
        use_safe_embedding_lookup: accepted for TF compatibility (the lookup is always the
            safe one, as in TF 1.15).

    Returns:
        An `EmbeddingColumn` [batch, dimension]; its variable is "embedding_weights" in the
        column's scope ("input_layer/<categorical name>_embedding/embedding_weights").

    Raises:
        ValueError: dimension < 1, only one of the checkpoint arguments, or an initializer
            that is not callable.

    Example:
        >>> video_id = categorical_column_with_identity("video_id", num_buckets=1000000)
        >>> input_layer(features, [embedding_column(video_id, 9)])
    """
    initializer = _check_embedding_args(
        dimension, ckpt_to_load_from, tensor_name_in_ckpt, initializer,
        f" Embedding of column_name: {getattr(categorical_column, 'name', categorical_column)}")
    return EmbeddingColumn(categorical_column, dimension, combiner, initializer,
                           ckpt_to_load_from, tensor_name_in_ckpt, max_norm, trainable,
                           use_safe_embedding_lookup)


class _SharedEmbeddingColumn(
        _EmbeddingDenseColumn,
        collections.namedtuple("_SharedEmbeddingColumn", (
            "categorical_column", "dimension", "combiner", "initializer",
            "shared_embedding_collection_name", "ckpt_to_load_from", "tensor_name_in_ckpt",
            "max_norm", "trainable", "use_safe_embedding_lookup"))):
    """See `shared_embedding_columns`."""

    @property
    def name(self):
        return f"{self.categorical_column.name}_shared_embedding"

    @property
    def _var_scope_name(self):
        return self.shared_embedding_collection_name

    def _shared_weights(self, weight_collections, trainable):
        from flowexec.variable_scope import get_variable

        shape = (self.categorical_column._num_buckets, self.dimension)
        collection = get_collection(self.shared_embedding_collection_name)
        if collection:
            if len(collection) > 1:
                raise ValueError(
                    f"Collection {collection} can only contain one variable. Suggested fix "
                    "A: Choose a unique name for this collection. Suggested fix B: Do not add "
                    "any variables to this collection. The feature_column library already "
                    "adds a variable under the hood.")
            weights = collection[0]
            if tuple(weights.get_shape().as_list()) != shape:
                raise ValueError(
                    f"Shared embedding collection {self.shared_embedding_collection_name} "
                    f"contains variable {weights.name} of unexpected shape "
                    f"{weights.get_shape()}. Expected shape is {shape}. Suggested fix A: "
                    "Choose a unique name for this collection. Suggested fix B: Do not add "
                    "any variables to this collection. The feature_column library already "
                    "adds a variable under the hood.")
            return weights
        weights = get_variable(
            name="embedding_weights", shape=shape, dtype=dtypes.float32,
            initializer=self.initializer,
            trainable=bool(self.trainable and (trainable is None or trainable)),
            collections=weight_collections)
        add_to_collection(self.shared_embedding_collection_name, weights)
        return weights

    def _dense(self, inputs, weight_collections, trainable):
        with name_scope(None, default_name=self.name):
            sparse_tensors = self.categorical_column._get_sparse_tensors(
                inputs, weight_collections=weight_collections, trainable=trainable)
            weights = self._shared_weights(weight_collections, trainable)
            _restore_from_checkpoint(self, weights)
            return _embedding_lookup(self, sparse_tensors, weights), sparse_tensors


def _base_categorical(column):
    from flowexec.feature_column.categorical import WeightedCategoricalColumn
    from flowexec.feature_column.sequence import SequenceCategoricalColumn

    while isinstance(column, (WeightedCategoricalColumn, SequenceCategoricalColumn)):
        column = column.categorical_column
    return column


def shared_embedding_columns(categorical_columns, dimension, combiner="mean", initializer=None,
                             shared_embedding_collection_name=None, ckpt_to_load_from=None,
                             tensor_name_in_ckpt=None, max_norm=None, trainable=True,
                             use_safe_embedding_lookup=True):
    """Embedding columns of several categorical columns that share one table.

    Args:
        categorical_columns: categorical columns of one type and one bucket count (weighted
            or sequence wrappers of that type are allowed).
        dimension, combiner, initializer, ckpt_to_load_from, tensor_name_in_ckpt, max_norm,
            trainable, use_safe_embedding_lookup: as in `embedding_column`.
        shared_embedding_collection_name: the table's variable scope and graph collection
            (default the sorted column names joined by "_" + "_shared_embedding").

    Returns:
        A list of columns, one per categorical column, in the given order; each is named
        "<categorical name>_shared_embedding".

    Raises:
        ValueError: the embedding_column errors, columns that are not categorical, of
            different types, or of different bucket counts.

    Example:
        >>> watched = categorical_column_with_identity("watched", 100)
        >>> impression = categorical_column_with_identity("impression", 100)
        >>> columns = shared_embedding_columns([watched, impression], dimension=10)
        >>> # one table: "input_layer/impression_watched_shared_embedding/embedding_weights"
    """
    initializer = _check_embedding_args(dimension, ckpt_to_load_from, tensor_name_in_ckpt,
                                        initializer, "")
    sorted_columns = sorted(categorical_columns, key=lambda x: x.name)
    c0 = sorted_columns[0]
    if not isinstance(c0, _CategoricalColumn):
        raise ValueError("All categorical_columns must be subclasses of _CategoricalColumn. "
                         f"Given: {c0}, of type: {type(c0)}")
    num_buckets = c0._num_buckets
    c0 = _base_categorical(c0)
    for c in sorted_columns[1:]:
        c = _base_categorical(c)
        if not isinstance(c, type(c0)):
            raise ValueError(
                "To use shared_embedding_column, all categorical_columns must have the same "
                "type, or be weighted_categorical_column or sequence column of the same type. "
                f"Given column: {c0} of type: {type(c0)} does not match given column: {c} of "
                f"type: {type(c)}")
        if num_buckets != c._num_buckets:
            raise ValueError(
                "To use shared_embedding_column, all categorical_columns must have the same "
                f"number of buckets. ven column: {c0} with buckets: {num_buckets} does  not "
                f"match column: {c} with buckets: {c._num_buckets}")
    if not shared_embedding_collection_name:
        shared_embedding_collection_name = "_".join(c.name for c in sorted_columns)
        shared_embedding_collection_name += "_shared_embedding"
    return [_SharedEmbeddingColumn(
        categorical_column=column, dimension=dimension, combiner=combiner,
        initializer=initializer,
        shared_embedding_collection_name=shared_embedding_collection_name,
        ckpt_to_load_from=ckpt_to_load_from, tensor_name_in_ckpt=tensor_name_in_ckpt,
        max_norm=max_norm, trainable=trainable,
        use_safe_embedding_lookup=use_safe_embedding_lookup)
        for column in categorical_columns]

