"""A flowexec Graph as the `GraphDef` protocol buffer TensorBoard's Graphs tab reads.

The GraphDef has node names, op types, data and `^control` inputs, requested devices,
attributes, dtypes and each output's static shape, so TensorBoard groups ops by name scope
and shows shapes and devices. A RunMetadata's step stats convert the same way, so a traced
step shows in TensorBoard's "Session runs" menu. Needs the tensorboard package.
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.tensor_shape import TensorShape
from flowexec.summary import protos

__all__ = ["graph_def_proto", "run_metadata_proto"]

# Constants larger than this keep dtype and shape only in the written GraphDef: TensorBoard
# hides attributes over 1 KiB anyway, and weights inlined as constants would bloat the file.
_MAX_CONST_BYTES = 1 << 20


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
    p = protos.get()
    gd = p.graph_pb2.GraphDef()
    gd.node.extend(_node_def(p, op, add_shapes) for op in graph.get_operations())
    gd.versions.producer = 27  # the GraphDef version TF 1.x writes for graphs like these
    return gd


def run_metadata_proto(run_metadata):
    """tensorboard's `RunMetadata` proto of a flowexec `tf.RunMetadata` (a proto as is).

    Args:
        run_metadata: the `tf.RunMetadata` a traced `Session.run` filled, or a proto.

    Returns:
        A `tensorboard.compat.proto.config_pb2.RunMetadata` with the step stats and any
        partition graphs.
    """
    if hasattr(run_metadata, "SerializeToString"):
        return run_metadata
    p = protos.get()
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
