"""`tf.train.Coordinator` and `tf.train.LooperThread`: stopping a set of threads together.

A Coordinator is a stop flag shared by threads (queue runners, loops, the training loop)
plus the first exception one of them reported. `request_stop(ex)` sets the flag and keeps
`ex`; `join()` waits for the registered threads, gives stragglers a grace period, then
re-raises the kept exception (or RuntimeError naming the threads still alive). Exceptions
of the "clean stop" types (OutOfRangeError by default: an input ran out) stop the threads
without being reported.

Thread-safe: every method may be called from any thread.

Example:
    >>> coord = tf.train.Coordinator()
    >>> threads = tf.train.start_queue_runners(sess, coord=coord)
    >>> try:
    ...     while not coord.should_stop():
    ...         sess.run(train_op)
    ... except Exception as e:
    ...     coord.request_stop(e)
    ... finally:
    ...     coord.request_stop()
    ...     coord.join(threads)
"""

import contextlib
import logging
import sys
import threading
import time

from flowexec.framework import errors

_log = logging.getLogger("flowexec")


def _exc_info(ex):
    """(type, value, traceback) of an exception instance or an exc_info tuple."""
    if isinstance(ex, tuple):
        return ex
    return (type(ex), ex, ex.__traceback__)


class Coordinator:
    """A coordinator for threads: one stop flag and the first reported exception.

    Args:
        clean_stop_exception_types: exception types that stop the threads without being
            reported by `join()`; default `(tf.errors.OutOfRangeError,)`.
    """

    def __init__(self, clean_stop_exception_types=None):
        if clean_stop_exception_types is None:
            clean_stop_exception_types = (errors.OutOfRangeError,)
        self._clean_stop_exception_types = tuple(clean_stop_exception_types)
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads = set()

    def _filter_exception(self, ex):
        value = ex[1] if isinstance(ex, tuple) else ex
        if isinstance(value, self._clean_stop_exception_types):
            return None
        return ex

    def request_stop(self, ex=None):
        """Requests the threads to stop; keeps `ex` (the first one) for `join()`.

        Args:
            ex: None, an exception instance, or an `exc_info` tuple. Exceptions of the
                clean-stop types are ignored.

        Raises:
            The exception `ex` itself when the coordinator was already joined (nobody
            would report it otherwise).
        """
        with self._lock:
            ex = self._filter_exception(ex)
            if self._joined and ex is not None:
                info = _exc_info(ex)
                raise info[1].with_traceback(info[2])
            if not self._stop_event.is_set():
                if ex is not None and self._exc_info_to_raise is None:
                    info = _exc_info(ex)
                    if info[1] is None:
                        raise ValueError(f"ex must be an exception or an exc_info tuple: "
                                         f"{ex!r}")
                    _log.info("Error reported to Coordinator: %s", info[1])
                    self._exc_info_to_raise = info
                self._stop_event.set()

    def clear_stop(self):
        """Clears the stop flag and the kept exception: `should_stop()` is False again."""
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            self._stop_event.clear()

    def should_stop(self):
        """Whether a stop was requested."""
        return self._stop_event.is_set()

    @contextlib.contextmanager
    def stop_on_exception(self):
        """A context manager that requests a stop with the exception raised in its body.

        The exception is swallowed there (it is kept and re-raised by `join()`).

        Example:
            >>> with coord.stop_on_exception():
            ...     while not coord.should_stop():
            ...         do_work()
        """
        try:
            yield
        except:  # noqa: E722 - as TF: every exception, kept for join()
            self.request_stop(ex=sys.exc_info())

    def wait_for_stop(self, timeout=None):
        """Waits until a stop is requested; returns whether one was (False on timeout)."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread):
        """Registers `thread` to be joined by `join()`."""
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Waits for the threads to end, after a stop request, with a grace period.

        Waits until every thread ended or a stop was requested; then gives the threads
        still alive `stop_grace_period_secs` to end.

        Args:
            threads: threads to join besides the registered ones.
            stop_grace_period_secs: how long threads may run after the stop request.
            ignore_live_threads: only log, instead of raising, threads still alive.

        Raises:
            The first exception passed to `request_stop`, if any.
            RuntimeError: threads still alive after the grace period (unless
                `ignore_live_threads`): "Coordinator stopped with threads still running: ...".
        """
        with self._lock:
            threads = list(self._registered_threads.union(threads or ()))
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        wait = 0.001
        left = stop_grace_period_secs
        while any(t.is_alive() for t in threads) and left >= 0.0:
            time.sleep(wait)
            left -= wait
            wait = max(min(2 * wait, left), 0.001)
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            if self._exc_info_to_raise:
                info = self._exc_info_to_raise
                raise info[1].with_traceback(info[2])
            if stragglers:
                msg = "Coordinator stopped with threads still running: " + " ".join(stragglers)
                if not ignore_live_threads:
                    raise RuntimeError(msg)
                _log.info(msg)

    @property
    def joined(self):
        """Whether `join()` has ended."""
        return self._joined

    def raise_requested_exception(self):
        """Raises the exception passed to `request_stop`, if any."""
        with self._lock:
            if self._exc_info_to_raise:
                info = self._exc_info_to_raise
                raise info[1].with_traceback(info[2])


class LooperThread(threading.Thread):
    """A daemon thread that calls `run_loop()` (or `target`) until its coordinator stops.

    With `timer_interval_secs` None the calls are back to back; otherwise one call per
    interval. An exception in the loop is reported to the coordinator.

    Args:
        coord: the Coordinator.
        timer_interval_secs: seconds between calls, or None.
        target, args, kwargs: the function called in the loop (or override `run_loop`).

    Raises:
        ValueError: `coord` is not a Coordinator, or args/kwargs without a target.

    Example:
        >>> tf.train.LooperThread.loop(coord, 60, write_summaries, args=(sess,))
    """

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        if not isinstance(coord, Coordinator):
            # TF raises ValueError here, not TypeError.
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")  # noqa: TRY004
        super().__init__()
        self.daemon = True
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._loop_target = target
        if target is None and (args or kwargs):
            raise ValueError("'args' and 'kwargs' argument require that you also pass "
                             "'target'")
        self._loop_args = tuple(args or ())
        self._loop_kwargs = dict(kwargs or {})
        self._coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None):
        """Starts a LooperThread that calls `target(*args, **kwargs)`; returns it."""
        looper = LooperThread(coord, timer_interval_secs, target=target, args=args,
                              kwargs=kwargs)
        looper.start()
        return looper

    def run(self):
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_time = time.time()
                while not self._coord.wait_for_stop(max(next_time - time.time(), 0.0)):
                    next_time += self._timer_interval_secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self):
        """Called once when the thread starts."""

    def stop_loop(self):
        """Called once when the loop ends."""

    def run_loop(self):
        """Called in the loop: runs `target` by default."""
        if self._loop_target is not None:
            self._loop_target(*self._loop_args, **self._loop_kwargs)


__all__ = ["Coordinator", "LooperThread"]
