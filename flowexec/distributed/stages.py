"""Talking parts run in two stages on the calls of their puller, without a thread.

A task part that sends to a client-hosted part (channel.py's talks) runs as a talk: the
puller's `start_talk` is answered at the part's first turn, its `talk` with the gradients
at the part's end. Run on a thread of its own, such a part costs four thread hand-offs a
step (the call's thread to the part's and back, twice), each ~50 us and a GIL switch in a
busy process, while both of a ps's workers wait on it.

Most talking parts need no thread: a ps part that reads its variables, sends them, waits
for the gradients and applies them is two straight-line programs (codegen.TwoStages).
The first stage, every step that does not follow a `_Recv` of the puller, runs in
`start_talk` and answers the values it sent; the second, the rest, runs in the `talk`
that brings the puller's values. A part runs so when, besides the step id, it

* runs as straight-line code (one thread, no GPU streams) and has no ops that wait on
  other steps (queues, accumulators, barriers);
* has one puller, and receives only from it: the first stage has no `_Recv` and cannot
  wait, and moving it ahead of the second cannot hold up another task;
* sends nothing to the puller in the second stage: the puller has all it needs from the
  part once `start_talk` answers, so it talks again only to bring values or to ask for
  the end.

Every other talking part, and a traced step, runs on a thread as before. Between the two
calls the step's values are held (`HeldSteps`) until the puller's `talk`, an abort of the
step, or its deadline (a puller that died does not leave them behind for ever).
"""

import collections
import threading
import time

from flowexec.framework import errors
from flowexec.runtime.codegen import TwoStages
from flowexec.distributed.channel import task_of_key

HELD_MEMORY = 1024   # steps without a deadline held at most (the oldest are dropped)


def talk_stages(plan, pulled, batch):
    """The TwoStages of a part that sends to the pullers `pulled` (see the module
    docstring), or None when it runs on a thread."""
    if plan.straight is None or not batch or len(pulled) != 1:
        return None
    (puller,) = pulled
    recvs = []
    for step in plan.steps:
        node = step.node
        if node is not None and node.type == "_Recv":
            if task_of_key(node.attrs["key"]) != puller:
                return None
            recvs.append(step.index)
    second, todo = set(recvs), list(recvs)
    while todo:
        for j in plan.steps[todo.pop()].succ:
            if j not in second:
                second.add(j)
                todo.append(j)
    for i in second:
        node = plan.steps[i].node
        if node is not None and node.type == "_Send" and node.attrs["recv_task"] == puller:
            return None
    return TwoStages(plan, second)


class Held:
    """A step between its two stages: its part, values, `_TaskStep`, and puller."""

    __slots__ = ("reg", "vals", "step", "puller")

    def __init__(self, reg, vals, step, puller):
        self.reg, self.vals, self.step, self.puller = reg, vals, step, puller


class HeldSteps:
    """The steps of a task held between their stages: {step id: Held}. Thread-safe."""

    def __init__(self):
        self._held = collections.OrderedDict()
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._held)

    def hold(self, step_id, held):
        """Holds `held`; returns the steps dropped for it: [(step id, Held, error)], those
        past their deadline, and the oldest beyond HELD_MEMORY."""
        now = time.monotonic()
        with self._lock:
            self._held[step_id] = held
            gone = [(k, h) for k, h in self._held.items()
                    if h.step.deadline is not None and h.step.deadline < now]
            for k, _ in gone:
                del self._held[k]
            dropped = [(k, h, errors.DeadlineExceededError(
                None, None, f"Step {k} passed its deadline waiting for {h.puller}"))
                for k, h in gone]
            while len(self._held) > HELD_MEMORY:
                k, h = self._held.popitem(last=False)
                dropped.append((k, h, errors.AbortedError(
                    None, None, f"Step {k} was dropped: more than {HELD_MEMORY} steps "
                                f"waited for their pullers")))
        return dropped

    def take(self, step_id):
        """The Held of `step_id`, no longer held (None when it is not)."""
        with self._lock:
            return self._held.pop(step_id, None)

    def take_all(self):
        with self._lock:
            held, self._held = list(self._held.items()), collections.OrderedDict()
        return held
