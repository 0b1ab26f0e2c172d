"""Device records in TensorFlow's ``DeviceAttributes`` form.

:class:`DeviceAttributes` is what ``list_local_devices()`` returns. Its ``str()`` and
``repr()`` are both the protobuf text form TensorFlow prints, so that
``print(list_local_devices())`` reads exactly like TensorFlow's::

    [name: "/device:CPU:0"
    device_type: "CPU"
    memory_limit: 268435456
    locality {
    }
    incarnation: 2068544266075719452
    ]

As in protobuf text form, a field holding its default value (``0``, ``""``) is left
out. ``locality`` shows ``bus_id``, ``numa_node`` and ``links`` only where set; a
GPU's locality (``bus_id`` is NUMA node + 1, as in TensorFlow, so never 0) always
shows its ``links`` block, possibly empty, as TensorFlow's does.

Records are frozen (immutable, hashable) and safe to share between threads.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any

from devices.spec import LOCAL_PREFIX

__all__ = ["DeviceAttributes", "InterconnectLink", "Locality"]

def _quote(text: str) -> str:
    """Quote a string as protobuf text form does (C-style escapes, octal for non-ASCII)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char in "\"'\\":
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


@dataclasses.dataclass(frozen=True)
class InterconnectLink:
    """A link from one device to another (TensorFlow's ``InterconnectLink``).

    Attributes:
        device_id: index of the other device of the same type (``GPU:<device_id>``).
        type: ``"StreamExecutor"`` for a peer-to-peer link between GPUs,
            ``"SAME_DEVICE"`` between logical devices of one physical GPU.
        strength: relative bandwidth: TensorFlow uses 1 for ``"StreamExecutor"``
            and 1000 for ``"SAME_DEVICE"``.
    """

    device_id: int
    type: str = "StreamExecutor"
    strength: int = 1

    def to_dict(self) -> dict:
        """Return ``{"device_id", "type", "strength"}``."""
        return {"device_id": self.device_id, "type": self.type, "strength": self.strength}


@dataclasses.dataclass(frozen=True)
class Locality:
    """Where a device sits (TensorFlow's ``DeviceLocality``).

    Attributes:
        bus_id: TensorFlow's bus id: 0 for a CPU, NUMA node + 1 for a GPU.
        numa_node: NUMA node of the device, ``None`` when unknown or for a CPU.
        links: links to peer devices (``InterconnectLink``), in device-id order.
    """

    bus_id: int = 0
    numa_node: int | None = None
    links: tuple[InterconnectLink, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "links", tuple(self.links))

    def text_lines(self, indent: str = "") -> list:
        """Return the body lines of the protobuf text form (without ``locality {``)."""
        pad = indent + "  "
        lines = []
        if self.bus_id:
            lines.append(f"{pad}bus_id: {self.bus_id}")
        if self.numa_node:
            lines.append(f"{pad}numa_node: {self.numa_node}")
        if self.links or self.bus_id:
            lines.append(f"{pad}links {{")
            for link in self.links:
                lines.append(f"{pad}  link {{")
                lines.append(f"{pad}    device_id: {link.device_id}")
                lines.append(f"{pad}    type: {_quote(link.type)}")
                lines.append(f"{pad}    strength: {link.strength}")
                lines.append(f"{pad}  }}")
            lines.append(f"{pad}}}")
        return lines

    def to_dict(self) -> dict:
        """Return ``{"bus_id", "numa_node", "links": [...]}``."""
        return {
            "bus_id": self.bus_id,
            "numa_node": self.numa_node,
            "links": [link.to_dict() for link in self.links],
        }


@dataclasses.dataclass(frozen=True)
class DeviceAttributes:
    """One device of this process, as TensorFlow describes it.

    Attributes:
        name: TensorFlow's short name, e.g. ``"/device:GPU:1"``.
        device_type: ``"CPU"`` or ``"GPU"``.
        memory_limit: bytes the device may hold (what memory accounting checks).
        locality: bus, NUMA node and peer links.
        incarnation: random non-zero 64-bit number, stable within the process.
        physical_device_desc: e.g. ``"device: 0, name: NVIDIA H100 80GB HBM3, pci bus
            id: 0000:1b:00.0, compute capability: 9.0"``; empty for a CPU.
        physical_device_id: index of the physical device this (possibly logical)
            device lives on: the CUDA ordinal for a GPU, 0 for a CPU.
        properties: further real figures that TensorFlow's record has no field for
            (``cores``, ``total_memory``, ``free_memory``, ``compute_capability``,
            ``multiprocessor_count``, ``pci_bus_id``, ...). Not compared or hashed.

    Example:
        >>> from devices import list_local_devices
        >>> cpu = list_local_devices()[0]
        >>> cpu.name, cpu.full_name
        ('/device:CPU:0', '/job:localhost/replica:0/task:0/device:CPU:0')
    """

    name: str
    device_type: str
    memory_limit: int
    locality: Locality
    incarnation: int
    physical_device_desc: str = ""
    physical_device_id: int = 0
    properties: Mapping[str, Any] = dataclasses.field(
        default_factory=dict, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.properties, types.MappingProxyType):
            object.__setattr__(self, "properties", types.MappingProxyType(dict(self.properties)))

    @property
    def full_name(self) -> str:
        """The full name, e.g. ``'/job:localhost/replica:0/task:0/device:CPU:0'``."""
        return LOCAL_PREFIX + self.name

    @property
    def index(self) -> int:
        """The device's index within its type (the ``1`` of ``/device:GPU:1``)."""
        return int(self.name.rsplit(":", 1)[1])

    def to_text(self) -> str:
        """Return TensorFlow's protobuf text form, ending with a newline."""
        lines = [f"name: {_quote(self.name)}", f"device_type: {_quote(self.device_type)}"]
        if self.memory_limit:
            lines.append(f"memory_limit: {self.memory_limit}")
        lines.append("locality {")
        lines.extend(self.locality.text_lines())
        lines.append("}")
        if self.incarnation:
            lines.append(f"incarnation: {self.incarnation}")
        if self.physical_device_desc:
            lines.append(f"physical_device_desc: {_quote(self.physical_device_desc)}")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    __repr__ = __str__

    def to_dict(self) -> dict:
        """Return a JSON-ready dict with stable keys.

        Keys: ``name``, ``full_name``, ``device_type``, ``memory_limit`` (bytes),
        ``locality`` (``bus_id``, ``numa_node``, ``links``), ``incarnation``,
        ``physical_device_desc``, ``physical_device_id``, ``properties``.
        """
        return {
            "name": self.name,
            "full_name": self.full_name,
            "device_type": self.device_type,
            "memory_limit": self.memory_limit,
            "locality": self.locality.to_dict(),
            "incarnation": self.incarnation,
            "physical_device_desc": self.physical_device_desc,
            "physical_device_id": self.physical_device_id,
            "properties": dict(self.properties),
        }
