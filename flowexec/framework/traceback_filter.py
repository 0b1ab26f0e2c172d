"""Traceback filtering (`tf.debugging.enable_traceback_filtering` and friends).

What it controls in flowexec: the "Original stack trace for '<op>'" that `str()` of an
`OpError` appends (the stack that created the failing op). While filtering is enabled (the
default, per thread, as TF's flag) the frames inside the flowexec package are left out, so
the trace shows only user code; disabled, every frame is shown. Python's own traceback of the
raised exception is not rewritten.

Example:
    >>> tf.debugging.disable_traceback_filtering()  # str(error) shows flowexec's frames too
"""

import os
import threading

_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_state = threading.local()


def is_traceback_filtering_enabled():
    """Whether flowexec-internal frames are left out of op creation stacks in error
    messages (True unless disabled on this thread)."""
    return getattr(_state, "value", True)


def enable_traceback_filtering():
    """Leaves flowexec-internal frames out of the op creation stacks errors print."""
    _state.value = True


def disable_traceback_filtering():
    """Shows every frame of the op creation stacks errors print."""
    _state.value = False


def filter_frames(frames):
    """`frames` ([(filename, lineno, function, line)]) without flowexec's own while
    filtering is enabled; all of them when it is off or when every frame is flowexec's."""
    if not is_traceback_filtering_enabled():
        return list(frames)
    kept = [f for f in frames if not os.path.abspath(f[0]).startswith(_PACKAGE_ROOT)]
    return kept or list(frames)


__all__ = ["disable_traceback_filtering", "enable_traceback_filtering",
           "is_traceback_filtering_enabled"]
