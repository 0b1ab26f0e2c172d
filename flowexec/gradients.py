"""Reverse-mode automatic differentiation that adds gradient ops to the graph.

`gradients(ys, xs)` walks the ops between `xs` and `ys` backwards, calling each op type's
registered gradient function (built from graph ops, so gradients are placed and scheduled
like any other op). Inside a gradient function (a FuncGraph whose `forward_graph` is the
graph of `ys`: the backward of a cond branch or a while body) the gradient ops are built in
that function, and the forward tensors they use are resolved there
(framework/function.py). Fan-out is summed with AddN; an `x` that `ys` do not depend on gets
None; integer tensors carry no gradient; `StopGradient` and ops declared not
differentiable stop the flow; an op with no gradient decision is a LookupError.

Sparse gradients (TF 1.x): a gradient function may return an `IndexedSlices` (GatherV2's for
its params at axis 0). Several IndexedSlices for one tensor are aggregated by concatenating
their rows (a dense one among them makes the sum dense, ops/indexed_slices_ops.py); a
gradient function gets them densified unless it is marked `takes_indexed_slices` (Identity's,
which passes them on, so the gradient of a variable read by `gather` stays sparse). `xs` get
whatever arrives: a Tensor or an IndexedSlices.
"""

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.framework.registry import NOT_DIFFERENTIABLE, get_op_def
from flowexec.framework.tensor import Tensor


def _flatten(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _is_differentiable_dtype(dtype):
    return dtype.is_floating or dtype.is_complex


def _carries_gradient(dtype):
    """Gradients flow into floats, complex numbers and variants (lists: their gradient is a
    list, as TF's)."""
    return dtype.is_floating or dtype.is_complex or dtype is dtypes.variant


def _ops_between(ys, xs, stop_ops):
    """Ops reachable backwards from ys that also reach forward from xs (iterative)."""
    reach_back = set()
    stack = [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op in reach_back:
            continue
        reach_back.add(op)
        if op in stop_ops:
            continue
        stack.extend(t.op for t in op.inputs)
    # Forward reachability from xs, restricted to reach_back.
    consumers = {}
    for op in reach_back:
        if op in stop_ops:
            continue
        for t in op.inputs:
            consumers.setdefault(t.op, []).append(op)
    between = set()
    stack = [x.op for x in xs if x.op in reach_back]
    while stack:
        op = stack.pop()
        if op in between:
            continue
        between.add(op)
        stack.extend(consumers.get(op, ()))
    return between


def _sum_grads(grads, name_prefix):
    from flowexec.ops import indexed_slices_ops, math_ops

    grads = [g for g in grads if g is not None]
    if not grads:
        return None
    if len(grads) == 1:
        return grads[0]
    if any(isinstance(g, IndexedSlices) for g in grads):
        return indexed_slices_ops.aggregate(grads)
    return math_ops.add_n(grads, name=f"{name_prefix}AddN" if name_prefix else None)


def _gate(grads):
    """`tf.tuple` over gradients, an IndexedSlices gated as its values and indices."""
    from flowexec.ops import constant_op

    flat = []
    for g in grads:
        flat.extend([g.values, g.indices] if isinstance(g, IndexedSlices) else [g])
    gated = iter(constant_op.tuple_(flat))
    out = []
    for g in grads:
        if isinstance(g, IndexedSlices):
            out.append(IndexedSlices(next(gated), next(gated), g.dense_shape))
        else:
            out.append(next(gated))
    return out


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None,
              unconnected_gradients="none"):
    """Symbolic derivatives of `sum(ys)` with respect to each of `xs`.

    Args:
        ys: a Tensor or list of Tensors to differentiate.
        xs: a Tensor (or Variable) or list of them.
        grad_ys: optional initial gradients, one per y (default: ones).
        name: name scope of the gradient ops.
        colocate_gradients_with_ops: place each gradient op with the op it differentiates.
        gate_gradients: when True, the gradients an op yields for its inputs are grouped
            (`tf.tuple`): none is available before all of them are computed (TF groups all
            of them; here only those that flow on towards `xs`, so that gating never makes
            a step compute a gradient nobody reads, e.g. the one for the input batch).
            With variables read live (TF1 ref semantics) this is what keeps an
            optimizer's update of `w` from overtaking the backward op that reads `w` for
            another input's gradient (the optimizers' default, GATE_OP, turns it on).
        aggregation_method: accepted for TF compatibility; aggregation is always AddN.
        stop_gradients: tensors treated as constants.
        unconnected_gradients: for an x that ys do not depend on, None ("none" or
            `tf.UnconnectedGradients.NONE`, the default) or zeros shaped like x ("zero").

    Returns:
        A list with one Tensor (or None when unconnected) per x.

    Raises:
        LookupError: an op on the path has no registered gradient.
        ValueError: `grad_ys` has the wrong length.
    """
    unconnected = getattr(unconnected_gradients, "value", unconnected_gradients)
    if unconnected not in ("none", "zero"):
        raise ValueError(f"Unknown value for unconnected_gradients: '{unconnected}'")
    ys = [convert_to_tensor(y) for y in _flatten(ys)]
    xs_in = _flatten(xs)
    xs = []
    for x in xs_in:
        if hasattr(x, "_grad_target"):
            x = x._grad_target()
        xs.append(convert_to_tensor(x))
    grad_ys = _flatten(grad_ys) if grad_ys is not None else [None] * len(ys)
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    stop_ops = {t.op for t in _flatten(stop_gradients)}
    graph = ys[0].graph if ys else graph_mod.get_default_graph()
    default = graph_mod.get_default_graph()
    if getattr(default, "forward_graph", None) is graph:
        graph = default  # a gradient function: its ops go there

    from flowexec.ops import array_ops, indexed_slices_ops  # noqa: F401 (densifies slices)

    with graph.as_default(), graph.name_scope(name):
        between = _ops_between(ys, xs, stop_ops)
        # grads[tensor] = list of partial gradients
        grads = {}
        for y, gy in zip(ys, grad_ys):
            if gy is None:
                if not _is_differentiable_dtype(y.dtype):
                    continue
                with graph.colocate_with(y.op) if colocate_gradients_with_ops else _null():
                    gy = array_ops.ones_like(y, name=f"grad_ys_{ys.index(y)}")
            else:
                gy = convert_to_tensor(gy, dtype=y.dtype)
            grads.setdefault(y, []).append(gy)

        # pending[op] = number of consumers within `between` whose grads are not yet in.
        pending = {op: 0 for op in between}
        for op in between:
            if op in stop_ops:
                continue
            for t in op.inputs:
                if t.op in pending:
                    pending[t.op] += 1
        ready = [op for op in between if pending[op] == 0]
        ready.sort(key=lambda o: o._id)
        x_ops = {x.op for x in xs}
        done = set()
        while ready:
            op = ready.pop()
            done.add(op)
            out_grads = []
            for t in op.outputs:
                out_grads.append(_sum_grads(grads.get(t, ()), ""))
                if t in grads:
                    grads[t] = [out_grads[-1]] if out_grads[-1] is not None else []
            has_grad = any(g is not None for g in out_grads)
            if has_grad and op not in stop_ops and op.inputs and not (
                    op in x_ops and not _needs_pass_through(op, between)):
                in_grads = _op_grads(graph, op, out_grads, colocate_gradients_with_ops)
                # Only the gradients that flow on (towards some x) are kept; the others are
                # never run, and gating must not make them run.
                used = [i for i, (t, g) in enumerate(zip(op.inputs, in_grads))
                        if g is not None and _carries_gradient(t.dtype)
                        and t.op in between]
                if gate_gradients and len(used) > 1:
                    with graph.name_scope(op.name + "_grad"), graph.device(None):
                        gated = _gate([in_grads[i] for i in used])
                    for i, g in zip(used, gated):
                        in_grads[i] = g
                for i in used:
                    grads.setdefault(op.inputs[i], []).append(in_grads[i])
            if op in stop_ops:
                continue
            for t in op.inputs:
                if t.op in pending:
                    pending[t.op] -= 1
                    if pending[t.op] == 0 and t.op not in done:
                        ready.append(t.op)
        out = []
        for x in xs:
            g = _sum_grads(grads.get(x, ()), "")
            if g is None and unconnected == "zero":
                g = array_ops.zeros_like(x)
            out.append(g)
        return out


def _needs_pass_through(op, between):
    """An x op whose inputs are also between (x = f(x0), both in xs) still propagates."""
    return any(t.op in between for t in op.inputs)


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *a):
        return False


_GRADIENT_REGISTRY = {}


class RegisterGradient:
    """`tf.RegisterGradient(name)`: registers `fn(op, *grads)` under `name`, for use with
    `graph.gradient_override_map({"OpType": name})`.

    Example:
        >>> @tf.RegisterGradient("ClipGrad")
        ... def _clip(op, dy):
        ...     return [tf.clip_by_value(dy, -1.0, 1.0)]
        >>> with tf.get_default_graph().gradient_override_map({"Identity": "ClipGrad"}):
        ...     y = tf.identity(x)
    """

    def __init__(self, op_type):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn):
        if self._op_type in _GRADIENT_REGISTRY:
            raise KeyError(f"Registering two gradient with name '{self._op_type}'! "
                           f"(Previous registration was in {_GRADIENT_REGISTRY[self._op_type]})")
        _GRADIENT_REGISTRY[self._op_type] = fn
        return fn


def _gradient_function(op):
    """The gradient of `op`: an override recorded when the op was made, else its op type's."""
    override = op.attrs.get("_gradient_op_type")
    if override is not None:
        if override in _GRADIENT_REGISTRY:
            return _GRADIENT_REGISTRY[override]
        return get_op_def(override).grad_fn
    return op.op_def.grad_fn


def _op_grads(graph, op, out_grads, colocate):
    from flowexec.ops import array_ops

    fn = _gradient_function(op)
    if fn is NOT_DIFFERENTIABLE:
        return [None] * len(op.inputs)
    if fn is None:
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")
    if any(g is None for g in out_grads):
        # A gradient function that takes None for "no gradient" (a While's: its accumulator
        # outputs have no zeros) gets it; others get zeros.
        if not getattr(fn, "takes_none", False):
            out_grads = [g if g is not None else array_ops.zeros_like(t)
                         for g, t in zip(out_grads, op.outputs)]
    if not getattr(fn, "takes_indexed_slices", False) and any(
            isinstance(g, IndexedSlices) for g in out_grads):
        with graph.name_scope(op.name + "_grad"):
            out_grads = [convert_to_tensor(g) if isinstance(g, IndexedSlices) else g
                         for g in out_grads]
    with graph.name_scope(op.name + "_grad"):
        ctx = graph.colocate_with(op) if colocate else _null()
        with ctx, graph.control_dependencies(None):
            in_grads = fn(op, *out_grads)
    if isinstance(in_grads, (Tensor, IndexedSlices)) or in_grads is None:
        in_grads = [in_grads]
    in_grads = list(in_grads)
    if len(in_grads) != len(op.inputs):
        raise ValueError(
            f"Num gradients {len(in_grads)} generated for op {op.node_def} do not match num "
            f"inputs {len(op.inputs)}")
    return in_grads
