"""The state of a streaming metric: local variables, value tensors and update ops.

Every metric keeps its accumulators in variables created by `metric_variable`: zeros, not
trainable, in GraphKeys.LOCAL_VARIABLES and GraphKeys.METRIC_VARIABLES, so
`tf.local_variables_initializer()` resets them. A metric returns `(value, update_op)`: the
value reads the accumulators, the update op adds one batch and gives the value after it.
"""

from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.ops import array_ops
from flowexec.ops.constant_op import identity
from flowexec.variables import Variable


def metric_variable(shape, dtype, validate_shape=True, name=None):
    """A zero-initialized local variable for a metric's accumulator.

    Args:
        shape: the variable's shape.
        dtype: its dtype.
        validate_shape: passed to the Variable.
        name: its name (inside the metric's scope).

    Returns:
        A Variable in LOCAL_VARIABLES and METRIC_VARIABLES, not trainable.
    """
    return Variable(lambda: array_ops.zeros(shape, dtype), trainable=False,
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
                    validate_shape=validate_shape, name=name)


def add_to_collections(collections, value):
    """Adds `value` to each collection named in `collections` (None: none)."""
    if collections:
        graph_mod.add_to_collections(collections, value)


def read(variable, collections):
    """The current value of `variable` as a tensor, added to `collections`."""
    value = identity(convert_to_tensor(variable))
    add_to_collections(collections, value)
    return value
