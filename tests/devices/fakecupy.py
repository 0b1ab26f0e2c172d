"""A stand-in for the part of CuPy that ``devices`` uses, built on numpy, for CPU tests.

Everything completes at once (a stream runs its work synchronously), so this checks
the calls ``devices`` makes (names, arguments, which device and stream are current)
rather than asynchrony, which the ThreadStreamRuntime double and real GPU tests cover.
It records what matters to the tests: every stream created (to prove none is the
legacy default stream), the stream current when each array was allocated, and the
CUDA calls made.
"""

import itertools
import threading
import types

import numpy

TWO_H100S = (
    {"name": b"NVIDIA H100 80GB HBM3", "total": 85_045_870_592, "free": 84_300_000_000,
     "major": 9, "minor": 0, "sms": 132, "pci": (0, 0x1B, 0)},
    {"name": b"NVIDIA H100 80GB HBM3", "total": 85_045_870_592, "free": 1_500_000_000,
     "major": 9, "minor": 0, "sms": 132, "pci": (0, 0x43, 0)},
)


def bus_id(gpu):
    domain, bus, device = gpu["pci"]
    return f"{domain:04x}:{bus:02x}:{device:02x}.0"


class CUDARuntimeError(RuntimeError):
    def __init__(self, status):
        self.status = status
        super().__init__(f"cudaError {status}")


def make_fake_cupy(gpus=TWO_H100S, peers=((0, 1), (1, 0)), count_error=None):
    """Return a module object that imitates ``cupy`` with the given GPUs.

    Args:
        gpus: dicts with name (bytes), total, free, major, minor, sms, pci.
        peers: (device, peer) pairs for which ``deviceCanAccessPeer`` answers 1.
        count_error: a CUDA status that ``getDeviceCount`` raises (e.g. 35, no driver).
    """
    cupy = types.ModuleType("cupy")
    state = threading.local()
    calls = []
    streams = []
    pointers = {}
    ptr_counter = itertools.count(0x1000, 0x100)
    enabled_peers = set()

    def current_device():
        return getattr(state, "device", 0)

    def current_stream():
        return getattr(state, "stream", None)

    class Device:
        def __init__(self, device=None):
            self.id = current_device() if device is None else int(device)

        @property
        def mem_info(self):
            gpu = gpus[self.id]
            return gpu["free"], gpu["total"]

        def use(self):
            state.device = self.id

        def __enter__(self):
            self._previous = current_device()
            state.device = self.id
            return self

        def __exit__(self, *exc):
            state.device = self._previous

    class Stream:
        def __init__(self, null=False, non_blocking=False, ptds=False):
            self.null = null
            self.non_blocking = non_blocking
            self.ptds = ptds
            self.device_id = current_device()
            self.ptr = next(ptr_counter)
            self.waited = []
            streams.append(self)

        def use(self):
            state.stream = self
            return self

        def wait_event(self, event):
            assert event.recorded_on is not None, "waiting on an event never recorded"
            self.waited.append(event)

        def synchronize(self):
            pass

        def record(self, event=None):
            event = event or Event()
            event.record(self)
            return event

        @property
        def done(self):
            return True

    class Event:
        def __init__(self, block=False, disable_timing=False, interprocess=False):
            self.disable_timing = disable_timing
            self.recorded_on = None
            self.time = None

        def record(self, stream=None):
            import time

            self.recorded_on = stream or current_stream()
            self.time = time.perf_counter()

        @property
        def done(self):
            return self.recorded_on is not None

        def synchronize(self):
            pass

    def get_elapsed_time(start, end):
        if start.disable_timing or end.disable_timing:
            raise CUDARuntimeError(6)
        return (end.time - start.time) * 1000.0

    class _Flags:
        def __init__(self, array):
            self.c_contiguous = array.flags.c_contiguous
            self.f_contiguous = array.flags.f_contiguous

    class _Pointer:
        def __init__(self, ptr):
            self.ptr = ptr

    class ndarray:
        def __init__(self, array, device_id):
            self._array = array
            self.device = Device(device_id)
            self.alloc_stream = current_stream()
            ptr = next(ptr_counter)
            pointers[ptr] = self
            self.data = _Pointer(ptr)

        shape = property(lambda self: self._array.shape)
        dtype = property(lambda self: self._array.dtype)
        size = property(lambda self: self._array.size)
        nbytes = property(lambda self: self._array.nbytes)
        ndim = property(lambda self: self._array.ndim)
        flags = property(lambda self: _Flags(self._array))
        __cuda_array_interface__ = property(lambda self: {"shape": self.shape})

        def __array__(self, *args, **kwargs):
            raise TypeError("Implicit conversion to a NumPy array is not allowed.")

        def set(self, arr, stream=None):
            calls.append(("set", stream))
            numpy.copyto(self._array, arr)

        def get(self, stream=None, order="C", out=None, blocking=True):
            return asnumpy(self, stream=stream, out=out, blocking=blocking)

        def __getitem__(self, key):
            return ndarray(self._array[key], self.device.id)

    def empty(shape, dtype=float, order="C"):
        return ndarray(numpy.empty(shape, dtype, order), current_device())

    def asarray(obj, dtype=None):
        if isinstance(obj, ndarray):
            return obj
        return ndarray(numpy.array(obj, dtype=dtype), current_device())

    def ascontiguousarray(a):
        return ndarray(numpy.ascontiguousarray(a._array), a.device.id)

    def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
        calls.append(("asnumpy", stream, blocking))
        if not isinstance(a, ndarray):
            return numpy.asarray(a)
        if out is None:
            return a._array.copy()
        numpy.copyto(out, a._array)
        return out

    def alloc_pinned_memory(size):
        calls.append(("alloc_pinned_memory", size))
        return bytearray(size)

    class _Pool:
        def used_bytes(self):
            return 0

        def free_all_blocks(self):
            calls.append(("free_all_blocks",))

    pool = _Pool()

    runtime = types.SimpleNamespace()
    runtime.CUDARuntimeError = CUDARuntimeError

    def getDeviceCount():
        calls.append(("getDeviceCount",))
        if count_error is not None:
            raise CUDARuntimeError(count_error)
        return len(gpus)

    def getDeviceProperties(device):
        gpu = gpus[device]
        domain, bus, dev = gpu["pci"]
        return {
            "name": gpu["name"], "totalGlobalMem": gpu["total"], "major": gpu["major"],
            "minor": gpu["minor"], "multiProcessorCount": gpu["sms"],
            "pciDomainID": domain, "pciBusID": bus, "pciDeviceID": dev,
        }

    def deviceCanAccessPeer(device, peer):
        return 1 if (device, peer) in peers else 0

    def deviceEnablePeerAccess(peer):
        key = (current_device(), peer)
        if key in enabled_peers:
            raise CUDARuntimeError(704)
        enabled_peers.add(key)

    def memcpyPeerAsync(dst, dst_device, src, src_device, size, stream):
        calls.append(("memcpyPeerAsync", dst_device, src_device, size, stream))
        target, source = pointers[dst], pointers[src]
        assert target.device.id == dst_device and source.device.id == src_device
        assert size == source.nbytes == target.nbytes
        numpy.copyto(target._array, source._array)

    runtime.getDeviceCount = getDeviceCount
    runtime.getDeviceProperties = getDeviceProperties
    runtime.deviceCanAccessPeer = deviceCanAccessPeer
    runtime.deviceEnablePeerAccess = deviceEnablePeerAccess
    runtime.memcpyPeerAsync = memcpyPeerAsync

    cuda = types.SimpleNamespace(
        Device=Device, Stream=Stream, Event=Event, runtime=runtime,
        alloc_pinned_memory=alloc_pinned_memory, get_elapsed_time=get_elapsed_time,
        get_current_stream=current_stream,
    )
    cupy.cuda = cuda
    cupy.ndarray = ndarray
    cupy.empty = empty
    cupy.asarray = asarray
    cupy.ascontiguousarray = ascontiguousarray
    cupy.asnumpy = asnumpy
    cupy.get_default_memory_pool = lambda: pool
    cupy.calls = calls
    cupy.streams = streams
    cupy.enabled_peers = enabled_peers
    cupy.__name__ = "cupy"
    return cupy
