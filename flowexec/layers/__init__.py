"""`tf.layers`: TF 1.x's layers, as classes (`tf.layers.Dense`) and functions
(`tf.layers.dense`), with variables made by `get_variable` in TF's scopes
(`dense/kernel`, `dense_1/bias`, `conv2d/kernel`, `batch_normalization/moving_mean`).

Example:
    >>> import flowexec as tf
    >>> x = tf.placeholder(tf.float32, [None, 28, 28, 1])
    >>> h = tf.layers.conv2d(x, 32, 5, padding="same", activation=tf.nn.relu)
    >>> h = tf.layers.max_pooling2d(h, 2, 2)
    >>> logits = tf.layers.dense(tf.layers.flatten(h), 10)
"""

from flowexec.layers.base import InputSpec, Layer
from flowexec.layers.convolutional import *
from flowexec.layers.convolutional import __all__ as _CONV_ALL
from flowexec.layers.core import *
from flowexec.layers.core import __all__ as _CORE_ALL
from flowexec.layers.normalization import *
from flowexec.layers.normalization import __all__ as _NORMALIZATION_ALL
from flowexec.layers.pooling import *
from flowexec.layers.pooling import __all__ as _POOLING_ALL

__all__ = (["InputSpec", "Layer"] + list(_CORE_ALL) + list(_CONV_ALL) + list(_POOLING_ALL)
           + list(_NORMALIZATION_ALL))
