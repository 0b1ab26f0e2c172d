"""contrib's layer functions (TF 1.15's contrib/layers/python/layers/layers.py): thin
functions over `tf.layers` classes and ops, with contrib's names and defaults.

- Each opens a variable scope (`scope`, else a default made unique: "fully_connected",
  "Conv", "Conv2d_transpose", "BiasAdd", "Dropout") or, for layers without variables, a name
  scope ("MaxPool2D", "AvgPool2D", "Flatten", "OneHotEncoding").
- The `tf.layers` weights `kernel`/`bias` are renamed `weights`/`biases` by a custom getter
  and created as model variables (GLOBAL_VARIABLES + MODEL_VARIABLES, TRAINABLE_VARIABLES
  when trainable); `variables_collections` (a list, or a dict keyed "weights"/"biases")
  adds them to more collections; `outputs_collections` collects the output with the scope
  name as its alias (`tensor.aliases`).
- Default activation relu (`fully_connected`, `conv2d`, `conv2d_transpose`); with a
  `normalizer_fn` there is no bias, and `normalizer_fn(outputs, **normalizer_params)` runs
  before the activation. Weights default to `xavier_initializer()`, biases to zeros
  (`biases_initializer=None`: no bias). Regularizers' losses go to REGULARIZATION_LOSSES,
  named as TF 1.15's layers name them: `<scope>/kernel/Regularizer/l2_regularizer` (the
  `tf.layers` weight name, although the variable is `<scope>/weights`), once per variable
  (not again on reuse).

Every public function is decorated with `add_arg_scope`. Graph construction is not
thread-safe.
"""

import functools

from flowexec.contrib.framework import variables as contrib_variables
from flowexec.contrib.framework.arg_scope import add_arg_scope
from flowexec.contrib.layers import initializers, utils
from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.init_ops import zeros_initializer
from flowexec.layers import convolutional as conv_layers
from flowexec.layers import core as core_layers
from flowexec.layers.base import normalize_padding, normalize_tuple
from flowexec.ops import array_ops, math_ops, nn_ops, pooling_ops
from flowexec.variable_scope import variable_scope

__all__ = ["fully_connected", "linear", "relu", "relu6", "convolution", "convolution2d",
           "conv2d", "convolution2d_transpose", "conv2d_transpose", "max_pool2d",
           "avg_pool2d", "flatten", "dropout", "one_hot_encoding", "bias_add", "repeat",
           "stack", "softmax"]

DATA_FORMAT_NCHW = "NCHW"
DATA_FORMAT_NHWC = "NHWC"


def _model_variable_getter(getter, name, shape=None, dtype=None, initializer=None,
                           regularizer=None, trainable=True, collections=None,
                           caching_device=None, partitioner=None, rename=None,
                           use_resource=None, **_):
    """Creates the `tf.layers` weights as model variables, renamed by `rename`."""
    short_name = name.split("/")[-1]
    if rename and short_name in rename:
        parts = name.split("/")
        parts[-1] = rename[short_name]
        name = "/".join(parts)
    return contrib_variables.model_variable(
        name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
        collections=collections, trainable=trainable, caching_device=caching_device,
        partitioner=partitioner, custom_getter=getter, use_resource=use_resource)


def _build_variable_getter(rename=None):
    def layer_variable_getter(getter, *args, **kwargs):
        kwargs["rename"] = rename
        return _model_variable_getter(getter, *args, **kwargs)
    return layer_variable_getter


_WEIGHTS_RENAME = {"bias": "biases", "kernel": "weights"}


def _existing_variables():
    return {id(v) for v in graph_mod.get_collection(GraphKeys.GLOBAL_VARIABLES)}


def regularize_layer_weights(existing, pairs):
    """Applies each `(short name, variable, regularizer)` of a `tf.layers` layer whose
    variable is new (not in `existing`) as TF 1.15's layers do: in name scope
    `<layer scope>/<short name>/Regularizer` (`Conv/kernel/Regularizer/l2_regularizer`, the
    short name before the rename to weights/biases), the loss in REGULARIZATION_LOSSES."""
    for short_name, variable, regularizer in pairs:
        if not regularizer or variable is None or id(variable) in existing:
            continue
        with graph_mod.name_scope(short_name + "/Regularizer"):
            loss = regularizer(variable)
        if loss is not None:
            graph_mod.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)


def _apply_layer(layer, inputs, weights_regularizer, biases_regularizer):
    existing = _existing_variables()
    outputs = layer.apply(inputs)
    regularize_layer_weights(existing, [("kernel", layer.kernel, weights_regularizer),
                                        ("bias", layer.bias, biases_regularizer)])
    return outputs


def _finish(layer, outputs, sc, normalizer_fn, normalizer_params, activation_fn,
            variables_collections, outputs_collections):
    """The common tail: collections, normalizer, activation, collected outputs."""
    utils.add_variable_to_collections(layer.kernel, variables_collections, "weights")
    if layer.bias is not None:
        utils.add_variable_to_collections(layer.bias, variables_collections, "biases")
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=nn_ops.relu, normalizer_fn=None,
                    normalizer_params=None,
                    weights_initializer=initializers.xavier_initializer(),
                    weights_regularizer=None, biases_initializer=zeros_initializer(),
                    biases_regularizer=None, reuse=None, variables_collections=None,
                    outputs_collections=None, trainable=True, scope=None):
    """A fully connected layer: `activation_fn(normalizer_fn(inputs @ weights + biases))`.

    Variables `<scope>/weights` `[in, num_outputs]` and `<scope>/biases` `[num_outputs]`
    (scope default "fully_connected", made unique). Inputs of rank > 2 are contracted on
    their last axis.

    Args:
        inputs: a Tensor of rank >= 2 with a known last dimension.
        num_outputs: an int, the number of output units.
        activation_fn: default `tf.nn.relu`; None for linear.
        normalizer_fn: e.g. `batch_norm`; replaces the biases.
        normalizer_params: keyword arguments of `normalizer_fn`.
        weights_initializer, biases_initializer: initializers (`biases_initializer=None`:
            no biases).
        weights_regularizer, biases_regularizer: regularizers (losses in
            REGULARIZATION_LOSSES).
        reuse: reuse the variables of `scope`.
        variables_collections: extra collections of the variables (a list, or a dict with
            keys "weights", "biases").
        outputs_collections: collections to add the output to.
        trainable: add the variables to TRAINABLE_VARIABLES.
        scope: the variable scope.

    Returns:
        The output Tensor.

    Raises:
        ValueError: `num_outputs` is not an int, or the last input dimension is unknown.

    Example:
        >>> h = tf.contrib.layers.fully_connected(x, 128)
        >>> logits = tf.contrib.layers.fully_connected(h, 10, activation_fn=None)
    """
    if not isinstance(num_outputs, int):  # six.integer_types in TF (a bool passes)
        raise ValueError(f"num_outputs type should be one of {[int]}, got "
                         f"{type(num_outputs)}.")
    getter = _build_variable_getter(_WEIGHTS_RENAME)
    with variable_scope(scope, "fully_connected", [inputs], reuse=reuse,
                           custom_getter=getter) as sc:
        inputs = convert_to_tensor(inputs)
        layer = core_layers.Dense(
            units=num_outputs, activation=None,
            use_bias=bool(not normalizer_fn and biases_initializer),
            kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
            activity_regularizer=None, trainable=trainable, name=sc.name,
            dtype=inputs.dtype.base_dtype, _scope=sc, _reuse=reuse)
        outputs = _apply_layer(layer, inputs, weights_regularizer, biases_regularizer)
        return _finish(layer, outputs, sc, normalizer_fn, normalizer_params, activation_fn,
                       variables_collections, outputs_collections)


@add_arg_scope
def convolution(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None,
                rate=1, activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None,
                weights_initializer=initializers.xavier_initializer(),
                weights_regularizer=None, biases_initializer=zeros_initializer(),
                biases_regularizer=None, reuse=None, variables_collections=None,
                outputs_collections=None, trainable=True, scope=None, conv_dims=None):
    """An N-D convolution (N = rank - 2: 1, 2 or 3) with `tf.layers` Conv1D/2D/3D, then the
    normalizer and activation; variables `<scope>/weights` `[*kernel_size, in, num_outputs]`
    and `<scope>/biases` (scope default "Conv", made unique).

    Args:
        inputs: `[batch, *spatial, channels]` (or channels first for "NC..." formats).
        num_outputs: the number of filters.
        kernel_size: an int or N ints.
        stride: an int or N ints (1).
        padding: "SAME" (default) or "VALID".
        data_format: None/"NWC"/"NHWC"/"NDHWC" (channels last) or "NCW"/"NCHW"/"NCDHW".
        rate: the dilation rate, an int or N ints (1).
        conv_dims: the expected N, when set (`convolution2d` sets 2).
        Other arguments: as `fully_connected`.

    Returns:
        The output Tensor.

    Raises:
        ValueError: an invalid data_format, or an input rank that does not match.

    Example:
        >>> net = tf.contrib.layers.conv2d(images, 32, [3, 3], scope="conv1")
    """
    if data_format not in [None, "NWC", "NCW", "NHWC", "NCHW", "NDHWC", "NCDHW"]:
        raise ValueError(f"Invalid data_format: {data_format!r}")
    getter = _build_variable_getter(_WEIGHTS_RENAME)
    with variable_scope(scope, "Conv", [inputs], reuse=reuse,
                           custom_getter=getter) as sc:
        inputs = convert_to_tensor(inputs)
        input_rank = inputs.shape.ndims
        if conv_dims is not None and conv_dims + 2 != input_rank:
            raise ValueError("Convolution expects input with rank %d, got %d"
                             % (conv_dims + 2, input_rank))
        classes = {3: conv_layers.Conv1D, 4: conv_layers.Conv2D, 5: conv_layers.Conv3D}
        if input_rank not in classes:
            # TF passes the rank as a second argument.
            raise ValueError("Convolution not supported for input with rank", input_rank)
        df = "channels_first" if data_format and data_format.startswith("NC") \
            else "channels_last"
        layer = classes[input_rank](
            filters=num_outputs, kernel_size=kernel_size, strides=stride, padding=padding,
            data_format=df, dilation_rate=rate, activation=None,
            use_bias=bool(not normalizer_fn and biases_initializer),
            kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
            activity_regularizer=None, trainable=trainable, name=sc.name,
            dtype=inputs.dtype.base_dtype, _scope=sc, _reuse=reuse)
        outputs = _apply_layer(layer, inputs, weights_regularizer, biases_regularizer)
        return _finish(layer, outputs, sc, normalizer_fn, normalizer_params, activation_fn,
                       variables_collections, outputs_collections)


@add_arg_scope
def convolution2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME",
                  data_format=None, rate=1, activation_fn=nn_ops.relu, normalizer_fn=None,
                  normalizer_params=None,
                  weights_initializer=initializers.xavier_initializer(),
                  weights_regularizer=None, biases_initializer=zeros_initializer(),
                  biases_regularizer=None, reuse=None, variables_collections=None,
                  outputs_collections=None, trainable=True, scope=None):
    """`convolution` of a 4-D input (`conv_dims=2`); TF's `tf.contrib.layers.conv2d`.

    Example:
        >>> net = tf.contrib.layers.conv2d(images, 64, 3, stride=2, padding="VALID")
    """
    return convolution(inputs, num_outputs, kernel_size, stride, padding, data_format, rate,
                       activation_fn, normalizer_fn, normalizer_params, weights_initializer,
                       weights_regularizer, biases_initializer, biases_regularizer, reuse,
                       variables_collections, outputs_collections, trainable, scope,
                       conv_dims=2)


conv2d = convolution2d


def _check_2d_format(data_format):
    if data_format not in (DATA_FORMAT_NCHW, DATA_FORMAT_NHWC):
        raise ValueError("data_format has to be either NCHW or NHWC.")


@add_arg_scope
def convolution2d_transpose(inputs, num_outputs, kernel_size, stride=1, padding="SAME",
                            data_format=DATA_FORMAT_NHWC, activation_fn=nn_ops.relu,
                            normalizer_fn=None, normalizer_params=None,
                            weights_initializer=initializers.xavier_initializer(),
                            weights_regularizer=None, biases_initializer=zeros_initializer(),
                            biases_regularizer=None, reuse=None, variables_collections=None,
                            outputs_collections=None, trainable=True, scope=None):
    """A transposed 2-D convolution (`tf.layers.Conv2DTranspose`); variables
    `<scope>/weights` `[kh, kw, num_outputs, in]` and `<scope>/biases` (scope default
    "Conv2d_transpose"). Output size `in * stride` ("SAME") or
    `in * stride + max(k - stride, 0)` ("VALID").

    Raises:
        ValueError: data_format other than "NHWC" / "NCHW".

    Example:
        >>> up = tf.contrib.layers.conv2d_transpose(net, 16, 3, stride=2)
    """
    getter = _build_variable_getter(_WEIGHTS_RENAME)
    with variable_scope(scope, "Conv2d_transpose", [inputs], reuse=reuse,
                           custom_getter=getter) as sc:
        _check_2d_format(data_format)
        inputs = convert_to_tensor(inputs)
        df = "channels_first" if data_format.startswith("NC") else "channels_last"
        layer = conv_layers.Conv2DTranspose(
            filters=num_outputs, kernel_size=kernel_size, strides=stride, padding=padding,
            data_format=df, activation=None,
            use_bias=bool(not normalizer_fn and biases_initializer),
            kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
            activity_regularizer=None, trainable=trainable, name=sc.name,
            dtype=inputs.dtype.base_dtype, _scope=sc, _reuse=reuse)
        outputs = _apply_layer(layer, inputs, weights_regularizer, biases_regularizer)
        return _finish(layer, outputs, sc, normalizer_fn, normalizer_params, activation_fn,
                       variables_collections, outputs_collections)


conv2d_transpose = convolution2d_transpose


def _pool(kind, default_name, inputs, kernel_size, stride, padding, data_format,
          outputs_collections, scope):
    _check_2d_format(data_format)
    with graph_mod.name_scope(scope, default_name, [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        kh, kw = normalize_tuple(kernel_size, 2, "pool_size")
        sh, sw = normalize_tuple(stride, 2, "strides")
        padding = normalize_padding(padding)
        if data_format == DATA_FORMAT_NHWC:
            ksize, strides = [1, kh, kw, 1], [1, sh, sw, 1]
        else:
            ksize, strides = [1, 1, kh, kw], [1, 1, sh, sw]
        op = pooling_ops.max_pool if kind == "max" else pooling_ops.avg_pool
        outputs = op(inputs, ksize, strides, padding, data_format=data_format)
        return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def max_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format=DATA_FORMAT_NHWC,
               outputs_collections=None, scope=None):
    """2-D max pooling in name scope "MaxPool2D" (op `MaxPool2D/MaxPool`).

    Args:
        inputs: a 4-D Tensor.
        kernel_size: an int or 2 ints.
        stride: an int or 2 ints (2).
        padding: "VALID" (default) or "SAME".
        data_format: "NHWC" (default) or "NCHW".
        outputs_collections: collections to add the output to.
        scope: the name scope.

    Raises:
        ValueError: an invalid data_format, kernel_size, stride or padding.

    Example:
        >>> net = tf.contrib.layers.max_pool2d(net, [2, 2])
    """
    return _pool("max", "MaxPool2D", inputs, kernel_size, stride, padding, data_format,
                 outputs_collections, scope)


@add_arg_scope
def avg_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format=DATA_FORMAT_NHWC,
               outputs_collections=None, scope=None):
    """2-D average pooling in name scope "AvgPool2D"; arguments as `max_pool2d`.

    Example:
        >>> net = tf.contrib.layers.avg_pool2d(net, 3, stride=1, padding="SAME")
    """
    return _pool("avg", "AvgPool2D", inputs, kernel_size, stride, padding, data_format,
                 outputs_collections, scope)


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    """`[batch, d1, d2, ...] -> [batch, d1 * d2 * ...]` in name scope "Flatten".

    Example:
        >>> flat = tf.contrib.layers.flatten(net)
    """
    with graph_mod.name_scope(scope, "Flatten", [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        outputs = core_layers.flatten(inputs)
        return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True,
            outputs_collections=None, scope=None, seed=None):
    """Dropout keeping each unit with probability `keep_prob` (scaled by `1 / keep_prob`)
    when `is_training` (a Python bool or a bool Tensor; default True), else the identity.

    Example:
        >>> h = tf.contrib.layers.dropout(h, keep_prob=0.8, is_training=is_training)
    """
    with variable_scope(scope, "Dropout", [inputs],
                           custom_getter=_model_variable_getter) as sc:
        inputs = convert_to_tensor(inputs)
        layer = core_layers.Dropout(rate=1 - keep_prob, noise_shape=noise_shape, seed=seed,
                                    name=sc.name, _scope=sc)
        outputs = layer.apply(inputs, training=is_training)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def one_hot_encoding(labels, num_classes, on_value=1.0, off_value=0.0,
                     outputs_collections=None, scope=None):
    """`tf.one_hot(labels, num_classes)` (float32) in name scope "OneHotEncoding"; int32
    labels are cast to int64 first, as TF.

    Example:
        >>> onehot = tf.contrib.layers.one_hot_encoding(labels, 10)
    """
    with graph_mod.name_scope(scope, "OneHotEncoding", [labels, num_classes]) as sc:
        labels = convert_to_tensor(labels)
        if labels.dtype == dtypes.int32:
            labels = math_ops.to_int64(labels)
        outputs = array_ops.one_hot(labels, num_classes, on_value=on_value,
                                    off_value=off_value)
        return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def bias_add(inputs, activation_fn=None, initializer=zeros_initializer(), regularizer=None,
             reuse=None, variables_collections=None, outputs_collections=None,
             trainable=True, data_format=DATA_FORMAT_NHWC, scope=None):
    """Adds a learned bias `<scope>/biases` (scope default "BiasAdd") over the channel axis.

    Raises:
        ValueError: an invalid data_format, unknown rank, NCHW on a non-4-D input, or an
            unknown channel dimension.

    Example:
        >>> y = tf.contrib.layers.bias_add(x, activation_fn=tf.nn.relu)
    """
    _check_2d_format(data_format)
    with variable_scope(scope, "BiasAdd", [inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        dtype = inputs.dtype.base_dtype
        rank = inputs.shape.ndims
        if rank is None:
            raise ValueError("Dims of shape must be known but is None")
        if rank != 4 and data_format == DATA_FORMAT_NCHW:
            raise ValueError("Data format NCHW only supports 4D Tensor")
        axis = 1 if data_format == DATA_FORMAT_NCHW else -1
        num_features = inputs.shape.as_list()[axis]
        if num_features is None:
            raise ValueError("`C` dimension must be known but is None")
        biases = contrib_variables.model_variable(
            "biases", shape=[num_features], dtype=dtype, initializer=initializer,
            regularizer=regularizer,
            collections=utils.get_variable_collections(variables_collections, "biases"),
            trainable=trainable)
        outputs = nn_ops.bias_add(inputs, biases, data_format=data_format)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


def _layer_scope_name(layer, fallback):
    if hasattr(layer, "__name__"):
        return layer.__name__
    if hasattr(layer, "func") and hasattr(layer.func, "__name__"):
        return layer.func.__name__  # a functools.partial
    return fallback


def repeat(inputs, repetitions, layer, *args, **kwargs):
    """Applies `layer` `repetitions` times in variable scope `scope` (default "Repeat"),
    each call with scope `<name>_<i>` (i from 1; name: `scope`, else the layer's
    `__name__`).

    Example:
        >>> net = tf.contrib.layers.repeat(net, 3, tf.contrib.layers.conv2d, 64, [3, 3],
        ...                                scope="conv1")   # conv1/conv1_1 ... conv1_3
    """
    scope = kwargs.pop("scope", None)
    with variable_scope(scope, "Repeat", [inputs]):
        inputs = convert_to_tensor(inputs)
        if scope is None:
            scope = _layer_scope_name(layer, "repeat")
        outputs = inputs
        for i in range(repetitions):
            kwargs["scope"] = scope + "_" + str(i + 1)
            outputs = layer(outputs, *args, **kwargs)
        return outputs


def stack(inputs, layer, stack_args, **kwargs):
    """Applies `layer` once per entry of `stack_args` (each a tuple of positional arguments
    or one argument) in variable scope `scope` (default "Stack"), the i-th with scope
    `<name>_<i>`.

    Raises:
        ValueError: `stack_args` is not a list or tuple.

    Example:
        >>> y = tf.contrib.layers.stack(x, tf.contrib.layers.fully_connected, [32, 64, 128],
        ...                             scope="fc")   # fc/fc_1, fc/fc_2, fc/fc_3
    """
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError("stack_args need to be a list or tuple")
    with variable_scope(scope, "Stack", [inputs]):
        inputs = convert_to_tensor(inputs)
        if scope is None:
            scope = _layer_scope_name(layer, "stack")
        outputs = inputs
        for i, layer_args in enumerate(stack_args):
            kwargs["scope"] = scope + "_" + str(i + 1)
            if not isinstance(layer_args, (list, tuple)):
                layer_args = [layer_args]
            outputs = layer(outputs, *layer_args, **kwargs)
        return outputs


@add_arg_scope
def softmax(logits, scope=None):
    """Softmax over the last dimension of an N-D `logits` (reshaped to 2-D and back), in
    variable scope "softmax".

    Raises:
        ValueError: rank < 2 or an unknown last dimension.

    Example:
        >>> probs = tf.contrib.layers.softmax(logits)
    """
    with variable_scope(scope, "softmax", [logits]):
        logits = convert_to_tensor(logits)
        num_logits = utils.last_dimension(logits.shape, min_rank=2)
        logits_2d = array_ops.reshape(logits, [-1, num_logits])
        predictions = nn_ops.softmax(logits_2d)
        predictions = array_ops.reshape(predictions, array_ops.shape(logits))
        predictions.set_shape(logits.shape)
        return predictions


linear = functools.partial(fully_connected, activation_fn=None)
relu = functools.partial(fully_connected, activation_fn=nn_ops.relu)
relu6 = functools.partial(fully_connected, activation_fn=nn_ops.relu6)
