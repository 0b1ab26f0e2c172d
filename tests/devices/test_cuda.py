"""CUDARuntime's CUDA calls, checked against a fake CuPy (streams, pinned staging, peers)."""

import dataclasses
import os
import subprocess
import sys
import threading

import fakecupy
import numpy
import pytest

from devices import DeviceError, ResourceExhaustedError, runtime_for
from devices._threads import HostEvent
from devices.discovery import physical_devices
from devices.logical import local_devices

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def gpus(fake_cupy):
    from devices.cuda import CUDARuntime

    first, second = [d for d in physical_devices() if d.device_type == "GPU"]
    runtimes = [CUDARuntime(first), CUDARuntime(second)]
    yield runtimes
    for runtime in runtimes:
        runtime.shutdown(5)


def test_cuda_module_imports_without_cupy():
    code = ("import sys; sys.modules['cupy'] = None; import devices.cuda, devices; "
            "print(devices.cuda.CUDARuntime.__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "CUDARuntime"


def test_runtime_needs_cupy(monkeypatch, no_gpu_env):
    from devices.attributes import DeviceAttributes, Locality
    from devices.cuda import CUDARuntime

    monkeypatch.setitem(sys.modules, "cupy", None)
    gpu = DeviceAttributes("/device:GPU:0", "GPU", 1 << 30, Locality(1), 3)
    with pytest.raises(DeviceError, match="CuPy cannot be imported"):
        CUDARuntime(gpu)


def test_runtime_for_a_gpu_gives_a_cupy_runtime(fake_cupy):
    gpu = next(d for d in local_devices() if d.device_type == "GPU")
    runtime = runtime_for(gpu)
    assert type(runtime).__name__ == "CUDARuntime"
    assert runtime.xp is fake_cupy and runtime.ordinal == 0


def test_lanes_and_workers_use_non_blocking_streams_only(gpus, fake_cupy):
    runtime = gpus[0]
    on_lane, on_worker = [], []
    lane = runtime.lane(1)
    lane.enqueue(lambda: on_lane.append(fake_cupy.cuda.get_current_stream()))
    done = threading.Event()
    runtime.submit(lambda: (on_worker.append(fake_cupy.cuda.get_current_stream()), done.set()))
    assert lane.synchronize(5) and done.wait(5)
    assert on_lane == [lane.stream]
    assert on_worker[0] is not None and on_worker[0] is not lane.stream
    assert fake_cupy.streams and all(
        s.non_blocking and not s.null and not s.ptds for s in fake_cupy.streams)


def test_wait_event_between_gpu_lanes_is_a_stream_wait_not_a_host_sync(gpus):
    runtime = gpus[0]
    first, second = runtime.lane(0), runtime.lane(1)
    event = first.record_event()
    second.wait_event(event)
    assert second.synchronize(5)
    assert second.stream.waited == [event.cuda_event]
    host_event = HostEvent()
    host_event.fire()
    second.wait_event(host_event)  # a host event is waited for on the lane's thread
    assert second.synchronize(5) and second.stream.waited == [event.cuda_event]


def test_host_to_device_goes_through_pinned_staging_on_the_lane_stream(gpus, fake_cupy):
    runtime = gpus[0]
    lane = runtime.lane(0)
    host = numpy.arange(6, dtype=numpy.float32)
    on_device = runtime.to_device(host, lane=lane)
    assert lane.synchronize(5)
    assert on_device.alloc_stream is lane.stream  # from the lane stream's pool arena
    assert ("alloc_pinned_memory", host.nbytes) in fake_cupy.calls
    assert ("set", lane.stream) in fake_cupy.calls
    assert runtime.keeper.pending >= 1  # the staging buffer is held until the copy is done


def test_device_to_host_with_a_lane_is_asynchronous_into_pinned_memory(gpus, fake_cupy):
    runtime = gpus[0]
    lane = runtime.lane(0)
    on_device = runtime.to_device(numpy.ones((2, 2)), lane=lane)
    back = runtime.to_host(on_device, lane=lane)
    assert lane.synchronize(5)
    assert ("asnumpy", lane.stream, False) in fake_cupy.calls
    numpy.testing.assert_array_equal(back, numpy.ones((2, 2)))


def test_device_to_host_without_a_lane_waits_for_the_lanes_then_blocks(gpus, fake_cupy):
    runtime = gpus[0]
    lane = runtime.lane(1)
    on_device = runtime.to_device(numpy.ones(3), lane=lane)
    back = runtime.to_host(on_device)
    copy_lane = runtime._copy_lane
    assert copy_lane is not None and copy_lane.stream is not lane.stream
    assert copy_lane.stream.waited  # ordered after lane 1 by an event, on the device
    assert ("asnumpy", copy_lane.stream, True) in fake_cupy.calls
    numpy.testing.assert_array_equal(back, numpy.ones(3))


def test_peer_copy_between_gpus_uses_memcpy_peer_async(gpus, fake_cupy):
    src, dst = gpus
    on_first = src.to_device(numpy.arange(8.0))
    lane = dst.lane(0)
    on_second = dst.copy_from(on_first, src, lane=lane)
    assert lane.synchronize(5)
    assert on_second.device.id == 1
    peer_calls = [c for c in fake_cupy.calls if c[0] == "memcpyPeerAsync"]
    assert peer_calls == [("memcpyPeerAsync", 1, 0, 64, lane.stream.ptr)]
    assert fake_cupy.enabled_peers == {(1, 0)}
    numpy.testing.assert_array_equal(dst.to_host(on_second), numpy.arange(8.0))
    dst.copy_from(on_first, src, lane=lane)  # peer access is enabled once
    assert lane.synchronize(5) and fake_cupy.enabled_peers == {(1, 0)}


def test_copy_without_peer_access_lets_the_driver_stage_it(monkeypatch, tmp_path):
    from devices import discovery
    from devices.cuda import CUDARuntime

    fake = fakecupy.make_fake_cupy(peers=())
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(discovery, "SYSFS_PCI_DEVICES", str(tmp_path))
    discovery.reset_discovery_cache()
    first, second = [d for d in physical_devices() if d.device_type == "GPU"]
    assert first.locality.links == ()
    src, dst = CUDARuntime(first), CUDARuntime(second)
    try:
        copied = dst.copy_from(src.to_device(numpy.arange(4)), src)
        # cudaMemcpyPeerAsync without peer access: staged through host memory by the driver
        assert [c[:4] for c in fake.calls if c[0] == "memcpyPeerAsync"] == [
            ("memcpyPeerAsync", 1, 0, 32)]
        assert fake.enabled_peers == set()
        assert copied.device.id == 1
        numpy.testing.assert_array_equal(dst.to_host(copied), numpy.arange(4))
    finally:
        src.shutdown(5)
        dst.shutdown(5)


def test_logical_gpus_on_one_physical_gpu_share_memory_without_copies(fake_cupy):
    from devices import LogicalDeviceConfiguration, set_logical_device_configuration
    from devices.cuda import CUDARuntime

    set_logical_device_configuration("GPU:0", [LogicalDeviceConfiguration(100)] * 2)
    halves = [d for d in local_devices() if d.physical_device_id == 0 and d.device_type == "GPU"]
    first, second = CUDARuntime(halves[0]), CUDARuntime(halves[1])
    try:
        array = first.to_device(numpy.ones(2))
        assert second.copy_from(array, first) is array
    finally:
        first.shutdown(5)
        second.shutdown(5)


def test_keep_alive_holds_a_buffer_used_on_another_stream(gpus):
    runtime = gpus[0]
    first, second = runtime.lane(0), runtime.lane(1)
    array = runtime.to_device(numpy.ones(4), lane=first)
    runtime.keep_alive(array, second)
    assert runtime.keeper.holds(array)
    runtime.synchronize()
    assert not runtime.keeper.holds(array)


def test_elapsed_time_needs_timing_events(gpus):
    lane = gpus[0].lane(0)
    plain, timed = lane.record_event(), lane.record_event(timing=True)
    assert lane.synchronize(5)
    with pytest.raises(DeviceError, match="timing=True"):
        plain.elapsed_ms(timed)


def test_runtime_rejects_another_runtimes_lane(gpus):
    with pytest.raises(DeviceError, match="is not a lane of"):
        gpus[1].to_device(numpy.ones(1), lane=gpus[0].lane(0))


def test_memory_pool_helpers(gpus, fake_cupy):
    assert gpus[0].pool_used_bytes() == 0
    gpus[0].free_cached_memory()
    assert ("free_all_blocks",) in fake_cupy.calls


def test_shutdown_synchronizes_streams_and_drops_held_buffers(gpus):
    runtime = gpus[0]
    runtime.to_device(numpy.ones(8), lane=runtime.lane(0))
    runtime.to_device(numpy.ones(8))
    assert runtime.keeper.pending
    runtime.shutdown(5)
    assert runtime.keeper.pending == 0 and runtime._copy_lane is None


def test_gpu_runtime_accounts_memory_against_its_limit(fake_cupy):
    gpu = [d for d in local_devices() if d.device_type == "GPU"][1]
    runtime = runtime_for(dataclasses.replace(gpu, memory_limit=10))
    with pytest.raises(ResourceExhaustedError, match="OOM when allocating tensor on "
                       "/job:localhost/replica:0/task:0/device:GPU:1"):
        runtime.allocate(11, "tensor")


def test_non_contiguous_source_is_made_contiguous_on_the_source_gpu(gpus, fake_cupy):
    src, dst = gpus
    strided = src.to_device(numpy.arange(8.0))[::2]
    assert not strided.flags.c_contiguous
    copied = dst.copy_from(strided, src)
    numpy.testing.assert_array_equal(dst.to_host(copied), [0.0, 2.0, 4.0, 6.0])
    assert src._copy_lane is not None


def test_to_device_refuses_another_gpus_array(gpus):
    src, dst = gpus
    on_first = src.to_device(numpy.ones(2))
    assert src.to_device(on_first) is on_first
    with pytest.raises(TypeError, match="use copy_from"):
        dst.to_device(on_first)
    with pytest.raises(TypeError, match="CUDARuntime holding it"):
        dst.copy_from(on_first, None)


def test_lane_synchronize_from_its_own_work_syncs_the_stream(gpus):
    lane, answers = gpus[0].lane(0), []
    lane.enqueue(lambda: answers.append(lane.synchronize()))
    assert lane.synchronize(5) and answers == [True]


def test_copy_from_inside_lane_work_is_ordered_after_the_source_lanes(gpus, fake_cupy):
    src, dst = gpus
    producer = src.lane(0)
    on_first = src.to_device(numpy.arange(4.0), lane=producer)
    lane, results = dst.lane(0), []
    lane.enqueue(lambda: results.append(dst.to_host(dst.copy_from(on_first, src))))
    assert lane.synchronize(5)
    numpy.testing.assert_array_equal(results[0], numpy.arange(4.0))
    assert lane.stream.waited  # ordered after the producer lane by a stream wait


def test_copy_from_inside_source_lane_work_is_ordered_after_that_lane(gpus):
    src, dst = gpus
    producer, results = src.lane(0), []

    def work():  # a kernel's output on the producer's stream, copied without a lane
        results.append(dst.copy_from(src.xp.empty((4,), dtype="f8"), src))

    producer.enqueue(work)
    assert producer.synchronize(5) and results
    waited = dst._copy_lane.stream.waited
    assert any(event.recorded_on is producer.stream for event in waited)


def test_non_contiguous_copy_without_a_lane_waits_for_the_source_lanes(gpus):
    src, dst = gpus
    producer = src.lane(0)
    strided = src.to_device(numpy.arange(8.0), lane=producer)[::2]
    dst.copy_from(strided, src)
    waited = src._copy_lane.stream.waited  # the stream that runs ascontiguousarray
    assert any(event.recorded_on is producer.stream for event in waited)


def test_non_contiguous_copy_on_a_lane_runs_after_that_lane_s_point(gpus):
    src, dst = gpus
    producer, lane = src.lane(0), dst.lane(0)
    strided = src.to_device(numpy.arange(8.0), lane=producer)[::2]
    lane.wait_event(producer.record_event())  # the caller orders the producer first
    copied = dst.copy_from(strided, src, lane=lane)
    assert lane.synchronize(5)
    waited = src._copy_lane.stream.waited
    assert any(event.recorded_on is lane.stream for event in waited)  # cross-device wait
    numpy.testing.assert_array_equal(dst.to_host(copied), [0.0, 2.0, 4.0, 6.0])


def test_asynchronous_device_to_host_holds_the_pinned_buffer_and_the_sources(gpus, fake_cupy,
                                                                             monkeypatch):
    runtime, pinned = gpus[0], []
    allocate = fake_cupy.cuda.alloc_pinned_memory

    def alloc_pinned_memory(size):
        pinned.append(allocate(size))
        return pinned[-1]

    monkeypatch.setattr(fake_cupy.cuda, "alloc_pinned_memory", alloc_pinned_memory)
    lane = runtime.lane(0)
    whole = runtime.to_device(numpy.arange(8.0))
    strided = whole[::2]
    runtime.to_host(whole, lane=lane)
    assert runtime.keeper.holds(whole) and runtime.keeper.holds(pinned[-1])
    back = runtime.to_host(strided, lane=lane)
    assert runtime.keeper.holds(strided) and runtime.keeper.holds(pinned[-1])
    assert lane.synchronize(5)
    numpy.testing.assert_array_equal(back, [0.0, 2.0, 4.0, 6.0])
    runtime.synchronize()
    assert not runtime.keeper.holds(pinned[-1])


def test_to_host_refuses_another_gpus_array(gpus):
    src, dst = gpus
    on_first = src.to_device(numpy.ones(2))
    with pytest.raises(TypeError, match="CUDA device 0, not of this runtime's CUDA device 1"):
        dst.to_host(on_first)
    with pytest.raises(TypeError, match="CUDA device 0"):
        dst.to_host(on_first, lane=dst.lane(0))


def test_device_to_host_does_not_hide_a_type_error_of_the_copy(gpus, fake_cupy, monkeypatch):
    def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
        if not blocking:
            raise TypeError("boom: a bug in the copy")
        return out

    monkeypatch.setattr(fake_cupy, "asnumpy", asnumpy)
    runtime = gpus[0]
    on_device = runtime.to_device(numpy.ones(2))
    with pytest.raises(TypeError, match="boom"):
        runtime.to_host(on_device, lane=runtime.lane(0))


def test_device_to_host_with_cupy_before_13_leaves_out_blocking(gpus, fake_cupy, monkeypatch):
    calls = []

    def asnumpy(a, stream=None, order="C", out=None):  # CuPy 12: no blocking keyword
        calls.append(stream)
        numpy.copyto(out, a._array)
        return out

    monkeypatch.setattr(fake_cupy, "asnumpy", asnumpy)
    runtime = gpus[0]
    lane = runtime.lane(0)
    back = runtime.to_host(runtime.to_device(numpy.ones(2)), lane=lane)
    assert lane.synchronize(5) and calls == [lane.stream]
    numpy.testing.assert_array_equal(back, numpy.ones(2))
