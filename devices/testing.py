"""Test tools for code that drives runtimes. Never a device.

Nothing here is listed by discovery or returned by ``local_devices()``; a test
puts a double in place explicitly with :func:`use_runtime`.

* :class:`ThreadStreamRuntime`: a runtime with GPU-like *stream semantics* on the
  CPU: numpy arrays, lanes that are in-order threads, events with record/wait
  semantics, and transfers that are asynchronous, ordered on the lane they are given,
  exactly like ``cudaMemcpyAsync``: the returned array is filled with a poison value
  (NaN, or the dtype's minimum) until the lane runs the copy. An optional delay
  before every lane item (fixed, or random with a seed) makes ordering bugs show:
  code that forgets a ``wait_event`` reads poison.
* :class:`FakeEvent`: an event completed by hand, for bookkeeping tests.
* :func:`reset_state`: forget discovered devices, logical configuration and
  runtimes (between tests).
"""

from __future__ import annotations

import collections
import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy

from devices import discovery, logical
from devices import runtime as _runtime
from devices._threads import ThreadedRuntime, ThreadLane
from devices.attributes import DeviceAttributes, Locality
from devices.errors import DeviceError
from devices.lifetimes import BufferKeeper
from devices.runtime import Event, Lane, Runtime

__all__ = ["FakeEvent", "ThreadStreamRuntime", "reset_state", "use_runtime"]


class FakeEvent(Event):
    """An event that completes when the test calls :meth:`complete`.

    Example:
        >>> event = FakeEvent()
        >>> event.query()
        False
        >>> event.complete()
        >>> event.synchronize(0)
        True
    """

    __slots__ = ("_flag",)

    def __init__(self, done: bool = False) -> None:
        self._flag = threading.Event()
        if done:
            self._flag.set()

    def complete(self) -> None:
        """Mark the event complete."""
        self._flag.set()

    def query(self) -> bool:
        return self._flag.is_set()

    def synchronize(self, timeout: float | None = None) -> bool:
        return self._flag.wait(timeout)


def _poisoned_like(array: numpy.ndarray) -> numpy.ndarray:
    kind = array.dtype.kind
    if kind in "fc":
        return numpy.full_like(array, numpy.nan)
    if kind in "iu":
        return numpy.full_like(array, numpy.iinfo(array.dtype).min)
    if kind == "b":
        return numpy.ones_like(array)
    return numpy.empty_like(array)


class _StreamLane(ThreadLane):
    """A lane with a CUDA stream's ordering: work that the lane's own work enqueues (an
    asynchronous copy, an event record) runs right behind it, before anything other
    threads enqueued meanwhile, as a kernel launched from a stream's host thread lands
    in the stream right behind what that thread launched before."""

    def __init__(self, runtime: ThreadStreamRuntime, index: int) -> None:
        super().__init__(runtime, index)
        self._pause: Callable[[], float] = runtime._pause
        self._launched: collections.deque = collections.deque()

    def enqueue(self, fn: Callable[..., Any], *args: Any) -> None:
        if self.on_lane_thread():
            self._launched.append((fn, args))
        else:
            super().enqueue(self._slowly, fn, args)

    def _slowly(self, fn: Callable[..., Any], args: tuple) -> None:
        seconds = self._pause()
        if seconds > 0:
            time.sleep(seconds)
        try:
            fn(*args)
        finally:
            launched = self._launched
            while launched:
                fn, args = launched.popleft()
                seconds = self._pause()
                if seconds > 0:
                    time.sleep(seconds)
                fn(*args)


class ThreadStreamRuntime(ThreadedRuntime):
    """A CPU runtime with stream semantics, for tests of stream and event logic.

    Args:
        device: the record to present (default: a CPU-typed
            ``/device:CPU:0`` with a ``memory_limit`` of ``memory_limit``).
        num_threads: worker threads for ``submit``.
        num_lanes: lanes.
        delay: seconds to sleep before every lane item.
        jitter: sleep a random time in ``[0, delay]`` instead (seeded by ``seed``).
        seed: seed of the jitter.
        memory_limit: bytes, when ``device`` is not given.

    Example:
        >>> rt = ThreadStreamRuntime(delay=0.001)
        >>> a, b = rt.lane(0), rt.lane(1)
        >>> x = rt.to_device(numpy.ones(3), lane=a)    # poison until lane a copies
        >>> b.wait_event(a.record_event())
        >>> y = rt.to_host(x, lane=b)
        >>> b.synchronize()
        True
        >>> y.tolist()
        [1.0, 1.0, 1.0]
        >>> rt.shutdown()
    """

    xp = numpy
    asynchronous = True
    host_memory = False

    def __init__(
        self,
        device: DeviceAttributes | None = None,
        num_threads: int = 2,
        num_lanes: int = 2,
        delay: float = 0.0,
        jitter: bool = False,
        seed: int | None = None,
        memory_limit: int = 1 << 30,
    ) -> None:
        if device is None:
            device = DeviceAttributes(
                name="/device:CPU:0",
                device_type="CPU",
                memory_limit=memory_limit,
                locality=Locality(),
                incarnation=random.getrandbits(63) | 1,
                physical_device_desc="device: ThreadStreamRuntime test double",
            )
        if delay < 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        rng = random.Random(seed)
        rng_lock = threading.Lock()

        def pause() -> float:
            if not jitter:
                return delay
            with rng_lock:
                return rng.uniform(0.0, delay)

        self._pause = pause
        self.keeper = BufferKeeper()
        super().__init__(device, num_threads, num_lanes)

    def _make_lane(self, index: int) -> ThreadLane:
        return _StreamLane(self, index)

    def _owned(self, lane: Lane | None) -> Lane | None:
        if lane is not None and getattr(lane, "runtime", None) is not self:
            raise DeviceError(f"{lane!r} is not a lane of {self!r}")
        return lane

    def _async_copy(self, source: numpy.ndarray, lane: Lane | None,
                    stage: bool) -> numpy.ndarray:
        # Host sources are staged at call time (like pinned staging: the caller may
        # reuse its buffer at once); device sources are read when the lane copies.
        lane = self._owned(lane)
        if lane is None:  # like the CUDA runtime: after the work enqueued so far
            if not stage and self.current_lane() is None:
                self.synchronize()
            return numpy.array(source, copy=True)
        if stage:
            source = numpy.array(source, copy=True)
        out = _poisoned_like(source)
        lane.enqueue(numpy.copyto, out, source)
        return out

    def to_device(self, host_array: Any, lane: Lane | None = None) -> numpy.ndarray:
        return self._async_copy(numpy.asarray(host_array), lane, stage=True)

    def to_host(self, array: Any, lane: Lane | None = None) -> numpy.ndarray:
        if not isinstance(array, (numpy.ndarray, numpy.generic)):
            raise TypeError(
                f"{self.name}.to_host expects a numpy array, got {type(array).__name__}"
            )
        return self._async_copy(numpy.asarray(array), lane, stage=False)

    def copy_from(self, array: Any, src_runtime: Runtime,
                  lane: Lane | None = None) -> numpy.ndarray:
        if isinstance(array, (numpy.ndarray, numpy.generic)):
            return self._async_copy(numpy.asarray(array), lane, stage=False)
        return self._async_copy(src_runtime.to_host(array), lane, stage=True)

    def keep_alive(self, array: Any, lane: Lane) -> None:
        self.keeper.hold(array, self._owned(lane).record_event())

    def _after_shutdown(self) -> None:
        self.keeper.clear()


@contextlib.contextmanager
def use_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """Make ``runtime_for`` return ``runtime`` for its device inside the block.

    The runtime is shut down and the previous one put back on exit.

    Example:
        >>> from devices import runtime_for
        >>> with use_runtime(ThreadStreamRuntime()) as rt:
        ...     runtime_for(rt.device) is rt
        True
    """
    previous = _runtime.install_runtime(runtime)
    try:
        yield runtime
    finally:
        _runtime.uninstall_runtime(runtime, previous)
        runtime.shutdown()


def reset_state() -> None:
    """Shut every runtime down and forget discovery and logical configuration."""
    _runtime.shutdown_all(timeout=5.0)
    logical.reset_logical_configuration()
    discovery.reset_discovery_cache()
