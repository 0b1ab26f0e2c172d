"""Keep buffers alive until the streams that use them have passed an event.

Why: CuPy's memory pool returns a freed block to the arena of the stream that
allocated it, and that stream may hand it out again at once. If another stream is
still reading or writing the buffer (its kernels were enqueued but have not run),
the new owner and the old reader race (cupy issue 8068). So a buffer used on a
stream other than its allocating one is *held* with an event recorded on that
stream after its last use, and only dropped once the event has completed.

:class:`BufferKeeper` is device-independent: anything with ``query() -> bool`` (and,
for :meth:`BufferKeeper.wait_all`, ``synchronize()``) serves as an event, so the
bookkeeping is tested on a CPU with fake events.

State: a list of ``(event, buffer)`` entries. A buffer held with several events
(several consuming streams) stays alive until the last of them completes.
:meth:`~BufferKeeper.collect` runs on its own every so often from
:meth:`~BufferKeeper.hold`, with a threshold that doubles with the number of
pending entries, so holding costs O(1) amortized. Thread-safe.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["BufferKeeper"]


class BufferKeeper:
    """Holds references to buffers until their events complete.

    Example:
        >>> from devices.testing import FakeEvent
        >>> keeper = BufferKeeper()
        >>> event = FakeEvent()
        >>> keeper.hold(bytearray(16), event)
        >>> keeper.collect(), keeper.pending
        (0, 1)
        >>> event.complete()
        >>> keeper.collect(), keeper.pending
        (1, 0)
    """

    def __init__(self, collect_every: int = 64) -> None:
        self._entries: list[tuple[Any, Any]] = []
        self._lock = threading.Lock()
        self._collect_every = max(1, int(collect_every))
        self._next_collect = self._collect_every

    def hold(self, buffer: Any, event: Any) -> None:
        """Keep ``buffer`` referenced until ``event.query()`` is true.

        Args:
            buffer: any object (a cupy array, a memory pointer, pinned memory), or a
                tuple of them held together.
            event: completes once every use of ``buffer`` on its stream has run.
        """
        with self._lock:
            self._entries.append((event, buffer))
            due = len(self._entries) >= self._next_collect
        if due:
            self.collect()

    def collect(self) -> int:
        """Drop the buffers whose events have completed.

        Returns:
            How many entries were dropped.
        """
        with self._lock:
            entries = self._entries
            kept = [entry for entry in entries if not entry[0].query()]
            dropped = len(entries) - len(kept)
            self._entries = kept
            self._next_collect = max(self._collect_every, 2 * len(kept))
        # The dropped buffers are freed here, outside the lock, when `entries` goes.
        del entries
        return dropped

    @property
    def pending(self) -> int:
        """How many ``(event, buffer)`` entries are still held."""
        return len(self._entries)

    def holds(self, buffer: Any) -> bool:
        """Whether ``buffer`` (by identity, alone or in a held tuple) is still held."""
        with self._lock:
            return any(
                held is buffer or (type(held) is tuple and any(b is buffer for b in held))
                for _, held in self._entries
            )

    def wait_all(self, timeout: float | None = None) -> bool:
        """Wait for every held event, then drop every buffer.

        Args:
            timeout: seconds to wait for each event at most.

        Returns:
            ``True`` when everything was released, ``False`` if an event timed out
            (the entries not yet complete stay held).
        """
        with self._lock:
            entries = list(self._entries)
        for event, _ in entries:
            if not event.synchronize(timeout):
                self.collect()
                return False
        self.collect()
        return self.pending == 0

    def clear(self) -> None:
        """Drop every buffer without waiting (only once the device is idle)."""
        with self._lock:
            entries, self._entries = self._entries, []
            self._next_collect = self._collect_every
        del entries
