"""Prune: the ops a run needs, in a deterministic topological order.

Walks backwards from the fetched tensors and target ops through data and control edges; a fed
tensor cuts its edge (its producer runs only if something else needs it). The order is Kahn's
algorithm with creation order breaking ties, so it does not depend on names or hashing.
"""

import dataclasses
import heapq
from typing import Tuple

from flowexec.framework import errors


@dataclasses.dataclass(frozen=True)
class Pruned:
    """What one (fetches, feeds, targets) combination must run.

    Attributes:
        ops: the ops to run, topologically sorted.
        fetches: fetched Tensors.
        feeds: fed Tensors.
        targets: Operations run for their effects.
    """

    ops: Tuple
    fetches: Tuple
    feeds: Tuple
    targets: Tuple


def _node_info(op):
    return f"\n\t [[node {op.name} (defined at {op.source_line()}) ]]"


def upstream(roots, fed=frozenset()):
    """The ops that running `roots` (Operations) runs: the roots and everything they reach
    backwards through data inputs (except fed tensors) and control inputs."""
    needed = set()
    stack = list(roots)
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        needed.add(op)
        for t in op.inputs:
            if t not in fed and t.op not in needed:
                stack.append(t.op)
        for c in op._control_inputs:
            if c not in needed:
                stack.append(c)
    return needed


def prune(graph, fetches, feeds, targets):
    """Returns the `Pruned` subgraph; raises InvalidArgumentError for an unfed placeholder."""
    fed = set(feeds)
    needed = upstream([t.op for t in fetches if t not in fed] + list(targets), fed)
    for op in needed:
        if op.op_def.must_be_fed:
            t = op.outputs[0]
            shape = op.attrs["shape"]
            shape_s = "" if shape.ndims is None else f" and shape {shape.proto_str()}"
            raise errors.InvalidArgumentError(
                op.node_def, op,
                f"You must feed a value for placeholder tensor '{op.name}' with dtype "
                f"{t.dtype.proto_name}{shape_s}{_node_info(op)}")
    return Pruned(tuple(topological_order(needed, fed)), tuple(fetches), tuple(feeds),
                  tuple(targets))


def topological_order(ops, fed=frozenset()):
    """Kahn's algorithm over `ops` (data edges not cut by `fed`, and control edges)."""
    indegree = {}
    consumers = {}
    for op in ops:
        preds = {t.op for t in op.inputs if t not in fed and t.op in ops}
        preds.update(c for c in op._control_inputs if c in ops)
        indegree[op] = len(preds)
        for p in preds:
            consumers.setdefault(p, []).append(op)
    heap = [(op._id, op) for op, d in indegree.items() if d == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, op = heapq.heappop(heap)
        order.append(op)
        for c in consumers.get(op, ()):
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(heap, (c._id, c))
    if len(order) != len(ops):
        stuck = sorted((op for op, d in indegree.items() if d > 0), key=lambda o: o._id)
        raise errors.InvalidArgumentError(
            None, None, f"Graph is invalid, contains a cycle with {len(stuck)} nodes, including: "
            + ", ".join(o.name for o in stuck[:5]))
    return order
