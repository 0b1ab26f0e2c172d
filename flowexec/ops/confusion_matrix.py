"""confusion_matrix: `remove_squeezable_dimensions`, shared by tf.losses and tf.metrics.

TF's labels/predictions often differ by a trailing dimension of size 1 (`[batch, 1]` labels
for `[batch]` predictions); the helper squeezes it when the ranks, known at build time, say
so. With a rank unknown at build time nothing is squeezed (TF decides at run time with a
`cond`): give such tensors a known rank.
"""

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops


def _last_dim_may_be_one(shape):
    last = shape.as_list()[-1]
    return last is None or last == 1


def remove_squeezable_dimensions(labels, predictions, expected_rank_diff=0, name=None):
    """Squeezes a last dimension of size 1 from `labels` or `predictions`.

    Args:
        labels: label values, a Tensor whose rank is usually rank(predictions) -
            expected_rank_diff.
        predictions: predicted values.
        expected_rank_diff: the rank of predictions minus that of labels that needs nothing
            squeezed (1 for sparse labels of logits).
        name: name scope (default "remove_squeezable_dimensions").

    Returns:
        (labels, predictions), one of them squeezed on its last axis when
        rank(predictions) - rank(labels) is expected_rank_diff + 1 (squeeze predictions) or
        expected_rank_diff - 1 (squeeze labels), and that last dimension may be 1.
    """
    with name_scope(name, "remove_squeezable_dimensions", [labels, predictions]):
        predictions = convert_to_tensor(predictions)
        labels = convert_to_tensor(labels)
        p_shape, l_shape = predictions.shape, labels.shape
        if p_shape.ndims is None or l_shape.ndims is None:
            return labels, predictions
        rank_diff = p_shape.ndims - l_shape.ndims
        if rank_diff == expected_rank_diff + 1 and _last_dim_may_be_one(p_shape):
            predictions = array_ops.squeeze(predictions, [-1])
        elif rank_diff == expected_rank_diff - 1 and _last_dim_may_be_one(l_shape):
            labels = array_ops.squeeze(labels, [-1])
        return labels, predictions


__all__ = ["remove_squeezable_dimensions"]
