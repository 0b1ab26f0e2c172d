"""`tf.contrib.slim` (`import flowexec.contrib.slim as slim`): TF 1.15's TF-Slim namespace.

- from `tf.contrib.layers`: the layer functions (`conv2d`, `fully_connected`,
  `separable_conv2d`, `max_pool2d`, `batch_norm`, `repeat`, `stack`, ...), initializers and
  regularizers;
- from `tf.contrib.framework`: `arg_scope`, `add_arg_scope`, the variable helpers
  (`model_variable`, `get_variables_to_restore`, `assign_from_checkpoint_fn`, ...) and the
  global-step helpers;
- `slim.losses` (= `tf.contrib.losses`), `slim.metrics` (= `tf.contrib.metrics`);
- `slim.learning` (`create_train_op`, `train`), `slim.evaluation` (`evaluate_once`,
  `evaluation_loop`), `slim.summaries`, `slim.model_analyzer`;
- `variable_scope`, `get_variable_scope` (TF's slim re-exports variable_scope).

Not here: `slim.data` (dataset providers, TFExampleDecoder), `slim.queues`, `slim.nets`.

Example:
    >>> import flowexec.contrib.slim as slim
    >>> with slim.arg_scope([slim.conv2d], padding="SAME",
    ...                     weights_regularizer=slim.l2_regularizer(1e-4)):
    ...     net = slim.conv2d(images, 32, [3, 3], scope="conv1")
    ...     net = slim.max_pool2d(net, [2, 2], scope="pool1")
    ...     logits = slim.fully_connected(slim.flatten(net), 10, activation_fn=None)
    >>> slim.losses.softmax_cross_entropy(logits, onehot_labels)
    >>> train_op = slim.learning.create_train_op(slim.losses.get_total_loss(), optimizer)
    >>> slim.learning.train(train_op, "/tmp/train", number_of_steps=1000)
"""

from flowexec.contrib import losses, metrics  # noqa: F401
from flowexec.contrib.framework import *  # noqa: F401,F403
from flowexec.contrib.framework import __all__ as _framework_all
from flowexec.contrib.layers import *  # noqa: F401,F403
from flowexec.contrib.layers import __all__ as _layers_all
from flowexec.contrib.slim import evaluation, learning, model_analyzer, summaries  # noqa: F401
from flowexec.variable_scope import get_variable_scope, variable_scope  # noqa: F401

__all__ = sorted(set(_framework_all) | set(_layers_all) | {
    "losses", "metrics", "learning", "evaluation", "model_analyzer", "summaries",
    "variable_scope", "get_variable_scope"})
