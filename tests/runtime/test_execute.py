"""The executor: overlap of independent expensive ops, inline cheap ops, errors, deadlines."""

import threading
import time

import numpy as np
import pytest

import flowexec as tf
from flowexec.runtime import cost as cost_mod
from tests.runtime import fakes


def _traced_run(sess, fetches, feed_dict=None):
    meta = tf.RunMetadata()
    opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    out = sess.run(fetches, feed_dict, options=opts, run_metadata=meta)
    stats = {n.node_name: n for d in meta.step_stats.dev_stats for n in d.node_stats}
    return out, stats


def _overlap(a, b):
    a0, a1 = a.all_start_micros, a.all_start_micros + a.all_end_rel_micros
    b0, b1 = b.all_start_micros, b.all_start_micros + b.all_end_rel_micros
    return min(a1, b1) - max(a0, b0)


def test_independent_sleeping_ops_overlap_by_trace():
    x = tf.constant(1.0)
    a = fakes.sleep(x, 0.2, name="a")
    b = fakes.sleep(x, 0.2, name="b")
    config = tf.ConfigProto(inter_op_parallelism_threads=2)
    with tf.Session(config=config) as sess:
        out, stats = _traced_run(sess, [a, b])
    assert out == [2.0, 2.0]
    assert stats["a"].thread_id != stats["b"].thread_id
    assert _overlap(stats["a"], stats["b"]) > 0.5 * stats["a"].all_end_rel_micros


def test_heavy_numpy_ops_overlap_by_trace():
    x = tf.constant(1.0)
    outs = [fakes.spin(x, 40, name=f"spin{i}") for i in range(2)]
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        _, stats = _traced_run(sess, outs)
    assert _overlap(stats["spin0"], stats["spin1"]) > 0


def test_single_thread_config_never_overlaps():
    x = tf.constant(1.0)
    a, b = fakes.sleep(x, 0.05, name="a"), fakes.sleep(x, 0.05, name="b")
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=1)) as sess:
        _, stats = _traced_run(sess, [a, b])
    assert _overlap(stats["a"], stats["b"]) <= 0


def test_cheap_chain_runs_on_one_thread():
    x = tf.constant(1.0)
    heavy = [fakes.sleep(x, 0.01, name=f"h{i}") for i in range(2)]
    ids = [fakes.thread_id(h, name=f"tid{i}") for i, h in enumerate(heavy)]
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        _, stats = _traced_run(sess, ids + heavy)
    # the cheap op after each heavy op runs on the thread that finished the heavy op
    for i in range(2):
        assert stats[f"tid{i}"].thread_id == stats[f"h{i}"].thread_id


def test_straight_line_plan_for_a_chain():
    x = tf.placeholder(tf.float32, [])
    y = x
    for _ in range(10):
        y = fakes.add(y, 1.0)
    with tf.Session() as sess:
        assert sess.run(y, {x: 1.0}) == 11.0
        entry = next(iter(sess._cache.values()))
        assert not entry.plan.parallel
        assert entry.straight is not None
        assert entry.straight.source.count(" = k") == 10  # one kernel call per add


def test_chain_of_expensive_ops_is_straight_line():
    x = tf.constant(1.0)
    chain = fakes.sleep(fakes.sleep(x, 0.0), 0.0)
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        sess.run(chain)
        (entry,) = sess._cache.values()
    assert entry.plan.parallel is False  # Const -> sleep -> sleep: nothing to overlap
    assert entry.plan.critical_path == entry.plan.total_cost
    assert entry.straight is not None


def test_wide_plan_is_parallel():
    x = tf.constant(1.0)
    wide = [fakes.sleep(x, 0.0) for _ in range(2)]
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        sess.run(wide)
        (entry,) = sess._cache.values()
    assert entry.plan.parallel
    assert entry.plan.total_cost == pytest.approx(2 * entry.plan.critical_path)


@pytest.mark.parametrize("threads", [1, 2])
def test_kernel_error_names_op_and_line_and_session_survives(threads):
    x = tf.constant(1.0)
    bad = fakes.fail(x, "kaboom", name="bad_op")
    good = fakes.add(x, 1.0)
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=threads)) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run([fakes.sleep(x, 0.0), bad])
        msg = str(info.value)
        assert "bad_op" in msg and "TestFail" in msg and "kaboom" in msg
        assert "(defined at " in msg and "fakes.py:" in msg  # first frame outside flowexec
        assert info.value.op is bad.op
        assert sess.run(good) == 2.0


def test_error_in_parallel_plan_cancels_remaining_work():
    x = tf.constant(1.0)
    slow = fakes.sleep(x, 0.3, name="slow")
    after = fakes.counter(fakes.sleep(slow, 0.0), name="after")
    bad = fakes.fail(fakes.sleep(x, 0.01), name="bad")
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run([after, bad])
        assert ("count", "after") not in sess._state


def test_deadline_exceeded_and_no_work_left_behind():
    x = tf.constant(1.0)
    slow = fakes.sleep(x, 0.5, name="slow")
    after = fakes.counter(fakes.sleep(slow, 0.0), name="after")
    with tf.Session() as sess:
        opts = tf.RunOptions(timeout_in_ms=100)
        t0 = time.perf_counter()
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(after, options=opts)
        assert time.perf_counter() - t0 < 0.45
        time.sleep(0.6)  # the running sleep finishes; nothing after it may start
        assert ("count", "after") not in sess._state
        assert sess.run(fakes.add(x, 1.0)) == 2.0


def test_concurrent_runs_from_many_threads():
    x = tf.placeholder(tf.float64, [None])
    y = fakes.add(fakes.sleep(x, 0.001), x)
    z = fakes.add(fakes.sleep(x, 0.001), y)
    errors = []
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        def worker(k):
            try:
                for j in range(20):
                    v = np.arange(3, dtype=np.float64) * k + j
                    np.testing.assert_array_equal(sess.run(z, {x: v}), 3 * v + 2)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors


def test_buffers_released_after_last_consumer():
    x = tf.placeholder(tf.float64, [None])
    one = tf.constant(1.0, tf.float64)
    big = fakes.add(x, one, name="big")
    y = fakes.add(big, one)
    heavy = [fakes.sleep(y, 0.0), fakes.sleep(y, 0.0)]
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        sess.run(heavy, {x: np.zeros(10)})
        (entry,) = sess._cache.values()
        plan = entry.plan
        slot = next(s.outs[0] for s in plan.steps if s.op.name == "big")
        assert plan.consumers[slot] == 1 and slot not in plan.keep


def test_expensive_cost_threshold_is_documented_constant():
    assert cost_mod.EXPENSIVE_COST > 0


def test_expensive_chain_stays_on_one_thread():
    x = tf.constant(1.0)
    chains = []
    for c in range(2):
        y = x
        for d in range(3):
            y = fakes.sleep(y, 0.02, name=f"c{c}_{d}")
        chains.append(y)
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        _, stats = _traced_run(sess, chains)
    for c in range(2):
        assert len({stats[f"c{c}_{d}"].thread_id for d in range(3)}) == 1
    assert stats["c0_0"].thread_id != stats["c1_0"].thread_id


def test_independent_tf_matmul_chains_overlap_by_trace():
    rng = np.random.default_rng(0)
    outs = []
    starts = [tf.placeholder(tf.float64, [384, 384]) for _ in range(2)]  # not folded
    for c in range(2):
        y = starts[c]
        for d in range(3):
            y = tf.matmul(y, tf.constant(rng.standard_normal((384, 384)) / 20),
                          name=f"mm{c}_{d}")
        outs.append(y)
    feed = {s: rng.standard_normal((384, 384)) for s in starts}
    overlaps = []
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        # A loaded machine may starve one worker for a whole step; a sequential executor
        # never overlaps, so one overlapping step in a few proves the chains run together.
        for _ in range(5):
            (entry_out, stats) = _traced_run(sess, outs, feed)
            spans = [[stats[f"mm{c}_{d}"] for d in range(3)] for c in range(2)]
            start = [s[0].all_start_micros for s in spans]
            end = [s[-1].all_start_micros + s[-1].all_end_rel_micros for s in spans]
            overlaps.append(min(end) - max(start))
            if overlaps[-1] > 0:
                break
        (entry,) = sess._cache.values()
    assert entry.plan.parallel
    assert max(overlaps) > 0, overlaps  # the two chains ran at the same time
