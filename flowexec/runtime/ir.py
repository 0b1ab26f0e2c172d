"""IR: the graph of one run as frozen data, independent of the user's Graph.

`prune` says which Operations a (fetches, feeds, targets) combination needs; `from_pruned`
turns them into a `GraphIR`, and every later stage (optimize, place, partition, schedule,
bind, execute) reads `Node`s of it, never Operations. The optimizer rewrites the IR: it
replaces, fuses and removes nodes; the user's Graph is never touched.

Data:
    Ref      one tensor: `Ref(node, index, dtype, shape)`; `node` is a node *name* and
             equality/hashing use (node, index) only. A Ref is resolved by the rule
             "fed first": a ref listed in `GraphIR.feeds` reads the fed value (its producer
             may be absent from the IR, or present for its other outputs); any other ref
             reads output `index` of the node called `node`.
    Node     one node: name, type, op_def, attrs, inputs (Refs), control_inputs (names),
             output dtypes and shapes, the requested device, the colocation names, and
             `origin`, the user Operations the node stands for.
    GraphIR  nodes in topological order, plus feeds, fetches (Refs) and targets (names).

Contract for passes (flowexec.runtime.optimize), which take a GraphIR and return one:

* Never mutate: build new nodes with `make_node(...)` or `node.replace(...)`, and a new
  graph with `graph.with_nodes(nodes)` (it restores a topological order and checks that
  every ref resolves, so nodes may be listed in any order).
* A new node keeps `origin`: the Operations it stands for (`make_node(origin=...)`, e.g.
  the union of the fused nodes' origins, or the folded node's). Errors, traces and
  `log_device_placement` name a node through them: `node.source_line()` is the first
  origin's user line, and an error raised by a fused node's kernel names it and lists the
  origins' names. A node whose `op_def.needs_ctx` (state, RNG, Python callbacks) stands
  for exactly one Operation and is never merged, fused or folded: its KernelContext gets
  that Operation.
* Fed and fetched tensors are never optimized away: a Ref in `graph.feeds` or
  `graph.fetches` must still resolve to the same tensor (same node name and index) after a
  pass, and a fed ref is never read through its producer (`graph.is_fed(ref)`). To replace
  a fetched node, give the replacement the same name (`node.replace(...)`). Targets (names)
  keep their nodes.
* Rewire a consumer with `consumer.replace(inputs=...)`; a Ref keeps the producer's dtype
  and shape (`producer.outputs[i]`, or `graph.ref(name, i)`), so a pass may only rewire to
  a tensor of the same dtype and a compatible static shape.
* Names are unique in a graph; a new node takes a fresh name (`graph.unique_name(base)`).

Thread-safety: everything here is immutable after construction.
"""

import dataclasses
import heapq
import types
from typing import Any, Mapping, Tuple

from flowexec.framework import errors
from flowexec.framework import registry
from flowexec.framework.operation import NodeDef
from flowexec.framework.tensor_shape import as_shape


@dataclasses.dataclass(frozen=True, slots=True)
class Ref:
    """A tensor of the IR: output `index` of node `node` (a name), with its dtype and shape.

    Attributes:
        node: the producing node's name.
        index: the output position.
        dtype: the tensor's DType (not compared).
        shape: its static TensorShape (not compared).
    """

    node: str
    index: int = 0
    dtype: Any = dataclasses.field(default=None, compare=False)
    shape: Any = dataclasses.field(default=None, compare=False)

    @property
    def name(self):
        """TF's tensor name, "node:index"."""
        return f"{self.node}:{self.index}"

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"Ref({self.name})"


def ref_of(tensor):
    """The Ref of a user Tensor."""
    return Ref(tensor.op.name, tensor.value_index, tensor.dtype, tensor.shape)


@dataclasses.dataclass(frozen=True, eq=False)
class Node:
    """One node of the IR (compared by identity; `replace` makes a changed copy).

    Attributes:
        name: unique in its GraphIR.
        type: the op type, e.g. "MatMul" (a registered op).
        op_def: its `registry.OpDef` (kernel, inference, cost, flags).
        attrs: read-only attributes (as `Operation.attrs`).
        inputs: data inputs, Refs.
        control_inputs: names of the nodes that must run first.
        output_dtypes, output_shapes: one per output.
        device: the requested device string ("" when unconstrained).
        colocation: names of the colocation groups the node belongs to (`loc:@<name>`
            without the prefix); empty means its own group.
        origin: the user Operations this node stands for, in graph order.
    """

    name: str
    type: str
    op_def: Any
    attrs: Mapping[str, Any]
    inputs: Tuple[Ref, ...]
    control_inputs: Tuple[str, ...]
    output_dtypes: Tuple[Any, ...]
    output_shapes: Tuple[Any, ...]
    device: str = ""
    colocation: Tuple[str, ...] = ()
    origin: Tuple[Any, ...] = ()
    _outputs: Tuple[Ref, ...] = dataclasses.field(default=(), init=False, repr=False,
                                                  compare=False)

    def __post_init__(self):
        if not isinstance(self.attrs, types.MappingProxyType):
            object.__setattr__(self, "attrs", types.MappingProxyType(dict(self.attrs)))
        name = self.name
        object.__setattr__(self, "_outputs", tuple(
            Ref(name, i, dt, sh)
            for i, (dt, sh) in enumerate(zip(self.output_dtypes, self.output_shapes))))

    @property
    def outputs(self):
        """The node's output Refs."""
        return self._outputs

    @property
    def colocation_groups(self):
        """`["loc:@name", ...]`, as `Operation.colocation_groups`."""
        return [f"loc:@{n}" for n in (self.colocation or (self.name,))]

    @property
    def node_def(self):
        """A NodeDef of the node (name, op, input, device, attr), as in partition graphs."""
        inputs = [r.node if r.index == 0 else r.name for r in self.inputs]
        inputs += ["^" + c for c in self.control_inputs]
        attr = dict(self.attrs)
        if self.colocation:
            attr["_class"] = [f"loc:@{n}".encode() for n in self.colocation]
        return NodeDef(self.name, self.type, inputs, self.device, attr)

    def get_attr(self, name):
        """The value of attribute `name` (ValueError when there is none), as Operation's."""
        try:
            return self.attrs[name]
        except KeyError:
            raise ValueError(f"Node '{self.name}' has no attr named '{name}'.") from None

    def source_line(self):
        """`file:line` of the user code behind the node (its first origin)."""
        return self.origin[0].source_line() if self.origin else "<unknown>"

    @property
    def user_op(self):
        """The Operation to name in errors: the first origin (None for a node without)."""
        return self.origin[0] if self.origin else None

    def replace(self, **changes):
        """A copy with `changes` (field=value) applied."""
        return dataclasses.replace(self, **changes)

    def __repr__(self):
        return f"<Node {self.name} type={self.type}>"


def make_node(op_type, name, inputs, attrs=None, *, control_inputs=(), origin=(),
              device="", colocation=(), outputs=None):
    """A new Node of a registered op type.

    Args:
        op_type: the registered op type.
        name: the node's name (fresh: `GraphIR.unique_name`).
        inputs: Refs.
        attrs: the attributes (as for `apply_op`).
        control_inputs: names of nodes that must run first.
        origin: the Operations the node stands for (never empty for a node users can see).
        device, colocation: as on Node.
        outputs: [(dtype, shape)] per output; None runs the op's inference on the node.

    Returns:
        The Node.

    Raises:
        LookupError: `op_type` is not registered; TypeError/ValueError from inference.
    """
    op_def = registry.get_op_def(op_type)
    node = Node(name, op_type, op_def, dict(attrs or {}), tuple(inputs),
                tuple(control_inputs), (), (), device, tuple(colocation), tuple(origin))
    if outputs is None:
        outputs = op_def.infer(node)
    return node.replace(output_dtypes=tuple(dt for dt, _ in outputs),
                        output_shapes=tuple(as_shape(sh) for _, sh in outputs))


@dataclasses.dataclass(frozen=True, eq=False)
class GraphIR:
    """The nodes one run executes, and what it feeds, fetches and targets.

    Attributes:
        nodes: Nodes in a deterministic topological order (data edges not cut by a feed,
            and control edges).
        feeds: fed Refs (their values come from the client).
        fetches: fetched Refs, in the order of the fetch structure's tensors.
        targets: names of the nodes run for their effects.
    """

    nodes: Tuple[Node, ...]
    feeds: Tuple[Ref, ...] = ()
    fetches: Tuple[Ref, ...] = ()
    targets: Tuple[str, ...] = ()
    _by_name: Mapping[str, Node] = dataclasses.field(
        default=None, init=False, repr=False, compare=False)
    _fed: frozenset = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "feeds", tuple(self.feeds))
        object.__setattr__(self, "fetches", tuple(self.fetches))
        object.__setattr__(self, "targets", tuple(self.targets))
        by_name = {}
        for n in self.nodes:
            if n.name in by_name:
                raise ValueError(f"Duplicate node name '{n.name}' in the IR")
            by_name[n.name] = n
        object.__setattr__(self, "_by_name", types.MappingProxyType(by_name))
        object.__setattr__(self, "_fed", frozenset(self.feeds))

    def node(self, name):
        """The node called `name` (KeyError when absent)."""
        return self._by_name[name]

    def get(self, name, default=None):
        return self._by_name.get(name, default)

    def __contains__(self, name):
        return name in self._by_name

    def __len__(self):
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def is_fed(self, ref):
        """Whether `ref` reads a fed value (the "fed first" rule)."""
        return ref in self._fed

    def ref(self, name, index=0):
        """The Ref of output `index` of node `name`, with its dtype and shape."""
        return self._by_name[name].outputs[index]

    def producer(self, ref):
        """The node whose output `ref` reads, or None when `ref` is fed."""
        return None if ref in self._fed else self._by_name[ref.node]

    def consumers(self):
        """{node name: names of the nodes reading one of its outputs (data edges, not fed)},
        in graph order."""
        return consumer_map(self.nodes, self._fed.__contains__)

    def unique_name(self, base):
        """`base`, or `base_1`, `base_2`, ... : a name no node of this graph has."""
        return fresh_name(base, self._by_name)

    def with_nodes(self, nodes, feeds=None, fetches=None, targets=None):
        """A new GraphIR of `nodes` (any order: they are sorted topologically, earlier
        position breaking ties) with the same feeds/fetches/targets unless given.

        Raises:
            ValueError: a ref or control input names a missing node, or a fetch/target
                lost its node.
            InvalidArgumentError: the nodes form a cycle.
        """
        g = GraphIR(tuple(nodes), self.feeds if feeds is None else feeds,
                    self.fetches if fetches is None else fetches,
                    self.targets if targets is None else targets)
        g.validate()
        return GraphIR(topological_order(g.nodes, g._fed), g.feeds, g.fetches, g.targets)

    def validate(self):
        """Raises ValueError when a ref, control input, fetch or target does not resolve."""
        for n in self.nodes:
            for r in n.inputs:
                if r not in self._fed and r.node not in self._by_name:
                    raise ValueError(f"Input {r.name} of node '{n.name}' names no node")
            for c in n.control_inputs:
                if c not in self._by_name:
                    raise ValueError(f"Control input '{c}' of node '{n.name}' names no node")
        for r in self.fetches:
            if r not in self._fed and (r.node not in self._by_name or
                                       r.index >= len(self._by_name[r.node].output_dtypes)):
                raise ValueError(f"Fetched tensor {r.name} has no node")
        for t in self.targets:
            if t not in self._by_name:
                raise ValueError(f"Target '{t}' has no node")

    def __str__(self):
        lines = []
        for n in self.nodes:
            ins = [r.name + (" (fed)" if r in self._fed else "") for r in n.inputs]
            ins += ["^" + c for c in n.control_inputs]
            dev = f" @{n.device}" if n.device else ""
            lines.append(f"{n.name} = {n.type}({', '.join(ins)}){dev}")
        lines.append("feeds: " + ", ".join(r.name for r in self.feeds))
        lines.append("fetches: " + ", ".join(r.name for r in self.fetches))
        lines.append("targets: " + ", ".join(self.targets))
        return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Optimized:
    """The optimize stage's output: the rewritten graph and what was done to it.

    Attributes:
        graph: the optimized GraphIR.
        applied: one line per optimization that changed the graph, in order, e.g.
            "constant_folding: 3 nodes folded".
    """

    graph: GraphIR
    applied: Tuple[str, ...] = ()


def fresh_name(base, taken):
    """`base`, or `base_1`, `base_2`, ...: the first that is not in `taken` (names in use;
    the one stage that allocates names for a graph: IR nodes, rewrites, transfers)."""
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    return name


def consumer_map(nodes, is_fed):
    """{node name: names of the nodes among `nodes` that read one of its outputs}, each
    reader once, in the order of `nodes`; a fed Ref (`is_fed(ref)`) reads no node, and a
    producer outside `nodes` is left out."""
    out = {n.name: [] for n in nodes}
    for n in nodes:
        seen = set()
        for r in n.inputs:
            if r.node not in seen and r.node in out and not is_fed(r):
                seen.add(r.node)
                out[r.node].append(n.name)
    return out


def node_of(op, fed=frozenset(), done=frozenset()):
    """The Node of a user Operation (origin: the op itself); control inputs on ops in `done`
    (already executed by an earlier call of a partial run) are satisfied and left out."""
    return Node(op.name, op.type, op.op_def, op.attrs, tuple(ref_of(t) for t in op.inputs),
                tuple(c.name for c in op.control_inputs if c not in done),
                tuple(t.dtype for t in op.outputs), tuple(t.shape for t in op.outputs),
                op.device, tuple(op._colocation), (op,))


def from_pruned(pruned):
    """The GraphIR of a `prune.Pruned` (same order, names, feeds, fetches and targets).
    Control inputs on ops already done, or on fed placeholders (the feed satisfies them,
    as in prune), are left out."""
    fed = set(pruned.feeds)
    satisfied = set(pruned.done) | {
        t.op for t in pruned.feeds
        if t.op.op_def.must_be_fed and all(o in fed for o in t.op.outputs)}
    return GraphIR(tuple(node_of(op, done=satisfied) for op in pruned.ops),
                   tuple(ref_of(t) for t in pruned.feeds),
                   tuple(ref_of(t) for t in pruned.fetches),
                   tuple(op.name for op in pruned.targets))


def topological_order(nodes, fed=frozenset()):
    """Kahn's algorithm over `nodes` (data edges not cut by `fed`, and control edges); ties
    go to the earlier position in `nodes`, so the order depends on structure, not names."""
    position = {n.name: i for i, n in enumerate(nodes)}
    indegree = [0] * len(nodes)
    consumers = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        preds = {position[r.node] for r in n.inputs if r not in fed and r.node in position}
        preds.update(position[c] for c in n.control_inputs if c in position)
        indegree[i] = len(preds)
        for p in preds:
            consumers[p].append(i)
    heap = [i for i, d in enumerate(indegree) if d == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        i = heapq.heappop(heap)
        order.append(nodes[i])
        for c in consumers[i]:
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(heap, c)
    if len(order) != len(nodes):
        stuck = [nodes[i].name for i, d in enumerate(indegree) if d > 0]
        raise errors.InvalidArgumentError(
            None, None, f"Graph is invalid, contains a cycle with {len(stuck)} nodes, "
            "including: " + ", ".join(stuck[:5]))
    return tuple(order)

