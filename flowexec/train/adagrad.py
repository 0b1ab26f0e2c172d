"""`tf.train.AdagradOptimizer`: `accum += g^2; var -= lr * g / sqrt(accum)`."""

from flowexec import init_ops
from flowexec.ops import sparse_training_ops, state_ops
from flowexec.train.optimizer import Optimizer, cast_to


class AdagradOptimizer(Optimizer):
    """Adagrad, one fused ApplyAdagrad op per variable; the slot "accumulator" (variable
    `<var>/Adagrad`) starts at `initial_accumulator_value`.

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one.
        initial_accumulator_value: the accumulators' starting value; must be positive.
        use_locking: accepted for TF compatibility; updates are always atomic.
        name: name scope and slot-variable suffix (default "Adagrad").

    Raises:
        ValueError: a non-positive `initial_accumulator_value`.

    Example:
        >>> train = tf.train.AdagradOptimizer(0.1).minimize(loss)
    """

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._learning_rate_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            init = init_ops.constant_initializer(self._initial_accumulator_value, dtype=dtype)
            self._get_or_make_slot_with_initializer(v, init, v.get_shape(), dtype,
                                                    "accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        acc = self.get_slot(var, "accumulator")
        return state_ops.apply_adagrad(
            var, acc, cast_to(self._learning_rate_tensor, var.dtype.base_dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return sparse_training_ops.sparse_apply_adagrad(
            var, self.get_slot(var, "accumulator"),
            cast_to(self._learning_rate_tensor, var.dtype.base_dtype), grad.values,
            grad.indices, use_locking=self._use_locking).op


__all__ = ["AdagradOptimizer"]
