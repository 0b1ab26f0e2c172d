"""`tf.train.QueueRunner`: threads that keep running enqueue ops, and `start_queue_runners`.

A QueueRunner holds a queue and its enqueue ops; `create_threads(sess, coord)` starts one
thread per enqueue op, each running it until the coordinator stops or the op fails. An
OutOfRangeError (the input ran out) or, after the queue was closed, a CancelledError ends a
thread quietly; when the last thread ends the runner runs `close_op`, so that consumers get
OutOfRangeError once the queue is drained. Another error closes the queue with
`cancel_op` and is reported to the coordinator (or kept in `exceptions_raised`). When the
coordinator stops, one more thread runs `cancel_op`, so blocked enqueues give up.

Thread-safe: the runner's bookkeeping is under a lock.
"""

import logging
import threading

from flowexec.framework import errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys

_log = logging.getLogger("flowexec")


class QueueRunner:
    """Runs a queue's enqueue ops in threads.

    Args:
        queue: the queue (a FIFOQueue, ...).
        enqueue_ops: the enqueue ops; one thread each.
        close_op: run when every thread ended (default `queue.close()`).
        cancel_op: run on errors and stop (default `queue.close(cancel_pending_enqueues=True)`).
        queue_closed_exception_types: exceptions that end a thread quietly (default
            OutOfRangeError and CancelledError).

    Raises:
        ValueError: no enqueue ops.

    Example:
        >>> qr = tf.train.QueueRunner(queue, [enqueue_op] * 4)
        >>> tf.train.add_queue_runner(qr)
    """

    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None):
        if not enqueue_ops:
            raise ValueError("Must provide enqueue_ops.")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = cancel_op if cancel_op is not None else queue.close(
            cancel_pending_enqueues=True)
        self._queue_closed_exception_types = tuple(
            queue_closed_exception_types or (errors.OutOfRangeError, errors.CancelledError))
        self._lock = threading.Lock()
        self._runs_per_session = {}  # session -> enqueue threads still running
        self._exceptions_raised = []

    @property
    def queue(self):
        return self._queue

    @property
    def enqueue_ops(self):
        return self._enqueue_ops

    @property
    def close_op(self):
        return self._close_op

    @property
    def cancel_op(self):
        return self._cancel_op

    @property
    def queue_closed_exception_types(self):
        return self._queue_closed_exception_types

    @property
    def exceptions_raised(self):
        """Exceptions the threads raised when there was no coordinator to report to."""
        return self._exceptions_raised

    @property
    def name(self):
        return self._queue.name

    def _run(self, sess, enqueue_op, coord):
        decremented = False
        try:
            while True:
                if coord is not None and coord.should_stop():
                    break
                try:
                    sess.run(enqueue_op)
                except self._queue_closed_exception_types:
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        decremented = True
                        last = self._runs_per_session[sess] == 0
                    if last:
                        try:
                            sess.run(self._close_op)
                        except Exception as e:  # noqa: BLE001 - the session may be gone
                            _log.info("Ignored exception: %s", e)
                    return
        except Exception as e:  # noqa: BLE001 - reported to the coordinator
            if coord is not None:
                coord.request_stop(e)
            else:
                _log.error("Exception in QueueRunner: %s", e)
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, cancel_op, coord):
        coord.wait_for_stop()
        try:
            sess.run(cancel_op)
        except Exception as e:  # noqa: BLE001 - the session may be closed already
            _log.info("Ignored exception: %s", e)

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """Creates (and with `start`, starts) the runner's threads for `sess`.

        Returns:
            The threads (none when they already run in this session).
        """
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord),
                                    name=f"QueueRunnerThread-{self.name}-{op.name}")
                   for op in self._enqueue_ops]
        if coord is not None:
            threads.append(threading.Thread(target=self._close_on_stop,
                                            args=(sess, self._cancel_op, coord),
                                            name=f"QueueRunnerThread-{self.name}-close"))
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if daemon:
                t.daemon = True
            if start:
                t.start()
        return threads


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS):
    """Adds `qr` to the graph's QUEUE_RUNNERS collection."""
    graph_mod.add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True,
                        collection=GraphKeys.QUEUE_RUNNERS):
    """Starts the threads of every QueueRunner of `collection` for `sess`.

    Args:
        sess: the Session (default: the default session).
        coord: a Coordinator for the threads.
        daemon, start: as for `QueueRunner.create_threads`.
        collection: the collection of runners.

    Returns:
        The threads.

    Raises:
        ValueError: no session, or `sess` is a MonitoredSession (it starts its own).
        TypeError: `sess` is not a Session.
    """
    from flowexec.runtime.session import BaseSession, get_default_session

    if sess is None:
        sess = get_default_session()
        if sess is None:
            raise ValueError("Cannot start queue runners: No default session is registered. "
                             "Use `with sess.as_default()` or pass an explicit session to "
                             "tf.start_queue_runners(sess=sess)")
    if not isinstance(sess, BaseSession):
        raise TypeError(f"sess must be a `tf.Session` object. Given class: {sess.__class__}")
    with sess.graph.as_default():
        threads = []
        for qr in graph_mod.get_collection(collection):
            threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads


__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]
