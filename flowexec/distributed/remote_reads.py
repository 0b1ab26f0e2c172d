"""Variables read inside functions that run on another task than the variables.

A function graph (an `If`'s branch, a `While`'s condition or body) reads an outer variable
through a *mirror*: a VariableV2 op of the variable's name, whose kernel reads the session
state (framework/function.py). On a cluster every task has a state of its own, so a loop
placed on /job:worker/task:1 whose body reads a variable of /job:ps/task:0 would find the
variable uninitialized there. Before splitting by task the master rewrites each such op
(`rewrite`): the mirror becomes a capture placeholder of the same name, and the op takes
the variable as one more captured input, which the split carries across tasks like any
tensor (one `_Send`/`_Recv` per step). The function reads the value the variable had when
the op started, as TF's functions read a variable passed in as an argument; everything else
(names, accumulated intermediates, gradients) is unchanged. Functions nested in such a
function are rewritten the same way, fed from the placeholder. Stateful ops that only read
(a `tf.Print` of the variable) read the value too. A function that updates variables runs
where they are (the placer colocates it with the first state it changes: runtime/place.py);
a cond that changes the state of several tasks was split by task before (split_conds.py);
a loop that also updates a variable of another task (an Assign or Apply naming it) is
refused with UnimplementedError: TF 1.x would split its body across the tasks, a While
runs on one.

Input layouts (ops/control_flow_ops.py), where the new captures go:
    If     cond, then-captures (n_then), else-captures (n_else), variables read
    While  loop vars (n_vars), cond-captures (n_cond), body-captures, variables read
"""

from flowexec.framework import dtypes, errors, registry
from flowexec.runtime.ir import GraphIR
from flowexec.distributed import wire
from flowexec.distributed.split import task_of

_IF = ("If", "StatelessIf")
_WHILE = ("While", "StatelessWhile")


def _mirrors(fg):
    return [op.name for op in fg.get_operations() if op.type == "VariableV2"]


def _by_value(fg, names, node):
    """A copy of `fg` whose mirrors of `names` are capture placeholders (appended to its
    inputs and captures, in the order returned), or (fg, []) when it mirrors none."""
    names = [n for n in _mirrors(fg) if n in names]
    if not names:
        return fg, []
    encoder = wire.Encoder()
    d = wire.describe_function(fg, encoder, node)
    values = set()   # tensors now plain values, not variable references
    for op in d["ops"]:
        if op["type"] == "VariableV2" and op["name"] in names:
            dtype = dtypes.as_dtype(op["outputs"][0][0]).base_dtype
            shape = op["outputs"][0][1]
            op.update(type="Placeholder", outputs=[(dtype.name, shape)],
                      attrs={"dtype": ("dtype", dtype.name), "shape": shape})
            tensor = op["name"] + ":0"
            values.add(tensor)
            d["inputs"].append(tensor)
            d["captures"].append(tensor)
            continue
        reads = [t for t in op["inputs"] if t in values]
        if not reads:
            continue
        op_def = registry.get_op_def(op["type"])
        if op_def.forwards_ref:   # an Identity of the variable: a value too
            op["outputs"] = [(dtypes.as_dtype(t).base_dtype.name, sh) for t, sh in op["outputs"]]
            values.update(f"{op['name']}:{i}" for i in range(len(op["outputs"])))
        elif op["type"] in _IF + _WHILE:
            attrs = {k: wire.decode_value(v, encoder.graphs) for k, v in op["attrs"].items()}
            sources = {t.rpartition(":")[0]: t for t in reads}
            attrs, op["inputs"] = _rewire(op["type"], attrs, op["inputs"], sources, node)
            op["attrs"] = {k: encoder.value(v, node, k) for k, v in attrs.items()}
        else:
            remote = [n for n in _named(op, op_def, encoder) if n in names]
            if remote:
                raise errors.UnimplementedError(
                    None, node.user_op,
                    f"Op {op['name']} ({op['type']}) of function '{fg.name}' of node "
                    f"{node.name} updates variable {remote[0]}, which lives on another task "
                    f"than the function (placed with the first state it changes); a "
                    f"function can change the state of one task, and read the variables of "
                    f"any (TF 1.x would split it across the tasks)")
    return wire.rebuild_function(d, encoder.graphs), names


def _named(op, op_def, encoder):
    """The variables a described op takes the refs of (its `ref_attr`: it updates them)."""
    ref_attr = getattr(op_def.node_def_form, "ref_attr", None)
    if not ref_attr or ref_attr not in op["attrs"]:
        return []
    names = wire.decode_value(op["attrs"][ref_attr], encoder.graphs)
    return [names] if isinstance(names, str) else list(names or ())


def _rewire(op_type, attrs, inputs, sources, node):
    """The attributes and inputs of an If/While whose functions read the variables of
    `sources` ({variable name: the input carrying its value}) by value."""
    inputs = list(inputs)
    if op_type in _IF:
        n_then, n_else = attrs["n_then"], attrs["n_else"]
        then_fg, add_then = _by_value(attrs["then_branch"], sources, node)
        else_fg, add_else = _by_value(attrs["else_branch"], sources, node)
        inputs = (inputs[:1 + n_then] + [sources[v] for v in add_then]
                  + inputs[1 + n_then:1 + n_then + n_else] + [sources[v] for v in add_else]
                  + inputs[1 + n_then + n_else:])
        attrs = dict(attrs, then_branch=then_fg, else_branch=else_fg,
                     n_then=n_then + len(add_then), n_else=n_else + len(add_else))
    else:
        n_vars, n_cond = attrs["n_vars"], attrs["n_cond"]
        n_body = len(attrs["body"].captures)
        cond_fg, add_cond = _by_value(attrs["cond"], sources, node)
        body_fg, add_body = _by_value(attrs["body"], sources, node)
        start = n_vars + n_cond
        inputs = (inputs[:start] + [sources[v] for v in add_cond]
                  + inputs[start:start + n_body] + [sources[v] for v in add_body]
                  + inputs[start + n_body:])
        attrs = dict(attrs, cond=cond_fg, body=body_fg, n_cond=n_cond + len(add_cond))
    return attrs, inputs


def rewrite(graph, placement):
    """`graph` (a placed GraphIR) with every If/While that reads, in its functions, a
    variable placed on another task reading it by value (module docstring).

    Raises:
        UnimplementedError: a function updates a variable of another task.
    """
    by_name = {n.name: n for n in graph.nodes}
    changed = False
    nodes = []
    for node in graph.nodes:
        if node.type in _IF + _WHILE:
            task = task_of(placement[node.name])
            sources = {}
            for r in node.inputs:
                var = by_name.get(r.node)
                if var is not None and var.type == "VariableV2" and \
                        task_of(placement[var.name]) != task:
                    sources.setdefault(var.name, r)
            if sources:
                attrs, inputs = _rewire(node.type, node.attrs, node.inputs, sources, node)
                if tuple(inputs) != tuple(node.inputs):
                    node = node.replace(attrs=attrs, inputs=tuple(inputs))
                    changed = True
        nodes.append(node)
    if not changed:
        return graph
    out = GraphIR(tuple(nodes), graph.feeds, graph.fetches, graph.targets)
    out.validate()
    return out
