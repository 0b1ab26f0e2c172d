"""The loss collections: `add_loss`, `get_losses`, the regularization losses, `get_total_loss`.

Loss functions add their result to GraphKeys.LOSSES (unless told another collection or None);
`tf.get_variable(..., regularizer=...)` and tf.layers add theirs to
GraphKeys.REGULARIZATION_LOSSES. Both are graph collections of the default graph.
"""

from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.ops import math_ops
from flowexec.ops.constant_op import constant


def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Adds `loss` to the collection `loss_collection` (nothing when it is None or empty).

    Example:
        >>> tf.losses.add_loss(my_loss); tf.losses.get_total_loss()
    """
    if loss_collection:
        graph_mod.add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    """The losses in `loss_collection`, filtered by name `scope` (a regex match) if given."""
    return graph_mod.get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    """The tensors in GraphKeys.REGULARIZATION_LOSSES, filtered by name `scope` if given."""
    return graph_mod.get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses (an AddN named `name`), or constant 0.0 if none.

    Example:
        >>> loss = data_loss + tf.losses.get_regularization_loss()
    """
    losses = get_regularization_losses(scope)
    if losses:
        return math_ops.add_n(losses, name=name)
    return constant(0.0)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the losses in GraphKeys.LOSSES (and the regularization losses by default).

    Args:
        add_regularization_losses: also add GraphKeys.REGULARIZATION_LOSSES.
        name: name of the AddN.
        scope: only losses whose names match this scope.

    Returns:
        A scalar Tensor.

    Raises:
        ValueError: there is no loss at all.
        TypeError: the losses have different dtypes (AddN's error).
    """
    losses = get_losses(scope=scope)
    if add_regularization_losses:
        losses = losses + get_regularization_losses(scope=scope)
    if not losses:
        raise ValueError("Inputs must be an iterable of at least one Tensor/IndexedSlices "
                         "with the same dtype and shape.")
    return math_ops.add_n(losses, name=name)


__all__ = ["add_loss", "get_losses", "get_regularization_loss", "get_regularization_losses",
           "get_total_loss"]
