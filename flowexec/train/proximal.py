"""`tf.train.ProximalGradientDescentOptimizer` and `ProximalAdagradOptimizer`: a gradient
(or Adagrad) step followed by the proximal map of l1 * |w| + l2 / 2 * w^2 (FOBOS)."""

from flowexec import init_ops
from flowexec.ops import sparse_training_ops, training_ops
from flowexec.train.optimizer import Optimizer, cast_to


class ProximalGradientDescentOptimizer(Optimizer):
    """Proximal gradient descent, one fused ApplyProximalGradientDescent op per variable.

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one.
        l1_regularization_strength: l1 >= 0 (sparsifies the weights).
        l2_regularization_strength: l2 >= 0.
        use_locking: accepted for TF compatibility.
        name: name scope (default "ProximalGradientDescent").

    Example:
        >>> opt = tf.train.ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.01)
    """

    def __init__(self, learning_rate, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False,
                 name="ProximalGradientDescent"):
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._lr_t = self._l1_t = self._l2_t = None

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._l1_t = self._hyper(self._l1, "l1_regularization_strength")
        self._l2_t = self._hyper(self._l2, "l2_regularization_strength")

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        return training_ops.apply_proximal_gradient_descent(
            var, cast_to(self._lr_t, dt), cast_to(self._l1_t, dt), cast_to(self._l2_t, dt),
            grad, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        dt = var.dtype.base_dtype
        return sparse_training_ops.sparse_apply_proximal_gradient_descent(
            var, cast_to(self._lr_t, dt), cast_to(self._l1_t, dt), cast_to(self._l2_t, dt),
            grad.values, grad.indices, use_locking=self._use_locking).op


class ProximalAdagradOptimizer(Optimizer):
    """Proximal Adagrad, one fused ApplyProximalAdagrad op per variable; slot "accumulator"
    (variable `<var>/ProximalAdagrad`) starts at `initial_accumulator_value`.

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one.
        initial_accumulator_value: the accumulators' starting value; must be positive.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        use_locking: accepted for TF compatibility.
        name: name scope and slot suffix (default "ProximalAdagrad").

    Raises:
        ValueError: a non-positive `initial_accumulator_value`.
    """

    def __init__(self, learning_rate, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalAdagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._init = initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._lr_t = self._l1_t = self._l2_t = None

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            init = init_ops.constant_initializer(self._init, dtype=dtype)
            self._get_or_make_slot_with_initializer(v, init, v.get_shape(), dtype,
                                                    "accumulator", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._l1_t = self._hyper(self._l1, "l1_regularization_strength")
        self._l2_t = self._hyper(self._l2, "l2_regularization_strength")

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        return training_ops.apply_proximal_adagrad(
            var, self.get_slot(var, "accumulator"), cast_to(self._lr_t, dt),
            cast_to(self._l1_t, dt), cast_to(self._l2_t, dt), grad,
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        dt = var.dtype.base_dtype
        return sparse_training_ops.sparse_apply_proximal_adagrad(
            var, self.get_slot(var, "accumulator"), cast_to(self._lr_t, dt),
            cast_to(self._l1_t, dt), cast_to(self._l2_t, dt), grad.values, grad.indices,
            use_locking=self._use_locking).op


__all__ = ["ProximalAdagradOptimizer", "ProximalGradientDescentOptimizer"]
