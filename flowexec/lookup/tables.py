"""The table classes of `tf.lookup` (TF 1.x's compat.v1 flavour): a table is a resource
op of the graph; lookups, inserts and sizes are ops taking its handle (see
flowexec/ops/lookup_ops.py for what they do when run).

A static table (`StaticHashTable`, `StaticVocabularyTable`) builds its initializer op when
it is created and adds it to the TABLE_INITIALIZERS collection, so `tf.tables_initializer()`
(or a Scaffold's local init op) fills it; until then every use fails with
FailedPreconditionError "Table not initialized.".
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys, get_default_graph, name_scope
from flowexec.framework.registry import apply_op
from flowexec.framework.sparse_tensor import SparseTensor
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import lookup_ops

__all__ = ["DenseHashTable", "KeyValueTensorInitializer", "MutableHashTable",
           "StaticHashTable", "StaticVocabularyTable", "TextFileIndex", "TextFileInitializer"]


class TextFileIndex:
    """Special column indices of `TextFileInitializer`: the whole line, or its number."""

    WHOLE_LINE = lookup_ops.WHOLE_LINE
    LINE_NUMBER = lookup_ops.LINE_NUMBER


def _sparse_parts(keys):
    """(values, rebuild) for a SparseTensor of keys; (keys, None) for a Tensor."""
    if isinstance(keys, SparseTensor):
        return keys.values, lambda values: SparseTensor(keys.indices, values, keys.dense_shape)
    return keys, None


def _check_keys(table, keys):
    if keys.dtype.base_dtype != table.key_dtype:
        raise TypeError(f"Dtype of argument `keys` must be {table.key_dtype}, "
                        f"received: {keys.dtype}")


class _Typed:
    """A key dtype and a value dtype (tables and their initializers)."""

    def __init__(self, key_dtype, value_dtype):
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)

    @property
    def key_dtype(self):
        return self._key_dtype

    @property
    def value_dtype(self):
        return self._value_dtype


class LookupInterface(_Typed):
    """What every table offers: `key_dtype`, `value_dtype`, `name`, `lookup`, `size`."""

    @property
    def name(self):
        return self._name

    @property
    def resource_handle(self):
        """The table's resource handle (a `resource` scalar tensor)."""
        return self._handle

    def size(self, name=None):
        """An int64 scalar: the number of entries."""
        with name_scope(name, f"{self.name}_Size"):
            return apply_op("LookupTableSizeV2", self._handle)

    def _find(self, keys, default):
        return apply_op("LookupTableFindV2", self._handle, keys, default,
                        Tin=self._key_dtype, Tout=self._value_dtype,
                        _value_shape=self._value_shape, _key_rank=self._key_rank)

    def _export(self, shapes=None):
        return apply_op("LookupTableExportV2", self._handle, Tkeys=self._key_dtype,
                        Tvalues=self._value_dtype, _shapes=shapes)

    _value_shape = TensorShape([])
    _key_rank = 0


class _TableInitializerBase(_Typed):
    """An initializer: its key and value dtypes and `initialize(table) -> Operation`."""

    def _check_table(self, table):
        if self._key_dtype.base_dtype != table.key_dtype:
            raise TypeError(f"Invalid key dtype for table, expected {table.key_dtype} "
                            f"but got {self._key_dtype}.")
        if self._value_dtype.base_dtype != table.value_dtype:
            raise TypeError("Invalid value dtype for table, expected "
                            f"{table.value_dtype} but got {self._value_dtype}.")


class KeyValueTensorInitializer(_TableInitializerBase):
    """Fills a table from a keys tensor and a values tensor of the same length.

    Example:
        >>> init = tf.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2])
        >>> table = tf.lookup.StaticHashTable(init, default_value=-1)
    """

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        self._keys = convert_to_tensor(keys, dtype=key_dtype, name="keys")
        self._values = convert_to_tensor(values, dtype=value_dtype, name="values")
        self._name = name or "key_value_init"
        super().__init__(self._keys.dtype, self._values.dtype)

    def initialize(self, table):
        """The op filling `table` (LookupTableImportV2), added to TABLE_INITIALIZERS."""
        self._check_table(table)
        with name_scope(self._name):
            op = apply_op("LookupTableImportV2", table.resource_handle, self._keys,
                          self._values, Tin=self._keys.dtype, Tout=self._values.dtype)
        get_default_graph().add_to_collection(GraphKeys.TABLE_INITIALIZERS, op)
        return op


class TextFileInitializer(_TableInitializerBase):
    """Fills a table from the lines of a text file: key and value are each a column
    (`delimiter`-separated, from 0), the whole line (`TextFileIndex.WHOLE_LINE`, -2) or the
    line number (`TextFileIndex.LINE_NUMBER`, -1, plus `value_index_offset` for values).
    `vocab_size` takes the first lines only (fewer lines is an error at run time).

    Example:
        >>> init = tf.lookup.TextFileInitializer(
        ...     "vocab.txt", tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
        ...     tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER)
    """

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index,
                 vocab_size=None, delimiter="\t", name=None, value_index_offset=0):
        if not isinstance(filename, Tensor) and not filename:
            raise ValueError("`filename` argument required for tf.lookup.TextFileInitializer")
        key_dtype = dtypes.as_dtype(key_dtype)
        value_dtype = dtypes.as_dtype(value_dtype)
        line, whole = TextFileIndex.LINE_NUMBER, TextFileIndex.WHOLE_LINE
        if key_index < -2:
            raise ValueError(f"`key_index` should be >= -2, received: {key_index}.")
        if key_index == line and key_dtype != dtypes.int64:
            raise ValueError(f"`key_dtype` must be int64 if `key_index` is {line}, "
                             f"received: {key_dtype}")
        if key_index == whole and not key_dtype.is_integer and key_dtype != dtypes.string:
            raise ValueError("`key_dtype` should be either integer or string for `key_index` "
                             f"{whole}, received: {key_dtype}")
        if value_index < -2:
            raise ValueError(f"`value_index` should be >= -2, received: {value_index}")
        if value_index == line and value_dtype != dtypes.int64:
            raise ValueError(f"`value_dtype` must be int64 for `value_index` {line}, "
                             f"received: {value_dtype}")
        if value_index == whole and not value_dtype.is_integer and \
                value_dtype != dtypes.string:
            raise ValueError("`value_dtype` should be either integer or string for "
                             f"`value_index` {whole}, received: {value_dtype}")
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"`vocab_size` should be > 0, received: {vocab_size}")
        self._filename = filename
        self._key_index = key_index
        self._value_index = value_index
        self._vocab_size = vocab_size
        self._delimiter = delimiter
        self._name = name
        self._offset = value_index_offset
        super().__init__(key_dtype, value_dtype)

    def initialize(self, table):
        """The op filling `table` (InitializeTableFromTextFileV2), added to
        TABLE_INITIALIZERS and to the ASSET_FILEPATHS collection (its file name)."""
        self._check_table(table)
        with name_scope(self._name, "text_file_init"):
            filename = convert_to_tensor(self._filename, dtypes.string, name="asset_filepath")
            op = apply_op("InitializeTableFromTextFileV2", table.resource_handle, filename,
                          key_index=self._key_index, value_index=self._value_index,
                          vocab_size=-1 if self._vocab_size is None else self._vocab_size,
                          delimiter=self._delimiter, offset=self._offset)
        graph = get_default_graph()
        graph.add_to_collection(GraphKeys.TABLE_INITIALIZERS, op)
        if not isinstance(self._filename, Tensor):
            graph.add_to_collection(GraphKeys.ASSET_FILEPATHS, filename)
        return op


class StaticHashTable(LookupInterface):
    """An immutable table filled once by its initializer; missing keys give
    `default_value`.

    Args:
        initializer: a KeyValueTensorInitializer or TextFileInitializer.
        default_value: a scalar of the value dtype.
        name: the table op's name (default "hash_table").

    Example:
        >>> table = tf.lookup.StaticHashTable(
        ...     tf.lookup.KeyValueTensorInitializer(["a", "b"], [1, 2]), -1)
        >>> ids = table.lookup(tf.constant(["b", "z"]))   # [2, -1] after tables_initializer
    """

    def __init__(self, initializer, default_value, name=None,
                 experimental_is_anonymous=False):
        super().__init__(initializer.key_dtype, initializer.value_dtype)
        self._initializer = initializer
        self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype)
        self._default_value.shape.merge_with(TensorShape([]))
        self._handle = apply_op("HashTableV2", name=name or "hash_table",
                                key_dtype=self._key_dtype, value_dtype=self._value_dtype,
                                shared_name="", container="", use_node_name_sharing=False)
        self._name = self._handle.op.name
        self._init_op = initializer.initialize(self)

    @property
    def initializer(self):
        """The op that fills the table."""
        return self._init_op

    @property
    def default_value(self):
        return self._default_value

    def lookup(self, keys, name=None):
        """The values of `keys` (a Tensor or SparseTensor of the key dtype), the default
        for missing ones; shaped as `keys`."""
        keys, rebuild = _sparse_parts(keys)
        _check_keys(self, keys)
        with name_scope(name, f"{self.name}_Lookup"):
            values = self._find(keys, self._default_value)
        return rebuild(values) if rebuild else values

    def export(self, name=None):
        """(keys, values): every entry, in no particular order."""
        with name_scope(name, f"{self.name}_Export"):
            return self._export()


class BucketedTable(LookupInterface):
    """A table (`self._table`, or None) whose misses go to `self._num_oov_buckets` hash
    buckets numbered after it: its handle, initializer and size."""

    @property
    def resource_handle(self):
        return None if self._table is None else self._table.resource_handle

    @property
    def initializer(self):
        """The op that fills the table (a NoOp without one)."""
        if self._table is not None:
            return self._table.initializer
        from flowexec.ops.constant_op import no_op

        with name_scope(None, "init"):
            return no_op()

    def size(self, name=None):
        """The vocabulary's size plus the out-of-vocabulary buckets."""
        from flowexec.ops import math_ops

        with name_scope(name, f"{self.name}_Size"):
            size = self._table.size() if self._table is not None else \
                convert_to_tensor(0, dtype=dtypes.int64)
            return math_ops.add(size, self._num_oov_buckets)


class StaticVocabularyTable(BucketedTable):
    """A string or int64 vocabulary: ids from `initializer` for known keys, and for the
    others `vocab size + Fingerprint64(key) % num_oov_buckets` (int64 keys hashed as
    their decimal text), as TF computes them.

    Args:
        initializer: gives int64 values for string or int64 keys; None: hash buckets only.
        num_oov_buckets: > 0.
        lookup_key_dtype: the dtype of looked-up keys (int32 keys for an int64 table).
        name: the table's name.

    Example:
        >>> table = tf.lookup.StaticVocabularyTable(
        ...     tf.lookup.KeyValueTensorInitializer(["a", "b"], tf.constant([0, 1], tf.int64)),
        ...     num_oov_buckets=3)
        >>> table.lookup(tf.constant(["a", "unseen"]))  # [0, 2 + bucket of "unseen"]
    """

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        if num_oov_buckets <= 0:
            raise ValueError("`num_oov_buckets` must be > 0; use StaticHashTable.")
        if name:
            name = name.rstrip("/")
        if initializer is not None:
            lookup_key_dtype = dtypes.as_dtype(lookup_key_dtype or initializer.key_dtype)
            supported = (dtypes.int64, dtypes.string)
            if initializer.key_dtype not in supported:
                raise TypeError("Invalid `key_dtype`, expected one of (tf.int64, tf.string), "
                                f"but got {initializer.key_dtype}.")
            if initializer.key_dtype.is_integer != lookup_key_dtype.is_integer:
                raise TypeError(
                    "Invalid `key_dtype`, expected "
                    f"{'integer' if lookup_key_dtype.is_integer else 'non-integer'} but got "
                    f"{initializer.key_dtype}.")
            if initializer.value_dtype != dtypes.int64:
                raise TypeError(f"Invalid `value_dtype`, expected {dtypes.int64} but got "
                                f"{initializer.value_dtype}.")
            self._table = StaticHashTable(initializer, default_value=-1)
            name = name or self._table.name
        else:
            lookup_key_dtype = dtypes.string
            self._table = None
            name = name or "hash_bucket"
        if not lookup_key_dtype.is_integer and lookup_key_dtype != dtypes.string:
            raise TypeError("Invalid `key_dtype`, expected integer or string, got "
                            f"{lookup_key_dtype}")
        self._num_oov_buckets = num_oov_buckets
        self._name = name.split("/")[-1]
        super().__init__(lookup_key_dtype, dtypes.int64)

    def lookup(self, keys, name=None):
        """Ids of `keys` (Tensor or SparseTensor of `lookup_key_dtype`), int64."""
        if keys.dtype.base_dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, "
                            f"received: {keys.dtype}")
        values, rebuild = _sparse_parts(keys)
        with name_scope(name, f"{self.name}_Lookup"):
            ids = bucket_ids(values, self._table, self._num_oov_buckets)
        return rebuild(ids) if rebuild else ids


def bucket_ids(values, table, num_oov_buckets, hasher=None):
    """int64 ids of `values`: `table`'s where it has them (an int64 table is looked up with
    the values cast to int64), else `table size + hash(values as text) % num_oov_buckets`
    (`hasher(text, num_buckets, name)`, by default FarmHash Fingerprint64)."""
    from flowexec.ops import hash_ops, manip_ops, math_ops, string_ops

    if table is not None and table.key_dtype == dtypes.int64:
        values = math_ops.cast(values, dtypes.int64)
    hasher = hasher or hash_ops.string_to_hash_bucket_fast
    text = values if values.dtype == dtypes.string else string_ops.as_string(values)
    ids = hasher(text, num_buckets=num_oov_buckets, name="hash_bucket")
    if table is None:
        return ids
    found = table.lookup(values)
    buckets = math_ops.add(ids, table.size())
    known = math_ops.not_equal(found, table.default_value)
    return manip_ops.where_v2(known, found, buckets)


class MutableHashTable(LookupInterface):
    """A table changed by `insert` and `remove` ops (a repeated key keeps the last value);
    `default_value`'s shape is each value's shape (a non-scalar default makes a table of
    tensors).

    Example:
        >>> table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, -1)
        >>> insert = table.insert(tf.constant(["a"]), tf.constant([7], tf.int64))
        >>> ids = table.lookup(tf.constant(["a", "b"]))   # [7, -1] after `insert` ran

    The table is not saved by `tf.train.Saver` (TF saves it when `checkpoint=True`).
    """

    def __init__(self, key_dtype, value_dtype, default_value, name="MutableHashTable",
                 checkpoint=True, experimental_is_anonymous=False):
        super().__init__(key_dtype, value_dtype)
        self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype)
        self._value_shape = self._default_value.shape
        self._checkpoint = checkpoint
        attrs = dict(key_dtype=self._key_dtype, value_dtype=self._value_dtype,
                     shared_name="", container="", use_node_name_sharing=checkpoint)
        if self._value_shape.ndims == 0:
            self._handle = apply_op("MutableHashTableV2", name=name, **attrs)
        else:
            self._handle = apply_op("MutableHashTableOfTensorsV2", name=name,
                                    value_shape=self._value_shape, **attrs)
        self._name = self._handle.op.name

    def lookup(self, keys, dynamic_default_values=None, name=None):
        """The values of `keys`, `default_value` (or `dynamic_default_values`) for missing
        ones: shaped keys.shape + the value shape."""
        keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
        _check_keys(self, keys)
        default = self._default_value if dynamic_default_values is None else \
            convert_to_tensor(dynamic_default_values, dtype=self._value_dtype)
        with name_scope(name, f"{self.name}_lookup_table_find"):
            return self._find(keys, default)

    def insert(self, keys, values, name=None):
        """An op setting `values[i]` as the value of `keys[i]`."""
        keys = convert_to_tensor(keys, self._key_dtype, name="keys")
        values = convert_to_tensor(values, self._value_dtype, name="values")
        with name_scope(name, f"{self.name}_lookup_table_insert"):
            return apply_op("LookupTableInsertV2", self._handle, keys, values,
                            Tin=self._key_dtype, Tout=self._value_dtype)

    def remove(self, keys, name=None):
        """An op removing `keys` (absent ones are ignored)."""
        if keys.dtype != self._key_dtype:
            raise TypeError(f"Signature mismatch. Keys must be dtype {self._key_dtype}, "
                            f"got {keys.dtype}.")
        with name_scope(name, f"{self.name}_lookup_table_remove"):
            return apply_op("LookupTableRemoveV2", self._handle, keys, Tin=self._key_dtype)

    def export(self, name=None):
        """(keys, values): every entry, in no particular order."""
        with name_scope(name, f"{self.name}_lookup_table_export_values"):
            return self._export(self._export_shapes())

    def _export_shapes(self):
        return (TensorShape([None]), TensorShape([None]).concatenate(self._value_shape))


class DenseHashTable(MutableHashTable):
    """TF's open-addressing mutable table: keys shaped as `empty_key`, which no key may
    equal (nor `deleted_key`); `export()` returns all buckets as TF does.

    Example:
        >>> table = tf.lookup.experimental.DenseHashTable(
        ...     tf.int64, tf.int64, default_value=-1, empty_key=0, deleted_key=-1)
    """

    def __init__(self, key_dtype, value_dtype, default_value, empty_key, deleted_key,
                 initial_num_buckets=None, name="MutableDenseHashTable", checkpoint=True,
                 experimental_is_anonymous=False):
        LookupInterface.__init__(self, key_dtype, value_dtype)
        self._default_value = convert_to_tensor(default_value, dtype=self._value_dtype,
                                                name="default_value")
        self._value_shape = self._default_value.shape
        self._checkpoint = checkpoint
        empty = convert_to_tensor(empty_key, dtype=self._key_dtype, name="empty_key")
        deleted = convert_to_tensor(deleted_key, dtype=self._key_dtype, name="deleted_key")
        self._key_rank = empty.shape.ndims or 0
        self._handle = apply_op(
            "MutableDenseHashTableV2", empty, deleted, name=name,
            key_dtype=self._key_dtype, value_dtype=self._value_dtype,
            value_shape=self._value_shape,
            initial_num_buckets=131072 if initial_num_buckets is None else
            initial_num_buckets, max_load_factor=0.8, shared_name="", container="",
            use_node_name_sharing=checkpoint)
        self._name = self._handle.op.name
        self._key_size = int(np.prod(empty.shape.as_list()))

    def _export_shapes(self):
        value_size = int(np.prod(self._value_shape.as_list()))
        return TensorShape([None, self._key_size]), TensorShape([None, value_size])
