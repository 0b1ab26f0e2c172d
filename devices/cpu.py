"""The CPU runtime: numpy kernels on host worker threads.

* ``xp`` is ``numpy``.
* ``submit`` puts ``(fn, args)`` on one ``queue.SimpleQueue`` shared by N daemon
  workers (N = inter-op threads, default: the cores this process may use), started
  on the first call. That put is the whole cost of a submit.
* Lanes are dedicated in-order daemon threads (started on first use); events are
  :class:`~devices._threads.HostEvent` (``threading.Event`` with a timestamp);
  ``wait_event`` makes the lane's thread wait for the event before its next item.
* Host memory: the first CPU runtime of the process makes glibc's malloc keep freed
  memory for the next step's arrays (:mod:`devices.host_memory`), as TensorFlow's CPU
  allocator keeps what it freed.
* Transfers make no copy: host and device memory are the same, so ``to_device``,
  ``to_host`` and ``copy_from`` of a numpy array return it (arrays are values in the
  dataflow: nobody writes to an op's output after it is produced). ``to_host`` of
  anything but a numpy array raises ``TypeError``; a GPU array comes to the host
  through its own runtime (``copy_from`` asks it).

Thread-safe, like every runtime.
"""

from __future__ import annotations

from typing import Any

import numpy

from devices._threads import ThreadedRuntime
from devices.attributes import DeviceAttributes
from devices.discovery import cpu_core_count
from devices.host_memory import retain_freed_memory
from devices.runtime import Lane, Runtime

__all__ = ["CPURuntime"]


def _is_host_array(array: Any) -> bool:
    return isinstance(array, (numpy.ndarray, numpy.generic))


class CPURuntime(ThreadedRuntime):
    """numpy on host threads.

    Args:
        device: a CPU record from ``local_devices()``.
        num_threads: worker threads for ``submit`` (default: cores available to the
            process, ``os.sched_getaffinity``).
        num_lanes: in-order lanes (default 2).

    Example:
        >>> from devices import local_devices
        >>> rt = CPURuntime(local_devices()[0], num_threads=2)
        >>> lane = rt.lane(0)
        >>> out = []
        >>> lane.enqueue(out.append, 1)
        >>> lane.synchronize()
        True
        >>> out
        [1]
        >>> rt.shutdown()
    """

    xp = numpy

    def __init__(self, device: DeviceAttributes, num_threads: int | None = None,
                 num_lanes: int = 2) -> None:
        if device.device_type != "CPU":
            raise ValueError(f"CPURuntime needs a CPU device, got {device.name}")
        retain_freed_memory()
        super().__init__(device, num_threads or cpu_core_count(), num_lanes)

    def to_device(self, host_array: Any, lane: Lane | None = None) -> numpy.ndarray:
        if hasattr(host_array, "__cuda_array_interface__"):
            raise TypeError(
                f"{self.name}.to_device expects host data, got a device array "
                f"({type(host_array).__module__}.{type(host_array).__name__}); use "
                "copy_from(array, src_runtime)"
            )
        return numpy.asarray(host_array)

    def to_host(self, array: Any, lane: Lane | None = None) -> numpy.ndarray:
        if not _is_host_array(array):
            raise TypeError(
                f"{self.name}.to_host expects a numpy array, got "
                f"{type(array).__module__}.{type(array).__name__}"
            )
        return numpy.asarray(array)

    def copy_from(self, array: Any, src_runtime: Runtime,
                  lane: Lane | None = None) -> numpy.ndarray:
        if _is_host_array(array):
            return numpy.asarray(array)
        # A device array: its own runtime brings it to the host, completely.
        return src_runtime.to_host(array)
