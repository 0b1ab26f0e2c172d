"""Variable state: VariableV2, Assign, AssignAdd, AssignSub, IsVariableInitialized, CountUpTo,
VariableValueOrInitial (`Variable.initialized_value()`), and the
fused optimizer updates ApplyGradientDescent, ApplyMomentum, ApplyAdam, ApplyRMSProp,
ApplyCenteredRMSProp and ApplyAdagrad.

State lives in the Session, not in the graph: a kernel declared `needs_ctx=True` sees
`ctx.state`, the Session's dict, where a variable's value is stored at
`("var", <VariableV2 op name>)`. Two sessions on one graph therefore hold separate values.

Invariants:
    * A stored array is owned by the state and never aliases a kernel input: Assign stores
      a copy cast to the variable's dtype.
    * Stored arrays are never written in place. Every update computes a fresh array and
      swaps it in, so all readers of one `VariableV2` execution within a step (the forward
      pass, gradient ops, a fetched loss) see the same pre-update value however the
      scheduler interleaves them with the update. Updates write into freshly allocated
      arrays with `out=`, which keeps temporaries few.
    * An update reads the current value from the state when it runs (not the value its
      input edge carried), so two updates of one variable in one step both take effect,
      as with TF's ref variables.
    * Every update (Assign, AssignAdd, AssignSub, each Apply op) holds its variables'
      locks around its read-modify-swap, whatever `use_locking` says. TF writes in place,
      so an unlocked race there mixes two updates; here the swap would lose a whole update
      (8 threads x 1000 `assign_add(v, 1)` ended near 11000 of 16000). `use_locking` is
      accepted for TF compatibility only. The locks live in the state, one per
      (session, variable), created on first use.

Graph structure: TF feeds a variable's *ref* into Assign and IsVariableInitialized; the
executor here evaluates every data input, and reading an uninitialized variable fails, so
these two ops, CountUpTo and VariableValueOrInitial take no variable input. They name their
variable in the `var_name` attribute and are colocated with it. AssignAdd/AssignSub and the
Apply ops need an initialized variable and do take its tensor (and their slots') as inputs:
this orders them after the variable's read in the step and makes the read fail first, naming
the variable.

None of these ops is differentiable; gradients with respect to a variable are taken with
respect to its tensor and flow back through its reads.
"""

import contextlib
import threading

from flowexec.framework import dtypes, errors, resources
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import get_default_graph
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape, as_shape, unknown_shape
from flowexec.ops import shape_fns

_LOCKS_GUARD = threading.Lock()

# TF takes the variable's ref as input 0 where flowexec names the variable (module docstring).
_REF_VALUE_FORM = NodeDefForm(ref_attr="var_name", var_attrs={"dtype": "dtype", "shape": "shape"})
_REF_INPUT_FORM = NodeDefForm(ref_attr="var_name", ref_is_input=True)
_APPLY_FORM = NodeDefForm(ref_attr="var_names", ref_is_input=True)


@contextlib.contextmanager
def colocate(op):
    """TF's `colocate_with` for ops that must live with a variable: ops created inside join
    `op`'s colocation group and take its device, whatever device scope encloses them."""
    graph = op.graph
    with graph.colocate_with(op), graph.device(None), graph.device(op.device or None):
        yield


def _key(name):
    return ("var", name)


def _lock(ctx, name):
    """The per-variable lock of this session's state (created on first use)."""
    key = ("var_lock", name)
    lock = ctx.state.get(key)
    if lock is None:
        with _LOCKS_GUARD:
            lock = ctx.state.setdefault(key, threading.Lock())
    return lock


def _uninitialized(name):
    return errors.FailedPreconditionError(
        None, None, f"Attempting to use uninitialized value {resources.display_name(name)}")


def _current(ctx, name):
    value = ctx.state.get(_key(name))
    if value is None:
        raise _uninitialized(name)
    return value


def _merge_error(op, a, b, var_shape):
    """TF's message for two shapes that must be equal, naming the op and both shapes."""
    shapes = f"{var_shape.proto_str()}, {', '.join(t.shape.proto_str() for t in op.inputs)}"
    if a.ndims != b.ndims:
        detail = f"Shapes must be equal rank, but are {a.ndims} and {b.ndims}"
    else:
        i = next(i for i, (x, y) in enumerate(zip(a.as_list(), b.as_list()))
                 if x is not None and y is not None and x != y)
        detail = (f"Dimension {i} in both shapes must be equal, but are {a.as_list()[i]} and "
                  f"{b.as_list()[i]}. Shapes are {a.proto_str()} and {b.proto_str()}.")
    return ValueError(f"{detail} for '{op.name}' (op: '{op.type}') with input shapes: "
                      f"{shapes}.")


# ----- VariableV2 ----------------------------------------------------------------------------
def _variable_infer(op):
    return [(op.attrs["dtype"], op.attrs["shape"])]


@defop("VariableV2", infer=_variable_infer, stateful=True, needs_ctx=True, ref_output=True)
def _variable_v2(ctx, xp, *, container=""):
    name = resources.qualified(container, ctx.op.name) if container else ctx.op.name
    value = ctx.state.get(_key(name))   # a variable of a container: resources.py
    if value is None:
        raise _uninitialized(ctx.op.name)
    return value


_variable_v2.not_differentiable()


def variable_op_v2(shape, dtype, name="Variable", container="", shared_name=""):
    """Adds a VariableV2 op: a tensor whose value lives in each Session's state.

    Prefer `tf.Variable` or `tf.get_variable`, which also add the initializer and read ops.

    Args:
        shape: the variable's static shape (unknown dimensions allowed).
        dtype: its element type.
        name: op name.
        container: its resource container (`tf.container`; flowexec/framework/resources.py).
        shared_name: accepted for TF compatibility; the variable is named by `name`.

    Returns:
        The variable's Tensor; evaluating it before an Assign raises FailedPreconditionError.

    Example:
        >>> v = variable_op_v2([2], float32, name="v")
        >>> print(v)
        Tensor("v:0", shape=(2,), dtype=float32)
    """
    return apply_op("VariableV2", name=name or "Variable", shape=as_shape(shape),
                    dtype=dtypes.as_dtype(dtype), container=container, shared_name=shared_name)


# ----- helpers shared by the public wrappers -------------------------------------------------
def _variable_op(ref, what):
    """The VariableV2 Operation behind a Variable or a variable's tensor."""
    op = getattr(ref, "op", None)
    if op is None or getattr(op, "type", None) != "VariableV2":
        raise TypeError(f"'{what}' needs a variable (tf.Variable or the tensor of a VariableV2 "
                        f"op) as 'ref', got {ref!r}")
    default = get_default_graph()
    if default.building_function and op.graph is not default:
        # Inside a function graph (a cond branch, a loop body, a tf.data function) the
        # update goes into the function, on its mirror of the variable.
        return default.capture(op.outputs[0]).op
    return op


def _convert_value(value, var_op, op_type):
    """`value` as a Tensor of the variable's dtype in the variable's graph (TF's messages)."""
    dtype = var_op.outputs[0].dtype
    if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
        value = convert_to_tensor(value) if not isinstance(value, Tensor) else value
        if value.dtype is not dtype:
            raise TypeError(
                f"Input 'value' of '{op_type}' Op has type {value.dtype.name} that does not "
                f"match type {dtype.name}_ref of argument 'ref'.")
        if value.graph is not var_op.graph and var_op.graph.building_function:
            value = var_op.graph.capture(value)
        if value.graph is not var_op.graph:
            raise ValueError(f"{value} must be from the same graph as {var_op.outputs[0]}.")
        return value
    with var_op.graph.as_default():
        return convert_to_tensor(value, dtype=dtype)


# ----- Assign --------------------------------------------------------------------------------
def _assign_infer(op):
    value = op.inputs[0]
    var_shape = op.attrs["shape"]
    if value.dtype is not op.attrs["dtype"]:
        raise TypeError(
            f"Input 'value' of 'Assign' Op has type {value.dtype.name} that does not match "
            f"type {op.attrs['dtype'].name}_ref of argument 'ref'.")
    if not op.attrs["validate_shape"]:
        return [(value.dtype, value.shape)]
    if not var_shape.is_compatible_with(value.shape):
        raise _merge_error(op, var_shape, value.shape, var_shape)
    return [(value.dtype, var_shape.merge_with(value.shape))]


@defop("Assign", infer=_assign_infer, stateful=True, needs_ctx=True, node_def=_REF_VALUE_FORM)
def _assign(ctx, xp, value, *, var_name, dtype, shape, validate_shape=True, use_locking=True):
    with _lock(ctx, var_name):
        if validate_shape:
            old = ctx.state.get(_key(var_name))
            if old is not None:
                want = tuple(old.shape)
                ok = want == tuple(value.shape)
            else:
                want = shape.as_list() if shape.ndims is not None else None
                ok = shape.is_compatible_with(value.shape)
            if not ok:
                lhs = TensorShape(want).proto_str()
                raise errors.InvalidArgumentError(
                    None, None, "Assign requires shapes of both tensors to match. lhs shape= "
                    f"{lhs} rhs shape= {TensorShape(value.shape).proto_str()}")
        new = xp.array(value, dtype=dtype.np, copy=True)
        ctx.state[_key(var_name)] = new
    return new


_assign.not_differentiable()


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    """Stores `value` in the variable `ref`; returns the new value.

    Args:
        ref: a `tf.Variable` (or the tensor of its VariableV2 op).
        value: a Tensor or Python/numpy value, converted to the variable's dtype.
        validate_shape: require `value`'s shape to equal the variable's (default True);
            False lets the assignment change the variable's shape.
        use_locking: accepted for TF compatibility; every update of a variable is atomic.
        name: op name (default "Assign").

    Returns:
        A Tensor that holds the new value once the assignment has run.

    Raises:
        TypeError: `ref` is not a variable or `value` has another dtype.
        ValueError: the shapes are incompatible (with validate_shape).

    Example:
        >>> v = tf.Variable([1.0, 2.0])
        >>> op = tf.assign(v, [3.0, 4.0])
        >>> sess.run(op)
        array([3., 4.], dtype=float32)
    """
    var_op = _variable_op(ref, "Assign")
    value = _convert_value(value, var_op, "Assign")
    var = var_op.outputs[0]
    graph = var_op.graph
    with graph.as_default(), colocate(var_op):
        return apply_op("Assign", value, name=name or "Assign", var_name=var_op.name,
                        dtype=var.dtype, shape=var.shape,
                        validate_shape=True if validate_shape is None else bool(validate_shape),
                        use_locking=True if use_locking is None else bool(use_locking))


# ----- AssignAdd / AssignSub -----------------------------------------------------------------
def _update_infer(op):
    ref, value = op.inputs
    if value.dtype is not ref.dtype:
        raise TypeError(
            f"Input 'value' of '{op.type}' Op has type {value.dtype.name} that does not match "
            f"type {ref.dtype.name}_ref of argument 'ref'.")
    shape_fns.check_dtype_in(op, shape_fns.NUMERIC)
    if not ref.shape.is_compatible_with(value.shape):
        raise _merge_error(op, ref.shape, value.shape, ref.shape)
    return [(ref.dtype, ref.shape.merge_with(value.shape))]


def _update(ctx, xp, value, var_name, ufunc):
    with _lock(ctx, var_name):
        old = _current(ctx, var_name)
        if tuple(old.shape) != tuple(value.shape):
            raise errors.InvalidArgumentError(
                None, None, "Parameters and update must be the same size: "
                f"{TensorShape(old.shape).proto_str()} vs "
                f"{TensorShape(value.shape).proto_str()}")
        new = xp.empty_like(old)
        ufunc(old, value, out=new)
        ctx.state[_key(var_name)] = new
    return new


@defop("AssignAdd", infer=_update_infer, stateful=True, needs_ctx=True,
       node_def=_REF_INPUT_FORM)
def _assign_add(ctx, xp, ref, value, *, var_name, use_locking=False):
    return _update(ctx, xp, value, var_name, xp.add)


_assign_add.not_differentiable()


@defop("AssignSub", infer=_update_infer, stateful=True, needs_ctx=True,
       node_def=_REF_INPUT_FORM)
def _assign_sub(ctx, xp, ref, value, *, var_name, use_locking=False):
    return _update(ctx, xp, value, var_name, xp.subtract)


_assign_sub.not_differentiable()


def _assign_update(op_type, ref, value, use_locking, name):
    var_op = _variable_op(ref, op_type)
    value = _convert_value(value, var_op, op_type)
    graph = var_op.graph
    with graph.as_default(), colocate(var_op):
        return apply_op(op_type, var_op.outputs[0], value, name=name or op_type,
                        var_name=var_op.name, use_locking=bool(use_locking))


def assign_add(ref, value, use_locking=None, name=None):
    """Adds `value` to the variable `ref`; returns the new value.

    Args:
        ref: a `tf.Variable` (or the tensor of its VariableV2 op); must be initialized.
        value: a Tensor or value of the variable's dtype and shape.
        use_locking: accepted for TF compatibility; every update of a variable is atomic.
        name: op name (default "AssignAdd").

    Example:
        >>> step = tf.Variable(0)
        >>> inc = tf.assign_add(step, 1)
        >>> sess.run(inc)
        1
    """
    return _assign_update("AssignAdd", ref, value, use_locking, name)


def assign_sub(ref, value, use_locking=None, name=None):
    """Subtracts `value` from the variable `ref`; returns the new value.

    Example:
        >>> v = tf.Variable(5.0)
        >>> sess.run(tf.assign_sub(v, 2.0))
        3.0
    """
    return _assign_update("AssignSub", ref, value, use_locking, name)


# ----- IsVariableInitialized -----------------------------------------------------------------
@defop("IsVariableInitialized", infer=lambda op: [(dtypes.bool, TensorShape(()))],
       stateful=True, needs_ctx=True,
       node_def=NodeDefForm(ref_attr="var_name"))
def _is_variable_initialized(ctx, xp, *, var_name):
    return xp.asarray(_key(var_name) in ctx.state)


_is_variable_initialized.not_differentiable()


def is_variable_initialized(ref, name=None):
    """A scalar bool tensor: whether the variable has been assigned in this session.

    Example:
        >>> v = tf.Variable(1.0)
        >>> sess.run(tf.is_variable_initialized(v))
        False
    """
    var_op = _variable_op(ref, "IsVariableInitialized")
    graph = var_op.graph
    with graph.as_default(), colocate(var_op):
        return apply_op("IsVariableInitialized", name=name or "IsVariableInitialized",
                        var_name=var_op.name, dtype=var_op.outputs[0].dtype)


# ----- CountUpTo -----------------------------------------------------------------------------
def _count_up_to_infer(op):
    dtype, shape = op.attrs["dtype"], op.attrs["shape"]
    if dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'ref' has DataType {dtype.name} not in "
                        "list of allowed values: int32, int64")
    if shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {shape.ndims} for '{op.name}' "
                         f"(op: 'CountUpTo') with input shapes: {shape.proto_str()}.")
    return [(dtype, TensorShape(()))]


@defop("CountUpTo", infer=_count_up_to_infer, stateful=True, needs_ctx=True,
       node_def=_REF_VALUE_FORM)
def _count_up_to(ctx, xp, *, var_name, limit, dtype, shape):
    with _lock(ctx, var_name):
        old = _current(ctx, var_name)
        if old >= limit:
            raise errors.OutOfRangeError(None, None, f"Reached limit of {limit}")
        ctx.state[_key(var_name)] = old + xp.ones((), dtype=old.dtype)
    return old


_count_up_to.not_differentiable()


def count_up_to(ref, limit, name=None):
    """Increments the scalar integer variable `ref` until it reaches `limit`.

    Args:
        ref: an int32 or int64 scalar `tf.Variable` (or its VariableV2 tensor).
        limit: a Python int; the run that finds the variable at `limit` fails.
        name: op name (default "CountUpTo").

    Returns:
        A Tensor holding the variable's value before the increment.

    Raises:
        TypeError: the variable is not int32 or int64.
        ValueError: the variable is not a scalar.
        OutOfRangeError: (at run time) the variable already equals `limit`.

    Example:
        >>> v = tf.Variable(0)
        >>> c = tf.count_up_to(v, 2)
        >>> sess.run(c), sess.run(c)
        (0, 1)
    """
    var_op = _variable_op(ref, "CountUpTo")
    var = var_op.outputs[0]
    with var_op.graph.as_default(), colocate(var_op):
        return apply_op("CountUpTo", name=name or "CountUpTo", var_name=var_op.name,
                        limit=int(limit), dtype=var.dtype, shape=var.shape)


# ----- VariableValueOrInitial ----------------------------------------------------------------
def _value_or_initial_infer(op):
    initial = op.inputs[0]
    if initial.dtype is not op.attrs["dtype"]:
        raise TypeError(
            f"Input 'initial_value' of '{op.type}' Op has type {initial.dtype.name} that does "
            f"not match type {op.attrs['dtype'].name} of the variable.")
    shape = op.attrs["shape"]  # unknown for a variable made with validate_shape=False
    if not shape.is_compatible_with(initial.shape):
        return [(initial.dtype, unknown_shape())]
    return [(initial.dtype, shape.merge_with(initial.shape))]


@defop("VariableValueOrInitial", infer=_value_or_initial_infer, stateful=True, needs_ctx=True,
       node_def=NodeDefForm(flowexec_only=True, reason=(
           "TF 1.x builds Variable.initialized_value() from a v1 cond (Switch/Merge)")))
def _variable_value_or_initial(ctx, xp, initial_value, *, var_name, dtype, shape):
    value = ctx.state.get(_key(var_name))
    return initial_value if value is None else value


_variable_value_or_initial.not_differentiable()


def variable_value_or_initial(ref, initial_value, name=None):
    """The variable's value where it is initialized, else `initial_value` (both evaluated
    when this op runs): TF1's `Variable.initialized_value()` without a cond.

    The result is the same whichever of this op and the variable's initializer runs first
    in one step, as both see the step's single evaluation of `initial_value`.

    Example:
        >>> w = tf.Variable(tf.random_normal([3]))
        >>> v = tf.Variable(variable_value_or_initial(w, w.initial_value))
    """
    var_op = _variable_op(ref, "VariableValueOrInitial")
    var = var_op.outputs[0]
    with var_op.graph.as_default(), colocate(var_op):
        return apply_op("VariableValueOrInitial", initial_value,
                        name=name or "initialized_value", var_name=var_op.name,
                        dtype=var.dtype, shape=var.shape)


# ----- fused optimizer updates ---------------------------------------------------------------
def _apply_infer(n_state, grad_name="grad"):
    """Inference for Apply ops: the first `n_state` inputs are variables of one shape, the
    input named `grad_name` has that shape too, every other input is a scalar."""
    def infer(op):
        names = op.op_def.input_names
        var = op.inputs[0]
        shape_fns.check_dtype_in(op, shape_fns.FLOATS)
        for i, t in enumerate(op.inputs[1:], 1):
            if t.dtype is not var.dtype:
                raise TypeError(
                    f"Input '{names[i]}' of '{op.type}' Op has type {t.dtype.name} that does "
                    f"not match type {var.dtype.name} of argument '{names[0]}'.")
        shape = var.shape
        g = names.index(grad_name)
        for i, t in enumerate(op.inputs):
            if i < n_state or i == g:
                if not shape.is_compatible_with(t.shape):
                    raise shape_fns.shape_error(
                        op, f"Shapes must be equal: {names[0]} {shape.proto_str()} and "
                        f"{names[i]} {t.shape.proto_str()}")
                shape = shape.merge_with(t.shape)
            elif t.shape.ndims not in (None, 0):
                raise shape_fns.shape_error(
                    op, f"Shape must be rank 0 but is rank {t.shape.ndims} for input "
                    f"'{names[i]}'")
        return [(var.dtype, shape)]
    return infer


def _check_grad(old, grad, what="delta"):
    if tuple(old.shape) != tuple(grad.shape):
        raise errors.InvalidArgumentError(
            None, None, f"var and {what} do not have the same shape"
            f"{TensorShape(old.shape).proto_str()} {TensorShape(grad.shape).proto_str()}")


def _locked(ctx, names):
    """Holds the locks of all `names` (an update and its slots) for one read-modify-swap."""
    if len(names) == 1:
        return _lock(ctx, names[0])  # the common case (plain SGD, assigns): no ExitStack
    stack = contextlib.ExitStack()
    for n in sorted(set(names)):  # a fixed order: no deadlock between two updates
        stack.enter_context(_lock(ctx, n))
    return stack


def _fused_update(ctx, var_names, grad, update, what="grad"):
    """The frame of every Apply kernel: under the variables' locks, reads the variable and
    its slots (named by `var_names`, the variable first), checks `grad`'s shape, and swaps in
    the fresh arrays `update(*current values)` returns (None keeps a slot). Returns the new
    value of the variable."""
    with _locked(ctx, var_names):
        olds = [_current(ctx, n) for n in var_names]
        _check_grad(olds[0], grad, what)
        news = update(*olds)
        for n, new in zip(var_names, news):
            if new is not None:
                ctx.state[_key(n)] = new
    return news[0]


def _moving_average(xp, old, target, one_minus_decay):
    """`old + (target - old) * (1 - decay)`, as a fresh array (TF's slot averages)."""
    new = xp.empty_like(old)
    xp.subtract(target, old, out=new)
    xp.multiply(new, one_minus_decay, out=new)
    xp.add(new, old, out=new)
    return new


def _minus(xp, old, step):
    """`old - step` as a fresh array (the variable's new value)."""
    new = xp.empty_like(old)
    xp.subtract(old, step, out=new)
    return new


@defop("ApplyGradientDescent", infer=_apply_infer(1, "delta"), stateful=True,
       needs_ctx=True, node_def=_APPLY_FORM)
def _apply_gradient_descent(ctx, xp, var, alpha, delta, *, var_names, use_locking=False):
    def update(old):
        new = xp.empty_like(old)
        xp.multiply(delta, alpha, out=new)
        xp.subtract(old, new, out=new)
        return (new,)
    return _fused_update(ctx, var_names, delta, update, "delta")


_apply_gradient_descent.not_differentiable()


@defop("ApplyMomentum", infer=_apply_infer(2), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_momentum(ctx, xp, var, accum, lr, grad, momentum, *, var_names, use_locking=False,
                    use_nesterov=False):
    # TF: accum = accum * momentum + grad;
    #     var -= lr * accum, or with Nesterov var -= grad * lr + accum * momentum * lr.
    def update(old, acc):
        new_acc = xp.empty_like(acc)
        xp.multiply(acc, momentum, out=new_acc)
        xp.add(new_acc, grad, out=new_acc)
        new = xp.empty_like(old)
        if use_nesterov:
            xp.multiply(new_acc, momentum, out=new)
            xp.add(new, grad, out=new)
            xp.multiply(new, lr, out=new)
        else:
            xp.multiply(new_acc, lr, out=new)
        xp.subtract(old, new, out=new)
        return new, new_acc
    return _fused_update(ctx, var_names, grad, update)


_apply_momentum.not_differentiable()


@defop("ApplyAdam", infer=_apply_infer(3), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_adam(ctx, xp, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad,
                *, var_names, use_locking=False, use_nesterov=False):
    # TF: alpha = lr * sqrt(1 - beta2_power) / (1 - beta1_power)
    #     m += (g - m) * (1 - beta1);  v += (g^2 - v) * (1 - beta2)
    #     var -= alpha * m / (sqrt(v) + epsilon)
    #     (Nesterov: var -= alpha * (g * (1 - beta1) + beta1 * m) / (sqrt(v) + epsilon))
    def update(old, m_old, v_old):
        one = xp.ones((), dtype=old.dtype)
        alpha = lr * xp.sqrt(one - beta2_power) / (one - beta1_power)
        m_new = _moving_average(xp, m_old, grad, one - beta1)
        v_new = _moving_average(xp, v_old, grad * grad, one - beta2)
        if use_nesterov:
            step = xp.multiply(grad, one - beta1)
            step += beta1 * m_new
            step *= alpha
        else:
            step = xp.multiply(m_new, alpha)
        denom = xp.sqrt(v_new)
        denom += epsilon
        step /= denom
        return _minus(xp, old, step), m_new, v_new
    return _fused_update(ctx, var_names, grad, update)


_apply_adam.not_differentiable()


def _rms_step(xp, old, mom_old, ms_new, mg_new, lr, momentum, epsilon, grad):
    """RMSProp's momentum and variable: `mom = mom * momentum + lr * g / sqrt(ms [- mg^2] +
    epsilon); var -= mom` (mg_new is None when not centered), as fresh arrays."""
    denom = ms_new if mg_new is None else ms_new - mg_new * mg_new
    denom = denom + epsilon
    xp.sqrt(denom, out=denom)
    mom_new = xp.empty_like(mom_old)
    xp.multiply(grad, lr, out=mom_new)
    xp.divide(mom_new, denom, out=mom_new)
    mom_new += mom_old * momentum
    return _minus(xp, old, mom_new), mom_new


@defop("ApplyRMSProp", infer=_apply_infer(3), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_rms_prop(ctx, xp, var, ms, mom, lr, rho, momentum, epsilon, grad, *, var_names,
                    use_locking=False):
    # TF: ms += (g^2 - ms) * (1 - rho); mom = mom * momentum + lr * g / sqrt(ms + epsilon);
    #     var -= mom
    def update(old, ms_old, mom_old):
        ms_new = _moving_average(xp, ms_old, grad * grad, xp.ones((), dtype=old.dtype) - rho)
        new, mom_new = _rms_step(xp, old, mom_old, ms_new, None, lr, momentum, epsilon, grad)
        return new, ms_new, mom_new
    return _fused_update(ctx, var_names, grad, update)


_apply_rms_prop.not_differentiable()


@defop("ApplyCenteredRMSProp", infer=_apply_infer(4), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_centered_rms_prop(ctx, xp, var, mg, ms, mom, lr, rho, momentum, epsilon, grad, *,
                             var_names, use_locking=False):
    # TF: ms += (g^2 - ms) * (1 - rho); mg += (g - mg) * (1 - rho);
    #     mom = mom * momentum + lr * g / sqrt(ms - mg^2 + epsilon); var -= mom
    def update(old, mg_old, ms_old, mom_old):
        one_minus_rho = xp.ones((), dtype=old.dtype) - rho
        ms_new = _moving_average(xp, ms_old, grad * grad, one_minus_rho)
        mg_new = _moving_average(xp, mg_old, grad, one_minus_rho)
        new, mom_new = _rms_step(xp, old, mom_old, ms_new, mg_new, lr, momentum, epsilon, grad)
        return new, mg_new, ms_new, mom_new
    return _fused_update(ctx, var_names, grad, update)


_apply_centered_rms_prop.not_differentiable()


@defop("ApplyAdagrad", infer=_apply_infer(2), stateful=True, needs_ctx=True,
       node_def=_APPLY_FORM)
def _apply_adagrad(ctx, xp, var, accum, lr, grad, *, var_names, use_locking=False,
                   update_slots=True):
    # TF: accum += g^2 (when update_slots); var -= lr * g / sqrt(accum)
    def update(old, acc):
        new_acc = acc + grad * grad if update_slots else acc
        step = xp.sqrt(new_acc)
        xp.divide(grad, step, out=step)
        xp.multiply(step, lr, out=step)
        return _minus(xp, old, step), new_acc if update_slots else None
    return _fused_update(ctx, var_names, grad, update)


_apply_adagrad.not_differentiable()


def _apply(op_type, refs, scalars, grad, name, use_locking, **attrs):
    """Adds a fused update op for variables `refs` (the variable first, then its slots)."""
    var_ops = [_variable_op(r, op_type) for r in refs]
    var_op = var_ops[0]
    graph = var_op.graph
    with graph.as_default(), colocate(var_op):
        dtype = var_op.outputs[0].dtype
        scalars = [convert_to_tensor(s, dtype=dtype) if not isinstance(s, Tensor) else s
                   for s in scalars]
        grad = convert_to_tensor(grad, dtype=dtype) if not isinstance(grad, Tensor) else grad
        return apply_op(op_type, *[o.outputs[0] for o in var_ops], *scalars, grad,
                        name=name or op_type, var_names=tuple(o.name for o in var_ops),
                        use_locking=bool(use_locking), **attrs)


def apply_gradient_descent(var, alpha, delta, use_locking=False, name=None):
    """`var -= alpha * delta`, fused (TF's ApplyGradientDescent); returns the new value.

    Example:
        >>> upd = apply_gradient_descent(v, 0.1, grad)
    """
    return _apply("ApplyGradientDescent", [var], [alpha], delta, name, use_locking)


def apply_momentum(var, accum, lr, grad, momentum, use_locking=False, use_nesterov=False,
                   name=None):
    """TF's ApplyMomentum: `accum = accum * momentum + grad; var -= lr * accum`.

    With `use_nesterov`, `var -= lr * (grad + momentum * accum)` using the new accum.

    Example:
        >>> upd = apply_momentum(v, accum, 0.1, grad, 0.9)
    """
    # ApplyMomentum's inputs are (var, accum, lr, grad, momentum): grad before momentum.
    var_ops = [_variable_op(r, "ApplyMomentum") for r in (var, accum)]
    graph = var_ops[0].graph
    with graph.as_default(), colocate(var_ops[0]):
        dtype = var_ops[0].outputs[0].dtype
        lr, grad, momentum = [x if isinstance(x, Tensor) else convert_to_tensor(x, dtype=dtype)
                              for x in (lr, grad, momentum)]
        return apply_op("ApplyMomentum", *[o.outputs[0] for o in var_ops], lr, grad, momentum,
                        name=name or "ApplyMomentum",
                        var_names=tuple(o.name for o in var_ops),
                        use_locking=bool(use_locking), use_nesterov=bool(use_nesterov))


def apply_adam(var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad,
               use_locking=False, use_nesterov=False, name=None):
    """TF's ApplyAdam, fused: updates `m`, `v` and `var` in one op; returns the new `var`.

    Example:
        >>> upd = apply_adam(w, m, v, b1p, b2p, 0.001, 0.9, 0.999, 1e-8, grad)
    """
    return _apply("ApplyAdam", [var, m, v],
                  [beta1_power, beta2_power, lr, beta1, beta2, epsilon], grad, name,
                  use_locking, use_nesterov=bool(use_nesterov))


def apply_rms_prop(var, ms, mom, lr, rho, momentum, epsilon, grad, use_locking=False,
                   name=None):
    """TF's ApplyRMSProp, fused: updates `ms`, `mom` and `var`; returns the new `var`.

    Example:
        >>> upd = apply_rms_prop(w, ms, mom, 0.01, 0.9, 0.0, 1e-10, grad)
    """
    return _apply("ApplyRMSProp", [var, ms, mom], [lr, rho, momentum, epsilon], grad, name,
                  use_locking)


def apply_centered_rms_prop(var, mg, ms, mom, lr, rho, momentum, epsilon, grad,
                            use_locking=False, name=None):
    """TF's ApplyCenteredRMSProp, fused: updates `mg`, `ms`, `mom` and `var`.

    Example:
        >>> upd = apply_centered_rms_prop(w, mg, ms, mom, 0.01, 0.9, 0.0, 1e-10, grad)
    """
    return _apply("ApplyCenteredRMSProp", [var, mg, ms, mom], [lr, rho, momentum, epsilon],
                  grad, name, use_locking)


def apply_adagrad(var, accum, lr, grad, use_locking=False, update_slots=True, name=None):
    """TF's ApplyAdagrad, fused: `accum += grad^2; var -= lr * grad / sqrt(accum)`.

    Example:
        >>> upd = apply_adagrad(w, accum, 0.1, grad)
    """
    return _apply("ApplyAdagrad", [var, accum], [lr], grad, name, use_locking,
                  update_slots=bool(update_slots))


__all__ = ["assign", "assign_add", "assign_sub", "count_up_to", "is_variable_initialized"]
