"""`tf.contrib.layers`: the core of TF 1.15's contrib layers, with TF's variable names,
scopes, defaults and collections.

- initializers.py: `xavier_initializer`, `xavier_initializer_conv2d`,
  `variance_scaling_initializer` (contrib's formulas);
- regularizers.py: `l1_regularizer`, `l2_regularizer`, `l1_l2_regularizer`,
  `sum_regularizer`, `apply_regularization`;
- layers.py: `fully_connected` (`linear`, `relu`, `relu6`), `conv2d`/`convolution2d`/
  `convolution`, `conv2d_transpose`, `max_pool2d`, `avg_pool2d`, `flatten`, `dropout`,
  `one_hot_encoding`, `bias_add`, `repeat`, `stack`, `softmax`;
- separable.py: `separable_conv2d`/`separable_convolution2d` (depthwise-only when
  `num_outputs=None`), `unit_norm`;
- normalization.py: `batch_norm`, `layer_norm`;
- encoders.py: `embed_sequence`.

The layer functions are decorated with `add_arg_scope`; `tf.contrib.layers.arg_scope` is
`tf.contrib.framework.arg_scope`. Not here: feature columns, optimizers, summaries,
3-D pooling, GDN, ...

Example:
    >>> slim = tf.contrib.layers
    >>> with tf.contrib.framework.arg_scope([slim.conv2d, slim.fully_connected],
    ...                                     weights_regularizer=slim.l2_regularizer(1e-4)):
    ...     net = slim.conv2d(images, 32, [3, 3], scope="conv1")
    ...     net = slim.max_pool2d(net, [2, 2], scope="pool1")
    ...     logits = slim.fully_connected(slim.flatten(net), 10, activation_fn=None)
"""

from flowexec.contrib.framework.arg_scope import add_arg_scope, arg_scope  # noqa: F401
from flowexec.contrib.layers.encoders import embed_sequence  # noqa: F401
from flowexec.contrib.layers.initializers import (  # noqa: F401
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)
from flowexec.contrib.layers.layers import (  # noqa: F401
    avg_pool2d,
    bias_add,
    conv2d,
    conv2d_transpose,
    convolution,
    convolution2d,
    convolution2d_transpose,
    dropout,
    flatten,
    fully_connected,
    linear,
    max_pool2d,
    one_hot_encoding,
    relu,
    relu6,
    repeat,
    softmax,
    stack,
)
from flowexec.contrib.layers.normalization import batch_norm, layer_norm  # noqa: F401
from flowexec.contrib.layers.separable import (  # noqa: F401
    separable_conv2d,
    separable_convolution2d,
    unit_norm,
)
from flowexec.contrib.layers.regularizers import (  # noqa: F401
    apply_regularization,
    l1_l2_regularizer,
    l1_regularizer,
    l2_regularizer,
    sum_regularizer,
)

__all__ = ["arg_scope", "add_arg_scope", "xavier_initializer", "xavier_initializer_conv2d",
           "variance_scaling_initializer", "l1_regularizer", "l2_regularizer",
           "l1_l2_regularizer", "sum_regularizer", "apply_regularization",
           "fully_connected", "linear", "relu", "relu6", "convolution", "convolution2d",
           "conv2d", "convolution2d_transpose", "conv2d_transpose", "max_pool2d",
           "avg_pool2d", "flatten", "dropout", "one_hot_encoding", "bias_add", "repeat",
           "stack", "softmax", "batch_norm", "layer_norm", "embed_sequence",
           "separable_conv2d", "separable_convolution2d", "unit_norm"]
