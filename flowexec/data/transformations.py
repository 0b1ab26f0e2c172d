"""`tf.data.experimental` transformations with kernels of their own: `dense_to_sparse_batch`,
`assert_cardinality`, `snapshot`, and the ones TF builds from others:
`map_and_batch_with_legacy_function`, `pad_to_cardinality` (ops in
`flowexec/ops/dataset_experimental_ops.py`).

A SparseTensor component of an element (what `dense_to_sparse_batch` makes) is carried as
three flat components (indices, values, dense_shape) and comes out of `get_next` as a
SparseTensor; transformations that only move elements (take, skip, repeat, prefetch, shuffle,
zip, concatenate, cache, ...) pass it on, functions (`map`, `filter`) cannot take one yet.

Example:
    >>> ds = Dataset.range(4).map(lambda x: tf.fill([x], x)).apply(
    ...     dense_to_sparse_batch(2, [None]))   # SparseTensors of dense shape [2, 1], [2, 3]
    >>> ds = Dataset.range(3).apply(assert_cardinality(3))
"""

import hashlib
from collections.abc import Mapping

import numpy as np

from flowexec.data import structure
from flowexec.data.dataset import Dataset
from flowexec.framework import dtypes, tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.function import FuncGraph, TensorSpec
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op
from flowexec.framework.sparse_tensor import SparseTensorSpec
from flowexec.ops import array_ops
from flowexec.ops import dataset_experimental_ops as _ops  # noqa: F401 (registers the ops)


def _flat_attrs(spec):
    flat = structure.flat_specs(spec)
    return {"output_types": [s.dtype for s in flat], "output_shapes": [s.shape for s in flat]}


def _row_shape_tensor(row_shape):
    """TF's `partial_shape_to_tensor`: an int64 vector, -1 for an unknown dimension."""
    if hasattr(row_shape, "dtype") and not isinstance(row_shape, (list, tuple)):
        t = convert_to_tensor(row_shape, dtype=dtypes.int64, name="row_shape")
        return t, tensor_shape.unknown_shape() if t.shape.ndims != 1 or \
            t.shape[0] is None else tensor_shape.unknown_shape(t.shape[0])
    shape = tensor_shape.as_shape(row_shape)
    if shape.ndims is None:
        raise ValueError("row_shape must have a known rank.")
    dims = [-1 if d is None else int(d) for d in shape.as_list()]
    return (convert_to_tensor(np.asarray(dims, dtype=np.int64), name="row_shape"), shape)


def dense_to_sparse_batch(batch_size, row_shape):
    """Batches elements of varying shape into SparseTensors: each batch is a SparseTensor
    of dense shape `[n, *row]`, where `row` is `row_shape` with every unknown dimension
    (None, -1) the largest in the batch, holding each element's values at their indices.

    Args:
        batch_size: int64 scalar, the elements of a batch (> 0; the last may have fewer).
        row_shape: the dense shape of one element's row (a TensorShape, a list with None
            for an unknown dimension, or an int64 vector with -1).

    Returns:
        A transformation for `Dataset.apply`.

    Raises:
        TypeError: the dataset's elements are not a single tensor.
        At run time: InvalidArgumentError "Batch size must be greater than zero."; for an
        element of another rank than `row_shape`, InvalidArgumentError "Input element had
        shape ([2,2]) that is incompatible with the row shape ([2])."; for one larger than
        it, DataLossError "Input element had shape ([3]) that is larger than the row shape
        ([2])." (each in place of its batch; the iterator goes on).

    Example:
        >>> ds = Dataset.from_tensor_slices([[1, 2, 0], [3, 4, 5]]).apply(
        ...     dense_to_sparse_batch(2, [3]))   # indices [[0 0] [0 1] [0 2] [1 0] ...]
    """
    def apply(dataset):
        spec = dataset.element_spec
        if not isinstance(spec, TensorSpec):
            raise TypeError(f"`dense_to_sparse_batch` requires an input dataset whose "
                            f"elements have a single component, but the given dataset has "
                            f"the following component types: {dataset.output_types}.")
        with name_scope("DenseToSparseBatchDataset"):
            size = convert_to_tensor(batch_size, dtype=dtypes.int64, name="batch_size")
            row, static = _row_shape_tensor(row_shape)
        out = SparseTensorSpec(tensor_shape.TensorShape([None]).concatenate(static),
                               spec.dtype)
        return Dataset(apply_op("DenseToSparseBatchDataset", dataset._variant_tensor, size,
                                row, **_flat_attrs(out)), out, dataset._options)
    return apply


def assert_cardinality(expected_cardinality):
    """Asserts that the dataset has `expected_cardinality` elements (INFINITE_CARDINALITY:
    that it never ends); `cardinality()` then reports that number.

    Args:
        expected_cardinality: int64 scalar.

    Returns:
        A transformation for `Dataset.apply`.

    Raises:
        At run time, FailedPreconditionError "Input dataset was expected to contain 3
        elements but contained at least 4 elements." at the first element too many, and
        "... but contained only 2 elements." where it ends early.

    Example:
        >>> ds = Dataset.range(10).filter(lambda x: x < 5).apply(assert_cardinality(5))
        >>> tf.data.experimental.cardinality(ds)   # evaluates to 5
    """
    def apply(dataset):
        with name_scope("AssertCardinalityDataset"):
            n = convert_to_tensor(expected_cardinality, dtype=dtypes.int64, name="cardinality")
        return Dataset(apply_op("AssertCardinalityDataset", dataset._variant_tensor, n,
                                **_flat_attrs(dataset.element_spec)), dataset.element_spec,
                       dataset._options)
    return apply


def _fingerprint(tensor):
    """A digest of the subgraph computing `tensor`: op types, attributes, constants and
    edges, not names (a rebuilt pipeline has the same one)."""
    h = hashlib.sha256()
    order = {}

    def visit(root_ops):
        stack = list(root_ops)
        while stack:
            op = stack.pop()
            if op in order:
                continue
            order[op] = len(order)
            h.update(op.type.encode())
            for key in sorted(op.attrs):
                value = op.attrs[key]
                if isinstance(value, FuncGraph):
                    h.update(f"{key}=fn".encode())
                    visit(value.get_operations())
                elif isinstance(value, np.ndarray):
                    h.update(key.encode() + str(value.dtype).encode() + repr(value.shape)
                             .encode() + repr(value.tolist()).encode())
                elif callable(value):
                    h.update(f"{key}={getattr(value, '__qualname__', type(value))}".encode())
                else:
                    h.update(f"{key}={value!r}".encode())
            for t in op.inputs:
                h.update(f"<{t.op.type}:{t.value_index}".encode())
                stack.append(t.op)
    visit([tensor.op])
    return h.hexdigest()[:32]


def snapshot(path, compression="AUTO", reader_func=None, shard_func=None, **tf1_options):
    """Persists the dataset: the first complete pass writes its elements under `path` (in
    a directory named by a fingerprint of the input pipeline, or `snapshot_name`); later
    passes, in this or any later process, read them back instead of computing them.

    Args:
        path: the directory of snapshots.
        compression: "AUTO", "GZIP", "SNAPPY" or "NONE"/None (accepted; the files are
            flowexec's npz files).
        reader_func, shard_func: TF 2.x's hooks; only None is supported.
        **tf1_options: TF 1.15's keyword arguments (`snapshot_name`, reader/writer path
            prefixes, threads, buffer and shard sizes, `shuffle_on_read`, `mode`, ...);
            `snapshot_name` names the directory, the rest only tune TF's I/O.

    Returns:
        A transformation for `Dataset.apply`.

    Raises:
        ValueError: `reader_func`/`shard_func` given, or an unknown compression.
        At run time, PermissionDeniedError when the directory cannot be created,
        DataLossError for a damaged snapshot file.

    Example:
        >>> ds = Dataset.range(5).map(expensive).apply(snapshot("/tmp/snap"))
    """
    if reader_func is not None or shard_func is not None:
        raise ValueError("snapshot's reader_func and shard_func are not supported; the "
                         "snapshot is read back in the order it was written.")
    compression = "NONE" if compression is None else str(compression).upper()
    if compression not in ("AUTO", "GZIP", "SNAPPY", "NONE", ""):
        raise ValueError(f"Compression type {compression} is not supported.")
    name = tf1_options.get("snapshot_name") or ""

    def apply(dataset):
        with name_scope("SnapshotDataset"):
            p = convert_to_tensor(path, dtype=dtypes.string, name="path")
        return Dataset(apply_op("SnapshotDataset", dataset._variant_tensor, p,
                                compression=compression,
                                snapshot_name=name or _fingerprint(dataset._variant_tensor),
                                **_flat_attrs(dataset.element_spec)),
                       dataset.element_spec, dataset._options)
    return apply


def map_and_batch_with_legacy_function(map_func, batch_size, num_parallel_batches=None,
                                       drop_remainder=False, num_parallel_calls=None):
    """`map_and_batch` (TF's legacy-function variant differs only in how TF traces
    `map_func`; see `map_and_batch`).

    Raises:
        ValueError: both `num_parallel_batches` and `num_parallel_calls` are given.

    Example:
        >>> ds = Dataset.range(6).apply(map_and_batch_with_legacy_function(f, 2))
    """
    from flowexec.data.experimental import map_and_batch

    return map_and_batch(map_func, batch_size, num_parallel_batches, drop_remainder,
                         num_parallel_calls)


def pad_to_cardinality(cardinality, mask_key="valid"):
    """Pads a dataset of dicts with zero elements up to `cardinality` elements, adding a
    bool `mask_key` entry: True for the original elements, False for the padding.

    Args:
        cardinality: the number of elements wanted (at least the dataset's).
        mask_key: the key of the mask entry.

    Returns:
        A transformation for `Dataset.apply`.

    Raises:
        ValueError: the elements are not dicts. (As TF in graph mode, a dataset of unknown
            or larger cardinality is not checked: the padding count is computed at run
            time from `cardinality()`.)

    Example:
        >>> ds = Dataset.from_tensor_slices({"a": [1, 2]}).apply(pad_to_cardinality(4))
        ... # {"a": 1, "valid": True}, {"a": 2, ...}, {"a": 0, "valid": False} (twice)
    """
    def apply(dataset):
        if not isinstance(dataset.element_spec, Mapping):
            raise ValueError("`pad_to_cardinality` requires its input dataset to be a "
                             "dictionary.")
        from flowexec.data.experimental import cardinality as cardinality_of
        from flowexec.ops import math_ops

        with name_scope("pad_to_cardinality"):
            # as TF builds it in graph mode: the count is a tensor, not checked
            padding = math_ops.subtract(
                convert_to_tensor(cardinality, dtype=dtypes.int64), cardinality_of(dataset))
            filler = {k: array_ops.zeros([0 if d is None else d for d in s.shape.as_list()],
                                         s.dtype)
                      for k, s in dataset.element_spec.items()}
            filler[mask_key] = convert_to_tensor(False)
        valid = dataset.map(lambda x: dict(x, **{mask_key: convert_to_tensor(True)}))
        return valid.concatenate(Dataset.from_tensors(filler).repeat(padding))
    return apply


__all__ = ["assert_cardinality", "dense_to_sparse_batch", "map_and_batch_with_legacy_function",
           "pad_to_cardinality", "snapshot"]
