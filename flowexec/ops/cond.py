"""`tf.cond` and `tf.case`: branches traced into function graphs run by one `If` op.

Each branch function is traced once (`framework/function.py`) into a FuncGraph with no
arguments; the tensors and variables it uses from outside are captured (variables read
live). At run time only the taken branch's ops run, side effects included.
"""

from flowexec.framework import dtypes, nest
from flowexec.framework import function as function_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.operation import Operation
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.ops import control_flow_grad, control_flow_ops  # noqa: F401 (gradients)


def if_op(pred, then_fg, else_fg, name=None):
    """Adds an If op over two traced branches; returns the flat output list."""
    stateful = (control_flow_ops.has_side_effects(then_fg)
                or control_flow_ops.has_side_effects(else_fg))
    shapes = [a.shape.most_specific_compatible_shape(b.shape)
              for a, b in zip(then_fg.outputs, else_fg.outputs)]
    controls = list(then_fg.control_captures)
    controls += [c for c in else_fg.control_captures if c not in controls]
    # The variables the branches read come last: the kernel does not use them (the
    # branches read them live), gradients flow to them.
    variables = list(then_fg.variables)
    variables += [v for v in else_fg.variables if v not in variables]
    out = apply_op("If" if stateful else "StatelessIf", pred, *then_fg.external_captures,
                   *else_fg.external_captures, *[v.outputs[0] for v in variables],
                   name=name or "If", control_inputs=controls,
                   then_branch=then_fg, else_branch=else_fg,
                   n_then=len(then_fg.captures), n_else=len(else_fg.captures),
                   Tout=[t.dtype for t in then_fg.outputs], output_shapes=shapes)
    if isinstance(out, Tensor):
        return [out]
    return list(out or ())


def _unpack_if_singleton(res):
    if isinstance(res, (list, tuple)) and len(res) == 1:
        return res[0]
    return res


def _branch_result(fn, fn_name, pred):
    """What a branch returns, as tensors; an Operation stands as `pred` (the branch's value
    of it: True in the true branch) run after the operation, as TF 1.x's pivot does."""
    from flowexec.ops import constant_op

    res = fn()
    if res is None:
        raise ValueError(f"'{fn_name}' must have a return value.")

    def convert(v):
        if isinstance(v, Operation):
            with function_mod.graph_mod.get_default_graph().control_dependencies([v]):
                return constant_op.identity(pred)
        return v if isinstance(v, Tensor) else convert_to_tensor(v)
    return nest.map_structure(convert, res)


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """Returns `true_fn()` if `pred` is true else `false_fn()`; only that branch runs.

    Args:
        pred: a scalar bool Tensor (a Python bool is a TypeError).
        true_fn, false_fn: callables returning the same structure of tensors (same dtypes).
            A branch may return an Operation (`tf.no_op()`, `assign(...).op`): as in TF 1.x,
            the result is then a bool tensor (the value of `pred`) that runs the operation.
        strict: keep singleton lists/tuples as they are (else they are unpacked).
        name: name scope of the op (default "cond").
        fn1, fn2: deprecated names of `true_fn`, `false_fn`.

    Returns:
        The taken branch's result, with the structure both branches return.

    Raises:
        TypeError: a Python bool `pred`, non-callable branches, or both `fn1` and `true_fn`.
        ValueError: branches returning different structures or dtypes, or None
            ("'true_fn' must have a return value.").

    Example:
        >>> y = cond(x > 0, lambda: x * 2.0, lambda: -x)
    """
    if fn1 is not None:
        if true_fn is not None:
            raise TypeError("cond(): true_fn and fn1 may not be set simultaneously.")
        true_fn = fn1
    if fn2 is not None:
        if false_fn is not None:
            raise TypeError("cond(): false_fn and fn2 may not be set simultaneously.")
        false_fn = fn2
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    if isinstance(pred, bool):
        raise TypeError("pred must not be a Python bool")
    with name_scope(name, "cond", [pred]) as scope:
        pred = convert_to_tensor(pred, name="pred")
        if pred.dtype.base_dtype is not dtypes.bool:
            raise TypeError(f"pred must be a Tensor of type bool, got {pred.dtype.name}")
        if pred.shape.ndims not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {pred.shape.ndims} for "
                             f"'{scope}If' (op: 'If') with input shapes: {pred.shape}.")
        then_fg = function_mod.trace(lambda: _branch_result(true_fn, "true_fn", pred), [],
                                     "true_branch")
        else_fg = function_mod.trace(lambda: _branch_result(false_fn, "false_fn", pred), [],
                                     "false_branch")
        res_t, res_f = then_fg.structured_outputs, else_fg.structured_outputs
        if not strict:
            res_t, res_f = _unpack_if_singleton(res_t), _unpack_if_singleton(res_f)
        nest.assert_same_structure(res_t, res_f)
        if not nest.flatten(res_t):
            raise ValueError("true_fn and false_fn must return at least one result.")
        for a, b in zip(then_fg.outputs, else_fg.outputs):
            if a.dtype.base_dtype is not b.dtype.base_dtype:
                raise ValueError("Outputs of true_fn and false_fn must have the same type: "
                                 f"{a.dtype.name}, {b.dtype.name}")
        outs = if_op(pred, then_fg, else_fg, name="If")
        return nest.pack_sequence_as(res_t, outs)


def _case_pairs(pred_fn_pairs):
    if isinstance(pred_fn_pairs, dict):
        pairs = list(pred_fn_pairs.items())
    elif isinstance(pred_fn_pairs, (list, tuple)):
        pairs = list(pred_fn_pairs)
    else:
        raise TypeError("fns must be a list, tuple, or dict")
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError("Each entry in pred_fn_pairs must be a 2-tuple")
        pred, fn = pair
        if not isinstance(pred, Tensor) or pred.dtype.base_dtype is not dtypes.bool:
            raise TypeError(f"pred must be Tensor of type bool: {getattr(pred, 'name', pred)}")
        if not callable(fn):
            raise TypeError(f"fn for pred {pred.name} must be callable.")
    return pairs


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The result of the first `fn` whose `pred` is true, else of `default`.

    Args:
        pred_fn_pairs: a list of (bool Tensor, callable) pairs, or a dict of them.
        default: the callable when no predicate holds; None: the last pair's callable is
            the default (its predicate is not evaluated).
        exclusive: check at run time that at most one predicate is true
            (InvalidArgumentError otherwise).
        strict: as in `cond`.
        name: name scope.

    Returns:
        The chosen callable's result.

    Raises:
        TypeError: malformed pairs, non-bool predicates, non-callables.
        ValueError: no pairs and no default.
        InvalidArgumentError (at run time): `exclusive` and more than one true predicate.
    """
    from flowexec.ops import array_ops, constant_op, logging_ops, math_ops

    pairs = _case_pairs(pred_fn_pairs)
    if default is not None and not callable(default):
        raise TypeError("default must be callable.")
    if not pairs and default is None:
        raise ValueError("No predicates to evaluate and no default provided.")
    with name_scope(name, "case", [p for p, _ in pairs]):
        if not pairs:
            return default()
        if default is None:
            default = pairs[-1][1]
            checked = pairs[:-1]
        else:
            checked = pairs
        preds = [p for p, _ in pairs]

        def chain(i):
            if i == len(checked):
                return default()
            pred, fn = checked[i]
            return cond(pred, fn, lambda: chain(i + 1), strict=strict, name=f"If_{i}")

        if not exclusive:
            return chain(0)
        stacked = array_ops.stack(preds, name="preds_c")
        count = math_ops.reduce_sum(math_ops.cast(stacked, dtypes.int32), name="num_true")
        check = logging_ops.Assert(
            math_ops.less_equal(count, 1),
            [f"Input error: exclusive=True: more than 1 conditions "
             f"({', '.join(p.name for p in preds)}) evaluated as True:", stacked],
            name="Assert")
        with function_mod.graph_mod.get_default_graph().control_dependencies([check]):
            return nest.map_structure(constant_op.identity, chain(0))

__all__ = ["case", "cond"]
