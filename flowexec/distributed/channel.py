"""TaskChannel: how a task's `_Send`s and `_Recv`s reach the other tasks of a step.

Push (between tasks that serve calls: actors, in-process servers). `send` keeps the value
for its receiving task; the values a step sent to one task go to it in one `deliver`
call (through `peer(task)`, a TaskServer) when the step is about to wait (`recv`, or a
blocking kernel polling for cancellation: `flush`) and when the task's part of the step
ends: one call per step and pair of tasks in the common case (the ps's variable reads,
the worker's gradients), where one call per tensor cost a transport round each. While
one of the step's `_Recv`s waits, what the step sends goes at once (a `_Recv` on a GPU
lane waits there, and the value it waits for may need one the step sends meanwhile on
another lane or the host thread). A part
with queue, accumulator or barrier ops sends each value at once (`start_step(batch=
False)`): their steps wait on other steps, and a SyncReplicasOptimizer's workers then fell
out of step with its chief.

Talks (with a task whose part of the run a client process hosts, master.py: nothing can
call into a client, so that copy, the *puller*, calls the tasks it exchanges tensors
with). Each task part that sends to the puller (`TaskPart.pulled_by`) is run as a talk,
a sequence of calls of the puller, each answered at the part's next *turn*:

    start_talk(part, step, feeds)    starts the part; answered at its first turn
    talk(step, items)                delivers what the puller sent it; the next turn

A turn is the first of: the part released values for the puller (at a flush point, as a
push would) -> ("more", values); the part waits for a value of the puller -> ("wait",
values); the part ended -> ("end", values, its fetched values), or its error raised. So
a ps part that reads the variables, waits for the gradients and applies them costs the
worker two calls a step (variables back; gradients in, the step's end back), as TF's
RunGraph + RecvTensor exchange does. The puller sends what it made for a task in its next
`talk` when none is in flight (else as a push), and asks with an empty `talk` when it
waits for a value still to come.

A `_Send` on a device link (collective.py) hands its array to the link and sends the
link's Marker in its place, by the same paths; a step that fails still delivers the
markers it made (`end_step`), so that the link's sequence holds.

Thread-safety: one lock (and condition) guards the outbox and the talks; the sending
task's kernels, the talk calls and the receivers run on different threads.
"""

import collections
import threading
import time

from flowexec.framework import errors
from flowexec.runtime.fetch import to_numpy
from flowexec.distributed.collective import LINK_ITEMS

POLL_S = 0.2             # a puller looks at the rest of its step this often while waiting
TURN_WAIT_S = 5.0        # the longest one talk call waits in the sender (then: "none")
_TALK_MEMORY = 1024      # finished talks whose answer a sender keeps for a late puller


def task_of_key(key):
    """The sending task of a rendezvous key ("/job:ps/replica:0/task:0")."""
    return key.split(";", 1)[0].split("/device:", 1)[0]


def turn_wait(left):
    """How long one talk call may wait in the sender, given the step's time left."""
    return TURN_WAIT_S if left is None else max(min(TURN_WAIT_S, left), 0.0)


class _Turns:
    """The sender's side of one talk (one step, one puller)."""

    __slots__ = ("box", "waiting", "final", "outcome")

    def __init__(self):
        self.box = []          # values released for the puller, not yet answered
        self.waiting = None    # the key of the puller's value the part waits for
        self.final = False     # the part has ended; its outcome is coming
        self.outcome = None    # ("ok", fetched values) or ("error", OpError)


class _Talk:
    """The puller's side of one talk: the call in flight, the last turn's state."""

    __slots__ = ("pending", "state", "result")

    def __init__(self, pending):
        self.pending = pending
        self.state = "started"
        self.result = None


class TaskChannel:
    """What a task's `_Send`/`_Recv` kernels call (`ctx.state[CHANNEL]`); see the module
    docstring.

    Args:
        rendezvous: the task's Rendezvous.
        peer: `peer(task) -> TaskServer` of the other tasks.
        task: this task's name.
        pulls: this channel is a puller's (a client process's copy of the task).
    """

    def __init__(self, rendezvous, peer, task="", pulls=False):
        self.rendezvous = rendezvous
        self.task = task
        self.pulls = pulls
        self._peer = peer
        self._deadlines = {}
        self._outbox = {}      # step id -> {receiving task: [(key, value)]}
        self._batched = set()  # the steps whose sends wait for a flush
        self._pulled = {}      # step id -> the pullers this task talks with in that step
        self._turns = collections.OrderedDict()   # (step id, puller) -> _Turns
        self._talks = {}       # (step id, task) -> _Talk (pulls=True)
        self._watch = {}       # step id -> watch(): raises the step's error elsewhere
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.links = None      # the task's DeviceLinks (collective.py), set by its runtime
        self._waiting = {}     # step id -> how many of its _Recvs wait now (push)

    # ----- sending ---------------------------------------------------------------------------
    def send(self, step_id, key, recv_task, value, ready=None, group=""):
        """Sends `value` of `key` to `recv_task` in step `step_id`. With a device link's
        `group` (collective.py), the array goes through the link (after the event
        `ready`), and its Marker goes the ordinary way."""
        value = self.links.send(group, value, ready, step_id, key, recv_task) if group \
            else to_numpy(value)
        with self._lock:
            # batched unless one of the step's _Recvs waits now (it may wait for a task
            # that needs this value: one on a GPU lane cannot flush while it waits)
            if step_id in self._batched and not self._waiting.get(step_id):
                self._outbox.setdefault(step_id, {}).setdefault(recv_task, []).append(
                    (key, value))
                return
        if recv_task in self._pulled.get(step_id, ()):
            with self._cond:
                self._turns_of(step_id, recv_task).box.append((key, value))
                self._cond.notify_all()
            return
        self._deliver(step_id, recv_task, [(key, value)])

    def flush(self, step_id, final=False, waiting_on=None):
        """Releases what step `step_id` sent and has not released yet: delivered to the
        tasks it pushes to, answered to its pullers (`final`: at the end of the part,
        answered with its outcome, `finish`; `waiting_on`: the key the part waits for
        now, answered "wait" in the same turn when a puller sends it). Returns the
        `_Turns` of that puller (None if the key's sender is not one)."""
        waiting_task = None if waiting_on is None else task_of_key(waiting_on)
        pulled = self._pulled.get(step_id, ())
        waiting = None
        with self._cond:
            out = self._outbox.pop(step_id, None) or {}
            for puller in pulled:
                turns = self._turns_of(step_id, puller)
                turns.box.extend(out.pop(puller, ()))
                turns.final = turns.final or final
                if puller == waiting_task:
                    turns.waiting, waiting = waiting_on, turns
            if pulled:
                self._cond.notify_all()
        self._deliver_each(step_id, out)
        return waiting

    def _deliver_each(self, step_id, out):
        """Delivers {receiving task: items}; a receiver that fails does not keep the
        others from theirs (its error is raised after them)."""
        first = None
        for recv_task, items in out.items():
            try:
                self._deliver(step_id, recv_task, items)
            except errors.OpError as e:
                first = first or e
        if first is not None:
            raise first

    def _deliver(self, step_id, recv_task, items):
        if not self.pulls:
            self._peer(recv_task).deliver(step_id, items)
            return
        talk = self._talks.get((step_id, recv_task))
        if talk is not None and talk.pending is None and talk.state != "end":
            left = self._left(step_id)
            talk.pending = self._peer(recv_task).talk(step_id, self.task, items, turn_wait(left))
        else:
            self._peer(recv_task).deliver(step_id, items)

    # ----- a sender's turns ------------------------------------------------------------------
    def _turns_of(self, step_id, puller):
        key = (step_id, puller)
        turns = self._turns.get(key)
        if turns is None:
            turns = self._turns[key] = _Turns()
            while len(self._turns) > _TALK_MEMORY:
                self._turns.popitem(last=False)
        return turns

    def turn(self, step_id, puller, timeout_s=None):
        """The next turn of step `step_id`'s talk with `puller` (module docstring):
        ("more" | "wait", values, None), ("end", values, fetched values), or ("none", [],
        None) when nothing happened within `timeout_s`.

        Raises:
            The part's OpError (at its end); UnavailableError once this task stopped.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            turns = self._turns_of(step_id, puller)
            while True:
                if self.rendezvous.closed is not None:
                    raise self.rendezvous.closed
                if turns.outcome is not None:
                    del self._turns[(step_id, puller)]
                    kind, value = turns.outcome
                    if kind == "error":
                        raise value
                    return "end", turns.box, value
                if turns.box and not turns.final:
                    items, turns.box = turns.box, []
                    return ("wait" if turns.waiting else "more"), items, None
                if turns.waiting is not None and not turns.final:
                    return "wait", [], None
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return "none", [], None
                self._cond.wait(left)

    def finish(self, step_id, outcome, pullers=()):
        """The part of step `step_id` ended with `outcome` (("ok", values) or ("error",
        OpError)): the turns of its pullers (and of `pullers`) answer it."""
        with self._cond:
            for puller in self._pulled.pop(step_id, frozenset()) | frozenset(pullers):
                turns = self._turns_of(step_id, puller)
                turns.final, turns.outcome = True, outcome
            self._cond.notify_all()

    def abort(self, step_id):
        """Step `step_id` was aborted here (or, None, the task stopped): wakes its
        waiting turns."""
        with self._cond:
            self._cond.notify_all()

    # ----- receiving -------------------------------------------------------------------------
    def recv(self, step_id, key, cancelled=None, group=""):
        """The value of `key` in step `step_id`, waiting for it (a device link's `group`:
        the link's array; the wait ends when the link breaks)."""
        if group:
            cancelled = self.links.watch(group, cancelled)
        if self.pulls:
            self.flush(step_id)
            return self._pull(step_id, key, cancelled)
        found, value = self.rendezvous.take(step_id, key)
        if found:
            return value
        # about to wait: what the step sent and sends while this waits goes out at once;
        # a puller we wait for is told so
        with self._lock:
            self._waiting[step_id] = self._waiting.get(step_id, 0) + 1
        waiting = None
        try:
            waiting = self.flush(step_id, waiting_on=key)
            return self.rendezvous.recv(step_id, key, self._deadlines.get(step_id), cancelled)
        finally:
            with self._cond:
                left = self._waiting.get(step_id, 1) - 1
                if left:
                    self._waiting[step_id] = left
                else:
                    self._waiting.pop(step_id, None)
                if waiting is not None:
                    waiting.waiting = None

    def received(self, step_id, puller, keys):
        """`puller`'s talk delivered `keys`: a wait for one of them is over (its turn
        does not answer "wait" for it while the part wakes up)."""
        with self._cond:
            turns = self._turns.get((step_id, puller))
            if turns is not None and turns.waiting in keys:
                turns.waiting = None

    def _left(self, step_id):
        deadline = self._deadlines.get(step_id)
        return None if deadline is None else deadline - time.monotonic()

    def _check_deadline(self, step_id, task):
        """The step's time left (None: no deadline); DeadlineExceededError once past."""
        left = self._left(step_id)
        if left is not None and left <= 0:
            raise errors.DeadlineExceededError(
                None, None, f"Timed out waiting for {task} in step {step_id} on {self.task}")
        return left

    def _pull(self, step_id, key, cancelled):
        """The value of `key`, from the talk with its sending task (pulls=True)."""
        sender = task_of_key(key)
        talk = self._talks.get((step_id, sender))
        if talk is None:
            raise errors.InternalError(
                None, None, f"No talk with {sender} in step {step_id} for {key}")
        while True:
            found, value = self.rendezvous.take(step_id, key)
            if found:
                return value
            if talk.state == "end":
                raise errors.InternalError(
                    None, None, f"{sender} ended step {step_id} without sending {key}")
            self._advance(step_id, sender, talk, cancelled)

    def _advance(self, step_id, task, talk, cancelled=None):
        """Waits for the next answer of `talk` (asking for one when none is in flight);
        delivers its values."""
        left = self._check_deadline(step_id, task)
        peer = self._peer(task)
        if talk.pending is None:
            talk.pending = peer.talk(step_id, self.task, [], turn_wait(left))
        answer = peer.finish_talk(talk.pending, POLL_S if left is None else min(POLL_S, left))
        if answer is None:        # not yet: look at the rest of the step, then again
            self._check_deadline(step_id, task)
            watch = self._watch.get(step_id)
            if watch is not None:
                watch()
            if cancelled is not None and cancelled():
                raise errors.CancelledError(None, None, "Step was cancelled")
            return
        talk.pending = None
        state, items, result = answer
        if items:
            self.rendezvous.deliver_all(step_id, items)
        if state != "none":
            talk.state = state
        if state == "end":
            talk.result = result

    def start_talks(self, step_id, talks):
        """The talks of step `step_id` (pulls=True): {task: pending answer of its
        `start_talk`}."""
        for task, pending in talks.items():
            self._talks[(step_id, task)] = _Talk(pending)

    def end_talks(self, step_id, deadline=None):
        """After the hosted part ended: drives each talk of step `step_id` to its end;
        {task: its part's fetched values}."""
        if deadline is not None:
            self._deadlines[step_id] = deadline
        try:
            out = {}
            for (step, task), talk in list(self._talks.items()):
                if step != step_id:
                    continue
                while talk.state != "end":
                    self._advance(step_id, task, talk)
                out[task] = talk.result
            return out
        finally:
            self.drop_talks(step_id)

    def drop_talks(self, step_id):
        """Forgets step `step_id`'s talks (and values they delivered after the part)."""
        for key in [k for k in self._talks if k[0] == step_id]:
            del self._talks[key]
        self._deadlines.pop(step_id, None)
        self.rendezvous.end_step(step_id)

    # ----- steps -----------------------------------------------------------------------------
    def start_step(self, step_id, deadline, batch=True, pulled=(), watch=None):
        """Step `step_id` starts here: its deadline, whether its sends are batched, the
        pullers it talks with; `watch()` raises when the step failed on another task
        (what a puller checks while it waits)."""
        if deadline is not None:
            self._deadlines[step_id] = deadline
        if batch:
            self._batched.add(step_id)
        if pulled:
            self._pulled[step_id] = frozenset(pulled)
        if watch is not None:
            self._watch[step_id] = watch

    def end_step(self, step_id):
        if not self.pulls:
            self._deadlines.pop(step_id, None)
        self._watch.pop(step_id, None)
        with self._lock:   # a _Send still running on a lane now delivers at once
            self._batched.discard(step_id)
            out = self._outbox.pop(step_id, None)
        if out:   # a failed step: its links' markers still go, or their sequence breaks
            markers = {task: [(k, v) for k, v in items if isinstance(v, LINK_ITEMS)]
                       for task, items in out.items()}
            try:
                self._deliver_each(step_id, {t: m for t, m in markers.items() if m})
            except errors.OpError:   # a receiver is gone: its link with it too
                pass
        self.rendezvous.end_step(step_id)
