"""`tf.train.GradientDescentOptimizer`: `var -= learning_rate * grad`; a sparse gradient
(IndexedSlices) is one ScatterSub of `learning_rate * values` at its indices (repeated
indices subtract each of their rows), as in TF 1.x."""

from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.ops import math_ops, state_ops
from flowexec.train.optimizer import Optimizer, cast_to


class GradientDescentOptimizer(Optimizer):
    """Plain gradient descent, one fused ApplyGradientDescent op per variable.

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one.
        use_locking: accepted for TF compatibility; updates are always atomic.
        name: name scope of the update ops (default "GradientDescent").

    Example:
        >>> train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    """

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._learning_rate_tensor = None

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        return state_ops.apply_gradient_descent(
            var, cast_to(self._learning_rate_tensor, var.dtype.base_dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse_duplicate_indices(self, grad, var):
        lr = cast_to(self._learning_rate_tensor, var.dtype.base_dtype)
        delta = IndexedSlices(math_ops.multiply(grad.values, lr), grad.indices, grad.dense_shape)
        return var.scatter_sub(delta, use_locking=self._use_locking)

    def _apply_sparse(self, grad, var):
        return self._apply_sparse_duplicate_indices(grad, var)


__all__ = ["GradientDescentOptimizer"]
