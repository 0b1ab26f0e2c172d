"""Host memory: freed numpy buffers stay in the process for the next step's arrays.

numpy takes array data from C ``malloc``. glibc's malloc serves a request above its mmap
threshold (128 KiB at first) with a fresh ``mmap`` and unmaps it on ``free``, and gives
the heap's free top back to the kernel once it passes the trim threshold. A graph step
allocates the same large temporaries every time (convolution patches, activations,
gradients), so by default each step faults them in again, page by page, and the kernel
zeroes every page: in a one-thread Session step of train_digits's CNN (batch 128, Adam)
that was about a third of the step's CPU (perf: ``exc_page_fault``, ``clear_page_erms``;
10.7-11.8 ms a step before, 7.3-8.5 ms after). TensorFlow's CPU allocator (BFC) keeps what it freed for reuse;
flowexec's CPU runtime does the same through glibc itself: when the first CPU runtime of
the process starts, :func:`retain_freed_memory` fixes the mmap threshold at glibc's
largest (32 MiB, so the allocations under it come from the heap) and lets the heap keep
up to ``FLOWEXEC_HOST_RETAIN_MB`` (default 512) MiB of free memory instead of trimming it
after every step (``mallopt(M_MMAP_THRESHOLD)``, ``mallopt(M_TRIM_THRESHOLD)``).

``FLOWEXEC_HOST_RETAIN_MB=0`` leaves malloc as it is. On a C library other than glibc
(musl, macOS) nothing changes. The setting is the process's: numpy arrays made outside
flowexec reuse memory the same way.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading

__all__ = ["DEFAULT_RETAIN_MB", "MMAP_THRESHOLD_BYTES", "retain_freed_memory",
           "retained_bytes"]

DEFAULT_RETAIN_MB = 512
MMAP_THRESHOLD_BYTES = 32 << 20     # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
_M_TRIM_THRESHOLD = -1              # <malloc.h>
_M_MMAP_THRESHOLD = -3
_INT_MAX = 2**31 - 1

_lock = threading.Lock()
_UNSET = object()
_retained: object = _UNSET      # retain_freed_memory's outcome, once it ran


def _mallopt():
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None


def retain_freed_memory() -> int | None:
    """Make glibc's malloc keep freed memory for reuse (module docstring), once per
    process; later calls return the first call's outcome.

    Returns:
        The bytes of free memory the heap now keeps, or None when malloc was left as it
        is (``FLOWEXEC_HOST_RETAIN_MB=0``, not glibc, or ``mallopt`` refused).

    Raises:
        ValueError: ``FLOWEXEC_HOST_RETAIN_MB`` is not a whole number of MiB >= 0.
    """
    global _retained
    with _lock:
        if _retained is not _UNSET:
            return _retained
        text = os.environ.get("FLOWEXEC_HOST_RETAIN_MB", str(DEFAULT_RETAIN_MB))
        try:
            megabytes = int(text)
        except ValueError:
            megabytes = -1
        if megabytes < 0:
            raise ValueError(f"FLOWEXEC_HOST_RETAIN_MB must be a whole number of MiB "
                             f">= 0, got {text!r}")
        retained = None
        mallopt = _mallopt() if megabytes else None
        if mallopt is not None:
            trim = min(megabytes << 20, _INT_MAX)     # mallopt takes a C int
            if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 and \
                    mallopt(_M_TRIM_THRESHOLD, trim) == 1:
                retained = trim
        _retained = retained
        return retained


def retained_bytes() -> int | None:
    """What :func:`retain_freed_memory` set in this process (None: nothing, or not yet
    called)."""
    return None if _retained is _UNSET else _retained
