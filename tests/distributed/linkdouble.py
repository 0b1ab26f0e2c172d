"""Test tools for device links (flowexec/distributed/collective.py). Never a device.

* `QueueLinks`: a `LinkBackend` with a collective library's point-to-point semantics,
  in one process: a group's communicator is a queue, named as Ray names it after both
  ends' GPUs (a side that names the other's GPU wrongly never meets it); `send` takes a
  non-empty C-ordered array (NCCL reads bytes from its first address), copies its bytes
  (as a wire reads them when the send runs) and blocks until the matching `recv` has
  taken them; `recv` blocks for the next array and refuses one whose shape or dtype is
  not the one it was asked for (NCCL would silently read the wrong bytes). Every call is
  logged; a group can be told to fail, or to hang.
* `gpu_records(n)`: `devices.DeviceAttributes` of n GPUs with distinct PCI bus ids, to
  be played by `devices.testing.ThreadStreamRuntime` (lanes are threads, results are
  poisoned until their lane ran the work).
"""

import collections
import threading

import numpy

from devices.attributes import DeviceAttributes, Locality
from flowexec.distributed.collective import LinkBackend

WAIT_S = 20.0


def gpu_records(n):
    """GPU:0 .. GPU:n-1, each on a bus of its own."""
    out = []
    for i in range(n):
        bus = f"0000:{0x1b + 0x20 * i:02x}:00.0"
        out.append(DeviceAttributes(
            f"/device:GPU:{i}", "GPU", 1 << 30, Locality(bus_id=1), 0x5EED0 + i,
            f"device: {i}, name: stream double, pci bus id: {bus}", i,
            {"pci_bus_id": bus}))
    return out


class _Item:
    __slots__ = ("array", "taken")

    def __init__(self, array):
        self.array = array
        self.taken = threading.Event()


class QueueLinks(LinkBackend):
    """See the module docstring."""

    name = "double"

    def __init__(self):
        self.cond = threading.Condition()
        self.queues = collections.defaultdict(collections.deque)
        self.log = []               # (call, group, rank or shape)
        self.opened = {}            # (group, rank) -> runtime name
        self.peers = {}             # (group, rank) -> the other end's GPU ordinal
        self.fail = set()           # groups whose next send raises
        self.hang = set()           # groups whose next recv never returns
        self.released = threading.Event()   # ends the hung receives

    def endpoint(self, physical):
        if physical is None or physical.device_type != "GPU":
            return None
        return (f"{self.name}|{physical.properties['pci_bus_id']}|"
                f"{physical.physical_device_id}")

    def open(self, group, rank, runtime, peer_gpu):
        with self.cond:
            if (group, rank) in self.opened:
                raise RuntimeError(f"group {group} opened twice as rank {rank}")
            self.opened[(group, rank)] = runtime.name
            self.peers[(group, rank)] = peer_gpu
            self.log.append(("open", group, rank))

    def _communicator(self, group, rank, runtime):
        """Ray's key: "<rank 0>_<its GPU>:<rank 1>_<its GPU>" as this side sees it."""
        mine, peer = runtime.device.physical_device_id, self.peers[(group, rank)]
        ends = (mine, peer) if rank == 0 else (peer, mine)
        return (group, f"0_{ends[0]}:1_{ends[1]}")

    def send(self, group, array, runtime):
        if group in self.fail:
            raise ConnectionError("peer closed the connection")
        if not array.flags.c_contiguous or array.size == 0:
            raise ValueError(f"{group}: NCCL sends a non-empty C-ordered buffer, got "
                             f"shape {array.shape}, strides {array.strides}")
        item = _Item(numpy.array(array, copy=True))
        with self.cond:
            self.queues[self._communicator(group, 0, runtime)].append(item)
            self.log.append(("send", group, item.array.shape))
            self.cond.notify_all()
        if not item.taken.wait(WAIT_S):
            raise TimeoutError(f"nobody received on {group}")

    def recv(self, group, shape, dtype, runtime):
        if group in self.hang:
            self.released.wait()
            raise ConnectionError("the hung receive was released")
        queue = self.queues[self._communicator(group, 1, runtime)]
        with self.cond:
            if not self.cond.wait_for(lambda: queue, WAIT_S):
                raise TimeoutError(f"nothing sent on {group}")
            item = queue.popleft()
            self.log.append(("recv", group, tuple(shape)))
        item.taken.set()
        if item.array.shape != tuple(shape) or str(item.array.dtype) != dtype:
            raise RuntimeError(f"{group}: asked for {tuple(shape)} {dtype}, "
                               f"got {item.array.shape} {item.array.dtype}")
        return runtime.to_device(item.array)

    def close(self, group):
        with self.cond:
            self.log.append(("close", group, None))

    def calls(self, kind):
        with self.cond:
            return [entry for entry in self.log if entry[0] == kind]
