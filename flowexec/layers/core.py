"""Core layers: Dense, Dropout, Flatten, and their functional forms."""

import math
import numbers

from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.layers.base import ZEROS, InputSpec, Layer
from flowexec.ops import array_ops, math_ops, nn_ops
from flowexec.ops.constant_op import identity


class Dense(Layer):
    """A densely connected layer: `activation(inputs @ kernel + bias)`.

    Inputs of rank > 2 are contracted on their last axis (`tensordot`).

    Args:
        units: output size.
        activation: activation function, or None for linear.
        use_bias: whether to add a bias.
        kernel_initializer: initializer of the `[in, units]` kernel (default: Glorot uniform,
            `get_variable`'s default).
        bias_initializer: initializer of the bias (default zeros).
        kernel_regularizer, bias_regularizer: `fn(weight) -> loss`, added to
            REGULARIZATION_LOSSES.
        activity_regularizer: `fn(output) -> loss`, likewise.
        kernel_constraint, bias_constraint: stored on the variables.
        trainable: whether the weights are trainable.
        name: the layer's name / variable scope.

    Example:
        >>> logits = tf.layers.Dense(10, name="logits")(hidden)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=ZEROS, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        last = input_shape[-1] if input_shape.ndims else None
        if last is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             "Found `None`.")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last})
        self.kernel = self.add_weight("kernel", shape=[last, self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=[self.units],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs):
        rank = inputs.shape.ndims
        if rank is not None and rank > 2:
            outputs = math_ops.tensordot(inputs, self.kernel, [[rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        else:
            outputs = math_ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias)
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=ZEROS, kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
          trainable=True, name=None, reuse=None):
    """Functional interface of `Dense`: `activation(inputs @ kernel + bias)`.

    Args:
        inputs: Tensor of rank >= 2.
        units, activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint, trainable: as for `Dense`.
        name: the variable scope, used as given (default: "dense", made unique).
        reuse: reuse the variables of a previous layer of the same name.

    Returns:
        The output Tensor.

    Example:
        >>> h = tf.layers.dense(x, 128, activation=tf.nn.relu)
    """
    layer = Dense(units, activation=activation, use_bias=use_bias,
                  kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  activity_regularizer=activity_regularizer,
                  kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                  trainable=trainable, name=name, _scope=name, _reuse=reuse)
    return layer.apply(inputs)


def select_by_training(training, if_true, if_false):
    """`if_true()` or `if_false()` for a Python bool `training`; for a bool Tensor both are
    built and the result is selected at run time (`where` on a scalar condition)."""
    if isinstance(training, Tensor):
        return math_ops.where(training, if_true(), if_false())
    return if_true() if training else if_false()


class Dropout(Layer):
    """Dropout: during training keeps each unit with probability `1 - rate`, scaled by
    `1 / (1 - rate)`; the identity at inference.

    Args:
        rate: the fraction of units dropped.
        noise_shape: the shape of the keep/drop mask (broadcast against the input).
        seed: op-level seed.
        name: the layer's name.

    Example:
        >>> h = tf.layers.Dropout(0.5)(h, training=is_training)
    """

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs, training=False):
        """Applies dropout when `training` (a Python bool or a bool Tensor) is true."""
        if isinstance(self.rate, numbers.Real) and self.rate == 0:
            return identity(inputs)
        return select_by_training(
            training,
            lambda: nn_ops.dropout(inputs, noise_shape=self.noise_shape, seed=self.seed,
                                   rate=self.rate),
            lambda: identity(inputs))


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Functional interface of `Dropout`; does nothing unless `training` is true.

    Args:
        inputs: a floating Tensor.
        rate: the fraction of units dropped (0.5).
        noise_shape: the mask's shape.
        seed: op-level seed.
        training: Python bool or bool Tensor: apply dropout or not.
        name: the layer's name.

    Returns:
        A Tensor like `inputs`.

    Example:
        >>> h = tf.layers.dropout(h, rate=0.3, training=True)
    """
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    return layer.apply(inputs, training=training)


class Flatten(Layer):
    """Flattens each example: `[batch, d1, d2, ...] -> [batch, d1 * d2 * ...]`.

    Args:
        data_format: "channels_last" (default) or "channels_first" (moved to channels last
            first, so the order matches channels-last models).
        name: the layer's name.

    Example:
        >>> flat = tf.layers.Flatten()(conv)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of \"channels_first\", "
                             f"\"channels_last\". Received: {data_format}")
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        nd = inputs.shape.ndims
        if self.data_format == "channels_first" and nd is not None and nd > 1:
            inputs = array_ops.transpose(inputs, [0] + list(range(2, nd)) + [1])
        dims = inputs.shape.as_list() if nd is not None else None
        if dims is not None and nd == 1:
            return array_ops.expand_dims(inputs, 1)
        if dims is not None and all(d is not None for d in dims[1:]):
            flat = math.prod(dims[1:])
            outputs = array_ops.reshape(inputs, [-1 if dims[0] is None else dims[0], flat])
        else:
            outputs = array_ops.reshape(inputs, array_ops.stack(
                [array_ops.shape(inputs)[0], -1]))
            if dims is not None:
                outputs.set_shape([dims[0], None])
        return outputs


def flatten(inputs, name=None, data_format="channels_last"):
    """Functional interface of `Flatten`.

    Example:
        >>> flat = tf.layers.flatten(pool2)  # [batch, 7, 7, 64] -> [batch, 3136]
    """
    return Flatten(name=name, data_format=data_format).apply(inputs)


__all__ = ["Dense", "Dropout", "Flatten", "dense", "dropout", "flatten"]
