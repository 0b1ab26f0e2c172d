"""Functional control-flow ops, as TF's control flow v2: `If` and `While`.

A branch, a loop condition and a loop body are `FuncGraph`s (flowexec/framework/function.py)
held as attributes; each is planned once per session (`ctx.function`) and then only called.

    If(cond, *input; then_branch, else_branch, n_then, n_else, Tout, output_shapes)
        `input` is the then-branch's captured outer tensors (`n_then`), the else-branch's
        (`n_else`), then the variables the branches read (not used by the kernel: the
        branches read them live; they are there for gradients). The branches take no
        arguments. Only the taken branch runs, so only its ops (and side effects) happen.
    While(*input; cond, body, n_vars, n_cond, T, output_shapes)
        `input` is the loop variables (`n_vars`), then the condition's captures (`n_cond`),
        then the body's. `cond(*vars)` returns a scalar bool; `body(*vars)` the next vars.

The predicate is read on the host: these ops are host-only (on a GPU session the branch and
body ops still run where they are placed; the predicate costs one copy per call/iteration).
`If`/`While` are stateful (never merged or pruned as constants) when a branch or body has a
stateful op; `StatelessIf`/`StatelessWhile` otherwise, as TF names them.

Gradients: `If`'s gradient is an `If` over the branches' gradient functions; each gradient
function recomputes its branch's forward ops (copied from the branch) and differentiates
them, so a branch with stateful ops (random, assignments) has no gradient here (a
LookupError naming the op, never a wrong value). `While` has no gradient yet: `gradients`
through one raises LookupError naming the op.
"""

import numpy as np

from flowexec.framework import function as function_mod
from flowexec.framework.registry import defop
from flowexec.framework.tensor import Tensor
from flowexec.runtime import functions


# Stateful by definition but without effects inside a function: its argument and capture
# placeholders (fed by the caller) and its mirrors of outer variables (read live).
_NO_EFFECT = frozenset({"Placeholder", "VariableV2"})


def _host_bool(value):
    get = getattr(value, "get", None)  # a device array: one copy to the host
    if get is not None and not isinstance(value, np.ndarray):
        value = get()
    return bool(np.asarray(value))


def has_side_effects(func_graph):
    """Whether a FuncGraph has a stateful op besides its arguments and mirrored variables."""
    return any(op.op_def.stateful and op.type not in _NO_EFFECT
               for op in func_graph.get_operations())


def _outputs_infer(op):
    return list(zip(op.attrs["Tout"], op.attrs["output_shapes"]))


def _loop_infer(op):
    return list(zip(op.attrs["T"], op.attrs["output_shapes"]))


def _if_kernel(ctx, xp, cond, *input, then_branch, else_branch, n_then, n_else):
    if _host_bool(cond):
        out = ctx.function(then_branch).call((), input[:n_then])
    else:
        out = ctx.function(else_branch).call((), input[n_then:n_then + n_else])
    return out[0] if len(out) == 1 else tuple(out)


def _while_kernel(ctx, xp, *input, cond, body, n_vars, n_cond):
    cond_fn, body_fn = ctx.function(cond), ctx.function(body)
    values = list(input[:n_vars])
    cond_captured = input[n_vars:n_vars + n_cond]
    body_captured = input[n_vars + n_cond:]
    # The first iteration checks the entry values against the invariants (as feeds); later
    # ones feed the body's own outputs back without conversion.
    if not _host_bool(cond_fn.call(values, cond_captured)[0]):
        return values[0] if n_vars == 1 else tuple(values)
    values = body_fn.call(values, body_captured)
    loop = functions.fused_while(ctx, cond_fn, body_fn, _host_bool)
    if loop is not None:  # one generated Python `while`, both plans inlined
        values = loop(values, cond_captured, body_captured)
    else:
        run_cond, run_body = cond_fn.trusted_call(), body_fn.trusted_call()
        while _host_bool(run_cond(values, cond_captured)[0]):
            values = run_body(values, body_captured)
    return values[0] if n_vars == 1 else tuple(values)


def _register(type_name, kernel, infer, stateful):
    return defop(type_name, infer=infer, stateful=stateful, needs_ctx=True,
                 device_types=("CPU",))(kernel)


_if = _register("If", _if_kernel, _outputs_infer, True)
_stateless_if = _register("StatelessIf", _if_kernel, _outputs_infer, False)
_while = _register("While", _while_kernel, _loop_infer, True)
_stateless_while = _register("StatelessWhile", _while_kernel, _loop_infer, False)


# ----- gradients -----------------------------------------------------------------------------
def _copy_branch(fg, outer_inputs, variable_values):
    """Copies `fg`'s ops into the default (function) graph; returns {old tensor: new}.

    `outer_inputs` are the tensors standing for `fg`'s captures, in capture order;
    `variable_values` ({variable name: tensor}) stand for its mirrored variables; every
    other op is recreated with its attributes.
    """
    from flowexec.framework.registry import apply_op

    mapping = dict(zip(fg.internal_captures, outer_inputs))
    graph = function_mod.graph_mod.get_default_graph()
    op_map = {}
    for op in fg.get_operations():
        if op.outputs and all(t in mapping for t in op.outputs):
            continue
        if op.type == "VariableV2" and op.name in variable_values:
            mapping[op.outputs[0]] = variable_values[op.name]
            continue
        if op.op_def.stateful and op.type not in _NO_EFFECT:
            raise LookupError(
                f"No gradient defined for operation '{op.name}' (op type: {op.type}) inside "
                f"the branch '{fg.name}' of a cond: gradients recompute a branch, which "
                f"would repeat its side effects")
        controls = [op_map[c] for c in op.control_inputs if c in op_map]
        new = apply_op(op.type, *[mapping[t] for t in op.inputs],
                       name=op.name.rsplit("/", 1)[-1], control_inputs=controls,
                       **dict(op.attrs))
        new_outputs = (new,) if isinstance(new, Tensor) else tuple(new or ())
        new_op = new_outputs[0].op if new_outputs else graph.get_operations()[-1]
        op_map[op] = new_op
        mapping.update(zip(op.outputs, new_op.outputs))
    return mapping


def _branch_grad(fg, op, lo, hi, dys, differentiable):
    """The gradient function of one branch: gradients for every differentiable If input.

    `lo:hi` are the positions (among the If's inputs after the predicate) of the branch's
    captures; the variables it reads are found among the trailing variable inputs.
    """
    from flowexec.gradients import gradients
    from flowexec.ops import array_ops

    n_captures = op.attrs["n_then"] + op.attrs["n_else"]
    var_pos = {t.op.name: n_captures + j
               for j, t in enumerate(op.inputs[1 + n_captures:])}

    def grad_fn():
        graph = function_mod.graph_mod.get_default_graph()
        own = [graph.capture(t) for t in op.inputs[1 + lo:1 + hi]]
        values = {v.name: graph.capture_value(op.inputs[1 + var_pos[v.name]])
                  for v in fg.variables}
        mapping = _copy_branch(fg, own, values)
        xs = own + list(values.values())
        positions = list(range(lo, hi)) + [var_pos[name] for name in values]
        ys = [mapping[t] for t in fg.outputs]
        pairs = [(y, graph.capture(dy)) for y, dy in zip(ys, dys) if dy is not None]
        grads = gradients([y for y, _ in pairs], xs, grad_ys=[d for _, d in pairs]) \
            if pairs else [None] * len(xs)
        by_position = {}
        for k, g in zip(positions, grads):
            if g is not None:
                by_position[k] = g if k not in by_position else by_position[k] + g
        return [by_position[k] if k in by_position else array_ops.zeros_like(op.inputs[1 + k])
                for k in differentiable]
    return function_mod.trace(grad_fn, [], fg.name + "_grad")


def _if_grad(op, *dys):
    from flowexec.ops import cond as cond_mod

    n_then, n_else = op.attrs["n_then"], op.attrs["n_else"]
    inputs = op.inputs[1:]
    differentiable = [k for k, t in enumerate(inputs)
                      if t.dtype.is_floating or t.dtype.is_complex]
    if not differentiable:
        return [None] * len(op.inputs)
    dys = [dy if dy is not None and (dy.dtype.is_floating or dy.dtype.is_complex) else None
           for dy in dys]
    then_g = _branch_grad(op.attrs["then_branch"], op, 0, n_then, dys, differentiable)
    else_g = _branch_grad(op.attrs["else_branch"], op, n_then, n_then + n_else, dys,
                          differentiable)
    grads = cond_mod.if_op(op.inputs[0], then_g, else_g)
    result = [None] * len(op.inputs)
    for k, g in zip(differentiable, grads):
        result[1 + k] = g
    return result


_if.gradient(_if_grad)
_stateless_if.gradient(_if_grad)


def _while_grad(op, *dys):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type}): "
                      f"gradients through tf.while_loop are not supported yet")


_while.gradient(_while_grad)
_stateless_while.gradient(_while_grad)

__all__ = []
