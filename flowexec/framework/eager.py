"""Tensors with values while a graph is built: the ops that `tf.py_function`'s Python function
runs are built in a scratch graph and evaluated as soon as they are added (TF runs them
eagerly there), so the function sees values (`t.numpy()`, `float(t)`, `if t:`) and its
results can be differentiated afterwards with the scratch graph's gradients.

`eager_scope(graph, evaluate)` makes `apply_op` call `evaluate(op)` after adding each op to
`graph` on this thread; `evaluate` stores the outputs' values with `set_value`. `value_of(t)`
is a tensor's value, or None for a symbolic one. Values live as long as their graph.
Thread-safety: the scope is per thread; the values of one graph are written by the thread
that builds it.
"""

import contextlib
import threading
import weakref

__all__ = ["eager_scope", "evaluator_for", "set_value", "value_of"]

_VALUES = weakref.WeakKeyDictionary()  # Graph -> {Tensor: value}
_local = threading.local()


def value_of(tensor):
    values = _VALUES.get(tensor.graph)
    return None if values is None else values.get(tensor)


def set_value(tensor, value):
    _VALUES.setdefault(tensor.graph, {})[tensor] = value


def evaluator_for(graph):
    """The `evaluate` callable of the innermost eager scope of `graph` on this thread."""
    scope = getattr(_local, "scope", None)
    return scope[1] if scope is not None and scope[0] is graph else None


@contextlib.contextmanager
def eager_scope(graph, evaluate):
    previous = getattr(_local, "scope", None)
    _local.scope = (graph, evaluate)
    try:
        yield
    finally:
        _local.scope = previous
