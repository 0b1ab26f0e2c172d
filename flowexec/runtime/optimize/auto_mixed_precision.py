"""Auto mixed precision: float32 ops placed on a GPU compute in float16, as TF's Grappler pass.

TF 1.15's `auto_mixed_precision` rewrite (RewriterConfig.auto_mixed_precision, OFF unless ON
or `tf.train.experimental.enable_mixed_precision_graph_rewrite` turned it on) changes the
performance-critical ops of a graph to float16 and inserts the Casts at the boundaries.
Grappler runs it on the placed graph and it touches only ops on a GPU; flowexec optimizes
before placement, so this pass runs in the pipeline right after `place` (see
`flowexec/runtime/pipeline.py`) and decides by each node's assigned device. On a session
without GPUs it changes nothing.

Which nodes it paints float16 (TF's lists and rules; only "processable" nodes take part: on a
GPU, not fetched, fed or a target, not stateful, every floating input and output float32,
and its op accepts float16):

1. ALLOW ops (MatMul, BatchMatMul(V2), Conv2D and its two backprops, the RNN block cells)
   are painted.
2. DENY ops (Exp, Log, Softmax and the cross entropies, Sum, Mean, Pow, L2Loss, ...) stay
   float32, and so does every INFER or CLEAR node on a forward path from a DENY node to an
   INFER or DENY node through INFER/CLEAR nodes (the end included): a dangerous op's effect
   reaches them.
3. INFER and CLEAR nodes (not denied) that lie between painted nodes (downstream of one
   and upstream of one, through INFER/CLEAR nodes) are painted, to avoid Cast pairs.
4. CLEAR nodes (not denied) connected to a painted node through CLEAR nodes are painted.

Edges are float32 data edges between processable nodes. A painted node's float32 inputs
read float16: its painted producers' outputs directly, others through one new
`Cast(DstT=float16)` per tensor, placed on the reader's device; a float32 reader of a
painted node's output reads it through one `Cast(DstT=float32)` per tensor, placed on the
producer's device. Variables, their updates and every fetched tensor stay float32.

Numerics: painted ops round to float16 (about 3 decimal digits); that is the point of it.
"""

import threading

from devices.spec import DeviceSpec
from flowexec.framework import dtypes
from flowexec.runtime.ir import Node, Ref, make_node

__all__ = [
    "ALLOW",
    "CLEAR",
    "DENY",
    "INFER",
    "auto_mixed_precision",
    "graph_rewrite_enabled",
    "rewrite_enabled",
    "set_graph_rewrite_enabled",
]

# TF 1.15's lists (auto_mixed_precision_lists.h: white, gray, black, clear), CUDA >= 9.1.
ALLOW = frozenset({
    "BatchMatMul", "BatchMatMulV2", "BlockLSTM", "BlockLSTMGrad", "Conv2D",
    "Conv2DBackpropFilter", "Conv2DBackpropInput", "CudnnRNN", "CudnnRNNBackprop",
    "CudnnRNNBackpropV2", "CudnnRNNBackpropV3", "CudnnRNNV2", "CudnnRNNV3", "GRUBlockCell",
    "GRUBlockCellGrad", "LSTMBlockCell", "LSTMBlockCellGrad", "MatMul",
    # flowexec's remapper runs before this pass (TF runs it after): its MatMul+BiasAdd(+Relu)
    # fusion computes a MatMul first, so it converts like one.
    "_FusedMatMul",
})
INFER = frozenset({
    "Add", "AddN", "AddV2", "AvgPool", "AvgPool3D", "AvgPool3DGrad", "AvgPoolGrad", "BiasAdd",
    "BiasAddGrad", "BiasAddV1", "Elu", "EluGrad", "Erf", "Erfc", "FloorDiv",
    "FusedBatchNormV2", "FusedBatchNormGradV2", "FusedBatchNormV3", "FusedBatchNormGradV3",
    "Inv", "LeakyRelu", "LeakyReluGrad", "Mul", "Prod", "RealDiv", "Reciprocal", "Sigmoid",
    "SigmoidGrad", "Softplus", "SoftplusGrad", "Sqrt", "Sub", "Tanh", "TanhGrad",
})
DENY = frozenset({
    "Exp", "Expm1", "L2Loss", "Log", "Log1p", "LogSoftmax", "Mean", "Pow", "SaveV2", "Softmax",
    "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits", "Sum",
})
CLEAR = frozenset({
    "Abs", "ArgMax", "ArgMin", "BatchToSpace", "BatchToSpaceND", "BroadcastTo", "Ceil",
    "CheckNumerics", "ClipByValue", "Concat", "ConcatV2", "DepthToSpace", "DynamicPartition",
    "DynamicStitch", "Enter", "EnsureShape", "Equal", "Exit", "ExpandDims", "Fill", "Floor",
    "Gather", "GatherNd", "GatherV2", "Greater", "GreaterEqual", "Identity", "IdentityN",
    "IsFinite", "IsInf", "IsNan", "Less", "LessEqual", "Max", "MaxPool", "MaxPool3D",
    "MaxPool3DGrad", "MaxPool3DGradGrad", "MaxPoolGrad", "MaxPoolGradGrad",
    "MaxPoolGradGradV2", "MaxPoolGradV2", "MaxPoolV2", "Maximum", "Merge", "Min", "Minimum",
    "MirrorPad", "MirrorPadGrad", "Neg", "NextIteration", "NotEqual", "OneHot", "OnesLike",
    "Pack", "Pad", "PadV2", "PreventGradient", "Rank", "Relu", "Relu6", "Relu6Grad",
    "ReluGrad", "Reshape", "ResizeNearestNeighbor", "ResizeNearestNeighborGrad", "Reverse",
    "ReverseSequence", "ReverseV2", "Round", "Select", "Shape", "ShapeN", "Sign", "Size",
    "Slice", "Snapshot", "SpaceToBatch", "SpaceToBatchND", "SpaceToDepth", "Split", "SplitV",
    "Squeeze", "StackPopV2", "StackPushV2", "StopGradient", "StridedSlice",
    "StridedSliceGrad", "Switch", "TensorArrayConcatV3", "TensorArrayGatherV3",
    "TensorArrayReadV3", "TensorArrayScatterV3", "TensorArraySplitV3", "TensorArrayWriteV3",
    "Tile", "TopK", "TopKV2", "Transpose", "Where", "ZerosLike",
})

_lock = threading.Lock()
_enabled = [False]


def set_graph_rewrite_enabled(enabled):
    """Turns the process-wide switch of `enable_mixed_precision_graph_rewrite` on or off.

    Args:
        enabled: bool. While on, every plan built runs the rewrite unless its session's
            `RewriterConfig.auto_mixed_precision` is OFF.

    Example:
        >>> set_graph_rewrite_enabled(True)
        >>> graph_rewrite_enabled()
        True
    """
    with _lock:
        _enabled[0] = bool(enabled)


def graph_rewrite_enabled():
    """Whether `enable_mixed_precision_graph_rewrite` turned the rewrite on for the process.

    Returns:
        bool.
    """
    return _enabled[0]


def rewrite_enabled(rewrite_options):
    """Whether a plan built with these switches runs the auto mixed precision rewrite.

    Args:
        rewrite_options: the session's `RewriterConfig` (None: TF's defaults).

    Returns:
        True when `auto_mixed_precision` is ON or AGGRESSIVE, or it is DEFAULT and
        `enable_mixed_precision_graph_rewrite` is in effect; False when it is OFF, when
        `disable_meta_optimizer` is set, or when `optimizers` names passes without it.

    Example:
        >>> rewrite_enabled(RewriterConfig(auto_mixed_precision=RewriterConfig.ON))
        True
    """
    from flowexec.runtime.optimize.config import RewriterConfig

    rw = rewrite_options or RewriterConfig()
    if rw.optimizers:
        return "auto_mixed_precision" in rw.optimizers
    if rw.disable_meta_optimizer or rw.auto_mixed_precision == rw.OFF:
        return False
    if rw.auto_mixed_precision in (rw.ON, rw.AGGRESSIVE):
        return True
    return graph_rewrite_enabled()


def _on_gpu(device):
    try:
        return DeviceSpec.from_string(device).device_type == "GPU"
    except (ValueError, TypeError):
        return False


def _half_attrs(attrs):
    return {k: (dtypes.float16 if v is dtypes.float32 else v) for k, v in attrs.items()}


def _accepts_half(node):
    """Whether the op infers with its float32 inputs and type attributes made float16."""
    inputs = [Ref(r.node, r.index, dtypes.float16, r.shape) if r.dtype is dtypes.float32
              else r for r in node.inputs]
    try:
        outputs = node.op_def.infer(Node(
            node.name, node.type, node.op_def, _half_attrs(node.attrs), tuple(inputs),
            node.control_inputs, (), (), node.device, node.colocation, node.origin))
    except Exception:  # any refusal of the op's inference: the node stays float32
        return False
    return all((dt is dtypes.float16) == (old is dtypes.float32)
               for (dt, _), old in zip(outputs, node.output_dtypes))


def _processable(node, graph, placement, protected):
    if node.type not in ALLOW and node.type not in INFER and node.type not in DENY \
            and node.type not in CLEAR:
        return False
    if node.name in protected or node.op_def.stateful or node.op_def.needs_ctx:
        return False
    if not _on_gpu(placement.get(node.name, node.device)):
        return False
    floats = [r.dtype for r in node.inputs if r.dtype.is_floating]
    floats += [dt for dt in node.output_dtypes if dt.is_floating]
    if not any(dt is dtypes.float32 for dt in node.output_dtypes):
        return False
    if any(dt is not dtypes.float32 for dt in floats):
        return False
    return node.type in DENY or _accepts_half(node)


def _reach(starts, nexts, through):
    """Nodes reachable from `starts` by `nexts` steps that stay inside `through`."""
    seen = set()
    stack = [n for s in starts for n in nexts[s] if n in through]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(m for m in nexts[n] if m in through and m not in seen)
    return seen


def paint(graph, placement):
    """The names of the nodes that the rewrite makes float16 (rules 1-4 of the module doc).

    Args:
        graph: the optimized GraphIR.
        placement: {node name: full device name}.

    Returns:
        A frozenset of node names.
    """
    protected = {r.node for r in graph.fetches} | {r.node for r in graph.feeds}
    protected |= set(graph.targets)
    cat = {}
    for node in graph.nodes:
        if _processable(node, graph, placement, protected):
            cat[node.name] = ("allow" if node.type in ALLOW else "infer" if node.type in INFER
                              else "deny" if node.type in DENY else "clear")
    succ = {n: [] for n in cat}
    pred = {n: [] for n in cat}
    for node in graph.nodes:
        if node.name not in cat:
            continue
        for r in node.inputs:
            if r.dtype is dtypes.float32 and not graph.is_fed(r) and r.node in cat \
                    and node.name not in succ[r.node]:
                succ[r.node].append(node.name)
                pred[node.name].append(r.node)
    allow = {n for n, c in cat.items() if c == "allow"}
    deny_ops = {n for n, c in cat.items() if c == "deny"}
    soft = {n for n, c in cat.items() if c in ("infer", "clear")}
    # Rule 2: from each deny node, forward through infer/clear; a node on such a path that
    # leads (itself included) to an infer or deny node is denied.
    reached = _reach(deny_ops, succ, soft)
    leads = {}
    for node in reversed(graph.nodes):
        n = node.name
        if n in reached:
            leads[n] = cat[n] == "infer" or any(
                m in deny_ops or leads.get(m, False) for m in succ[n])
    deny = deny_ops | {n for n, v in leads.items() if v}
    free = soft - deny
    # Rule 3: infer/clear between allow nodes.
    between = _reach(allow, succ, free) & _reach(allow, pred, free)
    painted = allow | between
    # Rule 4: clear nodes connected to painted ones through clear nodes.
    clear = {n for n in free if cat[n] == "clear"} - painted
    neighbours = {n: succ[n] + pred[n] for n in cat}
    painted |= _reach(painted, neighbours, clear)
    return frozenset(painted)


def auto_mixed_precision(graph, placement):
    """Runs the rewrite on a placed graph.

    Args:
        graph: the optimized GraphIR (`ir.GraphIR`).
        placement: its Placement ({node name: full device name}).

    Returns:
        `(graph, devices, description)`: the rewritten GraphIR, {new Cast node: device}
        (the placement of the nodes it added) and a line saying what it did; the graph
        unchanged, {} and None when no node is on a GPU or none qualifies.

    Example:
        >>> g, added, what = auto_mixed_precision(optimized.graph, placement)
        >>> what
        '2 nodes converted to float16 (MatMul x2), 3 Casts added'
    """
    painted = paint(graph, placement)
    if not painted:
        return graph, {}, None
    nodes = {}
    added = {}
    casts = {}
    taken = {n.name for n in graph.nodes}

    def cast(ref, dst, device, origin):
        key = (ref.node, ref.index, dst, device)
        if key not in casts:
            base = f"{ref.node}/CastTo{'Fp16' if dst is dtypes.float16 else 'Fp32'}"
            if ref.index:
                base += f"_{ref.index}"
            name = base
            i = 0
            while name in taken:
                i += 1
                name = f"{base}_{i}"
            taken.add(name)
            node = make_node("Cast", name, (ref,),
                             {"SrcT": ref.dtype, "DstT": dst, "Truncate": False},
                             origin=origin, device=device,
                             outputs=[(dst, ref.shape)])
            nodes[name] = node
            added[name] = device
            casts[key] = node.outputs[0]
        return casts[key]

    new_refs = {}
    order = []
    for node in graph.nodes:
        device = placement.get(node.name, node.device)
        inputs = []
        for r in node.inputs:
            fed = graph.is_fed(r)
            if node.name in painted and r.dtype is dtypes.float32:
                if not fed and r.node in painted:
                    inputs.append(new_refs[r])
                else:
                    inputs.append(cast(r, dtypes.float16, device, node.origin))
            elif not fed and r.node in painted and r.dtype is dtypes.float32:
                inputs.append(cast(new_refs[r], dtypes.float32,
                                   placement.get(r.node, ""), graph.node(r.node).origin))
            else:
                inputs.append(r)
        if node.name in painted:
            new = make_node(node.type, node.name, inputs, _half_attrs(node.attrs),
                            control_inputs=node.control_inputs, origin=node.origin,
                            device=node.device, colocation=node.colocation)
            for old, ref in zip(node.outputs, new.outputs):
                new_refs[old] = ref
        elif any(a is not b for a, b in zip(inputs, node.inputs)):
            new = node.replace(inputs=tuple(inputs))
        else:
            new = node
        nodes[node.name] = new
        order.append(node.name)
    result = graph.with_nodes(list(nodes.values()))
    counts = {}
    for name in order:
        if name in painted:
            t = graph.node(name).type
            counts[t] = counts.get(t, 0) + 1
    kinds = ", ".join(f"{t} x{c}" for t, c in sorted(counts.items()))
    return result, added, (f"{len(painted)} nodes converted to float16 ({kinds}), "
                           f"{len(added)} Casts added")
