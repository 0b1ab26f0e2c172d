"""A flowexec Graph as TensorFlow's GraphDef: `Graph.as_graph_def`, `tf.io.write_graph`.

Each op becomes the NodeDef TensorFlow writes for the same op: TF's input order (a ref
variable op takes the variable as input 0), every attribute of TF's OpDef (type attributes
such as `T`, `N`, `Tidx`, `out_type` derived from the inputs and outputs, the rest from the
op or TF's default), the requested device, `_class` colocation, and any other `_`-attribute
the op carries. Ops no TF op matches (flowexec-only) are refused with the reason, as are
attributes outside TF's schema, so a written file is one TensorFlow reads as written. A few
flowexec-only gradient helpers are written as the TF subgraph that computes the same value
(graph_io/lowering.py). If/While ops are written as TF 2.x writes functional control flow:
their branch, condition and body graphs become FunctionDefs of the GraphDef's `library`
(graph_io/functions.py). Dataset ops with functions (map, filter, flat_map, ...) and
one-shot iterators are written as TF writes them: each function a FunctionDef of the
`library`, named by the op's func attribute (graph_io/dataset_functions.py).
"""

import os

from flowexec.framework import resources
from flowexec.graph_io import dataset_functions, functions, lowering, protos, schema
from flowexec.graph_io.attr_value import to_attr_value
from flowexec.graph_io.tensor_proto import shape_proto

__all__ = ["GRAPH_DEF_VERSION", "as_graph_def", "build_node", "node_defs", "write_graph"]

# The GraphDef producer version written: TF 1.x's graphs of this era (every op flowexec
# has exists at it, none is deprecated below it).
GRAPH_DEF_VERSION = 27


class ExportError(ValueError):
    """An op that has no TensorFlow NodeDef form (a ValueError, as TF raises)."""


def _ref_tensors(op, form):
    names = op.attrs[form.ref_attr]
    names = [names] if isinstance(names, str) else list(names)
    graph = op.graph
    return [graph.get_operation_by_name(n).outputs[0] for n in names]


def tf_inputs(op):
    """The op's data inputs in TF's order (the variable first for ref ops)."""
    form = op.op_def.node_def_form
    inputs = list(op.inputs)
    if form.ref_attr and not form.ref_is_input:
        inputs = _ref_tensors(op, form) + inputs
    return inputs


def build_node(name, op_type, inputs, input_dtypes, output_dtypes, attrs, device="",
               internal=(), where=None, funcs=None, counts=None):
    """A NodeDef of TF op `op_type`: TF's attributes from `attrs`, the dtypes, or defaults;
    `funcs` ({func attribute: FunctionDef name}) gives the function attributes, `counts`
    ({list attribute: length}) the lengths of its input lists where TF's OpDef has several.

    Raises:
        ValueError: TF has no such op, a required attribute is missing, an attribute is
            outside TF's schema, or the dtypes do not fit the OpDef.
    """
    p = protos.get()
    where = where or f"Cannot export op '{name}' of type '{op_type}'"
    sch = schema.schema_for(op_type)
    if sch is None:
        raise ExportError(f"{where}: TensorFlow has no op of this type")
    node = p.node_def_pb2.NodeDef(name=name, op=op_type, device=device or "")
    node.input.extend(inputs)
    known = {k: v for k, v in attrs.items()
             if k in sch.attrs and isinstance(v, int) and not isinstance(v, bool)}
    known.update(counts or {})
    funcs = funcs or {}
    try:
        derived = sch.derive_type_attrs(list(input_dtypes), list(output_dtypes), known)
    except (TypeError, ValueError) as e:
        raise ExportError(f"{where}: {e}") from e
    for attr, spec in sch.attrs.items():
        if attr in funcs:
            node.attr[attr].func.name = funcs[attr]
            continue
        if attr in attrs:
            value = attrs[attr]
        elif attr in derived:
            value = derived[attr]
        else:
            default = sch.default_attr_value(attr, p.attr_value_pb2.AttrValue)
            if default is None:
                raise ExportError(f"{where}: it has no value for TF's attribute '{attr}' "
                                  f"({spec.type}, no default)")
            node.attr[attr].CopyFrom(default)
            continue
        try:
            node.attr[attr].CopyFrom(to_attr_value(value, spec.type))
        except (TypeError, ValueError) as e:
            raise ExportError(f"{where}: attribute '{attr}' ({spec.type}) = {value!r}: "
                              f"{e}") from e
    for attr, value in attrs.items():
        if attr in sch.attrs or attr in internal or attr == resources.VAR_CONTAINERS:
            continue   # (TF finds a variable's container through its ref input)
        if not attr.startswith("_"):
            raise ExportError(f"{where}: attribute '{attr}' is not in TensorFlow's OpDef of "
                              f"{op_type}")
        node.attr[attr].CopyFrom(to_attr_value(value))
    return node


def node_defs(op, add_shapes=False, library=None):
    """TF's NodeDef(s) of one flowexec Operation: one, or the TF subgraph a flowexec-only op
    is lowered to (its last node has the op's name, so consumers read it unchanged).

    Args:
        op: the Operation.
        add_shapes: give the last node an `_output_shapes` attribute.
        library: a `functions.Library` collecting the FunctionDefs of If/While ops.

    Raises:
        ValueError: the op is flowexec-only without a lowering, has an attribute TF's op
            lacks, or is an If/While without a `library` to write its functions to.
    """
    form = op.op_def.node_def_form
    where = f"Cannot export op '{op.name}' of type '{op.type}'"
    controls = ["^" + c.name for c in op.control_inputs]
    if op.type in functions.FUNCTIONAL:
        if library is None:
            raise ExportError(f"{where}: its functions need a GraphDef's function library")
        nodes = functions.functional_node_defs(op, library)
    elif op.type in dataset_functions.LAYOUTS or op.type == "OneShotIterator":
        if library is None:
            raise ExportError(f"{where}: its functions need a GraphDef's function library")
        nodes = [dataset_functions.node_def(op, library, build_node, controls)]
    elif form.flowexec_only:
        lower = lowering.LOWERINGS.get(op.type)
        if lower is None:
            raise ExportError(f"{where}: no TensorFlow op has its semantics ({form.reason})")
        nodes = lower(op, build_node)
        nodes[-1].input.extend(controls)
    else:
        for name, fixed in form.fixed_attrs.items():
            if name in op.attrs and op.attrs[name] != fixed:
                raise ExportError(f"{where}: attribute {name}={op.attrs[name]!r} has no "
                                  f"TensorFlow form (TF's {op.type} has {name}={fixed!r} only)")
        inputs = tf_inputs(op)
        node = build_node(op.name, op.type, [t._as_node_def_input() for t in inputs] + controls,
                          [t.dtype for t in inputs], [t.dtype for t in op.outputs], op.attrs,
                          op.device, form.internal_attrs, where)
        nodes = [node]
    for node in nodes:
        node.device = op.device or ""
        if op._colocation:
            node.attr["_class"].list.s.extend(f"loc:@{n}".encode() for n in op._colocation)
    if add_shapes and op.outputs:
        shapes = [t.shape for t in op.outputs]
        if op.type in functions.FUNCTIONAL:  # a While has an output per input
            shapes = list(nodes[-1].attr["output_shapes"].list.shape)
        nodes[-1].attr["_output_shapes"].list.shape.extend(
            s if hasattr(s, "dim") else shape_proto(s) for s in shapes)
    return nodes


def as_graph_def(graph, from_version=None, add_shapes=False):
    """The GraphDef of `graph` (TF's `Graph.as_graph_def`).

    Args:
        graph: a flowexec Graph.
        from_version: only ops added after the graph had this `version` (TF's meaning).
        add_shapes: give each node an `_output_shapes` attribute (static shapes).

    Returns:
        A `GraphDef` proto (TF's class, from the tensorboard package), nodes in creation
        order, `versions.producer` = GRAPH_DEF_VERSION; the functions of If/While ops in
        its `library`.

    Raises:
        ValueError: an op has no TensorFlow form (a flowexec-only op; the message names it).
        ImportError: the tensorboard package is missing (pip install flowexec[graph]).

    Example:
        >>> gd = tf.get_default_graph().as_graph_def()
        >>> [n.op for n in gd.node]
        ['Const', 'Const', 'Add']
    """
    p = protos.get()
    gd = p.graph_pb2.GraphDef()
    ops = graph.get_operations()
    if from_version is not None:
        ops = [op for op in ops if op._id >= from_version]
    library = functions.Library()
    for op in ops:
        gd.node.extend(node_defs(op, add_shapes, library))
    gd.library.function.extend(library.functions.values())
    gd.versions.producer = GRAPH_DEF_VERSION
    return gd


def write_graph(graph_or_graph_def, logdir, name, as_text=True):
    """Writes a graph's GraphDef to `logdir/name` (TF's `tf.io.write_graph`).

    Args:
        graph_or_graph_def: a Graph or a GraphDef.
        logdir: the directory (created if missing).
        name: the file name.
        as_text: write protobuf text format (.pbtxt) instead of binary (.pb).

    Returns:
        The path written.

    Example:
        >>> tf.io.write_graph(sess.graph, "/tmp/model", "graph.pb", as_text=False)
        '/tmp/model/graph.pb'
    """
    from flowexec.train import atomic_file

    gd = graph_or_graph_def
    if not hasattr(gd, "SerializeToString"):
        gd = as_graph_def(gd)
    os.makedirs(logdir, exist_ok=True)
    path = os.path.join(logdir, name)
    data = (protos.get().text_format.MessageToString(gd).encode("utf-8") if as_text
            else gd.SerializeToString())
    atomic_file.atomic_write(path, lambda f: f.write(data))
    return path
