"""`tf.data.experimental`: AUTOTUNE and the transformations TF 1.x programs `apply`.

Each function returns a `transformation_func` for `Dataset.apply`, as in TF. The stateful
and grouping transformations (scan, take_while, unique, group_by_window, group_by_reducer,
bucket_by_sequence_length) are in grouping.py, CsvDataset / make_csv_dataset in csv.py,
RandomDataset, choose/sample_from_datasets, filter_for_shard, TFRecordWriter and the device
functions in sampling.py, Optional / get_next_as_optional in optional.py, the Example
parsing pipelines in parsing.py, dense_to_sparse_batch / assert_cardinality / snapshot /
pad_to_cardinality in transformations.py, rejection_resample in resampling.py,
make_saveable_from_iterator / get_structure in iterator_state.py.

Example:
    >>> ds = Dataset.range(10).apply(shuffle_and_repeat(buffer_size=10, count=2, seed=1))
"""

import numpy as np

from flowexec.data import structure
from flowexec.data.csv import CsvDataset, make_csv_dataset
from flowexec.data.sql import SqlDataset
from flowexec.data.dataset import AUTOTUNE, Dataset
from flowexec.data.grouping import (
    Reducer,
    bucket_by_sequence_length,
    group_by_reducer,
    group_by_window,
    scan,
    take_while,
    unique,
)
from flowexec.data.iterator_state import get_structure, make_saveable_from_iterator
from flowexec.data.optional import Optional, get_next_as_optional
from flowexec.data.parsing import make_batched_features_dataset, parse_example_dataset
from flowexec.data.sampling import (
    RandomDataset,
    TFRecordWriter,
    choose_from_datasets,
    copy_to_device,
    filter_for_shard,
    prefetch_to_device,
    sample_from_datasets,
)
from flowexec.data.resampling import rejection_resample
from flowexec.data.transformations import (
    assert_cardinality,
    dense_to_sparse_batch,
    map_and_batch_with_legacy_function,
    pad_to_cardinality,
    snapshot,
)
from flowexec.data.options import AutotuneOptions, OptimizationOptions, ThreadingOptions
from flowexec.framework import dtypes, nest
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.ops import math_ops
from flowexec.ops.dataset_iterators import INFINITE as INFINITE_CARDINALITY
from flowexec.ops.dataset_iterators import UNKNOWN as UNKNOWN_CARDINALITY


def cardinality(dataset):
    """An int64 scalar: the number of elements of `dataset`, INFINITE_CARDINALITY (-1) or
    UNKNOWN_CARDINALITY (-2), computed from its structure as TF does (a `filter` or a
    generator makes it unknown; `repeat()` of a non-empty dataset infinite).

    Example:
        >>> cardinality(Dataset.range(10).batch(3))  # evaluates to 4
    """
    return apply_op("DatasetCardinality", dataset._variant_tensor)


def get_single_element(dataset):
    """The tensors of the only element of `dataset` (an error at run time when it has none
    or more than one: InvalidArgumentError "Dataset was empty." / "... more than one
    element.")."""
    flat = structure.flat_specs(dataset.element_spec)
    outs = apply_op("DatasetToSingleElement", dataset._variant_tensor,
                    output_types=[s.dtype for s in flat], output_shapes=[s.shape for s in flat])
    outs = [outs] if isinstance(outs, Tensor) else list(outs)
    return structure.pack_components(dataset.element_spec, outs)


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False,
                        buffer_output_elements=None, prefetch_input_elements=None):
    """`interleave(map_func, cycle_length, block_length)` for `Dataset.apply`. The order is
    the deterministic interleave order (what `sloppy=False` asks; `sloppy=True` allows any
    order, so the same one is correct); the buffering arguments only size TF's buffers."""
    del sloppy, buffer_output_elements, prefetch_input_elements

    def apply(dataset):
        return dataset.interleave(map_func, cycle_length, block_length)
    return apply


def Counter(start=0, step=1, dtype=dtypes.int64):
    """An endless dataset `start, start + step, ...` of `dtype` scalars."""
    limit = np.iinfo(np.int64).max if step > 0 else np.iinfo(np.int64).min
    ds = Dataset.range(start, limit, step)
    dtype = dtypes.as_dtype(dtype)
    return ds if dtype is dtypes.int64 else ds.map(lambda x: math_ops.cast(x, dtype))


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """Shuffles and repeats `count` times (None: forever), a new order in each epoch."""
    def apply(dataset):
        return dataset.shuffle(buffer_size, seed, reshuffle_each_iteration=True).repeat(count)
    return apply


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    """`map(map_func)` then `batch(batch_size, drop_remainder)`; the map runs
    `num_parallel_calls` (or `num_parallel_batches * batch_size`) calls at once.

    Raises:
        ValueError: both `num_parallel_batches` and `num_parallel_calls` are given.
    """
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("`map_and_batch` `num_parallel_batches` and `num_parallel_calls` "
                         "are mutually exclusive.")
    if num_parallel_batches is not None:
        num_parallel_calls = num_parallel_batches * batch_size

    def apply(dataset):
        return dataset.map(map_func, num_parallel_calls).batch(batch_size, drop_remainder)
    return apply


def unbatch():
    """Splits each element along its first dimension (`Dataset.unbatch`)."""
    def apply(dataset):
        return dataset.unbatch()
    return apply


def ignore_errors():
    """Drops the elements whose computation failed (TF logs them; nothing is raised).

    Example:
        >>> ds = Dataset.from_tensor_slices([1., 0., 2.]).map(
        ...     lambda x: tf.check_numerics(1. / x, "inf")).apply(ignore_errors())  # 1., .5
    """
    def apply(dataset):
        return dataset._op("IgnoreErrorsDataset")
    return apply


def enumerate_dataset(start=0):
    """(index, element) pairs (`Dataset.enumerate`)."""
    def apply(dataset):
        return dataset.enumerate(start)
    return apply


__all__ = [
    "AUTOTUNE",
    "AutotuneOptions",
    "Counter",
    "CsvDataset",
    "INFINITE_CARDINALITY",
    "OptimizationOptions",
    "Optional",
    "RandomDataset",
    "Reducer",
    "SqlDataset",
    "TFRecordWriter",
    "ThreadingOptions",
    "UNKNOWN_CARDINALITY",
    "assert_cardinality",
    "bucket_by_sequence_length",
    "cardinality",
    "choose_from_datasets",
    "copy_to_device",
    "dense_to_sparse_batch",
    "enumerate_dataset",
    "filter_for_shard",
    "get_next_as_optional",
    "get_single_element",
    "get_structure",
    "group_by_reducer",
    "group_by_window",
    "ignore_errors",
    "make_batched_features_dataset",
    "make_csv_dataset",
    "make_saveable_from_iterator",
    "map_and_batch",
    "map_and_batch_with_legacy_function",
    "pad_to_cardinality",
    "parallel_interleave",
    "parse_example_dataset",
    "prefetch_to_device",
    "rejection_resample",
    "sample_from_datasets",
    "scan",
    "shuffle_and_repeat",
    "snapshot",
    "take_while",
    "unbatch",
    "unique",
]
