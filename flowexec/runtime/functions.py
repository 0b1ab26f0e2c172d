"""Running function graphs (`flowexec.framework.function.FuncGraph`) inside a session.

A FuncGraph runs through a *function session*: a shallow copy of the calling session that
shares its devices, runtimes, configuration and state dict (variables, random generators,
iterators), with the FuncGraph as its graph and a plan cache of its own. Its plans are
therefore the ordinary pipeline's plans (pipeline.py: prune ... bind, straight-line code),
built once on the first call and cached; every later call only executes. Because the state dict
is shared, a mirrored variable inside the function reads (and updates) the session's
current value.

State: one `FunctionCall` per (session, FuncGraph), kept in the session state under
`("function", func_graph)`; created race-free with `dict.setdefault`. Calls are
thread-safe (Session.run is): parallel `map` calls one FunctionCall from many threads.
"""

import copy
import threading

from flowexec.framework import errors


def _function_session(session, func_graph):
    child = copy.copy(session)
    child._function_root = getattr(session, "_function_root", session)
    child._graph = func_graph
    child._cache = {}
    child._cache_lock = threading.Lock()
    child._context_manager = None
    return child


class FunctionCall:
    """A FuncGraph bound to one session: `call(args, captured)` -> list of output values.

    Args to `call`: the flat argument values (one per argument placeholder) and the values
    of the captured outer tensors (in `func_graph.captures` order).
    """

    def __init__(self, session, func_graph):
        self.func_graph = func_graph
        self._session = _function_session(session, func_graph)
        self._root = self._session._function_root
        self._run = self._session.make_callable(list(func_graph.outputs),
                                                list(func_graph.inputs))
        self._nargs = len(func_graph.inputs) - len(func_graph.captures)

    def call(self, args, captured=()):
        if self._root._closed:
            raise errors.CancelledError(None, None, "Session has been closed.")
        if len(args) != self._nargs:
            raise errors.InvalidArgumentError(
                None, None, f"Function '{self.func_graph.name}' expects {self._nargs} "
                            f"arguments, got {len(args)}")
        return self._run(*args, *captured)


def instantiate(session, func_graph):
    """The session's FunctionCall for `func_graph` (created on first use)."""
    key = ("function", func_graph)
    fc = session._state.get(key)
    if fc is None:
        fc = session._state.setdefault(key, FunctionCall(session, func_graph))
    return fc
