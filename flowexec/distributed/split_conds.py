"""A `tf.cond` whose branches change the state of several tasks, split into one If per task.

TF 1.x builds a cond out of Switch and Merge nodes, so each op of a branch is placed on its
own: under `replica_device_setter(ps_tasks=2)` an optimizer's update in a branch applies to
each variable on its ps, the rest of the branch runs on the worker, and dead tensors tell
the tasks whose ops were not taken. Here a branch is one function run by one If op, and a
function runs on one task (the placer puts it with the first state it changes). Before the
reads are rewritten (remote_reads.py) and the graph is split by task, the master rewrites
each If whose branches change the state of two or more tasks (`split`):

- Each op of a branch gets a *slice* (task, level). An op that updates a variable (an
  Assign or Apply op naming it) or uses a captured resource goes to that state's task;
  another op goes where its latest input was made (the If's own task if it has none); the
  level counts the task changes along the op's inputs, so slices only ever feed slices of
  higher levels or of their own (an op free to go to any of its inputs' tasks takes the
  one that gives it the lowest level, at a tie that of the state the ops after it
  change). Constants, captured tensors and variable mirrors, and the stateless ops made
  of them alone, are copied into every slice that uses them.
- One If per slice, every one on the same predicate: its then function holds the then
  branch's ops of the slice, its else function the else branch's. What a slice's ops give
  to another slice's is an output of the one If and a captured input of the other: in the
  branch that was not taken a zero of the same dtype stands in its place (a control edge
  travels as a bool). Only ops the branch's outputs depend on are kept, as a branch runs
  only those.
- An If named as the original takes each branch's outputs from their slices and returns
  those of the taken branch, after every slice: consumers are unchanged.

The result is the branch TF would run, with the same updates on each task. Refused with
UnimplementedError: a branch with a nested If or While that changes two tasks' state, an If
a gradient was taken through, and a value of a dtype that has no zero (a resource) crossing
between slices.
"""

import numpy as np

from flowexec.framework import dtypes, errors, registry
from flowexec.framework.tensor_shape import TensorShape
from flowexec.runtime import ir, place
from flowexec.runtime.ir import GraphIR
from flowexec.runtime.place import Placement
from flowexec.distributed import wire
from flowexec.distributed.split import task_of

_IF = ("If", "StatelessIf")
_FUNCTION_ATTRS = ("then_branch", "else_branch", "cond", "body")


def _ref_names(op):
    """The variables a described op takes the refs of (its `ref_attr`), decoded."""
    ref_attr = getattr(registry.get_op_def(op["type"]).node_def_form, "ref_attr", None)
    if not ref_attr or ref_attr not in op["attrs"]:
        return []
    names = wire.decode_value(op["attrs"][ref_attr], {})
    return [names] if isinstance(names, str) else list(names or ())


def _nested_state(op, graphs):
    """The variables the functions a described op carries update (nested ones too)."""
    names = []
    for attr in _FUNCTION_ATTRS:
        value = op["attrs"].get(attr)
        if value is not None and value[0] == "function":
            names += place.updated_in_graph(graphs[value[1]])
    return names


class _Branch:
    """One branch function, described, with the slice of each of its ops."""

    def __init__(self, fg, captures_refs, node, encoder, state_task, home):
        self.d = wire.describe_function(fg, encoder, node)
        self.ops = {op["name"]: op for op in self.d["ops"]}
        # capture placeholder (op name) -> the If's input feeding it
        self.capture_ref = {t.rpartition(":")[0]: r for t, r in zip(self.d["captures"],
                                                                      captures_refs)}
        self.outputs = list(self.d["outputs"])
        self.slice = {}     # op name -> (task, level); absent: copied where used
        needed = self._needed()
        owners = {op["name"]: state_task(op, self) for op in self.d["ops"]
                  if op["name"] in needed}
        wants = self._wants(owners)
        for op in self.d["ops"]:
            if op["name"] not in needed:
                continue
            preds = [self.ops[t.rpartition(":")[0]] for t in op["inputs"]]
            preds += [self.ops[c] for c in op["control_inputs"]]
            placed = [p for p in preds if p["name"] in self.slice]
            owner = owners[op["name"]]
            if owner is None and not placed and self._copyable(op):
                continue
            if owner is not None:
                candidates = [owner]
            elif placed:   # the inputs' tasks, the latest first: the lowest level wins
                latest = sorted(placed, key=lambda p: -self.slice[p["name"]][1])
                candidates = list(dict.fromkeys(self.slice[p["name"]][0] for p in latest))
            else:
                candidates = [home]
            want = wants.get(op["name"])
            self.slice[op["name"]] = min(
                ((task, self._level(placed, task)) for task in candidates),
                key=lambda s: (s[1], s[0] != want))

    def _wants(self, owners):
        """{op name: the task whose state the nearest op depending on it changes}: where
        an op free to go to several tasks at one level had best be."""
        consumers = {}
        for op in self.d["ops"]:
            for name in [t.rpartition(":")[0] for t in op["inputs"]] + op["control_inputs"]:
                consumers.setdefault(name, []).append(op["name"])
        wants = {}
        for op in reversed(self.d["ops"]):
            name = op["name"]
            if owners.get(name) is not None:
                wants[name] = owners[name]
                continue
            for c in consumers.get(name, ()):
                if wants.get(c) is not None:
                    wants[name] = wants[c]
                    break
        return wants

    def _level(self, placed, task):
        """The level of an op on `task` whose placed inputs are `placed`: one more than an
        input's for each input made on another task."""
        return max([self.slice[p["name"]][1] + (self.slice[p["name"]][0] != task)
                    for p in placed] or [0])

    def _needed(self):
        """The ops the branch's outputs depend on (the only ones a branch runs)."""
        needed, stack = set(), [t.rpartition(":")[0] for t in self.outputs]
        while stack:
            name = stack.pop()
            if name in needed:
                continue
            needed.add(name)
            op = self.ops[name]
            stack += [t.rpartition(":")[0] for t in op["inputs"]] + list(op["control_inputs"])
        return needed

    def _copyable(self, op):
        """Copied into every slice that uses it: a capture, a mirror, or a stateless op of
        copyable inputs (a constant, a cast of one)."""
        if op["type"] in ("Placeholder", "VariableV2"):
            return True
        return not registry.get_op_def(op["type"]).stateful


def _zero(name, dtype_name, line):
    dtype = dtypes.as_dtype(dtype_name)
    if dtype in (dtypes.resource, dtypes.variant):
        return None
    value = np.zeros((), dtype.np) if dtype is not dtypes.string else np.array(b"", object)
    return {"name": name, "type": "Const", "attrs": {"value": ("array", value)} if
            value.dtype.kind != "O" else {"value": ("objects", [("plain", b"")], [])},
            "inputs": [], "control_inputs": [], "device": "", "colocation": [],
            "outputs": [(dtype.name, wire._shape(TensorShape([])))], "line": line}


def _token(name, after, line):
    return {"name": name, "type": "Const", "attrs": {"value": ("array", np.array(True))},
            "inputs": [], "control_inputs": [after], "device": "", "colocation": [],
            "outputs": [("bool", wire._shape(TensorShape([])))], "line": line}


def _placeholder(name, dtype_name, shape, line):
    return {"name": name, "type": "Placeholder",
            "attrs": {"dtype": ("dtype", dtype_name), "shape": shape},
            "inputs": [], "control_inputs": [], "device": "", "colocation": [],
            "outputs": [(dtype_name, shape)], "line": line}


class _Exports:
    """The values each slice hands on, per branch: their position among the slice If's
    outputs, and the (dtype, shape) crossing."""

    def __init__(self):
        self.items = {}     # (slice, branch index, key) -> position
        self.kinds = {}     # (slice, position) -> (branch index, key, dtype name)

    def position(self, slice_key, branch, key, dtype_name):
        k = (slice_key, branch, key)
        if k not in self.items:
            pos = sum(1 for s, _, _ in self.items if s == slice_key)
            self.items[k] = pos
            self.kinds[(slice_key, pos)] = (branch, key, dtype_name)
        return self.items[k]


def _build_function(branch, bi, slice_key, exports, names, node, if_name):
    """The function (a description) of branch `bi` in slice `slice_key`: its ops there, the
    copies they use, placeholders for what other slices give, and one output per value the
    slice If gives (this branch's values, zeros for the other branch's)."""
    line = node.source_line()
    ops, taken, captures, capture_refs = [], set(), [], []

    def bring(name):
        """Makes op `name` (of this slice, or a copy) part of the function."""
        if name in taken:
            return
        op = branch.ops[name]
        taken.add(name)
        inputs, controls = [], []
        for t in op["inputs"]:
            inputs.append(use(t))
        for c in op["control_inputs"]:
            src = branch.slice.get(c)
            if src is None or src == slice_key:
                bring(c)
                controls.append(c)
            else:   # a control edge from another slice: that slice's token, as an input
                use_token(c, src)
        ops.append(dict(op, inputs=inputs, control_inputs=controls))
        if op["name"] in branch.capture_ref:
            captures.append(f"{op['name']}:0")
            capture_refs.append(branch.capture_ref[op["name"]])

    def use(tensor):
        src_name = tensor.rpartition(":")[0]
        src = branch.slice.get(src_name)
        if src is None or src == slice_key:
            bring(src_name)
            return tensor
        dtype_name, shape = branch.ops[src_name]["outputs"][int(tensor.rpartition(":")[2])]
        return imported(("value", tensor), src, dtype_name, shape)

    def use_token(op_name, src):
        imported(("token", op_name), src, "bool", wire._shape(TensorShape([])))

    def imported(key, src, dtype_name, shape):
        if dtypes.as_dtype(dtype_name) in (dtypes.resource, dtypes.variant):
            raise errors.UnimplementedError(
                None, node.user_op,
                f"A {dtype_name} value ({key[1]}) of a branch of node {node.name} would "
                f"cross between the tasks its branches change the state of")
        ph = names(f"{if_name}/{key[1].replace(':', '_')}_in")
        if ph not in taken:
            taken.add(ph)
            ops.append(_placeholder(ph, dtype_name, shape, line))
            captures.append(f"{ph}:0")
            capture_refs.append((src, bi, key, dtype_name))
        return f"{ph}:0"

    outputs = []
    for pos in range(sum(1 for s, _ in exports.kinds if s == slice_key)):
        b, key, dtype_name = exports.kinds[(slice_key, pos)]
        if b != bi:
            zero = _zero(names(f"{if_name}/zero"), dtype_name, line)
            ops.append(zero)
            outputs.append(f"{zero['name']}:0")
        elif key[0] == "token":
            bring(key[1])
            token = _token(names(f"{if_name}/{key[1]}_done"), key[1], line)
            ops.append(token)
            outputs.append(f"{token['name']}:0")
        else:
            outputs.append(use(key[1]))
    return ops, captures, capture_refs, outputs


def split(graph, placement):
    """`graph` and `placement` with every If whose branches change the state of two or more
    tasks split into one If per slice (module docstring); unchanged when there is none."""
    by_name = {n.name: n for n in graph.nodes}
    nodes, moved, changed = [], {}, False
    taken_names = {n.name for n in graph.nodes}
    for node in graph.nodes:
        if node.type in _IF:
            parts = _split_if(node, by_name, placement, taken_names)
            if parts is not None:
                for new, device in parts:
                    nodes.append(new)
                    moved[new.name] = device
                changed = True
                continue
        nodes.append(node)
    if not changed:
        return graph, placement
    out = GraphIR(tuple(nodes), graph.feeds, graph.fetches, graph.targets)
    out.validate()
    return out, Placement({**placement, **moved}, placement.prediction)


def _split_if(node, by_name, placement, taken_names):
    """[(node, device)] replacing If `node`, or None when its branches change the state of
    at most one task."""
    # a quick look first: most Ifs change the state of one task at most (nothing described)
    states = [by_name[n] for n in place.updated_in_functions(node) if n in by_name]
    states += [by_name[r.node] for r in node.inputs
               if r.dtype is dtypes.resource and r.node in by_name]
    if len({task_of(placement[s.name]) for s in states}) < 2:
        return None
    cond = _CondSplit(node, by_name, placement)
    if len(cond.owned) < 2:
        return None
    if node.attrs.get("extra_names"):
        raise errors.UnimplementedError(
            None, node.user_op,
            f"Node {node.name} changes the state of {', '.join(sorted(cond.owned))} and a "
            f"gradient was taken through it; flowexec splits such a cond only when it is not "
            f"differentiated")
    return cond.nodes(taken_names)


class _CondSplit:
    """One If's branches cut into slices, and the If nodes that replace it (`nodes`)."""

    _OUT = ("out", -1)    # the key of the final If

    def __init__(self, node, by_name, placement):
        self.node, self.by_name, self.placement = node, by_name, placement
        self.home_device = placement[node.name]
        self.home = task_of(self.home_device)
        self.first_device = {}     # task -> the device of the first state seen there
        self.encoder = wire.Encoder()
        n_then, n_else = node.attrs["n_then"], node.attrs["n_else"]
        refs = (node.inputs[1:1 + n_then], node.inputs[1 + n_then:1 + n_then + n_else])
        self.branches = [_Branch(node.attrs[attr], r, node, self.encoder, self.state_task,
                                 self.home)
                         for attr, r in zip(("then_branch", "else_branch"), refs)]
        self.owned = {b.slice[name][0] for b in self.branches for name, op in b.ops.items()
                      if name in b.slice and self.state_task(op, b) is not None}
        self.slices = sorted({s for b in self.branches for s in b.slice.values()},
                             key=lambda s: (s[1], s[0]))
        self.variables = {n: by_name[n] for b in self.branches for n, op in b.ops.items()
                          if op["type"] == "VariableV2" and n in by_name}
        self.exports = _Exports()
        self._counter = 0
        self.result = []
        self.if_names = {}

    def var_task(self, name):
        """The task of variable (or resource) node `name`, or None when it is not in the
        graph."""
        var = self.by_name.get(name)
        if var is None:
            return None
        task = task_of(self.placement[var.name])
        self.first_device.setdefault(task, self.placement[var.name])
        return task

    def state_task(self, op, branch):
        """The task whose state described `op` changes (None: none), refusing two."""
        tasks = [self.var_task(n)
                 for n in _ref_names(op) + _nested_state(op, self.encoder.graphs)]
        for t in op["inputs"]:
            ref = branch.capture_ref.get(t.rpartition(":")[0])
            if ref is not None and ref.dtype is dtypes.resource:
                tasks.append(self.var_task(ref.node))
        tasks = list(dict.fromkeys(t for t in tasks if t is not None))
        if len(tasks) > 1:
            raise errors.UnimplementedError(
                None, self.node.user_op,
                f"Op {op['name']} ({op['type']}) in a branch of node {self.node.name} "
                f"changes the state of {', '.join(tasks)}: a function it carries runs on "
                f"one task")
        return tasks[0] if tasks else None

    def names(self, base):
        """A fresh op name inside the new functions."""
        self._counter += 1
        return f"{base}_{self._counter}"

    # ----- which values each slice gives ---------------------------------------------------
    def _plan(self, slice_key, bi, wanted):
        """Registers the values the function of branch `bi` in `slice_key` needs from other
        slices to compute the ops `wanted` (so those slices export them)."""
        branch = self.branches[bi]
        seen = set()
        stack = list(wanted)
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            op = branch.ops[name]
            for t in op["inputs"]:
                src_name = t.rpartition(":")[0]
                src = branch.slice.get(src_name)
                if src is None or src == slice_key:
                    stack.append(src_name)
                else:
                    dtype_name = branch.ops[src_name]["outputs"][int(t.rpartition(":")[2])][0]
                    self.exports.position(src, bi, ("value", t), dtype_name)
            for c in op["control_inputs"]:
                src = branch.slice.get(c)
                if src is None or src == slice_key:
                    stack.append(c)
                else:
                    self.exports.position(src, bi, ("token", c), "bool")

    def _plan_exports(self):
        for bi, branch in enumerate(self.branches):
            for s in self.slices:
                self._plan(s, bi, [n for n, sl in branch.slice.items() if sl == s])
            for t in branch.outputs:
                src_name = t.rpartition(":")[0]
                src = branch.slice.get(src_name)
                if src is not None:
                    dtype_name = branch.ops[src_name]["outputs"][int(t.rpartition(":")[2])][0]
                    self.exports.position(src, bi, ("value", t), dtype_name)
                else:
                    self._plan(self._OUT, bi, [src_name])

    # ----- the new nodes -------------------------------------------------------------------
    def nodes(self, taken_names):
        """[(node, device)]: one If per slice, then the If named as the original."""
        for i, s in enumerate(self.slices):
            name = f"{self.node.name}/part_{i}"
            while name in taken_names:
                name += "_"
            taken_names.add(name)
            self.if_names[s] = name
        self._plan_exports()
        for s in self.slices:
            n_out = sum(1 for k, _ in self.exports.kinds if k == s)
            out_types = [dtypes.as_dtype(self.exports.kinds[(s, p)][2]) for p in range(n_out)]
            functions = [_build_function(self.branches[bi], bi, s, self.exports, self.names,
                                         self.node, self.if_names[s]) for bi in range(2)]
            device = self.first_device.get(s[0]) or (
                self.home_device if s[0] == self.home else f"{s[0]}/device:CPU:0")
            self._make_if(self.if_names[s], functions, device, out_types,
                          self.node.control_inputs)
        self._make_if(self.node.name, [self._final_function(bi) for bi in range(2)],
                      self.home_device, self.node.output_dtypes,
                      tuple(self.node.control_inputs) + tuple(self.if_names.values()),
                      out_shapes=self.node.output_shapes)
        return self.result

    def _final_function(self, bi):
        """The final If's function for branch `bi`: its outputs from their slices (or
        copied, when copyable)."""
        branch = self.branches[bi]
        fops, caps, cap_refs, outs = [], [], [], []
        line = self.node.source_line()
        for t in branch.outputs:
            src_name = t.rpartition(":")[0]
            src = branch.slice.get(src_name)
            if src is None:
                outs.append(_bring_copy(branch, t, fops, caps, cap_refs))
                continue
            dtype_name, shape = branch.ops[src_name]["outputs"][int(t.rpartition(":")[2])]
            ph = self.names(f"{self.node.name}/out/{src_name}")
            fops.append(_placeholder(ph, dtype_name, shape, line))
            caps.append(f"{ph}:0")
            cap_refs.append((src, bi, ("value", t), dtype_name))
            outs.append(f"{ph}:0")
        return fops, caps, cap_refs, outs

    def _make_if(self, name, functions, device, out_types, controls, out_shapes=None):
        """Adds an If node `name` over the (ops, captures, capture sources, outputs) of its
        then and else functions to `result`."""
        inputs = [self.node.inputs[0]]
        attrs = {}
        counts = []
        for bi, (fops, caps, cap_refs, outs) in enumerate(functions):
            which = ("then", "else")[bi]
            d = dict(self.branches[bi].d, ops=fops, inputs=list(caps), captures=list(caps),
                     outputs=outs, name=f"{name}/{which}", func_name=f"{name}/{which}")
            attrs[f"{which}_branch"] = wire.rebuild_function(d, self.encoder.graphs)
            for ref in cap_refs:
                if isinstance(ref, tuple):    # (slice, branch, key, dtype): a slice's export
                    src, b, key, _ = ref
                    ref = _output_ref(self.result, self.if_names[src],
                                      self.exports.items[(src, b, key)])
                inputs.append(ref)
            counts.append(len(caps))
        mirrors = sorted({op["name"] for fops, _, _, _ in functions for op in fops
                          if op["type"] == "VariableV2" and op["name"] in self.variables})
        inputs += [self.variables[v].outputs[0] for v in mirrors]
        attrs.update(n_then=counts[0], n_else=counts[1], Tout=list(out_types),
                     output_shapes=list(out_shapes or [TensorShape(None)] * len(out_types)))
        stateful = any(registry.get_op_def(op["type"]).stateful and op["type"] not in (
            "Placeholder", "VariableV2") for fops, _, _, _ in functions for op in fops)
        new = ir.make_node(
            "If" if stateful else "StatelessIf", name, inputs, attrs,
            control_inputs=controls, origin=self.node.origin,
            outputs=[(t, sh) for t, sh in zip(out_types, attrs["output_shapes"])])
        self.result.append((new, device))


def _bring_copy(branch, tensor, fops, caps, cap_refs):
    """Copies the op of `tensor` (copyable: a constant, a capture...) and its inputs into
    the final If's function `fops`; returns the tensor's name there."""
    have = {op["name"] for op in fops}

    def bring(name):
        if name in have:
            return
        op = branch.ops[name]
        for t in op["inputs"]:
            bring(t.rpartition(":")[0])
        for c in op["control_inputs"]:
            bring(c)
        have.add(name)
        fops.append(op)
        if name in branch.capture_ref:
            caps.append(f"{name}:0")
            cap_refs.append(branch.capture_ref[name])
    bring(tensor.rpartition(":")[0])
    return tensor


def _output_ref(result, name, index):
    """Output `index` of the slice If `name` (made before its consumers)."""
    for new, _ in result:
        if new.name == name:
            return new.outputs[index]
    raise AssertionError(f"slice {name} is built after its consumer")
