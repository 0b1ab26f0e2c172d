"""Convolution layers: Conv1D/2D/3D, Conv2DTranspose/Conv3DTranspose, SeparableConv1D/2D and
their functional forms (`tf.layers.conv2d`, ...).

Weights as TF names them: `kernel` (`[*kernel_size, in_channels, filters]`; transposed
convolutions `[*kernel_size, filters, in_channels]`), `bias`, and for separable convolutions
`depthwise_kernel` / `pointwise_kernel`.
"""

from flowexec.framework.tensor_shape import TensorShape
from flowexec.layers.base import (
    ZEROS,
    InputSpec,
    Layer,
    channels_format,
    normalize_padding,
    normalize_tuple,
)
from flowexec.ops import array_ops, conv_ops, nn_ops


def _deconv_output_length(n, k, padding, stride):
    if n is None:
        return None
    if padding == "VALID":
        return n * stride + max(k - stride, 0)
    return n * stride


class _Conv(Layer):
    """The N-D convolution layer all ranks share."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer=None, bias_initializer=ZEROS,
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
                 **kwargs):
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = data_format or "channels_last"
        self._op_format = channels_format(self.data_format, rank)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(ndim=rank + 2)

    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _input_channels(self, input_shape):
        input_shape = TensorShape(input_shape)
        c = input_shape[self._channel_axis()]
        if c is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found "
                             "`None`.")
        return c

    def _kernel_shape(self, in_channels):
        return list(self.kernel_size) + [in_channels, self.filters]

    def build(self, input_shape):
        c = self._input_channels(input_shape)
        self.kernel = self.add_weight("kernel", shape=self._kernel_shape(c),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=[self.filters],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): c})
        self.built = True

    def _convolve(self, inputs):
        fmt = self._op_format
        if self.rank == 1:
            return conv_ops.conv1d(inputs, self.kernel, list(self.strides), self.padding,
                                   data_format=fmt, dilations=list(self.dilation_rate))
        op = conv_ops.conv2d if self.rank == 2 else conv_ops.conv3d
        return op(inputs, self.kernel, list(self.strides), self.padding, data_format=fmt,
                  dilations=list(self.dilation_rate))

    def _finish(self, outputs):
        if self.use_bias:
            fmt = "NCHW" if self.data_format == "channels_first" else "NHWC"
            outputs = nn_ops.bias_add(outputs, self.bias, data_format=fmt)
        if self.activation is not None:
            return self.activation(outputs)
        return outputs

    def call(self, inputs):
        return self._finish(self._convolve(inputs))


_CONV_DOC = """{rank}-D convolution layer (`tf.layers.{cls}`): `activation(conv(inputs, kernel)
    + bias)`.

    Args:
        filters: number of output channels.
        kernel_size: an int or {rank} ints.
        strides: an int or {rank} ints.
        padding: "valid" or "same" (case-insensitive).
        data_format: "channels_last" (default) or "channels_first".
        dilation_rate: an int or {rank} ints.
        activation: activation function or None.
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: initializers (kernel default: Glorot uniform).
        kernel_regularizer, bias_regularizer, activity_regularizer: `fn(x) -> loss` added to
            REGULARIZATION_LOSSES.
        kernel_constraint, bias_constraint: stored on the variables.
        trainable: whether the weights are trainable.
        name: the layer's name / variable scope.

    Example:
        >>> y = tf.layers.{cls}(32, {example_k}, padding="same", activation=tf.nn.relu)(x)
    """


class Conv1D(_Conv):
    __doc__ = _CONV_DOC.format(rank=1, cls="Conv1D", example_k=5)

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, **kwargs)


class Conv2D(_Conv):
    __doc__ = _CONV_DOC.format(rank=2, cls="Conv2D", example_k="(3, 3)")

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", dilation_rate=(1, 1), **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, **kwargs)


class Conv3D(_Conv):
    __doc__ = _CONV_DOC.format(rank=3, cls="Conv3D", example_k=3)

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format="channels_last", dilation_rate=(1, 1, 1), **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, **kwargs)


class _ConvTranspose(_Conv):
    def _kernel_shape(self, in_channels):
        return list(self.kernel_size) + [self.filters, in_channels]

    def call(self, inputs):
        channels_first = self.data_format == "channels_first"
        static = inputs.shape.as_list()
        spatial = static[2:] if channels_first else static[1:-1]
        dyn = array_ops.shape(inputs)
        offset = 2 if channels_first else 1
        outs = []
        for i, n in enumerate(spatial):
            size = n if n is not None else dyn[offset + i]
            outs.append(_deconv_output_length(size, self.kernel_size[i], self.padding,
                                              self.strides[i]))
        batch = static[0] if static[0] is not None else dyn[0]
        dims = [batch, self.filters] + outs if channels_first else [batch] + outs + \
            [self.filters]
        output_shape = array_ops.stack(dims)
        op = conv_ops.conv2d_transpose if self.rank == 2 else conv_ops.conv3d_transpose
        outputs = op(inputs, self.kernel, output_shape, list(self.strides), self.padding,
                     data_format=self._op_format)
        out_static = [d if isinstance(d, int) else None for d in dims]
        outputs.set_shape(out_static)
        return self._finish(outputs)


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution layer ("deconvolution"); kernel `[kh, kw, filters, in]`.

    Output size per spatial dimension: `in * stride` ("same") or `in * stride + max(k -
    stride, 0)` ("valid"). Other arguments as `Conv2D` (no dilation).

    Example:
        >>> up = tf.layers.Conv2DTranspose(16, 3, strides=2, padding="same")(h)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, 1, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution layer; kernel `[kd, kh, kw, filters, in]`.

    Example:
        >>> up = tf.layers.Conv3DTranspose(8, 3, strides=2, padding="same")(volumes)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format="channels_last", **kwargs):
        super().__init__(3, filters, kernel_size, strides, padding, data_format, 1, **kwargs)


class _SeparableConv(_Conv):
    """A depthwise convolution (`depth_multiplier` filters per input channel) followed by a
    pointwise (1x1) one to `filters` channels; 1-D runs as 2-D on a unit-height input, as
    TF's SeparableConv1D does."""

    def __init__(self, rank, filters, kernel_size, strides, padding, data_format,
                 dilation_rate, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer=None, pointwise_initializer=None,
                 bias_initializer=ZEROS, depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, **kwargs):
        super().__init__(rank, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint

    def build(self, input_shape):
        c = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=list(self.kernel_size) + [c, self.depth_multiplier],
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", shape=[1] * self.rank + [c * self.depth_multiplier,
                                                         self.filters],
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=[self.filters],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): c})
        self.built = True

    def call(self, inputs):
        first = self.data_format == "channels_first"
        fmt = "NCHW" if first else "NHWC"
        dw, pw = self.depthwise_kernel, self.pointwise_kernel
        strides, rate = list(self.strides), list(self.dilation_rate)
        if self.rank == 1:  # TF: strides (1, s, s, 1), rate (1, r), kernels expanded
            spatial = 2 if first else 1
            inputs = array_ops.expand_dims(inputs, spatial)
            dw, pw = array_ops.expand_dims(dw, 0), array_ops.expand_dims(pw, 0)
            strides, rate = strides * 2, [1] + rate
        strides = [1, 1] + strides if first else [1] + strides + [1]
        outputs = conv_ops.separable_conv2d(inputs, dw, pw, strides, self.padding, rate=rate,
                                            data_format=fmt)
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias, data_format=fmt)
        if self.rank == 1:
            outputs = array_ops.squeeze(outputs, [spatial])
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


_SEPARABLE_DOC = """Depthwise separable {rank}-D convolution (`tf.layers.{cls}`): a depthwise
    convolution (`depth_multiplier` filters per input channel) followed by a pointwise
    convolution to `filters` channels, plus bias and activation.

    Weights: `depthwise_kernel` `[{k}in_channels, depth_multiplier]`, `pointwise_kernel`
    `[{one}in_channels * depth_multiplier, filters]`, `bias`.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
        use_bias: as `Conv{rank}D`.
        depth_multiplier: depthwise filters per input channel.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer: regularizers.
        depthwise_constraint, pointwise_constraint: stored on the variables.
        **kwargs: as `Conv{rank}D` (bias_constraint, trainable, name, activity_regularizer).

    Example:
        >>> y = tf.layers.{cls}(64, 3, padding="same")(x)
    """


class SeparableConv1D(_SeparableConv):
    __doc__ = _SEPARABLE_DOC.format(rank=1, cls="SeparableConv1D", k="kernel_size, ",
                                    one="1, ")

    def __init__(self, filters, kernel_size, strides=1, padding="valid",
                 data_format="channels_last", dilation_rate=1, depth_multiplier=1, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, depth_multiplier, **kwargs)


class SeparableConv2D(_SeparableConv):
    __doc__ = _SEPARABLE_DOC.format(rank=2, cls="SeparableConv2D", k="kh, kw, ",
                                    one="1, 1, ")

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                 **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format,
                         dilation_rate, depth_multiplier, **kwargs)


def _functional(cls, inputs, *args, name=None, reuse=None, **kwargs):
    return cls(*args, name=name, _scope=name, _reuse=reuse, **kwargs).apply(inputs)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
           data_format="channels_last", dilation_rate=1, name=None, reuse=None, **kwargs):
    """Functional interface of `Conv1D` (other arguments as `Conv1D`).

    Example:
        >>> y = tf.layers.conv1d(signal, 16, 5, padding="same")
    """
    return _functional(Conv1D, inputs, filters, kernel_size, strides, padding, data_format,
                       dilation_rate, name=name, reuse=reuse, **kwargs)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), name=None, reuse=None,
           **kwargs):
    """Functional interface of `Conv2D` (other arguments as `Conv2D`).

    Args:
        inputs: 4-D Tensor.
        filters, kernel_size, strides, padding, data_format, dilation_rate: as `Conv2D`.
        name: the variable scope, used as given (default "conv2d", made unique).
        reuse: reuse the variables of a previous layer of the same name.
        **kwargs: activation, use_bias, initializers, regularizers, constraints, trainable.

    Returns:
        The output Tensor.

    Example:
        >>> h = tf.layers.conv2d(images, 32, 5, padding="same", activation=tf.nn.relu)
    """
    return _functional(Conv2D, inputs, filters, kernel_size, strides, padding, data_format,
                       dilation_rate, name=name, reuse=reuse, **kwargs)


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1, 1), name=None, reuse=None,
           **kwargs):
    """Functional interface of `Conv3D` (other arguments as `Conv3D`).

    Example:
        >>> y = tf.layers.conv3d(volumes, 8, 3, padding="same")
    """
    return _functional(Conv3D, inputs, filters, kernel_size, strides, padding, data_format,
                       dilation_rate, name=name, reuse=reuse, **kwargs)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", name=None, reuse=None, **kwargs):
    """Functional interface of `Conv2DTranspose`.

    Example:
        >>> up = tf.layers.conv2d_transpose(h, 16, 3, strides=2, padding="same")
    """
    return _functional(Conv2DTranspose, inputs, filters, kernel_size, strides, padding,
                       data_format, name=name, reuse=reuse, **kwargs)


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                     data_format="channels_last", name=None, reuse=None, **kwargs):
    """Functional interface of `Conv3DTranspose`.

    Example:
        >>> up = tf.layers.conv3d_transpose(v, 8, 3, strides=2, padding="same")
    """
    return _functional(Conv3DTranspose, inputs, filters, kernel_size, strides, padding,
                       data_format, name=name, reuse=reuse, **kwargs)


def separable_conv1d(inputs, filters, kernel_size, strides=1, padding="valid",
                     data_format="channels_last", dilation_rate=1, depth_multiplier=1,
                     name=None, reuse=None, **kwargs):
    """Functional interface of `SeparableConv1D`.

    Example:
        >>> y = tf.layers.separable_conv1d(signal, 32, 5, padding="same")
    """
    return _functional(SeparableConv1D, inputs, filters, kernel_size, strides, padding,
                       data_format, dilation_rate, depth_multiplier, name=name, reuse=reuse,
                       **kwargs)


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
                     data_format="channels_last", dilation_rate=(1, 1), depth_multiplier=1,
                     name=None, reuse=None, **kwargs):
    """Functional interface of `SeparableConv2D`.

    Example:
        >>> y = tf.layers.separable_conv2d(x, 64, 3, padding="same")
    """
    return _functional(SeparableConv2D, inputs, filters, kernel_size, strides, padding,
                       data_format, dilation_rate, depth_multiplier, name=name, reuse=reuse,
                       **kwargs)


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
           "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Convolution3D",
           "Convolution3DTranspose", "SeparableConv1D", "SeparableConv2D",
           "SeparableConvolution1D", "SeparableConvolution2D", "conv1d",
           "conv2d", "conv2d_transpose", "conv3d", "conv3d_transpose", "separable_conv1d",
           "separable_conv2d"]
