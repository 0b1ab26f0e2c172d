"""Building the IR of a user graph and running an IR with the ops' own kernels on numpy.

`evaluate` is a reference interpreter for the optimizer's tests: nodes in order, each op's
CPU kernel, the "fed first" rule for refs. It runs graphs without state (no kernel context),
which is what the pass tests build, so they do not depend on the rest of the pipeline.
"""

import numpy as np

from flowexec.runtime import ir, prune


def graph_ir(graph, fetches, feeds=(), targets=()):
    """The GraphIR a run of `fetches` (Tensors) with `feeds` (Tensors) would optimize."""
    return ir.from_pruned(prune.prune(graph, list(fetches), list(feeds), list(targets)))


def evaluate(graph, feed_values=None):
    """The fetched values of a GraphIR: `feed_values` maps fed Refs' names to arrays."""
    feed_values = {k: np.asarray(v) for k, v in (feed_values or {}).items()}
    values = {}
    for r in graph.feeds:
        values[(r.node, r.index)] = feed_values[r.name]
    for node in graph.nodes:
        args = [values[(r.node, r.index)] for r in node.inputs]
        kernel = node.op_def.kernel
        with np.errstate(all="ignore"):
            out = kernel(np, *args, **node.op_def.kernel_kwargs(node))
        outs = node.outputs
        if len(outs) == 1:
            out = (out,)
        for r, v in zip(outs, out if outs else ()):
            if not graph.is_fed(r):
                values[(r.node, r.index)] = v
    return [np.asarray(values[(r.node, r.index)]) for r in graph.fetches]


def types(graph):
    """{node name: op type}."""
    return {n.name: n.type for n in graph.nodes}
