"""Rewrite: the working copy of a GraphIR while one pass changes it.

A pass walks the nodes in topological order, reading each through `current(name)` (its
inputs already redirected by earlier rewrites), and then

* `replace(node)` puts a changed node (same name) in place;
* `add(node)` inserts a new node (`fresh_name` gives it a name);
* `forward(old_ref, new_ref, controls)` makes every consumer of `old_ref` read `new_ref`
  instead, and wait for `controls` (the control inputs of the node that disappears, so no
  ordering is lost);
* `finish()` returns the new GraphIR: references redirected, nodes that no fetch or target
  needs any more dropped, topologically sorted and validated by `GraphIR.with_nodes`.

It enforces the IR's contract for the passes: a fed ref is never redirected (its consumers
read the fed value), `protected(name)` tells which nodes must keep their name and outputs
(fetched, fed or targeted ones), and dead-node removal never drops those.
"""

from flowexec.runtime.ir import Ref, consumer_map, fresh_name


class Rewrite:
    """A mutable working copy of one GraphIR (single-threaded, one pass)."""

    def __init__(self, graph):
        self.graph = graph
        self.nodes = {n.name: n for n in graph.nodes}
        self.order = [n.name for n in graph.nodes]
        self._fed_nodes = {r.node for r in graph.feeds}
        self._fetched = {r.node for r in graph.fetches if not graph.is_fed(r)}
        self._targets = set(graph.targets)
        self._forward = {}
        self._control_forward = {}
        self._names = set(self.nodes)
        self.changed = 0

    # reading ----------------------------------------------------------------------------
    def is_fed(self, ref):
        return self.graph.is_fed(ref)

    def protected(self, name):
        """Whether the node must keep its name and outputs: one of them is fetched or fed,
        or the node is a target."""
        return name in self._fetched or name in self._fed_nodes or name in self._targets

    def fetched(self, name):
        return name in self._fetched

    def resolve(self, ref):
        """Where `ref` points after the forwards so far, and the control inputs that a
        reader must add: `(ref, controls)`."""
        controls = ()
        while ref in self._forward and not self.graph.is_fed(ref):
            ref, extra = self._forward[ref]
            controls += extra
        return ref, controls

    def current(self, name):
        """The node called `name` with its inputs redirected by the forwards so far."""
        node = self.nodes[name]
        if not self._forward and not self._control_forward:
            return node
        inputs = []
        extra = []
        for r in node.inputs:
            new, controls = self.resolve(r)
            inputs.append(new)
            extra.extend(controls)
        controls = tuple(self._controls(node.control_inputs + tuple(extra), name))
        if controls == node.control_inputs and all(
                a is b for a, b in zip(inputs, node.inputs)):
            return node
        node = node.replace(inputs=tuple(inputs), control_inputs=controls)
        self.nodes[name] = node
        return node

    def _controls(self, names, owner):
        out = []
        stack = list(reversed(names))
        seen = set()
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            if c in self._control_forward:
                stack.extend(reversed(self._control_forward[c]))
            elif c != owner and c not in out:
                out.append(c)
        return out

    def producer(self, ref):
        """The node that produces `ref` now, or None for a fed ref."""
        if self.graph.is_fed(ref):
            return None
        ref, _ = self.resolve(ref)
        return self.nodes.get(ref.node)

    def consumers(self):
        """{name: [names of the nodes reading one of its outputs]} (current inputs)."""
        return consumer_map([self.current(name) for name in self.order if name in self.nodes],
                            self.graph.is_fed)

    def fresh_name(self, base):
        """A name no node of the graph being built has (nor had)."""
        name = fresh_name(base, self._names)
        self._names.add(name)
        return name

    # writing ----------------------------------------------------------------------------
    def replace(self, node):
        """Puts `node` in place of the node of the same name."""
        self.nodes[node.name] = node
        self.changed += 1

    def add(self, node):
        """Inserts a new node (placed before the first node that reads it, by `finish`)."""
        self.nodes[node.name] = node
        self._names.add(node.name)
        self.order.append(node.name)
        self.changed += 1

    def forward(self, old, new, controls=()):
        """Consumers of `old` (a Ref) read `new` instead and also wait for `controls`."""
        if self.graph.is_fed(old):
            raise ValueError(f"{old.name} is fed: its consumers read the fed value")
        if not isinstance(new, Ref) or (old.node, old.index) == (new.node, new.index):
            return
        self._forward[old] = (new, tuple(controls))
        self.changed += 1

    def forward_control(self, name, controls):
        """Nodes that wait for node `name` wait for `controls` (names) instead."""
        self._control_forward[name] = tuple(controls)
        self.changed += 1

    def finish(self):
        """The rewritten GraphIR (dead nodes dropped, sorted, validated)."""
        for name in list(self.nodes):
            self.current(name)
        live = self._live()
        nodes = [self.nodes[n] for n in self.order if n in self.nodes and n in live]
        return self.graph.with_nodes(nodes)

    def _live(self):
        fed = self.graph.is_fed
        stack = [r.node for r in self.graph.fetches if not fed(r)]
        stack += list(self._targets)
        live = set()
        while stack:
            name = stack.pop()
            if name in live or name not in self.nodes:
                continue
            live.add(name)
            node = self.nodes[name]
            stack.extend(r.node for r in node.inputs if not fed(r))
            stack.extend(node.control_inputs)
        return live
