"""The global step: an int64 scalar Variable in the GLOBAL_STEP collection that
`Optimizer.apply_gradients(..., global_step=...)` increments once per training step."""

import logging

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.framework.tensor import Tensor
from flowexec.variables import Variable

_log = logging.getLogger(__name__)


def get_global_step(graph=None):
    """The global step Variable (or tensor) of `graph` (default graph), or None.

    Looks in the GLOBAL_STEP collection, then for a tensor named "global_step:0".

    Raises:
        TypeError: the global step found is not an integer scalar.
    """
    graph = graph or graph_mod.get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) == 1:
        step = found[0]
    elif not found:
        try:
            step = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    else:
        _log.error("Multiple tensors in global_step collection.")
        return None
    assert_global_step(step)
    return step


def assert_global_step(global_step_tensor):
    """Raises TypeError unless `global_step_tensor` is an integer scalar Variable/Tensor."""
    if not isinstance(global_step_tensor, (Variable, Tensor)):
        raise TypeError('Existing "global_step" must be a Variable or Tensor: '
                        f"{global_step_tensor}.")
    if not global_step_tensor.dtype.base_dtype.is_integer:
        raise TypeError('Existing "global_step" does not have integer type: '
                        f"{global_step_tensor.dtype}")
    shape = global_step_tensor.get_shape()
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def create_global_step(graph=None):
    """Creates the int64 global step Variable "global_step" (initial value 0).

    Raises:
        ValueError: the graph already has a global step.

    Example:
        >>> step = tf.train.create_global_step()
        >>> step.name
        'global_step:0'
    """
    from flowexec import init_ops
    from flowexec.variable_scope import get_variable

    graph = graph or graph_mod.get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        return get_variable(GraphKeys.GLOBAL_STEP, shape=[], dtype=dtypes.int64,
                            initializer=init_ops.zeros_initializer(), trainable=False,
                            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    """The graph's global step, created if missing.

    Example:
        >>> step = tf.train.get_or_create_global_step()
        >>> train = opt.minimize(loss, global_step=step)
    """
    graph = graph or graph_mod.get_default_graph()
    step = get_global_step(graph)
    if step is None:
        step = create_global_step(graph)
    return step


def global_step(sess, global_step_tensor):
    """The global step's value in `sess`, as a Python int."""
    return int(sess.run(global_step_tensor))


__all__ = [
    "assert_global_step",
    "create_global_step",
    "get_global_step",
    "get_or_create_global_step",
    "global_step",
]
