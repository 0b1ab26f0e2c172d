"""Sessions on an in-process cluster: placement by task, one call per task per step,
exactly-once rendezvous, state shared on the ps, failures and deadlines."""

import threading
import time

import numpy as np
import pytest

import flowexec as tf
from flowexec.distributed import local, rendezvous
from tests.distributed.conftest import make_cluster


def _ps_worker_graph():
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(np.arange(3, dtype=np.float32), name="v")
        with tf.device("/job:worker/task:1"):
            y = v * 2.0
        z = y + 1.0
    return g, v, y, z


def test_session_on_a_cluster_places_by_task_and_computes(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g, v, y, z = _ps_worker_graph()
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        assert [d.name for d in sess.list_devices()] == [
            "/job:ps/replica:0/task:0/device:CPU:0",
            "/job:worker/replica:0/task:0/device:CPU:0",
            "/job:worker/replica:0/task:1/device:CPU:0"]
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(z), np.arange(3) * 2.0 + 1.0)
        stages = sess.explain(z)
        assert dict(stages.placement) == {
            "v": "/job:ps/replica:0/task:0/device:CPU:0",
            "v/read": "/job:ps/replica:0/task:0/device:CPU:0",
            "mul/y": "/job:worker/replica:0/task:1/device:CPU:0",
            "mul": "/job:worker/replica:0/task:1/device:CPU:0",
            # no job requested: the task the session connected to
            "add/y": "/job:worker/replica:0/task:0/device:CPU:0",
            "add": "/job:worker/replica:0/task:0/device:CPU:0"}
        split = stages.split
        assert [(e.tensor, e.src_task, e.dst_task) for e in split.edges] == [
            ("v/read:0", "/job:ps/replica:0/task:0", "/job:worker/replica:0/task:1"),
            ("mul:0", "/job:worker/replica:0/task:1", "/job:worker/replica:0/task:0")]
        key = split.edges[0].key
        send_dev, inc, recv_dev, edge, frame = rendezvous.parse_key(key)
        assert (send_dev, recv_dev, edge, frame) == (
            "/job:ps/replica:0/task:0/device:CPU:0",
            "/job:worker/replica:0/task:1/device:CPU:0", "edge_0_v/read", (0, 0))
        assert inc == servers[("ps", 0)].task.devices()[0].incarnation
        assert [n.type for n in split.parts["/job:worker/replica:0/task:1"].graph.nodes] == [
            "Const", "_Recv", "Mul", "_Send"]


def test_feeds_on_a_cluster_win_over_producers_and_can_be_fetched(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            a = tf.constant([1.0, 2.0])
            u, v = tf.unstack(a * 2.0)    # v is needed: the op runs; u is fed
            b = a * 3.0
            u_on_ps = u + 1.0
        with tf.device("/job:worker/task:0"):
            uses = [u + 100.0, v + 1000.0, b + 1.0]
            with tf.control_dependencies([b.op]):
                after_b = tf.identity(a)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        got = sess.run([uses[0], uses[1], u_on_ps, u], {u: 7.0})
        assert got == [107.0, 1004.0, 8.0, 7.0]   # the fed u, fetched too
        got = sess.run([uses[2], after_b, b], {b: [5.0, 5.0]})
        np.testing.assert_array_equal(np.array(got), [[6.0, 6.0], [1.0, 2.0], [5.0, 5.0]])


def test_a_session_handle_kept_on_the_ps_names_its_device_and_reads_back(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            h = tf.get_session_handle(tf.constant([1.0, 2.0]) * 10)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        kept = sess.run(h)
        assert kept.handle.endswith(";/job:ps/replica:0/task:0/device:CPU:0")
        np.testing.assert_array_equal(kept.eval(), [10.0, 20.0])   # read where it is kept
        with g.as_default():
            holder, value = tf.get_session_tensor(kept.handle, tf.float32)
            with tf.device("/job:worker/task:0"):
                plus = value + 1.0
        np.testing.assert_array_equal(sess.run(plus, {holder: kept.handle}), [11.0, 21.0])
        kept.delete()


def test_ps_state_is_shared_by_every_session_and_survives_them(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g, v, _, _ = _ps_worker_graph()
    with g.as_default():
        inc = v.assign_add(tf.ones([3]))
    with tf.Session(servers[("worker", 0)].target, graph=g) as s0:
        s0.run(v.initializer)
        s0.run(inc)
    with tf.Session(servers[("worker", 1)].target, graph=g) as s1:
        s1.run(inc)
        np.testing.assert_array_equal(s1.run(v), np.arange(3) + 2.0)
    with tf.Session(servers[("ps", 0)].target, graph=g) as s2:   # the ps's own session
        np.testing.assert_array_equal(s2.run(v), np.arange(3) + 2.0)


def test_every_cross_task_tensor_is_delivered_once_per_step(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g, v, y, z = _ps_worker_graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3])
        with tf.device("/job:ps/task:0"):
            w = tf.identity(z * x)      # worker:0 -> ps, a fed value on ps
        with tf.device("/job:worker/task:1"):
            counter = tf.Variable(0, name="counter")
            ctl = counter.assign_add(1)
        with tf.control_dependencies([ctl.op]):
            out = w + 0.0               # a control edge worker:1 -> worker:0
    steps = 5
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run([v.initializer, counter.initializer])
        for i in range(steps):
            np.testing.assert_allclose(sess.run(out, {x: np.full(3, i, np.float32)}),
                                       (np.arange(3) * 2 + 1) * i)
        edges = sess.explain(out, [x]).split.edges
        assert sess.run(counter) == steps
    assert len(edges) == 5   # v/read, mul, add, mul_1 and the control edge
    assert [e.tensor for e in edges if e.tensor.startswith("^")] == ["^" + ctl.op.name]
    counts = {}
    for server in servers.values():
        counts.update(server.task.runtime.rendezvous.delivery_counts())
    assert {e.key: counts.get(e.key) for e in edges} == {e.key: steps for e in edges}
    for server in servers.values():
        assert server.task.runtime.rendezvous.pending() == {}


def test_the_tensors_a_step_sends_to_one_task_go_in_one_delivery(cluster_servers,
                                                                 monkeypatch):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    worker = servers[("worker", 0)].task
    calls = []
    deliver = type(worker).deliver

    def counted(self, step_id, items):
        calls.append((self.task, [key.split(";")[3] for key, _ in items]))
        return deliver(self, step_id, items)
    monkeypatch.setattr(type(worker), "deliver", counted)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            vs = [tf.Variable(float(i), name=f"v{i}") for i in range(4)]
        with tf.device("/job:worker/task:0"):
            grads = [v * v for v in vs]
        with tf.device("/job:ps/task:0"):
            train = tf.group(*[v.assign_sub(0.25 * d) for v, d in zip(vs, grads)])
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run([v.initializer for v in vs])
        calls.clear()
        sess.run(train)
        np.testing.assert_allclose(sess.run(vs), [i - 0.25 * i * i for i in range(4)])
    # the 4 reads in one call to the worker, the 4 gradients in one call back
    assert [(task, len(keys)) for task, keys in calls[:2]] == [
        ("/job:worker/replica:0/task:0", 4), ("/job:ps/replica:0/task:0", 4)]
    assert sorted(calls[0][1]) == [f"edge_{i}_v{i}/read" for i in range(4)]


def test_a_sent_value_is_delivered_before_its_task_blocks_in_a_kernel(cluster_servers):
    # the ps sends x, then its dequeue blocks until another step enqueues: x must reach
    # the worker while the ps waits (the worker's part of the step runs to the end)
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            q = tf.FIFOQueue(1, tf.float32, shapes=())
            x0 = tf.placeholder(tf.float32, [])
            x = x0 * 2.0
        with tf.device("/job:worker/task:0"):
            seen = tf.Variable(0.0, name="seen")
            record = seen.assign(x + 1.0)
        with tf.device("/job:ps/task:0"):
            fed = tf.placeholder(tf.float32, [])
            enq = q.enqueue(fed)
            with tf.control_dependencies([x.op]):
                item = q.dequeue()
    config = tf.ConfigProto(operation_timeout_in_ms=10000)
    with tf.Session(servers[("worker", 0)].target, graph=g, config=config) as sess:
        sess.run(seen.initializer)
        result = []
        t = threading.Thread(target=lambda: result.append(sess.run([item, record],
                                                                    {x0: 1.5})))
        t.start()
        deadline = time.monotonic() + 5
        while sess.run(seen) != 4.0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sess.run(seen) == 4.0 and t.is_alive()   # the ps still waits
        sess.run(enq, {fed: 9.0})
        t.join(5)
    assert result == [[9.0, 4.0]]


def test_duplicated_send_is_an_internal_error():
    rz = rendezvous.Rendezvous("t")
    rz.deliver(1, "k", 1.0)
    with pytest.raises(tf.errors.InternalError, match="Duplicated send: k"):
        rz.deliver(1, "k", 2.0)
    assert rz.recv(1, "k") == 1.0
    with pytest.raises(tf.errors.InternalError):
        rz.deliver(1, "k", 3.0)
    rz.deliver(2, "k", 4.0)     # another step has its own table
    assert rz.recv(2, "k") == 4.0
    with pytest.raises(tf.errors.DeadlineExceededError):
        rz.recv(3, "k", deadline=time.monotonic() + 0.05)


@pytest.mark.parametrize("hosted", [False, True], ids=["on-task", "client-hosted"])
def test_lost_task_fails_the_step_with_unavailable_error_in_bounded_time(
        cluster_servers, monkeypatch, hosted):
    # client-hosted: the worker's part runs in the Server's copy, talking with the ps
    monkeypatch.setattr(local.LocalTask, "in_process", not hosted)
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(1.0)
            slow = tf.py_func(lambda a: (time.sleep(0.5), a)[1], [v.read_value()],
                              tf.float32)
        out = slow * 2.0
    sess = tf.Session(servers[("worker", 0)].target, graph=g)
    sess.run(v.initializer)
    assert sess.run(out) == 2.0
    threading.Timer(0.1, servers[("ps", 0)].stop).start()
    t0 = time.monotonic()
    with pytest.raises(tf.errors.UnavailableError, match="ps/replica:0/task:0"):
        sess.run(out)
    assert time.monotonic() - t0 < 2.0
    with pytest.raises(tf.errors.UnavailableError):
        sess.run(out)


@pytest.mark.parametrize("hosted", [False, True], ids=["on-task", "client-hosted"])
def test_step_deadline_on_a_cluster(cluster_servers, monkeypatch, hosted):
    # client-hosted: the worker's part waits for the ps's turn, which never comes
    monkeypatch.setattr(local.LocalTask, "in_process", not hosted)
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            q = tf.FIFOQueue(2, tf.float32)
            item = q.dequeue()          # never filled: blocks until cancelled
        out = item + 1.0
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        t0 = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(out, options=tf.RunOptions(timeout_in_ms=300))
        assert time.monotonic() - t0 < 2.0
        with g.as_default():
            enq = q.enqueue(5.0)
        sess.run(enq)
        sess.run(enq)       # (the timed-out step's dequeue may still take one)
        assert sess.run(out, options=tf.RunOptions(timeout_in_ms=5000)) == 6.0


def test_op_error_on_a_task_names_the_op_and_session_stays_usable(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        with tf.device("/job:ps/task:0"):
            checked = tf.debugging.check_numerics(x, "bad value")
        out = checked * 2.0
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="bad value"):
            sess.run(out, {x: [np.nan]})
        np.testing.assert_array_equal(sess.run(out, {x: [1.0]}), [2.0])


def test_targets_and_errors_of_session_targets(cluster_servers):
    with pytest.raises(tf.errors.UnavailableError, match="localhost:1"):
        tf.Session("grpc://localhost:1")
    with pytest.raises(tf.errors.NotFoundError, match="No session factory"):
        tf.Session("foo://bar")
    local = tf.train.Server.create_local_server()
    try:
        assert local.target.startswith("grpc://localhost:")
        assert local.server_def.job_name == "localhost"
        with tf.Graph().as_default():
            c = tf.constant(3.0) * 2.0
            with tf.Session(local.target) as sess:
                assert sess.run(c) == 6.0
                assert [d.name for d in sess.list_devices()] == [
                    "/job:localhost/replica:0/task:0/device:CPU:0"]
    finally:
        local.stop()


def test_device_filters_limit_the_tasks_a_session_sees(cluster_servers):
    # worker:1 never starts: without the filters the session would wait for it
    servers = cluster_servers(make_cluster(ps=1, worker=2), only={("ps", 0), ("worker", 0)})
    config = tf.ConfigProto(device_filters=["/job:ps", "/job:worker/task:0"])
    with tf.Graph().as_default():
        c = tf.constant(1.0) + 1.0
        with tf.Session(servers[("worker", 0)].target, config=config) as sess:
            assert [d.name for d in sess.list_devices()] == [
                "/job:ps/replica:0/task:0/device:CPU:0",
                "/job:worker/replica:0/task:0/device:CPU:0"]
            assert sess.run(c) == 2.0


def test_many_threads_run_steps_on_one_cluster_at_once(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [])
        with tf.device("/job:ps/task:0"):
            y = x * 3.0
        z = y + 1.0
    sess = tf.Session(servers[("worker", 0)].target, graph=g)
    results, errors = {}, []

    def work(i):
        try:
            results[i] = [sess.run(z, {x: float(i * 10 + k)}) for k in range(10)]
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == {i: [(i * 10 + k) * 3.0 + 1 for k in range(10)] for i in range(4)}


def test_closing_the_session_cancels_its_blocked_step_on_the_ps(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            q = tf.FIFOQueue(1, tf.float32, shapes=())
            item = q.dequeue()
    sess = tf.Session(servers[("worker", 0)].target, graph=g)
    caught = []

    def blocked():
        try:
            sess.run(item)
        except tf.errors.CancelledError as e:
            caught.append(e)
    t = threading.Thread(target=blocked)
    t.start()
    t.join(0.3)
    assert t.is_alive()
    sess.close()
    t.join(5)
    assert not t.is_alive() and len(caught) == 1
    assert not servers[("ps", 0)].task.runtime._running   # the ps gave the step up


def test_server_join_returns_when_the_server_stops():
    cluster = make_cluster(ps=1)
    ps = tf.train.Server(cluster, job_name="ps", task_index=0, start=False)
    with pytest.raises(tf.errors.UnavailableError):
        tf.Session(ps.target)             # not started yet
    ps.start()
    with pytest.raises(tf.errors.UnknownError, match="already in use"):
        tf.train.Server(cluster, job_name="ps", task_index=0)
    joined = threading.Thread(target=ps.join)
    joined.start()
    joined.join(0.1)
    assert joined.is_alive()
    ps.stop()
    joined.join(5)
    assert not joined.is_alive()
    again = tf.train.Server(cluster, job_name="ps", task_index=0)   # the address is free
    again.stop()


def test_partition_graphs_of_a_cluster_run_name_every_device_and_edge(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g, v, y, z = _ps_worker_graph()
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        meta = tf.RunMetadata()
        sess.run(z, options=tf.RunOptions(output_partition_graphs=True), run_metadata=meta)
    parts = {p.device: [n.op for n in p.node] for p in meta.partition_graphs}
    assert parts == {
        "/job:ps/replica:0/task:0/device:CPU:0": ["VariableV2", "Identity", "_Send"],
        "/job:worker/replica:0/task:0/device:CPU:0": ["Const", "_Recv", "Add"],
        "/job:worker/replica:0/task:1/device:CPU:0": ["Const", "_Recv", "Mul", "_Send"]}
    send = meta.partition_graphs[0].node[2]
    assert send.attr["recv_device"] == "/job:worker/replica:0/task:1/device:CPU:0"
    assert send.attr["tensor_name"] == "edge_0_v/read"


def test_plans_dropped_from_the_cache_are_deregistered_on_the_tasks(cluster_servers,
                                                                    monkeypatch):
    from flowexec.runtime import session as session_mod
    monkeypatch.setattr(session_mod, "MAX_CACHED_PLANS", 2)
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [])
        with tf.Session(servers[("worker", 0)].target) as sess:
            for i in range(5):
                with tf.device("/job:ps/task:0"):
                    y = x * float(i) + 1.0
                assert sess.run(y, {x: 2.0}) == 2.0 * i + 1
            ps = servers[("ps", 0)].task.runtime
            assert len(ps._parts) == 2
        assert len(ps._parts) == 0     # closing the session releases the rest


def test_a_task_with_a_stream_device_runs_its_part_on_the_interpreted_executor(
        cluster_servers):
    from tests.runtime.test_multidevice import stream_device

    with stream_device(delay=0.001, jitter=True, seed=5) as (rt, config):
        servers = cluster_servers(make_cluster(ps=1, worker=1), config=config)
        g = tf.Graph()
        with g.as_default():
            with tf.device("/job:ps/task:0/cpu:0"):
                v = tf.Variable(np.eye(3), name="v")
            with tf.device("/job:worker/task:0/cpu:1"):     # the stream device
                y = tf.matmul(v, v) * 2.0 + 1.0
            with tf.device("/job:ps/task:0/cpu:0"):
                update = v.assign(y)
        with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
            sess.run(v.initializer)
            expect = np.eye(3)
            for _ in range(3):
                expect = expect @ expect * 2.0 + 1.0
                np.testing.assert_allclose(sess.run(update), expect)
            worker = servers[("worker", 0)].task.runtime
            assert any(r.plan.straight is None for r in worker._parts.values())


def test_create_session_waits_for_tasks_that_have_not_started(cluster_servers):
    cluster = make_cluster(ps=1, worker=1)
    servers = cluster_servers(cluster, only={("worker", 0)})
    t0 = time.monotonic()
    with pytest.raises(tf.errors.DeadlineExceededError, match="ps/replica:0/task:0"):
        tf.Session(servers[("worker", 0)].target,
                   config=tf.ConfigProto(operation_timeout_in_ms=200))
    assert time.monotonic() - t0 < 2.0
    started = []
    timer = threading.Timer(0.2, lambda: started.append(
        tf.train.Server(cluster, job_name="ps", task_index=0)))
    timer.start()
    try:
        with tf.Graph().as_default():
            with tf.device("/job:ps/task:0"):
                c = tf.constant(2.0) * 3.0
            with tf.Session(servers[("worker", 0)].target) as sess:   # waits for the ps
                assert sess.run(c) == 6.0
    finally:
        timer.join()
        for s in started:
            s.stop()


def test_an_aborted_step_wakes_its_receivers_and_drops_late_values():
    rz = rendezvous.Rendezvous("t")
    got = []
    t = threading.Thread(target=lambda: got.append(pytest.raises(
        tf.errors.AbortedError, rz.recv, 7, "k")))
    t.start()
    time.sleep(0.05)
    rz.abort(7, tf.errors.AbortedError(None, None, "gone"))
    t.join(2)
    assert not t.is_alive() and got
    rz.deliver(7, "k", 1.0)                  # late: dropped, nothing kept
    assert rz.pending() == {}
    with pytest.raises(tf.errors.AbortedError, match="gone"):
        rz.recv(7, "k")
    rz.end_step(7)
    assert rz.pending() == {} and rz.aborted(7) is not None
