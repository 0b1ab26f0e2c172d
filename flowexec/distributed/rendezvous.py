"""Rendezvous: where a task receives the tensors other tasks send it during a step.

Every tensor that crosses tasks in a step is sent once by a `_Send` on the producing task
and received once by a `_Recv` on the consuming task, under a key named as TensorFlow
names it:

    /job:ps/replica:0/task:0/device:CPU:0;00a3f2c4d5e6f708;
        /job:worker/replica:0/task:1/device:CPU:0;edge_3_w/read;0:0

(one line: send device; its incarnation, 16 hex digits; recv device; edge name; frame:iter).

The incarnation is the sending device's (a task started again has new incarnations, so a
plan registered before the restart cannot mix with its values). Keys are per step: the
table is indexed by (step id, key), as TF keeps one rendezvous per step.

Delivery is a push: the sender's task hands the value to the receiver's task
(`TaskServer.deliver`, several keys of one step in one call), which puts it into its
`Rendezvous`. A value may arrive before the receiving task started the step. Each key is delivered exactly once per step: a second
delivery is an InternalError ("Duplicated send"), and `delivery_counts()` lets tests check
it. A step ends with `end_step`; a step that was aborted (a task failed, the deadline
passed) wakes its waiting receivers with the error, and values that still arrive for it
are dropped.

State (guarded by one Condition): {step id: _Step(values, received keys)}, the errors of
recently aborted steps, and a Counter of deliveries per key. Thread-safe.
"""

import collections
import threading
import time

from flowexec.framework import errors

_POLL_S = 0.05        # how often a waiting receiver checks its cancellation callback
_ABORTED_MEMORY = 4096  # aborted step ids remembered, to drop their late values


def rendezvous_key(send_device, send_incarnation, recv_device, edge_name, frame_iter=(0, 0)):
    """TF's rendezvous key of one cross-task tensor (see the module docstring)."""
    return (f"{send_device};{send_incarnation & 0xFFFFFFFFFFFFFFFF:016x};{recv_device};"
            f"{edge_name};{frame_iter[0]}:{frame_iter[1]}")


def parse_key(key):
    """(send device, incarnation, recv device, edge name, (frame, iter)) of a key.

    Raises:
        InvalidArgumentError: `key` is not a rendezvous key.
    """
    parts = key.split(";")
    if len(parts) != 5:
        raise errors.InvalidArgumentError(None, None, f"Invalid rendezvous key: {key}")
    frame, _, it = parts[4].partition(":")
    return parts[0], int(parts[1], 16), parts[2], parts[3], (int(frame), int(it))


class _Step:
    __slots__ = ("values", "received")

    def __init__(self):
        self.values = {}
        self.received = set()


class Rendezvous:
    """One task's table of received tensors (see the module docstring)."""

    def __init__(self, name=""):
        self.name = name
        self._cond = threading.Condition()
        self._steps = {}
        self._aborted = collections.OrderedDict()
        self._counts = collections.Counter()
        self._closed = None

    def deliver(self, step_id, key, value):
        """Puts the value of `key` for step `step_id` (called by the sending task).

        Raises:
            InternalError: `key` was already delivered in this step.
            UnavailableError: this task has stopped (`close`).
        """
        self.deliver_all(step_id, ((key, value),))

    def deliver_all(self, step_id, items):
        """Puts the values of several keys of step `step_id` at once: `items` is a
        sequence of (key, value), as `deliver` each (one lock, one wake-up)."""
        with self._cond:
            if self._closed is not None:
                raise self._closed
            if step_id in self._aborted:
                return      # the step failed meanwhile: nobody will receive it
            step = self._steps.get(step_id)
            if step is None:
                step = self._steps[step_id] = _Step()
            for key, value in items:
                if key in step.values or key in step.received:
                    raise errors.InternalError(None, None, f"Duplicated send: {key}")
                step.values[key] = value
                self._counts[key] += 1
            self._cond.notify_all()

    def recv(self, step_id, key, deadline=None, cancelled=None):
        """Waits for the value of `key` in step `step_id` and returns it (once).

        Args:
            step_id: the step.
            key: the rendezvous key.
            deadline: `time.monotonic()` value after which to give up, or None.
            cancelled: optional callable polled while waiting; True gives up.

        Raises:
            DeadlineExceededError: the deadline passed first.
            CancelledError: `cancelled()` became true.
            The step's error (AbortedError, UnavailableError, ...) if it was aborted.
        """
        with self._cond:
            while True:
                if self._closed is not None:
                    raise self._closed
                step = self._steps.get(step_id)
                if step is None:
                    if step_id in self._aborted:
                        raise self._aborted[step_id]
                    step = self._steps[step_id] = _Step()
                if key in step.values:
                    step.received.add(key)
                    return step.values.pop(key)
                wait = _POLL_S
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise errors.DeadlineExceededError(
                            None, None, f"Timed out waiting for tensor {key} in step "
                                        f"{step_id} on {self.name}")
                    wait = min(wait, left)
                if cancelled is not None and cancelled():
                    raise errors.CancelledError(None, None, "Step was cancelled")
                self._cond.wait(wait)

    def take(self, step_id, key):
        """`(True, value)` of `key` in step `step_id` when it has been delivered (taken
        once, as `recv`), else `(False, None)` at once."""
        with self._cond:
            step = self._steps.get(step_id)
            if step is None or key not in step.values:
                return False, None
            step.received.add(key)
            return True, step.values.pop(key)

    def abort(self, step_id, error):
        """Fails step `step_id`: its waiting receivers raise `error`; late values are
        dropped."""
        with self._cond:
            # Waiting receivers find the step gone and raise its error from `_aborted`.
            self._steps.pop(step_id, None)
            self._aborted.setdefault(step_id, error)
            if len(self._aborted) > _ABORTED_MEMORY:
                self._aborted.popitem(last=False)
            self._cond.notify_all()

    def aborted(self, step_id):
        """The error step `step_id` was aborted with, or None."""
        with self._cond:
            return self._aborted.get(step_id)

    def end_step(self, step_id):
        """Forgets step `step_id` (its task finished running it)."""
        with self._cond:
            self._steps.pop(step_id, None)

    @property
    def closed(self):
        """The error every call raises once the rendezvous was closed, or None."""
        return self._closed

    def close(self, error):
        """Stops the rendezvous: every waiting and later call raises `error`."""
        with self._cond:
            self._closed = error
            self._cond.notify_all()

    def delivery_counts(self):
        """{key: how many times it was delivered}, over all steps (for tests)."""
        with self._cond:
            return collections.Counter(self._counts)

    def pending(self):
        """{step id: keys delivered and not yet received}."""
        with self._cond:
            return {s: sorted(st.values) for s, st in self._steps.items() if st.values}
