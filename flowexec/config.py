"""`tf.config`: the machine's devices and their logical configuration (from `devices`).

`list_physical_devices` names the CPU and CUDA GPUs the machine has, `set_logical_device_
configuration` splits one into several logical devices (before the first Session uses the
devices), and `list_logical_devices` lists the devices Sessions place ops on.
`set_visible_devices` keeps a process off some GPUs, `experimental.set_memory_growth` records
how a GPU takes memory (flowexec's CuPy pool always grows on demand), and `threading` sets
the process defaults of the inter-op and intra-op threads that a ConfigProto leaving them 0
gets. All of these freeze, as TF's, once a device runtime has started.

Example:
    >>> import flowexec as tf
    >>> cpu = tf.config.list_physical_devices("CPU")[0]
    >>> tf.config.set_logical_device_configuration(
    ...     cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    >>> [d.name for d in tf.config.list_logical_devices("CPU")]
    ['/device:CPU:0', '/device:CPU:1']
"""

import types
from typing import NamedTuple

import devices as _devices
from devices import (  # noqa: F401
    LogicalDeviceConfiguration,
    PhysicalDevice,
    get_logical_device_configuration,
    list_physical_devices,
    set_logical_device_configuration,
)
from devices.visible import (  # noqa: F401
    get_memory_growth,
    get_visible_devices,
    set_memory_growth,
    set_visible_devices,
)
from flowexec.runtime.threads import process_threads, set_process_threads

__all__ = ["LogicalDevice", "LogicalDeviceConfiguration", "PhysicalDevice", "experimental",
           "get_logical_device_configuration", "get_visible_devices", "list_logical_devices",
           "list_physical_devices", "set_logical_device_configuration", "set_visible_devices",
           "threading"]


class LogicalDevice(NamedTuple):
    """A device Sessions place ops on (TF's `tf.config.LogicalDevice`)."""

    name: str
    device_type: str


def list_logical_devices(device_type=None):
    """The logical devices of this process (all, or those of `device_type`), with the
    logical configuration applied.

    Example:
        >>> tf.config.list_logical_devices("GPU")  # [] on a machine without a GPU
    """
    out = [LogicalDevice(d.name, d.device_type) for d in _devices.local_devices()]
    if device_type is not None:
        out = [d for d in out if d.device_type == device_type.upper()]
    return out


def _threads_api(kind):
    def get():
        return process_threads(kind)

    def set_(num_threads):
        set_process_threads(kind, num_threads)

    get.__name__ = f"get_{kind}_op_parallelism_threads"
    set_.__name__ = f"set_{kind}_op_parallelism_threads"
    get.__doc__ = (f"The process default of {kind}-op threads (0: the system picks).")
    set_.__doc__ = (f"Sets the process default of {kind}-op threads, used by Sessions whose "
                    f"ConfigProto leaves `{kind}_op_parallelism_threads` 0. Raises "
                    "RuntimeError once a device runtime has started.")
    return get, set_


_get_inter, _set_inter = _threads_api("inter")
_get_intra, _set_intra = _threads_api("intra")
threading = types.SimpleNamespace(
    get_inter_op_parallelism_threads=_get_inter,
    set_inter_op_parallelism_threads=_set_inter,
    get_intra_op_parallelism_threads=_get_intra,
    set_intra_op_parallelism_threads=_set_intra,
)

experimental = types.SimpleNamespace(
    get_memory_growth=get_memory_growth,
    set_memory_growth=set_memory_growth,
    get_visible_devices=get_visible_devices,
    set_visible_devices=set_visible_devices,
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    set_virtual_device_configuration=set_logical_device_configuration,
    get_virtual_device_configuration=get_logical_device_configuration,
    VirtualDeviceConfiguration=LogicalDeviceConfiguration,
)
