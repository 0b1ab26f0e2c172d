"""`slim.summaries` (TF 1.15's contrib/slim/python/slim/summaries.py): summaries named after
the tensor's op name (`<prefix>/<name>`), optionally printed when evaluated.

Example:
    >>> slim.summaries.add_scalar_summary(total_loss, "total_loss", prefix="losses")
"""

from flowexec import summary

__all__ = ["add_histogram_summaries", "add_histogram_summary", "add_image_summaries",
           "add_image_summary", "add_scalar_summaries", "add_scalar_summary",
           "add_zero_fraction_summaries", "add_zero_fraction_summary"]


def _summary_name(tensor, name=None, prefix=None, postfix=None):
    if not name:
        name = tensor.op.name
    if prefix:
        name = prefix + "/" + name
    if postfix:
        name = name + "/" + postfix
    return name


def _maybe_print(op, tensor, name, print_summary):
    if print_summary:
        from flowexec.ops.logging_ops import Print

        op = Print(op, [tensor], name)
    return op


def add_histogram_summary(tensor, name=None, prefix=None):
    """A histogram summary of `tensor`, named `<prefix>/<name or op name>`.

    Returns:
        The summary tensor.

    Example:
        >>> slim.summaries.add_histogram_summary(net, prefix="activations")
    """
    return summary.histogram(_summary_name(tensor, name, prefix), tensor)


def add_image_summary(tensor, name=None, prefix=None, print_summary=False):
    """An image summary of a 4-D `tensor`.

    Returns:
        The summary tensor.

    Example:
        >>> slim.summaries.add_image_summary(images, "inputs")
    """
    name = _summary_name(tensor, name, prefix)
    return _maybe_print(summary.image(name, tensor), tensor, name, print_summary)


def add_scalar_summary(tensor, name=None, prefix=None, print_summary=False):
    """A scalar summary of `tensor`; `print_summary` prints its value when evaluated.

    Returns:
        The summary tensor.

    Example:
        >>> slim.summaries.add_scalar_summary(loss, "loss", print_summary=True)
    """
    name = _summary_name(tensor, name, prefix)
    return _maybe_print(summary.scalar(name, tensor), tensor, name, print_summary)


def add_zero_fraction_summary(tensor, name=None, prefix=None, print_summary=False):
    """A scalar summary `<name>/sparsity` of the fraction of zeros of `tensor`.

    Returns:
        The summary tensor.

    Example:
        >>> slim.summaries.add_zero_fraction_summary(relu_out)
    """
    from flowexec.ops.nn_ops import zero_fraction

    name = _summary_name(tensor, name, prefix, "sparsity")
    value = zero_fraction(tensor)
    return _maybe_print(summary.scalar(name, value), value, name, print_summary)


def add_histogram_summaries(tensors, prefix=None):
    """`add_histogram_summary` of each tensor; returns the list.

    Example:
        >>> slim.summaries.add_histogram_summaries(tf.trainable_variables())
    """
    return [add_histogram_summary(t, prefix=prefix) for t in tensors]


def add_image_summaries(tensors, prefix=None):
    """`add_image_summary` of each tensor; returns the list.

    Example:
        >>> slim.summaries.add_image_summaries([images])
    """
    return [add_image_summary(t, prefix=prefix) for t in tensors]


def add_scalar_summaries(tensors, prefix=None, print_summary=False):
    """`add_scalar_summary` of each tensor; returns the list.

    Example:
        >>> slim.summaries.add_scalar_summaries(tf.losses.get_losses(), prefix="losses")
    """
    return [add_scalar_summary(t, prefix=prefix, print_summary=print_summary)
            for t in tensors]


def add_zero_fraction_summaries(tensors, prefix=None):
    """`add_zero_fraction_summary` of each tensor; returns the list.

    Example:
        >>> slim.summaries.add_zero_fraction_summaries(activations)
    """
    return [add_zero_fraction_summary(t, prefix=prefix) for t in tensors]
