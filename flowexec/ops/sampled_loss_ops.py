"""sampled_loss_ops: `nce_loss` and `sampled_softmax_loss`, TF 1.x's sampled losses.

Both score the true classes and `num_sampled` sampled classes (log-uniform by default, or the
caller's `sampled_values`) with the rows of `weights`/`biases` (embedding lookups, so a list
of sharded tables works), then, as TF's `_compute_sampled_logits`:

- with `remove_accidental_hits`, a sampled class equal to one of the row's true classes gets
  -FLT_MAX added to its logit (so it does not count as a negative);
- with `subtract_log_q` (always, for both losses), log(expected count) is subtracted from
  every logit (the sampling correction);
- the labels are 1 / num_true for the true columns, 0 for the sampled ones.

`nce_loss` is the per-example sum of sigmoid cross-entropies over those columns;
`sampled_softmax_loss` the softmax cross-entropy. Gradients flow into weights, biases and
inputs, never into the sampler's outputs.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops, math_ops, nn_ops
from flowexec.ops.candidate_sampling_ops import log_uniform_candidate_sampler
from flowexec.ops.constant_op import constant, stop_gradient
from flowexec.ops.embedding_ops import embedding_lookup


def _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes,
                            num_true, sampled_values, subtract_log_q, remove_accidental_hits,
                            partition_strategy, seed):
    if not isinstance(weights, (list, tuple)):
        weights = [weights]
    if not isinstance(biases, (list, tuple)):
        biases = [biases]
    inputs = convert_to_tensor(inputs, name="inputs")
    labels = math_ops.cast(convert_to_tensor(labels, name="labels"), dtypes.int64)
    labels_flat = array_ops.reshape(labels, [-1])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True,
                                                       num_classes, seed=seed)
    sampled, true_count, sampled_count = (stop_gradient(convert_to_tensor(s))
                                          for s in sampled_values)
    sampled = math_ops.cast(sampled, dtypes.int64)
    n_true = array_ops.shape(labels_flat)[0]
    all_ids = array_ops.concat([labels_flat, sampled], 0)
    all_w = math_ops.cast(embedding_lookup(list(weights), all_ids,
                                           partition_strategy=partition_strategy),
                          inputs.dtype)
    all_b = math_ops.cast(embedding_lookup(list(biases), all_ids,
                                           partition_strategy=partition_strategy),
                          inputs.dtype)
    true_w, sampled_w = all_w[:n_true], all_w[n_true:]
    true_b, sampled_b = all_b[:n_true], all_b[n_true:]
    sampled_logits = math_ops.matmul(inputs, sampled_w, transpose_b=True) + sampled_b
    dim = array_ops.shape(true_w)[1:2]
    true_w = array_ops.reshape(true_w, array_ops.concat([constant([-1, num_true]), dim], 0))
    true_logits = math_ops.reduce_sum(array_ops.expand_dims(inputs, 1) * true_w, axis=2)
    true_logits = true_logits + array_ops.reshape(true_b, [-1, num_true])
    if remove_accidental_hits:
        hits = math_ops.reduce_any(math_ops.equal(array_ops.expand_dims(labels, 2),
                                                  array_ops.reshape(sampled, [1, 1, -1])),
                                   axis=1)
        lowest = constant(-float(dtypes.float32.max), dtype=sampled_logits.dtype)
        sampled_logits = sampled_logits + math_ops.where(
            hits, array_ops.zeros_like(sampled_logits) + lowest,
            array_ops.zeros_like(sampled_logits))
    if subtract_log_q:
        true_logits = true_logits - math_ops.log(math_ops.cast(true_count, inputs.dtype))
        sampled_logits = sampled_logits - math_ops.log(math_ops.cast(sampled_count,
                                                                     inputs.dtype))
    out_logits = array_ops.concat([true_logits, sampled_logits], 1)
    out_labels = array_ops.concat([array_ops.ones_like(true_logits) / num_true,
                                   array_ops.zeros_like(sampled_logits)], 1)
    return out_logits, out_labels


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
             sampled_values=None, remove_accidental_hits=False, partition_strategy="mod",
             name="nce_loss"):
    """Noise-contrastive estimation loss, one value per example (see the module docstring).

    Args:
        weights: [num_classes, dim] class embeddings (or a list of shards).
        biases: [num_classes] class biases (or a list of shards).
        labels: int [batch_size, num_true] target classes.
        inputs: [batch_size, dim] activations.
        num_sampled: negative classes sampled per batch.
        num_classes: the number of classes.
        num_true: targets per example.
        sampled_values: (sampled, true_expected_count, sampled_expected_count) from a
            candidate sampler (default: log_uniform_candidate_sampler, unique).
        remove_accidental_hits: mask sampled classes that are true classes.
        partition_strategy: "mod" or "div" for sharded weights.
        name: name scope.

    Returns:
        A [batch_size] Tensor of per-example losses.

    Example:
        >>> loss = tf.reduce_mean(tf.nn.nce_loss(w, b, labels, embed, 64, vocab))
    """
    with name_scope(name, "nce_loss", [weights, biases, labels, inputs]):
        logits, targets = _compute_sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true,
            sampled_values, True, remove_accidental_hits, partition_strategy, None)
        losses = nn_ops.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits,
                                                          name="sampled_losses")
        return math_ops.reduce_sum(losses, axis=1)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes,
                         num_true=1, sampled_values=None, remove_accidental_hits=True,
                         partition_strategy="mod", name="sampled_softmax_loss", seed=None):
    """Sampled softmax loss, one value per example (see `nce_loss` and the module docstring).

    Returns:
        A [batch_size] Tensor of per-example losses.

    Example:
        >>> loss = tf.reduce_mean(tf.nn.sampled_softmax_loss(w, b, labels, h, 64, vocab))
    """
    with name_scope(name, "sampled_softmax_loss", [weights, biases, labels, inputs]):
        logits, targets = _compute_sampled_logits(
            weights, biases, labels, inputs, num_sampled, num_classes, num_true,
            sampled_values, True, remove_accidental_hits, partition_strategy, seed)
        targets = stop_gradient(targets, name="labels_stop_gradient")
        return nn_ops.softmax_cross_entropy_with_logits_v2(labels=targets, logits=logits)


__all__ = ["nce_loss", "sampled_softmax_loss"]
