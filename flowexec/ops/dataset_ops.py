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

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import dataset_iterators as it

_ONE_SHOT_LOCK = threading.Lock()


def _variant_infer(op):
    return [(dtypes.variant, TensorShape([]))]


def _resource_infer(op):
    return [(dtypes.resource, TensorShape([]))]


def _dataset_op(type_name, needs_ctx=False):
    def register(kernel):
        od = defop(type_name, infer=_variant_infer, stateful=True, needs_ctx=needs_ctx,
                   device_types=("CPU",))(kernel)
        od.not_differentiable()
        return od
    return register


def _scalar(x):
    return np.asarray(x).item()


# ----- sources -------------------------------------------------------------------------------
@_dataset_op("TensorDataset")
def _tensor_dataset(xp, *components, output_shapes):
    return it.TensorsValue(components)


@_dataset_op("TensorSliceDataset")
def _tensor_slice_dataset(xp, *components, output_shapes):
    return it.SlicesValue(components)


@_dataset_op("RangeDataset")
def _range_dataset(xp, start, stop, step):
    return it.RangeValue(_scalar(start), _scalar(stop), _scalar(step))


@_dataset_op("GeneratorDataset")
def _generator_dataset(xp, *args, generator, output_types, output_shapes):
    return it.GeneratorValue(generator, args)


@_dataset_op("TextLineDataset")
def _text_line_dataset(xp, filenames, compression_type, buffer_size):
    return it.TextLineValue(filenames, _scalar(compression_type))


@_dataset_op("FixedLengthRecordDatasetV2")
def _fixed_length_record_dataset(xp, filenames, header_bytes, record_bytes, footer_bytes,
                                 buffer_size, compression_type):
    return it.FixedLengthRecordValue(filenames, _scalar(header_bytes), _scalar(record_bytes),
                                     _scalar(footer_bytes), _scalar(compression_type))


@_dataset_op("TFRecordDataset")
def _tf_record_dataset(xp, filenames, compression_type, buffer_size):
    return it.TFRecordValue(filenames, _scalar(compression_type))


@_dataset_op("ZipDataset")
def _zip_dataset(xp, *input_datasets):
    return it.ZipValue(input_datasets)


@_dataset_op("ConcatenateDataset")
def _concatenate_dataset(xp, input_dataset, another_dataset):
    return it.ConcatenateValue(input_dataset, another_dataset)


# ----- functions -----------------------------------------------------------------------------
@_dataset_op("MapDataset", needs_ctx=True)
def _map_dataset(ctx, xp, input_dataset, *other_arguments, f):
    return it.MapValue(input_dataset, ctx.function(f), other_arguments)


@_dataset_op("ParallelMapDataset", needs_ctx=True)
def _parallel_map_dataset(ctx, xp, input_dataset, num_parallel_calls, *other_arguments, f):
    return it.MapValue(input_dataset, ctx.function(f), other_arguments,
                       _scalar(num_parallel_calls))


@_dataset_op("FilterDataset", needs_ctx=True)
def _filter_dataset(ctx, xp, input_dataset, *other_arguments, predicate):
    return it.FilterValue(input_dataset, ctx.function(predicate), other_arguments)


@_dataset_op("FlatMapDataset", needs_ctx=True)
def _flat_map_dataset(ctx, xp, input_dataset, *other_arguments, f):
    return it.InterleaveValue(input_dataset, ctx.function(f), other_arguments, 1, 1)


@_dataset_op("InterleaveDataset", needs_ctx=True)
def _interleave_dataset(ctx, xp, input_dataset, cycle_length, block_length, *other_arguments,
                        f):
    return it.InterleaveValue(input_dataset, ctx.function(f), other_arguments,
                              _scalar(cycle_length), _scalar(block_length))


# ----- batching, order, counts ---------------------------------------------------------------
@_dataset_op("BatchDatasetV2")
def _batch_dataset(xp, input_dataset, batch_size, drop_remainder):
    return it.BatchValue(input_dataset, _scalar(batch_size), _scalar(drop_remainder))


@_dataset_op("PaddedBatchDatasetV2")
def _padded_batch_dataset(xp, input_dataset, batch_size, drop_remainder, *shapes_and_values,
                          n):
    return it.PaddedBatchValue(input_dataset, _scalar(batch_size), _scalar(drop_remainder),
                               shapes_and_values[:n], shapes_and_values[n:])


@_dataset_op("UnbatchDataset")
def _unbatch_dataset(xp, input_dataset):
    return it.UnbatchValue(input_dataset)


@_dataset_op("ShuffleDataset")
def _shuffle_dataset(xp, input_dataset, buffer_size, seed, seed2, *,
                     reshuffle_each_iteration):
    return it.ShuffleValue(input_dataset, _scalar(buffer_size), _scalar(seed), _scalar(seed2),
                           reshuffle_each_iteration)


@_dataset_op("RepeatDataset")
def _repeat_dataset(xp, input_dataset, count):
    return it.RepeatValue(input_dataset, _scalar(count))


@_dataset_op("TakeDataset")
def _take_dataset(xp, input_dataset, count):
    return it.TakeValue(input_dataset, _scalar(count))


@_dataset_op("SkipDataset")
def _skip_dataset(xp, input_dataset, count):
    return it.SkipValue(input_dataset, _scalar(count))


@_dataset_op("ShardDataset")
def _shard_dataset(xp, input_dataset, num_shards, index):
    return it.ShardValue(input_dataset, _scalar(num_shards), _scalar(index))


@_dataset_op("PrefetchDataset")
def _prefetch_dataset(xp, input_dataset, buffer_size):
    return it.PrefetchValue(input_dataset, _scalar(buffer_size))


@_dataset_op("CacheDataset")
def _cache_dataset(xp, input_dataset, filename):
    return it.CacheValue(input_dataset, _scalar(filename))


@_dataset_op("OptionsDataset")
def _options_dataset(xp, input_dataset, *, options):
    return it.OptionsValue(input_dataset, options)


@_dataset_op("IgnoreErrorsDataset")
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
    return shared_name or ctx.op.name


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

