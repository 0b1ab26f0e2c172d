"""BufferKeeper: buffers live until every event they were held with has completed."""

import gc
import threading
import weakref

import numpy

from devices.lifetimes import BufferKeeper
from devices.testing import FakeEvent, ThreadStreamRuntime


class Buffer:
    """A weak-referenceable stand-in for device memory."""


def _held(keeper, event):
    buffer = Buffer()
    ref = weakref.ref(buffer)
    keeper.hold(buffer, event)
    del buffer
    return ref


def test_buffer_is_released_only_after_its_event_completes():
    keeper, event = BufferKeeper(), FakeEvent()
    ref = _held(keeper, event)
    assert keeper.collect() == 0 and keeper.pending == 1
    gc.collect()
    assert ref() is not None and keeper.holds(ref())
    event.complete()
    assert keeper.collect() == 1 and keeper.pending == 0
    gc.collect()
    assert ref() is None


def test_buffer_used_on_two_streams_lives_until_both_events_complete():
    keeper, on_a, on_b = BufferKeeper(), FakeEvent(), FakeEvent()
    buffer = Buffer()
    ref = weakref.ref(buffer)
    keeper.hold(buffer, on_a)
    keeper.hold(buffer, on_b)
    del buffer
    on_b.complete()
    keeper.collect()
    assert ref() is not None and keeper.pending == 1
    on_a.complete()
    keeper.collect()
    gc.collect()
    assert ref() is None


def test_events_complete_out_of_order():
    keeper = BufferKeeper()
    events = [FakeEvent() for _ in range(5)]
    refs = [_held(keeper, event) for event in events]
    events[3].complete()
    events[0].complete()
    assert keeper.collect() == 2
    gc.collect()
    assert [ref() is None for ref in refs] == [True, False, False, True, False]


def test_hold_collects_on_its_own_with_amortized_cost():
    keeper = BufferKeeper(collect_every=4)
    for _ in range(3):
        keeper.hold(Buffer(), FakeEvent(done=True))
    assert keeper.pending == 3
    keeper.hold(Buffer(), FakeEvent(done=True))  # the 4th triggers a collection
    assert keeper.pending == 0
    pending = [FakeEvent() for _ in range(10)]
    for event in pending:
        keeper.hold(Buffer(), event)
    assert keeper.pending == 10  # nothing completed, nothing dropped


def test_wait_all_waits_for_events_and_reports_timeouts():
    keeper, event = BufferKeeper(), FakeEvent()
    ref = _held(keeper, event)
    assert keeper.wait_all(timeout=0.01) is False
    assert ref() is not None
    timer = threading.Timer(0.02, event.complete)
    timer.start()
    assert keeper.wait_all(timeout=5) is True
    timer.join()
    gc.collect()
    assert ref() is None and keeper.pending == 0


def test_clear_drops_everything():
    keeper = BufferKeeper()
    ref = _held(keeper, FakeEvent())
    keeper.clear()
    gc.collect()
    assert ref() is None and keeper.pending == 0


def test_concurrent_holds_are_all_kept():
    keeper, events = BufferKeeper(collect_every=8), []
    lock = threading.Lock()

    def holder():
        for _ in range(200):
            event = FakeEvent()
            with lock:
                events.append(event)
            keeper.hold(Buffer(), event)

    threads = [threading.Thread(target=holder) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert keeper.pending == 800
    for event in events:
        event.complete()
    assert keeper.collect() == 800


def test_keep_alive_on_a_stream_double_holds_until_the_lane_passes():
    runtime = ThreadStreamRuntime(num_lanes=2)
    try:
        lane, gate = runtime.lane(1), threading.Event()
        lane.enqueue(gate.wait, 5)
        buffer = numpy.zeros(4)
        ref = weakref.ref(buffer)
        runtime.keep_alive(buffer, lane)
        del buffer
        runtime.keeper.collect()
        gc.collect()
        assert ref() is not None
        gate.set()
        assert lane.synchronize(5)
        runtime.keeper.collect()
        gc.collect()
        assert ref() is None
    finally:
        runtime.shutdown(5)
