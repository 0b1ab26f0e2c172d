"""`tf.train.ExponentialMovingAverage` and `assign_moving_average`.

`apply(var_list)` creates, per variable, a non-trainable shadow Variable named
`<var>/ExponentialMovingAverage` (in GLOBAL_VARIABLES, initialized to the variable's initial
value; a Tensor's shadow starts at zero) and adds the variable to
GraphKeys.MOVING_AVERAGE_VARIABLES; the returned op moves every shadow toward its variable:
`shadow -= (1 - decay) * (shadow - value)`, with decay = min(decay, (1 + n) / (10 + n)) when
`num_updates` n is given. With `zero_debias` (TF's bias correction of zero-initialized
averages) the update keeps a biased average `<avg>/biased` and a step count
`<avg>/local_step` beside the average and sets the average to
`biased / (1 - decay ** local_step)`, as TF does; ExponentialMovingAverage applies it only to
the shadows of Tensors (a Variable's shadow starts at the variable's value).
"""

from flowexec import init_ops, variable_scope
from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys, control_dependencies, name_scope
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, math_ops, state_ops
from flowexec.ops.constant_op import group
from flowexec.train.optimizer import _create_slot_var
from flowexec.variables import (
    Variable,
    global_variables,
    moving_average_variables,
    trainable_variables,
)


def assign_moving_average(variable, value, decay, zero_debias=True, name=None):
    """`variable -= (1 - decay) * (variable - value)`; returns the updated value.

    Args:
        variable: a Variable.
        value: a Tensor of its shape and dtype.
        decay: a float or scalar Tensor.
        zero_debias: debias a zero-initialized average (TF's default; see the module
            docstring): creates `<variable>/biased` and `<variable>/local_step`.
        name: name scope (default "AssignMovingAvg").
    """
    with name_scope(name, "AssignMovingAvg", [variable, value, decay]) as scope:
        decay = math_ops.cast(convert_to_tensor(decay, name="decay"), variable.dtype.base_dtype)
        value = convert_to_tensor(value, dtype=variable.dtype.base_dtype)
        if zero_debias:
            return _zero_debias(variable, value, decay, scope)
        update = (convert_to_tensor(variable) - value) * (1 - decay)
        return state_ops.assign_sub(variable, update, name=scope)


def _unique_name(scope_name, name):
    taken = {v.op.name for v in global_variables()}
    if f"{scope_name}/{name}" not in taken:
        return name
    i = 1
    while f"{scope_name}/{name}_{i}" in taken:
        i += 1
    return f"{name}_{i}"


def _zero_debias(unbiased, value, decay, scope):
    """TF's debiased update: biased -= (biased - value) * (1 - decay); step += 1;
    unbiased = biased / (1 - decay ** step)."""
    base = unbiased.op.name
    with variable_scope.variable_scope(base, auxiliary_name_scope=False), \
            graph_mod.get_default_graph().colocate_with(unbiased.op), name_scope(None):
        biased = variable_scope.get_variable(
            _unique_name(base, "biased"), shape=unbiased.shape, dtype=unbiased.dtype.base_dtype,
            initializer=init_ops.zeros_initializer(), trainable=False)
        local_step = variable_scope.get_variable(
            _unique_name(base, "local_step"), shape=[], dtype=unbiased.dtype.base_dtype,
            initializer=init_ops.zeros_initializer(), trainable=False)
    new_biased = state_ops.assign_sub(biased, (convert_to_tensor(biased) - value) * (1 - decay))
    new_step = state_ops.assign_add(local_step, math_ops.cast(1, local_step.dtype.base_dtype))
    debiased = new_biased / (1 - math_ops.pow(decay, new_step))
    return state_ops.assign_sub(unbiased, convert_to_tensor(unbiased) - debiased, name=scope)


class ExponentialMovingAverage:
    """Maintains exponential moving averages (shadow variables) of variables.

    Args:
        decay: the decay rate (e.g. 0.999).
        num_updates: optional step count: the effective decay is then
            min(decay, (1 + num_updates) / (10 + num_updates)).
        zero_debias: debias the averages of Tensors (their shadows start at zero), as TF.
        name: the shadow variables' suffix and the apply op's name scope.

    Example:
        >>> ema = tf.train.ExponentialMovingAverage(0.99)
        >>> with tf.control_dependencies([train_op]):
        ...     train_and_average = ema.apply(tf.trainable_variables())
        >>> saver = tf.train.Saver(ema.variables_to_restore())  # evaluate with the averages
    """

    def __init__(self, decay, num_updates=None, zero_debias=False,
                 name="ExponentialMovingAverage"):
        self._zero_debias = zero_debias
        self._decay = decay
        self._num_updates = num_updates
        self._name = name
        self._averages = {}

    @property
    def name(self):
        """The shadow variables' suffix."""
        return self._name

    def apply(self, var_list=None):
        """Creates the shadow variables (once) and returns the op that updates them.

        Args:
            var_list: Variables or float Tensors (default: trainable_variables()).

        Returns:
            An Operation (a group of AssignSub ops, named after this object).

        Raises:
            TypeError: a non-float variable or tensor.
            ValueError: a variable given twice.
        """
        var_list = trainable_variables() if var_list is None else list(var_list)
        seen = set()
        for var in var_list:
            if var.dtype.base_dtype not in (dtypes.float16, dtypes.float32, dtypes.float64):
                raise TypeError("The variables must be half, float, or double: "
                                f"{var.name}")
            if id(var) in seen:
                raise ValueError(f"Moving average already computed for: {var.name}")
            seen.add(id(var))
            if self._key(var) not in self._averages:
                if isinstance(var, Variable):
                    avg = _create_slot_var(var, var.initialized_value(), self._name)
                    graph_mod.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
                else:
                    avg = _create_slot_var(
                        var, lambda v=var: array_ops.zeros_like(v), self._name,
                        dtype=var.dtype.base_dtype, validate_shape=var.shape.is_fully_defined())
                self._averages[self._key(var)] = avg
        with name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, name="decay")
            if self._num_updates is not None:
                n = math_ops.cast(self._num_updates, dtypes.float32, name="num_updates")
                decay = math_ops.minimum(decay, (1.0 + n) / (10.0 + n))
            updates = []
            for var in var_list:
                avg = self._averages[self._key(var)]
                value = var if isinstance(var, Tensor) else convert_to_tensor(var)
                debias = self._zero_debias and not isinstance(var, Variable)
                updates.append(assign_moving_average(avg, value, decay, zero_debias=debias))
            with control_dependencies(updates):
                return group(*updates, name=scope)

    @staticmethod
    def _key(var):
        return (var.graph, var.name)

    def average(self, var):
        """The shadow Variable of `var`, or None if `apply` has not seen it."""
        return self._averages.get(self._key(var))

    def average_name(self, var):
        """The name of `var`'s shadow: `<var op name>/<name>` (also for Saver restores)."""
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables=None):
        """{saved name: Variable} that restores each averaged variable from its shadow.

        Averaged variables (default: trainable and MOVING_AVERAGE_VARIABLES) map from their
        shadow's name; every other global variable maps from its own name.
        """
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + moving_average_variables()
        averaged = {id(v): v for v in moving_avg_variables}
        name_map = {self.average_name(v): v for v in averaged.values()}
        for v in global_variables():
            if id(v) not in averaged and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map


__all__ = ["ExponentialMovingAverage", "assign_moving_average"]
