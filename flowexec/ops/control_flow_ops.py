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

Gradients (ops/control_flow_grad.py): the forward op outputs what its gradient needs, as
TF's control flow v2 does. A gradient adds outputs to the `If`/`While` it differentiates:
an `If` then also outputs the taken branch's intermediates (`extra_names`/`extra_branch`:
None for the other branch's); a `While` (`accumulate`) also outputs its iteration count and,
per accumulated body tensor, a variant `LoopAccumulator` of its value in every iteration
(one append per tensor per iteration; a loop nobody differentiates accumulates nothing).
`LoopAccumulatorGet` reads one iteration's value in the backward loop. So gradients use the
forward run's values: branches and bodies with random ops, dropout or assignments have
gradients, never a recompute.
"""

import numpy as np

from flowexec.framework import dtypes, tensor_shape
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.registry import apply_op, defop
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


class LoopAccumulator:
    """The value of a `While` accumulator output: `values[j]` is what one tensor of the body
    held in iteration j (kept as one object, so that fetch conversion leaves it whole)."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values

    def __repr__(self):
        return f"<LoopAccumulator of {len(self.values)} iterations>"


def _extra_specs(op):
    """(dtype, shape) of the outputs a gradient added: an If's intermediates; a While's
    iteration count and accumulators."""
    if op.type in ("If", "StatelessIf"):
        return list(zip(op.attrs.get("extra_dtypes", ()), op.attrs.get("extra_shapes", ())))
    names = op.attrs.get("accumulate")
    if names is None:
        return []
    return [(dtypes.int32, tensor_shape.TensorShape([]))] + \
        [(dtypes.variant, tensor_shape.TensorShape([]))] * len(names)


def _outputs_infer(op):
    return list(zip(op.attrs["Tout"], op.attrs["output_shapes"])) + _extra_specs(op)


def _loop_infer(op):
    return list(zip(op.attrs["T"], op.attrs["output_shapes"])) + _extra_specs(op)


def _if_kernel(ctx, xp, cond, *input, then_branch, else_branch, n_then, n_else,
               extra_branch=(), extra_names=()):
    taken = 0 if _host_bool(cond) else 1
    branch = then_branch if taken == 0 else else_branch
    args = input[:n_then] if taken == 0 else input[n_then:n_then + n_else]
    if not extra_names:
        out = ctx.function(branch).call((), args)
    else:
        # The intermediates the gradient needs: the taken branch's values; None for the
        # other branch's (its gradient branch does not run).
        own = tuple(name for b, name in zip(extra_branch, extra_names) if b == taken)
        out = ctx.function(branch, own).call((), args)
        n_out = len(branch.outputs)
        values = iter(out[n_out:])
        out = list(out[:n_out]) + [next(values) if b == taken else None for b in extra_branch]
    return out[0] if len(out) == 1 else tuple(out)


def _while_kernel(ctx, xp, *input, cond, body, n_vars, n_cond, accumulate=None):
    cond_fn = ctx.function(cond)
    values = list(input[:n_vars])
    cond_captured = input[n_vars:n_vars + n_cond]
    body_captured = input[n_vars + n_cond:n_vars + n_cond + len(body.captures)]
    if accumulate is not None:
        return _accumulating_loop(ctx, values, cond_fn, cond_captured, body, body_captured,
                                  accumulate)
    body_fn = ctx.function(body)
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


def _accumulating_loop(ctx, values, cond_fn, cond_captured, body, body_captured, accumulate):
    """The loop of a While whose gradient was taken: it also outputs the iteration count
    and, per accumulated body tensor, its value in every iteration (one append each)."""
    n_vars = len(values)
    args = {t.name: i for i, t in enumerate(body.inputs[:n_vars])}
    fetched = tuple(name for name in accumulate if name not in args)
    body_fn = ctx.function(body, fetched)
    lists = [[] for _ in accumulate]
    # where each accumulated value comes from: a loop variable, or the body's extra fetch j
    sources = tuple(("var", args[name]) if name in args else
                    ("fetch", n_vars + fetched.index(name)) for name in accumulate)

    def record(res):
        for values_of, (kind, k) in zip(lists, sources):
            values_of.append(values[k] if kind == "var" else res[k])

    count = 0
    # The first iteration checks the entry values (as feeds); later ones go unchecked.
    if _host_bool(cond_fn.call(values, cond_captured)[0]):
        res = body_fn.call(values, body_captured)
        record(res)
        values = res[:n_vars]
        count = 1
        loop = functions.fused_while(ctx, cond_fn, body_fn, _host_bool, sources)
        if loop is not None:  # one generated Python `while`, both plans inlined
            values, more = loop(values, cond_captured, body_captured,
                                [values_of.append for values_of in lists])
            count += more
        else:
            run_cond, run_body = cond_fn.trusted_call(), body_fn.trusted_call()
            while _host_bool(run_cond(values, cond_captured)[0]):
                res = run_body(values, body_captured)
                record(res)
                values = res[:n_vars]
                count += 1
    return (*values, np.int32(count), *[LoopAccumulator(values_of) for values_of in lists])


def _register(type_name, kernel, infer, stateful):
    return defop(type_name, infer=infer, stateful=stateful, needs_ctx=True,
                 device_types=("CPU",))(kernel)


_if = _register("If", _if_kernel, _outputs_infer, True)
_stateless_if = _register("StatelessIf", _if_kernel, _outputs_infer, False)
_while = _register("While", _while_kernel, _loop_infer, True)
_stateless_while = _register("StatelessWhile", _while_kernel, _loop_infer, False)


def _accumulator_get_infer(op):
    return [(op.attrs["element_dtype"], op.attrs["element_shape"])]


@defop("LoopAccumulatorGet", infer=_accumulator_get_infer, device_types=("CPU",),
       node_def=NodeDefForm(flowexec_only=True,
                            reason="a while-loop gradient's read of a forward accumulator"))
def _loop_accumulator_get(xp, handle, index):
    """Element `index` of a While accumulator (the backward loop's read of iteration j)."""
    return handle.values[int(index)]


@_loop_accumulator_get.gradient
def _loop_accumulator_get_grad(op, dy):
    raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type}): "
                      f"second-order gradients through tf.while_loop are not supported")


def loop_accumulator_get(handle, index, dtype, shape, name=None):
    """The value a While accumulator `handle` recorded in iteration `index`."""
    return apply_op("LoopAccumulatorGet", handle, index, name=name or "LoopAccumulatorGet",
                    element_dtype=dtype, element_shape=tensor_shape.as_shape(shape))


__all__ = []
