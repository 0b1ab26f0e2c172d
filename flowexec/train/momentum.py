"""`tf.train.MomentumOptimizer`: `accum = momentum * accum + grad; var -= lr * accum`."""

from flowexec.ops import sparse_training_ops, state_ops
from flowexec.train.optimizer import Optimizer, cast_to


class MomentumOptimizer(Optimizer):
    """Gradient descent with momentum (optionally Nesterov), one fused ApplyMomentum op per
    variable; the accumulator is the slot "momentum" (variable `<var>/Momentum`).

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one.
        momentum: the same, for the momentum coefficient.
        use_locking: accepted for TF compatibility; updates are always atomic.
        name: name scope and slot-variable suffix (default "Momentum").
        use_nesterov: `var -= lr * (grad + momentum * accum)` with the new accumulator.

    Example:
        >>> train = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    """

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov
        self._learning_rate_tensor = None
        self._momentum_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._momentum_tensor = self._hyper(self._momentum, "momentum")

    def _apply_dense(self, grad, var):
        mom = self.get_slot(var, "momentum")
        dtype = var.dtype.base_dtype
        return state_ops.apply_momentum(
            var, mom, cast_to(self._learning_rate_tensor, dtype), grad,
            cast_to(self._momentum_tensor, dtype), use_locking=self._use_locking,
            use_nesterov=self._use_nesterov).op

    def _apply_sparse(self, grad, var):
        dtype = var.dtype.base_dtype
        return sparse_training_ops.sparse_apply_momentum(
            var, self.get_slot(var, "momentum"), cast_to(self._learning_rate_tensor, dtype),
            grad.values, grad.indices, cast_to(self._momentum_tensor, dtype),
            use_locking=self._use_locking, use_nesterov=self._use_nesterov).op


__all__ = ["MomentumOptimizer"]
