"""Which physical devices a process uses, and how its GPUs hold memory (TensorFlow's
``tf.config.set_visible_devices`` and ``tf.config.experimental.set_memory_growth``).

* Visibility: GPUs left out of :func:`set_visible_devices` are not made into logical
  devices, so no Session places on them and no runtime (no CUDA context) is created for
  them. The CPU always stays visible: flowexec runs its host work there, as TensorFlow
  keeps its CPU device whatever the list says.
* Memory growth: recorded per GPU and answered by :func:`get_memory_growth`. flowexec's
  GPU runtime allocates through CuPy's memory pool, which grows on demand and never
  reserves a GPU's memory up front, so a program that asks for growth gets it, and one
  that turns it off still runs (the one thing TensorFlow does differently without growth
  is to reserve most of the GPU's memory at start).

Both are physical settings: once a runtime has started they are frozen, with
TensorFlow's ``RuntimeError``.
"""

from __future__ import annotations

from collections.abc import Iterable

from devices import logical
from devices.discovery import PhysicalDevice, list_physical_devices

__all__ = ["get_memory_growth", "get_visible_devices", "set_memory_growth",
           "set_visible_devices"]

_VISIBLE_FROZEN = "Visible devices cannot be modified after being initialized"
_PHYSICAL_FROZEN = "Physical devices cannot be modified after being initialized"


def _gpu_id(device) -> int | None:
    """The physical id of `device` when it is a GPU of this machine, None for the CPU."""
    key = logical._physical_key(device)
    logical._check_exists(key, device)
    return key[1] if key[0] == "GPU" else None


def set_visible_devices(devices: PhysicalDevice | Iterable[PhysicalDevice],
                        device_type: str | None = None) -> None:
    """Use only `devices` of `device_type` (of every type when None) in this process.

    Args:
        devices: a PhysicalDevice or a list of them (from ``list_physical_devices()``).
        device_type: ``"GPU"`` or ``"CPU"``: only devices of that type are changed.

    Raises:
        ValueError: a device of another type than `device_type`, or one this machine
            does not have ("Unrecognized device: ...").
        RuntimeError: the visible GPUs would change after a runtime has started.

    Example:
        >>> set_visible_devices([], "GPU")  # this process runs on its CPU only
    """
    if isinstance(devices, PhysicalDevice):
        devices = [devices]
    devices = list(devices)
    wanted = device_type.upper() if device_type else None
    kept = set()
    for device in devices:
        if wanted is not None and getattr(device, "device_type", wanted) != wanted:
            raise ValueError(f"Unrecognized device: {device!r}")
        gpu = _gpu_id(device)
        if gpu is not None:
            kept.add(gpu)
    if wanted not in (None, "GPU"):
        return  # the CPU always stays visible
    all_gpus = {int(d.name.rsplit(":", 1)[1]) for d in list_physical_devices("GPU")}
    hidden = all_gpus - kept
    with logical._lock:
        if hidden == logical._hidden_gpus:
            return
        if logical._initialized:
            raise RuntimeError(_VISIBLE_FROZEN)
        logical._hidden_gpus.clear()
        logical._hidden_gpus.update(hidden)


def get_visible_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The physical devices this process uses (all types, or `device_type`'s).

    Example:
        >>> [d.device_type for d in get_visible_devices()]
        ['CPU']
    """
    with logical._lock:
        hidden = set(logical._hidden_gpus)
    return [d for d in list_physical_devices(device_type)
            if d.device_type != "GPU" or int(d.name.rsplit(":", 1)[1]) not in hidden]


def set_memory_growth(device: PhysicalDevice, enable: bool) -> None:
    """Ask that `device` (a GPU) take memory as it needs it rather than up front.

    Args:
        device: a GPU PhysicalDevice.
        enable: whether memory grows on demand.

    Raises:
        ValueError: `device` is not a GPU ("Cannot set memory growth on non-GPU and
            non-Pluggable devices"), or it is split into logical devices.
        RuntimeError: a runtime has already started.

    Example:
        >>> for gpu in list_physical_devices("GPU"):
        ...     set_memory_growth(gpu, True)
    """
    gpu = _gpu_id(device)
    if gpu is None:
        raise ValueError("Cannot set memory growth on non-GPU and non-Pluggable devices")
    with logical._lock:
        if logical._configs.get(("GPU", gpu)):
            raise ValueError("Cannot set memory growth on device when virtual devices "
                             "configured")
        if logical._memory_growth.get(gpu) == bool(enable):
            return
        if logical._initialized:
            raise RuntimeError(_PHYSICAL_FROZEN)
        logical._memory_growth[gpu] = bool(enable)


def get_memory_growth(device: PhysicalDevice) -> bool | None:
    """The memory-growth setting of a GPU: True/False as set, None when never set.

    Raises:
        KeyError: `device` is not a GPU (as TensorFlow).
    """
    gpu = _gpu_id(device)
    if gpu is None:
        raise KeyError(device)
    with logical._lock:
        return logical._memory_growth.get(gpu)
