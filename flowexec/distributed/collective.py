"""Device links: GPU arrays that cross tasks from GPU to GPU, not through host memory.

Where a tensor made on a GPU of one task is read on a GPU of another, and both tasks'
servers can join those two devices by a collective backend (`LinkBackend`, Ray's
`ray.util.collective` with NCCL: `RayNCCLBackend`), the split stage (split.py) puts the
`_Send` and the `_Recv` on the two GPUs with `transport="collective"` and names the
link's group after both devices and their incarnations (`group_name`): one group per
direction and device pair, the sender rank 0, the receiver rank 1, each told the other's
GPU ordinal (the `peer_gpu` attr: Ray keys a point-to-point communicator by both GPUs).
Each task opens its groups when it registers a part that uses them (`DeviceLinks.open`).

One transfer, for a key of a step:

    sender                                        receiver
    _Send kernel (on its GPU lane):
      the array in C order; an event `ready`
      recorded on the lane right behind it
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
                                                    `_Recv` kernel takes it there and
                                                    copies it onto its lane

Both sides run a group's transfers in sequence order on one thread each, whatever order
the steps run their kernels in, so steps running at once cannot cross their transfers,
and the marker carries the shape, so dynamic shapes cross too. Every marker is delivered,
even for a step that failed after its `_Send` ran (`TaskChannel.end_step`): the receiver
still receives the array (and the rendezvous drops it), so the group's sequence never
breaks. Empty arrays cross by their marker alone. A backend error breaks the link, and so
does a transfer that has not finished within `LINK_TIMEOUT_S` (a peer that died inside
NCCL): the waiting step and every later one that uses the link fails with
UnavailableError naming the group (the sender tells the receiver by a LinkFailure in
place of the marker); a task started again has new incarnations, hence new groups.

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
import time
from typing import Tuple

import numpy

from flowexec.framework import errors

LINK_ERROR = "Device link {group} is broken: {why}"
LINK_TIMEOUT_S = float(os.environ.get("FLOWEXEC_LINK_TIMEOUT_S", "60"))


@dataclasses.dataclass(frozen=True)
class Marker:
    """What a linked `_Send` delivers in place of its value: the array's group, sequence
    number, shape and dtype (its data follows through the group)."""

    group: str
    seq: int
    shape: Tuple[int, ...]
    dtype: str

    @property
    def empty(self):
        return any(d == 0 for d in self.shape)


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


def _fields(endpoint):
    """(backend name, physical device, GPU ordinal) of an endpoint."""
    kind, _, rest = endpoint.partition("|")
    where, _, ordinal = rest.partition("|")
    return kind, where, int(ordinal or 0)


def can_link(src_endpoint, dst_endpoint):
    """Whether two devices' endpoints (`LinkBackend.endpoint`) can be joined: the same
    backend, two different physical devices."""
    if not src_endpoint or not dst_endpoint:
        return False
    src_kind, src_where, _ = _fields(src_endpoint)
    dst_kind, dst_where, _ = _fields(dst_endpoint)
    return src_kind == dst_kind and src_where != dst_where


def ordinal_of(endpoint):
    """The GPU ordinal (in its task's process) an endpoint names."""
    return _fields(endpoint)[2]


class LinkBackend(abc.ABC):
    """How a task's devices join another task's: one implementation per collective
    library. `send` and `recv` of a group are called from one thread each, in sequence
    order, with non-empty C-ordered arrays; both block until the transfer is done (the
    sent array may be reused, the received one read)."""

    name = ""

    @abc.abstractmethod
    def endpoint(self, physical):
        """`"<name>|<where>|<ordinal>"` for a device (`devices.DeviceAttributes`) this
        backend can link, naming the physical device (two endpoints with one `where` are
        one device) and its ordinal in this process, or None."""

    @abc.abstractmethod
    def open(self, group, rank, runtime, peer_gpu):
        """Joins `group` (world size 2) as `rank` for the device of `runtime`; the other
        rank's device is its process's GPU `peer_gpu`."""

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
    Ray's NCCL group uses). Arrays travel as their bytes (uint8: every dtype, and no
    strides). Each transfer waits for the NCCL stream of its own communicator only, so
    links in both directions, and the lanes' compute, never wait on one another. The
    calls into CUDA are only these; the rest of the link is `DeviceLinks`'."""

    name = "nccl"

    def __init__(self, node_id):
        self.node_id = node_id
        self._peers = {}     # group -> (rank, peer GPU ordinal)
        self._streams = {}   # group -> the non-blocking stream its thread works on

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
        return f"{self.name}|{self.node_id}/{bus}|{physical.physical_device_id}"

    def open(self, group, rank, runtime, peer_gpu):
        from ray.util import collective
        self._peers[group] = (rank, int(peer_gpu))
        if not collective.is_group_initialized(group):
            collective.init_collective_group(2, rank, backend="nccl", group_name=group)

    def _stream(self, group):
        import cupy
        stream = self._streams.get(group)
        if stream is None:   # one thread per group: no race
            stream = self._streams[group] = cupy.cuda.Stream(non_blocking=True)
        return stream

    def _nccl_stream(self, group, ordinal):
        """The stream of the group's communicator (Ray 2.x keeps it by both GPUs)."""
        from ray.util import collective
        from ray.util.collective.collective_group import nccl_collective_group as nccl_group
        rank, peer_gpu = self._peers[group]
        key = nccl_group._get_comm_key_send_recv(rank, ordinal, 1 - rank, peer_gpu)
        return collective.get_group_handle(group)._dev_streams_map[key][0]

    @staticmethod
    def _bytes(array, ordinal):
        import torch
        return torch.as_tensor(array.reshape(-1).view("uint8"), device=f"cuda:{ordinal}")

    def send(self, group, array, runtime):
        import cupy
        from ray.util import collective
        ordinal = runtime.device.physical_device_id
        _, peer_gpu = self._peers[group]
        with cupy.cuda.Device(ordinal), self._stream(group):
            collective.send_multigpu(self._bytes(array, ordinal), 1, peer_gpu, group)
            # torch's record_stream, which Ray's group calls, skips memory torch did not
            # allocate (CuPy's here): the array lives until NCCL has read it
            self._nccl_stream(group, ordinal).synchronize()

    def recv(self, group, shape, dtype, runtime):
        import cupy
        from ray.util import collective
        ordinal = runtime.device.physical_device_id
        _, peer_gpu = self._peers[group]
        nbytes = int(numpy.prod(shape)) * numpy.dtype(dtype).itemsize
        with cupy.cuda.Device(ordinal), self._stream(group):
            out = cupy.empty(nbytes, cupy.uint8)
            collective.recv_multigpu(self._bytes(out, ordinal), 0, peer_gpu, group)
            self._nccl_stream(group, ordinal).synchronize()   # NCCL wrote it
        return out.view(dtype).reshape(shape)

    def close(self, group):
        from ray.util import collective
        self._streams.pop(group, None)
        self._peers.pop(group, None)
        if collective.is_group_initialized(group):
            collective.destroy_collective_group(group)


class _Link:
    """One group as one task sees it: its rank, device runtime, thread and sequence."""

    def __init__(self, group, rank, runtime):
        self.group = group
        self.rank = rank
        self.runtime = runtime
        self.cond = threading.Condition()
        self.next_seq = 0               # sender: the next sequence number
        self.outgoing = collections.deque()   # sender: (seq, array, ready, whose)
        self.arrived = {}               # receiver: seq -> (step id, key, Marker)
        self.expected = 0               # receiver: the next seq to receive
        self.busy_since = None          # when the transfer in progress started
        self.broken = None              # the UnavailableError once the link failed
        self.thread = None
        self.sent = 0
        self.received = 0

    def stuck(self, now):
        """Whether the transfer in progress has run past LINK_TIMEOUT_S."""
        since = self.busy_since
        return since is not None and now - since > LINK_TIMEOUT_S


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

    def open(self, group, rank, runtime, peer_gpu=0):
        """Opens `group` as `rank` (0 sends, 1 receives) on `runtime`'s device, once."""
        with self._lock:
            if self._closed is not None:
                raise self._closed
            if group in self._links:
                return
            if self.backend is None:
                raise errors.InternalError(
                    None, None, f"A part uses device link {group} but this task has none")
            self.backend.open(group, rank, runtime, peer_gpu)
            link = self._links[group] = _Link(group, rank, runtime)
            loop = self._send_loop if rank == 0 else self._recv_loop
            link.thread = threading.Thread(
                target=loop, args=(link,), daemon=True,
                name=f"flowexec-link-{'send' if rank == 0 else 'recv'}")
            link.thread.start()

    def _link(self, group):
        link = self._links.get(group)
        if link is None:
            raise errors.InternalError(None, None, f"Device link {group} is not open")
        return link

    def check(self, group):
        """Raises the link's UnavailableError once it is broken, or its transfer in
        progress is stuck (which breaks it)."""
        link = self._link(group)
        if link.broken is None and link.stuck(time.monotonic()):
            self._break(link, TimeoutError(
                f"a transfer has not finished in {LINK_TIMEOUT_S:g} s"))
        if link.broken is not None:
            raise link.broken

    def watch(self, group, cancelled):
        """A `cancelled()` for a `_Recv` waiting on the link: also raises when it broke."""
        def poll():
            self.check(group)
            return cancelled is not None and cancelled()
        return poll

    # ----- sending ---------------------------------------------------------------------------
    def send(self, group, array, ready, step_id=None, key=None, recv_task=None):
        """Queues `array` (C order) of `key` in step `step_id` for the group (after
        `ready`, an event of the work that made it, completes); returns its Marker."""
        link = self._link(group)
        self.check(group)
        shape, dtype = tuple(int(d) for d in array.shape), str(array.dtype)
        with link.cond:
            if link.broken is not None:
                raise link.broken
            seq = link.next_seq
            link.next_seq += 1
            marker = Marker(group, seq, shape, dtype)
            if not marker.empty:
                link.outgoing.append((seq, array, ready, (step_id, key, recv_task)))
                link.cond.notify_all()
        return marker

    def _send_loop(self, link):
        while True:
            with link.cond:
                while not link.outgoing and self._closed is None:
                    link.cond.wait()
                if self._closed is not None:
                    link.outgoing.clear()
                    return
                seq, array, ready, whose = link.outgoing.popleft()
                link.busy_since = time.monotonic()
            try:
                if ready is not None:
                    ready.synchronize()
                self.backend.send(link.group, array, link.runtime)
            except Exception as e:   # noqa: BLE001 - the link is broken; later sends say so
                self._lost(link, self._break(link, e), [(seq, whose)])
                return
            finally:
                link.busy_since = None
            link.sent += 1

    def _lost(self, link, error, lost):
        """Tells the receivers of arrays the broken link will not send (and of those
        still queued)."""
        with link.cond:
            lost += [(item[0], item[3]) for item in link.outgoing]
            link.outgoing.clear()
        for seq, (step_id, key, recv_task) in lost:
            self._fail(step_id, error)
            if self._tell is not None and recv_task is not None:
                try:
                    self._tell(step_id, recv_task,
                               [(key, LinkFailure(link.group, seq, error.message))])
                except errors.OpError:   # the receiver is gone too
                    pass

    # ----- receiving -------------------------------------------------------------------------
    def arrived(self, step_id, key, marker):
        """The Marker (or LinkFailure) of `key` in step `step_id` arrived (in the sender's
        deliver call)."""
        link = self._link(marker.group)
        if isinstance(marker, LinkFailure):
            self._fail(step_id, self._break(link, marker.message, told=True))
            return
        if link.broken is None and link.stuck(time.monotonic()):
            self._break(link, TimeoutError(
                f"a transfer has not finished in {LINK_TIMEOUT_S:g} s"))
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
                while link.expected not in link.arrived and self._closed is None and \
                        link.broken is None:
                    link.cond.wait()
                if link.expected not in link.arrived:
                    return
                step_id, key, marker = link.arrived.pop(link.expected)
                link.expected += 1
                link.busy_since = time.monotonic()
            try:
                if marker.empty:
                    value = link.runtime.to_device(numpy.empty(marker.shape, marker.dtype))
                else:
                    value = self.backend.recv(link.group, marker.shape, marker.dtype,
                                              link.runtime)
            except Exception as e:   # noqa: BLE001 - the link is broken: fail its steps
                self._fail(step_id, self._break(link, e))
                return
            finally:
                link.busy_since = None
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
        """The task stopped: queued transfers are dropped, the threads end (one still in
        a transfer is left to it), and the groups whose threads ended are left."""
        with self._lock:
            self._closed = error
            links = list(self._links.values())
        for link in links:
            with link.cond:
                link.cond.notify_all()
        deadline = time.monotonic() + 1.0
        for link in links:
            thread = link.thread
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(deadline - time.monotonic(), 0.0))
            if thread is not None and thread.is_alive():
                continue   # inside the backend: leaving the group under it is unsafe
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
