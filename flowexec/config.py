"""`tf.config`: the machine's devices and their logical configuration (from `devices`).

`list_physical_devices` names the CPU and CUDA GPUs the machine has, `set_logical_device_
configuration` splits one into several logical devices (before the first Session uses the
devices), and `list_logical_devices` lists the devices Sessions place ops on.

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
    get_logical_device_configuration,
    list_physical_devices,
    set_logical_device_configuration,
)

__all__ = ["LogicalDevice", "LogicalDeviceConfiguration", "experimental",
           "get_logical_device_configuration", "list_logical_devices", "list_physical_devices",
           "set_logical_device_configuration"]


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


experimental = types.SimpleNamespace(
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    set_virtual_device_configuration=set_logical_device_configuration,
    get_virtual_device_configuration=get_logical_device_configuration,
    VirtualDeviceConfiguration=LogicalDeviceConfiguration,
)
