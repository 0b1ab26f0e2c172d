"""TensorFlow GraphDefs into a flowexec Graph: `tf.import_graph_def`.

Import checks the whole GraphDef before it adds an op: every node's op type is a TensorFlow
op flowexec has, every input names a node of the GraphDef (`x`, `x:1`, `^ctrl`, in any
order: forward references are fine), the graph is acyclic, every `input_map` key exists. Then it adds the
nodes in topological order through the ops' own definitions, so shape and dtype inference
run as for ops built in Python. Attributes missing from a NodeDef take TF's defaults. An
error while adding (a dtype mismatch, an inference error) removes the ops added so far, so a
failed import leaves the graph as it was.

v1 control flow (Switch, Merge, Enter, Exit, NextIteration, LoopCond), which TF 1.x's
tf.cond and tf.while_loop write, is converted to flowexec's functional If/While
(`functionalize`); what does not follow those patterns is refused, naming the ops. TF 2.x's
functional If/StatelessIf/While/StatelessWhile nodes over the GraphDef's function `library`
import as flowexec If/While too (`functions`); dataset ops with functions (MapDataset's
`f`, FilterDataset's `predicate`, ..., OneShotIterator's `dataset_factory`) as flowexec's
dataset ops over function graphs traced from those FunctionDefs (`dataset_functions`).

Safety: importing runs no code from the file. A node that would call a Python function
(PyFunc), an op type flowexec does not know, or v1 control flow that cannot be converted is
an error naming the node and its type; nothing is imported then.
"""

import collections
import heapq

from flowexec.framework import errors, registry
from flowexec.framework import graph as graph_mod
from flowexec.framework.operation import Operation
from flowexec.framework.tensor import Tensor
from flowexec.graph_io import dataset_functions, protos, schema
from flowexec.graph_io.attr_value import from_attr_value

__all__ = ["V1_CONTROL_FLOW", "import_graph_def", "import_nodes"]

V1_CONTROL_FLOW = frozenset([
    "Switch", "RefSwitch", "Merge", "RefMerge", "Enter", "RefEnter", "Exit", "RefExit",
    "NextIteration", "RefNextIteration", "LoopCond", "ControlTrigger"])


def _parse_input(s):
    """("name", index) of "name:i" / "name", or ("name", -1) of "^name"."""
    if s.startswith("^"):
        return s[1:], -1
    name, sep, idx = s.rpartition(":")
    if sep and idx.isdigit():
        return name, int(idx)
    return s, 0


def _key(name, index):
    return f"^{name}" if index < 0 else f"{name}:{index}"


def _check_args(graph_def, input_map, return_elements):
    if not (hasattr(graph_def, "node") and hasattr(graph_def, "SerializeToString")):
        raise TypeError("graph_def must be a GraphDef proto.")
    normalized = {}
    if input_map is not None:
        if not isinstance(input_map, dict):
            raise TypeError("input_map must be a dictionary mapping strings to Tensor objects.")
        for k, v in input_map.items():
            if not isinstance(k, str):
                raise TypeError("input_map must be a dictionary mapping strings to Tensor "
                                "objects.")
            name, idx = _parse_input(k)
            if idx >= 0 and not isinstance(v, Tensor):
                raise TypeError("input_map must be a dictionary mapping strings to Tensor "
                                f"objects; '{k}' maps to {v!r}")
            if idx < 0 and not isinstance(v, Operation):
                v = getattr(v, "op", v)
            normalized[_key(name, idx)] = v
    if return_elements is not None and (isinstance(return_elements, str) or not all(
            isinstance(x, str) for x in return_elements)):
        raise TypeError("return_elements must be a list of strings.")
    return normalized


def _refuse(nodes, builders=()):
    """Raises for node types import must not or cannot build; names every such node."""
    from flowexec.graph_io.dataset_functions import ALIASES

    nodes = [n for n in nodes if n.name not in builders and n.op not in ALIASES]
    flow = [n for n in nodes if n.op in V1_CONTROL_FLOW]
    if flow:
        listed = ", ".join(f"'{n.name}' ({n.op})" for n in flow[:10])
        more = f" and {len(flow) - 10} more" if len(flow) > 10 else ""
        raise ValueError(
            f"Cannot import a graph with TF 1.x (v1) control flow: nodes {listed}{more}. "
            "flowexec runs functional control flow (tf.cond/tf.while_loop build If/While); "
            "rebuild the model with them")
    ops = registry.registered_ops()
    for n in nodes:
        od = ops.get(n.op)
        if od is None or schema.schema_for(n.op) is None or od.node_def_form.flowexec_only:
            raise errors.NotFoundError(
                None, None, f"Op type not registered '{n.op}' in binary running on flowexec "
                f"(node '{n.name}'). Make sure the Op and Kernel are registered in the binary "
                "running in this process.")
        if not od.node_def_form.importable:
            raise ValueError(f"Node '{n.name}' of type '{n.op}' cannot be imported: "
                             f"{od.node_def_form.reason}")


def _topological(nodes, by_name, external=()):
    """The nodes in an order where every input comes first (Kahn's algorithm, the earliest
    ready node in file order first: a file already in order keeps it).

    Raises:
        ValueError: a node names a missing input or output, or nodes form a cycle.
    """
    pending = {}
    users = collections.defaultdict(list)
    for n in nodes:
        deps = set()
        for s in n.input:
            src, _ = _parse_input(s)
            if src not in by_name:
                if src in external:
                    continue
                raise ValueError(f"Node '{n.name}': Unknown input node '{s}'")
            deps.add(src)
        pending[n.name] = len(deps)
        for d in deps:
            users[d].append(n.name)
    index = {n.name: i for i, n in enumerate(nodes)}
    ready = [i for i, n in enumerate(nodes) if pending[n.name] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        order.append(node)
        for u in users[node.name]:
            pending[u] -= 1
            if pending[u] == 0:
                heapq.heappush(ready, index[u])
    if len(order) != len(nodes):
        raise ValueError(f"{len(nodes) - len(order)} nodes in a cycle")
    return order


class _Outputs:
    """What a converted control flow construct gave the importer: its output tensors."""

    def __init__(self, outputs):
        self.outputs = list(outputs)
        self.name = self.outputs[0].op.name if self.outputs else ""


class _Importer:
    def __init__(self, graph, nodes, input_map, scope, builders=None, external=None,
                 library=None):
        self.graph = graph
        self.library = library  # the FunctionDefLibrary dataset ops' functions come from
        self.nodes = list(nodes)
        self.builders = builders or {}
        self.external = external or {}  # keys of tensors outside the nodes -> Tensors
        self.by_name = {}
        for n in self.nodes:
            if n.name in self.by_name:
                raise ValueError(f"Node '{n.name}' is not unique")
            self.by_name[n.name] = n
        self.input_map = input_map
        self.used_keys = set()
        self.scope = scope
        self.ops = {}  # GraphDef node name -> new Operation
        self.attr_value_cls = protos.get().attr_value_pb2.AttrValue

    def check_input_map(self):
        missing = []
        for key in self.input_map:
            name, _ = _parse_input(key)
            if name not in self.by_name:
                missing.append(key)
        if missing:
            raise ValueError(f"Attempted to map inputs that were not found in graph_def: "
                             f"[{', '.join(missing)}]")

    def resolve(self, node, s):
        src, idx = _parse_input(s)
        key = _key(src, idx)
        if key in self.input_map:
            self.used_keys.add(key)
            return self.input_map[key]
        if src not in self.ops and src not in self.by_name:
            return self.external[key]  # a function's input or outer tensor (import_nodes)
        op = self.ops[src]
        if idx < 0:
            return op.outputs[0].op if isinstance(op, _Outputs) else op
        if idx >= len(op.outputs):
            raise ValueError(f"Node '{node.name}': Connecting to invalid output {idx} of source "
                             f"node {src} which has {len(op.outputs)} outputs.")
        return op.outputs[idx]

    def attrs(self, node, sch, new_name):
        out = {}
        for name, spec in sch.attrs.items():
            if name in node.attr:
                av = node.attr[name]
            else:
                av = sch.default_attr_value(name, self.attr_value_cls)
                if av is None:
                    raise ValueError(f"NodeDef missing attr '{name}' from Op<name={node.op}>; "
                                     f"NodeDef: {{{{node {new_name}}}}}")
            try:
                out[name] = from_attr_value(av, spec.type)
            except (TypeError, ValueError) as e:
                raise ValueError(f"Node '{node.name}': attribute '{name}': {e}") from e
        for name, av in node.attr.items():
            if name.startswith("_") and name not in ("_class", "_output_shapes"):
                out[name] = from_attr_value(av)
        return out

    def check_types(self, node, sch, attrs, inputs, new_name):
        counts = {k: v for k, v in attrs.items()
                  if isinstance(v, int) and not isinstance(v, bool)}
        try:
            parts = sch.split_inputs(len(inputs), counts)
        except ValueError:
            raise ValueError(f"NodeDef expected inputs of {node.op} do not match "
                             f"{len(inputs)} inputs specified; NodeDef: "
                             f"{{{{node {new_name}}}}}") from None
        for arg, start, stop in parts:
            for i in range(start, stop):
                t = inputs[i]
                if arg.type is not None:
                    want = arg.type
                elif arg.type_attr:
                    want = attrs[arg.type_attr]
                elif arg.type_list_attr:
                    want = attrs[arg.type_list_attr][i - start]
                else:
                    continue
                if t.dtype.base_dtype is not want:
                    raise ValueError(f"Input {i} of node {new_name} was passed "
                                     f"{t.dtype.proto_name} from {t.name} incompatible with "
                                     f"expected {want.proto_name}.")
        return parts

    def refs(self, node, od, parts, inputs, attrs, new_name):
        """Turns TF's ref inputs into flowexec's form (variable names in an attribute)."""
        form = od.node_def_form
        if not form.ref_attr:
            return inputs
        ref_positions = [i for arg, start, stop in parts if arg.is_ref
                         for i in range(start, stop)]
        names = []
        for i in ref_positions:
            t = inputs[i]
            if not t.op.op_def.ref_output:
                raise ValueError(f"Input {i} of node {new_name} was passed "
                                 f"{t.dtype.proto_name} from {t.name} incompatible with expected "
                                 f"{t.dtype.proto_name}_ref.")
            names.append(t.op.name)
        var = inputs[ref_positions[0]]
        attrs[form.ref_attr] = names[0] if form.ref_attr == "var_name" else tuple(names)
        for attr, what in form.var_attrs.items():
            attrs[attr] = var.dtype if what == "dtype" else var.shape
        if form.ref_is_input:
            return inputs
        return [t for i, t in enumerate(inputs) if i not in ref_positions]

    def build(self, order):
        from devices.spec import DeviceSpec

        graph = self.graph
        for node in order:
            if node.name in self.builders:  # control flow built by tf.cond / tf.while_loop
                data = [self.resolve(node, s) for s in node.input if not s.startswith("^")]
                controls = [self.resolve(node, s) for s in node.input if s.startswith("^")]
                parent = "/".join(x for x in (graph.get_name_scope(),
                                              _construct_parent(node.name)) if x)
                with graph.control_dependencies(controls), \
                        graph.name_scope(parent + "/" if parent else None):
                    self.ops[node.name] = _Outputs(self.builders[node.name](data))
                continue
            new_name = graph.unique_name(node.name)
            data, controls = [], []
            for s in node.input:
                x = self.resolve(node, s)
                (controls if s.startswith("^") else data).append(x)
            if dataset_functions.has_functions(node):  # map, filter, ..., OneShotIterator
                op = dataset_functions.import_node(node, data, controls, new_name,
                                                   self.library)
                if node.device:
                    op._set_device(DeviceSpec.from_string(node.device).to_string())
                self.ops[node.name] = op
                continue
            sch = schema.schema_for(node.op)
            od = registry.get_op_def(node.op)
            attrs = self.attrs(node, sch, new_name)
            parts = self.check_types(node, sch, attrs, data, new_name)
            data = self.refs(node, od, parts, data, attrs, new_name)
            attrs.update({k: v for k, v in od.node_def_form.fixed_attrs.items()
                          if k not in attrs})
            for v in attrs.values():
                if hasattr(v, "setflags"):
                    v.setflags(write=False)
            result = registry.apply_op(node.op, *data, name=new_name + "/",
                                       control_inputs=controls, **attrs)
            op = result if isinstance(result, Operation) else (
                result[0].op if isinstance(result, tuple) else result.op)
            if node.device:
                op._set_device(DeviceSpec.from_string(node.device).to_string())
            self.ops[node.name] = op
        for node in order:
            if "_class" in node.attr and node.name not in self.builders:
                names = []
                for s in node.attr["_class"].list.s:
                    s = s.decode("utf-8", "replace")
                    if s.startswith("loc:@") and s[5:] in self.ops:
                        names.append(self.ops[s[5:]].name)
                self.ops[node.name]._colocation = tuple(sorted(set(names)))

    def returned(self, return_elements):
        out = []
        for r in return_elements:
            name, idx = _parse_input(r)
            if ":" not in r:
                if name not in self.ops or isinstance(self.ops[name], _Outputs):
                    raise ValueError(f"Requested return node '{r}' not found in graph def")
                out.append(self.ops[name])
                continue
            if name not in self.ops and _key(name, idx) not in self.external:
                raise ValueError(f"Requested return tensor '{r}' not found in graph def")
            key = _key(name, idx)
            if key in self.input_map:
                out.append(self.input_map[key])
                continue
            if name not in self.ops and key in self.external:
                out.append(self.external[key])
                continue
            op = self.ops[name]
            if idx >= len(op.outputs):
                raise ValueError(f"Invalid return output {idx} of node '{name}', which has "
                                 f"{len(op.outputs)} output(s)")
            out.append(op.outputs[idx])
        return out


def _roll_back(graph, mark):
    """Removes the ops added after the graph had `mark` ops (a failed import leaves the graph
    as it was; the names stay reserved, which only skips them for later ops)."""
    with graph._lock:
        added = graph._ops[mark:]
        del graph._ops[mark:]
        for op in added:
            graph._ops_by_name.pop(op.name, None)
            for t in op.inputs:
                if op in t._consumers:
                    t._consumers.remove(op)
        graph._version += 1


def import_graph_def(graph_def, input_map=None, return_elements=None, name=None, op_dict=None,
                     producer_op_list=None):
    """Imports the nodes of `graph_def` into the default graph (TF's `tf.import_graph_def`).

    Args:
        graph_def: a `GraphDef` proto (`tf.GraphDef`, or one TensorFlow wrote and parsed).
        input_map: {"name:i" or "name": Tensor, "^name": Operation}: consumers of those
            outputs in `graph_def` read the given tensors instead.
        return_elements: names of ops ("name") and tensors ("name:i") to return.
        name: prefix of the imported names (default "import"; "" for none; made unique).
        op_dict, producer_op_list: accepted for TF's signature; flowexec's own op
            definitions and TF's schema (graph_io/tf_op_defs.json) decide.

    Returns:
        The Operations and Tensors named by `return_elements`, in order, or None.

    Raises:
        TypeError: arguments of the wrong kind.
        ValueError: TF's messages: "Node 'B': Unknown input node 'A:0'", "Attempted to map
            inputs that were not found in graph_def: [...]", "Input 0 of node import/B was
            passed int32 from import/A:0 incompatible with expected float.", v1 control
            flow that is not a tf.cond / tf.while_loop pattern ("Cannot convert TF 1.x (v1)
            control flow to If/While: ..."; tf.cond and tf.while_loop graphs import as
            If/While), a PyFunc node, cycles, duplicate nodes, missing attributes.
        flowexec.errors.NotFoundError: an op type flowexec does not have.

    Example:
        >>> with tf.Graph().as_default():
        ...     y, = tf.import_graph_def(gd, input_map={"x:0": x}, return_elements=["y:0"])
    """
    del op_dict, producer_op_list
    input_map = _check_args(graph_def, input_map, return_elements)
    graph = graph_mod.get_default_graph()
    nodes, builders, renamed = _functionalized(
        graph_def.node, graph_def.library if graph_def.HasField("library") else None)
    imp = _Importer(graph, nodes, input_map, name, builders,
                    library=graph_def.library if graph_def.HasField("library") else None)
    imp.check_input_map()
    _refuse(imp.nodes, builders)
    order = _topological(imp.nodes, imp.by_name)
    if return_elements is not None:
        for r in return_elements:
            src, idx = _parse_input(r)
            if src not in imp.by_name and _key(src, idx) not in renamed:
                what = "tensor" if ":" in r else "node"
                raise ValueError(f"Requested return {what} '{r}' not found in graph def")
    prefix = "import" if name is None else name
    mark = len(graph.get_operations())
    try:
        with graph.name_scope(prefix or None):
            imp.build(order)
        if return_elements is None:
            return None
        return imp.returned([renamed.get(_key(*_parse_input(r)), r) if ":" in r else r
                             for r in return_elements])
    except BaseException:
        _roll_back(graph, mark)
        raise


def construct_name(node_name):
    """The name scope a control flow construct standing for node `node_name` is built in
    (tf.cond/tf.while_loop's `name`): "cond" for TF's node "cond" and for flowexec's
    "cond/If", so that flowexec's graphs import under their own names."""
    from flowexec.graph_io import functions, functionalize

    scope, _, last = node_name.rpartition("/")
    if (last in functions.FUNCTIONAL or last.startswith(functionalize.CLUSTER_OP)) and scope:
        return scope.rpartition("/")[2]
    return last


def _construct_parent(node_name):
    from flowexec.graph_io import functions, functionalize

    scope, _, last = node_name.rpartition("/")
    if (last in functions.FUNCTIONAL or last.startswith(functionalize.CLUSTER_OP)) and scope:
        return scope.rpartition("/")[0]
    return scope


def _functionalized(nodes, library):
    """The nodes with v1 control flow converted (see `functionalize`), the builders of
    converted constructs and of functional nodes (If/While over `library`, see
    `functions`), and the renamed results."""
    from flowexec.graph_io import functions

    nodes = list(nodes)
    builders = functions.functional_builders(nodes, library)
    if not any(n.op in V1_CONTROL_FLOW for n in nodes):
        return nodes, builders, {}
    from flowexec.graph_io.functionalize import functionalize

    nodes, more, renamed = functionalize(nodes, library)
    builders.update(more)
    return nodes, builders, renamed


def import_nodes(nodes, external, return_keys, library=None, scope=None):
    """Imports NodeDefs into the default graph (a function graph, for converted control
    flow) with their original names (under the name scope `scope`, "a/b/", if given);
    inputs from outside `nodes` come from `external`
    ({"name:i": Tensor}); control inputs to nodes outside are dropped (the caller made the
    whole construct depend on them); If/While nodes call the functions of `library`.
    Returns the tensors of `return_keys` ("name:i")."""
    nodes, builders, renamed = _functionalized(nodes, library)
    graph = graph_mod.get_default_graph()
    imp = _Importer(graph, nodes, {}, "", builders,
                    {_key(*_parse_input(k)): v for k, v in external.items()}, library)
    names = {_parse_input(k)[0] for k in imp.external}
    for i, n in enumerate(imp.nodes):
        kept = [s for s in n.input
                if not (s.startswith("^") and s[1:] not in imp.by_name)]
        if len(kept) != len(n.input):  # a copy: the caller's NodeDefs stay as they are
            m = type(n)()
            m.CopyFrom(n)
            del m.input[:]
            m.input.extend(kept)
            imp.nodes[i] = imp.by_name[n.name] = m
    _refuse(imp.nodes, builders)
    order = _topological(imp.nodes, imp.by_name, names)
    with graph.name_scope(scope):
        imp.build(order)
    keys = [_key(*_parse_input(k)) for k in return_keys]
    return imp.returned([renamed.get(k, k) for k in keys])
