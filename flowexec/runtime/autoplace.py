"""Autoplace: cost-based placement of unconstrained ops over a session's devices.

`place()` resolves device requests and colocation and hands the rest here: every *free*
colocation group (no device request, no state, a kernel on every candidate) needs one of
the candidate devices, the session's GPUs when it has any, else its (logical) CPUs.

The model (times in estimated nanoseconds, `flowexec.runtime.cost`):

* a device is one processor: it runs one unit at a time and is busy until the last one ends;
* a value that crosses devices costs a transfer, `latency + bytes * ns_per_byte` by the pair
  of device types (`transfer_ns`): logical CPUs share host memory, so CPU<->CPU costs only
  the thread hand-off; GPU<->GPU and host<->GPU add a per-byte cost. A fed value starts on
  the host. Control edges carry no bytes;
* a tensor's bytes are its static shape times its dtype size (`tensor_bytes`); an unknown
  dimension counts as `UNKNOWN_DIM` (a typical batch), an unknown rank as one such dimension.

The algorithm:

1. Units. Each free group is a unit, and so is each op of a constrained group: its device is
   fixed, so there is nothing to decide, and splitting it keeps a Variable's group (read at
   the start of a step, updated at its end) from forming one cycle with the whole forward and
   backward pass. Colocation can still create cycles between free groups (a -> b -> c with a
   and c colocated), so networkx's condensation merges each strongly connected component
   into one unit. A component that also holds constrained ops is decided by them: each of its
   free groups goes to the device, among theirs, that it exchanges the most bytes with.
   As in TensorFlow's placer, a generator (a free op without inputs, such as a Const, whose
   value has a single consumer) joins its consumer's unit, so sources are not scattered.
2. HEFT list scheduling. A unit's upward rank is its cost plus the largest (mean transfer +
   rank) over its successors. Ready units are taken highest rank first; a free unit goes to
   the candidate where it would finish earliest (ties: the device whose predecessors send it
   the most bytes, then the lowest device index); a constrained unit occupies its device.
3. The single-device alternative: every free unit on the default device (the candidate that
   holds the most bytes of the free units' constrained neighbours, else the first candidate:
   GPU:0 or CPU:0), scheduled the same way. The spread placement is kept only when it saves
   at least `cost.PARALLEL_MIN_SAVING` ns and is `cost.PARALLEL_MIN_RATIO` times faster, so a
   small graph stays on one device when splitting would cost more than it saves.

Everything is deterministic: units are numbered by their first op in the given topological
order and every tie is broken by unit number or device index. networkx runs here, at plan
time, never while a step executes.

Example:
    >>> report = autoplace(ops, groups, devices, fixed={}, candidates=names)
    >>> report.spread, report.makespan_ns < report.single_device_ns
    (True, True)
"""

import dataclasses
import heapq
from typing import Optional, Tuple

import networkx as nx

from flowexec.runtime import cost as cost_mod
from flowexec.runtime.cost import estimate_cost, tensor_bytes, transfer_ns

@dataclasses.dataclass(frozen=True)
class AutoPlacement:
    """What the partitioner decided and predicted.

    Attributes:
        devices_by_group: one full device name per colocation group, in the groups' order.
        makespan_ns: the predicted step time of the spread (HEFT) placement, or None when
            nothing was scheduled (one candidate device, or at most one free group).
        single_device_ns: the predicted step time with every free group on
            `default_device` (None as above).
        spread: whether the spread placement was kept (else free groups are on
            `default_device`).
        default_device: where free groups go when they are not spread.
    """

    devices_by_group: Tuple[str, ...]
    makespan_ns: Optional[float]
    single_device_ns: Optional[float]
    spread: bool
    default_device: Optional[str]


class _Problem:
    """Units, their costs and edges, and the devices: everything a schedule reads."""

    def __init__(self, types, candidates):
        self.types = types
        self.candidates = candidates          # device indices, in device order
        self.cost = []
        self.fixed = []                       # device index, or -1 for a free unit
        self.preds = []                       # per unit: [(pred unit, bytes)], by pred
        self.succs = []
        self.ext_bytes = []                   # fed bytes per unit (they start on the host)
        self.rank = []
        ndev = len(types)
        self.latency = [[0.0] * ndev for _ in range(ndev)]
        self.per_byte = [[0.0] * ndev for _ in range(ndev)]
        for a in range(ndev):
            for b in range(ndev):
                if a != b:
                    self.latency[a][b] = transfer_ns(types[a], types[b], 0)
                    self.per_byte[a][b] = transfer_ns(types[a], types[b], 1) - \
                        self.latency[a][b]

    def compute_ranks(self):
        n = len(self.cost)
        indegree = [len(p) for p in self.preds]
        heap = [u for u in range(n) if indegree[u] == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            u = heapq.heappop(heap)
            order.append(u)
            for s, _ in self.succs[u]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    heapq.heappush(heap, s)
        assert len(order) == n, "the unit graph must be acyclic"
        # Mean transfer between two candidates drawn at random (same device: free).
        c = self.candidates
        share = 1.0 - 1.0 / len(c)
        ctype = self.types[c[0]]
        latency = transfer_ns(ctype, ctype, 0)
        per_byte = transfer_ns(ctype, ctype, 1) - latency
        rank = [0.0] * n
        for u in reversed(order):
            best = 0.0
            for s, nbytes in self.succs[u]:
                r = share * (latency + nbytes * per_byte) + rank[s]
                if r > best:
                    best = r
            rank[u] = self.cost[u] + best
        self.rank = rank

    def schedule(self, forced=None):
        """List-schedules every unit; free units go to `forced` when it is given, else to
        their earliest-finish candidate. Returns (device per unit, makespan)."""
        n = len(self.cost)
        types = self.types
        busy = [0.0] * len(types)
        finish = [0.0] * n
        where = [-1] * n
        waiting = [len(p) for p in self.preds]
        heap = [(-self.rank[u], u) for u in range(n) if waiting[u] == 0]
        heapq.heapify(heap)
        makespan = 0.0
        while heap:
            _, u = heapq.heappop(heap)
            d = self.fixed[u]
            if d < 0 and forced is not None:
                d = forced
            if d >= 0:
                end = max(busy[d], self._ready(u, d, where, finish)) + self.cost[u]
            else:
                sent = {}
                for p, nbytes in self.preds[u]:
                    sent[where[p]] = sent.get(where[p], 0) + nbytes
                best = None
                for c in self.candidates:
                    f = max(busy[c], self._ready(u, c, where, finish)) + self.cost[u]
                    key = (f, -sent.get(c, -1), c)
                    if best is None or key < best:
                        best = key
                end, d = best[0], best[2]
            where[u] = d
            finish[u] = end
            busy[d] = end
            if end > makespan:
                makespan = end
            for s, _ in self.succs[u]:
                waiting[s] -= 1
                if waiting[s] == 0:
                    heapq.heappush(heap, (-self.rank[s], s))
        return where, makespan

    def _ready(self, u, d, where, finish):
        t = 0.0
        ext = self.ext_bytes[u]
        if ext and self.types[d] != "CPU":
            t = transfer_ns("CPU", self.types[d], ext)
        latency, per_byte = self.latency, self.per_byte
        for p, nbytes in self.preds[u]:
            src = where[p]
            r = finish[p]
            if src != d:
                r += latency[src][d] + nbytes * per_byte[src][d]
            if r > t:
                t = r
        return t


def _op_edges(ops, fed=frozenset()):
    """Per node: [(producer position or -1 when fed, tensor, bytes)] and control positions."""
    pos = {op.name: i for i, op in enumerate(ops)}
    data = []
    control = []
    for op in ops:
        data.append([(-1 if t in fed else pos.get(t.node, -1), t, tensor_bytes(t))
                     for t in op.inputs])
        control.append([pos[c] for c in op.control_inputs if c in pos])
    return data, control


def _build(ops, edges_of_ops, unit_of_op, nunits, problem):
    """Fills the problem's costs and byte-weighted edges between units (a tensor counts once
    per destination unit); `edges_of_ops` is `_op_edges(ops)`."""
    data, control = edges_of_ops
    cost = [0.0] * nunits
    edges = {}
    seen = set()
    ext = [0] * nunits
    for i, op in enumerate(ops):
        v = unit_of_op[i]
        cost[v] += estimate_cost(op)
        for p, t, nbytes in data[i]:
            if (t, v) in seen:
                continue
            seen.add((t, v))
            if p < 0:
                ext[v] += nbytes
                continue
            u = unit_of_op[p]
            if u != v:
                edges[(u, v)] = edges.get((u, v), 0) + nbytes
        for p in control[i]:
            u = unit_of_op[p]
            if u != v and (u, v) not in edges:
                edges[(u, v)] = 0
    problem.cost = cost
    problem.ext_bytes = ext
    problem.preds = [[] for _ in range(nunits)]
    problem.succs = [[] for _ in range(nunits)]
    for (u, v), nbytes in sorted(edges.items()):
        problem.succs[u].append((v, nbytes))
        problem.preds[v].append((u, nbytes))


def _default_device(problem, candidates):
    """The candidate holding the most bytes exchanged between free and constrained units."""
    held = {}
    fixed = problem.fixed
    for v, preds in enumerate(problem.preds):
        for u, nbytes in preds:
            if (fixed[u] < 0) != (fixed[v] < 0):
                d = fixed[u] if fixed[u] >= 0 else fixed[v]
                held[d] = held.get(d, 0) + nbytes
    return min(candidates, key=lambda c: (-held.get(c, 0), c))


def autoplace(ops, groups, devices, fixed, candidates, group_types=None, fed=frozenset()):
    """Chooses a device for every free colocation group (see the module docstring).

    Args:
        ops: all IR nodes of `groups`, in topological order.
        groups: the colocation groups (lists of nodes), a partition of `ops`.
        devices: the session's DeviceAttributes (`.full_name`, `.device_type`).
        fixed: {group index: full device name} for the constrained groups.
        candidates: full names of the devices free groups may use (all of one type).
        group_types: per group, the device types with a kernel for every member (used when a
            cycle ties free groups to constrained ops); None: every type.
        fed: the fed Refs (their values start on the host, not at their producer).

    Returns:
        An `AutoPlacement`.
    """
    names = [d.full_name for d in devices]
    index = {n: i for i, n in enumerate(names)}
    types = [d.device_type for d in devices]
    cand = sorted(index[n] for n in candidates)
    group_of = {}
    for gi, group in enumerate(groups):
        for op in group:
            group_of[op.name] = gi
    free = [gi for gi in range(len(groups)) if gi not in fixed]
    device_of_group = {gi: index[n] for gi, n in fixed.items()}
    ngroups = len(groups)
    problem = _Problem(types, cand)
    op_edges = _op_edges(ops, fed)
    if len(cand) < 2 or len(free) < 2:
        # Nothing to spread: free groups (at most one) go to the default device.
        unit_key = {}
        unit_of_op = [unit_key.setdefault(("op", i) if group_of[op.name] in fixed else "free",
                                          len(unit_key)) for i, op in enumerate(ops)]
        problem.fixed = [-1] * len(unit_key)
        for i, op in enumerate(ops):
            if group_of[op.name] in fixed:
                problem.fixed[unit_of_op[i]] = device_of_group[group_of[op.name]]
        _build(ops, op_edges, unit_of_op, len(unit_key), problem)
        default = _default_device(problem, cand)
        for gi in free:
            device_of_group[gi] = default
        return AutoPlacement(tuple(names[device_of_group[gi]] for gi in range(ngroups)),
                             None, None, False, names[default])

    # TensorFlow's placer heuristic: a generator (an op without inputs, such as a Const, whose
    # value has one consumer) goes where that consumer goes.
    readers = _readers(ops, fed)
    node_of_group = {}
    for gi in free:
        consumer = _generator_consumer(groups[gi], readers)
        target = gi if consumer is None else group_of[consumer]
        if target in fixed and (group_types is None
                                or types[device_of_group[target]] in group_types[gi]):
            device_of_group[gi] = device_of_group[target]
        else:
            node_of_group[gi] = target if target not in fixed else gi

    # Nodes: a free group's node is its own index (or its generator's consumer's); op i of a
    # constrained group is ngroups + i.
    node_of_op = []
    for i, op in enumerate(ops):
        gi = group_of[op.name]
        node_of_op.append(node_of_group[gi] if gi in node_of_group else ngroups + i)
    graph = nx.DiGraph()
    graph.add_nodes_from(dict.fromkeys(node_of_op))
    data, control = op_edges
    for i in range(len(ops)):
        v = node_of_op[i]
        for p in [p for p, _, _ in data[i] if p >= 0] + control[i]:
            u = node_of_op[p]
            if u != v:
                graph.add_edge(u, v)
    condensed = nx.condensation(graph)
    component = condensed.graph["mapping"]

    # Components with constrained ops decide their free groups, which become constrained.
    for c in condensed.nodes:
        nodes = condensed.nodes[c]["members"]
        if len(nodes) < 2:
            continue
        devs = sorted({device_of_group[group_of[ops[n - ngroups].name]]
                       for n in nodes if n >= ngroups})
        if not devs:
            continue
        for gi in sorted(n for n in nodes if n < ngroups):
            device_of_group[gi] = _cycle_device(gi, groups, devs, group_of, device_of_group,
                                                types, group_types, cand, readers)
    for gi, target in list(node_of_group.items()):
        if target in device_of_group:
            device_of_group[gi] = device_of_group[target]
            del node_of_group[gi]
        elif gi in device_of_group:
            del node_of_group[gi]

    # Units: free components, and single ops of everything constrained; numbered by first op.
    unit_key = {}
    unit_of_op = []
    for i, op in enumerate(ops):
        gi = group_of[op.name]
        key = ("c", component[node_of_group[gi]]) if gi in node_of_group else ("op", i)
        unit_of_op.append(unit_key.setdefault(key, len(unit_key)))
    problem.fixed = [-1] * len(unit_key)
    for i, op in enumerate(ops):
        gi = group_of[op.name]
        if gi not in node_of_group:
            problem.fixed[unit_of_op[i]] = device_of_group[gi]
    _build(ops, op_edges, unit_of_op, len(unit_key), problem)
    problem.compute_ranks()
    default = _default_device(problem, cand)
    spread_where, makespan = problem.schedule()
    _, single = problem.schedule(forced=default)
    spread = cost_mod.worth_overlapping(single, makespan)
    unit_of_group = {}
    for i, op in enumerate(ops):
        unit_of_group.setdefault(group_of[op.name], unit_of_op[i])
    for gi in node_of_group:
        device_of_group[gi] = spread_where[unit_of_group[gi]] if spread else default
    return AutoPlacement(tuple(names[device_of_group[gi]] for gi in range(ngroups)),
                         makespan, single, spread, names[default])


def _readers(ops, fed):
    """{Ref: names of the nodes reading it}, fed refs excluded."""
    readers = {}
    for op in ops:
        for t in op.inputs:
            if t not in fed:
                readers.setdefault(t, []).append(op.name)
    return readers


def _generator_consumer(group, readers):
    """The one consumer (name) of a group that is a single node without inputs."""
    if len(group) != 1:
        return None
    op = group[0]
    if op.inputs or op.control_inputs:
        return None
    consumers = {c for t in op.outputs for c in readers.get(t, ())}
    return consumers.pop() if len(consumers) == 1 else None


def _cycle_device(gi, groups, devs, group_of, device_of_group, types, group_types, cand,
                  readers):
    """Device for free group `gi` in a cycle with constrained ops on `devs`: the one it
    exchanges the most bytes with (that has kernels for it), else its first candidate."""
    allowed = None if group_types is None else group_types[gi]
    ok = [d for d in devs if allowed is None or types[d] in allowed]
    if not ok:
        return cand[0]
    members = {op.name for op in groups[gi]}
    sent = {}
    for op in groups[gi]:
        for t in op.inputs:
            g = group_of.get(t.node)
            if t.node not in members and g is not None and g in device_of_group:
                d = device_of_group[g]
                sent[d] = sent.get(d, 0) + tensor_bytes(t)
        for t in op.outputs:
            for consumer in readers.get(t, ()):
                g = group_of.get(consumer)
                if consumer not in members and g is not None and g in device_of_group:
                    d = device_of_group[g]
                    sent[d] = sent.get(d, 0) + tensor_bytes(t)
    return min(ok, key=lambda d: (-sent.get(d, 0), d))


def estimate_makespan(ops, placement, devices):
    """Predicted step time (ns) of a complete placement under this module's model.

    Every node is its own unit on its given device, so benchmarks can compare placements,
    e.g. `estimate_makespan(nodes, place(nodes, devs), devs)` against everything on CPU:0.

    Args:
        ops: IR nodes in topological order.
        placement: {node name: full device name} covering `ops`.
        devices: the session's DeviceAttributes.

    Returns:
        The estimated makespan in nanoseconds.
    """
    names = [d.full_name for d in devices]
    index = {n: i for i, n in enumerate(names)}
    problem = _Problem([d.device_type for d in devices], list(range(len(names))))
    problem.fixed = [index[placement[op.name]] for op in ops]
    _build(ops, _op_edges(ops), list(range(len(ops))), len(ops), problem)
    problem.compute_ranks()
    return problem.schedule()[1]
