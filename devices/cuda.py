"""The CUDA runtime: cupy kernels on non-blocking CUDA streams.

This module imports on a machine without CuPy: ``cupy`` is imported when a
:class:`CUDARuntime` is created, and that happens only for a GPU that discovery
found answering.

* ``xp`` is ``cupy``.
* A lane is a CUDA stream created with ``cudaStreamNonBlocking`` (never the legacy
  default stream) plus one host thread that has the lane's device and stream
  current (set once per thread, not with ``with stream:``): a function enqueued on
  the lane runs on that thread and the kernels it launches go, asynchronously, on
  the stream, so host order is stream order.
* ``record_event`` records a ``cupy.cuda.Event`` (``cudaEventRecord``) on the
  stream once the lane's thread reaches that point. ``wait_event`` of another GPU
  lane's event is ``cudaStreamWaitEvent``: the lane's thread only waits until the
  other lane has *enqueued* the record, the GPU does the rest.
* ``submit`` workers each have their own non-blocking stream current.
* Transfers: host to device through pinned staging buffers
  (``cupy.cuda.alloc_pinned_memory``, then ``ndarray.set(..., stream=)``:
  ``cudaMemcpyAsync``); device to host with ``cupy.asnumpy(..., stream=,
  blocking=False)`` into pinned memory; device to device with
  ``cudaMemcpyPeerAsync`` on the destination lane's stream: direct where
  ``cudaDeviceCanAccessPeer`` allows (peer access is enabled once), staged through
  host memory by the driver where it does not. Without a lane, a transfer runs on
  the runtime's own copy stream, after all work enqueued so far on the device's
  lanes, and is complete on return; called from work running on one of the
  runtime's lanes, it runs on that lane instead. A peer copy without a lane called
  from work on a lane of the *source* runtime is ordered after what that lane
  launched so far. A non-contiguous peer source is made contiguous on the source
  runtime's copy stream, ordered after the producer (the source lanes, or an event
  of the destination lane the caller ordered after it).
* Memory: arrays come from CuPy's memory pool; the runtime's ``allocate`` /
  ``release`` account them against the device's ``memory_limit``.
* Lifetimes: a buffer used on a stream other than the one that allocated it is
  held in a :class:`~devices.lifetimes.BufferKeeper` until an event recorded on the
  consuming stream after its use has completed (cupy issue 8068); pinned staging
  buffers and copy sources are held the same way.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from typing import Any

import numpy

from devices._threads import ThreadedRuntime, ThreadLane, _host_wait
from devices.attributes import DeviceAttributes
from devices.discovery import gpu_count, import_cupy
from devices.errors import DeviceError
from devices.lifetimes import BufferKeeper
from devices.runtime import Event, Lane, Runtime

__all__ = ["CUDAEvent", "CUDALane", "CUDARuntime"]

logger = logging.getLogger("devices")

# cudaErrorPeerAccessAlreadyEnabled
_PEER_ACCESS_ALREADY_ENABLED = 704


class CUDAEvent(Event):
    """An event recorded on a lane's CUDA stream (``cupy.cuda.Event``).

    The CUDA event is created and recorded by the lane's thread when it reaches the
    point where :meth:`CUDALane.record_event` was called.
    """

    __slots__ = ("_event", "_lane", "_recorded", "_timing")

    def __init__(self, lane: CUDALane, timing: bool = False) -> None:
        self._lane = lane
        self._timing = timing
        self._event = None
        self._recorded = threading.Event()

    def fire(self) -> None:
        """Record the event on the lane's stream (``cudaEventRecord``); lane thread only."""
        event = self._lane.runtime.cupy.cuda.Event(block=False, disable_timing=not self._timing)
        event.record(self._lane.stream)
        self._event = event
        self._recorded.set()

    def _reached(self) -> bool:
        """Whether the lane's thread has recorded the event on the stream."""
        return self._recorded.is_set()

    @property
    def cuda_event(self):
        """The ``cupy.cuda.Event``, or ``None`` until the lane has recorded it."""
        return self._event

    def query(self) -> bool:
        """``cudaEventQuery``: whether the GPU has passed the event."""
        return self._recorded.is_set() and self._event.done

    def synchronize(self, timeout: float | None = None) -> bool:
        """``cudaEventSynchronize`` (polled with ``cudaEventQuery`` under a timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._recorded.wait(timeout):
            return False
        if deadline is None:
            self._event.synchronize()
            return True
        while not self._event.done:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.0002)
        return True

    def elapsed_ms(self, end: Event) -> float:
        """``cudaEventElapsedTime`` from this event to ``end``."""
        if not isinstance(end, CUDAEvent) or not (self._timing and end._timing):
            raise DeviceError("Only CUDA events recorded with timing=True can be timed")
        if not (self.query() and end.query()):
            raise DeviceError("Both events must have completed before they can be timed")
        return float(self._lane.runtime.cupy.cuda.get_elapsed_time(self._event, end._event))

    def __repr__(self) -> str:
        state = "done" if self.query() else "recorded" if self._recorded.is_set() else "pending"
        return f"<CUDAEvent {state}>"


class CUDALane(ThreadLane):
    """A non-blocking CUDA stream fed by one host thread.

    Attributes:
        stream: the lane's ``cupy.cuda.Stream(non_blocking=True)``.
    """

    def __init__(self, runtime: CUDARuntime, index: int) -> None:
        cupy = runtime.cupy
        with cupy.cuda.Device(runtime.ordinal):
            self.stream = cupy.cuda.Stream(non_blocking=True)
        super().__init__(runtime, index, on_start=self._bind)

    def _bind(self) -> None:
        self.runtime.cupy.cuda.Device(self.runtime.ordinal).use()
        self.stream.use()

    def new_event(self, timing: bool = False) -> Event:
        return CUDAEvent(self, timing)

    def wait_event(self, event: Event) -> None:
        """``cudaStreamWaitEvent`` for a GPU event; a host wait on the lane thread else.

        Raises:
            DeviceError: called from work running on this lane for an event this lane
                records after that work (it would never be recorded).
        """
        wait = self._device_wait if isinstance(event, CUDAEvent) else _host_wait
        if self.on_lane_thread():  # from the lane's own work: what it launches next waits
            self._refuse_own_pending(event)
            wait(event)
        else:
            self.enqueue(wait, event)

    def _device_wait(self, event: CUDAEvent) -> None:
        event._recorded.wait()  # the other lane has enqueued the record; the GPU orders
        self.stream.wait_event(event._event)

    def synchronize(self, timeout: float | None = None) -> bool:
        """``cudaStreamSynchronize``; from the lane's own work, for what it launched so far."""
        if self.on_lane_thread():
            self.stream.synchronize()
            return True
        return super().synchronize(timeout)

    def record(self, event: Event) -> None:
        """``cudaEventRecord`` at once from the lane's own work (after the kernels it
        launched so far); enqueued from any other thread."""
        if self.on_lane_thread():
            event.fire()
        else:
            self.enqueue(event.fire)

    def recorded_now(self) -> CUDAEvent:
        """Record an event at once on the stream; lane thread only."""
        event = CUDAEvent(self)
        event.fire()
        return event


def _event_now(lane: CUDALane) -> CUDAEvent:
    """An event at the current end of ``lane``: recorded at once from its own thread."""
    return lane.recorded_now() if lane.on_lane_thread() else lane.record_event()


class CUDARuntime(ThreadedRuntime):
    """cupy on one GPU, through non-blocking streams.

    Args:
        device: a GPU record from ``local_devices()`` (its ``physical_device_id`` is
            the CUDA ordinal).
        num_threads: worker threads for ``submit`` (default 2).
        num_lanes: lanes, one stream each (default 4).

    Raises:
        DeviceError: CuPy cannot be imported or the GPU does not answer.
    """

    def __init__(self, device: DeviceAttributes, num_threads: int = 2,
                 num_lanes: int = 4) -> None:
        if device.device_type != "GPU":
            raise ValueError(f"CUDARuntime needs a GPU device, got {device.name}")
        cupy = import_cupy()
        if cupy is None:
            raise DeviceError(f"Cannot run on {device.name}: CuPy cannot be imported")
        self.ordinal = int(device.physical_device_id)
        if self.ordinal >= gpu_count(cupy):
            raise DeviceError(f"Cannot run on {device.name}: CUDA device {self.ordinal} "
                              "does not answer")
        self.cupy = cupy
        self.xp = cupy
        self.asynchronous = True
        self.host_memory = False
        self.keeper = BufferKeeper()
        self._copy_lane: CUDALane | None = None
        self._worker_streams: list[Any] = []
        self._streams_lock = threading.Lock()
        self._peer_state: dict = {}
        self._blocking_keyword: bool | None = None
        super().__init__(device, num_threads, num_lanes)

    def _make_lane(self, index: int) -> ThreadLane:
        return CUDALane(self, index)

    def _worker_start(self) -> None:
        cupy = self.cupy
        cupy.cuda.Device(self.ordinal).use()
        stream = cupy.cuda.Stream(non_blocking=True)
        stream.use()
        # Not under self._lock: _start_workers_locked runs under it while this thread starts.
        with self._streams_lock:
            self._worker_streams.append(stream)

    def _transfer_lane(self) -> CUDALane:
        lane = self._copy_lane
        if lane is None:
            with self._lock:
                if self._closed:
                    raise DeviceError(f"{self!r} is shut down")
                if self._copy_lane is None:
                    self._copy_lane = CUDALane(self, -1)
                lane = self._copy_lane
        return lane

    def _owned(self, lane: Lane | None) -> CUDALane | None:
        if lane is not None and (not isinstance(lane, CUDALane) or lane.runtime is not self):
            raise DeviceError(f"{lane!r} is not a lane of {self!r}")
        return lane

    def _after_lanes(self, target: CUDALane) -> None:
        """Order ``target`` after the work enqueued so far on every started lane."""
        for lane in self._lanes:
            if lane is None or not lane.started or lane is target:
                continue
            target.wait_event(_event_now(lane))

    def _target(self, lane: Lane | None) -> tuple[CUDALane, bool]:
        """Return the lane a transfer runs on and whether it must complete on return.

        ``lane=None`` means the lane whose work is calling, or else the copy lane.
        """
        if lane is not None:
            return self._owned(lane), False
        here = self.current_lane()
        return (here if here is not None else self._transfer_lane()), True

    # -------------------------------------------------------------- transfers
    def to_device(self, host_array: Any, lane: Lane | None = None) -> Any:
        if isinstance(host_array, self.cupy.ndarray):
            if int(host_array.device.id) == self.ordinal:
                return host_array
            raise TypeError(
                f"{self.name}.to_device got an array of CUDA device {host_array.device.id}; "
                "use copy_from(array, src_runtime)"
            )
        host = numpy.asarray(host_array, order="C")
        if not host.dtype.isnative:
            host = host.astype(host.dtype.newbyteorder("="))
        target, blocking = self._target(lane)
        out = target.call(self._h2d, host, target)
        if blocking:
            target.synchronize()
        return out

    def _h2d(self, host: numpy.ndarray, lane: CUDALane) -> Any:
        cupy = self.cupy
        out = cupy.empty(host.shape, dtype=host.dtype)  # from the lane stream's pool arena
        if host.nbytes:
            pinned = cupy.cuda.alloc_pinned_memory(host.nbytes)
            staging = numpy.frombuffer(pinned, host.dtype, host.size).reshape(host.shape)
            staging[...] = host
            out.set(staging, stream=lane.stream)
            self.keeper.hold(pinned, lane.recorded_now())
        return out

    def to_host(self, array: Any, lane: Lane | None = None) -> numpy.ndarray:
        if isinstance(array, (numpy.ndarray, numpy.generic)):
            return numpy.asarray(array)
        if not isinstance(array, self.cupy.ndarray):
            raise TypeError(
                f"{self.name}.to_host expects a cupy or numpy array, got "
                f"{type(array).__module__}.{type(array).__name__}"
            )
        if int(array.device.id) != self.ordinal:
            raise TypeError(
                f"{self.name}.to_host got an array of CUDA device {array.device.id}, not of "
                f"this runtime's CUDA device {self.ordinal}; use the runtime of the device "
                "holding it"
            )
        target, blocking = self._target(lane)
        if blocking and not target.on_lane_thread():
            self._after_lanes(target)
        return target.call(self._d2h, array, target, blocking)

    def _asnumpy_takes_blocking(self) -> bool:
        """Whether ``cupy.asnumpy`` has the ``blocking`` keyword (CuPy 13 on); checked once."""
        answer = self._blocking_keyword
        if answer is None:
            try:
                parameters = inspect.signature(self.cupy.asnumpy).parameters
            except (TypeError, ValueError):  # no signature to read: go by the version
                version = str(getattr(self.cupy, "__version__", "13"))
                answer = int(version.split(".")[0]) >= 13 if version[:1].isdigit() else True
            else:
                answer = "blocking" in parameters or any(
                    p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
            self._blocking_keyword = answer
        return answer

    def _d2h(self, array: Any, lane: CUDALane, blocking: bool) -> numpy.ndarray:
        cupy = self.cupy
        if blocking:
            return cupy.asnumpy(array, stream=lane.stream)
        source = array if array.flags.c_contiguous else cupy.ascontiguousarray(array)
        if not source.nbytes:
            return numpy.empty(source.shape, source.dtype)
        pinned = cupy.cuda.alloc_pinned_memory(source.nbytes)
        out = numpy.frombuffer(pinned, source.dtype, source.size).reshape(source.shape)
        if self._asnumpy_takes_blocking():
            cupy.asnumpy(source, stream=lane.stream, out=out, blocking=False)
        else:  # CuPy < 13: a copy on a given stream is asynchronous
            cupy.asnumpy(source, stream=lane.stream, out=out)
        # The copy reads source (and, through ascontiguousarray, array) and writes the
        # pinned buffer until the stream passes this point.
        held = (source, pinned) if source is array else (array, source, pinned)
        self.keeper.hold(held, lane.recorded_now())
        return out

    def copy_from(self, array: Any, src_runtime: Runtime, lane: Lane | None = None) -> Any:
        if isinstance(array, (numpy.ndarray, numpy.generic)):
            return self.to_device(array, lane)
        if not isinstance(array, self.cupy.ndarray) or not isinstance(src_runtime, CUDARuntime):
            raise TypeError(
                f"{self.name}.copy_from expects a numpy array, or a cupy array with the "
                f"CUDARuntime holding it; got {type(array).__name__} from {src_runtime!r}"
            )
        if int(array.device.id) == self.ordinal:
            return array  # same physical GPU (a logical split): the memory is shared
        target, blocking = self._target(lane)
        if not array.flags.c_contiguous:  # made contiguous on the source GPU, in its order
            source_lane = src_runtime._transfer_lane()
            if blocking:  # after the source lanes (the calling one up to now)
                src_runtime._after_lanes(source_lane)
            else:  # after what the caller ordered the target lane behind: the producer
                source_lane.wait_event(_event_now(target))  # cross-device: legal in CUDA
            array = source_lane.call(self.cupy.ascontiguousarray, array)
            target.wait_event(source_lane.record_event())
        elif blocking:
            producer = src_runtime.current_lane()
            if producer is None:
                src_runtime._after_lanes(target)
            else:  # called from work on a source lane: after what it launched so far
                target.wait_event(producer.recorded_now())
        out = target.call(self._peer_copy, array, int(array.device.id), target)
        if blocking:
            target.synchronize()
        return out

    def _peer_access(self, source_ordinal: int) -> bool:
        """Enable peer access from this GPU to ``source_ordinal`` once, where possible.

        ``cudaDeviceCanAccessPeer``, then ``cudaDeviceEnablePeerAccess``; the answer is
        cached per source GPU.
        """
        allowed = self._peer_state.get(source_ordinal)
        if allowed is not None:
            return allowed
        runtime = self.cupy.cuda.runtime
        allowed = bool(runtime.deviceCanAccessPeer(self.ordinal, source_ordinal))
        if allowed:
            with self.cupy.cuda.Device(self.ordinal):
                try:
                    runtime.deviceEnablePeerAccess(source_ordinal)
                except runtime.CUDARuntimeError as exc:
                    if getattr(exc, "status", None) != _PEER_ACCESS_ALREADY_ENABLED:
                        raise
        self._peer_state[source_ordinal] = allowed
        return allowed

    def _peer_copy(self, array: Any, source_ordinal: int, lane: CUDALane) -> Any:
        # cudaMemcpyPeerAsync: direct over NVLink/PCIe where peer access is enabled,
        # staged through host memory by the driver where it is not.
        cupy = self.cupy
        self._peer_access(source_ordinal)
        out = cupy.empty(array.shape, dtype=array.dtype)
        if array.nbytes:
            cupy.cuda.runtime.memcpyPeerAsync(
                out.data.ptr, self.ordinal, array.data.ptr, source_ordinal,
                array.nbytes, lane.stream.ptr,
            )
            self.keeper.hold(array, lane.recorded_now())
        return out

    def keep_alive(self, array: Any, lane: Lane) -> None:
        self.keeper.hold(array, self._owned(lane).record_event())

    # ----------------------------------------------------------------- memory
    def pool_used_bytes(self) -> int:
        """Bytes CuPy's default memory pool has handed out on this GPU."""
        with self.cupy.cuda.Device(self.ordinal):
            return int(self.cupy.get_default_memory_pool().used_bytes())

    def free_cached_memory(self) -> None:
        """Return the pool's unused blocks to the driver (after an OOM, say)."""
        self.keeper.collect()
        with self.cupy.cuda.Device(self.ordinal):
            self.cupy.get_default_memory_pool().free_all_blocks()

    def synchronize(self) -> None:
        super().synchronize()
        if self._copy_lane is not None:
            self._copy_lane.synchronize()
        self.keeper.collect()

    def _after_shutdown(self) -> None:
        with self._lock:
            copy_lane, self._copy_lane = self._copy_lane, None
        if copy_lane is not None:
            copy_lane.shutdown()
        lanes = [lane for lane in self._lanes if lane is not None]
        streams = [lane.stream for lane in lanes] + list(self._worker_streams)
        if copy_lane is not None:
            streams.append(copy_lane.stream)
        for stream in streams:
            try:
                stream.synchronize()
            except Exception as exc:  # noqa: BLE001 - one failed stream must not stop the rest
                logger.debug("Synchronizing %r at shutdown failed: %s", stream, exc)
        self.keeper.clear()
        self._worker_streams = []

