"""`tf.losses`: TF 1.x's loss functions, with weights, reductions and the LOSSES collection.

Example:
    >>> import flowexec as tf
    >>> loss = tf.losses.softmax_cross_entropy(onehot_labels, logits, label_smoothing=0.1)
    >>> total = tf.losses.get_total_loss()   # LOSSES + REGULARIZATION_LOSSES
"""

from flowexec.losses.losses_impl import (
    Reduction,
    absolute_difference,
    compute_weighted_loss,
    cosine_distance,
    hinge_loss,
    huber_loss,
    log_loss,
    mean_pairwise_squared_error,
    mean_squared_error,
    sigmoid_cross_entropy,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)
from flowexec.losses.util import (
    add_loss,
    get_losses,
    get_regularization_loss,
    get_regularization_losses,
    get_total_loss,
)

__all__ = ["Reduction", "absolute_difference", "add_loss", "compute_weighted_loss",
           "cosine_distance", "get_losses", "get_regularization_loss",
           "get_regularization_losses", "get_total_loss", "hinge_loss", "huber_loss",
           "log_loss", "mean_pairwise_squared_error", "mean_squared_error",
           "sigmoid_cross_entropy", "softmax_cross_entropy", "sparse_softmax_cross_entropy"]
