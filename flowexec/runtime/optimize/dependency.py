"""Dependency optimization: Identity and NoOp nodes removed, redundant control edges dropped.

* An Identity (an op flagged `forwards_ref`) whose input is an ordinary tensor disappears:
  its readers read the input and wait for the Identity's control inputs; nodes that waited
  for the Identity wait for its input's producer. Kept: an Identity of a variable (it is the
  read, a snapshot at that point of the step), of another device than its input's (a copy
  the user asked for), and fetched, fed or targeted ones.
* A NoOp (no outputs, no state) that is not a target disappears: nodes that waited for it
  wait for its control inputs instead, when that adds no more edges than it removes (TF's
  rule, so a NoOp that joins n producers to m consumers is not turned into n * m edges).
* A control edge `^c` of a node is dropped when the node already depends on `c` through
  another input, data or control (a transitive reduction, as TF's dependency optimizer).
"""

from flowexec.runtime.optimize.rewrite import Rewrite


def optimize_dependencies(graph):
    """Returns `(graph, description or None)`."""
    rw = Rewrite(graph)
    counts = {"identity": 0, "noop": 0}
    control_readers = {}
    for n in graph.nodes:
        for c in n.control_inputs:
            control_readers.setdefault(c, []).append(n.name)
    for name in list(rw.order):
        node = rw.current(name)
        od = node.op_def
        if rw.protected(name) or od.stateful:
            continue
        if od.forwards_ref and len(node.inputs) == 1 and len(node.outputs) == 1:
            src = node.inputs[0]
            producer = rw.producer(src)
            if producer is not None and (producer.op_def.ref_output or
                                         (node.device and node.device != producer.device)):
                continue
            rw.forward(node.outputs[0], src, node.control_inputs)
            waits = (src.node,) if producer is not None else ()
            rw.forward_control(name, waits + node.control_inputs)
            counts["identity"] += 1
        elif not node.output_dtypes and not node.inputs:
            fan_in = len(node.control_inputs)
            fan_out = len(control_readers.get(name, ()))
            if fan_in * fan_out > fan_in + fan_out:
                continue
            rw.forward_control(name, node.control_inputs)
            counts["noop"] += 1
    graph = rw.finish() if rw.changed else graph
    graph, dropped = _drop_redundant_controls(graph)
    parts = [f"{v} {k} nodes removed" for k, v in counts.items() if v]
    if dropped:
        parts.append(f"{dropped} redundant control edges removed")
    return graph, ", ".join(parts) or None


def _drop_redundant_controls(graph):
    """Transitive reduction of control edges, with ancestor sets as int bitmasks."""
    if not any(n.control_inputs for n in graph.nodes):
        return graph, 0
    index = {n.name: i for i, n in enumerate(graph.nodes)}
    ancestors = [0] * len(graph.nodes)
    dropped = 0
    nodes = list(graph.nodes)
    for i, n in enumerate(nodes):
        data = [r.node for r in n.inputs if not graph.is_fed(r) and r.node in index]
        preds = list(dict.fromkeys(data + list(n.control_inputs)))
        reach = {p: ancestors[index[p]] | (1 << index[p]) for p in preds}
        keep = []
        for c in n.control_inputs:
            bit = 1 << index[c]
            implied = c in data or any(reach[p] & bit for p in preds if p != c)
            if implied:
                dropped += 1
            else:
                keep.append(c)
        if len(keep) != len(n.control_inputs):
            nodes[i] = n.replace(control_inputs=tuple(keep))
        mask = 0
        for p in preds:
            mask |= reach[p]
        ancestors[i] = mask
    if not dropped:
        return graph, 0
    return graph.with_nodes(nodes), dropped
