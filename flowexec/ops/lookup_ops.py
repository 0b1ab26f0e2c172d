"""Lookup tables (TF's lookup ops): hash tables from keys to values, held by the Session.

State lives in the Session, like queues and variables: a table op (`HashTableV2`,
`MutableHashTableV2`, `MutableHashTableOfTensorsV2`, `MutableDenseHashTableV2`) creates
its table in `ctx.state` the first time it runs in a session and outputs the `resource`
handle; `LookupTableFindV2`, `LookupTableInsertV2`, ... take the handle, so two sessions
on one graph have separate tables.

- A `HashTable` (TF's static table) starts uninitialized: every op but its initializers
  fails with FailedPreconditionError "Table not initialized.". `LookupTableImportV2` and
  `InitializeTableV2` fill it from key and value tensors, `InitializeTableFromTextFileV2`
  from the lines of a text file (a column, the whole line, or the line number). Running an
  initializer again is accepted when it brings as many entries as the table holds (TF's
  check), else "Table was already initialized with different data.".
- Mutable tables take inserts (a repeated key keeps the last value) and removes;
  `MutableHashTableOfTensorsV2` maps each key to a tensor of `value_shape`.
- `MutableDenseHashTableV2` is TF's open-addressing table: keys of the shape of its
  `empty_key`, never equal to `empty_key` or `deleted_key`; its bucket count starts at
  `initial_num_buckets` and doubles while the size exceeds `max_load_factor` of it, and
  `LookupTableExportV2` returns the buckets as TF does ([num_buckets, key size] keys with
  `empty_key` in the free buckets). Entries sit in insertion order, not in the buckets TF's
  hash would give them.

Keys are strings, integers or floats; a string key is its bytes. Every op is stateful,
host-only and not differentiable. The Python classes (`tf.lookup.StaticHashTable`, ...)
are in flowexec/lookup/.
"""

import itertools
import threading

import numpy as np

from flowexec.framework import dtypes, errors, resources
from flowexec.framework.registry import defop
from flowexec.framework.tensor_shape import TensorShape, as_shape, unknown_shape
from flowexec.ops import shape_fns

_HOST = ("CPU",)
_CREATE_LOCK = threading.Lock()
_NAMES = itertools.count()
WHOLE_LINE = -2
LINE_NUMBER = -1


class _Table:
    """One table of one session: {key: value} under a lock."""

    def __init__(self, kind, name, key_dtype, value_dtype, value_shape=(), empty_key=None,
                 deleted_key=None, num_buckets=0, max_load_factor=0.8):
        self.kind = kind  # "HashTable", "MutableHashTable", "MutableDenseHashTable"
        self.name = name
        self.key_dtype = key_dtype
        self.value_dtype = value_dtype
        self.value_shape = tuple(value_shape)
        self.data = {}
        self.lock = threading.Lock()
        self.initialized = kind != "HashTable"
        self.empty_key = empty_key
        self.deleted_key = deleted_key
        self.num_buckets = num_buckets
        self.max_load_factor = max_load_factor

    def check_ready(self):
        if not self.initialized:
            raise errors.FailedPreconditionError(None, None, "Table not initialized.")

    @property
    def key_shape(self):
        return () if self.empty_key is None else self.empty_key.shape

    def keys_of(self, keys):
        """The hashable keys of a keys array (rows of the key shape for a dense table)."""
        keys = np.asarray(keys)
        if self.empty_key is not None:
            rank = len(self.key_shape)
            rows = keys.reshape(-1, *self.key_shape) if rank else keys.reshape(-1)
            out = [r.tobytes() if rank else r.item() for r in rows]
            for reserved, what in ((self.empty_key, "empty_key"),
                                   (self.deleted_key, "deleted_key")):
                mark = reserved.tobytes() if rank else reserved.item()
                if mark in out:
                    raise errors.InvalidArgumentError(
                        None, None, f"Using the {what} as a table key is not allowed")
            return out, keys.shape[:keys.ndim - rank]
        if keys.dtype == object:
            return [k if isinstance(k, bytes) else str(k).encode() for k in keys.reshape(-1)], \
                keys.shape
        return keys.reshape(-1).tolist(), keys.shape

    def grow(self):
        while self.num_buckets and len(self.data) > self.max_load_factor * self.num_buckets:
            self.num_buckets *= 2


def _table(ctx, handle):
    table = ctx.state.get(("table", str(np.asarray(handle).item())))
    if table is None:
        raise errors.NotFoundError(None, None, f"Resource {handle} does not exist.")
    return table


def _check_values_shape(table, values, lead):
    want = [*lead, *table.value_shape]
    if list(values.shape) != want:
        raise errors.InvalidArgumentError(
            None, None, f"Expected shape {TensorShape(want).proto_str()} for value, got "
                        f"{TensorShape(list(values.shape)).proto_str()}")


def _value_rows(table, values, n):
    values = np.asarray(values, dtype=table.value_dtype.np)
    return list(values.reshape(n, *table.value_shape)) if table.value_shape else \
        values.reshape(-1).tolist()


# ----- table creation ------------------------------------------------------------------------
def _resource_infer(op):
    return [(dtypes.resource, TensorShape([]))]


def _create(ctx, container, shared_name, use_node_name_sharing, make):
    key = ("table", resources.qualified(container, shared_name or ctx.op.name))
    if key not in ctx.state:
        with _CREATE_LOCK:
            if key not in ctx.state:
                ctx.state[key] = make(shared_name or f"_{next(_NAMES)}_{ctx.op.name}")
    return key[1]


@defop("HashTableV2", infer=_resource_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _hash_table(ctx, xp, *, key_dtype, value_dtype, container="", shared_name="",
                use_node_name_sharing=False):
    return _create(ctx, container, shared_name, use_node_name_sharing,
                   lambda name: _Table("HashTable", name, key_dtype, value_dtype))


def _mutable_table_kernel(kernel_value_shape):
    def kernel(ctx, xp, *, key_dtype, value_dtype, value_shape=(), container="",
               shared_name="", use_node_name_sharing=False):
        shape = as_shape(value_shape).as_list() if kernel_value_shape else []
        return _create(ctx, container, shared_name, use_node_name_sharing,
                       lambda name: _Table("MutableHashTable", name, key_dtype, value_dtype,
                                           shape))
    return kernel


_mutable_hash_table = defop("MutableHashTableV2", infer=_resource_infer, stateful=True,
                            needs_ctx=True, device_types=_HOST)(_mutable_table_kernel(False))
_mutable_hash_table_of_tensors = defop(
    "MutableHashTableOfTensorsV2", infer=_resource_infer, stateful=True, needs_ctx=True,
    device_types=_HOST)(_mutable_table_kernel(True))


@defop("MutableDenseHashTableV2", infer=_resource_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _mutable_dense_hash_table(ctx, xp, empty_key, deleted_key, *, key_dtype, value_dtype,
                              value_shape=(), initial_num_buckets=131072, max_load_factor=0.8,
                              container="", shared_name="", use_node_name_sharing=False):
    empty, deleted = np.asarray(empty_key), np.asarray(deleted_key)
    if empty.shape != deleted.shape or np.array_equal(empty, deleted):
        raise errors.InvalidArgumentError(
            None, None, "Empty and deleted keys must have same shape, got shapes: "
                        f"{TensorShape(list(empty.shape)).proto_str()} and "
                        f"{TensorShape(list(deleted.shape)).proto_str()}"
            if empty.shape != deleted.shape else
            "Empty and deleted keys cannot be equal")
    buckets = int(initial_num_buckets)
    if buckets <= 0 or buckets & (buckets - 1):
        raise errors.InvalidArgumentError(
            None, None, f"Number of buckets must be at least 4 and a power of 2, got: "
                        f"{buckets}")
    shape = as_shape(value_shape).as_list()
    return _create(ctx, container, shared_name, use_node_name_sharing,
                   lambda name: _Table("MutableDenseHashTable", name, key_dtype, value_dtype,
                                       shape, empty.copy(), deleted.copy(), buckets,
                                       float(max_load_factor)))


for _op in (_hash_table, _mutable_hash_table, _mutable_hash_table_of_tensors,
            _mutable_dense_hash_table):
    _op.not_differentiable()


# ----- initializers --------------------------------------------------------------------------
def _no_outputs(op):
    return []


def _same_length_infer(op):
    """Keys and values with one first dimension (LookupTableImportV2's shape check)."""
    keys, values = op.inputs[1].shape, op.inputs[2].shape
    if keys.ndims and values.ndims:
        a, b = keys.dims[0], values.dims[0]
        if a is not None and b is not None and a != b:
            raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {a} and {b}")
    return []


def _vector_infer(op):
    """InitializeTableV2's: keys a vector, values as long."""
    keys = op.inputs[1].shape
    if keys.ndims is not None and keys.ndims != 1:
        raise shape_fns.shape_error(op, f"Shape must be rank 1 but is rank {keys.ndims}")
    return _same_length_infer(op)


def _fill_static(table, keys, values):
    """Fills an uninitialized HashTable (TF's HashTable::DoInsert: a key seen twice must
    bring the same value)."""
    data = {}
    for key, value in zip(keys, values):
        old = data.setdefault(key, value)
        if old != value:
            raise errors.FailedPreconditionError(
                None, None, f"HashTable has different value for same key. Key "
                            f"{_show(key)} has {_show(old)} and trying to add value "
                            f"{_show(value)}")
    return data


def _show(v):
    return v.decode("utf-8", "backslashreplace") if isinstance(v, bytes) else v


def _initialize(table, keys, values):
    with table.lock:
        if table.initialized:
            if len(keys) != len(table.data):
                raise errors.FailedPreconditionError(
                    None, None, "Table was already initialized with different data.")
            return
        table.data = _fill_static(table, keys, values)
        table.initialized = True


def _keys_values(table, keys, values):
    keys = np.asarray(keys)
    values = np.asarray(values)
    if table.kind == "HashTable" and keys.size != values.size:
        raise errors.InvalidArgumentError(
            None, None, f"Keys and values must have the same size {keys.size} vs "
                        f"{values.size}")
    flat, lead = table.keys_of(keys)
    if table.kind != "HashTable":
        _check_values_shape(table, values, lead)
    return flat, _value_rows(table, values, len(flat))


@defop("InitializeTableV2", infer=_vector_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _initialize_table(ctx, xp, handle, keys, values, *, Tkey=None, Tval=None):
    table = _table(ctx, handle)
    flat, rows = _keys_values(table, keys, values)
    _initialize(table, flat, rows)


@defop("LookupTableImportV2", infer=_same_length_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _import(ctx, xp, handle, keys, values, *, Tin=None, Tout=None):
    table = _table(ctx, handle)
    if table.kind == "HashTable":
        flat, rows = _keys_values(table, keys, values)
        _initialize(table, flat, rows)
        return
    if table.empty_key is not None:  # an exported bucket array: skip the free buckets
        keys, values = _occupied_buckets(table, np.asarray(keys), np.asarray(values))
    flat, rows = _keys_values(table, keys, values)
    with table.lock:
        table.data = dict(zip(flat, rows))
        table.grow()


def _occupied_buckets(table, keys, values):
    rows = keys.reshape(keys.shape[0], -1)
    free = np.zeros(len(rows), bool)
    for mark in (table.empty_key, table.deleted_key):
        free |= (rows == mark.reshape(1, -1)).all(axis=1)
    keep = ~free
    keys = keys[keep].reshape(-1, *table.key_shape)
    values = values[keep].reshape(-1, *table.value_shape)
    return keys, values


def _parse_field(text, dtype, line_no, path):
    if dtype == dtypes.string:
        return text.encode("utf-8") if isinstance(text, str) else text
    try:
        if dtype.is_integer:
            value = int(text)
            info = np.iinfo(dtype.np)
            if not info.min <= value <= info.max:
                raise ValueError
            return value
        return float(text)
    except ValueError:
        raise errors.InvalidArgumentError(
            None, None, f"Field {text} in line {line_no} is not a valid {dtype.name}.") \
            from None


def _text_file_entries(path, key_index, value_index, vocab_size, delimiter, offset,
                       key_dtype, value_dtype):
    """(keys, values) from the lines of `path`, as TF's TextFileLineIterator reads them."""
    try:
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    except IsADirectoryError:
        raise errors.FailedPreconditionError(None, None, f"{path}; Is a directory") from None
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    if vocab_size != -1:
        if len(lines) < vocab_size:
            raise errors.InvalidArgumentError(
                None, None, f"Invalid vocab_size in {path}: expected {vocab_size} but got "
                            f"{len(lines)}")
        lines = lines[:vocab_size]
    sep = delimiter.encode("utf-8") if isinstance(delimiter, str) else delimiter
    keys, values = [], []
    need = max(key_index, value_index) + 1
    for no, line in enumerate(lines):
        columns = line.split(sep) if need > 0 else None
        if need > 0 and len(columns) < need:
            raise errors.InvalidArgumentError(
                None, None, f"Invalid number of columns in {path} line {no} "
                            f"({line.decode('utf-8', 'backslashreplace')}) : expected at "
                            f"least {need} got {len(columns)}")

        def field(index, dtype):
            if index == LINE_NUMBER:
                return no + offset
            text = line if index == WHOLE_LINE else columns[index]
            return _parse_field(text if dtype == dtypes.string else text.decode("utf-8"),
                                dtype, no, path)
        keys.append(field(key_index, key_dtype))
        values.append(field(value_index, value_dtype))
    return keys, values


@defop("InitializeTableFromTextFileV2", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _initialize_from_text_file(ctx, xp, handle, filename, *, key_index, value_index,
                               vocab_size=-1, delimiter="\t", offset=0):
    table = _table(ctx, handle)
    path = np.asarray(filename).item()
    path = path.decode("utf-8") if isinstance(path, bytes) else str(path)
    keys, values = _text_file_entries(path, key_index, value_index, vocab_size, delimiter,
                                      offset, table.key_dtype, table.value_dtype)
    _initialize(table, keys, values)


for _op in (_initialize_table, _import, _initialize_from_text_file):
    _op.not_differentiable()


# ----- find, insert, remove, size, export ----------------------------------------------------
def _find_infer(op):
    keys = op.inputs[1].shape
    value_shape = op.attrs.get("_value_shape")
    key_rank = op.attrs.get("_key_rank", 0)
    if keys.ndims is None or value_shape is None:
        return [(op.attrs["Tout"], unknown_shape())]
    lead = keys.dims[:keys.ndims - key_rank] if key_rank else keys.dims
    return [(op.attrs["Tout"], TensorShape(lead).concatenate(value_shape))]


@defop("LookupTableFindV2", infer=_find_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _find(ctx, xp, handle, keys, default_value, *, Tin=None, Tout=None):
    table = _table(ctx, handle)
    table.check_ready()
    default = np.asarray(default_value, dtype=table.value_dtype.np)
    flat, lead = table.keys_of(keys)
    if table.value_shape:
        if default.shape != table.value_shape:
            raise errors.InvalidArgumentError(
                None, None, f"Expected shape {TensorShape(list(table.value_shape)).proto_str()}"
                            f" for default value, got "
                            f"{TensorShape(list(default.shape)).proto_str()}")
    elif default.shape not in ((), (1,)):
        raise errors.InvalidArgumentError(
            None, None, f"Expected shape [] or [1] for default value, got "
                        f"{TensorShape(list(default.shape)).proto_str()}")
    with table.lock:
        data = table.data
        if table.value_shape:
            out = np.empty((len(flat), *table.value_shape), table.value_dtype.np)
            for i, key in enumerate(flat):
                out[i] = data.get(key, default)
            return out.reshape(*lead, *table.value_shape)
        miss = default.reshape(()).item()
        found = [data.get(key, miss) for key in flat]
    if table.value_dtype == dtypes.string:
        out = np.empty(len(found), object)
        out[:] = found
    else:
        out = np.array(found, dtype=table.value_dtype.np)
    return out.reshape(lead)


@defop("LookupTableInsertV2", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _insert(ctx, xp, handle, keys, values, *, Tin=None, Tout=None):
    table = _table(ctx, handle)
    if table.kind == "HashTable":
        table.check_ready()
        raise errors.UnimplementedError(None, None, "Table does not support insertions.")
    flat, lead = table.keys_of(keys)
    values = np.asarray(values)
    _check_values_shape(table, values, lead)
    rows = _value_rows(table, values, len(flat))
    with table.lock:
        table.data.update(zip(flat, rows))
        table.grow()


@defop("LookupTableRemoveV2", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _remove(ctx, xp, handle, keys, *, Tin=None):
    table = _table(ctx, handle)
    if table.kind == "HashTable":
        table.check_ready()
        raise errors.UnimplementedError(None, None, "Table does not support deletions.")
    flat, _ = table.keys_of(keys)
    with table.lock:
        for key in flat:
            table.data.pop(key, None)


@defop("LookupTableSizeV2", infer=lambda op: [(dtypes.int64, TensorShape([]))], stateful=True,
       needs_ctx=True, device_types=_HOST)
def _size(ctx, xp, handle):
    table = _table(ctx, handle)
    table.check_ready()
    return np.int64(len(table.data))


def _export_infer(op):
    """Unknown shapes, or the `_shapes` a mutable table's class knows (TF knows them from
    the handle's shape data)."""
    shapes = op.attrs.get("_shapes") or (unknown_shape(), unknown_shape())
    return [(op.attrs["Tkeys"], shapes[0]), (op.attrs["Tvalues"], shapes[1])]


def _array(values, dtype, shape):
    if dtype == dtypes.string:
        out = np.empty(len(values), object)
        out[:] = values
        return out.reshape(shape)
    return np.array(values, dtype=dtype.np).reshape(shape)


@defop("LookupTableExportV2", infer=_export_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _export(ctx, xp, handle, *, Tkeys=None, Tvalues=None):
    table = _table(ctx, handle)
    table.check_ready()
    with table.lock:
        items = list(table.data.items())
    if table.empty_key is not None:
        return _export_buckets(table, items)
    keys = [k for k, _ in items]
    if keys and table.key_dtype == dtypes.string:
        keys = [bytes(k) for k in keys]
    values = [v for _, v in items]
    shape = (len(items), *table.value_shape)
    if table.value_shape:
        return (_array(keys, table.key_dtype, (len(items),)),
                np.array(values, table.value_dtype.np).reshape(shape))
    return _array(keys, table.key_dtype, (len(items),)), _array(values, table.value_dtype,
                                                                 shape)


def _export_buckets(table, items):
    """TF's export of a dense table: every bucket, free ones holding empty_key."""
    key_size = int(np.prod(table.key_shape)) if table.key_shape else 1
    value_size = int(np.prod(table.value_shape)) if table.value_shape else 1
    keys = np.tile(table.empty_key.reshape(1, key_size), (table.num_buckets, 1))
    values = np.zeros((table.num_buckets, value_size), table.value_dtype.np)
    for i, (key, value) in enumerate(items):
        keys[i] = (np.frombuffer(key, table.empty_key.dtype) if table.key_shape
                   else np.asarray(key, table.empty_key.dtype)).reshape(key_size)
        values[i] = np.asarray(value).reshape(value_size)
    return keys.astype(table.key_dtype.np), values


for _op in (_find, _insert, _remove, _size, _export):
    _op.not_differentiable()
