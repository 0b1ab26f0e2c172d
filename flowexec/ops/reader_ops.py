"""TF 1.x readers: TFRecordReader, TextLineReader, WholeFileReader, FixedLengthRecordReader,
IdentityReader and their base ReaderBase.

A reader produces (key, value) records from a queue of work (file names, e.g. from
`tf.train.string_input_producer`): when its current file is used up it dequeues the next
one, blocking as a queue dequeue does; when the queue is closed and empty, `read` raises
OutOfRangeError (the end of the input, which stops a MonitoredSession). Keys are TF's:
"<file>:<line>" (TextLine, counting from 1 after the header lines), "<file>:<record index>"
(FixedLength), "<file>:<byte offset>" (TFRecord), the file name (WholeFile) and the work
itself (Identity). The reader's state (open file, position, counters) lives in the Session;
every op is stateful and host-only.
"""

import itertools
import threading

import numpy as np

from flowexec.framework import dtypes, errors, resources
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import data_flow_ops as _q
from flowexec.ops import record_format

__all__ = ["FixedLengthRecordReader", "IdentityReader", "ReaderBase", "TFRecordReader",
           "TextLineReader", "WholeFileReader"]

_HOST = ("CPU",)
_CREATE_LOCK = threading.Lock()


class _ReaderState:
    def __init__(self, kind, attrs):
        self.kind = kind
        self.attrs = attrs
        self.lock = threading.Lock()
        self.work = None      # the current work item (a file name), bytes
        self.records = None   # an iterator of (key, value) for the current work
        self.produced = 0
        self.completed = 0

    def reset(self):
        self.work, self.records = None, None
        self.produced = self.completed = 0


def _as_str(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)


def _records(kind, attrs, work):
    name = _as_str(work)
    if kind == "IdentityReader":
        yield work, work
        return
    if kind == "WholeFileReader":
        try:
            with open(name, "rb") as f:
                yield work, f.read()
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"{name}; No such file or directory") \
                from None
        return
    if kind == "TextLineReader":
        try:
            f = open(name, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"{name}; No such file or directory") \
                from None
        with f:
            for i, line in enumerate(f):
                if i < attrs.get("skip_header_lines", 0):
                    continue
                yield f"{name}:{i + 1}".encode(), line.rstrip(b"\n").rstrip(b"\r")
        return
    if kind == "FixedLengthRecordReader":
        header, size = attrs.get("header_bytes", 0), attrs["record_bytes"]
        footer, hop = attrs.get("footer_bytes", 0), attrs.get("hop_bytes", 0)
        f = record_format.open_read(name, attrs.get("encoding", ""))
        with f:
            data = f.read()
        body = data[header:len(data) - footer if footer else len(data)]
        step = hop if hop > 0 else size
        index = 0
        pos = 0
        while pos + size <= len(body):
            yield f"{name}:{index}".encode(), body[pos:pos + size]
            index += 1
            pos += step
        return
    if kind == "TFRecordReader":
        f = record_format.open_read(name, attrs.get("compression_type", ""))
        with f:
            offset = 0
            try:
                for rec in record_format.read_records(f, name):
                    yield f"{name}:{offset}".encode(), rec
                    offset += 16 + len(rec)
            except record_format.CorruptRecord as e:
                raise errors.DataLossError(None, None, str(e)) from None
        return
    raise errors.InternalError(None, None, f"unknown reader {kind}")


def _reader_kernel(kind):
    def kernel(ctx, xp, **attrs):
        shared = attrs.pop("shared_name", "") or ""
        container = attrs.pop("container", "")
        key = ("reader", resources.qualified(container, shared or ctx.op.name))
        if key not in ctx.state:
            with _CREATE_LOCK:
                ctx.state.setdefault(key, _ReaderState(kind, attrs))
        return key[1]
    return kernel


_KINDS = {
    "TFRecordReaderV2": "TFRecordReader",
    "TextLineReaderV2": "TextLineReader",
    "WholeFileReaderV2": "WholeFileReader",
    "FixedLengthRecordReaderV2": "FixedLengthRecordReader",
    "IdentityReaderV2": "IdentityReader",
}
for _op_type, _kind in _KINDS.items():
    defop(_op_type, infer=_q._resource_infer, stateful=True, needs_ctx=True,
          device_types=_HOST)(_reader_kernel(_kind)).not_differentiable()


def _reader(ctx, handle):
    state = ctx.state.get(("reader", str(np.asarray(handle).item())))
    if state is None:
        raise errors.NotFoundError(None, None, f"Resource {handle} does not exist.")
    return state


def _next_record(ctx, state, queue_handle):
    """The reader's next (key, value), dequeuing new work as needed (caller holds the lock)."""
    while True:
        if state.records is not None:
            rec = next(state.records, None)
            if rec is not None:
                state.produced += 1
                return rec
            state.records, state.work = None, None
            state.completed += 1
        queue = _q._queue(ctx, queue_handle)
        (element,) = _q._dequeue_n(ctx, queue, 1, False)
        work = element[0]
        work = work.item() if hasattr(work, "item") else work
        state.work = work if isinstance(work, bytes) else str(work).encode()
        state.records = _records(state.kind, state.attrs, state.work)


def _read_infer(op):
    return [(dtypes.string, TensorShape([])), (dtypes.string, TensorShape([]))]


@defop("ReaderReadV2", infer=_read_infer, stateful=True, needs_ctx=True, device_types=_HOST)
def _read(ctx, xp, reader_handle, queue_handle):
    state = _reader(ctx, reader_handle)
    with state.lock:
        key, value = _next_record(ctx, state, queue_handle)
    return key, value


def _read_up_to_infer(op):
    return [(dtypes.string, TensorShape([None])), (dtypes.string, TensorShape([None]))]


def _string_vector(values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@defop("ReaderReadUpToV2", infer=_read_up_to_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _read_up_to(ctx, xp, reader_handle, queue_handle, num_records):
    state = _reader(ctx, reader_handle)
    n = int(num_records)
    if n <= 0:
        raise errors.InvalidArgumentError(None, None, f"num_records must be positive, got {n}")
    keys, values = [], []
    with state.lock:
        while len(keys) < n:
            try:
                key, value = _next_record(ctx, state, queue_handle)
            except errors.OutOfRangeError:
                if keys:
                    break  # the end of the input: return what was read
                raise
            keys.append(key)
            values.append(value)
            if state.records is None:
                break
    return _string_vector(keys), _string_vector(values)


def _counter_infer(op):
    return [(dtypes.int64, TensorShape([]))]


@defop("ReaderNumRecordsProducedV2", infer=_counter_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _num_records(ctx, xp, reader_handle):
    return np.int64(_reader(ctx, reader_handle).produced)


@defop("ReaderNumWorkUnitsCompletedV2", infer=_counter_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _num_work(ctx, xp, reader_handle):
    return np.int64(_reader(ctx, reader_handle).completed)


@defop("ReaderResetV2", infer=lambda op: [], stateful=True, needs_ctx=True, device_types=_HOST)
def _reset(ctx, xp, reader_handle):
    state = _reader(ctx, reader_handle)
    with state.lock:
        state.reset()


for _od in (_read, _read_up_to, _num_records, _num_work, _reset):
    _od.not_differentiable()

_READER_IDS = itertools.count()


class ReaderBase:
    """What every reader offers: read / read_up_to from a queue of work, the counters,
    reset. Serializing reader state is not supported (supports_serialize is False)."""

    def __init__(self, reader_ref, supports_serialize=False):
        self._reader_ref = reader_ref
        self._supports_serialize = supports_serialize

    @property
    def reader_ref(self):
        return self._reader_ref

    @property
    def supports_serialize(self):
        return self._supports_serialize

    def _queue_ref(self, queue):
        return queue.queue_ref if hasattr(queue, "queue_ref") else convert_to_tensor(queue)

    def read(self, queue, name=None):
        """The next (key, value) record, taking new work from `queue` as needed.

        Raises:
            OutOfRangeError: (at run time) the queue is closed and the work is used up.
        """
        return apply_op("ReaderReadV2", self._reader_ref, self._queue_ref(queue),
                        name=name or "ReaderReadV2")

    def read_up_to(self, queue, num_records, name=None):
        """Up to `num_records` (keys, values) from the current work item (fewer at its end)."""
        n = convert_to_tensor(num_records, dtype=dtypes.int64, name="num_records")
        return apply_op("ReaderReadUpToV2", self._reader_ref, self._queue_ref(queue), n,
                        name=name or "ReaderReadUpToV2")

    def num_records_produced(self, name=None):
        """How many records this reader produced (an int64 scalar op)."""
        return apply_op("ReaderNumRecordsProducedV2", self._reader_ref,
                        name=name or "ReaderNumRecordsProducedV2")

    def num_work_units_completed(self, name=None):
        """How many work items (files) this reader finished."""
        return apply_op("ReaderNumWorkUnitsCompletedV2", self._reader_ref,
                        name=name or "ReaderNumWorkUnitsCompletedV2")

    def reset(self, name=None):
        """An op that forgets the current work and zeroes the counters."""
        return apply_op("ReaderResetV2", self._reader_ref, name=name or "ReaderResetV2")

    def serialize_state(self, name=None):
        raise errors.UnimplementedError(None, None, f"{type(self).__name__} does not support "
                                                    "serializing its state")

    def restore_state(self, state, name=None):
        raise errors.UnimplementedError(None, None, f"{type(self).__name__} does not support "
                                                    "restoring its state")


def _make_reader(op_type, name, **attrs):
    with name_scope(name, op_type.replace("V2", "")) as scope:
        return apply_op(op_type, name=scope, **attrs)


class TFRecordReader(ReaderBase):
    """Reads the records of TFRecord files (options: a TFRecordOptions or compression)."""

    def __init__(self, name=None, options=None):
        compression = ""
        if options is not None:
            ct = getattr(options, "compression_type", options)
            compression = {0: "", 1: "ZLIB", 2: "GZIP"}.get(ct, ct) or ""
        super().__init__(_make_reader("TFRecordReaderV2", name,
                                      compression_type=str(compression)))


class TextLineReader(ReaderBase):
    """Reads the lines of text files (without the newline), skipping `skip_header_lines`."""

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__(_make_reader("TextLineReaderV2", name,
                                      skip_header_lines=int(skip_header_lines or 0)))


class WholeFileReader(ReaderBase):
    """Reads each file whole: key the file name, value its contents."""

    def __init__(self, name=None):
        super().__init__(_make_reader("WholeFileReaderV2", name))


class FixedLengthRecordReader(ReaderBase):
    """Reads fixed-size records (e.g. CIFAR-10's binary files) after `header_bytes` and before
    `footer_bytes`; `hop_bytes` > 0 reads overlapping records every hop_bytes; `encoding`
    "" / "GZIP" / "ZLIB"."""

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None,
                 name=None, encoding=None):
        if int(record_bytes) <= 0:
            raise ValueError(f"record_bytes must be positive, got {record_bytes}")
        super().__init__(_make_reader(
            "FixedLengthRecordReaderV2", name, record_bytes=int(record_bytes),
            header_bytes=int(header_bytes or 0), footer_bytes=int(footer_bytes or 0),
            hop_bytes=int(hop_bytes or 0), encoding=encoding or ""))


class IdentityReader(ReaderBase):
    """Outputs each work item as both key and value."""

    def __init__(self, name=None):
        super().__init__(_make_reader("IdentityReaderV2", name))
