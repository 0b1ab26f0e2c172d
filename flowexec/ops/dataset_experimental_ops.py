"""Dataset ops of the later `tf.data.experimental` functions: DenseToSparseBatchDataset,
AssertCardinalityDataset, SnapshotDataset, and the iterator state ops SerializeIterator /
DeserializeIterator.

    * DenseToSparseBatchDataset: `batch_size` elements of one dense component become one
      SparseTensor (three flat components: int64 indices [N, rank + 1], values [N], int64
      dense_shape [rank + 1]) holding every value of the elements, row-major, as TF's
      kernel writes it. `row_shape` fixes the dense shape of a row (-1: the longest in the
      batch). An element of another rank is InvalidArgumentError "Input element had shape
      ([2,2]) that is incompatible with the row shape ([2]).", one larger than the row
      shape DataLossError "... that is larger than the row shape ([1])."; either error
      takes the place of its batch (the elements read for it are dropped, as in TF).
    * AssertCardinalityDataset: its input, checked to have exactly `cardinality` elements:
      FailedPreconditionError "Input dataset was expected to contain 3 elements but
      contained at least 4 elements." at the first element too many (and at each later
      one), "... but contained only 2 elements." at an early end (and at each later
      get_next). Its cardinality is the asserted one.
    * SnapshotDataset: writes the elements of its first complete pass under
      `path/<snapshot name>/` and reads them back in later passes, in this session or any
      later process (a pass with an error, or an incomplete one, writes nothing). The
      Python API names a snapshot by a fingerprint of the input pipeline's graph.
    * SerializeIterator: a string scalar, the iterator's state (flowexec's replay state,
      see `IteratorResource`; TF's op gives a variant of its kernels' own state).
      DeserializeIterator restores it into the iterator.

Every op here is stateful, host-only and not differentiable.
"""

import json
import os

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import dataset_iterators as it
from flowexec.ops.dataset_iterators import Failed, _invalid
from flowexec.ops.dataset_ops import _resource, dataset_op, scalar

_STATE_FORMAT = "flowexec.iterator_state/1"


def _text(value):
    value = scalar(value)
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# ----- DenseToSparseBatchDataset -------------------------------------------------------------
class DenseToSparseBatchValue(it.DatasetValue):
    def __init__(self, input, batch_size, row_shape):
        if batch_size <= 0:
            raise _invalid("Batch size must be greater than zero.")
        row_shape = np.asarray(row_shape, dtype=np.int64).reshape(-1)
        if np.any(row_shape < -1):
            raise _invalid(f"row_shape must contain dimensions >= -1, got "
                           f"{it._shape_str(row_shape)}")
        self.input = input
        self.batch_size = int(batch_size)
        self.row_shape = tuple(int(d) for d in row_shape)

    def cardinality(self):
        n = self.input.cardinality()
        return n if n < 0 else -(-n // self.batch_size)

    def _row_shape_str(self):
        return "[" + ",".join("?" if d == -1 else str(d) for d in self.row_shape) + "]"

    def _check(self, value, dense):
        """The element's error (None if it fits), updating the batch's `dense` row shape."""
        if value.ndim != len(self.row_shape):
            return _invalid(f"Input element had shape ({it._shape_str(value.shape)}) that is "
                            f"incompatible with the row shape ({self._row_shape_str()}).")
        for j, want in enumerate(self.row_shape):
            if want == -1:
                dense[j] = max(dense[j], value.shape[j])
            elif value.shape[j] > want:
                return errors.DataLossError(
                    None, None, f"Input element had shape ({it._shape_str(value.shape)}) "
                    f"that is larger than the row shape ({self._row_shape_str()}).")
        return None

    def _sparse(self, values, dense):
        rank = len(self.row_shape)
        counts = [v.size for v in values]
        total = sum(counts)
        indices = np.zeros((total, rank + 1), dtype=np.int64)
        flat = [np.ravel(v) for v in values]
        if flat:
            out_values = np.concatenate(flat) if total else np.zeros(0, values[0].dtype)
        start = 0
        for i, v in enumerate(values):
            n = counts[i]
            indices[start:start + n, 0] = i
            if rank and n:
                indices[start:start + n, 1:] = np.stack(
                    np.unravel_index(np.arange(n), v.shape), axis=1)
            start += n
        dense_shape = np.asarray([len(values)] + dense, dtype=np.int64)
        return indices, out_values, dense_shape

    def iterate(self, ctx):
        source = self.input.iterate(ctx)
        while True:
            values, error = [], None
            dense = [0 if d == -1 else d for d in self.row_shape]
            for element in source:
                if element.__class__ is Failed:
                    error = element
                    break
                value = np.asarray(element[0])
                problem = self._check(value, dense)
                if problem is not None:
                    error = Failed(problem)
                    break
                values.append(value)
                if len(values) == self.batch_size:
                    break
            if error is not None:
                yield error
                continue
            if not values:
                return
            yield self._sparse(values, dense)
            if len(values) < self.batch_size:
                return


@dataset_op("DenseToSparseBatchDataset")
def _dense_to_sparse_batch_dataset(xp, input_dataset, batch_size, row_shape, *, output_types,
                                   output_shapes):
    return DenseToSparseBatchValue(input_dataset, scalar(batch_size), np.asarray(row_shape))


# ----- AssertCardinalityDataset --------------------------------------------------------------
def _elements(n):
    if n == it.INFINITE:
        return "an infinite number of elements"
    return f"{n} element" + ("" if n == 1 else "s")


class AssertCardinalityValue(it.DatasetValue):
    def __init__(self, input, cardinality):
        self.input = input
        self.expected = int(cardinality)

    def cardinality(self):
        return self.expected

    def _error(self, how, n):
        return Failed(errors.FailedPreconditionError(
            None, None, f"Input dataset was expected to contain {_elements(self.expected)} "
            f"but contained {how} {_elements(n)}."))

    def iterate(self, ctx):
        n = 0
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            n += 1
            if self.expected != it.INFINITE and n > self.expected:
                yield self._error("at least", n)
                continue
            yield element
        if n != self.expected:
            while True:  # every later get_next reports it again, as TF's iterator does
                yield self._error("only", n)


@dataset_op("AssertCardinalityDataset")
def _assert_cardinality_dataset(xp, input_dataset, cardinality, *, output_types,
                                output_shapes):
    return AssertCardinalityValue(input_dataset, scalar(cardinality))


# ----- SnapshotDataset -----------------------------------------------------------------------
class SnapshotValue(it.CacheValue):
    """A CacheValue whose file is `path/<name>/snapshot.npz`, written atomically when the
    first complete pass ends."""

    def __init__(self, input, path, name):
        if not path:
            raise _invalid("snapshot path must not be empty.")
        directory = os.path.join(path, name)
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as e:
            raise errors.PermissionDeniedError(
                None, None, f"Could not create the snapshot directory {directory}: {e}") from e
        super().__init__(input, os.path.join(directory, "snapshot.npz"))


_COMPRESSIONS = ("", "AUTO", "GZIP", "SNAPPY", "NONE")


@dataset_op("SnapshotDataset")
def _snapshot_dataset(xp, input_dataset, path, *, output_types, output_shapes,
                      compression="", snapshot_name="", **tf_options):
    del tf_options  # reader/writer threads, buffer and shard sizes, expiry: TF's tuning
    if compression not in _COMPRESSIONS:
        raise _invalid(f"Compression type {compression} is not supported.")
    return SnapshotValue(input_dataset, _text(path), snapshot_name or "default")


# ----- iterator state ------------------------------------------------------------------------
def _string_infer(op):
    return [(dtypes.string, TensorShape([]))]


def _no_outputs(op):
    return []


@defop("SerializeIterator", infer=_string_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _serialize_iterator(ctx, xp, resource_handle, *, external_state_policy=0):
    consumed, exhausted = _resource(ctx, resource_handle).state()
    state = {"format": _STATE_FORMAT, "consumed": consumed, "exhausted": exhausted}
    return np.asarray(json.dumps(state, sort_keys=True).encode("utf-8"), dtype=object)


def _parse_state(serialized):
    value = np.asarray(serialized, dtype=object).reshape(-1)
    try:
        raw = value[0]
        state = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
        if state.get("format") != _STATE_FORMAT:
            raise ValueError(f"format {state.get('format')!r}")
        return int(state["consumed"]), bool(state["exhausted"])
    except (IndexError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise errors.DataLossError(
            None, None, f"The iterator state is not a flowexec iterator state ({e}).") from e


@defop("DeserializeIterator", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _deserialize_iterator(ctx, xp, resource_handle, serialized):
    consumed, exhausted = _parse_state(serialized)
    _resource(ctx, resource_handle).restore(consumed, exhausted)
    return ()


_serialize_iterator.not_differentiable()
_deserialize_iterator.not_differentiable()
