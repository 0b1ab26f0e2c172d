"""Discovery of this machine's physical devices: the CPU and CUDA GPUs.

The CPU's figures come from the operating system: memory from ``/proc/meminfo``
(or ``os.sysconf``), lowered to the cgroup memory limit when the process runs under
a smaller one; cores from ``os.sched_getaffinity`` (the cores this process may run
on). GPUs come from CuPy, and only when ``import cupy`` succeeds and
``cupy.cuda.runtime.getDeviceCount()`` answers: a machine without CuPy, without a
driver, or with ``CUDA_VISIBLE_DEVICES`` empty (or ``-1``) lists its CPU alone, with
no warning (the reason is logged at DEBUG level on the ``devices`` logger). With
``CUDA_VISIBLE_DEVICES`` empty CUDA is not touched at all.

For each GPU: its name, free and total memory, a ``memory_limit`` that leaves
TensorFlow's headroom for the CUDA context and libraries (:func:`min_system_memory`;
all the free memory when the headroom does not fit, as TensorFlow does),
PCI bus id, NUMA node (from ``/sys/bus/pci/devices/<bus id>/numa_node``), compute
capability, multiprocessor count, and peer-access links to the other GPUs
(``cudaDeviceCanAccessPeer``).

State: the discovered list is cached for the life of the process
(:func:`reset_discovery_cache` clears it, for tests); incarnations are random non-zero
64-bit numbers drawn once per device name and kept for the process. All functions
are thread-safe.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import warnings
from typing import NamedTuple

from devices.attributes import DeviceAttributes, InterconnectLink, Locality
from devices.spec import canonical_name

__all__ = [
    "PhysicalDevice",
    "cpu_core_count",
    "cpu_memory_bytes",
    "gpu_count",
    "incarnation_for",
    "list_physical_devices",
    "min_system_memory",
    "physical_devices",
    "reset_discovery_cache",
]

logger = logging.getLogger("devices")

#: Where PCI devices appear in sysfs; tests point it elsewhere.
SYSFS_PCI_DEVICES = "/sys/bus/pci/devices"
#: Where the CPU's memory is read; tests point it elsewhere.
PROC_MEMINFO = "/proc/meminfo"
PROC_CPUINFO = "/proc/cpuinfo"
CGROUP_MEMORY_LIMITS = (
    "/sys/fs/cgroup/memory.max",  # cgroup v2
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",  # cgroup v1
)

_MIB = 1024 * 1024
_lock = threading.RLock()
_physical: list[DeviceAttributes] | None = None
_incarnations: dict = {}
_random = random.SystemRandom()


class PhysicalDevice(NamedTuple):
    """A physical device, as TensorFlow's ``tf.config.list_physical_devices`` names it.

    Attributes:
        name: e.g. ``"/physical_device:GPU:0"``.
        device_type: ``"CPU"`` or ``"GPU"``.
    """

    name: str
    device_type: str


def incarnation_for(key: str) -> int:
    """Return the incarnation of the device called ``key``: random, non-zero, 64-bit.

    The same key gives the same number for the life of the process.
    """
    with _lock:
        value = _incarnations.get(key)
        if value is None:
            value = 0
            while value == 0:
                value = _random.getrandbits(64)
            _incarnations[key] = value
        return value


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def cpu_memory_bytes() -> int:
    """Return the host memory this process can use, in bytes.

    ``MemTotal`` of ``/proc/meminfo`` (else ``SC_PAGE_SIZE * SC_PHYS_PAGES``), lowered
    to the cgroup's memory limit when one is set and smaller.
    """
    total = 0
    text = _read(PROC_MEMINFO)
    if text:
        for line in text.splitlines():
            if line.startswith("MemTotal:"):
                parts = line.split()
                try:
                    total = int(parts[1]) * (1024 if parts[-1].lower() == "kb" else 1)
                except (IndexError, ValueError):
                    total = 0
                break
    if not total:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            total = 0
    for path in CGROUP_MEMORY_LIMITS:
        text = _read(path)
        if text is None:
            continue
        text = text.strip()
        if text.isdigit() and 0 < int(text) < (total or float("inf")):
            total = int(text)
        break
    return total


def cpu_core_count() -> int:
    """Return how many cores this process may run on (``os.sched_getaffinity``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _cpu_model() -> str:
    text = _read(PROC_CPUINFO) or ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware", "cpu model"):
            return value.strip()
    return ""


def min_system_memory(available: int, cc_major: int) -> int:
    """Return the GPU memory TensorFlow leaves to the system (context, cuBLAS, ...).

    225 MiB when less than 2 GiB is free; otherwise 500 MiB up to compute capability
    6.x, 1050 MiB for 7.x, 1536 MiB for 8.x and 1800 MiB from 9.x on.

    Args:
        available: free device memory in bytes.
        cc_major: major compute capability.

    Returns:
        The headroom in bytes. As in TensorFlow's ``gpu_device.cc``, ``memory_limit =
        available - headroom`` when the headroom fits, else ``available`` (never 0,
        which would mean "no limit").
    """
    if available < (1 << 31):
        return 225 * _MIB
    if cc_major <= 6:
        return 500 * _MIB
    if cc_major <= 7:
        return 1050 * _MIB
    if cc_major <= 8:
        return 1536 * _MIB
    return 1800 * _MIB


def cuda_hidden_by_env() -> bool:
    """Whether ``CUDA_VISIBLE_DEVICES`` hides every GPU (empty, or starting with ``-``).

    CUDA stops reading the list at its first invalid entry, so ``""`` and ``"-1"``
    both leave no device visible; we answer without loading CUDA.
    """
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    if value is None:
        return False
    first = value.strip().split(",")[0].strip()
    return first == "" or first.startswith("-")


def import_cupy():
    """Return the ``cupy`` module, or ``None`` when it cannot be imported (quietly)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import cupy
    except Exception as exc:  # noqa: BLE001 - ImportError, or a CUDA library failing
        logger.debug("CuPy is not usable, no GPU listed: %s", exc)
        return None
    return cupy


def gpu_count(cupy=None) -> int:
    """Return how many CUDA GPUs answer through CuPy (0 when none, never raises).

    Args:
        cupy: the CuPy module to ask; imported when ``None``.
    """
    if cuda_hidden_by_env():
        logger.debug("CUDA_VISIBLE_DEVICES hides every GPU")
        return 0
    if cupy is None:
        cupy = import_cupy()
        if cupy is None:
            return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as exc:  # noqa: BLE001 - CUDARuntimeError: no driver/device
        logger.debug("No CUDA driver answers, no GPU listed: %s", exc)
        return 0
    return max(0, count)


def _pci_bus_id(props: dict) -> str:
    domain = int(props.get("pciDomainID", 0))
    bus = int(props.get("pciBusID", 0))
    device = int(props.get("pciDeviceID", 0))
    return f"{domain:04x}:{bus:02x}:{device:02x}.0"


def _numa_node(pci_bus_id: str) -> int | None:
    text = _read(os.path.join(SYSFS_PCI_DEVICES, pci_bus_id, "numa_node"))
    if text is None:
        return None
    try:
        node = int(text.strip())
    except ValueError:
        return None
    return node if node >= 0 else None


def _memory_limit(available: int, cc_major: int) -> int:
    """TensorFlow's GPU ``memory_limit``: free memory less the headroom, when it fits."""
    headroom = min_system_memory(available, cc_major)
    return available - headroom if headroom < available else available


def _probe_gpu(cupy, ordinal: int, count: int) -> DeviceAttributes:
    runtime = cupy.cuda.runtime
    props = runtime.getDeviceProperties(ordinal)
    name = props.get("name", b"")
    if isinstance(name, bytes):
        name = name.split(b"\0", 1)[0].decode("utf-8", errors="replace")
    major, minor = int(props.get("major", 0)), int(props.get("minor", 0))
    free, total = cupy.cuda.Device(ordinal).mem_info
    free, total = int(free), int(total)
    bus_id = _pci_bus_id(props)
    numa = _numa_node(bus_id)
    links = []
    for peer in range(count):
        if peer != ordinal and runtime.deviceCanAccessPeer(ordinal, peer):
            links.append(InterconnectLink(device_id=peer, type="StreamExecutor", strength=1))
    short = canonical_name("GPU", ordinal)
    return DeviceAttributes(
        name=short,
        device_type="GPU",
        memory_limit=_memory_limit(free, major),
        locality=Locality(bus_id=(numa or 0) + 1, numa_node=numa, links=tuple(links)),
        incarnation=incarnation_for(short),
        physical_device_desc=(
            f"device: {ordinal}, name: {name}, pci bus id: {bus_id}, "
            f"compute capability: {major}.{minor}"
        ),
        physical_device_id=ordinal,
        properties={
            "name": name,
            "total_memory": total,
            "free_memory": free,
            "pci_bus_id": bus_id,
            "numa_node": numa,
            "compute_capability": f"{major}.{minor}",
            "multiprocessor_count": int(props.get("multiProcessorCount", 0)),
        },
    )


def _probe_gpus() -> list[DeviceAttributes]:
    if cuda_hidden_by_env():
        logger.debug("CUDA_VISIBLE_DEVICES hides every GPU")
        return []
    cupy = import_cupy()
    if cupy is None:
        return []
    count = gpu_count(cupy)
    gpus = []
    for ordinal in range(count):
        try:
            gpus.append(_probe_gpu(cupy, ordinal, count))
        except Exception as exc:  # noqa: BLE001 - a GPU that fails is left out, quietly
            logger.debug("GPU %d does not answer, left out: %s", ordinal, exc)
    return gpus


def _probe_cpu() -> DeviceAttributes:
    name = canonical_name("CPU", 0)
    memory = cpu_memory_bytes()
    return DeviceAttributes(
        name=name,
        device_type="CPU",
        memory_limit=memory,
        locality=Locality(),
        incarnation=incarnation_for(name),
        physical_device_desc="",
        physical_device_id=0,
        properties={"cores": cpu_core_count(), "total_memory": memory, "model": _cpu_model()},
    )


def physical_devices() -> list[DeviceAttributes]:
    """Return the physical devices: ``/device:CPU:0`` then each GPU, cached per process.

    Returns:
        A new list (the records themselves are immutable).
    """
    global _physical
    with _lock:
        if _physical is None:
            _physical = [_probe_cpu()] + _probe_gpus()
        return list(_physical)


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """Return the physical devices as TensorFlow's ``tf.config`` names them.

    Args:
        device_type: ``"CPU"`` or ``"GPU"`` (any case) to keep only that type.

    Returns:
        e.g. ``[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]``.
    """
    wanted = device_type.upper() if device_type else None
    return [
        PhysicalDevice(d.name.replace("/device:", "/physical_device:", 1), d.device_type)
        for d in physical_devices()
        if wanted is None or d.device_type == wanted
    ]


def reset_discovery_cache(incarnations: bool = False) -> None:
    """Forget the discovered devices so the next call probes again (for tests).

    Args:
        incarnations: also forget incarnation numbers.
    """
    global _physical
    with _lock:
        _physical = None
        if incarnations:
            _incarnations.clear()
