"""Session.run under faults: interrupts, deadlines, close() from another thread, bad arguments.

Interrupts (KeyboardInterrupt, SystemExit) must leave a parallel step as themselves, after
cancelling it on every device; a real SIGINT on the main thread is sent from a timer thread.
The stream device is `devices.testing.ThreadStreamRuntime` under the name of CPU:1.
"""

import contextlib
import signal
import threading
import time

import numpy as np
import pytest

import devices
import flowexec as tf
from devices.testing import ThreadStreamRuntime, use_runtime
from tests.runtime import fakes

LINK = 0.02  # seconds per TestBusy op of a long chain


@pytest.fixture(autouse=True)
def _busy_counters():
    """Waits for kernels that an earlier deadline left running, then counts from zero."""
    give_up = time.perf_counter() + 5.0
    while fakes.BUSY["active"] and time.perf_counter() < give_up:
        time.sleep(0.01)
    fakes.BUSY["done"] = 0
    yield


@contextlib.contextmanager
def _two_cpus(stream):
    """A config with two logical CPUs; CPU:1 is a stream double when `stream`."""
    config = tf.ConfigProto(device_count={"CPU": 2}, inter_op_parallelism_threads=2)
    if not stream:
        yield None, config
        return
    record = devices.local_devices({"CPU": 2})[1]
    with use_runtime(ThreadStreamRuntime(device=record, num_lanes=2)) as rt:
        yield rt, config


def _chain(x, n, name):
    for i in range(n):
        x = fakes.busy(x, LINK, name=f"{name}{i}")
    return x


def _thread_names():
    return sorted(t.name for t in threading.enumerate())


def _assert_quiet(rt, threads_before):
    """No kernel runs any more, no new thread is left, and every lane is idle."""
    assert fakes.BUSY["active"] == 0
    assert _thread_names() == threads_before
    if rt is not None:
        for i in range(rt.num_lanes):
            assert rt.lane(i).synchronize(2.0), f"lane {i} is blocked"


# ----- interrupts raised by a kernel -------------------------------------------------------
@pytest.mark.parametrize("stream", [False, True], ids=["two_cpus", "stream_double"])
@pytest.mark.parametrize("kind", ["KeyboardInterrupt", "SystemExit"])
def test_interrupt_from_a_kernel_propagates_and_cancels_the_step(kind, stream):
    with _two_cpus(stream) as (rt, config):
        x = tf.constant(np.float32(1.0))
        with tf.device("/cpu:0"):
            long_chain = _chain(x, 60, "host")  # 1.2 s of work
        with tf.device("/cpu:1"):
            short = _chain(x, 2, "dev")
            boom = fakes.interrupt(short, kind, name="boom")
            after = _chain(boom, 58, "after")
        with tf.Session(config=config) as sess:
            good = sess.run([short, fakes.busy(x, 0.0)])  # workers and lanes start here
            threads_before = _thread_names()
            fakes.BUSY.update(done=0)
            t0 = time.perf_counter()
            with pytest.raises(fakes.INTERRUPTS[kind]) as info:
                sess.run([long_chain, after])
            elapsed = time.perf_counter() - t0
            (entry,) = [e for e in sess._cache.values() if len(e.leaves) == 2
                        and e.leaves[0] is long_chain]
            assert entry.plan.parallel  # the parallel executor, not straight-line code
            assert type(info.value) is fakes.INTERRUPTS[kind]  # not an InternalError
            assert elapsed < 0.8, elapsed  # the long chain stopped early
            assert fakes.BUSY["done"] < 40  # of 120
            _assert_quiet(rt, threads_before)
            assert sess.run([short, fakes.busy(x, 0.0)]) == good  # the session works on
            assert sess.run(short) == 3.0


def test_interrupt_takes_precedence_over_a_later_op_error():
    x = tf.constant(np.float32(1.0))
    with tf.device("/cpu:0"):
        boom = fakes.interrupt(fakes.busy(x, 0.0))
    with tf.device("/cpu:1"):
        bad = fakes.fail(fakes.busy(x, 0.05))
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2},
                                          inter_op_parallelism_threads=2)) as sess:
        with pytest.raises(KeyboardInterrupt):
            sess.run([boom, bad])


# ----- a real SIGINT on the main thread ----------------------------------------------------
@pytest.mark.parametrize("caller", ["drives", "waits", "waits_for_stream"])
def test_sigint_during_a_parallel_step_interrupts_it_cleanly(caller):
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread only")
    stream = caller == "waits_for_stream"
    with _two_cpus(stream) as (rt, config):
        x = tf.constant(np.float32(1.0))
        with tf.device("/cpu:0"):
            a = _chain(x, 60, "a")  # 1.2 s of work per chain
        with tf.device("/cpu:1"):
            b = _chain(x, 60, "b")
        # with a deadline the caller's thread only waits for the workers
        options = tf.RunOptions(timeout_in_ms=60000) if caller == "waits" else None
        outcome = _interrupted_run(rt, config, [a, b], options, x)
    assert isinstance(outcome, float), outcome
    assert outcome < 0.8, outcome  # well before the step's 1.2 s


def _interrupted_run(rt, config, fetches, options, x):
    """Runs `fetches` with a SIGINT sent to the main thread 0.2 s in; checks the session
    afterwards. Returns the seconds until KeyboardInterrupt, or what happened instead."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.main_thread().ident
    timer = threading.Timer(0.2, signal.pthread_kill, (main, signal.SIGINT))
    outcome = None
    try:
        with tf.Session(config=config) as sess:
            warm = []
            for i in range(2):  # busy ops are stateful: placed by hand on both devices
                with tf.device(f"/cpu:{i}"):
                    warm.append(fakes.busy(x, 0.0, name=f"warm{i}"))
            sess.run(warm)
            threads_before = _thread_names()
            t0 = time.perf_counter()
            timer.start()
            try:
                sess.run(fetches, options=options)
                outcome = "finished"
            except KeyboardInterrupt:
                outcome = time.perf_counter() - t0
            timer.join()
            _assert_quiet(rt, threads_before)
            assert sess.run(fakes.busy(x, 0.0)) == 2.0
    except KeyboardInterrupt:  # a signal that came too late must not stop the test session
        outcome = "late"
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    return outcome


# ----- deadlines ---------------------------------------------------------------------------
def _parallel_and_straight(seconds):
    x = tf.constant(np.float32(1.0))
    wide = [fakes.busy(x, seconds), fakes.busy(x, seconds)]
    return wide, fakes.busy(fakes.busy(x, seconds), seconds)


@pytest.mark.parametrize("timeout_in_ms", [0, -1, -1000])
def test_run_options_timeout_not_positive_means_no_deadline(timeout_in_ms):
    wide, chain = _parallel_and_straight(0.02)
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        options = tf.RunOptions(timeout_in_ms=timeout_in_ms)
        assert sess.run(wide, options=options) == [2.0, 2.0]
        assert sess.run(chain, options=options) == 3.0


def test_operation_timeout_in_ms_is_the_default_deadline():
    wide, chain = _parallel_and_straight(0.5)
    config = tf.ConfigProto(inter_op_parallelism_threads=2, operation_timeout_in_ms=50)
    with tf.Session(config=config) as sess:
        for fetch in (wide, chain):
            for options in (None, tf.RunOptions(timeout_in_ms=-1)):
                t0 = time.perf_counter()
                with pytest.raises(tf.errors.DeadlineExceededError,
                                   match="^Timed out waiting for notification$"):
                    sess.run(fetch, options=options)
                assert time.perf_counter() - t0 < 0.4
        # a positive per-run timeout overrides the session's
        assert sess.run(chain, options=tf.RunOptions(timeout_in_ms=10000)) == 3.0


@pytest.mark.parametrize("timeout", [0, -1])
def test_operation_timeout_not_positive_means_no_deadline(timeout):
    wide, chain = _parallel_and_straight(0.02)
    config = tf.ConfigProto(inter_op_parallelism_threads=2, operation_timeout_in_ms=timeout)
    with tf.Session(config=config) as sess:
        assert sess.run(wide) == [2.0, 2.0]
        assert sess.run(chain, options=tf.RunOptions(timeout_in_ms=-1)) == 3.0


def test_run_options_timeout_times_out_with_tf_message():
    wide, _ = _parallel_and_straight(0.3)
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        with pytest.raises(tf.errors.DeadlineExceededError) as info:
            sess.run(wide, options=tf.RunOptions(timeout_in_ms=30))
    assert info.value.message == "Timed out waiting for notification"


# ----- close() while other threads are inside run() ----------------------------------------
def _run_in_threads(sess, fetch, n):
    results = [None] * n
    started = threading.Barrier(n + 1)

    def body(i):
        started.wait()
        try:
            results[i] = ("ok", sess.run(fetch), time.perf_counter())
        except BaseException as e:  # noqa: BLE001 - the test inspects it
            results[i] = (e, None, time.perf_counter())

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    started.wait()
    return threads, results


@pytest.mark.parametrize("path", ["parallel", "straight"])
def test_close_cancels_runs_in_other_threads(path):
    x = tf.constant(np.float32(1.0))
    v = tf.Variable(np.float32(10.0), name="v")
    if path == "parallel":
        a, b = _chain(x, 40, "a"), _chain(x, 40, "b")  # 0.8 s
        with tf.control_dependencies([a, b]):
            read = tf.identity(v)
        fetch = a + b + read
    else:
        done = fakes.busy(x, 0.4)
        with tf.control_dependencies([done]):
            read = tf.identity(v)  # read after close() freed the variables
        fetch = done + read
    sess = tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=4))
    sess.run(v.initializer)
    entry, _ = sess._lookup(fetch, None)  # the plan, built (and cached) without running it
    assert (entry.straight is None) == (path == "parallel")
    threads, results = _run_in_threads(sess, fetch, 2)
    time.sleep(0.1)
    closed_at = time.perf_counter()
    sess.close()
    assert time.perf_counter() - closed_at < 0.1  # close() does not wait, as in TF
    for t in threads:
        t.join(5.0)
        assert not t.is_alive()
    for error, _, ended in results:
        assert isinstance(error, tf.errors.CancelledError), error
        assert error.message == "Run call was cancelled"
        if path == "parallel":  # the step started no op after close()
            assert ended - closed_at < 0.4
    if path == "parallel":
        assert fakes.BUSY["active"] == 0
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run(fetch)
    assert sess._state == {}  # what the cancelled steps still wrote is freed too


def test_run_started_after_close_raises_runtime_error():
    c = tf.constant(1.0)
    sess = tf.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run(c)


# ----- constructor arguments and the empty graph ---------------------------------------------
@pytest.mark.parametrize("cls", [tf.Session, tf.InteractiveSession])
def test_constructor_checks_argument_types(cls):
    with pytest.raises(TypeError, match="^target must be a string, but got <class 'int'>$"):
        cls(target=3)
    with pytest.raises(TypeError,
                       match="^config must be a tf.ConfigProto, but got <class 'dict'>$"):
        cls(config={"allow_soft_placement": True})
    with pytest.raises(TypeError, match="^graph must be a tf.Graph, but got <class 'str'>$"):
        cls(graph="g")


def test_constructor_targets():
    tf.constant(1.0)
    for target in ("", b"", None):
        with tf.Session(target=target) as sess:
            assert sess.sess_str == ""
    with pytest.raises(tf.errors.NotFoundError, match="No session factory registered"):
        tf.Session("INVALID_TARGET")
    with pytest.raises(tf.errors.UnavailableError, match="No server is running at"):
        tf.Session("grpc://localhost:2")   # no server of the cluster there


@pytest.mark.parametrize("fetches", [[], (), {}])
def test_run_on_an_empty_graph_is_tf_runtime_error(fetches):
    with tf.Session() as sess:
        with pytest.raises(RuntimeError, match=r"^The Session graph is empty\. Add operations "
                                               r"to the graph before calling run\(\)\.$"):
            sess.run(fetches)
        c = tf.constant(2.0)  # the session's graph (the default graph) gets an op
        assert sess.run(c) == 2.0
        assert sess.run(fetches) == fetches
