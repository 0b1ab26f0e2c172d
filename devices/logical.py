"""Logical devices: what a Session sees, split from the physical devices.

TensorFlow lets one physical device appear as several logical ones, two ways, and
both are here:

* ``set_logical_device_configuration(device, [LogicalDeviceConfiguration(), ...])``
  (``tf.config``): one logical device per configuration, for the CPU or a GPU;
* ``ConfigProto(device_count={'CPU': 4, 'GPU': 0})``: passed to :func:`local_devices`
  as ``device_count``: the number of logical CPUs, and at most that many GPUs.

This is how multi-device code runs and is tested on a machine with one CPU and no
GPU. Names are numbered per type across all physical devices (``/device:GPU:0`` and
``/device:GPU:1`` may be two halves of one GPU).

Memory: a logical GPU's ``memory_limit`` is its configuration's ``memory_limit``
(MiB, as in TensorFlow; required for GPUs). Logical CPUs share the cores; the host
memory is *split* evenly between the CPUs that set no ``memory_limit`` (after the
explicit limits are taken out), so that the per-device limits that memory accounting
checks never add up to more than the machine has.

Logical devices of one physical GPU are linked to the logical devices of the GPUs
their physical GPU has peer access to (``"StreamExecutor"``, strength 1) and then to
each other (``"SAME_DEVICE"``, strength 1000), in that order, as TensorFlow's
``gpu_device.cc`` links its virtual devices.

The logical CPU count is never changed silently: ``{'CPU': 0}`` and a
``device_count`` that contradicts a CPU configuration both raise ``ValueError``.

State: the configurations set so far and whether any runtime has started (after
which configuring raises TensorFlow's ``RuntimeError``). Thread-safe.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence

from devices.attributes import DeviceAttributes, InterconnectLink, Locality
from devices.discovery import PhysicalDevice, incarnation_for, physical_devices
from devices.spec import DeviceSpec, canonical_name

__all__ = [
    "LogicalDeviceConfiguration",
    "get_logical_device_configuration",
    "list_local_devices",
    "local_devices",
    "set_logical_device_configuration",
]

_MIB = 1024 * 1024
# TensorFlow's InterconnectMap::kSameDeviceStrength (kStreamExecutorStrength is 1).
_SAME_DEVICE_STRENGTH = 1000
_FROZEN_MESSAGE = "Logical devices cannot be modified after being initialized"

_lock = threading.RLock()
_configs: dict[tuple[str, int], tuple[LogicalDeviceConfiguration, ...]] = {}
_initialized = False
# Physical GPUs hidden by set_visible_devices and the memory-growth settings of GPUs
# (devices/visible.py changes them under _lock).
_hidden_gpus: set[int] = set()
_memory_growth: dict[int, bool] = {}


@dataclasses.dataclass(frozen=True)
class LogicalDeviceConfiguration:
    """The configuration of one logical device (TensorFlow's class of the same name).

    Attributes:
        memory_limit: the device's memory limit in MiB. Required for a logical GPU;
            optional for a logical CPU (default: an even share of host memory).

    Example:
        >>> import devices
        >>> devices.set_logical_device_configuration(
        ...     "CPU", [devices.LogicalDeviceConfiguration()] * 4)  # doctest: +SKIP
    """

    memory_limit: int | None = None

    def __post_init__(self) -> None:
        limit = self.memory_limit
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or limit <= 0):
            raise ValueError(
                f"memory_limit must be a positive number of MiB or None, got {limit!r}"
            )


def _physical_key(device) -> tuple[str, int]:
    if isinstance(device, PhysicalDevice):
        text = device.name
    elif isinstance(device, DeviceAttributes):
        return device.device_type, device.physical_device_id
    elif isinstance(device, str):
        text = device
    else:
        raise TypeError(
            "Expected a PhysicalDevice, a device type ('CPU', 'GPU') or a device name, "
            f"got {type(device).__name__}: {device!r}"
        )
    spec = DeviceSpec.from_string(text.replace("/physical_device:", "/device:"))
    if spec.device_type is None:
        raise ValueError(f"Unrecognized device: {device!r} names no device type")
    return spec.device_type, spec.device_index or 0


def _check_exists(key: tuple[str, int], device) -> DeviceAttributes:
    for phys in physical_devices():
        if (phys.device_type, phys.physical_device_id) == key:
            return phys
    raise ValueError(f"Unrecognized device: {device!r}: this machine has no {key[0]}:{key[1]}")


def set_logical_device_configuration(
    device: PhysicalDevice | str,
    logical_devices: Sequence[LogicalDeviceConfiguration] | None,
) -> None:
    """Split a physical device into logical devices, one per configuration.

    Args:
        device: a :class:`~devices.discovery.PhysicalDevice` (from
            ``list_physical_devices()``), a device type (``"CPU"``, ``"GPU"``: device
            0 of the type) or a name (``"/physical_device:GPU:1"``, ``"GPU:1"``).
        logical_devices: the configurations; ``None`` removes the device's
            configuration (back to one logical device per physical one).

    Raises:
        RuntimeError: a runtime has already started ("Logical devices cannot be
            modified after being initialized").
        ValueError: the device does not exist, the list is empty, a GPU
            configuration has no ``memory_limit``, or the GPU limits add up to more
            than the GPU's memory.

    Example:
        >>> set_logical_device_configuration(
        ...     "CPU", [LogicalDeviceConfiguration(), LogicalDeviceConfiguration()])
        >>> [d.name for d in local_devices()][:2]
        ['/device:CPU:0', '/device:CPU:1']
    """
    key = _physical_key(device)
    with _lock:
        if _initialized:
            raise RuntimeError(_FROZEN_MESSAGE)
        phys = _check_exists(key, device)
        if logical_devices is None:
            _configs.pop(key, None)
            return
        configs = tuple(logical_devices)
        if not configs:
            raise ValueError(
                f"Expected at least one LogicalDeviceConfiguration for {key[0]}:{key[1]}"
            )
        for config in configs:
            if not isinstance(config, LogicalDeviceConfiguration):
                raise TypeError(
                    "Expected LogicalDeviceConfiguration entries, got "
                    f"{type(config).__name__}: {config!r}"
                )
        if key[0] == "GPU":
            if any(config.memory_limit is None for config in configs):
                raise ValueError("Setting memory limit is required for GPU virtual devices")
            wanted = sum(config.memory_limit for config in configs) * _MIB
            total = int(phys.properties.get("total_memory", phys.memory_limit))
            if wanted > total:
                raise ValueError(
                    f"The logical devices of GPU:{key[1]} ask for {wanted} bytes in all, "
                    f"more than its {total} bytes of memory"
                )
        _configs[key] = configs


def get_logical_device_configuration(
    device: PhysicalDevice | str,
) -> list[LogicalDeviceConfiguration] | None:
    """Return the configurations set for ``device``, or ``None`` when none is set.

    Args:
        device: as for :func:`set_logical_device_configuration`.
    """
    key = _physical_key(device)
    with _lock:
        configs = _configs.get(key)
    return None if configs is None else list(configs)


def mark_initialized() -> None:
    """Freeze the configuration: called when the first runtime is created."""
    global _initialized
    with _lock:
        _initialized = True


def is_initialized() -> bool:
    """Whether a runtime has started, so that the configuration is frozen."""
    return _initialized


def reset_logical_configuration() -> None:
    """Forget every configuration and unfreeze (for tests; see ``devices.testing``)."""
    global _initialized
    with _lock:
        _configs.clear()
        _hidden_gpus.clear()
        _memory_growth.clear()
        _initialized = False


def _normalize_counts(device_count) -> dict[str, int]:
    if device_count is None:
        return {}
    try:
        items = dict(device_count).items()
    except (TypeError, ValueError):
        raise TypeError(
            f"device_count must map device types to counts, got {device_count!r}"
        ) from None
    counts = {}
    for kind, number in items:
        if not isinstance(kind, str):
            raise TypeError(f"device_count keys must be device type names, got {kind!r}")
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(
                f"device_count[{kind!r}] must be a non-negative integer, got {number!r}"
            )
        counts[kind.upper()] = number
    return counts


def _logical_cpus(cpu: DeviceAttributes, requested: int | None) -> list[DeviceAttributes]:
    configs = _configs.get(("CPU", 0))
    if configs is not None:
        if requested is not None and requested != len(configs):
            raise ValueError(
                f"device_count={{'CPU': {requested}}} contradicts the {len(configs)} logical "
                "CPU devices set by set_logical_device_configuration"
            )
    else:
        if requested is not None and requested < 1:
            raise ValueError(
                f"device_count={{'CPU': {requested}}} leaves no CPU device; at least one "
                "is needed"
            )
        configs = (LogicalDeviceConfiguration(),) * (requested or 1)
    explicit = sum(c.memory_limit * _MIB for c in configs if c.memory_limit is not None)
    shared = sum(1 for c in configs if c.memory_limit is None)
    share = max(cpu.memory_limit - explicit, 0) // shared if shared else 0
    out = []
    for index, config in enumerate(configs):
        name = canonical_name("CPU", index)
        out.append(DeviceAttributes(
            name=name,
            device_type="CPU",
            memory_limit=share if config.memory_limit is None else config.memory_limit * _MIB,
            locality=cpu.locality,
            incarnation=incarnation_for(name),
            physical_device_desc=cpu.physical_device_desc,
            physical_device_id=cpu.physical_device_id,
            properties=dict(cpu.properties, logical_devices=len(configs),
                            memory_limit_configured=config.memory_limit is not None),
        ))
    return out


def _logical_gpus(gpus: list[DeviceAttributes], limit: int | None) -> list[DeviceAttributes]:
    gpus = [gpu for gpu in gpus if gpu.physical_device_id not in _hidden_gpus]
    if limit is not None:
        gpus = gpus[:limit]
    plan = []  # (physical record, memory_limit, logical count on that GPU)
    for gpu in gpus:
        configs = _configs.get(("GPU", gpu.physical_device_id))
        if configs is None:
            plan.append((gpu, gpu.memory_limit, 1))
        else:
            plan.extend((gpu, c.memory_limit * _MIB, len(configs)) for c in configs)
    by_physical: dict[int, list[int]] = {}
    for index, (gpu, _, _) in enumerate(plan):
        by_physical.setdefault(gpu.physical_device_id, []).append(index)
    out = []
    for index, (gpu, memory_limit, count) in enumerate(plan):
        peers = {link.device_id for link in gpu.locality.links}
        others = [(other, other_gpu.physical_device_id)
                  for other, (other_gpu, _, _) in enumerate(plan) if other != index]
        # TensorFlow adds the peer links first, then the links within the physical GPU.
        links = [InterconnectLink(other, "StreamExecutor", 1)
                 for other, physical in others
                 if physical != gpu.physical_device_id and physical in peers]
        links += [InterconnectLink(other, "SAME_DEVICE", _SAME_DEVICE_STRENGTH)
                  for other, physical in others if physical == gpu.physical_device_id]
        name = canonical_name("GPU", index)
        out.append(DeviceAttributes(
            name=name,
            device_type="GPU",
            memory_limit=memory_limit,
            locality=Locality(gpu.locality.bus_id, gpu.locality.numa_node, tuple(links)),
            incarnation=incarnation_for(name),
            physical_device_desc=gpu.physical_device_desc,
            physical_device_id=gpu.physical_device_id,
            properties=dict(gpu.properties, logical_devices=count),
        ))
    return out


def local_devices(device_count: Mapping[str, int] | None = None) -> list[DeviceAttributes]:
    """Return the devices a Session sees: the logical CPUs, then the logical GPUs.

    Args:
        device_count: ``ConfigProto.device_count``: ``{'CPU': n}`` gives exactly n
            logical CPUs sharing the cores; ``{'GPU': k}`` keeps at most the first k
            GPUs (``0``: none). Types left out get their default (one CPU, every GPU).

    Returns:
        ``DeviceAttributes`` records named ``/device:CPU:0..``, ``/device:GPU:0..``.

    Raises:
        ValueError: ``{'CPU': 0}``, a negative count, or a CPU count that
            contradicts ``set_logical_device_configuration``.

    Example:
        >>> [d.name for d in local_devices({'CPU': 2, 'GPU': 0})]
        ['/device:CPU:0', '/device:CPU:1']
    """
    counts = _normalize_counts(device_count)
    physical = physical_devices()
    with _lock:
        cpus = _logical_cpus(physical[0], counts.get("CPU"))
        gpus = _logical_gpus([d for d in physical if d.device_type == "GPU"], counts.get("GPU"))
    return cpus + gpus


def _device_count_of(session_config) -> Mapping[str, int] | None:
    if session_config is None:
        return None
    if isinstance(session_config, Mapping):
        return session_config.get("device_count")
    return getattr(session_config, "device_count", None)


def list_local_devices(session_config=None) -> list[DeviceAttributes]:
    """Return the local devices, as TensorFlow's ``device_lib.list_local_devices``.

    Args:
        session_config: ``None``, a ``ConfigProto``-like object with a
            ``device_count`` attribute, or a mapping with a ``"device_count"`` key.

    Returns:
        The records of :func:`local_devices`; ``print()`` of the list reads as
        TensorFlow's.

    Example:
        >>> print(list_local_devices())  # doctest: +SKIP
        [name: "/device:CPU:0"
        device_type: "CPU"
        memory_limit: 16624467968
        locality {
        }
        incarnation: 2068544266075719452
        ]
    """
    return local_devices(_device_count_of(session_config))
