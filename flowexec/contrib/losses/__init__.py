"""`tf.contrib.losses` (= `slim.losses`): TF 1.15's deprecated contrib losses, with contrib's
argument order (predictions/logits first) and weighting — see loss_ops.py. Not here: the
metric-learning losses (`contrastive_loss`, `triplet_semihard_loss`, ...).

Example:
    >>> loss = tf.contrib.losses.softmax_cross_entropy(logits, onehot_labels)
    >>> total = tf.contrib.losses.get_total_loss()
"""

from flowexec.contrib.losses.loss_ops import *  # noqa: F401,F403
from flowexec.contrib.losses.loss_ops import __all__  # noqa: F401
