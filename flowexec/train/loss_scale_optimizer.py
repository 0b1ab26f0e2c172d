"""`tf.train.experimental.MixedPrecisionLossScaleOptimizer` and the graph rewrite switches.

TF 1.15's `loss_scale_optimizer.py` and `mixed_precision.py` (training/experimental):

* `MixedPrecisionLossScaleOptimizer(opt, loss_scale)` wraps an Optimizer:
  `compute_gradients` differentiates `loss * scale` and multiplies every gradient by
  `1 / scale`; `apply_gradients` runs the loss scale's `update(grads)` every step and the
  wrapped optimizer's update (with its `global_step` increment) only when
  `should_apply_gradients` is True: a step with a non-finite gradient changes no variable
  (and, with a DynamicLossScale, halves the scale).
* `enable_mixed_precision_graph_rewrite(opt, loss_scale='dynamic')` wraps `opt` so and
  turns on the `auto_mixed_precision` graph rewrite (`flowexec/runtime/optimize/
  auto_mixed_precision.py`) for every plan built afterwards whose session does not set
  `RewriterConfig.auto_mixed_precision` to OFF; `disable_mixed_precision_graph_rewrite()`
  turns it off again. TF applies the switch to sessions created after the call; flowexec
  reads it when a plan is built (sessions cache their plans, so a plan built before the call
  keeps its precision).
"""

import warnings

from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.runtime.optimize import auto_mixed_precision as _amp
from flowexec.train import loss_scale as loss_scale_module
from flowexec.train.optimizer import Optimizer

__all__ = [
    "MixedPrecisionLossScaleOptimizer",
    "disable_mixed_precision_graph_rewrite",
    "enable_mixed_precision_graph_rewrite",
]


def _tf():
    import flowexec as tf

    return tf


class MixedPrecisionLossScaleOptimizer(Optimizer):
    """An Optimizer that applies loss scaling around another one (TF 1.15's).

    Args:
        opt: the `tf.train.Optimizer` to wrap.
        loss_scale: a LossScale, "dynamic" (a default DynamicLossScale) or a number (a
            FixedLossScale).

    Raises:
        ValueError: `opt` is not an Optimizer, or `loss_scale` is None or not understood.

    Example:
        >>> opt = tf.train.experimental.MixedPrecisionLossScaleOptimizer(
        ...     tf.train.GradientDescentOptimizer(0.1), "dynamic")
        >>> train_op = opt.minimize(loss)
    """

    def __init__(self, opt, loss_scale):
        if not isinstance(opt, Optimizer):
            raise ValueError(f'"opt" must be an instance of Optimizer, but got: {type(opt)}')
        self._optimizer = opt
        super().__init__(opt._use_locking, opt.get_name())
        self._loss_scale = loss_scale_module.get(loss_scale)
        if self._loss_scale is None:
            raise ValueError("loss_scale cannot be None")

    @property
    def loss_scale(self):
        """The LossScale in use."""
        return self._loss_scale

    def compute_gradients(self, loss, var_list=None, gate_gradients=Optimizer.GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """Gradients of `loss * scale`, divided by the scale: `[(gradient, variable)]`.

        Args:
            loss: a scalar Tensor, or a callable returning one.
            var_list, gate_gradients, aggregation_method, colocate_gradients_with_ops,
                grad_loss: as `Optimizer.compute_gradients`.

        Returns:
            A list of `(gradient or None, variable)` pairs.

        Raises:
            ValueError: as `Optimizer.compute_gradients`.

        Example:
            >>> grads_and_vars = opt.compute_gradients(loss)
        """
        loss = self._scale_loss(loss)
        grads_and_vars = self._optimizer.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        grads = [g for g, _ in grads_and_vars]
        variables = [v for _, v in grads_and_vars]
        return list(zip(self._unscale_grads(grads), variables))

    def _scale_loss(self, loss):
        tf = _tf()
        scale = self._loss_scale()
        if callable(loss):
            def scaled():
                value = loss()
                return value * tf.cast(scale, value.dtype)
            return scaled
        loss = tf.convert_to_tensor(loss)
        return loss * tf.cast(scale, loss.dtype)

    def _unscale_grads(self, grads):
        tf = _tf()
        reciprocal = 1. / self._loss_scale()
        out = []
        for g in grads:
            if g is None:
                out.append(None)
            elif isinstance(g, IndexedSlices):
                out.append(IndexedSlices(g.values * tf.cast(reciprocal, g.values.dtype),
                                         g.indices, g.dense_shape))
            else:
                out.append(g * tf.cast(reciprocal, g.dtype))
        return out

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """Updates the loss scale; applies the gradients only when they are all finite.

        Args:
            grads_and_vars: pairs from `compute_gradients` (already unscaled).
            global_step: an optional Variable, incremented only on applied steps.
            name: the name of the returned op (default: the optimizer's name).

        Returns:
            The Operation that runs the loss scale update and, when the gradients are
            finite, the wrapped optimizer's update.

        Raises:
            ValueError: as `Optimizer.apply_gradients`.

        Example:
            >>> train_op = opt.apply_gradients(opt.compute_gradients(loss))
        """
        tf = _tf()
        grads_and_vars = tuple(grads_and_vars)
        name = name if name is not None else self.get_name()
        grads = [g for g, _ in grads_and_vars]
        update_op, should_apply = self._loss_scale.update(grads)
        # Slots are created here, outside the cond, so they exist whether or not the first
        # step applies (TF's optimizers create them on the first apply as well).
        var_list = [v for g, v in grads_and_vars if g is not None]
        if var_list:
            graph = var_list[0].graph
            with graph.as_default(), graph.control_dependencies(None):
                self._optimizer._create_slots(var_list)

        def apply():
            return self._optimizer.apply_gradients(grads_and_vars, global_step,
                                                   name + "-wrapped")

        if should_apply is True:
            maybe_apply = apply()
        else:
            maybe_apply = tf.cond(should_apply, lambda: tf.group(apply()), tf.no_op)
        return tf.group(maybe_apply, update_op, name=name)

    def get_slot(self, var, name):
        """The wrapped optimizer's slot `name` for `var` (None when there is none)."""
        return self._optimizer.get_slot(var, name)

    def get_slot_names(self):
        """The wrapped optimizer's slot names."""
        return self._optimizer.get_slot_names()

    def variables(self):
        """The wrapped optimizer's variables (as TF's: the loss scale's are not included)."""
        return self._optimizer.variables()

    def _apply_dense(self, grad, var):
        raise RuntimeError("MixedPrecisionLossScaleOptimizer applies through its wrapped "
                           "optimizer")

    def _apply_sparse(self, grad, var):
        raise RuntimeError("MixedPrecisionLossScaleOptimizer applies through its wrapped "
                           "optimizer")


def enable_mixed_precision_graph_rewrite(opt, loss_scale="dynamic"):
    """Wraps `opt` for loss scaling and turns on the auto mixed precision graph rewrite.

    Plans built afterwards run float32 ops placed on a GPU in float16 where TF's lists say it
    is safe (see `flowexec/runtime/optimize/auto_mixed_precision.py`); ops on CPUs are left
    alone. A session whose `RewriterConfig.auto_mixed_precision` is OFF is not rewritten.

    Args:
        opt: a `tf.train.Optimizer`.
        loss_scale: "dynamic" (default), a number, or a LossScale.

    Returns:
        A MixedPrecisionLossScaleOptimizer wrapping `opt`.

    Raises:
        ValueError: `opt` is not an Optimizer (or is already a loss scale optimizer being
            wrapped with a bad loss_scale).

    Example:
        >>> opt = tf.train.experimental.enable_mixed_precision_graph_rewrite(
        ...     tf.train.GradientDescentOptimizer(0.1))
        >>> train_op = opt.minimize(loss)
    """
    if not isinstance(opt, Optimizer):
        raise ValueError('"opt" must be an instance of a tf.train.Optimizer, but got: '
                         f"{type(opt)}")
    if isinstance(opt, MixedPrecisionLossScaleOptimizer):
        warnings.warn("the optimizer already applies loss scaling; wrapping it again",
                      stacklevel=2)
    _amp.set_graph_rewrite_enabled(True)
    return MixedPrecisionLossScaleOptimizer(opt, loss_scale)


def disable_mixed_precision_graph_rewrite():
    """Turns the auto mixed precision graph rewrite off again (plans built afterwards).

    Optimizers wrapped by `enable_mixed_precision_graph_rewrite` keep scaling the loss.

    Example:
        >>> tf.train.experimental.disable_mixed_precision_graph_rewrite()
    """
    _amp.set_graph_rewrite_enabled(False)
