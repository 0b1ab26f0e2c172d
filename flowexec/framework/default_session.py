"""The default session stack (TF1's `ops.py` keeps it beside the default graph).

`Session.as_default()` pushes a session for the calling thread; `Tensor.eval()` and
`Operation.run()` run in the innermost one. The stack is per thread, like the default
graph stack. Nothing here knows how a session runs: a session is anything with `graph` and
`run(fetches, feed_dict)`, so the framework needs no import of the runtime.
"""

import threading


class _DefaultSessionStack(threading.local):
    def __init__(self):
        self.stack = []


_default_session_stack = _DefaultSessionStack()


def get_default_session():
    """The innermost session entered with `as_default()` on this thread, or None."""
    stack = _default_session_stack.stack
    return stack[-1] if stack else None


class SessionContext:
    """Makes a session the thread's default session for a `with` block."""

    def __init__(self, session):
        self._session = session

    def __enter__(self):
        _default_session_stack.stack.append(self._session)
        return self._session

    def __exit__(self, *exc):
        stack = _default_session_stack.stack
        if stack and stack[-1] is self._session:
            stack.pop()
        elif self._session in stack:
            stack.remove(self._session)
        return False


def run_using_default_session(element, feed_dict, graph, session):
    """Runs `element` (a Tensor or Operation of `graph`) in `session`, or in the default
    session; TF's ValueErrors when there is none or its graph is another one."""
    is_op = not hasattr(element, "value_index")
    if session is None:
        session = get_default_session()
        if session is None:
            if is_op:
                raise ValueError("Cannot execute operation using `run()`: No default session "
                                 "is registered. Use `with sess.as_default():` or pass an "
                                 "explicit session to `run(session=sess)`")
            raise ValueError("Cannot evaluate tensor using `eval()`: No default session is "
                             "registered. Use `with sess.as_default()` or pass an explicit "
                             "session to `eval(session=sess)`")
        if session.graph is not graph:
            what = "operation" if is_op else "tensor"
            raise ValueError(f"Cannot use the default session to evaluate {what}: the "
                             f"{what}'s graph is different from the session's graph. Pass "
                             "an explicit session to `eval(session=sess)`.")
    elif session.graph is not graph:
        what = "operation" if is_op else "tensor"
        raise ValueError(f"Cannot use the given session to evaluate {what}: the {what}'s "
                         "graph is different from the session's graph.")
    return session.run(element, feed_dict)
