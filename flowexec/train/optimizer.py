"""`tf.train.Optimizer`: the TF1 base class of the optimizers.

An optimizer turns `(gradient, variable)` pairs into one fused update op per variable
(`_apply_dense`), created under the name scope `<optimizer name>/update_<variable>` and
colocated with the variable, then groups them into one train op named after the optimizer
(`GradientDescent`, `Adam`, ...). With a `global_step`, the train op is an AssignAdd of the
step that runs after every update.

Per-variable state ("slots": momentum accumulators, Adam's m and v) and shared state (Adam's
beta powers) are ordinary non-trainable Variables named as in TF (`w/Momentum`, `w/Adam`,
`w/Adam_1`, `beta1_power`), so `global_variables_initializer()` initializes them and each
Session holds its own values.

Sparse gradients (an `IndexedSlices`, the gradient of `tf.gather`/`embedding_lookup`) go to
`_apply_sparse_duplicate_indices(grad, var)`, which by default sums the rows of repeated
indices (Unique + UnsortedSegmentSum, TF's `_deduplicate_indexed_slices`) and calls
`_apply_sparse(grad, var)`: each optimizer's SparseApply* op, which updates only those rows
(GradientDescent overrides the first and scatter-subtracts the rows as they come; Adam, as
TF 1.x's, decays all of m and v and updates the whole variable).
"""

import abc
import collections.abc

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.framework.indexed_slices import IndexedSlices, convert_to_tensor_or_indexed_slices
from flowexec.framework.tensor import Tensor
from flowexec.ops import constant_op, state_ops
from flowexec.variables import Variable, trainable_variables


def _var_key(var):
    return (var.op.graph, var.op.name)


def cast_to(x, dtype):
    """`x` as a Tensor of `dtype`: unchanged when it already is, else a Cast op."""
    x = convert_to_tensor(x)
    if x.dtype is dtypes.as_dtype(dtype):
        return x
    from flowexec.ops import math_ops

    return math_ops.cast(x, dtype)


class _RefVariableProcessor:
    """How an optimizer updates a Variable."""

    def __init__(self, v):
        self._v = v

    def target(self):
        return self._v._grad_target()

    def update_op(self, optimizer, g):
        if isinstance(g, IndexedSlices):
            if self._v.constraint is not None:
                raise RuntimeError("Cannot use a constraint function on a sparse variable.")
            return optimizer._apply_sparse_duplicate_indices(g, self._v)
        update_op = optimizer._apply_dense(g, self._v)
        if self._v.constraint is not None:
            with update_op.graph.control_dependencies([update_op]):
                return self._v.assign(self._v.constraint(self._v))
        return update_op


def _init_scope_graph():
    """The graph TF's `init_scope` lifts to: the default graph below the functions being
    traced (where variables, slots and shared accumulators live)."""
    graph = graph_mod.get_default_graph()
    while getattr(graph, "building_function", False) and \
            getattr(graph, "outer_graph", None) is not None:
        graph = graph.outer_graph
    return graph


def _updates_graph(var_graph):
    """Where `apply_gradients` builds its updates: the function being traced when the
    default graph is one built on the variables' graph (a `tf.cond` branch, a
    `tf.while_loop` body: the updates run only when the function runs, as in TF's cond
    context; their variables are the function's mirrors), else the variables' graph."""
    default = graph_mod.get_default_graph()
    if default is not var_graph and _init_scope_graph() is var_graph:
        return default
    return var_graph


def _get_processor(v):
    """How the optimizer updates `v`; TF1 raises NotImplementedError for anything but a
    Variable (a Tensor or a resource handle in `var_list`), and so does flowexec."""
    if isinstance(v, Variable):
        return _RefVariableProcessor(v)
    raise NotImplementedError(f"Trying to optimize unsupported type {v!r}")


class Optimizer(abc.ABC):
    """Base class for optimizers: compute gradients, then apply them.

    Subclasses implement `_apply_dense(grad, var)` (returning the update op),
    `_apply_sparse(grad, var)` for IndexedSlices gradients (rows without duplicates), and
    optionally `_create_slots(var_list)`, `_prepare()` and `_finish(update_ops, name_scope)`.

    Args:
        use_locking: accepted for TF compatibility; updates are always atomic.
        name: the optimizer's name, used for its name scope and slot names.

    Raises:
        ValueError: an empty name.

    Example:
        >>> opt = tf.train.GradientDescentOptimizer(0.1)
        >>> grads_and_vars = opt.compute_gradients(loss)
        >>> train_op = opt.apply_gradients(grads_and_vars, global_step=step)
    """

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots = {}            # slot name -> {var key: slot Variable}
        self._non_slot_dict = {}    # (name, graph) -> Variable

    def get_name(self):
        return self._name

    # ----- the public protocol -------------------------------------------------------------
    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        """Adds ops that compute gradients of `loss` and apply them; returns the train op.

        Args:
            loss: a scalar float Tensor to minimize.
            global_step: an optional integer Variable, incremented after the updates.
            var_list: Variables to update (default: TRAINABLE_VARIABLES).
            gate_gradients: GATE_NONE, GATE_OP or GATE_GRAPH (GATE_GRAPH computes every
                gradient before any is applied).
            aggregation_method, colocate_gradients_with_ops: passed to `gradients`.
            name: name of the returned op (default: the optimizer's name).
            grad_loss: optional gradient of `loss` (default: ones).

        Returns:
            The Operation that updates the variables (and global_step).

        Raises:
            ValueError: no variable to optimize, or no variable receives a gradient.

        Example:
            >>> train = tf.train.AdamOptimizer(0.01).minimize(loss)
            >>> for _ in range(100):
            ...     sess.run(train)
        """
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        vars_with_grad = [v for g, v in grads_and_vars if g is not None]
        if not vars_with_grad:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                "support gradients, between variables "
                f"{[str(v) for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """Gradients of `loss` for the variables: a list of `(gradient or None, variable)`.

        Raises:
            ValueError: a bad `gate_gradients`, a non-float loss or variable, or no
                variables.
            NotImplementedError: `var_list` holds something that is not a Variable.
        """
        from flowexec.gradients import gradients

        if callable(loss):
            loss = loss()
        if gate_gradients not in (Optimizer.GATE_NONE, Optimizer.GATE_OP,
                                  Optimizer.GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, "
                             f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH.  Not {gate_gradients}")
        loss = convert_to_tensor(loss)
        self._assert_valid_dtypes([loss])
        if grad_loss is not None:
            self._assert_valid_dtypes([convert_to_tensor(grad_loss)])
        if var_list is None:
            graph = loss.graph   # a function's sees its outer graph's variables, as TF's
            while getattr(graph, "building_function", False) and \
                    getattr(graph, "outer_graph", None) is not None:
                graph = graph.outer_graph
            with graph.as_default():
                var_list = trainable_variables()
        else:
            var_list = _flatten(var_list)
        processors = [_get_processor(v) for v in var_list]
        if not var_list:
            raise ValueError("No variables to optimize.")
        var_refs = [p.target() for p in processors]
        if getattr(loss.graph, "building_function", False):
            # a loss inside a function (a loop body) reads the function's mirrors
            var_refs = [loss.graph.capture(r) if r.graph is not loss.graph else r
                        for r in var_refs]
        grads = gradients(
            loss, var_refs, grad_ys=grad_loss,
            gate_gradients=(gate_gradients == Optimizer.GATE_OP),
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == Optimizer.GATE_GRAPH:
            with loss.graph.as_default():
                grads = _gate(grads)
        grads_and_vars = list(zip(grads, var_list))
        self._assert_valid_dtypes([v for g, v in grads_and_vars if g is not None])
        return grads_and_vars

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """Adds the update ops for `(gradient, variable)` pairs; returns the train op.

        Args:
            grads_and_vars: pairs as returned by `compute_gradients` (None gradients are
                skipped).
            global_step: an optional integer Variable incremented by one after the updates.
            name: name of the returned op (default: the optimizer's name).

        Returns:
            The Operation that runs every update (and increments `global_step`).

        Raises:
            TypeError: a gradient that is not convertible to a Tensor.
            ValueError: no pairs, or no gradient at all.
        """
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted = []
        for g, v in grads_and_vars:
            if g is not None:
                try:
                    g = convert_to_tensor_or_indexed_slices(g)
                except TypeError:
                    raise TypeError("Gradient must be convertible to a Tensor or "
                                    f"IndexedSlices, or None: {g}") from None
                if not isinstance(g, (Tensor, IndexedSlices)):
                    raise TypeError(f"Gradient must be a Tensor, IndexedSlices, or None: {g}")
            converted.append((g, v, _get_processor(v)))
        var_list = [v for g, v, _ in converted if g is not None]
        if not var_list:
            raise ValueError(
                f"No gradients provided for any variable: {[str(v) for _, v, _ in converted]}.")
        var_graph = var_list[0].graph
        with var_graph.as_default(), var_graph.control_dependencies(None):
            self._create_slots(var_list)   # TF's init_scope: slots beside their variables
        graph = _updates_graph(var_graph)
        with graph.as_default():
            update_ops = []
            with graph.name_scope(name or self._name) as scope:
                self._prepare()
                for grad, var, processor in converted:
                    if grad is None:
                        continue
                    with graph.name_scope("update_" + var.op.name), \
                            state_ops.colocate(var.op):
                        update_ops.append(processor.update_op(self, grad))
                if global_step is None:
                    apply_updates = self._finish(update_ops, scope)
                else:
                    finish = self._finish(update_ops, "update")
                    with graph.control_dependencies([finish]), \
                            state_ops.colocate(global_step.op):
                        one = constant_op.constant(1, dtype=global_step.dtype, name="value")
                        apply_updates = state_ops.assign_add(global_step, one, name=scope)
            if isinstance(apply_updates, Tensor):
                apply_updates = apply_updates.op
            train_ops = graph.get_collection_ref(GraphKeys.TRAIN_OP)
            if apply_updates not in train_ops:
                train_ops.append(apply_updates)
            return apply_updates

    def get_slot(self, var, name):
        """The slot Variable `name` ("momentum", "m", ...) created for `var`, or None."""
        named_slots = self._slots.get(name)
        if not named_slots:
            return None
        return named_slots.get(_var_key(var))

    def get_slot_names(self):
        """The names of the slots this optimizer creates, sorted."""
        return sorted(self._slots)

    def variables(self):
        """The optimizer's variables in the default graph (slots and shared state), by
        name."""
        graph = graph_mod.get_default_graph()
        out = [v for v in self._non_slot_dict.values() if v.graph is graph]
        for slots in self._slots.values():
            out.extend(v for v in slots.values() if v.graph is graph)
        return sorted(out, key=lambda v: v.name)

    # ----- for subclasses ------------------------------------------------------------------
    def _create_slots(self, var_list):
        """Creates the slots the update ops need (none by default)."""

    def _prepare(self):
        """Converts hyperparameters to tensors, inside the optimizer's name scope."""

    @abc.abstractmethod
    def _apply_dense(self, grad, var):
        """The op that applies `grad` to `var` (each optimizer's update rule)."""

    def _apply_sparse_duplicate_indices(self, grad, var):
        """Applies an IndexedSlices `grad` that may repeat indices: sums the rows of each
        index, then `_apply_sparse` (TF's default; optimizers that can take repeats
        override it)."""
        from flowexec.ops import indexed_slices_ops

        summed, unique = indexed_slices_ops.deduplicate(grad.values, grad.indices)
        return self._apply_sparse(IndexedSlices(summed, unique, grad.dense_shape), var)

    def _apply_sparse(self, grad, var):
        """The op that applies an IndexedSlices `grad` without repeated indices to `var`."""
        raise NotImplementedError()

    def _finish(self, update_ops, name_scope):
        """The op that groups the updates; `name_scope` ending in "/" names it exactly."""
        return self._group(update_ops, name_scope)

    @staticmethod
    def _group(ops, name):
        return constant_op.group(*ops, name=name)

    @staticmethod
    def _call_if_callable(param):
        return param() if callable(param) else param

    def _hyper(self, value, name):
        """A hyperparameter (a value, a Tensor, or a callable returning one) as a Tensor
        named `name`; `_prepare` calls it in the optimizer's name scope."""
        return convert_to_tensor(self._call_if_callable(value), name=name)

    def _valid_dtypes(self):
        return {dtypes.float16, dtypes.float32, dtypes.float64}

    def _assert_valid_dtypes(self, tensors):
        valid = self._valid_dtypes()
        for t in tensors:
            dtype = t.dtype.base_dtype
            if dtype not in valid:
                names = [v for v in sorted(valid, key=lambda d: d.name)]
                raise ValueError(f"Invalid type {dtype!r} for {t.name}, expected: {names}.")

    # ----- slots ---------------------------------------------------------------------------
    def _slot_dict(self, slot_name):
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot(self, var, val, slot_name, op_name):
        """The slot `slot_name` of `var`, created with initial value `val` if new."""
        slots = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in slots:
            slots[key] = _create_slot_var(var, val, op_name)
        return slots[key]

    def _get_or_make_slot_with_initializer(self, var, initializer, shape, dtype, slot_name,
                                           op_name):
        """Like `_get_or_make_slot`, with an initializer called with (shape, dtype)."""
        slots = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in slots:
            if shape.is_fully_defined():
                def val():
                    return initializer(shape.as_list(), dtype=dtype)
            else:
                # Unknown shape: the slot takes the shape of the variable's initial value;
                # optimizers' slot initializers are constants, so a scalar broadcasts.
                def val():
                    from flowexec.ops import array_ops
                    return array_ops.zeros_like(var.initial_value) + initializer([],
                                                                                 dtype=dtype)
            slots[key] = _create_slot_var(var, val, op_name, dtype=dtype,
                                          validate_shape=shape.is_fully_defined())
        return slots[key]

    def _zeros_slot(self, var, slot_name, op_name):
        """The slot `slot_name` of `var`, created filled with zeros if new."""
        slots = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in slots:
            from flowexec.ops import array_ops

            shape = var.get_shape()
            dtype = var.dtype.base_dtype
            if shape.is_fully_defined():
                def val():
                    return array_ops.zeros(shape.as_list(), dtype=dtype)
                validate = True
            else:
                def val():
                    return array_ops.zeros_like(var.initial_value)
                validate = False
            slots[key] = _create_slot_var(var, val, op_name, dtype=dtype,
                                          validate_shape=validate)
        return slots[key]

    def _create_non_slot_variable(self, initial_value, name, colocate_with):
        """A shared (not per-variable) Variable such as Adam's beta1_power, once per graph."""
        graph = colocate_with.graph
        key = (name, graph)
        v = self._non_slot_dict.get(key)
        if v is None:
            with graph.as_default(), state_ops.colocate(colocate_with.op):
                v = Variable(initial_value, name=name, trainable=False)
            self._non_slot_dict[key] = v
        return v

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot_dict.get((name, graph or _init_scope_graph()))

    def _non_slot_variables(self):
        return self._non_slot_dict.values()

    def _trackable_children(self):
        """The optimizer's dependencies in object-based checkpoints: its non-slot variables
        of the default graph, by name (TF's Optimizer; slot variables are saved through
        `get_slot_names`/`get_slot`)."""
        graph = graph_mod.get_default_graph()
        return [(name, v) for (name, g), v in sorted(self._non_slot_dict.items(),
                                                     key=lambda item: item[0][0])
                if g is graph]


def _gate(grads):
    from flowexec.gradients import _gate as gate

    return gate(grads)


def _create_slot_var(primary, val, op_name, dtype=None, validate_shape=True):
    """A non-trainable Variable `<primary op name>/<op_name>` colocated with `primary`."""
    graph = primary.graph
    with graph.as_default(), graph.control_dependencies(None), state_ops.colocate(primary.op), \
            graph.name_scope(None):
        return Variable(val, name=f"{primary.op.name}/{op_name}", trainable=False,
                        dtype=dtype, validate_shape=validate_shape)


def _flatten(x):
    """The Variables in a nest of lists/tuples/dicts or any other iterable (dict.values())."""
    out = []
    stack = [x]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif (isinstance(item, collections.abc.Iterable)
              and not isinstance(item, (Variable, Tensor, str, bytes))):
            stack.extend(reversed(list(item)))
        else:
            out.append(item)
    return out


__all__ = ["Optimizer"]
