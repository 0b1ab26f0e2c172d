"""Elementwise fusion: connected groups of elementwise ops become one `_FusedElementwise`.

Which ops fuse is a flag of their definition (`defop(..., elementwise=Elementwise(...))`),
never a list of type names here. A node joins the groups of its producers (merging them) when it is
flagged, has one output, floating-point inputs and output, the flag `accepts` its input
shapes, the same requested device and colocation as the group, is not fed or a target, its
output is not statically known to fit in one block (a step that small runs the ops' own
kernels one by one: fusing it would only add the fused step's checks), and joining creates
no cycle (no other input of the node depends on the group). A fetched node
may join but closes its group (it must stay the group's last node). After grouping, the
contracted graph is checked for cycles through several groups; a group on a cycle gives up
its most recent member until there is none.

Each group of two or more nodes becomes one node named after its last member (so that
member's readers, fetch and control edges are unchanged): its inputs are the tensors the
group reads from outside, its outputs the last member's value followed by every other
member's value that is read outside the group; readers of those are redirected; its control
inputs are the members' outside control inputs; its origin lists the user ops it computes,
so errors and traces name them.

When the last member's only reader is a Sum over every axis (not keep_dims), the Sum joins
the fused node (which takes the Sum's name): each block's partial sum is taken while the
block is in cache and the partials are summed, so the elementwise result is never written
out. That re-associates the sum (rounding like a different pairwise order).
"""

from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import fused_ops
from flowexec.runtime.ir import make_node
from flowexec.runtime.optimize.rewrite import Rewrite


def _fusable(node, rw):
    ew = node.op_def.elementwise
    if ew is None or len(node.output_dtypes) != 1 or not node.inputs:
        return False
    if node.name in rw.graph.targets or any(rw.is_fed(r) for r in node.outputs):
        return False
    if not node.output_dtypes[0].is_floating or not all(r.dtype.is_floating
                                                        for r in node.inputs):
        return False
    size = node.output_shapes[0].num_elements()
    if size is not None and size * node.output_dtypes[0].size <= fused_ops.BLOCK_BYTES:
        return False  # one block: the fused step would run the ops' own kernels anyway
    return ew.accepts is None or ew.accepts([r.shape or TensorShape(None)
                                             for r in node.inputs])


def _preds(node, rw):
    out = [r.node for r in node.inputs if not rw.is_fed(r)]
    return list(dict.fromkeys(out + list(node.control_inputs)))


class _Group:
    __slots__ = ("closed", "colocation", "device", "mask", "members", "preds")

    def __init__(self, node):
        self.members = []
        self.preds = set()  # the members' producers and control inputs
        self.mask = 0
        self.closed = False
        self.device = node.device
        self.colocation = node.colocation


def _form_groups(graph, rw):
    index = {n.name: i for i, n in enumerate(graph.nodes)}
    ancestors = [0] * len(graph.nodes)
    group_of = {}
    groups = []

    def depends(a, b):
        """Whether group `a` reads group `b` through a node outside both."""
        return any(ancestors[index[p]] & b.mask for p in a.preds
                   if p in index and group_of.get(p) not in (a, b))

    for i, node in enumerate(graph.nodes):
        preds = [p for p in _preds(node, rw) if p in index]
        mask = 0
        for p in preds:
            mask |= ancestors[index[p]] | (1 << index[p])
        ancestors[i] = mask
        if not _fusable(node, rw):
            continue
        candidates = []
        for r in node.inputs:
            g = group_of.get(r.node) if not rw.is_fed(r) else None
            if g is not None and g not in candidates and not g.closed and \
                    g.device == node.device and g.colocation == node.colocation:
                candidates.append(g)
        joined = None
        for g in candidates:
            merged = g.mask | (joined.mask if joined else 0)
            inside = (g, joined) if joined else (g,)
            outside = (p for p in preds if group_of.get(p) not in inside)
            if not all(ancestors[index[p]] & merged == 0 for p in outside):
                continue
            if joined is None:
                joined = g
            elif not (depends(g, joined) or depends(joined, g)):
                for m in g.members:  # the node joins two groups: they become one
                    group_of[m] = joined
                joined.members += g.members
                joined.mask |= g.mask
                joined.preds |= g.preds
                groups.remove(g)
        if joined is None:
            joined = _Group(node)
            groups.append(joined)
        joined.members.append(node.name)
        joined.preds.update(preds)
        joined.mask |= 1 << i
        group_of[node.name] = joined
        if rw.fetched(node.name):
            joined.closed = True
    while True:
        stuck = _groups_on_cycles(graph, rw, group_of)
        if not stuck:
            break
        for g in stuck:
            name = g.members.pop()
            del group_of[name]
    for g in groups:  # merged groups: members back in graph (topological) order
        g.members.sort(key=index.__getitem__)
    return [g for g in groups if len(g.members) >= 2]


def _groups_on_cycles(graph, rw, group_of):
    """Groups left over by Kahn's algorithm on the graph with each group contracted."""
    unit = {n.name: (group_of.get(n.name) or n.name) for n in graph.nodes}
    units = list(dict.fromkeys(unit.values()))
    succ = {u: set() for u in units}
    indegree = dict.fromkeys(units, 0)
    for n in graph.nodes:
        u = unit[n.name]
        for p in _preds(n, rw):
            pu = unit.get(p)
            if pu is not None and pu is not u and u not in succ[pu]:
                succ[pu].add(u)
                indegree[u] += 1
    ready = [u for u in units if indegree[u] == 0]
    seen = 0
    while ready:
        u = ready.pop()
        seen += 1
        for s in succ[u]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    if seen == len(units):
        return []
    return [u for u in units if indegree[u] > 0 and not isinstance(u, str)
            and len(u.members) > 1]


def _full_sum(rw, last, consumers):
    """The Sum over every axis that is the only reader of the group's last node, if any:
    it is fused too (each block's partial sum; a re-association of the sum)."""
    readers = consumers.get(last.name, ())
    if len(readers) != 1 or rw.fetched(last.name) or last.output_dtypes[0].name not in (
            "float32", "float64"):
        return None
    s = rw.current(readers[0])
    if s.type != "Sum" or s.inputs[0] != last.outputs[0] or s.attrs.get("keep_dims") or \
            any(rw.is_fed(r) for r in s.outputs) or s.name in rw.graph.targets or \
            s.device != last.device or s.colocation != last.colocation:
        return None
    axes = rw.producer(s.inputs[1])
    rank = last.output_shapes[0].ndims
    if axes is None or axes.op_def.constant is None or rank is None:
        return None
    value = axes.op_def.constant(axes)
    wanted = sorted(int(a) % rank for a in value.reshape(-1)) if rank else []
    return s if wanted == list(range(rank)) else None


def _fuse(rw, group, consumers):
    members = [rw.current(m) for m in group.members]
    names = set(group.members)
    last = members[-1]
    total = _full_sum(rw, last, consumers)
    inputs = []
    slot = {}
    for m in members:
        for r in m.inputs:
            if (r.node not in names or rw.is_fed(r)) and (r.node, r.index) not in slot:
                slot[(r.node, r.index)] = len(inputs)
                inputs.append(r)
    n_in = len(inputs)
    value = {}
    steps = []
    for j, m in enumerate(members):
        args = tuple(value[r.node] if r.node in value and not rw.is_fed(r)
                     else slot[(r.node, r.index)] for r in m.inputs)
        steps.append(fused_ops.FusedStep(m.type, args, m.output_dtypes[0].np.name, m.name))
        value[m.name] = n_in + j
    exported = [last] + [m for m in members[:-1]
                         if any(c not in names for c in consumers.get(m.name, ()))]
    controls = []
    origin = []
    for m in members + ([total] if total else []):
        controls += [c for c in m.control_inputs if c not in names and c not in controls]
        origin += [o for o in m.origin if o not in origin]
    attrs = {"expr": tuple(steps), "outputs": tuple(value[m.name] for m in exported)}
    specs = [(m.output_dtypes[0], m.output_shapes[0]) for m in exported]
    if total is not None:
        attrs["reduce"] = "sum"
        specs[0] = (total.output_dtypes[0], total.output_shapes[0])
    node = make_node("_FusedElementwise", (total or last).name, inputs, attrs,
                     control_inputs=controls, origin=origin, device=last.device,
                     colocation=last.colocation, outputs=specs)
    rw.replace(node)
    for k, m in enumerate(exported[1:], 1):
        rw.forward(m.outputs[0], node.outputs[k])
    for m in members[:-1] + ([last] if total else []):
        rw.forward_control(m.name, (node.name,))
    return total is not None


def fuse_elementwise(graph):
    """Returns `(graph, description or None)`."""
    rw = Rewrite(graph)
    groups = _form_groups(graph, rw)
    if not groups:
        return graph, None
    consumers = rw.consumers()
    sums = sum(_fuse(rw, g, consumers) for g in groups)
    sizes = ", ".join(str(len(g.members)) for g in groups[:8])
    what = f"{len(groups)} elementwise groups fused (ops per group: {sizes})"
    if sums:
        what += f", {sums} with the Sum that reads them (re-associated sum)"
    return rw.finish(), what
