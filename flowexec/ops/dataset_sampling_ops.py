"""Dataset ops for random and directed inputs, optionals and writing: RandomDataset,
DirectedInterleaveDataset (`choose_from_datasets`, `sample_from_datasets`),
IteratorGetNextAsOptional and the Optional ops, DatasetToTFRecord.

    * RandomDataset: endless int64 scalars, TF's: the uint32 outputs of
      PhiloxRandom(seed, seed2) one at a time (`philox.py`); seeds (0, 0) are drawn fresh
      when the op runs. Every pass over one dataset value repeats the same sequence.
    * DirectedInterleaveDataset: for each int64 of the selector, the next element of that
      input; an input that has ended is skipped (its selections are dropped); the dataset
      ends with the selector or when every input has ended. A selector value out of range is
      InvalidArgumentError "Selector index out of range: 3 >= 2".
    * An optional is an `OptionalValue` in a variant tensor: the flat values, or none.
      OptionalGetValue of an empty one is InvalidArgumentError "The optional does not have a
      value."
    * DatasetToTFRecord writes every (scalar string) element as a TFRecord, compressed as
      `compression_type` says ("", "ZLIB", "GZIP"), when the op runs.

Every op here is stateful, host-only and not differentiable.
"""

import gzip
import zlib

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import dataset_iterators as it
from flowexec.ops import record_format
from flowexec.ops.dataset_iterators import Failed, _invalid
from flowexec.ops.dataset_ops import dataset_op, scalar
from flowexec.ops.philox import Philox


def _typed_infer(op):
    return list(zip(op.attrs["output_types"], op.attrs["output_shapes"]))


def _op(type_name, infer=None, needs_ctx=False):
    return dataset_op(type_name, infer=infer, needs_ctx=needs_ctx)


# ----- RandomDataset -------------------------------------------------------------------------
class RandomValue(it.DatasetValue):
    def __init__(self, seed, seed2):
        # fresh seeds are drawn once, so that every pass repeats one sequence (TF's)
        philox = Philox(int(seed), int(seed2))
        self.key, self.counter = philox.key, philox.counter

    def cardinality(self):
        return it.INFINITE

    def iterate(self, ctx):
        philox = Philox(1, 1)
        philox.key, philox.counter = self.key, self.counter
        for value in philox.reserve32(1 << 62):
            yield (np.int64(value),)


@_op("RandomDataset")
def _random_dataset(xp, seed, seed2, *, output_types, output_shapes):
    return RandomValue(scalar(seed), scalar(seed2))


# ----- DirectedInterleaveDataset -------------------------------------------------------------
class DirectedInterleaveValue(it.DatasetValue):
    def __init__(self, selector, inputs):
        self.selector = selector.instance()
        self.inputs = tuple(d.instance() for d in inputs)

    def iterate(self, ctx):
        live = [d.iterate(ctx) for d in self.inputs]
        active = len(live)
        for choice in self.selector.iterate(ctx):
            if choice.__class__ is Failed:
                yield choice
                continue
            index = int(choice[0])
            if not 0 <= index < len(live):
                yield Failed(_invalid(f"Selector index out of range: {index} >= "
                                      f"{len(live)}"))
                continue
            if live[index] is None:
                continue
            try:
                element = next(live[index])
            except StopIteration:
                live[index] = None
                active -= 1
                if active == 0:
                    return
                continue
            yield element


@_op("DirectedInterleaveDataset")
def _directed_interleave_dataset(xp, selector_input_dataset, *data_input_datasets,
                                 output_types, output_shapes):
    return DirectedInterleaveValue(selector_input_dataset, data_input_datasets)


# ----- optionals -----------------------------------------------------------------------------
class OptionalValue:
    """The value of an optional variant: `values` (a tuple of arrays) or None."""

    __slots__ = ("values",)

    def __init__(self, values=None):
        self.values = values


def _bool_infer(op):
    return [(dtypes.bool, TensorShape([]))]


@_op("IteratorGetNextAsOptional", needs_ctx=True)
def _iterator_get_next_as_optional(ctx, xp, iterator, *, output_types, output_shapes):
    from flowexec.ops.dataset_ops import _resource

    try:
        return OptionalValue(tuple(_resource(ctx, iterator).get_next()))
    except errors.OutOfRangeError:
        return OptionalValue()


@_op("OptionalFromValue")
def _optional_from_value(xp, *components):
    return OptionalValue(tuple(components))


@_op("OptionalNone")
def _optional_none(xp):
    return OptionalValue()


@_op("OptionalHasValue", infer=_bool_infer)
def _optional_has_value(xp, optional):
    return np.bool_(optional.values is not None)


@_op("OptionalGetValue", infer=_typed_infer)
def _optional_get_value(xp, optional, *, output_types, output_shapes):
    if optional.values is None:
        raise _invalid("The optional does not have a value.")
    return optional.values[0] if len(optional.values) == 1 else optional.values


# ----- DatasetToTFRecord ---------------------------------------------------------------------
def _no_outputs(op):
    return []


@_op("DatasetToTFRecord", infer=_no_outputs)
def _dataset_to_tf_record(xp, input_dataset, filename, compression_type):
    name = scalar(filename)
    name = name.decode("utf-8") if isinstance(name, bytes) else str(name)
    compression = scalar(compression_type)
    compression = compression.decode() if isinstance(compression, bytes) else compression
    if compression not in ("", "ZLIB", "GZIP"):
        raise _invalid(f"Unsupported compression_type: {compression}.")
    records = []
    for element in input_dataset.iterate(it.PipelineContext()):
        if element.__class__ is Failed:
            raise element.error
        value = np.asarray(element[0], dtype=object).item()
        records.append(record_format.encode(value if isinstance(value, bytes)
                                            else str(value).encode("utf-8")))
    data = b"".join(records)
    if compression == "ZLIB":
        data = zlib.compress(data)
    opener = gzip.open if compression == "GZIP" else open
    with opener(name, "wb") as f:
        f.write(data)
    return ()
