"""Gradients of `If` and `While`: the forward op outputs what the backward pass needs.

One mechanism for both, TF control flow v2's. The gradient of a branch or of a loop body
is a *gradient function*: a FuncGraph whose `forward_graph` is that branch or body
(framework/function.py), in which `gradients()` builds the ops that differentiate the
forward function's ops. Those ops refer to the forward function's tensors; each is
resolved once per gradient function (`_resolve`):

* a capture placeholder: the captured outer tensor itself (the same in every iteration);
* a mirrored variable: the variable, read live;
* anything else (an intermediate, or a loop variable's value at the start of an
  iteration): an output that the forward op gains for it (`Operation._add_output`):
  - If (`extra_names`, `extra_branch`): the taken branch also outputs the tensor's value;
    the other branch's intermediates are None (their gradient branch does not run);
  - While (`accumulate`): the loop appends the tensor's value in every iteration to an
    accumulator (a variant output holding a `LoopAccumulator`) and outputs its iteration
    count n; backward iteration k reads forward iteration n-1-k (`LoopAccumulatorGet`).

So a gradient uses the values its forward run computed: a branch or body with dropout,
random ops or assignments is differentiated at what it did, never recomputed. Nesting needs
no special case: a tensor a gradient function cannot resolve itself is asked of the graphs
enclosing it, and an inner op's added outputs are intermediates of the outer function
(accumulated by an outer loop, output by an outer branch).

The backward of a While is a While of n iterations over (k, the gradients of the loop
variables that carry one, the running sums of the gradients of the body's captured tensors
and of the variables it reads); its results are the gradients for the entry values, the
captures and the variables. Integer loop variables carry none; `back_prop=False` loops
give None. Variables are read live by the backward too: a body that assigns a variable it
also differentiates through gets gradients at the variable's value after the loop.
Second-order gradients through a While are not available (a LookupError naming the op).
"""

from flowexec.framework import dtypes, tensor_shape
from flowexec.framework import function as function_mod
from flowexec.gradients import _carries_gradient as _trainable
from flowexec.gradients import gradients
from flowexec.ops import control_flow_ops


def _zeros_like(t):
    from flowexec.ops import array_ops
    return array_ops.zeros_like(t)


def _resolve_common(grad_fg, t):
    """A capture placeholder or mirrored variable of the forward function, else None."""
    fg = grad_fg.forward_graph
    for outer, inner in fg.captures:
        if inner is t:
            return grad_fg.capture(outer)
    if t.op.type == "VariableV2":
        for var_op in fg.variables:
            if var_op.name == t.op.name:
                return grad_fg.capture(var_op.outputs[0])
    return None


def _mirror(fg, var_op):
    return fg.get_operation_by_name(var_op.name).outputs[0]


# ----- If ------------------------------------------------------------------------------------
def _if_extra_output(op, branch, t):
    """The output of If `op` that carries tensor `t` of branch `branch` (0 then, 1 else)."""
    attrs = op.attrs
    names, owners = list(attrs.get("extra_names", ())), list(attrs.get("extra_branch", ()))
    n_out = len(attrs["Tout"])
    for k, (b, name) in enumerate(zip(owners, names)):
        if b == branch and name == t.name:
            return op.outputs[n_out + k]
    attrs["extra_names"] = names + [t.name]
    attrs["extra_branch"] = owners + [branch]
    attrs["extra_dtypes"] = list(attrs.get("extra_dtypes", ())) + [t.dtype]
    attrs["extra_shapes"] = list(attrs.get("extra_shapes", ())) + [t.shape]
    return op._add_output(t.dtype, t.shape)


def _if_resolver(op, branch):
    def resolve(grad_fg, t):
        common = _resolve_common(grad_fg, t)
        if common is not None:
            return common
        return grad_fg.capture(_if_extra_output(op, branch, t))
    return resolve


def _branch_grad(op, branch, dys, differentiable):
    """The gradient function of one branch: a gradient for every differentiable If input."""
    fg = op.attrs["then_branch" if branch == 0 else "else_branch"]
    n_then, n_else = op.attrs["n_then"], op.attrs["n_else"]
    lo = 0 if branch == 0 else n_then
    n_captures = n_then + n_else
    var_pos = {t.op.name: n_captures + j for j, t in enumerate(op.inputs[1 + n_captures:])}
    n_out = len(op.attrs["Tout"])
    # What the branch produced for each output of the op: its outputs, its intermediates.
    ys = {i: t for i, t in enumerate(fg.outputs)}
    for k, (b, name) in enumerate(zip(op.attrs.get("extra_branch", ()),
                                      op.attrs.get("extra_names", ()))):
        if b == branch:
            ys[n_out + k] = fg.get_tensor_by_name(name)

    def grad_fn():
        graph = function_mod.graph_mod.get_default_graph()
        pairs = [(y, graph.capture(dys[i])) for i, y in ys.items()
                 if i < len(dys) and dys[i] is not None]
        xs, positions = [], []
        for j, inner in enumerate(fg.internal_captures):
            if _trainable(inner.dtype):
                xs.append(inner)
                positions.append(lo + j)
        for var_op in fg.variables:
            xs.append(_mirror(fg, var_op))
            positions.append(var_pos[var_op.name])
        grads = gradients([y for y, _ in pairs], xs, grad_ys=[d for _, d in pairs]) \
            if pairs and xs else [None] * len(xs)
        by_position = {}
        for k, g in zip(positions, grads):
            if g is not None:
                by_position[k] = g if k not in by_position else by_position[k] + g
        return [by_position[k] if k in by_position else _zeros_like(op.inputs[1 + k])
                for k in differentiable]
    return function_mod.trace(grad_fn, [], fg.name + "_grad", forward_graph=fg,
                              resolve_foreign=_if_resolver(op, branch))


def _if_grad(op, *dys):
    from flowexec.ops import cond as cond_mod

    differentiable = [k for k, t in enumerate(op.inputs[1:]) if _trainable(t.dtype)]
    dys = [dy if dy is not None and _trainable(dy.dtype) else None for dy in dys]
    if not differentiable or all(dy is None for dy in dys):
        return [None] * len(op.inputs)
    then_g = _branch_grad(op, 0, dys, differentiable)
    else_g = _branch_grad(op, 1, dys, differentiable)
    grads = cond_mod.if_op(op.inputs[0], then_g, else_g)
    result = [None] * len(op.inputs)
    for k, g in zip(differentiable, grads):
        result[1 + k] = g
    return result


# ----- While ---------------------------------------------------------------------------------
def _is_accumulator(t):
    op = t.op
    return op.type in ("While", "StatelessWhile") and t.value_index > op.attrs["n_vars"]


def _while_count(op):
    """The iteration-count output of While `op` (added, with accumulation, on first use)."""
    n_vars = op.attrs["n_vars"]
    if op.attrs.get("accumulate") is None:
        op.attrs["accumulate"] = []
        op._add_output(dtypes.int32, tensor_shape.TensorShape([]))
    return op.outputs[n_vars]


def _while_accumulator(op, t):
    """The accumulator output of While `op` for tensor `t` of its body."""
    _while_count(op)
    names = list(op.attrs["accumulate"])
    base = op.attrs["n_vars"] + 1
    if t.name in names:
        return op.outputs[base + names.index(t.name)]
    op.attrs["accumulate"] = names + [t.name]
    return op._add_output(dtypes.variant, tensor_shape.TensorShape([]))


def _while_resolver(op, count):
    index = {}

    def resolve(grad_fg, t):
        common = _resolve_common(grad_fg, t)
        if common is not None:
            return common
        handle = grad_fg.capture(_while_accumulator(op, t))
        if grad_fg not in index:  # forward iteration n-1-k, k the backward loop's counter
            index[grad_fg] = grad_fg.capture(count) - 1 - grad_fg.inputs[0]
        return control_flow_ops.loop_accumulator_get(handle, index[grad_fg], t.dtype,
                                                     t.shape)
    return resolve


def _while_grad(op, *dys):
    from flowexec.ops import while_loop as while_mod

    n_vars, n_cond = op.attrs["n_vars"], op.attrs["n_cond"]
    if any(dy is not None for dy in dys[n_vars + 1:]):  # [n_vars]: the iteration count
        raise LookupError(f"No gradient defined for the accumulators of operation "
                          f"'{op.name}' (op type: {op.type}): second-order gradients through "
                          f"tf.while_loop are not supported")
    none = [None] * len(op.inputs)
    if not op.attrs.get("_back_prop", True):
        return none
    body = op.attrs["body"]
    dys = dys[:n_vars]
    carried = [i for i in range(n_vars) if _trainable(op.inputs[i].dtype)]
    if all(dys[i] is None for i in carried):
        return none
    cap_base = n_vars + n_cond
    caps = [j for j, (outer, inner) in enumerate(body.captures)
            if _trainable(inner.dtype) and not _is_accumulator(outer)]
    # Reading a forward accumulator has no gradient: a path through one is an error then.
    reads = [inner for outer, inner in body.captures if _is_accumulator(outer)]
    var_base = cap_base + len(body.captures)
    var_tensors = list(op.inputs[var_base:])
    mirrors = [_mirror(body, v.op) for v in var_tensors]
    count = _while_count(op)
    shapes = op.attrs["output_shapes"]

    entries = [dys[i] if dys[i] is not None else _zeros_like(op.outputs[i]) for i in carried]
    entries += [_zeros_like(op.inputs[cap_base + j]) for j in caps]
    entries += [_zeros_like(v) for v in var_tensors]
    invariants = [tensor_shape.as_shape(shapes[i]) for i in carried]
    invariants += [body.internal_captures[j].shape for j in caps]
    invariants += [v.shape for v in var_tensors]
    entries = [_int32_zero()] + entries
    invariants = [tensor_shape.TensorShape([])] + invariants
    specs = [function_mod.TensorSpec(s, t.dtype) for t, s in zip(entries, invariants)]

    nd = len(carried)
    ys = [body.outputs[i] for i in carried]
    xs = [body.inputs[i] for i in carried] + [body.internal_captures[j] for j in caps] + mirrors
    n_xs = len(xs)
    xs += reads

    def cond_fn(k, *_):
        from flowexec.ops import math_ops
        return math_ops.less(k, count)

    def body_fn(k, *rest):
        from flowexec.ops import math_ops
        dx, sums = rest[:nd], rest[nd:]
        grads = gradients(ys, xs, grad_ys=list(dx))[:n_xs]
        new_dx = [g if g is not None else _zeros_like(d) for g, d in zip(grads[:nd], dx)]
        # AddN: it also sums variants (the gradient of a captured TensorArray is a list).
        new_sums = [s if g is None else math_ops.add_n([s, g]) for s, g in zip(sums, grads[nd:])]
        return [k + 1] + new_dx + new_sums

    cond_fg = function_mod.trace(cond_fn, specs, "cond")
    body_fg = function_mod.trace(body_fn, specs, "body", forward_graph=body,
                                 resolve_foreign=_while_resolver(op, count))
    outs = while_mod.while_op(entries, invariants, cond_fg, body_fg)
    result = list(none)
    for pos, i in enumerate(carried):
        result[i] = outs[1 + pos]
    for pos, j in enumerate(caps):
        result[cap_base + j] = outs[1 + nd + pos]
    for pos in range(len(var_tensors)):
        result[var_base + pos] = outs[1 + nd + len(caps) + pos]
    return result


def _int32_zero():
    from flowexec.ops import constant_op
    return constant_op.constant(0, dtype=dtypes.int32, name="k")


# None for an output without a gradient: the outputs a first gradient added (a branch's
# intermediates, a While's accumulators in it) must not get zeros, which would differentiate
# them on a second tf.gradients call.
_if_grad.takes_none = True
for _op in (control_flow_ops._if, control_flow_ops._stateless_if):
    _op.gradient(_if_grad)
_while_grad.takes_none = True  # None for an output without a gradient (see gradients.py)
for _op in (control_flow_ops._while, control_flow_ops._stateless_while):
    _op.gradient(_while_grad)

__all__ = []
