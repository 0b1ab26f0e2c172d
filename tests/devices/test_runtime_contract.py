"""The contract every runtime passes: CPU, the thread-stream double, CUDA (fake and real).

The real CUDA runtime runs only where a GPU answers through CuPy (``-m gpu``).
Concurrency is proven by what the tasks observe (a barrier both must reach,
overlapping timestamps), never by wall-clock thresholds.
"""

import dataclasses
import threading
import time

import numpy
import pytest

from devices import DeviceError, ResourceExhaustedError
from devices.attributes import DeviceAttributes, Locality
from devices.cpu import CPURuntime
from devices.testing import ThreadStreamRuntime

MEMORY_LIMIT = 1 << 20
TIMEOUT = 10.0


def _live_device_threads():
    return [t for t in threading.enumerate() if t.name.startswith("devices-") and t.is_alive()]


def _make_cpu(request):
    device = DeviceAttributes("/device:CPU:0", "CPU", MEMORY_LIMIT, Locality(), 11)
    return CPURuntime(device, num_threads=2, num_lanes=2)


def _make_double(request):
    return ThreadStreamRuntime(num_threads=2, num_lanes=2, delay=0.001, jitter=True, seed=7,
                               memory_limit=MEMORY_LIMIT)


def _make_fake_cuda(request):
    request.getfixturevalue("fake_cupy")
    from devices.cuda import CUDARuntime
    from devices.discovery import physical_devices

    gpu = physical_devices()[1]
    return CUDARuntime(dataclasses.replace(gpu, memory_limit=MEMORY_LIMIT), num_threads=2,
                       num_lanes=2)


def _make_real_cuda(request):
    from devices.discovery import gpu_count, physical_devices

    if gpu_count() == 0:
        pytest.skip("no CUDA GPU answers through CuPy on this machine")
    from devices.cuda import CUDARuntime

    gpu = next(d for d in physical_devices() if d.device_type == "GPU")
    return CUDARuntime(dataclasses.replace(gpu, memory_limit=MEMORY_LIMIT), num_threads=2,
                       num_lanes=2)


@pytest.fixture(params=[
    pytest.param(_make_cpu, id="cpu"),
    pytest.param(_make_double, id="thread-stream"),
    pytest.param(_make_fake_cuda, id="cuda-fake"),
    pytest.param(_make_real_cuda, id="cuda", marks=pytest.mark.gpu),
])
def rt(request):
    runtime = request.param(request)
    yield runtime
    runtime.shutdown(TIMEOUT)


class TestRuntimeContract:
    def test_exposes_device_name_type_and_array_module(self, rt):
        assert rt.name == rt.device.full_name
        assert rt.name.startswith("/job:localhost/replica:0/task:0/device:")
        assert rt.device_type == rt.device.device_type
        assert callable(rt.xp.empty) and callable(rt.xp.asarray)
        assert rt.num_lanes == 2 and rt.memory_limit == MEMORY_LIMIT
        assert not rt.started

    def test_lane_runs_work_in_order(self, rt):
        lane, seen = rt.lane(0), []
        for i in range(40):
            lane.enqueue(time.sleep, 0.0005 * (i % 3 == 0))
            lane.enqueue(seen.append, i)
        assert lane.synchronize(TIMEOUT)
        assert seen == list(range(40))
        assert rt.lane(0) is lane and rt.started

    def test_lane_index_out_of_range_raises(self, rt):
        with pytest.raises(IndexError):
            rt.lane(2)
        with pytest.raises(IndexError):
            rt.lane(-1)

    def test_wait_event_orders_work_across_lanes(self, rt):
        first, second, seen = rt.lane(0), rt.lane(1), []
        gate = threading.Event()
        first.enqueue(gate.wait, TIMEOUT)
        first.enqueue(seen.append, "first")
        second.wait_event(first.record_event())
        second.enqueue(seen.append, "second")
        time.sleep(0.02)
        assert seen == []  # the second lane is held back by the event, not by luck
        gate.set()
        assert second.synchronize(TIMEOUT)
        assert seen == ["first", "second"]

    def test_wait_event_from_inside_lane_work_applies_at_once(self, rt):
        first, second, seen = rt.lane(0), rt.lane(1), []
        gate = threading.Event()
        first.enqueue(gate.wait, TIMEOUT)
        first.enqueue(seen.append, "first")
        event = first.record_event()

        def work():
            second.wait_event(event)
            seen.append("second")

        second.enqueue(work)
        time.sleep(0.02)
        assert seen == []
        gate.set()
        assert second.synchronize(TIMEOUT)
        assert seen == ["first", "second"]

    def test_event_query_and_synchronize(self, rt):
        lane, gate = rt.lane(0), threading.Event()
        lane.enqueue(gate.wait, TIMEOUT)
        event = lane.record_event()
        assert not event.query()
        assert event.synchronize(timeout=0.02) is False
        assert lane.synchronize(timeout=0.02) is False
        gate.set()
        assert event.synchronize(TIMEOUT) is True
        assert event.query()

    def test_timed_events_measure_elapsed_milliseconds(self, rt):
        lane = rt.lane(1)
        start = lane.record_event(timing=True)
        lane.enqueue(time.sleep, 0.01)
        end = lane.record_event(timing=True)
        assert end.synchronize(TIMEOUT)
        assert start.elapsed_ms(end) >= 0.0

    @pytest.mark.parametrize("host", [
        numpy.arange(12, dtype=numpy.float32).reshape(3, 4),
        numpy.arange(10, dtype=numpy.int64)[::2],
        numpy.array([True, False, True]),
        numpy.array(3.5),
        numpy.zeros((0, 3)),
    ], ids=["float32", "strided-int64", "bool", "0-d", "empty"])
    def test_to_device_to_host_round_trip(self, rt, host):
        expected = host.copy()
        on_device = rt.to_device(host)
        back = rt.to_host(on_device)
        assert isinstance(back, numpy.ndarray)
        numpy.testing.assert_array_equal(back, expected)
        assert back.dtype == expected.dtype and back.shape == expected.shape

        lane = rt.lane(0)
        on_device = rt.to_device(host, lane=lane)
        back = rt.to_host(on_device, lane=lane)
        assert lane.synchronize(TIMEOUT)
        numpy.testing.assert_array_equal(back, expected)

    def test_transfers_on_two_lanes_are_ordered_by_events(self, rt):
        first, second = rt.lane(0), rt.lane(1)
        on_device = rt.to_device(numpy.full(64, 7.0), lane=first)
        second.wait_event(first.record_event())
        back = rt.to_host(on_device, lane=second)
        rt.keep_alive(on_device, second)
        assert second.synchronize(TIMEOUT)
        numpy.testing.assert_array_equal(back, numpy.full(64, 7.0))

    def test_transfers_without_a_lane_work_from_inside_lane_work(self, rt):
        lane, results = rt.lane(0), []

        def work():
            on_device = rt.to_device(numpy.arange(3.0))
            results.append(rt.to_host(on_device))

        lane.enqueue(work)
        assert lane.synchronize(TIMEOUT)
        numpy.testing.assert_array_equal(results[0], numpy.arange(3.0))

    def test_to_host_of_a_foreign_object_raises_type_error(self, rt):
        with pytest.raises(TypeError):
            rt.to_host([1, 2, 3])

    def test_copy_from_host_runtime(self, rt):
        lane = rt.lane(0)
        copied = rt.copy_from(numpy.arange(5.0), None, lane=lane)
        assert lane.synchronize(TIMEOUT)
        numpy.testing.assert_array_equal(rt.to_host(copied), numpy.arange(5.0))

    def test_memory_accounting_raises_resource_exhausted_naming_sizes(self, rt):
        rt.allocate(600_000, "tensor with shape[150000] and type float32 for op A")
        assert rt.bytes_in_use == 600_000
        with pytest.raises(ResourceExhaustedError) as info:
            rt.allocate(500_000, "tensor with shape[125000] and type float32 for op MatMul")
        error = info.value
        assert (error.requested, error.in_use, error.limit) == (500_000, 600_000, MEMORY_LIMIT)
        assert error.what == "tensor with shape[125000] and type float32 for op MatMul"
        message = str(error)
        assert message.startswith("OOM when allocating tensor with shape[125000] and type "
                                  "float32 for op MatMul on " + rt.name)
        for figure in ("500000", "600000", str(MEMORY_LIMIT)):
            assert figure in message
        assert isinstance(error, DeviceError)
        assert rt.bytes_in_use == 600_000  # the refused request left nothing behind
        rt.release(600_000)
        rt.allocate(MEMORY_LIMIT, "all of it")
        assert rt.peak_bytes_in_use == MEMORY_LIMIT
        rt.release(MEMORY_LIMIT)
        assert rt.bytes_in_use == 0 and rt.peak_bytes_in_use == MEMORY_LIMIT
        rt.reset_peak()
        assert rt.peak_bytes_in_use == 0

    def test_memory_accounting_rejects_bad_counts(self, rt):
        with pytest.raises(ValueError, match="negative"):
            rt.allocate(-1)
        with pytest.raises(ValueError, match="Cannot release 10 bytes"):
            rt.release(10)

    def test_memory_accounting_is_thread_safe(self, rt):
        def churn():
            for _ in range(500):
                rt.allocate(100, "x")
                rt.release(100)

        threads = [threading.Thread(target=churn) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert rt.bytes_in_use == 0 and 100 <= rt.peak_bytes_in_use <= 400

    def test_submit_runs_two_tasks_at_once_on_two_workers(self, rt):
        barrier = threading.Barrier(2, timeout=TIMEOUT)
        spans, done = [], threading.Semaphore(0)

        def task():
            start = time.perf_counter()
            barrier.wait()  # both tasks must be running for either to pass
            time.sleep(0.01)
            spans.append((start, time.perf_counter()))
            done.release()

        rt.submit(task)
        rt.submit(task)
        assert done.acquire(timeout=TIMEOUT) and done.acquire(timeout=TIMEOUT)
        (start_a, end_a), (start_b, end_b) = spans
        assert max(start_a, start_b) < min(end_a, end_b)  # the spans overlap

    def test_an_exception_in_work_kills_no_worker_or_lane(self, rt, caplog):
        ran = threading.Event()

        def boom():
            raise RuntimeError("kernel failed")

        for _ in range(rt.num_threads + 1):
            rt.submit(boom)
        rt.submit(ran.set)
        assert ran.wait(TIMEOUT)
        lane, seen = rt.lane(0), []
        lane.enqueue(boom)
        lane.enqueue(seen.append, 1)
        assert lane.synchronize(TIMEOUT) and seen == [1]
        assert "kernel failed" in caplog.text

    def test_set_num_threads_only_before_start(self, rt):
        rt.set_num_threads(3)
        assert rt.num_threads == 3
        with pytest.raises(ValueError):
            rt.set_num_threads(0)
        finished = threading.Event()
        rt.submit(finished.set)
        assert finished.wait(TIMEOUT)
        with pytest.raises(RuntimeError, match="before the first submit"):
            rt.set_num_threads(4)

    def test_shutdown_joins_every_thread_and_is_idempotent(self, rt):
        lane, seen = rt.lane(0), []
        rt.lane(1).enqueue(seen.append, "b")
        lane.enqueue(time.sleep, 0.01)
        lane.enqueue(seen.append, "a")
        finished = threading.Event()
        rt.submit(finished.set)
        assert finished.wait(TIMEOUT)
        rt.shutdown(TIMEOUT)
        assert sorted(seen) == ["a", "b"]  # queued work ran before the threads stopped
        assert _live_device_threads() == []
        assert rt.closed
        rt.shutdown(TIMEOUT)
        with pytest.raises(DeviceError):
            rt.submit(print)
        with pytest.raises(DeviceError):
            lane.enqueue(print)
        with pytest.raises(DeviceError):
            rt.lane(1)

    def test_work_accepted_while_shutting_down_runs_before_the_lane_stops(self, rt):
        lane = rt.lane(0)
        assert lane.synchronize(TIMEOUT)  # started
        hook = _ShutdownDuringPut(lane._queue, rt)
        lane._queue = hook
        event = lane.record_event()  # accepted: it must complete, shutdown or not
        hook.shutter.join(TIMEOUT)
        assert rt.closed
        assert event.synchronize(2.0)
        with pytest.raises(DeviceError, match="shut down"):
            lane.record_event()

    def test_work_accepted_while_shutting_down_runs_before_the_workers_stop(self, rt):
        started = threading.Event()
        rt.submit(started.set)
        assert started.wait(TIMEOUT)
        hook = _ShutdownDuringPut(rt._queue, rt)
        rt._queue = hook
        done = threading.Event()
        rt.submit(done.set)
        hook.shutter.join(TIMEOUT)
        assert rt.closed
        assert done.wait(2.0)
        with pytest.raises(DeviceError, match="shut down"):
            rt.submit(print)

    def test_wait_for_an_own_pending_event_from_lane_work_raises(self, rt):
        lane, errors, waited = rt.lane(0), [], []
        earlier = lane.record_event()

        def work():
            lane.wait_event(earlier)  # already passed: fine
            waited.append(True)
            try:
                lane.wait_event(lane.record_event())  # recorded after this work: deadlock
            except DeviceError as exc:
                errors.append(str(exc))

        lane.enqueue(work)
        assert lane.synchronize(TIMEOUT)
        assert waited == [True]
        assert len(errors) == 1 and "cannot wait for itself" in errors[0]


class _ShutdownDuringPut:
    """A thread queue whose first put starts ``rt.shutdown`` and gives it 0.2 s first.

    Work put after the stop marker would never run: shutdown must wait until the
    accepted item is in the queue.
    """

    def __init__(self, inner, rt):
        self._inner, self._rt = inner, rt
        self.shutter = None

    def put(self, item):
        if self.shutter is None and item is not None:
            self.shutter = threading.Thread(target=self._rt.shutdown, args=(TIMEOUT,))
            self.shutter.start()
            self.shutter.join(0.2)
        self._inner.put(item)

    def get(self):
        return self._inner.get()
