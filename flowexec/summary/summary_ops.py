"""Summary ops: `scalar`, `histogram`, `merge`, `merge_all` and their kernels.

A summary op is a graph op whose output is a serialized `Summary` protocol buffer: a `string`
tensor of shape `()`. Building one needs nothing beyond flowexec; running it serializes with
tensorboard's protos (`flowexec.summary.protos`), and without the tensorboard package the
step fails with FailedPreconditionError saying what to install.

Summaries are host data: the three kernels convert their inputs to numpy (after a device
copy where needed) and the ops are pinned to `/device:CPU:0`, like TensorFlow's CPU-only
summary kernels. A histogram uses TensorFlow's default buckets (limits growing by 10% from
1e-12 to 1e20, mirrored for negatives, and 0), so TensorBoard draws it as TF's would.

Thread-safety: building summary ops follows graph construction (not thread-safe).
"""

import re
import sys
import warnings

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
from flowexec.summary import protos

__all__ = ["histogram", "histogram_proto", "merge", "merge_all", "scalar"]

# The dtypes TF's summary ops accept for their values (TF's `realnumbertypes`).
_REAL_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.uint8, dtypes.int16,
               dtypes.int8, dtypes.int64, dtypes.uint16, dtypes.float16, dtypes.uint32,
               dtypes.uint64)

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")


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
    p = protos.get()
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
    p = protos.for_kernel("ScalarSummary")
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
    p = protos.for_kernel("HistogramSummary")
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
    p = protos.for_kernel("MergeSummary")
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
