"""Thread machinery shared by the runtimes: host events, in-order lanes, a worker pool.

* :class:`HostEvent`: completes when the lane that recorded it reaches it.
* :class:`ThreadLane`: one daemon thread draining a ``SimpleQueue`` in order,
  started on first use. Subclasses (the CUDA lane) change what an event is and how
  a lane waits for one.
* :class:`ThreadedRuntime`: a :class:`~devices.runtime.Runtime` with a shared-queue
  pool of daemon workers for ``submit`` (started on first use) and
  :class:`ThreadLane` lanes.

Queue items are ``(fn, args)`` tuples; ``None`` tells a thread to stop. Accepting an
item (after checking that the lane or pool is not shut down) and posting the stop
markers happen under the same lock, so accepted work always runs. A worker or
lane never dies of an exception raised by the work it runs: it logs it (logger
``devices``) and takes the next item.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from devices.errors import DeviceError
from devices.runtime import Event, Lane, Runtime

logger = logging.getLogger("devices")


class HostEvent(Event):
    """An event that a host thread sets when it reaches it (``threading.Event``-like).

    Args:
        lane: the lane that records it, if any (so that the lane can refuse to wait
            for it from its own earlier work).
    """

    __slots__ = ("_flag", "_lane", "_time")

    def __init__(self, lane: Lane | None = None) -> None:
        self._flag = threading.Event()
        self._lane = lane
        self._time: float | None = None

    def fire(self) -> None:
        """Mark the event complete, with the time (called by the lane thread)."""
        self._time = time.perf_counter()
        self._flag.set()

    def synchronize(self, timeout: float | None = None) -> bool:
        return self._flag.wait(timeout)

    def query(self) -> bool:
        return self._flag.is_set()

    def _reached(self) -> bool:
        """Whether the recording lane has reached the event."""
        return self._flag.is_set()

    @property
    def timestamp(self) -> float | None:
        """``time.perf_counter()`` when the event completed, or ``None``."""
        return self._time

    def elapsed_ms(self, end: Event) -> float:
        if not isinstance(end, HostEvent):
            raise DeviceError(f"Cannot time a HostEvent against a {type(end).__name__}")
        if self._time is None or end._time is None:
            raise DeviceError("Both events must have completed before they can be timed")
        return (end._time - self._time) * 1000.0

    def __repr__(self) -> str:
        return f"<HostEvent {'done' if self._flag.is_set() else 'pending'}>"


def _run_items(get: Callable[[], Any], owner: str) -> None:
    while True:
        item = get()
        if item is None:
            return
        fn, args = item
        try:
            fn(*args)
        except BaseException:  # a worker survives whatever the work raises
            logger.exception("Uncaught error in work %r run by %s", fn, owner)
        del item, fn, args


class _Result:
    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None


class ThreadLane(Lane):
    """An in-order lane backed by one daemon thread, started on first use.

    Args:
        runtime: the owning runtime.
        index: the lane's index in the runtime.
        on_start: called first on the lane's thread (e.g. to make a stream current).
    """

    def __init__(self, runtime: Runtime, index: int,
                 on_start: Callable[[], None] | None = None) -> None:
        self.runtime = runtime
        self.index = index
        self._on_start = on_start
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._thread_id: int | None = None
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.runtime.name} lane {self.index}>"

    @property
    def started(self) -> bool:
        """Whether the lane's thread is running."""
        return self._thread is not None

    def on_lane_thread(self) -> bool:
        """Whether the calling thread is this lane's thread."""
        return threading.get_ident() == self._thread_id

    def _start_locked(self) -> None:
        # Under self._lock: the caller has checked that the lane is not closed.
        self._thread = _spawn(
            self._main, f"devices-lane-{self.runtime.device.name}-{self.index}",
            f"Could not start {self!r}",
        )

    def _main(self, handshake: _Result) -> None:
        self._thread_id = threading.get_ident()
        if not _thread_start(self._on_start, handshake):
            return
        _run_items(self._queue.get, repr(self))

    def enqueue(self, fn: Callable[..., Any], *args: Any) -> None:
        """Append ``fn(*args)``; starts the thread on first use.

        Raises:
            DeviceError: the lane is shut down (checked under the lock ``shutdown``
                takes, so accepted work always runs before the stop marker).
        """
        with self._lock:
            if self._closed:
                raise DeviceError(f"{self!r} is shut down")
            if self._thread is None:
                self._start_locked()
            self._queue.put((fn, args))

    def synchronize(self, timeout: float | None = None) -> bool:
        if self.on_lane_thread():
            raise DeviceError(
                f"{self!r} cannot wait for itself: synchronize() was called from work running "
                "on the lane (it would never return)"
            )
        return super().synchronize(timeout)

    def new_event(self, timing: bool = False) -> Event:
        """Return an unrecorded event of the kind this lane records."""
        return HostEvent(self)

    def record_event(self, timing: bool = False) -> Event:
        event = self.new_event(timing)
        self.enqueue(event.fire)
        return event

    def record(self, event: Event) -> None:
        # From the lane's own work this lands behind what that work enqueued itself.
        self.enqueue(event.fire)

    def wait_event(self, event: Event) -> None:
        """Order later work after ``event``; from the lane's own work, at once.

        Raises:
            DeviceError: called from work running on this lane for an event this lane
                records after that work (it would never complete).
        """
        if self.on_lane_thread():  # from the lane's own work: the rest of it waits too
            self._refuse_own_pending(event)
            _host_wait(event)
        else:
            self.enqueue(_host_wait, event)

    def _refuse_own_pending(self, event: Event) -> None:
        # Called on the lane's thread: an event of this lane not reached yet is queued
        # behind the running work, which would wait for it forever.
        if getattr(event, "_lane", None) is self and not event._reached():
            raise DeviceError(
                f"{self!r} cannot wait for itself: wait_event() was called from work "
                "running on the lane for an event recorded on it after that work (it "
                "would never complete)"
            )

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the lane's thread, in lane order, and return its result.

        Called on the lane's own thread it runs at once. Exceptions are re-raised in
        the caller.
        """
        if self.on_lane_thread():
            return fn(*args)
        result = _Result()
        self.enqueue(_call_into, result, fn, args)
        result.done.wait()
        if result.error is not None:
            raise result.error
        return result.value

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop the thread after the work queued so far; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)  # under the lock: after every accepted item
        if thread is not None:
            if thread is not threading.current_thread():
                thread.join(timeout)
                if not thread.is_alive():
                    self._thread_id = None  # idents are reused by later threads


def _spawn(main: Callable[[_Result], None], name: str, failure: str) -> threading.Thread:
    """Start a daemon thread running ``main(handshake)`` once its start hook has run.

    Raises:
        DeviceError: the start hook failed (``failure`` heads the message).
    """
    handshake = _Result()
    thread = threading.Thread(target=main, args=(handshake,), daemon=True, name=name)
    thread.start()
    handshake.done.wait()
    if handshake.error is not None:
        thread.join()
        raise DeviceError(f"{failure}: {handshake.error}") from handshake.error
    return thread


def _thread_start(on_start: Callable[[], None] | None, handshake: _Result) -> bool:
    try:
        if on_start is not None:
            on_start()
    except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
        handshake.error = exc
        return False
    finally:
        handshake.done.set()
    return True


def _host_wait(event: Event) -> None:
    event.synchronize()


def _call_into(result: _Result, fn: Callable[..., Any], args: tuple) -> None:
    try:
        result.value = fn(*args)
    except BaseException as exc:  # noqa: BLE001 - re-raised in the waiting caller
        result.error = exc
    finally:
        result.done.set()


class ThreadedRuntime(Runtime):
    """A runtime whose workers and lanes are host threads.

    Subclasses set ``xp``, implement the transfers, and may override
    :meth:`_make_lane` and :meth:`_worker_start`.

    Args:
        device: the device.
        num_threads: worker threads for ``submit``.
        num_lanes: lanes served by :meth:`lane`.
    """

    def __init__(self, device, num_threads: int, num_lanes: int) -> None:
        super().__init__(device, num_lanes)
        self._num_threads = self._check_threads(num_threads)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._started = False
        self._closed = False
        self._lock = threading.Lock()
        self._lanes: list[ThreadLane | None] = [None] * self.num_lanes

    @staticmethod
    def _check_threads(num_threads) -> int:
        if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be a positive integer, got {num_threads!r}")
        return num_threads

    # ---------------------------------------------------------------- workers
    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` for a worker; starts the workers on first use.

        Raises:
            DeviceError: the runtime is shut down (checked under the lock ``shutdown``
                takes, so accepted work always runs before the stop markers).
        """
        with self._lock:
            if self._closed:
                raise DeviceError(f"{self!r} is shut down")
            if not self._started:
                self._start_workers_locked()
            self._queue.put((fn, args))

    def _start_workers_locked(self) -> None:
        # Under self._lock: the caller has checked that the runtime is not closed.
        started = []
        try:
            for number in range(self._num_threads):
                started.append(_spawn(
                    self._worker_main, f"devices-worker-{self.device.name}-{number}",
                    f"Could not start the workers of {self!r}",
                ))
        except DeviceError:
            for _ in started:
                self._queue.put(None)
            for thread in started:
                thread.join()
            raise
        self._workers = started
        self._started = True

    def _worker_main(self, handshake: _Result) -> None:
        if _thread_start(self._worker_start, handshake):
            _run_items(self._queue.get, f"{self!r} worker")

    def _worker_start(self) -> None:
        """Called first on every worker thread."""

    def set_num_threads(self, num_threads: int) -> None:
        num_threads = self._check_threads(num_threads)
        with self._lock:
            if self._started:
                raise RuntimeError(
                    f"The worker threads of {self.name} have started; set the number of "
                    "threads before the first submit"
                )
            self._num_threads = num_threads

    @property
    def num_threads(self) -> int:
        return self._num_threads

    @property
    def started(self) -> bool:
        return self._started or any(lane is not None and lane.started for lane in self._lanes)

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ lanes
    def lane(self, index: int) -> Lane:
        lane = self._lanes[index] if 0 <= index < self.num_lanes else None
        if lane is not None and not self._closed:
            return lane
        if not 0 <= index < self.num_lanes:
            raise IndexError(f"{self.name} has lanes 0..{self.num_lanes - 1}, not {index}")
        with self._lock:
            if self._closed:
                raise DeviceError(f"{self!r} is shut down")
            lane = self._lanes[index]
            if lane is None:
                lane = self._lanes[index] = self._make_lane(index)
        return lane

    def _make_lane(self, index: int) -> ThreadLane:
        return ThreadLane(self, index)

    def _existing_lane(self, index: int) -> Lane | None:
        return self._lanes[index]

    def current_lane(self) -> ThreadLane | None:
        """Return the lane whose thread is calling, or ``None`` off this runtime's lanes."""
        for lane in self._lanes:
            if lane is not None and lane.on_lane_thread():
                return lane
        return None

    # --------------------------------------------------------------- shutdown
    def shutdown(self, timeout: float | None = None) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._started = False
            workers, self._workers = self._workers, []
            lanes = [lane for lane in self._lanes if lane is not None]
            for _ in workers:  # under the lock: after every accepted item
                self._queue.put(None)
        for lane in lanes:
            lane.shutdown(timeout)
        current = threading.current_thread()
        for thread in workers:
            if thread is not current:
                thread.join(timeout)
        self._after_shutdown()

    def _after_shutdown(self) -> None:
        """Called once the threads have stopped."""
