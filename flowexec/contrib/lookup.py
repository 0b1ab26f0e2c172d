"""`tf.contrib.lookup`: TF 1.x's vocabulary-table helpers (the functions TF keeps in
`lookup_ops`, which feature columns and TF 1.x input pipelines call) over the `tf.lookup`
tables.

- `index_table_from_file` / `index_table_from_tensor`: string (or integer) keys to int64 ids
  (line numbers / positions), unknown keys to `default_value` or, with `num_oov_buckets`,
  to hash buckets after the vocabulary (`IdTableWithHashBuckets`);
- `index_to_string_table_from_file` / `_from_tensor`: int64 ids back to strings;
- `HashTable` (TF 1.x's name of the static table), `IdTableWithHashBuckets`, the hasher specs
  (`FastHashSpec`: FarmHash Fingerprint64, `StrongHashSpec(key)`: keyed SipHash), and the
  table and initializer classes.

Example:
    >>> table = tf.contrib.lookup.index_table_from_tensor(["emerson", "lake"],
    ...                                                   num_oov_buckets=1)
    >>> ids = table.lookup(tf.constant(["lake", "palmer"]))   # [1, 2]
"""

import collections

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor import Tensor
from flowexec.lookup.tables import (  # noqa: F401
    DenseHashTable as MutableDenseHashTable,
    KeyValueTensorInitializer,
    BucketedTable,
    MutableHashTable,
    StaticHashTable,
    TextFileIndex,
    TextFileInitializer,
    _sparse_parts,
    bucket_ids,
)

__all__ = ["FastHashSpec", "HashTable", "HasherSpec", "IdTableWithHashBuckets",
           "KeyValueTensorInitializer", "MutableDenseHashTable", "MutableHashTable",
           "StrongHashSpec", "TextFileIdTableInitializer", "TextFileIndex",
           "TextFileInitializer", "TextFileStringTableInitializer", "index_table_from_file",
           "index_table_from_tensor", "index_to_string_table_from_file",
           "index_to_string_table_from_tensor"]

HashTable = StaticHashTable


class HasherSpec(collections.namedtuple("HasherSpec", ["hasher", "key"])):
    """Which hash maps out-of-vocabulary keys to buckets: "fasthash" (FarmHash
    Fingerprint64) or "stronghash" (SipHash-2-4 keyed by two uint64 words)."""

    __slots__ = ()


FastHashSpec = HasherSpec("fasthash", None)


class StrongHashSpec(HasherSpec):
    """The keyed strong hash: `key` is a list of two unsigned integers."""

    __slots__ = ()

    def __new__(cls, key):
        if len(key) != 2:
            raise ValueError(f"`key` must have size 2, received {len(key)}")
        if not isinstance(key[0], int) or not isinstance(key[1], int):
            raise TypeError(f"Invalid key {key}. Must be unsigned integer values.")
        return super().__new__(cls, "stronghash", key)


def _hasher(spec):
    from flowexec.ops import hash_ops

    if not isinstance(spec, HasherSpec):
        raise TypeError(f"`hasher_spec` must be of type HasherSpec, got {type(spec)}.")
    if spec.hasher == "fasthash":
        return hash_ops.string_to_hash_bucket_fast
    if spec.hasher == "legacy":
        return hash_ops.string_to_hash_bucket
    if spec.hasher == "stronghash":
        return lambda text, num_buckets, name: hash_ops.string_to_hash_bucket_strong(
            text, num_buckets, key=list(spec.key), name=name)
    raise ValueError(f"Found unknown hasher {spec.hasher}")


class TextFileIdTableInitializer(TextFileInitializer):
    """String (or int64) keys from a column of a file to int64 ids (by default: each whole
    line to its line number)."""

    def __init__(self, filename, key_column_index=TextFileIndex.WHOLE_LINE,
                 value_column_index=TextFileIndex.LINE_NUMBER, vocab_size=None,
                 delimiter="\t", name="text_file_id_table_init", key_dtype=dtypes.string):
        super().__init__(filename, key_dtype, key_column_index, dtypes.int64,
                         value_column_index, vocab_size=vocab_size, delimiter=delimiter,
                         name=name)


class TextFileStringTableInitializer(TextFileInitializer):
    """int64 ids (by default line numbers) to strings from a column of a file (by default
    each whole line)."""

    def __init__(self, filename, key_column_index=TextFileIndex.LINE_NUMBER,
                 value_column_index=TextFileIndex.WHOLE_LINE, vocab_size=None,
                 delimiter="\t", name="text_file_string_table_init"):
        super().__init__(filename, dtypes.int64, key_column_index, dtypes.string,
                         value_column_index, vocab_size=vocab_size, delimiter=delimiter,
                         name=name)


class IdTableWithHashBuckets(BucketedTable):
    """A string-to-id `table` (int64 values; None for buckets only) whose misses go to
    `num_oov_buckets` hash buckets numbered after it.

    Example:
        >>> table = tf.contrib.lookup.IdTableWithHashBuckets(
        ...     tf.contrib.lookup.HashTable(tf.contrib.lookup.KeyValueTensorInitializer(
        ...         ["a"], tf.constant([0], tf.int64)), -1), num_oov_buckets=3)
    """

    def __init__(self, table, num_oov_buckets, hasher_spec=FastHashSpec, name=None,
                 key_dtype=None):
        if table is not None:
            key_dtype = dtypes.as_dtype(key_dtype or table.key_dtype)
            supported = (dtypes.int64, dtypes.string)
            if table.key_dtype not in supported:
                raise TypeError("Invalid `key_dtype`, expected one of (tf.int64, tf.string), "
                                f"but got {table.key_dtype}.")
            if table.key_dtype.is_integer != key_dtype.is_integer:
                raise TypeError(
                    "Invalid `key dtype`, expected "
                    f"{'integer' if key_dtype.is_integer else 'non-integer'} but got "
                    f"{table.key_dtype}.")
            if table.value_dtype != dtypes.int64:
                raise TypeError("Invalid `value_dtype`: expected int64 but got "
                                f"{table.value_dtype}.")
            name = name or table.name
        else:
            if num_oov_buckets <= 0:
                raise ValueError("`oov_buckets` must be > 0 if no `table` is supplied.")
            key_dtype = dtypes.string if key_dtype is None else dtypes.as_dtype(key_dtype)
            name = name or "hash_bucket"
        if not key_dtype.is_integer and key_dtype != dtypes.string:
            raise TypeError(f"Invalid `key_dtype`, expected integer or string, got "
                            f"{key_dtype}.")
        self._hasher = _hasher(hasher_spec)
        self._table = table
        self._num_oov_buckets = num_oov_buckets
        self._name = name.split("/")[-1]
        super().__init__(key_dtype, dtypes.int64)

    @property
    def init(self):
        return self.initializer

    def lookup(self, keys, name=None):
        """int64 ids of `keys` (a Tensor or SparseTensor of the key dtype)."""
        if keys.dtype.base_dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, "
                            f"received: {keys.dtype}")
        values, rebuild = _sparse_parts(keys)
        if self._num_oov_buckets == 0:
            ids = self._table.lookup(_as_table_keys(values, self._table), name=name)
        else:
            with name_scope(name, f"{self.name}_Lookup"):
                ids = bucket_ids(values, self._table, self._num_oov_buckets, self._hasher)
        return rebuild(ids) if rebuild else ids


def _as_table_keys(values, table):
    from flowexec.ops import math_ops

    if table.key_dtype == dtypes.int64 and values.dtype != dtypes.int64:
        return math_ops.cast(values, dtypes.int64)
    return values


def _check_vocabulary_file(vocabulary_file):
    if vocabulary_file is None or (isinstance(vocabulary_file, str) and not vocabulary_file):
        raise ValueError("`vocabulary_file` must be specified and must not be empty.")


def index_table_from_file(vocabulary_file=None, num_oov_buckets=0, vocab_size=None,
                          default_value=-1, hasher_spec=FastHashSpec, key_dtype=dtypes.string,
                          name=None, key_column_index=TextFileIndex.WHOLE_LINE,
                          value_column_index=TextFileIndex.LINE_NUMBER, delimiter="\t"):
    """A table from the keys of a vocabulary file (by default one per line) to their
    int64 ids (line numbers); unknown keys get `default_value`, or with `num_oov_buckets`
    a hash bucket id after the vocabulary. Fill it with `tf.tables_initializer()`."""
    _check_vocabulary_file(vocabulary_file)
    if num_oov_buckets < 0:
        raise ValueError(f"num_oov_buckets must be greater or equal than 0, got "
                         f"{num_oov_buckets}.")
    if vocab_size is not None and vocab_size < 1:
        shown = vocabulary_file if not isinstance(vocabulary_file, Tensor) else "?"
        raise ValueError(f"`vocab_size` must be greater than 0, got {vocab_size} for "
                         f"vocabulary_file: {shown}.")
    key_dtype = dtypes.as_dtype(key_dtype)
    if not key_dtype.is_integer and key_dtype.base_dtype != dtypes.string:
        raise TypeError("Dtype for `keys` should be either integer or string.")
    with name_scope(name, "string_to_index"):
        with name_scope(None, "hash_table"):
            init = TextFileIdTableInitializer(
                vocabulary_file, vocab_size=vocab_size,
                key_dtype=dtypes.int64 if key_dtype.is_integer else key_dtype,
                name="table_init", key_column_index=key_column_index,
                value_column_index=value_column_index, delimiter=delimiter)
            table = StaticHashTable(init, default_value)
        if num_oov_buckets:
            table = IdTableWithHashBuckets(table, num_oov_buckets=num_oov_buckets,
                                           hasher_spec=hasher_spec, key_dtype=key_dtype)
        return table


def index_table_from_tensor(vocabulary_list, num_oov_buckets=0, default_value=-1,
                            hasher_spec=FastHashSpec, dtype=dtypes.string, name=None):
    """A table from the elements of the 1-D `vocabulary_list` to their positions (int64);
    unknown keys as in `index_table_from_file`."""
    from flowexec.ops import array_ops, math_ops

    if vocabulary_list is None:
        raise ValueError("`vocabulary_list` must be specified.")
    if num_oov_buckets < 0:
        raise ValueError(f"`num_oov_buckets` must be greater or equal than 0, got "
                         f"{num_oov_buckets}.")
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_integer and dtype.base_dtype != dtypes.string:
        raise TypeError("`dtype` must either be integer or string.")
    with name_scope(name, "string_to_index"):
        keys = convert_to_tensor(vocabulary_list)
        if keys.dtype.is_integer != dtype.is_integer:
            raise ValueError(f"Invalid `dtype`: Expected "
                             f"{'integer' if dtype.is_integer else 'non-integer'}, got "
                             f"{keys.dtype}.")
        if not dtype.is_integer and keys.dtype.base_dtype != dtype:
            raise ValueError(f"Invalid `dtype`: Expected {dtype}, got {keys.dtype}.")
        values = math_ops.cast(array_ops.range(array_ops.size(keys)), dtypes.int64)
        with name_scope(None, "hash_table"):
            table_keys = math_ops.cast(keys, dtypes.int64) if keys.dtype.is_integer else keys
            init = KeyValueTensorInitializer(table_keys, values, table_keys.dtype.base_dtype,
                                             dtypes.int64, name="table_init")
            table = StaticHashTable(init, default_value)
        if num_oov_buckets:
            table = IdTableWithHashBuckets(table, num_oov_buckets=num_oov_buckets,
                                           hasher_spec=hasher_spec, key_dtype=dtype)
        return table


def index_to_string_table_from_file(vocabulary_file, vocab_size=None, default_value="UNK",
                                    name=None, key_column_index=TextFileIndex.LINE_NUMBER,
                                    value_column_index=TextFileIndex.WHOLE_LINE,
                                    delimiter="\t"):
    """A table from int64 ids (line numbers) to the strings of a vocabulary file;
    `default_value` for ids it lacks."""
    _check_vocabulary_file(vocabulary_file)
    if vocab_size is not None and vocab_size < 1:
        raise ValueError(f"`vocab_size` must be greater than 0, got {vocab_size}.")
    with name_scope(name, "index_to_string"):
        init = TextFileStringTableInitializer(
            vocabulary_file, vocab_size=vocab_size, name="table_init",
            key_column_index=key_column_index, value_column_index=value_column_index,
            delimiter=delimiter)
        return StaticHashTable(init, default_value)


def index_to_string_table_from_tensor(vocabulary_list, default_value="UNK", name=None):
    """A table from int64 positions to the strings of the 1-D `vocabulary_list`."""
    from flowexec.ops import array_ops, math_ops

    if vocabulary_list is None:
        raise ValueError("`vocabulary_list` argument must be specified.")
    with name_scope(name, "index_to_string"):
        vocabulary_list = convert_to_tensor(vocabulary_list, dtypes.string)
        keys = math_ops.cast(array_ops.range(array_ops.size(vocabulary_list)), dtypes.int64)
        init = KeyValueTensorInitializer(keys, vocabulary_list, dtypes.int64, dtypes.string,
                                         name="table_init")
        return StaticHashTable(init, default_value)
