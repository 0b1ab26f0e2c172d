"""TF 1.x (v1) control flow in imported GraphDefs, converted to flowexec's If/While.

TF 1.x's `tf.cond` and `tf.while_loop` (control flow v2 off) write dataflow-style control
flow: Switch/Merge for a cond, Enter/Merge/Switch/LoopCond/NextIteration/Exit for a loop.
flowexec runs functional control flow instead, so import converts each such construct, as
TF's own "functionalize" passes do, into one `tf.cond` / `tf.while_loop` whose branch, loop
condition and body functions import the construct's nodes. Nested constructs are converted
when their enclosing function imports them (the same pass, one level down).

The patterns recognised are the ones `tf.cond` and `tf.while_loop` write:

    cond   Switch(data, pred) nodes (pred possibly through an Identity, `cond/pred_id`), the
           branch nodes reached from their outputs :1 (true) and :0 (false), and
           Merge(false result, true result) nodes, one per output, in the cond's name scope.
    loop   Enter nodes of one `frame_name` (is_constant: a loop invariant, else a loop
           variable), per loop variable Merge(Enter, NextIteration) -> Switch(_, LoopCond)
           -> :1 into the body, :0 into an Exit; the condition computed from the Merges,
           the body from the Switches' :1 outputs into the NextIterations.

`functionalize(nodes)` returns the nodes with each outermost construct replaced by one
placeholder node whose inputs are the tensors the construct reads from outside and whose
outputs stand for its results (a Merge's :0, an Exit's output), and a builder per
placeholder that the importer calls with those tensors. Anything else (a Merge's
value_index used, a tensor inside a branch or body read from outside it, a Switch or Merge
that belongs to no recognised construct, ops of a branch that nothing returns and that have
effects) is refused with a ValueError naming the ops: never a hang or a wrong answer.
"""

import collections

from flowexec.graph_io import protos
from flowexec.graph_io.importer import _parse_input as parse_input

__all__ = ["functionalize"]

_SWITCH = ("Switch", "RefSwitch")
_MERGE = ("Merge", "RefMerge")
_ENTER = ("Enter", "RefEnter")
_EXIT = ("Exit", "RefExit")
_NEXT = ("NextIteration", "RefNextIteration")
CLUSTER_OP = "_FunctionalizedControlFlow"


def _refuse(what, names):
    listed = ", ".join(f"'{n}'" for n in sorted(names)[:10])
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    return ValueError(f"Cannot convert TF 1.x (v1) control flow to If/While: {what}: nodes "
                      f"{listed}{more}. flowexec converts the patterns tf.cond and "
                      "tf.while_loop write; rebuild other graphs with them")


def _key(s):
    name, idx = parse_input(s)
    return name, idx


class _Graph:
    """The nodes with their consumers."""

    def __init__(self, nodes):
        self.nodes = list(nodes)
        self.by_name = {n.name: n for n in self.nodes}
        self.users = collections.defaultdict(list)  # name -> [(consumer, input string)]
        for n in self.nodes:
            for s in n.input:
                self.users[_key(s)[0]].append((n.name, s))

    def data_users(self, name, port):
        return [u for u, s in self.users[name] if _key(s) == (name, port)]

    def all_users(self, name):
        return [u for u, _ in self.users[name]]

    def forward(self, starts, stop):
        """Names reachable from `starts` (names) through consumers, not entering `stop`."""
        seen, todo = set(), [s for s in starts if s not in stop]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            todo.extend(u for u in self.all_users(n) if u not in stop and u not in seen)
        return seen

    def backward(self, starts, inside):
        """Names reachable backwards from `starts` through inputs, staying in `inside`."""
        seen, todo = set(), [s for s in starts if s in inside]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            for s in self.by_name[n].input:
                src = _key(s)[0]
                if src in inside and src not in seen:
                    todo.append(src)
        return seen


class _Construct:
    """One cond or loop: its member nodes, the nodes it reads from outside, its results."""

    def __init__(self, kind, scope, members, results):
        self.kind, self.scope = kind, scope
        self.members = members     # every node name that belongs to it
        self.results = results     # [(node name, port)] standing for outputs 0, 1, ...
        self.parts = {}            # the nodes by role (see _cond, _loop)
        self.needed = set()        # members some result needs


def _canonical_pred(g, s):
    """A Switch's predicate key, looking through Identity nodes (TF's `cond/pred_id`)."""
    name, idx = _key(s)
    while name in g.by_name and g.by_name[name].op == "Identity" and idx == 0:
        name, idx = _key(g.by_name[name].input[0])
    return name, idx


def _scope(name):
    return name.rpartition("/")[0]


def _conds(g):
    merges = [n for n in g.nodes if n.op in _MERGE and len(
        [s for s in n.input if not s.startswith("^")]) == 2]
    switches = [n for n in g.nodes if n.op in _SWITCH]
    pred_of = {s.name: _canonical_pred(g, s.input[1]) for s in switches}
    # The Merges of one cond (one per output) are in its name scope.
    groups = collections.defaultdict(list)
    frames = _loop_structure_names(g)
    for m in merges:
        if m.name in frames:
            continue  # a loop's Merge
        groups[_scope(m.name)].append(m)
    # tf.cond's pivot: `<scope>/Switch(pred, pred)`; it names the cond's predicate.
    preds = {}
    for scope, ms in groups.items():
        pivot = g.by_name.get(scope + "/Switch")
        if pivot is None or pivot.op not in _SWITCH or \
                _canonical_pred(g, pivot.input[0]) != pred_of[pivot.name]:
            raise _refuse("Merge nodes without the pivot Switch(pred, pred) that tf.cond "
                          "writes in their name scope", [m.name for m in ms])
        preds[scope] = pred_of[pivot.name]
    owner = {}  # each Switch belongs to the innermost cond scope of its predicate
    for sw in switches:
        if sw.name in frames:
            continue
        scopes = [sc for sc, p in preds.items()
                  if p == pred_of[sw.name] and sw.name.startswith(sc + "/")]
        if scopes:
            owner[sw.name] = max(scopes, key=len)
    out = []
    for scope, ms in groups.items():
        sws = [sw for sw in switches if owner.get(sw.name) == scope]
        out.append(_cond(g, scope, preds[scope], sws, ms))
    return out


def _cond(g, scope, pred, sws, ms):
    merge_names = {m.name for m in ms}
    sw_names = {s.name for s in sws}
    branch_reach = []
    for port in (0, 1):
        starts = [u for s in sws for u in g.data_users(s.name, port)]
        branch_reach.append(g.forward(starts, merge_names))
    for s in sws:
        if any(_key(x)[1] < 0 for _, x in g.users[s.name]):
            raise _refuse("a control dependency on a Switch", [s.name])
    members = branch_reach[0] | branch_reach[1] | sw_names | merge_names
    branches, needed = [], set()
    for port in (0, 1):
        inside = branch_reach[port] - sw_names
        ends = [_key([s for s in m.input if not s.startswith("^")][port])[0] for m in ms]
        branches.append(inside)  # all of it: pivots and nested constructs' parts too
        needed |= g.backward(ends, inside)
    both = branches[0] & branches[1]
    if both:
        raise _refuse("nodes in both branches of a cond", both)
    results = []
    for m in ms:
        if g.data_users(m.name, 1):
            raise _refuse("a Merge's value_index output is used", [m.name])
        results.append((m.name, 0))
    c = _Construct("cond", scope, members, results)
    c.parts = {"pred": pred, "switches": sws, "merges": ms, "branches": branches}
    c.needed = needed | sw_names | merge_names
    return c


def _loop_structure_names(g):
    """Names of the Enter/Merge/Switch/Exit/NextIteration/LoopCond nodes of every loop."""
    names = set()
    for n in g.nodes:
        if n.op in _ENTER:
            names.add(n.name)
            for u in g.data_users(n.name, 0):
                if g.by_name[u].op in _MERGE:
                    names.add(u)
                    for sw in g.data_users(u, 0):
                        if g.by_name[sw].op in _SWITCH:
                            names.add(sw)
                            names.update(x for x in g.data_users(sw, 0)
                                         if g.by_name[x].op in _EXIT)
        elif n.op in _NEXT or n.op == "LoopCond":
            names.add(n.name)
    return names


def _loops(g):
    frames = collections.OrderedDict()
    for n in g.nodes:
        if n.op in _ENTER:
            frame = n.attr["frame_name"].s.decode("utf-8", "replace")
            frames.setdefault(frame, []).append(n)
    return [_loop(g, frame, enters) for frame, enters in frames.items()]


def _single(g, users, ops, what, at):
    found = [u for u in users if g.by_name[u].op in ops]
    if len(found) != 1:
        raise _refuse(f"{what} not found as tf.while_loop writes it", [at])
    return found[0]


def _loop(g, frame, enters):
    variables = [e for e in enters if not e.attr["is_constant"].b]
    invariants = [e for e in enters if e.attr["is_constant"].b]
    merges, switches, exits, nexts = [], [], [], []
    loop_cond = None
    for e in variables:
        m = _single(g, g.data_users(e.name, 0), _MERGE, "the loop variable's Merge", e.name)
        sw = _single(g, g.data_users(m, 0), _SWITCH, "the loop variable's Switch", m)
        lc = _key(g.by_name[sw].input[1])[0]
        if g.by_name[lc].op != "LoopCond" or (loop_cond not in (None, lc)):
            raise _refuse("a loop Switch whose predicate is not the loop's LoopCond", [sw])
        loop_cond = lc
        nx = [_key(s)[0] for s in g.by_name[m].input if not s.startswith("^")]
        nx = [x for x in nx if x != e.name]
        if len(nx) != 1 or g.by_name[nx[0]].op not in _NEXT:
            raise _refuse("a loop Merge without its NextIteration", [m])
        ex = [u for u in g.data_users(sw, 0) if g.by_name[u].op in _EXIT]
        merges.append(m)
        switches.append(sw)
        nexts.append(nx[0])
        exits.append(ex[0] if ex else None)
    if loop_cond is None:
        raise _refuse(f"a loop frame '{frame}' without loop variables", [e.name for e in enters])
    structural = {e.name for e in enters} | set(merges) | set(switches) | set(nexts) | {
        loop_cond} | {x for x in exits if x}
    members = g.forward([e.name for e in enters], {x for x in exits if x}) | structural
    cond_nodes = g.backward([_key(g.by_name[loop_cond].input[0])[0]],
                            members - structural)
    body_ends = [_key(g.by_name[n].input[0])[0] for n in nexts]
    needed_body = g.backward(body_ends, members - structural)
    # The body: what the NextIterations need, and everything downstream of the Switches'
    # :1 outputs (pivots, nested constructs' parts).
    body_nodes = needed_body | (g.forward([u for sw in switches for u in g.data_users(sw, 1)],
                                          structural) - cond_nodes)
    scope = _scope(variables[0].name)
    results = [(x, 0) if x else None for x in exits]
    c = _Construct("loop", scope, members, [r for r in results if r])
    c.parts = {"variables": variables, "invariants": invariants, "merges": merges,
               "switches": switches, "nexts": nexts, "exits": exits, "loop_cond": loop_cond,
               "cond_nodes": cond_nodes, "body_nodes": body_nodes, "structural": structural}
    c.needed = structural | cond_nodes | needed_body
    return c


def _check_dangling(g, c, used):
    """Members whose values no result needs: pure ones (pivots, unused branch values) are
    kept where they are (or dropped when outside every function); ops with effects, which TF
    would not run, or members read from outside, are refused."""
    from flowexec.graph_io import importer, schema

    dangling = c.members - c.needed
    bad = []
    for name in dangling:
        node = g.by_name[name]
        sch = schema.schema_for(node.op)
        outside = [u for u in g.all_users(name) if u not in c.members]
        pure = node.op in importer.V1_CONTROL_FLOW or (sch is not None and not sch.is_stateful)
        if outside or not pure:
            bad.append(name)
    if bad:
        raise _refuse(f"ops inside a {'tf.cond' if c.kind == 'cond' else 'tf.while_loop'} "
                      "that are read from outside it or have effects but are not part of "
                      "its results", bad)
    dangling = c.members - used
    stray = [n for n in c.members if not n.startswith(c.scope + "/")]
    if stray:  # tf.cond and tf.while_loop create every op of theirs in their name scope
        raise _refuse(f"ops outside the name scope '{c.scope}' read tensors inside a "
                      f"{'tf.cond branch' if c.kind == 'cond' else 'tf.while_loop'} (they "
                      "would be read from outside it)", stray + sorted({
                          _key(x)[0] for n in stray for x in g.by_name[n].input
                          if _key(x)[0] in c.members and _key(x)[0] not in stray}))
    for name in c.members:
        if (name, 0) in c.results or name in dangling:
            continue
        outside = [u for u in g.all_users(name) if u not in c.members]
        if outside:
            raise _refuse("a tensor inside a tf.cond branch or tf.while_loop read from "
                          "outside it", [name] + outside)


def _external(g, c, nodes):
    """The input keys ("name:i") that `nodes` read from outside the construct, and the
    names outside that they depend on through control edges."""
    data, controls = [], []
    for name in sorted(nodes):
        for s in g.by_name[name].input:
            src, idx = _key(s)
            if src in c.members:
                continue
            key = f"^{src}" if idx < 0 else f"{src}:{idx}"
            target = controls if idx < 0 else data
            if key not in target:
                target.append(key)
    return data, controls


def _sub_nodes(g, names):
    return [g.by_name[n] for n in g.nodes_order if n in names]


def _make_cond_builder(g, c, library):
    from flowexec.graph_io.importer import import_nodes
    from flowexec.ops.cond import cond

    parts = c.parts
    ms = parts["merges"]

    def build(inputs):
        pred = inputs[_norm(parts["switches"][0].input[1])]

        def branch(port):
            def fn():
                external = dict(inputs)
                for sw in parts["switches"]:
                    src, idx = _key(sw.input[0])
                    external[f"{sw.name}:{port}"] = inputs[f"{src}:{idx}"]
                ends = [[s for s in m.input if not s.startswith("^")][port] for m in ms]
                return import_nodes(_sub_nodes(g, parts["branches"][port]), external, ends,
                                    library)
            return fn

        out = cond(pred, branch(1), branch(0), strict=True,
                   name=c.scope.rpartition("/")[2] or "cond")
        return list(out)

    return build


def _make_loop_builder(g, c, library):
    from flowexec.graph_io.importer import import_nodes
    from flowexec.ops.while_loop import while_loop

    parts = c.parts

    def build(inputs):
        invariants = {f"{e.name}:0": inputs[_norm(e.input[0])] for e in parts["invariants"]}
        init = [inputs[_norm(e.input[0])] for e in parts["variables"]]

        def cond_fn(*args):
            external = dict(inputs, **invariants)
            external.update({f"{m}:0": a for m, a in zip(parts["merges"], args)})
            pred_key = g.by_name[parts["loop_cond"]].input[0]
            return import_nodes(_sub_nodes(g, parts["cond_nodes"]), external, [pred_key],
                                library)[0]

        def body_fn(*args):
            external = dict(inputs, **invariants)
            external.update({f"{sw}:1": a for sw, a in zip(parts["switches"], args)})
            ends = [g.by_name[n].input[0] for n in parts["nexts"]]
            return import_nodes(_sub_nodes(g, parts["body_nodes"]), external, ends, library)

        out = while_loop(cond_fn, body_fn, init, return_same_structure=True,
                         name=c.scope.rpartition("/")[2] or "while")
        return [t for t, x in zip(out, parts["exits"]) if x]

    return build


def _norm(s):
    name, idx = _key(s)
    return f"{name}:{idx}"


def functionalize(nodes, library=None):
    """The NodeDefs with each outermost v1 cond and loop replaced by one placeholder node
    (functional If/While nodes inside them call the functions of `library`),
    {placeholder name: build(tensors by input key) -> [output tensors]}, and {"name:i" of a
    result (a Merge's or Exit's output): "placeholder:k"}.

    Raises:
        ValueError: v1 control flow that is not a recognised tf.cond / tf.while_loop
            (naming the ops).
    """
    g = _Graph(nodes)
    g.nodes_order = [n.name for n in g.nodes]
    constructs = _loops(g) + _conds(g)
    for c in constructs:
        if c.kind == "loop":
            p = c.parts
            used = p["structural"] | p["cond_nodes"] | p["body_nodes"]
        else:
            p = c.parts
            used = p["branches"][0] | p["branches"][1] | {s.name for s in p["switches"]} | {
                m.name for m in p["merges"]}
        _check_dangling(g, c, used)
    # Outermost: not inside another construct's members.
    outer = [c for c in constructs if not any(
        d is not c and c.members < d.members for d in constructs)]
    covered = set()
    for c in outer:
        if covered & c.members:
            raise _refuse("control flow constructs that overlap", covered & c.members)
        covered |= c.members
    node_def_cls = protos.proto_class("NodeDef")
    rename = {}        # (member name, port) -> placeholder input string
    control_rename = {}
    builders = {}
    placeholders = []
    taken = {n.name for n in g.nodes}
    for c in outer:
        base = (c.scope or c.kind) + "/" + CLUSTER_OP
        name, i = base, 0
        while name in taken:
            i += 1
            name = f"{base}_{i}"
        taken.add(name)
        data, controls = _external(g, c, c.members)
        node = node_def_cls(name=name, op=CLUSTER_OP)
        node.input.extend(data + controls)
        placeholders.append((c, node))
        for k, r in enumerate(c.results):
            rename[r] = f"{name}:{k}"
        for m in c.members:
            control_rename[m] = f"^{name}"
        build = (_make_cond_builder(g, c, library) if c.kind == "cond"
                 else _make_loop_builder(g, c, library))
        builders[name] = _with_keys(build, data)
    out = []
    position = {name: i for i, name in enumerate(g.nodes_order)}
    first_member = {}
    for c, node in placeholders:
        first_member[min(c.members, key=position.__getitem__)] = node
    for n in g.nodes:
        if n.name in first_member:
            out.append(first_member[n.name])
        if n.name in covered:
            continue
        if not any(_key(s)[0] in covered for s in n.input):
            out.append(n)
            continue
        m = node_def_cls()
        m.CopyFrom(n)
        del m.input[:]
        for s in n.input:
            src, idx = _key(s)
            if src not in covered:
                m.input.append(s)
            elif idx < 0:
                m.input.append(control_rename[src])
            elif (src, idx) in rename:
                m.input.append(rename[(src, idx)])
            else:
                raise _refuse("a tensor inside a tf.cond branch or tf.while_loop read from "
                              "outside it", [src, n.name])
        out.append(m)
    results = {f"{name}:{idx}": target for (name, idx), target in rename.items()}
    for c, node in placeholders:  # the placeholders' own inputs may name other placeholders
        fixed = []
        for s in node.input:
            src, idx = _key(s)
            if src in covered:
                fixed.append(control_rename[src] if idx < 0 else rename.get((src, idx)))
                if fixed[-1] is None:
                    raise _refuse("a tensor inside a tf.cond branch or tf.while_loop read "
                                  "from outside it", [src, node.name])
            else:
                fixed.append(s)
        del node.input[:]
        node.input.extend(fixed)
    return out, builders, results


def _with_keys(build, keys):
    """build(tensors by key) as the importer calls it: with the data inputs in order."""
    def call(tensors):
        return build(dict(zip(keys, tensors)))
    return call
