"""numerics_ops: CheckNumerics and TF's helpers built on it (`check_numerics`,
`verify_tensor_all_finite`, `add_check_numerics_ops`), and CheckNumericsV2, which tells -Inf
from +Inf (the op `tf.debugging.enable_check_numerics` inserts).

CheckNumerics passes a float tensor through and raises InvalidArgumentError
"<message> : Tensor had NaN values" (or "Inf values", or "Inf and NaN values") when it holds
any; the executor adds the op's name. It is stateful, as in TF, so that no optimization folds
or merges it away. Its gradient checks the incoming gradient too, with TF's message "Not a
number (NaN) or infinity (Inf) values detected in gradient. <message>" (TF 1.x on Python 3
prints the message as a bytes literal, b'...'; the text here is the message itself). The
kernel is written on `xp` and runs on every device; on a GPU the check is one reduction and
one host read of its result.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.errors import InvalidArgumentError
from flowexec.framework.graph import (
    colocate_with,
    control_dependencies,
    get_default_graph,
    name_scope,
)
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.ops import shape_fns
from flowexec.ops.constant_op import group, identity

GRADIENT_MESSAGE = "Not a number (NaN) or infinity (Inf) values detected in gradient. "
# The dtypes `add_check_numerics_ops` checks (TF's list; CheckNumerics takes the same).
_CHECKED = (dtypes.float16, dtypes.float32, dtypes.float64)


def _check_numerics_infer(op):
    shape_fns.check_dtype_in(op, _CHECKED)
    return shape_fns.unchanged(op)


@defop("CheckNumerics", infer=_check_numerics_infer, stateful=True)
def _check_numerics(xp, tensor, *, message):
    if bool(xp.isfinite(tensor).all()):
        return tensor
    nan, inf = bool(xp.isnan(tensor).any()), bool(xp.isinf(tensor).any())
    status = "Inf and NaN" if nan and inf else ("NaN" if nan else "Inf")
    raise InvalidArgumentError(None, None, f"{message} : Tensor had {status} values")


@_check_numerics.gradient
def _check_numerics_grad(op, dy):
    return [check_numerics(dy, GRADIENT_MESSAGE + op.get_attr("message"))]


def _check_numerics_v2_infer(op):
    shape_fns.check_dtype_in(op, _CHECKED + (dtypes.bfloat16,))
    return shape_fns.unchanged(op)


@defop("CheckNumericsV2", infer=_check_numerics_v2_infer, stateful=True)
def _check_numerics_v2(xp, tensor, *, message):
    if bool(xp.isfinite(tensor).all()):
        return tensor
    inf = xp.isinf(tensor)
    found = [s for s, hit in (("-Inf", bool((inf & (tensor < 0)).any())),
                              ("+Inf", bool((inf & (tensor > 0)).any())),
                              ("NaN", bool(xp.isnan(tensor).any()))) if hit]
    status = (", ".join(found[:-1]) + ", and " + found[-1] if len(found) == 3
              else " and ".join(found))
    raise InvalidArgumentError(None, None, f"{message} : Tensor had {status} values")


@_check_numerics_v2.gradient
def _check_numerics_v2_grad(op, dy):
    return [check_numerics_v2(dy, GRADIENT_MESSAGE + op.get_attr("message"))]


def check_numerics_v2(tensor, message, name=None):
    """As `check_numerics`, with TF's CheckNumericsV2: the error tells -Inf from +Inf
    ("<message> : Tensor had -Inf and NaN values", "-Inf, +Inf, and NaN values")."""
    tensor = convert_to_tensor(tensor, name="tensor")
    return apply_op("CheckNumericsV2", tensor, name=name or "CheckNumericsV2",
                    message=str(message))


def check_numerics(tensor, message, name=None):
    """`tensor` unchanged, checked for NaN and Inf values when it is computed.

    Args:
        tensor: a float16, float32 or float64 Tensor.
        message: the start of the error message.
        name: op name (default "CheckNumerics").

    Returns:
        A Tensor equal to `tensor`; its gradient is the incoming gradient, checked likewise.

    Raises:
        TypeError: `tensor` is not of a float dtype.
        InvalidArgumentError: at run time, "<message> : Tensor had NaN values" ("Inf
            values", "Inf and NaN values"), naming the op.

    Example:
        >>> y = check_numerics(log(x), "log(x)")  # running y with x = 0 raises
    """
    tensor = convert_to_tensor(tensor, name="tensor")
    return apply_op("CheckNumerics", tensor, name=name or "CheckNumerics",
                    message=str(message))


def verify_tensor_all_finite(t=None, msg=None, name=None, x=None, message=None):
    """`t` unchanged, run only after a CheckNumerics of it passed (TF1's
    `tf.verify_tensor_all_finite`; `x` and `message` are the TF 2 names of `t` and `msg`).

    Args:
        t: a float Tensor.
        msg: the start of the error message.
        name: name scope (default "VerifyFinite").
        x, message: the same as `t` and `msg` (give one of each pair).

    Returns:
        An Identity of `t` ("<scope>/control_dependency") with a control dependency on the
        check ("<scope>/CheckNumerics").

    Raises:
        ValueError: both or neither of `t` and `x` (or of `msg` and `message`) given.
        TypeError: `t` is not of a float dtype.
        InvalidArgumentError: at run time, as `check_numerics`.

    Example:
        >>> y = verify_tensor_all_finite(logits, "logits")
    """
    x = _one_of("t", t, "x", x)
    message = _one_of("msg", msg, "message", message)
    with name_scope(name, "VerifyFinite", [x] if isinstance(x, Tensor) else []):
        x = convert_to_tensor(x, name="x")
        with colocate_with(x.op):
            verify = check_numerics(x, message=message)
            with name_scope(None, "control_dependency", [x]) as scope, \
                    control_dependencies([verify]):
                return identity(x, name=scope)


def _one_of(old_name, old, new_name, new):
    if (old is None) == (new is None):
        raise ValueError(f"Cannot specify both '{old_name}' and '{new_name}'" if old is not None
                         else f"Must specify one of '{old_name}' and '{new_name}'")
    return new if old is None else old


def add_check_numerics_ops():
    """Adds a CheckNumerics op for every float16/32/64 output of the default graph's ops
    (message "<op name>:<output index>"), each after the previous one, and returns a NoOp
    ("group_deps") that runs them all.

    Outputs that stand for a variable itself (a VariableV2's reference output) are not
    checked, as TF's `float32_ref` dtypes are not; the variable's reads are. Ops added later
    are not covered: call it after building the graph.

    Returns:
        The Operation to run, e.g. `sess.run([train_op, check])`.

    Example:
        >>> check = add_check_numerics_ops()
        >>> sess.run([train_op, check])  # InvalidArgumentError "Log:0 : Tensor had Inf ..."
    """
    graph = get_default_graph()
    check_op = []
    # Creation order puts every producer before its consumers, so the first failing check is
    # the first tensor that went bad.
    for op in graph.get_operations():
        for output in op.outputs:
            if output.dtype not in _CHECKED or (op.op_def.ref_output and output.value_index == 0):
                continue
            with control_dependencies(check_op):
                check_op = [check_numerics(output, message=f"{op.name}:{output.value_index}")]
    return group(*check_op)


__all__ = ["add_check_numerics_ops", "check_numerics", "check_numerics_v2",
           "verify_tensor_all_finite"]
