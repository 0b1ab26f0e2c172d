"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and their functional forms."""

from typing import ClassVar

from flowexec.layers.base import (
    InputSpec,
    Layer,
    channels_format,
    normalize_padding,
    normalize_tuple,
)
from flowexec.ops import pooling_ops


class _Pooling(Layer):
    """The pooling layer all ranks and kinds share."""

    _OPS: ClassVar[dict] = {("max", 1): pooling_ops.max_pool1d, ("max", 2): pooling_ops.max_pool,
                            ("max", 3): pooling_ops.max_pool3d,
                            ("avg", 1): pooling_ops.avg_pool1d,
                            ("avg", 2): pooling_ops.avg_pool,
                            ("avg", 3): pooling_ops.avg_pool3d}

    def __init__(self, kind, rank, pool_size, strides, padding="valid",
                 data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.kind = kind
        self.rank = rank
        self.pool_size = normalize_tuple(pool_size, rank, "pool_size")
        self.strides = normalize_tuple(self.pool_size if strides is None else strides, rank,
                                       "strides")
        self.padding = normalize_padding(padding)
        self.data_format = data_format or "channels_last"
        self._op_format = channels_format(self.data_format, rank)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        op = self._OPS[(self.kind, self.rank)]
        return op(inputs, list(self.pool_size), list(self.strides), self.padding,
                  data_format=self._op_format)


_POOL_DOC = """{rank}-D {what} pooling layer (`tf.layers.{cls}`).

    Args:
        pool_size: an int or {rank} ints, the window.
        strides: an int or {rank} ints (the layer class defaults to `pool_size`).
        padding: "valid" (default) or "same".
        data_format: "channels_last" (default) or "channels_first".
        name: the layer's name.

    Example:
        >>> h = tf.layers.{cls}(2, 2)(x)
    """


def _pool_class(cls_name, kind, rank, what):
    def __init__(self, pool_size, strides=None, padding="valid", data_format="channels_last",
                 name=None, **kwargs):
        _Pooling.__init__(self, kind, rank, pool_size, strides, padding, data_format, name,
                          **kwargs)

    return type(cls_name, (_Pooling,), {
        "__init__": __init__, "__module__": __name__,
        "__doc__": _POOL_DOC.format(rank=rank, what=what, cls=cls_name)})


MaxPooling1D = _pool_class("MaxPooling1D", "max", 1, "max")
MaxPooling2D = _pool_class("MaxPooling2D", "max", 2, "max")
MaxPooling3D = _pool_class("MaxPooling3D", "max", 3, "max")
AveragePooling1D = _pool_class("AveragePooling1D", "avg", 1, "average")
AveragePooling2D = _pool_class("AveragePooling2D", "avg", 2, "average")
AveragePooling3D = _pool_class("AveragePooling3D", "avg", 3, "average")
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D


def _functional(cls, inputs, pool_size, strides, padding, data_format, name):
    return cls(pool_size, strides, padding=padding, data_format=data_format,
               name=name).apply(inputs)


def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """Functional interface of `MaxPooling1D` (TF1: `strides` required).

    Example:
        >>> h = tf.layers.max_pooling1d(signal, 2, 2)
    """
    return _functional(MaxPooling1D, inputs, pool_size, strides, padding, data_format, name)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """Functional interface of `MaxPooling2D`.

    Args:
        inputs: 4-D Tensor.
        pool_size: an int or 2 ints.
        strides: an int or 2 ints.
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first".
        name: the layer's name.

    Returns:
        The pooled Tensor.

    Example:
        >>> h = tf.layers.max_pooling2d(conv1, pool_size=2, strides=2)
    """
    return _functional(MaxPooling2D, inputs, pool_size, strides, padding, data_format, name)


def max_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """Functional interface of `MaxPooling3D`.

    Example:
        >>> h = tf.layers.max_pooling3d(volumes, 2, 2)
    """
    return _functional(MaxPooling3D, inputs, pool_size, strides, padding, data_format, name)


def average_pooling1d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    """Functional interface of `AveragePooling1D`.

    Example:
        >>> h = tf.layers.average_pooling1d(signal, 2, 2)
    """
    return _functional(AveragePooling1D, inputs, pool_size, strides, padding, data_format,
                       name)


def average_pooling2d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    """Functional interface of `AveragePooling2D`.

    Example:
        >>> h = tf.layers.average_pooling2d(conv1, 2, 2, padding="same")
    """
    return _functional(AveragePooling2D, inputs, pool_size, strides, padding, data_format,
                       name)


def average_pooling3d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None):
    """Functional interface of `AveragePooling3D`.

    Example:
        >>> h = tf.layers.average_pooling3d(volumes, 2, 2)
    """
    return _functional(AveragePooling3D, inputs, pool_size, strides, padding, data_format,
                       name)


__all__ = ["AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D",
           "AvgPool2D", "AvgPool3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D",
           "MaxPooling2D", "MaxPooling3D", "average_pooling1d", "average_pooling2d",
           "average_pooling3d", "max_pooling1d", "max_pooling2d", "max_pooling3d"]
