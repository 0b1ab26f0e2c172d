"""Op callbacks: functions called for every op `apply_op` adds to a graph (TF's
`op_callbacks.add_op_callback`, used by `tf.debugging.enable_check_numerics`).

A callback is `callback(op_type, inputs, attrs, outputs, op_name=..., graph=...)`; it returns
None (the op's outputs stand) or a list with one Tensor per output, which the op's caller gets
instead (e.g. the outputs passed through a check). Callbacks are per thread, as TF's, and the
ops a callback itself adds are not shown to any callback.

Example:
    >>> add_op_callback(cb); y = tf.log(x)  # cb(b"Log"...) may hand back a checked y
    >>> remove_op_callback(cb)
"""

import threading

_state = threading.local()


def _callbacks():
    if not hasattr(_state, "callbacks"):
        _state.callbacks = []
        _state.invoking = False
    return _state.callbacks


def add_op_callback(callback):
    """Calls `callback` for each op added on this thread from now on (once, however often
    it is added)."""
    if not callable(callback):
        raise ValueError(f"Callback function passed to op_callback() is expected to be "
                         f"callable, but is not. Received {callback}")
    if callback not in _callbacks():
        _callbacks().append(callback)


def remove_op_callback(callback):
    """Stops calling `callback`. Raises KeyError if it was not added."""
    callbacks = _callbacks()
    if callback not in callbacks:
        raise KeyError("The specified op callback has not been registered, and hence "
                       "cannot be removed.")
    callbacks.remove(callback)


def should_invoke_op_callbacks():
    """Whether an op added now goes through callbacks (some are set, none is running)."""
    return bool(_callbacks()) and not _state.invoking


def invoke_op_callbacks(op, attrs, outputs):
    """The outputs the op's caller gets: `outputs` after each callback in turn."""
    _state.invoking = True
    try:
        for callback in list(_callbacks()):
            new = callback(op.type, tuple(op.inputs), dict(attrs), list(outputs),
                           op_name=op.name, graph=op.graph)
            if new is not None:
                if len(new) != len(outputs):
                    raise ValueError(
                        f"The op callback returned {len(new)} tensors, which does not match "
                        f"the number of outputs of op {op.name!r} ({len(outputs)}).")
                outputs = list(new)
    finally:
        _state.invoking = False
    return tuple(outputs)
