"""contrib's `separable_conv2d` (`separable_convolution2d`) and `unit_norm` (TF 1.15's
contrib/layers/python/layers/layers.py).

`separable_conv2d` with `num_outputs` is `tf.layers.SeparableConv2D` with contrib's names:
variables `<scope>/depthwise_weights` `[kh, kw, in, depth_multiplier]`,
`<scope>/pointwise_weights` `[1, 1, in * depth_multiplier, num_outputs]` and
`<scope>/biases` (scope default "SeparableConv2d"), all model variables; `weights_regularizer`
regularizes both kernels. With `num_outputs=None` it is only the depthwise convolution
(`tf.nn.depthwise_conv2d`), with biases `[in * depth_multiplier]`.
"""

from flowexec.contrib.framework import variables as contrib_variables
from flowexec.contrib.framework.arg_scope import add_arg_scope
from flowexec.contrib.layers import initializers, utils
from flowexec.contrib.layers.layers import (
    _build_variable_getter,
    _existing_variables,
    regularize_layer_weights,
)
from flowexec.framework.convert import convert_to_tensor
from flowexec.init_ops import zeros_initializer
from flowexec.layers import convolutional as conv_layers
from flowexec.layers.base import normalize_tuple
from flowexec.ops import conv_ops, math_ops, nn_ops
from flowexec.variable_scope import variable_scope

__all__ = ["separable_convolution2d", "separable_conv2d", "unit_norm"]

_SEPARABLE_RENAME = {"bias": "biases", "depthwise_kernel": "depthwise_weights",
                     "pointwise_kernel": "pointwise_weights"}


@add_arg_scope
def separable_convolution2d(inputs, num_outputs, kernel_size, depth_multiplier=1, stride=1,
                            padding="SAME", data_format="NHWC", rate=1,
                            activation_fn=nn_ops.relu, normalizer_fn=None,
                            normalizer_params=None,
                            weights_initializer=initializers.xavier_initializer(),
                            pointwise_initializer=None, weights_regularizer=None,
                            biases_initializer=zeros_initializer(), biases_regularizer=None,
                            reuse=None, variables_collections=None, outputs_collections=None,
                            trainable=True, scope=None):
    """A depthwise-separable 2-D convolution (see the module docstring for the variables).

    Args:
        inputs: a 4-D Tensor (NHWC or NCHW).
        num_outputs: the pointwise output channels; None: depthwise convolution only.
        kernel_size: an int or 2 ints.
        depth_multiplier: depthwise filters per input channel.
        stride: an int or 2 ints.
        padding: "SAME" (default) or "VALID".
        data_format: "NHWC" (default) or "NCHW".
        rate: an int or 2 ints, the dilation rate.
        activation_fn: default relu; None for linear.
        normalizer_fn, normalizer_params: a normalizer replacing the biases.
        weights_initializer: the depthwise initializer (and the pointwise one unless
            `pointwise_initializer` is given).
        weights_regularizer: regularizes the depthwise and pointwise weights.
        biases_initializer, biases_regularizer: for the biases (None initializer: none).
        reuse, variables_collections, outputs_collections, trainable, scope: as `conv2d`
            (`variables_collections` dict keys "depthwise_weights", "pointwise_weights",
            "biases"; "weights" in the depthwise-only form).

    Returns:
        The output Tensor.

    Raises:
        ValueError: data_format other than "NHWC" / "NCHW".

    Example:
        >>> net = slim.separable_conv2d(images, 64, [3, 3], depth_multiplier=2)
    """
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    getter = _build_variable_getter(_SEPARABLE_RENAME)
    with variable_scope(scope, "SeparableConv2d", [inputs], reuse=reuse,
                        custom_getter=getter) as sc:
        inputs = convert_to_tensor(inputs)
        channels_first = data_format == "NCHW"
        if num_outputs is not None:
            layer = conv_layers.SeparableConv2D(
                filters=num_outputs, kernel_size=kernel_size, strides=stride, padding=padding,
                data_format="channels_first" if channels_first else "channels_last",
                dilation_rate=normalize_tuple(rate, 2, "rate"), activation=None,
                depth_multiplier=depth_multiplier,
                use_bias=bool(not normalizer_fn and biases_initializer),
                depthwise_initializer=weights_initializer,
                pointwise_initializer=pointwise_initializer or weights_initializer,
                bias_initializer=biases_initializer or zeros_initializer(),
                trainable=trainable, name=sc.name, dtype=inputs.dtype.base_dtype, _scope=sc,
                _reuse=reuse)
            existing = _existing_variables()
            outputs = layer.apply(inputs)
            regularize_layer_weights(existing, [
                ("depthwise_kernel", layer.depthwise_kernel, weights_regularizer),
                ("pointwise_kernel", layer.pointwise_kernel, weights_regularizer),
                ("bias", layer.bias, biases_regularizer)])
            utils.add_variable_to_collections(layer.depthwise_kernel, variables_collections,
                                              "depthwise_weights")
            utils.add_variable_to_collections(layer.pointwise_kernel, variables_collections,
                                              "pointwise_weights")
            if layer.bias is not None:
                utils.add_variable_to_collections(layer.bias, variables_collections, "biases")
            if normalizer_fn is not None:
                outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        else:
            kh, kw = normalize_tuple(kernel_size, 2, "kernel_size")
            sh, sw = normalize_tuple(stride, 2, "stride")
            channels = inputs.shape.as_list()[1 if channels_first else -1]
            if channels is None:
                raise ValueError("The input channel dimension must be known.")
            weights = contrib_variables.model_variable(
                "depthwise_weights", shape=[kh, kw, channels, depth_multiplier],
                dtype=inputs.dtype.base_dtype, initializer=weights_initializer,
                regularizer=weights_regularizer, trainable=trainable,
                collections=utils.get_variable_collections(variables_collections, "weights"))
            strides = [1, 1, sh, sw] if channels_first else [1, sh, sw, 1]
            outputs = conv_ops.depthwise_conv2d(inputs, weights, strides, padding,
                                                rate=normalize_tuple(rate, 2, "rate"),
                                                data_format=data_format)
            if normalizer_fn is not None:
                outputs = normalizer_fn(outputs, **(normalizer_params or {}))
            elif biases_initializer is not None:
                biases = contrib_variables.model_variable(
                    "biases", shape=[channels * depth_multiplier],
                    dtype=inputs.dtype.base_dtype, initializer=biases_initializer,
                    regularizer=biases_regularizer, trainable=trainable,
                    collections=utils.get_variable_collections(variables_collections,
                                                               "biases"))
                outputs = nn_ops.bias_add(outputs, biases, data_format=data_format)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


separable_conv2d = separable_convolution2d


@add_arg_scope
def unit_norm(inputs, dim, epsilon=1e-7, scope=None):
    """`inputs / sqrt(sum(inputs**2, dim) + epsilon)`: unit length along `dim`, in variable
    scope "UnitNorm".

    Args:
        inputs: a Tensor of known rank.
        dim: the axis to normalize (0 <= dim < rank).
        epsilon: added under the square root.
        scope: the variable scope.

    Returns:
        A Tensor like `inputs`.

    Raises:
        ValueError: unknown rank or `dim` out of range.

    Example:
        >>> normed = slim.unit_norm(embeddings, dim=1)
    """
    with variable_scope(scope, "UnitNorm", [inputs]):
        inputs = convert_to_tensor(inputs)
        rank = inputs.shape.ndims
        if rank is None:
            raise ValueError("The input rank must be known.")
        if dim < 0 or dim >= rank:
            raise ValueError("dim must be positive but smaller than the input rank.")
        lengths = math_ops.sqrt(epsilon + math_ops.reduce_sum(math_ops.square(inputs), dim,
                                                              keepdims=True))
        return math_ops.truediv(inputs, lengths)
