"""Device links: GPU arrays that cross tasks from GPU to GPU, not through host memory.

Where a tensor made on a GPU of one task is read on a GPU of another, and both tasks'
servers can join those two devices by a collective backend (`LinkBackend`, Ray's
`ray.util.collective` with NCCL: `RayNCCLBackend`), the split stage (split.py) puts the
`_Send` and the `_Recv` on the two GPUs with `transport="collective"` and names the
link's group after both devices and their incarnations (`group_name`): one group per
direction and device pair, the sender rank 0, the receiver rank 1. Each task opens its
groups when it registers a part that uses them (`DeviceLinks.open`).

One transfer, for a key of a step:

    sender                                        receiver
    _Send kernel (on its GPU lane):
      records an event `ready` on the lane
      DeviceLinks.send -> seq n of the group,
      (n, array, ready) to the group's send
      thread; a Marker(group, n, shape, dtype)
      goes out as the key's value, in the
      step's ordinary deliver call ----------->   DeviceLinks.arrived(marker n)
    send thread, in seq order:                    receive thread, in seq order:
      waits for `ready` (the array is made)         waits for marker n
      backend.send(group, array) ============>      backend.recv(group, shape, dtype)
                                                    -> a new array on its GPU, put in
                                                    the rendezvous under the key; the
                                                    `_Recv` kernel takes it there

Both sides run a group's transfers in sequence order on one thread each, whatever order
the steps run their kernels in, so steps running at once cannot cross their transfers,
and the marker carries the shape, so dynamic shapes cross too. Every marker is delivered,
even for a step that failed after its `_Send` ran (`TaskChannel.end_step`): the receiver
still receives the array (and the rendezvous drops it), so the group's sequence never
breaks. A backend error breaks the link: the waiting step and every later one that
uses it fails with UnavailableError naming the group; a task started again has new
incarnations, hence new groups.

Client-hosted parts (a client process's copy of a task, master.py) have no links:
`ray.util.collective` runs only inside actors. In-process tasks (local.py) have none
either: their GPU arrays cross through host memory, as every tensor does without a link.

The logic here is device-independent and is tested on the CPU with a backend double over
`devices.testing.ThreadStreamRuntime` lanes (tests/distributed/); only `RayNCCLBackend`'s
calls need a GPU.
"""

import abc
import collections
import contextlib
import dataclasses
import os
import threading
from typing import Tuple

from flowexec.framework import errors

LINK_ERROR = "Device link {group} is broken: {why}"


@dataclasses.dataclass(frozen=True)
class Marker:
    """What a linked `_Send` delivers in place of its value: the array's group, sequence
    number, shape and dtype (its data follows through the group)."""

    group: str
    seq: int
    shape: Tuple[int, ...]
    dtype: str


@dataclasses.dataclass(frozen=True)
class LinkFailure:
    """What a sender delivers for a key whose array its broken link could not send: the
    receiver's link breaks too, and the step fails there (else it would wait for the
    array until its deadline)."""

    group: str
    seq: int
    message: str


LINK_ITEMS = (Marker, LinkFailure)   # what a deliver call may carry for a link


def group_name(send_device, send_incarnation, recv_device, recv_incarnation):
    """The group of the link from one device to another (one direction)."""
    return (f"flowexec:{send_device};{send_incarnation & 0xFFFFFFFFFFFFFFFF:016x}->"
            f"{recv_device};{recv_incarnation & 0xFFFFFFFFFFFFFFFF:016x}")


def can_link(src_endpoint, dst_endpoint):
    """Whether two devices' endpoints (`LinkBackend.endpoint`) can be joined: the same
    backend, two different physical devices."""
    if not src_endpoint or not dst_endpoint:
        return False
    src_kind, _, src_where = src_endpoint.partition("|")
    dst_kind, _, dst_where = dst_endpoint.partition("|")
    return src_kind == dst_kind and src_where != dst_where


class LinkBackend(abc.ABC):
    """How a task's devices join another task's: one implementation per collective
    library. `send` and `recv` of a group are called from one thread each, in sequence
    order; both block until the transfer is done (the sent array may be reused, the
    received one read)."""

    name = ""

    @abc.abstractmethod
    def endpoint(self, physical):
        """`"<name>|<where>"` for a device (`devices.DeviceAttributes`) this backend can
        link, naming the physical device (two endpoints with one `where` are one device),
        or None."""

    @abc.abstractmethod
    def open(self, group, rank, runtime):
        """Joins `group` (world size 2) as `rank` for the device of `runtime`."""

    @abc.abstractmethod
    def send(self, group, array, runtime):
        """Sends `array` (of `runtime`'s device, ready) to the group's other rank."""

    @abc.abstractmethod
    def recv(self, group, shape, dtype, runtime):
        """Receives the group's next array into a new array of `runtime`'s device."""

    @abc.abstractmethod
    def close(self, group):
        """Leaves `group`."""


class RayNCCLBackend(LinkBackend):
    """`ray.util.collective` with NCCL, inside a Ray actor (needs CuPy, and torch, which
    Ray's NCCL group uses to keep buffers alive on its stream). The calls into CUDA are
    only these; the rest of the link is `DeviceLinks`'."""

    name = "nccl"

    def __init__(self, node_id):
        self.node_id = node_id
        self._streams = {}   # group -> the non-blocking stream its thread allocates on

    def _stream(self, group):
        import cupy
        stream = self._streams.get(group)
        if stream is None:   # one thread per group: no race
            stream = self._streams[group] = cupy.cuda.Stream(non_blocking=True)
        return stream

    @staticmethod
    def available():
        """Whether this process can use it (Ray's NCCL group imports)."""
        try:
            from ray.util import collective
            return collective.nccl_available()
        except Exception:   # noqa: BLE001 - no Ray, CuPy or torch: no links
            return False

    def endpoint(self, physical):
        bus = physical.properties.get("pci_bus_id") if physical is not None else None
        if physical is None or physical.device_type != "GPU" or not bus:
            return None
        return f"{self.name}|{self.node_id}/{bus}"

    def open(self, group, rank, runtime):
        from ray.util import collective
        if not collective.is_group_initialized(group):
            collective.init_collective_group(2, rank, backend="nccl", group_name=group)

    @staticmethod
    def _view(array, runtime):
        import torch
        return torch.as_tensor(array, device=f"cuda:{runtime.device.physical_device_id}")

    def send(self, group, array, runtime):
        import cupy
        from ray.util import collective
        ordinal = runtime.device.physical_device_id
        with cupy.cuda.Device(ordinal), self._stream(group):
            collective.send(self._view(array, runtime), 1, group)
            # NCCL's stream read the array (torch's record_stream, which Ray's group
            # calls, skips memory torch did not allocate: CuPy's here)
            cupy.cuda.Device(ordinal).synchronize()

    def recv(self, group, shape, dtype, runtime):
        import cupy
        from ray.util import collective
        ordinal = runtime.device.physical_device_id
        with cupy.cuda.Device(ordinal), self._stream(group):
            out = cupy.empty(shape, dtype)
            collective.recv(self._view(out, runtime), 0, group)
            cupy.cuda.Device(ordinal).synchronize()   # NCCL's stream wrote it
        return out

    def close(self, group):
        from ray.util import collective
        self._streams.pop(group, None)
        if collective.is_group_initialized(group):
            collective.destroy_collective_group(group)


class _Link:
    """One group as one task sees it: its rank, device runtime, threads and sequence."""

    def __init__(self, group, rank, runtime):
        self.group = group
        self.rank = rank
        self.runtime = runtime
        self.cond = threading.Condition()
        self.next_seq = 0               # sender: the next sequence number
        self.outgoing = collections.deque()   # sender: (seq, array, ready)
        self.arrived = {}               # receiver: seq -> (step id, key, Marker)
        self.expected = 0               # receiver: the next seq to receive
        self.broken = None              # the UnavailableError once the link failed
        self.thread = None
        self.sent = 0
        self.received = 0


class DeviceLinks:
    """A task's links (see the module docstring). Thread-safe.

    Args:
        backend: the task's LinkBackend, or None (no links).
        deposit: `deposit(step_id, key, value)` puts a received array in the rendezvous.
        fail: `fail(step_id, error)` fails a step whose array cannot arrive.
        tell: `tell(step_id, task, items)` delivers items to another task (a sender's
            LinkFailures).
    """

    def __init__(self, backend, deposit, fail, tell=None):
        self.backend = backend
        self._deposit = deposit
        self._fail = fail
        self._tell = tell
        self._links = {}
        self._lock = threading.Lock()
        self._closed = None

    def endpoint(self, physical):
        return None if self.backend is None else self.backend.endpoint(physical)

    def open(self, group, rank, runtime):
        """Opens `group` as `rank` (0 sends, 1 receives) on `runtime`'s device, once."""
        with self._lock:
            if self._closed is not None:
                raise self._closed
            link = self._links.get(group)
            if link is not None:
                return
            if self.backend is None:
                raise errors.InternalError(
                    None, None, f"A part uses device link {group} but this task has none")
            self.backend.open(group, rank, runtime)
            link = self._links[group] = _Link(group, rank, runtime)
            loop = self._send_loop if rank == 0 else self._recv_loop
            link.thread = threading.Thread(target=loop, args=(link,), daemon=True,
                                           name=f"flowexec-link-{'send' if rank == 0 else 'recv'}")
            link.thread.start()

    def _link(self, group):
        link = self._links.get(group)
        if link is None:
            raise errors.InternalError(None, None, f"Device link {group} is not open")
        return link

    # ----- sending ---------------------------------------------------------------------------
    def send(self, group, array, ready, step_id=None, key=None, recv_task=None):
        """Queues `array` of `key` in step `step_id` for the group (after `ready`, an
        event of the work that made it, completes); returns its Marker."""
        link = self._link(group)
        with link.cond:
            if link.broken is not None:
                raise link.broken
            seq = link.next_seq
            link.next_seq += 1
            link.outgoing.append((seq, array, ready, (step_id, key, recv_task)))
            link.cond.notify_all()
        return Marker(group, seq, tuple(int(d) for d in array.shape), str(array.dtype))

    def _send_loop(self, link):
        while True:
            with link.cond:
                while not link.outgoing and self._closed is None:
                    link.cond.wait()
                if not link.outgoing:
                    return
                seq, array, ready, whose = link.outgoing.popleft()
            try:
                if ready is not None:
                    ready.synchronize()
                self.backend.send(link.group, array, link.runtime)
            except Exception as e:   # noqa: BLE001 - the link is broken; later sends say so
                error = self._break(link, e)
                with link.cond:
                    lost = [(seq, whose)] + [(item[0], item[3]) for item in link.outgoing]
                    link.outgoing.clear()
                for lost_seq, (step_id, key, recv_task) in lost:
                    self._fail(step_id, error)
                    if self._tell is not None and recv_task is not None:
                        try:
                            self._tell(step_id, recv_task, [(key, LinkFailure(
                                link.group, lost_seq, error.message))])
                        except errors.OpError:   # the receiver is gone too
                            pass
                return
            link.sent += 1

    # ----- receiving -------------------------------------------------------------------------
    def arrived(self, step_id, key, marker):
        """The Marker (or LinkFailure) of `key` in step `step_id` arrived (in the sender's
        deliver call)."""
        link = self._link(marker.group)
        if isinstance(marker, LinkFailure):
            self._fail(step_id, self._break(link, marker.message, told=True))
            return
        with link.cond:
            broken = link.broken
            if broken is None:
                link.arrived[marker.seq] = (step_id, key, marker)
                link.cond.notify_all()
        if broken is not None:
            self._fail(step_id, broken)

    def _recv_loop(self, link):
        while True:
            with link.cond:
                while link.expected not in link.arrived and self._closed is None:
                    link.cond.wait()
                if link.expected not in link.arrived:
                    return
                step_id, key, marker = link.arrived.pop(link.expected)
                link.expected += 1
            try:
                value = self.backend.recv(link.group, marker.shape, marker.dtype,
                                          link.runtime)
            except Exception as e:   # noqa: BLE001 - the link is broken: fail its steps
                self._fail(step_id, self._break(link, e))
                return
            link.received += 1
            try:
                self._deposit(step_id, key, value)
            except errors.OpError:   # the task stopped meanwhile: nobody receives it
                pass

    def _break(self, link, cause, told=False):
        """Marks the link broken (`cause`: the exception, or with `told`, the sender's
        message); fails the steps waiting for its arrays; returns the UnavailableError."""
        with link.cond:
            if link.broken is not None:
                error = link.broken
            elif told:
                error = errors.UnavailableError(None, None, cause)
            else:
                error = errors.UnavailableError(None, None, LINK_ERROR.format(
                    group=link.group, why=f"{type(cause).__name__}: {cause}"))
            link.broken = error
            waiting = list(link.arrived.values())
            link.arrived.clear()
            link.cond.notify_all()
        for step_id, _, _ in waiting:
            self._fail(step_id, error)
        return error

    # ----- state -----------------------------------------------------------------------------
    def counts(self):
        """{group: (arrays sent, arrays received)} (for tests and traces)."""
        with self._lock:
            return {g: (link.sent, link.received) for g, link in self._links.items()}

    def close(self, error):
        """The task stopped: the threads end once their queued transfers are done; the
        groups are left."""
        with self._lock:
            self._closed = error
            links = list(self._links.values())
        for link in links:
            with link.cond:
                link.cond.notify_all()
        for link in links:
            if link.thread is not None and link.thread is not threading.current_thread():
                link.thread.join(timeout=1.0)
            try:
                self.backend.close(link.group)
            except Exception:   # noqa: BLE001 - leaving a group of a gone peer
                pass


_in_process = []   # the LinkBackend of this process's in-process tasks (none by default)


def in_process_backend():
    """The LinkBackend in-process task servers (local.py) are made with: None (their GPU
    arrays cross through host memory) unless `use_in_process_backend` set one."""
    return _in_process[-1] if _in_process else None


@contextlib.contextmanager
def use_in_process_backend(backend):
    """In-process task servers started inside the block link their GPUs with `backend`
    (a test double with a collective's semantics, in the tests)."""
    _in_process.append(backend)
    try:
        yield backend
    finally:
        _in_process.remove(backend)


def ray_backend(physical):
    """The LinkBackend of a Ray task actor on these devices (`devices.DeviceAttributes`),
    or None: no GPU (Ray's NCCL group, which imports torch, is not even looked for), or
    no NCCL here."""
    if not any(d.device_type == "GPU" for d in physical) or not RayNCCLBackend.available():
        return None
    import ray
    return RayNCCLBackend(ray.get_runtime_context().get_node_id() or str(os.getpid()))
