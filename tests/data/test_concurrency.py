"""prefetch and parallel map really overlap: asserted from recorded threads and timestamps
(never from speed); every wait is bounded."""

import threading
import time

import numpy as np

import flowexec as tf
from tests.data.helpers import drain

Dataset = tf.data.Dataset


def _recording_map(log, delay):
    def slow(x):
        start = time.perf_counter()
        time.sleep(delay)
        log.append((int(x), start, time.perf_counter(), threading.current_thread().name))
        return x
    return lambda x: tf.py_func(slow, [x], tf.int64)


def test_prefetch_produces_the_next_element_during_the_consumers_step():
    log = []
    ds = Dataset.range(6).map(_recording_map(log, 0.02)).prefetch(1)
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    steps = []
    with tf.Session() as sess:
        sess.run(it.initializer)
        for _ in range(6):
            x = sess.run(nxt)
            start = time.perf_counter()
            time.sleep(0.05)  # the consumer's "training step"
            steps.append((int(x), start, time.perf_counter()))
    assert [s[0] for s in steps] == list(range(6))
    assert {name for _, _, _, name in log} == {"tf.data.prefetch"}
    produced = {x: (s, e) for x, s, e, _ in log}
    # element k+1 was produced while the consumer was busy with element k
    overlapped = [k for k, s, e in steps[:-1] if produced[k + 1][0] < e]
    assert len(overlapped) >= 3


def test_prefetch_thread_stops_when_the_session_closes():
    nxt = Dataset.range(10 ** 9).prefetch(2).make_one_shot_iterator().get_next()
    sess = tf.Session()
    sess.run(nxt)
    assert any(t.name == "tf.data.prefetch" for t in threading.enumerate())
    sess.close()
    deadline = time.monotonic() + 10
    while any(t.name == "tf.data.prefetch" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the prefetch thread outlived its session"
        time.sleep(0.01)


def test_parallel_map_runs_calls_at_once_and_keeps_the_order():
    log = []
    ds = Dataset.range(12).map(_recording_map(log, 0.03), num_parallel_calls=4)
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        assert drain(sess, nxt) == list(range(12))
    events = sorted([(s, 1) for _, s, _, _ in log] + [(e, -1) for _, _, e, _ in log])
    running = peak = 0
    for _, d in events:
        running += d
        peak = max(peak, running)
    assert peak >= 2
    assert len({name for *_, name in log}) >= 2


def test_parallel_map_of_numpy_work_matches_the_sequential_map():
    x = np.random.default_rng(0).standard_normal((16, 64, 64)).astype(np.float32)
    base = Dataset.from_tensor_slices(x)
    def f(m):
        return tf.reduce_sum(tf.matmul(m, m))
    seq = drain_all(base.map(f))
    par = drain_all(base.map(f, num_parallel_calls=tf.data.experimental.AUTOTUNE))
    np.testing.assert_array_equal(seq, par)


def drain_all(ds):
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        return drain(sess, nxt)
