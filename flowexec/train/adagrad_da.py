"""`tf.train.AdagradDAOptimizer`: Adagrad dual averaging (Duchi et al.), for sparse linear
models with large l1 regularization.

Each variable keeps the sum of its gradients (slot "gradient_accumulator") and of their
squares (slot "gradient_squared_accumulator", starting at
initial_gradient_squared_accumulator_value); with t = global_step + 1 the variable is set
to

    -lr * sign(g) * max(|g| - l1 * t, 0) / (l2 * t * lr + sqrt(gg))

(g the gradient sum, gg the squared sum; without l1 the max is |g|), as TF's ApplyAdagradDA.
`global_step` must be the step that `minimize(global_step=...)` increments.
"""

from flowexec import init_ops
from flowexec.framework import dtypes
from flowexec.ops import array_ops, math_ops, sparse_training_ops
from flowexec.ops.constant_op import identity
from flowexec.ops.state_ops import assign, assign_add
from flowexec.train.optimizer import Optimizer, cast_to

__all__ = ["AdagradDAOptimizer"]


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging (see the module docstring).

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one.
        global_step: the global step variable (its value + 1 is t in the update).
        initial_gradient_accumulator_value: the gradient sums' start (TF: 0.0).
        initial_gradient_squared_accumulator_value: the squared sums' start; > 0.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        use_locking: accepted for TF compatibility.
        name: name scope and slot suffix (default "AdagradDA").

    Raises:
        ValueError: a non-positive initial squared accumulator value.

    Example:
        >>> step = tf.train.get_or_create_global_step()
        >>> opt = tf.train.AdagradDAOptimizer(0.1, step, l1_regularization_strength=0.01)
        >>> train = opt.minimize(loss, global_step=step)
    """

    def __init__(self, learning_rate, global_step, initial_gradient_squared_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="AdagradDA"):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive: "
                             f"{initial_gradient_squared_accumulator_value}")
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._global_step = global_step
        self._init_sq = initial_gradient_squared_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._lr_t = self._l1_t = self._l2_t = self._t = None

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            self._get_or_make_slot_with_initializer(
                v, init_ops.zeros_initializer(dtype=dtype), v.get_shape(), dtype,
                "gradient_accumulator", self._name)
            self._get_or_make_slot_with_initializer(
                v, init_ops.constant_initializer(self._init_sq, dtype=dtype), v.get_shape(),
                dtype, "gradient_squared_accumulator", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._l1_t = self._hyper(self._l1, "l1_regularization_strength")
        self._l2_t = self._hyper(self._l2, "l2_regularization_strength")
        self._t = identity(self._global_step) + 1

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        lr, l1, l2 = (cast_to(t, dt) for t in (self._lr_t, self._l1_t, self._l2_t))
        t = math_ops.cast(self._t, dt)
        g = assign_add(self.get_slot(var, "gradient_accumulator"), grad)
        gg = assign_add(self.get_slot(var, "gradient_squared_accumulator"),
                        math_ops.square(grad))
        shrunk = math_ops.sign(g) * math_ops.maximum(math_ops.abs(g) - l1 * t, 0.0)
        use_l1 = math_ops.greater(l1 + array_ops.zeros_like(g), 0.0)
        numerator = math_ops.where(use_l1, shrunk, g)
        new = -lr * numerator / (l2 * t * lr + math_ops.sqrt(gg))
        return assign(var, new).op

    def _apply_sparse(self, grad, var):
        dt = var.dtype.base_dtype
        lr, l1, l2 = (cast_to(t, dt) for t in (self._lr_t, self._l1_t, self._l2_t))
        step = identity(self._t)
        if step.dtype is not dtypes.int64:
            step = math_ops.cast(step, dtypes.int64)
        return sparse_training_ops.sparse_apply_adagrad_da(
            var, self.get_slot(var, "gradient_accumulator"),
            self.get_slot(var, "gradient_squared_accumulator"), grad.values, grad.indices,
            lr, l1, l2, step, use_locking=self._use_locking).op
