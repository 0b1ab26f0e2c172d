"""CancellationManager: how `Session.close()` reaches the steps running at that moment.

As TF's DirectSession: each `Session.run` registers a callback with its session's manager
for as long as it runs; `close()` calls `start_cancel()`, which runs the callbacks of the
registered steps (a parallel step stops starting ops) and makes every later registration
fail. A step that finds, when it deregisters, that the cancellation started while it ran
ends in `CancelledError("Run call was cancelled")`, whatever its ops did meanwhile.
"""

import itertools
import threading

from flowexec.framework import errors


class CancellationManager:
    """Callbacks of the running steps of one session, run once by `start_cancel`.

    Thread-safe. A callback runs on the thread that calls `start_cancel`, outside the
    manager's lock, and must not block (it marks a step cancelled).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._callbacks = {}
        self._tokens = itertools.count()
        self._cancelled = False

    @property
    def is_cancelled(self):
        """Whether `start_cancel` has been called."""
        return self._cancelled

    def register(self, callback):
        """Registers `callback()` to run on cancellation.

        Returns:
            A token for `deregister`, or None when the cancellation has already started
            (the callback is not registered then).
        """
        with self._lock:
            if self._cancelled:
                return None
            token = next(self._tokens)
            self._callbacks[token] = callback
            return token

    def deregister(self, token):
        """Forgets the callback of `token`.

        Returns:
            False when the cancellation started while it was registered (the step was
            cancelled), True otherwise.
        """
        with self._lock:
            self._callbacks.pop(token, None)
            return not self._cancelled

    def start_cancel(self):
        """Runs every registered callback once; later `register` calls return None."""
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            callbacks = list(self._callbacks.values())
        for callback in callbacks:
            callback()


def cancelled_error():
    """TF's error for a step that was running when its session was closed."""
    return errors.CancelledError(None, None, "Run call was cancelled")
