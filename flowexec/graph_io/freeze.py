"""Frozen graphs: `tf.graph_util.extract_sub_graph`, `convert_variables_to_constants`,
`remove_training_nodes`, all on GraphDef protos as in TF (the input is never changed)."""

import copy

from flowexec.graph_io import protos
from flowexec.graph_io.tensor_proto import make_tensor_proto

__all__ = ["convert_variables_to_constants", "extract_sub_graph", "remove_training_nodes"]

_VARIABLE_OPS = ("VariableV2", "Variable")


def _node_name(s):
    s = s.removeprefix("^")
    name, sep, idx = s.rpartition(":")
    return name if sep and idx.isdigit() else s


def extract_sub_graph(graph_def, dest_nodes):
    """The nodes of `graph_def` that `dest_nodes` need (data and control inputs), in order.

    Args:
        graph_def: a GraphDef.
        dest_nodes: a list of node names.

    Returns:
        A new GraphDef with the same versions and library.

    Raises:
        TypeError: `graph_def` is not a GraphDef, or `dest_nodes` is a string.
        AssertionError: a destination is not in the graph (TF's "x is not in graph").
    """
    if not hasattr(graph_def, "node"):
        raise TypeError("graph_def must be a graph_pb2.GraphDef proto.")
    if isinstance(dest_nodes, str):
        raise TypeError("dest_nodes must be a list.")
    by_name = {n.name: n for n in graph_def.node}
    for d in dest_nodes:
        if d not in by_name:
            raise AssertionError(f"{d} is not in graph")
    keep, stack = set(), list(dest_nodes)
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        stack.extend(_node_name(i) for i in by_name[name].input if _node_name(i) in by_name)
    out = protos.get().graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(copy.deepcopy(n) for n in graph_def.node if n.name in keep)
    return out


def convert_variables_to_constants(sess, input_graph_def, output_node_names,
                                   variable_names_whitelist=None,
                                   variable_names_blacklist=None):
    """The subgraph for `output_node_names` with every variable replaced by a Const of its
    current value in `sess` (TF's freezing).

    Args:
        sess: a Session whose graph holds the variables (initialized).
        input_graph_def: the GraphDef to freeze (e.g. `sess.graph.as_graph_def()`).
        output_node_names: the node names the frozen graph must compute.
        variable_names_whitelist: only these variables are converted.
        variable_names_blacklist: these variables are not converted.

    Returns:
        A GraphDef with no VariableV2 nodes left among those converted.

    Example:
        >>> frozen = tf.graph_util.convert_variables_to_constants(
        ...     sess, sess.graph.as_graph_def(), ["probs"])
    """
    sub = extract_sub_graph(input_graph_def, output_node_names)
    names = [n.name for n in sub.node if n.op in _VARIABLE_OPS
             and (variable_names_whitelist is None or n.name in variable_names_whitelist)
             and (variable_names_blacklist is None or n.name not in variable_names_blacklist)]
    values = dict(zip(names, sess.run([n + ":0" for n in names]))) if names else {}
    out = protos.get().graph_pb2.GraphDef()
    out.versions.CopyFrom(sub.versions)
    out.library.CopyFrom(sub.library)
    for node in sub.node:
        if node.name in values:
            const = out.node.add(name=node.name, op="Const", device=node.device)
            dtype = node.attr["dtype"]
            const.attr["dtype"].CopyFrom(dtype)
            const.attr["value"].tensor.CopyFrom(
                make_tensor_proto(values[node.name], dtype=dtype.type))
            if "_class" in node.attr:
                const.attr["_class"].CopyFrom(node.attr["_class"])
        else:
            out.node.add().CopyFrom(node)
    return out


def remove_training_nodes(input_graph, protected_nodes=None):
    """The graph without the nodes only training needs: Identity (not protected, no control
    inputs, not a control dependency of another node) and CheckNumerics, their consumers
    reading the input directly (TF's rule).

    Args:
        input_graph: a GraphDef.
        protected_nodes: names that stay.

    Returns:
        A new GraphDef.
    """
    protected = set(protected_nodes or ())
    controlled = {i[1:] for n in input_graph.node for i in n.input if i.startswith("^")}
    forward = {}
    for n in input_graph.node:
        data = [i for i in n.input if not i.startswith("^")]
        removable = (n.op == "CheckNumerics" or (n.op == "Identity" and len(data) == len(
            n.input) == 1)) and n.name not in protected and n.name not in controlled
        if removable:
            forward[n.name] = data[0]

    def resolve(i):
        ctrl = i.startswith("^")
        name = _node_name(i)
        seen = 0
        while name in forward and seen <= len(forward):
            i, name, seen = forward[name], _node_name(forward[name]), seen + 1
        return ("^" + name) if ctrl else i

    out = protos.get().graph_pb2.GraphDef()
    out.versions.CopyFrom(input_graph.versions)
    out.library.CopyFrom(input_graph.library)
    for n in input_graph.node:
        if n.name in forward:
            continue
        m = out.node.add()
        m.CopyFrom(n)
        del m.input[:]
        m.input.extend(resolve(i) for i in n.input)
    return out
