"""The column interfaces of TF 1.x's feature columns, the per-call feature cache, and the
conversions every column shares.

A feature column is an immutable namedtuple (hashable, so it keys the caches) implementing
some of:

- `_FeatureColumn`: `name`, `_var_scope_name`, `_parse_example_spec`, `_transform_feature`;
- `_DenseColumn`: `_variable_shape`, `_get_dense_tensor(inputs, weight_collections,
  trainable)`;
- `_CategoricalColumn`: `_num_buckets`, `_get_sparse_tensors(...)` -> `IdWeightPair` of
  SparseTensors (ids int64, weights float or None);
- `_SequenceDenseColumn`: `_get_sequence_dense_tensor(...)`.

`_LazyBuilder(features)` is what one `input_layer` / `linear_model` call passes to its
columns: raw features are converted once (rank 1 expanded to rank 2), and each column's
transformation is computed once and cached, so columns that share a parent (a bucketized
column crossed and embedded) build its ops once. A builder is not thread-safe; it lives for
one graph-construction call.
"""

import abc
import collections
import collections.abc

from flowexec.framework import dtypes
from flowexec.framework.graph import name_scope
from flowexec.framework.sparse_tensor import (
    SparseTensor,
    convert_to_tensor_or_sparse_tensor,
)
from flowexec.framework.tensor_shape import Dimension, dimension_value
from flowexec.ops import array_ops, check_ops, cond, math_ops, sparse_structure_ops
from flowexec.ops.constant_op import constant

__all__ = []


class _FeatureColumn(abc.ABC):
    """A feature column: how one model input is made of raw features (see the module
    docstring). Columns compare by their text form, as TF's do."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def name(self):
        """The column's name (unique in one `input_layer` / `linear_model` call)."""

    def __lt__(self, other):
        return str(self) < str(other)

    def __gt__(self, other):
        return str(self) > str(other)

    @property
    def _var_scope_name(self):
        return self.name

    @abc.abstractmethod
    def _transform_feature(self, inputs):
        """Abstract: every concrete subclass defines `_transform_feature`."""

    @property
    @abc.abstractmethod
    def _parse_example_spec(self):
        """Abstract: every concrete subclass defines `_parse_example_spec`."""

    def _reset_config(self):
        pass


class _DenseColumn(_FeatureColumn):
    """A column giving a dense float Tensor [batch, *variable_shape]."""

    __slots__ = ()

    @property
    @abc.abstractmethod
    def _variable_shape(self):
        """Abstract: every concrete subclass defines `_variable_shape`."""

    @abc.abstractmethod
    def _get_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        """Abstract: every concrete subclass defines `_get_dense_tensor`."""


IdWeightPair = collections.namedtuple("IdWeightPair", ["id_tensor", "weight_tensor"])


class _CategoricalColumn(_FeatureColumn):
    """A column giving int64 ids (and optional weights) as SparseTensors."""

    __slots__ = ()
    IdWeightPair = IdWeightPair

    @property
    @abc.abstractmethod
    def _num_buckets(self):
        """Abstract: every concrete subclass defines `_num_buckets`."""

    @abc.abstractmethod
    def _get_sparse_tensors(self, inputs, weight_collections=None, trainable=None):
        """Abstract: every concrete subclass defines `_get_sparse_tensors`."""


TensorSequenceLengthPair = collections.namedtuple("TensorSequenceLengthPair",
                                                  ["dense_tensor", "sequence_length"])


class _SequenceDenseColumn(_FeatureColumn):
    """A column giving a dense sequence Tensor [batch, time, ...] and its lengths."""

    __slots__ = ()
    TensorSequenceLengthPair = TensorSequenceLengthPair

    @abc.abstractmethod
    def _get_sequence_dense_tensor(self, inputs, weight_collections=None, trainable=None):
        """Abstract: every concrete subclass defines `_get_sequence_dense_tensor`."""


class _LazyBuilder:
    """The features of one call, converted once, and the columns' cached transformations.

    Args:
        features: a mapping from a feature key (str) or a column (whose transformed value
            it then is) to a Tensor, SparseTensor or a value convertible to one.

    Example:
        >>> builder = _LazyBuilder({"price": [[1.0], [2.0]]})
        >>> builder.get(numeric_column("price"))  # a float32 [2, 1] Tensor
    """

    def __init__(self, features):
        self._features = features.copy()
        self._feature_tensors = {}

    def get(self, key):
        """The Tensor (or SparseTensor) of a raw feature key or of a column's transformation.

        Raises:
            ValueError: a key missing from the features, a raw feature of rank 0, or a column
                that transforms to None.
            TypeError: a key neither a str nor a column.
        """
        if key in self._feature_tensors:
            return self._feature_tensors[key]
        if key in self._features:
            tensor = self._get_raw_feature_as_tensor(key)
            self._feature_tensors[key] = tensor
            return tensor
        if isinstance(key, str):
            raise ValueError(f"Feature {key} is not in features dictionary.")
        if not isinstance(key, _FeatureColumn):
            raise TypeError(f'"key" must be either a "str" or "_FeatureColumn". '
                            f"Provided: {key}")
        transformed = key._transform_feature(self)
        if transformed is None:
            raise ValueError(f"Column {key.name} is not supported.")
        self._feature_tensors[key] = transformed
        return transformed

    def _get_raw_feature_as_tensor(self, key):
        raw = self._features[key]
        tensor = convert_to_tensor_or_sparse_tensor(raw)

        def expand_dims(t):
            if isinstance(t, SparseTensor):
                return sparse_structure_ops.sparse_reshape(t, [shape_of(t)[0], 1])
            return array_ops.expand_dims(t, -1)

        rank = tensor.get_shape().ndims
        if rank is not None:
            if rank == 0:
                raise ValueError(f"Feature (key: {key}) cannot have rank 0. Given: {tensor}")
            return tensor if rank != 1 else expand_dims(tensor)
        from flowexec.framework.graph import control_dependencies

        with control_dependencies([check_ops.assert_positive(
                array_ops.rank(tensor),
                message=f"Feature (key: {key}) cannot have rank 0. Given: {tensor}")]):
            return cond.cond(math_ops.equal(1, array_ops.rank(tensor)),
                             lambda: expand_dims(tensor), lambda: tensor)


def shape_of(tensor, out_type=dtypes.int32):
    """`tf.shape` of a Tensor or SparseTensor (its dense shape, cast as TF casts it)."""
    if isinstance(tensor, SparseTensor):
        return math_ops.cast(tensor.dense_shape, out_type)
    return array_ops.shape(tensor, out_type=out_type)


def to_sparse_input_and_drop_ignore_values(input_tensor, ignore_value=None):
    """A SparseTensor of a dense `input_tensor` without its `ignore_value` cells ('' for
    strings, -1 for integers, 0 for floats by default); a SparseTensor is returned as is.

    Example:
        >>> to_sparse_input_and_drop_ignore_values(tf.constant([["a", ""], ["b", "c"]]))
        >>> # values ["a", "b", "c"] at [0, 0], [1, 0], [1, 1]; dense_shape [2, 2]
    """
    input_tensor = convert_to_tensor_or_sparse_tensor(input_tensor)
    if isinstance(input_tensor, SparseTensor):
        return input_tensor
    with name_scope(None, "to_sparse_input", [input_tensor]):
        if ignore_value is None:
            if input_tensor.dtype == dtypes.string:
                ignore_value = ""
            elif input_tensor.dtype.is_integer:
                ignore_value = -1  # -1 means a missing feature
            else:
                ignore_value = input_tensor.dtype.as_numpy_dtype()
        if input_tensor.dtype == dtypes.string:
            ignore = constant(ignore_value, dtypes.string, name="ignore_value")
        else:
            ignore = math_ops.cast(ignore_value, input_tensor.dtype, name="ignore_value")
        indices = math_ops.where(math_ops.not_equal(input_tensor, ignore), name="indices")
        return SparseTensor(
            indices=indices,
            values=array_ops.gather_nd(input_tensor, indices, name="values"),
            dense_shape=array_ops.shape(input_tensor, out_type=dtypes.int64,
                                        name="dense_shape"))


def normalize_feature_columns(feature_columns):
    """`feature_columns` as a list, checked: columns only, not empty, unique names.

    Raises:
        ValueError: a dict, a non-column item, an empty list, or two columns of one name.
    """
    if isinstance(feature_columns, _FeatureColumn):
        feature_columns = [feature_columns]
    if isinstance(feature_columns, collections.abc.Iterator):
        feature_columns = list(feature_columns)
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    for column in feature_columns:
        if not isinstance(column, _FeatureColumn):
            raise ValueError(f"Items of feature_columns must be a _FeatureColumn. "
                             f"Given (type {type(column)}): {column}.")
    if not feature_columns:
        raise ValueError("feature_columns must not be empty.")
    by_name = {}
    for column in feature_columns:
        if column.name in by_name:
            raise ValueError(
                f"Duplicate feature column name found for columns: {column} and "
                f"{by_name[column.name]}. This usually means that these columns refer to "
                "same base feature. Either one must be discarded or a duplicated but renamed "
                "item must be inserted in features dict.")
        by_name[column.name] = column
    return list(feature_columns)


def verify_static_batch_size_equality(tensors, columns):
    """Raises ValueError when two of `tensors` have different known batch sizes."""
    expected, first = None, None
    for i, t in enumerate(tensors):
        batch = Dimension(dimension_value(t.shape[0]) if t.shape.ndims else None)
        if batch.value is not None:
            if expected is None:
                first, expected = i, batch
            elif not expected.is_compatible_with(batch):
                raise ValueError(
                    "Batch size (first dimension) of each feature must be same. "
                    f"Batch size of columns ({columns[first].name}, {columns[i].name}): "
                    f"({expected}, {batch})")


def assert_string_or_int(dtype, prefix):
    if dtype != dtypes.string and not dtype.is_integer:
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {dtype}.")


def assert_key_is_string(key):
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}.")


def sequence_length_from_sparse_tensor(sp_tensor, num_elements=1):
    """Per batch row of a [batch, time, ...] SparseTensor, its sequence length (int64):
    the last used time index + 1, divided by `num_elements` rounded up."""
    from flowexec.ops import segment_ops

    with name_scope(None, "sequence_length") as scope:
        row_ids = sp_tensor.indices[:, 0]
        column_ids = sp_tensor.indices[:, 1] + 1
        seq_length = segment_ops.segment_max(column_ids, segment_ids=row_ids)
        seq_length = math_ops.cast(
            math_ops.ceil(math_ops.truediv(seq_length, num_elements)), dtypes.int64)
        n_pad = math_ops.cast(sp_tensor.dense_shape[:1], dtypes.int32) - \
            array_ops.shape(seq_length)[:1]
        padding = array_ops.zeros(n_pad, dtype=seq_length.dtype)
        return array_ops.concat([seq_length, padding], axis=0, name=scope)
