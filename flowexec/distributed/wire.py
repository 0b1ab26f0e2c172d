"""Wire form of a TaskPart: plain data a backend can send to a task in another process.

A `split.TaskPart` holds IR nodes whose `origin` are the client's Operations and whose
`op_def`s are registry objects; neither belongs on a wire. `part_to_wire(part)` gives
nested dicts, lists, strings, numbers and numpy arrays only (picklable, no code), and
`part_from_wire(data)` rebuilds the part in the receiving process: op definitions are
looked up by type there, and each node's origin becomes a `WireOrigin` (the user op's
name, type and source line), which is what kernels (`ctx.op.name`) and error messages
read. Errors raised by a rebuilt part carry no Operation; the master puts the client's
back (`master.Master.run`).

Attributes that are functions (`If`/`While` branches, `tf.data` functions) or other
Python objects have no wire form yet: `part_to_wire` raises UnimplementedError naming the
node and attribute.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework import registry
from flowexec.framework.operation import NodeDef
from flowexec.framework.tensor_shape import TensorShape
from flowexec.runtime.ir import GraphIR, Node, Ref
from flowexec.distributed.split import TaskPart

_PLAIN = (bool, int, float, str, bytes, type(None), np.generic)


class WireOrigin:
    """What a rebuilt node knows of the user Operation behind it."""

    __slots__ = ("name", "type", "_line")

    def __init__(self, name, type_, line):
        self.name = name
        self.type = type_
        self._line = line

    traceback = ()

    def source_line(self):
        return self._line

    @property
    def node_def(self):
        return NodeDef(self.name, self.type, [], "", {})

    def __repr__(self):
        return f"<WireOrigin {self.name} ({self.type})>"


def _shape(shape):
    if shape is None:
        return None
    shape = TensorShape(shape) if not isinstance(shape, TensorShape) else shape
    return ("shape", None if shape.ndims is None else list(shape.as_list()))


def _unshape(data):
    return None if data is None else TensorShape(data[1])


def _value(v, node, attr):
    if isinstance(v, dtypes.DType):
        return ("dtype", v.name)
    if isinstance(v, TensorShape):
        return _shape(v)
    if isinstance(v, np.ndarray) and v.dtype.kind != "O":
        return ("array", v)
    if isinstance(v, np.ndarray):
        return ("objects", [_value(x, node, attr) for x in v.reshape(-1)], list(v.shape))
    if isinstance(v, (list, tuple)):
        return ("list" if isinstance(v, list) else "tuple",
                [_value(x, node, attr) for x in v])
    if isinstance(v, dict):
        return ("dict", [(_value(k, node, attr), _value(x, node, attr))
                         for k, x in v.items()])
    if isinstance(v, _PLAIN):
        return ("plain", v)
    raise errors.UnimplementedError(
        None, node.user_op, f"Attribute {attr!r} of node {node.name} ({node.type}) is a "
                            f"{type(v).__name__}, which has no wire form for a remote task")


def _unvalue(data):
    kind = data[0]
    if kind == "dtype":
        return dtypes.as_dtype(data[1])
    if kind == "shape":
        return TensorShape(data[1])
    if kind in ("array", "plain"):
        return data[1]
    if kind == "objects":
        out = np.empty(len(data[1]), dtype=object)
        out[:] = [_unvalue(x) for x in data[1]]
        return out.reshape(data[2])
    if kind in ("list", "tuple"):
        items = [_unvalue(x) for x in data[1]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {_unvalue(k): _unvalue(v) for k, v in data[1]}
    raise ValueError(f"Unknown wire value kind {kind!r}")


def _ref(r):
    return (r.node, r.index, None if r.dtype is None else r.dtype.name, _shape(r.shape))


def _unref(data):
    return Ref(data[0], data[1], None if data[2] is None else dtypes.as_dtype(data[2]),
               _unshape(data[3]))


def part_to_wire(part):
    """The wire form (plain data) of a TaskPart.

    Raises:
        UnimplementedError: a node has an attribute with no wire form (a function).
    """
    nodes = []
    for n in part.graph.nodes:
        nodes.append({
            "name": n.name, "type": n.type,
            "attrs": {k: _value(v, n, k) for k, v in n.attrs.items()},
            "inputs": [_ref(r) for r in n.inputs],
            "control_inputs": list(n.control_inputs),
            "output_dtypes": [d.name for d in n.output_dtypes],
            "output_shapes": [_shape(s) for s in n.output_shapes],
            "device": n.device, "colocation": list(n.colocation),
            "origin": [(o.name, o.type, o.source_line()) for o in n.origin],
        })
    g = part.graph
    return {"task": part.task, "incarnation": part.incarnation,
            "placement": dict(part.placement), "nodes": nodes,
            "feeds": [_ref(r) for r in g.feeds], "fetches": [_ref(r) for r in g.fetches],
            "targets": list(g.targets)}


def part_from_wire(data):
    """The TaskPart of a wire form (op definitions from this process's registry).

    Raises:
        NotFoundError: an op type this process does not have.
    """
    nodes = []
    for d in data["nodes"]:
        try:
            op_def = registry.get_op_def(d["type"])
        except LookupError:
            raise errors.NotFoundError(
                None, None, f"Op type not registered '{d['type']}' in this task's "
                            f"process (node {d['name']})") from None
        nodes.append(Node(
            d["name"], d["type"], op_def, {k: _unvalue(v) for k, v in d["attrs"].items()},
            tuple(_unref(r) for r in d["inputs"]), tuple(d["control_inputs"]),
            tuple(dtypes.as_dtype(t) for t in d["output_dtypes"]),
            tuple(_unshape(s) for s in d["output_shapes"]), d["device"],
            tuple(d["colocation"]), tuple(WireOrigin(*o) for o in d["origin"])))
    graph = GraphIR(tuple(nodes), tuple(_unref(r) for r in data["feeds"]),
                    tuple(_unref(r) for r in data["fetches"]), tuple(data["targets"]))
    graph.validate()
    return TaskPart(data["task"], graph, dict(data["placement"]), data["incarnation"])
