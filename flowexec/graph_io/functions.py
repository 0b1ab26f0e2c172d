"""Function libraries: flowexec's If/While written as TF 2.x writes functional control flow
(an If/StatelessIf/While/StatelessWhile NodeDef whose `then_branch`/`else_branch` or
`cond`/`body` attributes name FunctionDefs of the GraphDef's `library`), and such graphs,
written by TF or by flowexec, imported back as flowexec If/While.

Export (`functional_node_defs`), as TF's cond_v2 and while_v2 lay the ops out:

    If(cond, input; Tcond, Tin, Tout, then_branch, else_branch, output_shapes)
        `input` is flowexec's If inputs after the predicate (the then-branch's captures,
        the else-branch's, the variables the branches read); both branch functions take
        all of them as arguments and use their own.
    While(input; T, cond, body, output_shapes, parallel_iterations)
        `input` is the loop variables, then the condition's captures, then the body's, then
        the variables they read: all loop variables in TF's form; the body passes the extra
        ones through unchanged. The NodeDef has as many outputs as inputs; flowexec's first
        `n_vars` outputs are its first ones, so consumers read the same indices.

A FunctionDef's node inputs name outputs as TF does ("node:output_arg:index", an argument by
its name); its signature's argument names are `input_<i>`, its results `output_<i>`.
A variable a branch or body reads is passed in as a value (an argument): the function reads
the variable's value when the If/While starts, as TF's functions do.

Import (`functional_builders`): each functional node of a GraphDef with a library becomes a
flowexec `tf.cond` / `tf.while_loop` whose branch, condition and body import the named
FunctionDef's nodes with its arguments bound to the inputs (functions nested in functions
too). Refused with a ValueError naming the node: a missing function, an argument count that
does not match, attribute placeholders (polymorphic functions), a function that calls
itself.
"""

import collections
import re
import threading

from flowexec.graph_io import protos, schema

__all__ = ["FUNCTIONAL", "Library", "functional_builders", "functional_node_defs"]

FUNCTIONAL = frozenset({"If", "StatelessIf", "While", "StatelessWhile"})
_ARG = "@arg/"  # prefix of an argument's key: '@' is never in a TF node name


class Library:
    """The FunctionDefs an export collects, by name, in the order they were made."""

    def __init__(self):
        self.functions = collections.OrderedDict()
        self.graphs = {}  # id(FuncGraph) -> (FuncGraph, its FunctionDef's name): each once

    def add(self, fdef):
        self.functions[fdef.signature.name] = fdef

    def unique(self, base):
        name, i = re.sub(r"[^A-Za-z0-9_.\-]", "_", base), 0
        out = name
        while out in self.functions:
            i += 1
            out = f"{name}_{i}"
        return out


# ----- export --------------------------------------------------------------------------------
def _output_args(node):
    """[(output arg name, first flat index, size)] of a NodeDef, by TF's OpDef."""
    from flowexec.graph_io.dataset_functions import ALIASES

    sch = schema.schema_for(node.op) or schema.schema_for(ALIASES.get(node.op, ""))
    if sch is None:
        raise ValueError(f"node '{node.name}' has op type '{node.op}', which flowexec does not "
                         "have")
    out, start = [], 0
    for arg in sch.outputs:
        if arg.number_attr:
            size = node.attr[arg.number_attr].i
        elif arg.type_list_attr:
            size = len(node.attr[arg.type_list_attr].list.type)
        else:
            size = 1
        out.append((arg.name, start, size))
        start += size
    return out


def _output_arg_position(node, flat):
    """(output arg name, index in it) of output `flat` of a NodeDef."""
    for name, start, size in _output_args(node):
        if flat < start + size:
            return name, flat - start
    raise ValueError(f"node '{node.name}' ({node.op}) has no output {flat}")


def _function_def(fg, name, arg_tensors, extra_outputs, library, where, ops=None,
                  results=None):
    """The FunctionDef of a FuncGraph: arguments `input_<i>` standing for `arg_tensors`
    (tensors of `fg`, or None for an argument the function does not use), results its
    outputs then `extra_outputs` (argument positions returned unchanged). `ops` and
    `results` (default: the FuncGraph's ops and outputs) make a function of some ops of
    any graph (a one-shot iterator's dataset factory)."""
    from flowexec.graph_io.export import ExportError, node_defs

    p = protos.get()
    fdef = p.function_pb2.FunctionDef()
    fdef.signature.name = name
    arg_of = {}
    for i, (t, dtype) in enumerate(arg_tensors):
        fdef.signature.input_arg.add(name=f"input_{i}", type=dtype.base_dtype.as_datatype_enum)
        if t is not None:
            arg_of[t.name] = f"input_{i}"
    skipped = {t.op.name for t, _ in arg_tensors if t is not None}
    nodes = []
    for op in (fg.get_operations() if ops is None else ops):
        if op.name in skipped:
            continue
        if op.type == "VariableV2":
            raise ExportError(f"{where}: the function reads variable '{op.name}' that is not "
                              "one of its inputs")
        nodes.extend(node_defs(op, library=library))
    by_name = {n.name: n for n in nodes}

    def ref(s):
        control = s.startswith("^")
        body = s[1:] if control else s
        src, _, idx = body.partition(":")
        idx = int(idx or 0)
        if src in skipped or f"{src}:{idx}" in arg_of:
            return None if control else arg_of[f"{src}:{idx}"]
        if src not in by_name:
            raise ExportError(f"{where}: input '{s}' is outside the function")
        if control:
            return "^" + src
        arg, j = _output_arg_position(by_name[src], idx)
        return f"{src}:{arg}:{j}"

    for n in nodes:
        fixed = [r for r in (ref(s) for s in n.input) if r is not None]
        del n.input[:]
        n.input.extend(fixed)
    outputs = [(t._as_node_def_input(), t.dtype)
               for t in (fg.outputs if results is None else results)]
    outputs += [(None, arg_tensors[k][1], k) for k in extra_outputs]
    for i, out in enumerate(outputs):
        dtype = out[1]
        fdef.signature.output_arg.add(name=f"output_{i}",
                                      type=dtype.base_dtype.as_datatype_enum)
        if out[0] is None or ref(out[0]) in arg_of.values():  # an argument: via an Identity
            arg = f"input_{out[2]}" if out[0] is None else ref(out[0])
            ident = p.node_def_pb2.NodeDef(name=f"output_{i}_identity", op="Identity",
                                           input=[arg])
            ident.attr["T"].type = dtype.base_dtype.as_datatype_enum
            nodes.append(ident)
            fdef.ret[f"output_{i}"] = f"{ident.name}:output:0"
        else:
            fdef.ret[f"output_{i}"] = ref(out[0])
    fdef.node_def.extend(nodes)
    library.add(fdef)
    return name


def _func_attr(node, attr, name):
    node.attr[attr].func.name = name


def _types(node, attr, dtypes):
    node.attr[attr].list.type.extend(d.base_dtype.as_datatype_enum for d in dtypes)


def _shapes(node, attr, shapes):
    from flowexec.graph_io.tensor_proto import shape_proto

    node.attr[attr].list.shape.extend(shape_proto(s) for s in shapes)


def functional_node_defs(op, library):
    """TF's NodeDef of a flowexec If/While op, its functions added to `library`."""
    p = protos.get()
    where = f"Cannot export op '{op.name}' of type '{op.type}'"
    base = op.graph.name + "_" + op.name if hasattr(op.graph, "outer_graph") else op.name
    inputs = list(op.inputs)
    node = p.node_def_pb2.NodeDef(name=op.name, op=op.type, device=op.device or "")
    a = op.attrs
    if a.get("extra_names") or a.get("accumulate") is not None:
        raise ValueError(f"{where}: it outputs the intermediates of a gradient taken through "
                         f"it (tf.gradients of a tf.cond/tf.while_loop), which flowexec does "
                         f"not write as TF functions yet")
    if op.type in ("If", "StatelessIf"):
        rest = inputs[1:]
        n_then, n_else = a["n_then"], a["n_else"]
        var_pos = {t.op.name: k for k, t in enumerate(rest) if k >= n_then + n_else}
        names = []
        for fg, lo, hi, suffix in ((a["then_branch"], 0, n_then, "then_branch"),
                                   (a["else_branch"], n_then, n_then + n_else, "else_branch")):
            args = [(None, t.dtype) for t in rest]
            for k, inner in enumerate(fg.internal_captures):
                args[lo + k] = (inner, rest[lo + k].dtype)
            for mirror in fg.variables:
                k = var_pos[mirror.name]
                args[k] = (fg.get_operation_by_name(mirror.name).outputs[0], rest[k].dtype)
            names.append(_function_def(fg, library.unique(f"{base}_{suffix}"), args, [],
                                       library, where))
        node.input.extend([t._as_node_def_input() for t in inputs])
        node.attr["Tcond"].type = inputs[0].dtype.base_dtype.as_datatype_enum
        _types(node, "Tin", [t.dtype for t in rest])
        _types(node, "Tout", [t.dtype for t in op.outputs])
        _func_attr(node, "then_branch", names[0])
        _func_attr(node, "else_branch", names[1])
        _shapes(node, "output_shapes", [t.shape for t in op.outputs])
    else:
        n_vars, n_cond = a["n_vars"], a["n_cond"]
        cond_fg, body_fg = a["cond"], a["body"]
        variables = list(cond_fg.variables) + [v for v in body_fg.variables
                                                if v not in cond_fg.variables]
        # flowexec's trailing inputs (the body's variables, for gradients) are written in
        # TF's form here, with the condition's.
        inputs = inputs[:n_vars + n_cond + len(body_fg.captures)]
        all_inputs = inputs + [v.outputs[0] for v in variables]
        var_pos = {v.name: len(inputs) + j for j, v in enumerate(variables)}
        names = []
        for fg, lo, suffix in ((cond_fg, n_vars, "cond"), (body_fg, n_vars + n_cond, "body")):
            args = [(None, t.dtype) for t in all_inputs]
            loop_args = [t for t in fg.inputs if t not in fg.internal_captures]
            for k, t in enumerate(loop_args):
                args[k] = (t, all_inputs[k].dtype)
            for k, inner in enumerate(fg.internal_captures):
                args[lo + k] = (inner, all_inputs[lo + k].dtype)
            for mirror in fg.variables:
                k = var_pos[mirror.name]
                args[k] = (fg.get_operation_by_name(mirror.name).outputs[0],
                           all_inputs[k].dtype)
            extra = list(range(n_vars, len(all_inputs))) if suffix == "body" else []
            names.append(_function_def(fg, library.unique(f"{base}_{suffix}"), args, extra,
                                       library, where))
        node.input.extend([t._as_node_def_input() for t in all_inputs])
        _types(node, "T", [t.dtype for t in all_inputs])
        _func_attr(node, "cond", names[0])
        _func_attr(node, "body", names[1])
        _shapes(node, "output_shapes", [t.shape for t in op.outputs]
                + [t.shape for t in all_inputs[n_vars:]])
        node.attr["parallel_iterations"].i = 10
    node.input.extend("^" + c.name for c in op.control_inputs)
    return [node]


# ----- import --------------------------------------------------------------------------------
def _flat_input(s, by_name):
    """A FunctionDef node input ("node:arg:i", "arg", "^node") as a GraphDef input."""
    if s.startswith("^"):
        return s if s[1:] in by_name else None
    parts = s.split(":")
    if len(parts) == 1 or (len(parts) == 2 and parts[0] not in by_name):
        return f"{_ARG}{parts[0]}:{parts[1] if len(parts) == 2 else 0}"
    if len(parts) == 2:
        return s
    node, arg, idx = parts[0], parts[1], int(parts[2])
    n = by_name.get(node)
    if n is None:
        raise ValueError(f"input '{s}' names no node of the function")
    for name, start, _ in _output_args(n):
        if name == arg:
            return f"{node}:{start + idx}"
    raise ValueError(f"input '{s}': op {n.op} has no output '{arg}'")


def _body(fdef, where):
    """The FunctionDef's nodes with GraphDef-style inputs, and its result keys."""
    node_def_cls = protos.proto_class("NodeDef")
    by_name = {n.name: n for n in fdef.node_def}
    nodes = []
    for n in fdef.node_def:
        for key, av in n.attr.items():
            if av.WhichOneof("value") == "placeholder":
                raise ValueError(f"{where}: function '{fdef.signature.name}' has attribute "
                                 f"placeholders (node '{n.name}', attr '{key}'); flowexec "
                                 "imports concrete functions only")
        m = node_def_cls()
        m.CopyFrom(n)
        del m.input[:]
        m.input.extend(x for x in (_flat_input(s, by_name) for s in n.input) if x is not None)
        nodes.append(m)
    rets = []
    for arg in fdef.signature.output_arg:
        if arg.name not in fdef.ret:
            raise ValueError(f"{where}: function '{fdef.signature.name}' has no result "
                             f"'{arg.name}'")
        rets.append(_flat_input(fdef.ret[arg.name], by_name))
    return nodes, rets


_calling = threading.local()  # the functions being imported on this thread


def _call(fdef, args, library, where, scope=None):
    from flowexec.graph_io.importer import import_nodes

    sig = fdef.signature
    if len(sig.input_arg) != len(args):
        raise ValueError(f"{where}: function '{sig.name}' takes {len(sig.input_arg)} "
                         f"arguments, the node gives {len(args)}")
    stack = _calling.__dict__.setdefault("names", [])
    if sig.name in stack:
        raise ValueError(f"{where}: function '{sig.name}' calls itself (through "
                         f"{' -> '.join(stack + [sig.name])}); recursive functions are not "
                         "imported")
    nodes, rets = _body(fdef, where)
    external = {f"{_ARG}{a.name}:0": t for a, t in zip(sig.input_arg, args)}
    stack.append(sig.name)
    try:
        return import_nodes(nodes, external, rets, library, scope)
    finally:
        stack.pop()


def functional_builders(nodes, library):
    """{node name: build(input tensors) -> [output tensors]} for the If/StatelessIf/While/
    StatelessWhile nodes among `nodes` whose functions are in `library` (a
    FunctionDefLibrary).

    Raises:
        ValueError: a functional node names a function the library lacks.
    """
    from flowexec.framework.tensor_shape import TensorShape
    from flowexec.graph_io.attr_value import from_attr_value

    fdefs = {f.signature.name: f for f in library.function} if library is not None else {}
    builders = {}
    for node in nodes:
        if node.op not in FUNCTIONAL:
            continue
        where = f"Node '{node.name}' ({node.op})"
        attrs = ("then_branch", "else_branch") if node.op.endswith("If") else ("cond", "body")
        funcs = []
        for attr in attrs:
            name = node.attr[attr].func.name if attr in node.attr else ""
            if name not in fdefs:
                raise ValueError(f"{where}: function '{name}' ({attr}) is not in the graph's "
                                 "function library")
            funcs.append(fdefs[name])
        shapes = None
        if "output_shapes" in node.attr and node.attr["output_shapes"].list.shape:
            shapes = [TensorShape(s) for s in from_attr_value(node.attr["output_shapes"],
                                                              "list(shape)")]
        builders[node.name] = _builder(node, funcs, shapes, library, where)
    return builders


def _builder(node, funcs, shapes, library, where):
    from flowexec.ops.cond import cond
    from flowexec.ops.while_loop import while_loop

    from flowexec.graph_io.importer import construct_name

    name = construct_name(node.name)
    if node.op.endswith("If"):
        def build_if(inputs):
            pred, rest = inputs[0], inputs[1:]
            out = cond(pred, lambda: _call(funcs[0], rest, library, where),
                       lambda: _call(funcs[1], rest, library, where), strict=True, name=name)
            return list(out)
        return build_if

    def build_while(inputs):
        invariants = shapes if shapes is not None and len(shapes) == len(inputs) else None
        out = while_loop(lambda *v: _call(funcs[0], list(v), library, where)[0],
                         lambda *v: _call(funcs[1], list(v), library, where), list(inputs),
                         shape_invariants=invariants, return_same_structure=True, name=name)
        return list(out)
    return build_while
