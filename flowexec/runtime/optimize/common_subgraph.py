"""Common subexpression elimination: nodes that compute the same thing become one.

Two nodes are the same computation when they have the same op type, the same inputs (after
earlier merges, so whole duplicated subgraphs collapse in one topological walk), the same
control inputs, attributes, requested device and colocation. Stateful ops (variables,
random numbers, assignments, Print, PyFunc) and ops with a kernel context are never merged:
two random draws are two draws. The first node of a kind (in graph order) is kept; a later
duplicate's readers read it, unless the duplicate is fetched, fed or a target, which keeps
its own node.
"""

import math

import numpy as np

from flowexec.runtime.optimize.rewrite import Rewrite


def _attr_key(value):
    """A hashable, exact stand-in for an attribute value."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes()
                if value.dtype.kind != "O" else tuple(value.ravel().tolist()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_attr_key(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((k, _attr_key(v)) for k, v in value.items()))
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    try:
        hash(value)
    except TypeError:
        return ("repr", type(value).__name__, repr(value))
    return (type(value).__name__, value)


def _key(node):
    return (node.type, tuple((r.node, r.index) for r in node.inputs),
            tuple(sorted(node.control_inputs)),
            tuple(sorted((k, _attr_key(v)) for k, v in node.attrs.items())),
            node.device, tuple(node.colocation))


def eliminate_common_subexpressions(graph):
    """Returns `(graph, description or None)`."""
    rw = Rewrite(graph)
    seen = {}
    merged = 0
    for name in list(rw.order):
        node = rw.current(name)
        od = node.op_def
        if od.stateful or od.needs_ctx or od.must_be_fed or od.ref_output or \
                not node.output_dtypes:
            continue
        key = _key(node)
        first = seen.get(key)
        if first is None:
            seen[key] = name
            continue
        if rw.protected(name):
            continue
        for mine, theirs in zip(node.outputs, rw.nodes[first].outputs):
            rw.forward(mine, theirs)
        rw.forward_control(name, (first,))
        merged += 1
    if not merged:
        return graph, None
    return rw.finish(), f"{merged} duplicate nodes merged"
