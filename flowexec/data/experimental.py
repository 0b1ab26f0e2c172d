"""`tf.data.experimental`: AUTOTUNE and the transformations TF 1.x programs `apply`.

Each function returns a `transformation_func` for `Dataset.apply`, as in TF.

Example:
    >>> ds = Dataset.range(10).apply(shuffle_and_repeat(buffer_size=10, count=2, seed=1))
"""

from flowexec.data.dataset import AUTOTUNE


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """Shuffles and repeats `count` times (None: forever), a new order in each epoch."""
    def apply(dataset):
        return dataset.shuffle(buffer_size, seed, reshuffle_each_iteration=True).repeat(count)
    return apply


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    """`map(map_func)` then `batch(batch_size, drop_remainder)`; the map runs
    `num_parallel_calls` (or `num_parallel_batches * batch_size`) calls at once.

    Raises:
        ValueError: both `num_parallel_batches` and `num_parallel_calls` are given.
    """
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("`map_and_batch` `num_parallel_batches` and `num_parallel_calls` "
                         "are mutually exclusive.")
    if num_parallel_batches is not None:
        num_parallel_calls = num_parallel_batches * batch_size

    def apply(dataset):
        return dataset.map(map_func, num_parallel_calls).batch(batch_size, drop_remainder)
    return apply


def unbatch():
    """Splits each element along its first dimension (`Dataset.unbatch`)."""
    def apply(dataset):
        return dataset.unbatch()
    return apply


def ignore_errors():
    """Drops the elements whose computation failed (TF logs them; nothing is raised).

    Example:
        >>> ds = Dataset.from_tensor_slices([1., 0., 2.]).map(
        ...     lambda x: tf.check_numerics(1. / x, "inf")).apply(ignore_errors())  # 1., .5
    """
    def apply(dataset):
        return dataset._op("IgnoreErrorsDataset")
    return apply


def enumerate_dataset(start=0):
    """(index, element) pairs (`Dataset.enumerate`)."""
    def apply(dataset):
        return dataset.enumerate(start)
    return apply


__all__ = ["AUTOTUNE", "enumerate_dataset", "ignore_errors", "map_and_batch", "shuffle_and_repeat", "unbatch"]
