"""Batch normalization layer (`tf.layers.BatchNormalization`, `tf.layers.batch_normalization`).

As TF1's layer: variables `gamma`, `beta` (trainable) and `moving_mean`, `moving_variance`
(not trainable, in GLOBAL_VARIABLES); with `training` true the batch statistics normalize
and the moving averages are updated by ops in GraphKeys.UPDATE_OPS:
`moving -= (moving - batch_statistic) * (1 - momentum)`, which a training step must run
(`with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)): train_op = ...`).
4-D inputs normalized over their channel axis use the fused kernel (FusedBatchNormV3, whose
batch variance for the update carries Bessel's correction, as TF's fused path); other shapes
use `moments` and `batch_normalization`. `training` may be a Python bool or a bool Tensor
(both branches are built; the update's decay is 0 when it is false).
"""

from flowexec.framework import dtypes
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.layers.base import ONES, ZEROS, InputSpec, Layer
from flowexec.layers.core import select_by_training
from flowexec.ops import array_ops, math_ops, nn_ops, normalization_ops
from flowexec.ops.constant_op import constant


class BatchNormalization(Layer):
    """Batch normalization: `gamma * (x - mean) / sqrt(variance + epsilon) + beta`.

    Args:
        axis: the feature axis (or list of axes) kept; the others are reduced (-1).
        momentum: decay of the moving averages (0.99).
        epsilon: added to the variance (1e-3).
        center: learn `beta`.
        scale: learn `gamma`.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: initializers (zeros, ones, zeros, ones).
        beta_regularizer, gamma_regularizer: regularizers.
        beta_constraint, gamma_constraint: stored on the variables.
        renorm: must be False (batch renormalization is not available).
        fused: use the fused kernel (None: when the input is 4-D and `axis` its channel
            axis).
        trainable: whether `gamma`/`beta` are trainable.
        name: the layer's name.

    Example:
        >>> bn = tf.layers.BatchNormalization()
        >>> h = bn(conv, training=is_training)
        >>> update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=ZEROS, gamma_initializer=ONES,
                 moving_mean_initializer=ZEROS,
                 moving_variance_initializer=ONES, beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, fused=None,
                 trainable=True, virtual_batch_size=None, adjustment=None, name=None,
                 **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        if renorm:
            raise ValueError("renorm=True (batch renormalization) is not supported by "
                             "flowexec's BatchNormalization")
        if virtual_batch_size is not None or adjustment is not None:
            raise ValueError("virtual_batch_size and adjustment are not supported by "
                             "flowexec's BatchNormalization")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.fused = fused

    def build(self, input_shape):
        input_shape = TensorShape(input_shape)
        nd = input_shape.ndims
        if nd is None:
            raise ValueError(f"Input has undefined rank: {input_shape}")
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        axes = [a + nd if a < 0 else a for a in axes]
        for a in axes:
            if not 0 <= a < nd:
                raise ValueError(f"Invalid axis: {a}")
        if len(set(axes)) != len(axes):
            raise ValueError(f"Duplicate axis: {self.axis}")
        self._axes = axes
        sizes = [input_shape[a] for a in axes]
        if any(s is None for s in sizes):
            raise ValueError(f"Input has undefined `axis` dimension. Input shape: "
                             f"{input_shape}")
        fusable = nd == 4 and axes in ([1], [3])
        if self.fused is None:
            self.fused = fusable
        elif self.fused and not fusable:
            raise ValueError(f"Unsupported axis, fused batch norm only supports axis == [1] "
                             f"or axis == [3] of a 4-D input; got {self.axis}")
        self.input_spec = InputSpec(ndim=nd, axes=dict(zip(axes, sizes)))
        param_shape = sizes if len(axes) > 1 else [sizes[0]]
        pdtype = dtypes.float32 if self._dtype in (None, dtypes.float16) else self._dtype
        self.gamma = self.add_weight("gamma", param_shape, pdtype, self.gamma_initializer,
                                     self.gamma_regularizer, True, self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight("beta", param_shape, pdtype, self.beta_initializer,
                                    self.beta_regularizer, True, self.beta_constraint) \
            if self.center else None
        self.moving_mean = self.add_weight("moving_mean", param_shape, pdtype,
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", param_shape, pdtype,
                                               self.moving_variance_initializer,
                                               trainable=False)
        self.built = True

    def _broadcast(self, v, nd):
        if v is None or self._axes == [nd - 1]:
            return v
        shape = [1] * nd
        for a in self._axes:
            shape[a] = -1 if len(self._axes) == 1 else v.shape[self._axes.index(a)]
        return array_ops.reshape(v, shape)

    def _moving_update(self, variable, value, training):
        decay = 1.0 - self.momentum
        if isinstance(training, Tensor):
            decay = math_ops.where(training, constant(decay, variable.dtype.base_dtype),
                                   constant(0.0, variable.dtype.base_dtype))
        return variable.assign_sub((variable - math_ops.cast(value, variable.dtype.base_dtype))
                                   * decay)

    def _fused_call(self, inputs, training):
        fmt = "NCHW" if self._axes == [1] else "NHWC"
        c = inputs.shape[self._axes[0]]
        gamma = self.gamma if self.gamma is not None else constant(1.0, shape=[c])
        beta = self.beta if self.beta is not None else constant(0.0, shape=[c])

        def train():
            return normalization_ops.fused_batch_norm(inputs, gamma, beta,
                                                      epsilon=self.epsilon, data_format=fmt,
                                                      is_training=True)

        def infer():
            return normalization_ops.fused_batch_norm(
                inputs, gamma, beta, self.moving_mean, self.moving_variance,
                epsilon=self.epsilon, data_format=fmt, is_training=False)

        if isinstance(training, Tensor):
            y_t, mean, var = train()
            y_i, _, _ = infer()
            return math_ops.where(training, y_t, y_i), mean, var
        return (train() if training else infer())

    def _moments_call(self, inputs, training):
        nd = inputs.shape.ndims
        reduce = [i for i in range(nd) if i not in self._axes]
        x = math_ops.cast(inputs, dtypes.float32) if inputs.dtype is dtypes.float16 else inputs
        mean, var = nn_ops.moments(x, reduce, keep_dims=len(self._axes) > 1)

        def normalize(m, v):
            b = self._broadcast
            return nn_ops.batch_normalization(x, b(m, nd), b(v, nd), b(self.beta, nd),
                                              b(self.gamma, nd), self.epsilon)

        y = select_by_training(training, lambda: normalize(mean, var),
                               lambda: normalize(self.moving_mean, self.moving_variance))
        if len(self._axes) > 1:
            mean = array_ops.reshape(mean, self.moving_mean.shape.as_list())
            var = array_ops.reshape(var, self.moving_variance.shape.as_list())
        return math_ops.cast(y, inputs.dtype), mean, var

    def call(self, inputs, training=False):
        """Normalizes `inputs`; `training` (Python bool or bool Tensor) picks batch or moving
        statistics and enables the moving-average updates."""
        if self.fused:
            y, mean, var = self._fused_call(inputs, training)
        else:
            y, mean, var = self._moments_call(inputs, training)
        if isinstance(training, Tensor) or training:
            self.add_update([self._moving_update(self.moving_mean, mean, training),
                             self._moving_update(self.moving_variance, var, training)],
                            inputs=True)
        return y


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=ZEROS,
                        gamma_initializer=ONES,
                        moving_mean_initializer=ZEROS,
                        moving_variance_initializer=ONES, beta_regularizer=None,
                        gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                        training=False, trainable=True, name=None, reuse=None, renorm=False,
                        renorm_clipping=None, renorm_momentum=0.99, fused=None,
                        virtual_batch_size=None, adjustment=None):
    """Functional interface of `BatchNormalization`.

    The moving-average updates are added to GraphKeys.UPDATE_OPS; run them with the train
    op, e.g. `with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):`.

    Args:
        inputs: the Tensor to normalize.
        training: Python bool or bool Tensor: batch statistics and updates (True) or the
            moving averages (False, the default).
        name: the variable scope, used as given (default "batch_normalization", made
            unique).
        reuse: reuse the variables of a previous layer of the same name.
        Other arguments: as `BatchNormalization`.

    Returns:
        The normalized Tensor.

    Example:
        >>> h = tf.layers.batch_normalization(conv, training=True)
    """
    layer = BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
        beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer,
        moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
        beta_constraint=beta_constraint, gamma_constraint=gamma_constraint, renorm=renorm,
        renorm_clipping=renorm_clipping, renorm_momentum=renorm_momentum, fused=fused,
        trainable=trainable, virtual_batch_size=virtual_batch_size, adjustment=adjustment,
        name=name, _scope=name, _reuse=reuse)
    return layer.apply(inputs, training=training)


BatchNorm = BatchNormalization

__all__ = ["BatchNorm", "BatchNormalization", "batch_normalization"]
