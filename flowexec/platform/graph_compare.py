"""`tf.test.assert_equal_graph_def`: GraphDefs equal up to node order, as TF's C++
EqualGraphDef compares them, with its messages for the first difference.

Nodes match by name; a node's op, device, regular inputs (in order) and control inputs (as a
set) and its attributes must be equal, attributes starting with "_" left out; tensors
compare by dtype, shape and values. With `checkpoint_v2` the random `_temp_<uuid>/part`
names of sharded saves, with `hash_table_shared_name` the random shared names of hash
tables, are ignored.
"""

import re

import numpy as np

__all__ = ["assert_equal_graph_def"]

_TEMP_PART = re.compile(rb"_temp_[0-9a-z]{32}/part")
_HASH_TABLE_NAME = re.compile(rb"hash_table_[0-9a-z\-]+")
_HASH_TABLES = ("HashTable", "HashTableV2", "MutableHashTable", "MutableHashTableV2",
                "MutableDenseHashTable", "MutableDenseHashTableV2",
                "MutableHashTableOfTensors", "MutableHashTableOfTensorsV2")


def _tensor_summary(tp):
    from flowexec.graph_io import tensor_proto

    value = tensor_proto.make_ndarray(tp)
    dtype = {"float32": "float", "float64": "double", "object": "string"}.get(
        value.dtype.name, value.dtype.name)
    flat = value.reshape(-1)
    shown = []
    for v in flat[:3]:
        if isinstance(v, bytes):
            shown.append(v.decode("utf-8", "backslashreplace"))
        elif isinstance(v, (float, np.floating)):
            shown.append("%g" % v)
        else:
            shown.append(str(v.item() if hasattr(v, "item") else v))
    dims = ",".join(str(d) for d in value.shape)
    more = "..." if flat.size > 3 else ""
    return f"Tensor<type: {dtype} shape: [{dims}] values: {' '.join(shown)}{more}>"


def _dtype_name(enum):
    from flowexec.graph_io import protos

    return protos.get().types_pb2.DataType.Name(enum)


def _shape_summary(shape):
    if shape.unknown_rank:
        return "<unknown>"
    return "[" + ",".join("?" if d.size < 0 else str(d.size) for d in shape.dim) + "]"


def _attr_summary(av):
    which = av.WhichOneof("value")
    if which == "tensor":
        return _tensor_summary(av.tensor)
    if which == "type":
        return _dtype_name(av.type)
    if which == "shape":
        return _shape_summary(av.shape)
    if which == "s":
        return '"' + av.s.decode("utf-8", "backslashreplace") + '"'
    if which == "b":
        return "true" if av.b else "false"
    if which == "i":
        return str(av.i)
    if which == "f":
        return "%g" % av.f
    if which == "func":
        return av.func.name
    if which == "list":
        lst = av.list
        items = ([_dtype_name(t) for t in lst.type] or [_shape_summary(s) for s in lst.shape]
                 or [str(i) for i in lst.i] or ["%g" % f for f in lst.f]
                 or ['"' + s.decode("utf-8", "backslashreplace") + '"' for s in lst.s]
                 or [("true" if b else "false") for b in lst.b]
                 or [_tensor_summary(t) for t in lst.tensor])
        return "[" + ", ".join(items) + "]"
    return ""


def _node_summary(node):
    attrs = ", ".join(f"{k}={_attr_summary(node.attr[k])}" for k in sorted(node.attr))
    return (f"{{{{node {node.name}}}}} = {node.op}" + (f"[{attrs}]" if attrs else "")
            + "(" + ", ".join(node.input) + ")")


def _attrs_equal(a, b):
    if a.WhichOneof("value") == "tensor" and b.WhichOneof("value") == "tensor":
        from flowexec.graph_io import tensor_proto

        x, y = tensor_proto.make_ndarray(a.tensor), tensor_proto.make_ndarray(b.tensor)
        return x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y)
    return a.SerializeToString(deterministic=True) == b.SerializeToString(deterministic=True)


def _node_difference(actual, expected):
    name = actual.name
    if actual.op != expected.op:
        return f"Node named '{name}' has op '{actual.op}' that is not expected '{expected.op}'"
    if actual.device != expected.device:
        return (f"Node named '{name}' has device '{actual.device}' that is not expected "
                f"'{expected.device}'")
    inputs = (f"Node named '{name}' has inputs '{', '.join(actual.input)}' that don't match "
              f"expected '{', '.join(expected.input)}'")
    if len(actual.input) != len(expected.input):
        return inputs
    regular = [i for i in actual.input if not i.startswith("^")]
    for i, a in enumerate(regular):
        if a != expected.input[i]:
            return (f"Node named '{name}' has input {i} '{a}' that doesn't match expected "
                    f"'{expected.input[i]}'")
    if set(actual.input[len(regular):]) != set(expected.input[len(regular):]):
        return inputs
    for key in sorted(actual.attr):
        if key.startswith("_"):
            continue
        if key not in expected.attr:
            return (f"Node named '{name}' has unexpected attr '{key}' with value: "
                    f"{_attr_summary(actual.attr[key])}")
        if not _attrs_equal(actual.attr[key], expected.attr[key]):
            return (f"Node named '{name}' has attr '{key}' with value: "
                    f"{_attr_summary(actual.attr[key])} that does not match expected: "
                    f"{_attr_summary(expected.attr[key])}")
    for key in sorted(expected.attr):
        if not key.startswith("_") and key not in actual.attr:
            return (f"Node named '{name}' missing expected attr '{key}' with value: "
                    f"{_attr_summary(expected.attr[key])}")
    return None


def _stripped(graph_def, checkpoint_v2, hash_table_shared_name):
    if not (checkpoint_v2 or hash_table_shared_name):
        return graph_def
    out = type(graph_def)()
    out.CopyFrom(graph_def)
    for node in out.node:
        for key in list(node.attr):
            av = node.attr[key]
            if checkpoint_v2 and av.WhichOneof("value") == "tensor" and any(
                    _TEMP_PART.search(s) for s in av.tensor.string_val):
                del node.attr[key]
        if hash_table_shared_name and node.op in _HASH_TABLES and "shared_name" in node.attr \
                and _HASH_TABLE_NAME.match(node.attr["shared_name"].s):
            del node.attr["shared_name"]
    return out


def assert_equal_graph_def(expected, actual, checkpoint_v2=False,
                           hash_table_shared_name=False):
    """Asserts that two GraphDefs are equal up to node order (TF 1.x's
    `tf.test.assert_equal_graph_def`). As TF 1.x's, it hands its arguments to the C++
    comparison in this order, so its messages call the first graph "actual" (its extra
    nodes are "unexpected") and the second "expected".

    Args:
        expected: a GraphDef (the messages' "actual").
        actual: a GraphDef (the messages' "expected").
        checkpoint_v2: ignore the random names of sharded V2 saves.
        hash_table_shared_name: ignore the random shared names of hash tables.

    Raises:
        TypeError: an argument is not a GraphDef.
        AssertionError: the graphs differ; the message names the first difference, in TF's
            words ("Node named 'b' has op 'AddV2' that is not expected 'Mul'", "Did not find
            expected node '{{node x}} = ...'").

    Example:
        >>> tf.test.assert_equal_graph_def(g1.as_graph_def(), g2.as_graph_def())
    """
    from flowexec.graph_io import protos

    graph_def = protos.get().graph_pb2.GraphDef
    actual, expected = expected, actual  # TF 1.x's order (see the docstring)
    for value, what in ((actual, "actual"), (expected, "expected")):
        if not isinstance(value, graph_def):
            raise TypeError(f"Expected tf.GraphDef for {what}, got {type(value).__name__}")
    actual = _stripped(actual, checkpoint_v2, hash_table_shared_name)
    expected = _stripped(expected, checkpoint_v2, hash_table_shared_name)
    by_name = {n.name: n for n in expected.node}
    seen = set()
    for node in actual.node:
        other = by_name.get(node.name)
        if other is None:
            raise AssertionError(f"Found unexpected node '{_node_summary(node)}'")
        seen.add(node.name)
        diff = _node_difference(node, other)
        if diff:
            raise AssertionError(diff)
    for node in expected.node:
        if node.name not in seen:
            raise AssertionError(f"Did not find expected node '{_node_summary(node)}'")
