"""KernelContext: what a stateful kernel (`needs_ctx=True`) sees besides its inputs."""

from flowexec.runtime import functions


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

    def function(self, func_graph):
        """The session's planned callable for a FuncGraph (`runtime/functions.py`)."""
        return functions.instantiate(self.session, func_graph)
