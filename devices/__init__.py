"""flowexec's hardware layer: devices, their TensorFlow-style descriptions, runtimes.

``devices`` imports nothing from ``flowexec``. It answers "what can I run on?"
(:func:`list_local_devices`, :func:`local_devices`) and gives the executor one
interface to run work on a CPU or a GPU (:func:`runtime_for` → :class:`Runtime`).

Example:
    >>> import devices
    >>> cpus = devices.local_devices({"CPU": 2, "GPU": 0})
    >>> [d.name for d in cpus]
    ['/device:CPU:0', '/device:CPU:1']
    >>> rt = devices.runtime_for(cpus[0])   # freezes the logical configuration
    >>> rt.xp.__name__
    'numpy'
"""

from devices.attributes import DeviceAttributes, InterconnectLink, Locality
from devices.discovery import PhysicalDevice, list_physical_devices, reset_discovery_cache
from devices.errors import (
    DeviceError,
    DeviceNotFoundError,
    ResourceExhaustedError,
    format_bytes,
)
from devices.logical import (
    LogicalDeviceConfiguration,
    get_logical_device_configuration,
    list_local_devices,
    local_devices,
    set_logical_device_configuration,
)
from devices.runtime import Event, Lane, Runtime, runtime_for, shutdown_all
from devices.spec import DeviceSpec, canonical_name, full_name, is_compatible, matches

__all__ = [
    "DeviceAttributes",
    "DeviceError",
    "DeviceNotFoundError",
    "DeviceSpec",
    "Event",
    "InterconnectLink",
    "Lane",
    "Locality",
    "LogicalDeviceConfiguration",
    "PhysicalDevice",
    "ResourceExhaustedError",
    "Runtime",
    "canonical_name",
    "format_bytes",
    "full_name",
    "get_logical_device_configuration",
    "is_compatible",
    "list_local_devices",
    "list_physical_devices",
    "local_devices",
    "matches",
    "reset_discovery_cache",
    "runtime_for",
    "set_logical_device_configuration",
    "shutdown_all",
]
