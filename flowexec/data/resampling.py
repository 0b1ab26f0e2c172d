"""`tf.data.experimental.rejection_resample`: resamples a dataset towards a target class
distribution by rejection, TF 1.15's pipeline built from ordinary dataset ops.

With `p` the initial class distribution (given, or estimated online: class counts over
batches of 32 class values, smoothed with 10 per class, as TF's `_estimate_initial_dist_ds`)
and `t` the target, `ratio = t / (p + tiny)`, `m = min(ratio)` and the acceptance
probabilities are `a = (ratio - m) / (max(ratio) - m)`. Each output element comes from the
original dataset with probability `m` and otherwise from the filtered one, which keeps an
element of class `c` with probability `a[c]` (a `random_uniform` draw with `seed`); that
mixture has class distribution `t`. A constant `m` of 1 (p == t) returns the original
elements, 0 only the filtered ones. Outputs are `(class, element)` pairs, as in TF. (TF
also logs when more than half of the elements are rejected; flowexec does not.)

Example:
    >>> ds = Dataset.from_tensor_slices(labels).apply(rejection_resample(
    ...     lambda x: x, target_dist=[0.5, 0.5], seed=1)).map(lambda c, x: x)
"""

import numpy as np

from flowexec.data.grouping import scan
from flowexec.data.dataset import Dataset
from flowexec.data.dataset import _constant_value as _const
from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops, math_ops, random_ops


def _calculate_acceptance_probs_with_mixing(initial_probs, target_probs):
    denom = initial_probs + np.finfo(initial_probs.dtype.np).tiny
    ratio_l = target_probs / denom
    max_ratio = math_ops.reduce_max(ratio_l)
    min_ratio = math_ops.reduce_min(ratio_l)
    m = min_ratio
    a_i = (ratio_l - m) / (max_ratio - m)
    return a_i, m


def _estimate_data_distribution(c, num_examples_per_class_seen):
    num_classes = num_examples_per_class_seen.shape[0]
    num_examples_per_class_seen = math_ops.add(
        num_examples_per_class_seen,
        math_ops.reduce_sum(array_ops.one_hot(c, num_classes, dtype=dtypes.int64), 0))
    init_prob_estimate = math_ops.truediv(num_examples_per_class_seen,
                                          math_ops.reduce_sum(num_examples_per_class_seen))
    return num_examples_per_class_seen, math_ops.cast(init_prob_estimate, dtypes.float32)


def _estimate_initial_dist_ds(target_dist_t, class_values_ds, dist_estimation_batch_size=32,
                              smoothing_constant=10):
    num_classes = target_dist_t.shape[0]
    if num_classes is None:
        num_classes = array_ops.shape(target_dist_t)[0]
    initial_examples_per_class_seen = array_ops.fill([num_classes],
                                                     np.int64(smoothing_constant))

    def update_estimate_and_tile(num_examples_per_class_seen, c):
        updated, dist = _estimate_data_distribution(c, num_examples_per_class_seen)
        tiled = array_ops.tile(array_ops.expand_dims(dist, 0),
                               [dist_estimation_batch_size, 1])
        return updated, tiled

    return (class_values_ds.batch(dist_estimation_batch_size)
            .apply(scan(initial_examples_per_class_seen, update_estimate_and_tile))
            .unbatch())


def _filter_ds(dataset, acceptance_dist_ds, class_values_ds, seed):
    def gather_and_copy(class_val, acceptance_prob, data):
        return class_val, array_ops.gather(acceptance_prob, class_val), data

    ds = Dataset.zip((class_values_ds, acceptance_dist_ds, dataset)).map(gather_and_copy)
    ds = ds.filter(lambda _1, p, _2: random_ops.random_uniform([], seed=seed, dtype=p.dtype)
                   < p)
    return ds.map(lambda class_value, _, data: (class_value, data))


def _prob_original_static(initial_dist_t, target_dist_t):
    def static(value):
        if isinstance(value, Tensor):
            return _const(value)
        return None if isinstance(value, Dataset) else np.asarray(value)
    init_static, target_static = static(initial_dist_t), static(target_dist_t)
    if init_static is None or target_static is None:
        return None
    return np.min(np.asarray(target_static, np.float32) / np.asarray(init_static, np.float32))


def rejection_resample(class_func, target_dist, initial_dist=None, seed=None):
    """Resamples a dataset so that its classes follow `target_dist`, by rejection (see the
    module docstring); some elements are dropped, none repeated.

    Args:
        class_func: maps an element to its class, a scalar int32/int64 tensor in
            `[0, num_classes)`.
        target_dist: float tensor `[num_classes]`, the wanted class distribution.
        initial_dist: float tensor `[num_classes]`, the dataset's class distribution
            (default: estimated while reading).
        seed: the seed of the acceptance draws and of the mixture.

    Returns:
        A transformation for `Dataset.apply`; its elements are `(class, element)`.

    Raises:
        At run time, InvalidArgumentError for a class out of range (the `gather` fails).

    Example:
        >>> resampled = ds.apply(rejection_resample(lambda x, y: y, [0.5, 0.5], seed=7))
        >>> balanced = resampled.map(lambda cls, elem: elem)
    """
    def apply(dataset):
        from flowexec.data.sampling import sample_from_datasets

        target_dist_t = math_ops.cast(convert_to_tensor(target_dist, name="target_dist"),
                                      dtypes.float32)
        class_values_ds = dataset.map(class_func)
        if initial_dist is not None:
            initial_dist_t = math_ops.cast(convert_to_tensor(initial_dist,
                                                             name="initial_dist"),
                                           dtypes.float32)
            acceptance_dist, prob_of_original = _calculate_acceptance_probs_with_mixing(
                initial_dist_t, target_dist_t)
            acceptance_dist_ds = Dataset.from_tensors(acceptance_dist).repeat()
            prob_of_original_ds = Dataset.from_tensors(prob_of_original).repeat()
            static = _prob_original_static(initial_dist, target_dist)
        else:
            initial_dist_ds = _estimate_initial_dist_ds(target_dist_t, class_values_ds)
            both = initial_dist_ds.map(
                lambda initial: _calculate_acceptance_probs_with_mixing(initial,
                                                                        target_dist_t))
            acceptance_dist_ds = both.map(lambda accept_prob, _: accept_prob)
            prob_of_original_ds = both.map(lambda _, prob_original: prob_original)
            static = None
        filtered_ds = _filter_ds(dataset, acceptance_dist_ds, class_values_ds,
                                 seed).prefetch(3)
        if static == 1:
            return Dataset.zip((class_values_ds, dataset))
        if static == 0:
            return filtered_ds
        return sample_from_datasets(
            [Dataset.zip((class_values_ds, dataset)), filtered_ds],
            weights=prob_of_original_ds.map(lambda prob: array_ops.stack([prob, 1.0 - prob])),
            seed=seed)
    return apply


__all__ = ["rejection_resample"]
