"""`tf.contrib.seq2seq.sequence_loss`: weighted cross entropy over a batch of sequences
(TF 1.15's contrib/seq2seq/python/ops/loss.py).

The per-position losses are multiplied by `weights` and then reduced: averaging divides by
the sum of the weights, summing divides by the number of nonzero weights (TF's odd but
documented choice: a "sum" is a sum over the positions that count, normalized by how many
count), and a zero divisor gives 0 (`div_no_nan`), never NaN.
"""

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, division_ops, math_ops, nn_ops

__all__ = ["sequence_loss"]


def sequence_loss(logits, targets, weights, average_across_timesteps=True,
                  average_across_batch=True, sum_over_timesteps=False, sum_over_batch=False,
                  softmax_loss_function=None, name=None):
    """Weighted cross-entropy loss for a sequence of logits.

    With both averages (the default) the result is a scalar: `sum(w * xent) / sum(w)`.
    With one average it is a vector: over time ([batch]) or over the batch ([time]). With
    `sum_over_*` the weighted losses are summed and divided by the number of nonzero weights
    on that axis (both: a scalar). With neither it is the [batch, time] weighted losses.

    Args:
        logits: float `[batch_size, sequence_length, num_decoder_symbols]`.
        targets: int `[batch_size, sequence_length]` class ids.
        weights: float `[batch_size, sequence_length]`, e.g. a sequence mask.
        average_across_timesteps: divide the sum over time by the sum of the weights.
        average_across_batch: divide the sum over the batch by the sum of the weights.
        sum_over_timesteps: sum over time, divided by the count of nonzero weights.
        sum_over_batch: sum over the batch, divided by the count of nonzero weights.
        softmax_loss_function: `fn(labels=[N] ids, logits=[N, classes]) -> [N]` used
            instead of `tf.nn.sparse_softmax_cross_entropy_with_logits`.
        name: name scope (default "sequence_loss").

    Returns:
        A float Tensor: a scalar, `[batch_size]`, `[sequence_length]` or
        `[batch_size, sequence_length]` as above.

    Raises:
        ValueError: logits not rank 3, targets or weights not rank 2, or an average and a
            sum asked for on the same axis.

    Example:
        >>> mask = tf.sequence_mask(lengths, max_len, dtype=tf.float32)
        >>> loss = tf.contrib.seq2seq.sequence_loss(logits, target_ids, mask)
    """
    logits = convert_to_tensor(logits, name="logits")
    targets = convert_to_tensor(targets, name="targets")
    weights = convert_to_tensor(weights, name="weights")
    if logits.shape.ndims != 3:
        raise ValueError("Logits must be a [batch_size x sequence_length x logits] tensor")
    if targets.shape.ndims != 2:
        raise ValueError("Targets must be a [batch_size x sequence_length] tensor")
    if weights.shape.ndims != 2:
        raise ValueError("Weights must be a [batch_size x sequence_length] tensor")
    if average_across_timesteps and sum_over_timesteps:
        raise ValueError("average_across_timesteps and sum_over_timesteps cannot be set to "
                         "True at same time.")
    if average_across_batch and sum_over_batch:
        raise ValueError("average_across_batch and sum_over_batch cannot be set to True at "
                         "same time.")
    with name_scope(name, "sequence_loss", [logits, targets, weights]):
        num_classes = array_ops.shape(logits)[2]
        logits_flat = array_ops.reshape(logits, [-1, num_classes])
        targets = array_ops.reshape(targets, [-1])
        if softmax_loss_function is None:
            crossent = nn_ops.sparse_softmax_cross_entropy_with_logits(
                labels=targets, logits=logits_flat)
        else:
            crossent = softmax_loss_function(labels=targets, logits=logits_flat)
        crossent = crossent * array_ops.reshape(weights, [-1])
        if average_across_timesteps and average_across_batch:
            return division_ops.div_no_nan(math_ops.reduce_sum(crossent),
                                           math_ops.reduce_sum(weights))
        if sum_over_timesteps and sum_over_batch:
            count = math_ops.cast(math_ops.count_nonzero(weights), crossent.dtype)
            return division_ops.div_no_nan(math_ops.reduce_sum(crossent), count)
        crossent = array_ops.reshape(crossent, array_ops.shape(logits)[0:2])
        if average_across_timesteps or average_across_batch:
            axis = [0] if average_across_batch else [1]
            return division_ops.div_no_nan(math_ops.reduce_sum(crossent, axis=axis),
                                           math_ops.reduce_sum(weights, axis=axis))
        if sum_over_timesteps or sum_over_batch:
            axis = [0] if sum_over_batch else [1]
            count = math_ops.cast(math_ops.count_nonzero(weights, axis=axis),
                                  dtype=crossent.dtype)
            return division_ops.div_no_nan(math_ops.reduce_sum(crossent, axis=axis), count)
        return crossent

