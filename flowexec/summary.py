"""`tf.summary`: summary ops and the FileWriter that writes what TensorBoard reads.

Summary ops (`scalar`, `histogram`, `merge`, `merge_all`) are graph ops whose output is a
serialized `Summary` protocol buffer: a `string` tensor of shape `()`. `Session.run` returns
those bytes, and `FileWriter.add_summary(bytes, global_step)` appends them to an event file,
next to the graph (`FileWriter(logdir, graph)` or `add_graph`), which is converted to a
`GraphDef` with node names, op types, data and `^control` inputs, requested devices, dtypes
and each output's static shape, so TensorBoard's Graphs tab groups ops by name scope and
shows shapes and devices. Read the result with `tensorboard --logdir logs`.

Protocol buffers and the event-file writer come from the `tensorboard` package (the optional
extra `flowexec[tensorboard]`): this module imports without it, and building a summary op or
a FileWriter without it raises ImportError saying what to install.

Summaries are host data: the three kernels convert their inputs to numpy (after a device
copy where needed) and the ops are pinned to `/device:CPU:0`, like TensorFlow's CPU-only
summary kernels. A histogram uses TensorFlow's default buckets (limits growing by 10% from
1e-12 to 1e20, mirrored for negatives, and 0), so TensorBoard draws it as TF's would.

Thread-safety: building summary ops follows graph construction (not thread-safe); one
FileWriter may be written from several threads (the underlying writer queues under a lock).

Example:
    >>> import flowexec as tf
    >>> x = tf.placeholder(tf.float32, [None])
    >>> tf.summary.scalar("mean", tf.reduce_mean(x))
    >>> tf.summary.histogram("x", x)
    >>> merged = tf.summary.merge_all()
    >>> with tf.Session() as sess, tf.summary.FileWriter("logs", sess.graph) as writer:
    ...     for step in range(3):
    ...         writer.add_summary(sess.run(merged, {x: [1.0, 2.0, step]}), step)
"""

import atexit
import os
import re
import sys
import threading
import time
import warnings
import weakref
from typing import ClassVar

import numpy as np

from flowexec import errors
from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops.constant_op import constant

# Also (loaded on first access): Summary, SummaryDescription, HistogramProto, Event,
# SessionLog, TaggedRunMetadata, the tensorboard protocol buffer classes.
__all__ = ["FileWriter", "FileWriterCache", "graph_def_proto", "histogram", "histogram_proto",
           "merge", "merge_all", "scalar"]

_INSTALL_HINT = ("tf.summary needs the 'tensorboard' package: pip install tensorboard "
                 "(or pip install flowexec[tensorboard])")

# The dtypes TF's summary ops accept for their values (TF's `realnumbertypes`).
_REAL_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.uint8, dtypes.int16,
               dtypes.int8, dtypes.int64, dtypes.uint16, dtypes.float16, dtypes.uint32,
               dtypes.uint64)

# Constants larger than this keep dtype and shape only in the written GraphDef: TensorBoard
# hides attributes over 1 KiB anyway, and weights inlined as constants would bloat the file.
_MAX_CONST_BYTES = 1 << 20

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")


class _Protos:
    """The tensorboard modules this file uses, imported on first use."""

    _lock = threading.Lock()
    _loaded = None

    @classmethod
    def get(cls):
        if cls._loaded is None:
            with cls._lock:
                if cls._loaded is None:
                    try:
                        from tensorboard.compat.proto import (
                            attr_value_pb2,
                            config_pb2,
                            event_pb2,
                            graph_pb2,
                            node_def_pb2,
                            step_stats_pb2,
                            summary_pb2,
                            tensor_pb2,
                            tensor_shape_pb2,
                        )
                        from tensorboard.summary.writer.event_file_writer import (
                            EventFileWriter,
                        )
                    except ImportError as e:
                        raise ImportError(_INSTALL_HINT) from e
                    p = cls()
                    p.attr_value_pb2 = attr_value_pb2
                    p.config_pb2 = config_pb2
                    p.event_pb2 = event_pb2
                    p.graph_pb2 = graph_pb2
                    p.node_def_pb2 = node_def_pb2
                    p.step_stats_pb2 = step_stats_pb2
                    p.summary_pb2 = summary_pb2
                    p.tensor_pb2 = tensor_pb2
                    p.tensor_shape_pb2 = tensor_shape_pb2
                    p.EventFileWriter = EventFileWriter
                    cls._loaded = p
        return cls._loaded


_PROTO_NAMES = {
    "Summary": ("summary_pb2", "Summary"),
    "SummaryDescription": ("summary_pb2", "SummaryDescription"),
    "HistogramProto": ("summary_pb2", "HistogramProto"),
    "Event": ("event_pb2", "Event"),
    "SessionLog": ("event_pb2", "SessionLog"),
    "TaggedRunMetadata": ("event_pb2", "TaggedRunMetadata"),
}


def __getattr__(name):
    """`tf.summary.Summary`, `Event`, `SessionLog`, ...: tensorboard's protos, loaded lazily."""
    if name in _PROTO_NAMES:
        module, cls = _PROTO_NAMES[name]
        return getattr(getattr(_Protos.get(), module), cls)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----- host-side helpers for the kernels -----------------------------------------------------
def _host(x):
    """A numpy view of a kernel input (copied from the device when it lives on a GPU)."""
    if isinstance(x, (bytes, str)):
        return np.asarray(x, dtype=object)  # a plain asarray would strip trailing NUL bytes
    return np.asarray(x.get() if hasattr(x, "get") else x)


def _as_text(s):
    return s.decode("utf-8") if isinstance(s, (bytes, np.bytes_)) else str(s)


def _as_bytes(s):
    if isinstance(s, bytes):
        return bytes(s)
    if isinstance(s, str):
        return s.encode("utf-8")
    raise TypeError(f"Expected a serialized Summary (bytes), got {type(s).__name__}")


def _string_result(serialized):
    """A 0-d object array, the form string tensors take (bytes survive intact)."""
    out = np.empty((), dtype=object)
    out[()] = serialized
    return out


def _shape_text(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _single_tag(tags):
    return f" (tag '{_as_text(tags[()])}')" if tags.ndim == 0 else ""


# ----- histogram buckets ---------------------------------------------------------------------
def _default_bucket_limits():
    # TF's histogram.cc: limits grow by 10% from 1e-12 below 1e20, mirrored, 0 in the middle,
    # +-DBL_MAX at the ends. The repeated multiplication reproduces TF's values exactly.
    pos = []
    v = 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(sys.float_info.max)
    return np.array([-x for x in reversed(pos)] + [0.0] + pos, dtype=np.float64)


_BUCKET_LIMITS = _default_bucket_limits()


def histogram_proto(values):
    """A `HistogramProto` of `values` with TensorFlow's default buckets.

    Runs of empty buckets are collapsed into one, as TF's `EncodeToProto` does, so the proto
    is small and TensorBoard reads it like one TF wrote.

    Args:
        values: anything numpy converts to a finite real array.

    Returns:
        A `tensorboard.compat.proto.summary_pb2.HistogramProto`.
    """
    p = _Protos.get()
    data = np.asarray(values, dtype=np.float64).ravel()
    # Bucket i counts values in [limit[i-1], limit[i]) (TF: upper_bound); DBL_MAX goes last.
    index = np.minimum(np.searchsorted(_BUCKET_LIMITS, data, side="right"),
                       _BUCKET_LIMITS.size - 1)
    counts = np.bincount(index, minlength=_BUCKET_LIMITS.size)
    nonzero = np.flatnonzero(counts)
    limits, buckets = [], []
    prev = -1
    for i in nonzero:
        if i > prev + 1:  # a run of empty buckets before this one: one bucket up to i-1
            limits.append(float(_BUCKET_LIMITS[i - 1]))
            buckets.append(0.0)
        limits.append(float(_BUCKET_LIMITS[i]))
        buckets.append(float(counts[i]))
        prev = i
    if prev < _BUCKET_LIMITS.size - 1:
        limits.append(float(_BUCKET_LIMITS[-1]))
        buckets.append(0.0)
    if data.size:
        lo, hi = float(data.min()), float(data.max())
    else:
        lo, hi = float(_BUCKET_LIMITS[-1]), float(_BUCKET_LIMITS[0])
    with np.errstate(over="ignore"):  # huge values give an infinite sum, as in TF
        total, squares = float(data.sum()), float(np.dot(data, data))
    return p.summary_pb2.HistogramProto(
        min=lo, max=hi, num=float(data.size), sum=total, sum_squares=squares,
        bucket_limit=limits, bucket=buckets)


# ----- ops -----------------------------------------------------------------------------------
def _check_values_dtype(op, index, param):
    dt = op.inputs[index].dtype
    if dt not in _REAL_TYPES:
        allowed = ", ".join(d.name for d in _REAL_TYPES)
        raise TypeError(f"Value passed to parameter '{param}' has DataType {dt.name} not in "
                        f"list of allowed values: {allowed}")


def _check_string(op, index, param):
    dt = op.inputs[index].dtype
    if dt is not dtypes.string:
        raise TypeError(f"Input '{param}' of '{op.type}' Op has type {dt.name} that does not "
                        f"match expected type of string.")


def _scalar_summary_infer(op):
    _check_string(op, 0, "tags")
    _check_values_dtype(op, 1, "values")
    return [(dtypes.string, TensorShape([]))]


@defop("ScalarSummary", infer=_scalar_summary_infer, device_types=("CPU",))
def _scalar_summary(xp, tags, values):
    # Summaries are host data: this kernel (and the two below) computes with numpy.
    p = _Protos.get()
    tags, values = _host(tags), _host(values)
    if tags.shape != values.shape:
        raise errors.InvalidArgumentError(
            None, None, f"tags and values not the same shape: {_shape_text(tags.shape)} != "
                        f"{_shape_text(values.shape)}{_single_tag(tags)}")
    summary = p.summary_pb2.Summary()
    for tag, value in zip(tags.ravel(), values.ravel()):
        summary.value.add(tag=_as_text(tag), simple_value=float(value))
    return _string_result(summary.SerializeToString())


_scalar_summary.not_differentiable()


def _histogram_summary_infer(op):
    _check_string(op, 0, "tag")
    _check_values_dtype(op, 1, "values")
    return [(dtypes.string, TensorShape([]))]


def _histogram_cost(op):
    n = op.inputs[1].shape.num_elements()
    return 20.0 * n if n is not None else EXPENSIVE


@defop("HistogramSummary", infer=_histogram_summary_infer, cost=_histogram_cost,
       device_types=("CPU",))
def _histogram_summary(xp, tag, values):
    p = _Protos.get()
    tag = _as_text(_host(tag)[()])
    data = _host(values).astype(np.float64, copy=False)
    if not np.isfinite(data).all():
        raise errors.InvalidArgumentError(None, None, f"Nan in summary histogram for: {tag}")
    summary = p.summary_pb2.Summary()
    summary.value.add(tag=tag, histo=histogram_proto(data))
    return _string_result(summary.SerializeToString())


_histogram_summary.not_differentiable()


def _merge_summary_infer(op):
    for i in range(len(op.inputs)):
        _check_string(op, i, "inputs")
    return [(dtypes.string, TensorShape([]))]


@defop("MergeSummary", infer=_merge_summary_infer, device_types=("CPU",))
def _merge_summary(xp, *inputs):
    p = _Protos.get()
    merged = p.summary_pb2.Summary()
    seen = set()
    for x in inputs:
        for serialized in _host(x).ravel():
            part = p.summary_pb2.Summary()
            try:
                part.ParseFromString(_as_bytes(serialized))
            except Exception as e:  # protobuf's DecodeError has no stable import path
                raise errors.InvalidArgumentError(
                    None, None, "Could not parse one of the summary inputs") from e
            for value in part.value:
                if value.tag in seen:
                    raise errors.InvalidArgumentError(
                        None, None, f"Duplicate tag {value.tag} found in summary inputs")
                seen.add(value.tag)
                merged.value.add().CopyFrom(value)
    return _string_result(merged.SerializeToString())


_merge_summary.not_differentiable()


# ----- public summary ops --------------------------------------------------------------------
def _clean_tag(name):
    new = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
    if new != name:
        warnings.warn(f"Summary name {name} is illegal; using {new} instead.", stacklevel=4)
    return new


def _collect(value, collections, default):
    graph = value.graph
    for key in (default if collections is None else collections):
        graph.add_to_collection(key, value)


def _summary_op(op_type, name, tensor, family, collections, tag_input):
    """Builds `op_type(tag, values)` the way TF1's summary_scope does.

    TF opens a unique name scope `family/name`, converts the tag (and a non-Tensor value)
    inside it ("loss/tags") and names the op exactly after the scope ("loss"), whose full
    name is also the tag.
    """
    _Protos.get()
    graph = tensor.graph if isinstance(tensor, Tensor) else graph_mod.get_default_graph()
    name = _clean_tag(name)
    family = _clean_tag(family) if family else None
    base = name if family is None else f"{family}/{name}"
    with graph.as_default(), graph.name_scope(base) as scope, graph.device("/device:CPU:0"):
        tag = scope[:-1] if family is None else f"{family}/{scope[:-1]}"
        if not isinstance(tensor, Tensor):
            tensor = convert_to_tensor(tensor, name="values")
        tag_tensor = constant(tag, dtype=dtypes.string, name=tag_input)
        out = apply_op(op_type, tag_tensor, tensor, name=scope, T=tensor.dtype)
    _collect(out, collections, [GraphKeys.SUMMARIES])
    return out


def scalar(name, tensor, collections=None, family=None):
    """A summary op holding one scalar value (a curve in TensorBoard's Scalars tab).

    Args:
        name: the summary's name; its tag is `name` inside the current name scope.
        tensor: a real numeric Tensor (or value) with a single element.
        collections: graph collections to add the op to (default: [GraphKeys.SUMMARIES]).
        family: optional prefix of the tag and name, used as TensorBoard's tab name.

    Returns:
        A scalar `string` Tensor: a serialized `Summary` protocol buffer.

    Raises:
        TypeError: `tensor` is not of a real numeric dtype.
        ImportError: the tensorboard package is missing.

    Example:
        >>> loss_summary = tf.summary.scalar("loss", loss)
        >>> writer.add_summary(sess.run(loss_summary), global_step=step)
    """
    return _summary_op("ScalarSummary", name, tensor, family, collections, "tags")


def histogram(name, values, collections=None, family=None):
    """A summary op holding a histogram of `values` (TensorBoard's Histograms tab).

    Args:
        name: the summary's name; its tag is `name` inside the current name scope.
        values: a real numeric Tensor of any shape; non-finite values fail at run time.
        collections: graph collections to add the op to (default: [GraphKeys.SUMMARIES]).
        family: optional prefix of the tag and name, used as TensorBoard's tab name.

    Returns:
        A scalar `string` Tensor: a serialized `Summary` protocol buffer.

    Raises:
        TypeError: `values` is not of a real numeric dtype.
        ImportError: the tensorboard package is missing.

    Example:
        >>> tf.summary.histogram("weights", w)
    """
    return _summary_op("HistogramSummary", name, values, family, collections, "tag")


def merge(inputs, collections=None, name=None):
    """Merges summaries into one `Summary` (op `Merge/MergeSummary`).

    Args:
        inputs: `string` Tensors holding serialized `Summary` protos.
        collections: graph collections to add the merged op to (default: none).
        name: the op's name (default "MergeSummary" in a "Merge" name scope).

    Returns:
        A scalar `string` Tensor; running it fails with InvalidArgumentError when two inputs
        share a tag.

    Example:
        >>> merged = tf.summary.merge([loss_summary, weights_summary])
    """
    _Protos.get()
    inputs = [convert_to_tensor(x) for x in inputs]
    graph = inputs[0].graph if inputs else graph_mod.get_default_graph()
    with graph.as_default(), graph_mod.name_scope(name, "Merge", inputs), \
            graph.device("/device:CPU:0"):
        out = apply_op("MergeSummary", *inputs, name=name or "MergeSummary", N=len(inputs))
    _collect(out, collections, [])
    return out


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """Merges every summary of collection `key` (optionally those matching `scope`).

    Returns:
        The merged `string` Tensor, or None when the collection is empty.

    Example:
        >>> merged = tf.summary.merge_all()
        >>> writer.add_summary(sess.run(merged), step)
    """
    ops = graph_mod.get_collection(key, scope=scope)
    if not ops:
        return None
    return merge(ops, name=name)


# ----- Graph -> GraphDef ---------------------------------------------------------------------
def _shape_proto(p, shape):
    shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
    if shape.ndims is None:
        return p.tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    return p.tensor_shape_pb2.TensorShapeProto(
        dim=[p.tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else d)
             for d in shape.as_list()])


def _tensor_proto(p, value):
    arr = np.asarray(value)
    if arr.dtype.kind in "SUO":
        dt = dtypes.string
    else:
        dt = dtypes.from_numpy(arr.dtype)
    proto = p.tensor_pb2.TensorProto(dtype=dt.as_datatype_enum,
                                     tensor_shape=_shape_proto(p, arr.shape))
    if dt is dtypes.string:
        flat = [s if isinstance(s, bytes) else str(s).encode("utf-8") for s in arr.ravel()]
        if sum(len(s) for s in flat) <= _MAX_CONST_BYTES:
            proto.string_val.extend(flat)
    elif arr.nbytes <= _MAX_CONST_BYTES:
        proto.tensor_content = np.ascontiguousarray(arr).tobytes()
    return proto


def _attr_value(p, value):
    """The AttrValue of one op attribute, or None for values a GraphDef cannot hold."""
    av = p.attr_value_pb2.AttrValue
    if value is None:
        return None
    if isinstance(value, dtypes.DType):
        return av(type=value.as_datatype_enum)
    if isinstance(value, TensorShape):
        return av(shape=_shape_proto(p, value))
    if isinstance(value, np.ndarray):
        return av(tensor=_tensor_proto(p, value))
    if isinstance(value, (bool, np.bool_)):
        return av(b=bool(value))
    if isinstance(value, (int, np.integer)):
        return av(i=int(value))
    if isinstance(value, (float, np.floating)):
        return av(f=float(value))
    if isinstance(value, str):
        return av(s=value.encode("utf-8"))
    if isinstance(value, bytes):
        return av(s=value)
    if isinstance(value, (list, tuple)):
        lv = av.ListValue
        items = list(value)
        if all(isinstance(x, dtypes.DType) for x in items):
            return av(list=lv(type=[x.as_datatype_enum for x in items]))
        if all(isinstance(x, TensorShape) for x in items) and items:
            return av(list=lv(shape=[_shape_proto(p, x) for x in items]))
        if all(isinstance(x, (bool, np.bool_)) for x in items) and items:
            return av(list=lv(b=[bool(x) for x in items]))
        if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in items):
            return av(list=lv(i=[int(x) for x in items]))
        if all(isinstance(x, (int, float, np.integer, np.floating)) for x in items):
            return av(list=lv(f=[float(x) for x in items]))
        if all(isinstance(x, (str, bytes)) for x in items):
            return av(list=lv(s=[x if isinstance(x, bytes) else x.encode("utf-8")
                                 for x in items]))
    return None


def _node_def(p, op, add_shapes):
    node = p.node_def_pb2.NodeDef(name=op.name, op=op.type, device=op.device or "")
    node.input.extend(t._as_node_def_input() for t in op.inputs)
    node.input.extend("^" + c.name for c in op.control_inputs)
    for key, value in op.attrs.items():
        attr = _attr_value(p, value)
        if attr is not None:
            node.attr[key].CopyFrom(attr)
    if op.inputs and "T" not in node.attr and "dtype" not in node.attr:
        node.attr["T"].type = op.inputs[0].dtype.as_datatype_enum
    if add_shapes and op.outputs:
        node.attr["_output_shapes"].list.shape.extend(
            _shape_proto(p, t.shape) for t in op.outputs)
    return node


def graph_def_proto(graph, add_shapes=True):
    """The `GraphDef` protocol buffer of a flowexec Graph, as TF's `as_graph_def` gives it.

    Args:
        graph: a `flowexec.Graph`.
        add_shapes: add each node's `_output_shapes` attribute (static shapes; -1 marks an
            unknown dimension).

    Returns:
        A `tensorboard.compat.proto.graph_pb2.GraphDef`, nodes in creation order.

    Example:
        >>> gd = tf.summary.graph_def_proto(tf.get_default_graph())
        >>> [n.name for n in gd.node]
        ['Const', 'Const_1', 'add']
    """
    p = _Protos.get()
    gd = p.graph_pb2.GraphDef()
    gd.node.extend(_node_def(p, op, add_shapes) for op in graph.get_operations())
    gd.versions.producer = 27  # the GraphDef version TF 1.x writes for graphs like these
    return gd


def _run_metadata_proto(p, run_metadata):
    """tensorboard's RunMetadata proto from flowexec's RunMetadata (or a proto as is)."""
    if hasattr(run_metadata, "SerializeToString"):
        return run_metadata
    ss = p.step_stats_pb2
    step_stats = ss.StepStats()
    for dev in run_metadata.step_stats.dev_stats:
        d = step_stats.dev_stats.add(device=dev.device)
        for n in dev.node_stats:
            d.node_stats.add(
                node_name=n.node_name, all_start_micros=int(n.all_start_micros),
                op_start_rel_micros=int(n.op_start_rel_micros),
                op_end_rel_micros=int(n.op_end_rel_micros),
                all_end_rel_micros=int(n.all_end_rel_micros),
                thread_id=int(n.thread_id) & 0xFFFFFFFF, timeline_label=n.timeline_label)
    proto = p.config_pb2.RunMetadata(step_stats=step_stats)
    for g in run_metadata.partition_graphs or ():
        if isinstance(g, graph_mod.Graph):
            g = graph_def_proto(g)
        if hasattr(g, "SerializeToString"):
            proto.partition_graphs.add().CopyFrom(g)
    return proto


# ----- FileWriter ----------------------------------------------------------------------------
_OPEN_WRITERS = weakref.WeakSet()


@atexit.register
def _close_open_writers():
    # The event queue is drained by a daemon thread: without this, events added just before
    # the interpreter exits would be lost when a script forgets `close()`.
    for writer in list(_OPEN_WRITERS):
        writer.close()


class FileWriter:
    """Writes summaries, graphs and run metadata to event files in `logdir`.

    Each writer (and each `reopen()`) creates a new file `events.out.tfevents.<time>.<host>
    .<pid>.<n><suffix>`; events are queued and written by a background thread, every
    `flush_secs` seconds, when `max_queue` events are pending, on `flush()`/`close()`, and
    at interpreter exit for writers still open.

    Args:
        logdir: the directory (created if missing).
        graph: a `flowexec.Graph` (or a GraphDef proto) to write as the run's graph.
        max_queue: how many events may wait before a write is forced.
        flush_secs: how often pending events are written, in seconds.
        graph_def: deprecated TF1 spelling of `graph` for a GraphDef.
        filename_suffix: appended to the event file's name.

    Raises:
        ImportError: the tensorboard package is missing.

    Example:
        >>> with tf.Session() as sess:
        ...     writer = tf.summary.FileWriter("logs", sess.graph)
        ...     writer.add_summary(sess.run(merged), global_step=0)
        ...     writer.close()

        then `tensorboard --logdir logs`.
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
                 filename_suffix=None):
        self._p = _Protos.get()
        self._logdir = os.fspath(logdir)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._filename_suffix = filename_suffix or ""
        self._lock = threading.Lock()
        self._seen_summary_tags = set()
        self._closed = False
        self._writer = self._p.EventFileWriter(self._logdir, max_queue, flush_secs,
                                               self._filename_suffix)
        _OPEN_WRITERS.add(self)
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    # ----- events ------------------------------------------------------------------------
    def _warn_if_closed(self):
        if self._closed:
            warnings.warn("Attempting to use a closed FileWriter. The operation will be a "
                          "noop unless the FileWriter is explicitly reopened.", stacklevel=3)
            return True
        return False

    def _add_event(self, event, step):
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        self.add_event(event)

    def add_event(self, event):
        """Writes an `Event` protocol buffer as is (a no-op with a warning once closed)."""
        with self._lock:
            if self._warn_if_closed():
                return
            self._writer.add_event(event)

    def add_summary(self, summary, global_step=None):
        """Writes a summary: the value `Session.run` gave for a summary op, or a proto.

        Args:
            summary: a `Summary` proto, its serialized bytes, or the numpy scalar/0-d array
                that `Session.run` returns for a summary op.
            global_step: the step to record (the x axis in TensorBoard).

        Example:
            >>> writer.add_summary(sess.run(merged, feed), global_step=step)
        """
        summary = self._as_summary(summary)
        for value in summary.value:
            if not value.HasField("metadata"):
                continue
            if value.tag in self._seen_summary_tags:
                value.ClearField("metadata")  # TF keeps a tag's metadata on its first value
                continue
            self._seen_summary_tags.add(value.tag)
        self._add_event(self._p.event_pb2.Event(summary=summary), global_step)

    def _as_summary(self, summary):
        cls = self._p.summary_pb2.Summary
        if isinstance(summary, cls):
            return summary
        if isinstance(summary, np.ndarray) and summary.size == 1:
            summary = summary.reshape(())[()]
        if isinstance(summary, np.generic):
            summary = summary.item()
        if isinstance(summary, (bytes, bytearray)):
            proto = cls()
            proto.ParseFromString(bytes(summary))
            return proto
        if hasattr(summary, "SerializeToString"):
            proto = cls()
            proto.ParseFromString(summary.SerializeToString())
            return proto
        raise TypeError(f"add_summary expects a Summary proto or its serialized bytes, got "
                        f"{type(summary).__name__}")

    def add_graph(self, graph, global_step=None, graph_def=None):
        """Writes a graph, which TensorBoard shows in its Graphs tab.

        Args:
            graph: a `flowexec.Graph` or a GraphDef proto.
            global_step: the step to record.
            graph_def: deprecated TF1 spelling of `graph`.

        Raises:
            ValueError: both `graph` and `graph_def` are given.
            TypeError: neither is given, or the value is no graph.
        """
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        g = graph if graph is not None else graph_def
        if isinstance(g, graph_mod.Graph):
            gd = graph_def_proto(g)
        elif isinstance(g, self._p.graph_pb2.GraphDef):
            gd = g
        elif g is None:
            raise TypeError("Please pass either graph or graph_def (deprecated), not None.")
        else:
            raise TypeError("The passed graph must be an instance of `Graph` or the "
                            f"deprecated `GraphDef`, got {type(g).__name__}")
        self._add_event(self._p.event_pb2.Event(graph_def=gd.SerializeToString()),
                        global_step)

    def add_run_metadata(self, run_metadata, tag, global_step=None):
        """Writes a step's RunMetadata (per-op devices and times) under `tag`.

        TensorBoard's Graphs tab then offers the run in its "Session runs" menu and colours
        ops by compute time.

        Args:
            run_metadata: the `tf.RunMetadata` filled by `Session.run(..., options=
                RunOptions(trace_level=FULL_TRACE), run_metadata=...)`, or a proto.
            tag: the name of the run.
            global_step: the step to record.
        """
        tagged = self._p.event_pb2.TaggedRunMetadata(
            tag=tag,
            run_metadata=_run_metadata_proto(self._p, run_metadata).SerializeToString())
        self._add_event(self._p.event_pb2.Event(tagged_run_metadata=tagged), global_step)

    def add_session_log(self, session_log, global_step=None):
        """Writes a `SessionLog` proto (e.g. `SessionLog(status=SessionLog.START)`)."""
        self._add_event(self._p.event_pb2.Event(session_log=session_log), global_step)

    # ----- lifecycle ---------------------------------------------------------------------
    def get_logdir(self):
        """The directory the event files are written to."""
        return self._logdir

    def flush(self):
        """Writes every pending event to disk."""
        with self._lock:
            if not self._closed:
                self._writer.flush()

    def close(self):
        """Flushes and closes the event file; later writes warn and do nothing."""
        with self._lock:
            if not self._closed:
                self._writer.close()
                self._closed = True
                _OPEN_WRITERS.discard(self)

    def reopen(self):
        """After `close()`, starts a new event file in the same directory (else no-op)."""
        with self._lock:
            if self._closed:
                self._writer = self._p.EventFileWriter(
                    self._logdir, self._max_queue, self._flush_secs, self._filename_suffix)
                self._closed = False
                _OPEN_WRITERS.add(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.close()
        return False

    def __repr__(self):
        state = "closed" if self._closed else "open"
        return f"<flowexec.summary.FileWriter logdir={self._logdir!r} {state}>"


class FileWriterCache:
    """One FileWriter per logdir, shared by whoever asks for it (TF1's FileWriterCache)."""

    _cache: ClassVar[dict] = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir):
        """The cached FileWriter for `logdir`, created on first use."""
        key = os.path.abspath(os.fspath(logdir))
        with FileWriterCache._lock:
            writer = FileWriterCache._cache.get(key)
            if writer is None:
                writer = FileWriterCache._cache[key] = FileWriter(logdir)
            return writer

    @staticmethod
    def clear():
        """Closes and forgets every cached writer."""
        with FileWriterCache._lock:
            writers = list(FileWriterCache._cache.values())
            FileWriterCache._cache.clear()
        for w in writers:
            w.close()
