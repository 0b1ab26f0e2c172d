"""`tf.train.AdadeltaOptimizer` (Zeiler 2012), one fused ApplyAdadelta op per variable."""

from flowexec.ops import sparse_training_ops, training_ops
from flowexec.train.optimizer import Optimizer, cast_to


class AdadeltaOptimizer(Optimizer):
    """Adadelta; slots "accum" and "accum_update" (variables `<var>/Adadelta` and
    `<var>/Adadelta_1`) start at zero.

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one (TF's default
            0.001; the paper's 1.0).
        rho: the decay rate of both averages.
        epsilon: the constant that conditions the update.
        use_locking: accepted for TF compatibility; updates are always atomic.
        name: name scope and slot-variable suffix (default "Adadelta").

    Example:
        >>> train = tf.train.AdadeltaOptimizer(1.0).minimize(loss)
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False,
                 name="Adadelta"):
        super().__init__(use_locking, name)
        self._lr, self._rho, self._epsilon = learning_rate, rho, epsilon
        self._lr_t = self._rho_t = self._epsilon_t = None

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "lr")
        self._rho_t = self._hyper(self._rho, "rho")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        return training_ops.apply_adadelta(
            var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
            cast_to(self._lr_t, dt), cast_to(self._rho_t, dt), cast_to(self._epsilon_t, dt),
            grad, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        dt = var.dtype.base_dtype
        return sparse_training_ops.sparse_apply_adadelta(
            var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update"),
            cast_to(self._lr_t, dt), cast_to(self._rho_t, dt), cast_to(self._epsilon_t, dt),
            grad.values, grad.indices, use_locking=self._use_locking).op


__all__ = ["AdadeltaOptimizer"]
