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

Batch renormalization (`renorm=True`, TF 1.x's design): the layer also keeps `renorm_mean`
and `renorm_stddev` (moving averages of the batch mean and standard deviation, with
`renorm_momentum`, zero-initialized and debiased by the moving weights `renorm_mean_weight` /
`renorm_stddev_weight`); in training the normalized batch is corrected by
`r = stddev / renorm_stddev` and `d = (mean - renorm_mean) / renorm_stddev` (clipped by
`renorm_clipping`'s `rmin`, `rmax`, `dmax`; no gradient flows through them), i.e. scale
`r * gamma` and offset `d * gamma + beta`, and `moving_mean` / `moving_variance` move towards
the renorm averages. `virtual_batch_size` (ghost batch norm) reshapes the batch to
`[virtual_batch_size, -1, ...]` as TF does, so virtual batch `j` is samples `j, j + N/v, ...`,
normalizes each over its own statistics, and updates the moving averages with their mean;
its variables have TF's broadcast shape `[1, 1, ..., C]`. `adjustment(shape)` returns an extra
`(scale, bias)` applied in training.
"""

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.layers.base import ONES, ZEROS, InputSpec, Layer
from flowexec.layers.core import select_by_training
from flowexec.ops import array_ops, constant_op, math_ops, nn_ops, normalization_ops
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
        renorm: batch renormalization (see the module docstring).
        renorm_clipping: a dict of optional `rmax`, `rmin`, `dmax` bounds on the
            corrections `r` and `d`.
        renorm_momentum: decay of the renorm moving averages (0.99).
        fused: use the fused kernel (None: when the input is 4-D, `axis` its channel axis
            and neither renorm, virtual_batch_size nor adjustment is used).
        virtual_batch_size: normalize over ghost batches of this many samples (must divide
            the batch size; `axis` may not include the batch dimension).
        adjustment: `fn(input_shape_tensor) -> (scale, bias)` applied in training only
            (not with virtual_batch_size).
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
        self.renorm = renorm
        self.virtual_batch_size = virtual_batch_size
        self.adjustment = adjustment
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            extra = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if extra:
                raise ValueError(f"renorm_clipping {renorm_clipping} contains keys not in "
                                 f"['rmax', 'rmin', 'dmax']")
            self.renorm_clipping = renorm_clipping
            self.renorm_momentum = renorm_momentum
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
        if self.virtual_batch_size is not None:
            if self.virtual_batch_size <= 0:
                raise ValueError("virtual_batch_size must be a positive integer that divides "
                                 "the true batch size of the input Tensor")
            if 0 in axes:
                raise ValueError("When using virtual_batch_size, the batch dimension must be "
                                 f"0 and thus axis cannot include 0. Received axis={axes}")
            if self.adjustment is not None:
                raise ValueError("When using virtual_batch_size, adjustment cannot be "
                                 "specified")
        sizes = [input_shape[a] for a in axes]
        if any(s is None for s in sizes):
            raise ValueError(f"Input has undefined `axis` dimension. Input shape: "
                             f"{input_shape}")
        plain = not self.renorm and self.virtual_batch_size is None and self.adjustment is None
        fusable = nd == 4 and axes in ([1], [3]) and plain
        if self.fused is None:
            self.fused = fusable
        elif self.fused and not fusable:
            if self.renorm:
                raise ValueError("Passing both fused=True and renorm=True is unsupported")
            if not plain:
                raise ValueError("Passing fused=True is unsupported when virtual_batch_size "
                                 "or adjustment is specified.")
            raise ValueError(f"Unsupported axis, fused batch norm only supports axis == [1] "
                             f"or axis == [3] of a 4-D input; got {self.axis}")
        self.input_spec = InputSpec(ndim=nd, axes=dict(zip(axes, sizes)))
        if len(axes) == 1 and self.virtual_batch_size is None:
            param_shape = [sizes[0]]
        elif self.virtual_batch_size is None:
            param_shape = sizes
        else:
            # TF's ghost-batch layout: parameters broadcast against [v, N / v, ...].
            param_shape = [input_shape[i] if i in axes else 1 for i in range(nd)]
            param_shape.insert(1, 1)
            axes = [a + 1 for a in axes]
        self._axes = axes
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
        if self.renorm:
            # Zero-initialized moving averages, debiased by their weights (TF 1.x's renorm).
            def renorm_variable(name, shape):
                return self.add_weight(name, shape, pdtype, ZEROS, trainable=False)
            self.renorm_mean = renorm_variable("renorm_mean", param_shape)
            self.renorm_mean_weight = renorm_variable("renorm_mean_weight", [])
            self.renorm_stddev = renorm_variable("renorm_stddev", param_shape)
            self.renorm_stddev_weight = renorm_variable("renorm_stddev_weight", [])
        self.built = True

    def _broadcast(self, v, nd):
        if v is None or self._axes == [nd - 1] or v.shape.ndims == nd:
            return v
        shape = [1] * nd
        for a in self._axes:
            shape[a] = -1 if len(self._axes) == 1 else v.shape[self._axes.index(a)]
        return array_ops.reshape(v, shape)

    def _moving_update(self, variable, value, training, momentum=None):
        decay = 1.0 - (self.momentum if momentum is None else momentum)
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

    def _renorm_correction_and_moments(self, mean, variance, training):
        """(r, d, mean and variance the moving averages move towards), as TF 1.x."""
        stddev = math_ops.sqrt(variance + self.epsilon)
        # The renorm averages as if they had been initialized with this batch's moments.
        mixed_mean = self.renorm_mean + (1.0 - self.renorm_mean_weight) * mean
        mixed_stddev = self.renorm_stddev + (1.0 - self.renorm_stddev_weight) * stddev
        r = stddev / mixed_stddev
        d = (mean - mixed_mean) / mixed_stddev
        # The updates below read the renorm variables only after r and d did.
        with graph_mod.control_dependencies([r, d]):
            mean = constant_op.identity(mean)
            stddev = constant_op.identity(stddev)
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = math_ops.maximum(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = math_ops.minimum(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = math_ops.minimum(math_ops.maximum(d, -clip["dmax"]), clip["dmax"])
        r = select_by_training(training, lambda: r, lambda: array_ops.ones_like(r))
        d = select_by_training(training, lambda: d, lambda: array_ops.zeros_like(d))

        def update(var, weight, value):
            """Moves `var` and its weight; the debiased average `var / weight`."""
            def do_update():
                new_var = self._moving_update(var, value, training, self.renorm_momentum)
                new_weight = self._moving_update(weight, array_ops.ones_like(weight),
                                                 training, self.renorm_momentum)
                return new_var / new_weight
            return select_by_training(training, do_update,
                                      lambda: constant_op.identity(var))

        new_mean = update(self.renorm_mean, self.renorm_mean_weight, mean)
        new_stddev = update(self.renorm_stddev, self.renorm_stddev_weight, stddev)
        # So that sqrt(moving_variance + epsilon) is the renorm stddev.
        return r, d, new_mean, math_ops.square(new_stddev) - self.epsilon

    def _moments_call(self, inputs, training):
        """(output, mean, variance towards which the moving averages move)."""
        nd = inputs.shape.ndims
        reduce = [i for i in range(nd) if i not in self._axes]
        if self.virtual_batch_size is not None:
            del reduce[1]  # one set of statistics per virtual batch
        keep_dims = self.virtual_batch_size is not None or len(self._axes) > 1
        x = math_ops.cast(inputs, dtypes.float32) if inputs.dtype is dtypes.float16 else inputs
        mean, var = nn_ops.moments(x, reduce, keep_dims=keep_dims)
        if self.virtual_batch_size is not None:
            # One update with the virtual batches' mean statistics (as TF, not sequential).
            new_mean = math_ops.reduce_mean(mean, axis=1, keepdims=True)
            new_var = math_ops.reduce_mean(var, axis=1, keepdims=True)
        else:
            new_mean, new_var = mean, var
        if len(self._axes) > 1 or self.virtual_batch_size is not None:
            new_mean = array_ops.reshape(new_mean, self.moving_mean.shape.as_list())
            new_var = array_ops.reshape(new_var, self.moving_variance.shape.as_list())
        b = self._broadcast
        scale, offset = b(self.gamma, nd), b(self.beta, nd)
        if self.adjustment is not None:
            adj_scale, adj_bias = self.adjustment(array_ops.shape(x))
            adj_scale = select_by_training(training, lambda: adj_scale,
                                           lambda: array_ops.ones_like(adj_scale))
            adj_bias = select_by_training(training, lambda: adj_bias,
                                          lambda: array_ops.zeros_like(adj_bias))
            scale, offset = _compose_transforms(adj_scale, adj_bias, scale, offset)
        if self.renorm:
            r, d, new_mean, new_var = self._renorm_correction_and_moments(new_mean, new_var,
                                                                          training)
            r = constant_op.stop_gradient(b(r, nd), name="renorm_r")
            d = constant_op.stop_gradient(b(d, nd), name="renorm_d")
            scale, offset = _compose_transforms(r, d, scale, offset)

        def normalize(m, v, sc, of):
            return nn_ops.batch_normalization(x, b(m, nd), b(v, nd), of, sc, self.epsilon)

        y = select_by_training(
            training, lambda: normalize(mean, var, scale, offset),
            lambda: normalize(self.moving_mean, self.moving_variance, b(self.gamma, nd),
                              b(self.beta, nd)))
        return math_ops.cast(y, inputs.dtype), new_mean, new_var

    def call(self, inputs, training=False):
        """Normalizes `inputs`; `training` (Python bool or bool Tensor) picks batch or moving
        statistics and enables the moving-average updates."""
        if self.fused:
            y, mean, var = self._fused_call(inputs, training)
        elif self.virtual_batch_size is not None:
            # Ghost batches: [v, N / v, ...] (v must divide N), normalized, reshaped back.
            original = [-1] + inputs.shape.as_list()[1:]
            expanded = array_ops.reshape(inputs, [self.virtual_batch_size, -1] + original[1:])
            y, mean, var = self._moments_call(expanded, training)
            y = array_ops.reshape(y, original)
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


def _compose_transforms(scale, offset, then_scale, then_offset):
    """`(x * scale + offset) * then_scale + then_offset` as one (scale, offset)."""
    if then_scale is not None:
        scale = scale * then_scale
        offset = offset * then_scale
    if then_offset is not None:
        offset = offset + then_offset
    return scale, offset


BatchNorm = BatchNormalization

__all__ = ["BatchNorm", "BatchNormalization", "batch_normalization"]
