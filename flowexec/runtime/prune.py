"""Prune: the ops a run needs, in a deterministic topological order.

Walks backwards from the fetched tensors and target ops through data and control edges; a fed
tensor cuts its edge (its producer runs only if something else needs it), and so does a
control edge from a fed placeholder. The order is Kahn's
algorithm with creation order breaking ties, so it does not depend on names or hashing.

A partial run (partial_run.py) plans each of its calls with `done`: the ops an earlier call
of the same partial run executed. They are never run again, their control edges count as
satisfied, and the outputs of theirs that the call reads are among its feeds.
"""

import dataclasses
import heapq
from typing import FrozenSet, Tuple

from flowexec.framework import errors


@dataclasses.dataclass(frozen=True)
class Pruned:
    """What one (fetches, feeds, targets) combination must run.

    Attributes:
        ops: the ops to run, topologically sorted.
        fetches: fetched Tensors.
        feeds: fed Tensors.
        targets: Operations run for their effects.
        done: Operations already executed (by an earlier call of a partial run): not run,
            and a control edge from one of them is satisfied.
    """

    ops: Tuple
    fetches: Tuple
    feeds: Tuple
    targets: Tuple
    done: FrozenSet = frozenset()


def _node_info(op):
    return f"\n\t [[node {op.name} (defined at {op.source_line()}) ]]"


def upstream(roots, fed=frozenset(), done=frozenset()):
    """The ops that running `roots` (Operations) runs: the roots and everything they reach
    backwards through data inputs (except fed tensors) and control inputs, short of the
    ops in `done`."""
    needed = set(done)
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
            if c not in needed and not _fed_placeholder(c, fed):
                stack.append(c)
    return needed.difference(done) if done else needed


def _fed_placeholder(op, fed):
    """Whether `op` must be fed and is: a control edge from it is satisfied by the feed,
    as TF's feed rewrite moves a fed Placeholder's control edges to the fed value
    (`with tf.control_dependencies([x])` on a fed `x`, as tf.metrics does)."""
    return op.op_def.must_be_fed and all(t in fed for t in op.outputs)


def prune(graph, fetches, feeds, targets, done=frozenset()):
    """Returns the `Pruned` subgraph; raises InvalidArgumentError for an unfed placeholder.

    `done`: ops already executed (see the module docstring); an input of a needed op that
    one of them produced must be in `feeds`."""
    fed = set(feeds)
    done = frozenset(done)
    needed = upstream([t.op for t in fetches if t not in fed] + list(targets), fed, done)
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
                  tuple(targets), done)


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
