"""tf.train.Coordinator and LooperThread with real threads, each test bounded in time."""

import threading
import time

import pytest

import flowexec as tf
from flowexec import errors


def test_request_stop_wakes_waiters_and_join_returns():
    coord = tf.train.Coordinator()
    started = threading.Event()

    def worker():
        started.set()
        while not coord.should_stop():
            time.sleep(0.005)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    started.wait(5)
    assert not coord.should_stop()
    assert not coord.wait_for_stop(0.01)
    coord.request_stop()
    assert coord.wait_for_stop(1)
    coord.join(threads, stop_grace_period_secs=5)
    assert coord.joined
    assert not any(t.is_alive() for t in threads)


def test_first_exception_is_reraised_by_join_and_clean_stops_are_not():
    coord = tf.train.Coordinator()

    def failing():
        with coord.stop_on_exception():
            raise ValueError("first")

    def late():
        coord.wait_for_stop(5)
        coord.request_stop(RuntimeError("second"))

    threads = [threading.Thread(target=failing), threading.Thread(target=late)]
    for t in threads:
        t.start()
    with pytest.raises(ValueError, match="first"):
        coord.join(threads, stop_grace_period_secs=5)
    # after a join, a reported error is raised where it is reported
    with pytest.raises(TypeError, match="late"):
        coord.request_stop(TypeError("late"))

    clean = tf.train.Coordinator()
    with clean.stop_on_exception():
        raise errors.OutOfRangeError(None, None, "done")
    assert clean.should_stop()
    clean.join([], stop_grace_period_secs=1)  # OutOfRange is a clean stop: nothing raised
    strict = tf.train.Coordinator(clean_stop_exception_types=[])
    strict.request_stop(errors.OutOfRangeError(None, None, "done"))
    with pytest.raises(errors.OutOfRangeError):
        strict.raise_requested_exception()


def test_join_names_stragglers_after_the_grace_period():
    coord = tf.train.Coordinator()
    release = threading.Event()
    t = threading.Thread(target=release.wait, args=(10,), name="stubborn")
    t.start()
    coord.register_thread(t)
    coord.request_stop()
    try:
        with pytest.raises(RuntimeError,
                           match="Coordinator stopped with threads still running: stubborn"):
            coord.join(stop_grace_period_secs=0.05)
        coord.clear_stop()
        assert not coord.should_stop() and not coord.joined
        coord.register_thread(t)
        coord.request_stop()
        coord.join(stop_grace_period_secs=0.05, ignore_live_threads=True)  # only logged
    finally:
        release.set()
        t.join()


def test_looper_thread_calls_target_until_stop():
    coord = tf.train.Coordinator()
    calls = []
    looper = tf.train.LooperThread.loop(coord, 0.01, calls.append, args=(1,))
    deadline = time.time() + 5
    while len(calls) < 3 and time.time() < deadline:
        time.sleep(0.005)
    coord.request_stop()
    coord.join(stop_grace_period_secs=5)
    assert not looper.is_alive()
    assert len(calls) >= 3

    class Failing(tf.train.LooperThread):
        def run_loop(self):
            raise KeyError("in loop")

    coord = tf.train.Coordinator()
    Failing(coord, None).start()
    with pytest.raises(KeyError, match="in loop"):
        coord.join(stop_grace_period_secs=5)
    with pytest.raises(ValueError, match="'coord' argument must be a Coordinator"):
        tf.train.LooperThread(object(), 1)
    with pytest.raises(ValueError, match="require that you also pass 'target'"):
        tf.train.LooperThread(tf.train.Coordinator(), 1, args=(1,))



def test_clear_stop_and_exc_info_tuples():
    coord = tf.train.Coordinator()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        coord.request_stop(sys.exc_info())
    assert coord.should_stop()
    coord.clear_stop()
    assert not coord.should_stop()
    coord.raise_requested_exception()  # cleared: nothing to raise


def test_looper_thread_back_to_back_and_on_a_timer():
    coord = tf.train.Coordinator()
    counts = {"fast": 0, "timed": 0}

    def bump(key):
        counts[key] += 1
        if key == "fast" and counts[key] == 50:
            coord.request_stop()

    fast = tf.train.LooperThread.loop(coord, None, bump, args=("fast",))
    timed = tf.train.LooperThread.loop(coord, 0.02, bump, args=("timed",))
    coord.join(stop_grace_period_secs=5)  # the loopers registered themselves
    assert counts["fast"] == 50
    assert not fast.is_alive() and not timed.is_alive()
    assert fast.daemon

    coord = tf.train.Coordinator()
    start = time.time()
    tf.train.LooperThread.loop(coord, 0.05, bump, args=("timed",))
    time.sleep(0.22)
    coord.request_stop()
    coord.join(stop_grace_period_secs=5)
    assert time.time() - start < 2.0


def test_looper_thread_subclass_hooks():
    coord = tf.train.Coordinator()
    events = []

    class Looper(tf.train.LooperThread):
        def start_loop(self):
            events.append("start")

        def run_loop(self):
            events.append("loop")
            coord.request_stop()

        def stop_loop(self):
            events.append("stop")

    Looper(coord, None).start()
    coord.join(stop_grace_period_secs=5)
    assert events == ["start", "loop", "stop"]
