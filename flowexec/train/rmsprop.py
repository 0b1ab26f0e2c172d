"""`tf.train.RMSPropOptimizer` (TF1's form, with the mean square initialized to ones):

    ms = decay * ms + (1 - decay) * g^2
    mom = momentum * mom + lr * g / sqrt(ms + epsilon)       (centered: ms - mg^2 + epsilon,
    var -= mom                                                mg = decay * mg + (1-decay) g)
"""

from flowexec import init_ops
from flowexec.ops import sparse_training_ops, state_ops
from flowexec.train.optimizer import Optimizer, cast_to


class RMSPropOptimizer(Optimizer):
    """RMSProp, one fused ApplyRMSProp (or ApplyCenteredRMSProp) op per variable; slots
    "rms" (ones), "momentum" and, when centered, "mg" (variables `<var>/RMSProp`,
    `<var>/RMSProp_1`, ...).

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one.
        decay: discount of the moving average of squared gradients.
        momentum: momentum coefficient.
        epsilon: small constant added inside the square root.
        use_locking: accepted for TF compatibility; updates are always atomic.
        centered: normalize by the estimated variance instead of the second moment.
        name: name scope and slot-variable suffix (default "RMSProp").

    Example:
        >>> train = tf.train.RMSPropOptimizer(0.01, momentum=0.9).minimize(loss)
    """

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking=False, centered=False, name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered
        self._learning_rate_tensor = self._decay_tensor = None
        self._momentum_tensor = self._epsilon_tensor = None

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            self._get_or_make_slot_with_initializer(
                v, init_ops.ones_initializer(dtype=dtype), v.get_shape(), dtype, "rms",
                self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._decay_tensor = self._hyper(self._decay, "decay")
        self._momentum_tensor = self._hyper(self._momentum, "momentum")
        self._epsilon_tensor = self._hyper(self._epsilon, "epsilon")

    def _hypers(self, var):
        dtype = var.dtype.base_dtype
        return [cast_to(t, dtype) for t in (self._learning_rate_tensor, self._decay_tensor,
                                            self._momentum_tensor, self._epsilon_tensor)]

    def _apply_dense(self, grad, var):
        rms = self.get_slot(var, "rms")
        mom = self.get_slot(var, "momentum")
        hyper = self._hypers(var)
        if self._centered:
            mg = self.get_slot(var, "mg")
            return state_ops.apply_centered_rms_prop(
                var, mg, rms, mom, *hyper, grad, use_locking=self._use_locking).op
        return state_ops.apply_rms_prop(var, rms, mom, *hyper, grad,
                                        use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        rms = self.get_slot(var, "rms")
        mom = self.get_slot(var, "momentum")
        hyper = self._hypers(var)
        if self._centered:
            return sparse_training_ops.sparse_apply_centered_rms_prop(
                var, self.get_slot(var, "mg"), rms, mom, *hyper, grad.values, grad.indices,
                use_locking=self._use_locking).op
        return sparse_training_ops.sparse_apply_rms_prop(
            var, rms, mom, *hyper, grad.values, grad.indices,
            use_locking=self._use_locking).op


__all__ = ["RMSPropOptimizer"]
