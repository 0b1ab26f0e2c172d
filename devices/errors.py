"""Errors raised by the ``devices`` package.

These are plain Python exceptions: ``devices`` knows nothing of ``flowexec``, which
wraps them into its TensorFlow-named errors (``ResourceExhaustedError`` keeps its
name and attributes so the wrapping loses nothing).
"""

from __future__ import annotations

__all__ = [
    "DeviceError",
    "DeviceNotFoundError",
    "ResourceExhaustedError",
    "format_bytes",
]


def format_bytes(nbytes: int) -> str:
    """Return ``nbytes`` in binary units, e.g. ``'1.5 GiB'`` or ``'512 B'``.

    Args:
        nbytes: a byte count (may be negative).

    Returns:
        The count with one decimal in the largest unit not above it.
    """
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024.0 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024.0
    raise AssertionError("unreachable")


class DeviceError(Exception):
    """Base class of every error raised by ``devices``."""


class DeviceNotFoundError(DeviceError, LookupError):
    """A device name or specification matches no device of this process."""


class ResourceExhaustedError(DeviceError):
    """An allocation would take a device past its memory limit.

    The message follows TensorFlow's ``OOM when allocating ...`` form and names what
    was being allocated, the size requested, the bytes already in use and the limit.

    Attributes:
        what: what was being allocated (e.g. ``"tensor with shape[1024,1024] and type
            float32 for op MatMul"``).
        requested: bytes requested.
        in_use: bytes in use on the device before the request.
        limit: the device's memory limit in bytes.
        device: the device's full name, or ``None`` when not known.
    """

    def __init__(
        self,
        what: str,
        requested: int,
        in_use: int,
        limit: int,
        device: str | None = None,
    ) -> None:
        self.what = what
        self.requested = int(requested)
        self.in_use = int(in_use)
        self.limit = int(limit)
        self.device = device
        where = f" on {device}" if device else ""
        message = (
            f"OOM when allocating {what}{where}: requested {self.requested} bytes "
            f"({format_bytes(self.requested)}), {self.in_use} bytes "
            f"({format_bytes(self.in_use)}) already in use, memory limit {self.limit} "
            f"bytes ({format_bytes(self.limit)})"
        )
        super().__init__(message)

    def __reduce__(self):
        return (
            type(self),
            (self.what, self.requested, self.in_use, self.limit, self.device),
        )
