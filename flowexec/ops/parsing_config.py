"""parsing_config: the feature configurations of TF's Example parsing (`tf.FixedLenFeature`,
`tf.FixedLenSequenceFeature`, `tf.VarLenFeature`, `tf.SparseFeature`) and their translation
into the parsing ops' keys, types, shapes and default tensors (TF's `_ParseOpParams`).

Keys are taken in sorted order (as TF), so the ops' inputs and outputs do not depend on the
order of a features dict. The ValueErrors at graph-build time are TF's.
"""

import collections
import re

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape, as_shape
from flowexec.ops import array_ops, constant_op
from flowexec.platform import tf_logging

__all__ = ["FixedLenFeature", "FixedLenSequenceFeature", "SparseFeature", "VarLenFeature"]


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """Configuration for parsing a variable-length feature into a `SparseTensor`.

    Fields:
        dtype: the feature's type: tf.float32, tf.int64 or tf.string.
    """


class SparseFeature(collections.namedtuple(
        "SparseFeature", ["index_key", "value_key", "dtype", "size", "already_sorted"])):
    """Configuration for parsing a `SparseTensor` out of index and value features.

    `SparseFeature(index_key=["ix0", "ix1"], value_key="val", dtype=tf.float32,
    size=[100, 3])` makes, of an Example with ix0 = [3, 20], ix1 = [1, 0], val = [0.5, -1.0],
    the SparseTensor with values [0.5, -1.0] at [3, 1] and [20, 0] of a [100, 3] shape (one
    more leading batch dimension for `parse_example`).

    Fields:
        index_key: the name of the int64 index feature, or a list of names (one per
            dimension).
        value_key: the name of the value feature, of type `dtype`, as long as each index
            feature.
        dtype: the values' type.
        size: the dense shape: an int, or a list as long as `index_key`.
        already_sorted: whether the values are already in index order (no reordering).
    """

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


class FixedLenFeature(collections.namedtuple(
        "FixedLenFeature", ["shape", "dtype", "default_value"])):
    """Configuration for parsing a fixed-length feature into a Tensor of `shape`.

    Fields:
        shape: the (fully defined) shape of the feature's values.
        dtype: tf.float32, tf.int64 or tf.string.
        default_value: the value of an Example missing the feature (of `dtype`, reshaped to
            `shape`); None makes the feature required.
    """

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """Configuration for parsing a variable number of `shape`-blocks into a Tensor of shape
    `[None] + shape` (in `parse_example`, padded with `default_value` to the batch's longest).

    Fields:
        shape: the shape of one block (dimensions 2 and up).
        dtype: tf.float32, tf.int64 or tf.string.
        allow_missing: whether the feature may be missing (required by `parse_example`; in a
            SequenceExample's feature lists, a missing list is then empty).
        default_value: the scalar that pads shorter Examples in `parse_example` (0 or "").
    """

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


def prepend_none_dimension(features):
    """`features` with each FixedLenSequenceFeature's shape led by None (as `parse_example`
    parses them); they must allow missing."""
    if not features:
        return features
    out = dict(features)
    for key, feature in features.items():
        if isinstance(feature, FixedLenSequenceFeature):
            if not feature.allow_missing:
                raise ValueError("Unsupported: FixedLenSequenceFeature requires "
                                 "allow_missing to be True.")
            out[key] = FixedLenSequenceFeature([None] + list(feature.shape), feature.dtype,
                                               feature.allow_missing, feature.default_value)
    return out


class ParseOpParams:
    """The raw parameters of a parsing op: sparse keys/types, dense keys/types/shapes and
    defaults (TF's `_ParseOpParams`)."""

    def __init__(self):
        self.sparse_keys, self.sparse_types = [], []
        self.dense_keys, self.dense_types, self.dense_shapes = [], [], []
        self.dense_defaults = collections.OrderedDict()

    @classmethod
    def from_features(cls, features, types):
        """The parameters of `features` ({key: feature config}), each of one of `types`.

        Raises:
            ValueError: an unsupported or invalid feature; sparse and dense keys intersect.
        """
        params = cls()
        if features:
            for key in sorted(features.keys()):
                feature = features[key]
                if not isinstance(feature, tuple(types)):
                    raise ValueError(f"Unsupported {type(feature).__name__} {feature} for key "
                                     f"'{key}'")
                params._add_feature(key, feature)
        params._validate()
        return params

    @property
    def num_features(self):
        return len(self.dense_keys) + len(self.sparse_keys)

    def _add_feature(self, key, feature):
        if isinstance(feature, VarLenFeature):
            if not feature.dtype:
                raise ValueError(f"Missing type for feature {key}. Received feature={feature}")
            self._add_sparse_key(key, feature.dtype)
        elif isinstance(feature, SparseFeature):
            self._add_sparse_feature(key, feature)
        elif isinstance(feature, FixedLenFeature):
            self._add_fixed_len_feature(key, feature)
        else:
            self._add_fixed_len_sequence_feature(key, feature)

    def _add_sparse_key(self, key, dtype):
        dtype = dtypes.as_dtype(dtype)
        if key in self.sparse_keys:
            original = self.sparse_types[self.sparse_keys.index(key)]
            if original != dtype:
                raise ValueError(f"Conflicting type {original!r} vs {dtype!r} for feature "
                                 f"{key}.")
        else:
            self.sparse_keys.append(key)
            self.sparse_types.append(dtype)

    def _add_sparse_feature(self, key, feature):
        if not feature.index_key:
            raise ValueError(f"Missing index_key for SparseFeature {feature}.")
        if not feature.value_key:
            raise ValueError(f"Missing value_key for SparseFeature {feature}.")
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}. Received feature={feature}.")
        index_keys = feature.index_key
        if isinstance(index_keys, str):
            index_keys = [index_keys]
        elif len(index_keys) > 1:
            tf_logging.warning("SparseFeature is a complicated feature config and should only "
                               "be used after careful consideration of VarLenFeature.")
        for index_key in sorted(index_keys):
            self._add_sparse_key(index_key, dtypes.int64)
        self._add_sparse_key(feature.value_key, feature.dtype)

    def _check_dtype_shape(self, key, feature):
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}. Received feature={feature}.")
        if feature.shape is None:
            raise ValueError(f"Missing shape for feature {key}. Received feature={feature}.")

    def _add_fixed_len_feature(self, key, feature):
        self._check_dtype_shape(key, feature)
        shape = as_shape(feature.shape)
        if feature.shape and shape.ndims and shape.as_list()[0] is None:
            raise ValueError(f"First dimension of shape for feature {key} unknown. Consider "
                             f"using FixedLenSequenceFeature. Received feature={feature}.")
        if not shape.is_fully_defined():
            raise ValueError(f"All dimensions of shape for feature {key} need to be known but "
                             f"received {feature.shape!s}.")
        self.dense_keys.append(key)
        self.dense_shapes.append(shape)
        self.dense_types.append(dtypes.as_dtype(feature.dtype))
        if feature.default_value is not None:
            self.dense_defaults[key] = feature.default_value

    def _add_fixed_len_sequence_feature(self, key, feature):
        self._check_dtype_shape(key, feature)
        self.dense_keys.append(key)
        self.dense_shapes.append(as_shape(feature.shape))
        self.dense_types.append(dtypes.as_dtype(feature.dtype))
        if feature.allow_missing:
            self.dense_defaults[key] = None
        if feature.default_value is not None:
            self.dense_defaults[key] = feature.default_value

    def _validate(self):
        dense, sparse = set(self.dense_keys), set(self.sparse_keys)
        if not dense.isdisjoint(sparse):
            raise ValueError(f"Dense and sparse keys must not intersect; dense_keys: "
                             f"{self.dense_keys}, sparse_keys: {self.sparse_keys}, "
                             f"intersection: {dense & sparse}")

    def dense_defaults_vec(self):
        """One default Tensor per dense key: its `default_value` reshaped to the shape (empty
        for a required feature); the scalar padding value for a variable-length one."""
        return [self._make_dense_default(k, s, t)
                for k, s, t in zip(self.dense_keys, self.dense_shapes, self.dense_types)]

    def _make_dense_default(self, key, shape, dtype):
        default = self.dense_defaults.get(key)
        if shape.ndims is not None and shape.ndims > 0 and shape.as_list()[0] is None:
            if default is None:
                return convert_to_tensor("" if dtype is dtypes.string else 0, dtype=dtype)
            name = "padding_" + re.sub(r"[^A-Za-z0-9_.\-/]", "_", key)
            return array_ops.reshape(convert_to_tensor(default, dtype=dtype, name=name), [])
        if default is None:
            return constant_op.constant([], dtype=dtype)
        if isinstance(default, Tensor):
            return default
        name = "key_" + re.sub(r"[^A-Za-z0-9_.\-/]", "_", key)
        return array_ops.reshape(convert_to_tensor(default, dtype=dtype, name=name),
                                 shape.as_list())


def dense_shape_debug_string(shape):
    """TF's TensorShape::DebugString: "[2,3]", "[?,2]", "[]"."""
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_list()) + "]"


def as_tensor_shape(shape):
    return shape if isinstance(shape, TensorShape) else as_shape(shape)
