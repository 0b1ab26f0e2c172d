"""Gradient tools beyond `tf.gradients`: NotDifferentiable/no_gradient, custom_gradient,
grad_pass_through, recompute_grad, hessians, and the AggregationMethod /
UnconnectedGradients enums that `tf.gradients` takes.

`custom_gradient` works as TF 1.x's graph mode does: the function's outputs and inputs pass
through one IdentityN op whose gradient is overridden by the user's `grad_fn`, so nothing
flows back into the function's own ops.
"""

import enum
import inspect
import itertools

from flowexec.framework import nest
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys, get_default_graph, name_scope
from flowexec.framework.registry import NOT_DIFFERENTIABLE, registered_ops
from flowexec.gradients import _GRADIENT_REGISTRY, RegisterGradient, gradients

__all__ = ["AggregationMethod", "NoGradient", "NotDifferentiable", "UnconnectedGradients",
           "custom_gradient", "grad_pass_through", "hessians", "no_gradient", "recompute_grad"]


class AggregationMethod:
    """How `tf.gradients` sums the partial gradients of a tensor (TF's constants).

    flowexec always sums with one AddN, which gives the same values as every method.
    """

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(enum.Enum):
    """What `tf.gradients(..., unconnected_gradients=)` returns for an x that ys do not
    depend on: None (NONE, the default) or zeros shaped like x (ZERO)."""

    NONE = "none"
    ZERO = "zero"


def no_gradient(op_type):
    """Declares that no gradient flows through ops of type `op_type` (gradients() gives None
    for their inputs instead of raising LookupError).

    Also usable as a name for `Graph.gradient_override_map`.

    Raises:
        TypeError: `op_type` is not a string.
        KeyError: `op_type` already has a gradient (TF's duplicate-registration error).

    Example:
        >>> tf.NotDifferentiable("MyRandomOp")
    """
    if not isinstance(op_type, str):
        raise TypeError("op_type must be a string")
    op_def = registered_ops().get(op_type)
    if op_def is not None and op_def.grad_fn not in (None, NOT_DIFFERENTIABLE):
        raise KeyError(f"Registering two gradient with name '{op_type}'! (Previous "
                       f"registration was in {op_def.defined_at})")
    if op_def is not None:
        op_def.not_differentiable()
    elif _GRADIENT_REGISTRY.get(op_type, NOT_DIFFERENTIABLE) is not NOT_DIFFERENTIABLE:
        raise KeyError(f"Registering two gradient with name '{op_type}'!")
    _GRADIENT_REGISTRY[op_type] = NOT_DIFFERENTIABLE


NotDifferentiable = no_gradient
NoGradient = no_gradient

_uid = itertools.count()


def _variables_read_by(ops):
    """The variables (global or local) whose tensors the ops in `ops` consume."""
    graph = get_default_graph()
    consumed = {t for op in ops for t in op.inputs}
    found = []
    for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES) + graph.get_collection(
            GraphKeys.LOCAL_VARIABLES):
        target = v._grad_target() if hasattr(v, "_grad_target") else v
        snapshot = getattr(v, "_snapshot", None)
        if (target in consumed or snapshot in consumed) and v not in found:
            found.append(v)
    return found


def custom_gradient(f=None):
    """Decorator for a function whose gradient you define: `f(*x)` returns `(y, grad_fn)`,
    and `grad_fn(*dy)` returns the gradients for `x` (one per input).

    If `f` reads variables, `grad_fn` must take a `variables` keyword and return
    `(input_grads, variable_grads)`, as in TF.

    Raises:
        TypeError: `f` reads variables and `grad_fn` has no `variables` keyword.
        ValueError: `grad_fn` returns the wrong number of gradients.

    Example:
        >>> @tf.custom_gradient
        ... def log1pexp(x):
        ...     e = tf.exp(x)
        ...     def grad(dy):
        ...         return dy * (1 - 1 / (1 + e))
        ...     return tf.log(1 + e), grad
    """
    if f is None:
        return custom_gradient

    def decorated(*args, **kwargs):
        if kwargs:
            raise ValueError("The custom_gradient decorator currently supports keywords "
                             "arguments only when eager execution is enabled.")
        graph = get_default_graph()
        args = [convert_to_tensor(x) for x in args]
        before = len(graph.get_operations())
        result, grad_fn = f(*args)
        new_ops = graph.get_operations()[before:]
        variables = _variables_read_by(new_ops)
        takes_variables = "variables" in inspect.signature(grad_fn).parameters or any(
            p.kind is p.VAR_KEYWORD for p in inspect.signature(grad_fn).parameters.values())
        if variables and not takes_variables:
            raise TypeError("If using @custom_gradient with a function that uses variables, "
                            "then grad_fn must accept a keyword argument 'variables'.")
        flat_result = [convert_to_tensor(t) for t in nest.flatten(result)]
        var_tensors = [v._grad_target() for v in variables]
        name = f"CustomGradient-{next(_uid)}"

        @RegisterGradient(name)
        def internal_grad_fn(unused_op, *result_grads):
            grads = result_grads[:len(flat_result)]
            if variables:
                input_grads, variable_grads = grad_fn(*grads, variables=variables)
                variable_grads = list(nest.flatten(variable_grads))
                if len(variable_grads) != len(variables):
                    raise ValueError("Must return gradient for each variable from "
                                     "@custom_gradient grad_fn.")
            else:
                input_grads, variable_grads = grad_fn(*grads), []
            input_grads = list(nest.flatten(input_grads))
            if len(input_grads) != len(args):
                raise ValueError(f"custom_gradient function expected to return {len(args)} "
                                 f"gradients but returned {len(input_grads)} instead.")
            return [None] * len(flat_result) + input_grads + variable_grads

        from flowexec.ops.shape_util_ops import identity_n

        with graph.gradient_override_map({"IdentityN": name}):
            outs = identity_n(flat_result + args + var_tensors)
        return nest.pack_sequence_as(result, outs[:len(flat_result)])

    decorated.__name__ = getattr(f, "__name__", "custom_gradient")
    decorated.__doc__ = f.__doc__
    return decorated


def grad_pass_through(f):
    """`f` with the gradient of the identity: the forward value is f(x), the backward pass
    treats f as if it were `y = x` (e.g. to pass gradients through an assignment).

    Example:
        >>> y = tf.grad_pass_through(tf.round)(x)  # dy/dx == 1
    """
    @custom_gradient
    def _grad_pass_through_op(*args):
        def grad(*dys):
            return list(dys) if len(dys) == len(args) else [dys[0]] * len(args)
        return f(*args), grad

    def wrapper(*args, **kwargs):
        if kwargs:
            return f(*args, **kwargs)
        return _grad_pass_through_op(*args)
    return wrapper


def recompute_grad(f):
    """`f`, whose intermediate values are recomputed in the backward pass instead of being
    kept from the forward pass (the gradient is the same as f's own)."""
    @custom_gradient
    def inner(*args):
        result = f(*args)

        def grad(*dresult, variables=None):
            from flowexec.ops.constant_op import identity

            inputs = [identity(a) for a in args]  # fresh copies: the recomputation's inputs
            recomputed = f(*inputs)
            flat = nest.flatten(recomputed)
            targets = list(inputs) + list(v._grad_target() for v in (variables or []))
            gs = gradients(flat, targets, grad_ys=list(dresult))
            if variables:
                return gs[:len(inputs)], gs[len(inputs):]
            return gs
        return result, grad
    return inner


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False,
             gate_gradients=False, aggregation_method=None):
    """The Hessian of sum(ys) with respect to each x: a tensor of shape x.shape + x.shape.

    Each x must have a fully known shape (the second derivatives are taken one element of
    the first gradient at a time).

    Raises:
        ValueError: an x has a shape that is not fully known.

    Example:
        >>> x = tf.constant([1.0, 2.0]); h, = tf.hessians(tf.reduce_sum(x ** 3), x)
        >>> # h == [[6, 0], [0, 12]]
    """
    from flowexec.ops import array_ops

    xs = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    kwargs = {"colocate_gradients_with_ops": colocate_gradients_with_ops,
              "gate_gradients": gate_gradients, "aggregation_method": aggregation_method}
    with name_scope(name):
        out = []
        firsts = gradients(ys, xs, **kwargs)
        for x, g in zip(xs, firsts):
            x_t = convert_to_tensor(x._grad_target() if hasattr(x, "_grad_target") else x)
            if not x_t.shape.is_fully_defined():
                raise ValueError(f"hessians needs a fully defined shape for {x_t.name}; got "
                                 f"{x_t.shape}")
            n = x_t.shape.num_elements()
            if g is None:
                out.append(None)
                continue
            flat = array_ops.reshape(g, [-1])
            rows = []
            for i in range(n):
                second = gradients(flat[i], x_t, **kwargs)[0]
                rows.append(array_ops.zeros_like(x_t) if second is None else second)
            dims = x_t.shape.as_list()
            out.append(array_ops.reshape(array_ops.stack(rows), dims + dims))
        return out
