"""KernelContext: what a stateful kernel (`needs_ctx=True`) sees besides its inputs."""

import threading

from flowexec.runtime import functions

# .run: the executor's step this thread runs ops for; .before_wait: None, or what to call
# before a kernel waits (a task server delivers the values its step sent, task.py)
current_step = threading.local()


class KernelContext:
    """Per (session, op) context, bound once at plan time.

    Attributes:
        op: the Operation being run.
        state: the Session's resource dict (variable values, RNG states); one per Session,
            shared by all its ops, so two sessions on one graph hold separate state.
        runtime: the device runtime the op runs on.
        session: the owning Session.
    """

    __slots__ = ("op", "runtime", "session", "state")

    def __init__(self, op, state, runtime, session):
        self.op = op
        self.state = state
        self.runtime = runtime
        self.session = session

    @property
    def xp(self):
        return self.runtime.xp

    def step_cancelled(self):
        """Whether the step the calling thread runs this op for was cancelled (another
        op failed, its deadline passed, or the session was closed): a kernel that blocks
        (a queue's dequeue) polls this and gives up."""
        before_wait = getattr(current_step, "before_wait", None)
        if before_wait is not None:
            before_wait()
        run = getattr(current_step, "run", None)
        if run is not None and run.cancelled:
            return True
        return self.session._cancellation.is_cancelled

    def function(self, func_graph, extra=()):
        """The session's planned callable for a FuncGraph (`runtime/functions.py`); with
        `extra` (names of tensors of the FuncGraph), its calls return those tensors' values
        after the outputs."""
        return functions.instantiate(self.session, func_graph, extra)
