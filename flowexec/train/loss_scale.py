"""Loss scales (`tf.train.experimental.LossScale`, `FixedLossScale`, `DynamicLossScale`).

TF 1.15's `tensorflow/python/training/experimental/loss_scale.py` semantics, as graph ops:
a loss scale multiplies the loss before differentiation, so that small float16 gradients do
not underflow, and `update(grads)` decides, from the (unscaled or scaled) gradients of one
step, whether the step's gradients may be applied and how the scale changes.

* `FixedLossScale(v)`: always `v`; `update` changes nothing and always applies.
* `DynamicLossScale(initial_loss_scale=2**15, increment_period=2000, multiplier=2.)`: two
  non-trainable variables, the current scale (float32) and the count of good steps (int64).
  A step whose gradients are all finite counts as good; after `increment_period` good steps
  in a row the scale is multiplied by `multiplier` (only when the product is finite) and the
  count restarts. A step with an inf or NaN gradient is skipped (`should_apply_gradients`
  is False), the scale is divided by `multiplier` (never below 1) and the count restarts.

Graph construction is not thread-safe (as the Graph's).
"""

import abc
import numbers

from flowexec.framework import dtypes

__all__ = ["DynamicLossScale", "FixedLossScale", "LossScale", "get"]


def _tf():
    import flowexec as tf  # the public ops; imported late (flowexec.train loads first)

    return tf


class LossScale(abc.ABC):
    """Base class of the loss scales: `loss_scale()` gives the scale, `update(grads)` moves it.

    Subclasses implement `__call__` (the current scale, a float32 scalar Tensor), `update`
    and `get_config`.

    Example:
        >>> scale = tf.train.experimental.FixedLossScale(128)
        >>> scaled_loss = loss * scale()
    """

    def __init__(self):
        self._weights = {}

    @abc.abstractmethod
    def __call__(self):
        """The current loss scale, a float32 scalar Tensor.

        Returns:
            A Tensor.
        """

    @abc.abstractmethod
    def update(self, grads):
        """Updates the loss scale from one step's gradients.

        Args:
            grads: a nested structure of gradient Tensors (None entries are ignored).

        Returns:
            `(update_op, should_apply_gradients)`: the Operation that updates the scale
            (run it every step) and a bool Tensor (or Python bool) saying whether the
            step's gradients are to be applied.
        """

    def _add_weight(self, name, initial_value, dtype):
        tf = _tf()
        graph = tf.get_default_graph()
        with graph.control_dependencies(None):   # created once, outside any control scope
            var = tf.Variable(initial_value, name=name, dtype=dtype, trainable=False)
        self._weights[name] = var
        return var

    @property
    def weights(self):
        """The loss scale's variables (none for a FixedLossScale)."""
        return list(self._weights.values())

    @abc.abstractmethod
    def get_config(self):
        """The constructor arguments, a dict (`from_config(config)` rebuilds the scale)."""

    @classmethod
    def from_config(cls, config):
        """A loss scale built from `get_config()`'s dict.

        Args:
            config: the dict.

        Returns:
            A new LossScale of this class.
        """
        return cls(**config)


def _check_number(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a Python int or float, but got: {value!r} "
                        f"({type(value).__name__})")


class FixedLossScale(LossScale):
    """A loss scale that never changes (TF's `FixedLossScale`).

    Args:
        loss_scale_value: the scale, a Python number >= 1.

    Raises:
        TypeError: `loss_scale_value` is not a Python number.
        ValueError: it is below 1.

    Example:
        >>> scale = tf.train.experimental.FixedLossScale(1024)
        >>> update_op, should_apply = scale.update(grads)   # a no-op and True
    """

    def __init__(self, loss_scale_value):
        super().__init__()
        _check_number(loss_scale_value, "loss_scale_value")
        if loss_scale_value < 1:
            raise ValueError(f"loss_scale_value must be at least 1, but was {loss_scale_value}")
        self._loss_scale_value = float(loss_scale_value)

    def __call__(self):
        """The scale, a float32 constant."""
        return _tf().constant(self._loss_scale_value, dtype=dtypes.float32)

    def update(self, grads):
        """Nothing changes: `(no_op, True)`.

        Args:
            grads: ignored.

        Returns:
            `(tf.no_op(), True)`.
        """
        del grads
        return _tf().no_op(), True

    def get_config(self):
        """`{'loss_scale_value': v}`."""
        return {"loss_scale_value": self._loss_scale_value}

    def __repr__(self):
        return f"FixedLossScale({self._loss_scale_value})"


def _is_all_finite(grads):
    tf = _tf()
    grads = [g for g in tf.nest.flatten(grads) if g is not None]
    if not grads:
        return tf.constant(True)
    finite = [tf.reduce_all(tf.is_finite(getattr(g, "values", g))) for g in grads]
    return tf.reduce_all(tf.stack(finite))


class DynamicLossScale(LossScale):
    """A loss scale that grows while gradients stay finite and shrinks when they do not.

    Args:
        initial_loss_scale: the first scale (a Python number >= 1; TF's default 2**15).
        increment_period: finite steps in a row after which the scale is multiplied by
            `multiplier` (>= 1).
        multiplier: the growth and shrink factor (> 1).

    Raises:
        TypeError: an argument that is not a Python number.
        ValueError: `initial_loss_scale` < 1, `increment_period` < 1 or `multiplier` <= 1.

    Example:
        >>> scale = tf.train.experimental.DynamicLossScale(initial_loss_scale=1024)
        >>> update_op, should_apply = scale.update(grads)
        >>> sess.run(tf.global_variables_initializer()); sess.run(update_op)
    """

    def __init__(self, initial_loss_scale=2 ** 15, increment_period=2000, multiplier=2.):
        super().__init__()
        for value, what in ((initial_loss_scale, "initial_loss_scale"),
                            (increment_period, "increment_period"),
                            (multiplier, "multiplier")):
            _check_number(value, what)
        if initial_loss_scale < 1:
            raise ValueError(f"initial_loss_scale must be at least 1, got {initial_loss_scale}")
        if increment_period < 1:
            raise ValueError(f"increment_period must be at least 1, got {increment_period}")
        if multiplier <= 1:
            raise ValueError(f"multiplier must be greater than 1, got {multiplier}")
        self._initial_loss_scale = float(initial_loss_scale)
        self._increment_period = int(increment_period)
        self._multiplier = float(multiplier)
        self._current_loss_scale = self._add_weight(
            "current_loss_scale", self._initial_loss_scale, dtypes.float32)
        self._num_good_steps = self._add_weight("good_steps", 0, dtypes.int64)

    @property
    def initial_loss_scale(self):
        """The first scale, a float."""
        return self._initial_loss_scale

    @property
    def increment_period(self):
        """Finite steps in a row before the scale grows, an int."""
        return self._increment_period

    @property
    def multiplier(self):
        """The growth and shrink factor, a float."""
        return self._multiplier

    def __call__(self):
        """The current scale: the value of the `current_loss_scale` variable."""
        return _tf().identity(self._current_loss_scale)

    def update(self, grads):
        """Updates the scale and the good-step count from one step's gradients.

        Args:
            grads: a nested structure of gradient Tensors or IndexedSlices (None ignored).

        Returns:
            `(update_op, should_apply_gradients)`: an Operation, and a bool Tensor that is
            True when every gradient is finite.

        Example:
            >>> update_op, finite = scale.update([g1, g2])
        """
        tf = _tf()
        is_finite = _is_all_finite(grads)
        scale, good = self._current_loss_scale, self._num_good_steps
        multiplier, period = self._multiplier, self._increment_period

        def finite_step():
            def grow():
                new_scale = scale * multiplier
                grown = tf.cond(tf.is_finite(new_scale),
                                lambda: tf.assign(scale, new_scale).op, tf.no_op)
                return tf.group(grown, tf.assign(good, tf.constant(0, dtypes.int64)))

            def count():
                return tf.group(tf.assign_add(good, tf.constant(1, dtypes.int64)))

            return tf.cond(good + 1 >= period, grow, count)

        def bad_step():
            new_scale = tf.maximum(scale / multiplier, 1.)
            return tf.group(tf.assign(good, tf.constant(0, dtypes.int64)),
                            tf.assign(scale, new_scale))

        update_op = tf.cond(is_finite, finite_step, bad_step)
        if isinstance(update_op, (list, tuple)):
            update_op = tf.group(*update_op)
        update_op = getattr(update_op, "op", update_op)
        return update_op, is_finite

    def get_config(self):
        """`{'initial_loss_scale', 'increment_period', 'multiplier'}`."""
        return {"initial_loss_scale": self._initial_loss_scale,
                "increment_period": self._increment_period, "multiplier": self._multiplier}

    def __repr__(self):
        return (f"DynamicLossScale(initial_loss_scale={self._initial_loss_scale}, "
                f"increment_period={self._increment_period}, multiplier={self._multiplier})")


def get(identifier):
    """A LossScale from what users pass as `loss_scale` (TF's `loss_scale.get`).

    Args:
        identifier: None, "dynamic" (a default DynamicLossScale), a Python number (a
            FixedLossScale) or a LossScale (returned as is).

    Returns:
        A LossScale, or None for None.

    Raises:
        ValueError: anything else.

    Example:
        >>> get("dynamic")
        DynamicLossScale(initial_loss_scale=32768.0, increment_period=2000, multiplier=2.0)
    """
    if identifier is None or isinstance(identifier, LossScale):
        return identifier
    if isinstance(identifier, str):
        if identifier == "dynamic":
            return DynamicLossScale()
        raise ValueError(f'Invalid loss scale: "{identifier}": use "dynamic", a number or a '
                         "LossScale")
    if isinstance(identifier, numbers.Real) and not isinstance(identifier, bool):
        return FixedLossScale(identifier)
    raise ValueError(f"Could not interpret loss scale identifier: {identifier!r}")
