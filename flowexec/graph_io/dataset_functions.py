"""tf.data functions in GraphDefs: dataset ops whose attributes are function graphs (map's
`f`, filter's `predicate`, group_by_window's `key_func`, ...) and one-shot iterators, written
as TensorFlow writes them and imported back as flowexec's ops.

Export (`node_def`), as TF's `tf.data` lays the ops out:

    MapDataset(input_dataset, other_arguments; f, Targuments, output_types, output_shapes)
        `f` names a FunctionDef of the GraphDef's library taking the element's flat
        components, then the captured tensors (`other_arguments`, their dtypes `Targuments`);
        its results are the new element's components (a variant for a function returning a
        dataset, as flat_map's). flowexec's inputs are the dataset, its own parameters,
        then the captured tensors; TF's order differs for ParallelMapDataset and
        InterleaveDataset (parameters after the captured tensors), and ops with several
        functions have one captured list each (`T<func>_other_arguments`). flowexec's count
        attributes (`n_state`, `n_key`, ...) are not written: the list lengths say them.
    OneShotIterator(; dataset_factory, output_types, output_shapes)
        `dataset_factory` is a function of no arguments building the whole pipeline that
        feeds flowexec's OneShotIterator (a one-shot iterator's pipeline never depends on a
        placeholder or a variable, see `Dataset.make_one_shot_iterator`).

A function that reads a variable (flowexec mirrors it, to read it live) is refused, naming
it: TF's graph-mode functions would take its value as a captured resource instead.

Import (`import_node`): each function is traced (`framework.function.trace`) by importing
its FunctionDef's nodes with the arguments bound to placeholders of the element's
components (shapes from the FunctionDef's `_output_shapes` argument attributes, which TF
and flowexec write) and the op's captured inputs, which the FuncGraph then captures, so
the op is built as `Dataset.map` builds it. A OneShotIterator's factory is imported into
the graph under the iterator's name and feeds flowexec's OneShotIterator.
ParallelMapDatasetV2 (TF 2.x's map with `num_parallel_calls`) imports as ParallelMapDataset.
"""

import collections
import re

from flowexec.graph_io import functions, protos, schema

__all__ = ["ALIASES", "LAYOUTS", "has_functions", "import_node", "node_def"]

# How a flowexec dataset op's inputs and functions sit in TF's NodeDef.
#   funcs: ((func attribute, TF's attribute of its captured inputs' dtypes), ...) in the
#       order of their captured inputs.
#   params: flowexec's inputs after the dataset that TF puts after the captured ones.
#   state: TF's dtype attribute of an initial state, between the dataset and the captured
#       ones (as in flowexec).
#   internal: flowexec's attributes TF lacks (recomputed on import).
Layout = collections.namedtuple("Layout", "funcs params state internal")


def _layout(funcs, params=0, state=None, internal=()):
    return Layout(tuple(funcs), params, state, tuple(internal))


_F = (("f", "Targuments"),)
_PREDICATE = (("predicate", "Targuments"),)
LAYOUTS = {
    "MapDataset": _layout(_F),
    "ParallelMapDataset": _layout(_F, params=1),
    "FilterDataset": _layout(_PREDICATE),
    "FlatMapDataset": _layout(_F),
    "InterleaveDataset": _layout(_F, params=2),
    "TakeWhileDataset": _layout(_PREDICATE),
    "ReduceDataset": _layout(_F, state="Tstate", internal=("n_state",)),
    "ScanDataset": _layout(_F, state="Tstate", internal=("n_state",)),
    "GroupByWindowDataset": _layout(
        (("key_func", "Tkey_func_other_arguments"),
         ("reduce_func", "Treduce_func_other_arguments"),
         ("window_size_func", "Twindow_size_func_other_arguments")),
        internal=("n_key", "n_reduce")),
    "GroupByReducerDataset": _layout(
        (("key_func", "Tkey_func_other_arguments"),
         ("init_func", "Tinit_func_other_arguments"),
         ("reduce_func", "Treduce_func_other_arguments"),
         ("finalize_func", "Tfinalize_func_other_arguments")),
        internal=("n_captured",)),
}

# TF op types flowexec imports as another op of its own: {TF type: flowexec type}.
ALIASES = {"ParallelMapDatasetV2": "ParallelMapDataset"}
_ALIAS_ATTRS = {  # the aliased op's TF attributes: {name: (type, default or None)}
    "ParallelMapDatasetV2": {"f": ("func", None), "Targuments": ("list(type)", None),
                             "output_types": ("list(type)", None),
                             "output_shapes": ("list(shape)", None)},
}
_FACTORY = "dataset_factory"


def has_functions(node):
    """Whether a NodeDef is imported here (a dataset op with functions, a one-shot
    iterator over a `dataset_factory`)."""
    return node.op in LAYOUTS or node.op in ALIASES or (
        node.op == "OneShotIterator" and _FACTORY in node.attr)


# ----- export --------------------------------------------------------------------------------
def _function_name(fg, library, where):
    """The FunctionDef name of a dataset function (written once per export)."""
    done = library.graphs.get(id(fg))
    if done is not None:
        return done[1]
    if fg.variables:
        raise ValueError(f"{where}: its function '{fg.name}' reads variable "
                         f"'{fg.variables[0].name}', which TensorFlow's graph functions "
                         "would capture as a resource; flowexec does not write that")
    name = library.unique(fg.name)
    functions._function_def(fg, name, [(t, t.dtype) for t in fg.inputs], [], library, where)
    _mark(library.functions[name], fg.inputs)
    library.graphs[id(fg)] = (fg, name)
    return name


def _mark(fdef, args):
    """TF's marks on a tf.data FunctionDef: `_tf_data_function`, argument shapes."""
    from flowexec.graph_io.tensor_proto import shape_proto

    fdef.attr["_tf_data_function"].b = True
    for i, t in enumerate(args):
        fdef.arg_attr[i].attr["_output_shapes"].list.shape.add().CopyFrom(
            shape_proto(t.shape))


def node_def(op, library, build_node, controls):
    """TF's NodeDef of a flowexec dataset op with functions (see LAYOUTS) or of a
    OneShotIterator, its functions added to `library` (a `functions.Library`).

    Raises:
        ValueError: a function reads a variable, or an op of a function has no TF form.
    """
    where = f"Cannot export op '{op.name}' of type '{op.type}'"
    if op.type == "OneShotIterator":
        return _one_shot_node_def(op, library, build_node, controls, where)
    lay = LAYOUTS[op.type]
    fgs = [op.attrs[attr] for attr, _ in lay.funcs]
    inputs = list(op.inputs)
    n_captured = sum(len(fg.external_captures) for fg in fgs)
    head, captured = inputs[:len(inputs) - n_captured], inputs[len(inputs) - n_captured:]
    tf_inputs = head[:1] + captured + head[1:] if lay.params else head + captured
    attrs = {k: v for k, v in op.attrs.items()
             if k not in lay.internal and k not in dict(lay.funcs)}
    counts, funcs, i = {}, {}, 0
    for (attr, types), fg in zip(lay.funcs, fgs):
        k = len(fg.external_captures)
        attrs[types] = [t.dtype for t in captured[i:i + k]]
        counts[types] = k
        i += k
        funcs[attr] = _function_name(fg, library, where)
    if lay.state:
        attrs[lay.state] = [t.dtype for t in head[1:]]
        counts[lay.state] = len(head) - 1
    node = build_node(op.name, op.type,
                      [t._as_node_def_input() for t in tf_inputs] + controls,
                      [t.dtype for t in tf_inputs], [t.dtype for t in op.outputs], attrs,
                      op.device, (), where, funcs=funcs, counts=counts)
    for attr in funcs:
        node.attr[attr].func.attr["_tf_data_function"].b = True
    return node


def _pipeline_ops(tensor):
    """The ops `tensor` depends on (data and control inputs, functions' captures), in
    creation order."""
    seen, stack = set(), [tensor.op]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return sorted(seen, key=lambda o: o._id)


def _one_shot_node_def(op, library, build_node, controls, where):
    dataset = op.inputs[0]
    ops = _pipeline_ops(dataset)
    for o in ops:
        if o.type in ("Placeholder", "VariableV2"):
            raise ValueError(f"{where}: its dataset depends on '{o.name}' ({o.type}), which "
                             "a one-shot iterator's dataset_factory function cannot capture")
    name = library.unique(f"_make_dataset_{op.name}")
    functions._function_def(None, name, [], [], library, where, ops=ops, results=[dataset])
    fdef = library.functions[name]
    fdef.signature.description = "Factory function for a dataset."
    fdef.signature.is_stateful = True
    return build_node(op.name, "OneShotIterator", controls, [], [t.dtype for t in op.outputs],
                      op.attrs, op.device, (), where, funcs={_FACTORY: name})


# ----- import --------------------------------------------------------------------------------
def _node_attrs(node, where):
    """{attribute: flowexec value} of a NodeDef's non-function attributes (TF's defaults
    for missing ones)."""
    from flowexec.graph_io.attr_value import from_attr_value

    av_cls = protos.get().attr_value_pb2.AttrValue
    sch = schema.schema_for(node.op)
    if sch is not None:
        specs = {name: (spec.type, sch.default_attr_value(name, av_cls))
                 for name, spec in sch.attrs.items()}
    else:
        specs = _ALIAS_ATTRS[node.op]
    out = {}
    for name, (kind, default) in specs.items():
        if kind == "func":
            continue
        av = node.attr[name] if name in node.attr else default
        if av is None:
            raise ValueError(f"{where}: NodeDef missing attr '{name}'")
        try:
            out[name] = from_attr_value(av, kind)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: attribute '{name}': {e}") from e
    for name, av in node.attr.items():
        if name.startswith("_") and name not in ("_class", "_output_shapes"):
            out[name] = from_attr_value(av)
    return out


def _fdef(node, attr, library, where):
    fdefs = {f.signature.name: f for f in library.function} if library is not None else {}
    name = node.attr[attr].func.name if attr in node.attr else ""
    if name not in fdefs:
        raise ValueError(f"{where}: function '{name}' ({attr}) is not in the graph's "
                         "function library")
    return fdefs[name]


def _arg_shape(fdef, i):
    from flowexec.framework.tensor_shape import TensorShape, unknown_shape

    if i in fdef.arg_attr and "_output_shapes" in fdef.arg_attr[i].attr:
        shapes = fdef.arg_attr[i].attr["_output_shapes"].list.shape
        if len(shapes) == 1:
            s = shapes[0]
            return unknown_shape() if s.unknown_rank else TensorShape(
                [None if d.size < 0 else d.size for d in s.dim])
    return unknown_shape()


def _trace(fdef, captured, library, where):
    """A FuncGraph of a dataset function: arguments the element's components, then
    `captured` (outer tensors, captured by the FuncGraph where the function uses them)."""
    from flowexec.framework import dtypes
    from flowexec.framework import function as function_mod

    sig = fdef.signature
    n = len(sig.input_arg) - len(captured)
    if n < 0:
        raise ValueError(f"{where}: function '{sig.name}' takes {len(sig.input_arg)} "
                         f"arguments, fewer than the node's {len(captured)} captured inputs")
    specs = [function_mod.TensorSpec(_arg_shape(fdef, i), dtypes.as_dtype(a.type))
             for i, a in enumerate(sig.input_arg[:n])]

    def body(*args):
        outs = functions._call(fdef, list(args) + list(captured), library, where)
        return outs[0] if len(outs) == 1 else tuple(outs)
    # an op name (the FuncGraph's root scope) starts with a letter, digit or '.'
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", sig.name).lstrip("_-") or "function"
    return function_mod.trace(body, specs, name)


def import_node(node, inputs, controls, new_name, library):
    """The flowexec op of a NodeDef `has_functions` accepts, named `new_name`.

    Args:
        node: the NodeDef.
        inputs: its data inputs (Tensors of the graph being imported into).
        controls: its control inputs (Operations).
        new_name: the op's name.
        library: the GraphDef's FunctionDefLibrary.

    Raises:
        ValueError: a function is missing from `library`, the inputs do not fit TF's
            OpDef, or a function cannot be imported.
    """
    from flowexec.framework.operation import Operation
    from flowexec.framework.registry import apply_op

    where = f"Node '{node.name}' ({node.op})"
    attrs = _node_attrs(node, where)
    if node.op == "OneShotIterator":
        fdef = _fdef(node, _FACTORY, library, where)
        dataset, = functions._call(fdef, [], library, where, scope=new_name + "/")
        for k in ("container", "shared_name"):
            attrs.pop(k, None)
        return apply_op("OneShotIterator", dataset, name=new_name + "/",
                        control_inputs=controls, **attrs).op
    op_type = ALIASES.get(node.op, node.op)
    lay = LAYOUTS[op_type]
    pos, state = 1, []
    if lay.state:
        state = inputs[1:1 + len(attrs[lay.state])]
        pos += len(state)
    groups = []
    for _, types in lay.funcs:
        k = len(attrs[types])
        groups.append(inputs[pos:pos + k])
        pos += k
    params = inputs[pos:]
    if len(params) != lay.params or not inputs:
        raise ValueError(f"{where}: {len(inputs)} inputs do not fit TF's {node.op} (the "
                         f"dataset, {len(state)} state, "
                         f"{sum(len(g) for g in groups)} captured, {lay.params} more)")
    fgs = [_trace(_fdef(node, attr, library, where), group, library, where)
           for (attr, _), group in zip(lay.funcs, groups)]
    for _, types in lay.funcs:
        attrs.pop(types, None)
    captures = [len(fg.external_captures) for fg in fgs]
    if op_type in ("ReduceDataset", "ScanDataset"):
        attrs["n_state"] = len(state)
    elif op_type == "GroupByWindowDataset":
        attrs["n_key"], attrs["n_reduce"] = captures[0], captures[1]
    elif op_type == "GroupByReducerDataset":
        attrs["n_captured"] = captures
    attrs.update({attr: fg for (attr, _), fg in zip(lay.funcs, fgs)})
    control = list(controls)
    for fg in fgs:
        control.extend(c for c in fg.control_captures if c not in control)
    result = apply_op(op_type, inputs[0], *params, *state,
                      *[t for fg in fgs for t in fg.external_captures], name=new_name + "/",
                      control_inputs=control, **attrs)
    if isinstance(result, Operation):
        return result
    return result[0].op if isinstance(result, (tuple, list)) else result.op
