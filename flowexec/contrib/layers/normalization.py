"""contrib's `batch_norm` and `layer_norm` (TF 1.15's contrib/layers/python/layers/layers.py).

`batch_norm` (scope "BatchNorm"; variables `beta` (center=True), `gamma` (scale=False by
default!), `moving_mean`, `moving_variance`, all model variables; decay 0.999, epsilon
0.001) takes one of three paths, as TF does:

1. the fused path (FusedBatchNormV3 on `[N, H, W, C]` / `[N, C, H, W]`; a 2-D input is
   reshaped to `[-1, 1, 1, C]`) when `fused` (None counts as True), no batch_weights/renorm/
   adjustment, a rank of 2 or 4, and (`zero_debias_moving_mean`, rank 2, or
   `updates_collections` other than UPDATE_OPS). Its batch variance (for the moving average)
   carries Bessel's correction `n / (n - 1)`;
2. otherwise, with no batch_weights, `updates_collections` UPDATE_OPS and no zero debias:
   `tf.layers.BatchNormalization` (axis 1 for NCHW, else -1; momentum = decay; fused on 4-D
   inputs), its updates in UPDATE_OPS;
3. otherwise the moments path: `moments` (or `weighted_moments` with batch_weights) and
   `batch_normalization`.

In paths 1 and 3 the moving averages move by `assign_moving_average(var, stat, decay)`
(`var -= (var - stat) * (1 - decay)`, zero-debiased for the mean when
`zero_debias_moving_mean`); with `updates_collections=None` they are run before the output
(in place), else their ops are added to `updates_collections`. `is_training` is a Python bool
or a bool Tensor (then `tf.cond` picks batch or moving statistics).
"""

from flowexec.contrib.framework import variables as contrib_variables
from flowexec.contrib.framework.arg_scope import add_arg_scope
from flowexec.contrib.layers import utils
from flowexec.contrib.layers.layers import (
    DATA_FORMAT_NCHW,
    DATA_FORMAT_NHWC,
    _build_variable_getter,
    _existing_variables,
    regularize_layer_weights,
)
from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.init_ops import ones_initializer, zeros_initializer
from flowexec.layers import normalization as normalization_layers
from flowexec.ops import array_ops, constant_op, nn_extra_ops, nn_ops, normalization_ops
from flowexec.train import moving_averages
from flowexec.variable_scope import get_variable_scope, variable_scope

__all__ = ["batch_norm", "layer_norm"]


def _moving_variables(params_shape, dtype, param_initializers, variables_collections):
    """`moving_mean` and `moving_variance`, created with partitioning off (as TF)."""
    with variable_scope(get_variable_scope()) as local_scope:
        local_scope.set_partitioner(None)
        moving_mean = contrib_variables.model_variable(
            "moving_mean", shape=params_shape, dtype=dtype,
            initializer=param_initializers.get("moving_mean", zeros_initializer()),
            trainable=False,
            collections=utils.get_variable_collections(variables_collections, "moving_mean"))
        moving_variance = contrib_variables.model_variable(
            "moving_variance", shape=params_shape, dtype=dtype,
            initializer=param_initializers.get("moving_variance", ones_initializer()),
            trainable=False,
            collections=utils.get_variable_collections(variables_collections,
                                                       "moving_variance"))
    return moving_mean, moving_variance


def _param(name, wanted, params_shape, dtype, initializer, regularizer, variables_collections,
           trainable):
    if not wanted:
        return None
    return contrib_variables.model_variable(
        name, shape=params_shape, dtype=dtype, initializer=initializer,
        regularizer=regularizer,
        collections=utils.get_variable_collections(variables_collections, name),
        trainable=trainable)


def _moving_updates(moving_mean, moving_variance, mean, variance, decay, zero_debias):
    update_mean = moving_averages.assign_moving_average(moving_mean, mean, decay,
                                                        zero_debias=zero_debias)
    update_variance = moving_averages.assign_moving_average(moving_variance, variance, decay,
                                                            zero_debias=False)
    return update_mean, update_variance


def _fused_batch_norm(inputs, decay, center, scale, epsilon, activation_fn,
                      param_initializers, param_regularizers, updates_collections,
                      is_training, reuse, variables_collections, outputs_collections,
                      trainable, data_format, zero_debias_moving_mean, scope):
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    with variable_scope(scope, "BatchNorm", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        original_inputs = inputs
        original_shape = inputs.shape
        rank = original_shape.ndims
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank")
        if rank not in (2, 4):
            raise ValueError(f"Inputs {inputs.name} has unsupported rank. Expected 2 or 4 "
                             f"but got {rank}")
        if rank == 2:
            channels = inputs.shape.as_list()[-1]
            if channels is None:
                raise ValueError("`C` dimension must be known but is None")
            new_shape = [-1, channels, 1, 1] if data_format == DATA_FORMAT_NCHW \
                else [-1, 1, 1, channels]
            inputs = array_ops.reshape(inputs, new_shape)
        inputs_shape = inputs.shape
        params_shape = inputs_shape[-1:] if data_format == DATA_FORMAT_NHWC \
            else inputs_shape[1:2]
        if not params_shape.is_fully_defined():
            raise ValueError(f"Inputs {inputs.name} has undefined `C` dimension "
                             f"{params_shape}.")
        # float32 parameters (fp16 inputs keep their precision in the statistics).
        variable_dtype = dtypes.float32
        param_initializers = param_initializers or {}
        param_regularizers = param_regularizers or {}
        beta = _param("beta", center, params_shape, variable_dtype,
                      param_initializers.get("beta", zeros_initializer()),
                      param_regularizers.get("beta"), variables_collections, trainable)
        if beta is None:
            beta = constant_op.constant(0.0, dtype=variable_dtype,
                                        shape=params_shape.as_list())
        gamma = _param("gamma", scale, params_shape, variable_dtype,
                       param_initializers.get("gamma", ones_initializer()),
                       param_regularizers.get("gamma"), variables_collections, trainable)
        if gamma is None:
            gamma = constant_op.constant(1.0, dtype=variable_dtype,
                                         shape=params_shape.as_list())
        moving_mean, moving_variance = _moving_variables(
            params_shape, variable_dtype, param_initializers, variables_collections)

        def _training():
            return normalization_ops.fused_batch_norm(inputs, gamma, beta, epsilon=epsilon,
                                                      data_format=data_format)

        def _inference():
            return normalization_ops.fused_batch_norm(
                inputs, gamma, beta, mean=moving_mean, variance=moving_variance,
                epsilon=epsilon, is_training=False, data_format=data_format)

        outputs, mean, variance = utils.smart_cond(is_training, _training, _inference)
        training_value = utils.constant_value(is_training)
        if training_value is None or training_value:
            if updates_collections is None:
                def _force_updates():
                    updates = _moving_updates(moving_mean, moving_variance, mean, variance,
                                              decay, zero_debias_moving_mean)
                    with graph_mod.control_dependencies(list(updates)):
                        return constant_op.identity(outputs)
                outputs = utils.smart_cond(is_training, _force_updates, lambda: outputs)
            else:
                update_mean, update_variance = utils.smart_cond(
                    is_training,
                    lambda: _moving_updates(moving_mean, moving_variance, mean, variance,
                                            decay, zero_debias_moving_mean),
                    lambda: (moving_mean, moving_variance))
                graph_mod.add_to_collections(updates_collections, update_mean)
                graph_mod.add_to_collections(updates_collections, update_variance)
        outputs.set_shape(inputs_shape)
        if rank == 2:
            outputs = array_ops.reshape(outputs, array_ops.shape(original_inputs))
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001,
               activation_fn=None, param_initializers=None, param_regularizers=None,
               updates_collections=GraphKeys.UPDATE_OPS, is_training=True, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format=DATA_FORMAT_NHWC,
               zero_debias_moving_mean=False, scope=None, renorm=False, renorm_clipping=None,
               renorm_decay=0.99, adjustment=None):
    """Batch normalization: `gamma * (x - mean) / sqrt(variance + epsilon) + beta` over all
    axes but the channel one (see the module docstring for the paths and updates).

    Args:
        inputs: a Tensor of rank >= 2, channels last (or axis 1 with "NCHW").
        decay: decay of the moving averages (0.999).
        center: add `beta` (True).
        scale: multiply by `gamma` (False, as TF: enable it when no linear layer follows).
        epsilon: added to the variance (0.001).
        activation_fn: applied to the output (None).
        param_initializers: dict of initializers for "beta", "gamma", "moving_mean",
            "moving_variance".
        param_regularizers: dict of regularizers for "beta", "gamma".
        updates_collections: where the moving-average updates go (UPDATE_OPS); None runs
            them in place, before the output.
        is_training: Python bool or bool Tensor: batch statistics and updates (True) or the
            moving averages.
        reuse, variables_collections, outputs_collections, trainable, scope: as
            `fully_connected` (variables_collections keys: "beta", "gamma", "moving_mean",
            "moving_variance").
        batch_weights: `[batch]` weights of the examples in the moments.
        fused: use the fused kernel when possible (None: True).
        data_format: "NHWC" (default) or "NCHW".
        zero_debias_moving_mean: zero-debias the moving mean (`<moving_mean>/biased`,
            `<moving_mean>/local_step`).
        renorm, renorm_clipping, renorm_decay, adjustment: `tf.layers.BatchNormalization`'s
            batch renormalization and adjustment (path 2 only).

    Returns:
        The normalized Tensor.

    Raises:
        ValueError: an invalid data_format, undefined rank or channels, or renorm with
            batch_weights / updates_collections / zero_debias_moving_mean.

    Example:
        >>> h = tf.contrib.layers.conv2d(x, 32, 3, normalizer_fn=tf.contrib.layers.batch_norm,
        ...                              normalizer_params={"is_training": is_training})
        >>> with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        ...     train_op = optimizer.minimize(loss)
    """
    if fused is None:
        fused = True
    inputs = convert_to_tensor(inputs)
    rank = inputs.shape.ndims
    possible_to_fuse = (batch_weights is None and not renorm and rank in (2, 4)
                        and adjustment is None)
    if fused and possible_to_fuse and (zero_debias_moving_mean or rank == 2
                                       or updates_collections is not GraphKeys.UPDATE_OPS):
        return _fused_batch_norm(
            inputs, decay=decay, center=center, scale=scale, epsilon=epsilon,
            activation_fn=activation_fn, param_initializers=param_initializers,
            param_regularizers=param_regularizers, updates_collections=updates_collections,
            is_training=is_training, reuse=reuse,
            variables_collections=variables_collections,
            outputs_collections=outputs_collections, trainable=trainable,
            data_format=data_format, zero_debias_moving_mean=zero_debias_moving_mean,
            scope=scope)
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    with variable_scope(scope, "BatchNorm", [inputs], reuse=reuse,
                           custom_getter=_build_variable_getter()) as sc:
        param_initializers = param_initializers or {}
        param_regularizers = param_regularizers or {}
        if (batch_weights is None and updates_collections is GraphKeys.UPDATE_OPS
                and not zero_debias_moving_mean):
            axis = 1 if data_format == DATA_FORMAT_NCHW else -1
            # TF 1.x's tf.layers quietly drops `fused` where the fused kernel cannot serve.
            fusable = (rank == 4 and not renorm and adjustment is None)
            layer = normalization_layers.BatchNormalization(
                axis=axis, momentum=decay, epsilon=epsilon, center=center, scale=scale,
                beta_initializer=param_initializers.get("beta", zeros_initializer()),
                gamma_initializer=param_initializers.get("gamma", ones_initializer()),
                moving_mean_initializer=param_initializers.get("moving_mean",
                                                               zeros_initializer()),
                moving_variance_initializer=param_initializers.get("moving_variance",
                                                                   ones_initializer()),
                trainable=trainable,
                renorm=renorm, renorm_clipping=renorm_clipping, renorm_momentum=renorm_decay,
                adjustment=adjustment, name=sc.name, _scope=sc, _reuse=reuse,
                fused=bool(fused) and fusable)
            existing = _existing_variables()
            outputs = layer.apply(inputs, training=is_training)
            regularize_layer_weights(existing, [
                ("gamma", layer.gamma, param_regularizers.get("gamma")),
                ("beta", layer.beta, param_regularizers.get("beta"))])
            utils.add_variable_to_collections(layer.moving_mean, variables_collections,
                                              "moving_mean")
            utils.add_variable_to_collections(layer.moving_variance, variables_collections,
                                              "moving_variance")
            if layer.beta is not None:
                utils.add_variable_to_collections(layer.beta, variables_collections, "beta")
            if layer.gamma is not None:
                utils.add_variable_to_collections(layer.gamma, variables_collections,
                                                  "gamma")
            if activation_fn is not None:
                outputs = activation_fn(outputs)
            return utils.collect_named_outputs(outputs_collections, sc.name, outputs)

        if renorm:
            raise ValueError("renorm is not supported with batch_weights, "
                             "updates_collections or zero_debias_moving_mean")
        inputs_shape = inputs.shape
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank.")
        dtype = inputs.dtype.base_dtype
        if batch_weights is not None:
            batch_weights = convert_to_tensor(batch_weights)
            inputs_shape[0:1].assert_is_compatible_with(batch_weights.shape)
            batch_weights = array_ops.reshape(batch_weights, [-1] + [1] * (rank - 1))
        if data_format == DATA_FORMAT_NCHW:
            moments_axes = [0] + list(range(2, rank))
            params_shape = inputs_shape[1:2]
            params_shape_broadcast = [1, params_shape.as_list()[0]] + [1] * (rank - 2)
        else:
            moments_axes = list(range(rank - 1))
            params_shape = inputs_shape[-1:]
            params_shape_broadcast = None
        if not params_shape.is_fully_defined():
            raise ValueError(f"Inputs {inputs.name} has undefined channels dimension "
                             f"{params_shape}.")
        beta = _param("beta", center, params_shape, dtype,
                      param_initializers.get("beta", zeros_initializer()),
                      param_regularizers.get("beta"), variables_collections, trainable)
        gamma = _param("gamma", scale, params_shape, dtype,
                       param_initializers.get("gamma", ones_initializer()),
                       param_regularizers.get("gamma"), variables_collections, trainable)
        moving_mean, moving_variance = _moving_variables(params_shape, dtype,
                                                         param_initializers,
                                                         variables_collections)
        training_value = utils.constant_value(is_training)
        if training_value is None or training_value:
            keep = data_format == DATA_FORMAT_NCHW
            if batch_weights is None:
                mean, variance = nn_ops.moments(inputs, moments_axes, keep_dims=keep)
            else:
                mean, variance = nn_extra_ops.weighted_moments(inputs, moments_axes,
                                                               batch_weights, keep_dims=keep)
            if keep:
                mean = array_ops.reshape(mean, [-1])
                variance = array_ops.reshape(variance, [-1])

            def moving_vars_fn():
                return moving_mean, moving_variance

            if updates_collections is None:
                def _force_updates():
                    updates = _moving_updates(moving_mean, moving_variance, mean, variance,
                                              decay, zero_debias_moving_mean)
                    with graph_mod.control_dependencies(list(updates)):
                        return constant_op.identity(mean), constant_op.identity(variance)
                mean, variance = utils.smart_cond(is_training, _force_updates,
                                                  moving_vars_fn)
            else:
                update_mean, update_variance = utils.smart_cond(
                    is_training,
                    lambda: _moving_updates(moving_mean, moving_variance, mean, variance,
                                            decay, zero_debias_moving_mean),
                    moving_vars_fn)
                graph_mod.add_to_collections(updates_collections, update_mean)
                graph_mod.add_to_collections(updates_collections, update_variance)
                batch_mean, batch_variance = mean, variance
                mean, variance = utils.smart_cond(
                    is_training, lambda: (batch_mean, batch_variance), moving_vars_fn)
        else:
            mean, variance = moving_mean, moving_variance
        if data_format == DATA_FORMAT_NCHW:
            mean = array_ops.reshape(mean, params_shape_broadcast)
            variance = array_ops.reshape(variance, params_shape_broadcast)
            if beta is not None:
                beta = array_ops.reshape(beta, params_shape_broadcast)
            if gamma is not None:
                gamma = array_ops.reshape(gamma, params_shape_broadcast)
        outputs = nn_ops.batch_normalization(inputs, mean, variance, beta, gamma, epsilon)
        outputs.set_shape(inputs_shape)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def layer_norm(inputs, center=True, scale=True, activation_fn=None, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               begin_norm_axis=1, begin_params_axis=-1, scope=None):
    """Layer normalization (Ba et al.): normalizes over axes `begin_norm_axis:` and applies
    `beta`/`gamma` of shape `inputs.shape[begin_params_axis:]` (scope "LayerNorm").
    The variance epsilon is 1e-12 (1e-3 for float16).

    Raises:
        ValueError: undefined rank, an axis >= rank, or undefined parameter dimensions.

    Example:
        >>> h = tf.contrib.layers.layer_norm(h)
    """
    with variable_scope(scope, "LayerNorm", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        inputs_shape = inputs.shape
        rank = inputs_shape.ndims
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank.")
        dtype = inputs.dtype.base_dtype
        if begin_norm_axis < 0:
            begin_norm_axis = rank + begin_norm_axis
        if begin_params_axis >= rank or begin_norm_axis >= rank:
            raise ValueError("begin_params_axis (%d) and begin_norm_axis (%d) must be < "
                             "rank(inputs) (%d)" % (begin_params_axis, begin_norm_axis, rank))
        params_shape = inputs_shape[begin_params_axis:]
        if not params_shape.is_fully_defined():
            raise ValueError(f"Inputs {inputs.name}: shape(inputs)[{begin_params_axis}:] is "
                             f"not fully defined: {inputs_shape}")
        beta = _param("beta", center, params_shape, dtype, zeros_initializer(), None,
                      variables_collections, trainable)
        gamma = _param("gamma", scale, params_shape, dtype, ones_initializer(), None,
                       variables_collections, trainable)
        norm_axes = list(range(begin_norm_axis, rank))
        mean, variance = nn_ops.moments(inputs, norm_axes, keep_dims=True)
        variance_epsilon = 1e-12 if dtype != dtypes.float16 else 1e-3
        outputs = nn_ops.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                             variance_epsilon=variance_epsilon)
        outputs.set_shape(inputs_shape)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)
