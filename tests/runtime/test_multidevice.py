"""Multi-device execution: transfers, stream lanes and events, memory limits, cancellation.

An asynchronous device is played by `devices.testing.ThreadStreamRuntime` (lanes are
threads, copies are asynchronous and read as poison until their lane runs them, optional
random delays): it stands in for a GPU under the name of one logical CPU, so the executor's
stream logic (lane assignment, wait_event, host waits, keep-alive, draining) runs here
exactly as it does on CUDA streams.
"""

import contextlib
import dataclasses
import io
import threading

import numpy as np
import pytest

import devices
import flowexec as tf
from devices.testing import ThreadStreamRuntime, use_runtime
from flowexec.runtime.schedule import STREAM_STEP
from tests.runtime import fakes


@contextlib.contextmanager
def stream_device(n_cpus=2, index=1, **kwargs):
    """A session config with `n_cpus` logical CPUs, CPU:`index` being a stream double."""
    record = devices.local_devices({"CPU": n_cpus})[index]
    if "memory_limit" in kwargs:
        record = dataclasses.replace(record, memory_limit=kwargs.pop("memory_limit"))
    kwargs.setdefault("num_lanes", 3)
    with use_runtime(ThreadStreamRuntime(device=record, **kwargs)) as rt:
        yield rt, tf.ConfigProto(device_count={"CPU": n_cpus})


def _plan(sess, fetches, feeds=()):
    return sess.explain(fetches, {f: None for f in feeds}).plan


def _transfers(plan):
    return [s for s in plan.steps if s.transfer is not None]


def test_values_cross_between_host_and_stream_device():
    with stream_device(delay=0.001, jitter=True, seed=3) as (rt, config):
        x = tf.placeholder(tf.float64, [4, 4])
        with tf.device("/cpu:1"):
            a = tf.matmul(x, x)
            b = tf.tanh(x)
            c = (a + b) * 2.0
        with tf.device("/cpu:0"):
            d = c - 1.0
        xv = np.random.default_rng(0).standard_normal((4, 4))
        with tf.Session(config=config) as sess:
            for _ in range(3):
                got_c, got_d = sess.run([c, d], {x: xv})
                np.testing.assert_allclose(got_c, (xv @ xv + np.tanh(xv)) * 2, rtol=1e-12)
                np.testing.assert_allclose(got_d, got_c - 1.0, rtol=1e-12)
            plan = _plan(sess, [c, d], [x])
    kinds = sorted((s.op.type, s.device.rsplit(":", 1)[1]) for s in _transfers(plan))
    # the feed goes in once (shared by MatMul and Tanh), `c` comes out once (shared by the
    # fetch and by `d` on CPU:0)
    assert kinds == [("_HostRecv", "1"), ("_Recv", "1")]


def test_one_copy_per_destination_memory():
    with stream_device(n_cpus=3) as (rt, config):
        with tf.device("/cpu:1"):
            a = tf.constant(np.arange(6.0), name="a") * 3.0
        with tf.device("/cpu:0"):
            b = a + 1.0
        with tf.device("/cpu:2"):
            c = a + 2.0
            d = a * a
        with tf.Session(config=config) as sess:
            got = sess.run([b, c, d])
            plan = _plan(sess, [b, c, d])
    a_val = np.arange(6.0) * 3
    for g, w in zip(got, [a_val + 1, a_val + 2, a_val * a_val]):
        np.testing.assert_array_equal(g, w)
    # CPU:0 and CPU:2 share host memory: one device-to-host copy serves both
    assert [s.op.type for s in _transfers(plan)] == ["_HostRecv"]


def test_host_devices_share_memory_without_transfer_steps():
    with tf.device("/cpu:0"):
        a = tf.constant([1.0, 2.0]) * 2.0
    with tf.device("/cpu:1"):
        b = a + 1.0
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        np.testing.assert_array_equal(sess.run(b), [3.0, 5.0])
        meta = tf.RunMetadata()
        sess.run(b, options=tf.RunOptions(output_partition_graphs=True), run_metadata=meta)
        assert not _transfers(_plan(sess, b))
    parts = {p.device.rsplit(":", 1)[1]: p for p in meta.partition_graphs}
    (send,) = [n for n in parts["0"].node if n.op == "_Send"]
    (recv,) = [n for n in parts["1"].node if n.op == "_Recv"]
    assert send.attr["tensor_name"] == recv.attr["tensor_name"] == a.name
    assert send.attr["recv_device"] == recv.attr["recv_device"] == parts["1"].device
    assert send.attr["send_device"] == parts["0"].device


def test_chain_stays_on_its_lane_and_independent_chains_spread():
    with stream_device(num_lanes=4) as (rt, config):
        x = tf.placeholder(tf.float64, [8, 8])
        ends = []
        with tf.device("/cpu:1"):
            for i in range(3):
                h = x * (i + 1.0)  # three different chains (equal ones would be merged)
                for _ in range(3):
                    h = tf.tanh(tf.matmul(h, x))
                ends.append(h)
            total = tf.add_n(ends)
        with tf.Session(config=config) as sess:
            xv = np.eye(8) * 0.5
            got = sess.run(total, {x: xv})
            plan = _plan(sess, total, [x])
    want = 0
    for i in range(3):
        h = xv * (i + 1.0)
        for _ in range(3):
            h = np.tanh(h @ xv)
        want = want + h
    np.testing.assert_allclose(got, want, rtol=1e-12)
    stream = [s for s in plan.steps if s.kind == STREAM_STEP]
    by_chain = {}
    for s in stream:
        if s.op.type in ("MatMul", "Tanh"):
            by_chain.setdefault(s.lane.index, []).append(s)
    # three chains of 6 ops on three distinct lanes; no event inside a chain
    assert sorted(len(v) for v in by_chain.values())[-3:] == [6, 6, 6]
    for chain in by_chain.values():
        for s in chain[1:]:
            assert all(plan.steps[w].lane is not s.lane for w in s.waits)
    add_n = next(s for s in stream if s.op.type == "AddN")
    assert len(add_n.waits) >= 2  # joins chains from other lanes through their events


def test_stream_steps_overlap_on_different_lanes_by_trace():
    with stream_device(num_lanes=2) as (rt, config):
        x = tf.placeholder(tf.float64, [3])
        with tf.device("/cpu:1"):
            a = fakes.sleep(x, 0.1, name="left")
            b = fakes.sleep(x, 0.1, name="right")
        meta = tf.RunMetadata()
        with tf.Session(config=config) as sess:
            sess.run([a, b], {x: np.zeros(3)},
                     options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                     run_metadata=meta)
    stats = {n.node_name: n for d in meta.step_stats.dev_stats for n in d.node_stats}
    left, right = stats["left"], stats["right"]
    assert left.lane != right.lane
    l0, l1 = left.all_start_micros, left.all_start_micros + left.all_end_rel_micros
    r0, r1 = right.all_start_micros, right.all_start_micros + right.all_end_rel_micros
    assert l0 < r1 and r0 < l1, (l0, l1, r0, r1)


def test_host_devices_overlap_by_trace():
    x = tf.placeholder(tf.float64, [3])
    outs = []
    for d in range(2):
        with tf.device(f"/cpu:{d}"):
            outs.append(fakes.sleep(x, 0.1, name=f"on{d}"))
    meta = tf.RunMetadata()
    config = tf.ConfigProto(device_count={"CPU": 2}, inter_op_parallelism_threads=2)
    with tf.Session(config=config) as sess:
        sess.run(outs, {x: np.zeros(3)},
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=meta)
    spans = {n.node_name: (n.all_start_micros, n.all_start_micros + n.all_end_rel_micros)
             for d in meta.step_stats.dev_stats for n in d.node_stats}
    (a0, a1), (b0, b1) = spans["on0"], spans["on1"]
    assert a0 < b1 and b0 < a1


def test_control_edges_cross_devices():
    with stream_device(delay=0.002) as (rt, config):
        with tf.device("/cpu:1"):
            v = tf.Variable(1.0, name="v")
            bump = tf.assign_add(v, 10.0)
        with tf.device("/cpu:0"):
            with tf.control_dependencies([bump]):
                after = tf.identity(tf.constant(0.0)) + 1.0
        with tf.device("/cpu:1"):
            with tf.control_dependencies([after]):
                read = v.read_value() * 1.0
        with tf.Session(config=config) as sess:
            sess.run(v.initializer)
            assert sess.run([after, read]) == [1.0, 11.0]
            assert sess.run(read) == 21.0  # `read` waits for `after`, which bumps again


def test_variables_on_a_stream_device_train():
    with stream_device(delay=0.0005, jitter=True, seed=7) as (rt, config):
        x = tf.placeholder(tf.float64, [16, 3])
        y = tf.placeholder(tf.float64, [16, 1])
        with tf.device("/cpu:1"):
            w = tf.Variable(np.zeros((3, 1)), name="w")
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
            step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        rng = np.random.default_rng(1)
        xv = rng.standard_normal((16, 3))
        yv = xv @ np.array([[1.0], [-2.0], [0.5]])
        wn = np.zeros((3, 1))
        with tf.Session(config=config) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(20):
                sess.run(step, {x: xv, y: yv})
                # TF casts the float32 learning rate to the variable's dtype
                wn = wn - float(np.float32(0.1)) * (2.0 / 16) * xv.T @ (xv @ wn - yv)
            np.testing.assert_allclose(sess.run(w), wn, rtol=1e-10)


def test_failure_on_one_device_cancels_the_step_everywhere():
    with stream_device(num_lanes=2) as (rt, config):
        x = tf.placeholder(tf.float64, [3])
        with tf.device("/cpu:1"):
            slow = fakes.sleep(x, 0.2, name="slow")
            after_slow = fakes.sleep(slow, 0.0, name="after_slow")
        with tf.device("/cpu:0"):
            bad = fakes.fail(x, "boom", name="bad")
        with tf.Session(config=config) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="bad"):
                sess.run([after_slow, bad], {x: np.zeros(3)})
            # the session is usable and the device idle afterwards
            np.testing.assert_array_equal(sess.run(after_slow, {x: np.zeros(3)}), [2, 2, 2])


def test_failure_on_a_stream_lane_surfaces_with_the_op_name():
    with stream_device() as (rt, config):
        x = tf.placeholder(tf.float64, [3])
        with tf.device("/cpu:1"):
            bad = fakes.fail(x * 2.0, "lane boom", name="bad_on_lane")
            ok = x + 1.0
        with tf.Session(config=config) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"bad_on_lane.*lane boom"):
                sess.run(bad, {x: np.zeros(3)})
            np.testing.assert_array_equal(sess.run(ok, {x: np.zeros(3)}), [1, 1, 1])


def test_memory_limit_names_the_op_and_sizes():
    with stream_device(memory_limit=4096) as (rt, config):
        x = tf.placeholder(tf.float64, [None])
        with tf.device("/cpu:1"):
            big = tf.tile(x, [1000], name="big")
            small = x * 2.0
        with tf.Session(config=config) as sess:
            with pytest.raises(tf.errors.ResourceExhaustedError) as info:
                sess.run(big, {x: np.ones(2)})
            message = str(info.value)
            assert "big" in message and "shape[2000]" in message and "16000" in message
            assert rt.bytes_in_use == 0  # nothing leaks from the failed step
            np.testing.assert_array_equal(sess.run(small, {x: np.ones(2)}), [2.0, 2.0])
            assert rt.bytes_in_use == 0 and 0 < rt.peak_bytes_in_use <= 4096


def test_enforced_memory_limits():
    cpu = devices.local_devices({"CPU": 2})[0]
    assert not devices.runtime_for(cpu).enforces_memory_limit  # default share: the OS's
    assert ThreadStreamRuntime(device=cpu).enforces_memory_limit


def test_many_threads_run_one_stream_plan_concurrently():
    with stream_device(delay=0.0002, jitter=True, seed=5) as (rt, config):
        x = tf.placeholder(tf.float64, [5])
        with tf.device("/cpu:1"):
            y = tf.tanh(x) * 3.0 + x
        with tf.device("/cpu:0"):
            z = y - 1.0
        results = {}
        with tf.Session(config=config) as sess:
            def work(k):
                v = np.full(5, float(k))
                results[k] = sess.run(z, {x: v})
            threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    for k, got in results.items():
        v = np.full(5, float(k))
        np.testing.assert_allclose(got, np.tanh(v) * 3 + v - 1, rtol=1e-12)
    assert len(results) == 6


def test_log_device_placement_prints_device_mapping():
    a = tf.constant(1.0, name="a")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        with tf.Session(config=tf.ConfigProto(log_device_placement=True,
                                              device_count={"CPU": 2})) as sess:
            sess.run(a)
    text = err.getvalue()
    assert text.startswith("Device mapping:\n/job:localhost/replica:0/task:0/device:CPU:0 ->")
    assert "a: (Const): /job:localhost/replica:0/task:0/device:CPU:" in text


def test_num_streams_caps_the_lanes_per_device():
    with stream_device(num_lanes=4) as (rt, config):
        config.gpu_options.num_streams = 1
        x = tf.placeholder(tf.float64, [3])
        with tf.device("/cpu:1"):
            outs = [tf.tanh(x * float(i)) for i in range(4)]
        with tf.Session(config=config) as sess:
            got = sess.run(outs, {x: np.ones(3)})
            plan = _plan(sess, outs, [x])
    for i, g in enumerate(got):
        np.testing.assert_array_equal(g, np.tanh(np.ones(3) * i))
    assert len(plan.stream_lanes) == 1
    assert all(not s.waits for s in plan.steps)


def test_deadline_covers_work_on_stream_devices_and_leaks_nothing():
    with stream_device() as (rt, config):
        x = tf.placeholder(tf.float64, [1000])
        with tf.device("/cpu:1"):
            slow = fakes.sleep(x, 0.3, name="slow")
        with tf.device("/cpu:0"):
            with tf.control_dependencies([slow.op]):
                z = tf.identity(x) + 1.0
        with tf.Session(config=config) as sess:
            with pytest.raises(tf.errors.DeadlineExceededError, match="Timed out"):
                sess.run(slow, {x: np.zeros(1000)}, options=tf.RunOptions(timeout_in_ms=50))
            with pytest.raises(tf.errors.DeadlineExceededError):
                sess.run(z, {x: np.zeros(1000)}, options=tf.RunOptions(timeout_in_ms=50))
            rt.synchronize()  # the abandoned lane items finish and account late
            assert rt.bytes_in_use == 0
            np.testing.assert_array_equal(sess.run(z, {x: np.zeros(1000)}), np.ones(1000))
            assert rt.bytes_in_use == 0


def test_host_step_waiting_on_a_failed_stream_step_does_not_run():
    with stream_device(delay=0.02) as (rt, config):
        x = tf.placeholder(tf.float64, [3])
        with tf.device("/cpu:0"):
            count = tf.Variable(0.0, name="count")
        with tf.device("/cpu:1"):
            bad = fakes.fail(x * 2.0, "lane boom", name="bad_on_lane")
        with tf.device("/cpu:0"):
            with tf.control_dependencies([bad.op]):
                bump = tf.assign_add(count, 1.0)
        with tf.Session(config=config) as sess:
            sess.run(count.initializer)
            with pytest.raises(tf.errors.InvalidArgumentError, match="bad_on_lane"):
                sess.run(bump, {x: np.zeros(3)})
            assert sess.run(count) == 0.0


@pytest.mark.parametrize("variable_on, reader_on", [("/cpu:1", "/cpu:0"), ("/cpu:0", "/cpu:1")])
def test_live_variable_reads_stay_in_their_memory_space(variable_on, reader_on):
    with stream_device(delay=0.005) as (rt, config):
        with tf.device(variable_on):
            v = tf.Variable(np.arange(3.0), name="v")
        with tf.device(reader_on):
            y = tf.identity(v, name="r") * 10.0
        with tf.Session(config=config) as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(y), [0.0, 10.0, 20.0])
            plan = _plan(sess, y)
    for step in plan.steps:
        if step.refs and not step.transfer is not None:
            assert step.device.endswith(variable_on[-1])
