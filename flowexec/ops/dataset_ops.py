"""Dataset and iterator ops: the graph side of `tf.data` (the Python API is `flowexec.data`).

Each dataset op outputs a scalar `variant` tensor whose value is a `DatasetValue` recipe
(`dataset_iterators.py`) built from its inputs: the input datasets' variants, its tensor
arguments (batch sizes, counts, seeds — evaluated when the op runs, so they may be fed),
and, for ops with a function (`map`, `filter`, `flat_map`, `interleave`), the values of
the function's captured outer tensors. The function itself is a `FuncGraph` attribute,
planned once per session through `ctx.function`.

Iterator ops keep their state in the session, like variables: `IteratorV2` and
`OneShotIterator` output a `resource` handle (the state key), `MakeIterator` starts a pass
over a dataset, `IteratorGetNext` advances it and raises OutOfRangeError("End of sequence")
at the end, or FailedPreconditionError before the first `MakeIterator`.

Every op here is stateful (never folded, merged or pruned as a constant), host-only and not
differentiable.
"""

import threading

import numpy as np

from flowexec.framework import dtypes, errors, resources
from flowexec.framework.registry import defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import dataset_iterators as it

_ONE_SHOT_LOCK = threading.Lock()


def variant_infer(op):
    return [(dtypes.variant, TensorShape([]))]


def _resource_infer(op):
    return [(dtypes.resource, TensorShape([]))]


def dataset_op(type_name, infer=None, needs_ctx=False):
    """Registers a host-only, stateful, not differentiable dataset op (default inference:
    one scalar variant, the dataset)."""
    def register(kernel):
        od = defop(type_name, infer=infer or variant_infer, stateful=True,
                   needs_ctx=needs_ctx, device_types=("CPU",))(kernel)
        od.not_differentiable()
        return od
    return register


def scalar(x):
    """A 0-d kernel input as a Python value."""
    return np.asarray(x).item()


# ----- sources -------------------------------------------------------------------------------
@dataset_op("TensorDataset")
def _tensor_dataset(xp, *components, output_shapes):
    return it.TensorsValue(components)


@dataset_op("TensorSliceDataset")
def _tensor_slice_dataset(xp, *components, output_shapes):
    return it.SlicesValue(components)


@dataset_op("RangeDataset")
def _range_dataset(xp, start, stop, step):
    return it.RangeValue(scalar(start), scalar(stop), scalar(step))


@dataset_op("GeneratorDataset")
def _generator_dataset(xp, *args, generator, output_types, output_shapes):
    return it.GeneratorValue(generator, args)


@dataset_op("TextLineDataset")
def _text_line_dataset(xp, filenames, compression_type, buffer_size):
    return it.TextLineValue(filenames, scalar(compression_type))


@dataset_op("FixedLengthRecordDatasetV2")
def _fixed_length_record_dataset(xp, filenames, header_bytes, record_bytes, footer_bytes,
                                 buffer_size, compression_type):
    return it.FixedLengthRecordValue(filenames, scalar(header_bytes), scalar(record_bytes),
                                     scalar(footer_bytes), scalar(compression_type))


@dataset_op("TFRecordDataset")
def _tf_record_dataset(xp, filenames, compression_type, buffer_size):
    return it.TFRecordValue(filenames, scalar(compression_type))


@dataset_op("ZipDataset")
def _zip_dataset(xp, *input_datasets):
    return it.ZipValue(input_datasets)


@dataset_op("ConcatenateDataset")
def _concatenate_dataset(xp, input_dataset, another_dataset):
    return it.ConcatenateValue(input_dataset, another_dataset)


# ----- functions -----------------------------------------------------------------------------
@dataset_op("MapDataset", needs_ctx=True)
def _map_dataset(ctx, xp, input_dataset, *other_arguments, f):
    return it.MapValue(input_dataset, ctx.function(f), other_arguments)


@dataset_op("ParallelMapDataset", needs_ctx=True)
def _parallel_map_dataset(ctx, xp, input_dataset, num_parallel_calls, *other_arguments, f):
    return it.MapValue(input_dataset, ctx.function(f), other_arguments,
                       scalar(num_parallel_calls))


@dataset_op("FilterDataset", needs_ctx=True)
def _filter_dataset(ctx, xp, input_dataset, *other_arguments, predicate):
    return it.FilterValue(input_dataset, ctx.function(predicate), other_arguments)


@dataset_op("FlatMapDataset", needs_ctx=True)
def _flat_map_dataset(ctx, xp, input_dataset, *other_arguments, f):
    return it.InterleaveValue(input_dataset, ctx.function(f), other_arguments, 1, 1)


@dataset_op("InterleaveDataset", needs_ctx=True)
def _interleave_dataset(ctx, xp, input_dataset, cycle_length, block_length, *other_arguments,
                        f):
    return it.InterleaveValue(input_dataset, ctx.function(f), other_arguments,
                              scalar(cycle_length), scalar(block_length))


# ----- batching, order, counts ---------------------------------------------------------------
@dataset_op("BatchDatasetV2")
def _batch_dataset(xp, input_dataset, batch_size, drop_remainder):
    return it.BatchValue(input_dataset, scalar(batch_size), scalar(drop_remainder))


@dataset_op("PaddedBatchDatasetV2")
def _padded_batch_dataset(xp, input_dataset, batch_size, drop_remainder, *shapes_and_values,
                          n):
    return it.PaddedBatchValue(input_dataset, scalar(batch_size), scalar(drop_remainder),
                               shapes_and_values[:n], shapes_and_values[n:])


@dataset_op("UnbatchDataset")
def _unbatch_dataset(xp, input_dataset):
    return it.UnbatchValue(input_dataset)


@dataset_op("ShuffleDataset")
def _shuffle_dataset(xp, input_dataset, buffer_size, seed, seed2, *,
                     reshuffle_each_iteration):
    return it.ShuffleValue(input_dataset, scalar(buffer_size), scalar(seed), scalar(seed2),
                           reshuffle_each_iteration)


@dataset_op("RepeatDataset")
def _repeat_dataset(xp, input_dataset, count):
    return it.RepeatValue(input_dataset, scalar(count))


@dataset_op("TakeDataset")
def _take_dataset(xp, input_dataset, count):
    return it.TakeValue(input_dataset, scalar(count))


@dataset_op("SkipDataset")
def _skip_dataset(xp, input_dataset, count):
    return it.SkipValue(input_dataset, scalar(count))


@dataset_op("ShardDataset")
def _shard_dataset(xp, input_dataset, num_shards, index):
    return it.ShardValue(input_dataset, scalar(num_shards), scalar(index))


@dataset_op("PrefetchDataset")
def _prefetch_dataset(xp, input_dataset, buffer_size):
    return it.PrefetchValue(input_dataset, scalar(buffer_size))


@dataset_op("CacheDataset")
def _cache_dataset(xp, input_dataset, filename):
    return it.CacheValue(input_dataset, scalar(filename))


@dataset_op("OptionsDataset")
def _options_dataset(xp, input_dataset, *, options):
    return it.OptionsValue(input_dataset, options)


@dataset_op("IgnoreErrorsDataset")
def _ignore_errors_dataset(xp, input_dataset):
    return it.IgnoreErrorsValue(input_dataset)


def _cardinality_infer(op):
    return [(dtypes.int64, TensorShape([]))]


@defop("DatasetCardinality", infer=_cardinality_infer, stateful=True, device_types=("CPU",))
def _dataset_cardinality(xp, input_dataset):
    return np.int64(input_dataset.cardinality())


_dataset_cardinality.not_differentiable()


def _typed_infer(op):
    return list(zip(op.attrs["output_types"], op.attrs["output_shapes"]))


def _unpack(values):
    return values[0] if len(values) == 1 else tuple(values)


@defop("ReduceDataset", infer=_typed_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _reduce_dataset(ctx, xp, input_dataset, *args, f, n_state, output_types, output_shapes):
    fn = ctx.function(f)
    return _unpack(it.reduce(input_dataset, fn, args[:n_state], args[n_state:]))


@defop("DatasetToSingleElement", infer=_typed_infer, stateful=True, device_types=("CPU",))
def _dataset_to_single_element(xp, dataset, *, output_types, output_shapes):
    return _unpack(it.single_element(dataset))


_reduce_dataset.not_differentiable()
_dataset_to_single_element.not_differentiable()


# ----- iterators -----------------------------------------------------------------------------
def _iterator_key(handle):
    return ("iterator", handle)


def _resource(ctx, handle):
    resource = ctx.state.get(_iterator_key(handle))
    if resource is None:
        raise errors.FailedPreconditionError(
            None, None, "GetNext() failed because the iterator has not been initialized. "
            "Ensure that you have run the initializer operation for this iterator before "
            "getting the next element.")
    return resource


@defop("IteratorV2", infer=_resource_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _iterator_v2(ctx, xp, *, shared_name, container, output_types, output_shapes):
    return resources.qualified(container, shared_name or ctx.op.name)


@defop("OneShotIterator", infer=_resource_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _one_shot_iterator(ctx, xp, dataset, *, output_types, output_shapes):
    key = _iterator_key(ctx.op.name)
    if key not in ctx.state:  # created by the first run in each session, then kept
        with _ONE_SHOT_LOCK:
            if key not in ctx.state:
                ctx.state[key] = it.IteratorResource(dataset)
    return ctx.op.name


def _make_iterator_infer(op):
    return []


@defop("MakeIterator", infer=_make_iterator_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _make_iterator(ctx, xp, dataset, iterator):
    ctx.state[_iterator_key(iterator)] = it.IteratorResource(dataset)
    return ()


@defop("IteratorGetNext", infer=_typed_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _iterator_get_next(ctx, xp, iterator, *, output_types, output_shapes):
    return _unpack(_resource(ctx, iterator).get_next())


def _string_infer(op):
    return [(dtypes.string, TensorShape([]))]


@defop("IteratorToStringHandle", infer=_string_infer, stateful=True, device_types=("CPU",))
def _iterator_to_string_handle(xp, resource_handle):
    return np.asarray(str(resource_handle).encode("utf-8"), dtype=object)


@defop("IteratorFromStringHandleV2", infer=_resource_infer, stateful=True,
       device_types=("CPU",))
def _iterator_from_string_handle(xp, string_handle, *, output_types, output_shapes):
    handle = np.asarray(string_handle, dtype=object).item()
    return handle.decode("utf-8") if isinstance(handle, bytes) else str(handle)


for _od in (_iterator_v2, _one_shot_iterator, _make_iterator, _iterator_get_next,
            _iterator_to_string_handle, _iterator_from_string_handle):
    _od.not_differentiable()

