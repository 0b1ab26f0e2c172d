"""`tf.train.AdamOptimizer` (Kingma & Ba), with TF1's bias correction folded into the step:

    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
    m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
    var -= lr_t * m / (sqrt(v) + epsilon)

`beta1^t` and `beta2^t` are the shared variables `beta1_power`, `beta2_power`, multiplied by
beta1/beta2 after every step.

A sparse gradient (IndexedSlices) is applied as TF 1.x applies it: m and v decay whole
(`m = beta1 m`, then the rows `(1 - beta1) g` scatter-added; v likewise with g^2) and the
whole variable takes the step `lr_t m / (sqrt(v) + epsilon)`, so rows not looked up move
too while their moments are not zero (TF's LazyAdam, not built here, updates only the rows).
"""

from flowexec.ops import math_ops, scatter_ops, state_ops
from flowexec.train.optimizer import Optimizer, cast_to


class AdamOptimizer(Optimizer):
    """Adam, one fused ApplyAdam op per variable; slots "m" and "v" (variables
    `<var>/Adam`, `<var>/Adam_1`).

    Args:
        learning_rate, beta1, beta2, epsilon: floats, scalar Tensors or callables.
        use_locking: accepted for TF compatibility; updates are always atomic.
        name: name scope and slot-variable suffix (default "Adam").

    Example:
        >>> train = tf.train.AdamOptimizer(1e-3).minimize(loss)
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon
        self._lr_t = self._beta1_t = self._beta2_t = self._epsilon_t = None

    def _get_beta_accumulators(self):
        # the default graph's, or, inside a function being traced, its outer graph's
        return (self._get_non_slot_variable("beta1_power"),
                self._get_non_slot_variable("beta2_power"))

    def _create_slots(self, var_list):
        first_var = min(var_list, key=lambda x: x.name)
        self._create_non_slot_variable(initial_value=self._call_if_callable(self._beta1),
                                       name="beta1_power", colocate_with=first_var)
        self._create_non_slot_variable(initial_value=self._call_if_callable(self._beta2),
                                       name="beta2_power", colocate_with=first_var)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._beta1_t = self._hyper(self._beta1, "beta1")
        self._beta2_t = self._hyper(self._beta2, "beta2")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        m = self.get_slot(var, "m")
        v = self.get_slot(var, "v")
        beta1_power, beta2_power = self._get_beta_accumulators()
        dtype = var.dtype.base_dtype
        return state_ops.apply_adam(
            var, m, v, cast_to(beta1_power, dtype), cast_to(beta2_power, dtype),
            cast_to(self._lr_t, dtype), cast_to(self._beta1_t, dtype),
            cast_to(self._beta2_t, dtype), cast_to(self._epsilon_t, dtype), grad,
            use_locking=self._use_locking).op

    def _apply_sparse_shared(self, grad, var, indices, scatter_add):
        beta1_power, beta2_power = self._get_beta_accumulators()
        dtype = var.dtype.base_dtype
        beta1_power, beta2_power = cast_to(beta1_power, dtype), cast_to(beta2_power, dtype)
        lr_t, beta1_t = cast_to(self._lr_t, dtype), cast_to(self._beta1_t, dtype)
        beta2_t, epsilon_t = cast_to(self._beta2_t, dtype), cast_to(self._epsilon_t, dtype)
        lr = lr_t * math_ops.sqrt(1 - beta2_power) / (1 - beta1_power)
        graph = var.graph
        m = self.get_slot(var, "m")
        m_scaled_g_values = grad * (1 - beta1_t)
        m_t = state_ops.assign(m, m * beta1_t, use_locking=self._use_locking)
        with graph.control_dependencies([m_t]):
            m_t = scatter_add(m, indices, m_scaled_g_values)
        v = self.get_slot(var, "v")
        v_scaled_g_values = (grad * grad) * (1 - beta2_t)
        v_t = state_ops.assign(v, v * beta2_t, use_locking=self._use_locking)
        with graph.control_dependencies([v_t]):
            v_t = scatter_add(v, indices, v_scaled_g_values)
        v_sqrt = math_ops.sqrt(v_t)
        var_update = state_ops.assign_sub(var, lr * m_t / (v_sqrt + epsilon_t),
                                          use_locking=self._use_locking)
        return self._group([var_update.op, m_t.op, v_t.op], None)

    def _apply_sparse(self, grad, var):
        return self._apply_sparse_shared(
            grad.values, var, grad.indices,
            lambda x, i, v: scatter_ops.scatter_add(x, i, v, use_locking=self._use_locking))

    def _finish(self, update_ops, name_scope):
        beta1_power, beta2_power = self._get_beta_accumulators()
        graph = update_ops[0].graph   # a function's, when the updates are in one
        with graph.control_dependencies(update_ops), state_ops.colocate(beta1_power.op):
            update_beta1 = beta1_power.assign(
                beta1_power * cast_to(self._beta1_t, beta1_power.dtype),
                use_locking=self._use_locking)
            update_beta2 = beta2_power.assign(
                beta2_power * cast_to(self._beta2_t, beta2_power.dtype),
                use_locking=self._use_locking)
        return self._group(list(update_ops) + [update_beta1.op, update_beta2.op], name_scope)


__all__ = ["AdamOptimizer"]
