"""`tf.train.AdamOptimizer` (Kingma & Ba), with TF1's bias correction folded into the step:

    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
    m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
    var -= lr_t * m / (sqrt(v) + epsilon)

`beta1^t` and `beta2^t` are the shared variables `beta1_power`, `beta2_power`, multiplied by
beta1/beta2 after every step.
"""

from flowexec.ops import state_ops
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
        from flowexec.framework import graph as graph_mod

        graph = graph_mod.get_default_graph()
        return (self._get_non_slot_variable("beta1_power", graph=graph),
                self._get_non_slot_variable("beta2_power", graph=graph))

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

    def _finish(self, update_ops, name_scope):
        beta1_power, beta2_power = self._get_beta_accumulators()
        graph = beta1_power.graph
        with graph.control_dependencies(update_ops), state_ops.colocate(beta1_power.op):
            update_beta1 = beta1_power.assign(
                beta1_power * cast_to(self._beta1_t, beta1_power.dtype),
                use_locking=self._use_locking)
            update_beta2 = beta2_power.assign(
                beta2_power * cast_to(self._beta2_t, beta2_power.dtype),
                use_locking=self._use_locking)
        return self._group(list(update_ops) + [update_beta1.op, update_beta2.op], name_scope)


__all__ = ["AdamOptimizer"]
