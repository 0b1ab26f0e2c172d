"""The Runtime interface: what the executor sees of a device.

A :class:`Runtime` gives the executor, for one device:

* ``xp``: the array module kernels compute with (``numpy`` or ``cupy``);
* ``submit(fn, *args)``: run ``fn`` on any idle worker thread of the device;
* lanes (:class:`Lane`): independent in-order queues: a dedicated worker thread on
  a CPU, a non-blocking CUDA stream (fed by a dedicated host thread) on a GPU;
* events (:class:`Event`): recorded on a lane after some work; the host can wait on
  them, and another lane can be told to wait for them (``cudaStreamWaitEvent``
  between GPU streams, never a host synchronization where the device can order the
  work itself);
* transfers: ``to_device``, ``to_host``, ``copy_from`` (peer copies between GPUs);
* memory accounting against the device's ``memory_limit``: ``allocate`` raises
  :class:`~devices.errors.ResourceExhaustedError` naming what was allocated and the
  sizes;
* ``keep_alive(array, lane)``: keep a buffer alive until the lane has passed its
  current point (a no-op on a CPU; on a GPU, cupy issue 8068).

:func:`runtime_for` returns the one process-wide runtime of a device, created on
first use; creating any runtime freezes the logical device configuration.

Thread-safety: every method of a runtime, lane and event may be called from any
thread. Work enqueued on one lane from several threads runs in the order the
``enqueue`` calls happened.
"""

from __future__ import annotations

import abc
import atexit
import logging
import threading
from collections.abc import Callable
from typing import Any

from devices.attributes import DeviceAttributes
from devices.errors import DeviceError, DeviceNotFoundError, ResourceExhaustedError
from devices.spec import DeviceSpec, is_compatible

__all__ = ["Event", "Lane", "Runtime", "runtime_for", "shutdown_all"]

logger = logging.getLogger("devices")


class Event(abc.ABC):
    """A point in a lane's work; complete once the lane has run everything before it.

    Events are returned by :meth:`Lane.record_event`. Thread-safe.
    """

    __slots__ = ()

    @abc.abstractmethod
    def synchronize(self, timeout: float | None = None) -> bool:
        """Block the calling thread until the event completes.

        On a GPU this wraps ``cudaEventSynchronize``.

        Args:
            timeout: seconds to wait at most; ``None`` waits for as long as it takes.

        Returns:
            ``True`` when the event completed, ``False`` when ``timeout`` ran out.
        """

    @abc.abstractmethod
    def query(self) -> bool:
        """Return whether the event has completed, without blocking (``cudaEventQuery``)."""

    def elapsed_ms(self, end: Event) -> float:
        """Milliseconds from this event to ``end`` (``cudaEventElapsedTime``).

        Both events must have completed and have been recorded with ``timing=True``.

        Raises:
            DeviceError: the events cannot be timed.
        """
        raise DeviceError(f"{type(self).__name__} does not support timing")


class Lane(abc.ABC):
    """An in-order queue of work on one device (a CPU worker thread or a CUDA stream).

    Work enqueued on a lane runs in order, one item after the other; different lanes
    run independently. Thread-safe.
    """

    #: The runtime the lane belongs to.
    runtime: Runtime
    #: Index of the lane in its runtime.
    index: int

    @abc.abstractmethod
    def enqueue(self, fn: Callable[..., Any], *args: Any) -> None:
        """Append ``fn(*args)`` to the lane; it runs after all work enqueued before it.

        On a GPU ``fn`` runs on the lane's host thread with the lane's stream current,
        so the kernels it launches go, asynchronously, on that stream.
        ``fn`` should handle its own errors; an uncaught one is logged and the lane
        goes on.
        """

    @abc.abstractmethod
    def record_event(self, timing: bool = False) -> Event:
        """Return an event that completes once the work enqueued so far has run.

        On a GPU: ``cudaEventRecord`` on the lane's stream.

        Args:
            timing: record a timestamp too, so that :meth:`Event.elapsed_ms` works.
        """

    def new_event(self, timing: bool = False) -> Event:
        """Return an event of this lane's kind, not yet recorded (see :meth:`record`).

        An executor creates the event when it issues work, so that work issued later on
        other lanes can wait for it, and records it from inside that work, after whatever
        the work itself enqueued (asynchronous copies, say).
        """
        raise DeviceError(f"{type(self).__name__} cannot make events")

    def record(self, event: Event) -> None:
        """Record ``event`` (from :meth:`new_event`) at the current end of the lane.

        Called from work running on this lane, the event completes after everything
        that work has launched or enqueued on the lane so far (a kernel, an asynchronous
        copy); called from another thread, after the work enqueued so far, like
        :meth:`record_event`.
        """
        raise DeviceError(f"{type(self).__name__} cannot record events")

    @abc.abstractmethod
    def wait_event(self, event: Event) -> None:
        """Make work enqueued on this lane after this call wait for ``event``.

        Returns at once. On a GPU, for an event of a GPU lane, this is
        ``cudaStreamWaitEvent``: the device orders the work and no host thread waits
        for the GPU. Called from work running on this lane, it applies at once: the
        rest of that work is ordered after the event too.

        Raises:
            DeviceError: called from work running on this lane for an event recorded
                on this lane after that work (it could never complete).
        """

    def synchronize(self, timeout: float | None = None) -> bool:
        """Block until everything enqueued so far has run (``cudaStreamSynchronize``).

        Called from work running on the lane itself: a GPU lane synchronizes its
        stream (the kernels launched so far); a CPU lane raises ``DeviceError``, as
        it would wait for itself forever.

        Returns:
            ``True`` when done, ``False`` when ``timeout`` seconds ran out.
        """
        return self.record_event().synchronize(timeout)


class Runtime(abc.ABC):
    """One device as the executor sees it: array module, workers, lanes, transfers, memory.

    Subclasses: :class:`devices.cpu.CPURuntime`, :class:`devices.cuda.CUDARuntime` and
    the test double :class:`devices.testing.ThreadStreamRuntime`. Get the process-wide
    instance of a device with :func:`runtime_for`.

    Memory accounting (``allocate``/``release``) is bookkeeping that the executor
    drives: it does not allocate, it checks against ``memory_limit`` (``0`` means no
    limit) and keeps the current and peak totals. Thread-safe.

    Attributes:
        device: the device's :class:`~devices.attributes.DeviceAttributes`.
        name: the device's full name (``/job:localhost/replica:0/task:0/device:CPU:0``).
        device_type: ``"CPU"`` or ``"GPU"``.
        xp: the array module (``numpy`` or ``cupy``).
        num_lanes: how many lanes :meth:`lane` serves (indices ``0 .. num_lanes-1``).
    """

    xp: Any = None
    #: Whether kernels run asynchronously on lanes (GPU streams): results of work
    #: enqueued on a lane are valid only after an event recorded after it. False for a
    #: CPU, whose executor runs kernels on the calling thread.
    asynchronous: bool = False
    #: Whether the device computes in host memory, so that host (numpy) arrays need no
    #: transfer to or from it.
    host_memory: bool = True

    def __init__(self, device: DeviceAttributes, num_lanes: int) -> None:
        if int(num_lanes) < 1:
            raise ValueError(f"num_lanes must be at least 1, got {num_lanes!r}")
        self.device = device
        self.name = device.full_name
        self.device_type = device.device_type
        self.num_lanes = int(num_lanes)
        self._memory_lock = threading.Lock()
        self._bytes_in_use = 0
        self._peak_bytes_in_use = 0
        self._memory_limit = int(device.memory_limit or 0)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # ----------------------------------------------------------------- work
    @abc.abstractmethod
    def lane(self, index: int) -> Lane:
        """Return lane ``index`` (``0 <= index < num_lanes``), created on first use.

        Raises:
            IndexError: ``index`` is out of range.
        """

    @abc.abstractmethod
    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on any idle worker thread of this device; return at once.

        Workers start on the first call (``set_num_threads`` of them). ``fn`` must
        handle its own errors: an uncaught exception is logged and the worker goes on.
        On a GPU each worker has its own non-blocking stream current; ``fn`` orders
        the kernels it launches itself.
        """

    @abc.abstractmethod
    def set_num_threads(self, num_threads: int) -> None:
        """Set how many worker threads ``submit`` uses; only before they start.

        Raises:
            RuntimeError: the workers have already started.
            ValueError: ``num_threads < 1``.
        """

    @property
    @abc.abstractmethod
    def num_threads(self) -> int:
        """How many worker threads ``submit`` uses (or will use once started)."""

    @property
    @abc.abstractmethod
    def started(self) -> bool:
        """Whether any worker or lane thread has started."""

    @property
    @abc.abstractmethod
    def closed(self) -> bool:
        """Whether :meth:`shutdown` has been called."""

    @abc.abstractmethod
    def shutdown(self, timeout: float | None = None) -> None:
        """Stop and join every worker and lane thread after the work queued so far.

        Idempotent. Later ``submit``/``enqueue`` calls raise ``DeviceError``.
        """

    def synchronize(self) -> None:
        """Block until every lane started so far has run the work enqueued on it."""
        for index in range(self.num_lanes):
            lane = self._existing_lane(index)
            if lane is not None:
                lane.synchronize()

    def _existing_lane(self, index: int) -> Lane | None:
        return self.lane(index)

    # ------------------------------------------------------------ transfers
    @abc.abstractmethod
    def to_device(self, host_array: Any, lane: Lane | None = None) -> Any:
        """Copy a host (numpy) array to this device.

        With ``lane=None`` the copy is complete on return (called from work running
        on one of this runtime's lanes, it is made on that lane). With a lane the copy is
        ordered on it (``cudaMemcpyAsync`` from pinned staging memory on the lane's
        stream) and the result is valid for work enqueued later on that lane, or
        after an event recorded on it afterwards. On a GPU ``host_array`` may be
        reused at once (it was staged); on a CPU no copy is made: the result *is*
        ``host_array``, which nobody may write to afterwards.
        """

    @abc.abstractmethod
    def to_host(self, array: Any, lane: Lane | None = None) -> Any:
        """Return ``array`` (of this device) as a ``numpy.ndarray``.

        With ``lane=None`` the copy runs after all work enqueued so far on the
        device's lanes (called from work running on one of them: after that lane's
        earlier work) and the data is there on return. With a lane the copy
        (``cudaMemcpyAsync`` into pinned memory) is ordered on it, and the returned
        array is valid once an event recorded on that lane after this call completes.

        Raises:
            TypeError: ``array`` is not an array of this device.
        """

    @abc.abstractmethod
    def copy_from(self, array: Any, src_runtime: Runtime, lane: Lane | None = None) -> Any:
        """Return ``array``, held by ``src_runtime``'s device, as an array of this device.

        GPU to GPU: ``cudaMemcpyPeerAsync`` where the GPUs have peer access, else
        through host memory; same physical device or host to host: no copy. The
        producer's work must be ordered before the copy by the caller (wait on its
        event first). Same validity rules as :meth:`to_device`.
        """

    def keep_alive(self, array: Any, lane: Lane) -> None:
        """Keep ``array``'s memory alive until ``lane`` has run the work enqueued so far.

        Call it when a buffer allocated for one lane is used on another: CuPy's pool
        hands a freed block back to the stream that allocated it, which could reuse it
        while the other stream still reads it (cupy issue 8068). A no-op where Python
        references already keep memory alive (CPU).
        """
        return  # a no-op by default, deliberately not abstract

    # --------------------------------------------------------------- memory
    @property
    def memory_limit(self) -> int:
        """Bytes this device may hold; ``0`` means no limit."""
        return self._memory_limit

    @property
    def enforces_memory_limit(self) -> bool:
        """Whether the executor accounts every buffer against ``memory_limit``.

        True for accelerators (memory is scarce and an overrun cannot be swapped) and
        for a logical CPU whose configuration set a ``memory_limit``; a CPU with the
        default share of host memory relies on the operating system instead, so that
        single-device CPU plans pay no accounting per op.
        """
        return bool(self._memory_limit) and (
            self.asynchronous or bool(self.device.properties.get("memory_limit_configured")))

    @property
    def bytes_in_use(self) -> int:
        """Bytes accounted as allocated now."""
        return self._bytes_in_use

    @property
    def peak_bytes_in_use(self) -> int:
        """Highest ``bytes_in_use`` seen since creation or :meth:`reset_peak`."""
        return self._peak_bytes_in_use

    def reset_peak(self) -> None:
        """Set ``peak_bytes_in_use`` to the current ``bytes_in_use``."""
        with self._memory_lock:
            self._peak_bytes_in_use = self._bytes_in_use

    def allocate(self, nbytes: int, what: str = "buffer") -> None:
        """Account ``nbytes`` more as in use, or refuse when that passes the limit.

        Args:
            nbytes: bytes to allocate (``>= 0``).
            what: what they are for, shown in the error, e.g. ``"tensor with
                shape[1024,1024] and type float32 for op MatMul"``.

        Raises:
            ResourceExhaustedError: ``bytes_in_use + nbytes > memory_limit``; the
                message names ``what``, the request, the bytes in use and the limit.
            ValueError: ``nbytes`` is negative.
        """
        nbytes = int(nbytes)
        if nbytes < 0:
            raise ValueError(f"Cannot allocate a negative number of bytes: {nbytes}")
        with self._memory_lock:
            in_use = self._bytes_in_use
            limit = self._memory_limit
            if limit and in_use + nbytes > limit:
                raise ResourceExhaustedError(what, nbytes, in_use, limit, device=self.name)
            in_use += nbytes
            self._bytes_in_use = in_use
            self._peak_bytes_in_use = max(self._peak_bytes_in_use, in_use)

    def release(self, nbytes: int) -> None:
        """Account ``nbytes`` as freed.

        Raises:
            ValueError: more bytes than are in use, or a negative count (an
                accounting bug in the caller).
        """
        nbytes = int(nbytes)
        with self._memory_lock:
            if nbytes < 0 or nbytes > self._bytes_in_use:
                raise ValueError(
                    f"Cannot release {nbytes} bytes on {self.name}: "
                    f"{self._bytes_in_use} bytes are in use"
                )
            self._bytes_in_use -= nbytes


# --------------------------------------------------------------- registry
_registry: dict[str, Runtime] = {}
_registry_lock = threading.RLock()


def _create(device: DeviceAttributes, num_threads: int | None,
            num_lanes: int | None) -> Runtime:
    kwargs = {}
    if num_threads is not None:
        kwargs["num_threads"] = num_threads
    if num_lanes is not None:
        kwargs["num_lanes"] = num_lanes
    if device.device_type == "CPU":
        from devices.cpu import CPURuntime

        return CPURuntime(device, **kwargs)
    if device.device_type == "GPU":
        from devices.cuda import CUDARuntime

        return CUDARuntime(device, **kwargs)
    raise DeviceError(f"No runtime for device type {device.device_type!r} ({device.name})")


def _resolve(device: DeviceAttributes | str | DeviceSpec) -> DeviceAttributes:
    if isinstance(device, DeviceAttributes):
        return device
    spec = DeviceSpec.from_string(device)
    if spec.device_type is None:
        raise DeviceNotFoundError(f"Device spec {device!r} names no device type")
    spec = spec.replace(device_index=spec.device_index or 0)
    from devices.logical import local_devices

    with _registry_lock:
        known = [rt.device for rt in _registry.values()]
    for candidate in known + local_devices():
        if is_compatible(spec, candidate.full_name):
            return candidate
    raise DeviceNotFoundError(f"No device of this process matches {spec.to_string()!r}")


def runtime_for(
    device_attributes: DeviceAttributes | str,
    num_threads: int | None = None,
    num_lanes: int | None = None,
) -> Runtime:
    """Return the process-wide runtime of a device, creating it on first use.

    There is one runtime per device name; the first call creates it (and freezes
    the logical device configuration), later calls return it. ``num_threads`` is
    applied while the runtime's workers have not started; after that the running
    pool is kept (one inter-op pool per device per process, as TensorFlow's global
    pool).

    Args:
        device_attributes: a record from ``local_devices()`` (or a device name such
            as ``"/device:CPU:1"``, looked up among them).
        num_threads: worker threads for ``submit`` (default: the cores available to
            the process on a CPU, 2 on a GPU).
        num_lanes: lanes of a new runtime (default 2 on a CPU, 4 on a GPU).

    Returns:
        A :class:`~devices.cpu.CPURuntime` or :class:`~devices.cuda.CUDARuntime`.

    Raises:
        DeviceNotFoundError: a name matches no device.
        DeviceError: the device type has no runtime.

    Example:
        >>> from devices import local_devices, runtime_for
        >>> rt = runtime_for(local_devices()[0])
        >>> rt.xp.__name__
        'numpy'
    """
    device = _resolve(device_attributes)
    runtime = _registry.get(device.full_name)
    if runtime is None or runtime.closed:
        with _registry_lock:
            runtime = _registry.get(device.full_name)
            if runtime is None or runtime.closed:
                from devices.logical import mark_initialized

                runtime = _create(device, num_threads, num_lanes)
                _registry[device.full_name] = runtime
                mark_initialized()
                return runtime
    if num_threads is not None and not runtime.started and num_threads != runtime.num_threads:
        try:
            runtime.set_num_threads(num_threads)
        except RuntimeError:  # started meanwhile: keep the running pool
            pass
    return runtime


def install_runtime(runtime: Runtime) -> Runtime | None:
    """Make ``runtime`` the one :func:`runtime_for` returns for its device (tests).

    Returns:
        The runtime it replaces, or ``None``.
    """
    with _registry_lock:
        previous = _registry.get(runtime.name)
        _registry[runtime.name] = runtime
        return previous


def uninstall_runtime(runtime: Runtime, previous: Runtime | None = None) -> None:
    """Undo :func:`install_runtime`: put ``previous`` back, or forget the device."""
    with _registry_lock:
        if _registry.get(runtime.name) is runtime:
            if previous is None:
                del _registry[runtime.name]
            else:
                _registry[runtime.name] = previous


def active_runtimes() -> list:
    """Return the runtimes created so far and not shut down."""
    with _registry_lock:
        return [rt for rt in _registry.values() if not rt.closed]


def shutdown_all(timeout: float | None = None) -> None:
    """Shut every runtime down and forget them (at exit, and between tests)."""
    with _registry_lock:
        runtimes = list(_registry.values())
        _registry.clear()
    for runtime in runtimes:
        try:
            runtime.shutdown(timeout)
        except Exception:  # at exit nothing may stop the others from closing
            logger.exception("Shutting down %s failed", runtime.name)


atexit.register(shutdown_all, 1.0)
