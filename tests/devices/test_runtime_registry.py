"""runtime_for: one runtime per device per process, created lazily; the test double."""

import threading

import numpy
import pytest

from devices import (
    DeviceError,
    DeviceNotFoundError,
    LogicalDeviceConfiguration,
    local_devices,
    runtime_for,
    set_logical_device_configuration,
)
from devices.attributes import DeviceAttributes, Locality
from devices.cpu import CPURuntime
from devices.logical import is_initialized
from devices.runtime import active_runtimes, shutdown_all
from devices.testing import ThreadStreamRuntime, use_runtime


def test_runtime_for_returns_one_lazy_runtime_per_device(no_gpu_env):
    first, second = local_devices({"CPU": 2})
    assert not is_initialized()
    runtime = runtime_for(first)
    assert isinstance(runtime, CPURuntime) and runtime.device == first
    assert is_initialized()
    assert runtime_for(first) is runtime
    assert runtime_for(second) is not runtime
    assert not runtime.started  # no thread until the first submit or lane use
    assert set(active_runtimes()) == {runtime, runtime_for(second)}


def test_runtime_for_is_thread_safe(no_gpu_env):
    device = local_devices()[0]
    seen, barrier = [], threading.Barrier(8)

    def ask():
        barrier.wait()
        seen.append(runtime_for(device))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(runtime) for runtime in seen}) == 1


def test_num_threads_applies_until_the_workers_start(no_gpu_env):
    device = local_devices()[0]
    runtime = runtime_for(device, num_threads=3)
    assert runtime.num_threads == 3
    assert runtime_for(device, num_threads=5).num_threads == 5
    done = threading.Event()
    runtime.submit(done.set)
    assert done.wait(5)
    assert runtime_for(device, num_threads=1) is runtime and runtime.num_threads == 5


def test_runtime_for_accepts_device_names(no_gpu_env):
    set_logical_device_configuration("CPU", [LogicalDeviceConfiguration()] * 2)
    runtime = runtime_for("/device:CPU:1")
    assert runtime.name == "/job:localhost/replica:0/task:0/device:CPU:1"
    assert runtime_for("/job:localhost/replica:0/task:0/device:CPU:1") is runtime
    assert runtime_for("/cpu:0").name.endswith("/device:CPU:0")
    with pytest.raises(DeviceNotFoundError, match="GPU"):
        runtime_for("/gpu:0")
    with pytest.raises(DeviceNotFoundError, match="names no device type"):
        runtime_for("/job:localhost")


def test_a_shut_down_runtime_is_replaced(no_gpu_env):
    device = local_devices()[0]
    runtime = runtime_for(device)
    runtime.shutdown()
    fresh = runtime_for(device)
    assert fresh is not runtime and not fresh.closed
    shutdown_all()
    assert active_runtimes() == []


def test_unknown_device_type_has_no_runtime():
    device = DeviceAttributes("/device:TPU:0", "TPU", 1, Locality(), 1)
    with pytest.raises(DeviceError, match="No runtime for device type 'TPU'"):
        runtime_for(device)


def test_use_runtime_installs_a_double_for_its_device(no_gpu_env):
    device = local_devices()[0]
    real = runtime_for(device)
    double = ThreadStreamRuntime(device=device)
    with use_runtime(double):
        assert runtime_for(device) is double
    assert runtime_for(device) is real and double.closed


def test_stream_double_shows_a_missing_wait_event_as_poison():
    runtime = ThreadStreamRuntime(num_lanes=2, delay=0.001)
    try:
        first, second, gate = runtime.lane(0), runtime.lane(1), threading.Event()
        first.enqueue(gate.wait, 5)  # the first lane is busy, as a GPU stream may be
        on_device = runtime.to_device(numpy.ones(4), lane=first)
        racy = runtime.to_host(on_device, lane=second)  # no wait_event: a bug
        assert second.synchronize(5)
        assert numpy.isnan(racy).all()
        gate.set()
        assert first.synchronize(5)
        second.wait_event(first.record_event())
        ordered = runtime.to_host(on_device, lane=second)
        assert second.synchronize(5)
        numpy.testing.assert_array_equal(ordered, numpy.ones(4))
        assert runtime.to_host(on_device).tolist() == [1.0] * 4
    finally:
        runtime.shutdown(5)


def test_stream_double_stages_host_data_at_call_time():
    runtime = ThreadStreamRuntime(delay=0.005)
    try:
        lane = runtime.lane(0)
        host = numpy.arange(3)
        on_device = runtime.to_device(host, lane=lane)
        host[:] = -1  # reusing the host buffer at once is allowed, as with pinned staging
        assert lane.synchronize(5)
        assert on_device.tolist() == [0, 1, 2]
    finally:
        runtime.shutdown(5)


def test_a_cpu_lane_cannot_synchronize_itself():
    runtime = ThreadStreamRuntime()
    try:
        lane, errors = runtime.lane(0), []

        def work():
            try:
                lane.synchronize()
            except DeviceError as exc:
                errors.append(str(exc))

        lane.enqueue(work)
        assert lane.synchronize(5)
        assert errors and "cannot wait for itself" in errors[0]
    finally:
        runtime.shutdown(5)


def test_a_failing_thread_start_hook_raises_and_leaks_no_thread():
    from devices._threads import ThreadLane

    class Broken(ThreadStreamRuntime):
        def _worker_start(self):
            raise OSError("no device context")

        def _make_lane(self, index):
            return ThreadLane(self, index, on_start=self._worker_start)

    runtime = Broken(num_threads=3)
    try:
        with pytest.raises(DeviceError, match="Could not start the workers .*no device context"):
            runtime.submit(print)
        with pytest.raises(DeviceError, match="Could not start .*lane 0.*no device context"):
            runtime.lane(0).enqueue(print)
        assert not [t for t in threading.enumerate() if t.name.startswith("devices-")]
    finally:
        runtime.shutdown(5)
