"""Optimize: the graph compiler's passes, GraphIR -> GraphIR, in Grappler's order.

`optimize(graph, graph_options)` runs, per plan, on the pruned graph
(the user's Graph is never touched), the passes that TF's switches turn on:

    common_subgraph_elimination   CSE by (type, inputs, attributes); never stateful ops
    constfold                     stateless subgraphs of constants -> Const (10 MiB cap)
    arithmetic                    algebraic rewrites (neutral elements, constant chains,
                                  AddN, involutions, redundant casts/reshapes, x*x, MatMul
                                  transposes)
    remap                         MatMul+BiasAdd(+Relu) -> _FusedMatMul; elementwise groups
                                  -> _FusedElementwise; a convolution and its filter
                                  gradient share one im2col patch matrix (_ConvWithPatches)
    dependency                    Identity/NoOp removal, redundant control edges

and, on the placed graph (it decides by device, so the pipeline runs it right after `place`
through `mixed_precision(graph, placement, graph_options)`), when
`RewriterConfig.auto_mixed_precision` is ON or `enable_mixed_precision_graph_rewrite` asked:

    auto_mixed_precision          float32 ops on a GPU -> float16 (TF's allow/infer/deny/clear
                                  lists), with Casts at the boundaries (auto_mixed_precision.py)

in this order (TF's meta optimizer's, for the passes flowexec has), twice by default
(`meta_optimizer_iterations`), the second round only if the first changed something.
Graphs with fewer than `min_graph_nodes` nodes (TF's default: 4; counted after pruning, so
fed placeholders do not count) are left alone by the RewriterConfig passes.

Invariants every pass keeps (see `flowexec/runtime/ir.py`): fed and fetched tensors still
resolve to the same node and output; a fed tensor is never read through its producer, and
nothing downstream of a feed is folded; targets keep their nodes; new nodes carry the user
ops they stand for (`origin`), so errors and traces name them.

Numerics: every rewrite computes what the graph as written computes, bit for bit, except
re-association (constant chains, add trees other than left-to-right chains), which rounds
like TF's rewrites do (a few ulps).
"""

from flowexec.runtime.ir import Optimized
from flowexec.runtime.optimize import auto_mixed_precision
from flowexec.runtime.optimize.arithmetic import simplify
from flowexec.runtime.optimize.common_subgraph import eliminate_common_subexpressions
from flowexec.runtime.optimize.config import (
    DEFAULT_MAX_CONSTANT_BYTES,
    DEFAULT_MIN_GRAPH_NODES,
    AutoParallelOptions,
    GraphOptions,
    OptimizerOptions,
    RewriterConfig,
    ScopedAllocatorOptions,
)
from flowexec.runtime.optimize.constant_folding import fold_constants
from flowexec.runtime.optimize.conv_patches import share_conv_patches
from flowexec.runtime.optimize.dependency import optimize_dependencies
from flowexec.runtime.optimize.fusion import fuse_elementwise
from flowexec.runtime.optimize.remapper import fuse_matmul_bias

__all__ = [
    "AutoParallelOptions",
    "GraphOptions",
    "OptimizerOptions",
    "RewriterConfig",
    "ScopedAllocatorOptions",
    "enabled_passes",
    "mixed_precision",
    "optimize",
]

ORDER = ("common_subgraph_elimination", "constfold", "arithmetic", "remap", "dependency")


def _remap(graph, max_bytes):
    graph, matmul = fuse_matmul_bias(graph)
    graph, elementwise = fuse_elementwise(graph)
    graph, patches = share_conv_patches(graph)
    return graph, "; ".join(d for d in (matmul, elementwise, patches) if d) or None


_PASSES = {
    "common_subgraph_elimination": lambda g, _: eliminate_common_subexpressions(g),
    "constfold": fold_constants,
    "arithmetic": lambda g, _: simplify(g),
    "remap": _remap,
    "dependency": lambda g, _: optimize_dependencies(g),
}


def enabled_passes(rewrite_options=None, optimizer_options=None):
    """`(grappler, classic)`: the pass names that these switches run, in order.

    `grappler` are RewriterConfig's (run `meta_optimizer_iterations` times, skipped for graphs
    under `min_graph_nodes`); `classic` are the classic optimizer's CSE and constant folding
    (OptimizerOptions), run once after them unless Grappler already ran them."""
    rw = rewrite_options or RewriterConfig()
    oo = optimizer_options or OptimizerOptions()
    if rw.optimizers:
        grappler = [n for n in rw.optimizers if n in _PASSES]
    elif rw.disable_meta_optimizer:
        grappler = []
    else:
        on = {
            "common_subgraph_elimination": rw.common_subgraph_elimination != rw.OFF
            and rw.arithmetic_optimization != rw.OFF,
            "constfold": rw.constant_folding != rw.OFF,
            "arithmetic": rw.arithmetic_optimization != rw.OFF,
            "remap": rw.remapping != rw.OFF,
            "dependency": rw.dependency_optimization != rw.OFF,
        }
        grappler = [n for n in ORDER if on[n]]
    level1 = oo.opt_level >= OptimizerOptions.L1
    classic = [n for n, on in (("common_subgraph_elimination",
                                level1 or oo.do_common_subexpression_elimination),
                               ("constfold", level1 or oo.do_constant_folding))
               if on]
    return grappler, classic


def optimize(graph, graph_options=None):
    """Runs the enabled passes on a GraphIR.

    Args:
        graph: the pruned `GraphIR` of one run.
        graph_options: the session's `GraphOptions` (`ConfigProto.graph_options`): its
            `rewrite_options` (RewriterConfig) and `optimizer_options` (OptimizerOptions);
            None: TF's defaults, every pass on.

    Returns:
        `ir.Optimized(graph, applied)`: the rewritten graph and one line per pass that
        changed it, "<pass>: <what it did>", in the order they ran.

    Example:
        >>> optimize(ir.from_pruned(pruned)).applied
        ('constfold: 2 nodes folded (mul, add)', 'remap: 1 elementwise groups fused ...')
    """
    options = graph_options or GraphOptions()
    rw = options.rewrite_options or RewriterConfig()
    oo = options.optimizer_options or OptimizerOptions()
    grappler, classic = enabled_passes(rw, oo)
    min_nodes = rw.min_graph_nodes or DEFAULT_MIN_GRAPH_NODES
    if min_nodes > 0 and len(graph.nodes) < min_nodes:
        grappler = []
    classic = [n for n in classic if n not in grappler]
    max_bytes = oo.max_folded_constant_in_bytes or DEFAULT_MAX_CONSTANT_BYTES
    rounds = 1 if rw.meta_optimizer_iterations == RewriterConfig.ONE else 2
    applied = []

    def run(names):
        nonlocal graph
        before = len(applied)
        for name in names:
            graph, what = _PASSES[name](graph, max_bytes)
            if what:
                applied.append(f"{name}: {what}")
        return len(applied) > before

    for _ in range(rounds):
        if not run(grappler):
            break
    run(classic)
    return Optimized(graph, tuple(applied))


def mixed_precision(graph, placement, graph_options=None):
    """The auto mixed precision rewrite of a placed graph, when the switches ask for it.

    Args:
        graph: the optimized GraphIR.
        placement: its Placement ({node name: full device name}).
        graph_options: the session's GraphOptions (None: TF's defaults, where the rewrite
            runs only after `tf.train.experimental.enable_mixed_precision_graph_rewrite`).

    Returns:
        `(graph, added, line)`: the rewritten graph, {added node: device} and the
        "auto_mixed_precision: ..." line for `Optimized.applied`, or `(graph, {}, None)` when
        it is off, the graph is under `min_graph_nodes`, or nothing changed.

    Example:
        >>> g, added, line = mixed_precision(optimized.graph, placement, options)
        >>> line
        'auto_mixed_precision: 1 nodes converted to float16 (MatMul x1), 3 Casts added'
    """
    options = graph_options or GraphOptions()
    rw = options.rewrite_options or RewriterConfig()
    if not auto_mixed_precision.rewrite_enabled(rw):
        return graph, {}, None
    min_nodes = rw.min_graph_nodes or DEFAULT_MIN_GRAPH_NODES
    if 0 < min_nodes and len(graph.nodes) < min_nodes:
        return graph, {}, None
    graph, added, what = auto_mixed_precision.auto_mixed_precision(graph, placement)
    return graph, added, (f"auto_mixed_precision: {what}" if what else None)
