"""Traced steps on a cluster: RunMetadata.step_stats from every task, on one clock,
with cross-task arrows in the timeline."""

import json

import numpy as np
import pytest

import flowexec as tf
from flowexec.distributed import tracing
from flowexec.timeline import Timeline
from tests.distributed.conftest import make_cluster

PS = "/job:ps/replica:0/task:0/device:CPU:0"
W0 = "/job:worker/replica:0/task:0/device:CPU:0"
W1 = "/job:worker/replica:0/task:1/device:CPU:0"
FULL = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)


def _graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3], name="x")
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(np.arange(3, dtype=np.float32), name="v")
        with tf.device("/job:worker/task:1"):
            y = tf.multiply(v, x, name="y")
        z = tf.add(y, 1.0, name="z")     # on the session's task, worker 0
    return g, x, v, z


def _by_device(meta):
    return {ds.device: {ns.node_name: ns for ns in ds.node_stats}
            for ds in meta.step_stats.dev_stats}


def test_a_traced_cluster_step_has_the_stats_of_every_task(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g, x, v, z = _graph()
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        meta = tf.RunMetadata()
        out = sess.run(z, {x: np.ones(3, np.float32)}, options=FULL, run_metadata=meta)
        np.testing.assert_array_equal(out, np.arange(3) + 1.0)
        edges = sess.explain(z, [x]).split.edges
        untraced = tf.RunMetadata()
        sess.run(z, {x: np.ones(3, np.float32)}, run_metadata=untraced)
    stats = _by_device(meta)
    assert sorted(stats) == [PS, W0, W1]
    assert {"v", "v/read"} <= set(stats[PS]) and "y" in stats[W1] and "z" in stats[W0]
    types = {d: sorted(ns.timeline_label.split(" = ")[1].split("(")[0]
                       for ns in s.values()) for d, s in stats.items()}
    assert types[PS].count("_Send") == 1 and types[W1].count("_Recv") == 1
    assert types[W1].count("_Send") == 1 and types[W0].count("_Recv") == 1
    # every _Recv names its _Send; on one clock a value is received after it is sent
    for e in edges:
        send_dev = PS if e.src_task.startswith("/job:ps") else W1
        recv_dev = W1 if e.dst_task.endswith("task:1") else W0
        send, recv = stats[send_dev][e.send], stats[recv_dev][e.recv]
        assert recv.timeline_label == f"{e.recv} = _Recv({e.send})"
        assert recv.all_start_micros + recv.all_end_rel_micros >= send.all_start_micros
    assert stats[W1]["y"].all_start_micros >= stats[PS]["v/read"].all_start_micros
    assert untraced.step_stats.dev_stats == []


def test_the_timeline_of_a_cluster_step_shows_every_task_and_the_arrows_between(
        cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g, x, v, z = _graph()
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        meta = tf.RunMetadata()
        sess.run(z, {x: np.ones(3, np.float32)},
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE,
                                       output_partition_graphs=True), run_metadata=meta)
    events = json.loads(Timeline(meta.step_stats).generate_chrome_trace_format())[
        "traceEvents"]
    names = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert sorted(names.values()) == [d + " Compute" for d in (PS, W0, W1)]
    pid = {n[:-len(" Compute")]: p for p, n in names.items()}
    ops = {e["args"]["name"]: e for e in events if e["ph"] == "X"}
    flows = [e for e in events if e.get("cat") == "DataFlow"]
    starts = {e["id"]: e for e in flows if e["ph"] == "s"}
    crossing = [(starts[e["id"]]["pid"], e["pid"]) for e in flows if e["ph"] == "t"
                and starts[e["id"]]["pid"] != e["pid"]]
    assert (pid[PS], pid[W1]) in crossing and (pid[W1], pid[W0]) in crossing
    for e in flows:
        if e["ph"] == "t" and ops.get(e["name"]) is not None:
            recv = [o for o in ops.values() if o["pid"] == e["pid"] and
                    o["ts"] <= e["ts"] <= o["ts"] + max(o["dur"], 1)]
            assert recv     # the arrow ends inside an op of its row
    assert sorted(p.device for p in meta.partition_graphs) == [PS, W0, W1]


def test_a_traced_training_step_has_the_ps_apply_ops_and_the_worker_gradients(
        cluster_servers):
    cluster = make_cluster(ps=1, worker=1)
    servers = cluster_servers(cluster)
    g = tf.Graph()
    with g.as_default(), tf.device(tf.train.replica_device_setter(
            cluster=cluster, worker_device="/job:worker/task:0")):
        w = tf.Variable(tf.ones([4, 2]), name="w")
        loss = tf.reduce_sum(tf.square(tf.matmul(tf.ones([3, 4]), w)))
        train = tf.train.AdamOptimizer(0.1).minimize(loss)
        init = tf.global_variables_initializer()
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(init)
        meta = tf.RunMetadata()
        sess.run(train, options=FULL, run_metadata=meta)
    stats = _by_device(meta)
    assert sorted(stats) == [PS, W0]
    assert any(n.startswith("Adam/update_w") for n in stats[PS])
    assert any(n.startswith("gradients/") for n in stats[W0])
    assert all(n.all_end_rel_micros >= 0 for s in stats.values() for n in s.values())


@pytest.mark.parametrize("ahead_s", [0.0, 5.0, -3.0])
def test_task_clocks_are_put_on_the_master_clock_when_they_disagree(ahead_s):
    # master sends at 100.000, the task starts 1 ms later and runs 10 ms, the answer is
    # back 1 ms after: the task's clock reads `ahead_s` more than the master's
    sent, received = 100.0, 100.012
    started, ended = 100.001 + ahead_s, 100.011 + ahead_s
    offset, delay = tracing.clock_offset(sent, started, ended, received)
    assert offset == pytest.approx(ahead_s, abs=1e-9)
    assert delay == pytest.approx(0.001)
    trace = (started, ended, [(PS, [("a", int(started * 1e6), 10000, 1, "a = A()", 0)])])
    shift = tracing.shift_of(sent, trace, received)
    assert shift == (0 if ahead_s == 0 else -round(ahead_s * 1e6))
    merged = tracing.merge([(trace, shift)])
    (ns,), = [ds.node_stats for ds in merged.dev_stats]
    assert ns.all_start_micros == pytest.approx(100.001e6, abs=1)
    # an offset within the call's delay is no evidence of another clock: left alone
    assert tracing.shift_of(sent, (100.0015, 100.0105, []), received) == 0
