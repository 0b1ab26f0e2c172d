"""TaskSession: the session a task's kernels see (`KernelContext.session`).

It is an ordinary `BaseSession` over the task's devices and runtimes, sharing the task's
state dict, cancellation and lanes, so what kernels reach through it — function graphs
(`If`, `While`, `tf.data` functions) planned on the task's devices, `step_cancelled()` —
works inside a task as in a local session. It is never closed by a client.
"""

from flowexec.framework import graph as graph_mod
from flowexec.runtime import config as config_mod
from flowexec.runtime.session import BaseSession


class TaskSession(BaseSession):
    """The session of one TaskRuntime (see the module docstring)."""

    def __init__(self, task_runtime):  # noqa: D107 - does not call BaseSession.__init__
        self._graph = graph_mod.Graph()
        self._target = ""
        self._config = task_runtime.config or config_mod.ConfigProto()
        self._master = None
        self._setup(task_runtime.devices, task_runtime.runtimes, task_runtime.state,
                    task_runtime.cancellation, task_runtime.lane_tails)
