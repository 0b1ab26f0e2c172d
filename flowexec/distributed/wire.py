"""Wire form of a TaskPart: plain data a backend can send to a task in another process.

A `split.TaskPart` holds IR nodes whose `origin` are the client's Operations and whose
`op_def`s are registry objects; neither belongs on a wire. `part_to_wire(part)` gives
nested dicts, lists, strings, numbers and numpy arrays only (picklable, no code), and
`part_from_wire(data)` rebuilds the part in the receiving process: op definitions are
looked up by type there, and each node's origin becomes a `WireOrigin` (the user op's
name, type and source line), which is what kernels (`ctx.op.name`) and error messages
read. Errors raised by a rebuilt part carry no Operation; the master puts the client's
back (`master.Master.run`).

Functions travel with the part: an attribute that is a FuncGraph (an `If`'s branches, a
`While`'s condition and body, a `tf.data` function, their gradient functions, functions
nested in functions) is sent as its name in the part's function library (`functions`:
every function described as plain data, `describe_function`, each after those it calls)
and rebuilt in the task's process as a FuncGraph of the same ops, names, devices, argument
and capture placeholders (`rebuild_function`), which the task's kernels plan and run as
any function graph. Attributes that are other Python objects (a `py_func`'s callable,
`Dataset.from_generator`'s generator) have no wire form: `part_to_wire` raises
UnimplementedError naming the node, the op inside a function, and the attribute.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework import graph as graph_mod
from flowexec.framework import registry
from flowexec.framework.function import FuncGraph
from flowexec.framework.operation import NodeDef, Operation
from flowexec.framework.tensor import Tensor
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
    if shape.ndims is None:
        return ("shape", None)
    # plain ints (a dimension may be an int subclass answering TF1's Dimension API)
    return ("shape", [None if d is None else int(d) for d in shape.as_list()])


def _unshape(data):
    return None if data is None else TensorShape(data[1])


def _refuse(node, attr, what, inside=""):
    return errors.UnimplementedError(
        None, node.user_op, f"Attribute {attr!r} of {inside}node {node.name} ({node.type}) "
                            f"is a {what}, which has no wire form for a remote task")


class Encoder:
    """Encodes attribute values; function graphs go to `functions` (each after the functions
    it calls), referred to by name."""

    def __init__(self):
        self.functions = []
        self._names = {}      # id(FuncGraph) -> its name on the wire
        self._taken = set()
        self.graphs = {}      # wire name -> FuncGraph (keeps them alive while ids compare)

    def value(self, v, node, attr, inside=""):
        if isinstance(v, FuncGraph):
            return ("function", self.function(v, node))
        if isinstance(v, dtypes.DType):
            return ("dtype", v.name)
        if isinstance(v, TensorShape):
            return _shape(v)
        if isinstance(v, np.ndarray) and v.dtype.kind != "O":
            return ("array", v)
        if isinstance(v, np.ndarray):
            return ("objects", [self.value(x, node, attr, inside) for x in v.reshape(-1)],
                    list(v.shape))
        if isinstance(v, (list, tuple)):
            return ("list" if isinstance(v, list) else "tuple",
                    [self.value(x, node, attr, inside) for x in v])
        if isinstance(v, dict):
            return ("dict", [(self.value(k, node, attr, inside),
                              self.value(x, node, attr, inside)) for k, x in v.items()])
        if isinstance(v, _PLAIN):
            return ("plain", v)
        raise _refuse(node, attr, type(v).__name__, inside)

    def function(self, fg, node):
        """The wire name of `fg`, described (with the functions it calls) on first use."""
        name = self._names.get(id(fg))
        if name is not None:
            return name
        name, i = fg.name, 0
        while name in self._taken:
            i += 1
            name = f"{fg.name}_{i}"
        self._names[id(fg)] = name
        self._taken.add(name)
        self.graphs[name] = fg
        self.functions.append(describe_function(fg, self, node, name))
        return name


def describe_function(fg, encoder, node, name=None):
    """A FuncGraph as plain data: its ops in creation order (inputs by "op:index"), argument
    and capture placeholders, outputs. Functions its ops carry go to `encoder.functions`.

    Raises:
        UnimplementedError: an attribute with no wire form, or an op reading a tensor of
            another graph.
    """
    ops = []
    for op in fg.get_operations():
        inside = f"op {op.name} ({op.type}) of function '{fg.name}' of "
        for t in op.inputs:
            if t.op.graph is not fg:
                raise errors.UnimplementedError(
                    None, node.user_op, f"The {inside}node {node.name} reads {t.name} of "
                                        f"another graph, which has no wire form")
        ops.append({
            "name": op.name, "type": op.type,
            "attrs": {k: encoder.value(v, node, k, inside) for k, v in op.attrs.items()},
            "inputs": [t.name for t in op.inputs],
            "control_inputs": [c.name for c in op.control_inputs if c.graph is fg],
            "device": op.device, "colocation": list(op._colocation),
            "outputs": [(t.dtype.name, _shape(t.shape)) for t in op.outputs],
            "line": op.source_line()})
    return {"name": name or fg.name, "func_name": fg.name, "seed": fg.seed, "ops": ops,
            "inputs": [t.name for t in fg.inputs], "outputs": [t.name for t in fg.outputs],
            "captures": [inner.name for _, inner in fg.captures]}


def rebuild_function(data, functions):
    """The FuncGraph of `describe_function`'s data, in this process (op definitions from its
    registry; the functions it calls from `functions`, {wire name: FuncGraph}). Its ops are
    made as described (no inference); its captures have no outer tensor (None): the caller
    feeds their values, as an If/While/dataset kernel does.

    Raises:
        NotFoundError: an op type this process does not have.
    """
    fg = FuncGraph(data["func_name"], graph_mod.Graph())
    fg.name = data["func_name"]
    fg.seed = data["seed"]
    by_name = {}
    for d in data["ops"]:
        op_def = _op_def(d["type"], d["name"])
        inputs = [_tensor(by_name, t) for t in d["inputs"]]
        attrs = {k: decode_value(v, functions) for k, v in d["attrs"].items()}
        op = Operation(fg, d["type"], d["name"], inputs,
                       attrs, [by_name[c] for c in d["control_inputs"]], op_def)
        file, _, line = d["line"].rpartition(":")
        op._stack = [(file, int(line) if line.isdigit() else 0, "<remote>")]
        op._outputs = tuple(Tensor(op, i, dtypes.as_dtype(dt), _unshape(sh))
                            for i, (dt, sh) in enumerate(d["outputs"]))
        op._device = d["device"]
        op._colocation = tuple(d["colocation"])
        fg._add_op(op)
        for t in inputs:
            t._consumers.append(op)
        by_name[op.name] = op
    fg.inputs = [_tensor(by_name, t) for t in data["inputs"]]
    fg.outputs = [_tensor(by_name, t) for t in data["outputs"]]
    fg.structured_outputs = list(fg.outputs)
    fg.captures = [(None, _tensor(by_name, t)) for t in data["captures"]]
    fg.finalize()
    return fg


def rebuild_functions(descriptions):
    """{wire name: FuncGraph} of a list of descriptions (each after those it calls)."""
    functions = {}
    for d in descriptions:
        functions[d["name"]] = rebuild_function(d, functions)
    return functions


def _tensor(by_name, name):
    op, _, index = name.rpartition(":")
    return by_name[op].outputs[int(index)]


def _op_def(type_, name):
    try:
        return registry.get_op_def(type_)
    except LookupError:
        raise errors.NotFoundError(
            None, None, f"Op type not registered '{type_}' in this task's process "
                        f"(node {name})") from None


def decode_value(data, functions):
    """An attribute value of its wire form (functions from {wire name: FuncGraph})."""
    kind = data[0]
    if kind == "function":
        return functions[data[1]]
    if kind == "dtype":
        return dtypes.as_dtype(data[1])
    if kind == "shape":
        return TensorShape(data[1])
    if kind in ("array", "plain"):
        return data[1]
    if kind == "objects":
        out = np.empty(len(data[1]), dtype=object)
        out[:] = [decode_value(x, functions) for x in data[1]]
        return out.reshape(data[2])
    if kind in ("list", "tuple"):
        items = [decode_value(x, functions) for x in data[1]]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {decode_value(k, functions): decode_value(v, functions) for k, v in data[1]}
    raise ValueError(f"Unknown wire value kind {kind!r}")


def _ref(r):
    return (r.node, r.index, None if r.dtype is None else r.dtype.name, _shape(r.shape))


def _unref(data):
    return Ref(data[0], data[1], None if data[2] is None else dtypes.as_dtype(data[2]),
               _unshape(data[3]))


def part_to_wire(part):
    """The wire form (plain data) of a TaskPart.

    Raises:
        UnimplementedError: a node (or an op of a function it carries) has an attribute
            with no wire form (a Python callable).
    """
    encoder = Encoder()
    nodes = []
    for n in part.graph.nodes:
        nodes.append({
            "name": n.name, "type": n.type,
            "attrs": {k: encoder.value(v, n, k) for k, v in n.attrs.items()},
            "inputs": [_ref(r) for r in n.inputs],
            "control_inputs": list(n.control_inputs),
            "output_dtypes": [d.name for d in n.output_dtypes],
            "output_shapes": [_shape(s) for s in n.output_shapes],
            "device": n.device, "colocation": list(n.colocation),
            "origin": [(o.name, o.type, o.source_line()) for o in n.origin],
        })
    g = part.graph
    return {"task": part.task, "incarnation": part.incarnation,
            "placement": dict(part.placement), "functions": encoder.functions, "nodes": nodes,
            "feeds": [_ref(r) for r in g.feeds], "fetches": [_ref(r) for r in g.fetches],
            "targets": list(g.targets), "pulled_by": sorted(part.pulled_by)}


def part_from_wire(data):
    """The TaskPart of a wire form (op definitions from this process's registry).

    Raises:
        NotFoundError: an op type this process does not have.
    """
    functions = rebuild_functions(data["functions"])
    nodes = []
    for d in data["nodes"]:
        op_def = _op_def(d["type"], d["name"])
        nodes.append(Node(
            d["name"], d["type"], op_def,
            {k: decode_value(v, functions) for k, v in d["attrs"].items()},
            tuple(_unref(r) for r in d["inputs"]), tuple(d["control_inputs"]),
            tuple(dtypes.as_dtype(t) for t in d["output_dtypes"]),
            tuple(_unshape(s) for s in d["output_shapes"]), d["device"],
            tuple(d["colocation"]), tuple(WireOrigin(*o) for o in d["origin"])))
    graph = GraphIR(tuple(nodes), tuple(_unref(r) for r in data["feeds"]),
                    tuple(_unref(r) for r in data["fetches"]), tuple(data["targets"]))
    graph.validate()
    return TaskPart(data["task"], graph, dict(data["placement"]), data["incarnation"],
                    frozenset(data.get("pulled_by", ())))
