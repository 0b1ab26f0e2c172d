"""`tf.train.FtrlOptimizer`: FTRL-Proximal (McMahan et al. 2013), one fused ApplyFtrl op per
variable (ApplyFtrlV2 when `l2_shrinkage_regularization_strength` > 0)."""

from flowexec import init_ops
from flowexec.ops import sparse_training_ops, training_ops
from flowexec.train.optimizer import Optimizer, cast_to


class FtrlOptimizer(Optimizer):
    """FTRL-Proximal; slots "accum" (starts at `initial_accumulator_value`, variable
    `<var>/Ftrl`) and "linear" (zeros, `<var>/Ftrl_1`).

    Args:
        learning_rate: a float, a scalar Tensor, or a callable returning one.
        learning_rate_power: <= 0; -0.5 is Adagrad-like scaling.
        initial_accumulator_value: >= 0.
        l1_regularization_strength, l2_regularization_strength: >= 0.
        use_locking: accepted for TF compatibility.
        name: name scope and slot suffix (default "Ftrl").
        accum_name, linear_name: the slot variables' suffixes (default name, name + "_1").
        l2_shrinkage_regularization_strength: >= 0, an l2 penalty on the gradient's weights.

    Raises:
        ValueError: an argument outside its range (TF's messages).

    Example:
        >>> opt = tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.001)
    """

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="Ftrl", accum_name=None, linear_name=None,
                 l2_shrinkage_regularization_strength=0.0):
        super().__init__(use_locking, name)
        if initial_accumulator_value < 0.0:
            raise ValueError(f"initial_accumulator_value {initial_accumulator_value} needs to "
                             "be positive or zero")
        if learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power {learning_rate_power} needs to be negative "
                             "or zero")
        if l1_regularization_strength < 0.0:
            raise ValueError(f"l1_regularization_strength {l1_regularization_strength} needs "
                             "to be positive or zero")
        if l2_regularization_strength < 0.0:
            raise ValueError(f"l2_regularization_strength {l2_regularization_strength} needs "
                             "to be positive or zero")
        if l2_shrinkage_regularization_strength < 0.0:
            raise ValueError("l2_shrinkage_regularization_strength "
                             f"{l2_shrinkage_regularization_strength} needs to be positive "
                             "or zero")
        self._lr = learning_rate
        self._lr_power = learning_rate_power
        self._init = initial_accumulator_value
        self._l1, self._l2 = l1_regularization_strength, l2_regularization_strength
        self._shrinkage = l2_shrinkage_regularization_strength
        self._accum_name = accum_name
        self._linear_name = linear_name
        self._tensors = None

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            init = init_ops.constant_initializer(self._init, dtype=dtype)
            self._get_or_make_slot_with_initializer(v, init, v.get_shape(), dtype, "accum",
                                                    self._accum_name or self._name)
            self._zeros_slot(v, "linear", self._linear_name or self._name + "_1")

    def _prepare(self):
        self._tensors = {
            "lr": self._hyper(self._lr, "learning_rate"),
            "l1": self._hyper(self._l1, "l1_regularization_strength"),
            "l2": self._hyper(self._l2, "l2_regularization_strength"),
            "shrinkage": self._hyper(self._shrinkage, "l2_shrinkage_regularization_strength"),
            "power": self._hyper(self._lr_power, "learning_rate_power"),
        }

    def _apply_dense(self, grad, var):
        dt = var.dtype.base_dtype
        t = {k: cast_to(v, dt) for k, v in self._tensors.items()}
        shrinkage = t["shrinkage"] if self._shrinkage > 0.0 else None
        return training_ops.apply_ftrl(
            var, self.get_slot(var, "accum"), self.get_slot(var, "linear"), grad, t["lr"],
            t["l1"], t["l2"], t["power"], use_locking=self._use_locking,
            l2_shrinkage=shrinkage).op

    def _apply_sparse(self, grad, var):
        dt = var.dtype.base_dtype
        t = {k: cast_to(v, dt) for k, v in self._tensors.items()}
        shrinkage = t["shrinkage"] if self._shrinkage > 0.0 else None
        return sparse_training_ops.sparse_apply_ftrl(
            var, self.get_slot(var, "accum"), self.get_slot(var, "linear"), grad.values,
            grad.indices, t["lr"], t["l1"], t["l2"], t["power"],
            use_locking=self._use_locking, l2_shrinkage=shrinkage).op


__all__ = ["FtrlOptimizer"]
