"""`tf.while_loop`: a loop condition and body traced into function graphs run by one `While`.

The loop variables (any nest structure of tensors: tuples, lists, dicts, namedtuples) are
flattened into the op's inputs; `cond` and `body` are traced once with one argument per
top-level loop variable, shaped by the shape invariants (default: the entry shapes), and
the body's results are checked against them at build time with TF's messages.
`maximum_iterations` adds an iteration counter as the first loop variable, as TF does.

Gradients (ops/control_flow_grad.py): the forward loop accumulates, per iteration, the
values the backward pass needs; the backward is a While running the iterations in reverse.
"""

from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework import function as function_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.ops import control_flow_grad, control_flow_ops  # noqa: F401 (gradients)
from flowexec.ops import tensor_array_ops
from flowexec.ops.tensor_array_ops import TensorArray


def _check_entry(tensor, invariant):
    if not invariant.is_compatible_with(tensor.shape):
        raise ValueError(
            f"The shape invariant specified for {tensor.name} is not compatible with the "
            f"initial shape of the loop variable. It enters the loop with shape "
            f"{tensor.shape}, but the specified shape invariant is {invariant}.")


def _check_body_output(entry, out, invariant):
    if out.dtype.base_dtype is not entry.dtype.base_dtype:
        raise TypeError(f"Loop variable {entry.name} enters the loop with type "
                        f"{entry.dtype.name}, but has type {out.dtype.name} after one "
                        f"iteration.")
    if not invariant.is_compatible_with(out.shape) or \
            not out.shape.is_compatible_with(invariant) or \
            _less_specific(out.shape, invariant):
        raise ValueError(
            f"Input tensor '{entry.name}' enters the loop with shape {invariant}, but has "
            f"shape {out.shape} after one iteration. To allow the shape to vary across "
            f"iterations, use the `shape_invariants` argument of tf.while_loop to specify a "
            f"less-specific shape.")


def _less_specific(shape, invariant):
    """Whether `shape` is less specific than `invariant` somewhere (unknown where it is known)."""
    if invariant.ndims is None:
        return False
    if shape.ndims is None:
        return True
    return any(d is None and i is not None
               for d, i in zip(shape.as_list(), invariant.as_list()))


def while_op(entries, invariants, cond_fg, body_fg, back_prop=True, name="While"):
    """Adds a While op over traced condition and body; returns its flat outputs.

    The inputs are the loop variables' entry values, the condition's captures, the body's,
    then the variables the body reads (not used by the kernel, which reads them live: they
    are there for gradients).
    """
    stateful = (control_flow_ops.has_side_effects(cond_fg)
                or control_flow_ops.has_side_effects(body_fg))
    controls = list(cond_fg.control_captures)
    controls += [c for c in body_fg.control_captures if c not in controls]
    attrs = {} if back_prop else {"_back_prop": False}
    outs = apply_op("While" if stateful else "StatelessWhile", *entries,
                    *cond_fg.external_captures, *body_fg.external_captures,
                    *[v.outputs[0] for v in body_fg.variables],
                    name=name, control_inputs=controls, cond=cond_fg, body=body_fg,
                    n_vars=len(entries), n_cond=len(cond_fg.captures),
                    T=[t.dtype for t in entries], output_shapes=list(invariants), **attrs)
    return [outs] if isinstance(outs, Tensor) else list(outs)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, name=None, maximum_iterations=None,
               return_same_structure=False):
    """Repeats `body` while `cond` is true.

    Args:
        cond: a callable taking the loop variables, returning a scalar bool tensor.
        body: a callable taking the loop variables, returning their next values (the same
            structure, dtypes, and shapes compatible with the invariants).
        loop_vars: a tensor, or a (nested) tuple/list/dict/namedtuple of tensors and
            TensorArrays (a TensorArray travels as its flow; cond and body get TensorArrays).
        shape_invariants: the shapes the loop variables keep (same structure); default
            their entry shapes.
        parallel_iterations, swap_memory: accepted (iterations run one after another).
        back_prop: False: no gradient flows through the loop (`tf.gradients` gives None
            for what is reached only through it, as TF), and the loop never keeps the
            values a backward pass would need.
        name: name scope (default "while").
        maximum_iterations: an optional int scalar bounding the number of iterations.
        return_same_structure: return a single loop variable as a one-element list too.

    Returns:
        The loop variables after the last iteration, with `loop_vars`' structure (a single
        tensor when `loop_vars` is one tensor or a one-element list, unless
        `return_same_structure`).

    Raises:
        TypeError: non-callable cond/body; a loop variable changing dtype.
        ValueError: empty loop_vars; a shape leaving its invariant (TF's message); a body
            returning another structure; a condition that is not a scalar bool.

    Example:
        >>> i, acc = while_loop(lambda i, a: i < 10, lambda i, a: (i + 1, a * 2.0),
        ...                     (tf.constant(0), tf.constant(1.0)))
    """
    del parallel_iterations, swap_memory
    if not callable(cond):
        raise TypeError("cond must be callable.")
    if not callable(body):
        raise TypeError("body must be callable.")
    if not nest.flatten(loop_vars):
        raise ValueError("No loop variables provided")
    single_input = not isinstance(loop_vars, (list, tuple))
    top = [loop_vars] if single_input else list(loop_vars)
    # TensorArrays travel as their flows (list tensors) and are rebuilt around them.
    arrays = [v if isinstance(v, TensorArray) else None for v in nest.flatten(top)]
    top = tensor_array_ops.to_flows(top)
    with name_scope(name, "while", [t for t in nest.flatten(top) if isinstance(t, Tensor)]):
        top = nest.map_structure(
            lambda v: v if isinstance(v, Tensor) else convert_to_tensor(v), top)
        flat_vars = nest.flatten(top)
        if shape_invariants is None:
            flat_inv = [t.shape for t in flat_vars]
        else:
            inv_top = [shape_invariants] if single_input else list(shape_invariants)
            nest.assert_same_structure(top, inv_top, check_types=False)
            flat_inv = [t.shape if ta is not None else tensor_shape.as_shape(s)
                        for s, t, ta in zip(nest.flatten(inv_top), flat_vars, arrays)]
        for t, inv in zip(flat_vars, flat_inv):
            _check_entry(t, inv)

        counter = None
        if maximum_iterations is not None:
            maximum_iterations = convert_to_tensor(maximum_iterations,
                                                   name="maximum_iterations")
            if maximum_iterations.dtype.base_dtype not in (dtypes.int32, dtypes.int64):
                raise TypeError("maximum_iterations must be an integer tensor, got "
                                f"{maximum_iterations.dtype.name}")
            counter = convert_to_tensor(0, dtype=maximum_iterations.dtype, name="iteration")
        entries = ([counter] if counter is not None else []) + flat_vars
        invs = ([tensor_shape.TensorShape([])] if counter is not None else []) + flat_inv
        specs = [function_mod.TensorSpec(inv, t.dtype) for t, inv in zip(entries, invs)]
        skip = 1 if counter is not None else 0

        out_arrays = list(arrays)

        def rebuild(flat, like):
            return [t if ta is None else ta._with_flow(t) for t, ta in zip(flat, like)]

        def user_vars(flat):
            return nest.pack_sequence_as(top, rebuild(flat[skip:], arrays))

        def cond_fn(*flat):
            c = cond(*user_vars(flat))
            c = c if isinstance(c, Tensor) else convert_to_tensor(c)
            if c.dtype.base_dtype is not dtypes.bool or c.shape.ndims not in (None, 0):
                raise ValueError(f"cond of a while_loop must return a scalar bool tensor, "
                                 f"got {c}")
            if counter is not None:
                from flowexec.ops import math_ops
                c = math_ops.logical_and(math_ops.less(flat[0], maximum_iterations), c)
            return c

        def body_fn(*flat):
            res = body(*user_vars(flat))
            if len(top) == 1 and not (isinstance(res, list) or (
                    isinstance(res, tuple) and not nest._is_namedtuple(res) and len(res) == 1
                    and not nest._is_namedtuple(top[0]))):
                res = [res]
            nest.assert_same_structure(top, list(res), check_types=False)
            flat_res = nest.flatten(list(res))
            for k, v in enumerate(flat_res):
                if isinstance(v, TensorArray) and arrays[k] is not None:
                    out_arrays[k] = v  # its element shape, as the body left it
            out = [v if isinstance(v, Tensor) else convert_to_tensor(v)
                   for v in nest.flatten(tensor_array_ops.to_flows(list(res)))]
            return ([flat[0] + 1] if counter is not None else []) + out

        cond_fg = function_mod.trace(cond_fn, specs, "cond")
        body_fg = function_mod.trace(body_fn, specs, "body")
        for entry, out, inv in zip(entries, body_fg.outputs, invs):
            _check_body_output(entry, out, inv)
        outs = while_op(entries, invs, cond_fg, body_fg, back_prop=back_prop)
        packed = nest.pack_sequence_as(top, rebuild(outs[skip:], out_arrays))
        if len(top) == 1 and not return_same_structure:
            return packed[0]
        if single_input:
            return packed
        if nest._is_namedtuple(loop_vars):
            return type(loop_vars)(*packed)
        return type(loop_vars)(packed)


__all__ = ["while_loop"]
